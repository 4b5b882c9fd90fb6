"""Preprocessing: edges and E0, resampling, normalisation, EXAFS transforms, broadening.

Synthetic spectra and property tests (hypothesis); the real-data checks are in
test_preprocessing_real.py.
"""

import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.special import expit
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklearn_xas.datasets import XASDataset
from sklearn_xas.exceptions import XASDataError
from sklearn_xas.preprocessing import (
    ChiFourierTransform,
    EdgeStepNormalizer,
    EXAFSExtractor,
    KWeighter,
    SpectralBroadener,
    SpectrumResampler,
    edge_energy,
    energy_to_k,
    find_e0,
    ft_window,
    k_to_energy,
)

SETTINGS = settings(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", 40)),
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def make_frame(xs, ys, *, kind="XANES", elements=None, edge="K"):
    """A frame of the data model (no structures needed by these steps)."""
    n = len(xs)
    elements = elements or ["Cu"] * n
    return pd.DataFrame({
        "material_id": [f"m-{i}" for i in range(n)],
        "absorbing_index": [0] * n,
        "absorbing_element": elements,
        "edge": [edge] * n,
        "spectrum_type": [kind] * n,
        "x": [np.asarray(x, dtype=float) for x in xs],
        "y": [np.asarray(y, dtype=float) for y in ys],
    })


def xanes(e, centre=8990.0, width=1.5, step=2.0, pre=(0.3, -2e-4), wiggle=0.05):
    """A XANES-like mu(E): sloping pre-edge, sigmoid edge, damped post-edge wiggles."""
    rel = e - centre
    edge = step * expit(rel / width)
    osc = 1 + wiggle * np.sin(np.clip(rel, 0, None) / 8.0) * np.exp(-np.clip(rel, 0, None) / 150)
    return pre[0] + pre[1] * (e - e[0]) + edge * osc


increasing = st.builds(
    lambda start, steps: start + np.concatenate([[0.0], np.cumsum(steps)]),
    st.floats(-1e3, 1e4),
    st.lists(st.floats(1e-3, 10.0), min_size=1, max_size=60).map(np.asarray),
)


# --------------------------------------------------------------------- edges, E0, k
def test_edge_energy_tabulated():
    assert edge_energy("Cu", "K") == 8979.0
    assert edge_energy("fe", "k") == pytest.approx(7112.0)
    assert edge_energy("Pb", "L3") == pytest.approx(13035.0, abs=5)
    with pytest.raises(XASDataError, match="Unknown element"):
        edge_energy("Xx", "K")
    with pytest.raises(XASDataError, match="No tabulated 'N7' edge for H"):
        edge_energy("H", "N7")


@SETTINGS
@given(e=st.floats(-500.0, 3000.0), e0=st.floats(100.0, 30000.0))
def test_energy_k_round_trip(e, e0):
    k = energy_to_k(e0 + e, e0)
    assert np.sign(k) == np.sign((e0 + e) - e0)
    assert k_to_energy(k, e0) == pytest.approx(e0 + e, abs=1e-9 * e0)


def test_energy_to_k_values_and_arrays():
    # hbar^2 / 2 m_e = 3.80998 eV A^2
    assert energy_to_k(100.0, 0.0) == pytest.approx(np.sqrt(100 / 3.80998), rel=1e-5)
    k = energy_to_k(np.array([8979.0, 9079.0, 8879.0]), 8979.0)
    np.testing.assert_allclose(k, [0.0, 5.1232, -5.1232], atol=1e-4)
    larch_xafs = pytest.importorskip("larch.xafs")
    assert energy_to_k(150.0, 0.0) == pytest.approx(float(larch_xafs.etok(150.0)), rel=1e-9)


@SETTINGS
@given(centre=st.floats(8960.0, 9020.0), width=st.floats(0.5, 4.0),
       scale=st.floats(0.01, 100.0), offset=st.floats(-10.0, 10.0))
def test_find_e0_locates_the_edge_and_ignores_scale_and_offset(centre, width, scale, offset):
    rng = np.random.default_rng(0)
    e = np.sort(rng.uniform(8900.0, 9100.0, 500))
    mu = xanes(e, centre=centre, width=width, wiggle=0.0, pre=(0.3, 0.0))
    e0 = find_e0(e, mu)
    assert abs(e0 - centre) < max(0.5, 2 * np.diff(e).max())
    assert find_e0(e, scale * mu + offset) == pytest.approx(e0, abs=1e-6)


def test_find_e0_refines_between_grid_points_and_smooth_zero():
    e = np.arange(8950.0, 9050.0, 1.0)
    mu = xanes(e, centre=8991.4, width=2.0, wiggle=0.0, pre=(0, 0))
    assert find_e0(e, mu) == pytest.approx(8991.4, abs=0.15)
    assert find_e0(e, mu, smooth=0.0) == pytest.approx(8991.4, abs=0.15)
    with pytest.raises(ValueError, match="smooth"):
        find_e0(e, mu, smooth=-1.0)


@pytest.mark.parametrize(
    "x, y, message",
    [
        (np.arange(4.0), np.arange(4.0), "too short"),
        (np.r_[0.0, 2.0, 1.0, 3.0, 4.0, 5.0], np.arange(6.0), "strictly increasing"),
        (np.r_[0.0, 1.0, 1.0, 3.0, 4.0, 5.0], np.arange(6.0), "strictly increasing"),
        (np.arange(6.0), np.r_[0.0, np.nan, 2, 3, 4, 5], "non-finite"),
        (np.arange(6.0), -np.arange(6.0), "no rising edge"),
    ],
)
def test_find_e0_bad_input(x, y, message):
    with pytest.raises(XASDataError, match=message):
        find_e0(x, y)


# --------------------------------------------------------------------- resampling
@SETTINGS
@given(x=increasing, data=st.data())
def test_resampling_onto_its_own_grid_returns_it(x, data):
    y = np.asarray(data.draw(st.lists(st.floats(-1e3, 1e3), min_size=x.size, max_size=x.size)))
    frame = make_frame([x], [y])
    out = SpectrumResampler(grid=x).fit_transform(frame)
    np.testing.assert_array_equal(out[0], y)
    out = SpectrumResampler(grid=list(x), outside="linear").fit_transform(frame)
    np.testing.assert_array_equal(out[0], y)


def test_resampling_own_grid_relative_to_data_e0():
    e = np.linspace(8950.0, 9100.0, 301)
    mu = xanes(e)
    frame = make_frame([e], [mu])
    e0 = find_e0(e, mu)
    out = SpectrumResampler(grid=e - e0, e0="data").fit_transform(frame)
    np.testing.assert_allclose(out[0], mu, rtol=1e-12, atol=1e-12)


def test_resampling_matches_numpy_interp_on_different_grids():
    rng = np.random.default_rng(1)
    xs = [np.sort(rng.uniform(0.0, 100.0, n)) for n in (20, 57, 200, 57)]
    ys = [rng.normal(size=x.size) for x in xs]
    grid = np.linspace(5.0, 95.0, 181)
    out = SpectrumResampler(grid=grid, outside="edge").fit_transform(make_frame(xs, ys))
    expected = np.array([np.interp(grid, x, y) for x, y in zip(xs, ys)])
    np.testing.assert_allclose(out, expected, rtol=1e-13, atol=1e-13)


def test_resampling_references_line_up_shifted_edges():
    e = np.linspace(7000.0, 9200.0, 4401)
    # a Cu and an Fe spectrum, each 15 eV above its tabulated edge
    ys = [xanes(e, centre=8979.0 + 15.0, pre=(0.3, 0.0)),
          xanes(e, centre=7112.0 + 15.0, pre=(0.3, 0.0))]
    frame = make_frame([e, e], ys, elements=["Cu", "Fe"])
    tab = SpectrumResampler(grid=(0.0, 40.0, 81), e0="tabulated").fit_transform(frame)
    np.testing.assert_allclose(tab[0], tab[1], atol=1e-9)
    np.testing.assert_allclose(tab[0], np.interp(np.linspace(8979, 9019, 81), e, ys[0]))
    res = SpectrumResampler(grid=(-10.0, 30.0, 81), e0="data")
    data = res.fit_transform(frame)
    np.testing.assert_allclose(data[0], data[1], atol=1e-6)
    steepest = res.grid_[np.argmax(np.gradient(data, res.grid_, axis=1), axis=1)]
    np.testing.assert_array_equal(steepest, [0.0, 0.0])


def test_outside_policies():
    x = np.linspace(0.0, 10.0, 11)
    y = 2.0 * x + 1.0
    frame = make_frame([x], [y])
    grid = np.array([-2.0, 0.0, 5.0, 12.0])
    get = lambda **kw: SpectrumResampler(grid=grid, **kw).fit_transform(frame)[0]  # noqa: E731
    np.testing.assert_allclose(get(outside="linear"), 2 * grid + 1)
    np.testing.assert_allclose(get(outside="edge"), [1.0, 1.0, 11.0, 21.0])
    np.testing.assert_allclose(get(outside="constant", fill_value=-7.0), [-7.0, 1.0, 11.0, -7.0])
    with pytest.raises(XASDataError, match=r"row 0 \(material 'm-0'.*\[-2, 12\].*\[0, 10\]"):
        get()


def test_grid_none_takes_the_common_range():
    xs = [np.linspace(0.0, 10.0, 21), np.linspace(2.0, 12.0, 41)]
    res = SpectrumResampler().fit(make_frame(xs, [np.ones(21), np.ones(41)]))
    assert (res.grid_[0], res.grid_[-1], res.grid_.size) == (2.0, 10.0, 31)
    with pytest.raises(XASDataError, match=r"row 1 .* starts at 20.*row 0 .* ends at 10"):
        SpectrumResampler().fit(make_frame([xs[0], xs[0] + 20], [np.ones(21)] * 2))


def test_feature_names_and_pandas_output(toy_records):
    data = XASDataset.from_records(toy_records)
    res = SpectrumResampler(grid=(3.0, 12.0, 181)).set_output(transform="pandas")
    out = res.fit_transform(data)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns[:2]) == ["chi_k3.00", "chi_k3.05"]
    assert res.spectrum_type_ == "EXAFS"
    xanes_res = SpectrumResampler(grid=(-10.0, 30.0, 81), e0="data")
    e = np.linspace(8950.0, 9100.0, 301)
    names = xanes_res.fit(make_frame([e], [xanes(e)])).get_feature_names_out()
    assert names[0] == "mu_e-10.0" and names[20] == "mu_e0.0" and names[-1] == "mu_e30.0"


