"""Do per-label thresholds help the shipped neighbour-type model? Measured held out.

The shipped ``neighbor-types-exafs`` model names an element when its probability
exceeds one threshold (0.5; the most probable element where none does). Rare
elements might do better with thresholds of their own. This script tunes them where
it may (issue 14, item 2): the held-out materials of the model's own split (rebuilt
from its card, as ``train_pretrained.py --rescore`` does) are cut in two halves by
material (seeded); each label's threshold is the one of ``GRID`` with the best F1 on
one half (labels with at least ``--min-positives`` positives there; the others keep
0.5) and the scores are counted on the other half, then the halves swap (cross-
fitting, so that no site is scored by thresholds tuned on it). Rows: the single 0.5
threshold and the tuned ones, per source set, averaged over the two halves. Run
(about 2 minutes)::

    python benchmarks/script_label_thresholds.py

prints the table and writes ``benchmarks/results/label_thresholds.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

GRID = np.round(np.arange(0.05, 0.96, 0.05), 2)


def tune_thresholds(proba, Y, *, min_positives):
    """Per-label thresholds of ``GRID`` with the best F1 on (proba, Y); 0.5 for labels
    with fewer than ``min_positives`` positives."""
    thresholds = np.full(Y.shape[1], 0.5)
    for j in np.flatnonzero(Y.sum(axis=0) >= min_positives):
        on = proba[:, j, None] > GRID[None, :]
        tp = (on & Y[:, j, None]).sum(axis=0)
        f1 = 2 * tp / (on.sum(axis=0) + Y[:, j].sum())
        thresholds[j] = GRID[int(np.argmax(f1))]
    return thresholds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-positives", type=int, nargs="+", default=[5, 20])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path,
                        default=HERE / "results" / "label_thresholds.json")
    args = parser.parse_args(argv)

    from train_pretrained import OUT, _targets, rebuild_training_data, split, supplements_for

    from sklearn_xas.estimators._neighbor_type import decide_labels
    from sklearn_xas.metrics import neighbor_type_scores
    from sklearn_xas.pretrained import load_model

    card = json.loads((OUT / "neighbor-types-exafs.json").read_text())
    train, test = split(rebuild_training_data(card), card["settings"]["seed"])
    # macro-F1's supported labels count the fitted ones, as the card's figures do
    info = card["training_data"]
    labels = list(_targets(train, n_jobs=2)["neighbor_types"])
    extra = supplements_for(train, info)
    if extra is not None:
        labels += list(_targets(extra, n_jobs=2)["neighbor_types"])
    y_train = labels * (1 + info["augmented"] // len(labels))
    truth = [tuple(sorted(t)) for t in _targets(test, n_jobs=2)["neighbor_types"]]
    model = load_model(OUT / card["file"])
    classes = list(model.classes_)
    proba = np.asarray(model.model.predict_proba(test.frame))
    Y = np.array([[c in t for c in classes] for t in truth])
    materials = test.frame["material_id"].to_numpy()
    sources = test.frame["source_set"].to_numpy()
    rng = np.random.default_rng(args.seed)
    unique = np.unique(materials)
    first = np.isin(materials, rng.choice(unique, size=unique.size // 2, replace=False))

    variants = {"one threshold (0.5)": None,
                **{f"per label, >= {m} positives": m for m in args.min_positives}}
    result = dict(model=card["name"], seed=args.seed, n_held_out=len(test), rows={})
    for name, min_positives in variants.items():
        per_half = {}
        for tune_rows, score_rows in ((first, ~first), (~first, first)):
            thresholds = (np.full(len(classes), 0.5) if min_positives is None else
                          tune_thresholds(proba[tune_rows], Y[tune_rows],
                                          min_positives=min_positives))
            on = decide_labels(proba, thresholds, 1)
            named = [tuple(c for c, o in zip(classes, row) if o) for row in on]
            for source in sorted(set(sources)):
                rows = np.flatnonzero(score_rows & (sources == source))
                s = neighbor_type_scores([truth[i] for i in rows], [named[i] for i in rows],
                                         min_support=20, y_train=y_train)
                per_half.setdefault(source, []).append(
                    [s["f1_macro"], s["f1_samples"], s["exact_set"]])
        result["rows"][name] = {
            source: dict(zip(("f1_macro", "f1_samples", "exact_set"),
                             np.mean(v, axis=0).round(4).tolist()))
            for source, v in per_half.items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(f"{'thresholds':30} {'source':8} {'macro-F1':>9} {'per-site F1':>12} "
          f"{'exact set':>10}")
    for name, by_source in result["rows"].items():
        for source, s in by_source.items():
            print(f"{name:30} {source:8} {s['f1_macro']:9.3f} {s['f1_samples']:12.3f} "
                  f"{s['exact_set']:10.3f}")
    return result


if __name__ == "__main__":
    main()
