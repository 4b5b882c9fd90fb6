"""Per neighbour element: how well the shipped neighbour-type model names each element.

The held-out materials of the shipped models (``benchmarks/train_pretrained.py``'s split:
the shared FEFF6L set and the diverse set, 80/20 by material, seed 0), scored label by
label: precision, recall and F1 of each neighbour element, with its support in training
and in the held-out part, beside the per-element majority baseline stored in the model.
Writes ``doc/results/neighbor_elements_table.rst`` (included by the results page). Run::

    python benchmarks/script_neighbor_elements.py
"""

import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _accuracy_report import list_table  # noqa: E402
from train_pretrained import _targets, rebuild_training_data, split, supplements_for  # noqa: E402

OUT = HERE.parent / "doc" / "results" / "neighbor_elements_table.rst"
#: Neighbour elements listed: those seen at least this often among held-out sites.
MIN_HELD_OUT = 10


def per_label(truth, pred, labels):
    """Precision, recall, F1 and support of each label (label sets in, dict out)."""
    rows = {}
    for el in labels:
        t = np.array([el in s for s in truth])
        p = np.array([el in s for s in pred])
        tp = int(np.sum(t & p))
        prec = tp / p.sum() if p.sum() else 0.0
        rec = tp / t.sum() if t.sum() else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        rows[el] = dict(precision=prec, recall=rec, f1=f1, support=int(t.sum()))
    return rows


def main():
    from sklearn_xas.pretrained import load_pretrained

    tm = load_pretrained("neighbor-types-exafs")
    data = rebuild_training_data(tm.card)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        targets = _targets(data, n_jobs=2)
    train, test = split(data, tm.card["settings"]["seed"])
    idx = {s: i for i, s in enumerate(data.site_ids)}
    y_train = [targets["neighbor_types"].iloc[idx[s]] for s in train.site_ids]
    extra = supplements_for(train, tm.card["training_data"])  # strained copies, ...
    if extra is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y_train += list(_targets(extra, n_jobs=2)["neighbor_types"])
    truth = [set(targets["neighbor_types"].iloc[idx[s]]) for s in test.site_ids]
    pred = [set(t) for t in tm.predict_labels(test)]
    base = [set(t) for t in tm.baseline.predict_labels(test.frame[["absorbing_element"]])]
    n_train = {}
    for s in y_train:
        for el in s:
            n_train[el] = n_train.get(el, 0) + 1
    labels = sorted({el for s in truth for el in s})
    ours, theirs = per_label(truth, pred, labels), per_label(truth, base, labels)
    shown = [el for el in labels if ours[el]["support"] >= MIN_HELD_OUT]
    shown.sort(key=lambda el: -ours[el]["support"])
    rows = [[el, str(ours[el]["support"]), str(n_train.get(el, 0)),
             f"{ours[el]['precision']:.2f}", f"{ours[el]['recall']:.2f}",
             f"{ours[el]['f1']:.2f}", f"{theirs[el]['f1']:.2f}"] for el in shown]
    f1 = np.array([ours[el]["f1"] for el in shown])
    lines = [
        ".. rubric:: Neighbour elements, one by one (shipped EXAFS model)", "",
        f"The shipped ``neighbor-types-exafs`` model on the {len(test)} held-out sites of "
        f"its training split ({', '.join(tm.card['training_data']['sets'])}; "
        "CrystalNN first shells), per neighbour element seen at least "
        f"{MIN_HELD_OUT} times there ({len(shown)} of {len(labels)} elements). "
        f"Median F1 {np.median(f1):.2f}; {int(np.sum(f1 >= 0.8))} of {len(shown)} elements "
        "reach 0.8. The baseline is the model's per-absorber majority set.", "",
    ]
    lines += list_table("Per neighbour element, held-out materials",
                        ["neighbour", "held-out sites", "training sites", "precision",
                         "recall", "F1", "baseline F1"], rows)
    OUT.write_text("\n".join(lines) + "\n")
    for row in rows:
        print("  ".join(row))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
