"""The recommended pipelines: the data model's frame in, predictions out.

Forward (structure -> spectrum)::

    frame --> [CHGNet embedding | SevenNet embedding | radial distribution]
          --> StandardScaler
          --> SpectrumRegressor

Inverse (spectrum -> structure)::

    frame --+--> SpectrumTypeSwitch --+-- XANES: EdgeStepNormalizer -> SpectrumResampler (E - E0)
            |                         +-- EXAFS: SpectrumResampler (k) -> KWeighter
            |                                    [+ ChiFourierTransform |chi(R)|]
            +--> AbsorberElementEncoder
                         --> NeighborTypeClassifier | NNDistanceRegressor
                             | CoordinationNumberClassifier
"""


import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._core import check_frame, check_spectrum_type
from ..estimators import (
    CoordinationNumberClassifier,
    NeighborTypeClassifier,
    NNDistanceRegressor,
    SpectrumRegressor,
)
from ..exceptions import XASDataError
from ..featurizers import (
    AbsorberElementEncoder,
    AbsorberRDFFeaturizer,
    CHGNetSiteEmbedder,
    SevenNetSiteEmbedder,
)
from ..preprocessing import (
    ChiFourierTransform,
    ChiWaveletTransform,
    EdgeStepNormalizer,
    KWeighter,
    SpectrumResampler,
)
from ._neighbor import NeighborTypePipeline

#: XANES grid of the inverse recipes: energy relative to E0 found from the data (eV).
XANES_GRID = (-5.0, 60.0, 131)
#: EXAFS grid of the inverse recipes: k (1/Angstrom); FEFF's chi(k) is unreliable below ~3.
EXAFS_GRID = (3.0, 14.0, 221)
#: The CHGNet layers of the forward recipe's absorber embedding (all five stages).
CHGNET_LAYERS = (0, 1, 2, 3, 4)

_KINDS = ("XANES", "EXAFS")


def xanes_branch(grid=XANES_GRID):
    """XANES rows -> edge-step normalised mu on a grid of E - E0 (E0 from the data).

    Parameters
    ----------
    grid : tuple (start, stop, num) or array-like, default=XANES_GRID
        Energies relative to E0 (eV). Spectra that do not reach a grid point take
        their nearest end value there (``outside="edge"``), so that spectra of
        different codes and elements, with different ranges, share one grid.

    Returns
    -------
    branch : Pipeline
        ``EdgeStepNormalizer() -> SpectrumResampler(grid, e0="data")``.

    Examples
    --------
    >>> from sklearn_xas.pipelines import xanes_branch
    >>> [name for name, _ in xanes_branch().steps]
    ['normalize', 'resample']
    """

    return Pipeline(
        [
            ("normalize", EdgeStepNormalizer()),
            (
                "resample",
                SpectrumResampler(grid=grid, e0="data", outside="edge", kind="XANES"),
            ),
        ]
    )


def exafs_branch(grid=EXAFS_GRID, features="k", kweight=2):
    """EXAFS rows -> k-weighted chi(k) on a k grid, and/or the magnitude |chi(R)|.

    Parameters
    ----------
    grid : tuple (start, stop, num), default=EXAFS_GRID
        k grid (1/Angstrom).
    features : {"k", "r", "k+r", "k+w", "k+r+w"}, default="k"
        ``"k"``: ``k**kweight * chi(k)`` on the grid; ``"r"``: the windowed Fourier
        transform's magnitude |chi(R)| from 0 to 6 Angstrom (window over the grid's
        range); ``"w"``: the pooled Cauchy wavelet transform
        (:class:`~sklearn_xas.preprocessing.ChiWaveletTransform`), which also says at
        which k each shell scatters; joined with ``+``: side by side.
    kweight : float, default=2
        Power of k that weights chi(k), for either feature.

    Returns
    -------
    branch : Pipeline

    Examples
    --------
    >>> from sklearn_xas.pipelines import exafs_branch
    >>> [name for name, _ in exafs_branch(features="k+r").steps]
    ['resample', 'features']
    """

    parts = features.split("+") if isinstance(features, str) else []
    if not parts or len(set(parts)) != len(parts) or not set(parts) <= {"k", "r", "w"}:
        raise ValueError(f"features must be 'k', 'r', 'k+r', 'k+w' or 'k+r+w', got "
                         f"{features!r}.")
    grid = tuple(grid)
    resample = SpectrumResampler(grid=grid, e0=None, kind="EXAFS")
    kw = KWeighter(k=grid, kweight=kweight)
    ft = ChiFourierTransform(
        k=grid, kweight=kweight, kmin=float(grid[0]), kmax=float(grid[1]), rmax=6.0, dr=0.05
    )
    wt = ChiWaveletTransform(k=grid, kweight=kweight)
    steps = {"k": kw, "r": ft, "w": wt}
    step = steps[parts[0]] if len(parts) == 1 else FeatureUnion([(p, steps[p]) for p in parts])
    name = {"k": "kweight", "r": "fourier", "w": "wavelet"}.get(features, "features")
    return Pipeline([("resample", resample), (name, step)])


