"""XANES of absorbing sites with FEFF10 through feff10-rs. Based on FEFF10.

FEFF10 (the Rehr group's real-space multiple-scattering code) is driven through
`feff10-rs <https://github.com/Ameyanagi/feff10-rs>`_, a Rust port with Python
bindings (``pip install 'sklearn-xas[xanes]'``); this module is based on FEFF10, as
FEFF10's licence asks derived work to say. The inputs follow the Materials Project's
``MPXANESSet`` (EXCHANGE 0 0.0 0.0 2, S02 0, CONTROL 1 1 1 1 1 1, no path expansion,
one unique potential per element) without its ``LDOS`` card, which ``xmu.dat`` does
not need; the radii, core hole and energy grid are parameters whose defaults were
chosen by measurement.

The defaults (SCF 3 A, FMS 4 A, RPA core hole, 138 energy points) were chosen by
``benchmarks/validate_feff10.py``: 50 Cu K sites of 50 materials of OmniXAS's training
list, recomputed and compared with their FEFF 9.9.1 spectra (RPA, SCF 7 A, FMS 9 A,
which cost FEFF10 about 2,400 s a site) on OmniXAS's grid and scale. With the
defaults, 49 of 50 sites ran, with median per-spectrum correlation 0.992 (10th
percentile 0.984), median MSE 0.0024 (the sample's mean spectrum scores 0.0105) and
median 12.5 CPU seconds a site (90th percentile 21). FMS 4.5 A reached 0.995 and
0.0016 at twice the cost; the final-state rule (``core_hole="FSR"``) was about 20 %
cheaper but further from FEFF 9 (0.977, MSE 0.0106) and failed on 4 of 50 sites.
The grid was validated from k = -1 (12 eV below FEFF's edge, enough for Cu K); it
starts at k = -2 (about 27 eV below) because on the bundled prototype crystals the
L3 edges of the 5d elements (and a few heavy K edges) had already risen half-way by
k = -1 (mu 0.30 on average at the first point, 0.07 for K edges), which left
edge-step normalisation without a pre-edge; k = -2 brings that to 0.07 (K edges:
0.03) for 20 % more points (138; 4-6 CPU s for a W or Re metal site).

Each site runs in its own Python process (which starts feff10-rs's own per-stage
workers) in a new process group, so a wall-clock ``timeout`` stops a diverging
self-consistent field for certain: the whole group is killed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from .._core import XASDataset, list_records
from ..datasets._feff import _read_spectrum, format_poscar
from ..exceptions import SkippedRecordsWarning, XASDataError
from ..utils import import_optional
from ..utils import progress as _progress
from ._batch import _as_structures, _site_plan
from ._feff6 import (
    FeffError,
    _absorbing_site,
    _atoms_card,
    _cluster,
    default_edge,
)

# The defaults: see the module docstring and benchmarks/validate_feff10.py.
#: Radius (Angstrom) of the self-consistent-field cluster, the ``SCF`` card.
DEFAULT_SCF_RADIUS = 3.0
#: Radius (Angstrom) of the full-multiple-scattering cluster, the ``FMS`` card.
DEFAULT_FMS_RADIUS = 4.0
#: Core-hole treatment, the ``COREHOLE`` card: screened by FEFF's random-phase
#: approximation (``"RPA"``, as OmniXAS's FEFF 9 data), final-state rule (``"FSR"``) or
#: none (``"NONE"``).
DEFAULT_CORE_HOLE = "RPA"
#: Energy grid, in FEFF's k (1/Angstrom, negative below the Fermi level): ``k_min`` to 0
#: and 0 to ``k_max``, both in steps of ``k_step`` (the ``EGRID`` card).
DEFAULT_K_GRID = (-2.0, 3.6, 0.04)
#: Seconds before a site's FEFF10 run is stopped.
DEFAULT_TIMEOUT = 300.0
#: Core-hole treatments accepted by :func:`feff10_input`.
CORE_HOLES = ("RPA", "FSR", "NONE")
#: FEFF10's limit on unique potentials (ipot 0..31; FEFF10 itself says so beyond).
MAX_POTENTIALS = 32

_CARD_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_RESERVED_CARDS = ("TITLE", "POTENTIALS", "ATOMS", "END")
_XMU = "xmu.dat"
_INPUT = "feff.inp"
_ERRORS_DIR = "FEFF-XANES-errors"


def _check_radius(name, value, *, allow_none=False):
    if value is None and allow_none:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}.") from None
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}.")
    return value


def _check_k_grid(k_grid):
    try:
        k_min, k_max, k_step = (float(v) for v in k_grid)
    except (TypeError, ValueError):
        raise ValueError(
            f"k_grid must be (k_min, k_max, k_step) in 1/Angstrom, got {k_grid!r}."
        ) from None
    if not (k_min < 0 < k_max) or not 0 < k_step < min(-k_min, k_max):
        raise ValueError(
            f"k_grid must satisfy k_min < 0 < k_max and 0 < k_step < |k_min|, k_max; got "
            f"{k_grid!r}."
        )
    return k_min, k_max, k_step


def _check_cards(cards):
    if cards is None:
        return {}
    if not isinstance(cards, Mapping):
        raise TypeError(f"cards must be a dict of card name to value, got {type(cards).__name__}.")
    out = {}
    for name, value in cards.items():
        key = str(name).strip().upper()
        if not _CARD_NAME.match(key) or key in _RESERVED_CARDS:
            raise ValueError(
                f"cards: {name!r} is not a card that can be set here (the structure writes "
                f"{', '.join(_RESERVED_CARDS)} itself)."
            )
        out[key] = None if value is None else str(value)
    return out


def _default_cluster(structure, index, fms_radius, scf_radius, label):
    """The cluster of :func:`feff10_input`'s default radius (see ``cluster_radius``)."""
    if scf_radius is None:
        return _cluster(structure, index, fms_radius, label)
    radius = max(fms_radius, scf_radius)
    cap = fms_radius + 2 * scf_radius
    while True:
        atoms = _cluster(structure, index, radius, label)
        nearest = {}
        for dist, el, _ in atoms:
            nearest.setdefault(el, dist)  # atoms are sorted by distance
        need = min(max(nearest.values()) + scf_radius, cap)
        if need <= radius + 1e-6:
            return atoms
        radius = need


