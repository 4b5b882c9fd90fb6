"""SpectrumRegressor, NeighborTypeClassifier, NNDistanceRegressor on synthetic arrays.

Behaviour shared by the three (seeding, early stopping, devices, persistence, errors)
and each one's own contract. Real data in Pipelines: tests/test_pipelines.py.
"""

import ast
import inspect
import io
import pickle
import re
import warnings
from collections import Counter

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_xas.estimators import (
    MLP,
    Conv1DNet,
    NeighborTypeClassifier,
    NNDistanceRegressor,
    SpectrumLoss,
    SpectrumRegressor,
    _docs,
    _skorch,
)

FAST = dict(hidden_layer_sizes=(16,), max_epochs=15, lr=1e-2, device="cpu", n_jobs=1)


# ------------------------------------------------------------------------------ data
@pytest.fixture(scope="module")
def spectra():
    """120 'sites' with 5 features; spectra: a peak whose position and height follow X."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5))
    grid = np.linspace(0.0, 1.0, 30)
    center = 0.5 + 0.1 * np.tanh(X[:, :1])
    Y = (1.0 + 0.3 * X[:, 1:2] ** 2) * np.exp(-((grid - center) ** 2) / 0.01) + 0.1
    groups = np.repeat(np.arange(40), 3)
    return X, Y, groups


@pytest.fixture(scope="module")
def labels():
    """Spectra-like X; neighbour sets: O always, S when x0 > 0, Se when x1 > 0.8 (rare)."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 12))
    sets = [
        {"O"} | ({"S"} if x[0] > 0 else set()) | ({"Se"} if x[1] > 0.8 else set()) for x in X
    ]
    return X, sets


def _all_estimators():
    return [
        SpectrumRegressor(random_state=0, **FAST),
        NeighborTypeClassifier(random_state=0, **FAST),
        NeighborTypeClassifier(backend="cnn", channels=(4,), random_state=0, **FAST),
        NNDistanceRegressor(backend="mlp", random_state=0, **FAST),
    ]


def _target(est, spectra, labels):
    if isinstance(est, NeighborTypeClassifier):
        return labels
    X, Y, _ = spectra
    return (X, Y) if isinstance(est, SpectrumRegressor) else (X, Y[:, 10])


# ---------------------------------------------------------------------- SpectrumRegressor
@pytest.mark.parametrize(
    "params",
    [
        dict(backend="mlp", **dict(FAST, max_epochs=60)),
        dict(backend="knn"),
        dict(backend="ridge"),
        dict(backend="extra_trees", n_estimators=30, n_jobs=1),
    ],
    ids=lambda p: p["backend"],
)
def test_spectrum_regressor_backends_learn(spectra, params):
    X, Y, _ = spectra
    reg = SpectrumRegressor(random_state=0, **params).fit(X[:90], Y[:90])
    pred = reg.predict(X[90:])
    assert pred.shape == (30, 30)
    mse_model = np.mean((pred - Y[90:]) ** 2)
    mse_mean = np.mean((Y[:90].mean(axis=0) - Y[90:]) ** 2)
    assert mse_model < 0.8 * mse_mean
    assert hasattr(reg, "net_") == (params["backend"] == "mlp")
    assert hasattr(reg, "estimator_") == (params["backend"] != "mlp")


def test_spectrum_regressor_1d_target_gives_1d_prediction(spectra):
    X, Y, _ = spectra
    reg = SpectrumRegressor(random_state=0, **FAST).fit(X, Y[:, 5])
    assert reg.predict(X[:4]).shape == (4,)
    assert reg.n_outputs_ == 1


@pytest.mark.parametrize("params", [dict(backend="mlp", n_ensemble=3, **FAST),
                                    dict(backend="extra_trees", n_estimators=30, n_jobs=1)],
                         ids=["mlp-ensemble", "extra_trees"])
def test_spectrum_regressor_return_std_is_the_members_spread(spectra, params):
    X, Y, _ = spectra
    reg = SpectrumRegressor(random_state=0, **params).fit(X[:90], Y[:90])
    mean, std = reg.predict(X[90:], return_std=True)
    np.testing.assert_allclose(mean, reg.predict(X[90:]), rtol=1e-5, atol=1e-6)
    assert std.shape == mean.shape == (30, 30) and (std >= 0).all() and std.max() > 0
    # far from the training data the members disagree more than near it
    far = X[90:] + 5 * X[:90].std(axis=0)
    assert reg.predict(far, return_std=True)[1].mean() > std.mean()
    one = SpectrumRegressor(random_state=0, **params).fit(X[:90], Y[:90, 3])
    assert [a.shape for a in one.predict(X[90:], return_std=True)] == [(30,), (30,)]


