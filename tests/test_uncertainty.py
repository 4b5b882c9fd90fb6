"""Uncertainty of the inverse models: NNDistanceRegressor's standard deviations and
conformal intervals, the applicability-domain score, and the calibration metrics.

Real behaviour on the bundled prototype EXAFS set (targets by distance cutoff): 90 %
intervals cover about 90 % of held-out materials' sites, and spectra unlike the training
set score higher than held-out real ones. The rest on toy arrays.
"""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sklearn_xas.datasets import XASDataset, load_prototype_exafs
from sklearn_xas.estimators import NNDistanceRegressor
from sklearn_xas.estimators._applicability import conformal_quantile
from sklearn_xas.metrics import (
    expected_calibration_error,
    interval_coverage,
    reliability_curve,
)
from sklearn_xas.pipelines import make_nn_distance_pipeline
from sklearn_xas.targets import compute_targets


@pytest.fixture(scope="module")
def fitted():
    """The NN-distance recipe fitted on 70 % of the bundled materials (groups passed)."""
    data = load_prototype_exafs()
    d = compute_targets(data, targets="mean_nn_distance", method="cutoff")
    d = pd.Series(d["mean_nn_distance"].to_numpy(), index=data.site_ids)
    train, test = data.train_test_split(0.3, random_state=0)
    pipe = make_nn_distance_pipeline(n_estimators=100, n_jobs=1, random_state=0)
    pipe.fit(train, d.loc[train.site_ids].to_numpy(), regress__groups=train.groups)
    return pipe, train, test, d.loc[test.site_ids].to_numpy()


