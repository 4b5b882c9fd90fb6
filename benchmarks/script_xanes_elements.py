"""XANES across the periodic table: forward eta per absorbing element, inverse XANES vs EXAFS.

One model for all absorbing elements per task, trained with
:func:`sklearn_xas.pretrained.train_model` (the library's recipes, ``featurizer="rdf"``,
``neighbor_method="cutoff"``; the forward task also with extremely randomised trees
in place of the network ensemble, as the demo uses, and, with ``--forward``, on the
recipe's pretrained CHGNet + SevenNet-0 embeddings) on a material-disjoint split,
scored on the held-out materials beside the trivial baselines (training-mean spectrum;
per-absorber majority neighbour set and mean distance). The inverse tasks are also
trained on the EXAFS of the same sites, so that the two spectroscopies are compared on
the same materials.

Sets (``--set``):

- ``prototype``: the bundled FEFF10 XANES and FEFF6L EXAFS of the prototype crystals
  (:func:`~sklearn_xas.datasets.load_prototype_xanes`, ``load_prototype_exafs``);
- ``shared``: the multi-element FEFF10 XANES set made by
  ``benchmarks/generate_shared_xanes.py`` on the shared FEFF6L structures, with the
  shared FEFF6L EXAFS of the same sites (needs ``../shared/data``).

Writes ``doc/results/xanes_elements_<set>.rst`` (included by the results page) and
prints the tables. Run::

    python benchmarks/script_xanes_elements.py --set prototype --set shared
    python benchmarks/script_xanes_elements.py --set shared --forward network trees \
        "pretrained network" "pretrained trees"
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from _accuracy_report import list_table  # noqa: E402

OUT = ROOT / "doc" / "results"
#: Smallest number of held-out spectra of an element shown in the per-element table.
MIN_TEST = 3


def load_sets(name):
    """``(xanes, exafs)`` data sets on the same sites."""
    from sklearn_xas.datasets import load_feff_tree, load_prototype_exafs, load_prototype_xanes

    if name == "prototype":
        return load_prototype_xanes(), load_prototype_exafs()
    from generate_shared_xanes import ARCHIVE, load_shared_xanes

    from sklearn_xas.utils._shared_data import shared_archive

    xanes = load_shared_xanes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exafs = load_feff_tree(shared_archive(ARCHIVE), kinds=("EXAFS",), n_jobs=1)
    keys = set(zip(xanes.frame["material_id"], xanes.frame["absorbing_index"]))
    keep = [k in keys for k in zip(exafs.frame["material_id"], exafs.frame["absorbing_index"])]
    return xanes, exafs[np.asarray(keep)]


def split(xanes, exafs, test_size, seed):
    """The same held-out materials for both spectroscopies."""
    ids = np.array(sorted(set(xanes.groups) | set(exafs.groups)))
    held = set(np.random.default_rng(seed).permutation(ids)[: int(round(test_size * ids.size))])
    out = {}
    for kind, data in (("XANES", xanes), ("EXAFS", exafs)):
        test = np.isin(data.groups, list(held))
        out[kind] = data[~test], data[test]
    return out


def forward_per_element(result, test):
    """Per absorbing element: held-out spectra, median MSE of model and mean, eta."""
    from sklearn_xas.metrics import per_spectrum_mse

    Y, pred = np.asarray(result.truth), np.asarray(result.prediction)
    mse = per_spectrum_mse(Y, pred)
    base = per_spectrum_mse(Y, np.broadcast_to(result.model.train_mean, Y.shape))
    frame = pd.DataFrame({"element": test.frame["absorbing_element"].to_numpy(),
                          "edge": test.frame["edge"].to_numpy(), "mse": mse, "base": base})
    rows = []
    for (el, edge), g in frame.groupby(["element", "edge"]):
        rows.append(dict(element=el, edge=edge, n_test=len(g), model=np.median(g["mse"]),
                         baseline=np.median(g["base"]),
                         eta=np.median(g["base"]) / np.median(g["mse"])))
    return pd.DataFrame(rows).sort_values(["n_test", "element"], ascending=[False, True])


#: Forward variants: label -> (featurizer, recipe parameters).
FORWARD = {
    "network": ("rdf", None),
    "trees": ("rdf", {"regress__backend": "extra_trees"}),
    "pretrained network": ("pretrained", None),
    "pretrained trees": ("pretrained", {"regress__backend": "extra_trees"}),
}


def run(name, *, test_size, seed, n_jobs, forward=("network", "trees")):
    from sklearn_xas.pretrained import train_model

    xanes, exafs = load_sets(name)
    parts = split(xanes, exafs, test_size, seed)
    rows, per_element, info = [], None, {}
    xanes_tasks = [("spectrum", v) for v in forward] + [("nn-distance", None),
                                                       ("neighbor-types", None)]
    for kind, tasks in (("XANES", xanes_tasks),
                        ("EXAFS", [("nn-distance", None), ("neighbor-types", None)])):
        train, test = parts[kind]
        info[kind] = (len(train), len(test), int(pd.unique(train.groups).size),
                      int(train.frame["absorbing_element"].nunique()))
        for task, variant in tasks:
            featurizer, params = FORWARD[variant] if variant else ("rdf", None)
            t0 = time.perf_counter()
            model = train_model(task, train, featurizer=featurizer, neighbor_method="cutoff",
                                n_jobs=n_jobs, random_state=seed, params=params)
            fit_s = time.perf_counter() - t0
            result = model.evaluate(test, n_jobs=n_jobs)
            label = task if variant is None else f"{task} ({variant})"
            for metric, (a, b) in result.scores.items():
                rows.append(dict(data=kind, task=label, metric=metric, model=a, baseline=b,
                                 fit_s=fit_s))
            if task == "spectrum":
                per = forward_per_element(result, test).rename(columns={"eta": variant})
                if per_element is None:
                    per_element = per
                else:
                    per_element[variant] = per.set_index(["element", "edge"]).loc[
                        list(zip(per_element["element"], per_element["edge"])),
                        variant].to_numpy()
            print(f"[{name}] {kind} {label}: {result.scores} ({fit_s:.0f} s)", flush=True)
    return pd.DataFrame(rows), per_element, info, xanes


def report(name, table, per_element, info, xanes):
    counts = xanes.frame["edge"].value_counts()
    x = info["XANES"]
    lines = [
        f".. rubric:: XANES across elements: {name} set", "",
        f"{len(xanes)} FEFF10 XANES site spectra "
        f"({', '.join(f'{k} {v}' for k, v in counts.items())} edges), "
        f"{xanes.frame['absorbing_element'].nunique()} absorbing elements, "
        f"{xanes.frame['material_id'].nunique()} materials; material-disjoint split: "
        f"{x[0]} training spectra ({x[2]} materials, {x[3]} elements), {x[1]} held out. "
        "One model per task for all elements. The EXAFS rows are the FEFF6L spectra of the "
        "same sites and split.", "",
    ]
    rows = [[r.data, r.task, r.metric, f"{r.model:.3g}", f"{r.baseline:.3g}",
             f"{r.fit_s:.0f}"] for r in table.itertuples()]
    lines += list_table(f"{name} set: held-out materials (baseline: training-mean spectrum, "
                        "per-absorber majority set, per-absorber mean distance)",
                        ["data", "task", "metric", "model", "baseline", "fit (s)"], rows)
    shown = per_element[per_element["n_test"] >= MIN_TEST]
    variants = [c for c in FORWARD if c in per_element]
    rows = [[r["element"], r["edge"], str(r["n_test"]), *(f"{r[v]:.2f}" for v in variants),
             f"{r['model']:.3g}", f"{r['baseline']:.3g}"] for _, r in shown.iterrows()]
    if rows:
        lines += list_table(f"{name} set: forward eta per absorbing element (elements with "
                            f">= {MIN_TEST} held-out spectra; {len(per_element) - len(shown)} "
                            "more have fewer)",
                            ["element", "edge", "held out", *(f"eta ({v})" for v in variants),
                             f"median MSE ({variants[0]})", "mean-spectrum MSE"], rows)
    else:
        lines += [f"No absorbing element has {MIN_TEST} held-out spectra yet.", ""]
    path = OUT / f"xanes_elements_{name}.rst"
    path.write_text("\n".join(lines) + "\n")
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", choices=["prototype", "shared"],
                        dest="sets")
    parser.add_argument("--test-size", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--forward", nargs="+", choices=list(FORWARD),
                        default=["network", "trees"],
                        help="forward variants (pretrained: the recipe's CHGNet and "
                             "SevenNet-0 embeddings beside the radial distribution)")
    args = parser.parse_args(argv)
    from sklearn_xas.utils import limit_threads

    limit_threads("auto")
    for name in args.sets or ["prototype"]:
        table, per_element, info, xanes = run(name, test_size=args.test_size, seed=args.seed,
                                              n_jobs=args.n_jobs, forward=args.forward)
        print(table.to_string(index=False))
        print(per_element.to_string(index=False))
        print(f"wrote {report(name, table, per_element, info, xanes)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
