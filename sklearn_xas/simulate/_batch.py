"""Many FEFF6L sites in parallel, collected into the data model."""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from .._core import XASDataset, check_frame, edge_energy, list_records, row_label, site_elements
from ..exceptions import SkippedRecordsWarning, XASDataError
from ..utils import progress as _progress
from ._feff6 import FeffError, _check_k, _element_of, _simulate, default_edge, feff6l_executable


def inequivalent_sites(structure, *, symprec=0.1):
    """Symmetry-inequivalent sites of a structure and their multiplicities.

    Parameters
    ----------
    structure : pymatgen.core.Structure
        The crystal structure.
    symprec : float, default=0.1
        Tolerance (Angstrom) of pymatgen's ``SpacegroupAnalyzer``.

    Returns
    -------
    sites : list of (int, int)
        ``(index, multiplicity)`` for each group of equivalent sites: the group's
        lowest index and its size in the given cell, sorted by index. If the
        symmetry analysis fails, every site is its own group (multiplicity 1).

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.simulate import inequivalent_sites
    >>> nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"],
    ...                                  [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> inequivalent_sites(nacl)
    [(0, 4), (4, 4)]
    """
    return sorted((g[0], len(g)) for g in _symmetry_groups(structure, symprec))


def _symmetry_groups(structure, symprec):
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    try:
        with warnings.catch_warnings():  # spglib's notes on its error handling
            warnings.simplefilter("ignore", DeprecationWarning)
            sym = SpacegroupAnalyzer(structure, symprec=symprec).get_symmetrized_structure()
        return [sorted(int(i) for i in g) for g in sym.equivalent_indices]
    except Exception:  # spglib can fail on odd cells: fall back to no symmetry
        return [[i] for i in range(len(structure))]


def _as_structures(structures, material_ids):
    """Normalise the accepted inputs to a list of (material_id, Structure)."""
    from pymatgen.core import Structure

    if isinstance(structures, Structure):
        structures = [structures]
    if isinstance(structures, XASDataset):
        structures = structures.frame
    if isinstance(structures, pd.DataFrame):
        if not {"material_id", "structure"} <= set(structures.columns):
            raise XASDataError(
                "A frame given as structures needs the columns 'material_id' and 'structure'."
            )
        first = structures.drop_duplicates("material_id")
        items = list(zip(first["material_id"].astype(str), first["structure"]))
    elif isinstance(structures, Mapping):
        items = [(str(m), s) for m, s in structures.items()]
    else:
        structures = list(structures)
        if material_ids is None:
            material_ids = [
                f"{getattr(s, 'composition', None) and s.composition.reduced_formula}-{i}"
                for i, s in enumerate(structures)
            ]
        material_ids = [str(m) for m in material_ids]
        if len(material_ids) != len(structures):
            raise ValueError(
                f"material_ids has {len(material_ids)} entries for {len(structures)} structures."
            )
        items = list(zip(material_ids, structures))
    if not items:
        raise XASDataError("No structures to simulate.")
    ids = [m for m, _ in items]
    dup = sorted({m for m in ids if ids.count(m) > 1})
    if dup:
        raise ValueError(f"material ids must be unique; repeated: {dup[:5]}.")
    for m, s in items:
        if not isinstance(s, Structure):
            raise TypeError(
                f"material {m!r}: expected a pymatgen Structure, got {type(s).__name__}."
            )
    return items


def read_structures(paths):
    """Read structure files (POSCAR, CIF, ... anything pymatgen reads) for simulation.

    Parameters
    ----------
    paths : iterable of path-like
        The files.

    Returns
    -------
    structures : dict
        Material id -> Structure. The id is the file's stem, or its folder's name for a
        file called ``POSCAR``.

    Raises
    ------
    XASDataError
        Naming a file that is missing or unreadable, or two files giving one id.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.simulate import read_structures
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = Structure(Lattice.cubic(3.6), ["Cu"], [[0, 0, 0]]).to(filename=str(folder / "Cu.cif"))
    >>> list(read_structures([folder / "Cu.cif"]))
    ['Cu']
    """
    from pymatgen.core import Structure

    structures = {}
    for name in paths:
        p = Path(name)
        if not p.is_file():
            raise XASDataError(f"{name}: no such structure file.")
        try:
            s = Structure.from_file(p)
        except Exception as exc:
            raise XASDataError(f"{name}: not a structure file pymatgen can read ({exc}).") from exc
        mid = p.stem if p.stem.upper() != "POSCAR" else p.parent.name
        if mid in structures:
            raise XASDataError(f"{name}: material id {mid!r} is used twice; rename the files.")
        structures[mid] = s
    return structures


