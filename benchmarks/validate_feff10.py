"""Validate FEFF10 XANES settings against OmniXAS's FEFF 9 Cu K-edge spectra.

Recomputes a seeded sample of Cu sites of the shared Cu FEFF9 tree
(``omnixas-cu-feff-xanes.tar.gz``: COREHOLE RPA, SCF 7 A, FMS 9 A, FEFF 9.9.1) with
:func:`sklearn_xas.simulate.simulate_xanes_dataset` under candidate settings (radii,
core hole, energy grid) and reports, per setting:

- agreement with FEFF 9 on OmniXAS's grid and scale (``y = mu * xsedge_norm / a0**2``,
  contiguous positive stretch, 8983.173 < omega < 9018.173 eV, linear interpolation
  onto ``linspace(8983.173, 9018.173, 141)``, x 1000; the recipe of
  ``benchmarks/script_accuracy.py``): median and 10th percentile of the per-spectrum
  Pearson correlation, median and 90th percentile of the per-spectrum MSE;
- the same after aligning the edges: each FEFF10 spectrum is shifted rigidly in
  energy by the amount (within +-8 eV, steps of 0.1 eV) that maximises its correlation
  with FEFF 9, so only the shape is compared; and the median of that shift (positive:
  the FEFF10 edge lies higher). Absolute edge positions are not comparable across
  core-hole treatments; the shape is what a model trained on one code's spectra learns.
- the cost: median and 90th percentile CPU seconds per site (FEFF10's workers, one
  core each; wall-clock seconds depend on what else runs).

For scale: the per-spectrum MSE of the sample's mean FEFF 9 spectrum against each
FEFF 9 spectrum (the "mean-spectrum" row; OmniXAS's training-mean baseline on its test
split has median MSE 0.0128, and eta divides it by a model's).

The sample: ``--n-sites`` sites of OmniXAS's training list, at most one per material
(material-disjoint), drawn with ``--seed``. The archive is extracted under
``--data-home`` and FEFF10 runs under ``--workdir`` (both default to the system's
temporary folder, never the repository); the runs are resumable, so a rerun only
computes what is missing (costs of earlier runs are kept in ``costs.json`` there, and
sites whose failure was logged are not retried unless ``--retry-failed``).
Writes the table as markdown to stdout and a CSV under ``benchmarks/results/``
(summary numbers only: no spectra of the shared data).

Run one FEFF10 process per free core::

    nice -n 5 python benchmarks/validate_feff10.py --settings fsr-3-4 fsr-3-4.5 rpa-3-4

(the cluster radius is the default of :func:`~sklearn_xas.simulate.feff10_input`,
"auto", unless a setting names it: ``fsr-3-4-r4`` cuts it at the FMS radius).

Needs ``pip install 'sklearn-xas[xanes]'`` and the shared data; without either it says
so and exits with status 0. Based on FEFF10.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from script_accuracy import omnixas_spectrum  # noqa: E402

CU_ARCHIVE = "omnixas-cu-feff-xanes.tar.gz"

#: Candidate settings: keyword arguments of simulate_xanes_dataset.
SETTINGS = {
    "fsr-3-4": dict(scf_radius=3.0, fms_radius=4.0, core_hole="FSR"),
    "fsr-3-4.5": dict(scf_radius=3.0, fms_radius=4.5, core_hole="FSR"),
    "fsr-3-5": dict(scf_radius=3.0, fms_radius=5.0, core_hole="FSR"),
    "rpa-3-4.5": dict(scf_radius=3.0, fms_radius=4.5, core_hole="RPA"),
    "rpa-3-5": dict(scf_radius=3.0, fms_radius=5.0, core_hole="RPA"),
    "rpa-2.5-4": dict(scf_radius=2.5, fms_radius=4.0, core_hole="RPA"),
    "rpa-3-4": dict(scf_radius=3.0, fms_radius=4.0, core_hole="RPA"),
    "fsr-3.5-4.5": dict(scf_radius=3.5, fms_radius=4.5, core_hole="FSR"),
    "fsr-2.5-4": dict(scf_radius=2.5, fms_radius=4.0, core_hole="FSR"),
    "fsr-3-4-r4": dict(scf_radius=3.0, fms_radius=4.0, cluster_radius=4.0, core_hole="FSR"),
    "fsr-3-4-r5": dict(scf_radius=3.0, fms_radius=4.0, cluster_radius=5.0, core_hole="FSR"),
    "fsr-3-4-r7": dict(scf_radius=3.0, fms_radius=4.0, cluster_radius=7.0, core_hole="FSR"),
    "fsr-3-4-coarse": dict(scf_radius=3.0, fms_radius=4.0, core_hole="FSR",
                           k_grid=(-1.0, 3.6, 0.08)),
    "noscf-4": dict(scf_radius=None, fms_radius=4.0, core_hole="FSR"),
}
DEFAULT_SETTINGS = ("fsr-3-4", "fsr-3-4.5", "rpa-3-4")

COLUMNS = [
    "setting", "scf_radius", "fms_radius", "cluster_radius", "core_hole", "k_grid",
    "n_sites", "n_failed", "median_r", "p10_r", "median_mse", "p90_mse",
    "aligned_median_r", "aligned_p10_r", "aligned_median_mse", "median_shift_eV",
    "median_cpu_s", "p90_cpu_s", "max_cpu_s",
]


def sample_sites(root, n_sites, seed):
    """``n_sites`` (material_id, index) of OmniXAS's training list, one per material."""
    listed = (root / "splits" / "Cu_FEFF_train.txt").read_text().split()
    per_material = {}
    for site_id in listed:
        material_id, index = site_id.rsplit("_", 1)
        if (root / material_id / "FEFF-XANES" / f"{index}_Cu" / "xmu.dat").is_file():
            per_material.setdefault(material_id, []).append(int(index))
    rng = np.random.default_rng(seed)
    materials = sorted(per_material)
    chosen = rng.choice(len(materials), size=min(n_sites, len(materials)), replace=False)
    return [(materials[i], int(rng.choice(sorted(per_material[materials[i]]))))
            for i in sorted(chosen)]


