"""EXAFS chi(k) of one absorbing site with FEFF6L, the binary that xraylarch bundles.

The settings mirror those used for the project's shared FEFF6L benchmark set: a
cluster of every atom within ``rmax + 1`` Angstrom of the absorber (periodic images
included), one unique potential per element (ordered by Z), ``RMAX`` and ``NLEG``
cards for the path expansion, everything else FEFF6L's defaults; chi(k) is the sum
over FEFF's paths computed by :func:`larch.xafs.ff2chi` with one Debye-Waller factor
``sigma2`` for every path.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from ..utils import import_optional

#: FEFF's ``HOLE`` code of each supported edge.
HOLE_CODES = {"K": 1, "L1": 2, "L2": 3, "L3": 4}
#: FEFF6L's limit on unique scatterer potentials (ipot 1..7).
MAX_SCATTERER_POTENTIALS = 7
#: Closest absorber-neighbour distance (Angstrom) accepted; closer means overlapping sites.
MIN_DISTANCE = 0.1
#: The default k grid, 0 to 16 1/Angstrom in steps of 0.05 (321 points).
DEFAULT_K = np.round(np.arange(321) * 0.05, 10)


class FeffError(RuntimeError):
    """Raised when FEFF6L cannot compute a site; the message carries FEFF's own words."""


def default_edge(element, *, k_edge_max_z=56):
    """The edge simulated by default: K up to ``k_edge_max_z``, L3 above.

    Parameters
    ----------
    element : str or pymatgen Element
        The absorbing element.
    k_edge_max_z : int, default=56
        Largest atomic number that gets the K edge (56 is Ba; La and heavier get L3,
        whose energy stays below about 20 keV up to U).

    Returns
    -------
    edge : {"K", "L3"}

    Examples
    --------
    >>> from sklearn_xas.simulate import default_edge
    >>> default_edge("Cu"), default_edge("Pt")
    ('K', 'L3')
    """
    from pymatgen.core import Element

    z = Element(str(element)).Z
    return "K" if z <= k_edge_max_z else "L3"


def _element_of(site, label):
    if not site.is_ordered:
        raise ValueError(
            f"{label}: site {site} is disordered (partial occupancy); FEFF needs one element "
            "per site. Order the structure first (e.g. pymatgen's OrderDisorderedStructure"
            "Transformation)."
        )
    return site.specie.symbol if hasattr(site.specie, "symbol") else str(site.specie)


def _absorbing_site(structure, index, edge, k_edge_max_z, title):
    """``(label, index, element, edge)`` of a FEFF input's absorber, checked."""
    label = title or f"{structure.composition.reduced_formula} site {index}"
    index = int(index)
    if not 0 <= index < len(structure):
        raise ValueError(
            f"{label}: absorbing index {index} is out of range for a structure of "
            f"{len(structure)} sites."
        )
    element = _element_of(structure[index], label)
    edge = default_edge(element, k_edge_max_z=k_edge_max_z) if edge is None else str(edge)
    if edge not in HOLE_CODES:
        raise ValueError(f"{label}: edge must be one of {sorted(HOLE_CODES)}, got {edge!r}.")
    return label, index, element, edge


def _cluster(structure, index, radius, label):
    """(distance, element, xyz) of every atom within ``radius``, sorted by distance."""
    absorber = structure[index]
    atoms = [
        (nb.nn_distance, _element_of(nb, label), nb.coords - absorber.coords)
        for nb in structure.get_neighbors(absorber, radius)
    ]
    if not atoms:
        raise ValueError(
            f"{label}: no atom within {radius:g} A of the absorber; FEFF has nothing to "
            "scatter from."
        )
    atoms.sort(key=lambda a: (round(a[0], 5), a[1]))
    if atoms[0][0] < MIN_DISTANCE:
        raise ValueError(
            f"{label}: a {atoms[0][1]} atom sits {atoms[0][0]:.3g} A from the absorber; sites "
            "overlap. Check the structure (duplicate sites?)."
        )
    return atoms


