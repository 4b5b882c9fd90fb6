"""Shipped models: listing, loading, the one-call answer, and the command line on a file."""

import importlib.util
import json

import numpy as np
import pytest
from pymatgen.core import Composition

import sklearn_xas.pretrained._shipped as shipped
from sklearn_xas._cli import main
from sklearn_xas.datasets import XASDataset, load_prototype_exafs
from sklearn_xas.exceptions import XASDataError
from sklearn_xas.pipelines import task_targets
from sklearn_xas.plotting import plot_measured_chi
from sklearn_xas.preprocessing import k_to_energy
from sklearn_xas.pretrained import (
    TrainedModel,
    describe_sites,
    list_models,
    load_pretrained,
    nearest_training_spectra,
    to_chi,
)
from sklearn_xas.pretrained._shipped import make_shipped_pipeline


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    """Three small models saved with cards, as benchmarks/train_pretrained.py lays them out."""
    folder = tmp_path_factory.mktemp("models")
    data = load_prototype_exafs(prototypes=["rocksalt", "fcc", "bcc", "zincblende"])
    tasks = ("neighbor-types", "nn-distance", "coordination-number")
    y = {t: task_targets(data, t, method="cutoff") for t in tasks}
    for task, params in [("neighbor-types", dict(max_epochs=30)),
                         ("nn-distance", dict(n_estimators=20)),
                         ("coordination-number", dict(n_estimators=20))]:
        tm = TrainedModel(make_shipped_pipeline(task, n_jobs=1, random_state=0, **params)
                          .fit(data, y[task]), task=task, spectrum_type="EXAFS")
        name = f"{task}-exafs"
        tm.save(folder / f"{name}.joblib")
        (folder / f"{name}.json").write_text(json.dumps(dict(
            name=name, file=f"{name}.joblib", task=task, spectrum_type="EXAFS",
            summary="test model")))
    return folder


@pytest.fixture
def use_models(models_dir, monkeypatch):
    monkeypatch.setattr(shipped, "MODELS_DIR", models_dir)


def _cu_foil_mu():
    """A synthetic Cu K mu(E): edge step with the 12 Cu at 2.55 A oscillation."""
    e = np.concatenate([np.linspace(8880.0, 8975.0, 96),
                        8979.0 + k_to_energy(np.linspace(0.3, 13.0, 500))])
    k = np.sqrt(np.clip(e - 8979.0, 0, None) / 3.81)
    chi = 1.2 * np.sin(2 * 2.55 * k + 0.5) * np.exp(-2 * 0.008 * k**2) / np.maximum(k, 1) ** 2
    mu = 0.2 + 1e-5 * (e - 8979) + (1 + chi) / (1 + np.exp(-(e - 8979.0) / 1.5))
    return e, mu


def test_list_and_load(use_models):
    models = list_models()
    assert sorted(models["name"]) == ["coordination-number-exafs", "neighbor-types-exafs",
                                      "nn-distance-exafs"]
    tm = load_pretrained("nn-distance-exafs")
    assert tm.card["summary"] == "test model" and tm.task == "nn-distance"
    with pytest.raises(XASDataError, match="neighbor-types-exafs, nn-distance-exafs"):
        load_pretrained("nope")


def test_describe_sites_turns_mu_into_chi_and_answers(use_models):
    e, mu = _cu_foil_mu()
    data = XASDataset.from_records([dict(
        material_id="Cu foil", absorbing_index=None, absorbing_element="Cu", edge="K",
        spectrum_type="XANES", structure=None, x=e, y=mu)])
    chi = to_chi(data)
    assert chi["spectrum_type"].tolist() == ["EXAFS"] and chi["x"].iloc[0].max() > 12
    table = describe_sites(data)
    assert table["material_id"].tolist() == ["Cu foil"]
    assert 1.5 < table["mean_nn_distance"].iloc[0] < 3.5
    assert isinstance(table["neighbor_probabilities"].iloc[0], dict)
    assert table["note"].iloc[0] == ""  # reaches k = 13 > 11
    cn_classes = load_pretrained("coordination-number-exafs").model.classes_
    assert table["coordination_number"].iloc[0] in cn_classes
    assert 0 < table["coordination_probability"].iloc[0] <= 1
    assert "coordination_number" not in describe_sites(data, coordination_model=None)
    short = to_chi(data)
    keep = short["x"].iloc[0] < 9.5
    short = short.assign(x=[short["x"].iloc[0][keep]], y=[short["y"].iloc[0][keep]])
    assert "zero-filled" in describe_sites(short)["note"].iloc[0]


