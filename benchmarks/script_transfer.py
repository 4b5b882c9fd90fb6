"""Theory -> experiment: recipes trained on simulated EXAFS, scored on measured standards.

Run from the project root (low priority on a shared machine; ~30-60 min on 2 cores)::

    nice python benchmarks/script_transfer.py [--sets shared diverse shared+diverse]
        [--n-copies 2] [--grid 3 12 181] [--n-estimators N] [--max-epochs N]
        [--cache-dir DIR] [--out benchmarks/results]

Training sets (every row a FEFF6L chi(k) with its structure; targets from the structures
by :func:`sklearn_xas.targets.compute_targets`, CrystalNN, cached under ``--cache-dir``):

- ``shared``: the 5,643 site spectra of ``feff6l-exafs-mp.tar.gz`` (Materials Project
  Cu-O structures; S0^2 = 1, sigma^2 = 0.003 A^2 for every path, no E0 shift);
- ``diverse``: the generated prototype set of ``benchmarks/data/diverse-exafs/``
  alone (sampled sigma^2, S0^2 and E0 per spectrum; the row count used is printed and
  written to the CSV);
- ``shared+diverse``: both.

A fifth of the shared set's materials (``--seed``) is held out of every training set,
so that each model is also scored on real Materials Project structures it has not
seen (``heldout_*`` columns: NN-distance MAE, exact-set accuracy, per-site F1).

Each set is used as it is and augmented by
:func:`sklearn_xas.preprocessing.augment_spectra` (``--n-copies`` perturbed copies of
every row besides the originals, the documented default ranges, ``random_state=0``).
The models are the recipes :func:`~sklearn_xas.pipelines.make_nn_distance_pipeline`
and :func:`~sklearn_xas.pipelines.make_neighbor_type_pipeline` (``kind="EXAFS"``,
their default backends and features, ``random_state=0``; ``--n-estimators`` and
``--max-epochs`` shorten the training on a busy machine) on the k grid ``--grid``
(default 3-12 1/A, which every standard covers; the EXAFS resampler keeps its
``outside="error"``).

The test set is the measured standards of
:func:`sklearn_xas.datasets.load_measured_standards` (30 spectra of 22 crystals whose
first shell is a textbook value), turned into chi(k) by
:class:`~sklearn_xas.preprocessing.EXAFSExtractor` (autobk background). Scores: the
mean absolute error of the mean nearest-neighbour distance (A) and the exact-set
accuracy of the first shell's neighbour elements. Writes ``transfer.csv`` (one line
per training set and augmentation) and ``transfer_predictions.csv`` (one line per
standard and model) into ``--out``, the results page's table into ``--rst``, and
prints the tables.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

EXAFS_ARCHIVE = "feff6l-exafs-mp.tar.gz"
MEASURED_ARCHIVE = "measured-xafs.tar.gz"


def site_ids(frame):
    return np.array([f"{m}_{int(i):03d}" for m, i in
                     zip(frame["material_id"], frame["absorbing_index"])])


def cached_targets(frame, name, cache_dir):
    """compute_targets (CrystalNN, one job) of every row, cached per site id."""
    from sklearn_xas.targets import compute_targets

    path = cache_dir / f"targets_{name}.pkl"
    ids = site_ids(frame)
    table = pd.read_pickle(path) if path.is_file() else None
    todo = np.flatnonzero(~np.isin(ids, [] if table is None else table.index.to_numpy()))
    if todo.size:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            new = compute_targets(frame.iloc[todo], n_jobs=1, on_error="nan")
        print(f"  targets of {todo.size} {name} sites: {time.perf_counter() - t0:.0f} s",
              flush=True)
        new.index = ids[todo]
        table = new if table is None else pd.concat([table, new])
        table = table[~table.index.duplicated(keep="last")]
        table.to_pickle(path)
    return table.loc[ids].reset_index(drop=True)


def training_sets(names, cache_dir):
    """{name: (frame, targets)} of the requested training sets, and the shared set's
    (frame, targets) (its held-out materials are the second test set); None without
    the shared archive."""
    from sklearn_xas.datasets import load_feff_tree
    from sklearn_xas.utils._shared_data import shared_archive

    root = shared_archive(EXAFS_ARCHIVE)
    if root is None:
        return None, None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*hold a POSCAR but no.*")
        shared = load_feff_tree(root, kinds=("EXAFS",)).frame
    sets = {"shared": (shared, cached_targets(shared, "feff6l_exafs", cache_dir))}
    if "shared+diverse" in names or "diverse" in names:
        try:
            from generate_diverse_exafs import load_diverse_exafs

            diverse = load_diverse_exafs().frame
        except Exception as exc:  # the set is being generated; absent is not an error
            print(f"  diverse set not loaded ({type(exc).__name__}: {exc})", flush=True)
        else:
            # sampled-physics columns of the diverse set would clash with nothing, but
            # only the data model's columns are needed
            cols = ["material_id", "absorbing_index", "absorbing_element", "edge",
                    "spectrum_type", "structure", "x", "y"]
            both = pd.concat([shared[cols], diverse[cols]], ignore_index=True)
            diverse_targets = cached_targets(diverse, "diverse_exafs", cache_dir)
            targets = pd.concat([sets["shared"][1], diverse_targets], ignore_index=True)
            sets["shared+diverse"] = (both, targets)
            sets["diverse"] = (diverse[cols], diverse_targets)
    return {n: sets[n] for n in names if n in sets}, sets["shared"]


def clean(frame, targets):
    """Rows whose targets are known (CrystalNN may fail on a few sites)."""
    ok = targets["mean_nn_distance"].notna().to_numpy() & np.array(
        [bool(t) for t in targets["neighbor_types"]])
    return frame[ok].reset_index(drop=True), targets[ok].reset_index(drop=True)


def standards():
    from sklearn_xas.datasets import load_measured_standards
    from sklearn_xas.preprocessing import EXAFSExtractor
    from sklearn_xas.utils._shared_data import shared_archive

    root = shared_archive(MEASURED_ARCHIVE)
    if root is None:
        return None
    return EXAFSExtractor().transform(load_measured_standards(root))


def _predict(reg, clf, test):
    """Distances and sorted neighbour sets of ``test``."""
    classes = list(clf.classes_)
    types = [tuple(sorted(c for c, on in zip(classes, row) if on))
             for row in np.asarray(clf.predict(test))]
    return reg.predict(test), types


def fit_score(frame, targets, test, grid, seed, reg_params=None, clf_params=None,
              heldout=None):
    """Fit both recipes on (frame, targets); predictions and scores on ``test`` (the
    standards) and, if given, on ``heldout`` (``(frame, targets)`` of unseen materials)."""
    from sklearn_xas.metrics import neighbor_type_scores
    from sklearn_xas.pipelines import make_neighbor_type_pipeline, make_nn_distance_pipeline

    t0 = time.perf_counter()
    reg = make_nn_distance_pipeline(kind="EXAFS", exafs_grid=grid, random_state=seed,
                                    **(reg_params or {}))
    reg.fit(frame, targets["mean_nn_distance"].to_numpy(dtype=float))
    t_reg = time.perf_counter() - t0
    t0 = time.perf_counter()
    clf = make_neighbor_type_pipeline(kind="EXAFS", exafs_grid=grid, random_state=seed,
                                      **(clf_params or {}))
    clf.fit(frame, list(targets["neighbor_types"]))
    t_clf = time.perf_counter() - t0
    dist, types = _predict(reg, clf, test)
    truth_d = test["true_nn_distance"].to_numpy(dtype=float)
    truth_t = list(test["true_neighbor_types"])
    exact = np.array([p == t for p, t in zip(types, truth_t)])
    scores = dict(nn_mae=float(np.mean(np.abs(dist - truth_d))),
                  nn_median_ae=float(np.median(np.abs(dist - truth_d))),
                  exact_set=float(exact.mean()))
    if heldout is not None:
        h_frame, h_targets = heldout
        h_dist, h_types = _predict(reg, clf, h_frame)
        h_truth = [tuple(sorted(t)) for t in h_targets["neighbor_types"]]
        s = neighbor_type_scores(h_truth, h_types)
        scores.update(heldout_nn_mae=float(np.mean(np.abs(
            h_dist - h_targets["mean_nn_distance"].to_numpy(dtype=float)))),
            heldout_exact_set=s["exact_set"], heldout_f1_per_site=s["f1_samples"])
    scores.update(fit_s_nn=t_reg, fit_s_types=t_clf)
    preds = pd.DataFrame(dict(material=test["material_id"], element=test["absorbing_element"],
                              edge=test["edge"], true_nn_distance=truth_d, pred_nn=dist,
                              true_types=[",".join(t) for t in truth_t],
                              pred_types=[",".join(t) for t in types], exact=exact))
    return scores, preds


def markdown(df, floatfmt=".3f"):
    cols = list(df.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join(" --- " for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        out.append("| " + " | ".join(format(v, floatfmt) if isinstance(v, float) else str(v)
                                     for v in row) + " |")
    return "\n".join(out)


def write_rst(table, path):
    """The side-by-side table for the results page (reStructuredText)."""
    from _accuracy_report import list_table

    names = {"shared": "shared FEFF6L (Materials Project Cu-O structures)",
             "diverse": "generated prototypes only", "shared+diverse": "both"}
    rows = [[names.get(r.training_set, r.training_set), r.augmentation, str(r.n_spectra),
             f"{r.heldout_nn_mae:.3f}", f"{r.heldout_exact_set:.2f}",
             f"{r.heldout_f1_per_site:.2f}", f"{r.nn_mae:.3f}", f"{r.exact_set:.2f}"]
            for r in table.itertuples()]
    lines = [
        ".. rubric:: Training data: shared, generated, both", "",
        "The inverse recipes (``make_nn_distance_pipeline`` and "
        "``make_neighbor_type_pipeline``, EXAFS, k 3-12 1/A) trained on each set, a fifth "
        "of the shared materials held out of all of them, scored on those held-out "
        "Materials Project sites and on the 30 measured standards "
        "(``benchmarks/script_transfer.py``).", "",
    ]
    lines += list_table("Training set vs held-out shared materials and measured standards",
                        ["training set", "augmentation", "spectra", "held-out NN MAE (A)",
                         "held-out exact set", "held-out per-site F1",
                         "standards NN MAE (A)", "standards exact set"], rows)
    Path(path).write_text("\n".join(lines) + "\n")
    return path


def main(argv=None):
    from sklearn_xas.datasets import get_data_home
    from sklearn_xas.preprocessing import augment_spectra

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["shared", "diverse", "shared+diverse"],
                        choices=["shared", "diverse", "shared+diverse"])
    parser.add_argument("--augment", nargs="+", default=["none", "augmented"],
                        choices=["none", "augmented"])
    parser.add_argument("--n-copies", type=int, default=2)
    parser.add_argument("--grid", nargs=3, type=float, default=[3.0, 12.0, 181])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-estimators", type=int, default=None,
                        help="trees of the distance regressor (default: the recipe's)")
    parser.add_argument("--max-epochs", type=int, default=None,
                        help="epochs of the neighbour-type network (default: the recipe's)")
    parser.add_argument("--limit", type=int, default=None,
                        help="train on a random subset of N rows per set (a smoke test)")
    parser.add_argument("--cache-dir", type=Path,
                        default=Path(get_data_home()) / "transfer-cache")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--rst", type=Path,
                        default=HERE.parent / "doc" / "results" / "transfer_table.rst",
                        help="the results page's table")
    args = parser.parse_args(argv)
    grid = (args.grid[0], args.grid[1], int(args.grid[2]))
    args.cache_dir.mkdir(parents=True, exist_ok=True)

    test = standards()
    sets, shared_set = training_sets(args.sets, args.cache_dir)
    if test is None or sets is None:
        print("The shared archives are not in ../shared/data (or $SKLEARN_XAS_SHARED_DATA); "
              "nothing to measure.")
        return 0
    print(f"{len(test)} measured standards; k grid {grid}", flush=True)
    shared, shared_targets = clean(*shared_set)
    ids = np.array(sorted(set(shared["material_id"])))
    held = set(np.random.default_rng(args.seed).permutation(ids)[: ids.size // 5])
    is_held = shared["material_id"].isin(held).to_numpy()
    heldout = (shared[is_held].reset_index(drop=True),
               shared_targets[is_held].reset_index(drop=True))
    print(f"{is_held.sum()} shared sites of {len(held)} materials held out", flush=True)
    rows, preds = [], []
    for name, (frame, targets) in sets.items():
        frame, targets = clean(frame, targets)
        keep = ~frame["material_id"].isin(held).to_numpy()
        frame, targets = frame[keep].reset_index(drop=True), targets[keep].reset_index(drop=True)
        if args.limit and args.limit < len(frame):
            pick = np.sort(np.random.default_rng(args.seed).choice(len(frame), args.limit,
                                                                   replace=False))
            frame, targets = frame.iloc[pick].reset_index(drop=True), targets.iloc[pick]
            targets = targets.reset_index(drop=True)
        for aug in args.augment:
            if aug == "augmented":
                X, y = augment_spectra(frame, targets, n_copies=args.n_copies,
                                       random_state=args.seed)
            else:
                X, y = frame, targets
            print(f"  {name} / {aug}: {len(X)} training rows ...", flush=True)
            reg_params = {} if args.n_estimators is None else {
                "n_estimators": args.n_estimators}
            clf_params = {} if args.max_epochs is None else {"max_epochs": args.max_epochs}
            scores, p = fit_score(X, y, test, grid, args.seed, reg_params, clf_params,
                                  heldout=heldout)
            print("    " + ", ".join(f"{k} {v:.3f}" for k, v in scores.items()), flush=True)
            rows.append(dict(training_set=name, n_spectra=len(frame), augmentation=aug,
                             n_training_rows=len(X), **scores, **reg_params, **clf_params))
            preds.append(p.assign(training_set=name, augmentation=aug))
    table = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "transfer.csv", index=False, float_format="%.4f")
    pd.concat(preds, ignore_index=True).to_csv(args.out / "transfer_predictions.csv",
                                               index=False, float_format="%.4f")
    print("\n## Transfer to the measured standards\n")
    print(markdown(table))
    if "heldout_nn_mae" in table:
        print(f"wrote {write_rst(table, args.rst)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