def _site_plan(items, sites, absorbers, symprec):
    """List of (material_id, structure, index, multiplicity) to simulate."""
    if isinstance(sites, str):
        if sites not in ("inequivalent", "all"):
            raise ValueError(f"sites must be 'inequivalent', 'all' or a list, got {sites!r}.")
        per_material = {m: sites for m, _ in items}
    elif isinstance(sites, Mapping):
        unknown = set(map(str, sites)) - {m for m, _ in items}
        if unknown:
            raise ValueError(f"sites names unknown material id(s) {sorted(unknown)[:5]}.")
        per_material = {m: sites.get(m, "inequivalent") for m, _ in items}
    else:
        sites = list(sites)
        if len(sites) != len(items):
            raise ValueError(
                f"sites, as a list, needs one entry (a list of site indices) per structure: got "
                f"{len(sites)} entries for {len(items)} structures."
            )
        per_material = {m: s for (m, _), s in zip(items, sites)}
    wanted = None if absorbers is None else {str(a) for a in np.atleast_1d(absorbers)}
    plan = []
    for m, structure in items:
        choice = per_material[m]
        if isinstance(choice, str) and choice not in ("inequivalent", "all"):
            raise ValueError(
                f"material {m!r}: sites must be 'inequivalent', 'all' or indices, got {choice!r}."
            )
        groups = _symmetry_groups(structure, symprec)
        mult = {i: len(g) for g in groups for i in g}
        if isinstance(choice, str) and choice == "inequivalent":
            indices = sorted(g[0] for g in groups)
        elif isinstance(choice, str):
            indices = list(range(len(structure)))
        else:
            indices = [int(i) for i in np.atleast_1d(choice)]
            bad = [i for i in indices if not 0 <= i < len(structure)]
            if bad:
                raise ValueError(
                    f"material {m!r}: site index {bad[0]} is out of range for a structure of "
                    f"{len(structure)} sites."
                )
        for i in indices:
            el = _element_of(structure[i], f"material {m!r}")
            if wanted is None or el in wanted:
                plan.append((m, structure, i, el, mult.get(i, 1)))
    return plan


def _edge_energy(element, edge):

    try:
        return edge_energy(element, edge)
    except XASDataError:
        return np.nan


def _run_site(material_id, structure, index, element, multiplicity, params, workdir):
    """One site, in a worker; returns a record dict or an error string."""
    t0 = time.perf_counter()
    folder = None
    if workdir is not None:
        folder = Path(workdir) / material_id / "FEFF-EXAFS" / f"{index:03d}_{element}"
    edge = params["edge"] or default_edge(element, k_edge_max_z=params["k_edge_max_z"])
    try:
        k, chi, feff_seconds = _simulate(
            structure, index, edge=edge, rmax=params["rmax"],
            cluster_radius=params["cluster_radius"], nleg=params["nleg"],
            sigma2=params["sigma2"], s02=params["s02"], e0=params["e0"],
            temperature=params["temperature"], debye_temperature=params["debye_temperature"],
            k=params["k"],
            k_edge_max_z=params["k_edge_max_z"], workdir=folder, keep_files=folder is not None,
            timeout=params["timeout"],
        )
    except ImportError:
        raise
    except Exception as exc:  # FEFF's own failures, bad geometry: reported, run goes on
        kind = "" if isinstance(exc, FeffError) else f"{type(exc).__name__}: "
        return (
            f"material {material_id!r}, site {index} ({element} {edge}): {kind}{exc}"
        )
    return dict(
        material_id=material_id, absorbing_index=int(index), absorbing_element=element,
        edge=edge, spectrum_type="EXAFS", structure=structure, x=k, y=chi,
        multiplicity=int(multiplicity), source=str(folder) if folder is not None else "FEFF6L",
        edge_energy=_edge_energy(element, edge), feff_seconds=feff_seconds,
        site_seconds=time.perf_counter() - t0,
    )