def reference_rows(root, plan, scratch):
    """The FEFF 9 rows of the sampled sites (a tree of links to the sampled materials)."""
    from sklearn_xas.datasets import load_feff_tree

    mini = Path(scratch) / "reference-links"
    mini.mkdir(parents=True, exist_ok=True)
    for material_id, _ in plan:
        link = mini / material_id
        if not link.exists():
            link.symlink_to(root / material_id, target_is_directory=True)
    frame = load_feff_tree(mini, kinds=("XANES",)).frame
    wanted = set(plan)
    keep = [(m, int(i)) in wanted for m, i in zip(frame["material_id"], frame["absorbing_index"])]
    return frame[keep].set_index(["material_id", "absorbing_index"])


#: Rigid shifts (eV) tried when aligning a FEFF10 spectrum on its FEFF 9 reference.
SHIFTS = np.round(np.arange(-8.0, 8.0001, 0.1), 6)


def compare(row, ref):
    """Per-site agreement of a FEFF10 row with its FEFF 9 reference row."""
    a = omnixas_spectrum(row["x"], row["y"], row["xsedge_norm"])
    b = omnixas_spectrum(ref["x"], ref["y"], ref["xsedge_norm"])
    x = np.asarray(row["x"], dtype=float)
    shifted = np.stack([omnixas_spectrum(x + d, row["y"], row["xsedge_norm"]) for d in SHIFTS])
    r_shifted = np.array([np.corrcoef(v, b)[0, 1] for v in shifted])
    best = int(np.argmax(r_shifted))
    return dict(
        r=float(np.corrcoef(a, b)[0, 1]), mse=float(np.mean((a - b) ** 2)),
        r_aligned=float(r_shifted[best]),
        mse_aligned=float(np.mean((shifted[best] - b) ** 2)), edge_shift=float(-SHIFTS[best]),
    )


