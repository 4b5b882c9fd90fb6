"""Utilities shared by sklearn-xas steps (frames, devices, progress, optional imports)."""

from ._device import resolve_device
from ._frame import as_frame, check_spectrum_type, row_label, single_spectrum_type
from ._optional import import_optional
from ._progress import progress

__all__ = [
    "as_frame",
    "check_spectrum_type",
    "import_optional",
    "progress",
    "resolve_device",
    "row_label",
    "single_spectrum_type",
]