def test_cli_predict_a_measured_file_without_a_model(use_models, tmp_path, capsys):
    e, mu = _cu_foil_mu()
    path = tmp_path / "cu_foil.xdi"
    lines = ["# XDI/1.0", "# Element.symbol: Cu", "# Element.edge: K",
             "# Sample.name: Cu foil", "# Column.1: energy eV", "# Column.2: mutrans", "#---",
             "# energy mutrans"] + [f"{a:.3f} {b:.6f}" for a, b in zip(e, mu)]
    path.write_text("\n".join(lines) + "\n")
    csv = tmp_path / "answer.csv"
    assert main(["predict", str(path), "--out", str(csv), "--plot",
                 str(tmp_path / "chi.png"), "-q"]) == 0
    out = capsys.readouterr().out
    assert "Cu foil" in out and "mean_nn_distance" in out
    assert (tmp_path / "chi.png").stat().st_size > 1000 and csv.is_file()
    # with xraylarch (the test environment has it) the first-shell fit is drawn too
    fitted = importlib.util.find_spec("larch") is not None
    assert (tmp_path / "chi_fits.png").is_file() == fitted
    if fitted:
        assert (tmp_path / "chi_fits.png").stat().st_size > 1000
    assert main(["predict", "-q"]) == 2


def test_a_composition_restricts_the_named_neighbours(use_models):
    data = load_prototype_exafs(elements=["Na", "Cl", "Cu"], prototypes=["rocksalt", "fcc"])
    free = describe_sites(data, refine=False)
    formulas = [s.composition.reduced_formula for s in data.frame["structure"]]
    known = describe_sites(data, refine=False, composition=formulas)
    for names, probabilities, formula, absorber in zip(
            known["neighbor_types"], known["neighbor_probabilities"], formulas,
            known["absorbing_element"]):
        allowed = {str(e) for e in Composition(formula).elements}
        assert names and set(names.split()) <= allowed
        assert set(probabilities) <= allowed
        if len(allowed) > 1:  # COMPOUND_OWN_FACTOR = 0: not the absorber's own element
            assert absorber not in names.split() and absorber not in probabilities
    # one formula for every row
    cu = data[(data.frame["absorbing_element"] == "Cu").to_numpy()]
    assert set(describe_sites(cu, refine=False, composition="Cu")["neighbor_types"]) == {"Cu"}
    assert len(free) == len(known)


def test_a_composition_element_inherits_its_look_alikes_probability():
    """Zn takes Cu's probability when the sample has no Cu (EXAFS cannot tell them
    apart); Se (Z 34; Cu and Ga, 29 and 31, are too far) keeps its own; and an element
    the sample has gives nothing (in the second sample Zn inherits from Ga only)."""
    classes = np.array(["O", "Cu", "Zn", "Se", "Ga"])
    proba = np.array([[0.1, 0.9, 0.01, 0.2, 0.05],
                      [0.1, 0.9, 0.01, 0.2, 0.05]])
    outside = np.array([[True, True, False, False, True],  # a sample of Zn and Se
                        [False, False, False, False, True]])  # of O, Cu, Zn, Se
    got = shipped._inherit_look_alikes(proba, classes, outside)
    np.testing.assert_allclose(got[0], [0.1, 0.9, 0.9, 0.2, 0.05])
    np.testing.assert_allclose(got[1], [0.1, 0.9, 0.05, 0.2, 0.05])  # Zn from Ga only


@pytest.mark.parametrize("composition, message", [
    ("ZnSe", r"spectrum 0: 'ZnSe' lacks its absorbing element (Na|Cl)"),
    (["NaCl", "KBr"], r"spectrum 1: 'KBr' lacks its absorbing element (Na|Cl)"),
    ("Qq2", "spectrum 0: 'Qq2' (is not a formula|names no element)"),
    (["NaCl"], "1 entries for 2 spectra"),
])
def test_a_bad_composition_is_refused_naming_the_spectrum(use_models, composition, message):
    data = load_prototype_exafs(elements=["Na", "Cl"], prototypes="rocksalt")
    assert len(data) == 2  # the Na and the Cl site of NaCl
    with pytest.raises(ValueError, match=message):
        describe_sites(data, refine=False, composition=composition)


