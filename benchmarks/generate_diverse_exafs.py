"""Generate the diverse prototype EXAFS set in ``benchmarks/data/diverse-exafs/``.

Structures come from :func:`sklearn_xas.simulate.generate_structures` (deterministic
from ``--seed``), are relaxed with the pretrained CHGNet
(:func:`sklearn_xas.simulate.relax_structures`), and every symmetry-inequivalent site
is simulated with FEFF6L with its own sampled disorder
(:func:`sklearn_xas.simulate.sample_disorder`: correlated-Debye sigma^2 per path at a
sampled temperature, static sigma^2, S0^2, E0 shift).

Work is cut into shards of ``--shard-size`` structures, in the generator's order; each
finished shard is written atomically as ``shards/shard_NNNNN.npz`` (chi(k), float16)
plus ``shards/shard_NNNNN.json.gz`` (relaxed structures, per-spectrum parameters,
rejections, FEFF failures, timings). A rerun skips finished shards, so the run can be
stopped and resumed at any time (one process per spare core: ``--worker i/n`` takes
every n-th shard)::

    nice python benchmarks/generate_diverse_exafs.py --n-structures 8000 --worker 0/1
    python benchmarks/generate_diverse_exafs.py --summary   # rewrite README counts

``--elemental`` makes the supplement in ``benchmarks/data/elemental-exafs/`` instead:
every metal in the close-packed structures it does not take (``generate_structures(
polymorphs=True)``; 126 structures, a minute), since the main set holds each element's
own structure once against hundreds of intermetallics. ``--strained`` makes the one in
``benchmarks/data/strained-exafs/``: the main set's binary and elemental crystals with
their lattices scaled by :data:`STRAINS` (not relaxed again; ~0.3 s a site), since each
binary compound is there once per prototype. ``--covalent`` makes the one in
``benchmarks/data/covalent-exafs/``: the covalent elemental crystals of
:func:`sklearn_xas.simulate.covalent_element_structures` (Se, Te, As, Sb, Bi, P, I, and
hexagonal diamond C, Si, Ge, Sn) at their measured geometry, scaled by
:data:`COVALENT_STRAINS` (not relaxed), which the generator never makes.

:func:`load_diverse_exafs` reads the shards back as an
:class:`~sklearn_xas.datasets.XASDataset`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "data" / "diverse-exafs"
#: The supplement of ``--elemental``: every metal in the close-packed structures it
#: does not take (the main set has each element's own structure once).
ELEMENTAL_OUT = ROOT / "benchmarks" / "data" / "elemental-exafs"
#: The strained supplement of ``--strained``: the main set's binary and elemental
#: crystals (the prototypes outside :data:`NOT_STRAINED`), isotropically scaled.
STRAINED_OUT = ROOT / "benchmarks" / "data" / "strained-exafs"
#: Lattice scale factors of ``--strained`` (bond lengths change by the same factor).
STRAINS = (0.96, 1.04)
#: The covalent elemental supplement of ``--covalent``.
COVALENT_OUT = ROOT / "benchmarks" / "data" / "covalent-exafs"
#: Lattice scale factors of ``--covalent`` (1: the measured crystal).
COVALENT_STRAINS = (0.96, 0.98, 1.0, 1.02, 1.04)
#: Prototypes ``--strained`` leaves alone: they are most of the main set already.
NOT_STRAINED = frozenset({"l12", "b2", "alb2", "spinel", "perovskite"})
#: FEFF6L settings (the shared set's, but with sampled disorder per spectrum).
SETTINGS = dict(rmax=6.0, nleg=4, k_edge_max_z=56, symprec=0.1, timeout=120)
RELAX = dict(steps=60, fmax=0.1, max_volume_change=0.4)


def _structure_dict(s):
    """Compact, exact enough: lattice matrix and fractional coordinates to 1e-5."""
    return dict(lattice=np.round(s.lattice.matrix, 5).tolist(),
                species=[site.specie.symbol for site in s],
                frac=np.round(s.frac_coords, 5).tolist())


def _structure_from(d):
    from pymatgen.core import Lattice, Structure

    return Structure(Lattice(d["lattice"]), d["species"], d["frac"])


def _write_atomic(path, write):
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def run_shard(number, gens, seed, out, relax=True):
    """Relax (unless not ``relax``) and simulate one shard; write its two files."""
    from sklearn_xas.simulate import DEFAULT_K, relax_structures, sample_disorder
    from sklearn_xas.simulate._batch import _symmetry_groups
    from sklearn_xas.simulate._feff6 import _simulate, default_edge

    t0 = time.perf_counter()
    relaxed = (relax_structures([g.structure for g in gens], **RELAX) if relax else
               [dict(structure=g.structure, energy_per_atom=None, volume_ratio=None, steps=0,
                     rejected=None) for g in gens])
    t_relax = time.perf_counter() - t0
    records, chis, failures, materials = [], [], [], []
    for g, res in zip(gens, relaxed):
        entry = dict(material_id=g.material_id, prototype=g.prototype, rule=g.rule,
                     energy_per_atom=res["energy_per_atom"], volume_ratio=res["volume_ratio"],
                     relax_steps=res["steps"], rejected=res["rejected"])
        if getattr(g, "parent", None):
            entry.update(parent=g.parent, strain=g.strain)
        if res["rejected"]:
            materials.append(entry)
            continue
        s = res["structure"]
        entry["structure"] = _structure_dict(s)
        materials.append(entry)
        s = _structure_from(entry["structure"])  # simulate exactly what is stored
        for group in _symmetry_groups(s, SETTINGS["symprec"]):
            i = group[0]
            el = s[i].specie.symbol
            edge = default_edge(el, k_edge_max_z=SETTINGS["k_edge_max_z"])
            p = sample_disorder(f"{g.material_id}_{i:03d}", seed=seed)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    k, chi, feff_s = _simulate(
                        s, i, edge=edge, rmax=SETTINGS["rmax"], cluster_radius=None,
                        nleg=SETTINGS["nleg"], sigma2=p["sigma2"], s02=p["s02"], e0=p["e0"],
                        temperature=p["temperature"],
                        debye_temperature=p["debye_temperature"], k=DEFAULT_K,
                        k_edge_max_z=SETTINGS["k_edge_max_z"], workdir=None,
                        keep_files=False, timeout=SETTINGS["timeout"])
            except Exception as exc:  # FEFF's own failures: recorded, never dropped silently
                failures.append(dict(material_id=g.material_id, absorbing_index=i,
                                     element=el, edge=edge,
                                     error=f"{type(exc).__name__}: {exc}"[:500]))
                continue
            records.append(dict(material_id=g.material_id, absorbing_index=i,
                                absorbing_element=el, edge=edge, multiplicity=len(group),
                                feff_seconds=round(feff_s, 3), **p))
            chis.append(chi.astype(np.float32))
    t_total = time.perf_counter() - t0
    meta = dict(shard=number, seed=seed, materials=materials, records=records,
                failures=failures, relax_seconds=round(t_relax, 2),
                total_seconds=round(t_total, 2))
    chi_arr = np.vstack(chis) if chis else np.zeros((0, DEFAULT_K.size))
    stem = out / "shards" / f"shard_{number:05d}"
    _write_atomic(stem.with_suffix(".npz"), lambda p: np.savez_compressed(
        open(p, "wb"), wchi=(chi_arr * _weight(DEFAULT_K)).astype(np.float16)))
    _write_atomic(stem.with_suffix(".json.gz"),
                  lambda p: p.write_bytes(gzip.compress(json.dumps(meta).encode(), 9)))
    return len(records), len(failures), t_total


def _weight(k):
    """Stored as float16 ``max(k, 1)^2 chi(k)``, whose size barely changes with k
    (float16 keeps ~3 significant digits; chi itself falls by 10^3 over the grid)."""
    return np.maximum(k, 1.0) ** 2


def _shards(out):
    return sorted((out / "shards").glob("shard_*.json.gz"))


def load_diverse_exafs(folder=OUT, max_shards=None, elemental=ELEMENTAL_OUT):
    """The finished shards as an XASDataset (one EXAFS row per simulated site).

    Extra columns: ``prototype``, ``temperature``, ``debye_temperature``, ``sigma2``,
    ``s02``, ``e0`` (the sampled physics) and ``feff_seconds``. ``max_shards`` keeps
    the first shards only (the set as it was when a model was trained). The finished
    shards of the elemental supplement in ``elemental`` (``None``: not) come after.
    Rows of the strained supplement (``folder=STRAINED_OUT, elemental=None``) also have
    ``parent`` (the crystal they are a scaled copy of) and ``strain``.
    """
    from sklearn_xas.datasets import XASDataset
    from sklearn_xas.simulate import DEFAULT_K

    rows = []
    paths = _shards(Path(folder))[:max_shards]
    if elemental is not None and Path(elemental).is_dir():
        paths += _shards(Path(elemental))
    for meta_path in paths:
        meta = json.loads(gzip.decompress(meta_path.read_bytes()))
        wchi = np.load(meta_path.with_name(meta_path.name.replace(".json.gz", ".npz")))["wchi"]
        chi = wchi.astype(np.float64) / _weight(DEFAULT_K)
        structures = {m["material_id"]: m for m in meta["materials"] if "structure" in m}
        built = {}
        for rec, y in zip(meta["records"], chi):
            mid = rec["material_id"]
            if mid not in built:
                built[mid] = _structure_from(structures[mid]["structure"])
            rows.append(dict(rec, spectrum_type="EXAFS", structure=built[mid],
                             x=DEFAULT_K.copy(), y=y,
                             prototype=structures[mid]["prototype"], source=meta_path.name,
                             **{k: structures[mid][k] for k in ("parent", "strain")
                                if k in structures[mid]}))
    return XASDataset.from_records(rows)


def strained_structures(folder=OUT, strains=STRAINS):
    """``--strained``'s plan: each relaxed binary or elemental crystal of the main set
    (prototypes outside :data:`NOT_STRAINED`) scaled by each factor of ``strains``,
    as ``material_id`` ``"<parent>@<factor>"`` with ``parent`` and ``strain``."""
    plan = []
    for meta_path in _shards(Path(folder)):
        meta = json.loads(gzip.decompress(meta_path.read_bytes()))
        for m in meta["materials"]:
            if "structure" not in m or m["prototype"] in NOT_STRAINED:
                continue
            plan += [_scaled(_structure_from(m["structure"]), f, m["material_id"],
                             m["prototype"], m["rule"]) for f in strains]
    return plan


def _scaled(structure, factor, parent, prototype, rule):
    """One planned structure: ``structure`` (changed in place) with its lattice scaled
    by ``factor``, as ``"<parent>@<factor>"`` recording ``parent`` and ``strain``."""
    from types import SimpleNamespace

    structure.scale_lattice(structure.volume * factor**3)
    return SimpleNamespace(material_id=f"{parent}@{factor:.2f}", prototype=prototype,
                           rule=rule, structure=structure, parent=parent, strain=factor)


def covalent_structures(strains=COVALENT_STRAINS):
    """``--covalent``'s plan: each crystal of
    :func:`~sklearn_xas.simulate.covalent_element_structures` scaled by each factor of
    ``strains``, as ``material_id`` ``"<id>@<factor>"`` with ``parent`` and ``strain``."""
    from sklearn_xas.simulate import covalent_element_structures

    return [_scaled(p.structure.copy(), f, p.material_id, p.prototype,
                    f"{p.prototype} {p.material_id.split('-')[-1]} (covalent element)")
            for p in covalent_element_structures() for f in strains]


def summary(out=OUT):
    """Counts, failures and timings of the finished shards (a dict)."""
    n_mat = n_rej = 0
    absorbers, neighbours, protos, rejections = Counter(), Counter(), Counter(), Counter()
    failures, feff_s, total_s, edges = [], 0.0, 0.0, Counter()
    from sklearn_xas.targets import neighbor_types

    for meta_path in _shards(out):
        meta = json.loads(gzip.decompress(meta_path.read_bytes()))
        total_s += meta["total_seconds"]
        mats = {m["material_id"]: m for m in meta["materials"]}
        for m in meta["materials"]:
            n_mat += 1
            if m["rejected"]:
                n_rej += 1
                rejections[m["rejected"].split(" ")[0]] += 1
        built = {}
        for r in meta["records"]:
            absorbers[r["absorbing_element"]] += 1
            edges[r["edge"]] += 1
            protos[mats[r["material_id"]]["prototype"]] += 1
            feff_s += r["feff_seconds"]
            mid = r["material_id"]
            if mid not in built:
                built[mid] = _structure_from(mats[mid]["structure"])
            for el in neighbor_types(built[mid], r["absorbing_index"], method="cutoff"):
                neighbours[el] += 1
        failures += meta["failures"]
    n_sites = sum(absorbers.values())
    return dict(shards=len(_shards(out)), materials=n_mat, rejected=n_rej,
                rejections=dict(rejections), sites=n_sites, absorbers=dict(absorbers),
                neighbours=dict(neighbours), prototypes=dict(protos), edges=dict(edges),
                failures=len(failures), failure_examples=[f["error"][:160] for f in failures[:5]],
                feff_cpu_hours=round(feff_s / 3600, 2), total_cpu_hours=round(total_s / 3600, 2))


README_HEAD = """# Diverse prototype EXAFS set (generated by this project)

