"""Exceptions and warnings raised by sklearn-xas."""


class XASDataError(ValueError):
    """Raised when XAS input data is missing, unreadable or inconsistent.

    The message always names the offending file, line or record so that the
    user can fix the input; nothing is dropped or NaN-filled silently.
    """


class SkippedRecordsWarning(UserWarning):
    """Warned when an explicit ``on_error="skip"`` policy dropped records.

    The message says how many records were skipped and which.
    """


class MissingOptionalDependencyError(ImportError):
    """Raised when an optional dependency (an "extra") is needed but absent."""


__all__ = ["MissingOptionalDependencyError", "SkippedRecordsWarning", "XASDataError"]
