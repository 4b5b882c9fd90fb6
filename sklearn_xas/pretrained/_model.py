"""A trained model saved with what it needs to answer again, and what it was trained on."""

from __future__ import annotations

import datetime
import inspect
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from .._core import check_frame
from .._version import __version__
from ..estimators import PerElementMajorityClassifier, PerElementMeanRegressor
from ..exceptions import XASDataError
from ..metrics import eta_score, neighbor_type_scores, per_spectrum_mse
from ..pipelines import (
    TASKS,
    make_task_pipeline,
    spectrum_target_branch,
    target_axis,
    task_targets,
)
from ..pipelines._tasks import check_featurizer

#: Written into every saved model; :func:`load_model` refuses other files.
MODEL_FORMAT = "sklearn-xas-model"
#: Version of the saved layout (2: a TrainedModel object; 1 was a plain dict).
FORMAT_VERSION = 2


@dataclass
class TaskResult:
    """A model's predictions on data with known structures, scored beside a baseline.

    Attributes
    ----------
    prediction : ndarray or list
        As :meth:`TrainedModel.predict` (neighbour types: tuples of element symbols).
    truth : ndarray or list
        The targets from the structures (forward task: the spectra).
    scores : dict
        Metric name -> (model, baseline).
    model : TrainedModel

    Examples
    --------
    >>> from sklearn_xas.pretrained import TaskResult
    >>> TaskResult([2.0], [2.1], {"MAE (A)": (0.1, 0.3)}, None).summary()["metrics"]
    {'MAE (A)': {'model': 0.1, 'baseline': 0.3}}
    """

    prediction: object
    truth: object
    scores: dict
    model: object

    def summary(self):
        """The scores (and the fit time) as a JSON-ready dict.

        Returns
        -------
        summary : dict
        """
        out = {"metrics": {m: {"model": a, "baseline": b} for m, (a, b) in self.scores.items()}}
        if self.model is not None:
            out["fit_seconds"] = self.model.train_summary.get("fit_seconds")
        return out


