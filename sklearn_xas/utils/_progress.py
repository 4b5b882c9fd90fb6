"""Progress bars for long work (featurization, simulation, target computation)."""

import sys

from tqdm.auto import tqdm


def progress(iterable, *, enabled=None, total=None, desc=None, unit="site"):
    """Wrap ``iterable`` in a tqdm progress bar when ``enabled``.

    Parameters
    ----------
    iterable : iterable
        The items to iterate over.
    enabled : bool or None, default=None
        ``None`` shows the bar only when stderr is a terminal and there are more
        than 100 items.
    total : int, optional
        Number of items; ``len(iterable)`` when ``None`` and it has one.
    desc : str, optional
        Label shown before the bar.
    unit : str, default="site"
        Name of one item, shown in the rate.

    Returns
    -------
    iterable

    Examples
    --------
    >>> from sklearn_xas.utils import progress
    >>> sum(progress(range(3), enabled=False))
    3
    """
    if total is None:
        try:
            total = len(iterable)
        except TypeError:
            total = None
    if enabled is None:
        enabled = sys.stderr.isatty() and (total is None or total > 100)
    if not enabled:
        return iterable
    return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr)
