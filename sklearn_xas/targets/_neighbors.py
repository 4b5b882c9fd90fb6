"""The absorber's first coordination shell, and the targets derived from it."""

from __future__ import annotations

import functools
import warnings
from typing import NamedTuple

import numpy as np

from ..exceptions import NoNeighborError, XASDataError

#: Neighbour-finding methods of :func:`first_shell`.
METHODS = ("crystalnn", "cutoff")

# Radii searched by the cutoff method before giving up (Angstrom).
_CUTOFF_START, _CUTOFF_MAX = 4.0, 16.0


class FirstShell(NamedTuple):
    """The first coordination shell of a site, neighbours sorted by distance.

    Returned by :func:`first_shell`; a named tuple.

    Parameters
    ----------
    symbols : tuple of str
        Element symbol of each neighbour.
    distances : ndarray of shape (n_neighbors,)
        Absorber-neighbour distances in Angstrom.
    indices : ndarray of shape (n_neighbors,)
        Index of each neighbour in the structure (periodic images share an index).

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.targets import first_shell
    >>> cscl = Structure(Lattice.cubic(4.12), ["Cs", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> symbols, distances, indices = first_shell(cscl, 0)
    >>> len(symbols), set(symbols), round(float(distances[0]), 3), set(indices.tolist())
    (8, {'Cl'}, 3.568, {1})
    """

    symbols: tuple
    distances: np.ndarray
    indices: np.ndarray


@functools.cache
def _crystalnn():
    from pymatgen.analysis.local_env import CrystalNN

    return CrystalNN()


def _check_site(structure, index):
    from pymatgen.core import Structure

    if not isinstance(structure, Structure):
        raise TypeError(f"structure must be a pymatgen Structure, got {type(structure).__name__}.")
    try:
        index = int(index)
    except (TypeError, ValueError) as exc:
        raise XASDataError(f"site index must be an integer, got {index!r}.") from exc
    if not 0 <= index < len(structure):
        raise XASDataError(
            f"site index {index} is out of range for {structure.composition.reduced_formula} "
            f"({len(structure)} sites)."
        )
    return index


def _symbol(site, structure):
    if not site.is_ordered:
        raise XASDataError(
            f"{structure.composition.reduced_formula}: a neighbour site is partially occupied "
            f"({site.species}); the targets need an ordered structure."
        )
    return site.specie.symbol


def first_shell(structure, index, *, method="crystalnn", tol=0.1):
    """Find the first coordination shell of site ``index``: the one routine behind the targets.

    Parameters
    ----------
    structure : pymatgen.core.Structure
        An ordered periodic structure.
    index : int
        0-based index of the absorbing site.
    method : {"crystalnn", "cutoff"}, default="crystalnn"
        ``"crystalnn"``: pymatgen's ``CrystalNN`` with its defaults, unweighted
        (``weighted_cn=False``): of the candidate coordination numbers it weighs, it
        returns the neighbours of the most probable one, and those neighbours form the
        shell. Its warnings about missing oxidation states are silenced (the
        structures we read carry none; CrystalNN then uses electronegativity-free
        radii). ``"cutoff"``: every site within ``(1 + tol) * d_min`` of the absorber,
        where ``d_min`` is the distance to its nearest neighbour (periodic images
        included; simple and fast, blind to chemistry).
    tol : float, default=0.1
        Relative shell width of the ``"cutoff"`` method; ignored by ``"crystalnn"``.

    Returns
    -------
    shell : FirstShell
        ``(symbols, distances, indices)``, sorted by distance.

    Raises
    ------
    XASDataError
        If the index is out of range or a site is disordered.
    NoNeighborError
        If the method finds no neighbour (a subclass of ``XASDataError``).

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.targets import first_shell
    >>> nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"],
    ...                                  [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> shell = first_shell(nacl, 0, method="cutoff")
    >>> shell.symbols
    ('Cl', 'Cl', 'Cl', 'Cl', 'Cl', 'Cl')
    >>> shell.distances.round(2).tolist()
    [2.82, 2.82, 2.82, 2.82, 2.82, 2.82]
    """
    index = _check_site(structure, index)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
    if not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be a non-negative number, got {tol!r}.")
    _symbol(structure[index], structure)
    if method == "crystalnn":
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="No oxidation states specified")
            warnings.filterwarnings("ignore", message="CrystalNN: cannot locate an appropriate")
            info = _crystalnn().get_nn_info(structure, index)
        center = structure[index].coords
        found = [
            (float(np.linalg.norm(d["site"].coords - center)), int(d["site_index"]), d["site"])
            for d in info
        ]
    else:
        found = _within_cutoff(structure, index, tol)
    if not found:
        raise NoNeighborError(
            f"{structure.composition.reduced_formula} site {index}: {method} found no neighbour."
        )
    found.sort(key=lambda t: (t[0], t[1]))
    return FirstShell(
        symbols=tuple(_symbol(site, structure) for _, _, site in found),
        distances=np.array([d for d, _, _ in found], dtype=np.float64),
        indices=np.array([i for _, i, _ in found], dtype=np.int64),
    )


