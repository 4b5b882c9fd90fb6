"""Are the shipped models' probabilities honest? Reliability and ECE on held-out materials.

The shipped neighbour-type and coordination-number models on the held-out materials of
their own training split (``benchmarks/train_pretrained.py``: the shared FEFF6L set
and the diverse set, 80/20 by material, seed 0), generated and Materials Project sites
apart. Neighbour types are scored per (site, element) entry, pooled, and by the top
element of each site (its probability against whether it is a true neighbour); the
coordination number by its top class (Guo et al. 2017). Beside each model, the
per-absorber frequency baseline stored with it. Writes ``doc/results/calibration.csv``,
``doc/results/calibration_table.rst`` and the reliability diagrams
``doc/results/f_calibration.png`` (the results page includes the table and figure).
Run::

    python benchmarks/script_calibration.py
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _accuracy_report import list_table  # noqa: E402
from train_pretrained import _targets, rebuild_training_data, split  # noqa: E402

OUT = HERE.parent / "doc" / "results"
PARTS = {"diverse": "generated", "shared": "Materials Project"}


def held_out(card):
    """The held-out part of a card's split, with its targets."""
    data = rebuild_training_data(card)
    _, test = split(data, card["settings"]["seed"])
    return test, _targets(test, n_jobs=2)


def _indicator(sets, classes):
    return np.array([[c in s for c in classes] for s in sets], dtype=int)


def forecasts(tm, test):
    """The model's and its baseline's probabilities, in the columns of ``tm.classes_``.

    The stored baselines know the labels (as strings) of their own training rows; a
    class they never saw gets probability 0.
    """
    proba = np.asarray(tm.model.predict_proba(test))
    base = tm.baseline.predict_proba(test.frame[["absorbing_element"]])
    column = {str(c): j for j, c in enumerate(tm.baseline.classes_)}
    aligned = np.zeros_like(proba)
    for i, c in enumerate(tm.classes_):
        if str(c) in column:
            aligned[:, i] = base[:, column[str(c)]]
    return proba, aligned


def _entries(truth, proba):
    """Every (site, label) entry as one binary forecast: outcomes and probabilities."""
    return truth.ravel(), proba.ravel()


def _top(truth, proba, classes=None):
    """Each row's most probable label: whether it is right, and its probability.

    ``truth`` is an indicator matrix (multi-label) or, with ``classes``, the true class
    of each row (multi-class).
    """
    j = proba.argmax(axis=1)
    rows = np.arange(len(j))
    right = truth[rows, j] if classes is None else classes[j] == truth
    return right.astype(int), proba[rows, j]


def main():
    from matplotlib.figure import Figure

    from sklearn_xas.metrics import expected_calibration_error as ece
    from sklearn_xas.plotting import plot_reliability
    from sklearn_xas.pretrained import load_pretrained

    nt = load_pretrained("neighbor-types-exafs")
    cn = load_pretrained("coordination-number-exafs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        test, targets = held_out(nt.card)
        if cn.card["training_data"] != nt.card["training_data"]:
            cn_test, cn_targets = held_out(cn.card)
        else:
            cn_test, cn_targets = test, targets
    rows = []
    fig = Figure(figsize=(12.6, 4.2), layout="constrained")
    axes = fig.subplots(1, 3)
    truth = _indicator(targets["neighbor_types"], nt.classes_)
    proba, base = forecasts(nt, test)
    source = test.frame["source_set"].to_numpy()
    cn_source = cn_test.frame["source_set"].to_numpy()
    cn_truth = np.asarray(cn_targets["coordination_number"])
    cn_proba, cn_base = forecasts(cn, cn_test)
    cn_classes = np.asarray(cn.classes_)
    for part, name in PARTS.items():
        m, c = source == part, cn_source == part
        scored = {
            "neighbour types: every (site, element) entry": (_entries, truth[m], proba[m],
                                                             base[m]),
            "neighbour types: each site's top element": (_top, truth[m], proba[m], base[m]),
            "coordination number: top class": (
                lambda y, p: _top(y, p, cn_classes), cn_truth[c], cn_proba[c], cn_base[c]),
        }
        for i, (what, (reduce, y, p_model, p_base)) in enumerate(scored.items()):
            for who, p in (("shipped model", p_model), ("per-absorber frequency", p_base)):
                outcome, forecast = reduce(y, p)
                rows.append(dict(part=name, forecast=what, model=who, n=len(forecast),
                                 mean_forecast=forecast.mean(), frequency=outcome.mean(),
                                 ece=ece(outcome, forecast)))
            plot_reliability(*reduce(y, p_model), ax=axes[i], label=f"{name} sites",
                             title=what.replace(": ", "\n"))
    table = pd.DataFrame(rows)
    OUT.mkdir(parents=True, exist_ok=True)
    table.to_csv(OUT / "calibration.csv", index=False)
    fig.savefig(OUT / "f_calibration.png", dpi=110)
    body = [[r.part, r.forecast, r.model, str(r.n), f"{r.mean_forecast:.3f}",
             f"{r.frequency:.3f}", f"{r.ece:.3f}"] for r in table.itertuples()]
    lines = [
        ".. rubric:: Calibration of the shipped models' probabilities",
        "",
        f"The shipped ``neighbor-types-exafs`` and ``coordination-number-exafs`` models on "
        f"the held-out materials of their training split ({len(test)} sites), as "
        "``benchmarks/script_calibration.py`` scores them: expected calibration error "
        "(10 equal bins; 0 is calibrated) of each kind of forecast, with the mean "
        "forecast probability and how often the forecast events happened, beside the "
        "per-absorber frequencies stored with each model. The reliability diagrams "
        "are ``f_calibration.png``.",
        "",
    ]
    lines += list_table("Expected calibration error on held-out materials",
                        ["sites", "forecast", "model", "forecasts", "mean forecast",
                         "observed frequency", "ECE"], body)
    (OUT / "calibration_table.rst").write_text("\n".join(lines) + "\n")
    print(table.to_string(index=False))
    print(f"wrote {OUT / 'calibration_table.rst'} and {OUT / 'f_calibration.png'}")


if __name__ == "__main__":
    main()
