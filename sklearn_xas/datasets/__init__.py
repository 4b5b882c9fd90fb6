"""Readers that turn XAS data in its real formats into the one data model.

Every reader returns an :class:`XASDataset`, whose ``frame`` has one row per site
spectrum (``material_id``, ``absorbing_index``, ``absorbing_element``, ``edge``,
``spectrum_type``, ``structure``, ``x``, ``y``, ``multiplicity``, ``source``).
"""

from ._archive import extract_archive, get_data_home
from ._dataset import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    SPECTRUM_TYPES,
    SiteSpectrum,
    XASDataset,
)

__all__ = [
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "SPECTRUM_TYPES",
    "SiteSpectrum",
    "XASDataset",
    "extract_archive",
    "get_data_home",
]
