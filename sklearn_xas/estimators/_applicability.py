"""Applicability domain: how unlike the training set a spectrum is, and held-out
calibration splits, shared by the inverse estimators that report their uncertainty.

The score of a row is a percentile. Its distance to the training set is the mean
Euclidean distance to its :data:`N_NEIGHBORS` nearest training rows, in the features
standardised by the training set; the reference is the same distance for every
training row to the *other groups'* rows (other materials, when ``fit`` was given
``groups``; other rows otherwise). The score is the fraction of reference distances
below the row's: a new material like the training ones scores uniformly in [0, 1], a
spectrum further from the training set than every training material scores 1.
"""

import math
import numbers

import numpy as np
from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.validation import check_is_fitted

from ._skorch import standardization

#: Training neighbours whose mean distance makes a row's distance to the training set.
N_NEIGHBORS = 5


def check_groups(groups, n_samples):
    """``groups`` as a 1-D array of ``n_samples`` labels, or None."""
    if groups is None:
        return None
    groups = np.asarray(groups)
    if groups.ndim != 1 or groups.shape[0] != n_samples:
        raise ValueError(
            f"groups must be 1-D with one label per row of X ({n_samples}), got shape "
            f"{groups.shape}."
        )
    return groups


def calibration_split(n_samples, groups, fraction, seed):
    """Rows ``(fit, calibrate)`` for a held-out calibration, whole groups on one side.

    Returns None when there are too few rows or groups for two non-empty parts.
    """
    units = n_samples if groups is None else len(np.unique(groups))
    if units < 2 or math.ceil(fraction * units) >= units:
        return None
    if groups is None:
        splitter = ShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
        fit_rows, cal_rows = next(splitter.split(np.zeros(n_samples)))
    else:
        splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
        fit_rows, cal_rows = next(splitter.split(np.zeros(n_samples), groups=groups))
    if len(fit_rows) < 2 or len(cal_rows) < 1:
        return None
    return np.sort(fit_rows), np.sort(cal_rows)


def conformal_quantile(scores, level):
    """The ``ceil((n + 1) level)``-th smallest of the ``n`` sorted ``scores`` (inf when
    that exceeds ``n``): split conformal prediction's finite-sample quantile."""
    n = len(scores)
    rank = math.ceil((n + 1) * level - 1e-9)
    return float(scores[rank - 1]) if 1 <= rank <= n else math.inf


def _reference_distances(Z, codes, k):
    """Sorted mean distances of each row of ``Z`` to its ``k`` nearest rows of another
    group (of fewer where there are fewer; rows with none are left out)."""
    n = len(Z)
    if n < 2:
        return np.array([], dtype=np.float64)
    extra = int(np.bincount(codes).max())  # a row's own group may hide this many
    dist, idx = NearestNeighbors(n_neighbors=min(n, k + extra)).fit(Z).kneighbors(Z)
    other = codes[idx] != codes[:, None]
    use = other & (np.cumsum(other, axis=1) <= k)
    counts = use.sum(axis=1)
    keep = counts > 0
    return np.sort((dist * use).sum(axis=1)[keep] / counts[keep])


#: Training rows the applicability domain keeps at most (a seeded sample beyond: the
#: score is a percentile of distances, which a few thousand rows estimate well, and
#: every kept row is stored with the model: 20k rows of 300 features took 24 MB).
MAX_DOMAIN_ROWS = 4000


def _index(domain):
    """Brute-force neighbour search over the kept rows (fitting it only stores them)."""
    return NearestNeighbors(algorithm="brute").fit(domain["rows"])