def simulate_dataset(structures, *, sites="inequivalent", absorbers=None, material_ids=None,
                     edge=None, rmax=6.0, cluster_radius=None, nleg=4, sigma2=0.003, s02=1.0,
                     e0=0.0, temperature=None, debye_temperature=None, k=None,
                     k_edge_max_z=56, symprec=0.1, workdir=None, n_jobs=None,
                     progress=None, on_error="report", timeout=120):
    """Simulate EXAFS chi(k) for many sites with FEFF6L, in parallel.

    Each site is run by :func:`simulate_exafs`; the sites are spread over ``n_jobs``
    joblib workers (so ``with joblib.parallel_backend("dask"):`` runs them on a dask
    cluster). A site FEFF cannot compute is reported with FEFF's message and the run
    goes on.

    Parameters
    ----------
    structures : Structure, sequence of Structure, dict or XASDataset
        The structures. A dict maps material ids to structures; a data set (or its
        frame) contributes the first structure of each material.
    sites : {"inequivalent", "all"}, list or dict, default="inequivalent"
        ``"inequivalent"``: one site per group of symmetry-equivalent sites (the group's
        lowest index), with the group's size as ``multiplicity``. ``"all"``: every
        site. A list gives, per structure, the site indices to run (or one of those
        two words); a dict maps material ids to the same, materials it does not name
        getting ``"inequivalent"``.
    absorbers : str or list of str, optional
        Only simulate sites of these elements.
    material_ids : list of str, optional
        Ids of a sequence of structures (default ``"<reduced formula>-<position>"``).
    edge : {"K", "L1", "L2", "L3"} or None, default=None
        ``None``: K edge up to ``k_edge_max_z``, L3 above.
    rmax, cluster_radius, nleg, sigma2, s02, e0, k, k_edge_max_z, timeout
        Passed to :func:`simulate_exafs`.
    temperature, debye_temperature : float or None, default=None
        Passed to :func:`simulate_exafs`: per-path thermal sigma^2 from the correlated
        Debye model.
    symprec : float, default=0.1
        Symmetry tolerance (Angstrom) of the site analysis.
    workdir : path-like or None, default=None
        Keep FEFF's files in ``<workdir>/<material_id>/FEFF-EXAFS/<NNN>_<El>/``
        (Lightshow layout); ``None`` runs each site in a temporary folder.
    n_jobs : int or None, default=None
        Number of joblib workers (``None`` means 1 unless in a joblib context).
    progress : bool or None, default=None
        Show a progress bar (``None``: when stderr is a terminal and the run is long).
    on_error : {"report", "raise"}, default="report"
        ``"report"`` (alias ``"skip"``): failed sites are left out, listed in
        ``dataset.skipped`` and announced by a
        :class:`~sklearn_xas.exceptions.SkippedRecordsWarning`. ``"raise"``: the first
        failure raises :class:`FeffError`.

    Returns
    -------
    dataset : XASDataset
        One EXAFS row per simulated site (``x`` = k in 1/Angstrom, ``y`` = chi(k)),
        rows in input order; extra columns ``edge_energy`` (tabulated, eV, see
        :func:`sklearn_xas.preprocessing.edge_energy`), ``feff_seconds`` (FEFF6L's run
        time) and ``site_seconds`` (with input writing and the path sum).

    Raises
    ------
    FeffError
        With ``on_error="raise"``, at the first failed site.
    XASDataError
        If no site could be simulated (the message lists the failures).

    See Also
    --------
    simulate_exafs : one site.
    average_by_structure : multiplicity-weighted average spectra per material.
    sklearn_xas.datasets.write_feff_tree : write the result as a Lightshow-style tree.

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.simulate import simulate_dataset
    >>> nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"],
    ...                                  [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> data = simulate_dataset({"NaCl": nacl})
    >>> data.frame[["absorbing_element", "edge", "multiplicity"]]
      absorbing_element edge  multiplicity
    0                Na    K             4
    1                Cl    K             4
    """
    if on_error not in ("report", "skip", "raise"):
        raise ValueError(f"on_error must be 'report', 'skip' or 'raise', got {on_error!r}.")
    items = _as_structures(structures, material_ids)
    params = dict(edge=edge, rmax=float(rmax), cluster_radius=cluster_radius, nleg=int(nleg),
                  sigma2=float(sigma2), s02=float(s02), e0=float(e0),
                  temperature=temperature, debye_temperature=debye_temperature, k=_check_k(k),
                  k_edge_max_z=int(k_edge_max_z), timeout=timeout)
    plan = _site_plan(items, sites, absorbers, symprec)
    if not plan:
        raise XASDataError("No site to simulate (check `sites` and `absorbers`).")
    feff6l_executable()  # a missing xraylarch is an error before any work starts
    jobs = (delayed(_run_site)(m, s, i, el, mult, params, workdir) for m, s, i, el, mult in plan)
    results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    good, failed = [], []
    for res in _progress(results, enabled=progress, total=len(plan), desc="FEFF6L"):
        if isinstance(res, str):
            if on_error == "raise":
                raise FeffError(res)
            failed.append(res)
        else:
            good.append(res)
    if failed:
        warnings.warn(
            f"FEFF6L failed for {len(failed)} of {len(plan)} site(s); they are left out and "
            f"listed in dataset.skipped:{list_records(failed)}",
            SkippedRecordsWarning,
            stacklevel=2,
        )
    if not good:
        raise XASDataError(
            f"FEFF6L failed for every one of the {len(plan)} site(s):\n  " + "\n  ".join(failed)
        )
    frame = pd.DataFrame.from_records(good)
    return XASDataset(frame, skipped=failed, validate=False)


