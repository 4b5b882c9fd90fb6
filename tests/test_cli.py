"""The sklearn-xas command line: argument errors, train/predict/evaluate round trip, demo."""

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sklearn_xas._cli import main, print_table
from sklearn_xas.datasets import XASDataset, write_feff_tree
from sklearn_xas.datasets._bundled import load_prototype_exafs


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def small_tree(tmp_path_factory):
    """A FEFF tree of 24 bundled materials (rock salt, fluorite, perovskite, metals)."""
    data = load_prototype_exafs(prototypes=["rocksalt", "fluorite", "perovskite", "fcc", "bcc"])
    ids = np.unique(data.groups)[::2][:24]
    sub = data[np.isin(data.groups, ids)]
    root = tmp_path_factory.mktemp("tree")
    write_feff_tree(sub, root)
    return root, sub


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("demo", "train", "predict", "evaluate", "simulate"):
        assert cmd in out


@pytest.mark.parametrize(
    "argv",
    [[], ["fly"], ["train", "bogus-task", "--data", "x", "--model", "m"],
     ["demo", "--test-size", "1.5"], ["train", "nn-distance", "--model", "m"]],
)
def test_argument_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "usage: sklearn-xas" in capsys.readouterr().err


def test_missing_data_and_model_are_user_errors(tmp_path, capsys):
    code, _, err = run(capsys, "train", "nn-distance", "--data", str(tmp_path / "nowhere"),
                       "--model", str(tmp_path / "m.joblib"))
    assert code == 2
    assert "error: --data" in err and "no such file or folder" in err
    assert "Traceback" not in err
    bad = tmp_path / "data.txt"
    bad.write_text("1 2 3\n")
    code, _, err = run(capsys, "evaluate", "--model", str(tmp_path / "m.joblib"),
                       "--data", str(bad))
    assert code == 2 and "no such file (train a model with 'sklearn-xas train')" in err
    junk = tmp_path / "junk.joblib"
    junk.write_bytes(b"not a model")
    code, _, err = run(capsys, "predict", "--model", str(junk), "--data", "bundled")
    assert code == 2 and "cannot be read as a saved model" in err


