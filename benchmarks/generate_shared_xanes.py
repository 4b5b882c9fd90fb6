"""FEFF10 XANES across the periodic table: the shared FEFF6L structures, or generated ones.

The sites are those of the shared FEFF6L tree (``feff6l-exafs-mp.tar.gz``: 1,036
Materials Project structures, up to 6 symmetry-inequivalent sites each, ~76 absorbing
elements), simulated with :func:`sklearn_xas.simulate.simulate_xanes_dataset` and its
defaults (SCF 3 A, FMS 4 A, RPA core hole, chosen on 50 Cu sites: see
``benchmarks/validate_feff10.py``), K edge up to Z = 56 and L3 above
(:func:`sklearn_xas.simulate.default_edge`). The order spreads the work over the
elements: round ``r`` gives every element its ``r``-th site (smallest cells first)
before any element gets an ``r + 1``-th, so a short run covers the elements and a long
one grows the counts.

Resumable: the working tree ``benchmarks/data/shared-xanes/`` (gitignored) holds the
finished sites; ``--pack`` writes ``benchmarks/data/shared-xanes.tar.gz``, which holds
only what FEFF10 computed (``xmu.dat`` per site) and a JSON index, **not** the shared
POSCARs nor the ``feff.inp`` cards derived from them. A run without the working tree
unpacks the archive and rewrites each site's ``POSCAR``/``feff.inp`` from the shared
structures, then resumes. :func:`load_shared_xanes` joins the archive with the shared
structures into an :class:`~sklearn_xas.datasets.XASDataset`. Based on FEFF10
(feff10-rs). Run (one process per spare core; ``--batch`` sites are packed at a time)::

    nice python benchmarks/generate_shared_xanes.py --max-sites 3000 --worker 0/2 &
    nice python benchmarks/generate_shared_xanes.py --max-sites 3000 --worker 1/2 &
    python benchmarks/generate_shared_xanes.py --summary   # README with counts

``--source diverse`` does the same on the project's generated crystals (the diverse
prototype EXAFS set and its elemental supplement, ``generate_diverse_exafs.py``):
working tree ``benchmarks/data/diverse-xanes/``, archive ``diverse-xanes.tar.gz``
(again FEFF10's ``xmu.dat`` and an index only: the crystals are rebuilt from the
diverse set's shards), README ``diverse-xanes.md``, :func:`load_diverse_xanes`.
Nothing of ``../shared/data`` goes into it.
"""

import argparse
import io
import json
import os
import sys
import tarfile
import time
import warnings
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
OUT = DATA / "shared-xanes"
PACKED = DATA / "shared-xanes.tar.gz"
README = DATA / "shared-xanes.md"
ARCHIVE = "feff6l-exafs-mp.tar.gz"
INDEX = "index.json"
#: The archive's record of the sites that failed (so that a README rewritten on a
#: fresh checkout, without the working tree, still lists them).
FAILURES = "failures.json"
#: SCF retries (sites, of how many) of a source's first sites, whose index entries
#: predate the ``scf_retry`` record (counted from their ``feff.inp`` cards then).
EARLY_RETRIES = {"shared": (368, 1314)}
#: Where each source's sites come from, and its working tree, archive and README.
SOURCES = {
    "shared": dict(out=OUT, packed=PACKED, readme=README),
    "diverse": dict(out=DATA / "diverse-xanes", packed=DATA / "diverse-xanes.tar.gz",
                    readme=DATA / "diverse-xanes.md"),
}


def shared_structures():
    """``{material_id: Structure}`` and the tree's sites ``[(material_id, index, El)]``."""
    sys.path.insert(0, str(ROOT))
    from pymatgen.core import Structure

    from sklearn_xas.utils._shared_data import shared_archive

    root = shared_archive(ARCHIVE)
    if root is None:
        raise SystemExit(f"{ARCHIVE} not found: set $SKLEARN_XAS_SHARED_DATA.")
    tree = Path(root)
    structures, sites = {}, []
    for mdir in sorted(p for p in tree.iterdir() if (p / "POSCAR").is_file()):
        structures[mdir.name] = Structure.from_file(mdir / "POSCAR")
        for site in sorted((mdir / "FEFF-EXAFS").glob("*_*")):
            index, element = site.name.split("_", 1)
            sites.append((mdir.name, int(index), element))
    return structures, sites


