"""EXAFS chi(k) simulated with FEFF6L (bundled with the optional xraylarch).

:func:`simulate_exafs` runs one absorbing site; :func:`simulate_dataset` runs many
in parallel and returns the data model (:class:`~sklearn_xas.datasets.XASDataset`);
:mod:`sklearn_xas.simulate` also builds the prototype crystals of the bundled data set
(:func:`prototype_structures`). Install the extra with ``pip install
'sklearn-xas[simulate]'``.
"""

from ._batch import average_by_structure, inequivalent_sites, read_structures, simulate_dataset
from ._feff6 import (
    DEFAULT_K,
    FeffError,
    default_edge,
    feff6_input,
    simulate_exafs,
)
from ._generator import (
    DISORDER_RANGES,
    GeneratedStructure,
    generate_structures,
    relax_structures,
    sample_disorder,
)
from ._prototypes import build_prototype, prototype_structures

__all__ = [
    "DEFAULT_K",
    "DISORDER_RANGES",
    "GeneratedStructure",
    "generate_structures",
    "relax_structures",
    "sample_disorder",
    "FeffError",
    "average_by_structure",
    "build_prototype",
    "default_edge",
    "feff6_input",
    "inequivalent_sites",
    "prototype_structures",
    "read_structures",
    "simulate_dataset",
    "simulate_exafs",
]
