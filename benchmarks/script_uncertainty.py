"""Coordination number and uncertainty of the inverse models on the shared FEFF6L EXAFS set.

Run from the project root (low priority on a shared machine)::

    nice -n 5 python benchmarks/script_uncertainty.py
        [--only cn|intervals|ablation|unscaled|mapie|calibration|domain]
        [--max-train-sites N]
        [--out benchmarks/results]

On the multi-element FEFF6L EXAFS tree (``feff6l-exafs-mp.tar.gz``: 5,643 sites, 76
absorbing elements), split by material with ``data.train_test_split(0.2,
random_state=0)``; targets from the structures with
:func:`sklearn_xas.targets.compute_targets` (CrystalNN, cached under
``<data home>/uncertainty-cache``). Every model is a recipe of
:mod:`sklearn_xas.pipelines` fitted with the training materials as ``groups``; every
score is on the held-out materials.

- ``cn``: accuracy of :class:`~sklearn_xas.estimators.CoordinationNumberClassifier`
  (each backend) against the majority coordination number of each absorbing element
  in training, accuracy within one neighbour, accuracy on the 70 % of sites the model is
  most confident about, and the expected calibration error (ECE, top label, 10 bins) of
  ``predict_proba`` before and after its temperature calibration.
- ``intervals``: coverage and mean width of
  :meth:`~sklearn_xas.estimators.NNDistanceRegressor.predict_interval` at 68 % and 90 %
  (spread-normalised split conformal, the default), the raw spread of the trees read as
  a standard deviation, the range of the 90 % coverage over quintiles of the predicted
  standard deviation and over absorber groups.
- ``ablation``: the same without ``groups`` (rows held out one by one), and for
  gradient boosting (no spread: unscaled errors).
- ``unscaled``: the default extra trees with plain split conformal intervals (absolute
  errors of held-out materials, not divided by the spread), built here by hand.
- ``mapie`` (only when asked for with ``--only mapie``): MAPIE's CV+
  (``CrossConformalRegressor``, 5 group folds, 100 extra trees) on the same features,
  for comparison.
- ``calibration``: ECE of :class:`~sklearn_xas.estimators.NeighborTypeClassifier`'s
  probabilities (multi-label, every (site, element) entry pooled; and over the entries
  with ``0.05 <= p <= 0.95``), beside the per-element frequency baseline.
- ``domain``: the applicability score of held-out shared sites against the bundled
  prototype spectra (simulated on ideal structures), noise spectra and spectra at half
  amplitude: ROC AUC and the fraction flagged at 0.99; and the NN-distance error of the
  held-out sites by score.

Prints a markdown table; writes ``<out>/uncertainty.csv`` (``--only`` keeps the other
parts' rows). Without the shared data it says so and exits with status 0.
"""

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ARCHIVE = "feff6l-exafs-mp.tar.gz"
PARTS = ("cn", "intervals", "ablation", "unscaled", "mapie", "calibration", "domain")
SEED = 0


# ----------------------------------------------------------------------------- data
def load(max_train_sites):
    """(train, test, targets_train, targets_test) of the material-disjoint split."""
    from sklearn_xas.datasets import get_data_home, load_feff_tree
    from sklearn_xas.targets import compute_targets
    from sklearn_xas.utils._shared_data import shared_archive

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*hold a POSCAR but no.*")
        data = load_feff_tree(shared_archive(ARCHIVE), kinds=("EXAFS",))
    cache = get_data_home() / "uncertainty-cache" / "targets_exafs.pkl"
    ids = data.site_ids
    table = pd.read_pickle(cache) if cache.is_file() else None
    if table is None or not np.isin(ids, table.index).all():
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = compute_targets(data, n_jobs=1, on_error="nan", progress=False)
        table.index = ids
        cache.parent.mkdir(parents=True, exist_ok=True)
        table.to_pickle(cache)
        print(f"targets of {len(ids)} sites (CrystalNN): {time.perf_counter() - t0:.0f} s")
    data = data[np.flatnonzero(table.loc[ids].notna().all(axis=1).to_numpy())]
    train, test = data.train_test_split(0.2, random_state=SEED)
    if max_train_sites and len(train) > max_train_sites:  # whole materials, at random
        rng = np.random.default_rng(SEED)
        materials = rng.permutation(np.unique(train.groups))
        counts = pd.Series(train.groups).value_counts()
        chosen = materials[np.cumsum(counts.loc[materials].to_numpy()) <= max_train_sites]
        train = train[np.flatnonzero(np.isin(train.groups, chosen))]
    t_train = table.loc[train.site_ids].reset_index(drop=True)
    t_test = table.loc[test.site_ids].reset_index(drop=True)
    print(f"{len(train)} training sites ({len(np.unique(train.groups))} materials), "
          f"{len(test)} held-out sites ({len(np.unique(test.groups))} materials), "
          f"{test.frame['absorbing_element'].nunique()} held-out absorbing elements",
          flush=True)
    return train, test, t_train, t_test


