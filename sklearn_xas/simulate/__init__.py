"""EXAFS chi(k) simulated with FEFF6L (bundled with the optional xraylarch).

:func:`simulate_exafs` runs one absorbing site; :func:`simulate_dataset` runs many
in parallel and returns the data model (:class:`~sklearn_xas.datasets.XASDataset`);
:mod:`sklearn_xas.simulate` also builds the prototype crystals of the bundled data set
(:func:`prototype_structures`). Install the extra with ``pip install
'sklearn-xas[simulate]'``.
"""

from ._batch import average_by_structure, inequivalent_sites, simulate_dataset
from ._feff6 import (
    DEFAULT_K,
    FeffError,
    chi_from_paths,
    default_edge,
    feff6_input,
    feff6l_executable,
    run_feff6l,
    simulate_exafs,
)
from ._prototypes import Prototype, build_prototype, prototype_structures

__all__ = [
    "DEFAULT_K",
    "FeffError",
    "Prototype",
    "average_by_structure",
    "build_prototype",
    "chi_from_paths",
    "default_edge",
    "feff6_input",
    "feff6l_executable",
    "inequivalent_sites",
    "prototype_structures",
    "run_feff6l",
    "simulate_dataset",
    "simulate_exafs",
]