def test_kind_checks(toy_records):
    e = np.linspace(8950.0, 9100.0, 301)
    frame = pd.concat([make_frame([e], [xanes(e)]),
                       XASDataset.from_records(toy_records).frame], ignore_index=True)
    with pytest.raises(XASDataError, match=r"row 1 \(material 'toy-1'.*'EXAFS'"):
        SpectrumResampler(grid=(0.0, 1.0, 3)).fit(frame)
    with pytest.raises(XASDataError, match=r"row 0 \(material 'm-0'.*'XANES'"):
        SpectrumResampler(grid=(0.0, 1.0, 3), kind="EXAFS").fit(frame)
    res = SpectrumResampler(grid=(8960.0, 9000.0, 3)).fit(frame.iloc[:1])
    with pytest.raises(XASDataError, match=r"row 1 \(material 'toy-1'"):
        res.transform(frame)
    with pytest.raises(ValueError, match="EXAFS"):
        SpectrumResampler(grid=(3.0, 10.0, 3), e0="data").fit(frame.iloc[1:])


@pytest.mark.parametrize(
    "x, y, message",
    [
        (np.r_[1.0, 3.0, 2.0, 4.0, 5.0, 6.0], np.ones(6), "strictly increasing"),
        (np.r_[1.0, 2.0, 2.0, 4.0, 5.0, 6.0], np.ones(6), "strictly increasing"),
        (np.arange(6.0), np.r_[1.0, np.nan, 1, 1, 1, 1], "non-finite"),
        (np.r_[0.0, 1, 2, 3, 4, np.inf], np.ones(6), "non-finite"),
        (np.arange(6.0), np.ones(5), "has 6 points but y has 5"),
        (np.arange(4.0), np.arange(4.0), "too short"),
    ],
)
@pytest.mark.parametrize("step", ["resampler", "normalizer"])
def test_bad_rows_are_named(x, y, message, step):
    good = np.linspace(0.0, 5.0, 11)
    frame = make_frame([good, x, good], [np.tanh(good - 2.5), y, np.tanh(good - 2.5)])
    if step == "resampler":
        est = SpectrumResampler(grid=(1.0, 4.0, 4), e0="data")
    else:
        est = EdgeStepNormalizer()
    with pytest.raises(XASDataError, match=message) as info:
        est.fit_transform(frame)
    assert "row 1 (material 'm-1', site 0, Cu)" in str(info.value)


