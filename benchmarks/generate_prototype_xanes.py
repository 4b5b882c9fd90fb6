"""FEFF10 XANES of the bundled prototype crystals, as a resumable Lightshow-style tree.

The crystals are those of :func:`sklearn_xas.datasets.load_prototype_exafs`
(:func:`sklearn_xas.simulate.prototype_structures` with the bundled set's
``max_per_rule``); every symmetry-inequivalent site is simulated with
:func:`sklearn_xas.simulate.simulate_xanes_dataset` and its defaults (SCF 3 A, FMS 4 A,
RPA core hole; chosen on 50 Cu sites, see benchmarks/validate_feff10.py). The tree in
``benchmarks/data/prototype-xanes/`` is resumable: a finished site is read back, a
failed one retried. Based on FEFF10 (feff10-rs). Run (one process per spare core)::

    nice python benchmarks/generate_prototype_xanes.py --n-jobs 1
"""

import argparse
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--pack", action="store_true", help="only pack the finished sites")
    args = parser.parse_args(argv)
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