@pytest.mark.parametrize("params", [dict(backend="mlp", **FAST), dict(backend="ridge"),
                                    dict(backend="knn")], ids=["mlp-1", "ridge", "knn"])
def test_spectrum_regressor_return_std_needs_members(spectra, params):
    X, Y, _ = spectra
    reg = SpectrumRegressor(random_state=0, **params).fit(X, Y)
    with pytest.raises(ValueError, match="members that can disagree"):
        reg.predict(X[:2], return_std=True)


def test_positive_output_is_non_negative_everywhere(spectra):
    X, Y, _ = spectra
    reg = SpectrumRegressor(positive_output=True, random_state=0, **FAST).fit(X, Y)
    far = np.random.default_rng(5).normal(scale=50.0, size=(200, X.shape[1]))
    assert (reg.predict(far) >= 0).all()
    plain = SpectrumRegressor(random_state=0, **FAST).fit(X, Y - 0.2)
    assert (plain.predict(far) < 0).any()  # the constraint is what keeps it >= 0
    with pytest.raises(ValueError, match="negative"):
        SpectrumRegressor(positive_output=True, **FAST).fit(X, Y - 0.2)


def test_spectrum_loss_derivative_term_in_original_units():
    scale = np.array([1.0, 2.0, 4.0])
    loss = SpectrumLoss(derivative_weight=0.5, scale=scale)
    pred = torch.tensor([[0.0, 1.0, 0.0]])
    true = torch.zeros(1, 3)
    # error in original units: [0, 2, 0]; over mean scale 7/3: [0, 6/7, 0]
    diff = np.diff(np.array([0.0, 2.0, 0.0]) / (7.0 / 3.0))
    expected = 1.0 / 3.0 + 0.5 * np.mean(diff**2)
    assert float(loss(pred, true)) == pytest.approx(expected, rel=1e-6)
    assert float(SpectrumLoss()(pred, true)) == pytest.approx(1.0 / 3.0)


def test_derivative_weight_changes_the_fit(spectra):
    X, Y, _ = spectra
    a = SpectrumRegressor(random_state=0, **FAST).fit(X, Y).predict(X[:5])
    b = SpectrumRegressor(derivative_weight=2.0, random_state=0, **FAST).fit(X, Y).predict(X[:5])
    assert not np.allclose(a, b)


def test_standardize_targets_off_still_fits(spectra):
    X, Y, _ = spectra
    reg = SpectrumRegressor(standardize_targets=False, random_state=0, **FAST).fit(X, Y)
    np.testing.assert_array_equal(reg.y_scale_, 1.0)
    assert np.isfinite(reg.predict(X)).all()


# ------------------------------------------------------------------- shared: seeding
@pytest.mark.parametrize("est", _all_estimators(), ids=lambda e: type(e).__name__ + e.backend)
def test_same_random_state_gives_identical_predictions(est, spectra, labels):
    X, y = _target(est, spectra, labels)
    a = clone(est).fit(X, y)
    b = clone(est).fit(X, y)
    method = "predict_proba" if hasattr(a, "predict_proba") else "predict"
    np.testing.assert_array_equal(getattr(a, method)(X), getattr(b, method)(X))
    c = clone(est).set_params(random_state=1).fit(X, y)
    assert not np.array_equal(getattr(a, method)(X), getattr(c, method)(X))


def test_random_state_none_varies_and_global_torch_rng_untouched(spectra):
    X, Y, _ = spectra
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a = SpectrumRegressor(random_state=None, **FAST).fit(X, Y)
    assert torch.equal(torch.rand(3), expected)  # fit forks the RNG, it does not consume it
    b = SpectrumRegressor(random_state=None, **FAST).fit(X, Y)
    assert not np.array_equal(a.predict(X), b.predict(X))


def test_tree_backends_are_seeded(spectra):
    X, Y, _ = spectra
    for est in (
        SpectrumRegressor(backend="extra_trees", n_estimators=5, random_state=3),
        NNDistanceRegressor(backend="gradient_boosting", random_state=3, max_iter=20),
        NNDistanceRegressor(backend="random_forest", n_estimators=5, random_state=3),
        NNDistanceRegressor(backend="extra_trees", n_estimators=5, random_state=3),
    ):
        y = Y if isinstance(est, SpectrumRegressor) else Y[:, 10]
        np.testing.assert_array_equal(clone(est).fit(X, y).predict(X), est.fit(X, y).predict(X))


