"""The bottom layer: the data model, frame validation, site helpers and X-ray physics.

Every subpackage may import from here; nothing here imports from above it (a test
enforces the layering). Public names are re-exported by the subpackages users know
(:mod:`sklearn_xas.datasets`, :mod:`sklearn_xas.preprocessing`,
:mod:`sklearn_xas.utils`).
"""

from ._archive import extract_archive, get_data_home
from ._dataset import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    SPECTRUM_TYPES,
    SiteSpectrum,
    XASDataset,
    check_record,
    check_spectrum_arrays,
    collect_records,
    record_label,
)
from ._edges import (
    DEFAULT_E0_SMOOTH,
    MIN_POINTS_E0,
    edge_energy,
    edge_step,
    find_e0,
    frame_e0,
    spectra_e0,
    tabulated_e0,
)
from ._frame import check_frame, check_spectrum_type, is_frame, row_label, single_spectrum_type
from ._kspace import ETOK, energy_to_k, k_to_energy
from ._messages import MAX_LISTED, list_records
from ._sites import site_elements
from ._spectra import Spectra, frame_spectra, interp_rows

__all__ = [
    "DEFAULT_E0_SMOOTH",
    "ETOK",
    "MAX_LISTED",
    "MIN_POINTS_E0",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "SPECTRUM_TYPES",
    "SiteSpectrum",
    "Spectra",
    "XASDataset",
    "check_frame",
    "check_record",
    "check_spectrum_arrays",
    "check_spectrum_type",
    "collect_records",
    "edge_energy",
    "edge_step",
    "energy_to_k",
    "extract_archive",
    "find_e0",
    "frame_e0",
    "frame_spectra",
    "get_data_home",
    "interp_rows",
    "is_frame",
    "k_to_energy",
    "list_records",
    "record_label",
    "row_label",
    "single_spectrum_type",
    "site_elements",
    "spectra_e0",
    "tabulated_e0",
]
