"""Edge-step normalisation of XANES spectra (pre-edge line, post-edge polynomial)."""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array

from .._core import (
    DEFAULT_E0_SMOOTH,
    MIN_POINTS_E0,
    Spectra,
    check_frame,
    check_spectrum_type,
    edge_step,
    frame_spectra,
    is_frame,
    row_label,
    spectra_e0,
    tabulated_e0,
)
from ..exceptions import XASDataError
from ._common import FrameOutputMixin
from ._grid import grid_feature_names, resolve_grid

_MAX_NNORM = 3
class EdgeStepNormalizer(FrameOutputMixin, TransformerMixin, BaseEstimator,
                         auto_wrap_output_keys=None):
    """Normalise XANES spectra: edge step = 1 (as larch ``pre_edge`` and Athena), or max/area.

    ``mode="edge_step"`` does what XAS users know: a straight line is fitted to the
    pre-edge region ``[E0 + pre1, E0 + pre2]``, a polynomial of degree ``nnorm`` to
    mu minus that line over the post-edge region ``[E0 + norm1, E0 + norm2]``, and
    the spectrum becomes ``(mu - pre-edge line) / edge step``, the step being the
    post-edge polynomial at E0. The result does not change when mu is scaled by a
    positive factor or shifted by a constant (or a straight line).

    Frame in, frame out: each XANES row keeps its own grid. A 2-D array of spectra on
    one common energy ``grid`` (for instance the output of
    :class:`SpectrumResampler`) is accepted too and gives a 2-D array. The step
    learns nothing from the data: ``fit`` only checks the parameters.

    Parameters
    ----------
    mode : {"edge_step", "max", "area"}, default="edge_step"
        ``"max"`` divides each spectrum by its maximum, ``"area"`` by its integral
        (trapezoidal, over the spectrum's own range); both keep an offset.
    pre1, pre2 : float or None, default=None
        Pre-edge fit range relative to E0 (eV). ``None``: from the second point of
        the spectrum to half-way to E0 (larch's choice).
    norm1, norm2 : float or None, default=None
        Post-edge fit range relative to E0 (eV). ``None``: ``norm2`` is the last
        point and ``norm1 = min(25, norm2 / 3)``.
    nnorm : int or None, default=None
        Degree of the post-edge polynomial (0 to 3). ``None``: 2 if the range spans
        300 eV or more, 1 if 30 eV or more, else 0 (larch's rule). Lowered where the
        range holds too few points.
    npre : {0, 1} or None, default=None
        Pre-edge model: 1 a straight line, 0 a constant (the mean over the range, or
        the first point if the range holds none). ``None``: a line where the range
        spans at least 20 eV, else a constant, so that the short, already rising
        "pre-edge" of calculated (FEFF) spectra is not extrapolated into the
        post-edge. A line needs at least 3 points in the range.
    e0 : {"data", "tabulated"}, default="data"
        E0 found from each spectrum (:func:`find_e0`), or the tabulated edge energy of
        the row's ``(absorbing_element, edge)`` (frames only; it must lie inside the
        spectrum, which it does not for FEFF's absolute energies, ~18 eV above it for
        Cu).
    grid : tuple (start, stop, num), array-like or None, default=None
        The energies of the columns when ``X`` is a 2-D array (required then).
    e0_smooth : float, default=0.5
        Window half-width (eV) for E0 found from the data (see :func:`find_e0`).

    See Also
    --------
    SpectrumResampler : Put the normalised spectra on one grid.

    Notes
    -----
    XASDataset or DataFrame in gives a DataFrame out: a copy of the frame whose ``y``
    holds the normalised spectra. EXAFS rows raise an error naming the first of them.
    FEFF spectra have almost no pre-edge region (about 12 eV below the edge for the
    Cu data of OmniXAS), so their pre-edge line is short; set ``pre1``/``pre2`` to a
    range you trust, or compare with ``mode="max"``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn_xas.preprocessing import EdgeStepNormalizer
    >>> e = np.linspace(8900.0, 9200.0, 601)
    >>> mu = 0.3 + 1e-4 * (e - 8900) + 2.5 / (1 + np.exp(-(e - 8990.0) / 1.5))
    >>> frame = pd.DataFrame({"spectrum_type": ["XANES"], "x": [e], "y": [mu]})
    >>> out = EdgeStepNormalizer().fit_transform(frame)
    >>> y = out["y"].iloc[0]
    >>> round(float(y[0]), 2), round(float(y[-1]), 2)
    (0.0, 1.0)
    """

    _parameter_constraints = {
        "mode": [StrOptions({"edge_step", "max", "area"})],
        "pre1": [Real, None],
        "pre2": [Real, None],
        "norm1": [Real, None],
        "norm2": [Real, None],
        "nnorm": [Interval(Integral, 0, _MAX_NNORM, closed="both"), None],
        "npre": [Interval(Integral, 0, 1, closed="both"), None],
        "e0": [StrOptions({"data", "tabulated"})],
        "grid": [tuple, "array-like", None],
        "e0_smooth": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        mode="edge_step",
        pre1=None,
        pre2=None,
        norm1=None,
        norm2=None,
        nnorm=None,
        npre=None,
        e0="data",
        grid=None,
        e0_smooth=DEFAULT_E0_SMOOTH,
    ):
        self.mode = mode
        self.pre1 = pre1
        self.pre2 = pre2
        self.norm1 = norm1
        self.norm2 = norm2
        self.nnorm = nnorm
        self.npre = npre
        self.e0 = e0
        self.grid = grid
        self.e0_smooth = e0_smooth

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters (the step learns nothing from the data).

        Parameters
        ----------
        X : XASDataset, pandas.DataFrame or array of shape (n_spectra, n_grid)
            XANES spectra (only an array's width is recorded: nothing is learnt).
        y : None
            Ignored.

        Returns
        -------
        self : EdgeStepNormalizer
        """
        if not is_frame(X):
            X = check_array(X)
            self.n_features_in_ = X.shape[1]
        return self

    def _array_spectra(self, X):
        step = type(self).__name__
        if self.grid is None:
            raise ValueError(
                f"{step}: a 2-D array of spectra needs grid= (the energies of its columns); "
                "or pass the XASDataset/frame."
            )
        if self.e0 == "tabulated":
            raise ValueError(f"{step}: e0='tabulated' needs a frame (absorbing_element, edge).")
        X = check_array(X, dtype=np.float64)
        grid = resolve_grid(self.grid, name="grid", n_features=X.shape[1])
        n, g = X.shape
        if g < (MIN_POINTS_E0 if self.mode == "edge_step" else 2):
            raise XASDataError(f"{step}: {g} grid points are too few to normalise.")
        starts = np.arange(n, dtype=np.intp) * g
        return Spectra(np.tile(grid, n), X.ravel().copy(), starts, np.full(n, g, dtype=np.intp))

    def transform(self, X):
        """Normalise every spectrum.

        Parameters
        ----------
        X : XASDataset, pandas.DataFrame or array of shape (n_spectra, n_grid)
            XANES rows; a 2-D array needs ``grid``.

        Returns
        -------
        Xt : pandas.DataFrame or ndarray
            For a data set or frame: a copy of the frame with ``y`` normalised (and,
            for ``mode="edge_step"`` with ``e0="data"``, the E0 found in an ``e0``
            column, which :class:`SpectrumResampler` then uses). For an array: the
            normalised array.

        Raises
        ------
        XASDataError
            Naming the row: EXAFS rows, bad arrays, too few points, no post-edge
            points, a non-positive edge step (or maximum, or area), a tabulated E0
            outside the spectrum.
        """
        self._validate_params()
        step = type(self).__name__
        frame = None
        if is_frame(X):
            frame = check_frame(X, ("spectrum_type", "x", "y"), step=step)
            check_spectrum_type(frame, "XANES", step=step)
            need = MIN_POINTS_E0 if self.mode == "edge_step" else 2
            spectra = frame_spectra(frame, step=step, min_points=need, why=" to normalise")
        else:
            spectra = self._array_spectra(X)
        out = spectra.y.copy()
        if self.mode == "edge_step":
            if self.e0 == "tabulated":
                e0 = tabulated_e0(frame, step=step, inside=spectra)
            else:
                e0 = spectra_e0(spectra, smooth=self.e0_smooth, frame=frame, step=step)
            for rows, x, y in spectra.by_length():
                norm, bad, why = self._edge_step(x, y, e0[rows])
                self._raise_bad(frame, rows, bad, why)
                idx = spectra.starts[rows, None] + np.arange(x.shape[1])
                out[idx] = norm
        else:
            for rows, x, y in spectra.by_length():
                if self.mode == "max":
                    scale = y.max(axis=1)
                    what = "maximum"
                else:
                    scale = np.trapezoid(y, x, axis=1)
                    what = "area"
                bad = ~(scale > 0)
                self._raise_bad(frame, rows, bad, [f"its {what} is {s:.6g}, not positive"
                                                   for s in scale])
                idx = spectra.starts[rows, None] + np.arange(x.shape[1])
                out[idx] = y / scale[:, None]
        if frame is None:
            out = out.reshape(len(spectra), -1)
            if getattr(self, "_sklearn_output_config", {}).get("transform") == "pandas":
                out = pd.DataFrame(
                    out, columns=self.get_feature_names_out(), index=getattr(X, "index", None)
                )
            return out
        result = frame.copy()
        ends = spectra.starts + spectra.lengths
        result["y"] = pd.Series(
            [out[s:e] for s, e in zip(spectra.starts, ends)], index=frame.index, dtype=object
        )
        if self.mode == "edge_step" and self.e0 == "data":
            # found once: SpectrumResampler(e0="data") downstream reads it from here
            result["e0"] = e0
        return result

    def _raise_bad(self, frame, rows, bad, why):
        if bad.any():
            j = int(np.argmax(bad))
            who = row_label(frame, int(rows[j])) if frame is not None else f"row {rows[j]}"
            raise XASDataError(f"{type(self).__name__}: {who}: {why[j]}.")

    def _edge_step(self, x, y, e0):
        """Edge-step normalisation of rows of equal length; returns (norm, bad, why)."""
        return edge_step(x, y, e0, pre1=self.pre1, pre2=self.pre2, norm1=self.norm1,
                         norm2=self.norm2, nnorm=self.nnorm, npre=self.npre)

    def get_feature_names_out(self, input_features=None):
        """Output names for array input (``mu_e<energy>``); frames give frames.

        Parameters
        ----------
        input_features : array-like of str or None
            Returned as they are when given.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        if input_features is not None:
            return np.asarray(input_features, dtype=object)
        if self.grid is None:
            raise ValueError("get_feature_names_out needs grid= or input_features.")
        return grid_feature_names(resolve_grid(self.grid, name="grid"), "XANES")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        return tags
