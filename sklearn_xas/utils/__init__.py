"""Utilities shared by sklearn-xas steps (frames, devices, progress, optional imports).

:func:`check_frame` is the one contract of steps that take the data model as ``X``.
"""

from .._core import check_frame, check_spectrum_type, is_frame, row_label, single_spectrum_type
from ._device import check_device, limit_threads, resolve_device
from ._optional import import_optional
from ._progress import progress

__all__ = [
    "check_device",
    "check_frame",
    "check_spectrum_type",
    "import_optional",
    "is_frame",
    "limit_threads",
    "progress",
    "resolve_device",
    "row_label",
    "single_spectrum_type",
]