def diverse_structures():
    """As :func:`shared_structures`, for the generated crystals of the diverse set."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate_diverse_exafs import load_diverse_exafs

    frame = load_diverse_exafs().frame
    structures = dict(zip(frame["material_id"], frame["structure"]))
    sites = sorted(set(zip(frame["material_id"], frame["absorbing_index"].astype(int),
                           frame["absorbing_element"])))
    return structures, sites


def source_structures(source):
    """``{material_id: Structure}`` and sites of a source of :data:`SOURCES`."""
    return shared_structures() if source == "shared" else diverse_structures()


def spread_order(sites, structures):
    """Round-robin over absorbing elements, smallest cells first within an element."""
    by_element = defaultdict(list)
    for site in sites:
        by_element[site[2]].append(site)
    for lst in by_element.values():
        lst.sort(key=lambda s: (len(structures[s[0]]), s[0], s[1]))
    order, rnd = [], 0
    while any(rnd < len(v) for v in by_element.values()):
        order += [v[rnd] for _, v in sorted(by_element.items()) if rnd < len(v)]
        rnd += 1
    return order


def finished_sites(out=OUT):
    """The site folders of the working tree holding an ``xmu.dat``."""
    return sorted(out.glob("*/FEFF-XANES/*/xmu.dat"))


def pack(out=OUT, packed=PACKED, stats=None):
    """Archive the computed ``xmu.dat`` files and an index (no structure, no card).

    The failures of sites still unfinished go in too (:data:`FAILURES`): the working
    tree's, and the archive's own for sites the working tree has not retried. Written
    to a temporary file and renamed, so that workers packing at once never leave a
    broken archive.
    """
    stats = {**_read_stats(out), **(stats or {})}
    done = {(x.parts[-4], x.parts[-2]) for x in finished_sites(out)}
    failures = {k: v for k, v in _read_failures(packed).items()
                if tuple(k.split("/")) not in done}
    failures.update(_tree_failures(out, done))
    index = []
    top = packed.name.removesuffix(".tar.gz")
    tmp = packed.with_name(f".{packed.name}.{os.getpid()}.tmp")
    with tarfile.open(tmp, "w:gz", compresslevel=9) as tar:
        for xmu in finished_sites(out):
            material_id, index_el = xmu.parts[-4], xmu.parts[-2]
            arc = f"{top}/{material_id}/{index_el}.xmu.dat"
            tar.add(xmu, arcname=arc)
            index.append(dict(material_id=material_id, site=index_el,
                              **stats.get(f"{material_id}/{index_el}", {})))
        for name, record in [(INDEX, index), (FAILURES, dict(sorted(failures.items())))]:
            blob = json.dumps(record, indent=0).encode()
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    os.replace(tmp, packed)
    return packed


def _tree_failures(out, done):
    """``{"material_id/NNN_El": message}`` of the working tree's failed sites that are
    not in ``done`` (the finished ones)."""
    failed = {}
    for path in sorted(out.glob("*/FEFF-XANES-errors/*.txt")) if out.exists() else []:
        key = (path.parts[-3], path.stem)
        if key not in done:
            failed["/".join(key)] = _short(path.read_text())
    return failed


def _read_failures(packed=PACKED):
    """The archive's :data:`FAILURES` record (empty for an archive without one)."""
    if not packed.exists():
        return {}
    with tarfile.open(packed) as tar:
        for member in tar.getmembers():
            if member.name.endswith(f"/{FAILURES}"):
                return json.loads(tar.extractfile(member).read().decode())
    return {}


def _read_pack(packed=PACKED):
    """``{(material_id, "NNN_El"): xmu text}`` and the index records."""
    files, index = {}, []
    if not packed.exists():
        return files, index
    with tarfile.open(packed) as tar:
        for member in tar.getmembers():
            data = tar.extractfile(member).read().decode()
            parts = member.name.split("/")
            if parts[-1] == INDEX:
                index = json.loads(data)
            elif parts[-1] != FAILURES:
                files[(parts[1], parts[2].removesuffix(".xmu.dat"))] = data
    return files, index


def _params():
    from sklearn_xas.simulate import _feff10 as f10

    return dict(scf_radius=f10.DEFAULT_SCF_RADIUS, fms_radius=f10.DEFAULT_FMS_RADIUS,
                cluster_radius=None, core_hole=f10.DEFAULT_CORE_HOLE,
                k_grid=f10.DEFAULT_K_GRID, cards=None, k_edge_max_z=56)


