"""Per-absorbing-element baselines: what a model must beat to have learnt from spectra."""

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .._core import is_frame
from ._neighbor_type import encode_labels, multi_label_tags


def _keys(estimator, X, *, reset):
    """The group key of each row: the frame's ``absorbing_element``, or the first column
    of a 2-D array (e.g. ``frame[["absorbing_element"]]`` or any numeric code)."""
    if is_frame(X) or isinstance(X, pd.DataFrame) and "absorbing_element" in X.columns:
        frame = X.frame if hasattr(X, "frame") else X
        if not isinstance(frame, pd.DataFrame):
            frame = pd.DataFrame([r.__dict__ for r in X])
        if "absorbing_element" not in frame.columns:
            raise ValueError(f"{type(estimator).__name__}: X has no absorbing_element column.")
        return frame["absorbing_element"].astype(str).to_numpy(dtype=object)
    X = validate_data(estimator, X, reset=reset, dtype=None, ensure_all_finite=True)
    keys = X[:, 0]
    if keys.dtype == object:
        for k in keys:
            if not isinstance(k, (str, bytes, int, float, np.generic)):
                raise TypeError(
                    f"{type(estimator).__name__}: a key must be a string or a number (argument "
                    f"must be a string or a number), got {type(k).__name__}."
                )
    return keys


def _need_y(estimator, y):
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None."
        )


class PerElementMeanRegressor(RegressorMixin, BaseEstimator):
    """Predicts the mean training target of the row's absorbing element.

    The baseline of the NN-distance task: a model that beats it has read more from
    the spectrum than which element absorbs. Elements unseen in training get the
    overall mean.

    X is the data model's frame (its ``absorbing_element`` column is used) or a 2-D
    array whose first column is the group key.

    Attributes
    ----------
    means_ : dict
        Key -> mean target.
    overall_mean_ : float or ndarray
        Mean over all training rows.
    n_features_in_ : int
        Columns of an array ``X`` at fit (absent for frames).

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_xas.estimators import PerElementMeanRegressor
    >>> X = pd.DataFrame({"absorbing_element": ["Cu", "Cu", "O"]})
    >>> reg = PerElementMeanRegressor().fit(X, [2.0, 2.2, 1.9])
    >>> reg.predict(pd.DataFrame({"absorbing_element": ["Cu", "Zn"]})).round(3).tolist()
    [2.1, 2.033]
    """

    _parameter_constraints: dict = {}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Learn the mean target of each key.

        Parameters
        ----------
        X : XASDataset, DataFrame or array-like of shape (n_samples, n_features)
            Frame input or a 2-D array whose first column is the key.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.

        Returns
        -------
        self : PerElementMeanRegressor
        """
        _need_y(self, y)
        keys = _keys(self, X, reset=True)
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.shape[0] != keys.shape[0]:
            raise ValueError(f"X has {keys.shape[0]} rows but y has {y.shape[0]}.")
        if not np.isfinite(y).all():
            raise ValueError("Input y contains NaN or infinity.")
        self.overall_mean_ = y.mean(axis=0)
        codes, uniques = pd.factorize(pd.Series(keys, dtype=object))
        self.means_ = {k: y[codes == i].mean(axis=0) for i, k in enumerate(uniques)}
        return self

    def predict(self, X):
        """The mean training target of each row's key.

        Parameters
        ----------
        X : XASDataset, DataFrame or array-like of shape (n_samples, n_features)
            As at fit.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        check_is_fitted(self)
        keys = _keys(self, X, reset=False)
        return np.array([self.means_.get(k, self.overall_mean_) for k in keys])


