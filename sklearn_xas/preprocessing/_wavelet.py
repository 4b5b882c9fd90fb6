"""The Cauchy wavelet transform of k-weighted chi(k), pooled into model features."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from ._common import fitted_grid

#: FFT size of larch's ``cauchy_wavelet`` (its ``nfft``).
_NFFT = 2048


def _cauchy_filters(kstep, rmax, r_range=None, max_rows=None):
    """The Cauchy-wavelet filters of larch's ``cauchy_wavelet`` (Munoz, Argoul and
    Farges), one row per R, for a uniform k grid of step ``kstep`` starting at 0.

    The same formula as larch's, built once for all spectra instead of once per R per
    spectrum (larch loops over R in Python: ~0.35 s a spectrum; this is ~100x
    faster, and tests/test_wavelet.py checks the two agree). With ``r_range`` only
    the rows inside it are built, at most ``max_rows`` of them evenly spaced (larch's R
    step shrinks as the k step grows: coarse grids would otherwise ask for thousands).
    """
    kstep = np.round(1000.0 * kstep) / 1000.0
    rstep = (np.pi / 2048) / kstep
    nrpts = int(np.round((rmax - 1.0e-7) / rstep))
    omega = 2 * np.pi * (1.0 / kstep) * np.arange(_NFFT) / (2 * _NFFT)
    r = np.linspace(0, rmax, nrpts)
    r[0] = 1.0e-19
    cauchy_sum = np.log(2 * np.pi) - np.log(1.0 + np.arange(nrpts)).sum()
    if r_range is not None:
        rows = np.flatnonzero((r >= r_range[0]) & (r <= r_range[1]))
        if max_rows is not None and rows.size > max_rows:
            rows = rows[np.round(np.linspace(0, rows.size - 1, max_rows)).astype(int)]
        r = r[rows]
    a = nrpts / (2 * r)
    aom = a[:, None] * omega[None, :]
    aom[aom == 0] = 1.0e-19
    filters = np.conj(np.exp(cauchy_sum + nrpts * np.log(aom) - aom))
    return r, filters


class ChiWaveletTransform(TransformerMixin, BaseEstimator):
    """Magnitude of the Cauchy wavelet transform of k^w chi(k), averaged over (k, R) cells.

    A Fourier transform says at which distances the shells sit; the wavelet transform
    also says at which k each shell scatters most, which follows the backscatterer's
    atomic number (light neighbours scatter at low k, heavy ones at high k) — the
    information a neighbour-type model needs (Funke et al., 2005; Munoz et al., 2003).
    The transform is larch's ``cauchy_wavelet`` (its formula, vectorised) on the
    spectrum zero-padded from k = 0;
    its magnitude is averaged over ``n_k x n_r`` cells covering the grid's k range and
    ``r_range``, giving ``n_k * n_r`` features per spectrum.

    Parameters
    ----------
    k : tuple (start, stop, num) or array-like or None, default=None
        The uniform k grid (1/Angstrom) of the input columns; ``None`` takes it from
        ``fit``'s ``feature_names_in_`` (as :class:`KWeighter` does).
    kweight : int, default=2
        Power of k applied before the transform.
    r_range : tuple of float, default=(0.8, 4.0)
        R range (Angstrom) of the features (not phase-corrected).
    n_k : int, default=8
        Cells along k.
    n_r : int, default=8
        Cells along R.

    Attributes
    ----------
    k_ : ndarray of shape (n_features_in_,)
        The k grid.
    n_features_in_ : int
        Number of k points.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_xas.preprocessing import ChiWaveletTransform
    >>> k = np.linspace(3, 11, 161)
    >>> chi = np.sin(2 * 2.5 * k) * np.exp(-0.01 * k**2) / k**2
    >>> W = ChiWaveletTransform(k=(3, 11, 161)).fit_transform(chi[None, :])
    >>> W.shape
    (1, 64)
    """

    _parameter_constraints = {
        "k": [tuple, "array-like", None],
        "kweight": [Interval(Integral, 0, 4, closed="both")],
        "r_range": [tuple],
        "n_k": [Interval(Integral, 1, None, closed="left")],
        "n_r": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, k=None, kweight=2, r_range=(0.8, 4.0), n_k=8, n_r=8):
        self.k = k
        self.kweight = kweight
        self.r_range = r_range
        self.n_k = n_k
        self.n_r = n_r

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fix the k grid.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_k)
            chi(k) on the uniform grid ``k``.
        y : None
            Ignored.

        Returns
        -------
        self : ChiWaveletTransform
        """
        X = validate_data(self, X, reset=True, dtype=np.float64)
        if X.shape[1] < 2:
            raise ValueError(f"ChiWaveletTransform needs a k grid of at least 2 points; got "
                             f"n_features = {X.shape[1]} feature(s).")
        self.k_ = fitted_grid(self, self.k, name="k")
        if self.k_.size != X.shape[1]:
            raise ValueError(f"k has {self.k_.size} points but X has {X.shape[1]} columns.")
        steps = np.diff(self.k_)
        if not np.allclose(steps, steps[0], rtol=1e-6) or self.k_[0] < 0:
            raise ValueError("ChiWaveletTransform needs a uniform k grid of k >= 0.")
        lo, hi = self.r_range
        if not 0 <= lo < hi:
            raise ValueError(f"r_range must be (low, high) with 0 <= low < high, got "
                             f"{self.r_range}.")
        return self

    def transform(self, X):
        """Pooled magnitude of the wavelet transform of each spectrum.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_k)
            chi(k) on the fitted grid.

        Returns
        -------
        W : ndarray of shape (n_spectra, n_k * n_r)
            Cell means, k-major.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        step = float(self.k_[1] - self.k_[0])
        lead = int(round(self.k_[0] / step))
        k_full = step * np.arange(lead + self.k_.size)
        r, filters = _cauchy_filters(step, float(self.r_range[1]) + 0.5,
                                     r_range=self.r_range, max_rows=8 * self.n_r)
        k_edges = np.linspace(self.k_[0], self.k_[-1], self.n_k + 1)
        r_edges = np.linspace(*self.r_range, self.n_r + 1)
        k_cell = np.clip(np.searchsorted(k_edges, k_full, side="right") - 1, -1, self.n_k)
        r_cell = np.clip(np.searchsorted(r_edges, r, side="right") - 1, 0, self.n_r - 1)
        inside_k = (k_full >= k_edges[0]) & (k_full <= k_edges[-1])
        k_cell = np.minimum(k_cell, self.n_k - 1)
        # cell-averaging matrices: (n_r cells x rows) and (k points x n_k cells)
        Pr = np.zeros((self.n_r, r.size))
        Pr[r_cell, np.arange(r.size)] = 1.0
        Pr /= np.maximum(Pr.sum(axis=1, keepdims=True), 1.0)
        Pk = np.zeros((k_full.size, self.n_k))
        Pk[np.flatnonzero(inside_k), k_cell[inside_k]] = 1.0
        Pk /= np.maximum(Pk.sum(axis=0, keepdims=True), 1.0)
        weight = k_full**self.kweight
        out = np.empty((X.shape[0], self.n_k * self.n_r))
        for i, chi in enumerate(X):
            padded = np.zeros(_NFFT // 2)
            padded[lead:lead + chi.size] = chi * weight[lead:]
            tff = np.fft.fft(padded, n=2 * _NFFT)[:_NFFT]
            mag = np.abs(np.fft.ifft(filters * tff, n=2 * _NFFT, axis=1)[:, :k_full.size])
            out[i] = (Pr @ mag @ Pk).T.ravel()  # k-major
        return out

    def get_feature_names_out(self, input_features=None):
        """Names ``wt_k<kcentre>_r<rcentre>`` of the cells.

        Parameters
        ----------
        input_features : ignored
            Not used, present for API consistency.

        Returns
        -------
        names : ndarray of str objects
        """
        check_is_fitted(self)
        ke = np.linspace(self.k_[0], self.k_[-1], self.n_k + 1)
        re = np.linspace(*self.r_range, self.n_r + 1)
        kc, rc = (ke[:-1] + ke[1:]) / 2, (re[:-1] + re[1:]) / 2
        return np.asarray([f"wt_k{a:.2f}_r{b:.2f}" for a in kc for b in rc], dtype=object)