def test_resampler_sklearn_api():
    e = np.linspace(8950.0, 9100.0, 301)
    frame = make_frame([e, e + 2.0], [xanes(e), xanes(e + 2.0)])
    res = SpectrumResampler(grid=(-5.0, 20.0, 26), e0="data", outside="edge")
    twin = clone(res)
    assert twin.get_params() == res.get_params()
    np.testing.assert_array_equal(twin.fit_transform(frame), res.fit_transform(frame))
    with pytest.raises(ValueError, match="e0"):
        SpectrumResampler(e0="nope").fit(frame)
    with pytest.raises(ValueError, match="positive integer num"):
        SpectrumResampler(grid=(0.0, 1.0, 2.5)).fit(frame)
    with pytest.raises(ValueError, match="strictly increasing"):
        SpectrumResampler(grid=[0.0, 2.0, 1.0]).fit(frame)


# --------------------------------------------------------------------- normalisation
@SETTINGS
@given(scale=st.floats(0.01, 100.0), offset=st.floats(-10.0, 10.0),
       centre=st.floats(8970.0, 9010.0), width=st.floats(0.5, 3.0),
       slope=st.floats(-1e-3, 1e-3))
def test_normalised_spectra_ignore_scale_and_offset(scale, offset, centre, width, slope):
    e = np.linspace(8800.0, 9400.0, 601)
    mu = xanes(e, centre=centre, width=width, pre=(0.2, slope))
    frame = make_frame([e, e], [mu, scale * mu + offset])
    out = EdgeStepNormalizer(pre1=-150.0, pre2=-30.0).transform(frame)["y"]
    np.testing.assert_allclose(out[1], out[0], rtol=1e-8, atol=1e-8)
    for mode in ("max", "area"):
        o = EdgeStepNormalizer(mode=mode).transform(make_frame([e, e], [mu, scale * mu]))["y"]
        np.testing.assert_allclose(o[1], o[0], rtol=1e-10)