# ------------------------------------------------------------ shared: early stopping
def test_early_stopping_keeps_the_best_epoch(spectra):
    X, Y, _ = spectra
    reg = SpectrumRegressor(
        hidden_layer_sizes=(64, 64), lr=3e-2, max_epochs=400, patience=5, device="cpu",
        n_jobs=1, random_state=0,
    ).fit(X, Y)
    valid = np.array(reg.net_.history[:, "valid_loss"])
    assert reg.n_iter_ < 400  # stopped early
    assert reg.n_iter_ == len(valid)
    assert reg.best_epoch_ == int(np.argmin(valid)) + 1
    assert reg.n_iter_ - reg.best_epoch_ == 5
    # the kept weights are the best epoch's: recompute the validation loss
    train_idx, valid_idx = _valid_split(reg, len(X))
    Ys = (Y - reg.y_mean_) / reg.y_scale_
    pred = (reg.predict(X[valid_idx]) - reg.y_mean_) / reg.y_scale_
    assert np.mean((pred - Ys[valid_idx]) ** 2) == pytest.approx(valid.min(), rel=1e-4)


def _valid_split(est, n):
    from skorch.dataset import ValidSplit

    seed = _skorch.draw_seed(est.random_state)
    split = ValidSplit(cv=est.validation_fraction, stratified=False, random_state=seed)
    train, valid = split(np.zeros((n, 1)))
    return train.indices, valid.indices


def test_no_validation_or_no_patience(spectra):
    X, Y, _ = spectra
    reg = SpectrumRegressor(validation_fraction=None, random_state=0, **FAST).fit(X, Y)
    assert "valid_loss" not in reg.net_.history[-1]
    full = SpectrumRegressor(patience=None, random_state=0, **dict(FAST, max_epochs=7))
    assert full.fit(X, Y).n_iter_ == 7
    one = SpectrumRegressor(random_state=0, **FAST).fit(X[:1], Y[:1])  # too few to split
    assert "valid_loss" not in one.net_.history[-1]


@pytest.mark.parametrize("schedule", ["plateau", "cosine"])
def test_lr_schedules_lower_the_learning_rate(spectra, schedule):
    X, _, _ = spectra
    noise = np.random.default_rng(0).normal(size=(len(X), 4))  # unlearnable: loss stalls
    reg = SpectrumRegressor(
        lr_schedule=schedule, patience=6, random_state=0, **dict(FAST, max_epochs=40)
    ).fit(X, noise)
    lrs = reg.net_.history[:, "event_lr"]
    assert lrs[0] == pytest.approx(1e-2)
    assert min(lrs) < 1e-2
    assert reg.net_.optimizer_.param_groups[0]["lr"] < 1e-2


def test_gradient_boosting_early_stopping(spectra):
    X, Y, _ = spectra
    reg = NNDistanceRegressor(
        backend="gradient_boosting", max_iter=1000, patience=3, random_state=0, n_jobs=1
    )
    reg.fit(X, Y[:, 10])
    assert reg.estimator_.early_stopping is True
    assert 1 <= reg.n_iter_ < 1000
    off = NNDistanceRegressor(
        backend="gradient_boosting", max_iter=15, validation_fraction=None, n_jobs=1
    ).fit(X, Y[:, 10])
    assert off.n_iter_ == 15


# ------------------------------------------------------------------ shared: progress
def test_verbose_prints_epoch_table_and_quiet_prints_nothing(spectra, capsys):
    X, Y, _ = spectra
    SpectrumRegressor(random_state=0, **dict(FAST, max_epochs=3)).fit(X, Y)
    assert capsys.readouterr().out == ""
    SpectrumRegressor(verbose=1, random_state=0, **dict(FAST, max_epochs=3)).fit(X, Y)
    out = capsys.readouterr().out
    assert "train_loss" in out and "valid_loss" in out


# -------------------------------------------------------------------- shared: devices
def test_device_auto_resolves_to_cpu_without_cuda(spectra, monkeypatch):
    X, Y, _ = spectra
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    reg = SpectrumRegressor(random_state=0, **dict(FAST, device="auto"))
    assert str(reg.fit(X, Y).net_.device) == "cpu"


def test_torch_threads_restored_after_fit(spectra):
    X, Y, _ = spectra
    before = torch.get_num_threads()
    SpectrumRegressor(random_state=0, **FAST).fit(X, Y)  # n_jobs=1 inside fit only
    assert torch.get_num_threads() == before