class _ApplicabilityDomainMixin:
    """``applicability_score`` and ``is_outlier`` for a fitted estimator (not public).

    The estimator calls :meth:`_fit_domain` at the end of ``fit`` with the validated
    ``X`` and the optional ``groups``; it provides ``_validate_predict_X``.
    """

    def _fit_domain(self, X, groups):
        mean, scale = standardization(X, True)
        Z = ((X - mean) / scale).astype(np.float32)
        if len(Z) > MAX_DOMAIN_ROWS:  # a seeded sample keeps saved models small
            keep = np.sort(np.random.default_rng(0).choice(len(Z), MAX_DOMAIN_ROWS,
                                                           replace=False))
            Z = Z[keep]
            groups = None if groups is None else np.asarray(groups)[keep]
        n = len(Z)
        k = max(1, min(N_NEIGHBORS, n - 1))
        reference = None
        if groups is not None:
            reference = _reference_distances(Z, np.unique(groups, return_inverse=True)[1], k)
        if reference is None or reference.size == 0:  # no groups, or a single one
            reference = _reference_distances(Z, np.arange(n), k)
        self._domain = {
            "mean": mean,
            "scale": scale,
            "rows": Z,  # searched by brute force: an index would be pickled with a copy
            "n_neighbors": k,
            "reference": reference,
        }

    def _domain_distance(self, X):
        domain = self._domain
        Z = ((X - domain["mean"]) / domain["scale"]).astype(np.float32)
        dist, _ = _index(domain).kneighbors(Z, n_neighbors=domain["n_neighbors"])
        return dist.mean(axis=1)

    def applicability_score(self, X):
        """How unlike the training set each row is: a percentile in [0, 1].

        The row's mean distance to its nearest training rows (features standardised
        by the training set), as a fraction of the training rows that are closer than
        that to the *other* groups' rows (other materials when ``fit`` had ``groups``).
        Rows like a new training material score uniformly in [0, 1]; a score of 1
        means further from the training set than any training row is from the rest.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra (and other features) laid out as at fit.

        Returns
        -------
        score : ndarray of shape (n_samples,)
            In [0, 1]; higher is less like the training set.
        """
        X = self._validate_predict_X(X)
        reference = self._domain["reference"]
        distance = self._domain_distance(X)
        if reference.size == 0:  # a single training row: anything elsewhere is unlike it
            return (distance > 0).astype(np.float64)
        return np.searchsorted(reference, distance, side="left") / reference.size

    def nearest_training_rows(self, X, n_neighbors=3):
        """The training rows nearest to each row of ``X``, as the domain measures it.

        Up to 4,000 training rows (a seeded sample of larger sets)
        are kept with the model for :meth:`applicability_score`; these are the ones
        searched, in the features standardised by the training set.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra (and other features) laid out as at fit.
        n_neighbors : int, default=3
            How many training rows per row (at most the number kept).

        Returns
        -------
        distances : ndarray of shape (n_samples, n_neighbors)
            Euclidean distances in the standardised features, nearest first.
        rows : ndarray of shape (n_samples, n_neighbors, n_features)
            Those training rows, in the units of ``X``.
        """
        X = self._validate_predict_X(X)
        domain = self._domain
        if not isinstance(n_neighbors, numbers.Integral) or n_neighbors < 1:
            raise ValueError(f"n_neighbors must be a positive integer, got {n_neighbors!r}.")
        n = min(int(n_neighbors), len(domain["rows"]))
        Z = ((X - domain["mean"]) / domain["scale"]).astype(np.float32)
        dist, idx = _index(domain).kneighbors(Z, n_neighbors=n)
        rows = domain["rows"][idx].astype(np.float64) * domain["scale"] + domain["mean"]
        return dist, rows

    def is_outlier(self, X, threshold=0.99):
        """Flag the rows unlike the training set (outside its applicability domain).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra (and other features) laid out as at fit.
        threshold : float, default=0.99
            A row is flagged when its :meth:`applicability_score` exceeds this: about
            ``1 - threshold`` of new materials like the training ones are flagged.

        Returns
        -------
        flagged : ndarray of bool of shape (n_samples,)
        """
        if not isinstance(threshold, numbers.Real) or not 0 <= threshold < 1:
            raise ValueError(f"threshold must be in [0, 1), got {threshold!r}.")
        check_is_fitted(self)
        return self.applicability_score(X) > threshold
