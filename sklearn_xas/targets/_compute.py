"""Local-structure targets for every row of a data set, in parallel."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from .._core import check_frame, list_records, row_label
from ..exceptions import (
    NoNeighborError,
    SkippedRecordsWarning,
    TargetFallbackWarning,
    XASDataError,
)
from ..utils import progress as _progress
from ._neighbors import METHODS, first_shell

#: The targets :func:`compute_targets` knows, in their default order.
TARGETS = ("neighbor_types", "mean_nn_distance", "coordination_number")


def _shell_targets(structure, indices, method, tol, fallback):
    """Worker: for each index, (types, mean distance, cn, fell back) or the error message."""
    out = {}
    for index in indices:
        used = False
        try:
            try:
                shell = first_shell(structure, index, method=method, tol=tol)
            except NoNeighborError:
                if fallback is None or fallback == method:
                    raise
                shell, used = first_shell(structure, index, method=fallback, tol=tol), True
        except Exception as exc:  # reported per row by the caller
            out[index] = f"{type(exc).__name__}: {exc}"
            continue
        out[index] = (
            tuple(sorted(set(shell.symbols))),
            float(np.mean(shell.distances)),
            len(shell.symbols),
            used,
        )
    return out


def compute_targets(data, *, targets=TARGETS, method="crystalnn", fallback="cutoff", tol=0.1,
                    n_jobs=None, progress=None, on_error="raise"):
    """Compute local-structure targets for every row of a data set.

    Each distinct (structure, absorbing site) is computed once (rows of one material
    share their structure), one parallel task per structure.

    Parameters
    ----------
    data : XASDataset or pandas.DataFrame
        The data set or its ``frame`` (columns ``structure`` and ``absorbing_index``).
    targets : sequence of str, default=("neighbor_types", "mean_nn_distance", \
"coordination_number")
        Which targets, as columns in this order: ``"neighbor_types"`` (tuple of the
        sorted distinct element symbols of the first shell, see
        :func:`neighbor_types`), ``"mean_nn_distance"`` (float, Angstrom) and
        ``"coordination_number"`` (int).
    method : {"crystalnn", "cutoff"}, default="crystalnn"
        Neighbour finding, see :func:`first_shell`.
    fallback : {"cutoff", "crystalnn"} or None, default="cutoff"
        Where ``method`` finds no neighbour at all (CrystalNN does so for a few
        sites, e.g. Tl in CsCl-type TlBr, N in CuN2(Cl2O)2), that row's targets come
        from this method instead; a :class:`~sklearn_xas.exceptions.TargetFallbackWarning`
        names those rows and ``targets.attrs["fallback_rows"]`` lists their positions.
        ``None``: such a row is an error (see ``on_error``).
    tol : float, default=0.1
        Shell width of the ``"cutoff"`` method.
    n_jobs : int or None, default=None
        Number of joblib workers (``None``: one, unless in a ``joblib.parallel_config``
        context; ``-1``: all cores).
    progress : bool or None, default=None
        Show a progress bar over structures (``None``: only on a terminal).
    on_error : {"raise", "nan"}, default="raise"
        ``"raise"``: a site whose shell cannot be found raises an
        :class:`~sklearn_xas.exceptions.XASDataError` naming the row. ``"nan"``: its
        targets are missing (None / NaN / <NA>) and a
        :class:`~sklearn_xas.exceptions.SkippedRecordsWarning` says how many rows and
        which.

    Returns
    -------
    targets : pandas.DataFrame
        Same index as the frame, one column per target; ``attrs["fallback_rows"]``
        holds the positions of the rows whose targets came from ``fallback``.

    Examples
    --------
    >>> import numpy as np
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.datasets import XASDataset
    >>> from sklearn_xas.targets import compute_targets
    >>> nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"],
    ...                                  [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> k = np.linspace(0, 12, 241)
    >>> data = XASDataset.from_records([
    ...     dict(material_id="NaCl", absorbing_index=i, absorbing_element=el, edge="K",
    ...          spectrum_type="EXAFS", structure=nacl, x=k, y=np.sin(2 * 2.82 * k))
    ...     for i, el in [(0, "Na"), (4, "Cl")]])
    >>> compute_targets(data, method="cutoff")
      neighbor_types  mean_nn_distance  coordination_number
    0         (Cl,)              2.82                    6
    1         (Na,)              2.82                    6
    """
    frame = check_frame(data, ("structure", "absorbing_index"), step="compute_targets")
    if isinstance(targets, str):
        targets = (targets,)
    targets = tuple(targets)
    unknown = [t for t in targets if t not in TARGETS]
    if unknown or not targets:
        raise ValueError(f"targets must be among {TARGETS}, got {list(targets)}.")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
    if fallback is not None and fallback not in METHODS:
        raise ValueError(f"fallback must be one of {METHODS} or None, got {fallback!r}.")
    if on_error not in ("raise", "nan"):
        raise ValueError(f"on_error must be 'raise' or 'nan', got {on_error!r}.")
    if not len(frame):
        raise XASDataError("compute_targets: the data set holds no rows.")

    structures = frame["structure"].to_numpy()
    raw_index = frame["absorbing_index"].to_numpy()
    # group the distinct sites by structure object (rows of one material share it)
    by_structure, order, keys = {}, [], []
    for pos, (structure, index) in enumerate(zip(structures, raw_index)):
        if structure is None or not hasattr(structure, "lattice"):
            raise XASDataError(
                f"compute_targets: {row_label(frame, pos)} has no pymatgen Structure "
                f"(got {type(structure).__name__})."
            )
        try:
            index = int(index)
        except (TypeError, ValueError):
            raise XASDataError(
                f"compute_targets: {row_label(frame, pos)} has no valid absorbing_index "
                f"({index!r})."
            ) from None
        sid = id(structure)
        if sid not in by_structure:
            by_structure[sid] = (structure, set())
            order.append(sid)
        by_structure[sid][1].add(index)
        keys.append((sid, index))

    tasks = [(by_structure[sid][0], sorted(by_structure[sid][1])) for sid in order]
    if n_jobs is None or n_jobs == 1:
        results = (_shell_targets(s, idx, method, tol, fallback) for s, idx in tasks)
    else:
        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_shell_targets)(s, idx, method, tol, fallback) for s, idx in tasks
        )
    results = _progress(results, enabled=progress, total=len(tasks),
                        desc=f"First shells ({method})", unit="structure")
    found = {}
    for sid, result in zip(order, results):
        for index, value in result.items():
            found[(sid, index)] = value

    values = [found[key] for key in keys]
    bad = [pos for pos, v in enumerate(values) if isinstance(v, str)]
    if bad and on_error == "raise":
        pos = bad[0]
        raise XASDataError(
            f"compute_targets: cannot find the first shell of {row_label(frame, pos)}: "
            f"{values[pos]}"
        )
    if bad:
        shown = list_records(f"{row_label(frame, p)}: {values[p]}" for p in bad)
        warnings.warn(
            f"compute_targets: {len(bad)} row(s) have no targets (on_error='nan'):{shown}",
            SkippedRecordsWarning,
            stacklevel=2,
        )
    ok = [not isinstance(v, str) for v in values]
    fell_back = [pos for pos, v in enumerate(values) if not isinstance(v, str) and v[3]]
    if fell_back:
        warnings.warn(
            TargetFallbackWarning(
                f"compute_targets: {method} found no neighbour for {len(fell_back)} row(s); "
                f"their targets come from the {fallback} rule:"
                + list_records(row_label(frame, p) for p in fell_back),
                rows=fell_back,
            ),
            stacklevel=2,
        )
    columns = {}
    for name in targets:
        if name == "neighbor_types":
            col = [v[0] if good else None for v, good in zip(values, ok)]
            columns[name] = pd.Series(col, index=frame.index, dtype=object)
        elif name == "mean_nn_distance":
            col = [v[1] if good else np.nan for v, good in zip(values, ok)]
            columns[name] = pd.Series(col, index=frame.index, dtype=np.float64)
        else:
            col = [v[2] if good else pd.NA for v, good in zip(values, ok)]
            columns[name] = pd.Series(col, index=frame.index,
                                      dtype="Int64" if bad else np.int64)
    out = pd.DataFrame(columns, index=frame.index)
    out.attrs["fallback_rows"] = fell_back
    return out
