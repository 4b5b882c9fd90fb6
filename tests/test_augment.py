"""augment_spectra: seeded theory -> experiment perturbations of training spectra."""

import numpy as np
import pandas as pd
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_xas.datasets import XASDataset
from sklearn_xas.preprocessing import augment_spectra, energy_to_k
from sklearn_xas.preprocessing._augment import AUGMENT_COLUMNS, NOISE_K_REF

K = np.arange(0.0, 16.0, 0.05)
OFF = dict(s02=None, sigma2=None, e0_shift=None, noise=None, kmax=None, broadening=None)


def chi_of(r=2.5, k=K):
    return np.sin(2 * r * k) * np.exp(-0.01 * k**2) / np.maximum(k, 1.0)


def exafs_frame(n=3):
    return pd.DataFrame({
        "material_id": [f"m-{i}" for i in range(n)],
        "spectrum_type": ["EXAFS"] * n,
        "x": [K.copy() for _ in range(n)],
        "y": [chi_of(2.0 + 0.3 * i) for i in range(n)],
    })


def xanes_frame():
    e = np.linspace(8950.0, 9100.0, 301)
    mu = 1 / (1 + np.exp(-(e - 8980.0) / 1.0)) + 0.3 * np.exp(-((e - 8995.0) / 3.0) ** 2)
    return pd.DataFrame({"material_id": ["x"], "spectrum_type": ["XANES"], "x": [e], "y": [mu]})


def test_rows_order_and_targets_are_repeated_alike():
    frame = exafs_frame(3)
    y = np.array([2.0, 2.3, 2.6])
    out, y_out = augment_spectra(frame, y, n_copies=2, random_state=0)
    assert len(out) == len(y_out) == 9
    assert out["augment_copy"].tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert out["material_id"].tolist() == ["m-0", "m-1", "m-2"] * 3
    np.testing.assert_array_equal(y_out, np.tile(y, 3))
    assert list(out.index) == list(range(9))
    assert set(AUGMENT_COLUMNS) <= set(out.columns)
    # originals untouched, their perturbation columns NaN
    for i in range(3):
        np.testing.assert_array_equal(out["y"][i], frame["y"][i])
    assert out.loc[:2, list(AUGMENT_COLUMNS[1:])].isna().all().all()
    # targets of every kind: lists (neighbour types), Series, DataFrames
    types = [("O",), ("Cu", "O"), ("S",)]
    assert augment_spectra(frame, types, n_copies=1, random_state=0)[1] == types * 2
    s = pd.Series(y, index=[10, 11, 12])
    assert list(augment_spectra(frame, s, n_copies=1, random_state=0)[1].index) == list(range(6))
    t = pd.DataFrame({"d": y, "cn": [4, 6, 8]})
    t_out = augment_spectra(frame, t, n_copies=1, random_state=0)[1]
    assert t_out["cn"].tolist() == [4, 6, 8] * 2
    # without y only the data; without originals only the copies
    only = augment_spectra(frame, n_copies=2, keep_original=False, random_state=0)
    assert isinstance(only, pd.DataFrame) and only["augment_copy"].tolist() == [1] * 3 + [2] * 3


def test_seeded_and_dataset_in_dataset_out(toy_records):
    data = XASDataset.from_records(toy_records)
    a = augment_spectra(data, n_copies=2, random_state=3)
    b = augment_spectra(data, n_copies=2, random_state=3)
    c = augment_spectra(data, n_copies=2, random_state=4)
    assert isinstance(a, XASDataset) and len(a) == 3 * len(data)
    for ya, yb in zip(a.frame["y"], b.frame["y"]):
        np.testing.assert_array_equal(ya, yb)
    assert any(not np.array_equal(ya, yc) for ya, yc in zip(a.frame["y"], c.frame["y"]))
    # a RandomState instance is advanced, as scikit-learn's convention
    rng = np.random.RandomState(0)
    first = augment_spectra(data, n_copies=1, random_state=rng)
    second = augment_spectra(data, n_copies=1, random_state=rng)
    assert not np.array_equal(first.frame["y"].iloc[-1], second.frame["y"].iloc[-1])


def test_all_perturbations_off_gives_copies():
    frame = exafs_frame(2)
    out = augment_spectra(frame, n_copies=2, random_state=0, **OFF)
    for y0, y1 in zip(frame["y"].tolist() * 3, out["y"]):
        np.testing.assert_allclose(y1, y0)


def test_amplitude_and_damping_are_exact():
    frame = exafs_frame(1)
    out = augment_spectra(frame, n_copies=1, random_state=0,
                          **{**OFF, "s02": 0.8, "sigma2": 0.01})
    chi0, chi1 = frame["y"][0], out["y"][1]
    np.testing.assert_allclose(chi1, 0.8 * np.exp(-0.02 * K**2) * chi0)
    assert out["augment_s02"][1] == 0.8 and out["augment_sigma2"][1] == 0.01


@pytest.mark.parametrize("de", [-5.0, 4.0])
def test_e0_shift_regrids_k(de):
    """chi measured against an E0 de above the theory's: chi(sqrt(k**2 + 0.2625 de))."""
    frame = exafs_frame(1)
    out = augment_spectra(frame, n_copies=1, random_state=0, **{**OFF, "e0_shift": de})
    q = np.sqrt(np.clip(K**2 + 0.262468 * de, 0, None))
    inside = (K > 3) & (q < K[-1])
    np.testing.assert_allclose(out["y"][1][inside], chi_of(2.0, q)[inside], atol=2e-3)
    # the same as energy_to_k of the shifted energies (the physics, not the formula)
    e = 8979.0 + 100.0
    assert np.sqrt(energy_to_k(e, 8979.0) ** 2 - 0.262468 * de) == pytest.approx(
        energy_to_k(e, 8979.0 + de), rel=1e-5)


