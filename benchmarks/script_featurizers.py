"""Absorbing-site featurizers side by side on real Cu structures: sites/s and ratios.

Measures, in one process and on the same sample of Cu K-edge absorbing sites from
``../shared/data/omnixas-cu-feff-xanes.tar.gz`` (Materials Project structures):

* matminer ``CrystalNNFingerprint.from_preset("ops")`` through its own
  ``featurize_many`` (the baseline, n_jobs=1);
* the same through :class:`~sklearn_xas.featurizers.AbsorberSiteFeaturizer`,
  ``n_jobs`` 1 and 2 (the n_jobs=2 pool is started by a warm-up call first);
* :class:`~sklearn_xas.featurizers.AbsorberRDFFeaturizer` (default, and with
  ``angular=True``);
* :class:`~sklearn_xas.featurizers.CHGNetSiteEmbedder` without cache, batched
  (``batch_size=16``) and one structure at a time (``batch_size=1``), in sites/s and
  structures/s, plus CHGNet's graph construction alone.

Each timing is the best of ``--repeat`` runs (the cache of every featurizer is off).
Usage::

    nice python benchmarks/script_featurizers.py --n-sites 150 [--repeat 2] [--no-chgnet]
        [--torch-threads 1]
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd


def load_sites(n_sites, seed):
    """A random sample of whole materials holding about ``n_sites`` Cu sites."""
    from pymatgen.core import Structure

    from sklearn_xas.utils._shared_data import shared_archive

    root = shared_archive("omnixas-cu-feff-xanes.tar.gz")
    if root is None:
        sys.exit("omnixas-cu-feff-xanes.tar.gz not found in ../shared/data.")
    materials = sorted(m for m in os.listdir(root) if (root / m / "FEFF-XANES").is_dir())
    rng = np.random.default_rng(seed)
    rows = []
    for mid in rng.permutation(materials):
        structure = Structure.from_file(root / mid / "POSCAR")
        for sub in sorted(os.listdir(root / mid / "FEFF-XANES")):
            rows.append((mid, int(sub.split("_")[0]), "Cu", structure))
        if len(rows) >= n_sites:
            break
    frame = pd.DataFrame(rows, columns=["material_id", "absorbing_index", "absorbing_element",
                                        "structure"])
    return frame


def best_time(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-sites", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="CrystalNN runs (best of)")
    parser.add_argument("--no-chgnet", action="store_true")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch.set_num_threads for CHGNet (default: torch's own)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    os.environ["PYTHONWARNINGS"] = "ignore"  # also in joblib's worker processes

    from matminer.featurizers.site import CrystalNNFingerprint

    from sklearn_xas.featurizers import (
        AbsorberRDFFeaturizer,
        AbsorberSiteFeaturizer,
        CHGNetSiteEmbedder,
        clear_feature_cache,
    )

    frame = load_sites(args.n_sites, args.seed)
    n_sites = len(frame)
    n_structures = frame["material_id"].nunique()
    n_atoms = int(np.mean([len(s) for s in frame.drop_duplicates("material_id").structure]))
    pairs = list(zip(frame["structure"], frame["absorbing_index"]))
    print(f"{n_sites} Cu sites in {n_structures} structures (mean {n_atoms} atoms/cell); "
          f"{os.cpu_count()} CPUs")
    results = []

    def record(name, seconds, n_struct=None):
        results.append((name, seconds, n_sites / seconds,
                        None if n_struct is None else n_struct / seconds))
        print(f"  {name}: {seconds:.2f} s", flush=True)

    # --- matminer CrystalNN fingerprint, its own loop (baseline)
    cnn = CrystalNNFingerprint.from_preset("ops")
    cnn.set_n_jobs(1)
    cnn.featurize_many(pairs[:2], pbar=False)  # warm-up
    t, reference = best_time(lambda: cnn.featurize_many(pairs, ignore_errors=False,
                                                        pbar=False), args.repeat)
    record("matminer CrystalNNFingerprint(ops).featurize_many, n_jobs=1", t)
    reference = np.asarray(reference, dtype=float)

    # --- the same through AbsorberSiteFeaturizer
    for n_jobs in (1, 2):
        site = AbsorberSiteFeaturizer(CrystalNNFingerprint.from_preset("ops"), n_jobs=n_jobs,
                                      progress=False).fit(frame)
        site.transform(frame.iloc[:4])  # warm-up (starts the worker pool for n_jobs=2)
        t, out = best_time(lambda site=site: site.transform(frame), args.repeat)
        if not np.allclose(out, reference, equal_nan=False):
            sys.exit(f"AbsorberSiteFeaturizer(n_jobs={n_jobs}) differs from featurize_many!")
        record(f"AbsorberSiteFeaturizer(CrystalNNFingerprint ops), n_jobs={n_jobs}", t)

    # --- the project's RDF featurizer
    for kwargs in ({}, {"angular": True}):
        rdf = AbsorberRDFFeaturizer(progress=False, **kwargs).fit(frame)
        rdf.transform(frame.iloc[:4])
        t, out = best_time(lambda rdf=rdf: rdf.transform(frame), 3)
        label = ", ".join(f"{k}={v}" for k, v in kwargs.items()) or "defaults"
        record(f"AbsorberRDFFeaturizer ({label}; {out.shape[1]} features)", t, n_structures)

    # --- CHGNet embeddings
    if not args.no_chgnet:
        import torch

        from sklearn_xas.featurizers._embedding import _load_chgnet

        if args.torch_threads:
            torch.set_num_threads(args.torch_threads)
        print(f"  (torch threads: {torch.get_num_threads()})")

        start = time.perf_counter()
        model, _ = _load_chgnet("0.3.0", "cpu")
        print(f"  (CHGNet import + model load: {time.perf_counter() - start:.1f} s, once)")
        structures = list(frame.drop_duplicates("material_id").structure)
        t, _ = best_time(lambda: [model.graph_converter(s) for s in structures], 1)
        record("  CHGNet graph construction alone", t, n_structures)
        for batch_size in (16, 1):
            emb = CHGNetSiteEmbedder(device="cpu", batch_size=batch_size, cache=False,
                                     progress=False).fit(frame)
            emb.transform(frame.iloc[:2])
            t, _ = best_time(lambda emb=emb: emb.transform(frame), 1)
            record(f"CHGNetSiteEmbedder (cpu), batch_size={batch_size}", t, n_structures)
        clear_feature_cache()

    base = results[0][2]
    print(f"\n{'featurizer':<68} {'sites/s':>9} {'structs/s':>9} {'x matminer':>10}")
    for name, _, sites_per_s, structs_per_s in results:
        structs = f"{structs_per_s:9.1f}" if structs_per_s is not None else " " * 9
        print(f"{name:<68} {sites_per_s:9.1f} {structs} {sites_per_s / base:10.2f}")


if __name__ == "__main__":
    main()