def feff10_input(structure, index, *, edge=None, scf_radius=DEFAULT_SCF_RADIUS,
                 fms_radius=DEFAULT_FMS_RADIUS, cluster_radius=None,
                 core_hole=DEFAULT_CORE_HOLE, k_grid=DEFAULT_K_GRID, cards=None,
                 k_edge_max_z=56, title=None):
    """Write the ``feff.inp`` text for a FEFF10 XANES calculation of one site.

    The cards are those of the Materials Project's ``MPXANESSet`` without ``LDOS``:
    ``EDGE``, ``S02 0`` (FEFF estimates S0^2), ``COREHOLE``, ``CONTROL 1 1 1 1 1 1``,
    ``PRINT 1 0 0 0 0 0``, ``EXCHANGE 0 0.0 0.0 2`` (Hedin-Lundqvist), ``SCF``, ``FMS``,
    ``RPATH -1`` (no path expansion beyond the FMS cluster), ``XANES`` and an ``EGRID``
    grid. The cluster holds the absorber at the origin (potential 0) and every atom
    within ``cluster_radius``, periodic images included; potentials 1, 2, ... are one
    per element present in the cluster, ordered by atomic number, each with the
    element's count in the cell as its stoichiometry.

    Parameters
    ----------
    structure : pymatgen.core.Structure
        An ordered, periodic structure.
    index : int
        0-based index of the absorbing site.
    edge : {"K", "L1", "L2", "L3"} or None, default=None
        ``None`` picks :func:`default_edge`.
    scf_radius : float or None, default=3.0
        Radius (Angstrom) of the self-consistent-field cluster (the ``SCF`` card, at
        most 30 iterations, convergence factor 0.2). ``None`` writes no ``SCF`` card:
        overlapped atomic potentials, cheaper, but the edge lands several eV off (5.6
        eV on two Cu sites).
    fms_radius : float, default=4.0
        Radius (Angstrom) of the full-multiple-scattering cluster (the ``FMS`` card).
        The dearest setting: FEFF10's SCF loop also works on the FMS cluster, so the
        cost grows about as the cube of the number of atoms inside it (for one Cu site,
        5 A cost 3 times and 6 A 9 times what 4 A did).
    cluster_radius : float or None, default=None
        Radius of the cluster of atoms written to ``ATOMS``. ``None`` makes it large
        enough that the atom FEFF takes to represent each unique potential (the one
        of that element nearest the absorber) has its whole SCF sphere of neighbours
        in the cluster: the smallest radius, from ``max(fms_radius, scf_radius)`` up,
        that holds every element's nearest atom plus ``scf_radius``, at most
        ``fms_radius + 2 * scf_radius`` (``fms_radius`` without SCF). A cluster cut at
        the FMS radius made FEFF's SCF fail ("bad counts", "could not integrate enough
        charge") on 8 of 50 Cu sites with the FSR core hole.
    core_hole : {"RPA", "FSR", "NONE"}, default="RPA"
        The ``COREHOLE`` card: the core hole screened in the random-phase
        approximation (as OmniXAS's and Lightshow's FEFF 9 data), the final-state rule
        (a little cheaper, further from those data) or none.
    k_grid : (float, float, float), default=(-2.0, 3.6, 0.04)
        ``(k_min, k_max, k_step)`` of the energy grid in FEFF's k (1/Angstrom, k < 0
        below the Fermi level): written as ``EGRID`` with ``k_grid k_min 0 k_step`` and
        ``k_grid 0 k_max k_step``. The default spans about -27 to +38 eV around
        FEFF's edge (138 points): OmniXAS's Cu K window (-11 to +24 eV) with margin,
        and the pre-edge of the broad L3 edges of heavy elements.
    cards : dict, optional
        Further cards, or replacements of the ones above: ``{"EXCHANGE": "0 0.0 -0.5 2",
        "SCF": "3.0 0 30 0.1 3"}``; a value of ``None`` removes a card. ``TITLE``,
        ``POTENTIALS``, ``ATOMS`` and ``END`` are written from the structure.
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
        If the index is out of range, the structure is disordered, the edge, core hole
        or a radius is invalid, sites overlap, or the cluster needs more than 32
        unique potentials.

    See Also
    --------
    simulate_xanes : run it.
    feff6_input : the FEFF6L EXAFS input.

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.simulate import feff10_input
    >>> mgo = Structure.from_spacegroup("Fm-3m", Lattice.cubic(4.21), ["Mg", "O"],
    ...                                 [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> text = feff10_input(mgo, 0, scf_radius=2.5, fms_radius=3.0)
    >>> [line for line in text.splitlines() if line.startswith(("EDGE", "SCF", "FMS"))]
    ['EDGE K', 'SCF 2.5 0 30 0.2 1', 'FMS 3 0']
    >>> for line in text[text.index("POTENTIALS"):].splitlines()[2:4]:
    ...     print(line)
       0    12  Mg   -1  -1  0.0001
       1     8  O    -1  -1  4
    """
    from pymatgen.core import Element

    label, index, element, edge = _absorbing_site(structure, index, edge, k_edge_max_z, title)
    hole = str(core_hole).upper()
    if hole not in CORE_HOLES:
        raise ValueError(f"core_hole must be one of {CORE_HOLES}, got {core_hole!r}.")
    scf_radius = _check_radius("scf_radius", scf_radius, allow_none=True)
    fms_radius = _check_radius("fms_radius", fms_radius)
    k_min, k_max, k_step = _check_k_grid(k_grid)
    extra = _check_cards(cards)
    if cluster_radius is None:
        atoms = _default_cluster(structure, index, fms_radius, scf_radius, label)
    else:
        atoms = _cluster(structure, index, _check_radius("cluster_radius", cluster_radius),
                         label)
    scatterers = sorted({a[1] for a in atoms}, key=lambda el: Element(el).Z)
    if len(scatterers) + 1 > MAX_POTENTIALS:
        raise ValueError(
            f"{label}: the cluster holds {len(scatterers)} elements ({', '.join(scatterers)}); "
            f"with the absorber that needs {len(scatterers) + 1} unique potentials, but FEFF10 "
            f"allows at most {MAX_POTENTIALS}."
        )
    ipot = {el: i + 1 for i, el in enumerate(scatterers)}
    amounts = structure.composition.element_composition

    card_values = {
        "EDGE": edge,
        "S02": "0",
        "COREHOLE": hole,
        "CONTROL": "1 1 1 1 1 1",
        "PRINT": "1 0 0 0 0 0",
        "EXCHANGE": "0 0.0 0.0 2",
        "SCF": None if scf_radius is None else f"{scf_radius:g} 0 30 0.2 1",
        "FMS": f"{fms_radius:g} 0",
        "RPATH": "-1",
        "XANES": f"{k_max:g} {k_step:g} 0.1",
        "EGRID": f"\nk_grid {k_min:g} 0 {k_step:g}\nk_grid 0 {k_max:g} {k_step:g}",
    }
    card_values.update(extra)
    lines = [f"TITLE {title or label} {element} {edge}-edge XANES"]
    for name, value in card_values.items():
        if value is not None:
            value = value.strip(" ")
            lines.append(f"{name}{'' if value.startswith(chr(10)) else ' '}{value}".rstrip())
    lines += [
        "",
        "POTENTIALS",
        "*  ipot   Z  tag  lmax1 lmax2  stoichiometry",
        f"   0  {Element(element).Z:4d}  {element:<3s}  -1  -1  0.0001",
    ]
    lines += [
        f"   {ipot[el]}  {Element(el).Z:4d}  {el:<3s}  -1  -1  {amounts[el]:g}"
        for el in scatterers
    ]
    return "\n".join(lines + _atoms_card(element, atoms, ipot)) + "\n"


