"""sklearn_xas.metrics against hand-computed values and scikit-learn's own scores."""

import numpy as np
import pytest
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.preprocessing import MultiLabelBinarizer

from sklearn_xas.estimators import PerElementMeanRegressor
from sklearn_xas.exceptions import XASDataError
from sklearn_xas.metrics import (
    eta_score,
    exact_set_accuracy,
    exact_set_scorer,
    interval_coverage,
    neighbor_type_scores,
    per_spectrum_mse,
)


def test_eta_is_omnixas_ratio_of_medians():
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(41, 30))
    P = Y + rng.normal(scale=0.3, size=Y.shape)
    mean = Y[:20].mean(axis=0)
    expected = (np.median(((Y - mean) ** 2).mean(axis=1))
                / np.median(((Y - P) ** 2).mean(axis=1)))
    assert eta_score(Y, P, mean) == pytest.approx(expected)
    assert eta_score(Y, P, mean) > 5  # noise of 0.3 against unit-variance spectra
    assert eta_score(Y, np.broadcast_to(mean, Y.shape), mean) == pytest.approx(1.0)
    with pytest.raises(XASDataError, match="undefined"):
        eta_score(Y, Y, mean)
    with pytest.raises(ValueError, match="2-D"):
        per_spectrum_mse(Y[0], P[0])


def test_neighbor_type_scores_match_scikit_learn():
    truth = [("O",), ("O", "S"), ("Cu",), ("O",), ("Cl", "Na")]
    pred = [("O",), ("O",), ("Cu", "O"), ("S",), ("Cl", "Na")]
    mlb = MultiLabelBinarizer().fit(truth + pred)
    T, P = mlb.transform(truth), mlb.transform(pred)
    s = neighbor_type_scores(truth, pred)
    assert s["f1_micro"] == pytest.approx(f1_score(T, P, average="micro"))
    assert s["f1_samples"] == pytest.approx(f1_score(T, P, average="samples"))
    assert s["exact_set"] == pytest.approx(0.4) == exact_set_accuracy(truth, pred)
    assert neighbor_type_scores(T, P)["f1_micro"] == pytest.approx(s["f1_micro"])
    # macro over labels seen at least twice in training: only O
    train = [("O",), ("O",), ("S",)]
    only_o = neighbor_type_scores(truth, pred, min_support=2, y_train=train)
    assert only_o["n_labels_macro"] == 1
    o = list(mlb.classes_).index("O")
    assert only_o["f1_macro"] == pytest.approx(f1_score(T[:, o], P[:, o]))


def test_interval_coverage():
    cov, width = interval_coverage([1.0, 2.0, 3.0, 4.0],
                                   [[0, 2], [2.5, 3], [2, 4], [3.9, 4.1]])
    assert cov == pytest.approx(0.75) and width == pytest.approx((2 + 0.5 + 2 + 0.2) / 4)
    with pytest.raises(ValueError, match="shape"):
        interval_coverage([1.0], [[0, 1], [0, 1]])


def test_exact_set_scorer_in_grid_search(bundled_exafs):
    data, _ = bundled_exafs
    from sklearn_xas.pipelines import make_neighbor_type_pipeline
    from sklearn_xas.targets import compute_targets

    y = compute_targets(data, method="cutoff")["neighbor_types"]
    pipe = make_neighbor_type_pipeline(backend="logistic")
    grid = GridSearchCV(pipe, {"classify__C": [0.1, 1.0]}, scoring=exact_set_scorer,
                        cv=GroupKFold(n_splits=3), error_score="raise")
    grid.fit(data, list(y), groups=data.groups)
    assert set(grid.cv_results_["param_classify__C"]) == {0.1, 1.0}
    # the scorer agrees with the classifier's own exact-set score, on collections and
    # on indicators alike, and with a count by hand
    fitted = pipe.fit(data, list(y))
    by_hand = np.mean([set(p) == set(t) for p, t in zip(fitted.predict_labels(data), y)])
    assert exact_set_scorer(fitted, data, list(y)) == pytest.approx(by_hand)
    assert fitted.score(data, list(y)) == pytest.approx(by_hand)
    assert by_hand > 0.5  # on its own training rows


def test_per_element_mean_beats_overall_mean_on_bundled(bundled_exafs):
    data, y = bundled_exafs
    reg = PerElementMeanRegressor().fit(data, y)
    per_el = np.abs(reg.predict(data) - y).mean()
    assert per_el < np.abs(y - y.mean()).mean()
    # frame input and its absorbing_element column give the same answer
    np.testing.assert_allclose(reg.predict(data.frame[["absorbing_element"]]),
                               reg.predict(data))


def test_neighbor_type_scores_with_a_single_label():
    # every site O-only: one indicator column, which scikit-learn alone reads as binary
    s = neighbor_type_scores([("O",), ("O",), ("O",)], [("O",), (), ("O",)])
    assert s["f1_samples"] == pytest.approx(2 / 3)
    assert s["exact_set"] == pytest.approx(2 / 3)
    assert s["f1_micro"] == pytest.approx(0.8) and s["n_labels_macro"] == 1