# ---------------------------------------------------------------- shared: persistence
@pytest.mark.parametrize("est", _all_estimators(), ids=lambda e: type(e).__name__ + e.backend)
def test_pickle_and_joblib_round_trip(est, spectra, labels, tmp_path):
    X, y = _target(est, spectra, labels)
    est = clone(est).fit(X, y)
    method = "predict_proba" if hasattr(est, "predict_proba") else "predict"
    expected = getattr(est, method)(X)
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(getattr(back, method)(X), expected)
    joblib.dump(est, tmp_path / "model.joblib")
    back = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(getattr(back, method)(X), expected)
    assert back.get_params() == est.get_params()
    assert back.n_iter_ == est.n_iter_
    assert len(back.net_.history) == len(est.net_.history)
    np.testing.assert_array_equal(back.predict(X), est.predict(X))


def test_pickle_stores_cpu_weights_not_the_net(spectra):
    X, Y, _ = spectra
    reg = SpectrumRegressor(random_state=0, **FAST).fit(X, Y)
    state = reg.__getstate__()
    assert "net_" not in state  # restored as nets_[0]
    (payload,) = state["nets_"]
    assert isinstance(payload, dict)
    assert all(t.device.type == "cpu" for t in payload["module_state"].values())
    assert payload["spec"]["module"] is MLP
    assert reg.net_ is not None  # getstate did not alter the fitted estimator
    assert hasattr(reg.net_, "module_")
    # the epochs' records are kept, not their per-batch records (the bulk of a file)
    assert len(payload["history"]) == reg.n_iter_ and "batches" in reg.net_.history[-1]
    assert all("batches" not in epoch and "train_loss" in epoch
               for epoch in payload["history"])


def test_gpu_trained_model_loads_on_cpu_machine(spectra, monkeypatch):
    """Simulated: the net says it was trained on CUDA; the loading machine has none."""
    X, Y, _ = spectra
    reg = SpectrumRegressor(random_state=0, **dict(FAST, device="auto")).fit(X, Y)
    expected = reg.predict(X)
    reg.net_.device = "cuda"  # as a net trained with device="auto" on a GPU machine
    blob = pickle.dumps(reg)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # device="auto" loads quietly on the CPU
        back = pickle.loads(blob)
    assert str(back.net_.device) == "cpu"
    np.testing.assert_array_equal(back.predict(X), expected)

    reg.set_params(device="cuda")  # an explicit CUDA request falls back with a warning
    with pytest.warns(UserWarning, match="no CUDA device is available"):
        back = pickle.loads(pickle.dumps(reg))
    assert str(back.net_.device) == "cpu"
    np.testing.assert_array_equal(back.predict(X), expected)