def test_cli_predict_refuses_a_bad_composition(use_models, tmp_path, capsys):
    e, mu = _cu_foil_mu()
    path = tmp_path / "cu_foil.xdi"
    lines = ["# XDI/1.0", "# Element.symbol: Cu", "# Element.edge: K", "# Column.1: energy eV",
             "# Column.2: mutrans", "#---", "# energy mutrans"] + [
        f"{a:.3f} {b:.6f}" for a, b in zip(e, mu)]
    path.write_text("\n".join(lines) + "\n")
    assert main(["predict", str(path), "--composition", "ZnSe", "-q"]) == 2
    assert "--composition: composition of spectrum 0: 'ZnSe' lacks its absorbing element " \
        "Cu" in capsys.readouterr().err


def test_describe_sites_refuses_an_unknown_coordination_model(use_models):
    data = load_prototype_exafs(elements="Na", prototypes="rocksalt")
    with pytest.raises(XASDataError, match="No shipped model 'cn-typo'"):
        describe_sites(data, coordination_model="cn-typo")


def test_nearest_training_spectra_give_back_the_training_chi(use_models):
    data = load_prototype_exafs(prototypes=["rocksalt", "fcc", "bcc", "zincblende"])
    some = data[[0, 5, 9]]
    near = nearest_training_spectra(some, n_neighbors=2)
    assert near[["query", "rank"]].values.tolist() == [[0, 1], [0, 2], [1, 1], [1, 2],
                                                      [2, 1], [2, 2]]
    assert (np.diff(near["distance"].to_numpy().reshape(3, 2), axis=1) >= 0).all()
    # the model was fitted on these very rows: the nearest is the row itself, its chi(k)
    # (on the model's k grid) and its element recovered from the stored features
    first = near[near["rank"] == 1].reset_index(drop=True)
    np.testing.assert_allclose(first["distance"], 0.0, atol=1e-3)
    assert first["absorbing_element"].tolist() == some.frame["absorbing_element"].tolist()
    k = first["x"].iloc[0]
    for row, (x, y) in zip(first.itertuples(), zip(some.frame["x"], some.frame["y"])):
        np.testing.assert_allclose(row.y, np.interp(k, x, y), atol=2e-4)
    fig = plot_measured_chi(some, neighbors=near)
    dashed = [ln for ln in fig.axes[0].lines if ln.get_linestyle() == "--"]
    assert len(dashed) == 6 + 1  # six neighbours and the legend's entry
    assert [ln.get_color() for ln in dashed[:2]] == ["C0", "C0"]
    with pytest.raises(ValueError, match="keeps no training rows"):
        nearest_training_spectra(some, model="neighbor-types-exafs")


def test_the_shipped_models_load_and_beat_the_per_element_majority():
    """The files in the package (not the fixtures): they unpickle with this code, answer
    every bundled prototype spectrum, and name the neighbours better than the most
    common set of each element (even fitted on the very same rows)."""
    from sklearn_xas.estimators import PerElementMajorityClassifier
    from sklearn_xas.metrics import neighbor_type_scores
    from sklearn_xas.targets import compute_targets

    data = load_prototype_exafs()
    truth = [tuple(sorted(t)) for t in compute_targets(data)["neighbor_types"]]
    table = describe_sites(data, refine=False)  # the models' own answers
    assert len(table) == len(data) and table["mean_nn_distance"].notna().all()
    assert (table["distance_source"] == "model").all()
    pred = [tuple(t.split()) for t in table["neighbor_types"]]
    assert all(pred)  # min_labels=1: never an empty set
    elements = data.frame[["absorbing_element"]]
    base = PerElementMajorityClassifier().fit(elements, truth).predict_labels(elements)
    ours, theirs = neighbor_type_scores(truth, pred), neighbor_type_scores(truth, base)
    assert ours["exact_set"] > theirs["exact_set"] + 0.1, (ours, theirs)
    near = nearest_training_spectra(data[:2])
    assert len(near) == 6 and np.isfinite(np.stack(near["y"])).all()


def test_look_alike_neighbours_are_named_in_the_note():
    from sklearn_xas.pretrained._shipped import _look_alike_pairs

    classes = ["O", "S", "Se", "Br", "Cu"]
    proba = np.array([[0.1, 0.0, 0.6, 0.5, 0.0],    # Se/Br: 1 apart -> named
                      [0.7, 0.0, 0.0, 0.0, 0.4],    # O/Cu: 21 apart -> not
                      [0.0, 0.0, 0.9, 0.2, 0.0]])   # Br below min_probability -> not
    assert _look_alike_pairs(proba, classes, 0.3) == [("Se", "Br", 1), None, None]
    assert _look_alike_pairs(proba, classes, 0.1)[2] == ("Se", "Br", 1)
