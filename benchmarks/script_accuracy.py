"""Accuracy and speed of the recommended pipelines on the real data of ``../shared/data``.

Run from the project root (low priority on a shared machine)::

    nice python benchmarks/script_accuracy.py [--quick] [--only forward|inverse]
        [--cache-dir DIR] [--out doc/results] [--n-jobs 2] [--device auto]

What it measures (every model beside its baselines, in the same process, on the same
material-disjoint split):

- **forward** (structure -> spectrum), Cu K-edge FEFF XANES on OmniXAS's grid and scale
  (``y = mu * xsedge_norm / a0**2``, contiguous positive stretch, 8983.173 < omega <
  9018.173 eV, linear interpolation onto ``linspace(8983.173, 9018.173, 141)``, x 1000):
  fit on ``splits/Cu_FEFF_train.txt``, report on ``splits/Cu_FEFF_val.txt``.
  eta = median per-spectrum MSE of the training-mean spectrum / that of the model.
- **inverse** (spectrum -> local structure), on the Cu XANES set (same split) and on the
  multi-element FEFF6L EXAFS set (``GroupShuffleSplit`` by material, 80/20, seed 0):
  neighbour types (F1 micro, F1 macro over the element classes, exact-set accuracy)
  and mean nearest-neighbour distance (MAE in Angstrom, R^2), with per-element
  breakdowns on the EXAFS set. Targets come from the structures with the default
  neighbour finding (CrystalNN) of :func:`sklearn_xas.targets.compute_targets`.
- fit and predict wall times of every model.

It writes into ``--out`` (default ``doc/results/``): ``accuracy_table.rst`` and
``timings_table.rst`` (reStructuredText fragments for the docs' results page),
``accuracy.csv``, ``timings.csv``, ``per_element.csv`` and PNG figures with ``.txt``
captions, and prints the tables. Figures that draw individual records of the shared
data (example spectra, the parity plot) are named ``local_*``; git ignores them, since no
part of the shared data may be committed. ``--only`` reruns one part and keeps the other part's
rows of the CSV files already there. Costly intermediate results (CHGNet embeddings,
structural targets) are cached under ``--cache-dir``.

``--quick`` runs every step on small subsets with short training (a smoke test of the
script; its numbers mean little, and it writes into ``<cache-dir>/quick-results``
unless ``--out`` is given). Without the shared
data the script says so and exits with status 0.
"""

import argparse
import functools
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from sklearn_xas.metrics import eta_score

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

CU_ARCHIVE = "omnixas-cu-feff-xanes.tar.gz"
EXAFS_ARCHIVE = "feff6l-exafs-mp.tar.gz"

#: OmniXAS's Cu K-edge grid (eV) and scale.
OMNIXAS_GRID = np.linspace(8983.173, 9018.173, 141)
BOHR_RADIUS = 0.529177210903  # Angstrom
#: OmniXAS's published Cu FEFF expert model (its test split).
OMNIXAS_ETA = 5.19

EXAFS_TEST_SIZE = 0.2
SPLIT_SEED = 0


# ----------------------------------------------------------------------------- data
def omnixas_spectrum(energy, mu, xsedge_norm):
    """One spectrum on OmniXAS's grid and scale (see the module docstring)."""
    y = np.asarray(mu, dtype=float) * xsedge_norm / BOHR_RADIUS**2
    energy = np.asarray(energy, dtype=float)
    positive = np.flatnonzero(y > 0)
    if positive.size == 0:
        raise ValueError("no positive value")
    keep = slice(positive[0], positive[-1] + 1)
    energy, y = energy[keep], y[keep]
    inside = (energy > OMNIXAS_GRID[0]) & (energy < OMNIXAS_GRID[-1])
    if inside.sum() < 2:
        raise ValueError("fewer than 2 points inside the OmniXAS window")
    return np.interp(OMNIXAS_GRID, energy[inside], y[inside]) * 1000.0


