"""ChiWaveletTransform: larch's Cauchy wavelet, vectorised, pooled into features."""

import numpy as np
import pytest

from sklearn_xas.pipelines import exafs_branch
from sklearn_xas.preprocessing import ChiWaveletTransform
from sklearn_xas.preprocessing._wavelet import _cauchy_filters

K = np.linspace(3.0, 11.0, 161)


def _shell(r, k_peak):
    """One shell at ``r`` whose amplitude peaks at ``k_peak`` (light vs heavy)."""
    return np.exp(-((K - k_peak) / 3.0) ** 2) * np.sin(2 * r * K) / K


def test_filters_reproduce_larch_cauchy_wavelet():
    larch_xafs = pytest.importorskip("larch.xafs")
    from larch import Group

    chi = _shell(2.2, 6.0)
    lead = 60
    k_full = 0.05 * np.arange(lead + K.size)
    padded = np.concatenate([np.zeros(lead), chi])
    group = Group()
    larch_xafs.cauchy_wavelet(k_full, padded, group=group, kweight=2, rmax_out=4.5)
    r, filters = _cauchy_filters(0.05, 4.5)
    tff = np.fft.fft(padded * k_full**2, n=4096)[:2048]
    ours = np.abs(np.fft.ifft(filters * tff, n=4096, axis=1)[:, :k_full.size])
    np.testing.assert_allclose(r[1:], group.wcauchy_r[1:])
    np.testing.assert_allclose(ours, group.wcauchy_mag, rtol=1e-9, atol=1e-12)


def test_features_locate_shell_distance_and_scatterer_weight():
    W = ChiWaveletTransform(k=(3, 11, 161)).fit_transform(
        np.vstack([_shell(2.0, 4.0), _shell(2.0, 9.0), _shell(3.0, 4.0)])).reshape(3, 8, 8)
    k_profile = W.sum(axis=2)  # k-major cells
    r_profile = W.sum(axis=1)
    # a "heavy" scatterer (amplitude at high k) puts its weight at higher k
    assert np.argmax(k_profile[1]) > np.argmax(k_profile[0]) + 2
    # a longer shell sits in later R cells
    assert np.argmax(r_profile[2]) > np.argmax(r_profile[0])
    names = ChiWaveletTransform(k=(3, 11, 161)).fit(K[None]).get_feature_names_out()
    assert names[0] == "wt_k3.50_r1.00" and len(names) == 64


def test_bad_grids_are_refused():
    with pytest.raises(ValueError, match="uniform"):
        ChiWaveletTransform(k=np.r_[3.0, 3.1, 3.3]).fit(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="r_range"):
        ChiWaveletTransform(k=(3, 11, 161), r_range=(3.0, 1.0)).fit(np.zeros((1, 161)))


def test_exafs_branch_with_wavelet_features(bundled_exafs):
    data, _ = bundled_exafs
    branch = exafs_branch(grid=(3.0, 11.0, 161), features="k+w")
    X = branch.fit_transform(data)
    assert X.shape == (len(data), 161 + 64) and np.isfinite(X).all()
    with pytest.raises(ValueError, match="features must be"):
        exafs_branch(features="k+q")