def restore(structures, out=OUT, packed=PACKED):
    """Rebuild the working tree from the archive and the shared structures."""
    from sklearn_xas.simulate import default_edge, feff10_input
    from sklearn_xas.simulate._feff10 import _prepare_workdir

    files, _ = _read_pack(packed)
    mids = sorted({m for m, _ in files})
    _prepare_workdir(out, [(m, structures[m]) for m in mids])
    for (mid, name), text in files.items():
        index, element = name.split("_", 1)
        site = out / mid / "FEFF-XANES" / name
        site.mkdir(parents=True, exist_ok=True)
        card = feff10_input(structures[mid], int(index), edge=default_edge(element),
                            title=f"{mid} site {int(index)}", **_params())
        (site / "feff.inp").write_text(card)
        (site / "xmu.dat").write_text(text)
    return len(files)


def load_shared_xanes(packed=PACKED, source="shared"):
    """The committed XANES set joined with the shared structures, as an XASDataset."""
    import tempfile

    from sklearn_xas.datasets import load_feff_tree

    structures, _ = source_structures(source)
    tmp = Path(tempfile.mkdtemp(prefix=f"{source}-xanes-"))
    restore(structures, out=tmp, packed=packed)
    return load_feff_tree(tmp)


def load_diverse_xanes(packed=SOURCES["diverse"]["packed"]):
    """The committed XANES of the generated crystals, joined with them, as an XASDataset."""
    return load_shared_xanes(packed, source="diverse")


def _stats_path(out=OUT, worker=0):
    return out / f"stats-{worker}.json"


def _read_stats(out=OUT):
    """Every worker's per-site timings, merged."""
    stats = {}
    for path in sorted(out.glob("stats-*.json")):
        stats.update(json.loads(path.read_text()))
    return stats


def _short(message):
    """The site and FEFF's last words of a failure message, on one line."""
    site = message.split(":")[0]
    said = message.split("FEFF said:")[-1].strip().split(" | ")
    return f"{site}: {' | '.join(said[-3:])[:200]}"


