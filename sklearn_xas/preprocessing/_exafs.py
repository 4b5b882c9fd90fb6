"""EXAFS: energy <-> k, k-weighting and the windowed Fourier transform chi(k) -> |chi(R)|."""

from numbers import Real

import numpy as np
import pandas as pd
from scipy.interpolate import BSpline, make_interp_spline, make_lsq_spline
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


#: FFT length of larch's ``autobk``: the background criterion is evaluated at the
#: R points ``j * pi / (kstep * AUTOBK_NFFT)`` below ``rbkg``.
AUTOBK_NFFT = 2048
#: Taper (1/Angstrom) of the Hanning window of the background criterion (autobk's ``dk``).
AUTOBK_DK = 0.1
#: Number of end points of chi(k) pulled towards 0 (autobk's ``nclamp``, ``clamp_hi=1``).
AUTOBK_NCLAMP = 3
#: Relative weight of a tiny ridge that keeps the spline near its least-squares start
#: where the criterion does not constrain it (k -> 0, where the window is k**kweight).
AUTOBK_RIDGE = 1e-8


def _spline_coefficients(kmin, kmax, rbkg):
    """Number of spline coefficients for a background that cannot follow R > rbkg.

    ``1 + 2 rbkg (kmax - kmin) / pi`` (larch's ``autobk``), before and after clipping
    to 5..128.
    """
    raw = 1 + int(2 * rbkg * (kmax - kmin) / np.pi)
    return raw, int(np.clip(raw, 5, 128))


def _autobk_basis(k, n_coef, kmax):
    """Cubic B-spline basis on ``k`` with larch autobk's knots: ``n_coef`` equally
    spaced nodes over ``[k[0], kmax]``, the not-a-knot knots of ``splrep`` through them."""
    nodes = np.linspace(k[0], kmax, n_coef)
    knots = np.r_[[k[0]] * 4, nodes[2:-2], [kmax] * 4]
    return BSpline.design_matrix(k, knots, 3).toarray()


def _autobk_window(k, kmax, dk):
    """larch's Hanning ``ftwindow(k, xmin=k[0], xmax=kmax, dx=dk)`` on a uniform grid
    from 0: the taper ends snapped to grid points and cut at the grid's end (so the
    window reaches 0 at the last point when ``kmax`` lies within ``dk / 2`` of it)."""
    n = k.size
    step = (k[-1] - k[0]) / (n - 1)
    eps = 1e-4 * step
    x = [max(k[0], k[0] - dk / 2), k[0] + dk / 2 + eps, kmax - dk / 2 - eps,
         min(k[-1], kmax + dk / 2)]
    i1, i2, i3, i4 = (int((v + eps) / step) for v in x)
    i1, i2, i3, i4 = max(0, i1), max(0, i2), min(n - 1, i3), min(n - 1, i4)
    if i2 == i1:
        i1 = max(0, i2 - 1)
    if i4 == i3:
        i3 = max(i2, i4 - 1)
    x1, x2, x3, x4 = k[i1], k[i2], k[i3], k[i4]
    x2 = x2 + eps if x1 == x2 else x2
    x4 = x4 + eps if x3 == x4 else x4
    window = np.zeros(n)
    window[i2:i3] = 1.0
    window[i1:i2 + 1] = np.sin(np.pi / 2 * (k[i1:i2 + 1] - x1) / (x2 - x1)) ** 2
    window[i3:i4 + 1] = np.cos(np.pi / 2 * (k[i3:i4 + 1] - x3) / (x4 - x3)) ** 2
    return window


