"""Tables (CSV, reStructuredText) and figures of ``script_accuracy.py``."""

from pathlib import Path

import numpy as np

#: Smallest number of test spectra of an absorbing element shown in the per-element figures.
MIN_PER_ELEMENT = 5


def _fmt(value, digits=3):
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{value:.{digits}f}"


def _seconds(value):
    if value is None or not np.isfinite(value):
        return ""
    return f"{value:.2f}" if value < 10 else f"{value:.0f}"


def list_table(title, header, rows, widths=None):
    """A reStructuredText ``list-table`` as a list of lines."""
    lines = [f".. list-table:: {title}", "   :header-rows: 1"]
    if widths:
        lines.append("   :widths: " + " ".join(str(w) for w in widths))
    lines.append("")
    for row in [header, *rows]:
        lines.append(f"   * - {row[0]}")
        lines += [f"     - {cell}" for cell in row[1:]]
    lines.append("")
    return lines


def _subset(results, task):
    return [r for r in results if r["task"] == task]


def accuracy_rst(results, per_element, *, machine, quick, omnixas_eta):
    lines = []
    if quick:
        lines += [".. note::", "",
                  "   Produced with ``--quick`` (small subsets, short training): a smoke test,",
                  "   not the benchmark.", ""]
    fwd = _subset(results, "forward")
    if fwd:
        r0 = fwd[0]
        lines += [".. rubric:: Forward: structure -> Cu K-edge XANES", "",
                  f"Fit on OmniXAS's Cu FEFF training list ({r0['n_train']} sites), scored on "
                  f"its validation list ({r0['n_test']} sites, material-disjoint); OmniXAS's "
                  f"grid and scale. eta: higher is better; the training mean scores 1 by "
                  f"construction; OmniXAS's Cu FEFF expert model reached {omnixas_eta} on its "
                  "test split.", ""]
        rows = [[r["model"], r["role"], _fmt(r["eta"], 2), _seconds(r["fit_s"]),
                 _seconds(r["predict_s"])] for r in fwd]
        lines += list_table("Forward model, eta on the validation split",
                            ["model", "role", "eta", "fit (s)", "predict (s)"], rows,
                            [50, 10, 10, 10, 10])
    types = _subset(results, "neighbour types")
    if types:
        lines += [".. rubric:: Inverse: spectrum -> neighbour element types", "",
                  "Multi-label: which elements are in the absorber's first shell (CrystalNN). "
                  "F1 micro over all (site, element) decisions; F1 macro averaged over the "
                  "element classes present in the test set or predicted; exact: share of "
                  "sites whose whole set is right. Cu XANES: OmniXAS's train/val lists; "
                  "EXAFS: 80/20 split by material (seed 0).", ""]
        rows = [[r["dataset"], r["model"], r["role"], _fmt(r["f1_micro"]),
                 _fmt(r["f1_macro"]), _fmt(r["exact"])] for r in types]
        lines += list_table("Neighbour types on the test split",
                            ["data", "model", "role", "F1 micro", "F1 macro", "exact set"],
                            rows, [18, 42, 10, 10, 10, 10])
    dist = _subset(results, "NN distance")
    if dist:
        lines += [".. rubric:: Inverse: spectrum -> mean nearest-neighbour distance", "",
                  "Mean distance from the absorber to its CrystalNN first shell, one model for "
                  "all absorbing elements.", ""]
        rows = [[r["dataset"], r["model"], r["role"], _fmt(r["mae"], 4), _fmt(r["r2"])]
                for r in dist]
        lines += list_table("Mean NN distance on the test split",
                            ["data", "model", "role", "MAE (Angstrom)", "R^2"], rows,
                            [18, 46, 10, 13, 10])
    table = per_element_table(per_element)
    if table:
        models, rows = table
        lines += [".. rubric:: Per absorbing element (EXAFS set)", "",
                  f"Elements with at least {MIN_PER_ELEMENT} test spectra; every element is in "
                  "``per_element.csv``.", ""]
        header = ["element", "n test"] + [f"F1 micro, {m}" for m in models["f1_micro"]] + [
            f"MAE (A), {m}" for m in models["mae"]]
        lines += list_table("Per-element scores (EXAFS test split)", header, rows)
    lines += [f"Measured on {machine}.", ""]
    return "\n".join(lines)