FEFF6L chi(k) of every symmetry-inequivalent site of prototype crystals across the
periodic table, made by `benchmarks/generate_diverse_exafs.py` with the project's own
code (no shared data is in here): structures from
`sklearn_xas.simulate.generate_structures(n, seed={seed})` (textbook prototypes with
charge-balanced element choices, spread so every element gets structures first),
relaxed with the pretrained CHGNet in its wheel (`relax_structures`, {relax}), then
FEFF6L through xraylarch ({settings}) with per-spectrum disorder from
`sample_disorder` (temperature 10-600 K and Debye temperature 150-700 K for the
correlated-Debye sigma^2 of each path, plus a static sigma^2 of 0-0.006 A^2, S0^2
0.7-1.0, E0 shift -4 to 4 eV; the values are stored per spectrum).

Files: `shards/shard_NNNNN.npz` holds `wchi`, float16 `max(k, 1)^2 chi(k)` on k = 0,
0.05, ..., 16 1/A (divide by the weight to get chi); `shards/shard_NNNNN.json.gz` holds
the relaxed structures (lattice matrix and fractional coordinates, 1e-5), each
spectrum's site, element, edge, multiplicity and sampled physics, rejected structures
with the reason, FEFF failures with FEFF's message, and timings. Read it all with
`load_diverse_exafs()` from the script (an `XASDataset`), which also reads the
elemental supplement of `../elemental-exafs/` (every metal in the close-packed
structures it does not take; `--elemental`). Generation is resumable (finished shards
are skipped) and deterministic up to CHGNet/FEFF versions.
"""


ELEMENTAL_HEAD = """# Elemental supplement of the diverse EXAFS set (generated by this project)

