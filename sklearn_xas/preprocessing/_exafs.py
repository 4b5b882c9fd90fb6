"""EXAFS: energy <-> k, k-weighting and the windowed Fourier transform chi(k) -> |chi(R)|."""

from numbers import Real

import numpy as np
import pandas as pd
from scipy.interpolate import make_lsq_spline
from scipy.special import i0
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._core import (
    DEFAULT_E0_SMOOTH,
    MIN_POINTS_E0,
    check_frame,
    check_spectrum_type,
    edge_step,
    energy_to_k,
    frame_spectra,
    k_to_energy,
    row_label,
    spectra_e0,
    tabulated_e0,
)
from ..exceptions import XASDataError
from ..utils import progress
from ._common import FrameOutputMixin, fitted_grid
from ._grid import grid_feature_names, trapezoid_weights


def ft_window(k, *, kmin, kmax, dk=1.0, window="hanning"):
    """Fourier-transform window on ``k`` (as larch's ``ftwindow``, evaluated continuously).

    ``"hanning"``: 0 below ``kmin - dk/2``, a sin**2 rise to 1 at ``kmin + dk/2``, 1
    up to ``kmax - dk/2``, a cos**2 fall to 0 at ``kmax + dk/2``. ``"kaiser"``: the
    Kaiser-Bessel window over ``[kmin - dk/2, kmax + dk/2]`` with shape parameter
    ``dk``: ``(I0(dk sqrt(1 - x**2)) - 1) / (I0(dk) - 1)``, x the position from the
    centre in half-widths.

    Parameters
    ----------
    k : array-like
        Wavenumbers (1/Angstrom) at which to evaluate the window.
    kmin, kmax : float
        The window's range (1/Angstrom), widened by ``dk / 2`` on each side as above.
    dk : float, default=1.0
        Width of the tapers (``"hanning"``) or shape parameter of the Kaiser-Bessel
        window (``"kaiser"``).
    window : {"hanning", "kaiser"}, default="hanning"
        Shape of the window, as above.

    Returns
    -------
    w : ndarray, same shape as ``k``, values in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_xas.preprocessing import ft_window
    >>> ft_window(np.array([2.0, 2.75, 3.0, 7.0, 12.5]), kmin=3.0, kmax=12.0).round(3)
    array([0.   , 0.146, 0.5  , 1.   , 0.   ])
    """
    k = np.asarray(k, dtype=np.float64)
    lo, hi = kmin - dk / 2, kmax + dk / 2
    if window == "kaiser":
        centre, half = (lo + hi) / 2, (hi - lo) / 2
        arg = np.clip(1 - ((k - centre) / half) ** 2, 0.0, None)
        if dk <= 0:
            return arg
        return (i0(dk * np.sqrt(arg)) - 1) / max(1e-10, i0(dk) - 1)
    if dk <= 0:
        return ((k >= kmin) & (k <= kmax)).astype(np.float64)
    rise = np.sin(np.pi / 2 * np.clip((k - lo) / dk, 0, 1)) ** 2
    fall = np.sin(np.pi / 2 * (1 - np.clip((k - (kmax - dk / 2)) / dk, 0, 1))) ** 2
    return rise * fall


