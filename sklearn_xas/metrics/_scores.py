"""Forward, multi-label and interval scores, and scorers for model selection."""

from numbers import Integral

import numpy as np
from sklearn.metrics import f1_score
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.utils._param_validation import Interval, validate_params

from ..exceptions import XASDataError


def _spectra(Y, name):
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_spectra, n_points), got shape {Y.shape}.")
    return Y


@validate_params({"Y_true": ["array-like"], "Y_pred": ["array-like"]},
                 prefer_skip_nested_validation=True)
def per_spectrum_mse(Y_true, Y_pred):
    """Mean squared error of each spectrum (row) over its points.

    Parameters
    ----------
    Y_true, Y_pred : array-like of shape (n_spectra, n_points)
        True and predicted spectra on one grid.

    Returns
    -------
    mse : ndarray of shape (n_spectra,)

    Examples
    --------
    >>> from sklearn_xas.metrics import per_spectrum_mse
    >>> per_spectrum_mse([[0.0, 0.0], [1.0, 1.0]], [[0.0, 2.0], [1.0, 1.0]]).tolist()
    [2.0, 0.0]
    """
    Y_true, Y_pred = _spectra(Y_true, "Y_true"), _spectra(Y_pred, "Y_pred")
    if Y_true.shape != Y_pred.shape:
        raise ValueError(f"Y_true {Y_true.shape} and Y_pred {Y_pred.shape} differ in shape.")
    return np.mean((Y_true - Y_pred) ** 2, axis=1)


@validate_params({"Y_true": ["array-like"], "Y_pred": ["array-like"],
                  "Y_baseline": ["array-like"]}, prefer_skip_nested_validation=True)
def eta_score(Y_true, Y_pred, Y_baseline):
    """OmniXAS's eta: median per-spectrum MSE of a baseline over that of the model.

    Parameters
    ----------
    Y_true, Y_pred : array-like of shape (n_spectra, n_points)
        True and predicted spectra on one grid.
    Y_baseline : array-like of shape (n_points,) or (n_spectra, n_points)
        The baseline's prediction: usually the training-mean spectrum (one row),
        as OmniXAS scores its models (Kharel et al., 2024).

    Returns
    -------
    eta : float
        > 1 where the model beats the baseline.

    Raises
    ------
    XASDataError
        If the model's median MSE is 0 (eta undefined).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_xas.metrics import eta_score
    >>> Y = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])
    >>> round(eta_score(Y, Y + 0.1, Y.mean(axis=0)), 2)
    25.0
    """
    Y_true = _spectra(Y_true, "Y_true")
    base = np.broadcast_to(np.asarray(Y_baseline, dtype=np.float64), Y_true.shape)
    model = np.median(per_spectrum_mse(Y_true, Y_pred))
    if model == 0:
        raise XASDataError("eta is undefined: the model's median per-spectrum MSE is 0.")
    return float(np.median(per_spectrum_mse(Y_true, base)) / model)


def eta_scorer(estimator, X, Y):
    """Scorer for ``GridSearchCV(scoring=eta_scorer)``: eta of a fitted forward model.

    The baseline is the mean training spectrum the model saw (``train_mean_`` of a
    :class:`~sklearn_xas.estimators.SpectrumRegressor`, or of a pipeline's last step),
    as OmniXAS scores its models; higher is better.

    Parameters
    ----------
    estimator : estimator
        Fitted.
    X : XASDataset, DataFrame or array-like
        What ``estimator.predict`` takes.
    Y : array-like of shape (n_spectra, n_points)
        True spectra.

    Returns
    -------
    eta : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn_xas.estimators import SpectrumRegressor
    >>> from sklearn_xas.metrics import eta_scorer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 4))
    >>> Y = X @ rng.normal(size=(4, 20))
    >>> scores = cross_val_score(SpectrumRegressor(backend="ridge"), X, Y, scoring=eta_scorer)
    >>> bool(scores.min() > 10)
    True
    """
    mean = getattr(estimator, "train_mean_", None)
    if mean is None and hasattr(estimator, "steps"):
        mean = getattr(estimator.steps[-1][1], "train_mean_", None)
    if mean is None:
        raise AttributeError(
            "eta_scorer needs the estimator's training-mean spectrum (train_mean_, set by "
            "SpectrumRegressor.fit)."
        )
    return eta_score(Y, estimator.predict(X), mean)


def _indicators(*groups):
    """Indicator matrices of label collections (or pass-through indicators) on one
    label space; returns (matrices, classes)."""
    arrays = [np.asarray(g, dtype=object) if not hasattr(g, "shape") else np.asarray(g)
              for g in groups]
    if all(a.ndim == 2 and a.dtype.kind in "biuf" for a in arrays):
        return [a.astype(int) for a in arrays], None
    sets = [[frozenset(v) for v in g] for g in groups]
    mlb = MultiLabelBinarizer().fit([s for group in sets for s in group])
    return [mlb.transform(s) for s in sets], list(mlb.classes_)


@validate_params({"y_true": ["array-like"], "y_pred": ["array-like"]},
                 prefer_skip_nested_validation=True)