def per_element_majority(train, y_train, test):
    """The most common training value of each test row's absorbing element."""
    y = pd.Series(np.asarray(y_train))
    mode = y.groupby(train.frame["absorbing_element"].to_numpy()).agg(
        lambda s: s.mode().iloc[0])
    overall = y.mode().iloc[0]
    return np.array([mode.get(e, overall) for e in test.frame["absorbing_element"]])


def row(rows, part, model, metric, value, **extra):
    rows.append(dict(part=part, model=model, metric=metric, value=float(value), **extra))
    print(f"  {part:11s} {model:44s} {metric:34s} {value:.4f}", flush=True)


# ----------------------------------------------------------------------------- parts
def run_cn(train, test, t_train, t_test, rows):
    from sklearn_xas.metrics import expected_calibration_error
    from sklearn_xas.pipelines import make_coordination_pipeline

    y_train = t_train["coordination_number"].to_numpy(dtype=int)
    y_test = t_test["coordination_number"].to_numpy(dtype=int)
    base = per_element_majority(train, y_train, test)
    row(rows, "cn", "per-element majority", "accuracy", np.mean(base == y_test))
    row(rows, "cn", "per-element majority", "accuracy within 1", np.mean(abs(base - y_test) <= 1))
    backends = {
        "extra_trees": dict(n_estimators=300),
        "random_forest": dict(n_estimators=300),
        "logistic": dict(),
        "mlp": dict(),
    }
    for backend, params in backends.items():
        name = f"CoordinationNumberClassifier({backend})"
        pipe = make_coordination_pipeline(kind="EXAFS", backend=backend, n_jobs=1,
                                          random_state=SEED, **params)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # lbfgs convergence, skorch
            pipe.fit(train, y_train, classify__groups=train.groups)
        fit_s = time.perf_counter() - t0
        clf = pipe[-1]
        X_test = pipe[:-1].transform(test)
        proba = clf.predict_proba(X_test)
        pred = clf.classes_[proba.argmax(axis=1)]
        conf = proba.max(axis=1)
        top = conf >= np.quantile(conf, 0.3)
        # the uncalibrated probabilities (a private method: no second fit needed)
        raw = clf._raw_proba(clf._validate_predict_X(X_test))
        row(rows, "cn", name, "accuracy", np.mean(pred == y_test), fit_s=fit_s)
        row(rows, "cn", name, "accuracy within 1", np.mean(abs(pred - y_test) <= 1))
        row(rows, "cn", name, "accuracy, 70 % most confident", np.mean(pred[top] == y_test[top]))
        row(rows, "cn", name, "ECE before calibration",
            expected_calibration_error(y_test, raw, labels=clf.classes_))
        row(rows, "cn", name, "ECE (calibrated predict_proba)",
            expected_calibration_error(y_test, proba, labels=clf.classes_),
            temperature=clf.temperature_)


def _coverage(y, interval):
    from sklearn_xas.metrics import interval_coverage

    return interval_coverage(y, interval)