def run_setting(name, structures, plan, workdir, *, timeout, n_jobs, progress,
                retry_failed=False):
    import pandas as pd

    from sklearn_xas.datasets import XASDataset
    from sklearn_xas.exceptions import XASDataError
    from sklearn_xas.simulate import simulate_xanes_dataset

    folder = Path(workdir) / name
    folder.mkdir(parents=True, exist_ok=True)
    costs_path = folder / "costs.json"
    costs = json.loads(costs_path.read_text()) if costs_path.is_file() else {}
    sites, known_failures = {}, []
    for material_id, index in plan:
        logged = folder / material_id / "FEFF-XANES-errors" / f"{index:03d}_Cu.txt"
        done = folder / material_id / "FEFF-XANES" / f"{index:03d}_Cu" / "xmu.dat"
        if logged.is_file() and not done.is_file() and not retry_failed:
            known_failures.append(logged.read_text().strip())  # FEFF is deterministic
        else:
            sites.setdefault(material_id, []).append(index)
    if not sites:
        return pd.DataFrame(columns=["material_id", "absorbing_index", "resumed"]), \
            known_failures, costs
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        try:
            data = simulate_xanes_dataset(
                {m: structures[m] for m in sites}, sites=sites, absorbers="Cu",
                workdir=folder, n_jobs=n_jobs, progress=progress, timeout=timeout,
                **SETTINGS[name],
            )
        except XASDataError as exc:  # every site failed: the message lists them
            lines = str(exc).splitlines()[1:]
            data = XASDataset(pd.DataFrame(columns=["material_id", "absorbing_index", "resumed"]),
                              skipped=[ln.strip() for ln in lines], validate=False)
    frame = data.frame
    for _, row in frame.iterrows():
        key = f"{row['material_id']}_{int(row['absorbing_index']):03d}"
        if not row["resumed"]:
            costs[key] = dict(cpu=float(row["feff_cpu_seconds"]),
                              wall=float(row["feff_seconds"]))
    costs_path.write_text(json.dumps(costs, indent=1, sort_keys=True))
    print(f"# {name}: {len(frame)} site(s) in {time.perf_counter() - t0:.0f} s wall "
          f"({int((~frame['resumed'].astype(bool)).sum())} computed now), "
          f"{len(data.skipped)} failed now, {len(known_failures)} failed before",
          file=sys.stderr)
    return frame, list(data.skipped) + known_failures, costs


def _pct(values, q):
    values = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    return float(np.percentile(values, q)) if values.size else np.nan


def summarise(name, frame, failed, costs, reference):
    per_site = []
    for _, row in frame.iterrows():
        key = (row["material_id"], int(row["absorbing_index"]))
        metrics = compare(row, reference.loc[key])
        cost = costs.get(f"{key[0]}_{key[1]:03d}", {})
        per_site.append(dict(setting=name, material_id=key[0], absorbing_index=key[1],
                             cpu_s=cost.get("cpu", np.nan), wall_s=cost.get("wall", np.nan),
                             **metrics))
    s = SETTINGS[name]
    col = {k: [p[k] for p in per_site] for k in ("r", "mse", "r_aligned", "mse_aligned",
                                                   "edge_shift", "cpu_s")}
    summary = dict(
        setting=name, scf_radius=s.get("scf_radius"), fms_radius=s["fms_radius"],
        cluster_radius=s.get("cluster_radius") or "auto",
        core_hole=s["core_hole"], k_grid=" ".join(f"{v:g}" for v in s.get("k_grid",
                                                                        (-1.0, 3.6, 0.04))),
        n_sites=len(per_site), n_failed=len(failed),
        median_r=_pct(col["r"], 50), p10_r=_pct(col["r"], 10),
        median_mse=_pct(col["mse"], 50), p90_mse=_pct(col["mse"], 90),
        aligned_median_r=_pct(col["r_aligned"], 50), aligned_p10_r=_pct(col["r_aligned"], 10),
        aligned_median_mse=_pct(col["mse_aligned"], 50),
        median_shift_eV=_pct(col["edge_shift"], 50),
        median_cpu_s=_pct(col["cpu_s"], 50), p90_cpu_s=_pct(col["cpu_s"], 90),
        max_cpu_s=_pct(col["cpu_s"], 100),
    )
    return summary, per_site


def baseline(reference):
    """Per-spectrum MSE of the sample's mean FEFF 9 spectrum (absolute and aligned)."""
    spectra = np.stack([omnixas_spectrum(r["x"], r["y"], r["xsedge_norm"])
                        for _, r in reference.iterrows()])
    mse = np.mean((spectra - spectra.mean(axis=0)) ** 2, axis=1)
    return float(np.median(mse))