@pytest.fixture(scope="module")
def toy():
    """y depends on x0; its noise grows with |x1| (heteroscedastic); 3 rows per group."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5))
    y = 2.0 + 0.2 * X[:, 0] + 0.05 * (0.2 + np.abs(X[:, 1])) * rng.normal(size=600)
    return X, y, np.repeat(np.arange(200), 3)


# ----------------------------------------------------------------- real: bundled set
def test_intervals_cover_held_out_materials_near_nominal(fitted):
    pipe, _, test, y_test = fitted
    X_test = pipe[:-1].transform(test)
    reg = pipe[-1]
    coverage, width = interval_coverage(y_test, reg.predict_interval(X_test, coverage=0.9))
    assert 0.8 <= coverage <= 0.98, coverage  # measured 0.88 on 109 sites
    narrow, narrow_width = interval_coverage(y_test, reg.predict_interval(X_test, 0.68))
    assert narrow < coverage and narrow_width < width
    assert 0.5 <= narrow <= 0.85, narrow


def test_std_through_the_pipeline(fitted):
    pipe, _, test, _ = fitted
    y_pred, std = pipe.predict(test, return_std=True)  # Pipeline forwards return_std
    assert y_pred.shape == std.shape == (len(test),)
    assert (std > 0).all() and np.isfinite(std).all()
    np.testing.assert_array_equal(y_pred, pipe.predict(test))
    # std is the half-width of the interval of one normal sigma's coverage
    interval = pipe[-1].predict_interval(pipe[:-1].transform(test), math.erf(2**-0.5))
    np.testing.assert_allclose(interval[:, 1] - y_pred, std)
    np.testing.assert_allclose(y_pred - interval[:, 0], std)


def test_applicability_score_real_and_unlike_spectra(fitted):
    pipe, train, test, _ = fitted
    reg, features = pipe[-1], pipe[:-1]
    held_out = reg.applicability_score(features.transform(test))
    assert 0.2 < held_out.mean() < 0.8  # new materials like the training ones: ~uniform
    assert reg.applicability_score(features.transform(train)).mean() < held_out.mean()
    rng = np.random.default_rng(0)
    records = test.frame.to_dict("records")
    unlike = {
        "noise": [dict(r, y=3 * np.std(r["y"]) * rng.normal(size=len(r["y"])))
                  for r in records],
        "reversed in k": [dict(r, y=np.asarray(r["y"])[::-1]) for r in records],
        "offset": [dict(r, y=r["y"] + 0.5 * np.abs(r["y"]).max()) for r in records],
        "3 x the amplitude": [dict(r, y=3.0 * np.asarray(r["y"])) for r in records],
    }
    # (a spectrum shifted in k looks like one of other distances: not unlike, rightly)
    for name, rows in unlike.items():
        score = reg.applicability_score(features.transform(XASDataset.from_records(rows)))
        assert np.median(score) > np.median(held_out) + 0.2, name
        assert score.mean() > held_out.mean(), name
    flagged = reg.is_outlier(features.transform(XASDataset.from_records(unlike["noise"])))
    assert flagged.mean() > 0.9
    assert reg.is_outlier(features.transform(test)).mean() < 0.2


# ---------------------------------------------------------------------- toy: intervals
def test_calibration_does_not_change_predictions(toy):
    X, y, groups = toy
    reg = NNDistanceRegressor(n_estimators=30, n_jobs=1, random_state=0)
    plain = clone(reg).set_params(calibration_fraction=None).fit(X[:300], y[:300])
    reg.fit(X[:300], y[:300], groups=groups[:300])
    np.testing.assert_array_equal(reg.predict(X[400:]), plain.predict(X[400:]))
    assert plain.conformity_scores_ is None
    with pytest.raises(NotFittedError, match="calibration_fraction=None"):
        plain.predict_interval(X[400:])
    with pytest.raises(NotFittedError, match="calibration_fraction=None"):
        plain.predict(X[400:], return_std=True)
    assert len(reg.conformity_scores_) == 60  # 20 % of the 100 groups of 3 rows
    assert np.all(np.diff(reg.conformity_scores_) >= 0)


@pytest.mark.parametrize("backend", ["extra_trees", "random_forest", "gradient_boosting"])
def test_coverage_and_spread_scaling_on_toy(toy, backend):
    X, y, groups = toy
    reg = NNDistanceRegressor(backend=backend, n_estimators=50, max_iter=100, n_jobs=1,
                              random_state=0).fit(X[:400], y[:400], groups=groups[:400])
    coverage, _ = interval_coverage(y[400:], reg.predict_interval(X[400:], coverage=0.9))
    # at least nominal, up to sampling noise; conservative here, since the model that
    # predicts is fitted on a quarter more rows than the one whose errors calibrate
    assert 0.85 <= coverage <= 1.0, coverage
    widths = np.diff(reg.predict_interval(X[400:]), axis=1).ravel()
    if backend == "gradient_boosting":  # no members: one width for every row
        assert reg.spread_floor_ == 0.0
        np.testing.assert_allclose(widths, widths[0])
    else:  # the trees' spread scales each row's width
        assert reg.spread_floor_ > 0
        assert widths.std() > 0.05 * widths.mean()


def test_mlp_ensemble_spread_scales_and_single_net_does_not(toy):
    X, y, groups = toy
    fast = dict(backend="mlp", hidden_layer_sizes=(16,), max_epochs=30, lr=1e-2,
                device="cpu", n_jobs=1, random_state=0)
    single = NNDistanceRegressor(**fast).fit(X[:400], y[:400], groups=groups[:400])
    assert single.spread_floor_ == 0.0
    pair = NNDistanceRegressor(**fast, n_ensemble=2).fit(X[:400], y[:400], groups[:400])
    assert pair.spread_floor_ > 0
    _, std = pair.predict(X[400:], return_std=True)
    assert (std > 0).all() and std.std() > 0


def test_too_few_calibration_rows_give_unbounded_intervals(toy):
    X, y, _ = toy
    reg = NNDistanceRegressor(n_estimators=10, n_jobs=1, random_state=0).fit(X[:20], y[:20])
    assert len(reg.conformity_scores_) == 4  # (4 + 1) * 0.9 > 4: no finite quantile
    with pytest.warns(UserWarning, match="too few for intervals of coverage 0.9"):
        interval = reg.predict_interval(X[:3], coverage=0.9)
    assert np.isinf(interval).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(reg.predict_interval(X[:3], coverage=0.5)).all()
    one = NNDistanceRegressor(n_estimators=5, n_jobs=1).fit(X[:1], y[:1])
    assert one.conformity_scores_.size == 0


@pytest.mark.parametrize("coverage", [0.0, 1.0, 1.5, "0.9"])
def test_coverage_must_be_a_probability(toy, coverage):
    X, y, _ = toy
    reg = NNDistanceRegressor(n_estimators=5, n_jobs=1, random_state=0).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="coverage must be in"):
        reg.predict_interval(X[:2], coverage=coverage)


def test_groups_must_match_the_rows(toy):
    X, y, _ = toy
    with pytest.raises(ValueError, match="groups must be 1-D"):
        NNDistanceRegressor(n_estimators=5).fit(X[:50], y[:50], groups=np.zeros(49))


def test_conformal_quantile_is_the_finite_sample_rank():
    scores = np.arange(1.0, 10.0)  # 9 sorted scores
    assert conformal_quantile(scores, 0.9) == 9.0  # ceil(10 * 0.9) = 9th
    assert conformal_quantile(scores, 0.5) == 5.0  # ceil(10 * 0.5) = 5th
    assert conformal_quantile(scores[:8], 0.9) == math.inf  # ceil(9 * 0.9) = 9 > 8
    assert conformal_quantile(np.array([]), 0.5) == math.inf


# ----------------------------------------------------------------- calibration metrics
def test_ece_of_calibrated_and_overconfident_toys():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=50_000)
    outcome = (rng.uniform(size=p.size) < p).astype(int)
    assert expected_calibration_error(outcome, p) < 0.01
    assert expected_calibration_error(outcome, np.clip(2 * p - 0.5, 0, 1)) > 0.1
    assert expected_calibration_error(outcome, np.where(p > 0.5, 1.0, 0.0)) > 0.2
    mean, frac, counts = reliability_curve(outcome, p, n_bins=5)
    np.testing.assert_allclose(frac, mean, atol=0.02)  # on the diagonal
    assert counts.sum() == p.size
    _, _, counts = reliability_curve(outcome, p, n_bins=4, strategy="quantile")
    assert np.ptp(counts) <= 1  # equal counts


def test_ece_multi_label_and_multi_class():
    # multi-label: every (row, label) entry is one forecast
    Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    assert expected_calibration_error(Y, Y.astype(float)) == 0.0
    assert expected_calibration_error(Y, np.full(Y.shape, 0.5)) == 0.0  # half happen
    # multi-class: scored by the top class, columns named by labels
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]])
    assert expected_calibration_error([4, 6, 6], proba, labels=[4, 6]) == pytest.approx(0.4)
    assert expected_calibration_error([0, 0, 1], proba) == pytest.approx((0.1 + 0.2 + 0.3) / 3)


@pytest.mark.parametrize(
    "y_true, y_prob, match",
    [
        ([0, 1], [0.2, 1.2], "probabilities in"),
        ([0, 2], [0.2, 0.8], "0/1 outcomes"),
        ([0, 1, 1], [0.2, 0.8], "same shape"),
        ([0, 1], [[0.5, 0.5], [0.1, 0.9], [0.2, 0.8]], "must be 1-D of length 3"),
    ],
)
def test_ece_bad_inputs(y_true, y_prob, match):
    with pytest.raises(ValueError, match=match):
        expected_calibration_error(y_true, y_prob)
