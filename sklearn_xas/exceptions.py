"""Exceptions and warnings raised by sklearn-xas."""


class XASDataError(ValueError):
    """Raised when XAS input data is missing, unreadable or inconsistent.

    The message always names the offending file, line or record so that the
    user can fix the input; nothing is dropped or NaN-filled silently.
    """


class NoNeighborError(XASDataError):
    """Raised when a neighbour-finding method finds no neighbour of a site at all."""


class SkippedRecordsWarning(UserWarning):
    """Warned when an explicit error policy left records out or marked them.

    Readers under ``on_error="skip"`` leave bad records out; transformers under
    ``on_error="nan"`` return NaN rows for sites they could not process (a
    transformer in a Pipeline cannot drop rows). The message always says how many
    records and which.
    """


class TargetFallbackWarning(UserWarning):
    """Warned when a target came from the fallback neighbour rule for some rows.

    Parameters
    ----------
    message : str
        Names the rows.
    rows : sequence of int, default=()
        Their positions in the frame, kept as the attribute ``rows``.
    """

    def __init__(self, message, rows=()):
        super().__init__(message)
        self.rows = list(rows)


class MissingOptionalDependencyError(ImportError):
    """Raised when an optional dependency (an "extra") is needed but absent."""


__all__ = [
    "MissingOptionalDependencyError",
    "NoNeighborError",
    "SkippedRecordsWarning",
    "TargetFallbackWarning",
    "XASDataError",
]
