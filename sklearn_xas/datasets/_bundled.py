"""The data sets that ship with sklearn-xas: FEFF6L EXAFS and FEFF10 XANES of prototypes."""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .._core import XASDataset, edge_energy
from ..exceptions import XASDataError

DATA_DIR = Path(__file__).resolve().parent / "data"
SPECTRA_FILE = "prototype_exafs.npz"
META_FILE = "prototype_exafs.json.gz"
XANES_FILE = "prototype_xanes.npz"
XANES_META_FILE = "prototype_xanes.json.gz"


@lru_cache(maxsize=2)
def _read_pair(spectra_name, meta_name, generator):
    """The arrays of a bundled ``.npz`` and its gzipped JSON metadata."""
    spectra, meta = DATA_DIR / spectra_name, DATA_DIR / meta_name
    for path in (spectra, meta):
        if not path.is_file():
            raise XASDataError(
                f"The bundled data file {path} is missing; reinstall sklearn-xas or "
                f"regenerate it with {generator}."
            )
    with np.load(spectra, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    with gzip.open(meta, "rt", encoding="utf-8") as fh:
        info = json.load(fh)
    return arrays, info


def _read_files():
    return _read_pair(SPECTRA_FILE, META_FILE, "benchmarks/generate_prototype_exafs.py")


def _read_xanes_files():
    return _read_pair(XANES_FILE, XANES_META_FILE,
                      "benchmarks/generate_prototype_xanes.py --bundle")


def prototype_exafs_info():
    """Generation settings, counts, timings and failures of the bundled set.

    Returns
    -------
    info : dict
        Keys ``description``, ``generator``, ``settings``, ``versions``, ``counts``,
        ``failures``, ``timing_s`` (no structures).

    Examples
    --------
    >>> from sklearn_xas.datasets._bundled import prototype_exafs_info
    >>> prototype_exafs_info()["settings"]["sigma2"]
    0.003
    """
    _, info = _read_files()
    return {k: v for k, v in info.items() if k != "materials"}


def prototype_xanes_info():
    """Generation settings, counts, timings and failures of the bundled XANES set.

    Returns
    -------
    info : dict
        Keys ``description``, ``generator``, ``settings``, ``versions``, ``counts``,
        ``failures``, ``timing_s``.

    Examples
    --------
    >>> from sklearn_xas.datasets import prototype_xanes_info
    >>> prototype_xanes_info()["settings"]["core_hole"]
    'RPA'
    """
    return {k: v for k, v in _read_xanes_files()[1].items() if k != "materials"}


def _filter_rows(mids, elements_col, materials, elements, prototypes):
    """Row indices kept by the ``elements``/``prototypes`` filters, and every prototype."""
    protos = np.array([materials[m]["prototype"] for m in mids], dtype=object)
    mask = np.ones(len(mids), dtype=bool)
    if elements is not None:
        mask &= np.isin(elements_col, list(np.atleast_1d(elements)))
    if prototypes is not None:
        wanted = list(np.atleast_1d(prototypes))
        known = sorted({p["prototype"] for p in materials.values()})
        unknown = sorted(set(wanted) - set(known))
        if unknown:
            raise XASDataError(f"Unknown prototype(s) {unknown}; the set holds {known}.")
        mask &= np.isin(protos, wanted)
    if not mask.any():
        raise XASDataError(
            f"No row of the bundled set matches elements={elements!r}, "
            f"prototypes={prototypes!r}."
        )
    return np.flatnonzero(mask), protos


def _structures(materials, mids):
    from pymatgen.core import Structure

    return {m: Structure.from_dict(materials[m]["structure"]) for m in set(mids)}


def load_prototype_exafs(*, as_frame=False, elements=None, prototypes=None):
    """Load the bundled EXAFS data set: FEFF6L chi(k) of prototype crystals.

    The data set ships with the package (no download) and is made entirely by the
    project's own code, reproducibly, by ``benchmarks/generate_prototype_exafs.py``:

    - **Structures**: 195 prototype crystals built by
      :func:`sklearn_xas.simulate.prototype_structures`: rock salt, CsCl, zinc
      blende, wurtzite, fluorite and antifluorite, rutile, corundum, cubic perovskite
      ABO3, spinel AB2O4 and the elements in bcc, fcc, hcp and diamond. Cations take
      an oxidation state pymatgen lists for them, anions are paired by
      electronegativity and the Shannon radius ratio, and each cell is scaled so its
      bonds equal sums of tabulated radii (Shannon ionic radii; Slater atomic radii for
      the tetrahedral compounds; metallic radii for the metals). They are model
      structures (not relaxed; many are not known compounds), meant for trying
      models across the periodic table, not as reference data.
    - **Spectra**: 361 site spectra, one per symmetry-inequivalent site of each
      structure (``multiplicity`` gives the site's count in the cell), from 77
      absorbing elements (Li to U; K edge up to Ba, L3 edge from La on), computed
      by :func:`sklearn_xas.simulate.simulate_dataset` with FEFF6L: RMAX 6 A,
      paths of up to 4 legs, S0^2 = 1, one sigma^2 = 0.003 A^2 for every path,
      no E0 shift, chi(k) unweighted on k = 0 to 16 1/A in steps of 0.05
      (321 points). Path-expansion chi(k) is not meaningful near the edge: use
      k >= 2.5-3 1/A. FEFF6L failed on 20 further sites (six perovskites: Na, Pb,
      Tl and Rb on the A site of Ir, Mo, V, W and U oxides); they are listed in
      :func:`prototype_exafs_info`.
    - **Files**: ``sklearn_xas/datasets/data/prototype_exafs.npz`` (spectra, stored
      as float32) and ``prototype_exafs.json.gz`` (structures, prototypes, radii,
      generation settings, timings); see :func:`prototype_exafs_info`.

    Parameters
    ----------
    as_frame : bool, default=False
        Return the data set's ``frame`` (a pandas DataFrame) instead of the
        :class:`XASDataset`.
    elements : str or list of str, optional
        Keep only rows whose absorbing element is one of these.
    prototypes : str or list of str, optional
        Keep only materials of these structure types (e.g. ``"rocksalt"``).

    Returns
    -------
    data : XASDataset or pandas.DataFrame
        ``spectrum_type`` is ``"EXAFS"`` for every row; material ids read
        ``"proto-<prototype>-<formula>"``. Extra columns: ``prototype`` and
        ``edge_energy`` (tabulated, eV).

    Raises
    ------
    XASDataError
        If the bundled files are missing or a filter leaves no row.

    Examples
    --------
    >>> from sklearn_xas.datasets import load_prototype_exafs
    >>> data = load_prototype_exafs()
    >>> data.frame["spectrum_type"].unique().tolist()
    ['EXAFS']
    >>> data.frame["absorbing_element"].nunique() >= 60
    True
    >>> nacl = load_prototype_exafs(elements="Na", prototypes="rocksalt", as_frame=True)
    >>> len(nacl) >= 1, nacl["x"].iloc[0].shape
    (True, (321,))
    """
    arrays, info = _read_files()
    mids = arrays["material_id"].astype(str)
    elements_col = arrays["absorbing_element"].astype(str)
    materials = info["materials"]
    rows, protos = _filter_rows(mids, elements_col, materials, elements, prototypes)
    structures = _structures(materials, mids[rows])
    k = np.asarray(arrays["k"], dtype=np.float64)
    chi = arrays["chi"]
    edges = arrays["edge"].astype(str)
    frame = pd.DataFrame({
        "material_id": mids[rows],
        "absorbing_index": arrays["absorbing_index"][rows].astype(int),
        "absorbing_element": elements_col[rows],
        "edge": edges[rows],
        "spectrum_type": "EXAFS",
        "structure": [structures[m] for m in mids[rows]],
        "x": [k.copy() for _ in rows],
        "y": [chi[i].astype(np.float64) for i in rows],
        "multiplicity": arrays["multiplicity"][rows].astype(int),
        "source": [f"{SPECTRA_FILE}[{i}]" for i in rows],
        "prototype": protos[rows],
        "edge_energy": [edge_energy(el, ed) for el, ed in zip(elements_col[rows], edges[rows])],
    })
    data = XASDataset(frame, validate=False)
    return data.frame if as_frame else data


def load_prototype_xanes(*, as_frame=False, elements=None, prototypes=None):
    """Load the bundled XANES data set: FEFF10 mu(E) of the prototype crystals.

    The crystals are those of :func:`load_prototype_exafs` (same material ids and
    structures, and a few whose EXAFS failed in FEFF6L). The spectra were computed by
    the project's own code, ``benchmarks/generate_prototype_xanes.py``, with
    :func:`sklearn_xas.simulate.simulate_xanes_dataset` and its defaults (SCF radius
    3 A, FMS radius 4 A, RPA core hole, Hedin-Lundqvist exchange, FEFF's own S0^2;
    chosen against FEFF 9 on 50 Cu sites, see ``benchmarks/validate_feff10.py``): one
    spectrum per symmetry-inequivalent site, K edge up to Ba and L3 edge from La on,
    on FEFF's 138-point grid from about -27 to +38 eV around its edge. Based on
    FEFF10 (feff10-rs). Sites FEFF10 could not compute (SCF not converging, timeout)
    are listed in :func:`prototype_xanes_info`.

    Parameters
    ----------
    as_frame : bool, default=False
        Return the data set's ``frame`` instead of the :class:`XASDataset`.
    elements : str or list of str, optional
        Keep only rows whose absorbing element is one of these.
    prototypes : str or list of str, optional
        Keep only materials of these structure types (e.g. ``"rocksalt"``).

    Returns
    -------
    data : XASDataset or pandas.DataFrame
        ``spectrum_type`` is ``"XANES"`` for every row, ``x`` the absolute energy (eV)
        and ``y`` FEFF's normalised mu. Extra columns: ``prototype``,
        ``edge_energy`` (tabulated, eV) and ``xsedge_norm`` (FEFF's normalisation, as
        :func:`load_feff_tree` gives it).

    Raises
    ------
    XASDataError
        If the bundled files are missing or a filter leaves no row.

    See Also
    --------
    load_prototype_exafs : EXAFS of the same crystals.

    Examples
    --------
    >>> from sklearn_xas.datasets import load_prototype_xanes
    >>> data = load_prototype_xanes()
    >>> data.frame["absorbing_element"].nunique() >= 60
    True
    >>> mgo = load_prototype_xanes(elements="Mg", prototypes="rocksalt", as_frame=True)
    >>> mgo[["material_id", "edge"]].iloc[0].tolist()
    ['proto-rocksalt-MgO', 'K']
    """
    arrays, info = _read_xanes_files()
    materials = info["materials"]
    mids = arrays["material_id"].astype(str)
    elements_col = arrays["absorbing_element"].astype(str)
    rows, protos = _filter_rows(mids, elements_col, materials, elements, prototypes)
    structures = _structures(materials, mids[rows])
    edges = arrays["edge"].astype(str)
    frame = pd.DataFrame({
        "material_id": mids[rows],
        "absorbing_index": arrays["absorbing_index"][rows].astype(int),
        "absorbing_element": elements_col[rows],
        "edge": edges[rows],
        "spectrum_type": "XANES",
        "structure": [structures[m] for m in mids[rows]],
        "x": [arrays["energy"][i].astype(np.float64) for i in rows],
        "y": [arrays["mu"][i].astype(np.float64) for i in rows],
        "multiplicity": arrays["multiplicity"][rows].astype(int),
        "source": [f"{XANES_FILE}[{i}]" for i in rows],
        "prototype": protos[rows],
        "edge_energy": [edge_energy(el, ed) for el, ed in zip(elements_col[rows], edges[rows])],
        "xsedge_norm": arrays["xsedge_norm"][rows].astype(np.float64),
    })
    data = XASDataset(frame, validate=False)
    return data.frame if as_frame else data