The main set (`../diverse-exafs/`) holds each element's own elemental structure once,
against hundreds of B2, L1_2 and AlB2 intermetallics, so "an atom among its own kind"
(metal foils) was rare. This supplement is every metal in the close-packed structures
(fcc, bcc, hcp) it does not take: `generate_diverse_exafs.py --elemental`, structures
`generate_structures(10**5, seed={seed}, polymorphs=True, prototypes=ELEMENT_POLYMORPHS)`
whose rule says "polymorph", relaxed with CHGNet ({relax}) and simulated with FEFF6L
({settings}) and sampled disorder exactly as the main set (see its README).
`load_diverse_exafs()` reads these shards after the main set's. Same file layout.
"""


STRAINED_HEAD = """# Strained supplement of the diverse EXAFS set (generated by this project)

The main set (`../diverse-exafs/`) holds each binary compound once per prototype
(ZnSe: 5 structures in all, so 5 Se sites with Zn neighbours), against thousands of
intermetallic, spinel and perovskite sites. This supplement is every relaxed binary and
elemental crystal of the main set (all prototypes but {not_strained}) with its lattice
scaled by {strains} (bond lengths change by the same factor, within what real compounds
and CHGNet's relaxation spread over), not relaxed again, simulated with FEFF6L
({settings}) and disorder sampled afresh (`sample_disorder` keyed by the new material
id, `"<parent>@<factor>"`): `generate_diverse_exafs.py --strained`. Each material entry
records `parent` and `strain`. `train_pretrained.py --strained` adds the copies of
training materials only (a held-out material's copies stay out), after the split by
material, so held-out figures stay comparable. Same file layout as the main set.
"""


COVALENT_HEAD = """# Covalent elemental supplement of the diverse EXAFS set (made by this project)

The generator gives elements close-packed or diamond structures only, so an atom with
one to three covalent bonds to its own kind (elemental Se, Te, As, Sb, Bi, P, I) never
occurs in the main set (`../diverse-exafs/`), and C, Si, Ge and Sn have one structure
each (diamond). This supplement is `sklearn_xas.simulate.covalent_element_structures()`
(trigonal Se and Te, A7 As, Sb and Bi, black P, solid I2 and hexagonal diamond C, Si,
Ge, Sn at their measured geometry, `COVALENT_ELEMENTS`: J. Donohue, *The Structures of
the Elements*, 1974) with the lattice scaled by {covalent_strains} (not relaxed),
simulated with FEFF6L ({settings}) and disorder sampled as in the main set
(`sample_disorder` keyed by the material id, `"<crystal>@<factor>"`):
`generate_diverse_exafs.py --covalent`. Each material entry records `parent` and
`strain`. `train_pretrained.py --covalent` adds it to training only, after the split
by material, so held-out figures stay comparable. Same file layout as the main set.
"""


def write_readme(out=OUT, seed=0):
    """Write ``README.md`` with the counts of the finished shards."""
    s = summary(out)
    head = {ELEMENTAL_OUT.resolve(): ELEMENTAL_HEAD,
            STRAINED_OUT.resolve(): STRAINED_HEAD,
            COVALENT_OUT.resolve(): COVALENT_HEAD}.get(Path(out).resolve(), README_HEAD)
    lines = [head.format(seed=seed, relax=", ".join(f"{k}={v}" for k, v in RELAX.items()),
                         settings=", ".join(f"{k}={v}" for k, v in SETTINGS.items()),
                         strains=" and ".join(map(str, STRAINS)),
                         covalent_strains=", ".join(map(str, COVALENT_STRAINS)),
                         not_strained=", ".join(sorted(NOT_STRAINED))),
             "## Counts (finished shards)", "",
             f"- shards: {s['shards']}; structures tried: {s['materials']}, rejected after "
             f"relaxation: {s['rejected']} ({s['rejections']})",
             f"- site spectra: {s['sites']} (edges: {s['edges']}); absorbing elements: "
             f"{len(s['absorbers'])}; first-shell neighbour elements: {len(s['neighbours'])}"
             f" ({sum(v >= 30 for v in s['neighbours'].values())} with >= 30 sites)",
             f"- FEFF6L failures: {s['failures']} sites (e.g. {s['failure_examples'][:1]})",
             f"- CPU time: {s['total_cpu_hours']} h in all, of which FEFF6L "
             f"{s['feff_cpu_hours']} h (the rest: path sums and, but for the strained "
             "and covalent supplements, CHGNet relaxation)", "",
             "Sites per prototype: " + ", ".join(f"{k} {v}" for k, v in
                                                 sorted(s["prototypes"].items())), "",
             "Sites per absorbing element: " + ", ".join(
                 f"{k} {v}" for k, v in sorted(s["absorbers"].items())), "",
             "Sites per first-shell neighbour element (cutoff rule): " + ", ".join(
                 f"{k} {v}" for k, v in sorted(s["neighbours"].items())), ""]
    (out / "README.md").write_text("\n".join(lines))
    return s


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-structures", type=int, default=8000)
    parser.add_argument("--shard-size", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--worker", default="0/1", help="i/n: take every n-th shard from i")
    parser.add_argument("--max-shards", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None,
                        help=f"default: {OUT.relative_to(ROOT)}, or with --elemental "
                             f"{ELEMENTAL_OUT.relative_to(ROOT)}")
    parser.add_argument("--elemental", action="store_true",
                        help="generate the elemental supplement instead: every metal in the "
                             "close-packed structures (fcc, bcc, hcp) it does not take")
    parser.add_argument("--strained", action="store_true",
                        help="generate the strained supplement instead: the main set's "
                             "binary and elemental crystals with their lattices scaled by "
                             f"{' and '.join(map(str, STRAINS))} (no relaxation)")
    parser.add_argument("--covalent", action="store_true",
                        help="generate the covalent elemental supplement instead (Se, Te, "
                             "As, Sb, Bi, P, I, hexagonal diamond C, Si, Ge, Sn; measured "
                             "geometry, scaled, no relaxation)")
    parser.add_argument("--summary", action="store_true",
                        help="write README.md with the counts, print them and exit")
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = (ELEMENTAL_OUT if args.elemental else STRAINED_OUT if args.strained
                    else COVALENT_OUT if args.covalent else OUT)
    if args.summary:
        print(json.dumps(write_readme(args.out, args.seed), indent=1))
        return 0

    import torch

    torch.set_num_threads(1)  # one process per core
    from sklearn_xas.simulate import generate_structures

    (args.out / "shards").mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if args.strained:
        gens = strained_structures()
    elif args.covalent:
        gens = covalent_structures()
    elif args.elemental:
        from sklearn_xas.simulate import ELEMENT_POLYMORPHS

        gens = [g for g in generate_structures(10**5, seed=args.seed, polymorphs=True,
                                               prototypes=ELEMENT_POLYMORPHS)
                if "polymorph" in g.rule]
    else:
        gens = generate_structures(args.n_structures, seed=args.seed)
    print(f"{len(gens)} structures planned in {time.perf_counter() - t0:.0f} s", flush=True)
    i, n = (int(v) for v in args.worker.split("/"))
    todo = [s for s in range(0, -(-len(gens) // args.shard_size)) if s % n == i]
    done = 0
    for number in todo:
        if (args.out / "shards" / f"shard_{number:05d}.json.gz").exists():
            continue
        chunk = gens[number * args.shard_size:(number + 1) * args.shard_size]
        n_ok, n_fail, secs = run_shard(number, chunk, args.seed, args.out,
                                       relax=not (args.strained or args.covalent))
        print(f"shard {number}: {n_ok} spectra, {n_fail} FEFF failures, {secs:.0f} s",
              flush=True)
        done += 1
        if args.max_shards and done >= args.max_shards:
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