def test_load_device_logic(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert _skorch.load_device("auto", "cpu") == "cuda"
    assert _skorch.load_device("cuda:1", "cuda:0") == "cuda:1"
    assert _skorch.load_device("cpu", "cuda") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert _skorch.load_device("auto", "cuda") == "cpu"
    with pytest.warns(UserWarning, match="trained on device 'cuda:0'"):
        assert _skorch.load_device("cuda", "cuda:0") == "cpu"


def test_torch_save_of_estimator_round_trips(spectra):
    X, Y, _ = spectra
    reg = NNDistanceRegressor(backend="mlp", random_state=0, **FAST).fit(X, Y[:, 3])
    buf = io.BytesIO()
    torch.save(reg, buf)
    buf.seek(0)
    back = torch.load(buf, weights_only=False)
    np.testing.assert_array_equal(back.predict(X), reg.predict(X))


# ------------------------------------------------------------------ shared: bad input
@pytest.mark.parametrize(
    "est",
    [
        SpectrumRegressor(random_state=0, **FAST),
        SpectrumRegressor(backend="knn"),
        NeighborTypeClassifier(random_state=0, **FAST),
        NNDistanceRegressor(n_estimators=5),
    ],
    ids=lambda e: type(e).__name__ + e.backend,
)
def test_predict_on_another_width_names_the_grid(est, spectra, labels):
    X, y = _target(est, spectra, labels)
    est = clone(est).fit(X, y)
    message = r"X has 4 features, but .* expecting .*another energy/k grid"
    with pytest.raises(ValueError, match=message):
        est.predict(X[:, :4])


@pytest.mark.parametrize("cls", [SpectrumRegressor, NeighborTypeClassifier, NNDistanceRegressor])
def test_unfitted_and_bad_params(cls, spectra):
    X, Y, _ = spectra
    y = {
        SpectrumRegressor: Y,
        NeighborTypeClassifier: np.column_stack([X[:, 0] > 0, X[:, 1] > 0]).astype(int),
        NNDistanceRegressor: Y[:, 10],
    }[cls]
    with pytest.raises(NotFittedError):
        cls().predict(X)
    with pytest.raises(InvalidParameterError, match="backend"):
        cls(backend="svm").fit(X, y)
    with pytest.raises(InvalidParameterError, match="activation"):
        cls(activation="sigmoid").fit(X, y)
    with pytest.raises(InvalidParameterError, match="lr"):
        cls(lr=0.0).fit(X, y)
    fast = dict(FAST, hidden_layer_sizes=(8, 0))
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        cls(backend="mlp", **fast).fit(X, y)


def test_nan_in_X_is_rejected(spectra):
    X, Y, _ = spectra
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SpectrumRegressor(**FAST).fit(bad, Y)


def test_flat_parameters_in_grid_search(spectra):
    X, Y, groups = spectra
    grid = GridSearchCV(
        SpectrumRegressor(random_state=0, **FAST),
        {"backend": ["mlp", "knn"], "hidden_layer_sizes": [(8,), (16, 16)], "lr": [1e-2]},
        cv=GroupKFold(n_splits=3),
    )
    grid.fit(X, Y, groups=groups)
    assert set(grid.cv_results_["param_backend"]) == {"mlp", "knn"}
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    assert grid.best_estimator_.predict(X).shape == Y.shape


# ------------------------------------------ shared: parameter docs and backend tables
ESTIMATORS = [SpectrumRegressor, NeighborTypeClassifier, NNDistanceRegressor]


def _documented(cls):
    docscrape = pytest.importorskip("numpydoc.docscrape")
    return {p.name: p for p in docscrape.ClassDoc(cls)["Parameters"]}


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_every_parameter_is_described_and_shared_ones_once(cls):
    documented = _documented(cls)
    signature = inspect.signature(cls).parameters
    assert list(documented) == list(signature)  # all of them, in signature order
    for name, param in documented.items():  # (numpydoc's PR07 skips "{...}" types)
        assert " ".join(param.desc).strip(), f"{cls.__name__}({name}=) has no description"
    assert not re.search(r"^ *\{\w+\} *$", cls.__doc__, re.MULTILINE)  # all expanded
    for name, (type_, text) in _docs.NET_PARAMETER_DOCS.items():
        doc_type, _, default = documented[name].type.partition(", default=")
        assert doc_type == type_
        assert ast.literal_eval(default) == signature[name].default  # from the signature
        assert " ".join(documented[name].desc).startswith(text)


def test_shared_text_is_the_same_in_the_three_docstrings():
    assert set(_docs.NET_PARAMETER_DOCS) == set(_skorch.NET_PARAMETER_CONSTRAINTS)  # all 14
    lr = [" ".join(_documented(cls)["lr"].desc) for cls in ESTIMATORS]
    assert lr[0].startswith("Initial learning rate of the AdamW optimiser.")
    assert lr[0] == lr[2] != lr[1]  # the same text; only the backends differ
    assert '``"mlp"`` and ``"cnn"`` backends only' in lr[1]
    patience = _documented(NNDistanceRegressor)["patience"].desc
    assert any("boosting stops" in line for line in patience)  # its own addition


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_backend_notes_follow_the_table(cls):
    table = cls._backend_parameters
    params = set(inspect.signature(cls).parameters)
    assert set(table) == cls._parameter_constraints["backend"][0].options
    assert set().union(*table.values()) == params - {"backend"}  # each read by some backend
    for name, param in _documented(cls).items():
        readers = {b for b, names in table.items() if name in names}
        note = re.search(r"Read by the (.*) backends? only", " ".join(param.desc))
        if name == "backend" or readers == set(table):
            assert note is None, name
        else:
            assert set(re.findall(r'``"(\w+)"``', note.group(1))) == readers, name
    notes = " ".join(cls.__doc__.split())
    for backend, names in table.items():
        listed = ", ".join(f"``{n}``" for n in names)
        assert f'- ``"{backend}"``: {listed}.' in notes


#: A valid value other than the default, for every parameter some backend ignores.
OTHER_VALUES = dict(
    hidden_layer_sizes=(8,), activation="tanh", dropout=0.3, lr=0.05, weight_decay=0.0,
    batch_size=7, max_epochs=3, validation_fraction=0.3, patience=2, lr_schedule="cosine",
    n_ensemble=2, device="cuda:7", random_state=123, derivative_weight=1.0,
    positive_output=True, standardize_targets=False, n_neighbors=2, alpha=30.0,
    n_estimators=3, n_spectrum_features=3, channels=(2,), kernel_size=3, C=0.01,
    max_iter=3, learning_rate=0.5, max_leaf_nodes=4, l2_regularization=5.0,
    min_samples_leaf=7,
)
#: Cheap settings for the parameters a backend reads.
QUICK = dict(FAST, n_estimators=10, max_iter=20, random_state=0)


@pytest.mark.parametrize(
    "cls, backend",
    [(cls, backend) for cls in ESTIMATORS for backend in cls._backend_parameters],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_parameters_a_backend_ignores_do_not_change_its_fit(cls, backend, spectra, labels):
    read = set(cls._backend_parameters[backend])
    params = set(inspect.signature(cls).parameters) - {"backend"}
    ignored = params - read - {"n_jobs", "verbose"}  # these cannot change a prediction
    assert ignored <= set(OTHER_VALUES)
    base = cls(backend=backend, **{k: v for k, v in QUICK.items() if k in read})
    other = clone(base).set_params(**{k: OTHER_VALUES[k] for k in ignored})
    X, y = _target(base, spectra, labels)
    method = "predict_proba" if isinstance(base, NeighborTypeClassifier) else "predict"
    # held-out rows: on its training rows, a distance-weighted knn is exact at any k
    expected = getattr(base.fit(X[:90], y[:90]), method)(X[90:])
    np.testing.assert_array_equal(getattr(other.fit(X[:90], y[:90]), method)(X[90:]), expected)


def test_min_samples_leaf_none_is_each_models_own_default(spectra):
    X, Y, _ = spectra
    expected = {"gradient_boosting": 20, "random_forest": 1, "extra_trees": 1}
    for backend, leaf in expected.items():
        reg = NNDistanceRegressor(backend=backend, n_estimators=3, max_iter=3, n_jobs=1)
        assert reg.fit(X, Y[:, 10]).estimator_.min_samples_leaf == leaf
        reg.set_params(min_samples_leaf=5)
        assert reg.fit(X, Y[:, 10]).estimator_.min_samples_leaf == 5


def test_parameter_templating_refuses_mistakes():
    class Est:
        """Summary.

        Parameters
        ----------
        backend : str
            Which.
        {lr}
        {no_such_parameter}
        """

        def __init__(self, backend="a", lr=0.1, no_such_parameter=None):
            pass

    with pytest.raises(ValueError, match="no shared documentation for parameter"):
        _docs.document_parameters({"a": ("lr", "no_such_parameter")})(Est)
    with pytest.raises(ValueError, match="not parameters"):
        _docs.document_parameters({"a": ("lr", "alpha")})(Est)
    with pytest.raises(ValueError, match="no backend reads"):
        _docs.document_parameters({"a": ("lr",)})(Est)


# ----------------------------------------------------------- NeighborTypeClassifier
@pytest.mark.parametrize(
    "params",
    [
        dict(backend="mlp", **dict(FAST, max_epochs=40)),
        dict(backend="cnn", channels=(4, 8), kernel_size=3, **dict(FAST, max_epochs=40)),
        dict(backend="random_forest", n_estimators=30, n_jobs=1),
        dict(backend="logistic"),
    ],
    ids=lambda p: p["backend"],
)
def test_neighbor_types_from_collections(labels, params):
    X, sets = labels
    clf = NeighborTypeClassifier(random_state=0, **params).fit(X[:110], sets[:110])
    assert clf.classes_.tolist() == ["O", "S", "Se"]
    proba = clf.predict_proba(X[110:])
    assert proba.shape == (40, 3) and proba.dtype == np.float64
    assert ((proba > 0) & (proba < 1)).all()
    pred = clf.predict(X[110:])
    assert pred.shape == (40, 3) and pred.dtype.kind == "i"
    assert (pred[:, 0] == 1).all()  # O in every training row: constant, not learnt
    s_true = np.array([("S" in s) for s in sets[110:]])
    assert np.mean(pred[:, 1] == s_true) > 0.75
    decoded = clf.predict_labels(X[110:])
    assert all(set(d) == {c for c, on in zip(clf.classes_, row) if on}
               for d, row in zip(decoded, pred))
    # score is the exact-set accuracy, and beats always predicting the commonest set
    score = clf.score(X[110:], sets[110:])
    assert score == np.mean([set(d) == s for d, s in zip(decoded, sets[110:])])
    commonest = Counter(frozenset(s) for s in sets[:110]).most_common(1)[0][0]
    assert score > np.mean([s == commonest for s in sets[110:]]) + 0.2


def test_indicator_target_keeps_dtype_and_classes_are_indices(labels):
    X, sets = labels
    Y = np.array([[("S" in s), ("Se" in s)] for s in sets])
    clf = NeighborTypeClassifier(backend="logistic").fit(X, Y)
    assert clf.classes_.tolist() == [0, 1]
    assert clf.predict(X).dtype == np.bool_
    Yf = Y.astype(np.float32)
    assert NeighborTypeClassifier(backend="logistic").fit(X, Yf).predict(X).dtype == np.float32
    # the labels of an indicator target are its column indices: decode predict's ones
    labels = clf.predict_labels(X[:20])
    assert labels == [tuple(np.flatnonzero(row).tolist()) for row in clf.predict(X[:20])]
    assert len(set(labels)) > 1  # not one constant answer
    with pytest.raises(ValueError, match="indicator matrix"):
        clf.score(X, sets)


def test_constant_labels_are_not_learnt(labels):
    X, _ = labels
    n = len(X)
    Y = np.column_stack([np.ones(n), np.zeros(n), (X[:, 0] > 0)]).astype(int)
    for backend in ("mlp", "random_forest", "logistic"):
        clf = NeighborTypeClassifier(backend=backend, random_state=0, **(
            FAST if backend == "mlp" else {})).fit(X, Y)
        proba = clf.predict_proba(X)
        np.testing.assert_allclose(proba[:, 0], 1 - 1e-7)
        np.testing.assert_allclose(proba[:, 1], 1e-7)
        np.testing.assert_array_equal(clf.predict(X)[:, :2], np.tile([1, 0], (n, 1)))
    only_constant = NeighborTypeClassifier(**FAST).fit(X, Y[:, :2])
    assert not hasattr(only_constant, "net_")
    np.testing.assert_array_equal(only_constant.predict(X), Y[:, :2])
    assert only_constant.score(X, Y[:, :2]) == 1.0


def test_threshold_trades_recall_for_precision(labels):
    X, sets = labels
    base = NeighborTypeClassifier(backend="logistic").fit(X, sets)
    counts = [
        clone(base).set_params(threshold=t).fit(X, sets).predict(X).sum() for t in (0.2, 0.5, 0.8)
    ]
    assert counts[0] >= counts[1] >= counts[2]
    assert counts[0] > counts[2]


def test_min_labels_tops_up_rows_with_the_most_probable_labels(labels):
    X, sets = labels
    # S and Se alone (O dropped): many rows hold neither, so the plain threshold
    # leaves rows empty
    rare = [tuple(sorted(set(s) - {"O"})) for s in sets]
    plain = NeighborTypeClassifier(backend="logistic", min_labels=0).fit(X, rare)
    proba, Y0 = plain.predict_proba(X), plain.predict(X)
    empty = Y0.sum(axis=1) == 0
    assert empty.any() and not empty.all()
    Y1 = clone(plain).set_params(min_labels=1).fit(X, rare).predict(X)
    np.testing.assert_array_equal(Y1[~empty], Y0[~empty])  # rows that passed: unchanged
    assert (Y1[empty].sum(axis=1) == 1).all()
    np.testing.assert_array_equal(Y1[empty].argmax(axis=1), proba[empty].argmax(axis=1))
    Y2 = clone(plain).set_params(min_labels=2).fit(X, rare).predict(X)
    assert (Y2.sum(axis=1) == 2).all()  # two labels: every row gets both
    assert NeighborTypeClassifier().min_labels == 1  # neighbour sets are never empty


def test_balanced_class_weight_sets_pos_weight(labels):
    X, sets = labels
    clf = NeighborTypeClassifier(class_weight="balanced", random_state=0, **FAST).fit(X, sets)
    Y = np.array([[("S" in s), ("Se" in s)] for s in sets], dtype=float)  # learnt labels
    expected = (len(Y) - Y.sum(0)) / Y.sum(0)
    np.testing.assert_allclose(clf.net_.criterion_.pos_weight.numpy(), expected, rtol=1e-6)


def test_score_counts_unknown_labels_as_wrong(labels):
    X, sets = labels
    clf = NeighborTypeClassifier(backend="logistic").fit(X, sets)
    pred_sets = [set(p) for p in clf.predict_labels(X[:10])]
    assert clf.score(X[:10], pred_sets) == 1.0
    assert clf.score(X[:10], [s | {"Xe"} for s in pred_sets]) == 0.0


@pytest.mark.parametrize(
    "y, match",
    [
        (np.arange(150) % 3, "Only binary classification is supported for each label"),
        (np.random.default_rng(0).normal(size=150), "Unknown label type: 'continuous'"),
        (np.full((150, 2), 2), "Unknown label type"),
        (["O"] * 150, "multi-label"),
    ],
    ids=["multiclass", "continuous", "not-0/1", "strings"],
)
def test_bad_targets(labels, y, match):
    X, _ = labels
    with pytest.raises(ValueError, match=match):
        NeighborTypeClassifier(backend="logistic").fit(X, y)


def test_label_sequences_of_equal_length_and_series(labels):
    import pandas as pd

    X, sets = labels
    tuples = [tuple(sorted(s)) for s in sets]
    a = NeighborTypeClassifier(backend="logistic").fit(X, tuples)
    b = NeighborTypeClassifier(backend="logistic").fit(X, pd.Series(tuples))
    c = NeighborTypeClassifier(backend="logistic").fit(X[:20], [("O", "S")] * 19 + [("O", "Se")])
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert c.classes_.tolist() == ["O", "S", "Se"]


def test_cnn_reads_leading_spectrum_columns(labels):
    X, sets = labels
    clf = NeighborTypeClassifier(
        backend="cnn", n_spectrum_features=-2, channels=(4,), random_state=0, **FAST
    ).fit(X, sets)
    assert clf.net_.module_.n_spectrum == X.shape[1] - 2
    with pytest.raises(ValueError, match="n_spectrum_features"):
        NeighborTypeClassifier(backend="cnn", n_spectrum_features=-12, **FAST).fit(X, sets)


def test_modules_shapes():
    x = torch.zeros(3, 40)
    assert MLP(40, 7, hidden_layer_sizes=())(x).shape == (3, 7)
    assert Conv1DNet(40, 2, n_spectrum=35, channels=(2, 2, 2))(x).shape == (3, 2)
    with pytest.raises(ValueError, match="n_spectrum"):
        Conv1DNet(40, 2, n_spectrum=41)
    lower = np.array([-1.0, 0.0, -5.0])
    out = MLP(40, 3, hidden_layer_sizes=(4,), output_lower=lower)(torch.randn(50, 40) * 100)
    assert (out.detach().numpy() >= lower - 1e-6).all()


# ---------------------------------------------------------------- NNDistanceRegressor
@pytest.mark.parametrize(
    "params",
    [
        dict(backend="gradient_boosting", max_iter=100, n_jobs=1),
        dict(backend="random_forest", n_estimators=30, n_jobs=1),
        dict(n_estimators=30, n_jobs=1),
        dict(backend="mlp", **dict(FAST, max_epochs=60)),
    ],
    ids=lambda p: p.get("backend", "extra_trees"),
)
def test_nn_distance_backends_learn(spectra, params):
    X, _, _ = spectra
    y = 2.0 + 0.2 * np.tanh(X[:, 0]) + 0.05 * X[:, 1]
    reg = NNDistanceRegressor(random_state=0, **params).fit(X[:90], y[:90])
    pred = reg.predict(X[90:])
    assert pred.shape == (30,) and pred.dtype == np.float64
    assert np.mean(np.abs(pred - y[90:])) < 0.6 * np.mean(np.abs(y[90:] - y[:90].mean()))
    assert reg.n_iter_ >= 1


# ------------------------------------------------------------------------ ensembles
@pytest.mark.parametrize("cls", [SpectrumRegressor, NeighborTypeClassifier, NNDistanceRegressor])
def test_ensemble_averages_its_members(cls, spectra, labels):
    est = cls(backend="mlp", n_ensemble=3, random_state=0, **FAST)
    X, y = _target(est, spectra, labels)
    est.fit(X, y)
    assert len(est.nets_) == 3 and est.net_ is est.nets_[0]
    Xs = est._scale_X(np.asarray(X, dtype=float))
    raw = [n.forward(Xs, training=False).numpy().astype(float) for n in est.nets_]
    assert not np.allclose(raw[0], raw[1])  # members differ: their own seeds
    if cls is NeighborTypeClassifier:
        expected = np.mean([1 / (1 + np.exp(-r)) for r in raw], axis=0)
        np.testing.assert_allclose(est.predict_proba(X)[:, est._learnt], expected, rtol=1e-6)
    else:
        expected = np.mean(raw, axis=0) * est.y_scale_ + est.y_mean_
        np.testing.assert_allclose(est.predict(X), expected.reshape(est.predict(X).shape))
    back = pickle.loads(pickle.dumps(est))
    assert len(back.nets_) == 3 and back.net_ is back.nets_[0]
    np.testing.assert_array_equal(back.predict(X), est.predict(X))
    single = cls(backend="mlp", random_state=0, **FAST).fit(X, y)  # member 0 == single net
    np.testing.assert_array_equal(
        single.net_.forward(Xs, training=False).numpy().astype(float), raw[0]
    )
