"""The ``sklearn-xas`` command line: demo, train, predict, evaluate, simulate.

``sklearn-xas demo`` trains the three recipes of :mod:`sklearn_xas.pipelines` on the
bundled data set (:func:`~sklearn_xas.datasets.load_prototype_exafs`) with a
material-disjoint split, prints a table of metrics and writes figures.
``train``/``predict``/``evaluate`` do the same on the user's own data (a FEFF tree
or a JSON file) with models saved by joblib; ``simulate`` makes EXAFS training data
for the user's own structures with FEFF6L.

Errors in the input (a missing file, a bad option, data that cannot be used) end
the command with exit status 2 and a message that says what to fix; ``--traceback``
shows the full Python traceback instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

#: The three tasks, their recipe factory and the target column they learn.
TASKS = {
    "spectrum": dict(
        factory="make_spectrum_pipeline", target=None,
        title="forward: structure -> spectrum",
    ),
    "neighbor-types": dict(
        factory="make_neighbor_type_pipeline", target="neighbor_types",
        title="inverse: spectrum -> neighbour element types",
    ),
    "nn-distance": dict(
        factory="make_nn_distance_pipeline", target="mean_nn_distance",
        title="inverse: spectrum -> mean NN distance",
    ),
}
MODEL_FORMAT = "sklearn-xas-model"
DEFAULT_OUTPUT = "sklearn_xas_output"


class UserError(Exception):
    """An error in the user's input: reported in one line, exit status 2."""


