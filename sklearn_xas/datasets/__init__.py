"""Readers that turn XAS data in its real formats into the one data model.

Every reader returns an :class:`XASDataset`, whose ``frame`` has one row per site
spectrum (``material_id``, ``absorbing_index``, ``absorbing_element``, ``edge``,
``spectrum_type``, ``structure``, ``x``, ``y``, ``multiplicity``, ``source``).
"""

from .._core import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    SPECTRUM_TYPES,
    SiteSpectrum,
    XASDataset,
    extract_archive,
    get_data_home,
)
from ._bundled import (
    load_prototype_exafs,
    load_prototype_xanes,
    prototype_exafs_info,
    prototype_xanes_info,
)
from ._examples import EXAMPLES, example_spectra
from ._feff import FEFF_LAYOUT, format_poscar, load_feff_tree, parse_poscar, write_feff_tree
from ._json import document_to_record, fetch_materials_project, load_xas_json
from ._measured import (
    ATHENA_PROCESSING,
    COLUMN_SUFFIXES,
    MEASURED_COLUMNS,
    load,
    load_athena,
    load_columns,
    load_xdi,
)
from ._standards import load_measured_standards

__all__ = [
    "ATHENA_PROCESSING",
    "COLUMN_SUFFIXES",
    "EXAMPLES",
    "FEFF_LAYOUT",
    "MEASURED_COLUMNS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "SPECTRUM_TYPES",
    "SiteSpectrum",
    "XASDataset",
    "document_to_record",
    "example_spectra",
    "extract_archive",
    "fetch_materials_project",
    "format_poscar",
    "get_data_home",
    "load",
    "load_athena",
    "load_columns",
    "load_feff_tree",
    "load_measured_standards",
    "load_prototype_exafs",
    "load_prototype_xanes",
    "load_xas_json",
    "load_xdi",
    "parse_poscar",
    "prototype_exafs_info",
    "prototype_xanes_info",
    "write_feff_tree",
]