def _short(model):
    return model.split(":")[0].split(" (")[0]


def per_element_table(per_element):
    rows = [r for r in per_element if r["dataset"].startswith("EXAFS")]
    if not rows:
        return None
    models = {"f1_micro": [], "mae": []}
    for key in models:
        for r in rows:
            if r.get(key) is not None and _short(r["model"]) not in models[key]:
                models[key].append(_short(r["model"]))
    counts = {}
    for r in rows:
        counts[r["element"]] = r["n_test"]
    out = []
    for el in sorted(counts, key=lambda e: (-counts[e], e)):
        if counts[el] < MIN_PER_ELEMENT:
            continue
        cells = [el, str(counts[el])]
        for key in ("f1_micro", "mae"):
            for m in models[key]:
                val = [r[key] for r in rows if r["element"] == el
                       and r.get(key) is not None and _short(r["model"]) == m]
                cells.append(_fmt(val[0], 3) if val else "")
        out.append(cells)
    return models, out


def timings_rst(results, *, machine):
    rows = [[r["task"], r["dataset"], r["model"], str(r["n_train"]), str(r["n_test"]),
             _seconds(r["fit_s"]), _seconds(r["predict_s"]),
             _fmt(1000 * r["predict_s"] / max(r["n_test"], 1), 2)] for r in results]
    lines = ["Wall-clock seconds of one fit on the training split and one predict on the test "
             "split, pipelines included (the CHGNet embeddings come from the on-disk cache, "
             "whose cold cost is the ``featurize`` row). " + f"Measured on {machine}.", ""]
    lines += list_table("Fit and predict times",
                        ["task", "data", "model", "n train", "n test", "fit (s)",
                         "predict (s)", "predict (ms/site)"], rows)
    return "\n".join(lines)


def write_csv(path, records, columns):
    import csv

    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for r in records:
            w.writerow([_csv(r.get(c)) for c in columns])


def _csv(v):
    if isinstance(v, float):
        return f"{v:.6g}"
    return "" if v is None else v


# ----------------------------------------------------------------------------- figures
def _save(fig, out, name, caption):
    fig.tight_layout()
    fig.savefig(out / f"{name}.png", dpi=110)
    (out / f"{name}.txt").write_text(caption + "\n", encoding="utf-8")


def figures(out, results, store, per_element, *, omnixas_eta, grid):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fwd = _subset(results, "forward")
    if fwd:
        fig, ax = plt.subplots(figsize=(7, 3.2))
        names = [_short(r["model"]) for r in fwd]
        ax.barh(names, [r["eta"] for r in fwd], color="tab:blue")
        ax.axvline(omnixas_eta, color="tab:red", ls="--", label=f"OmniXAS Cu FEFF ({omnixas_eta})")
        ax.invert_yaxis()
        ax.set_xlabel("eta on the validation split (higher is better)")
        ax.legend(loc="lower right", fontsize=8)
        _save(fig, out, "a_forward_eta",
              "Forward model, Cu K-edge FEFF XANES: eta on OmniXAS's validation list, beside "
              "the baselines and OmniXAS's published value.")
        plt.close(fig)
        recipe = [r for r in fwd if r["role"] == "recipe"]
        if recipe and "forward_truth" in store:
            Y_val, _ = store["forward_truth"]
            pred = store[("forward", recipe[0]["model"])]
            mse = ((Y_val - pred) ** 2).mean(1)
            order = np.argsort(mse)
            picks = [order[int(q * (len(order) - 1))] for q in (0.1, 0.5, 0.9)]
            fig, axes = plt.subplots(1, 3, figsize=(9, 2.8), sharey=True)
            for ax, i, q in zip(axes, picks, ("10th", "50th", "90th")):
                ax.plot(grid - grid[0], Y_val[i], "k-", label="FEFF")
                ax.plot(grid - grid[0], pred[i], "tab:orange", ls="--", label="predicted")
                ax.set_title(f"{q} percentile of MSE", fontsize=9)
                ax.set_xlabel("E - 8983.2 eV")
            axes[0].set_ylabel("mu (OmniXAS scale)")
            axes[0].legend(fontsize=8)
            _save(fig, out, "local_forward_examples",
                  "Default forward recipe on validation sites at the 10th, 50th and 90th "
                  "percentile of the per-spectrum MSE: FEFF spectrum (black) and prediction.")
            plt.close(fig)
    _per_element_figures(plt, out, per_element)
    _error_cdf_figure(plt, out, results, store)
    _parity_figure(plt, out, results, store)