# ----------------------------------------------------------------------------- running
#: What the per-site process runs: one FEFF10 pipeline, its CPU time, errors marked.
_RUNNER = r"""
import json, sys, time
import feff10
try:
    import resource
except ImportError:  # not on Windows: no CPU time
    resource = None
folder = sys.argv[1]
t0 = time.perf_counter()
try:
    inp = feff10.FeffInput.from_file(folder + "/feff.inp")
    feff10.FeffPipeline(feff10.FeffConfig(folder, inp)).run()
except feff10.FeffError as exc:
    print("\n@@FEFF10-ERROR@@ " + json.dumps([type(exc).__name__, str(exc)]), file=sys.stderr,
          flush=True)
    sys.exit(3)
ru = resource and resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = ru.ru_utime + ru.ru_stime if ru else float("nan")
print("\n@@FEFF10-DONE@@ %r %r" % (time.perf_counter() - t0, cpu), flush=True)
"""
_ERROR_MARK = re.compile(r"^@@FEFF10-ERROR@@ (.*)$", re.MULTILINE)
_DONE_MARK = re.compile(r"^@@FEFF10-DONE@@ (\S+) (\S+)$", re.MULTILINE)
#: feff10-rs's crash marker (``.feff.error``), wrapped at 80 columns; not FEFF's words.
_CRASH_MARKER = re.compile(
    r"StartingFEFF9module(\w+)\.Ifthismessageisstillhereafterthemodulefinishesrunning,"
    r"itmusthavecrashed\.Thecontentofthisfileiswipedonsuccessfultermination\."
)
#: FEFF's progress lines, skipped when quoting its last words.
_NOISE = re.compile(
    r"^(point #|Energy point|SCF ITERATION NUMBER|Running SCF|FMS for a cluster|@@FEFF10)"
)


