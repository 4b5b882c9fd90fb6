"""Messages that list records: the first few by name, then how many more."""

#: Records a warning or an error lists by name before "... and N more".
MAX_LISTED = 20


def list_records(lines, most=MAX_LISTED):
    """The first ``most`` of ``lines``, each on its own indented line, then how many more.

    Parameters
    ----------
    lines : iterable of str
        One description per record.
    most : int, default=MAX_LISTED

    Returns
    -------
    text : str
        Starts with a newline, ready to follow a message's colon.

    Examples
    --------
    >>> from sklearn_xas._core import list_records
    >>> print("skipped:" + list_records(["row 0", "row 3", "row 7"], most=2))
    skipped:
      row 0
      row 3
      ... and 1 more
    """
    lines = list(lines)
    text = "".join(f"\n  {line}" for line in lines[:most])
    if len(lines) > most:
        text += f"\n  ... and {len(lines) - most} more"
    return text