def _per_element_figures(plt, out, per_element):
    table = per_element_table(per_element)
    if not table:
        return
    rows = [r for r in per_element if r["dataset"].startswith("EXAFS")]
    counts = {r["element"]: r["n_test"] for r in rows}
    els = [e for e in sorted(counts, key=lambda e: (-counts[e], e))
           if counts[e] >= MIN_PER_ELEMENT]
    for key, label, name in (("f1_micro", "F1 micro (neighbour types)", "c_exafs_f1_per_element"),
                             ("mae", "MAE of the mean NN distance (Angstrom)",
                              "d_exafs_mae_per_element")):
        models = [m for m in table[0][key]]
        fig, ax = plt.subplots(figsize=(max(7, 0.32 * len(els)), 3.4))
        width = 0.8 / max(len(models), 1)
        x = np.arange(len(els))
        for j, m in enumerate(models):
            vals = []
            for e in els:
                v = [r[key] for r in rows if r["element"] == e and r.get(key) is not None
                     and _short(r["model"]) == m]
                vals.append(v[0] if v else np.nan)
            ax.bar(x + j * width - 0.4 + width / 2, vals, width, label=m)
        ax.set_xticks(x, [f"{e}\n{counts[e]}" for e in els], fontsize=7)
        ax.set_ylabel(label, fontsize=9)
        ax.legend(fontsize=7, ncol=len(models), loc="lower center", bbox_to_anchor=(0.5, 1.0),
                  frameon=False)
        _save(fig, out, name,
              f"EXAFS set, test split: {label} per absorbing element (elements with at least "
              f"{MIN_PER_ELEMENT} test spectra; the count is under each symbol).")
        plt.close(fig)


def _error_cdf_figure(plt, out, results, store):
    """Cumulative distribution of the absolute NN-distance error of every model, per data set."""
    rows = _subset(results, "NN distance")
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    if not datasets:
        return
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.5 * len(datasets), 3.6))
    for ax, name in zip(np.atleast_1d(axes), datasets):
        for r in (r for r in rows if r["dataset"] == name):
            truth, pred, _ = store[("dist", name, r["model"])]
            err = np.sort(np.abs(truth - pred))
            ax.plot(err, np.arange(1, len(err) + 1) / len(err), label=_short(r["model"]),
                    ls="--" if r["role"] == "baseline" else "-")
        ax.set_xscale("log")
        ax.set_xlabel("|predicted - true| mean NN distance (A)")
        ax.set_title(name, fontsize=9)
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("share of test sites with a smaller error")
    np.atleast_1d(axes)[-1].legend(fontsize=7)
    _save(fig, out, "e_nn_distance_error_cdf",
          "Cumulative distribution of the absolute error of the mean nearest-neighbour "
          "distance on the test splits, every model (baselines dashed).")
    plt.close(fig)


