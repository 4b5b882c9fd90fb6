"""Theory-to-experiment adapter: Gaussian/Lorentzian (Voigt) broadening and an energy shift."""

from numbers import Real

import numpy as np
from scipy.special import voigt_profile
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from ._common import fitted_grid
from ._grid import trapezoid_weights

_FWHM_TO_SIGMA = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))


def broadening_operator(grid, gaussian_fwhm=0.0, lorentzian_fwhm=0.0):
    """Matrix ``B`` with ``B @ y`` the Voigt-broadened ``y`` on ``grid``, area preserved.

    ``B[i, j] = K(E_i - E_j) w_j / c_j`` where K is the Voigt profile (Gaussian of
    FWHM ``gaussian_fwhm`` convolved with a Lorentzian of FWHM ``lorentzian_fwhm``)
    plus its mirror images about both grid ends, ``w`` the trapezoid weights and
    ``c_j`` the kernel mass kept on the grid, so that ``w @ (B @ y) == w @ y``.

    Parameters
    ----------
    grid : ndarray of shape (n,)
    gaussian_fwhm, lorentzian_fwhm : float, default=0.0

    Returns
    -------
    B : ndarray of shape (n, n)
    """
    n = grid.size
    if n == 1 or (gaussian_fwhm == 0 and lorentzian_fwhm == 0):
        return np.eye(n)
    w = trapezoid_weights(grid)
    sigma, gamma = gaussian_fwhm * _FWHM_TO_SIGMA, lorentzian_fwhm / 2.0
    # Widths far below the grid step act as zero: a denormal width would overflow the
    # sampled profile (1 / sigma) instead of leaving the spectrum unchanged.
    negligible = 1e-9 * float(np.min(np.diff(grid)))
    sigma = sigma if sigma > negligible else 0.0
    gamma = gamma if gamma > negligible else 0.0
    if sigma == 0 and gamma == 0:
        return np.eye(n)
    e_i = grid[:, None]
    kernel = sum(
        voigt_profile(e_i - centre[None, :], sigma, gamma)
        for centre in (grid, 2 * grid[0] - grid, 2 * grid[-1] - grid)
    )
    b = kernel * w[None, :]
    kept = w @ b  # = c_j * w_j
    return b * (w / np.where(kept > 0, kept, 1.0))[None, :]


def shift_operator(grid, shift):
    """Matrix ``S`` with ``(S @ y)(E) = y(E - shift)``, linear, end values held."""
    n = grid.size
    if shift == 0 or n == 1:
        return np.eye(n)
    q = np.clip(grid - shift, grid[0], grid[-1])
    i = np.clip(np.searchsorted(grid, q, side="right") - 1, 0, n - 2)
    t = (q - grid[i]) / (grid[i + 1] - grid[i])
    s = np.zeros((n, n))
    rows = np.arange(n)
    s[rows, i] = 1.0 - t
    s[rows, i + 1] += t
    return s


class SpectralBroadener(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Broaden (Gaussian, Lorentzian or Voigt) and shift spectra on a common energy grid.

    The theory-to-experiment adapter: calculated spectra are sharper than measured
    ones (core-hole lifetime, instrument resolution) and sit at another energy.
    The widths and the shift are hyperparameters, so that a ``GridSearchCV`` over a
    ``Pipeline`` can tune them against measured references.

    Parameters
    ----------
    grid : tuple, array-like or None, default=None
        Energy (eV) of each column: ``(start, stop, num)``, ``(start, stop)`` (uniform,
        one point per feature), or the values; ``None`` reads them from feature names
        such as ``mu_e-10.0``.
    gaussian_fwhm : float, default=0.0
        Full width at half maximum (eV) of the Gaussian (instrument resolution).
    lorentzian_fwhm : float, default=0.0
        Full width at half maximum (eV) of the Lorentzian (lifetime broadening).
        With both widths set, the kernel is their convolution, a Voigt profile.
    shift : float, default=0.0
        Energy shift (eV): the output at E is the broadened input at E - shift, so a
        positive shift moves features to higher energy.

    Attributes
    ----------
    grid_ : ndarray of shape (n_features_in_,)
    operator_ : ndarray of shape (n_features_in_, n_features_in_)
        The linear map applied to each spectrum (``Xt = X @ operator_.T``).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names.

    Notes
    -----
    Edges: the kernel is mirrored about both ends of the grid (what would spill past
    an end is folded back in), so a flat pre- or post-edge stays flat, and each
    column is then rescaled so that the trapezoidal area over the grid is preserved
    exactly (up to rounding) when ``shift == 0``. A shift moves part of the spectrum
    past one end, where it is dropped, and holds the end value at the other end; the
    area then changes by what crossed the ends. Widths below the grid step leave the
    spectrum almost unchanged (the kernel is sampled on the grid).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_xas.preprocessing import SpectralBroadener
    >>> grid = np.linspace(-20.0, 20.0, 401)
    >>> peak = np.exp(-0.5 * (grid / 0.3) ** 2)[None, :]
    >>> out = SpectralBroadener(grid=(-20.0, 20.0), gaussian_fwhm=2.0).fit_transform(peak)
    >>> bool(np.isclose(np.trapezoid(out[0], grid), np.trapezoid(peak[0], grid)))
    True
    >>> bool(out.max() < peak.max())
    True
    """

    _parameter_constraints = {
        "grid": [tuple, "array-like", None],
        "gaussian_fwhm": [Interval(Real, 0, None, closed="left")],
        "lorentzian_fwhm": [Interval(Real, 0, None, closed="left")],
        "shift": [Real],
    }

    def __init__(self, *, grid=None, gaussian_fwhm=0.0, lorentzian_fwhm=0.0, shift=0.0):
        self.grid = grid
        self.gaussian_fwhm = gaussian_fwhm
        self.lorentzian_fwhm = lorentzian_fwhm
        self.shift = shift

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fix the grid and build the broadening-and-shift operator.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_grid)
            Spectra on the common grid.
        y : None
            Ignored.

        Returns
        -------
        self : SpectralBroadener
        """
        validate_data(self, X, reset=True, dtype=np.float64)
        grid = fitted_grid(self, self.grid, name="grid")
        broaden = broadening_operator(grid, self.gaussian_fwhm, self.lorentzian_fwhm)
        self.grid_ = grid
        self.operator_ = shift_operator(grid, self.shift) @ broaden
        return self

    def transform(self, X):
        """Broaden and shift every spectrum.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_grid)
            Spectra on the grid seen at fit.

        Returns
        -------
        Xt : ndarray of shape (n_spectra, n_grid)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return X @ self.operator_.T