def omnixas_targets(frame):
    """(n_rows, 141) spectra on OmniXAS's grid and scale from a frame of FEFF XANES rows."""
    norms = frame["xsedge_norm"].to_numpy(dtype=float)
    if np.isnan(norms).any():
        raise ValueError("some XANES rows have no xsedge_norm header value")
    return np.stack([omnixas_spectrum(x, y, n) for x, y, n in zip(frame["x"], frame["y"], norms)])


def site_ids(frame):
    """OmniXAS's site ids ``<material_id>_<NNN>`` of the frame's rows."""
    return np.array([f"{m}_{int(i):03d}" for m, i in
                     zip(frame["material_id"], frame["absorbing_index"])])


def cu_split(frame, root):
    """Row positions of the frame in OmniXAS's train and validation lists."""
    ids = site_ids(frame)
    out = []
    for name in ("train", "val"):
        listed = set((root / "splits" / f"Cu_FEFF_{name}.txt").read_text().split())
        out.append(np.flatnonzero(np.isin(ids, sorted(listed))))
        missing = len(listed) - out[-1].size
        if missing:
            warnings.warn(f"{missing} site(s) of Cu_FEFF_{name}.txt are not in the tree",
                          stacklevel=2)
    return out


def exafs_split(frame):
    from sklearn.model_selection import GroupShuffleSplit

    gss = GroupShuffleSplit(n_splits=1, test_size=EXAFS_TEST_SIZE, random_state=SPLIT_SEED)
    train, test = next(gss.split(np.zeros(len(frame)), groups=frame["material_id"].to_numpy()))
    return np.sort(train), np.sort(test)


@functools.cache
def load_tree(archive, kind):
    """(root, frame) of a shared tree, read once per run (forward and inverse share it)."""
    from sklearn_xas.datasets import load_feff_tree
    from sklearn_xas.utils._shared_data import shared_archive

    root = shared_archive(archive)
    with warnings.catch_warnings():
        # folders of failed FEFF runs (a POSCAR without spectrum) are expected here
        warnings.filterwarnings("ignore", message=".*hold a POSCAR but no.*")
        frame = load_feff_tree(root, kinds=(kind,)).frame
    return root, frame