def test_edge_step_normalisation_values():
    e = np.linspace(8800.0, 9400.0, 1201)
    mu = 0.4 - 3e-4 * (e - 8800.0) + 2.5 / (1 + np.exp(-(e - 8990.0) / 1.5))
    frame = make_frame([e], [mu])
    out = EdgeStepNormalizer(pre1=-150.0, pre2=-30.0).transform(frame)["y"][0]
    assert np.abs(out[e < 8950]).max() < 1e-6  # the pre-edge line is removed
    assert np.abs(out[e > 9050] - 1.0).max() < 1e-6  # edge step = 1
    # the default ranges (no explicit pre-edge) give the same here
    default = EdgeStepNormalizer().transform(frame)["y"][0]
    np.testing.assert_allclose(default, out, atol=1e-6)
    # npre=0: a constant pre-edge (the mean over the range), the slope stays
    const = EdgeStepNormalizer(pre1=-150.0, pre2=-30.0, npre=0).transform(frame)["y"][0]
    pre_range = (e >= 8840.0) & (e <= 8960.0)
    assert abs(const[pre_range].mean()) < 1e-3
    assert const[0] > 0.01 and const[e == 8960.0][0] < -0.005
    assert EdgeStepNormalizer(mode="max").transform(frame)["y"][0].max() == 1.0
    area = EdgeStepNormalizer(mode="area").transform(frame)["y"][0]
    assert np.trapezoid(area, e) == pytest.approx(1.0)


def test_edge_step_matches_larch_pre_edge():
    larch = pytest.importorskip("larch")
    from larch.xafs import pre_edge

    e = np.linspace(8800.0, 9600.0, 1601)
    mu = xanes(e, centre=8985.0, width=1.2, step=1.7, pre=(0.5, -2e-4), wiggle=0.08)
    group = larch.Group(energy=e, mu=mu)
    e0 = find_e0(e, mu)
    pre_edge(group, e0=e0, pre1=-150, pre2=-30, norm1=50, norm2=600, nnorm=2)
    ours = EdgeStepNormalizer(pre1=-150, pre2=-30, norm1=50, norm2=600, nnorm=2).transform(
        make_frame([e], [mu]))["y"][0]
    # larch takes one more point below each range start and one fewer at each range end
    np.testing.assert_allclose(ours, group.norm, atol=2e-4)