def run_intervals(train, test, t_train, t_test, rows):
    _intervals(train, test, t_train, t_test, rows, "intervals",
               {"extra_trees, groups (default)": (dict(), True)})


def run_ablation(train, test, t_train, t_test, rows):
    _intervals(train, test, t_train, t_test, rows, "ablation", {
        "extra_trees, no groups": (dict(), False),
        "gradient_boosting, groups": (dict(backend="gradient_boosting"), True),
    })


def _intervals(train, test, t_train, t_test, rows, part, kinds):
    from sklearn_xas.pipelines import make_nn_distance_pipeline

    y_train = t_train["mean_nn_distance"].to_numpy(dtype=float)
    y_test = t_test["mean_nn_distance"].to_numpy(dtype=float)
    elements = test.frame["absorbing_element"].to_numpy()
    for label, (params, use_groups) in kinds.items():
        name = f"NNDistanceRegressor({label})"
        pipe = make_nn_distance_pipeline(kind="EXAFS", n_jobs=1, random_state=SEED, **params)
        fit_params = {"regress__groups": train.groups} if use_groups else {}
        t0 = time.perf_counter()
        pipe.fit(train, y_train, **fit_params)
        fit_s = time.perf_counter() - t0
        reg = pipe[-1]
        X_test = pipe[:-1].transform(test)
        pred = reg.predict(X_test)
        row(rows, part, name, "MAE (A)", np.mean(abs(pred - y_test)), fit_s=fit_s)
        for coverage in (0.68, 0.9):
            cov, width = _coverage(y_test, reg.predict_interval(X_test, coverage=coverage))
            row(rows, part, name, f"coverage at {coverage:.0%}", cov)
            row(rows, part, name, f"mean width at {coverage:.0%} (A)", width)
        if label.endswith("(default)"):
            _, std = reg.predict(X_test, return_std=True)
            row(rows, part, name, "fraction |error| < std",
                np.mean(abs(pred - y_test) < std))
            iv = reg.predict_interval(X_test, coverage=0.9)
            inside = (y_test >= iv[:, 0]) & (y_test <= iv[:, 1])
            by_std = pd.Series(inside).groupby(pd.qcut(std, 5, labels=False)).mean()
            row(rows, part, name, "90 % coverage, lowest std quintile", by_std.iloc[0])
            row(rows, part, name, "90 % coverage, highest std quintile", by_std.iloc[-1])
            row(rows, part, name, "90 % coverage, worst std quintile", by_std.min())
            group = np.where(np.isin(elements, ["O", "Cu"]), elements, "other")
            for g, c in pd.Series(inside).groupby(group).mean().items():
                row(rows, part, name, f"90 % coverage, {g} absorbers", c)
            # the raw spread of the trees, read as a standard deviation (private: it is
            # what the calibration rescales)
            _, spread = reg._predict_spread(reg._validate_predict_X(X_test))
            row(rows, part, "extra trees' raw spread as std", "fraction |error| < spread",
                np.mean(abs(pred - y_test) < spread))


def run_unscaled(train, test, t_train, t_test, rows):
    """Split conformal with unscaled errors: the same model, split rule and refit."""
    from sklearn.base import clone

    from sklearn_xas.estimators._applicability import calibration_split, conformal_quantile
    from sklearn_xas.pipelines import make_nn_distance_pipeline

    y_train = t_train["mean_nn_distance"].to_numpy(dtype=float)
    y_test = t_test["mean_nn_distance"].to_numpy(dtype=float)
    pipe = make_nn_distance_pipeline(kind="EXAFS", n_jobs=1, random_state=SEED,
                                     calibration_fraction=None)
    features, reg = pipe[:-1], pipe[-1]
    X_train, X_test = features.fit_transform(train), features.transform(test)
    fit_rows, cal_rows = calibration_split(len(y_train), train.groups, 0.2, SEED)
    held = clone(reg).fit(X_train[fit_rows], y_train[fit_rows])
    scores = np.sort(abs(y_train[cal_rows] - held.predict(X_train[cal_rows])))
    pred = reg.fit(X_train, y_train).predict(X_test)
    name = "extra_trees, unscaled split conformal"
    for coverage in (0.68, 0.9):
        half = conformal_quantile(scores, coverage)
        cov, width = _coverage(y_test, np.column_stack([pred - half, pred + half]))
        row(rows, "unscaled", name, f"coverage at {coverage:.0%}", cov)
        row(rows, "unscaled", name, f"mean width at {coverage:.0%} (A)", width)