def test_missing_cuda_device_is_a_user_error(capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    code, _, err = run(capsys, "demo", "--device", "cuda", "--quick")
    assert code == 2 and "--device cuda: no CUDA device" in err and "--device cpu" in err


def test_bad_data_file_names_the_fix(tmp_path, capsys):
    bad = tmp_path / "data.txt"
    bad.write_text("1 2 3\n")
    code, _, err = run(capsys, "train", "nn-distance", "--data", str(bad),
                       "--model", str(tmp_path / "m.joblib"))
    # the column reader says what it found and how to say which columns to use
    assert code == 2 and "data.txt" in err and "columns=" in err


def test_mixed_kinds_need_spectrum_type(tmp_path, toy_records, capsys):
    e = np.linspace(1060.0, 1120.0, 61)
    xanes = dict(toy_records[0], spectrum_type="XANES", x=e, y=1 / (1 + np.exp(1071 - e)),
                 material_id="toy-3")
    write_feff_tree(XASDataset.from_records(toy_records + [xanes]), tmp_path / "tree")
    code, _, err = run(capsys, "train", "nn-distance", "--data", str(tmp_path / "tree"),
                       "--model", str(tmp_path / "m.joblib"))
    assert code == 2
    assert "holds both XANES and EXAFS" in err and "--spectrum-type" in err


@pytest.fixture(scope="module")
def trained(small_tree, tmp_path_factory):
    """Models of the two inverse tasks trained through the CLI on the small tree."""
    root, _ = small_tree
    out = tmp_path_factory.mktemp("models")
    models = {}
    for task in ("nn-distance", "neighbor-types", "spectrum"):
        path = out / f"{task}.joblib"
        assert main(["train", task, "--data", str(root), "--model", str(path), "--quick",
                     "--featurizer", "rdf", "--device", "cpu", "-q"]) == 0
        models[task] = path
    return models


def test_train_on_the_bundled_xanes_set(tmp_path, capsys):
    code, out, _ = run(capsys, "train", "nn-distance", "--data", "bundled-xanes", "--quick",
                       "--neighbor-method", "cutoff", "--test-size", "0.25", "--n-jobs", "1",
                       "--model", str(tmp_path / "m.joblib"), "-q")
    assert code == 0 and "(nn-distance, XANES)" in out and "MAE (A)" in out


def test_train_predict_round_trip(trained, small_tree, tmp_path, capsys):
    root, sub = small_tree
    csv = tmp_path / "pred.csv"
    code, out, _ = run(capsys, "predict", "--model", str(trained["nn-distance"]),
                       "--data", str(root), "--out", str(csv), "-q")
    assert code == 0 and str(csv.resolve()) in out
    pred = pd.read_csv(csv)
    assert len(pred) == len(sub)
    assert list(pred.columns) == ["material_id", "absorbing_index", "absorbing_element", "edge",
                                  "mean_nn_distance"]
    # trained on these very sites: the predictions follow the true distances (neighbour rule
    # of the bundle) better than their mean does
    from sklearn_xas.pretrained import load_model
    from sklearn_xas.targets import compute_targets

    method = load_model(trained["nn-distance"]).neighbor_method
    truth = compute_targets(sub, targets="mean_nn_distance", method=method)
    truth = truth["mean_nn_distance"].to_numpy(dtype=float)
    got = pred["mean_nn_distance"].to_numpy()
    assert truth.min() <= got.min() and got.max() <= truth.max()
    assert np.abs(got - truth).mean() < 0.5 * np.abs(truth - truth.mean()).mean()
    csv2 = tmp_path / "types.csv"
    assert main(["predict", "--model", str(trained["neighbor-types"]), "--data", str(root),
                 "--out", str(csv2), "-q"]) == 0
    types = pd.read_csv(csv2, keep_default_na=False)["neighbor_types"]
    assert len(types) == len(sub)
    assert all(set(t.split()) <= {"O", "F", "Cl", "Br", "I", "S", "Se", "N"} | set(
        sub.frame["absorbing_element"]) for t in types)


def test_forward_predictions_are_spectra_on_the_grid(trained, small_tree, tmp_path):
    from sklearn_xas.pretrained import load_model

    root, sub = small_tree
    model = load_model(trained["spectrum"])
    assert model.task == "spectrum" and model.spectrum_type == "EXAFS"
    grid = model.grid  # R grid of |chi(R)|, 0 to 6 A
    assert grid[0] == 0 and grid[-1] == pytest.approx(6.0)
    assert main(["predict", "--model", str(trained["spectrum"]), "--data", str(root),
                 "--out", str(tmp_path / "s.csv"), "-q"]) == 0
    pred = pd.read_csv(tmp_path / "s.csv")
    assert pred.shape == (len(sub), 4 + grid.size)
    assert np.allclose(pred.columns[4:].astype(float), grid, atol=1e-5)


def test_simulate_command_writes_a_tree(tmp_path, nacl, capsys):
    pytest.importorskip("larch.xafs", reason="xraylarch (the 'simulate' extra) is missing")
    from sklearn_xas.datasets import load_feff_tree

    poscar = tmp_path / "NaCl.vasp"
    nacl.to(filename=str(poscar), fmt="poscar")
    code, out, _ = run(capsys, "simulate", str(poscar), "--out", str(tmp_path / "tree"),
                       "--absorbers", "Cl", "-q")
    assert code == 0 and "1 EXAFS spectra written" in out
    back = load_feff_tree(tmp_path / "tree").frame
    assert list(back["material_id"]) == ["NaCl"] and list(back["absorbing_element"]) == ["Cl"]
    assert back["multiplicity"][0] == 4 and back["x"][0].shape == (321,)
    code, _, err = run(capsys, "simulate", str(tmp_path / "missing.cif"), "--out", "x")
    assert code == 2 and "no such structure file" in err


def test_evaluate_prints_metrics_writes_json_and_plots(trained, small_tree, tmp_path, capsys):
    from sklearn_xas.targets import compute_targets

    root, sub = small_tree
    code, out, _ = run(capsys, "evaluate", "--model", str(trained["nn-distance"]),
                       "--data", str(root), "--out", str(tmp_path / "m.json"),
                       "--plots", str(tmp_path / "plots"), "-q")
    assert code == 0
    assert "MAE (A)" in out and "baseline" in out
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert set(metrics) == {"MAE (A)", "RMSE (A)", "R2"}
    # the reported MAE is that of the model's predictions against the structures' targets
    assert main(["predict", "--model", str(trained["nn-distance"]), "--data", str(root),
                 "--out", str(tmp_path / "p.csv"), "-q"]) == 0
    pred = pd.read_csv(tmp_path / "p.csv")["mean_nn_distance"].to_numpy()
    truth = compute_targets(sub, targets=("mean_nn_distance",))["mean_nn_distance"].to_numpy()
    assert metrics["MAE (A)"]["model"] == pytest.approx(np.mean(np.abs(pred - truth)))
    assert (tmp_path / "plots" / "nn_distance_parity.png").stat().st_size > 5000


def test_predict_refuses_other_kind(trained, tmp_path, toy_records, capsys):
    e = np.linspace(1060.0, 1120.0, 61)
    recs = [dict(r, spectrum_type="XANES", x=e, y=1 / (1 + np.exp(1071 - e)))
            for r in toy_records]
    write_feff_tree(XASDataset.from_records(recs), tmp_path / "xanes")
    code, _, err = run(capsys, "predict", "--model", str(trained["nn-distance"]),
                       "--data", str(tmp_path / "xanes"), "--out", str(tmp_path / "p.csv"))
    assert code == 2 and "holds no EXAFS spectra" in err


def test_demo_quick(tmp_path, capsys):
    code, out, err = run(capsys, "demo", "--quick", "--out", str(tmp_path / "demo"),
                         "--device", "cpu")
    assert code == 0
    for metric in ("eta", "F1 micro", "exact-set accuracy", "MAE (A)", "R2", "within 1"):
        assert metric in out
    assert "XANES" in out and "EXAFS" in out
    assert str((tmp_path / "demo").resolve()) in out
    names = sorted(p.name for p in (tmp_path / "demo").iterdir())
    fits = ["measured_examples_fits.png"] if importlib.util.find_spec("larch") else []
    assert names == ["exafs_coordination_number_confusion.png", "exafs_nn_distance_parity.png",
                     "measured_examples_chi.png", *fits, "metrics.json",
                     "xanes_neighbor_type_f1_per_element.png", "xanes_nn_distance_parity.png",
                     "xanes_spectra_true_vs_predicted.png"]
    metrics = json.loads((tmp_path / "demo" / "metrics.json").read_text())
    assert set(metrics) == {"split", "XANES spectrum", "XANES nn-distance",
                            "XANES neighbor-types", "EXAFS nn-distance",
                            "EXAFS coordination-number"}
    assert "held-out materials" in err


def test_print_table(capsys):
    print_table([("nn-distance", "MAE (A)", 0.1234567, 0.5)])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["task", "metric", "model", "baseline"]
    assert "0.1235" in lines[1] and lines[1].rstrip().endswith("0.5")


def test_python_m_entry_point():
    res = subprocess.run([sys.executable, "-m", "sklearn_xas", "--version"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout.startswith("sklearn-xas ")