class _Reporter:
    """Progress lines on stderr (quiet with ``--quiet``)."""

    def __init__(self, quiet=False):
        self.quiet = quiet
        self.t0 = time.perf_counter()

    def __call__(self, msg):
        if not self.quiet:
            print(f"[{time.perf_counter() - self.t0:6.1f} s] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------ data
def load_data(path, *, spectrum_type=None, n_jobs=None, on_error="raise", progress=None):
    """Load ``path`` as a data set: ``"bundled"``, a FEFF tree folder or a JSON file.

    Parameters
    ----------
    path : str
        ``"bundled"`` (the prototype EXAFS set shipped with sklearn-xas), a folder
        holding a Lightshow-style FEFF tree, or a ``.json``/``.json.gz`` file of
        pymatgen XAS objects or Materials Project documents.
    spectrum_type : {"XANES", "EXAFS"} or None
        Keep only rows of this type; required when the data holds both.
    n_jobs, on_error, progress
        Passed to the reader.

    Returns
    -------
    data : XASDataset

    Raises
    ------
    UserError
        If the path does not exist, is of an unknown kind, or mixes spectrum types
        without ``spectrum_type``.
    """
    from .datasets import load_feff_tree, load_xas_json
    from .datasets._bundled import load_prototype_exafs

    if str(path) in ("bundled", "prototype_exafs"):
        data = load_prototype_exafs()
    else:
        p = Path(path).expanduser()
        if not p.exists():
            raise UserError(f"--data {path}: no such file or folder.")
        if p.is_dir():
            data = load_feff_tree(p, on_error=on_error, n_jobs=n_jobs, progress=progress)
        elif p.name.endswith((".json", ".json.gz")):
            data = load_xas_json(p, on_error=on_error)
        else:
            raise UserError(
                f"--data {path}: expected 'bundled', a folder holding a FEFF tree "
                "(<material_id>/POSCAR + FEFF-XANES/.../xmu.dat or FEFF-EXAFS/.../chi.dat) "
                "or a .json / .json.gz file."
            )
    kinds = data.spectrum_types
    if spectrum_type is not None:
        spectrum_type = spectrum_type.upper()
        mask = data.frame["spectrum_type"].to_numpy() == spectrum_type
        if not mask.any():
            raise UserError(
                f"--data {path} holds no {spectrum_type} spectra (it holds {', '.join(kinds)})."
            )
        data = data[mask]
    elif len(kinds) > 1:
        counts = data.frame["spectrum_type"].value_counts().to_dict()
        raise UserError(
            f"--data {path} holds both XANES and EXAFS spectra ({counts}); choose one with "
            "--spectrum-type XANES or --spectrum-type EXAFS."
        )
    return data


def _targets(data, task, *, method="crystalnn", n_jobs=None, progress=None):
    """The target of ``task`` for every row: a Series (inverse) or None (forward)."""
    column = TASKS[task]["target"]
    if column is None:
        return None
    from .targets import compute_targets

    return compute_targets(data, targets=(column,), method=method, n_jobs=n_jobs,
                           progress=progress)[column]


# ---------------------------------------------------------------------- recipes
def _set_matching(model, suffix, value):
    """Set every parameter named ``suffix`` (at any depth) that the model has."""
    if value is None:
        return
    params = model.get_params(deep=True)
    keys = [k for k in params if k == suffix or k.endswith("__" + suffix)]
    if keys:
        model.set_params(**dict.fromkeys(keys, value))


def make_recipe(task, *, spectrum_type="EXAFS", featurizer="rdf", n_jobs=None, device=None,
                random_state=0, quick=False):
    """The recipe of ``task`` from :mod:`sklearn_xas.pipelines`, configured for the CLI.

    Parameters
    ----------
    task : {"spectrum", "neighbor-types", "nn-distance"}
    spectrum_type : {"XANES", "EXAFS"}
        The kind of spectra of the data (inverse recipes take only that kind).
    featurizer : {"rdf", "chgnet"}
        Forward recipe only: the project's fast radial-distribution featurizer of the
        absorbing site, or the recipe's default pretrained CHGNet embedding (better
        on real structures; slower on CPU).
    n_jobs, device, random_state
        Set on every step that has such a parameter.
    quick : bool
        Shorter training (a smoke test, not a result).

    Returns
    -------
    model : Pipeline
    """
    from . import pipelines

    if task == "spectrum":
        feat = None
        if featurizer == "rdf":
            from .featurizers import AbsorberRDFFeaturizer

            feat = AbsorberRDFFeaturizer()
        model = pipelines.make_spectrum_pipeline(featurizer=feat)
    elif task == "neighbor-types":
        model = pipelines.make_neighbor_type_pipeline(kind=spectrum_type)
    else:
        model = pipelines.make_nn_distance_pipeline(kind=spectrum_type)
    _set_matching(model, "n_jobs", n_jobs)
    _set_matching(model, "device", device)
    _set_matching(model, "random_state", random_state)
    if quick:
        _set_matching(model, "max_epochs", 30)
        _set_matching(model, "max_iter", 100)
        _set_matching(model, "n_estimators", 50)
    return model


def spectrum_target_branch(kind, space="r"):
    """The preprocessing that makes the forward task's ``y`` from a frame.

    The same steps the inverse recipes read spectra with. EXAFS, ``space="r"``: the
    magnitude |chi(R)| of the Fourier transform of k^2 chi(k) (k 3 to 14 1/A, R 0 to
    6 A), whose peaks follow the shells of neighbours; ``space="k"``: k^2 chi(k) on
    k = 3 to 14 1/A (FEFF's path expansion is not meaningful below ~3), whose phase
    a model must get right to the hundredth of an Angstrom to beat the mean
    spectrum, which takes far more training data. XANES: edge-step normalised mu on
    E - E0 (E0 from the data).

    Returns
    -------
    branch : Pipeline
        Unfitted; ``fit_transform(frame)`` gives ``y``.
    """
    from .pipelines import exafs_branch, xanes_branch

    if kind == "EXAFS":
        return exafs_branch(features="r" if space == "r" else "k", kweight=2)
    return xanes_branch()


def _grid(branch):
    """The abscissa of the forward task's ``y`` and its axis labels."""
    last = branch.steps[-1][1]
    if hasattr(last, "r_"):
        return np.asarray(last.r_), "R (Å)", "|χ(R)| of k²χ(k) (Å⁻³)"
    grid = np.asarray(branch.named_steps["resample"].grid_)
    if getattr(branch.named_steps["resample"], "kind", None) == "EXAFS":
        return grid, "k (1/Å)", "k²χ(k) (Å⁻²)"
    return grid, "E - E0 (eV)", "normalised μ(E)"


# ---------------------------------------------------------------------- metrics
def _per_spectrum_mse(Y, P):
    return np.mean((np.asarray(Y) - np.asarray(P)) ** 2, axis=1)


def spectrum_metrics(Y, P, train_mean):
    """Median per-spectrum MSE, that of the training-mean spectrum, and their ratio eta."""
    mse = np.median(_per_spectrum_mse(Y, P))
    base = np.median(_per_spectrum_mse(Y, np.broadcast_to(train_mean, np.shape(Y))))
    return {"median MSE": (float(mse), float(base)), "eta": (float(base / mse), 1.0)}


def _as_sets(values):
    return [frozenset(v) for v in values]


def neighbor_type_metrics(y_true, y_pred, y_base):
    """F1 micro/macro over labels and exact-set accuracy, with a baseline."""
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import MultiLabelBinarizer

    sets = [_as_sets(y_true), _as_sets(y_pred), _as_sets(y_base)]
    mlb = MultiLabelBinarizer().fit([s for group in sets for s in group])
    T, P, B = (mlb.transform(s) for s in sets)
    out = {}
    for avg in ("micro", "macro"):
        out[f"F1 {avg}"] = (float(f1_score(T, P, average=avg, zero_division=0.0)),
                            float(f1_score(T, B, average=avg, zero_division=0.0)))
    out["exact-set accuracy"] = (float(np.mean(np.all(T == P, axis=1))),
                                 float(np.mean(np.all(T == B, axis=1))))
    return out


def nn_distance_metrics(y_true, y_pred, y_base):
    """MAE, RMSE (Angstrom) and R^2, with a baseline."""
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    out = {}
    for name, fn in (("MAE (A)", mean_absolute_error),
                     ("RMSE (A)", lambda a, b: np.sqrt(mean_squared_error(a, b))),
                     ("R2", r2_score)):
        out[name] = (float(fn(y_true, y_pred)), float(fn(y_true, y_base)))
    return out


def _baseline(task, train_frame, y_train, test_frame):
    """Per-absorbing-element majority set / mean, fitted on the training rows."""
    els_train = train_frame["absorbing_element"].to_numpy()
    els_test = test_frame["absorbing_element"].to_numpy()
    if task == "nn-distance":
        y = np.asarray(y_train, dtype=float)
        means = pd.Series(y).groupby(els_train).mean().to_dict()
        return np.array([means.get(e, y.mean()) for e in els_test])
    sets = pd.Series([tuple(sorted(v)) for v in y_train])
    overall = sets.value_counts().index[0]
    per = sets.groupby(els_train).agg(lambda s: s.value_counts().index[0]).to_dict()
    return [per.get(e, overall) for e in els_test]


def format_table(rows):
    """Plain-text table of (task, metric, model, baseline) rows."""
    head = ("task", "metric", "model", "baseline")
    cells = [head] + [(t, m, f"{a:.4g}", f"{b:.4g}") for t, m, a, b in rows]
    widths = [max(len(str(r[i])) for r in cells) for i in range(4)]
    lines = []
    for j, r in enumerate(cells):
        lines.append("  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths))))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# ------------------------------------------------------------------ fit/predict
def _fit_task(task, train, kind, args, report, *, quick=False):
    """Fit the recipe of ``task`` on ``train``; return the model bundle (a dict)."""
    frame = train.frame
    model = make_recipe(task, spectrum_type=kind, featurizer=args.featurizer,
                        n_jobs=args.n_jobs, device=args.device, random_state=args.seed,
                        quick=quick)
    bundle = dict(format=MODEL_FORMAT, version=1, task=task, spectrum_type=kind, model=model)
    t0 = time.perf_counter()
    if task == "spectrum":
        branch = spectrum_target_branch(kind, space=args.space)
        Y = branch.fit_transform(frame)
        model.fit(train, Y)
        grid, xlabel, ylabel = _grid(branch)
        bundle.update(target_branch=branch, grid=grid, axis_labels=(xlabel, ylabel),
                      train_mean=Y.mean(axis=0))
    else:
        y = _targets(train, task, method=args.neighbor_method, n_jobs=args.n_jobs)
        y_fit = list(y) if task == "neighbor-types" else y.to_numpy(dtype=float)
        model.fit(train, y_fit)
        bundle.update(train_elements=frame["absorbing_element"].to_numpy(), train_y=y_fit,
                      neighbor_method=args.neighbor_method)
    from . import __version__

    bundle.update(fit_seconds=time.perf_counter() - t0, sklearn_xas_version=__version__,
                  n_train=len(train), n_train_materials=int(frame["material_id"].nunique()))
    report(f"{task}: fitted on {len(train)} site spectra in {bundle['fit_seconds']:.1f} s")
    return bundle


def _predict(bundle, data):
    model = bundle["model"]
    return model.predict(data)


def _evaluate(bundle, data, args):
    """Predictions, truths and metrics of ``bundle`` on ``data``."""
    task = bundle["task"]
    pred = _predict(bundle, data)
    frame = data.frame
    if task == "spectrum":
        Y = bundle["target_branch"].transform(frame)
        return pred, Y, spectrum_metrics(Y, pred, bundle["train_mean"])
    y = _targets(data, task, method=bundle["neighbor_method"], n_jobs=args.n_jobs)
    train_frame = pd.DataFrame({"absorbing_element": bundle["train_elements"]})
    base = _baseline(task, train_frame, bundle["train_y"], frame)
    if task == "nn-distance":
        return pred, y.to_numpy(dtype=float), nn_distance_metrics(y.to_numpy(float), pred, base)
    return pred, list(y), neighbor_type_metrics(list(y), _label_sets(bundle, pred), base)


def _label_sets(bundle, pred):
    """Predicted neighbour types as tuples of element symbols."""
    pred = np.asarray(pred) if not isinstance(pred, list) else pred
    if isinstance(pred, np.ndarray) and pred.ndim == 2 and pred.dtype.kind in "biuf":
        classes = _classes_of(bundle["model"])
        return [tuple(c for c, on in zip(classes, row) if on) for row in pred]
    return [tuple(v) for v in pred]


def _classes_of(model):
    classes = getattr(model, "classes_", None)
    if classes is None and hasattr(model, "steps"):
        classes = getattr(model.steps[-1][1], "classes_", None)
    if classes is None:
        raise UserError("The saved neighbour-type model does not expose its classes_.")
    return list(classes)


# ---------------------------------------------------------------------- figures
def _save(fig, path):
    fig.savefig(path, dpi=110)
    return path


def write_figures(out, results, test, report):
    """Spectra, parity and per-element F1 figures of the demo; returns their paths."""
    from .plotting import plot_parity, plot_per_element_f1, plot_spectra

    paths = []
    frame = test.frame
    if "spectrum" in results:
        pred, Y, bundle = results["spectrum"]
        grid = bundle["grid"]
        # sites with a typical error, of different absorbing elements
        err = _per_spectrum_mse(Y, pred)
        order = np.argsort(np.abs(err - np.median(err)))
        picked, seen = [], set()
        for i in order:
            el = frame["absorbing_element"].iloc[i]
            if el not in seen:
                picked.append(i)
                seen.add(el)
            if len(picked) == 6:
                break
        titles = [f"{frame['material_id'].iloc[i].removeprefix('proto-')} "
                  f"{frame['absorbing_element'].iloc[i]} {frame['edge'].iloc[i]} "
                  f"(MSE {err[i]:.2g})" for i in picked]
        xlabel, ylabel = bundle["axis_labels"]
        fig = plot_spectra(grid, Y[picked], np.asarray(pred)[picked], titles=titles,
                           xlabel=xlabel, ylabel=ylabel)
        fig.suptitle("Forward model on held-out materials: true (black) and predicted "
                     "(red dashed) spectra, sites of median error", fontsize=10)
        paths.append(_save(fig, out / "spectra_true_vs_predicted.png"))
    if "nn-distance" in results:
        pred, y, _ = results["nn-distance"]
        ax = plot_parity(y, pred, title="Mean NN distance, held-out materials")
        paths.append(_save(ax.figure, out / "nn_distance_parity.png"))
    if "neighbor-types" in results:
        pred, y, bundle = results["neighbor-types"]
        ax = plot_per_element_f1(y, _label_sets(bundle, pred), frame["absorbing_element"],
                                 title="Neighbour-type F1 per absorbing element "
                                       "(held-out materials)")
        paths.append(_save(ax.figure, out / "neighbor_type_f1_per_element.png"))
    for p in paths:
        report(f"wrote {p}")
    return paths


# --------------------------------------------------------------------- commands
def _subsample_materials(data, n_materials, seed):
    ids = np.unique(data.groups)
    if n_materials is None or len(ids) <= n_materials:
        return data
    rng = np.random.default_rng(seed)
    keep = rng.choice(ids, size=n_materials, replace=False)
    return data[np.isin(data.groups, keep)]


def cmd_demo(args):
    report = _Reporter(args.quiet)
    from .datasets._bundled import load_prototype_exafs

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = load_prototype_exafs()
    report(f"bundled set: {data!r}")
    if args.quick:
        data = _subsample_materials(data, 40, args.seed)
        report(f"--quick: {len(data)} site spectra of {data.frame['material_id'].nunique()} "
               "materials, short training")
    train, test = data.train_test_split(args.test_size, random_state=args.seed)
    report(f"material-disjoint split: train {len(train)} spectra "
           f"({train.frame['material_id'].nunique()} materials), test {len(test)} "
           f"({test.frame['material_id'].nunique()} materials)")
    tasks = args.tasks or list(TASKS)
    results, rows, summary = {}, [], {}
    for task in tasks:
        report(f"{task}: training ({TASKS[task]['title']}) ...")
        bundle = _fit_task(task, train, "EXAFS", args, report, quick=args.quick)
        t0 = time.perf_counter()
        pred, truth, metrics = _evaluate(bundle, test, args)
        report(f"{task}: evaluated in {time.perf_counter() - t0:.1f} s")
        results[task] = (pred, truth, bundle)
        rows += [(task, m, a, b) for m, (a, b) in metrics.items()]
        summary[task] = dict(metrics={m: {"model": a, "baseline": b}
                                      for m, (a, b) in metrics.items()},
                             fit_seconds=round(bundle["fit_seconds"], 2))
    print()
    print("Held-out materials of the bundled prototype EXAFS set "
          f"({len(test)} site spectra; baseline: training mean spectrum / per-absorber "
          "majority neighbour set / per-absorber mean distance)")
    print(format_table(rows))
    print()
    paths = [] if args.no_plots else write_figures(out, results, test, report)
    (out / "metrics.json").write_text(json.dumps(summary, indent=1))
    paths.append(out / "metrics.json")
    print(f"Figures and metrics written to {out.resolve()}:")
    for p in paths:
        print(f"  {Path(p).name}")
    return 0


def cmd_train(args):
    report = _Reporter(args.quiet)
    data = load_data(args.data, spectrum_type=args.spectrum_type, n_jobs=args.n_jobs,
                     on_error=args.on_error)
    kind = data.spectrum_types[0]
    report(f"loaded {data!r}")
    if args.test_size:
        train, test = data.train_test_split(args.test_size, random_state=args.seed)
        report(f"material-disjoint split: train {len(train)}, test {len(test)} spectra")
    else:
        train, test = data, None
    bundle = _fit_task(args.task, train, kind, args, report, quick=args.quick)
    model_path = Path(args.model)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    import joblib

    joblib.dump(bundle, model_path)
    print(f"Model ({args.task}, {kind}) saved to {model_path.resolve()}")
    if test is not None:
        _, _, metrics = _evaluate(bundle, test, args)
        print(format_table([(args.task, m, a, b) for m, (a, b) in metrics.items()]))
    return 0


def _load_model(path):
    import joblib

    p = Path(path)
    if not p.is_file():
        raise UserError(f"--model {path}: no such file (train one with 'sklearn-xas train').")
    try:
        bundle = joblib.load(p)
    except Exception as exc:
        raise UserError(f"--model {path}: cannot be read as a saved model ({exc}).") from exc
    if not isinstance(bundle, dict) or bundle.get("format") != MODEL_FORMAT:
        raise UserError(f"--model {path} is not a model saved by 'sklearn-xas train'.")
    return bundle


def _check_kind(bundle, data, path):
    kinds = data.spectrum_types
    if bundle["task"] != "spectrum" and kinds != [bundle["spectrum_type"]]:
        raise UserError(
            f"The model was trained on {bundle['spectrum_type']} spectra but --data {path} "
            f"holds {', '.join(kinds)}; use --spectrum-type {bundle['spectrum_type']}."
        )


def cmd_predict(args):
    report = _Reporter(args.quiet)
    bundle = _load_model(args.model)
    data = load_data(args.data, spectrum_type=args.spectrum_type or bundle["spectrum_type"],
                     n_jobs=args.n_jobs, on_error=args.on_error)
    _check_kind(bundle, data, args.data)
    report(f"loaded {data!r}; predicting {bundle['task']} ...")
    pred = _predict(bundle, data)
    frame = data.frame
    out = frame[["material_id", "absorbing_index", "absorbing_element", "edge"]].copy()
    if bundle["task"] == "spectrum":
        grid = bundle["grid"]
        values = pd.DataFrame(np.asarray(pred), columns=[f"{g:.6g}" for g in grid])
        out = pd.concat([out.reset_index(drop=True), values], axis=1)
    elif bundle["task"] == "neighbor-types":
        out["neighbor_types"] = [" ".join(t) for t in _label_sets(bundle, pred)]
    else:
        out["mean_nn_distance"] = np.asarray(pred, dtype=float)
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False)
    print(f"{len(out)} predictions ({bundle['task']}) written to {path.resolve()}")
    return 0


def cmd_evaluate(args):
    report = _Reporter(args.quiet)
    bundle = _load_model(args.model)
    data = load_data(args.data, spectrum_type=args.spectrum_type or bundle["spectrum_type"],
                     n_jobs=args.n_jobs, on_error=args.on_error)
    _check_kind(bundle, data, args.data)
    report(f"loaded {data!r}; evaluating {bundle['task']} ...")
    pred, truth, metrics = _evaluate(bundle, data, args)
    print(format_table([(bundle["task"], m, a, b) for m, (a, b) in metrics.items()]))
    if args.out:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({m: {"model": a, "baseline": b}
                                    for m, (a, b) in metrics.items()}, indent=1))
        print(f"Metrics written to {path.resolve()}")
    if args.plots:
        out = Path(args.plots)
        out.mkdir(parents=True, exist_ok=True)
        write_figures(out, {bundle["task"]: (pred, truth, bundle)}, data, report)
    return 0