def run_mapie(train, test, t_train, t_test, rows):
    """MAPIE's CV+ with 5 group folds on the same features, for comparison."""
    try:
        from mapie.regression import CrossConformalRegressor
    except ImportError:
        print("  (MAPIE is not installed: skipped)")
        return
    from sklearn.ensemble import ExtraTreesRegressor
    from sklearn.model_selection import GroupKFold

    from sklearn_xas.pipelines import make_nn_distance_pipeline

    y_train = t_train["mean_nn_distance"].to_numpy(dtype=float)
    y_test = t_test["mean_nn_distance"].to_numpy(dtype=float)
    features = make_nn_distance_pipeline(kind="EXAFS")[:-1]
    X_train, X_test = features.fit_transform(train), features.transform(test)
    levels = (0.68, 0.9)
    model = CrossConformalRegressor(
        ExtraTreesRegressor(n_estimators=100, n_jobs=1, random_state=SEED),
        confidence_level=list(levels), cv=GroupKFold(n_splits=5), method="plus",
    )
    t0 = time.perf_counter()
    model.fit_conformalize(X_train, y_train, groups=train.groups)
    fit_s = time.perf_counter() - t0
    _, intervals = model.predict_interval(X_test)
    name = "MAPIE CV+ (5 group folds, 100 extra trees)"
    for j, coverage in enumerate(levels):
        cov, width = _coverage(y_test, intervals[:, :, j])
        row(rows, "mapie", name, f"coverage at {coverage:.0%}", cov, fit_s=fit_s)
        row(rows, "mapie", name, f"mean width at {coverage:.0%} (A)", width)


