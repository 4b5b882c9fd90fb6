"""Forward model: site features -> spectrum on a fixed grid (multi-output regression)."""

import numbers

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.linear_model import Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions

from ._docs import NETWORK_PARAMETERS, document_parameters
from ._modules import MLP, SpectrumLoss
from ._skorch import (
    NET_PARAMETER_CONSTRAINTS,
    _BaseNetEstimator,
    draw_seed,
    hidden_sizes,
    standardization,
)

#: backend -> the parameters it reads (templated into the docstring).
BACKEND_PARAMETERS = {
    "mlp": (
        *NETWORK_PARAMETERS,
        "derivative_weight",
        "positive_output",
        "standardize_targets",
        "n_jobs",
        "random_state",
        "verbose",
    ),
    "knn": ("n_neighbors", "n_jobs"),
    "ridge": ("alpha",),
    "extra_trees": ("n_estimators", "n_jobs", "random_state", "verbose"),
}


@document_parameters(BACKEND_PARAMETERS)
class SpectrumRegressor(RegressorMixin, _BaseNetEstimator):
    """Predict a spectrum on a fixed grid from features of the absorbing site.

    Multi-output regression ``X (n_samples, n_features) -> Y (n_samples, n_points)``:
    ``X`` holds site features (for instance
    :class:`~sklearn_xas.featurizers.CHGNetSiteEmbedder` embeddings) and ``Y`` the
    spectra, all on one grid. The default backend is a fully connected network trained
    through skorch (on CUDA when available); plain scikit-learn baselines are selected
    with ``backend``. Inputs are standardised per feature inside the estimator for
    every backend but the (scale-invariant) trees, so results do not depend on the
    features' units.

    Parameters
    ----------
    backend : {"mlp", "knn", "ridge", "extra_trees"}, default="mlp"
        ``"mlp"``: a :class:`~sklearn_xas.estimators.MLP` trained with AdamW on the
        (standardised) spectra, with early stopping on an internal validation split.
        ``"knn"``: :class:`~sklearn.neighbors.KNeighborsRegressor` (distance weights).
        ``"ridge"``: :class:`~sklearn.linear_model.Ridge`.
        ``"extra_trees"``: :class:`~sklearn.ensemble.ExtraTreesRegressor`.
        Each backend reads only some of the other parameters (see the Notes).
    {hidden_layer_sizes}
    {activation}
    {dropout}
    {lr}
    {weight_decay}
    {batch_size}
    {max_epochs}
    {validation_fraction}
    {patience}
    {lr_schedule}
    {n_ensemble}
    derivative_weight : float, default=0.0
        Weight of a second loss term, the mean squared error of the first difference
        of the spectrum (in its original units), which rewards getting the shape of
        the edge and the oscillations right.
    positive_output : bool, default=False
        Constrain the predicted spectra to be non-negative (a softplus output), as
        mu(E) is; the targets must then be non-negative.
    standardize_targets : bool, default=True
        Train the network on targets standardised per point.
    n_neighbors : int, default=5
        Neighbours of the k-nearest-neighbours baseline.
    alpha : float, default=1.0
        Regularisation strength of the ridge baseline.
    n_estimators : int, default=200
        Trees of the extra-trees baseline.
    n_jobs : int or None, default=None
        Parallel jobs of the ``"knn"`` and ``"extra_trees"`` baselines; for the network
        on the CPU, the most torch threads while fitting and predicting (``None`` or
        negative: torch's own setting).
    {device}
    {random_state}
    {verbose}

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The (first) fitted network (network backends).
    nets_ : list of skorch.NeuralNet
        The ``n_ensemble`` fitted networks.
    estimator_ : estimator
        The fitted scikit-learn model (baseline backends).
    n_iter_ : int
        Epochs trained (by ``net_``; network backends).
    best_epoch_ : int
        Epoch whose weights ``net_`` kept (network backends).
    y_mean_, y_scale_ : ndarray of shape (n_outputs,)
        Standardisation of the targets (network backends).
    n_outputs_ : int
        Points per predicted spectrum.
    train_mean_ : ndarray of shape (n_outputs,)
        The mean training spectrum: the baseline of
        :func:`~sklearn_xas.metrics.eta_score` (see
        :func:`~sklearn_xas.metrics.eta_scorer`).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn_xas.pipelines.make_spectrum_pipeline : The recommended recipe from the
        frame of site spectra.

    Notes
    -----
    The parameters each backend reads, besides ``backend`` (it ignores the others, so
    that one parameter grid can span backends):

    {backend_table}

    The network's defaults (two hidden layers of 512 SiLU units, dropout 0.1, AdamW
    at 1e-3 halved on plateaus, early stopping after 40 epochs) come from the Cu
    K-edge FEFF XANES of OmniXAS with CHGNet site embeddings as features, on a
    material-disjoint split carved from its training set: eta (median MSE of the
    training-mean spectrum over that of the model) about 8.4 with (256, 256) ReLU
    units and no schedule, 9.2 with the width, activation and dropout, 9.3-10.4
    (two seeds) with the plateau schedule too. Averaging a few networks
    (``n_ensemble``) helps further.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_xas.estimators import SpectrumRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 4))
    >>> grid = np.linspace(0, 1, 20)
    >>> Y = np.exp(-((grid - 0.5 - 0.1 * X[:, :1]) ** 2) / 0.02)
    >>> reg = SpectrumRegressor(hidden_layer_sizes=(32,), max_epochs=20, random_state=0)
    >>> reg.fit(X, Y).predict(X[:3]).shape
    (3, 20)
    >>> SpectrumRegressor(backend="knn").fit(X, Y).predict(X[:3]).shape
    (3, 20)
    """

    _parameter_constraints = {
        "backend": [StrOptions({"mlp", "knn", "ridge", "extra_trees"})],
        **NET_PARAMETER_CONSTRAINTS,
        "hidden_layer_sizes": ["array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "derivative_weight": [Interval(numbers.Real, 0.0, None, closed="left")],
        "positive_output": ["boolean"],
        "standardize_targets": ["boolean"],
        "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "alpha": [Interval(numbers.Real, 0.0, None, closed="left")],
        "n_estimators": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_jobs": [numbers.Integral, None],
    }

    def __init__(
        self,
        *,
        backend="mlp",
        hidden_layer_sizes=(512, 512),
        activation="silu",
        dropout=0.1,
        lr=1e-3,
        weight_decay=1e-4,
        batch_size=64,
        max_epochs=500,
        validation_fraction=0.1,
        patience=40,
        lr_schedule="plateau",
        n_ensemble=1,
        derivative_weight=0.0,
        positive_output=False,
        standardize_targets=True,
        n_neighbors=5,
        alpha=1.0,
        n_estimators=200,
        n_jobs=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.backend = backend
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
        self.derivative_weight = derivative_weight
        self.positive_output = positive_output
        self.standardize_targets = standardize_targets
        self.n_neighbors = n_neighbors
        self.alpha = alpha
        self.n_estimators = n_estimators
        self.n_jobs = n_jobs
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Site features.
        y : array-like of shape (n_samples, n_points) or (n_samples,)
            Spectra on one common grid.

        Returns
        -------
        self : SpectrumRegressor
        """
        X, y = self._validate_fit_X(X, y, multi_output=True, y_numeric=True)
        self._y_1d = y.ndim == 1
        Y = y.reshape(len(y), -1).astype(np.float64, copy=False)
        self.n_outputs_ = Y.shape[1]
        self._reset_fitted()
        self.train_mean_ = Y.mean(axis=0)
        if self.backend == "mlp":
            self._fit_mlp(X, Y)
        else:
            self.estimator_ = self._make_baseline().fit(X, y)
        return self

    def _fit_mlp(self, X, Y):
        if self.positive_output and (Y < 0).any():
            raise ValueError(
                "positive_output=True constrains the predicted spectra to be non-negative, but "
                f"{int((Y < 0).sum())} target value(s) are negative (min {Y.min():g})."
            )
        self.y_mean_, self.y_scale_ = standardization(Y, self.standardize_targets)
        Ys = ((Y - self.y_mean_) / self.y_scale_).astype(np.float32)
        lower = -self.y_mean_ / self.y_scale_ if self.positive_output else None
        self._fit_net(
            X,
            Ys,
            module=MLP,
            module_kwargs={
                "n_outputs": self.n_outputs_,
                "hidden_layer_sizes": hidden_sizes(self.hidden_layer_sizes),
                "activation": self.activation,
                "dropout": float(self.dropout),
                "output_lower": lower,
            },
            criterion=SpectrumLoss,
            criterion_kwargs={
                "derivative_weight": float(self.derivative_weight),
                "scale": self.y_scale_,
            },
        )

    def _make_baseline(self):
        if self.backend == "knn":
            return make_pipeline(
                StandardScaler(),
                KNeighborsRegressor(
                    n_neighbors=self.n_neighbors, weights="distance", n_jobs=self.n_jobs
                ),
            )
        if self.backend == "ridge":
            return make_pipeline(StandardScaler(), Ridge(alpha=self.alpha))
        return ExtraTreesRegressor(
            n_estimators=self.n_estimators,
            n_jobs=self.n_jobs,
            random_state=draw_seed(self.random_state),
            verbose=self.verbose,
        )

    def predict(self, X, return_std=False):
        """Predict spectra, and optionally the spread of the model's members.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Site features, computed as for the training data.
        return_std : bool, default=False
            Also return, point by point, the standard deviation of the members'
            predictions: the ``n_ensemble`` networks (``"mlp"`` with ``n_ensemble >= 2``),
            or the trees (``"extra_trees"``). It says where the model is unsure, but
            it is not a calibrated interval: on the held-out materials of the bundled
            XANES set its per-spectrum mean ranked the spectra's errors with Spearman
            0.72 (trees) and 0.58 (5 networks), and 73 % (trees) and 29 % (networks) of
            the points lay within one standard deviation.

        Returns
        -------
        Y : ndarray of shape (n_samples, n_points) or (n_samples,)
            Predicted spectra (1-D when ``y`` was 1-D at fit).
        std : ndarray, same shape as ``Y``
            Only with ``return_std=True``.

        Raises
        ------
        ValueError
            With ``return_std=True`` for a model without members that disagree:
            ``"ridge"``, ``"knn"`` or a single network.
        """
        X = self._validate_predict_X(X)
        if return_std:
            Y, std = self._members_spread(X)
            shape = (len(X),) if self._y_1d else (len(X), -1)
            return Y.reshape(shape), std.reshape(shape)
        if hasattr(self, "net_"):
            Y = self._forward(X) * self.y_scale_ + self.y_mean_
            if self.positive_output:
                Y = np.maximum(Y, 0.0)
        else:
            Y = np.asarray(self.estimator_.predict(X), dtype=np.float64)
        Y = Y.reshape(len(X), -1)
        return Y.ravel() if self._y_1d else Y

    def _members_spread(self, X):
        """Mean and standard deviation over the members, shape (n, n_outputs) each."""
        if hasattr(self, "net_") and len(self.nets_) >= 2:
            members = self._forward(X, members=True) * self.y_scale_ + self.y_mean_
            if self.positive_output:
                members = np.maximum(members, 0.0)
        elif self.backend == "extra_trees":
            members = np.stack([np.asarray(t.predict(X), dtype=np.float64).reshape(len(X), -1)
                                for t in self.estimator_.estimators_])
        else:
            raise ValueError(
                f"return_std needs members that can disagree: backend {self.backend!r}"
                + (" with n_ensemble=1" if self.backend == "mlp" else "")
                + " has none. Use n_ensemble >= 2 or 'extra_trees'."
            )
        return members.mean(axis=0), members.std(axis=0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        tags.non_deterministic = False
        return tags