def autobk_background(k, mu_k, *, rbkg=1.0, kweight=2, kmax=None):
    """Background of mu(k) by autobk's criterion, solved as a linear least-squares problem.

    larch's ``autobk`` (Newville et al., Phys. Rev. B 47, 14126, 1993) chooses the
    cubic spline mu0(k), ``1 + 2 rbkg kmax / pi`` coefficients (so that it cannot
    follow oscillations above ``R = rbkg``), that minimises the real and imaginary
    parts of the Fourier transform of ``w(k) k**kweight (mu - mu0)`` at the R points
    below ``rbkg`` (``w`` larch's Hanning window over the whole range, taper 0.1 1/A,
    on the grid's points; R points spaced ``pi / (2048 kstep)``), plus a clamp that
    pulls the last 3 points of chi towards 0. chi is linear in the spline
    coefficients, so this is a linear least-squares problem, solved here exactly
    (normal equations, all spectra of one grid at once) where larch iterates; only
    the clamp's weight, ``0.1 + 10 mean(residual**2)`` as in larch, is refined by a
    fixed point (3 passes).

    Parameters
    ----------
    k : ndarray of shape (n_k,)
        Uniform k grid from 0 (1/Angstrom).
    mu_k : ndarray of shape (n_k,) or (n_k, n_spectra)
        Edge-step normalised mu on ``k``, one spectrum per column.
    rbkg : float, default=1.0
        R (Angstrom) below which the transform of chi is minimised.
    kweight : float, default=2
        k-weight of chi in the transform.
    kmax : float or None, default=None
        End of the spline's range and of the window: how far the spectra reach
        above E0 (at least ``k[-1]``; ``None``: ``k[-1]``). autobk counts its knots
        over the data's reach, which may lie up to one grid step beyond the grid.

    Returns
    -------
    background : ndarray, same shape as ``mu_k``

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_xas.preprocessing._exafs import autobk_background
    >>> k = np.arange(0.0, 14.0, 0.05)
    >>> chi = 0.2 * np.sin(2 * 2.5 * k) * np.exp(-0.01 * k**2)
    >>> smooth = 1.0 + 0.3 * np.exp(-k / 3)
    >>> bkg = autobk_background(k, smooth + chi)
    >>> inside = (k >= 3) & (k <= 12)  # autobk's clamp pulls chi to 0 at the very end
    >>> bool(np.abs(bkg - smooth)[inside].max() < 0.005)
    True
    """
    mu = np.asarray(mu_k, dtype=np.float64)
    one = mu.ndim == 1
    mu = mu[:, None] if one else mu
    kstep = float(k[1] - k[0])
    kmax = float(k[-1]) if kmax is None else max(float(kmax), float(k[-1]))
    raw, n_coef = _spline_coefficients(k[0], kmax, rbkg)
    basis = _autobk_basis(k, n_coef, kmax)
    rgrid = np.pi / (kstep * AUTOBK_NFFT)
    span = kmax - float(k[0])
    n_r = max(2, int(1 + (raw - 1) * np.pi / (2 * rgrid * span)))
    r = rgrid * np.arange(n_r)
    weight = _autobk_window(k, kmax, AUTOBK_DK) * np.abs(k) ** kweight
    ft = np.exp(2j * np.outer(r, k)) * (kstep / np.sqrt(np.pi) * weight)
    a = np.vstack([ft.real, ft.imag])  # (2 n_r, n_k): chi -> (Re, Im) chi(R < rbkg)
    m = a @ basis
    am = a @ mu
    gram, rhs = m.T @ m, m.T @ am
    end = basis[-AUTOBK_NCLAMP:]
    gram_end, rhs_end = end.T @ end, end.T @ mu[-AUTOBK_NCLAMP:]
    start = np.linalg.lstsq(basis, mu, rcond=None)[0]  # (n_coef, n_spectra)
    ridge = AUTOBK_RIDGE * np.trace(gram) / n_coef
    eye = np.eye(n_coef)
    scale2 = np.full(mu.shape[1], 0.1**2)
    for _ in range(3):
        lhs = gram[None] + scale2[:, None, None] * gram_end[None] + ridge * eye[None]
        b = (rhs + scale2 * rhs_end + ridge * start).T[:, :, None]
        coef = np.linalg.solve(lhs, b)[:, :, 0].T  # (n_coef, n_spectra)
        resid = am - m @ coef
        scale2 = (0.1 + 10 * np.mean(resid**2, axis=0)) ** 2
    background = basis @ coef
    return background[:, 0] if one else background


