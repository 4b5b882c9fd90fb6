"""Element helpers for sites of a structure."""


def site_elements(site):
    """Element symbols on a pymatgen site (several on a partially occupied site).

    Parameters
    ----------
    site : pymatgen.core.PeriodicSite

    Returns
    -------
    elements : set of str

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas._core import site_elements
    >>> s = Structure(Lattice.cubic(3.0), [{"Cu": 0.5, "Au": 0.5}], [[0, 0, 0]])
    >>> sorted(site_elements(s[0]))
    ['Au', 'Cu']
    """
    return {getattr(sp, "symbol", str(sp)) for sp in site.species.elements}