def test_normalizer_frames_arrays_and_output():
    e = np.linspace(8900.0, 9200.0, 301)
    mus = [xanes(e), 3 * xanes(e, centre=8995.0) + 1]
    frame = make_frame([e, e], mus)
    before = frame["y"][0].copy()
    out = EdgeStepNormalizer().fit_transform(XASDataset.from_records(
        [{**r, "structure": _one_site()} for r in frame.to_dict("records")]))
    assert isinstance(out, pd.DataFrame) and len(out) == 2
    np.testing.assert_array_equal(frame["y"][0], before)  # the input is not modified
    arr = EdgeStepNormalizer(grid=e).fit_transform(np.vstack(mus))
    np.testing.assert_allclose(arr, np.vstack(out["y"]), atol=1e-12)
    pd_out = EdgeStepNormalizer(grid=(8900.0, 9200.0, 301)).set_output(
        transform="pandas").fit_transform(np.vstack(mus))
    assert list(pd_out.columns[:2]) == ["mu_e8900.0", "mu_e8901.0"]
    with pytest.raises(ValueError, match="needs grid"):
        EdgeStepNormalizer().transform(np.vstack(mus))
    # rows of different lengths are normalised as if alone
    e2 = np.linspace(8850.0, 9300.0, 677)
    mixed = EdgeStepNormalizer().transform(make_frame([e, e2], [mus[0], xanes(e2)]))["y"]
    alone = EdgeStepNormalizer().transform(make_frame([e2], [xanes(e2)]))["y"][0]
    np.testing.assert_array_equal(mixed[0], out["y"][0])
    np.testing.assert_array_equal(mixed[1], alone)


def test_frame_steps_in_a_grid_search():
    import pickle

    rng = np.random.default_rng(0)
    e = np.linspace(8900.0, 9200.0, 301)
    shifts = rng.uniform(-5.0, 5.0, 24)
    frame = make_frame([e + s for s in shifts],
                       [xanes(e, centre=8990.0 + 3 * np.sin(i)) * (1 + i % 3)
                        for i in range(24)])
    target = np.sin(np.arange(24))  # the edge position relative to E0 moves with it
    pipe = make_pipeline(EdgeStepNormalizer(),
                         SpectrumResampler(grid=(-20.0, 60.0, 81), e0="data",
                                           outside="edge"),
                         Ridge(alpha=1e-3))
    search = GridSearchCV(pipe, {"edgestepnormalizer__mode": ["edge_step", "max"],
                                 "spectrumresampler__e0_smooth": [0.25, 1.0]}, cv=3)
    search.fit(frame, target)
    assert len(search.cv_results_["params"]) == 4
    best = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_allclose(best.predict(frame), search.predict(frame))
    for est in (EdgeStepNormalizer(mode="max"), EXAFSExtractor(rbkg=1.2)):
        twin = clone(est).set_params(e0="tabulated")
        assert twin.get_params()["e0"] == "tabulated" and est.get_params()["e0"] == "data"


def _one_site():
    from pymatgen.core import Lattice, Structure

    return Structure(Lattice.cubic(3.6), ["Cu"], [[0, 0, 0]])


def test_normalizer_errors_name_the_row(toy_records):
    e = np.linspace(8900.0, 9200.0, 301)
    exafs = XASDataset.from_records(toy_records).frame
    frame = pd.concat([make_frame([e], [xanes(e)]), exafs], ignore_index=True)
    with pytest.raises(XASDataError, match=r"XANES rows only.*row 1 \(material 'toy-1'"):
        EdgeStepNormalizer().transform(frame)
    falling = make_frame([e, e], [xanes(e), -xanes(e)])
    with pytest.raises(XASDataError, match=r"row 1 \(material 'm-1'.*(edge step|rising edge)"):
        EdgeStepNormalizer().transform(falling)
    with pytest.raises(XASDataError, match=r"row 1 \(material 'm-1'.*maximum"):
        EdgeStepNormalizer(mode="max").transform(make_frame([e, e], [xanes(e), -xanes(e)]))
    with pytest.raises(XASDataError, match=r"row 0 .*tabulated E0 = 8979 eV lies outside"):
        EdgeStepNormalizer(e0="tabulated").transform(make_frame([e + 100], [xanes(e + 100)]))
    tab = EdgeStepNormalizer(e0="tabulated").transform(make_frame([e], [xanes(e, 8979.0)]))
    assert np.isfinite(tab["y"][0]).all()
    with pytest.raises(XASDataError, match="no points in the post-edge range"):
        EdgeStepNormalizer(norm1=500.0, norm2=600.0).transform(make_frame([e], [xanes(e)]))


# --------------------------------------------------------------------- EXAFS
@SETTINGS
@given(r=st.floats(1.0, 5.0), kweight=st.integers(0, 3),
       window=st.sampled_from([("hanning", 1.0), ("kaiser", 4.0)]))