def _branch_names(branch):
    """Output feature names of a fitted branch; for a Pipeline whose frame-to-frame
    steps have no feature names, those of its last step."""
    try:
        names = branch.get_feature_names_out()
    except (AttributeError, ValueError, TypeError):
        if not isinstance(branch, Pipeline):
            raise
        names = branch.steps[-1][1].get_feature_names_out()
    return np.asarray(names, dtype=object)


class SpectrumTypeSwitch(TransformerMixin, BaseEstimator):
    """Send XANES rows and EXAFS rows of a frame through their own preprocessing.

    A frame-dispatching step for the inverse recipes: the branch for the frame's kind
    of spectra is fitted and applied, so that one recipe serves a frame of XANES
    mu(E) rows and a frame of EXAFS chi(k) rows.

    ``X`` is the data model's frame, an :class:`~sklearn_xas.datasets.XASDataset`, or
    a sequence of :class:`~sklearn_xas.datasets.SiteSpectrum` (what scikit-learn's
    cross-validation makes of a data set).

    Parameters
    ----------
    xanes : transformer or None, default=None
        Frame of XANES rows -> 2-D array; ``None`` means :func:`xanes_branch`.
    exafs : transformer or None, default=None
        Frame of EXAFS rows -> 2-D array; ``None`` means :func:`exafs_branch`.
    kind : {"auto", "XANES", "EXAFS", "mixed"}, default="auto"
        ``"auto"``: the one kind of the training frame (a frame mixing both raises an
        error). ``"XANES"``/``"EXAFS"``: that kind only. ``"mixed"``: both kinds in one
        frame, each row through its own branch; the output puts the XANES features,
        the EXAFS features (zeros for rows of the other kind) and a last column,
        ``is_exafs``, side by side, so that one model learns from both kinds.

    Attributes
    ----------
    kind_ : str
        ``"XANES"``, ``"EXAFS"`` or ``"mixed"``.
    branches_ : dict
        Kind -> fitted branch.
    n_features_out_ : int

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn_xas.pipelines import SpectrumTypeSwitch
    >>> k = np.linspace(0.0, 16.0, 321)
    >>> frame = pd.DataFrame({"spectrum_type": ["EXAFS"] * 2, "x": [k, k],
    ...                       "y": [np.sin(4 * k), np.sin(5 * k)]})
    >>> switch = SpectrumTypeSwitch().fit(frame)
    >>> switch.kind_, switch.transform(frame).shape
    ('EXAFS', (2, 221))
    """

    _parameter_constraints = {
        "xanes": [HasMethods(["fit", "transform"]), None],
        "exafs": [HasMethods(["fit", "transform"]), None],
        "kind": [StrOptions({"auto", "XANES", "EXAFS", "mixed"})],
    }

    def __init__(self, *, xanes=None, exafs=None, kind="auto"):
        self.xanes = xanes
        self.exafs = exafs
        self.kind = kind

    def _frame(self, X):
        frame = check_frame(X, ["spectrum_type"], step=type(self).__name__)
        if len(frame) == 0:
            raise XASDataError(f"{type(self).__name__}: X holds no rows.")
        return frame

    def _branch(self, kind):
        given = self.xanes if kind == "XANES" else self.exafs
        if given is not None:
            return clone(given)
        return xanes_branch() if kind == "XANES" else exafs_branch()

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the branch (or branches) of the frame's kind of spectra.

        Parameters
        ----------
        X : XASDataset or DataFrame
            The frame of spectra (XANES and/or EXAFS rows).
        y : ignored
            Not used, present for API consistency.

        Returns
        -------
        self : SpectrumTypeSwitch
        """
        self._fit(X)
        return self

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_transform(self, X, y=None):
        """Fit, then transform ``X`` (each branch fitted and applied once).

        Parameters
        ----------
        X : XASDataset or DataFrame
            The frame of spectra (XANES and/or EXAFS rows).
        y : ignored
            Not used, present for API consistency.

        Returns
        -------
        Xt : ndarray of shape (n_samples, n_features_out_)
        """
        return self._fit(X, transform=True)

    def _fit(self, X, transform=False):
        frame = self._frame(X)
        types = frame["spectrum_type"].astype(str).to_numpy()
        present = [k for k in _KINDS if (types == k).any()]
        unknown = sorted(set(types) - set(_KINDS))
        if unknown:
            raise XASDataError(
                f"{type(self).__name__}: spectrum_type must be 'XANES' or 'EXAFS', got "
                f"{unknown}."
            )
        kind = self.kind
        if kind == "auto":
            if len(present) > 1:
                counts = ", ".join(f"{int((types == k).sum())} {k}" for k in _KINDS)
                raise XASDataError(
                    f"{type(self).__name__}: X mixes XANES and EXAFS rows ({counts}). A model "
                    "fitted on one kind cannot read the other: fit one pipeline per kind "
                    "(kind='XANES' or 'EXAFS' on frame[frame.spectrum_type == kind]), or pass "
                    "kind='mixed' to give each row its own branch and learn from both."
                )
            kind = present[0]
        elif kind in _KINDS:
            check_spectrum_type(frame, kind, step=type(self).__name__)
        self.kind_ = kind
        kinds = present if kind == "mixed" else [kind]
        self.branches_ = {}
        outputs = {}
        for k in kinds:
            rows = np.flatnonzero(types == k)
            branch = self._branch(k)
            sub = frame.iloc[rows]
            if transform:
                outputs[k] = np.asarray(branch.fit_transform(sub), dtype=np.float64)
            else:
                branch.fit(sub)
            self.branches_[k] = branch
        if kind == "mixed":
            self._widths = {k: self._width(k, outputs.get(k)) for k in _KINDS}
        self.n_features_out_ = len(self.get_feature_names_out())
        if not transform:
            return self
        if kind != "mixed":
            return outputs[kind]
        return self._assemble(types, outputs)

    def _width(self, kind, output):
        if kind not in self.branches_:
            return 0
        if output is not None:
            return output.shape[1]
        return len(_branch_names(self.branches_[kind]))

    def _assemble(self, types, outputs):
        n_x, n_e = self._widths["XANES"], self._widths["EXAFS"]
        out = np.zeros((len(types), n_x + n_e + 1))
        for k, block in outputs.items():
            rows = np.flatnonzero(types == k)
            cols = slice(0, n_x) if k == "XANES" else slice(n_x, n_x + n_e)
            out[rows, cols] = block
        out[:, -1] = types == "EXAFS"
        return out

    def transform(self, X):
        """Preprocess each row with the branch of its kind.

        Parameters
        ----------
        X : XASDataset or DataFrame
            The frame of spectra, of the kinds seen at fit.

        Returns
        -------
        Xt : ndarray of shape (n_samples, n_features_out_)

        Raises
        ------
        XASDataError
            Naming the first row of a kind the step was not fitted on.
        """
        check_is_fitted(self)
        frame = self._frame(X)
        if self.kind_ != "mixed":
            check_spectrum_type(frame, self.kind_, step=type(self).__name__)
            return np.asarray(self.branches_[self.kind_].transform(frame), dtype=np.float64)
        types = frame["spectrum_type"].astype(str).to_numpy()
        missing = [k for k in _KINDS if (types == k).any() and k not in self.branches_]
        if missing:
            check_spectrum_type(frame, next(iter(self.branches_)), step=type(self).__name__)
        outputs = {
            k: np.asarray(b.transform(frame.iloc[np.flatnonzero(types == k)]), dtype=np.float64)
            for k, b in self.branches_.items()
            if (types == k).any()
        }
        return self._assemble(types, outputs)

    def get_feature_names_out(self, input_features=None):
        """Names of the output features (prefixed by the kind when ``kind="mixed"``).

        Parameters
        ----------
        input_features : ignored
            Not used, present for API consistency.

        Returns
        -------
        names : ndarray of str
        """
        check_is_fitted(self, "branches_")
        if self.kind_ != "mixed":
            return _branch_names(self.branches_[self.kind_])
        names = []
        for k in _KINDS:
            if k in self.branches_:
                inner = _branch_names(self.branches_[k])
                names += [f"{k.lower()}__{n}" for n in inner]
        return np.asarray(names + ["is_exafs"], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        return tags


def _element_width():
    return len(AbsorberElementEncoder().fit(["Cu"]).get_feature_names_out())


def _inverse_features(kind, xanes_grid, exafs_grid, exafs_features, element_encoding):
    switch = SpectrumTypeSwitch(
        xanes=xanes_branch(xanes_grid),
        exafs=exafs_branch(exafs_grid, features=exafs_features),
        kind=kind,
    )
    if not element_encoding:
        return switch
    return FeatureUnion([("spectrum", switch), ("element", AbsorberElementEncoder())])


def make_spectrum_pipeline(*, featurizer=None, **params):
    """The forward recipe: frame of site spectra -> spectra on a grid.

    ``featurizer -> StandardScaler -> SpectrumRegressor``. ``X`` is the data model's
    frame (or an :class:`~sklearn_xas.datasets.XASDataset`); ``y`` holds the spectra
    on one grid, for instance ``SpectrumResampler(grid=...).fit_transform(frame)``.

    Parameters
    ----------
    featurizer : transformer or None, default=None
        Frame -> site features. ``None``: the absorbing site's pretrained CHGNet
        embedding, all five stages (:class:`~sklearn_xas.featurizers.CHGNetSiteEmbedder`
        with ``layer=CHGNET_LAYERS``, on the regressor's ``device``), the invariants of
        its pretrained SevenNet-0 embedding after each of the five interaction blocks
        (:class:`~sklearn_xas.featurizers.SevenNetSiteEmbedder`, same device) and its
        element-weighted radial distribution
        (:class:`~sklearn_xas.featurizers.AbsorberRDFFeaturizer`).
    **params
        Parameters of :class:`~sklearn_xas.estimators.SpectrumRegressor`; its
        ``n_ensemble`` defaults here to 5 networks.

    Returns
    -------
    pipeline : Pipeline
        Steps ``"featurize"``, ``"scale"``, ``"regress"`` (so that grid-search keys
        read ``regress__lr``).

    Notes
    -----
    On the Cu K-edge FEFF XANES of OmniXAS (OmniXAS's grid and scale; fit on its
    training split, scored on its validation split), eta, the median per-spectrum
    MSE of the training-mean spectrum over that of the model, was 6.4 for one
    network on the CHGNet embedding alone, 6.8 with the radial distribution beside
    it, and 7.2 for the average of 5 networks (members 6.1-6.8). The SevenNet-0
    invariants beside them took the average of 5 from 7.19 to 7.97 (and from 11.24 to
    14.35 on an inner split of the training list, where choices are made), more than a
    species-blind SOAP did (7.54, 12.71), which added nothing beside SevenNet
    (``benchmarks/script_forward_experiments.py``). Run side by side by
    ``benchmarks/script_accuracy.py``, this recipe reached 8.24 where the previous
    one (CHGNet + radial distribution + SOAP) reached 7.79, fitting in 1.2 times the
    time. OmniXAS's Cu FEFF expert model reached 5.19 on its test split.

    Examples
    --------
    >>> from sklearn_xas.featurizers import AbsorberRDFFeaturizer
    >>> from sklearn_xas.pipelines import make_spectrum_pipeline
    >>> pipe = make_spectrum_pipeline(featurizer=AbsorberRDFFeaturizer(), backend="knn")
    >>> [name for name, _ in pipe.steps]
    ['featurize', 'scale', 'regress']
    """
    params.setdefault("n_ensemble", 5)
    regressor = SpectrumRegressor(**params)
    if featurizer is None:
        featurizer = FeatureUnion(
            [
                ("chgnet", CHGNetSiteEmbedder(layer=CHGNET_LAYERS, device=regressor.device)),
                ("sevennet", SevenNetSiteEmbedder(device=regressor.device)),
                ("rdf", AbsorberRDFFeaturizer()),
            ]
        )
    return Pipeline(
        [("featurize", featurizer), ("scale", StandardScaler()), ("regress", regressor)]
    )


def make_neighbor_type_pipeline(
    *,
    kind="auto",
    xanes_grid=XANES_GRID,
    exafs_grid=EXAFS_GRID,
    exafs_features="k",
    element_encoding=True,
    relative_labels=True,
    **params,
):
    """The inverse recipe for neighbour types: frame of spectra -> neighbour elements.

    ``[spectrum preprocessing | absorber element encoding] -> NeighborTypeClassifier``.
    ``X`` is a frame of XANES mu(E) rows (any absorbing elements; edges aligned on E0
    found from the data) or of EXAFS chi(k) rows; ``y`` the neighbour types, e.g. the
    ``"neighbor_types"`` column of :func:`sklearn_xas.targets.compute_targets`.

    Parameters
    ----------
    kind : {"auto", "XANES", "EXAFS", "mixed"}, default="auto"
        See :class:`SpectrumTypeSwitch`: ``"auto"`` takes the training frame's one
        kind and raises an error on a frame mixing both; ``"mixed"`` learns from both.
    xanes_grid : tuple or array-like, default=XANES_GRID
        Grid of E - E0 (eV) for XANES rows.
    exafs_grid : tuple, default=EXAFS_GRID
        k grid (1/Angstrom) for EXAFS rows.
    exafs_features : {"k", "r", "k+r", "k+w", "k+r+w"}, default="k"
        See :func:`exafs_branch`. On held-out FEFF6L EXAFS (a fifth of the materials of
        the shared Materials Project set and of the generated prototype set; one seed)
        the exact-set accuracy was 0.73 and 0.27 with ``"k"``, 0.73 and 0.28 with
        ``"k+r"``, 0.75 and 0.29 with ``"k+w"``, 0.75 and 0.30 with ``"k+r+w"`` (the
        shipped models' choice); on 170 sites of 30 materials, the other way round
        (0.70 with ``"k"``, 0.69 with ``"k+r+w"``, grid-searched by material).
    element_encoding : bool, default=True
        Append the absorbing element's properties
        (:class:`~sklearn_xas.featurizers.AbsorberElementEncoder`), so that one model
        serves every element.
    relative_labels : bool, default=True
        Learn the absorber's own element among its neighbours as one label shared by
        all elements (see :class:`NeighborTypePipeline`).
    **params
        Parameters of :class:`~sklearn_xas.estimators.NeighborTypeClassifier`. Its
        ``n_spectrum_features`` defaults here to every column but the element
        encoding (what the ``"cnn"`` backend convolves over), and its ``n_ensemble``
        to 5 networks: on the held-out sets above (``"k+r+w"``) 5 networks scored
        0.76 and 0.30 against 0.75 and 0.30 for one, and on the 30 shared measured
        standards 0.83 against 0.63 (metal foils no longer called Ni or Cr).

    Returns
    -------
    pipeline : NeighborTypePipeline
        A Pipeline with steps ``"features"`` and ``"classify"``.

    Examples
    --------
    >>> from sklearn_xas.pipelines import make_neighbor_type_pipeline
    >>> pipe = make_neighbor_type_pipeline(backend="random_forest")
    >>> pipe.named_steps["classify"].backend
    'random_forest'
    """
    features = _inverse_features(kind, xanes_grid, exafs_grid, exafs_features, element_encoding)
    if element_encoding:
        params.setdefault("n_spectrum_features", -_element_width())
    params.setdefault("n_ensemble", 5)
    return NeighborTypePipeline(
        [("features", features), ("classify", NeighborTypeClassifier(**params))],
        relative_labels=relative_labels,
    )


def make_nn_distance_pipeline(
    *,
    kind="auto",
    xanes_grid=XANES_GRID,
    exafs_grid=EXAFS_GRID,
    exafs_features="k+r",
    element_encoding=True,
    **params,
):
    """The inverse recipe for the mean nearest-neighbour distance (Angstrom).

    ``[spectrum preprocessing | absorber element encoding] -> NNDistanceRegressor``,
    on the same frames as :func:`make_neighbor_type_pipeline`; ``y`` is e.g. the
    ``"mean_nn_distance"`` column of :func:`sklearn_xas.targets.compute_targets`.

    Parameters
    ----------
    kind : {"auto", "XANES", "EXAFS", "mixed"}, default="auto"
        See :func:`make_neighbor_type_pipeline`.
    xanes_grid : tuple or array-like, default=XANES_GRID
        Grid of E - E0 (eV) for XANES rows.
    exafs_grid : tuple, default=EXAFS_GRID
        k grid (1/Angstrom) for EXAFS rows.
    exafs_features : {"k", "r", "k+r"}, default="k+r"
        The Fourier transform's |chi(R)| shows the first shell's distance directly.
    element_encoding : bool, default=True
        Append the absorbing element's properties, so that one model serves every element.
    **params
        Parameters of :class:`~sklearn_xas.estimators.NNDistanceRegressor`.

    Returns
    -------
    pipeline : Pipeline
        Steps ``"features"`` and ``"regress"``.

    Examples
    --------
    >>> from sklearn_xas.pipelines import make_nn_distance_pipeline
    >>> make_nn_distance_pipeline().named_steps["regress"].backend
    'extra_trees'
    """
    features = _inverse_features(kind, xanes_grid, exafs_grid, exafs_features, element_encoding)
    return Pipeline([("features", features), ("regress", NNDistanceRegressor(**params))])


def make_coordination_pipeline(
    *,
    kind="auto",
    xanes_grid=XANES_GRID,
    exafs_grid=EXAFS_GRID,
    exafs_features="k+r",
    element_encoding=True,
    **params,
):
    """The inverse recipe for the coordination number (multi-class).

    ``[spectrum preprocessing | absorber element encoding] ->
    CoordinationNumberClassifier``, on the same frames as
    :func:`make_neighbor_type_pipeline`; ``y`` is e.g. the ``"coordination_number"``
    column of :func:`sklearn_xas.targets.compute_targets`.

    Parameters
    ----------
    kind : {"auto", "XANES", "EXAFS", "mixed"}, default="auto"
        See :func:`make_neighbor_type_pipeline`.
    xanes_grid : tuple or array-like, default=XANES_GRID
        Grid of E - E0 (eV) for XANES rows.
    exafs_grid : tuple, default=EXAFS_GRID
        k grid (1/Angstrom) for EXAFS rows.
    exafs_features : str, default="k+r"
        See :func:`exafs_branch`: the height of the first shell's peak in |chi(R)|
        grows with the number of neighbours.
    element_encoding : bool, default=True
        Append the absorbing element's properties, so that one model serves every element.
    **params
        Parameters of :class:`~sklearn_xas.estimators.CoordinationNumberClassifier`.

    Returns
    -------
    pipeline : Pipeline
        Steps ``"features"`` and ``"classify"``. Pass the materials to the classifier's
        calibration with ``pipe.fit(data, y, classify__groups=data.groups)``; its
        applicability score reads the features:
        ``pipe[-1].applicability_score(pipe[:-1].transform(frame))``.

    Examples
    --------
    >>> from sklearn_xas.datasets import load_prototype_exafs
    >>> from sklearn_xas.pipelines import make_coordination_pipeline
    >>> from sklearn_xas.targets import compute_targets
    >>> data = load_prototype_exafs(elements=["Na", "Cl", "Zn", "S"],
    ...                             prototypes=["rocksalt", "zincblende"])
    >>> y = compute_targets(data, method="cutoff")["coordination_number"]
    >>> pipe = make_coordination_pipeline(n_estimators=50, random_state=0)
    >>> pipe.fit(data, y, classify__groups=data.groups).classes_.tolist()
    [4, 6]
    >>> pipe.predict_proba(data).shape
    (11, 2)
    """
    features = _inverse_features(kind, xanes_grid, exafs_grid, exafs_features, element_encoding)
    return Pipeline(
        [("features", features), ("classify", CoordinationNumberClassifier(**params))]
    )


__all__ = [
    "CHGNET_LAYERS",
    "EXAFS_GRID",
    "SpectrumTypeSwitch",
    "XANES_GRID",
    "exafs_branch",
    "make_coordination_pipeline",
    "make_neighbor_type_pipeline",
    "make_nn_distance_pipeline",
    "make_spectrum_pipeline",
    "xanes_branch",
]
