"""Shared machinery of the absorbing-site featurizers.

Row handling (frame or ``(structure, index)`` pairs), per-row checks, the error
policy, the feature cache and the joblib loop over structures live here, so that
every featurizer treats bad input and parallelism the same way.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
import warnings
from contextlib import contextmanager
from numbers import Integral
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import check_is_fitted

from .._core import XASDataset, check_frame, is_frame, list_records, row_label, site_elements
from ..exceptions import SkippedRecordsWarning, XASDataError
from ..utils import progress

ON_ERROR_OPTIONS = ("raise", "nan")


def check_on_error(on_error):
    """Raise a ValueError unless ``on_error`` is ``"raise"`` or ``"nan"``."""
    if on_error not in ON_ERROR_OPTIONS:
        raise ValueError(
            f"on_error must be one of {ON_ERROR_OPTIONS}, got {on_error!r}. (A transformer "
            "inside a Pipeline cannot drop rows, so there is no 'skip': use 'nan' and "
            "handle the NaN rows, which a warning lists.)"
        )


def warn_failed_rows(step, failures, n_rows, *, stacklevel=5):
    """Warn that rows got NaN features under ``on_error="nan"``, listing them.

    Parameters
    ----------
    step : str
        Name of the featurizer.
    failures : list of (position, message, exception or None)
        The failed rows; ``message`` names the row.
    n_rows : int
        Number of rows featurized.
    stacklevel : int, default=5
        Passed to :func:`warnings.warn` (5: the caller of a featurizer's
        ``transform``).

    Notes
    -----
    The warning is a :class:`~sklearn_xas.exceptions.SkippedRecordsWarning`; its
    ``rows`` attribute holds the 0-based positions of the NaN rows.
    """
    failures = sorted(failures, key=lambda f: f[0])
    warning = SkippedRecordsWarning(
        f"{step}: could not featurize {len(failures)} of {n_rows} row(s) (on_error='nan'); "
        f"their feature rows are NaN:{list_records(msg for _, msg, _ in failures)}"
    )
    warning.rows = [pos for pos, _, _ in failures]
    warnings.warn(warning, stacklevel=stacklevel)


# ---------------------------------------------------------------------------- rows
def _object_column(values):
    col = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        col[i] = v
    return col


def site_frame(X, *, step):
    """Return ``X`` as a frame with ``structure`` and ``absorbing_index`` columns.

    Parameters
    ----------
    X : XASDataset, DataFrame, sequence of SiteSpectrum or of (structure, index)
        Frame input as :func:`~sklearn_xas.utils.check_frame` defines it, or plain
        ``(structure, index)`` pairs.
    step : str
        Name of the caller, for messages.

    Returns
    -------
    frame : pandas.DataFrame
    """

    if isinstance(X, (XASDataset, pd.DataFrame)) or is_frame(X):
        return check_frame(X, ["structure", "absorbing_index"], step=step)
    if isinstance(X, (str, bytes)) or not hasattr(X, "__iter__"):
        raise TypeError(
            f"{step}: X must be an XASDataset, its .frame, or a sequence of (structure, index) "
            f"pairs; got {type(X).__name__}."
        )
    items = list(X)
    structures, indices = [], []
    for i, item in enumerate(items):
        if isinstance(item, (str, bytes)) or not hasattr(item, "__len__") or len(item) != 2:
            raise TypeError(
                f"{step}: item {i} of X is not a (structure, index) pair: {type(item).__name__}."
            )
        structures.append(item[0])
        indices.append(item[1])
    return pd.DataFrame(
        {"structure": _object_column(structures), "absorbing_index": _object_column(indices)}
    )


def check_site(structure, index, element=None):
    """Describe what is wrong with one row's absorbing site, or return ``None``.

    Parameters
    ----------
    structure : pymatgen.core.Structure
    index : int
        0-based site index.
    element : str or None
        The declared absorbing element, checked against the site when given.

    Returns
    -------
    problem : str or None
    """
    from pymatgen.core import IStructure

    if not isinstance(structure, IStructure):
        return f"structure is a {type(structure).__name__}, not a pymatgen Structure"
    if not isinstance(index, Integral) or isinstance(index, bool):
        return f"absorbing_index must be an integer, got {index!r}"
    n = len(structure)
    if not 0 <= index < n:
        return (
            f"absorbing_index {index} is out of range for a structure of {n} sites "
            f"({structure.composition.reduced_formula})"
        )
    if element is not None and not pd.isna(element):
        found = site_elements(structure[int(index)])
        if str(element) not in found:
            return (
                f"absorbing_index {index} points at a {'/'.join(sorted(found))} site, not at "
                f"the declared absorbing element {element}"
            )
    return None


def structure_key(structure):
    """A content hash of a structure (lattice, fractional coordinates, species).

    Two structures with the same key give the same site features, whatever Python
    object holds them; used as the cache key.

    Parameters
    ----------
    structure : pymatgen.core.Structure

    Returns
    -------
    key : str
        40 hexadecimal digits.
    """
    h = hashlib.sha1()
    h.update(np.ascontiguousarray(structure.lattice.matrix, dtype=np.float64).tobytes())
    h.update(np.ascontiguousarray(structure.frac_coords, dtype=np.float64).tobytes())
    h.update("|".join(site.species_string for site in structure).encode())
    return h.hexdigest()


# --------------------------------------------------------------------------- cache
_MEMORY: dict = {}
_LOCK = threading.Lock()


def clear_feature_cache():
    """Empty the in-memory feature cache of this process.

    Featurizers built with ``cache=True`` (or a cache folder) keep the features of
    every (structure, site) they computed in a process-wide store, so that
    cross-validation folds and clones do not compute them again. This empties it;
    a cache folder on disk is left alone (delete the folder to clear it).

    Returns
    -------
    n_structures : int
        Number of (featurizer, structure) entries dropped.

    Examples
    --------
    >>> from sklearn_xas.featurizers import clear_feature_cache
    >>> clear_feature_cache() >= 0
    True
    """
    with _LOCK:
        n = len(_MEMORY)
        _MEMORY.clear()
    return n


class _FeatureStore:
    """Site features by (token, structure key): in memory, optionally also on disk."""

    def __init__(self, directory=None):
        self.directory = None if directory is None else Path(directory)

    def _path(self, token, key):
        folder = self.directory / hashlib.sha1(token.encode()).hexdigest()[:16]
        return folder, folder / f"{key}.npz"

    def get(self, token, key):
        with _LOCK:
            rows = _MEMORY.get((token, key))
        if rows is not None or self.directory is None:
            return rows
        _, path = self._path(token, key)
        if not path.is_file():
            return None
        try:
            with np.load(path) as data:
                rows = {int(i): r for i, r in zip(data["indices"], data["features"])}
        except (OSError, ValueError, KeyError):
            return None
        with _LOCK:
            _MEMORY.setdefault((token, key), {}).update(rows)
            return dict(_MEMORY[(token, key)])

    def put(self, token, key, rows):
        if not rows:
            return
        with _LOCK:
            merged = _MEMORY.setdefault((token, key), {})
            merged.update(rows)
            merged = dict(merged)
        if self.directory is None:
            return
        folder, path = self._path(token, key)
        folder.mkdir(parents=True, exist_ok=True)
        label = folder / "token.txt"
        if not label.exists():
            label.write_text(token + "\n")
        indices = np.array(sorted(merged), dtype=np.int64)
        features = np.vstack([merged[i] for i in indices])
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp.npz")
        np.savez(tmp, indices=indices, features=features)
        os.replace(tmp, path)


def _store_for(cache):
    if cache is False or cache is None:
        return None
    if cache is True:
        return _FeatureStore()
    return _FeatureStore(cache)


# ------------------------------------------------------------------- computation
def check_layers(layer, n_layers, step):
    """``layer`` (an int or a sequence of them, negative from the end) as a tuple of
    indices in ``[0, n_layers)``; a ValueError naming ``step`` otherwise."""
    layers = (layer,) if isinstance(layer, Integral) else tuple(layer)
    if not layers:
        raise ValueError(f"{step}: layer is an empty sequence.")
    for k in layers:
        if not isinstance(k, Integral) or not -n_layers <= k < n_layers:
            raise ValueError(
                f"{step}: layer must be in [0, {n_layers - 1}] (or negative from the end), "
                f"got {k!r}."
            )
    return tuple(int(k) % n_layers for k in layers)


@contextmanager
def one_cpu_thread(device):
    """Run torch on one thread inside (the count is restored after) where ``device`` is
    the CPU; a no-op elsewhere.

    The pretrained potentials' forward passes are many small operations: on 2 cores
    a second thread saved a third of the time on an idle machine, but made them 7
    (CHGNet) to 20 (SevenNet) times slower while another process held a core.
    Featurizers parallelise over structures with ``n_jobs`` instead.
    """
    import torch

    if torch.device(device).type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _portable(exc):
    """``exc`` if it pickles (to come back from a worker), else a RuntimeError."""
    try:
        pickle.dumps(exc)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _run_chunk(featurizer, groups):
    """Worker entry point: featurize a chunk of (structure, site indices) groups."""
    return featurizer._compute_groups(groups)


class _SiteFeaturizerBase(TransformerMixin, BaseEstimator):
    """Base of the featurizers of the absorbing site (not public).

    Subclasses set ``feature_names_out_`` in :meth:`_fit` and compute features in
    :meth:`_compute_sites` (one structure, several sites) or, to batch several
    structures, :meth:`_compute_groups`; they may override :meth:`_cache_token`.
    """

    _chunk_unit = "structure"

    # ---- to override
    def _fit(self, frame):
        raise NotImplementedError

    def _compute_sites(self, structure, indices):
        """Return (rows of shape (len(indices), n_features), {local i: (message, exc)})."""
        raise NotImplementedError

    def _cache_token(self):
        return type(self).__name__ + repr(sorted(self.get_params(deep=False).items()))

    def _chunk_size(self):
        return 1

    def _computed_names(self):
        """Names of the columns :meth:`_compute_sites` returns (and the cache holds)."""
        return self.feature_names_out_

    def _select_columns(self, out):
        """The output columns from the computed ones."""
        return out

    def _compute_groups(self, groups):
        results = []
        for structure, indices in groups:
            try:
                results.append(self._compute_sites(structure, indices))
            except Exception as exc:
                err = (f"{type(exc).__name__}: {exc}", _portable(exc))
                results.append((None, {i: err for i in range(len(indices))}))
        return results

    # ---- sklearn API
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and fit the featurizer.

        Parameters
        ----------
        X : XASDataset, DataFrame or sequence of (structure, index)
            The data model's frame (columns ``structure``, ``absorbing_index`` and
            optionally ``absorbing_element``, checked against the site), or pairs.
        y : ignored

        Returns
        -------
        self
        """
        check_on_error(self.on_error)
        frame = site_frame(X, step=type(self).__name__)
        self._fit(frame)
        return self

    def transform(self, X):
        """Featurize the absorbing site of every row.

        Parameters
        ----------
        X : XASDataset, DataFrame or sequence of (structure, index)

        Returns
        -------
        Xt : ndarray of shape (n_samples, n_features_out), float64
            Under ``on_error="nan"``, rows that could not be featurized are NaN and a
            :class:`~sklearn_xas.exceptions.SkippedRecordsWarning` lists them.

        Raises
        ------
        XASDataError
            Under ``on_error="raise"``, for the first row that cannot be featurized
            (no site at the index, another element than declared, no neighbour
            within the cutoff, a featurizer that raised), naming the row.
        """
        check_is_fitted(self)
        return self._featurize(site_frame(X, step=type(self).__name__))

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        Parameters
        ----------
        input_features : ignored
            ``X`` is a frame of structures, not named numeric columns.

        Returns
        -------
        names : ndarray of str
        """
        check_is_fitted(self)
        return np.asarray(self.feature_names_out_, dtype=object).copy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    # ---- the loop
    def _featurize(self, frame):
        step = type(self).__name__
        names = self._computed_names()
        n_rows, n_out = len(frame), len(names)
        out = np.full((n_rows, n_out), np.nan)
        failures = {}
        raise_now = self.on_error == "raise"

        def fail(pos, message, exc=None):
            msg = f"{row_label(frame, pos)}: {message}"
            if raise_now:
                raise XASDataError(f"{step}: {msg}") from exc
            failures[pos] = (pos, msg, exc)

        structures = frame["structure"].to_numpy()
        indices = frame["absorbing_index"].to_numpy()
        elements = (
            frame["absorbing_element"].to_numpy() if "absorbing_element" in frame.columns else None
        )
        store = _store_for(getattr(self, "cache", False))
        key_of = {}
        groups = {}
        for pos in range(n_rows):
            structure, index = structures[pos], indices[pos]
            if isinstance(index, np.integer):
                index = int(index)
            problem = check_site(structure, index, None if elements is None else elements[pos])
            if problem:
                fail(pos, problem)
                continue
            sid = id(structure)
            if sid not in key_of:
                key_of[sid] = structure_key(structure) if store is not None else sid
            entry = groups.setdefault(key_of[sid], (structure, {}))
            entry[1].setdefault(index, []).append(pos)

        token = self._cache_token() if store is not None else None
        tasks = []
        for key, (structure, positions) in groups.items():
            cached = store.get(token, key) if store is not None else None
            todo = []
            for index, poss in positions.items():
                if cached is not None and index in cached:
                    out[poss] = cached[index]
                else:
                    todo.append(index)
            if todo:
                tasks.append((key, structure, todo, positions))

        size = max(1, int(self._chunk_size()))
        chunks = [tasks[i : i + size] for i in range(0, len(tasks), size)]
        if chunks:
            results = Parallel(n_jobs=self.n_jobs, return_as="generator")(
                delayed(_run_chunk)(self, [(t[1], t[2]) for t in chunk]) for chunk in chunks
            )
            results = progress(
                results,
                enabled=self.progress,
                total=len(chunks),
                desc=step,
                unit=self._chunk_unit if size == 1 else "batch",
            )
            for chunk, chunk_results in zip(chunks, results):
                for (key, _, todo, positions), (rows, errors) in zip(chunk, chunk_results):
                    good = {}
                    for local, index in enumerate(todo):
                        if local in errors:
                            message, exc = errors[local]
                            for pos in positions[index]:
                                fail(pos, message, exc)
                            continue
                        row = np.asarray(rows[local], dtype=np.float64)
                        bad = ~np.isfinite(row)
                        if bad.any():
                            cols = [str(names[j]) for j in np.flatnonzero(bad)[:5]]
                            for pos in positions[index]:
                                fail(
                                    pos,
                                    f"non-finite feature value(s) (NaN/inf) in {int(bad.sum())} "
                                    f"column(s), e.g. {cols}",
                                )
                            continue
                        out[positions[index]] = row
                        good[index] = row
                    if store is not None:
                        store.put(token, key, good)
        if failures:
            warn_failed_rows(step, list(failures.values()), n_rows)
        return self._select_columns(out)