def cmd_simulate(args):
    report = _Reporter(args.quiet)
    from pymatgen.core import Structure

    from .datasets import write_feff_tree
    from .simulate import simulate_dataset

    structures = {}
    for name in args.structures:
        p = Path(name)
        if not p.is_file():
            raise UserError(f"{name}: no such structure file.")
        try:
            s = Structure.from_file(p)
        except Exception as exc:
            raise UserError(f"{name}: not a structure file pymatgen can read ({exc}).") from exc
        mid = p.stem if p.stem.upper() != "POSCAR" else p.parent.name
        if mid in structures:
            raise UserError(f"{name}: material id {mid!r} is used twice; rename the files.")
        structures[mid] = s
    report(f"{len(structures)} structure(s); running FEFF6L ...")
    data = simulate_dataset(structures, absorbers=args.absorbers, n_jobs=args.n_jobs,
                            progress=not args.quiet, sigma2=args.sigma2, rmax=args.rmax)
    root = write_feff_tree(data, args.out, overwrite=args.overwrite)
    print(f"{len(data)} EXAFS spectra written as a FEFF tree to {Path(root).resolve()}"
          + (f" ({len(data.skipped)} site(s) failed, listed above)" if data.skipped else ""))
    return 0


# ----------------------------------------------------------------------- parser
def _common(p, *, data=True):
    if data:
        p.add_argument("--data", required=True, metavar="PATH",
                       help="'bundled', a FEFF tree folder, or a .json/.json.gz file")
        p.add_argument("--spectrum-type", choices=["XANES", "EXAFS"], type=str.upper,
                       help="use only spectra of this type (needed if the data holds both)")
        p.add_argument("--on-error", choices=["raise", "skip"], default="raise",
                       help="bad records: stop with an error (default) or skip them, "
                            "listing which")
    p.add_argument("--n-jobs", type=int, default=None, metavar="N",
                   help="parallel workers for targets, features and models (-1: all cores)")
    p.add_argument("--device", default=None,
                   help="torch device for the networks: auto (default), cpu, cuda, cuda:1")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    p.add_argument("--traceback", action="store_true", help="show Python tracebacks on error")