def _parity_figure(plt, out, results, store):
    recipes = [r for r in _subset(results, "NN distance") if r["role"] == "recipe"]
    if not recipes:
        return
    fig, axes = plt.subplots(1, len(recipes), figsize=(4 * len(recipes), 3.8))
    axes = np.atleast_1d(axes)
    for ax, r in zip(axes, recipes):
        truth, pred, _ = store[("dist", r["dataset"], r["model"])]
        ax.scatter(truth, pred, s=4, alpha=0.4)
        lo, hi = float(min(truth.min(), pred.min())), float(max(truth.max(), pred.max()))
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
        ax.set_title(f"{r['dataset']}: MAE {r['mae']:.3f} A, R^2 {r['r2']:.2f}", fontsize=9)
        ax.set_xlabel("true mean NN distance (A)")
        ax.set_ylabel("predicted (A)")
    _save(fig, out, "local_nn_distance_parity",
          "Default NN-distance recipe on the test splits: predicted against true mean "
          "nearest-neighbour distance.")
    plt.close(fig)


# ----------------------------------------------------------------------------- entry
ACCURACY_COLUMNS = ["task", "dataset", "split", "model", "role", "eta", "f1_micro", "f1_macro",
                    "exact", "mae", "r2", "n_train", "n_test", "fit_s", "predict_s"]
TIMING_COLUMNS = ["task", "dataset", "model", "role", "n_train", "n_test", "fit_s",
                  "predict_s"]


FORWARD_TASKS = ("forward", "featurize")
NUMERIC = {"eta", "f1_micro", "f1_macro", "exact", "mae", "r2", "fit_s", "predict_s"}
INTEGER = {"n_train", "n_test"}


def read_csv(path):
    """Rows of a CSV written by :func:`write_csv`, numbers as numbers (``[]`` if absent)."""
    import csv

    if not Path(path).is_file():
        return []
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for key, value in row.items():
                if value == "":
                    row[key] = None
                elif key in NUMERIC:
                    row[key] = float(value)
                elif key in INTEGER:
                    row[key] = int(value)
            rows.append(row)
    return rows


def _merge(old, new, only):
    """Rows of a partial run (``only``) replace that part's rows of the previous run."""
    if only is None:
        return new

    def part(r):
        return "forward" if r["task"] in FORWARD_TASKS else "inverse"

    return [r for r in old if part(r) != only] + new


def write_report(out, results, store, per_element, *, machine, quick, only, omnixas_eta, grid):
    """Write every artefact into ``out`` and print the tables.

    A partial run (``only="forward"`` or ``"inverse"``) keeps the other part's rows of
    the CSV files already in ``out`` and rebuilds the tables from both; its figures
    replace only its own.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fresh = [r for r in results if r["task"] != "featurize"]
    scored = _merge(read_csv(out / "accuracy.csv"), fresh, only)
    results = _merge(read_csv(out / "timings.csv"), results, only)
    if only == "forward":
        per_element_all = read_csv(out / "per_element.csv")
    else:
        per_element_all = per_element
    acc = accuracy_rst(scored, per_element_all, machine=machine, quick=quick,
                       omnixas_eta=omnixas_eta)
    tim = timings_rst(results, machine=machine)
    (out / "accuracy_table.rst").write_text(acc, encoding="utf-8")
    (out / "timings_table.rst").write_text(tim, encoding="utf-8")
    write_csv(out / "accuracy.csv", scored, ACCURACY_COLUMNS)
    write_csv(out / "timings.csv", results, TIMING_COLUMNS)
    if only != "forward":
        write_csv(out / "per_element.csv", per_element,
                  ["dataset", "element", "model", "n_test", "f1_micro", "mae"])
    figures(out, fresh, store, per_element if only != "forward" else [],
            omnixas_eta=omnixas_eta, grid=grid)
    print("\n" + acc + "\n" + tim)
