"""Spectra simulated from structures: EXAFS with FEFF6L, XANES with FEFF10.

EXAFS chi(k) comes from FEFF6L (bundled with the optional xraylarch, ``pip install
'sklearn-xas[simulate]'``): :func:`simulate_exafs` runs one absorbing site;
:func:`simulate_dataset` runs many in parallel and returns the data model
(:class:`~sklearn_xas.datasets.XASDataset`). XANES mu(E) comes from FEFF10 through
feff10-rs (``pip install 'sklearn-xas[xanes]'``; based on FEFF10):
:func:`simulate_xanes` for one site, :func:`simulate_xanes_dataset` for many, written
as a resumable Lightshow-style tree. :mod:`sklearn_xas.simulate` also builds the
prototype crystals of the bundled data set (:func:`prototype_structures`), generates
diverse ones for training (:func:`generate_structures`), and fits a first-shell FEFF
path to chi(k) (:func:`fit_first_shell`) to refine a distance.
"""

from ._batch import average_by_structure, inequivalent_sites, read_structures, simulate_dataset
from ._feff6 import (
    DEFAULT_K,
    FeffError,
    default_edge,
    feff6_input,
    simulate_exafs,
)
from ._feff10 import (
    DEFAULT_CORE_HOLE,
    DEFAULT_FMS_RADIUS,
    DEFAULT_K_GRID,
    DEFAULT_SCF_RADIUS,
    SCF_RETRY_CARD,
    feff10_available,
    feff10_input,
    simulate_xanes,
    simulate_xanes_dataset,
)
from ._generator import (
    DISORDER_RANGES,
    ELEMENT_POLYMORPHS,
    GeneratedStructure,
    generate_structures,
    relax_structures,
    sample_disorder,
)
from ._prototypes import (
    COVALENT_ELEMENTS,
    build_prototype,
    covalent_element_structures,
    prototype_structures,
)
from ._shell_fit import MAX_R_FACTOR, PEAK_SHIFT, FirstShellFit, fit_first_shell

__all__ = [
    "COVALENT_ELEMENTS",
    "DEFAULT_CORE_HOLE",
    "DEFAULT_FMS_RADIUS",
    "DEFAULT_K",
    "ELEMENT_POLYMORPHS",
    "DEFAULT_K_GRID",
    "DEFAULT_SCF_RADIUS",
    "DISORDER_RANGES",
    "FeffError",
    "FirstShellFit",
    "GeneratedStructure",
    "MAX_R_FACTOR",
    "PEAK_SHIFT",
    "SCF_RETRY_CARD",
    "average_by_structure",
    "build_prototype",
    "covalent_element_structures",
    "default_edge",
    "feff10_available",
    "feff10_input",
    "feff6_input",
    "fit_first_shell",
    "generate_structures",
    "inequivalent_sites",
    "prototype_structures",
    "read_structures",
    "relax_structures",
    "sample_disorder",
    "simulate_dataset",
    "simulate_exafs",
    "simulate_xanes",
    "simulate_xanes_dataset",
]