def exact_set_accuracy(y_true, y_pred):
    """Fraction of sites whose predicted set of neighbour types is exactly the true one.

    Parameters
    ----------
    y_true, y_pred : indicator array of shape (n_sites, n_labels) or sequence of sets
        Both in the same form.

    Returns
    -------
    accuracy : float

    Examples
    --------
    >>> from sklearn_xas.metrics import exact_set_accuracy
    >>> exact_set_accuracy([("O",), ("Cl", "Na")], [("O",), ("Na",)])
    0.5
    """
    (T, P), _ = _indicators(y_true, y_pred)
    return float(np.mean(np.all(T == P, axis=1)))


@validate_params(
    {"y_true": ["array-like"], "y_pred": ["array-like"],
     "min_support": [Interval(Integral, 0, None, closed="left")], "y_train": ["array-like", None]},
    prefer_skip_nested_validation=True,
)
def neighbor_type_scores(y_true, y_pred, *, min_support=0, y_train=None):
    """Multi-label scores of neighbour-type predictions.

    Parameters
    ----------
    y_true, y_pred : indicator array of shape (n_sites, n_labels) or sequence of sets
        Both in the same form.
    min_support : int, default=0
        Macro-F1 is averaged over the labels seen at least this often in ``y_train``
        (in ``y_true`` without it): rare labels make macro-F1 noisy.
    y_train : same form as ``y_true``, optional
        The training labels that ``min_support`` counts.

    Returns
    -------
    scores : dict
        ``f1_micro``, ``f1_macro`` (over the supported labels), ``f1_samples`` (per-site
        F1, averaged), ``exact_set`` (see :func:`exact_set_accuracy`) and
        ``n_labels_macro`` (how many labels the macro average covers).

    Examples
    --------
    >>> from sklearn_xas.metrics import neighbor_type_scores
    >>> s = neighbor_type_scores([("O",), ("O", "Cu"), ("S",)], [("O",), ("O",), ("S",)])
    >>> round(s["f1_micro"], 3), round(s["exact_set"], 3), s["n_labels_macro"]
    (0.857, 0.667, 3)
    """
    groups = [y_true, y_pred] + ([] if y_train is None else [y_train])
    mats, _ = _indicators(*groups)
    if mats[0].shape[1] < 2:  # one label in all: scikit-learn would read it as binary
        mats = [np.hstack([m, np.zeros((m.shape[0], 1), dtype=m.dtype)]) for m in mats]
    T, P = mats[0], mats[1]
    support = (mats[2] if y_train is not None else T).sum(axis=0)
    labels = np.flatnonzero(support >= max(min_support, 1))
    return dict(
        f1_micro=float(f1_score(T, P, average="micro", zero_division=0.0)),
        f1_macro=float(f1_score(T, P, labels=labels, average="macro", zero_division=0.0))
        if labels.size else float("nan"),
        f1_samples=float(f1_score(T, P, average="samples", zero_division=0.0)),
        exact_set=float(np.mean(np.all(T == P, axis=1))),
        n_labels_macro=int(labels.size),
    )


def exact_set_scorer(estimator, X, y):
    """Scorer for ``GridSearchCV(scoring=exact_set_scorer)``: exact-set accuracy.

    For a neighbour-type classifier or a pipeline ending in one, with ``y`` as an
    indicator matrix or as label collections (then compared through the estimator's
    ``classes_``).

    Parameters
    ----------
    estimator : estimator
        Fitted.
    X : XASDataset, DataFrame or array-like
        What ``estimator.predict`` takes.
    y : indicator array or sequence of collections
        True neighbour types.

    Returns
    -------
    accuracy : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_xas.estimators import PerElementMajorityClassifier
    >>> from sklearn_xas.metrics import exact_set_scorer
    >>> X = np.array([["Cu"], ["Cu"], ["Na"]], dtype=object)
    >>> y = [("O",), ("O",), ("Cl",)]
    >>> exact_set_scorer(PerElementMajorityClassifier().fit(X, y), X, y)
    1.0
    """
    pred = np.asarray(estimator.predict(X))
    kind_y = np.asarray(y, dtype=object) if not hasattr(y, "shape") else np.asarray(y)
    if not (kind_y.ndim == 2 and kind_y.dtype.kind in "biuf"):
        classes = list(estimator.classes_)  # a Pipeline's are its answer's columns
        pred = [tuple(c for c, on in zip(classes, row) if on) for row in pred]
    return exact_set_accuracy(y, pred)


@validate_params({"y_true": ["array-like"], "intervals": ["array-like"]},
                 prefer_skip_nested_validation=True)
def interval_coverage(y_true, intervals):
    """Fraction of true values inside their predicted intervals, and the mean width.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True values.
    intervals : array-like of shape (n_samples, 2)
        Lower and upper bounds.

    Returns
    -------
    coverage : float
    mean_width : float

    Examples
    --------
    >>> from sklearn_xas.metrics import interval_coverage
    >>> interval_coverage([1.0, 2.0], [[0.5, 1.5], [2.5, 3.0]])
    (0.5, 0.75)
    """
    y = np.asarray(y_true, dtype=np.float64).ravel()
    iv = np.asarray(intervals, dtype=np.float64)
    if iv.shape != (y.size, 2):
        raise ValueError(f"intervals must have shape ({y.size}, 2), got {iv.shape}.")
    inside = (y >= iv[:, 0]) & (y <= iv[:, 1])
    return float(inside.mean()), float(np.mean(iv[:, 1] - iv[:, 0]))