class TrainedModel:
    """A fitted recipe with its metadata: what it predicts, from which spectra, how its
    targets were made, and a summary of its training data.

    Built by :func:`train_model`; saved with :meth:`save` and read back with
    :func:`load_model` (joblib underneath: load only files you trust).

    Parameters
    ----------
    model : Pipeline
        The fitted recipe.
    task : {"spectrum", "neighbor-types", "nn-distance", "coordination-number"}
        What the model predicts.
    spectrum_type : {"XANES", "EXAFS"}
        The spectra the model reads (inverse tasks) or predicts (forward task).
    baseline : estimator, optional
        A fitted per-absorbing-element baseline for :meth:`evaluate`.
    target_branch : Pipeline, optional
        Forward task: the fitted preprocessing that makes the spectra the model
        predicts (see :func:`~sklearn_xas.pipelines.spectrum_target_branch`).
    neighbor_method : str, optional
        Inverse tasks: how the targets' first shells were found.
    train_summary : dict, optional
        ``n_sites``, ``n_materials`` and ``absorbing_elements`` (counts) of the training
        data, and ``fit_seconds``.

    Attributes
    ----------
    grid, axis_labels : ndarray, tuple of str
        Forward task: the abscissa of the predicted spectra and its labels.
    train_mean : ndarray
        Forward task: the mean training spectrum (the baseline of eta).
    sklearn_xas_version : str
        The library version that trained the model.
    created : str
        ISO time of training.

    Examples
    --------
    >>> from sklearn_xas.datasets import load_prototype_exafs
    >>> from sklearn_xas.pretrained import train_model
    >>> data = load_prototype_exafs(prototypes=["rocksalt", "fcc", "bcc"])
    >>> tm = train_model("nn-distance", data, neighbor_method="cutoff", quick=True,
    ...                  n_jobs=1)
    >>> tm.task, tm.spectrum_type, tm.train_summary["n_sites"] == len(data)
    ('nn-distance', 'EXAFS', True)
    """

    def __init__(self, model, *, task, spectrum_type, baseline=None, target_branch=None,
                 neighbor_method=None, train_summary=None):
        if task not in TASKS:
            raise ValueError(f"task must be one of {list(TASKS)}, got {task!r}.")
        self.model = model
        self.task = task
        self.spectrum_type = spectrum_type
        self.baseline = baseline
        self.target_branch = target_branch
        self.neighbor_method = neighbor_method
        self.train_summary = dict(train_summary or {})
        self.grid = self.axis_labels = self.train_mean = None
        self.sklearn_xas_version = __version__
        self.created = datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds")
        self.format = (MODEL_FORMAT, FORMAT_VERSION)

    def __repr__(self):
        n = self.train_summary.get("n_sites", "?")
        return (f"TrainedModel(task={self.task!r}, spectrum_type={self.spectrum_type!r}, "
                f"trained on {n} site spectra, sklearn-xas {self.sklearn_xas_version})")

    def _check(self, X):
        frame = check_frame(X, ("spectrum_type",), step=f"TrainedModel({self.task})")
        kinds = sorted(pd.unique(frame["spectrum_type"]))
        if self.task != "spectrum" and kinds != [self.spectrum_type]:
            raise XASDataError(
                f"The model was trained on {self.spectrum_type} spectra; the data holds "
                f"{', '.join(kinds)}. Select them with data[data.frame.spectrum_type == "
                f"{self.spectrum_type!r}]."
            )
        return frame

    def predict(self, X):
        """Predictions of the model for every row of ``X``.

        Parameters
        ----------
        X : XASDataset or pandas.DataFrame
            Spectra of the model's ``spectrum_type`` (inverse tasks) or structures
            (forward task).

        Returns
        -------
        y : ndarray
            Spectra on :attr:`grid`, neighbour-type indicators, distances or
            coordination numbers.
        """
        self._check(X)
        return self.model.predict(X)

    def predict_labels(self, X):
        """Neighbour-type task: the predicted neighbour elements of each row.

        Parameters
        ----------
        X : XASDataset or pandas.DataFrame
            Spectra of the model's ``spectrum_type``.

        Returns
        -------
        labels : list of tuple of str
        """
        if self.task != "neighbor-types":
            raise ValueError(f"predict_labels is for the neighbour-type task, not {self.task}.")
        return label_sets(self.classes_, self.predict(X))

    def predict_frame(self, X):
        """The predictions as a table, one row per site spectrum of ``X``.

        Parameters
        ----------
        X : XASDataset or pandas.DataFrame
            As for :meth:`predict`.

        Returns
        -------
        table : pandas.DataFrame
            ``material_id``, ``absorbing_index``, ``absorbing_element``, ``edge``, then
            ``mean_nn_distance`` (Angstrom), ``neighbor_types`` (space-separated symbols),
            ``coordination_number`` or the predicted spectrum, one column per point of
            :attr:`grid`.
        """
        frame = self._check(X)
        out = frame[["material_id", "absorbing_index", "absorbing_element", "edge"]]
        out = out.reset_index(drop=True)
        if self.task == "spectrum":
            values = pd.DataFrame(np.asarray(self.predict(frame)),
                                  columns=[f"{g:.6g}" for g in self.grid])
            return pd.concat([out, values], axis=1)
        if self.task == "neighbor-types":
            return out.assign(neighbor_types=[" ".join(t) for t in self.predict_labels(frame)])
        if self.task == "coordination-number":
            return out.assign(coordination_number=np.asarray(self.predict(frame), dtype=int))
        return out.assign(mean_nn_distance=np.asarray(self.predict(frame), dtype=float))

    @property
    def classes_(self):
        """Neighbour-type task: the element of each output column."""
        return list(self.model.classes_)

    def evaluate(self, data, *, n_jobs=None):
        """Scores on ``data`` (targets from its structures) beside the baseline.

        Parameters
        ----------
        data : XASDataset or pandas.DataFrame
            With structures.
        n_jobs : int or None, default=None
            Workers for the targets.

        Returns
        -------
        result : TaskResult
        """
        frame = self._check(data)
        pred = self.predict(frame)
        if self.task == "spectrum":
            Y = self.target_branch.transform(frame)
            base = np.broadcast_to(self.train_mean, Y.shape)
            mse = float(np.median(per_spectrum_mse(Y, pred)))
            base_mse = float(np.median(per_spectrum_mse(Y, base)))
            return TaskResult(pred, Y, {"median MSE": (mse, base_mse),
                                        "eta": (eta_score(Y, pred, self.train_mean), 1.0)},
                              self)
        y = task_targets(frame, self.task, method=self.neighbor_method, n_jobs=n_jobs)
        if self.task == "coordination-number":
            # the baseline: each absorbing element's most common training value
            classes = self.baseline.classes_.astype(int)
            base = classes[np.argmax(self.baseline.predict_proba(frame), axis=1)]
            pred = np.asarray(pred)
            out = {"accuracy": (np.mean(pred == y), np.mean(base == y)),
                   "within 1": (np.mean(np.abs(pred - y) <= 1), np.mean(np.abs(base - y) <= 1))}
            return TaskResult(pred, y, {k: (float(a), float(b)) for k, (a, b) in out.items()},
                              self)
        base = self.baseline.predict(frame)
        if self.task == "nn-distance":
            from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

            out = {name: (fn(y, pred), fn(y, base)) for name, fn in (
                ("MAE (A)", mean_absolute_error), ("RMSE (A)", root_mean_squared_error),
                ("R2", r2_score))}
            return TaskResult(pred, y, {k: (float(a), float(b)) for k, (a, b) in out.items()},
                              self)
        labels = label_sets(self.classes_, pred)
        ours = neighbor_type_scores(y, labels)
        theirs = neighbor_type_scores(y, self.baseline.predict_labels(frame))
        names = {"f1_micro": "F1 micro", "f1_macro": "F1 macro", "f1_samples": "F1 per site",
                 "exact_set": "exact-set accuracy"}
        return TaskResult(labels, y, {v: (ours[k], theirs[k]) for k, v in names.items()}, self)

    def save(self, path):
        """Write the model to ``path`` (joblib).

        Parameters
        ----------
        path : path-like
            Where to write (folders are created).

        Returns
        -------
        path : pathlib.Path
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path)
        return path


def label_sets(classes, indicators):
    """Rows of a neighbour-type indicator matrix as tuples of element symbols.

    Parameters
    ----------
    classes : sequence of str
        The label of each column.
    indicators : array-like of shape (n_sites, n_classes)
        0/1 predictions.

    Returns
    -------
    labels : list of tuple of str

    Examples
    --------
    >>> from sklearn_xas.pretrained import label_sets
    >>> label_sets(["Cl", "O"], [[1, 0], [1, 1]])
    [('Cl',), ('Cl', 'O')]
    """
    return [tuple(c for c, on in zip(classes, row) if on) for row in np.asarray(indicators)]


def load_model(path):
    """Read a model written by :meth:`TrainedModel.save` (or ``sklearn-xas train``).

    Parameters
    ----------
    path : path-like
        A file written by :meth:`TrainedModel.save`.

    Returns
    -------
    model : TrainedModel

    Raises
    ------
    XASDataError
        If the file is missing, unreadable or not a saved sklearn-xas model.

    Examples
    --------
    >>> from sklearn_xas.pretrained import load_model
    >>> load_model("no-such-model.joblib")
    Traceback (most recent call last):
    ...
    sklearn_xas.exceptions.XASDataError: no-such-model.joblib: no such file ...
    """
    p = Path(path)
    if not p.is_file():
        raise XASDataError(f"{path}: no such file (train a model with 'sklearn-xas train').")
    try:
        obj = joblib.load(p)
    except Exception as exc:
        raise XASDataError(f"{path}: cannot be read as a saved model ({exc}).") from exc
    if not isinstance(obj, TrainedModel) or getattr(obj, "format", None) != (
            MODEL_FORMAT, FORMAT_VERSION):
        raise XASDataError(
            f"{path} is not a model saved by this version of sklearn-xas "
            f"(format {MODEL_FORMAT!r} version {FORMAT_VERSION}); train it again."
        )
    if obj.sklearn_xas_version != __version__:
        warnings.warn(
            f"{path} was trained with sklearn-xas {obj.sklearn_xas_version}; this is "
            f"{__version__}. Predictions may differ.", UserWarning, stacklevel=2)
    return obj


def train_model(task, data, *, spectrum_type=None, featurizer="rdf", space="r",
                neighbor_method="crystalnn", quick=False, n_jobs=None, device=None,
                random_state=0, params=None):
    """Fit the recipe of ``task`` on ``data`` and keep what it needs to answer again.

    Parameters
    ----------
    task : {"spectrum", "neighbor-types", "nn-distance", "coordination-number"}
        Which recipe.
    data : XASDataset
        With structures (the targets, and the forward task's inputs, come from them).
    spectrum_type : {"XANES", "EXAFS"} or None, default=None
        ``None``: the one type ``data`` holds.
    featurizer : {"rdf", "pretrained"}, default="rdf"
        Forward task: site features (see
        :func:`~sklearn_xas.pipelines.make_task_pipeline`; ``"chgnet"``, the deprecated
        name of ``"pretrained"``, warns).
    space : {"r", "k"}, default="r"
        Forward task on EXAFS: predict |chi(R)| or k^2 chi(k).
    neighbor_method : {"crystalnn", "cutoff"}, default="crystalnn"
        Inverse tasks: first-shell finding for the targets.
    quick : bool, default=False
        Short training (a smoke test).
    n_jobs, device, random_state : optional
        Set on every step that has them.
    params : dict, optional
        Further parameters of the recipe, set with ``set_params`` after the ones above
        (e.g. ``{"regress__backend": "extra_trees"}``).

    Returns
    -------
    model : TrainedModel

    Examples
    --------
    >>> from sklearn_xas.datasets import load_prototype_exafs
    >>> from sklearn_xas.pretrained import train_model
    >>> data = load_prototype_exafs(prototypes=["rocksalt", "fcc"])
    >>> tm = train_model("neighbor-types", data, neighbor_method="cutoff", quick=True)
    >>> tm.predict_labels(data[:2])  # doctest: +SKIP
    [('Br',), ('Ag',)]
    """
    featurizer = check_featurizer(featurizer)  # warns here, at the caller's line
    frame = check_frame(data, ("spectrum_type", "absorbing_element", "material_id"),
                        step="train_model")
    kinds = sorted(pd.unique(frame["spectrum_type"]))
    kind = spectrum_type or (kinds[0] if len(kinds) == 1 else None)
    if kind is None:
        raise XASDataError(f"train_model: the data holds {kinds}; choose spectrum_type.")
    model = make_task_pipeline(task, spectrum_type=kind, featurizer=featurizer, n_jobs=n_jobs,
                               device=device, random_state=random_state, quick=quick)
    model.set_params(**(params or {}))
    t0 = time.perf_counter()
    elements = frame[["absorbing_element"]]
    if task == "spectrum":
        branch = spectrum_target_branch(kind, space=space)
        Y = branch.fit_transform(frame)
        model.fit(data, Y)
        out = TrainedModel(model, task=task, spectrum_type=kind, target_branch=branch)
        out.grid, xlabel, ylabel = target_axis(branch)
        out.axis_labels = (xlabel, ylabel)
        out.train_mean = Y.mean(axis=0)
    else:
        y = task_targets(frame, task, method=neighbor_method, n_jobs=n_jobs)
        final = model.steps[-1]
        if "groups" in inspect.signature(final[1].fit).parameters:  # calibrate by material
            model.fit(data, y, **{f"{final[0]}__groups": frame["material_id"].to_numpy()})
        else:
            model.fit(data, y)
        if task == "nn-distance":
            base = PerElementMeanRegressor().fit(elements, y)
        else:  # coordination numbers as one-element sets: the per-element frequencies
            labels = [(str(int(v)),) for v in y] if task == "coordination-number" else y
            base = PerElementMajorityClassifier().fit(elements, labels)
        out = TrainedModel(model, task=task, spectrum_type=kind, baseline=base,
                           neighbor_method=neighbor_method)
    counts = frame["absorbing_element"].value_counts()
    out.train_summary = dict(n_sites=len(frame), n_materials=int(frame["material_id"].nunique()),
                             absorbing_elements={str(k): int(v) for k, v in counts.items()},
                             fit_seconds=round(time.perf_counter() - t0, 2))
    return out


def fit_and_score(tasks, train, test, *, report=None, **train_options):
    """Train each task's model on ``train`` and score it on ``test``.

    Parameters
    ----------
    tasks : iterable of str
        Task names (see :data:`~sklearn_xas.pipelines.TASKS`).
    train, test : XASDataset
        Usually a material-disjoint split.
    report : callable, optional
        Called with a line of progress per task.
    **train_options
        Passed to :func:`train_model`.

    Returns
    -------
    results : dict
        Task -> :class:`TaskResult`.

    Examples
    --------
    >>> from sklearn_xas.datasets import load_prototype_exafs
    >>> from sklearn_xas.pretrained import fit_and_score
    >>> data = load_prototype_exafs(prototypes=["rocksalt", "fcc", "bcc", "zincblende"])
    >>> train, test = data.train_test_split(0.3, random_state=0)
    >>> r = fit_and_score(["nn-distance"], train, test, neighbor_method="cutoff",
    ...                   quick=True, n_jobs=1)["nn-distance"]
    >>> r.scores["MAE (A)"][0] < r.scores["MAE (A)"][1]  # beats the per-element mean
    True
    """
    results = {}
    for task in tasks:
        if report is not None:
            report(f"{task}: training ({TASKS[task]['title']}) ...")
        model = train_model(task, train, **train_options)
        results[task] = model.evaluate(test, n_jobs=train_options.get("n_jobs"))
        if report is not None:
            report(f"{task}: fitted on {len(train)} site spectra in "
                   f"{model.train_summary['fit_seconds']:.1f} s and scored on {len(test)}")
    return results