class PerElementMajorityClassifier(ClassifierMixin, BaseEstimator):
    """Predicts, per label, what most training rows of the absorbing element had.

    The baseline of the neighbour-type task (multi-label): a neighbour element is
    predicted around an absorbing element when more than half of that element's
    training rows had it (over all training rows for elements unseen in training);
    ``predict_proba`` is that fraction. For an element whose sites mostly share one
    set of neighbours this is that set.

    Attributes
    ----------
    classes_ : ndarray
        The labels (element symbols, or column indices of an indicator ``y``).
    frequency_ : dict
        Key -> fraction of its training rows with each label.
    overall_frequency_ : ndarray
        The same over all training rows.
    n_features_in_ : int
        Columns of an array ``X`` at fit (absent for frames).

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_xas.estimators import PerElementMajorityClassifier
    >>> X = pd.DataFrame({"absorbing_element": ["Cu", "Cu", "Cu", "Na"]})
    >>> clf = PerElementMajorityClassifier().fit(X, [("O",), ("O",), ("O", "S"), ("Cl",)])
    >>> clf.predict_labels(pd.DataFrame({"absorbing_element": ["Cu", "Na"]}))
    [('O',), ('Cl',)]
    """

    _parameter_constraints: dict = {}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Learn how often each label occurs around each key.

        Parameters
        ----------
        X : XASDataset, DataFrame or array-like of shape (n_samples, n_features)
            Frame input or a 2-D array whose first column is the key.
        y : indicator matrix of shape (n_samples, n_labels) or sequence of collections
            The neighbour types of each row.

        Returns
        -------
        self : PerElementMajorityClassifier
        """
        _need_y(self, y)
        keys = _keys(self, X, reset=True)
        kind, value = encode_labels(y)
        if kind == "indicator":
            self._binarizer = None
            Y = value.astype(np.int64)
            self.classes_ = np.arange(Y.shape[1])
        else:
            self._binarizer = MultiLabelBinarizer().fit(value)
            Y = self._binarizer.transform(value).astype(np.int64)
            self.classes_ = np.asarray(self._binarizer.classes_)
        if Y.shape[0] != keys.shape[0]:
            raise ValueError(f"X has {keys.shape[0]} rows but y has {Y.shape[0]}.")
        codes, uniques = pd.factorize(pd.Series(keys, dtype=object))
        self.frequency_ = {k: Y[codes == i].mean(axis=0) for i, k in enumerate(uniques)}
        self.overall_frequency_ = Y.mean(axis=0)
        return self

    def predict(self, X):
        """The labels more than half of the key's training rows had (indicator matrix).

        Parameters
        ----------
        X : XASDataset, DataFrame or array-like of shape (n_samples, n_features)
            As at fit.

        Returns
        -------
        Y : ndarray of shape (n_samples, n_labels)
        """
        return (self.predict_proba(X) > 0.5).astype(np.int64)

    def predict_proba(self, X):
        """Per label, the fraction of the key's training rows that had it.

        Parameters
        ----------
        X : XASDataset, DataFrame or array-like of shape (n_samples, n_features)
            As at fit.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_labels)
            Clipped into (0, 1).
        """
        check_is_fitted(self)
        keys = _keys(self, X, reset=False)
        p = np.array([self.frequency_.get(k, self.overall_frequency_) for k in keys],
                     dtype=float).reshape(len(keys), -1)
        return np.clip(p, 1e-7, 1 - 1e-7)

    def predict_labels(self, X):
        """The predicted neighbour set of each row as a tuple of labels.

        Parameters
        ----------
        X : XASDataset, DataFrame or array-like of shape (n_samples, n_features)
            As at fit.

        Returns
        -------
        labels : list of tuple
        """
        classes = self.classes_.tolist()
        return [tuple(c for c, on in zip(classes, row) if on) for row in self.predict(X)]

    def score(self, X, y, sample_weight=None):
        """Exact-set accuracy.

        Parameters
        ----------
        X : XASDataset, DataFrame or array-like of shape (n_samples, n_features)
            As at fit.
        y : indicator matrix or sequence of collections
            True neighbour types.
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the samples in the average.

        Returns
        -------
        score : float
        """
        kind, value = encode_labels(y)
        Y = (value if kind == "indicator"
             else MultiLabelBinarizer(classes=self.classes_).fit([]).transform(value))
        correct = (self.predict(X) == Y).all(axis=1)
        return float(np.average(correct, weights=sample_weight))

    def __sklearn_tags__(self):
        tags = multi_label_tags(super().__sklearn_tags__())
        tags.input_tags.string = True
        return tags