def summary(packed=PACKED, readme=README, source="shared"):
    """Regenerate the README (counts per element and edge, failures, CPU time)."""
    files, index = _read_pack(packed)
    elements = Counter(name.split("_", 1)[1] for _, name in files)
    edges = Counter()
    for (_, _name), text in files.items():
        head = text.splitlines()[0]
        edges[head.split("edge:")[1].split()[0]] += 1
    cpu = [r["feff_cpu_seconds"] for r in index if r.get("feff_cpu_seconds")]
    failed = _read_failures(packed)  # pack() merged the working tree's into it
    recorded = [r["scf_retry"] for r in index if "scf_retry" in r]
    retried = f"{sum(recorded)} of the {len(recorded)} sites that record it"
    if source in EARLY_RETRIES:
        retried += "; {} of the first {:,}, counted from their cards".format(
            *EARLY_RETRIES[source])
    what = {"shared": "on the shared FEFF6L structures",
            "diverse": "on the project's generated crystals (the diverse prototype set)"}
    lines = [
        f"# {packed.name}: FEFF10 XANES {what[source]}",
        "",
        f"Made by `benchmarks/generate_shared_xanes.py --source {source}` (see its "
        "docstring) with",
        "`sklearn_xas.simulate.simulate_xanes_dataset` defaults: SCF 3 A, FMS 4 A, RPA core",
        "hole, K edge for Z <= 56 and L3 above, the 138-point grid from k = -2 to 3.6",
        "(about -27 to +38 eV around FEFF's edge), and the SCF retry with gentler mixing",
        f"where the SCF does not converge ({retried}). Based on FEFF10",
        *({"shared": [
            "(feff10-rs). The sites are those of `../shared/data/feff6l-exafs-mp.tar.gz`",
            "(Materials Project structures, CC BY 4.0, via OmniXAS, BSD-3-Clause), in",
            "round-robin order over the absorbing elements. The archive holds only FEFF10's",
            "`xmu.dat` output per site and an index; the structures are not in it",
            "(`load_shared_xanes()` joins them from the shared archive).",
        ], "diverse": [
            "(feff10-rs). The sites are those of the project's generated diverse prototype",
            "set (`benchmarks/data/diverse-exafs`, `elemental-exafs`: crystals made and",
            "relaxed by `generate_diverse_exafs.py`), in round-robin order over the",
            "absorbing elements. The archive holds only FEFF10's `xmu.dat` output per site",
            "and an index; `load_diverse_xanes()` joins them with the crystals rebuilt from",
            "the diverse set's shards. Nothing of `../shared/data` is in it or was used.",
        ]}[source]),
        "",
        f"- site spectra: {len(files)}; materials: {len({m for m, _ in files})}; "
        f"absorbing elements: {len(elements)}",
        f"- per edge: {', '.join(f'{k} {v}' for k, v in sorted(edges.items()))}",
        f"- FEFF10 CPU time: {sum(cpu) / 3600:.1f} h over {len(cpu)} timed sites; median "
        f"{sorted(cpu)[len(cpu) // 2] if cpu else float('nan'):.1f} s per site",
        f"- failed sites (timeout or FEFF error; retried by a later run): {len(failed)}",
        "",
        "Sites per absorbing element:",
        "",
        ", ".join(f"{el} {n}" for el, n in sorted(elements.items())),
        "",
    ]
    if failed:
        lines += ["Failures (FEFF's message, first line):", ""]
        lines += [f"- {message}" for _, message in sorted(failed.items())[:60]]
        lines.append("")
    readme.write_text("\n".join(lines))
    return readme


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--max-sites", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=20, help="sites between packs")
    parser.add_argument("--worker", default="0/1",
                        help="I/N: this process takes every N-th planned site from the I-th")
    parser.add_argument("--pack", action="store_true", help="only pack the finished sites")
    parser.add_argument("--summary", action="store_true", help="only rewrite the README")
    parser.add_argument("--source", choices=list(SOURCES), default="shared",
                        help="the shared FEFF6L structures or the generated diverse crystals")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    worker, n_workers = (int(v) for v in args.worker.split("/"))
    out, packed, readme = (SOURCES[args.source][k] for k in ("out", "packed", "readme"))
    if out.exists():
        stats = _read_stats(out)
    else:  # a fresh working tree: the timings come from the archive's index
        stats = {f"{r.pop('material_id')}/{r.pop('site')}": r for r in _read_pack(packed)[1]}
    if args.summary:
        print(f"wrote {summary(packed, readme, args.source)}")
        return 0
    if args.pack:
        print(f"packed into {pack(out, packed, stats=stats)}")
        return 0
    from sklearn_xas.exceptions import SkippedRecordsWarning
    from sklearn_xas.simulate import simulate_xanes_dataset

    structures, sites = source_structures(args.source)
    if not out.exists() and packed.exists():
        print(f"restored {restore(structures, out, packed)} sites from {packed.name}")
    order = spread_order(sites, structures)[: args.max_sites][worker::n_workers]
    done = {(x.parts[-4], x.parts[-2]) for x in finished_sites(out)}
    todo = [s for s in order if (s[0], f"{s[1]:03d}_{s[2]}") not in done]
    print(f"{len(order)} sites planned, {len(order) - len(todo)} done", flush=True)
    for start in range(0, len(todo), args.batch):
        batch = todo[start:start + args.batch]
        plan = defaultdict(list)
        for mid, index, _ in batch:
            plan[mid].append(index)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SkippedRecordsWarning)
            try:
                data = simulate_xanes_dataset({m: structures[m] for m in plan},
                                              sites=dict(plan), workdir=out,
                                              n_jobs=args.n_jobs, timeout=args.timeout)
            except Exception as exc:  # every site of the batch failed: listed, go on
                print(f"batch failed: {str(exc)[:300]}", flush=True)
                continue
        for row in data.frame.itertuples():
            key = f"{row.material_id}/{row.absorbing_index:03d}_{row.absorbing_element}"
            if not row.resumed:
                stats[key] = dict(feff_cpu_seconds=round(float(row.feff_cpu_seconds), 2),
                                  edge=row.edge, scf_retry=bool(row.scf_retry))
        _stats_path(out, worker=worker).write_text(json.dumps(stats))
        pack(out, packed, stats=stats)
        print(f"{start + len(batch)}/{len(todo)}: {len(data)} ok, {len(data.skipped)} failed, "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
    summary(packed, readme, args.source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
