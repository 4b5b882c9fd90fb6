"""sklearn-xas: scikit-learn estimators for X-ray absorption spectra.

Both directions of XAS inference, across the periodic table:

- structure -> spectrum: :class:`SpectrumRegressor`;
- spectrum -> structure: :class:`NeighborTypeClassifier` (which elements neighbour
  the absorber) and :class:`NNDistanceRegressor` (mean nearest-neighbour distance).

Data are read into one data model, :class:`~sklearn_xas.datasets.XASDataset`, by the
readers of :mod:`sklearn_xas.datasets`; :mod:`sklearn_xas.pipelines` holds the
recommended recipes from that data model to predictions.
"""

import importlib

from ._version import __version__

# The top-level names are imported on first use (PEP 562): importing a subpackage such
# as sklearn_xas.datasets, or the command line's --help, then does not pay for torch.
_LAZY = {
    "NNDistanceRegressor": "estimators",
    "NeighborTypeClassifier": "estimators",
    "SpectrumRegressor": "estimators",
    "XASDataset": "datasets",
}

__all__ = [*_LAZY, "__version__"]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_LAZY})
