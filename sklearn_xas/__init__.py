"""sklearn-xas: scikit-learn estimators for X-ray absorption spectra.

Both directions of XAS inference, across the periodic table:

- structure -> spectrum: :class:`SpectrumRegressor`;
- spectrum -> structure: :class:`NeighborTypeClassifier` (which elements neighbour
  the absorber) and :class:`NNDistanceRegressor` (mean nearest-neighbour distance).

Data are read into one data model, :class:`~sklearn_xas.datasets.XASDataset`, by the
readers of :mod:`sklearn_xas.datasets`; :mod:`sklearn_xas.pipelines` holds the
recommended recipes from that data model to predictions.
"""

__version__ = "0.1.0.dev0"

from .datasets import XASDataset  # noqa: E402
from .estimators import (  # noqa: E402
    NeighborTypeClassifier,
    NNDistanceRegressor,
    SpectrumRegressor,
)

__all__ = [
    "NNDistanceRegressor",
    "NeighborTypeClassifier",
    "SpectrumRegressor",
    "XASDataset",
    "__version__",
]