def _atoms_card(element, atoms, ipot):
    """The ``ATOMS`` card (absorber at the origin, potential 0) and ``END``, as lines."""
    lines = [
        "",
        "ATOMS",
        "*   x          y          z      ipot  tag   distance",
        f"  {0.0:10.5f} {0.0:10.5f} {0.0:10.5f}  0  {element:<3s} {0.0:9.5f}",
    ]
    lines += [f"  {xyz[0]:10.5f} {xyz[1]:10.5f} {xyz[2]:10.5f}  {ipot[el]}  {el:<3s} {dist:9.5f}"
              for dist, el, xyz in atoms]
    return lines + ["END"]


def feff6_input(structure, index, *, edge=None, rmax=6.0, cluster_radius=None, nleg=4,
                k_edge_max_z=56, title=None):
    """Write the ``feff.inp`` text for FEFF6L for one absorbing site.

    The cluster holds the absorber at the origin (potential 0) and every atom within
    ``cluster_radius`` of it, periodic images included; unique potentials 1, 2, ... are
    one per element present in the cluster, ordered by atomic number (the absorber's
    element gets one too when it occurs as a scatterer).

    Parameters
    ----------
    structure : pymatgen.core.Structure
        An ordered, periodic structure.
    index : int
        0-based index of the absorbing site.
    edge : {"K", "L1", "L2", "L3"} or None, default=None
        ``None`` picks :func:`default_edge`.
    rmax : float, default=6.0
        Longest half path length FEFF considers (Angstrom), the ``RMAX`` card.
    cluster_radius : float or None, default=None
        Radius of the cluster of atoms (Angstrom); ``None`` means ``rmax + 1``.
    nleg : int, default=4
        Largest number of legs of a scattering path, the ``NLEG`` card.
    k_edge_max_z : int, default=56
        See :func:`default_edge`.
    title : str, optional
        The ``TITLE`` card.

    Returns
    -------
    text : str
        The content of ``feff.inp``.

    Raises
    ------
    ValueError
        If the index is out of range, the structure is disordered, the edge unknown,
        or the cluster needs more than 7 unique scatterer potentials.

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.simulate import feff6_input
    >>> nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"],
    ...                                  [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> text = feff6_input(nacl, 0)
    >>> print(text.splitlines()[1])
    HOLE 1 1.0
    """
    from pymatgen.core import Element

    label, index, element, edge = _absorbing_site(structure, index, edge, k_edge_max_z, title)
    if rmax <= 0:
        raise ValueError(f"rmax must be positive, got {rmax}.")
    radius = rmax + 1.0 if cluster_radius is None else float(cluster_radius)
    atoms = _cluster(structure, index, radius, label)
    scatterers = sorted({a[1] for a in atoms}, key=lambda el: Element(el).Z)
    if len(scatterers) > MAX_SCATTERER_POTENTIALS:
        raise ValueError(
            f"{label}: the cluster holds {len(scatterers)} elements ({', '.join(scatterers)}), "
            f"but FEFF6L allows at most {MAX_SCATTERER_POTENTIALS} unique scatterer potentials."
        )
    ipot = {el: i + 1 for i, el in enumerate(scatterers)}
    lines = [
        f"TITLE {title or label} {element} {edge}-edge",
        f"HOLE {HOLE_CODES[edge]} 1.0",
        "CONTROL 1 1 1 1",
        "PRINT 0 0 0 0",
        f"RMAX {float(rmax):.4f}",
        f"NLEG {int(nleg)}",
        "",
        "POTENTIALS",
        "*  ipot   Z  tag",
        f"   0  {Element(element).Z:4d}  {element}",
    ]
    lines += [f"   {ipot[el]}  {Element(el).Z:4d}  {el}" for el in scatterers]
    return "\n".join(lines + _atoms_card(element, atoms, ipot)) + "\n"