def feff10_available():
    """Whether feff10-rs is installed (``pip install 'sklearn-xas[xanes]'``).

    Returns
    -------
    available : bool

    Examples
    --------
    >>> from sklearn_xas.simulate import feff10_available
    >>> isinstance(feff10_available(), bool)
    True
    """
    import importlib.util

    return importlib.util.find_spec("feff10") is not None


def _require_feff10():
    import_optional("feff10", extra="xanes", purpose="XANES with FEFF10")


def _kill_group(proc):
    """Kill the per-site process and every FEFF10 stage worker it started."""
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows: kill the process tree
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)],
                           capture_output=True, check=False)
    except (ProcessLookupError, PermissionError):
        pass
    proc.kill()


def _last_words(output, limit=5):
    """FEFF's last ``limit`` meaningful lines of output, joined by ' | '."""
    lines = []
    for ln in output.splitlines():
        ln = " ".join(ln.split())
        if ln and not _NOISE.match(ln):
            lines.append(ln)
    return " | ".join(lines[-limit:]) if lines else "(no output)"


def _pipeline_error(kind, message):
    """feff10-rs's exception text without its crash-marker boilerplate."""
    head, sep, tail = message.partition(".feff.error:")
    text = " ".join(head.split()).rstrip(":")
    if sep and not _CRASH_MARKER.fullmatch("".join(tail.split())):
        text += " (.feff.error: " + " ".join(tail.split()) + ")"
    return f"{kind}: {text}" if text else kind


