"""The XAStruct estimators: structure -> spectrum and spectrum -> structure.

- :class:`SpectrumRegressor`: site features -> spectrum on a fixed grid (forward);
- :class:`NeighborTypeClassifier`: spectrum -> which elements neighbour the absorber;
- :class:`NNDistanceRegressor`: spectrum -> mean nearest-neighbour distance, with
  calibrated intervals (``predict_interval``) and standard deviations;
- :class:`CoordinationNumberClassifier`: spectrum -> coordination number, with
  calibrated probabilities.

Each wraps a skorch network (CUDA when available) and plain scikit-learn baselines
behind ``fit``/``predict``, selected by ``backend``. The torch modules they train,
:class:`MLP` and :class:`Conv1DNet`, and the loss :class:`SpectrumLoss` are importable
for reuse. The inverse estimators that report their uncertainty also score how unlike
the training spectra a spectrum is (``applicability_score``, ``is_outlier``).
:class:`PerElementMeanRegressor` and :class:`PerElementMajorityClassifier`
are the per-absorbing-element baselines a model must beat.
"""

from ._baselines import PerElementMajorityClassifier, PerElementMeanRegressor
from ._coordination import CoordinationNumberClassifier
from ._modules import MLP, Conv1DNet, SpectrumLoss
from ._neighbor_type import NeighborTypeClassifier
from ._nn_distance import NNDistanceRegressor
from ._spectrum_regressor import SpectrumRegressor

__all__ = [
    "Conv1DNet",
    "CoordinationNumberClassifier",
    "MLP",
    "NNDistanceRegressor",
    "NeighborTypeClassifier",
    "PerElementMajorityClassifier",
    "PerElementMeanRegressor",
    "SpectrumLoss",
    "SpectrumRegressor",
]