def _fraction(text):
    try:
        v = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from exc
    if not 0 <= v < 1:
        raise argparse.ArgumentTypeError(f"{text} must be in [0, 1)")
    return v


def build_parser():
    """The argument parser of ``sklearn-xas``."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="sklearn-xas",
        description="scikit-learn estimators for X-ray absorption spectra: structure -> "
                    "spectrum and spectrum -> structure.",
        epilog="Start with 'sklearn-xas demo'. Each command has its own --help.",
    )
    parser.add_argument("--version", action="version", version=f"sklearn-xas {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("demo", help="train the three recipes on the bundled data set",
                       description="Train the forward, neighbour-type and NN-distance recipes "
                                   "on the bundled prototype EXAFS set (material-disjoint "
                                   "split), print metrics and write figures.")
    p.add_argument("--out", default=DEFAULT_OUTPUT, metavar="DIR",
                   help=f"folder for figures and metrics (default ./{DEFAULT_OUTPUT})")
    p.add_argument("--test-size", type=_fraction, default=0.25,
                   help="fraction of materials held out (default 0.25)")
    p.add_argument("--tasks", nargs="+", choices=list(TASKS), default=None,
                   help="only these tasks (default: all three)")
    p.add_argument("--quick", action="store_true",
                   help="40 materials and short training: a smoke test in well under a minute")
    p.add_argument("--no-plots", action="store_true", help="skip the figures")
    p.add_argument("--featurizer", choices=["rdf", "chgnet"], default="rdf",
                   help="site features of the forward model: the fast radial distribution "
                        "(default) or the pretrained CHGNet embedding")
    p.add_argument("--space", choices=["r", "k"], default="r",
                   help="what the forward model predicts for EXAFS: |chi(R)| (default) or "
                        "k^2 chi(k)")
    p.add_argument("--neighbor-method", choices=["cutoff", "crystalnn"], default="cutoff",
                   help="first-shell finding for the targets (default cutoff: every "
                        "neighbour within 10%% of the shortest distance, exact for these "
                        "ideal prototypes)")
    _common(p, data=False)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("train", help="train a recipe on your data and save it",
                       description="Train one recipe on a FEFF tree or JSON file; targets "
                                   "come from the structures. Saves the model with joblib.")
    p.add_argument("task", choices=list(TASKS))
    p.add_argument("--model", required=True, metavar="FILE", help="where to save the model")
    p.add_argument("--test-size", type=_fraction, default=0.0,
                   help="hold out this fraction of materials and report metrics on it")
    p.add_argument("--quick", action="store_true",
                   help="short training: a smoke test of the set-up, not a result")
    p.add_argument("--featurizer", choices=["rdf", "chgnet"], default="chgnet",
                   help="site features of the forward model (task 'spectrum'): the "
                        "pretrained CHGNet embedding (default, the recipe's choice) or the "
                        "fast radial distribution")
    p.add_argument("--space", choices=["r", "k"], default="r",
                   help="task 'spectrum' on EXAFS: predict |chi(R)| (default) or k^2 chi(k)")
    p.add_argument("--neighbor-method", choices=["crystalnn", "cutoff"], default="crystalnn",
                   help="first-shell finding for the targets of the inverse tasks: "
                        "pymatgen's CrystalNN (default) or every neighbour within 10%% of "
                        "the shortest distance")
    _common(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("predict", help="predict with a saved model",
                       description="Predict with a model saved by 'train'; writes a CSV.")
    p.add_argument("--model", required=True, metavar="FILE")
    p.add_argument("--out", default="predictions.csv", metavar="FILE",
                   help="CSV to write (default predictions.csv)")
    _common(p)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("evaluate", help="score a saved model on data with known structures",
                       description="Score a saved model against the targets computed from "
                                   "the data's structures, beside a simple baseline.")
    p.add_argument("--model", required=True, metavar="FILE")
    p.add_argument("--out", default=None, metavar="FILE", help="also write metrics as JSON")
    p.add_argument("--plots", default=None, metavar="DIR", help="also write figures here")
    _common(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("simulate", help="EXAFS of your structures with FEFF6L, as a FEFF tree",
                       description="Simulate chi(k) of every inequivalent site of the given "
                                   "structures (POSCAR, CIF, ...) with FEFF6L (needs the "
                                   "'simulate' extra) and write a FEFF tree that --data reads.")
    p.add_argument("structures", nargs="+", metavar="FILE")
    p.add_argument("--out", required=True, metavar="DIR", help="root of the tree to write")
    p.add_argument("--absorbers", nargs="+", default=None, metavar="EL",
                   help="only sites of these elements")
    p.add_argument("--sigma2", type=float, default=0.003, help="Debye-Waller factor (A^2)")
    p.add_argument("--rmax", type=float, default=6.0, help="longest half path length (A)")
    p.add_argument("--overwrite", action="store_true", help="replace existing files")
    _common(p, data=False)
    p.set_defaults(func=cmd_simulate)
    return parser


def _check_device(device):
    """Refuse a CUDA device that is not there, before any work starts."""
    if device is None or not str(device).startswith("cuda"):
        return
    import torch

    if not torch.cuda.is_available():
        raise UserError(
            f"--device {device}: no CUDA device is available here "
            "(torch.cuda.is_available() is False); use --device cpu or --device auto."
        )


def main(argv=None):
    """Run the ``sklearn-xas`` command line; returns the exit status.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    status : int
        0 on success, 2 for an error in the input (the message says what to fix).

    Examples
    --------
    >>> from sklearn_xas._cli import main
    >>> main(["predict", "--model", "no-such-model.joblib", "--data", "bundled"])
    2
    """
    from .exceptions import MissingOptionalDependencyError, XASDataError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _check_device(getattr(args, "device", None))
        with warnings.catch_warnings():
            if args.quiet:
                warnings.simplefilter("ignore")
            return args.func(args)
    except (UserError, XASDataError, MissingOptionalDependencyError, ValueError,
            OSError) as exc:
        if getattr(args, "traceback", False):
            raise
        msg = str(exc).strip() or type(exc).__name__
        print(f"sklearn-xas {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
