"""Helpers for steps that take the data model's frame as ``X``."""

import numpy as np
import pandas as pd

from ..exceptions import XASDataError
from ._dataset import SiteSpectrum, XASDataset


def check_frame(X, columns=(), *, step=None):
    """Validate the ``X`` of a frame step and return it as the data model's DataFrame.

    The one contract of every step that takes spectra or structures as ``X``: an
    :class:`~sklearn_xas.datasets.XASDataset`, its ``frame`` (a pandas DataFrame with
    the data model's columns), or what scikit-learn's indexing makes of them under
    cross-validation (a data set or DataFrame again, since both have ``iloc`` and
    ``take``). A list of :class:`~sklearn_xas.datasets.SiteSpectrum` rows (iterating
    a data set) is accepted too.

    Parameters
    ----------
    X : XASDataset, pandas.DataFrame or list of SiteSpectrum
        The ``X`` a step was given.
    columns : sequence of str
        Columns the caller needs.
    step : str, optional
        Name of the calling step, used in error messages.

    Returns
    -------
    frame : pandas.DataFrame

    Raises
    ------
    TypeError
        If ``X`` is none of those.
    XASDataError
        If required columns are missing.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_xas.utils import check_frame
    >>> frame = pd.DataFrame({"x": [None], "y": [None]})
    >>> check_frame(frame, ["x", "y"]) is frame
    True
    """
    who = f"{step}: " if step else ""
    if isinstance(X, XASDataset):
        X = X.frame
    elif _is_row_list(X):
        X = pd.DataFrame([r.__dict__ for r in X])
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"{who}X must be an XASDataset or its .frame (a pandas DataFrame with columns "
            f"{list(columns)}), got {type(X).__name__}."
        )
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise XASDataError(f"{who}X lacks the column(s) {missing} of the XAS data model.")
    return X


def _is_row_list(X):
    return (isinstance(X, (list, tuple)) and len(X) > 0
            and all(isinstance(r, SiteSpectrum) for r in X))


def is_frame(X):
    """True if ``X`` is frame input (see :func:`check_frame`), not an array.

    A DataFrame counts when it holds spectra (``x`` and ``y``) or structures; steps
    that also take arrays use this to choose their path.

    Parameters
    ----------
    X : object
        Any input.

    Returns
    -------
    bool

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_xas.utils import is_frame
    >>> is_frame(pd.DataFrame({"x": [None], "y": [None]})), is_frame(np.zeros((2, 3)))
    (True, False)
    """
    if isinstance(X, XASDataset) or _is_row_list(X):
        return True
    return isinstance(X, pd.DataFrame) and (
        {"x", "y"} <= set(X.columns) or "structure" in X.columns
    )


def row_label(frame, position):
    """Name row ``position`` (0-based) of a frame in an error message.

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame of the data model (or any DataFrame).
    position : int
        0-based row position.

    Returns
    -------
    label : str

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_xas.utils import row_label
    >>> frame = pd.DataFrame({"material_id": ["mp-1"], "absorbing_index": [3],
    ...                       "absorbing_element": ["Cu"]})
    >>> row_label(frame, 0)
    "row 0 (material 'mp-1', site 3, Cu)"
    """
    row = frame.iloc[position]
    parts = [f"row {position}"]
    if "material_id" in frame.columns:
        parts.append(f"material {row['material_id']!r}")
    if "absorbing_index" in frame.columns:
        parts.append(f"site {row['absorbing_index']}")
    if "absorbing_element" in frame.columns:
        parts.append(f"{row['absorbing_element']}")
    return " ".join(parts[:1]) + (" (" + ", ".join(parts[1:]) + ")" if parts[1:] else "")


def check_spectrum_type(frame, kind, *, step=None):
    """Raise if any row of ``frame`` is not of spectrum type ``kind``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows of the data model (a frame without ``spectrum_type`` passes).
    kind : {"XANES", "EXAFS"}
        The one spectrum type allowed.
    step : str, optional
        Name of the calling step for the message.

    Raises
    ------
    XASDataError
        Naming the first row of another type.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_xas.utils import check_spectrum_type
    >>> check_spectrum_type(pd.DataFrame({"spectrum_type": ["EXAFS"]}), "EXAFS")
    """
    if "spectrum_type" not in frame.columns:
        return
    types = frame["spectrum_type"].to_numpy()
    bad = np.flatnonzero(types != kind)
    if bad.size:
        who = f"{step}: " if step else ""
        raise XASDataError(
            f"{who}expects {kind} rows only, but {bad.size} row(s) are of another type, first "
            f"{row_label(frame, int(bad[0]))} of type {types[bad[0]]!r}. Select one kind with "
            f"frame[frame.spectrum_type == {kind!r}]."
        )


def single_spectrum_type(frame, *, step=None):
    """Return the one spectrum type of ``frame``; raise naming a row if it mixes kinds.

    Parameters
    ----------
    frame : pandas.DataFrame
        With a ``spectrum_type`` column.
    step : str, optional
        Name of the calling step for the message.

    Returns
    -------
    kind : {"XANES", "EXAFS"}

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_xas.utils import single_spectrum_type
    >>> single_spectrum_type(pd.DataFrame({"spectrum_type": ["XANES", "XANES"]}))
    'XANES'
    """
    kinds = pd.unique(frame["spectrum_type"])
    if len(kinds) > 1:
        first = kinds[0]
        check_spectrum_type(frame, first, step=step)
    if len(kinds) == 0:
        raise XASDataError(f"{step + ': ' if step else ''}X holds no rows.")
    return kinds[0]
