"""Generate the bundled data set of :func:`sklearn_xas.datasets.load_prototype_exafs`.

Builds the prototype crystals of :func:`sklearn_xas.simulate.prototype_structures`,
simulates the EXAFS chi(k) of every symmetry-inequivalent site with FEFF6L
(:func:`sklearn_xas.simulate.simulate_dataset`) and writes

- ``sklearn_xas/datasets/data/prototype_exafs.npz``: the spectra (no pickled objects);
- ``sklearn_xas/datasets/data/prototype_exafs.json.gz``: the structures
  (``Structure.as_dict()``), the prototype and radii of each material, and the
  generation settings, failures and timings.

Run (about 10-20 minutes on 2 shared cores)::

    nice python benchmarks/generate_prototype_exafs.py --n-jobs 2

FEFF6L is deterministic, so a rerun with the same versions reproduces the file.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sklearn_xas" / "datasets" / "data"

#: Settings of the bundled set (mirroring the shared FEFF6L benchmark set).
SETTINGS = dict(rmax=6.0, nleg=4, sigma2=0.003, s02=1.0, e0=0.0, k_edge_max_z=56, symprec=0.1)
MAX_PER_RULE = 8


def _versions():
    import larch
    import pymatgen.core
    import spglib

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pymatgen": getattr(pymatgen.core, "__version__", "?"),
        "spglib": getattr(spglib, "__version__", "?"),
        "xraylarch": getattr(larch, "__version__", "?"),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--max-per-rule", type=int, default=MAX_PER_RULE)
    parser.add_argument("--out", type=Path, default=DATA)
    parser.add_argument("--limit", type=int, default=None,
                        help="only the first N materials (for a quick try)")
    args = parser.parse_args(argv)

    from sklearn_xas.exceptions import SkippedRecordsWarning
    from sklearn_xas.simulate import DEFAULT_K, simulate_dataset
    from sklearn_xas.simulate._prototypes import prototype_structures

    t0 = time.perf_counter()
    protos = prototype_structures(max_per_rule=args.max_per_rule)
    if args.limit:
        protos = protos[: args.limit]
    t_build = time.perf_counter() - t0
    print(f"{len(protos)} prototype crystals built in {t_build:.1f} s", flush=True)

    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedRecordsWarning)
        data = simulate_dataset({p.material_id: p.structure for p in protos},
                                n_jobs=args.n_jobs, progress=True, **SETTINGS)
    t_sim = time.perf_counter() - t1
    frame = data.frame
    print(f"{len(frame)} spectra in {t_sim:.0f} s; {len(data.skipped)} site(s) failed",
          flush=True)
    for line in data.skipped:
        print("  failed:", line)

    args.out.mkdir(parents=True, exist_ok=True)
    chi = np.vstack(frame["y"].to_list()).astype(np.float32)
    np.savez_compressed(
        args.out / "prototype_exafs.npz",
        material_id=frame["material_id"].to_numpy(dtype=str),
        absorbing_index=frame["absorbing_index"].to_numpy(dtype=np.int32),
        absorbing_element=frame["absorbing_element"].to_numpy(dtype=str),
        edge=frame["edge"].to_numpy(dtype=str),
        multiplicity=frame["multiplicity"].to_numpy(dtype=np.int32),
        k=np.asarray(DEFAULT_K, dtype=np.float64),
        chi=chi,
    )
    feff = frame["feff_seconds"].to_numpy()
    site = frame["site_seconds"].to_numpy()
    used = set(frame["material_id"])
    meta = {
        "description": "FEFF6L EXAFS chi(k) of prototype crystals built by sklearn-xas",
        "generator": "benchmarks/generate_prototype_exafs.py",
        "settings": dict(SETTINGS, max_per_rule=args.max_per_rule, cluster_radius="rmax + 1",
                         k="0 to 16 1/A, step 0.05"),
        "versions": _versions(),
        "counts": {
            "materials": len(used),
            "spectra": len(frame),
            "absorbing_elements": int(frame["absorbing_element"].nunique()),
            "failed_sites": len(data.skipped),
        },
        "failures": data.skipped,
        "timing_s": {
            "wall_simulation": round(t_sim, 1),
            "n_jobs": args.n_jobs,
            "feff6l_median": round(float(np.median(feff)), 3),
            "feff6l_p95": round(float(np.percentile(feff, 95)), 3),
            "site_median": round(float(np.median(site)), 3),
        },
        "materials": {
            p.material_id: {
                "prototype": p.prototype,
                "radii": {el: [round(r, 4), src] for el, (r, src) in p.radii.items()},
                "structure": p.structure.as_dict(),
            }
            for p in protos if p.material_id in used
        },
    }
    with gzip.open(args.out / "prototype_exafs.json.gz", "wt", encoding="utf-8") as fh:
        json.dump(meta, fh, separators=(",", ":"))
    sizes = {p.name: p.stat().st_size for p in args.out.glob("prototype_exafs.*")}
    print(json.dumps({k: v for k, v in meta.items() if k in ("counts", "timing_s")}, indent=1))
    print("files:", sizes, "elements:", sorted(frame["absorbing_element"].unique()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
