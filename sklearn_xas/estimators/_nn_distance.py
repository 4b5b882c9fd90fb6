"""Inverse model: spectrum (+ absorber encoding) -> mean nearest-neighbour distance,
with calibrated uncertainty (standard deviation, conformal intervals) and an
applicability-domain score."""

import math
import numbers
import warnings
from contextlib import nullcontext

import numpy as np
from sklearn.base import RegressorMixin, _fit_context, clone
from sklearn.ensemble import (
    ExtraTreesRegressor,
    HistGradientBoostingRegressor,
    RandomForestRegressor,
)
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from ._applicability import (
    _ApplicabilityDomainMixin,
    calibration_split,
    check_groups,
    conformal_quantile,
)
from ._docs import NETWORK_PARAMETERS, document_parameters
from ._modules import MLP, SpectrumLoss
from ._skorch import (
    NET_PARAMETER_CONSTRAINTS,
    _BaseNetEstimator,
    draw_seed,
    hidden_sizes,
    standardization,
    torch_threads,
)

#: The coverage of one standard deviation of a normal distribution: what
#: ``predict(X, return_std=True)`` calibrates its ``std`` to.
ONE_SIGMA = math.erf(1 / math.sqrt(2))  # 0.6827

#: backend -> the parameters it reads (templated into the docstring).
_FOREST = (
    "n_estimators", "min_samples_leaf", "calibration_fraction", "n_jobs", "random_state",
    "verbose",
)
BACKEND_PARAMETERS = {
    "extra_trees": _FOREST,
    "gradient_boosting": (
        "calibration_fraction",
        "max_iter",
        "learning_rate",
        "max_leaf_nodes",
        "l2_regularization",
        "min_samples_leaf",
        "validation_fraction",
        "patience",
        "n_jobs",
        "random_state",
        "verbose",
    ),
    "random_forest": _FOREST,
    "mlp": (*NETWORK_PARAMETERS, "calibration_fraction", "n_jobs", "random_state", "verbose"),
}