def test_fourier_transform_of_a_sine_peaks_at_r(r, kweight, window):
    k = np.arange(0.0, 16.0 + 1e-9, 0.05)
    chi = np.sin(2 * k * r)[None, :]
    ft = ChiFourierTransform(k=k, kweight=kweight, kmin=3.0, kmax=14.0, window=window[0],
                             dk=window[1], rmax=7.0, dr=0.005).fit(chi)
    # the mirror term sin(2kR) also holds (exp(-2ikR)) pulls the peak by < 0.015 A at R = 1
    assert abs(ft.r_[np.argmax(ft.transform(chi)[0])] - r) <= 0.02


def test_fourier_transform_matches_larch_xftf():
    larch = pytest.importorskip("larch")
    from larch.xafs import xftf

    k = np.arange(0.0, 16.0 + 1e-9, 0.05)
    chi = np.sin(2 * 2.3 * k + 0.3) * np.exp(-0.012 * k**2) / np.maximum(k, 1)
    for window, dk in (("hanning", 1.0), ("kaiser", 4.0)):
        group = larch.Group(k=k, chi=chi)
        xftf(group, kmin=3, kmax=12, dk=dk, kweight=2, window=window, rmax_out=6)
        ft = ChiFourierTransform(k=k, kmin=3, kmax=12, dk=dk, window=window, kweight=2,
                                 rmax=6.0, dr=float(group.r[1])).fit(chi[None, :])
        ours = ft.transform(chi[None, :])[0]
        n = ours.size
        np.testing.assert_allclose(ours, group.chir_mag[:n], atol=1e-9 * group.chir_mag.max())
        np.testing.assert_allclose(ft.window_, group.kwin, atol=1e-12)


def test_windows():
    k = np.linspace(0.0, 16.0, 321)
    han = ft_window(k, kmin=3.0, kmax=12.0, dk=1.0)
    assert han[(k < 2.5) | (k > 12.5)].max() == 0.0
    assert (han[(k >= 3.5) & (k <= 11.5)] == 1.0).all()
    kai = ft_window(k, kmin=3.0, kmax=12.0, dk=4.0, window="kaiser")
    assert kai.max() == pytest.approx(1.0) and kai[k <= 1.0].max() == 0.0


def test_kweighter_and_pipeline_reading_k_from_feature_names(toy_records):
    data = XASDataset.from_records(toy_records)
    grid = (0.0, 14.0, 281)
    pipe = make_pipeline(SpectrumResampler(grid=grid), KWeighter(kweight=1),
                         ChiFourierTransform(kweight=0, kmin=3.0, kmax=13.0, dr=0.01))
    pipe.set_output(transform="pandas")
    out = pipe.fit_transform(data)
    assert list(out.columns[:2]) == ["chir_r0.00", "chir_r0.01"]
    np.testing.assert_allclose(pipe[1].k_, np.linspace(*grid))
    # the toy chi(k) = sin(2kR) exp(-0.01 k^2) / k, R = 2.82: k-weight 1 undoes the 1/k
    assert abs(pipe[2].r_[np.argmax(out.to_numpy()[0])] - 2.82) < 0.02
    plain = KWeighter(k=grid, kweight=2).fit_transform(np.ones((2, 281)))
    np.testing.assert_allclose(plain[0], np.linspace(*grid) ** 2)


def test_exafs_array_steps_errors():
    X = np.ones((2, 5))
    with pytest.raises(ValueError, match="k has 3 points but X has 5 features"):
        KWeighter(k=(0.0, 1.0, 3)).fit(X)
    with pytest.raises(ValueError, match="no column names; pass k"):
        KWeighter().fit(X)
    with pytest.raises(ValueError, match="column 'a' is not of that form"):
        KWeighter().fit(pd.DataFrame(X, columns=list("abcde")))
    with pytest.raises(ValueError, match="negative values"):
        KWeighter(k=(-1.0, 3.0), kweight=0.5).fit(X)
    with pytest.raises(ValueError, match="covers none of the k grid"):
        ChiFourierTransform(k=(20.0, 30.0)).fit(X)
    with pytest.raises(ValueError, match="must exceed kmin"):
        ChiFourierTransform(k=(0.0, 10.0), kmin=5.0, kmax=4.0).fit(X)


