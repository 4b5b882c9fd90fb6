"""Calibration of predicted probabilities: reliability curve and expected calibration error.

One reduction serves the three kinds of classifier output of sklearn-xas: a binary
forecast is scored as it is; a multi-label one (neighbour types) as one binary forecast
per (site, label) entry, pooled; a multi-class one (coordination number) by its top
label, ``confidence = max(proba)`` against ``correct = (predicted class == true
class)``, as Guo et al. (2017) score neural networks.
"""

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions, validate_params


def _forecasts(y_true, y_prob, labels):
    """``(p, o)``: one forecast probability and its 0/1 outcome per scored event."""
    prob = np.asarray(y_prob, dtype=np.float64)
    if prob.ndim not in (1, 2) or prob.size == 0:
        raise ValueError(f"y_prob must be a non-empty 1-D or 2-D array, got shape {prob.shape}.")
    if not np.isfinite(prob).all() or prob.min() < 0 or prob.max() > 1:
        raise ValueError("y_prob must hold probabilities in [0, 1].")
    truth = np.asarray(y_true)
    if prob.ndim == 1 or truth.shape == prob.shape:  # binary or multi-label indicator
        if truth.shape != prob.shape:
            raise ValueError(
                f"y_true {truth.shape} and y_prob {prob.shape} must have the same shape."
            )
        if not np.isin(truth, (0, 1)).all():
            raise ValueError(
                "y_true must hold 0/1 outcomes where it has y_prob's shape (binary or "
                "multi-label); for multi-class, pass y_true as 1-D class labels."
            )
        return prob.ravel(), truth.astype(np.float64).ravel()
    if truth.ndim != 1 or truth.shape[0] != prob.shape[0]:
        raise ValueError(
            f"For multi-class probabilities of shape {prob.shape}, y_true must be 1-D of "
            f"length {prob.shape[0]}, got shape {truth.shape}."
        )
    labels = np.arange(prob.shape[1]) if labels is None else np.asarray(labels)
    if labels.shape != (prob.shape[1],):
        raise ValueError(
            f"labels must name the {prob.shape[1]} columns of y_prob, got {labels.shape[0]}."
        )
    predicted = labels[np.argmax(prob, axis=1)]
    return prob.max(axis=1), (predicted == truth).astype(np.float64)


def _bin_edges(p, n_bins, strategy):
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)
    edges = np.quantile(p, np.linspace(0.0, 1.0, n_bins + 1))
    edges[0], edges[-1] = 0.0, 1.0
    return np.unique(edges)


_PARAMS = {
    "y_true": ["array-like"],
    "y_prob": ["array-like"],
    "n_bins": [Interval(Integral, 1, None, closed="left")],
    "strategy": [StrOptions({"uniform", "quantile"})],
    "labels": ["array-like", None],
}


@validate_params(_PARAMS, prefer_skip_nested_validation=True)
def reliability_curve(y_true, y_prob, *, n_bins=10, strategy="uniform", labels=None):
    """The reliability diagram's points: mean forecast and observed frequency per bin.

    Forecasts are binned by their probability; in a calibrated model, the events of
    each bin happen as often as the bin's mean forecast says (the points lie on the
    diagonal).

    Parameters
    ----------
    y_true : array-like
        Outcomes: 0/1 of ``y_prob``'s shape (binary, shape ``(n,)``, or multi-label
        indicator, shape ``(n, n_labels)``), or 1-D class labels when ``y_prob`` is
        multi-class.
    y_prob : array-like of shape (n,) or (n, n_columns)
        Predicted probabilities: of the positive class (1-D), of each label
        (multi-label, ``y_true`` of the same shape) or of each class (multi-class,
        rows summing to one, ``y_true`` 1-D; scored by the top class).
    n_bins : int, default=10
        Number of bins of the forecast probability.
    strategy : {"uniform", "quantile"}, default="uniform"
        ``"uniform"``: bins of equal width on [0, 1]; ``"quantile"``: bins holding
        equal numbers of forecasts (fewer bins where forecasts repeat).
    labels : array-like of shape (n_columns,) or None, default=None
        Multi-class only: the class of each column of ``y_prob`` (a classifier's
        ``classes_``); ``None`` means ``0..n_columns-1``.

    Returns
    -------
    mean_predicted : ndarray of shape (n_nonempty_bins,)
        Mean forecast probability in each non-empty bin.
    fraction_positive : ndarray of shape (n_nonempty_bins,)
        Fraction of its events that happened (multi-class: that were predicted right).
    counts : ndarray of shape (n_nonempty_bins,)
        Forecasts in each bin.

    See Also
    --------
    expected_calibration_error : The count-weighted gap between the two.

    Examples
    --------
    >>> from sklearn_xas.metrics import reliability_curve
    >>> mean, frac, counts = reliability_curve([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9],
    ...                                        n_bins=2)
    >>> mean.round(2).tolist(), frac.tolist(), counts.tolist()
    ([0.15, 0.8], [0.0, 1.0], [2, 2])
    """
    p, o = _forecasts(y_true, y_prob, labels)
    edges = _bin_edges(p, n_bins, strategy)
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
    counts = np.bincount(which, minlength=len(edges) - 1)
    keep = counts > 0
    mean = np.bincount(which, weights=p, minlength=len(edges) - 1)[keep] / counts[keep]
    frac = np.bincount(which, weights=o, minlength=len(edges) - 1)[keep] / counts[keep]
    return mean, frac, counts[keep]


@validate_params(_PARAMS, prefer_skip_nested_validation=True)
def expected_calibration_error(y_true, y_prob, *, n_bins=10, strategy="uniform",
                               labels=None):
    """Expected calibration error: the count-weighted mean gap of the reliability curve.

    ``ECE = sum_b (n_b / n) |frequency_b - mean forecast_b|`` over the bins of
    :func:`reliability_curve`: 0 for a calibrated model (up to sampling noise, which
    grows with ``n_bins`` and shrinks with the number of forecasts); an overconfident
    model, whose events happen less often than it says, scores high.

    Parameters
    ----------
    y_true : array-like
        Outcomes, as for :func:`reliability_curve`: 0/1 of ``y_prob``'s shape, or 1-D
        class labels for multi-class ``y_prob``.
    y_prob : array-like of shape (n,) or (n, n_columns)
        Predicted probabilities (binary, multi-label or multi-class; see
        :func:`reliability_curve`).
    n_bins : int, default=10
        Number of bins of the forecast probability.
    strategy : {"uniform", "quantile"}, default="uniform"
        Bins of equal width, or holding equal numbers of forecasts.
    labels : array-like of shape (n_columns,) or None, default=None
        Multi-class only: the class of each column of ``y_prob``.

    Returns
    -------
    ece : float
        In [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_xas.metrics import expected_calibration_error
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(size=20000)
    >>> calibrated = rng.uniform(size=p.size) < p  # events happen as forecast
    >>> round(expected_calibration_error(calibrated, p), 2)
    0.01
    >>> overconfident = np.where(p > 0.5, 0.99, 0.01)  # same outcomes, extreme forecasts
    >>> round(expected_calibration_error(calibrated, overconfident), 2)
    0.24

    Multi-class probabilities are scored by their top class:

    >>> proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]])
    >>> round(expected_calibration_error([4, 6, 6], proba, labels=[4, 6]), 3)
    0.4
    """
    mean, frac, counts = reliability_curve(
        y_true, y_prob, n_bins=n_bins, strategy=strategy, labels=labels
    )
    return float(np.sum(counts * np.abs(frac - mean)) / counts.sum())