@document_parameters(BACKEND_PARAMETERS)
class NNDistanceRegressor(_ApplicabilityDomainMixin, RegressorMixin, _BaseNetEstimator):
    """Predict the absorber's mean nearest-neighbour distance (Angstrom) from its spectrum.

    ``X`` holds a spectrum on a common grid, optionally followed by other features such
    as the absorber's element encoding, so that one model serves every absorbing
    element; ``y`` is the mean nearest-neighbour distance (see
    :mod:`sklearn_xas.targets`). The default backend is extremely randomised trees, an
    efficient baseline that needs no per-element tuning; histogram gradient boosting, a
    random forest and a fully connected network trained through skorch are selected
    with ``backend``. Extra trees were chosen on an inner split of the training
    materials of the multi-element EXAFS set (mean absolute error 0.060 A against 0.068
    A for gradient boosting, 0.065 A for the random forest at four times the fit time
    and 0.075 A for the network); gradient boosting fits far faster.

    Each prediction can come with its uncertainty: ``predict(X, return_std=True)``,
    :meth:`predict_interval` (conformal intervals of a chosen coverage, calibrated on
    materials held out inside ``fit``) and :meth:`applicability_score` (how unlike the
    training spectra a spectrum is); see the Notes.

    Parameters
    ----------
    backend : {"extra_trees", "gradient_boosting", "random_forest", "mlp"}, \
            default="extra_trees"
        ``"extra_trees"``: :class:`~sklearn.ensemble.ExtraTreesRegressor`;
        ``"gradient_boosting"``:
        :class:`~sklearn.ensemble.HistGradientBoostingRegressor`;
        ``"random_forest"``: :class:`~sklearn.ensemble.RandomForestRegressor`;
        ``"mlp"``: :class:`~sklearn_xas.estimators.MLP` on standardised inputs and
        target. Each backend reads only some of the other parameters (see the Notes).
    max_iter : int, default=500
        Most boosting iterations.
    learning_rate : float, default=0.1
        Shrinkage of the boosting.
    max_leaf_nodes : int, default=31
        Most leaves per boosting tree.
    l2_regularization : float, default=0.0
        L2 regularisation of the boosting trees' leaf values.
    n_estimators : int, default=300
        Trees of the random forest or of the extra trees.
    min_samples_leaf : int or None, default=None
        Fewest training rows in a leaf of the trees. ``None`` takes each model's own
        default: 1 for ``"extra_trees"`` and ``"random_forest"``, 20 for
        ``"gradient_boosting"``.
    {hidden_layer_sizes}
    {activation}
    {dropout}
    {lr}
    {weight_decay}
    {batch_size}
    {max_epochs}
    {validation_fraction}
        For ``"gradient_boosting"``, the held-out fraction for early stopping of the
        boosting iterations; ``None`` or 0, or fewer than 2 rows on either side of the
        split, disables its early stopping.
    {patience}
        For ``"gradient_boosting"``, the iterations without improvement of the
        validation loss before the boosting stops; ``None`` disables its early stopping.
    {lr_schedule}
    {n_ensemble}
        With several networks, their spread scales the intervals of each row (see the
        Notes).
    calibration_fraction : float or None, default=0.2
        Fraction of the training groups (the ``groups`` of :meth:`fit`, e.g. materials;
        rows without them) held out to calibrate :meth:`predict_interval` and
        ``predict(X, return_std=True)``: a copy of the model is fitted on the other
        rows and its errors on the held-out ones are the conformity scores. The model
        itself is then fitted on every row, as without calibration. This costs a second
        fit of about ``1 - calibration_fraction`` of the first; ``None`` skips it (and
        the uncertainty methods then raise an error).
    n_jobs : int or None, default=None
        Parallel jobs of the ``"extra_trees"`` and ``"random_forest"`` (as in
        scikit-learn: ``None`` is one job unless a :func:`joblib.parallel_backend`
        context says otherwise, -1 all cores), the most OpenMP threads of the
        ``"gradient_boosting"``, or torch threads of the ``"mlp"`` on the CPU (``None``
        or negative: all cores).
    {device}
    {random_state}
    {verbose}

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The (first) fitted network (``"mlp"``).
    nets_ : list of skorch.NeuralNet
        The ``n_ensemble`` fitted networks.
    estimator_ : estimator
        The fitted scikit-learn model (tree backends).
    n_iter_ : int
        Epochs (``"mlp"``), boosting iterations (``"gradient_boosting"``) or trees
        (``"random_forest"``, ``"extra_trees"``) fitted.
    conformity_scores_ : ndarray of shape (n_calibration,) or None
        Sorted normalised absolute errors ``|y - y_pred| / (spread + spread_floor_)``
        of the held-out calibration rows, or plain absolute errors (in Angstrom) for
        the backends without a spread (empty when there were too few rows or groups to
        hold some out; ``None`` with ``calibration_fraction=None``).
    spread_floor_ : float
        Added to every row's spread: a tenth of the median spread of the calibration
        rows (0 when the errors are not scaled by a spread).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Notes
    -----
    The parameters each backend reads, besides ``backend`` (it ignores the others, so
    that one parameter grid can span backends):

    {backend_table}

    **Uncertainty.** The spread of a row is the standard deviation of the members'
    predictions: the trees of ``"extra_trees"`` and ``"random_forest"``, the networks
    of ``"mlp"`` with ``n_ensemble > 1``; the other backends have none (a spread of 1:
    every row gets the same width). The spread alone is no calibrated standard
    deviation (92 % of the extra trees' errors on held-out materials of the
    multi-element EXAFS set are smaller than it, where 68 % would be), so :meth:`fit`
    calibrates it by split conformal prediction: it holds out ``calibration_fraction``
    of the groups, fits a copy of the model on the rest and keeps the held-out rows'
    normalised errors ``|y - y_pred| / (spread + floor)`` (``conformity_scores_``). The
    interval of coverage ``c`` of a new row is its prediction plus or minus the
    ``ceil((n + 1) c)``-th smallest of the ``n`` scores times its spread: on new
    materials like the training ones it holds the truth with probability at least
    ``c`` (slightly more, since the model predicting is fitted on every row). Scaling by
    the spread gives narrow intervals where the trees agree and wide ones where they do
    not. On the held-out materials of the EXAFS set (``benchmarks/script_uncertainty.py``)
    90 % intervals covered 91.1 % of the sites with a mean width of 0.20 A, against
    0.29 A at the same coverage with unscaled errors; 68 % intervals covered 66 %.
    ``return_std=True`` gives the half-width of the interval of coverage 0.6827, one
    standard deviation of a normal distribution (no normality is assumed).

    Pass the materials as ``groups`` to :meth:`fit`, so that the calibration holds out
    whole materials, as new ones will be. Where a material contributes near-identical
    rows (equivalent sites, augmented copies, repeated scans), holding out rows one by
    one makes the intervals too narrow for new materials; on the EXAFS set, whose sites
    of a material are inequivalent, it made little difference (92.1 % against 91.1 %).
    In the recipe :func:`~sklearn_xas.pipelines.make_nn_distance_pipeline`, whose last
    step this is, ``pipe.fit(data, y, regress__groups=data.groups)`` does so, and
    ``pipe.predict(frame, return_std=True)`` works through the pipeline; the intervals
    and scores come from the last step on the features of the others:
    ``pipe[-1].predict_interval(pipe[:-1].transform(frame))``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_xas.estimators import NNDistanceRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 8))
    >>> y = 2.0 + 0.1 * X[:, 0]
    >>> reg = NNDistanceRegressor(n_estimators=50, random_state=0).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    >>> y_pred, y_std = reg.predict(X[:2], return_std=True)
    >>> bool((y_std > 0).all())
    True
    >>> interval = reg.predict_interval(X[:2], coverage=0.9)
    >>> interval.shape, bool((interval[:, 0] < y_pred).all())
    ((2, 2), True)
    >>> reg.applicability_score(X[:2] + 10.0).tolist()  # far from every training row
    [1.0, 1.0]
    """

    _parameter_constraints = {
        "backend": [StrOptions({"gradient_boosting", "random_forest", "extra_trees", "mlp"})],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0.0, None, closed="neither")],
        "max_leaf_nodes": [Interval(numbers.Integral, 2, None, closed="left")],
        "l2_regularization": [Interval(numbers.Real, 0.0, None, closed="left")],
        "n_estimators": [Interval(numbers.Integral, 1, None, closed="left")],
        "min_samples_leaf": [Interval(numbers.Integral, 1, None, closed="left"), None],
        **NET_PARAMETER_CONSTRAINTS,
        "hidden_layer_sizes": ["array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "calibration_fraction": [Interval(numbers.Real, 0.0, 1.0, closed="neither"), None],
        "n_jobs": [numbers.Integral, None],
    }

    def __init__(
        self,
        *,
        backend="extra_trees",
        max_iter=500,
        learning_rate=0.1,
        max_leaf_nodes=31,
        l2_regularization=0.0,
        n_estimators=300,
        min_samples_leaf=None,
        hidden_layer_sizes=(256, 256),
        activation="relu",
        dropout=0.0,
        lr=1e-3,
        weight_decay=1e-4,
        batch_size=64,
        max_epochs=300,
        validation_fraction=0.1,
        patience=20,
        lr_schedule=None,
        n_ensemble=1,
        calibration_fraction=0.2,
        n_jobs=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.backend = backend
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.l2_regularization = l2_regularization
        self.n_estimators = n_estimators
        self.min_samples_leaf = min_samples_leaf
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.lr_schedule = lr_schedule
        self.n_ensemble = n_ensemble
        self.calibration_fraction = calibration_fraction
        self.n_jobs = n_jobs
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, groups=None):
        """Fit the model, calibrate its uncertainty and record its applicability domain.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra on a common grid, optionally followed by other features.
        y : array-like of shape (n_samples,)
            Mean nearest-neighbour distances in Angstrom.
        groups : array-like of shape (n_samples,) or None, default=None
            The material of each row (e.g. ``XASDataset.groups``): the calibration
            holds out whole materials and the applicability score measures distances
            to other materials. ``None``: rows are held out one by one, which makes the
            intervals too narrow for new materials when a material has near-identical
            rows.

        Returns
        -------
        self : NNDistanceRegressor
        """
        X, y = self._validate_fit_X(X, y, y_numeric=True)
        y = y.astype(np.float64)
        groups = check_groups(groups, len(y))
        self._reset_fitted()
        self._fit_model(X, y)
        self._fit_domain(X, groups)
        self._calibrate(X, y, groups)
        return self

    def _fit_model(self, X, y):
        """Fit the backend on validated ``X`` and float ``y``."""
        if self.backend == "mlp":
            Y = y.reshape(-1, 1)
            self.y_mean_, self.y_scale_ = standardization(Y, True)
            self._fit_net(
                X,
                ((Y - self.y_mean_) / self.y_scale_).astype(np.float32),
                module=MLP,
                module_kwargs={
                    "n_outputs": 1,
                    "hidden_layer_sizes": hidden_sizes(self.hidden_layer_sizes),
                    "activation": self.activation,
                    "dropout": float(self.dropout),
                },
                criterion=SpectrumLoss,
            )
        else:
            with self._threads():
                self.estimator_ = self._make_baseline(len(y)).fit(X, y)
            self.n_iter_ = int(getattr(self.estimator_, "n_iter_", self.n_estimators))

    def _calibrate(self, X, y, groups):
        """Split conformal calibration on held-out groups (see the class Notes).

        A few lines of our own rather than MAPIE: the grouped split is ours in either
        case, MAPIE's normalised score trains a separate model of the errors where the
        members' spread comes for free here, and its 1.x API (a rewrite of 0.x's) would
        be one more optional dependency to pin for a quantile. Measured on held-out
        EXAFS materials (benchmarks/script_uncertainty.py): MAPIE's CV+ over 5 group
        folds covered 91.6 % with 0.29 A wide 90 % intervals, at five extra fits; this
        split, scaled by the spread, 91.1 % at 0.20 A, at one.
        """
        self.conformity_scores_ = None
        self.spread_floor_ = 0.0
        self._scaled_by_spread = False
        if self.calibration_fraction is None:
            return
        rng = check_random_state(self.random_state)
        draw_seed(rng)  # the model's own seed, for an int random_state
        split_seed, model_seed = draw_seed(rng), draw_seed(rng)
        split = calibration_split(len(y), groups, self.calibration_fraction, split_seed)
        if split is None:
            self.conformity_scores_ = np.array([], dtype=np.float64)
            return
        fit_rows, cal_rows = split
        model = clone(self).set_params(random_state=model_seed, verbose=0)
        model._fit_model(X[fit_rows], y[fit_rows])
        y_pred, spread = model._predict_spread(X[cal_rows])
        errors = np.abs(y[cal_rows] - y_pred)
        # members that mostly agree exactly (one tree, a constant target) say nothing
        if spread is not None and np.median(spread) > 0:
            self._scaled_by_spread = True
            self.spread_floor_ = 0.1 * float(np.median(spread))
            errors = errors / (spread + self.spread_floor_)
        self.conformity_scores_ = np.sort(errors)

    def _make_baseline(self, n_samples):
        seed = draw_seed(self.random_state)
        if self.backend in ("random_forest", "extra_trees"):
            forest = (
                RandomForestRegressor if self.backend == "random_forest" else ExtraTreesRegressor
            )
            return forest(
                n_estimators=self.n_estimators,
                min_samples_leaf=self.min_samples_leaf or 1,
                n_jobs=self.n_jobs,
                random_state=seed,
                verbose=self.verbose,
            )
        frac = self.validation_fraction or 0.0
        n_valid = math.ceil(frac * n_samples) if frac else 0
        early = self.patience is not None and n_valid >= 2 and n_samples - n_valid >= 2
        return HistGradientBoostingRegressor(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            l2_regularization=self.l2_regularization,
            min_samples_leaf=self.min_samples_leaf or 20,
            early_stopping=early,
            validation_fraction=frac if early else None,
            n_iter_no_change=self.patience or 10,
            random_state=seed,
            verbose=self.verbose,
        )

    def predict(self, X, return_std=False):
        """Predict mean nearest-neighbour distances, and optionally their uncertainty.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra (and other features) laid out as at fit.
        return_std : bool, default=False
            Also return each prediction's standard deviation: the half-width of its
            conformal interval of coverage 0.6827 (see :meth:`predict_interval`).

        Returns
        -------
        y : ndarray of shape (n_samples,)
            In Angstrom.
        std : ndarray of shape (n_samples,)
            In Angstrom; only with ``return_std=True``.
        """
        X = self._validate_predict_X(X)
        if return_std:
            y, half = self._interval(X, ONE_SIGMA)
            return y, half
        return self._predict(X)

    def predict_interval(self, X, coverage=0.9):
        """Conformal prediction intervals of the mean nearest-neighbour distance.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra (and other features) laid out as at fit.
        coverage : float, default=0.9
            The probability, in (0, 1), that an interval holds the true distance of a
            new material like the training ones (calibrated on the materials held out
            by :meth:`fit`; see the class Notes).

        Returns
        -------
        intervals : ndarray of shape (n_samples, 2)
            Lower and upper bounds in Angstrom, around :meth:`predict`. Unbounded
            (``-inf``, ``inf``) when too few rows were held out for this coverage,
            with a warning.
        """
        if not isinstance(coverage, numbers.Real) or not 0 < coverage < 1:
            raise ValueError(f"coverage must be in (0, 1), got {coverage!r}.")
        X = self._validate_predict_X(X)
        y, half = self._interval(X, float(coverage))
        return np.column_stack([y - half, y + half])

    def _interval(self, X, coverage):
        """Predictions and half-widths of the ``coverage`` intervals on validated X."""
        check_is_fitted(self)
        scores = getattr(self, "conformity_scores_", None)
        if scores is None:
            raise NotFittedError(
                f"This {type(self).__name__} was fitted with calibration_fraction=None: "
                "refit it with a calibration_fraction (0.2, say) for uncertainties."
            )
        quantile = conformal_quantile(scores, coverage)
        if math.isinf(quantile):
            warnings.warn(
                f"{len(scores)} calibration rows are too few for intervals of coverage "
                f"{coverage:g}: they are unbounded. Fit on more rows or groups, or with a "
                "larger calibration_fraction.",
                UserWarning,
                stacklevel=3,
            )
        if self._scaled_by_spread:
            y, spread = self._predict_spread(X)
            spread = spread + self.spread_floor_
        else:
            y, spread = self._predict(X), 1.0
        half = quantile * np.broadcast_to(spread, y.shape)
        return y, np.where(np.isnan(half), math.inf, half)

    def _predict(self, X):
        """Predictions on validated ``X``."""
        if hasattr(self, "net_"):
            return self._forward(X)[:, 0] * self.y_scale_[0] + self.y_mean_[0]
        with self._threads():
            return np.asarray(self.estimator_.predict(X), dtype=np.float64)

    def _predict_spread(self, X):
        """Predictions and the members' spread (None without members) on validated X."""
        y = self._predict(X)
        if hasattr(self, "net_"):
            if len(self.nets_) < 2:
                return y, None
            X32 = self._scale_X(X)
            with torch_threads(self.n_jobs, self.net_.device):
                members = [
                    net.forward(X32, training=False, device="cpu").detach().numpy()[:, 0]
                    for net in self.nets_
                ]
            spread = np.std(members, axis=0).astype(np.float64) * self.y_scale_[0]
            return y, spread
        if isinstance(self.estimator_, (RandomForestRegressor, ExtraTreesRegressor)):
            X32 = np.asarray(X, dtype=np.float32)
            members = [tree.predict(X32) for tree in self.estimator_.estimators_]
            return y, np.std(members, axis=0)
        return y, None

    def _threads(self):
        """Limit the boosting's OpenMP threads to ``n_jobs`` (a no-op when unset)."""
        if self.backend != "gradient_boosting" or self.n_jobs is None or self.n_jobs < 0:
            return nullcontext()
        return threadpool_limits(limits=max(1, int(self.n_jobs)), user_api="openmp")