def cached_targets(frame, name, cache_dir, n_jobs):
    """compute_targets(frame) (CrystalNN), cached per site id under ``cache_dir``."""
    import pandas as pd

    from sklearn_xas.targets import compute_targets

    path = cache_dir / f"targets_{name}.pkl"
    ids = site_ids(frame)
    table = pd.read_pickle(path) if path.is_file() else None
    todo = np.flatnonzero(~np.isin(ids, [] if table is None else table.index.to_numpy()))
    if todo.size:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            new = compute_targets(rows_of(frame, todo), n_jobs=n_jobs, on_error="nan")
        print(f"  targets of {todo.size} {name} sites (CrystalNN): "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
        new.index = ids[todo]
        table = new if table is None else pd.concat([table, new])
        table.to_pickle(path)
    return table.loc[ids].reset_index(drop=True)


# ----------------------------------------------------------------------------- timing
def fit_predict(model, X_train, y_train, X_test):
    """Fit, predict; return (predictions, fit seconds, predict seconds)."""
    t0 = time.perf_counter()
    model.fit(X_train, y_train)
    t1 = time.perf_counter()
    pred = model.predict(X_test)
    return pred, t1 - t0, time.perf_counter() - t1


def rows_of(frame, idx):
    return frame.iloc[idx].reset_index(drop=True)


# ----------------------------------------------------------------------------- forward
def use_cache(pipeline, cache, progress):
    """Point every pretrained-potential embedder inside ``pipeline`` at its on-disk cache,
    ``<cache>/<chgnet|sevennet>`` (the model's hyperparameters stay as they are)."""
    from sklearn_xas.featurizers import CHGNetSiteEmbedder, SevenNetSiteEmbedder

    kinds = {CHGNetSiteEmbedder: "chgnet", SevenNetSiteEmbedder: "sevennet"}
    for name, value in pipeline.get_params().items():
        if type(value) in kinds:
            pipeline.set_params(**{f"{name}__cache": str(Path(cache) / kinds[type(value)]),
                                   f"{name}__progress": progress})
    return pipeline


def forward_models(args, cache):
    """(name, role, pipeline or None) of the forward comparison."""
    from sklearn.pipeline import FeatureUnion

    from sklearn_xas.featurizers import (
        AbsorberRDFFeaturizer,
        AbsorberSOAPFeaturizer,
        CHGNetSiteEmbedder,
    )
    from sklearn_xas.pipelines import CHGNET_LAYERS, make_spectrum_pipeline

    def chgnet():
        return CHGNetSiteEmbedder(layer=CHGNET_LAYERS, device=args.device,
                                  cache=str(Path(cache) / "chgnet"), progress=args.progress)

    quick = {"max_epochs": 15, "n_ensemble": 1} if args.quick else {}
    dev = {"device": args.device, "random_state": 0}
    default = use_cache(make_spectrum_pipeline(**dev, **quick), cache, args.progress)
    models = [
        ("training mean", "baseline", None),
        ("kNN on CHGNet embedding", "baseline",
         make_spectrum_pipeline(featurizer=chgnet(), backend="knn", n_neighbors=10, **dev)),
        ("ridge on CHGNet embedding", "baseline",
         make_spectrum_pipeline(featurizer=chgnet(), backend="ridge", alpha=10.0, **dev)),
        ("default recipe: make_spectrum_pipeline()", "recipe", default),
    ]
    if not args.quick:
        models.insert(3, ("one network on the CHGNet embedding alone", "variant",
                          make_spectrum_pipeline(featurizer=chgnet(), n_ensemble=1, **dev)))
        previous = FeatureUnion([("chgnet", chgnet()), ("rdf", AbsorberRDFFeaturizer()),
                                 ("soap", AbsorberSOAPFeaturizer())])
        models.insert(4, ("previous default (0.1): CHGNet + RDF + SOAP", "variant",
                          make_spectrum_pipeline(featurizer=previous, **dev)))
    return models


def run_forward(args, results, store):
    root, frame = load_tree(CU_ARCHIVE, "XANES")
    train, val = cu_split(frame, root)
    if args.quick:
        rng = np.random.default_rng(0)
        train = np.sort(rng.choice(train, 300, replace=False))
        val = np.sort(rng.choice(val, 100, replace=False))
    Y = omnixas_targets(frame)
    f_train, f_val = rows_of(frame, train), rows_of(frame, val)
    Y_train, Y_val = Y[train], Y[val]
    print(f"\nForward: Cu FEFF XANES, {len(train)} train / {len(val)} val sites "
          f"(OmniXAS split); training-mean median MSE on val = "
          f"{np.median(((Y_val - Y_train.mean(0)) ** 2).mean(1)):.4f} (OmniXAS test: 0.0128)",
          flush=True)
    cache = str(args.cache_dir)
    _featurize_cost(args, f_val, results)
    _warm_cache(args, cache, rows_of(frame, np.concatenate([train, val])))
    for name, role, model in forward_models(args, cache):
        if model is None:
            pred, t_fit, t_pred = np.tile(Y_train.mean(0), (len(val), 1)), 0.0, 0.0
        else:
            print(f"  fitting {name} ...", flush=True)
            pred, t_fit, t_pred = fit_predict(model, f_train, Y_train, f_val)
        eta = eta_score(Y_val, pred, Y_train.mean(axis=0))
        print(f"  {name:45s} eta = {eta:6.2f}   fit {t_fit:7.1f} s  predict {t_pred:6.2f} s",
              flush=True)
        results.append(dict(task="forward", dataset="Cu FEFF XANES", split="OmniXAS val",
                            model=name, role=role, eta=eta, n_train=len(train), n_test=len(val),
                            fit_s=t_fit, predict_s=t_pred))
        store[("forward", name)] = pred
    store["forward_truth"] = (Y_val, Y_train)


def _embedders(args, cache):
    """(name, embedder) of the pretrained potentials of the default recipe."""
    from sklearn_xas.featurizers import CHGNetSiteEmbedder, SevenNetSiteEmbedder
    from sklearn_xas.pipelines import CHGNET_LAYERS

    return [
        ("CHGNetSiteEmbedder (all 5 layers, no cache)",
         CHGNetSiteEmbedder(layer=CHGNET_LAYERS, device=args.device, cache=cache and
                            str(Path(cache) / "chgnet"), progress=args.progress)),
        ("SevenNetSiteEmbedder (all 5 blocks, no cache)",
         SevenNetSiteEmbedder(device=args.device, cache=cache and
                              str(Path(cache) / "sevennet"), progress=args.progress)),
    ]


def _warm_cache(args, cache, frame):
    """Embed every site once into the on-disk caches, so that fit times exclude it."""
    for name, embedder in _embedders(args, cache):
        t0 = time.perf_counter()
        embedder.fit_transform(frame)
        print(f"  {name.split()[0]} embeddings of {len(frame)} sites ready "
              f"({time.perf_counter() - t0:.0f} s; cache {cache})", flush=True)


def _featurize_cost(args, frame, results):
    """Cold cost of the pretrained-potential embeddings (no cache), on a few structures."""
    sub = frame.iloc[: 20 if args.quick else 100]
    for name, embedder in _embedders(args, False):
        t0 = time.perf_counter()
        embedder.fit_transform(sub)
        dt = time.perf_counter() - t0
        results.append(dict(task="featurize", dataset="Cu FEFF XANES", split="-",
                            model=name, role="featurizer", n_train=0, n_test=len(sub),
                            fit_s=0.0, predict_s=dt))
        print(f"  {name.split()[0]}, cold: {1000 * dt / len(sub):.0f} ms per site "
              f"({len(sub)} sites)", flush=True)


# ----------------------------------------------------------------------------- inverse
def binarize(types, classes):
    """Indicator matrix of collections of element symbols over ``classes``."""
    pos = {c: j for j, c in enumerate(classes)}
    out = np.zeros((len(types), len(classes)), dtype=int)
    for i, t in enumerate(types):
        for e in t:
            out[i, pos[e]] = 1
    return out


def type_scores(Y_true, Y_pred):
    from sklearn.metrics import accuracy_score, f1_score

    labels = np.flatnonzero(Y_true.sum(0) + Y_pred.sum(0) > 0)
    return dict(
        f1_micro=f1_score(Y_true, Y_pred, average="micro", zero_division=0),
        f1_macro=f1_score(Y_true[:, labels], Y_pred[:, labels], average="macro",
                          zero_division=0),
        exact=accuracy_score(Y_true, Y_pred),
    )


def dist_scores(d_true, d_pred):
    from sklearn.metrics import mean_absolute_error, r2_score

    return dict(mae=mean_absolute_error(d_true, d_pred), r2=r2_score(d_true, d_pred))


def _features_of(recipe):
    """The feature step of an inverse recipe (unfitted clone), for the sklearn baselines."""
    from sklearn.base import clone

    return clone(recipe.steps[0][1])


def inverse_models(args):
    """(label, role, model, y_kind) of the inverse comparison.

    ``y_kind`` says what the model is fitted on: ``"sets"`` (sequences of element
    symbols, the recipes) or ``"indicator"`` (a 0/1 matrix, plain scikit-learn).
    """
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.ensemble import ExtraTreesClassifier
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_xas.pipelines import make_neighbor_type_pipeline, make_nn_distance_pipeline

    quick = {"max_epochs": 10} if args.quick else {}
    dev = {"device": args.device, "random_state": 0}
    n_trees = 50 if args.quick else 300
    types_recipe = make_neighbor_type_pipeline(**dev, **quick)
    dist_recipe = make_nn_distance_pipeline(**dev, n_estimators=n_trees)

    def plain(recipe, name, est, scale=False):
        steps = [("features", _features_of(recipe))]
        steps += [("scale", StandardScaler())] if scale else []
        return Pipeline([*steps, (name, est)])

    types = [
        ("majority (per element class)", "baseline",
         DummyClassifier(strategy="most_frequent"), "indicator"),
        ("kNN, k=5 (sklearn)", "baseline",
         plain(types_recipe, "knn", KNeighborsClassifier(5), scale=True), "indicator"),
        ("extra trees (sklearn)", "baseline",
         plain(types_recipe, "trees", ExtraTreesClassifier(n_trees, random_state=0)),
         "indicator"),
        ("default recipe: make_neighbor_type_pipeline()", "recipe", types_recipe, "sets"),
    ]
    dists = [
        ("mean", "baseline", DummyRegressor(), None),
        ("kNN, k=5 (sklearn)", "baseline",
         plain(dist_recipe, "knn", KNeighborsRegressor(5), scale=True), None),
        ("default recipe: make_nn_distance_pipeline()", "recipe", dist_recipe, None),
    ]
    if not args.quick:
        dists += [
            ("recipe, backend='gradient_boosting'", "variant",
             make_nn_distance_pipeline(backend="gradient_boosting", **dev), None),
            ("recipe, backend='mlp'", "variant",
             make_nn_distance_pipeline(backend="mlp", **dev), None),
        ]
    return types, dists


def run_inverse_set(args, results, store, per_element, name, frame, train, test):
    targets = cached_targets(frame, name.split()[0].lower(), args.cache_dir, args.n_jobs)
    types = list(targets["neighbor_types"])
    dist = targets["mean_nn_distance"].to_numpy(dtype=float)
    ok = np.array([t is not None and len(t) > 0 for t in types]) & np.isfinite(dist)
    if (~ok).any():
        print(f"  {int((~ok).sum())} site(s) without a CrystalNN first shell left out "
              "(no target)", flush=True)
    train, test = train[ok[train]], test[ok[test]]
    classes = sorted({e for t in types if t for e in t})
    # one last column, never true, for predicted elements that no site holds (a
    # NeighborTypePipeline with relative labels may name any absorber's own element)
    Y = np.hstack([binarize([t if t else () for t in types], classes),
                   np.zeros((len(types), 1), dtype=int)])
    f_train, f_test = rows_of(frame, train), rows_of(frame, test)
    elements = frame["absorbing_element"].to_numpy()[test]
    print(f"\nInverse: {name}, {len(train)} train / {len(test)} test sites, "
          f"{len(classes)} neighbour element classes", flush=True)
    split = "OmniXAS val" if name.startswith("Cu") else "materials 80/20"
    type_models, dist_models = inverse_models(args)
    for label, role, model, y_kind in type_models:
        print(f"  fitting {label} ...", flush=True)
        pred = np.zeros((len(test), len(classes) + 1), dtype=int)
        if y_kind == "indicator":
            raw, t_fit, t_pred = fit_predict(model, f_train, Y[train, :-1], f_test)
            pred[:, :-1] = np.asarray(raw).astype(int)
        else:
            y_fit = [types[i] for i in train]
            raw, t_fit, t_pred = fit_predict(model, f_train, y_fit, f_test)
            raw = np.asarray(raw).astype(int)
            fitted = [str(c) for c in model.classes_]
            known = [j for j, c in enumerate(fitted) if c in classes]
            pred[:, [classes.index(fitted[j]) for j in known]] = raw[:, known]
            other = [j for j, c in enumerate(fitted) if c not in classes]
            pred[:, -1] = raw[:, other].any(axis=1) if other else 0
        s = type_scores(Y[test], pred)
        print(f"  types {label:50s} F1 micro {s['f1_micro']:.3f}  macro {s['f1_macro']:.3f}  "
              f"exact {s['exact']:.3f}   fit {t_fit:6.1f} s  predict {t_pred:5.2f} s",
              flush=True)
        results.append(dict(task="neighbour types", dataset=name, split=split, model=label,
                            role=role, n_train=len(train), n_test=len(test), fit_s=t_fit,
                            predict_s=t_pred, **s))
        store[("types", name, label)] = (Y[test], pred)
        if hasattr(model, "steps"):
            for el in np.unique(elements):
                m = elements == el
                f1 = type_scores(Y[test][m], pred[m])["f1_micro"]
                per_element.append(dict(dataset=name, element=el, model=label,
                                        n_test=int(m.sum()), f1_micro=f1))
    for label, role, model, _ in dist_models:
        print(f"  fitting {label} ...", flush=True)
        pred, t_fit, t_pred = fit_predict(model, f_train, dist[train], f_test)
        pred = np.asarray(pred, dtype=float)
        s = dist_scores(dist[test], pred)
        print(f"  NN distance {label:44s} MAE {s['mae']:.4f} A  R2 {s['r2']:.3f}   "
              f"fit {t_fit:6.1f} s  predict {t_pred:5.2f} s", flush=True)
        results.append(dict(task="NN distance", dataset=name, split=split, model=label,
                            role=role, n_train=len(train), n_test=len(test), fit_s=t_fit,
                            predict_s=t_pred, **s))
        store[("dist", name, label)] = (dist[test], pred, elements)
        if hasattr(model, "steps"):
            for el in np.unique(elements):
                m = elements == el
                per_element.append(dict(dataset=name, element=el, model=label,
                                        n_test=int(m.sum()),
                                        mae=float(np.abs(dist[test][m] - pred[m]).mean())))


def run_inverse(args, results, store, per_element):
    root, cu = load_tree(CU_ARCHIVE, "XANES")
    train, test = cu_split(cu, root)
    _, ex = load_tree(EXAFS_ARCHIVE, "EXAFS")
    ex_train, ex_test = exafs_split(ex)
    if args.quick:
        rng = np.random.default_rng(0)
        train = np.sort(rng.choice(train, 400, replace=False))
        test = np.sort(rng.choice(test, 150, replace=False))
        keep = np.sort(rng.choice(len(ex), 800, replace=False))
        ex = rows_of(ex, keep)
        ex_train, ex_test = exafs_split(ex)
    run_inverse_set(args, results, store, per_element, "Cu XANES", cu, train, test)
    run_inverse_set(args, results, store, per_element, "EXAFS (76 elements)", ex,
                    ex_train, ex_test)


# ----------------------------------------------------------------------------- main
def machine():
    import torch

    from sklearn_xas.utils import resolve_device

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores "
            f"(load average {load:.1f} at the end), torch {torch.__version__} on "
            f"{resolve_device('auto')}")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="small subsets and short training (smoke test); writes <out>/quick/")
    p.add_argument("--only", choices=("forward", "inverse"), default=None)
    p.add_argument("--cache-dir", type=Path, default=None,
                   help="cache of CHGNet embeddings and targets "
                        "(default: <sklearn-xas data home>/accuracy-cache)")
    p.add_argument("--out", type=Path, default=None,
                   help="where to write (default: doc/results; with --quick: "
                        "<cache-dir>/quick-results)")
    p.add_argument("--n-jobs", type=int, default=2, help="workers for the structural targets")
    p.add_argument("--device", default="auto", help="torch device of the networks")
    p.add_argument("--progress", action="store_true", help="progress bars of featurization")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from sklearn_xas.utils._shared_data import shared_data_dir

    data = shared_data_dir()
    if data is None or not ((data / CU_ARCHIVE).is_file() and (data / EXAFS_ARCHIVE).is_file()):
        print("script_accuracy: skipped -- the shared data (../shared/data with "
              f"{CU_ARCHIVE} and {EXAFS_ARCHIVE}, or $SKLEARN_XAS_SHARED_DATA) is absent.")
        return 0
    from _accuracy_report import write_report

    from sklearn_xas.datasets import get_data_home

    if args.cache_dir is None:
        args.cache_dir = get_data_home() / "accuracy-cache"
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    out = args.out
    if out is None:
        out = args.cache_dir / "quick-results" if args.quick else HERE.parent / "doc" / "results"
    results, store, per_element = [], {}, []
    t0 = time.perf_counter()
    if args.only in (None, "forward"):
        run_forward(args, results, store)
    if args.only in (None, "inverse"):
        run_inverse(args, results, store, per_element)
    write_report(out, results, store, per_element, machine=machine(), quick=args.quick,
                 only=args.only, omnixas_eta=OMNIXAS_ETA, grid=OMNIXAS_GRID)
    print(f"\nwrote {out} ({time.perf_counter() - t0:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
