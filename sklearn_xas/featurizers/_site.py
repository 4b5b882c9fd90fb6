"""matminer site featurizers on the absorbing site, as a scikit-learn transformer."""

from __future__ import annotations

import copy
import os
from importlib import metadata
from numbers import Integral

import numpy as np
from joblib import hash as joblib_hash
from sklearn.utils._param_validation import StrOptions

from ._base import _portable, _SiteFeaturizerBase


def _package_version(obj):
    top = type(obj).__module__.split(".")[0]
    try:
        return f"{top}-{metadata.version(top)}"
    except metadata.PackageNotFoundError:
        return top


def _as_list(featurizers):
    if hasattr(featurizers, "featurize"):
        return [featurizers]
    return list(featurizers)


class AbsorberSiteFeaturizer(_SiteFeaturizerBase):
    """Run matminer site featurizers on each row's absorbing site.

    Each featurizer is called as ``featurizer.featurize(structure, index)`` (the
    matminer site-featurizer contract) on the row's structure and absorbing index;
    the outputs are concatenated into one float64 row.

    Parameters
    ----------
    featurizers : featurizer or list of featurizers
        matminer site featurizers (or any objects with ``featurize(structure, index)``
        and ``feature_labels()``), for example
        ``CrystalNNFingerprint.from_preset("ops")``. They are deep-copied in
        :meth:`fit` (and fitted there if they have a ``fit``) and never modified.
    n_jobs : int, default=None
        Parallel jobs through joblib, one task per structure (all its absorbing
        sites). ``None`` means 1 unless in a :func:`joblib.parallel_config` context;
        ``with joblib.parallel_backend("dask"):`` runs the tasks on a
        dask.distributed cluster.
    on_error : {"raise", "nan"}, default="raise"
        What to do with a row that cannot be featurized (no site at the index, a
        site of another element than ``absorbing_element``, a featurizer that raises
        or returns NaN): ``"raise"`` an :class:`~sklearn_xas.exceptions.XASDataError`
        naming the row, or ``"nan"``: make that row NaN and warn with a
        :class:`~sklearn_xas.exceptions.SkippedRecordsWarning` listing the rows (its
        ``rows`` attribute holds their positions). A transformer in a Pipeline cannot
        drop rows, so there is no ``"skip"``: drop NaN rows before fitting, or use an
        imputer or an estimator that accepts NaN.
    cache : bool or path-like, default=False
        ``True`` keeps the features of every (structure, site) computed in a
        process-wide in-memory store (see :func:`clear_feature_cache`), keyed by the
        structure's content (:func:`structure_key`), the site index and the fitted
        featurizers; cross-validation folds, grid-search candidates and clones then
        reuse them. A folder path also keeps them on disk, across sessions.
    progress : bool or None, default=None
        Show a progress bar over structures; ``None`` shows one when stderr is a
        terminal and there are more than 100 structures.

    Attributes
    ----------
    featurizers_ : list
        The fitted copies of ``featurizers``.
    feature_names_out_ : ndarray of str
        The featurizers' ``feature_labels()``, concatenated; prefixed by the class
        name (``"CrystalNNFingerprint__wt CN_1"``) when two labels would collide.

    See Also
    --------
    AbsorberRDFFeaturizer : a much faster featurizer of the project's own.

    Notes
    -----
    Unlike matminer's own ``featurize_many``/``transform``, failures never become
    silent NaN rows, ``n_jobs`` and the error policy are constructor parameters (so
    ``clone`` and ``GridSearchCV`` keep them), and a Pipeline holding featurizers
    whose constructors do not follow scikit-learn's contract (for example
    ``CrystalNNFingerprint.from_preset("ops")``, which ``sklearn.base.clone``
    refuses) can be cloned: :meth:`__sklearn_clone__` deep-copies the featurizers.
    To search over featurizer sets, put several ``AbsorberSiteFeaturizer`` instances
    in the grid as the Pipeline step, rather than lists of featurizers as a
    parameter value.

    Examples
    --------
    >>> from matminer.featurizers.site import CoordinationNumber
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.featurizers import AbsorberSiteFeaturizer
    >>> nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"],
    ...                                  [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> feat = AbsorberSiteFeaturizer([CoordinationNumber.from_preset("VoronoiNN")])
    >>> feat.fit_transform([(nacl, 0), (nacl, 4)])
    array([[6.],
           [6.]])
    >>> feat.get_feature_names_out().tolist()
    ['CN_VoronoiNN']
    """

    _parameter_constraints: dict = {
        "featurizers": "no_validation",
        "n_jobs": [None, Integral],
        "on_error": [StrOptions({"raise", "nan"})],
        "cache": ["boolean", str, os.PathLike],
        "progress": ["boolean", None],
    }

    def __init__(self, featurizers, *, n_jobs=None, on_error="raise", cache=False, progress=None):
        self.featurizers = featurizers
        self.n_jobs = n_jobs
        self.on_error = on_error
        self.cache = cache
        self.progress = progress

    def __sklearn_clone__(self):
        """An unfitted copy with deep copies of the featurizers.

        ``sklearn.base.clone`` rebuilds every estimator-like parameter through its
        constructor and refuses matminer featurizers whose constructors copy or
        change their arguments; deep copies keep them exactly as given.
        """
        params = self.get_params(deep=False)
        featurizers = params["featurizers"]
        if hasattr(featurizers, "featurize"):
            params["featurizers"] = copy.deepcopy(featurizers)
        else:
            params["featurizers"] = type(featurizers)(copy.deepcopy(f) for f in featurizers)
        return type(self)(**params)

    def _fit(self, frame):
        featurizers = _as_list(self.featurizers)
        if not featurizers:
            raise ValueError("AbsorberSiteFeaturizer: featurizers is empty.")
        for f in featurizers:
            if not (callable(getattr(f, "featurize", None)) and callable(
                getattr(f, "feature_labels", None)
            )):
                raise TypeError(
                    "AbsorberSiteFeaturizer: each featurizer needs featurize(structure, index) "
                    f"and feature_labels() (a matminer site featurizer); got {f!r}."
                )
        fitted = [copy.deepcopy(f) for f in featurizers]
        if any(_needs_fit(f) for f in fitted):
            pairs = list(zip(frame["structure"], frame["absorbing_index"]))
            for f in fitted:
                if _needs_fit(f):
                    f.fit(pairs)
        labels = [[str(s) for s in f.feature_labels()] for f in fitted]
        flat = [s for group in labels for s in group]
        if len(set(flat)) != len(flat):
            names = [type(f).__name__ for f in fitted]
            prefixes = [
                n if names.count(n) == 1 else f"{n}{names[:i].count(n)}"
                for i, n in enumerate(names)
            ]
            flat = [f"{p}__{s}" for p, group in zip(prefixes, labels) for s in group]
        self.featurizers_ = fitted
        self._sizes = [len(group) for group in labels]
        self.feature_names_out_ = np.asarray(flat, dtype=object)

    def _cache_token(self):
        parts = [(type(f).__qualname__, _package_version(f)) for f in self.featurizers_]
        try:
            digest = joblib_hash(self.featurizers_)
        except Exception:
            digest = repr([f.get_params() for f in self.featurizers_])
        return f"AbsorberSiteFeaturizer:{parts}:{digest}"

    def _compute_sites(self, structure, indices):
        n_out = sum(self._sizes)
        rows = np.full((len(indices), n_out), np.nan)
        errors = {}
        for i, index in enumerate(indices):
            start = 0
            for f, size in zip(self.featurizers_, self._sizes):
                try:
                    values = np.asarray(f.featurize(structure, index), dtype=np.float64).ravel()
                except Exception as exc:
                    errors[i] = (
                        f"{type(f).__name__}.featurize raised {type(exc).__name__}: {exc}",
                        _portable(exc),
                    )
                    break
                if values.size != size:
                    errors[i] = (
                        f"{type(f).__name__}.featurize returned {values.size} values but "
                        f"feature_labels() names {size}",
                        None,
                    )
                    break
                rows[i, start : start + size] = values
                start += size
        return rows, errors


def _needs_fit(featurizer):
    """True if ``featurizer`` has a ``fit`` other than matminer's no-op one."""
    fit = getattr(type(featurizer), "fit", None)
    if fit is None:
        return False
    for klass in type(featurizer).__mro__:
        if klass.__name__ == "BaseFeaturizer" and "fit" in vars(klass):
            return fit is not vars(klass)["fit"]
    return True
