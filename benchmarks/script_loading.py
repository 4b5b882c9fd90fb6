"""Speed of the FEFF-tree reader and of the local-structure targets on the shared real data.

Run from the project root (``../shared/data`` must hold the archives)::

    nice python benchmarks/script_loading.py [--sites 200] [--no-baseline]

Prints one table:

- ``load_feff_tree`` on the Cu K-edge XANES tree (4,831 spectra) and on the FEFF6L EXAFS
  tree (5,643 spectra), wall and CPU seconds, next to a naive reader run in the same
  process (``np.loadtxt`` per spectrum, pymatgen ``Poscar.from_file`` per material), and
  the speed-up ratio naive / ours;
- the targets (``compute_targets``, one process) on a random sample of Cu-tree sites,
  milliseconds per site for ``method="crystalnn"`` and ``method="cutoff"``, their ratio,
  and how often the two methods agree.

The machine may be shared: CPU seconds are the steadier figure.
"""

import argparse
import glob
import os
import sys
import time
import warnings

import numpy as np


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def naive_load(root, kind):
    """The reader one writes first: np.loadtxt and Poscar.from_file, no sharing tricks."""
    from pymatgen.io.vasp import Poscar

    from sklearn_xas.datasets import XASDataset

    sub, fname, ycol = {"XANES": ("FEFF-XANES", "xmu.dat", 3),
                        "EXAFS": ("FEFF-EXAFS", "chi.dat", 1)}[kind]
    records = []
    for mdir in sorted(glob.glob(os.path.join(root, "*", ""))):
        files = sorted(glob.glob(os.path.join(mdir, sub, "*", fname)))
        if not files:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            structure = Poscar.from_file(os.path.join(mdir, "POSCAR")).structure
        for path in files:
            index, element = os.path.basename(os.path.dirname(path)).split("_")
            table = np.loadtxt(path, comments="#")
            records.append(dict(material_id=os.path.basename(mdir.rstrip("/")),
                                absorbing_index=int(index), absorbing_element=element,
                                edge="K", spectrum_type=kind, structure=structure,
                                x=table[:, 0], y=table[:, ycol]))
    return XASDataset.from_records(records)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=200, help="sites sampled for targets")
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive reader")
    args = parser.parse_args(argv)

    from sklearn_xas.datasets import load_feff_tree
    from sklearn_xas.targets import compute_targets
    from sklearn_xas.utils._shared_data import shared_archive

    rows = []
    trees = {"Cu XANES (FEFF9)": ("omnixas-cu-feff-xanes.tar.gz", "XANES"),
             "EXAFS (FEFF6L)": ("feff6l-exafs-mp.tar.gz", "EXAFS")}
    loaded = {}
    for name, (archive, kind) in trees.items():
        root = shared_archive(archive)
        if root is None:
            print(f"skipping {name}: ../shared/data/{archive} not found", file=sys.stderr)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data, wall, cpu = _timed(lambda r=root: load_feff_tree(r))
        loaded[name] = data
        line = [f"load_feff_tree, {name}", f"{len(data)} spectra",
                f"{wall:.2f} s", f"{cpu:.2f} s"]
        if not args.no_baseline:
            base, bwall, bcpu = _timed(lambda r=root, k=kind: naive_load(r, k))
            assert len(base) == len(data)
            line += [f"{bwall:.2f} s", f"{bcpu:.2f} s", f"{bcpu / cpu:.1f}x"]
        rows.append(line)

    if "Cu XANES (FEFF9)" in loaded:
        data = loaded["Cu XANES (FEFF9)"]
        rng = np.random.default_rng(0)
        sample = data[np.sort(rng.choice(len(data), size=min(args.sites, len(data)),
                                         replace=False))]
        results = {}
        for method in ("crystalnn", "cutoff"):
            t, wall, cpu = _timed(lambda m=method: compute_targets(sample, method=m,
                                                                   progress=False))
            results[method] = (t, wall, cpu)
        n = len(sample)
        cnn, cut = results["crystalnn"], results["cutoff"]
        for method, (_, wall, cpu) in results.items():
            rows.append([f"compute_targets, {method}", f"{n} Cu sites",
                         f"{1e3 * wall / n:.1f} ms/site", f"{1e3 * cpu / n:.1f} ms/site",
                         "", "", f"{cnn[2] / cpu:.1f}x" if method == "cutoff" else "1.0x"])
        same_types = np.mean([a == b for a, b in zip(cnn[0]["neighbor_types"],
                                                     cut[0]["neighbor_types"])])
        same_cn = np.mean(cnn[0]["coordination_number"] == cut[0]["coordination_number"])
        dd = np.abs(cnn[0]["mean_nn_distance"] - cut[0]["mean_nn_distance"])
        agreement = (f"crystalnn vs cutoff on {n} sites: same neighbour types {same_types:.1%}, "
                     f"same CN {same_cn:.1%}, median |d_nn difference| {np.median(dd):.3f} A, "
                     f"max {dd.max():.3f} A")
    else:
        agreement = None

    header = ["what", "size", "wall", "CPU", "naive wall", "naive CPU", "ratio"]
    widths = [max(len(str(r[i])) if i < len(r) else 0 for r in rows + [header])
              for i in range(len(header))]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    print("ratio: naive CPU / ours for loading; crystalnn CPU / cutoff CPU for targets.")
    if agreement:
        print(agreement)


if __name__ == "__main__":
    main()
