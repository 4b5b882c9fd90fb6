"""FEFF10 XANES of the bundled prototype crystals, as a resumable Lightshow-style tree.

The crystals are those of :func:`sklearn_xas.datasets.load_prototype_exafs`
(:func:`sklearn_xas.simulate.prototype_structures` with the bundled set's
``max_per_rule``); every symmetry-inequivalent site is simulated with
:func:`sklearn_xas.simulate.simulate_xanes_dataset` and its defaults (SCF 3 A, FMS 4 A,
RPA core hole; chosen on 50 Cu sites, see benchmarks/validate_feff10.py). The tree in
``benchmarks/data/prototype-xanes/`` is resumable: a finished site is read back, a
failed one retried. Based on FEFF10 (feff10-rs). Run (one process per spare core)::

    nice python benchmarks/generate_prototype_xanes.py --n-jobs 1
    python benchmarks/generate_prototype_xanes.py --bundle   # the package's files

``--bundle`` writes what :func:`sklearn_xas.datasets.load_prototype_xanes` reads:
``sklearn_xas/datasets/data/prototype_xanes.npz`` (energies, mu and site columns; no
pickled objects) and ``prototype_xanes.json.gz`` (the structures and prototypes, as in
the EXAFS set's file, and settings, versions, counts, failures).
"""

import argparse
import json
import platform
import sys
import tarfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "data" / "prototype-xanes"
#: What is committed: the finished part of the tree, compressed (--pack writes it; a
#: run without the tree unpacks it first and resumes).
PACKED = ROOT / "benchmarks" / "data" / "prototype-xanes.tar.gz"


def pack(out=OUT, packed=PACKED):
    """Write the finished sites (folders with an xmu.dat) and their POSCARs."""
    with tarfile.open(packed, "w:gz", compresslevel=9) as tar:
        for xmu in sorted(out.glob("*/FEFF-XANES/*/xmu.dat")):
            site = xmu.parent
            tar.add(site, arcname=str(site.relative_to(out.parent)))
            poscar = site.parent.parent / "POSCAR"
            if str(poscar.relative_to(out.parent)) not in tar.getnames():
                tar.add(poscar, arcname=str(poscar.relative_to(out.parent)))
    return packed


def bundle(out=OUT, dest=ROOT / "sklearn_xas" / "datasets" / "data"):
    """Write the package's ``prototype_xanes.npz`` and ``prototype_xanes.json``."""
    import gzip
    from importlib.metadata import version

    import numpy as np

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate_prototype_exafs import MAX_PER_RULE

    from sklearn_xas.datasets import load_feff_tree
    from sklearn_xas.simulate import _feff10 as f10
    from sklearn_xas.simulate._prototypes import prototype_structures

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # materials whose sites all failed
        frame = load_feff_tree(out).frame
    frame = frame.sort_values(["material_id", "absorbing_index"], kind="stable")
    protos = {p.material_id: p for p in prototype_structures(max_per_rule=MAX_PER_RULE)}
    np.savez_compressed(
        dest / "prototype_xanes.npz",
        material_id=frame["material_id"].to_numpy(str),
        absorbing_index=frame["absorbing_index"].to_numpy(np.int32),
        absorbing_element=frame["absorbing_element"].to_numpy(str),
        edge=frame["edge"].to_numpy(str),
        multiplicity=frame["multiplicity"].to_numpy(np.int32),
        energy=np.stack(frame["x"].to_numpy()),
        mu=np.stack(frame["y"].to_numpy()).astype(np.float32),
        xsedge_norm=frame["xsedge_norm"].to_numpy(np.float64),
    )
    failures = sorted(p.read_text().strip().splitlines()[0]
                      for p in out.glob("*/FEFF-XANES-errors/*.txt"))
    info = {
        "description": "FEFF10 K/L3 XANES of the bundled prototype crystals "
                       "(those of load_prototype_exafs). Based on FEFF10.",
        "generator": "benchmarks/generate_prototype_xanes.py",
        "settings": {"scf_radius": f10.DEFAULT_SCF_RADIUS,
                     "fms_radius": f10.DEFAULT_FMS_RADIUS,
                     "core_hole": f10.DEFAULT_CORE_HOLE, "k_grid": list(f10.DEFAULT_K_GRID),
                     "k_edge_max_z": 56, "timeout_s": 120},
        "versions": {"feff10-rs": version("feff10-rs"), "python": platform.python_version()},
        "counts": {"sites": int(len(frame)), "materials": int(frame["material_id"].nunique()),
                   "absorbing_elements": int(frame["absorbing_element"].nunique()),
                   "per_edge": {str(k): int(v) for k, v in frame["edge"].value_counts().items()},
                   "failed_sites": len(failures),
                   "scf_retry_sites": sum(" 0.05 3" in p.read_text().split("POTENTIALS")[0]
                                          for p in out.glob("*/FEFF-XANES/*/feff.inp"))},
        "failures": failures,
        "materials": {m: {"prototype": protos[m].prototype, "structure": s.as_dict()}
                      for m, s in zip(frame["material_id"], frame["structure"])},
        "timing_s": "not recorded per site (the run resumed over several sessions); "
                    "FEFF10 at these settings: median 12.5 CPU s per Cu site "
                    "(benchmarks/validate_feff10.py)",
    }
    with gzip.open(dest / "prototype_xanes.json.gz", "wt", encoding="utf-8") as fh:
        json.dump(info, fh, indent=0)
    return dest / "prototype_xanes.npz"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--pack", action="store_true", help="only pack the finished sites")
    parser.add_argument("--bundle", action="store_true",
                        help="only write the package's prototype_xanes.npz/.json.gz")
    args = parser.parse_args(argv)
    if args.bundle:
        print(f"wrote {bundle(args.out)}")
        return 0
    if args.pack:
        print(f"packed into {pack(args.out)}")
        return 0
    if not args.out.exists() and PACKED.exists():
        with tarfile.open(PACKED) as tar:
            tar.extractall(args.out.parent, filter="data")
    from sklearn_xas.exceptions import SkippedRecordsWarning
    from sklearn_xas.simulate import simulate_xanes_dataset
    from sklearn_xas.simulate._prototypes import prototype_structures

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate_prototype_exafs import MAX_PER_RULE

    protos = prototype_structures(max_per_rule=MAX_PER_RULE)
    # small cells first: every element gets XANES before the long runs
    protos.sort(key=lambda p: (len(p.structure), p.material_id))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SkippedRecordsWarning)
        data = simulate_xanes_dataset({p.material_id: p.structure for p in protos},
                                      workdir=args.out, n_jobs=args.n_jobs, progress=True,
                                      timeout=args.timeout)
    print(f"{len(data)} XANES spectra in {args.out}; {len(data.skipped)} failed "
          f"({len(caught)} warnings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