def _within_cutoff(structure, index, tol):
    site = structure[index]
    radius = _CUTOFF_START
    while True:
        neighbors = structure.get_neighbors(site, radius)
        if neighbors or radius >= _CUTOFF_MAX:
            break
        radius *= 2
    if not neighbors:
        return []
    d_min = min(n.nn_distance for n in neighbors)
    limit = (1.0 + tol) * d_min
    if limit > radius:
        neighbors = structure.get_neighbors(site, limit * (1 + 1e-9))
    limit *= 1 + 1e-9  # keep neighbours at exactly the limit despite round-off
    return [(n.nn_distance, int(n.index), n) for n in neighbors if n.nn_distance <= limit]


def neighbor_types(structure, index, *, method="crystalnn", tol=0.1):
    """The distinct element symbols of the absorber's first shell, sorted.

    Parameters
    ----------
    structure : pymatgen.core.Structure
        The crystal structure holding the absorbing site.
    index : int
        0-based index of the absorbing site.
    method : {"crystalnn", "cutoff"}, default="crystalnn"
        See :func:`first_shell`.
    tol : float, default=0.1
        See :func:`first_shell`.

    Returns
    -------
    types : tuple of str

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.targets import neighbor_types
    >>> nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"],
    ...                                  [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> neighbor_types(nacl, 0)
    ('Cl',)
    """
    return tuple(sorted(set(first_shell(structure, index, method=method, tol=tol).symbols)))


def mean_nn_distance(structure, index, *, method="crystalnn", tol=0.1):
    """Mean absorber-neighbour distance over the first shell, in Angstrom.

    Parameters
    ----------
    structure : pymatgen.core.Structure
        The crystal structure holding the absorbing site.
    index : int
        0-based index of the absorbing site.
    method : {"crystalnn", "cutoff"}, default="crystalnn"
        See :func:`first_shell`.
    tol : float, default=0.1
        See :func:`first_shell`.

    Returns
    -------
    distance : float

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.targets import mean_nn_distance
    >>> nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"],
    ...                                  [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> round(mean_nn_distance(nacl, 0), 3)
    2.82
    """
    return float(np.mean(first_shell(structure, index, method=method, tol=tol).distances))


def coordination_number(structure, index, *, method="crystalnn", tol=0.1):
    """Number of neighbours in the absorber's first shell.

    Parameters
    ----------
    structure : pymatgen.core.Structure
        The crystal structure holding the absorbing site.
    index : int
        0-based index of the absorbing site.
    method : {"crystalnn", "cutoff"}, default="crystalnn"
        See :func:`first_shell`.
    tol : float, default=0.1
        See :func:`first_shell`.

    Returns
    -------
    cn : int

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.targets import coordination_number
    >>> nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"],
    ...                                  [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> coordination_number(nacl, 0)
    6
    """
    return len(first_shell(structure, index, method=method, tol=tol).symbols)