def run_feff10(folder, *, timeout=DEFAULT_TIMEOUT):
    """Run FEFF10 on ``folder/feff.inp`` in a process of its own; return the timings.

    A fresh Python process (in a new process group on POSIX) runs feff10-rs's
    pipeline, whose stages run in workers of their own; on timeout the whole group is
    killed, so nothing keeps computing.

    Parameters
    ----------
    folder : path-like
        Folder holding ``feff.inp``; FEFF writes its files there.
    timeout : float, default=300
        Wall-clock seconds before the run is stopped.

    Returns
    -------
    seconds : float
        Wall-clock seconds of FEFF10's pipeline.
    cpu_seconds : float
        CPU seconds its stage workers used.

    Raises
    ------
    FeffError
        If FEFF10 fails, times out or writes no ``xmu.dat``; the message quotes FEFF.
    MissingOptionalDependencyError
        If feff10-rs is not installed.
    """
    _require_feff10()
    folder = Path(folder)
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1")
    kwargs = {"start_new_session": True} if os.name == "posix" else {}
    proc = subprocess.Popen(
        [sys.executable, "-c", _RUNNER, str(folder)], cwd=folder, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace", **kwargs,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, _ = proc.communicate()
        said = _last_words(out or "", limit=2)
        raise FeffError(
            f"FEFF10 did not finish within {timeout:g} s and was stopped"
            + ("." if said == "(no output)" else f" (last output: {said}).")
        ) from None
    out, err = out or "", err or ""
    error = _ERROR_MARK.search(err)
    if error or proc.returncode != 0:
        if error:
            try:
                why = _pipeline_error(*json.loads(error.group(1)))
            except (ValueError, TypeError):
                why = error.group(1)
        else:
            why = f"exit code {proc.returncode}"
            out = out + "\n" + err
        raise FeffError(f"FEFF10 failed ({why}); FEFF said: {_last_words(out)}")
    if not (folder / _XMU).is_file():
        raise FeffError(f"FEFF10 wrote no xmu.dat; FEFF said: {_last_words(out)}")
    done = _DONE_MARK.search(out)
    seconds, cpu = (float(done.group(1)), float(done.group(2))) if done else (np.nan, np.nan)
    return seconds, cpu


def _read_xmu(path):
    """(energy, mu, info) of a FEFF xmu.dat, read as :func:`load_feff_tree` reads it."""
    try:
        energy, mu, header = _read_spectrum(str(path), "XANES")
    except XASDataError as exc:
        raise FeffError(f"FEFF10's xmu.dat is unusable: {exc}") from exc
    table = np.loadtxt(path, comments="#", ndmin=2)
    info = {"xsedge_norm": float(header.get("xsedge_norm", np.nan))}
    if table.shape[1] >= 6:
        for col, name in zip((1, 2, 4, 5), ("e", "k", "mu0", "chi")):
            info[name] = table[:, col].copy()
    return energy, mu, info


def _run_text(text, *, timeout, keep_in=None, keep_files=False):
    """Run one ``feff.inp`` text in a temporary folder.

    Returns (energy, mu, info, xmu_text); ``keep_in`` receives ``feff.inp`` and
    ``xmu.dat`` (all of FEFF's files with ``keep_files``).
    """
    scratch = Path(tempfile.mkdtemp(prefix="sklearn_xas_feff10_"))
    try:
        (scratch / _INPUT).write_text(text)
        seconds, cpu = run_feff10(scratch, timeout=timeout)
        energy, mu, info = _read_xmu(scratch / _XMU)
        xmu_text = (scratch / _XMU).read_text()
        if keep_in is not None:
            folder = Path(keep_in)
            folder.mkdir(parents=True, exist_ok=True)
            names = sorted(p.name for p in scratch.iterdir()) if keep_files else [_INPUT, _XMU]
            for name in names:
                if (scratch / name).is_file():
                    shutil.copy2(scratch / name, folder / name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    info["feff_seconds"] = seconds
    info["feff_cpu_seconds"] = cpu
    return energy, mu, info, xmu_text


#: FEFF's message when its self-consistent potentials do not converge (the occupation
#: counts oscillate); :func:`simulate_xanes` then retries with gentler mixing.
_SCF_FAILURE = "Bad counts found repeatedly"
#: The retry's SCF card after the radius: 30 iterations, mixing 0.05 (the default
#: 0.2), 3 Broyden-mixing iterations (the default 1).
SCF_RETRY_CARD = "0 30 0.05 3"


def _input_texts(structure, index, *, scf_retry, title=None, **card_params):
    """``feff.inp`` for the site and, where it applies, the SCF retry's."""
    text = feff10_input(structure, index, title=title, **card_params)
    cards = dict(card_params.get("cards") or {})
    radius = card_params.get("scf_radius", DEFAULT_SCF_RADIUS)
    if not scf_retry or radius is None or any(str(k).upper() == "SCF" for k in cards):
        return [text]
    cards["SCF"] = f"{radius:g} {SCF_RETRY_CARD}"
    return [text, feff10_input(structure, index, title=title, **{**card_params,
                                                                   "cards": cards})]


def _run_texts(texts, *, timeout, **options):
    """Run the first input; when FEFF's SCF fails to converge, the next one.

    Returns ``(energy, mu, info, xmu_text, text)``, ``text`` being the input that ran;
    ``info["scf_retry"]`` says whether it was the retry.
    """
    for attempt, text in enumerate(texts):
        try:
            energy, mu, info, xmu_text = _run_text(text, timeout=timeout, **options)
        except FeffError as exc:
            if attempt == len(texts) - 1 or _SCF_FAILURE not in str(exc):
                raise
            continue
        info["scf_retry"] = attempt > 0
        return energy, mu, info, xmu_text, text


def simulate_xanes(structure, index, *, edge=None, scf_radius=DEFAULT_SCF_RADIUS,
                   fms_radius=DEFAULT_FMS_RADIUS, cluster_radius=None,
                   core_hole=DEFAULT_CORE_HOLE, k_grid=DEFAULT_K_GRID, cards=None,
                   k_edge_max_z=56, scf_retry=True, workdir=None, keep_files=False,
                   timeout=DEFAULT_TIMEOUT):
    """Simulate the XANES mu(E) of one absorbing site with FEFF10. Based on FEFF10.

    Writes ``feff.inp`` (see :func:`feff10_input`), runs FEFF10 through feff10-rs in
    a process of its own, stopped after ``timeout`` seconds, and reads ``xmu.dat``.
    Needs ``pip install 'sklearn-xas[xanes]'``. FEFF10 is single-threaded: run many
    sites in parallel with :func:`simulate_xanes_dataset`.

    Parameters
    ----------
    structure : pymatgen.core.Structure
        An ordered, periodic structure.
    index : int
        0-based index of the absorbing site.
    edge, scf_radius, fms_radius, cluster_radius, core_hole, k_grid, cards, k_edge_max_z
        See :func:`feff10_input`.
    scf_retry : bool, default=True
        When FEFF's self-consistent potentials do not converge ("Bad counts found
        repeatedly", about a third of the first sites of the shared structures, mostly
        heavy absorbers: Ba, Cs, Gd, Dy, W, Tl, Ir), run once more with gentler
        mixing: ``SCF <scf_radius> 0 30 0.05 3`` (:data:`SCF_RETRY_CARD`) instead of
        ``... 0.2 1``. Not done without SCF or when ``cards`` sets ``SCF``.
    workdir : path-like or None, default=None
        Folder that receives ``feff.inp`` and ``xmu.dat`` (created if needed). FEFF
        itself runs in a temporary folder that is removed afterwards.
    keep_files : bool, default=False
        Copy all of FEFF's files (several MB) into ``workdir``, not only those two
        (ignored without ``workdir``).
    timeout : float, default=300
        Wall-clock seconds before FEFF10 is stopped (all of its processes).

    Returns
    -------
    energy : ndarray of shape (n_points,)
        FEFF's ``omega`` column: absolute photon energy (eV).
    mu : ndarray of shape (n_points,)
        FEFF's ``mu`` column, normalised at 50 eV above the edge.
    info : dict
        The rest of ``xmu.dat``: ``e`` (energy relative to the edge, eV), ``k``
        (1/Angstrom), ``mu0`` (embedded-atom background) and ``chi`` arrays,
        ``xsedge_norm`` (the header's normalisation: ``mu * xsedge_norm`` is the
        absorption cross-section, as OmniXAS uses it), ``feff_seconds`` (wall clock),
        ``feff_cpu_seconds`` (CPU time of FEFF's workers; of the successful run) and
        ``scf_retry`` (whether it took the SCF retry).

    Raises
    ------
    FeffError
        If FEFF10 fails or times out (the message quotes FEFF).
    ValueError
        If the site cannot be written as a FEFF input (see :func:`feff10_input`).
    MissingOptionalDependencyError
        If feff10-rs is not installed.

    See Also
    --------
    simulate_xanes_dataset : many sites in parallel, into the data model.
    simulate_exafs : EXAFS chi(k) with FEFF6L.

    Examples
    --------
    Small radii keep this example under ten seconds; use the defaults for real work.

    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.simulate import simulate_xanes
    >>> mgo = Structure.from_spacegroup("Fm-3m", Lattice.cubic(4.21), ["Mg", "O"],
    ...                                 [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> energy, mu, info = simulate_xanes(mgo, 0, scf_radius=None, fms_radius=3.0,
    ...                                   k_grid=(-1.0, 2.0, 0.1))
    >>> bool(1250 < energy[0] < energy[-1] < 1400), mu.shape == energy.shape
    (True, True)
    >>> sorted(info)
    ['chi', 'e', 'feff_cpu_seconds', 'feff_seconds', 'k', 'mu0', 'scf_retry', 'xsedge_norm']
    """
    texts = _input_texts(structure, index, edge=edge, scf_radius=scf_radius,
                         fms_radius=fms_radius, cluster_radius=cluster_radius,
                         core_hole=core_hole, k_grid=k_grid, cards=cards,
                         k_edge_max_z=k_edge_max_z, scf_retry=scf_retry)
    energy, mu, info, _, _ = _run_texts(texts, timeout=timeout, keep_in=workdir,
                                        keep_files=keep_files)
    return energy, mu, info


# ----------------------------------------------------------------------------- many sites
def _site_label(material_id, index, element, edge):
    return f"material {material_id!r}, site {index} ({element} {edge})"


def _publish(site_dir, text, xmu_text, header):
    """Write feff.inp and xmu.dat into ``site_dir`` all at once (a folder rename).

    The folder is built next to the material's ``FEFF-XANES`` folder and renamed into
    it, so a site folder never exists without its ``xmu.dat`` (which
    :func:`load_feff_tree` would report), whatever interrupts the run.
    """
    material_dir = site_dir.parent.parent
    build = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}-", dir=material_dir))
    try:
        (build / _INPUT).write_text(text)
        (build / _XMU).write_text(header + xmu_text)
        site_dir.parent.mkdir(parents=True, exist_ok=True)
        if site_dir.exists():
            shutil.rmtree(site_dir)
        os.rename(build, site_dir)
    finally:
        shutil.rmtree(build, ignore_errors=True)


def _error_path(workdir, material_id, index, element):
    return Path(workdir) / material_id / _ERRORS_DIR / f"{index:03d}_{element}.txt"


def _run_xanes_site(material_id, structure, index, element, multiplicity, params, workdir,
                    overwrite):
    """One site, in a worker; returns a record dict or an error string."""
    t0 = time.perf_counter()
    edge = params["edge"] or default_edge(element, k_edge_max_z=params["k_edge_max_z"])
    label = _site_label(material_id, index, element, edge)
    site_dir = None
    if workdir is not None:
        site_dir = Path(workdir) / material_id / "FEFF-XANES" / f"{index:03d}_{element}"
    resumed = False
    try:
        texts = _input_texts(
            structure, index, edge=edge, scf_radius=params["scf_radius"],
            fms_radius=params["fms_radius"], cluster_radius=params["cluster_radius"],
            core_hole=params["core_hole"], k_grid=params["k_grid"], cards=params["cards"],
            k_edge_max_z=params["k_edge_max_z"], title=f"{material_id} site {index}",
            scf_retry=params["scf_retry"],
        )
        if site_dir is not None and (site_dir / _XMU).is_file() and not overwrite:
            old = site_dir / _INPUT
            stored = old.read_text() if old.is_file() else None
            if stored not in texts:  # the retry's input counts as these settings too
                return (
                    f"{label}: {site_dir} already holds an xmu.dat computed from another "
                    "feff.inp (were the settings changed?); pass overwrite=True or use another "
                    "workdir."
                )
            energy, mu, info = _read_xmu(site_dir / _XMU)
            info.update(feff_seconds=np.nan, feff_cpu_seconds=np.nan,
                        scf_retry=stored != texts[0])
            resumed = True
        else:
            energy, mu, info, xmu_text, text = _run_texts(texts, timeout=params["timeout"])
            if site_dir is not None:
                header = (
                    f"# absorber: {element}  site: {index}  edge: {edge}  "
                    f"multiplicity: {int(multiplicity)}  (sklearn-xas, FEFF10 via feff10-rs)\n"
                )
                _publish(site_dir, text, xmu_text, header)
                energy, mu, _ = _read_xmu(site_dir / _XMU)  # exactly what is on disk
                _error_path(workdir, material_id, index, element).unlink(missing_ok=True)
    except ImportError:
        raise
    except Exception as exc:  # FEFF's own failures, bad geometry: reported, run goes on
        kind = "" if isinstance(exc, FeffError) else f"{type(exc).__name__}: "
        message = f"{label}: {kind}{exc}"
        if workdir is not None:
            try:
                path = _error_path(workdir, material_id, index, element)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(message + "\n")
            except OSError:
                pass
        return message
    return dict(
        material_id=material_id, absorbing_index=int(index), absorbing_element=element,
        edge=edge, spectrum_type="XANES", structure=structure, x=energy, y=mu,
        multiplicity=int(multiplicity),
        source=str(site_dir / _XMU) if site_dir is not None else "FEFF10",
        xsedge_norm=float(info["xsedge_norm"]), feff_seconds=info["feff_seconds"],
        feff_cpu_seconds=info["feff_cpu_seconds"], site_seconds=time.perf_counter() - t0,
        resumed=resumed, scf_retry=bool(info["scf_retry"]),
    )


def _prepare_workdir(workdir, items):
    """Create the tree's root and one POSCAR per material (checking existing ones)."""
    root = Path(workdir)
    root.mkdir(parents=True, exist_ok=True)
    for material_id, structure in items:
        if not material_id or material_id in (".", "..") or "/" in material_id \
                or os.sep in material_id:
            raise ValueError(f"material id {material_id!r} is not a valid folder name.")
        mdir = root / material_id
        mdir.mkdir(exist_ok=True)
        poscar = mdir / "POSCAR"
        text = format_poscar(structure, comment=material_id)
        if poscar.exists():
            if poscar.read_text() != text:
                raise XASDataError(
                    f"{poscar} exists and holds another structure than material "
                    f"{material_id!r}; use another workdir."
                )
        else:
            poscar.write_text(text)
    return root


def simulate_xanes_dataset(structures, *, sites="inequivalent", absorbers=None,
                           material_ids=None, edge=None, scf_radius=DEFAULT_SCF_RADIUS,
                           fms_radius=DEFAULT_FMS_RADIUS, cluster_radius=None,
                           core_hole=DEFAULT_CORE_HOLE, k_grid=DEFAULT_K_GRID, cards=None,
                           k_edge_max_z=56, scf_retry=True, symprec=0.1, workdir=None,
                           overwrite=False, n_jobs=None, progress=None, on_error="report",
                           timeout=DEFAULT_TIMEOUT):
    """Simulate XANES for many sites with FEFF10, in parallel. Based on FEFF10.

    Each site is run by :func:`simulate_xanes`, in a process of its own; the sites are
    spread over ``n_jobs`` joblib workers (FEFF10 is single-threaded: one worker per
    core; ``with joblib.parallel_backend("dask"):`` runs them on a dask cluster). A
    site FEFF cannot compute in ``timeout`` seconds, or at all, is reported with
    FEFF's message and the run goes on.

    With ``workdir`` the run writes a Lightshow-style tree that
    :func:`~sklearn_xas.datasets.load_feff_tree` reads back::

        <workdir>/<material_id>/POSCAR
        <workdir>/<material_id>/FEFF-XANES/<NNN>_<El>/feff.inp
        <workdir>/<material_id>/FEFF-XANES/<NNN>_<El>/xmu.dat

    (``xmu.dat`` is FEFF's, after one header line ``# absorber: <El>  site: <NNN>
    edge: <edge>  multiplicity: <m>``), and is resumable: a site whose ``xmu.dat``
    is there, computed from the same ``feff.inp``, is read instead of recomputed. A
    site folder appears only once complete; a failed site leaves its message in
    ``<workdir>/<material_id>/FEFF-XANES-errors/<NNN>_<El>.txt`` and is retried by
    the next call.

    Parameters
    ----------
    structures : Structure, sequence of Structure, dict or XASDataset
        The structures. A dict maps material ids to structures; a data set (or its
        frame) contributes the first structure of each material.
    sites : {"inequivalent", "all"}, list or dict, default="inequivalent"
        As in :func:`simulate_dataset`: one site per group of symmetry-equivalent
        sites (with the group's size as ``multiplicity``), every site, or indices per
        structure (a list with one entry per structure, or a dict by material id).
    absorbers : str or list of str, optional
        Only simulate sites of these elements.
    material_ids : list of str, optional
        Ids of a sequence of structures (default ``"<reduced formula>-<position>"``).
    edge, scf_radius, fms_radius, cluster_radius, core_hole, k_grid, cards, k_edge_max_z
        Passed to :func:`simulate_xanes`.
    scf_retry, timeout
        Passed to :func:`simulate_xanes`. A site that took the SCF retry keeps the
        retry's ``feff.inp`` in ``workdir``; a later call resumes it all the same.
    symprec : float, default=0.1
        Symmetry tolerance (Angstrom) of the site analysis.
    workdir : path-like or None, default=None
        Root of the tree to write (and resume from); ``None`` keeps nothing.
    overwrite : bool, default=False
        Recompute sites already in ``workdir`` (needed when their ``feff.inp`` differs
        from the one these settings write; without it such a site is reported as
        failed, so that a tree never mixes settings).
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
        One XANES row per simulated site (``x`` = absolute energy in eV, ``y`` = FEFF's
        normalised mu), rows in input order; extra columns ``xsedge_norm`` (as
        :func:`~sklearn_xas.datasets.load_feff_tree` gives it), ``feff_seconds``,
        ``feff_cpu_seconds`` (NaN for sites read back from ``workdir``),
        ``site_seconds``, ``resumed`` and ``scf_retry``.

    Raises
    ------
    FeffError
        With ``on_error="raise"``, at the first failed site.
    XASDataError
        If no site could be simulated (the message lists the failures), or a POSCAR in
        ``workdir`` holds another structure.
    MissingOptionalDependencyError
        If feff10-rs is not installed.

    See Also
    --------
    simulate_xanes : one site.
    simulate_dataset : EXAFS with FEFF6L.
    sklearn_xas.datasets.load_feff_tree : read the tree back.

    Examples
    --------
    >>> import tempfile
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.datasets import load_feff_tree
    >>> from sklearn_xas.simulate import simulate_xanes_dataset
    >>> mgo = Structure.from_spacegroup("Fm-3m", Lattice.cubic(4.21), ["Mg", "O"],
    ...                                 [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> root = tempfile.mkdtemp()
    >>> data = simulate_xanes_dataset({"MgO": mgo}, absorbers="Mg", scf_radius=None,
    ...                               fms_radius=3.0, k_grid=(-1.0, 2.0, 0.1),
    ...                               workdir=root)
    >>> data.frame[["absorbing_element", "edge", "multiplicity", "resumed"]]
      absorbing_element edge  multiplicity  resumed
    0                Mg    K             4    False
    >>> load_feff_tree(root).frame[["material_id", "absorbing_index", "spectrum_type"]]
      material_id  absorbing_index spectrum_type
    0         MgO                0         XANES
    """
    if on_error not in ("report", "skip", "raise"):
        raise ValueError(f"on_error must be 'report', 'skip' or 'raise', got {on_error!r}.")
    items = _as_structures(structures, material_ids)
    params = dict(
        edge=edge, scf_radius=_check_radius("scf_radius", scf_radius, allow_none=True),
        fms_radius=_check_radius("fms_radius", fms_radius), cluster_radius=cluster_radius,
        core_hole=core_hole, k_grid=_check_k_grid(k_grid), cards=_check_cards(cards),
        k_edge_max_z=int(k_edge_max_z), timeout=float(timeout), scf_retry=bool(scf_retry),
    )
    if str(core_hole).upper() not in CORE_HOLES:
        raise ValueError(f"core_hole must be one of {CORE_HOLES}, got {core_hole!r}.")
    if not params["timeout"] > 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}.")
    plan = _site_plan(items, sites, absorbers, symprec)
    if not plan:
        raise XASDataError("No site to simulate (check `sites` and `absorbers`).")
    _require_feff10()  # a missing extra is an error before any work starts
    if workdir is not None:
        workdir = _prepare_workdir(workdir, [(m, s) for m, s in items
                                             if any(p[0] == m for p in plan)])
    jobs = (
        delayed(_run_xanes_site)(m, s, i, el, mult, params, workdir, overwrite)
        for m, s, i, el, mult in plan
    )
    results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    good, failed = [], []
    for res in _progress(results, enabled=progress, total=len(plan), desc="FEFF10"):
        if isinstance(res, str):
            if on_error == "raise":
                raise FeffError(res)
            failed.append(res)
        else:
            good.append(res)
    if failed:
        warnings.warn(
            f"FEFF10 failed for {len(failed)} of {len(plan)} site(s); they are left out and "
            f"listed in dataset.skipped:{list_records(failed)}",
            SkippedRecordsWarning,
            stacklevel=2,
        )
    if not good:
        raise XASDataError(
            f"FEFF10 failed for every one of the {len(plan)} site(s):\n  " + "\n  ".join(failed)
        )
    frame = pd.DataFrame.from_records(good)
    return XASDataset(frame, skipped=failed, validate=False)