def test_truncation_zeroes_above_kmax_and_keeps_the_grid():
    frame = exafs_frame(1)
    out = augment_spectra(frame, n_copies=5, random_state=0,
                          **{**OFF, "kmax": (10.0, 12.0)}, truncate=1.0)
    for i in range(1, 6):
        cut = out["augment_kmax"][i]
        assert 10.0 <= cut <= 12.0
        np.testing.assert_array_equal(out["x"][i], K)
        assert not out["y"][i][K > cut].any()
        np.testing.assert_allclose(out["y"][i][K <= cut], frame["y"][0][K <= cut])
    never = augment_spectra(frame, n_copies=5, random_state=0, **{**OFF, "kmax": 11.0},
                            truncate=0.0)
    assert never["augment_kmax"].isna().all()


@pytest.mark.parametrize("power", [0.0, 1.0, 2.0])
def test_noise_level_grows_with_k(power):
    frame = pd.DataFrame({"spectrum_type": ["EXAFS"], "x": [K], "y": [np.zeros_like(K)]})
    out = augment_spectra(frame, n_copies=400, keep_original=False, random_state=0,
                          **{**OFF, "noise": 0.01}, noise_kpower=power)
    noise = np.vstack(out["y"])
    std = noise.std(axis=0)
    for k in (5.0, 10.0, 15.0):
        i = int(round(k / 0.05))
        assert std[i] == pytest.approx(0.01 * (k / NOISE_K_REF) ** power, rel=0.2)


def test_xanes_rows_are_shifted_broadened_and_keep_their_area():
    frame = xanes_frame()
    e, mu = frame["x"][0], frame["y"][0]
    out = augment_spectra(frame, n_copies=1, random_state=0,
                          **{**OFF, "e0_shift": 3.0, "broadening": 4.0})
    np.testing.assert_allclose(out["x"][1], e + 3.0)
    assert out["augment_fwhm"][1] == 4.0 and np.isnan(out["augment_s02"][1])
    assert np.trapezoid(out["y"][1], e) == pytest.approx(np.trapezoid(mu, e), rel=1e-3)
    assert out["y"][1].max() < mu.max()  # the white line is lower once broadened


def test_drawn_values_lie_in_their_ranges():
    out = augment_spectra(pd.concat([exafs_frame(4), xanes_frame()], ignore_index=True),
                          n_copies=20, random_state=1)
    ex = out[(out["augment_copy"] > 0) & (out["spectrum_type"] == "EXAFS")]
    assert ex["augment_s02"].between(0.7, 1.0).all()
    assert ex["augment_sigma2"].between(0.0, 0.01).all()
    assert ex["augment_e0_shift"].between(-5.0, 5.0).all()
    assert ex["augment_noise"].between(0.0, 0.003).all()
    cut = ex["augment_kmax"].dropna()
    assert cut.between(10.0, 14.0).all() and 0.3 < len(cut) / len(ex) < 0.7
    xa = out[(out["augment_copy"] > 0) & (out["spectrum_type"] == "XANES")]
    assert xa["augment_fwhm"].between(0.0, 2.0).all() and xa["augment_sigma2"].isna().all()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(n_copies=-1), InvalidParameterError, "n_copies"),
        (dict(truncate=1.5), InvalidParameterError, "truncate"),
        (dict(s02=(1.0, 0.7)), ValueError, "low <= high"),
        (dict(sigma2=(-0.01, 0.01)), ValueError, "within"),
        (dict(noise=(0.0, np.inf)), ValueError, "low <= high"),
        (dict(kmax=(10.0, 12.0, 14.0)), ValueError, "pair"),
        (dict(n_copies=0, keep_original=False), ValueError, "Nothing to return"),
    ],
)
def test_parameter_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        augment_spectra(exafs_frame(1), **kwargs)


def test_data_errors():
    with pytest.raises(ValueError, match="y has 2 rows for 3 spectra"):
        augment_spectra(exafs_frame(3), [1.0, 2.0])
    bad = exafs_frame(1).assign(spectrum_type="XES")
    with pytest.raises(ValueError, match="unknown spectrum_type"):
        augment_spectra(bad)
    with pytest.raises(InvalidParameterError, match="data"):
        augment_spectra(np.zeros((2, 3)))


def test_augmented_set_trains_a_recipe(bundled_exafs):
    """The output goes straight into a recipe: truncated copies (zeros above kmax) sit
    on the grid without error, and the model still learns the distance."""
    from sklearn_xas.pipelines import make_nn_distance_pipeline

    data, y = bundled_exafs
    X, y_aug = augment_spectra(data, y, n_copies=2, random_state=0)
    assert isinstance(X, XASDataset) and len(X) == 3 * len(data)
    model = make_nn_distance_pipeline(kind="EXAFS", n_estimators=30, random_state=0)
    model.fit(X, y_aug)
    pred = model.predict(data)
    assert np.mean(np.abs(pred - y)) < 0.15