def _exafs_like_xanes(centre=8979.0, r=2.5, top=10000.0):
    """mu(E) over a long range: an edge times (smooth background + chi(k))."""
    e = np.linspace(8800.0, top, 2401)
    k = energy_to_k(np.clip(e, centre, None), centre)
    chi = 0.3 * np.sin(2 * r * k + 0.5) * np.exp(-0.012 * k**2) / np.maximum(k, 1.0)
    smooth = 1 + 0.2 * np.exp(-np.clip(e - centre, 0, None) / 400)
    return e, 0.2 - 1e-4 * (e - 8800) + 1.5 * expit(e - centre) * (smooth + chi), chi


def test_exafs_extractor_recovers_chi_and_feeds_the_transform():
    e, mu, chi_true = _exafs_like_xanes()
    frame = make_frame([e, e + 40.0], [mu, np.interp(e, e + 40.0, mu)])
    out = EXAFSExtractor().fit_transform(frame)
    assert list(out["spectrum_type"]) == ["EXAFS", "EXAFS"]
    assert list(out["material_id"]) == ["m-0", "m-1"]
    k, chi = out["x"][0], out["y"][0]
    np.testing.assert_allclose(np.diff(k), 0.05)
    above = e > 8979.0
    truth = np.interp(k, energy_to_k(e[above], 8979.0), chi_true[above])
    window = (k > 3.0) & (k < 14.0)
    assert np.corrcoef(chi[window], truth[window])[0, 1] > 0.98
    pipe = make_pipeline(EXAFSExtractor(), SpectrumResampler(grid=(0.0, 14.0, 281)),
                         ChiFourierTransform(kweight=1, dr=0.01)).set_output(transform="pandas")
    F = pipe.fit_transform(frame)
    assert list(F.columns[:2]) == ["chir_r0.00", "chir_r0.01"]
    peaks = pipe[-1].r_[np.argmax(F.to_numpy(), axis=1)]
    assert np.abs(peaks - 2.5).max() < 0.03
    larch = pytest.importorskip("larch")
    from larch.xafs import autobk

    group = larch.Group(energy=e, mu=mu)
    autobk(group, rbkg=1.0, kweight=1)
    assert np.corrcoef(chi[window], np.interp(k, group.k, group.chi)[window])[0, 1] > 0.98


def test_exafs_extractor_errors_name_the_row(toy_records):
    e, mu, _ = _exafs_like_xanes()
    short = e < 9020.0  # k < 3.3 above E0
    with pytest.raises(XASDataError, match=r"row 1 \(material 'm-1'.*less than min_k"):
        EXAFSExtractor().transform(make_frame([e, e[short]], [mu, mu[short]]))
    with pytest.raises(XASDataError, match="XANES rows only"):
        EXAFSExtractor().transform(XASDataset.from_records(toy_records))
    # a spectrum starting above the tabulated Cu K edge has no pre-edge to fit
    late = e > 8985.0
    with pytest.raises(XASDataError, match=r"row 1 .*tabulated E0 = 8979 eV lies outside"):
        EXAFSExtractor(e0="tabulated").transform(make_frame([e, e[late]], [mu, mu[late]]))
    assert len(EXAFSExtractor(e0="tabulated").transform(make_frame([e], [mu]))) == 1


# --------------------------------------------------------------------- broadening
grids = st.one_of(
    st.builds(lambda n, step: np.arange(n) * step - 10.0, st.integers(3, 80),
              st.floats(0.05, 2.0)),
    st.lists(st.floats(0.01, 3.0), min_size=2, max_size=80).map(
        lambda steps: np.concatenate([[0.0], np.cumsum(steps)])),
)


@SETTINGS
@given(grid=grids, gaussian=st.floats(0.0, 5.0), lorentzian=st.floats(0.0, 5.0),
       data=st.data())
def test_broadening_preserves_area(grid, gaussian, lorentzian, data):
    y = np.asarray(data.draw(st.lists(st.floats(0.0, 10.0), min_size=grid.size,
                                      max_size=grid.size)))
    out = SpectralBroadener(grid=grid, gaussian_fwhm=gaussian,
                            lorentzian_fwhm=lorentzian).fit_transform(y[None, :])[0]
    assert np.trapezoid(out, grid) == pytest.approx(np.trapezoid(y, grid), rel=1e-9, abs=1e-9)


