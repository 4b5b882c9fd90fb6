"""TrainedModel: train, save, load, predict and evaluate in one call each."""

import warnings

import joblib
import numpy as np
import pytest

from sklearn_xas.datasets import load_prototype_exafs
from sklearn_xas.exceptions import XASDataError
from sklearn_xas.pretrained import TrainedModel, fit_and_score, load_model, train_model


@pytest.fixture(scope="module")
def split():
    data = load_prototype_exafs(prototypes=["rocksalt", "fcc", "bcc", "zincblende", "hcp"])
    return data.train_test_split(0.3, random_state=0)


def test_inverse_models_beat_their_per_element_baselines(split):
    train, test = split
    results = fit_and_score(["nn-distance", "neighbor-types"], train, test,
                            neighbor_method="cutoff", n_jobs=1)
    mae, base = results["nn-distance"].scores["MAE (A)"]
    assert mae < 0.7 * base
    f1, f1_base = results["neighbor-types"].scores["F1 micro"]
    assert f1 >= f1_base
    assert len(results["neighbor-types"].prediction) == len(test)


def test_save_load_round_trip_keeps_predictions_and_metadata(split, tmp_path):
    train, test = split
    tm = train_model("nn-distance", train, neighbor_method="cutoff", quick=True, n_jobs=1)
    path = tm.save(tmp_path / "sub" / "model.joblib")
    back = load_model(path)
    np.testing.assert_array_equal(back.predict(test), tm.predict(test))
    assert back.train_summary["n_sites"] == len(train)
    assert back.train_summary["absorbing_elements"] == tm.train_summary["absorbing_elements"]
    assert back.neighbor_method == "cutoff" and back.sklearn_xas_version == tm.sklearn_xas_version
    table = back.predict_frame(test)
    assert list(table.columns)[-1] == "mean_nn_distance" and len(table) == len(test)


def test_load_model_refuses_what_is_not_a_model(tmp_path):
    with pytest.raises(XASDataError, match="no such file"):
        load_model(tmp_path / "none.joblib")
    joblib.dump({"format": "sklearn-xas-model", "version": 1}, tmp_path / "old.joblib")
    with pytest.raises(XASDataError, match="not a model saved by this version"):
        load_model(tmp_path / "old.joblib")
    (tmp_path / "junk.joblib").write_bytes(b"junk")
    with pytest.raises(XASDataError, match="cannot be read"):
        load_model(tmp_path / "junk.joblib")


def test_a_model_from_another_version_warns(split, tmp_path):
    train, _ = split
    tm = train_model("nn-distance", train, neighbor_method="cutoff", quick=True, n_jobs=1)
    tm.sklearn_xas_version = "0.0.1"
    path = tm.save(tmp_path / "m.joblib")
    with pytest.warns(UserWarning, match="trained with sklearn-xas 0.0.1"):
        load_model(path)


def test_predict_refuses_the_other_spectrum_type(split):
    train, test = split
    tm = train_model("nn-distance", train, neighbor_method="cutoff", quick=True, n_jobs=1)
    frame = test.frame.copy()
    frame["spectrum_type"] = "XANES"
    with pytest.raises(XASDataError, match="trained on EXAFS"):
        tm.predict(frame)
    assert isinstance(tm, TrainedModel) and "nn-distance" in repr(tm)


def test_forward_model_scores_eta_against_the_training_mean(split):
    train, test = split
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = fit_and_score(["spectrum"], train, test, quick=True, n_jobs=1, device="cpu")
    result = r["spectrum"]
    eta, one = result.scores["eta"]
    assert one == 1.0 and eta > 1.0  # the RDF recipe beats the mean spectrum
    assert result.prediction.shape == result.truth.shape
    assert result.truth.shape[1] == result.model.grid.size


def test_coordination_number_task_beats_the_per_element_mode(split):
    train, test = split
    result = fit_and_score(["coordination-number"], train, test, neighbor_method="cutoff",
                           n_jobs=1)["coordination-number"]
    acc, base = result.scores["accuracy"]
    assert acc > base and 0 <= base <= 1
    # the baseline predicts one value per absorbing element
    base_pred = result.model.baseline.predict_proba(test.frame[["absorbing_element"]])
    assert base_pred.shape == (len(test), len(result.model.baseline.classes_))
    table = result.model.predict_frame(test)
    assert table["coordination_number"].dtype.kind == "i"
    assert set(table["coordination_number"]) <= set(result.model.model.steps[-1][1].classes_)
