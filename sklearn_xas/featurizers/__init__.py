"""Featurizers of the absorbing site: what forward models (structure -> spectrum) see.

Every featurizer is a scikit-learn transformer whose ``X`` is the data model's
frame (or an :class:`~sklearn_xas.datasets.XASDataset`, or a sequence of
``(structure, index)`` pairs) and whose output is a float64 array with named
columns:

- :class:`AbsorberSiteFeaturizer`: any matminer site featurizers, clonable and
  parallel (joblib, including the dask backend), with an explicit error policy and
  an opt-in cache;
- :class:`AbsorberRDFFeaturizer`: the project's fast element-weighted, smeared
  radial distribution around the absorber;
- :class:`AbsorberSOAPFeaturizer`: dscribe's SOAP around the absorber, blind to the
  species (the geometry of the neighbourhood);
- :class:`CHGNetSiteEmbedder`: the absorbing site's embedding from the pretrained
  CHGNet potential (its weights ship in CHGNet's wheel, a core dependency);
- :class:`SevenNetSiteEmbedder`: rotation invariants at the absorbing site from the
  pretrained SevenNet equivariant potential (weights in the ``sevenn`` wheel);
- :class:`AbsorberElementEncoder`: the absorbing element (and edge) as element
  properties, for models that serve many elements.

Parallelism goes through joblib, one task per structure (all its absorbing sites),
so a dask.distributed cluster can do the work::

    from dask.distributed import Client
    import joblib

    client = Client(...)                     # or LocalCluster(processes=True)
    with joblib.parallel_backend("dask"):
        X = AbsorberSiteFeaturizer(featurizers).fit_transform(frame)

Errors name the row. ``on_error="nan"`` instead gives failed rows NaN features and
warns (:class:`~sklearn_xas.exceptions.SkippedRecordsWarning`) listing them; there is
no ``"skip"``, because a transformer inside a Pipeline cannot drop rows (``y`` would
no longer match).
"""

from ._base import clear_feature_cache
from ._element import (
    DEFAULT_PROPERTIES,
    EDGE_FEATURES,
    ONE_HOT_PROPERTIES,
    SCALAR_PROPERTIES,
    AbsorberElementEncoder,
    scalar_property_table,
)
from ._embedding import CHGNetSiteEmbedder
from ._rdf import AbsorberRDFFeaturizer
from ._sevennet import SEVENNET_MODELS, SevenNetSiteEmbedder
from ._site import AbsorberSiteFeaturizer
from ._soap import AbsorberSOAPFeaturizer

__all__ = [
    "DEFAULT_PROPERTIES",
    "EDGE_FEATURES",
    "ONE_HOT_PROPERTIES",
    "SCALAR_PROPERTIES",
    "SEVENNET_MODELS",
    "AbsorberElementEncoder",
    "AbsorberRDFFeaturizer",
    "AbsorberSOAPFeaturizer",
    "AbsorberSiteFeaturizer",
    "CHGNetSiteEmbedder",
    "SevenNetSiteEmbedder",
    "clear_feature_cache",
    "scalar_property_table",
]