def feff6l_executable():
    """Path of the FEFF6L binary bundled with xraylarch.

    Raises
    ------
    MissingOptionalDependencyError
        If xraylarch is not installed.
    FeffError
        If xraylarch is installed but holds no FEFF6L binary for this platform.
    """
    runner = import_optional("larch.xafs.feffrunner", extra="simulate", purpose="FEFF6L")
    exe = runner.find_exe("feff6l")
    if exe is None:
        raise FeffError(
            "xraylarch is installed but its bundled feff6l binary was not found for this "
            "platform (looked in larch/bin/<platform>/)."
        )
    return str(exe)


_FLAGS = ("warning", "error", "fatal", "at line")


def _feff_message(output, limit=6):
    """FEFF's warnings and errors (each once), and the step it was at, from its output."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    flagged, stage, failed = [], None, False
    for ln in lines:
        low = ln.lower()
        if any(f in low for f in _FLAGS):
            failed = failed or "warning" not in low
            if ln not in flagged:
                flagged.append(ln)
        elif not failed:
            stage = ln
    if not flagged:
        return " | ".join(lines[-limit:]) if lines else "(no output)"
    where = f" [last step: {stage}]" if stage else ""
    return " | ".join(flagged[:limit]) + where


def run_feff6l(folder, *, timeout=120):
    """Run FEFF6L on ``folder/feff.inp``; return the paths of the ``feffNNNN.dat`` files.

    Parameters
    ----------
    folder : path-like
        Folder holding ``feff.inp``; FEFF writes its files there.
    timeout : float, default=120
        Seconds before the run is stopped.

    Returns
    -------
    paths : list of pathlib.Path
        The path files FEFF wrote, in order.

    Raises
    ------
    FeffError
        If FEFF exits with an error, times out or writes no path file; the message
        quotes FEFF's output.
    """
    folder = Path(folder)
    exe = feff6l_executable()
    try:
        proc = subprocess.run(
            [exe], cwd=folder, capture_output=True, text=True, errors="replace",
            timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise FeffError(f"FEFF6L did not finish within {timeout:g} s.") from exc
    output = (proc.stdout or "") + "\n" + (proc.stderr or "")
    paths = sorted(folder.glob("feff[0-9][0-9][0-9][0-9].dat"))
    failed = proc.returncode != 0 or "fatal error" in output.lower()
    if failed or not paths:
        why = f"exit code {proc.returncode}" if proc.returncode else "no path file written"
        raise FeffError(f"FEFF6L failed ({why}): {_feff_message(output)}")
    return paths


def chi_from_paths(paths, k, *, sigma2=0.003, s02=1.0, e0=0.0, temperature=None,
                   debye_temperature=None):
    """Sum chi(k) over FEFF path files with xraylarch.

    Parameters
    ----------
    paths : list of path-like
        ``feffNNNN.dat`` files.
    k : array-like of shape (n_points,)
        Uniform k grid in 1/Angstrom starting at 0 (larch's convention).
    sigma2 : float, default=0.003
        Debye-Waller factor (Angstrom^2) of every path; with ``temperature`` and
        ``debye_temperature`` the static part added to each path's thermal one.
    s02 : float, default=1.0
        Amplitude reduction factor.
    e0 : float, default=0.0
        Energy shift (eV).
    temperature, debye_temperature : float or None, default=None
        Sample and Debye temperature (K). Given both, each path also gets the thermal
        sigma^2 of the correlated Debye model (larch's ``sigma2_debye``, from the
        path's geometry and atomic masses).

    Returns
    -------
    chi : ndarray of shape (n_points,)
    """
    xafs = import_optional("larch.xafs", extra="simulate", purpose="summing FEFF paths")
    k = np.asarray(k, dtype=np.float64)
    # larch encodes path labels with sys.stdout.encoding, which is None where stdout is
    # replaced (doctest, some notebooks and job runners), and prints its warnings: give
    # it a real, captured text stream.
    captured = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with contextlib.redirect_stdout(captured):
        groups = [
            xafs.feffpath(str(p), s02=s02, e0=e0, sigma2=sigma2, deltar=0.0) for p in paths
        ]
        if (temperature is None) != (debye_temperature is None):
            raise ValueError("Give both temperature and debye_temperature, or neither.")
        if temperature is not None:
            for g in groups:
                g.sigma2 = sigma2 + float(
                    xafs.sigma2_debye(float(temperature), float(debye_temperature), g)
                )
        try:
            out = xafs.ff2chi(groups, k=k)
        except (TypeError, AttributeError, IndexError):
            out = None  # larch leaves a path it cannot compute empty
        captured.flush()
    if out is None or getattr(out, "chi", None) is None:
        said = captured.buffer.getvalue().decode("utf-8", "replace").strip()
        raise FeffError(
            "xraylarch could not sum FEFF's paths"
            + (f" ({' | '.join(sorted(set(said.splitlines())))})" if said else "")
            + ": are two atoms almost on top of each other?"
        )
    chi = np.asarray(out.chi, dtype=np.float64)
    kk = np.asarray(out.k, dtype=np.float64)
    if kk.shape != k.shape or not np.allclose(kk, k):
        chi = np.interp(k, kk, chi)
    return chi


def _check_k(k):
    k = DEFAULT_K if k is None else np.asarray(k, dtype=np.float64)
    if k.ndim != 1 or k.size < 2 or np.any(np.diff(k) <= 0) or k[0] < 0:
        raise ValueError("k must be a 1-D, strictly increasing grid of k >= 0 (1/Angstrom).")
    return k


def simulate_exafs(structure, index, *, edge=None, rmax=6.0, cluster_radius=None, nleg=4,
                   sigma2=0.003, s02=1.0, e0=0.0, temperature=None, debye_temperature=None,
                   k=None, k_edge_max_z=56, workdir=None, keep_files=False, timeout=120):
    """Simulate the EXAFS chi(k) of one absorbing site with FEFF6L.

    Writes ``feff.inp`` (see :func:`feff6_input`), runs the FEFF6L binary that
    xraylarch bundles, and sums chi(k) over FEFF's scattering paths with
    :func:`larch.xafs.ff2chi`. Path-expansion chi(k) is not meaningful near the edge:
    use k above about 2.5-3 1/Angstrom for anything physical.

    Parameters
    ----------
    structure : pymatgen.core.Structure
        An ordered, periodic structure.
    index : int
        0-based index of the absorbing site.
    edge : {"K", "L1", "L2", "L3"} or None, default=None
        ``None``: K edge up to ``k_edge_max_z``, L3 above (see :func:`default_edge`).
    rmax : float, default=6.0
        Longest half path length (Angstrom).
    cluster_radius : float or None, default=None
        Radius of the cluster (Angstrom); ``None`` means ``rmax + 1``.
    nleg : int, default=4
        Largest number of legs of a path.
    sigma2 : float, default=0.003
        Debye-Waller factor (Angstrom^2), the same for every path (with
        ``temperature``: the static part added to each path's thermal one).
    s02 : float, default=1.0
        Amplitude reduction factor S0^2.
    e0 : float, default=0.0
        Energy shift (eV).
    temperature, debye_temperature : float or None, default=None
        Sample and Debye temperature (K): each path gets its own thermal sigma^2 from
        the correlated Debye model (see :func:`chi_from_paths`).
    k : array-like or None, default=None
        Uniform k grid starting at 0 (1/Angstrom); ``None`` means 0 to 16 in steps
        of 0.05 (:data:`DEFAULT_K`).
    k_edge_max_z : int, default=56
        Largest atomic number simulated at the K edge when ``edge=None``.
    workdir : path-like or None, default=None
        Folder to run FEFF in (created if needed). ``None`` uses a temporary folder
        that is removed afterwards.
    keep_files : bool, default=False
        Keep FEFF's input and output files in ``workdir`` (ignored without ``workdir``).
    timeout : float, default=120
        Seconds before a FEFF run is stopped.

    Returns
    -------
    k : ndarray of shape (n_points,)
        The k grid (1/Angstrom).
    chi : ndarray of shape (n_points,)
        chi(k), unweighted.

    Raises
    ------
    FeffError
        If FEFF6L fails for this site (the message quotes FEFF).
    ValueError
        If the site cannot be written as a FEFF input (see :func:`feff6_input`).
    MissingOptionalDependencyError
        If xraylarch is not installed (``pip install 'sklearn-xas[simulate]'``).

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.simulate import simulate_exafs
    >>> nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"],
    ...                                  [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> k, chi = simulate_exafs(nacl, 0)
    >>> k.shape, chi.shape
    ((321,), (321,))
    >>> # the first shell (6 Cl at 2.82 A) gives the largest peak of |FT[k^2 chi]|,
    >>> # shifted down by the scattering phase
    >>> import numpy as np
    >>> sel = (k >= 3) & (k <= 14)
    >>> ft = np.abs(np.fft.rfft((chi * k**2)[sel] * np.hanning(sel.sum()), 2048))
    >>> r = np.pi * np.arange(ft.size) / (2048 * 0.05)
    >>> bool(2.82 - 0.6 < r[np.argmax(ft)] < 2.82 - 0.2)
    True
    """
    k, chi, _ = _simulate(structure, index, edge=edge, rmax=rmax,
                          cluster_radius=cluster_radius, nleg=nleg, sigma2=sigma2, s02=s02,
                          e0=e0, temperature=temperature,
                          debye_temperature=debye_temperature, k=k,
                          k_edge_max_z=k_edge_max_z, workdir=workdir,
                          keep_files=keep_files, timeout=timeout)
    return k, chi


def _simulate(structure, index, *, edge, rmax, cluster_radius, nleg, sigma2, s02, e0, k,
              k_edge_max_z, workdir, keep_files, timeout, temperature=None,
              debye_temperature=None):
    """:func:`simulate_exafs`, also returning the seconds FEFF6L itself took."""
    k = _check_k(k)
    text = feff6_input(structure, index, edge=edge, rmax=rmax, cluster_radius=cluster_radius,
                       nleg=nleg, k_edge_max_z=k_edge_max_z)
    feff6l_executable()  # fail early with the extra's name when larch is missing
    if workdir is None:
        folder = Path(tempfile.mkdtemp(prefix="sklearn_xas_feff_"))
        remove_folder, keep = True, False
    else:
        folder = Path(workdir)
        remove_folder = False
        folder.mkdir(parents=True, exist_ok=True)
        keep = bool(keep_files)
    try:
        (folder / "feff.inp").write_text(text)
        t0 = time.perf_counter()
        paths = run_feff6l(folder, timeout=timeout)
        feff_seconds = time.perf_counter() - t0
        chi = chi_from_paths(paths, k, sigma2=sigma2, s02=s02, e0=e0, temperature=temperature,
                             debye_temperature=debye_temperature)
    finally:
        if remove_folder:
            shutil.rmtree(folder, ignore_errors=True)
        elif not keep:
            _clean_feff_files(folder)
    if not np.all(np.isfinite(chi)):
        raise FeffError("FEFF6L's paths gave a non-finite chi(k).")
    return k.copy(), chi, feff_seconds


_FEFF6_OUTPUTS = ("feff.inp", "feff.run", "files.dat", "nstar.dat", "paths.dat", "phase.bin",
                  "phase.pad", "chi.dat", "xmu.dat", "misc.dat", "potph.dat", "geom.dat")


def _clean_feff_files(folder):
    for name in _FEFF6_OUTPUTS:
        (folder / name).unlink(missing_ok=True)
    for p in folder.glob("feff[0-9][0-9][0-9][0-9].dat"):
        p.unlink(missing_ok=True)