class KWeighter(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Multiply chi(k) by k**kweight, column by column.

    Parameters
    ----------
    k : tuple, array-like or None, default=None
        The k value (1/Angstrom) of each column: ``(start, stop, num)``,
        ``(start, stop)`` (a uniform grid with one point per feature), or the values.
        ``None`` reads them from feature names such as ``chi_k3.05`` (a pandas ``X``
        from ``SpectrumResampler(...).set_output(transform="pandas")``).
    kweight : float, default=2
        The power of k (0 to 3 are usual).

    Attributes
    ----------
    k_ : ndarray of shape (n_features_in_,)
        The k grid.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_xas.preprocessing import KWeighter
    >>> KWeighter(k=(1.0, 3.0, 3), kweight=2).fit_transform(np.ones((1, 3)))
    array([[1., 4., 9.]])
    """

    _parameter_constraints = {
        "k": [tuple, "array-like", None],
        "kweight": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, *, k=None, kweight=2):
        self.k = k
        self.kweight = kweight

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fix the k grid.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_k)
            chi(k) on the common grid.
        y : None
            Ignored.

        Returns
        -------
        self : KWeighter
        """
        validate_data(self, X, reset=True, dtype=np.float64)
        k = fitted_grid(self, self.k, name="k")
        if not float(self.kweight).is_integer() and (k < 0).any():
            raise ValueError(
                f"KWeighter: kweight={self.kweight} is not an integer and the k grid holds "
                "negative values; k**kweight would be NaN there."
            )
        self.k_ = k
        self.weights_ = k**self.kweight
        return self

    def transform(self, X):
        """Weight ``X`` by k**kweight.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_k)
            chi(k) on the grid seen at fit.

        Returns
        -------
        Xt : ndarray of shape (n_spectra, n_k)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X * self.weights_


class ChiFourierTransform(TransformerMixin, BaseEstimator):
    """Windowed Fourier transform of chi(k) to the magnitude |chi(R)|.

    ``chi(R) = 1/sqrt(pi) * integral of w(k) k**kweight chi(k) exp(2ikR) dk``, the
    XAFS convention of larch's ``xftf`` (same scale), computed as one matrix product
    with trapezoidal weights on the columns' own k grid (uniform or not), at the
    points of an R grid from 0 to ``rmax``.

    Parameters
    ----------
    k : tuple, array-like or None, default=None
        k (1/Angstrom) of each column, as for :class:`KWeighter`.
    kweight : float, default=2
        Power of k applied before the transform.
    kmin, kmax : float, default=3.0, 12.0
        The window's range (1/Angstrom).
    dk : float, default=1.0
        Window taper width (``"hanning"``) or Kaiser-Bessel shape parameter
        (``"kaiser"``); see :func:`ft_window`.
    window : {"hanning", "kaiser"}, default="hanning"
        Shape of the k window; see :func:`ft_window`.
    rmax : float, default=6.0
        Largest R (Angstrom) of the output.
    dr : float, default=0.05
        Step of the output R grid (Angstrom).

    Attributes
    ----------
    k_ : ndarray of shape (n_features_in_,)
    r_ : ndarray of shape (n_r,)
        The output R grid, ``0, dr, ..., rmax``.
    window_ : ndarray of shape (n_features_in_,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_xas.preprocessing import ChiFourierTransform
    >>> k = np.linspace(0.0, 16.0, 321)
    >>> chi = np.sin(2 * 2.5 * k)[None, :]
    >>> ft = ChiFourierTransform(k=(0.0, 16.0), kweight=0, dr=0.01).fit(chi)
    >>> float(ft.r_[np.argmax(ft.transform(chi))])
    2.5
    >>> ft.get_feature_names_out()[:2].tolist()
    ['chir_r0.00', 'chir_r0.01']
    """

    _parameter_constraints = {
        "k": [tuple, "array-like", None],
        "kweight": [Interval(Real, 0, None, closed="left")],
        "kmin": [Interval(Real, 0, None, closed="left")],
        "kmax": [Interval(Real, 0, None, closed="neither")],
        "dk": [Interval(Real, 0, None, closed="left")],
        "window": [StrOptions({"hanning", "kaiser"})],
        "rmax": [Interval(Real, 0, None, closed="neither")],
        "dr": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        k=None,
        kweight=2,
        kmin=3.0,
        kmax=12.0,
        dk=1.0,
        window="hanning",
        rmax=6.0,
        dr=0.05,
    ):
        self.k = k
        self.kweight = kweight
        self.kmin = kmin
        self.kmax = kmax
        self.dk = dk
        self.window = window
        self.rmax = rmax
        self.dr = dr

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fix the k grid, the window and the transform matrix.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_k)
            chi(k) on the common grid (not k-weighted).
        y : None
            Ignored.

        Returns
        -------
        self : ChiFourierTransform
        """
        validate_data(self, X, reset=True, dtype=np.float64)
        if self.kmax <= self.kmin:
            raise ValueError(f"kmax={self.kmax} must exceed kmin={self.kmin}.")
        k = fitted_grid(self, self.k, name="k")
        if (k < 0).any() and not float(self.kweight).is_integer():
            raise ValueError("A non-integer kweight needs a k grid without negative values.")
        window = ft_window(k, kmin=self.kmin, kmax=self.kmax, dk=self.dk, window=self.window)
        weights = trapezoid_weights(k) * window * k**self.kweight
        if k.size > 1 and not np.any(weights):
            raise ValueError(
                f"The window [{self.kmin}, {self.kmax}] (dk={self.dk}) covers none of the k "
                f"grid [{k[0]:.4g}, {k[-1]:.4g}]."
            )
        r = self.dr * np.arange(int(np.floor(self.rmax / self.dr + 1e-9)) + 1)
        self.k_, self.r_, self.window_ = k, r, window
        self.kernel_ = weights[:, None] * np.exp(2j * np.outer(k, r)) / np.sqrt(np.pi)
        return self

    def transform(self, X):
        """|chi(R)| of every spectrum.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_k)
            chi(k) on the grid seen at fit (not k-weighted).

        Returns
        -------
        Xt : ndarray of shape (n_spectra, n_r)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return np.abs(X @ self.kernel_)

    def get_feature_names_out(self, input_features=None):
        """``chir_r<R>`` for each point of :attr:`r_`.

        Parameters
        ----------
        input_features : array-like of str or None
            Checked against the names seen in ``fit``; not used otherwise.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        from sklearn.utils.validation import _check_feature_names_in

        _check_feature_names_in(self, input_features)
        return grid_feature_names(self.r_, "R")


class EXAFSExtractor(FrameOutputMixin, TransformerMixin, BaseEstimator,
                     auto_wrap_output_keys=None):
    """Turn XANES rows mu(E) into EXAFS rows chi(k): E0, edge step, spline background.

    For each row: E0 (from the data or tabulated), the edge-step normalisation of
    :class:`EdgeStepNormalizer`, the conversion of the energies above E0 to k
    (:func:`energy_to_k`) on a uniform grid ``0, kstep, ...``, and the removal of a
    smooth background: a least-squares cubic spline in k whose knots are spaced so
    that it cannot follow oscillations above ``R = rbkg`` (the knot count of larch's
    ``autobk``, ``1 + 2 rbkg (kmax - kmin) / pi``). ``chi(k)`` is what remains.
    Unlike ``autobk``, the spline is not further adjusted to minimise chi(R) below
    ``rbkg``.

    Frame in, frame out: the other columns are kept; ``spectrum_type`` becomes
    ``"EXAFS"``, ``x`` the k grid (1/Angstrom) and ``y`` chi(k). The output feeds
    ``SpectrumResampler(kind="EXAFS")``, :class:`KWeighter` and
    :class:`ChiFourierTransform`. The step learns nothing from the data.

    Parameters
    ----------
    e0 : {"data", "tabulated"}, default="data"
        E0 found from each spectrum (:func:`find_e0`) or the tabulated edge energy.
    rbkg : float, default=1.0
        R (Angstrom) below which oscillations count as background.
    kstep : float, default=0.05
        Step of the output k grid (1/Angstrom).
    kmax : float or None, default=None
        Largest k of the output; ``None``: as far as each spectrum reaches.
    kweight : float, default=1
        The spline is fitted with weights k**kweight, so the small high-k
        oscillations count.
    min_k : float, default=4.0
        Spectra reaching less far above E0 (in k) raise an error naming the row.
    e0_smooth : float, default=0.5
        See :func:`find_e0`.

    See Also
    --------
    energy_to_k : The conversion used.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn_xas.preprocessing import EXAFSExtractor, energy_to_k
    >>> e = np.linspace(8900.0, 9900.0, 2001)
    >>> k = energy_to_k(np.clip(e, 8979.0, None), 8979.0)
    >>> mu = 1 / (1 + np.exp(-(e - 8979.0))) * (1 + 0.1 * np.sin(2 * 2.5 * k) * np.exp(-k / 8))
    >>> frame = pd.DataFrame({"spectrum_type": ["XANES"], "x": [e], "y": [mu]})
    >>> out = EXAFSExtractor().transform(frame)
    >>> out["spectrum_type"].iloc[0], round(float(out["x"].iloc[0][1]), 2)
    ('EXAFS', 0.05)
    """

    _parameter_constraints = {
        "e0": [StrOptions({"data", "tabulated"})],
        "rbkg": [Interval(Real, 0, None, closed="neither")],
        "kstep": [Interval(Real, 0, None, closed="neither")],
        "kmax": [Interval(Real, 0, None, closed="neither"), None],
        "kweight": [Interval(Real, 0, None, closed="left")],
        "min_k": [Interval(Real, 0, None, closed="neither")],
        "e0_smooth": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, *, e0="data", rbkg=1.0, kstep=0.05, kmax=None, kweight=1,
                 min_k=4.0, e0_smooth=DEFAULT_E0_SMOOTH):
        self.e0 = e0
        self.rbkg = rbkg
        self.kstep = kstep
        self.kmax = kmax
        self.kweight = kweight
        self.min_k = min_k
        self.e0_smooth = e0_smooth

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters (the step learns nothing from the data).

        Parameters
        ----------
        X : XASDataset or pandas.DataFrame
            XANES rows (not read: nothing is learnt).
        y : None
            Ignored.

        Returns
        -------
        self : EXAFSExtractor
        """
        return self

    def transform(self, X):
        """Extract chi(k) from every XANES row.

        Parameters
        ----------
        X : XASDataset or pandas.DataFrame
            XANES rows over a long enough energy range (at least ``min_k`` above E0).

        Returns
        -------
        frame : pandas.DataFrame
            A copy with ``spectrum_type="EXAFS"``, ``x`` = k and ``y`` = chi(k).

        Raises
        ------
        XASDataError
            Naming the row: EXAFS rows, bad arrays, a k range shorter than ``min_k``,
            a non-positive edge step.
        """
        self._validate_params()
        step = type(self).__name__
        frame = check_frame(X, ("spectrum_type", "x", "y"), step=step)
        check_spectrum_type(frame, "XANES", step=step)
        spectra = frame_spectra(
            frame, step=step, min_points=MIN_POINTS_E0, why=" to differentiate for E0"
        )
        if self.e0 == "tabulated":
            e0 = tabulated_e0(frame, step=step, inside=spectra)
        else:
            e0 = spectra_e0(spectra, smooth=self.e0_smooth, frame=frame, step=step)
        top = energy_to_k(spectra.last, e0)
        if self.kmax is not None:
            top = np.minimum(top, self.kmax)
        # edge-step normalisation of all rows at once (rows of one length in one block)
        norm = np.empty_like(spectra.y)
        why = {}  # row -> why its edge step failed
        for rows, x, y in spectra.by_length():
            block, bad, reasons = edge_step(x, y, e0[rows])
            norm[spectra.starts[rows, None] + np.arange(x.shape[1])] = block
            why.update((int(rows[j]), reasons[j]) for j in np.flatnonzero(bad))
        short = top < self.min_k
        failed = short.copy()
        failed[list(why)] = True
        if failed.any():
            i = int(np.argmax(failed))
            if short[i]:
                raise XASDataError(
                    f"{step}: {row_label(frame, i)}: the spectrum reaches k = {top[i]:.3g} "
                    f"1/A above E0 = {e0[i]:.6g} eV, less than min_k = {self.min_k}; it "
                    "holds no EXAFS to extract."
                )
            raise XASDataError(f"{step}: {row_label(frame, i)}: {why[i]}.")
        # mu(k) on each row's k grid; rows on the same grid share one spline fit
        n_k = np.floor(top / self.kstep + 1e-9).astype(int) + 1
        mu_k = []
        for i in progress(range(len(spectra)), desc=step, unit="spectrum"):
            k = self.kstep * np.arange(n_k[i])
            s = slice(spectra.starts[i], spectra.starts[i] + spectra.lengths[i])
            mu_k.append(np.interp(k_to_energy(k, e0[i]), spectra.x[s], norm[s]))
        ks, chis = [None] * len(spectra), [None] * len(spectra)
        for n in np.unique(n_k):
            rows = np.flatnonzero(n_k == n)
            k = self.kstep * np.arange(n)
            block = np.vstack([mu_k[i] for i in rows])
            chi = block - self._background(k, block.T).T
            for j, i in enumerate(rows):
                ks[i], chis[i] = k.copy(), chi[j]
        out = frame.copy()
        out["spectrum_type"] = "EXAFS"
        out["x"] = pd.Series(ks, index=frame.index, dtype=object)
        out["y"] = pd.Series(chis, index=frame.index, dtype=object)
        return out

    def _background(self, k, mu_k):
        """Least-squares cubic spline through mu(k), knots spaced for R < rbkg.

        ``mu_k`` is one spectrum (n_k,) or several as columns (n_k, n_spectra).
        """
        n_coef = int(np.clip(1 + 2 * self.rbkg * (k[-1] - k[0]) / np.pi, 5, 128))
        inner = np.linspace(k[0], k[-1], n_coef - 2)[1:-1]
        knots = np.r_[[k[0]] * 4, inner, [k[-1]] * 4]
        weights = np.maximum(k, self.kstep) ** self.kweight
        return make_lsq_spline(k, mu_k, knots, k=3, w=weights)(k)