def markdown(rows, baseline_mse, n_sites):
    head = ["setting", "SCF", "FMS", "cluster", "hole", "k grid", "sites (failed)",
            "median r", "p10 r", "median MSE", "p90 MSE", "aligned median r",
            "aligned p10 r", "aligned median MSE", "shift eV", "CPU s/site (p90)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append("| " + " | ".join([
            r["setting"], f"{r['scf_radius'] or 'none'}", f"{r['fms_radius']:g}",
            f"{r['cluster_radius']}", r["core_hole"], r["k_grid"],
            f"{r['n_sites']} ({r['n_failed']})", f"{r['median_r']:.3f}", f"{r['p10_r']:.3f}",
            f"{r['median_mse']:.4f}", f"{r['p90_mse']:.4f}", f"{r['aligned_median_r']:.3f}",
            f"{r['aligned_p10_r']:.3f}", f"{r['aligned_median_mse']:.4f}",
            f"{r['median_shift_eV']:+.2f}",
            f"{r['median_cpu_s']:.1f} ({r['p90_cpu_s']:.1f})",
        ]) + " |")
    lines.append("")
    lines.append(f"Mean-spectrum yardstick on these {n_sites} FEFF 9 spectra: median per-spectrum "
                 f"MSE {baseline_mse:.4f} (OmniXAS grid and scale).")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", nargs="+", default=list(DEFAULT_SETTINGS),
                        choices=sorted(SETTINGS))
    parser.add_argument("--n-sites", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only-sites", nargs="+", default=None, metavar="MATERIAL_NNN",
                        help="only these sites of the sample (e.g. to look at failures)")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--archive", type=Path, default=None,
                        help=f"path of {CU_ARCHIVE} (default: the shared data folder)")
    tmp = Path(tempfile.gettempdir()) / "sklearn_xas_validate_feff10"
    parser.add_argument("--data-home", type=Path, default=tmp / "data")
    parser.add_argument("--workdir", type=Path, default=tmp / "runs")
    parser.add_argument("--csv", type=Path, default=HERE / "results" / "feff10_validation.csv")
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--retry-failed", action="store_true",
                        help="rerun sites whose failure an earlier run logged (by default "
                             "their logged message is reported again)")
    args = parser.parse_args(argv)

    from sklearn_xas.datasets import extract_archive
    from sklearn_xas.simulate import feff10_available
    from sklearn_xas.utils._shared_data import shared_data_dir

    if not feff10_available():
        print("feff10-rs is not installed (pip install 'sklearn-xas[xanes]'); nothing to do.")
        return 0
    archive = args.archive
    if archive is None:
        shared = shared_data_dir()
        archive = shared / CU_ARCHIVE if shared is not None else None
    if archive is None or not Path(archive).is_file():
        print(f"The shared data ({CU_ARCHIVE}) is absent; nothing to do.")
        return 0
    root = Path(extract_archive(archive, data_home=args.data_home))
    plan = sample_sites(root, args.n_sites, args.seed)
    if args.only_sites:
        plan = [(m, i) for m, i in plan if f"{m}_{i:03d}" in set(args.only_sites)]
        if not plan:
            parser.error("--only-sites names no site of the sample")
    reference = reference_rows(root, plan, args.workdir)
    structures = {m: reference.loc[(m, i), "structure"] for m, i in plan}
    print(f"# {len(plan)} sites of {len(plan)} materials (seed {args.seed})", file=sys.stderr)

    import pandas as pd

    rows = []
    for name in args.settings:
        frame, failed, costs = run_setting(name, structures, plan, args.workdir,
                                           timeout=args.timeout, n_jobs=args.n_jobs,
                                           progress=args.progress,
                                           retry_failed=args.retry_failed)
        summary, per_site = summarise(name, frame, failed, costs, reference)
        rows.append(summary)
        pd.DataFrame(per_site).to_csv(Path(args.workdir) / name / "per_site.csv", index=False)
        for message in failed:
            print(f"# failed: {message}", file=sys.stderr)
    yardstick = baseline(reference)
    print(markdown(rows, yardstick, len(plan)))

    args.csv.parent.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(rows, columns=COLUMNS)
    if args.csv.is_file():  # keep the rows of settings not rerun now
        old = pd.read_csv(args.csv)
        table = pd.concat([old[~old["setting"].isin(table["setting"])], table])
    table.to_csv(args.csv, index=False, float_format="%.5g")
    print(f"\n(written: {args.csv}; per-site numbers in {args.workdir}/<setting>/per_site.csv)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