def average_by_structure(X):
    """Multiplicity-weighted average spectrum per material and absorbing element.

    With the inequivalent sites of a structure and their multiplicities (as
    :func:`simulate_dataset` gives them), the weighted mean over one element's sites
    is the spectrum a measurement of the whole material would see at that edge.

    Parameters
    ----------
    X : XASDataset or pandas.DataFrame
        Rows with ``multiplicity`` set; rows averaged together must share their
        ``x`` grid.

    Returns
    -------
    averages : pandas.DataFrame
        One row per (material_id, absorbing_element, edge, spectrum_type) with the
        columns ``structure``, ``x``, ``y`` (the weighted mean), ``n_sites`` (rows
        averaged), ``multiplicity`` (sum of weights) and ``coverage`` (that sum over
        the number of sites of the element in the structure; below 1 when sites are
        missing from ``X``).

    Raises
    ------
    XASDataError
        If a row lacks its multiplicity or grids differ within a group.

    Examples
    --------
    >>> import numpy as np
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.datasets import XASDataset
    >>> from sklearn_xas.simulate import average_by_structure
    >>> s = Structure(Lattice.cubic(4.0), ["Cu", "Cu", "O"],
    ...               [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5]])
    >>> k = np.linspace(0, 10, 5)
    >>> data = XASDataset.from_records([
    ...     dict(material_id="m", absorbing_index=i, absorbing_element="Cu", edge="K",
    ...          spectrum_type="EXAFS", structure=s, x=k, y=np.full(5, v), multiplicity=1)
    ...     for i, v in [(0, 1.0), (1, 3.0)]])
    >>> average_by_structure(data)[["absorbing_element", "n_sites", "coverage"]]
      absorbing_element  n_sites  coverage
    0                Cu        2       1.0
    >>> float(average_by_structure(data)["y"][0][0])
    2.0
    """

    frame = check_frame(X, ["material_id", "absorbing_element", "edge", "spectrum_type",
                         "structure", "x", "y", "multiplicity"], step="average_by_structure")
    frame = frame.reset_index(drop=True)  # index labels are row positions from here on
    rows = []
    keys = ["material_id", "absorbing_element", "edge", "spectrum_type"]
    for key, group in frame.groupby(keys, sort=False):
        positions = group.index
        weights = []
        for pos, m in zip(positions, group["multiplicity"]):
            if m is None or pd.isna(m) or int(m) < 1:
                raise XASDataError(
                    f"average_by_structure: {row_label(frame, pos)} has no multiplicity; "
                    "simulate with sites='inequivalent' or set the column."
                )
            weights.append(int(m))
        x0 = np.asarray(group["x"].iloc[0])
        for pos, x in zip(positions, group["x"]):
            if np.shape(x) != x0.shape or not np.allclose(x, x0):
                raise XASDataError(
                    f"average_by_structure: {row_label(frame, pos)} is on another x grid than "
                    "the first row of its material; interpolate onto one grid first."
                )
        w = np.asarray(weights, dtype=np.float64)
        y = np.average(np.vstack(group["y"].to_list()), axis=0, weights=w)
        structure = group["structure"].iloc[0]
        n_element = sum(1 for site in structure if key[1] in site_elements(site))
        rows.append(dict(zip(keys, key), structure=structure, x=x0.copy(), y=y,
                         n_sites=len(group), multiplicity=int(w.sum()),
                         coverage=float(w.sum() / n_element) if n_element else np.nan))
    return pd.DataFrame.from_records(rows)
