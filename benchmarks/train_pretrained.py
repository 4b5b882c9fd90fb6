"""Train the models shipped in ``sklearn_xas/pretrained/models/``, with their model cards.

Training data: the shared FEFF6L EXAFS set (``../shared/data``) and/or the project's
generated diverse prototype set (``benchmarks/data/diverse-exafs``), split by material
(80/20, seeded); the shipped models are the ones fitted on the training part, so the
validation figures of their cards are theirs. Each model reads chi(k) on a k grid that
measured spectra usually cover (``--grid``, default k 3 to 11 1/A), so that beamline
data ending at k 11-12 need no extrapolation. With ``--augment`` the training spectra
are augmented for theory -> experiment transfer (S0^2, extra disorder, E0 shift, noise;
:func:`sklearn_xas.preprocessing.augment_spectra`, ``--n-copies`` copies of each).

Run (about 10-20 minutes on 2 cores)::

    python benchmarks/train_pretrained.py --sets shared diverse --augment

``--rescore`` trains nothing: it scores the shipped models again with today's code (a
change in how a model answers, not in its weights) on their own held-out split,
rebuilt from each card, and on the measured standards, and rewrites the cards' figures.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate_diverse_exafs import COVALENT_OUT as COVALENT  # noqa: E402
from generate_diverse_exafs import ELEMENTAL_OUT as ELEMENTAL  # noqa: E402
from generate_diverse_exafs import OUT as DIVERSE  # noqa: E402
from generate_diverse_exafs import STRAINED_OUT as STRAINED  # noqa: E402

OUT = HERE.parent / "sklearn_xas" / "pretrained" / "models"
EXAFS_ARCHIVE = "feff6l-exafs-mp.tar.gz"


def load_sets(names, max_shards=None, elemental=True):
    """The chosen training sets as one data set, with a ``source_set`` column.

    ``max_shards``: only the first shards of the diverse set; ``elemental``: with its
    elemental supplement (both to rebuild the data a model was trained on).
    """
    from sklearn_xas.datasets import XASDataset, load_feff_tree
    from sklearn_xas.utils._shared_data import shared_archive

    parts = []
    if "shared" in names:
        root = shared_archive(EXAFS_ARCHIVE)
        if root is None:
            raise SystemExit(f"{EXAFS_ARCHIVE} not found in ../shared/data")
        data = load_feff_tree(root, kinds=("EXAFS",))
        parts.append(XASDataset(data.frame.assign(source_set="shared"), validate=False))
    if "diverse" in names:
        from generate_diverse_exafs import load_diverse_exafs

        data = load_diverse_exafs(max_shards=max_shards,
                                  elemental=ELEMENTAL if elemental else None)
        keep = ["material_id", "absorbing_index", "absorbing_element", "edge", "spectrum_type",
                "structure", "x", "y", "multiplicity", "source", "prototype"]
        parts.append(XASDataset(data.frame[keep].assign(source_set="diverse"), validate=False))
    return XASDataset.concat(parts)


def strained_for(train):
    """Rows of the strained supplement whose parent crystal is a material of ``train``
    (so that a held-out material's strained copies stay out of training)."""
    from generate_diverse_exafs import load_diverse_exafs

    from sklearn_xas.datasets import XASDataset

    data = load_diverse_exafs(STRAINED, elemental=None)
    keep = np.isin(data.frame["parent"].to_numpy(), train.frame["material_id"].unique())
    return XASDataset(data.frame.loc[keep, _SUPPLEMENT_COLUMNS].reset_index(drop=True)
                      .assign(source_set="strained"), validate=False)


_SUPPLEMENT_COLUMNS = ["material_id", "absorbing_index", "absorbing_element", "edge",
                       "spectrum_type", "structure", "x", "y", "multiplicity", "source",
                       "prototype"]


def supplements_for(train, info):
    """The training-only rows a card's ``training_data`` (``info``) records beside
    ``train``: the strained copies of its crystals and the covalent elemental
    supplement (``generate_diverse_exafs.py --covalent``); ``None`` without either."""
    from generate_diverse_exafs import load_diverse_exafs

    from sklearn_xas.datasets import XASDataset

    parts = [strained_for(train)] if info.get("strained") else []
    if info.get("covalent"):
        data = load_diverse_exafs(COVALENT, elemental=None)
        parts.append(XASDataset(data.frame[_SUPPLEMENT_COLUMNS].assign(source_set="covalent"),
                                validate=False))
    return XASDataset.concat(parts) if parts else None


def _diverse_shards(max_shards):
    """How many shards of the main diverse set :func:`load_sets` reads."""
    from generate_diverse_exafs import _shards

    return len(_shards(DIVERSE)[:max_shards])


def rebuild_training_data(card):
    """The data set (before its split) a shipped model was trained on, from its card.

    The generator adds diverse shards after a model is trained: the card records how
    many it read (``diverse_shards``, ``diverse_elemental``); older cards are matched by
    the smallest shard count, with or without the elemental supplement, that gives
    their site count.
    """
    info = card["training_data"]
    sets = info["sets"]
    if "diverse_shards" in info or "diverse" not in sets:
        return load_sets(sets, max_shards=info.get("diverse_shards"),
                         elemental=info.get("diverse_elemental", True))
    held = sum(v["n"] for v in card["validation_held_out_materials"].values())
    n_sites = info["n_sites"] - info["augmented"] + held
    n_shared = len(load_sets(["shared"])) if "shared" in sets else 0
    main, extra = (np.cumsum([0] + _shard_sizes(folder)) for folder in (DIVERSE, ELEMENTAL))
    for elemental in (True, False):
        n = np.flatnonzero(n_shared + main + (extra[-1] if elemental else 0) == n_sites)
        if n.size:
            return load_sets(sets, max_shards=int(n[0]), elemental=elemental)
    raise SystemExit(f"cannot rebuild the model's training data ({n_sites} sites)")


def _shard_sizes(folder):
    """Spectra per finished shard of a diverse-set folder, in reading order."""
    import gzip

    from generate_diverse_exafs import _shards

    return [len(json.loads(gzip.decompress(p.read_bytes()))["records"])
            for p in _shards(folder)]


def _cap_prototypes(prototypes, cap, seed):
    """Rows to keep: at most ``cap`` of each generated prototype (a seeded sample, in
    order), every row without one (the shared set)."""
    rng = np.random.default_rng(seed)
    keep = []
    for name in pd.unique(prototypes):
        rows = np.flatnonzero(prototypes == name) if isinstance(name, str) else \
            np.flatnonzero(pd.isna(prototypes))
        if isinstance(name, str) and rows.size > cap:
            rows = rng.choice(rows, size=cap, replace=False)
        keep.append(rows)
    return np.sort(np.concatenate(keep))


def split(data, seed):
    train, test = data.train_test_split(0.2, random_state=seed)
    return train, test


def _targets(data, n_jobs=1):
    from sklearn_xas.targets import compute_targets

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fallbacks are listed in the card
        t = compute_targets(data, n_jobs=n_jobs)
    return t


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["shared", "diverse"],
                        choices=["shared", "diverse"])
    parser.add_argument("--augment", action="store_true")
    parser.add_argument("--n-copies", type=int, default=2)
    parser.add_argument("--e0-shift", nargs=2, type=float, default=(-5.0, 5.0),
                        help="range of the augmentation's E0 shift (eV); first-shell fits "
                             "of the measured standards put theirs at -10 to +8 eV")
    parser.add_argument("--features", default="k+r+w",
                        help="EXAFS features of the neighbour-type model (k, r, w joined by +)")
    parser.add_argument("--max-shards", type=int, default=None,
                        help="first shards of the diverse set only (the card records how "
                             "many were read, so that a split can be rebuilt)")
    parser.add_argument("--covalent", action="store_true",
                        help="add the covalent elemental supplement "
                             "(generate_diverse_exafs.py --covalent) to training")
    parser.add_argument("--max-per-prototype", type=int, default=None,
                        help="train on at most this many sites of each generated prototype "
                             "(the generator's later shards are mostly L1_2 and B2 "
                             "intermetallics); held-out sites are all kept")
    parser.add_argument("--strained", action="store_true",
                        help="add the strained supplement's copies of the training "
                             "materials (generate_diverse_exafs.py --strained) to training")
    parser.add_argument("--grid", nargs=3, type=float, default=(3.0, 11.0, 161))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--tasks", nargs="+",
                        default=["neighbor-types", "nn-distance", "coordination-number"])
    parser.add_argument("--distance-backend", default="gradient_boosting",
                        help="NN-distance backend (gradient boosting keeps the file small: "
                             "50 extra trees on 19k spectra took 46 MB)")
    parser.add_argument("--n-estimators", type=int, default=50)
    parser.add_argument("--min-samples-leaf", type=int, default=5)
    parser.add_argument("--threshold", type=float, default=0.5,
                        help="neighbour-type probability threshold (0.3 was worse on held-out "
                             "materials and on the standards, with 1 or 5 networks)")
    parser.add_argument("--n-ensemble", type=int, default=5,
                        help="networks averaged by the neighbour-type model (on held-out "
                             "materials 5 beat 1 a little, on the standards 0.83 vs 0.63)")
    parser.add_argument("--class-weight", choices=["balanced"], default=None,
                        help="neighbour-type model: weigh each label's positives by "
                             "n_negative / n_positive")
    parser.add_argument("--fixed-epochs", type=int, default=None,
                        help="the neighbour-type networks train this many epochs on all "
                             "their rows, without an early-stopping split")
    parser.add_argument("--hidden", nargs="+", type=int, default=None,
                        help="neighbour-type networks' hidden layer sizes (default: the "
                             "estimator's, 256 256)")
    parser.add_argument("--cn-backend", default="mlp",
                        help="coordination-number backend (a network keeps the file small)")
    parser.add_argument("--rescore", action="store_true",
                        help="no training: score the models in --out (--tasks) again with "
                             "today's code and rewrite their cards' figures")
    args = parser.parse_args(argv)
    if args.rescore:
        return rescore(args.out, args.tasks)

    from sklearn_xas import __version__
    from sklearn_xas.estimators import PerElementMajorityClassifier, PerElementMeanRegressor
    from sklearn_xas.pretrained import TrainedModel
    from sklearn_xas.pretrained._shipped import make_shipped_pipeline

    t0 = time.perf_counter()
    data = load_sets(args.sets, max_shards=args.max_shards)
    shards = _diverse_shards(args.max_shards) if "diverse" in args.sets else 0
    grid = (args.grid[0], args.grid[1], int(args.grid[2]))
    print(f"{data!r} from {args.sets} ({time.perf_counter() - t0:.0f} s)", flush=True)
    targets = _targets(data, n_jobs=2)
    train, test = split(data, args.seed)
    idx = {mid: i for i, mid in enumerate(data.site_ids)}
    rows_train = [idx[s] for s in train.site_ids]
    rows_test = [idx[s] for s in test.site_ids]
    ttrain, ttest = targets.iloc[rows_train], targets.iloc[rows_test]
    if args.max_per_prototype:
        keep = _cap_prototypes(train.frame["prototype"].to_numpy(), args.max_per_prototype,
                               args.seed)
        print(f"--max-per-prototype {args.max_per_prototype}: {keep.size} of {len(train)} "
              "training sites kept", flush=True)
        train, ttrain = train[keep], ttrain.iloc[keep]
    extra = supplements_for(train, dict(strained=args.strained, covalent=args.covalent))
    counts = {} if extra is None else extra.frame["source_set"].value_counts().to_dict()
    n_strained, n_covalent = int(counts.get("strained", 0)), int(counts.get("covalent", 0))
    if extra is not None:
        from sklearn_xas.datasets import XASDataset

        print(f"supplements: {n_strained} strained copies of training crystals, "
              f"{n_covalent} covalent elemental sites", flush=True)
        ttrain = pd.concat([ttrain, _targets(extra, n_jobs=2)], ignore_index=True)
        train = XASDataset.concat([train, extra])
    fit_data, fit_targets = train, ttrain
    augmented = 0
    if args.augment:
        from sklearn_xas.preprocessing import augment_spectra

        fit_data, rows = augment_spectra(train, np.arange(len(train)), n_copies=args.n_copies,
                                         e0_shift=tuple(args.e0_shift),
                                         random_state=args.seed)
        fit_targets = ttrain.iloc[np.asarray(rows)]
        augmented = len(fit_data) - len(train)
    print(f"train {len(fit_data)} spectra ({augmented} augmented), test {len(test)}",
          flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    elements = fit_data.frame[["absorbing_element"]]
    made = {}
    for task, col, base in [
        ("neighbor-types", "neighbor_types", PerElementMajorityClassifier()),
        ("nn-distance", "mean_nn_distance", PerElementMeanRegressor()),
        ("coordination-number", "coordination_number", PerElementMajorityClassifier()),
    ]:
        if task not in args.tasks:
            continue
        params = dict(random_state=args.seed, n_jobs=1)
        if task == "nn-distance" and args.distance_backend == "gradient_boosting":
            params.update(backend="gradient_boosting", max_iter=500)
        elif task == "nn-distance":
            params.update(backend=args.distance_backend, n_estimators=args.n_estimators,
                          min_samples_leaf=args.min_samples_leaf)
        elif task == "coordination-number":
            params.update(backend=args.cn_backend)
            if args.cn_backend in ("extra_trees", "random_forest"):
                params.update(n_estimators=args.n_estimators,
                              min_samples_leaf=args.min_samples_leaf)
        else:
            params.update(threshold=args.threshold, exafs_features=args.features,
                          n_ensemble=args.n_ensemble, class_weight=args.class_weight)
            if args.hidden:
                params.update(hidden_layer_sizes=tuple(args.hidden))
            if args.fixed_epochs:
                params.update(max_epochs=args.fixed_epochs, validation_fraction=None,
                              patience=None)
        model = make_shipped_pipeline(task, k_grid=grid, **params)
        if task == "neighbor-types":
            y = list(fit_targets[col])
        else:
            y = fit_targets[col].to_numpy(int if task == "coordination-number" else float)
        t1 = time.perf_counter()
        final = model.steps[-1][0]
        groups = {} if task == "neighbor-types" else {  # calibration by material
            f"{final}__groups": fit_data.frame["material_id"].to_numpy()}
        model.fit(fit_data, y, **groups)
        fit_s = time.perf_counter() - t1
        # the coordination number's baseline reads one-element sets (TrainedModel.evaluate)
        base_y = [(str(v),) for v in y] if task == "coordination-number" else y
        tm = TrainedModel(model, task=task, spectrum_type="EXAFS",
                          baseline=base.fit(elements, base_y), neighbor_method="crystalnn")
        counts = fit_data.frame["absorbing_element"].value_counts()
        tm.train_summary = dict(n_sites=len(fit_data), n_augmented=augmented,
                                n_materials=int(fit_data.frame["material_id"].nunique()),
                                sets=args.sets,
                                absorbing_elements={str(k): int(v) for k, v in counts.items()},
                                fit_seconds=round(fit_s, 1))
        validation = validate(tm, task, test, ttest[col], list(fit_targets[col]))
        name = f"{task}-exafs"
        path = tm.save(args.out / f"{name}.joblib")
        card = dict(
            name=name, file=path.name, task=task, spectrum_type="EXAFS",
            summary=_summary(task, validation),
            training_data=dict(sets=args.sets, n_sites=len(fit_data), augmented=augmented,
                               n_materials=tm.train_summary["n_materials"],
                               n_absorbing_elements=len(counts),
                               diverse_shards=shards, diverse_elemental=True,
                               max_per_prototype=args.max_per_prototype,
                               strained=n_strained, covalent=n_covalent,
                               augmentation=dict(n_copies=args.n_copies,
                                                 e0_shift=list(args.e0_shift))
                               if args.augment else None),
            settings=dict(k_grid=list(grid), seed=args.seed,
                          pipeline=type(model.steps[-1][1]).__name__,
                          backend=model.steps[-1][1].backend, neighbor_method="crystalnn",
                          **{k: v for k, v in params.items() if k not in ("n_jobs", "backend")}),
            validation_held_out_materials=validation,
            intended_use="chi(k) of K edges (Z <= 56) and L3 edges (Z > 56), k from 3 to "
                         "11 1/A; measured mu(E) is turned into chi(k) first "
                         "(sklearn_xas.pretrained.to_chi). Trained on FEFF6L theory: "
                         "check the measured-standards figures before trusting it on data.",
            sklearn_xas_version=__version__, fit_seconds=round(fit_s, 1),
            size_bytes=path.stat().st_size,
        )
        (args.out / f"{name}.json").write_text(json.dumps(card, indent=1))
        made[name] = card
        print(f"{name}: {card['summary']} ({fit_s:.0f} s, {path.stat().st_size / 1e6:.1f} MB)",
              flush=True)
    if len(list(args.out.glob("*.json"))) >= 2:  # both models: score them on measured data
        score_standards(args.out)
    return made


def validate(tm, task, test, truth, y_train):
    """Figures of a trained model on the held-out sites, per source set (for its card).

    ``truth``: the held-out targets of the task, in the rows of ``test``; ``y_train``:
    the neighbour types it was fitted on (macro-F1 counts the labels seen >= 20 times).
    """
    from sklearn_xas.metrics import neighbor_type_scores

    model = tm.model
    validation = {}
    for name in sorted(set(test.frame["source_set"])):
        m = (test.frame["source_set"] == name).to_numpy()
        sub = test[m]
        sub_truth = truth[m]
        if task == "nn-distance":
            pred = tm.predict(sub)
            interval = model.steps[-1][1].predict_interval(
                model[:-1].transform(sub.frame), coverage=0.9)
            inside = (sub_truth >= interval[:, 0]) & (sub_truth <= interval[:, 1])
            validation[name] = dict(
                n=int(m.sum()), mae=float(np.mean(np.abs(pred - sub_truth))),
                baseline_mae=float(np.mean(np.abs(tm.baseline.predict(sub) - sub_truth))),
                interval_90=dict(coverage=float(np.mean(inside)),
                                 mean_width=float(np.mean(interval[:, 1] - interval[:, 0]))))
        elif task == "coordination-number":
            sub_truth = sub_truth.to_numpy(int)
            pred = np.asarray(tm.predict(sub))
            proba = tm.baseline.predict_proba(sub)
            base_pred = tm.baseline.classes_.astype(int)[np.argmax(proba, axis=1)]
            validation[name] = dict(n=int(m.sum()), accuracy=dict(
                model=float(np.mean(pred == sub_truth)),
                baseline=float(np.mean(base_pred == sub_truth))))
        else:
            s = neighbor_type_scores(list(sub_truth), tm.predict_labels(sub), min_support=20,
                                     y_train=y_train)
            b = neighbor_type_scores(list(sub_truth), tm.baseline.predict_labels(sub),
                                     min_support=20, y_train=y_train)
            validation[name] = dict(n=int(m.sum()), **{k: s[k] for k in s},
                                    baseline={k: b[k] for k in b})
    return validation


def rescore(out, tasks):
    """Score the shipped models in ``out`` again, with today's code, on the held-out
    materials of their own split (rebuilt from each card) and on the measured standards;
    the cards' figures are rewritten (for a change in how a model answers, not in its
    weights)."""
    from sklearn_xas.pretrained import load_model

    column = {"neighbor-types": "neighbor_types", "nn-distance": "mean_nn_distance",
              "coordination-number": "coordination_number"}
    for task in tasks:
        path = Path(out) / f"{task}-exafs.json"
        card = json.loads(path.read_text())
        info = card["training_data"]
        train, test = split(rebuild_training_data(card), card["settings"]["seed"])
        y_train = None
        if task == "neighbor-types":  # macro-F1's supported labels count the fitted ones
            if info.get("max_per_prototype"):
                train = train[_cap_prototypes(train.frame["prototype"].to_numpy(),
                                              info["max_per_prototype"],
                                              card["settings"]["seed"])]
            labels = list(_targets(train, n_jobs=2)[column[task]])
            extra = supplements_for(train, info)
            if extra is not None:
                labels += list(_targets(extra, n_jobs=2)[column[task]])
            y_train = labels * (1 + info["augmented"] // len(labels))
        tm = load_model(path.with_name(card["file"]))
        validation = validate(tm, task, test, _targets(test, n_jobs=2)[column[task]], y_train)
        card.update(summary=_summary(task, validation),
                    validation_held_out_materials=validation)
        path.write_text(json.dumps(card, indent=1))
        print(f"{card['name']}: {card['summary']}", flush=True)
    score_standards(out)


def score_standards(out):
    """Score the models in ``out`` on the shared measured standards; add it to the cards."""
    import sklearn_xas.pretrained._shipped as shipped
    from sklearn_xas.datasets import load_measured_standards
    from sklearn_xas.utils._shared_data import shared_archive

    root = shared_archive("measured-xafs.tar.gz")
    if root is None:
        print("measured standards: ../shared/data/measured-xafs.tar.gz not found")
        return None
    shipped.MODELS_DIR = Path(out)
    standards = load_measured_standards(root)
    table = shipped.describe_sites(standards)
    truth = standards.frame
    pred_sets = [tuple(sorted(t.split())) for t in table["neighbor_types"]]
    exact = float(np.mean([p == tuple(t) for p, t in zip(pred_sets,
                                                        truth["true_neighbor_types"])]))
    # as a beamline user knowing the sample's elements would ask
    known = shipped.describe_sites(standards, composition=truth["formula"].tolist())
    known_sets = [tuple(sorted(t.split())) for t in known["neighbor_types"]]
    exact_known = float(np.mean([p == tuple(t) for p, t in zip(
        known_sets, truth["true_neighbor_types"])]))
    true_d = truth["true_nn_distance"].to_numpy(dtype=float)
    mae = float(np.mean(np.abs(table["mean_nn_distance"].to_numpy() - true_d)))
    mae_model = float(np.mean(np.abs(table["model_nn_distance"].to_numpy() - true_d)))
    rows = [dict(material=m, truth=" ".join(t), predicted=" ".join(p),
                 formula=f, predicted_with_composition=" ".join(pk),
                 true_distance=float(d), predicted_distance=round(float(q), 3),
                 model_distance=round(float(r), 3), distance_source=src)
            for m, t, p, f, pk, d, q, r, src in zip(
                truth["material_id"], truth["true_neighbor_types"], pred_sets,
                truth["formula"], known_sets, true_d, table["mean_nn_distance"],
                table["model_nn_distance"], table["distance_source"])]
    cn_accuracy = None
    if "coordination_number" in table:
        for row, c, p in zip(rows, truth["true_cn"], table["coordination_number"]):
            row.update(true_cn=int(c), predicted_cn=int(p))
        cn_accuracy = float(np.mean(truth["true_cn"].to_numpy(int)
                                    == table["coordination_number"].to_numpy(int)))
    result = dict(n=len(truth), exact_set=exact, exact_set_with_composition=exact_known,
                  mae=mae, mae_model=mae_model, cn_accuracy=cn_accuracy, per_standard=rows)
    for path in Path(out).glob("*.json"):
        card = json.loads(path.read_text())
        figure = {"neighbor-types": {"exact_set": exact,
                                     "exact_set_with_composition": exact_known},
                  "nn-distance": {"mae": mae, "mae_model": mae_model},
                  "coordination-number": {"accuracy": cn_accuracy}}[card["task"]]
        card["validation_measured_standards"] = dict(n=result["n"], **figure,
                                                     per_standard=rows)
        path.write_text(json.dumps(card, indent=1))
    print(f"measured standards ({len(truth)}): exact set {exact:.2f} ({exact_known:.2f} "
          "given each sample's formula), NN-distance MAE "
          f"{mae:.3f} A with the first-shell fit ({mae_model:.3f} the model's own), "
          f"coordination number accuracy {cn_accuracy}")
    return result


def _summary(task, validation):
    parts = []
    for name, v in validation.items():
        if task == "nn-distance":
            parts.append(f"{name}: MAE {v['mae']:.3f} A (per-element mean "
                         f"{v['baseline_mae']:.3f}) on {v['n']} held-out sites")
        elif task == "coordination-number":
            parts.append(f"{name}: accuracy {v['accuracy']['model']:.2f} (per-element most "
                         f"common {v['accuracy']['baseline']:.2f}) on {v['n']} held-out sites")
        else:
            parts.append(f"{name}: exact set {v['exact_set']:.2f}, per-site F1 "
                         f"{v['f1_samples']:.2f} (per-element majority "
                         f"{v['baseline']['exact_set']:.2f}/{v['baseline']['f1_samples']:.2f})"
                         f" on {v['n']} held-out sites")
    return "; ".join(parts)


if __name__ == "__main__":
    main()