def run_calibration(train, test, t_train, t_test, rows):
    from sklearn.preprocessing import MultiLabelBinarizer

    from sklearn_xas.estimators import PerElementMajorityClassifier
    from sklearn_xas.metrics import expected_calibration_error
    from sklearn_xas.pipelines import make_neighbor_type_pipeline

    y_train = list(t_train["neighbor_types"])
    y_test = list(t_test["neighbor_types"])

    def score(name, classes, proba, fit_s=float("nan")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # elements never seen in training
            Y = MultiLabelBinarizer(classes=list(classes)).fit_transform(y_test)
        row(rows, "calibration", name, "ECE, all entries", expected_calibration_error(Y, proba),
            fit_s=fit_s)
        mid = (proba >= 0.05) & (proba <= 0.95)
        row(rows, "calibration", name, "ECE, entries 0.05 <= p <= 0.95",
            expected_calibration_error(Y[mid], proba[mid]), n=int(mid.sum()))

    base = PerElementMajorityClassifier().fit(train.frame, y_train)
    score("per-element frequency", base.classes_, base.predict_proba(test.frame))
    for backend in ("mlp", "random_forest"):
        pipe = make_neighbor_type_pipeline(kind="EXAFS", backend=backend, n_jobs=1,
                                           random_state=SEED)
        t0 = time.perf_counter()
        pipe.fit(train, y_train)
        fit_s = time.perf_counter() - t0
        score(f"NeighborTypeClassifier({backend})", pipe[-1].classes_,
              pipe.predict_proba(test), fit_s)


def run_domain(train, test, t_train, t_test, rows):
    from sklearn.metrics import roc_auc_score

    from sklearn_xas.datasets import XASDataset, load_prototype_exafs
    from sklearn_xas.pipelines import make_nn_distance_pipeline

    y_train = t_train["mean_nn_distance"].to_numpy(dtype=float)
    y_test = t_test["mean_nn_distance"].to_numpy(dtype=float)
    pipe = make_nn_distance_pipeline(kind="EXAFS", n_jobs=1, random_state=SEED)
    pipe.fit(train, y_train, regress__groups=train.groups)
    reg, features = pipe[-1], pipe[:-1]
    score_test = reg.applicability_score(features.transform(test))
    row(rows, "domain", "held-out shared sites", "fraction flagged (score > 0.99)",
        np.mean(score_test > 0.99))
    rng = np.random.default_rng(SEED)
    records = test.frame.to_dict("records")
    noise = [dict(r, y=rng.normal(scale=np.std(r["y"]), size=len(r["y"]))) for r in records]
    half = [dict(r, y=0.5 * np.asarray(r["y"])) for r in records]
    others = {
        "bundled prototype spectra": load_prototype_exafs(),
        "noise spectra (chi's own std)": XASDataset.from_records(noise),
        "held-out spectra at half amplitude": XASDataset.from_records(half),
    }
    for name, other in others.items():
        score_other = reg.applicability_score(features.transform(other))
        auc = roc_auc_score(np.r_[np.zeros(len(score_test)), np.ones(len(score_other))],
                            np.r_[score_test, score_other])
        row(rows, "domain", name, "ROC AUC against held-out sites", auc, n=len(score_other))
        row(rows, "domain", name, "fraction flagged (score > 0.99)", np.mean(score_other > 0.99))
    error = abs(reg.predict(features.transform(test)) - y_test)
    for lo, hi in ((0.0, 0.5), (0.5, 0.9), (0.9, 1.01)):
        sel = (score_test >= lo) & (score_test < hi)
        row(rows, "domain", f"held-out sites, score in [{lo:.1f}, {min(hi, 1):.1f}]",
            "NN-distance MAE (A)", error[sel].mean(), n=int(sel.sum()))


# ----------------------------------------------------------------------------- report
def markdown(results):
    lines = ["| part | model | metric | value |", "| --- | --- | --- | --- |"]
    for r in results.itertuples():
        lines.append(f"| {r.part} | {r.model} | {r.metric} | {r.value:.3f} |")
    return "\n".join(lines)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", choices=PARTS, action="append", default=None,
                   help="run only this part (repeatable)")
    p.add_argument("--max-train-sites", type=int, default=0,
                   help="subsample the training materials to about this many sites (0: all)")
    p.add_argument("--out", type=Path, default=HERE / "results")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from sklearn_xas.utils._shared_data import shared_data_dir

    shared = shared_data_dir()
    if shared is None or not (shared / ARCHIVE).is_file():
        print(f"script_uncertainty: skipped -- the shared data ({ARCHIVE} in ../shared/data "
              "or $SKLEARN_XAS_SHARED_DATA) is absent.")
        return 0
    parts = args.only or [p for p in PARTS if p != "mapie"]  # (MAPIE: when asked for)
    t0 = time.perf_counter()
    train, test, t_train, t_test = load(args.max_train_sites)
    rows = []
    for part in parts:
        print(f"{part}:", flush=True)
        t1 = time.perf_counter()
        globals()[f"run_{part}"](train, test, t_train, t_test, rows)
        print(f"  ({time.perf_counter() - t1:.0f} s)", flush=True)
    new = pd.DataFrame(rows)
    new["train_sites"] = len(train)
    new["test_sites"] = len(test)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "uncertainty.csv"
    if path.is_file() and args.only:
        old = pd.read_csv(path)
        new = pd.concat([old[~old["part"].isin(parts)], new], ignore_index=True)
    new["order"] = new["part"].map({p: i for i, p in enumerate(PARTS)})
    new = new.sort_values("order", kind="stable").drop(columns="order")
    new.to_csv(path, index=False)
    print()
    print(markdown(new))
    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nwrote {path} ({time.perf_counter() - t0:.0f} s; load average {load_avg:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
