"""Spectra of a frame as flat arrays, validated in one vectorised pass."""

from dataclasses import dataclass

import numpy as np

from ..exceptions import XASDataError
from ._dataset import check_spectrum_arrays
from ._frame import row_label


@dataclass
class Spectra:
    """The ``x``/``y`` arrays of a frame's rows, concatenated.

    Attributes
    ----------
    x, y : ndarray of shape (n_total,)
        All rows' points, row after row.
    starts, lengths : ndarray of shape (n_rows,)
        Where each row starts in ``x``/``y`` and how many points it has.
    """

    x: np.ndarray
    y: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray

    def __len__(self):
        return self.lengths.size

    def row(self, i):
        s = slice(self.starts[i], self.starts[i] + self.lengths[i])
        return self.x[s], self.y[s]

    @property
    def first(self):
        return self.x[self.starts]

    @property
    def last(self):
        return self.x[self.starts + self.lengths - 1]

    def by_length(self):
        """Yield ``(rows, x2d, y2d)``: the rows of each length, stacked as 2-D arrays."""
        for length in np.unique(self.lengths):
            rows = np.flatnonzero(self.lengths == length)
            idx = self.starts[rows, None] + np.arange(length)
            yield rows, self.x[idx], self.y[idx]


def _as_1d(values):
    return np.asarray(values, dtype=np.float64)


def frame_spectra(frame, *, step, min_points=2, why=""):
    """Collect and check the ``x``/``y`` arrays of every row of ``frame``.

    Parameters
    ----------
    frame : pandas.DataFrame
        With columns ``x`` and ``y``.
    step : str
        Name of the calling step (for messages).
    min_points : int, default=2
        Fewest points a spectrum may have.
    why : str
        Why ``min_points`` are needed (for the message).

    Returns
    -------
    spectra : Spectra

    Raises
    ------
    XASDataError
        Naming the first bad row: non-numeric, NaN/inf, mismatched lengths, x not
        strictly increasing (non-monotonic or duplicate), fewer than ``min_points``.
    """
    n = len(frame)
    if n == 0:
        raise XASDataError(f"{step}: X holds no rows.")
    xs, ys = [], []
    ok = True
    for x, y in zip(frame["x"].to_numpy(), frame["y"].to_numpy()):
        try:
            x, y = _as_1d(x), _as_1d(y)
        except (TypeError, ValueError):
            ok = False
            break
        if x.ndim != 1 or y.ndim != 1 or x.size != y.size:
            ok = False
            break
        xs.append(x)
        ys.append(y)
    if ok:
        lengths = np.fromiter((a.size for a in xs), dtype=np.intp, count=n)
        flat_x, flat_y = np.concatenate(xs), np.concatenate(ys)
        starts = np.zeros(n, dtype=np.intp)
        np.cumsum(lengths[:-1], out=starts[1:])
        steps = np.diff(flat_x)
        if n > 1:
            steps[starts[1:] - 1] = 1.0  # row boundaries are not steps
        ok = (
            lengths.min() >= max(min_points, 2)
            and np.isfinite(flat_x).all()
            and np.isfinite(flat_y).all()
            and bool((steps > 0).all())
        )
    if ok:
        return Spectra(flat_x, flat_y, starts, lengths)
    # slow path: name the first bad row
    for i, (x, y) in enumerate(zip(frame["x"].to_numpy(), frame["y"].to_numpy())):
        label = f"{step}: {row_label(frame, i)}"
        x, y = check_spectrum_arrays(x, y, label)
        if x.size < min_points:
            raise XASDataError(
                f"{label}: the spectrum has {x.size} points, too short{why} (at least "
                f"{min_points} needed)."
            )
    raise AssertionError("frame_spectra: a bad row was detected but not found")  # pragma: no cover


def _tolerance(spectra):
    """Per-row slack for grid points that miss a row's ends by float rounding only."""
    return 1e-9 * np.maximum(1.0, np.maximum(np.abs(spectra.first), np.abs(spectra.last)))


def interp_rows(spectra, q, *, rows=None, outside="edge", fill_value=0.0, with_mask=True):
    """Linear interpolation of each row at its own query points.

    Parameters
    ----------
    spectra : Spectra
    q : ndarray of shape (n_rows, n_queries)
        Query points, one row per spectrum (in ``rows`` order), in the units of ``x``.
    rows : ndarray of int, optional
        Which spectra ``q`` refers to (default: all, in order).
    outside : {"edge", "linear", "constant", "error"}
        Values at queries outside a row's range: the end value, the straight line
        through the two end points, ``fill_value``, or the end value (the caller
        checks the returned mask and raises).
    fill_value : float
        For ``outside="constant"``.
    with_mask : bool, default=True
        Compute ``out``; ``False`` skips it (queries known to be inside) and returns
        ``None`` in its place.

    Returns
    -------
    values : ndarray of shape (n_rows, n_queries)
    out : ndarray of bool, shape (n_rows, n_queries), or None
        Which queries fell outside their row's range (beyond float-rounding slack).

    Notes
    -----
    One ``numpy.interp`` call per row (a single pass in C over the row's points and
    queries, exact at the row's own points) beats a vectorised binary search over
    all rows followed by gathers: 4,831 FEFF spectra of 173 points take ~25 ms.
    Only the extrapolated points of ``outside="linear"`` are computed apart.
    """
    if rows is None:
        rows = np.arange(len(spectra))
    q = np.asarray(q, dtype=np.float64)
    x, y = spectra.x, spectra.y
    values = np.empty(q.shape)
    for j, (s, n) in enumerate(zip(spectra.starts[rows].tolist(),
                                   spectra.lengths[rows].tolist())):
        values[j] = np.interp(q[j], x[s : s + n], y[s : s + n])
    out = None
    if with_mask or outside in ("constant", "linear"):
        tol = _tolerance(spectra)[rows, None]
        low = q < spectra.first[rows, None] - tol
        high = q > spectra.last[rows, None] + tol
        out = low | high
        if outside == "constant":
            values[out] = fill_value
        elif outside == "linear" and out.any():
            r, c = np.nonzero(out)
            seg = spectra.starts[rows[r]] + np.where(
                low[r, c], 0, spectra.lengths[rows[r]] - 2
            )
            t = (q[r, c] - x[seg]) / (x[seg + 1] - x[seg])
            values[r, c] = (1.0 - t) * y[seg] + t * y[seg + 1]
    return values, out