class EXAFSExtractor(FrameOutputMixin, TransformerMixin, BaseEstimator,
                     auto_wrap_output_keys=None):
    """Turn XANES rows mu(E) into EXAFS rows chi(k): E0, edge step, autobk background.

    For each row: E0 (from the data or tabulated), the edge-step normalisation of
    :class:`EdgeStepNormalizer`, the conversion of the energies above E0 to k
    (:func:`energy_to_k`) on a uniform grid ``0, kstep, ...`` (a cubic spline through
    the measured points, in k), and the removal of a smooth background mu0(k), a cubic
    spline in k whose knots are spaced so that it cannot follow oscillations above
    ``R = rbkg`` (the knot count of larch's ``autobk``, ``1 + 2 rbkg kmax / pi``).
    ``chi(k) = mu(k) - mu0(k)`` is what remains. Two criteria choose the spline:

    - ``background="autobk"``: larch's ``autobk`` criterion, the Fourier transform of
      ``k**kweight chi(k)`` (Hanning window over the whole range) as small as possible
      below ``rbkg``, plus autobk's clamp of the last points of chi towards 0
      (autobk's window and knots exactly), solved exactly as one linear
      least-squares problem where larch iterates. On the 517 measured spectra of the
      shared archive that reach k = 8, k**2 chi(k) over k = 3-12 differs from
      larch's ``autobk`` (same E0, edge step, rbkg and kweight) by a median 0.3 % of
      its RMS, 96 % of the spectra by less than 5 % (the user guide's comparison
      table), at a tenth of larch's time;
    - ``background="lsq"``: the least-squares spline through mu(k) (weights
      k**kweight), the method of 0.1, twice as fast but further from ``autobk``
      (median 15 %): near the edge it follows the XANES and leaves a low-R tail in
      chi.

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
    kweight : float, default=2
        ``"autobk"``: k-weight of chi in the background criterion (autobk's
        ``kweight``; 2 is Athena's default and the choice of most groups in the
        shared Athena projects, and with it chi(k) above k = 3 follows a known chi
        closely, see the user guide). ``"lsq"``: the spline is fitted with weights
        k**kweight, so the small high-k oscillations count.
    min_k : float, default=4.0
        Spectra reaching less far above E0 (in k) raise an error naming the row.
    e0_smooth : float, default=0.5
        See :func:`find_e0`.
    background : {"autobk", "lsq"}, default="autobk"
        The criterion that chooses the background spline, as above.

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
        "background": [StrOptions({"autobk", "lsq"})],
    }

    def __init__(self, *, e0="data", rbkg=1.0, kstep=0.05, kmax=None, kweight=2,
                 min_k=4.0, e0_smooth=DEFAULT_E0_SMOOTH, background="autobk"):
        self.e0 = e0
        self.rbkg = rbkg
        self.kstep = kstep
        self.kmax = kmax
        self.kweight = kweight
        self.min_k = min_k
        self.e0_smooth = e0_smooth
        self.background = background

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
        # mu(k) on each row's k grid; rows on the same grid share one background solve
        n_k = np.floor(top / self.kstep + 1e-9).astype(int) + 1
        mu_k = []
        for i in progress(range(len(spectra)), desc=step, unit="spectrum"):
            k = self.kstep * np.arange(n_k[i])
            s = slice(spectra.starts[i], spectra.starts[i] + spectra.lengths[i])
            mu_k.append(_mu_on_k(spectra.x[s], norm[s], e0[i], k))
        ks, chis = [None] * len(spectra), [None] * len(spectra)
        # autobk spreads its knots over each row's own reach: rows share a solve when
        # they share the grid and the reach
        reach = np.round(top, 9) if self.background == "autobk" else np.zeros(len(top))
        for n, end in sorted(set(zip(n_k.tolist(), reach.tolist()))):
            rows = np.flatnonzero((n_k == n) & (reach == end))
            k = self.kstep * np.arange(n)
            block = np.vstack([mu_k[i] for i in rows])
            chi = block - self._background(k, block.T, float(top[rows[0]])).T
            for j, i in enumerate(rows):
                ks[i], chis[i] = k.copy(), chi[j]
        out = frame.copy()
        out["spectrum_type"] = "EXAFS"
        out["x"] = pd.Series(ks, index=frame.index, dtype=object)
        out["y"] = pd.Series(chis, index=frame.index, dtype=object)
        return out

    def _background(self, k, mu_k, reach):
        """The background spline of mu(k), one spectrum (n_k,) or several as columns
        (``reach``: how far they reach above E0, 1/A)."""
        if self.background == "autobk":
            return autobk_background(k, mu_k, rbkg=self.rbkg, kweight=self.kweight,
                                     kmax=reach)
        _, n_coef = _spline_coefficients(k[0], k[-1], self.rbkg)
        inner = np.linspace(k[0], k[-1], n_coef - 2)[1:-1]
        knots = np.r_[[k[0]] * 4, inner, [k[-1]] * 4]
        weights = np.maximum(k, self.kstep) ** self.kweight
        return make_lsq_spline(k, mu_k, knots, k=3, w=weights)(k)


def _mu_on_k(energy, mu, e0, k):
    """Normalised mu of one row at the points ``k`` above E0: a cubic spline through the
    measured points in k (as autobk interpolates chi), linear where too few points."""
    q = energy_to_k(energy, e0)
    if q.size < 4:
        return np.interp(k, q, mu)
    return make_interp_spline(q, mu, k=3)(np.clip(k, q[0], q[-1]))
