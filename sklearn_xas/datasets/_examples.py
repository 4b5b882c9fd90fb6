"""Measured example spectra shipped with the package (public domain; EXAMPLES.md)."""

from pathlib import Path

from ..exceptions import XASDataError

_DATA = Path(__file__).resolve().parent / "data"
#: The example files and what they are.
EXAMPLES = {
    "cu_metal_rt.xdi": "Cu foil, Cu K edge, room temperature (12 Cu at 2.556 A)",
    "fe2o3_rt.xdi": "hematite Fe2O3, Fe K edge (3 + 3 O at 1.95 / 2.12 A)",
    "zn_znse_rt.xdi": "ZnSe (zinc blende), Zn K edge (4 Se at 2.45 A)",
}


def example_spectra(name=None):
    """Paths of the measured example spectra shipped with sklearn-xas.

    Parameters
    ----------
    name : str or None, default=None
        One file name of :data:`EXAMPLES`; ``None`` gives them all.

    Returns
    -------
    path : pathlib.Path or list of pathlib.Path
        Read them with :func:`load` (or :func:`load_xdi`).

    Examples
    --------
    >>> from sklearn_xas.datasets import example_spectra, load
    >>> load(example_spectra("cu_metal_rt.xdi")).frame["absorbing_element"].tolist()
    ['Cu']
    """
    if name is None:
        return [_DATA / n for n in EXAMPLES]
    if name not in EXAMPLES:
        raise XASDataError(f"No example spectrum {name!r}; there are: {', '.join(EXAMPLES)}.")
    return _DATA / name