def test_broadening_widths_shift_and_flat_ends():
    grid = np.linspace(-30.0, 30.0, 1201)
    sharp = np.exp(-0.5 * (grid / 0.5) ** 2)[None, :]

    def fwhm(y):
        above = grid[y >= y.max() / 2]
        return above[-1] - above[0]

    g = SpectralBroadener(grid=grid, gaussian_fwhm=3.0).fit_transform(sharp)[0]
    assert fwhm(g) == pytest.approx(np.hypot(3.0, 0.5 * 2.3548), abs=0.1)
    lor = SpectralBroadener(grid=grid, lorentzian_fwhm=4.0).fit_transform(sharp)[0]
    f_l, f_g = 4.0, 0.5 * 2.3548  # Voigt FWHM (Olivero & Longbothum 1977)
    assert fwhm(lor) == pytest.approx(0.5346 * f_l + np.sqrt(0.2166 * f_l**2 + f_g**2), abs=0.1)
    shifted = SpectralBroadener(grid=grid, shift=2.5).fit_transform(sharp)[0]
    assert grid[np.argmax(shifted)] == pytest.approx(2.5, abs=0.05)
    identity = SpectralBroadener(grid=grid).fit(sharp)
    np.testing.assert_array_equal(identity.operator_, np.eye(grid.size))
    step = expit(grid)[None, :]
    voigt = SpectralBroadener(grid=grid, gaussian_fwhm=2.0, lorentzian_fwhm=1.0)
    broad = voigt.fit_transform(step)
    # flat ends stay flat: the kernel is mirrored about the grid's ends
    assert np.abs(broad[0, :40] - step[0, :40]).max() < 0.02
    assert np.abs(broad[0, -40:] - 1.0).max() < 0.02


def test_broadener_in_grid_search():
    rng = np.random.default_rng(0)
    grid = np.linspace(-10.0, 30.0, 81)
    centres = rng.uniform(0.0, 20.0, 60)
    X = np.exp(-0.5 * ((grid[None, :] - centres[:, None]) / 0.4) ** 2)
    search = GridSearchCV(
        make_pipeline(SpectralBroadener(grid=(-10.0, 30.0)), Ridge(alpha=1e-3)),
        {"spectralbroadener__gaussian_fwhm": [0.0, 4.0],
         "spectralbroadener__shift": [0.0, 1.0]},
        cv=3,
    ).fit(X, centres)
    # broad peaks overlap the grid points better, so a linear model reads their position
    assert search.best_params_["spectralbroadener__gaussian_fwhm"] == 4.0
    assert len(search.cv_results_["params"]) == 4


@pytest.mark.parametrize("gaussian, lorentzian", [(1e-308, 2.0), (2.0, 1e-308), (1e-308, 0.0)])
def test_broadening_with_negligible_widths_keeps_area(gaussian, lorentzian):
    # Found by hypothesis: a denormal width overflowed the sampled Voigt profile.
    grid = np.arange(3) * 1.0 - 10.0
    y = np.array([[0.0, 0.0, 1.0]])
    out = SpectralBroadener(grid=grid, gaussian_fwhm=gaussian,
                            lorentzian_fwhm=lorentzian).fit_transform(y)
    assert np.isfinite(out).all()
    assert np.trapezoid(out[0], grid) == pytest.approx(np.trapezoid(y[0], grid), rel=1e-9)


def test_xanes_branch_finds_e0_once_per_spectrum(monkeypatch, bundled_mu):
    """EdgeStepNormalizer leaves the E0 it found in an ``e0`` column; the resampler of
    the recipe uses it instead of differentiating the spectrum again."""
    import sklearn_xas._core._edges as edges
    import sklearn_xas.preprocessing._normalize as normalize
    import sklearn_xas.preprocessing._resample as resample
    from sklearn_xas.pipelines import XANES_GRID, xanes_branch

    data, _ = bundled_mu
    calls = []
    real = edges.spectra_e0

    def counting(spectra, **kw):
        calls.append(len(spectra))
        return real(spectra, **kw)

    monkeypatch.setattr(normalize, "spectra_e0", counting)
    monkeypatch.setattr(resample, "spectra_e0", counting)
    X = xanes_branch().fit_transform(data)
    assert calls == [len(data)]  # once, in the normaliser
    normed = EdgeStepNormalizer().fit_transform(data)
    np.testing.assert_allclose(normed["e0"], [find_e0(x, y) for x, y in
                                              zip(data.frame["x"], data.frame["y"])])
    # the same grid relative to an E0 found again on the normalised spectra
    again = SpectrumResampler(grid=XANES_GRID, e0="data", outside="edge", kind="XANES")
    again = again.fit_transform(normed.drop(columns="e0"))
    np.testing.assert_allclose(X, again, atol=0.05)
