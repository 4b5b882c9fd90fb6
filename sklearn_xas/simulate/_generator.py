"""Diverse prototype crystals across the periodic table, for training data.

:func:`generate_structures` decorates textbook structure types with element choices
that balance charge (oxidation states from pymatgen's tables) and spreads them so
that every element gets structures before any element gets many;
:func:`relax_structures` relaxes their lattice with the pretrained CHGNet that ships
in its wheel and rejects those that behave badly; :func:`sample_disorder` draws the
per-spectrum physics (temperature, Debye temperature, static disorder, S0^2, E0
shift) that :func:`~sklearn_xas.simulate.simulate_exafs` turns into per-path
Debye-Waller factors.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import warnings
from dataclasses import dataclass

import numpy as np

from ._prototypes import (
    ANIONS,
    ELEMENTAL,
    EXCLUDED,
    _atomic_radius,
    _metallic_radius,
    _ox_states,
    build_prototype,
    shannon_radius,
)

#: Anion charges of the generator: the bundled set's anions plus hydride, carbide (C4-)
#: and the heavier pnictogen/chalcogen anions it already has.
GENERATOR_ANIONS = {**ANIONS, "H": -1, "C": -4}

#: Noble gases form no compounds in these prototypes.
NOBLE_GASES = frozenset({"He", "Ne", "Ar", "Kr", "Xe", "Rn"})

#: Ionic binaries: (prototype, cation charge, anions, cation CN, anion CN, cation/anion
#: radius-ratio window, formula pattern). Counts follow charge balance.
IONIC_RULES = [
    ("rocksalt", 1, ("H", "F", "Cl", "Br", "I"), "VI", "VI", (0.3, 1.0), "AX"),
    ("rocksalt", 2, ("O", "S", "Se", "Te"), "VI", "VI", (0.3, 1.0), "AX"),
    ("rocksalt", 3, ("N", "P", "As", "Sb"), "VI", "VI", (0.2, 1.0), "AX"),
    ("rocksalt", 4, ("C",), "VI", "VI", (0.0, 2.0), "AX"),
    ("cscl", 1, ("Cl", "Br", "I"), "VIII", "VIII", (0.7, 1.4), "AX"),
    ("nias", 2, ("S", "Se", "Te"), "VI", "VI", (0.25, 0.8), "AX"),
    ("nias", 3, ("P", "As", "Sb"), "VI", "VI", (0.2, 0.8), "AX"),
    ("zincblende", 1, ("Cl", "Br", "I"), "IV", "IV", (0.0, 0.6), "AX"),
    ("zincblende", 2, ("O", "S", "Se", "Te"), "IV", "IV", (0.0, 0.6), "AX"),
    ("zincblende", 3, ("N", "P", "As", "Sb"), "IV", "IV", (0.0, 0.6), "AX"),
    ("wurtzite", 2, ("O", "S", "Se"), "IV", "IV", (0.0, 0.6), "AX"),
    ("wurtzite", 3, ("N",), "IV", "IV", (0.0, 0.6), "AX"),
    ("fluorite", 2, ("F", "Cl", "H"), "VIII", "IV", (0.6, 1.3), "AX2"),
    ("fluorite", 4, ("O",), "VIII", "IV", (0.6, 1.3), "AX2"),
    ("antifluorite", 1, ("O", "S", "Se", "Te"), "IV", "VIII", (0.0, 0.8), "A2X"),
    ("cuprite", 1, ("O", "S"), "II", "IV", (0.0, 0.6), "A2X"),
    ("rutile", 2, ("F", "H"), "VI", "III", (0.35, 0.8), "AX2"),
    ("rutile", 4, ("O",), "VI", "III", (0.35, 0.8), "AX2"),
    ("cdi2", 2, ("Cl", "Br", "I"), "VI", "III", (0.2, 0.75), "AX2"),
    ("cdi2", 4, ("S", "Se", "Te"), "VI", "III", (0.2, 0.75), "AX2"),
    ("pyrite", 2, ("S", "Se"), "VI", "IV", (0.2, 0.7), "AX2"),
    ("corundum", 3, ("O",), "VI", "IV", (0.35, 0.8), "A2X3"),
]

#: Ternaries: (prototype, A charge, B charge, anion, A CN, B CN).
TERNARY_RULES = [
    ("perovskite", 2, 4, "O", "XII", "VI"),
    ("perovskite", 3, 3, "O", "XII", "VI"),
    ("perovskite", 1, 5, "O", "XII", "VI"),
    ("perovskite", 1, 2, "F", "XII", "VI"),
    ("perovskite", 1, 2, "Cl", "XII", "VI"),
    ("spinel", 2, 3, "O", "IV", "VI"),
    ("spinel", 2, 3, "S", "IV", "VI"),
]

#: Metal-metal prototypes: (prototype, formula pattern).
#: ``b2`` is the CsCl structure with two metals.
INTERMETALLIC_RULES = [("b2", "AB"), ("l12", "A3B"), ("alb2", "AB2")]

#: Elemental structure of a metal the bundled set's table (``ELEMENTAL``) does not
#: list: fcc, a model structure (the generator trains models, it does not tabulate
#: ground states).
DEFAULT_ELEMENT_PROTOTYPE = "fcc"


@dataclass
class GeneratedStructure:
    """One structure of the generator.

    Attributes
    ----------
    material_id : str
        ``"gen-<prototype>-<formula>"``.
    prototype : str
    species : tuple of str
        Elements in the prototype's site order.
    structure : pymatgen.core.Structure
        Primitive cell, sized from tabulated radii (before relaxation).
    rule : str
        The rule that chose the elements (for provenance).

    Examples
    --------
    >>> from sklearn_xas.simulate import generate_structures
    >>> g = generate_structures(1, elements=["Zn", "S"])[0]
    >>> g.material_id, g.prototype, g.species, len(g.structure)
    ('gen-wurtzite-ZnS', 'wurtzite', ('Zn', 'S'), 4)
    """

    material_id: str
    prototype: str
    species: tuple
    structure: object
    rule: str


def _elements(max_z):
    from pymatgen.core import Element

    out = []
    for z in range(1, max_z + 1):
        el = Element.from_Z(z).symbol
        if el not in NOBLE_GASES:
            out.append(el)
    return out


def _x(el):
    from pymatgen.core import Element

    x = Element(el).X
    return float(x) if x == x else np.nan


def _ionic_radius(el, charge, cn):
    """Shannon radius at ``cn``, else at the nearest tabulated CN, else None."""
    r = shannon_radius(el, charge, cn)
    if r is not None:
        return r
    from pymatgen.core import Element

    table = Element(el).data.get("Shannon radii", {}).get(str(charge))
    if not table:
        return None
    order = ["VI", "IV", "VIII", "V", "VII", "IX", "III", "XII", "II"]
    for c in order:
        if c in table:
            return shannon_radius(el, charge, c)
    return None


#: The elemental structures of ``generate_structures(polymorphs=True)``.
ELEMENT_POLYMORPHS = ("fcc", "bcc", "hcp")


def _candidates(max_z, include_radioactive, polymorphs=False):
    """Every (prototype, species, bonds, rule) the rules allow."""
    elements = [e for e in _elements(max_z) if include_radioactive or e not in EXCLUDED]
    cations = [e for e in elements if e not in GENERATOR_ANIONS or e in ("Sb", "As", "P")]
    cands = []
    for name, charge, anions, cn_c, cn_a, (lo, hi), _pattern in IONIC_RULES:
        for an in anions:
            r_a = _ionic_radius(an, GENERATOR_ANIONS[an], cn_a)
            for cat in cations:
                if cat == an or charge not in _ox_states(cat):
                    continue
                dx = _x(an) - _x(cat)
                if not dx > 0.2:
                    continue
                r_c = _ionic_radius(cat, charge, cn_c)
                covalent = name in ("zincblende", "wurtzite", "cuprite", "pyrite")
                if r_c is not None and r_a is not None:
                    if not lo <= r_c / r_a <= hi:
                        continue
                    d = r_c + r_a
                else:
                    covalent = True
                if covalent or name == "rocksalt" and an == "C":
                    ra, rb = _atomic_radius(cat), _atomic_radius(an)
                    if ra is None or rb is None:
                        continue
                    d = ra + rb
                cands.append((name, (cat, an), [(cat, an, d)], f"{name} {cat}{charge:+d} {an}"))
    for name, ca, cb, an, cn_a, cn_b in TERNARY_RULES:
        r_x = _ionic_radius(an, GENERATOR_ANIONS[an], "VI")
        for a in cations:
            if ca not in _ox_states(a) or _x(a) >= _x(an):
                continue
            r_a = _ionic_radius(a, ca, cn_a)
            if r_a is None:
                continue
            for b in cations:
                if b == a or cb not in _ox_states(b) or _x(b) >= _x(an):
                    continue
                r_b = _ionic_radius(b, cb, cn_b)
                if r_b is None or not 0.25 <= r_b / r_x <= 0.8:
                    continue
                if name == "perovskite":
                    t = (r_a + r_x) / (np.sqrt(2) * (r_b + r_x))
                    if not 0.85 <= t <= 1.08:
                        continue
                elif not 0.15 <= r_a / r_x <= 0.65:
                    continue
                bonds = [(a, an, r_a + r_x), (b, an, r_b + r_x)]
                cands.append((name, (a, b, an), bonds, f"{name} {a}{ca:+d} {b}{cb:+d} {an}"))
    metals = [e for e in elements if _metallic_radius(e) is not None and e not in GENERATOR_ANIONS]
    for name, pattern in INTERMETALLIC_RULES:
        for i, a in enumerate(metals):
            for b in metals[i + 1:] if pattern == "AB" else metals:
                if a == b:
                    continue
                ra, rb = _metallic_radius(a), _metallic_radius(b)
                if name == "alb2":  # a boride-like AB2 with a small, electronegative B
                    if b not in ("B", "Be", "Al", "Ga", "Si") or _x(a) >= _x(b):
                        continue
                    rb = _atomic_radius(b) or rb
                cands.append((name, (a, b), [(a, b, ra + rb)], f"{name} {a} {b}"))
    known = {el: name for name, els in ELEMENTAL.items() for el in els}
    for el in elements:
        own = known.get(el, DEFAULT_ELEMENT_PROTOTYPE)
        names = [own]
        if polymorphs and _metallic_radius(el) is not None and el not in GENERATOR_ANIONS:
            names += [n for n in ELEMENT_POLYMORPHS if n != own]
        for name in names:
            r = _atomic_radius(el) if name == "diamond" else _metallic_radius(el)
            if r is None or (el in GENERATOR_ANIONS and el not in known):
                continue
            d = 2 * r * (0.97 if name == "bcc" else 1.0)
            rule = f"{name} {el}" + ("" if name == own else f" (polymorph; own: {own})")
            cands.append((name, (el,), [(el, el, d)], rule))
    return cands


#: Share of each family of prototypes among structures of equal coverage.
CLASS_WEIGHTS = {"ionic": 4.0, "ternary": 2.0, "intermetallic": 2.0, "element": 1.0}
#: Coverage is compared in bands of this many structures per element, so that the
#: families take turns within a band.
COVERAGE_BAND = 3


def _class_of(name):
    if name in ("fcc", "bcc", "hcp", "diamond"):
        return "element"
    if name in ("perovskite", "spinel"):
        return "ternary"
    if name in ("b2", "l12", "alb2"):
        return "intermetallic"
    return "ionic"


def _formula(name, species):
    counts = {"A2X": (2, 1), "A2X3": (2, 3), "AX2": (1, 2), "A3B": (3, 1), "AB2": (1, 2)}
    pattern = {"fluorite": "AX2", "rutile": "AX2", "cdi2": "AX2", "pyrite": "AX2",
               "antifluorite": "A2X", "cuprite": "A2X", "corundum": "A2X3", "l12": "A3B",
               "alb2": "AB2", "perovskite": None, "spinel": None}.get(name, "AX")
    if name == "perovskite":
        return f"{species[0]}{species[1]}{species[2]}3"
    if name == "spinel":
        return f"{species[0]}{species[1]}2{species[2]}4"
    if len(species) == 1:
        return species[0]
    na, nx = counts.get(pattern, (1, 1))
    return "".join(f"{el}{n if n > 1 else ''}" for el, n in zip(species, (na, nx)))


def generate_structures(n_structures, *, seed=0, max_z=94, include_radioactive=True,
                        elements=None, prototypes=None, polymorphs=False):
    """Prototype crystals spread over the periodic table, deterministic from a seed.

    Candidates come from textbook structure types: one elemental cell per element
    (its own fcc, bcc, hcp or diamond structure where the bundled set's table lists
    one, fcc otherwise); ionic binaries (rock salt, CsCl, NiAs, zinc blende, wurtzite, fluorite,
    antifluorite, cuprite, rutile, CdI2, pyrite, corundum) whose cation takes the
    rule's charge among pymatgen's ICSD or common oxidation states, balanced by the
    anions' charges (H-, C4-, N3-, O2-, F-, ...), with a cation/anion Shannon radius
    ratio in the rule's window and an electronegativity difference above 0.2;
    ternaries (perovskite oxides and halides with a Goldschmidt tolerance factor of
    0.85-1.08, oxide and thio spinels); and metal-metal B2 (CsCl), L1_2 (Cu3Au) and
    AlB2-type cells. Each is sized so its bonds match sums of tabulated radii (Shannon
    ionic; Slater atomic for tetrahedral and carbide cells; metallic for metals), to
    be relaxed by :func:`relax_structures`. Chosen greedily: each pick is the
    candidate whose least-represented element has the fewest structures so far
    (compared in bands of :data:`COVERAGE_BAND`, within which the families of
    prototypes take turns by :data:`CLASS_WEIGHTS`; remaining ties broken by a seeded
    random order), so every element gets structures before any element gets many.

    Parameters
    ----------
    n_structures : int
        How many structures (fewer if the rules allow fewer).
    seed : int, default=0
        Seed of the tie-breaking order.
    max_z : int, default=94
        Heaviest element.
    include_radioactive : bool, default=True
        Keep Tc, Pm, Po, At, Fr, Ra, Ac, Pa, Np, Pu (measured at beamlines too).
    elements : iterable of str, optional
        Keep only structures made of these elements.
    prototypes : iterable of str, optional
        Keep only these structure types (``"fcc"``, ``"rocksalt"``, ...).
    polymorphs : bool, default=False
        Also offer every metal in the close-packed structures it does not take
        (:data:`ELEMENT_POLYMORPHS`: fcc, bcc, hcp), so that "an atom among its own
        kind" is seen in more than one packing per element. ``False`` gives the
        documented default candidate list (one elemental cell per element).

    Returns
    -------
    structures : list of GeneratedStructure
        In the order chosen (a prefix of a longer run is the shorter run).

    Examples
    --------
    >>> from sklearn_xas.simulate import generate_structures
    >>> gen = generate_structures(3, elements=["Na", "Cl", "Zn", "S"])
    >>> sorted(g.material_id for g in gen)
    ['gen-b2-NaZn', 'gen-bcc-Na', 'gen-nias-ZnS']
    """
    cands = _candidates(int(max_z), include_radioactive, polymorphs)
    if elements is not None:
        allowed = set(elements)
        cands = [c for c in cands if set(c[1]) <= allowed]
    if prototypes is not None:
        kinds = set(prototypes)
        cands = [c for c in cands if c[0] in kinds]
    rng = np.random.default_rng(seed)
    remaining = [cands[i] for i in rng.permutation(len(cands))]
    counts, per_class = {}, dict.fromkeys(CLASS_WEIGHTS, 0)
    chosen, seen = [], set()

    def key(c):
        n = [counts.get(el, 0) for el in c[1]]
        cls = _class_of(c[0])
        return (min(n) // COVERAGE_BAND, per_class[cls] / CLASS_WEIGHTS[cls], sum(n))

    while remaining and len(chosen) < n_structures:
        name, species, bonds, rule = remaining.pop(min(range(len(remaining)),
                                                       key=lambda i: key(remaining[i])))
        mid = f"gen-{name}-{_formula(name, species)}"
        if mid in seen:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                structure, _ = build_prototype("cscl" if name == "b2" else name,
                                               list(species), bonds)
        except ValueError:
            continue
        seen.add(mid)
        for el in set(species):
            counts[el] = counts.get(el, 0) + 1
        per_class[_class_of(name)] += 1
        chosen.append(GeneratedStructure(mid, name, tuple(species), structure, rule))
    return chosen


def relax_structures(structures, *, steps=60, fmax=0.1, max_volume_change=0.4,
                     model=None):
    """Relax lattice and positions with the pretrained CHGNet; reject what misbehaves.

    Parameters
    ----------
    structures : list of pymatgen.core.Structure
        The structures to relax, each on its own.
    steps : int, default=60
        Most FIRE steps per structure (bounded cost).
    fmax : float, default=0.1
        Force convergence (eV/Angstrom).
    max_volume_change : float, default=0.4
        Reject a structure whose relaxed volume differs from the start by more than
        this fraction (the starting cell is already sized from tabulated radii).
    model : chgnet.model.CHGNet, optional
        A loaded model (default: the pretrained one in CHGNet's wheel).

    Returns
    -------
    results : list of dict
        One per structure: ``structure`` (relaxed, or ``None`` when rejected),
        ``energy_per_atom`` (eV), ``volume_ratio``, ``steps`` and ``rejected`` (the
        reason, or ``None``). Rejected: non-finite or positive energy, a volume change
        beyond ``max_volume_change``, two atoms closer than 0.7 Angstrom, or a largest
        residual force above ``10 * fmax`` at the end.

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.simulate import relax_structures
    >>> nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"],
    ...                                  [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> [res] = relax_structures([nacl.get_primitive_structure()])
    >>> res["rejected"] is None, 0.9 < res["volume_ratio"] < 1.15
    (True, True)
    """
    from chgnet.model import CHGNet, StructOptimizer  # torch: imported when used

    with contextlib.redirect_stdout(io.StringIO()):  # CHGNet prints its set-up
        if model is None:
            model = CHGNet.load(verbose=False)
        opt = StructOptimizer(model=model, use_device="cpu")
    out = []
    for s in structures:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                res = opt.relax(s, fmax=fmax, steps=steps, relax_cell=True, verbose=False)
            except Exception as exc:  # CHGNet graph construction fails on odd cells
                out.append(dict(structure=None, energy_per_atom=np.nan, volume_ratio=np.nan,
                                steps=0, rejected=f"CHGNet failed: {type(exc).__name__}: {exc}"))
                continue
        final = res["final_structure"]
        traj = res["trajectory"]
        e = float(traj.energies[-1]) / len(final)
        forces = np.asarray(traj.forces[-1]) if len(traj.forces) else np.zeros((1, 3))
        fmax_end = float(np.max(np.linalg.norm(forces, axis=1)))
        ratio = float(final.volume / s.volume)
        dmin = _min_distance(final)
        why = None
        if not np.isfinite(e) or e > 0:
            why = f"energy {e:.3g} eV/atom"
        elif abs(ratio - 1) > max_volume_change:
            why = f"volume changed by a factor {ratio:.2f}"
        elif dmin < 0.7:
            why = f"two atoms {dmin:.2f} A apart"
        elif fmax_end > 10 * fmax:
            why = f"largest force {fmax_end:.2f} eV/A after {len(traj.energies)} steps"
        out.append(dict(structure=None if why else final, energy_per_atom=e,
                        volume_ratio=ratio, steps=len(traj.energies), rejected=why))
    return out


def _min_distance(structure):
    if len(structure) == 1:
        return float(min(structure.lattice.abc))
    dm = structure.distance_matrix
    return float(np.min(dm[np.triu_indices(len(structure), 1)]))


#: Ranges of :func:`sample_disorder` (documented there).
DISORDER_RANGES = dict(temperature=(10.0, 600.0), debye_temperature=(150.0, 700.0),
                       sigma2_static=(0.0, 0.006), s02=(0.7, 1.0), e0=(-4.0, 4.0))


def sample_disorder(key, *, seed=0, ranges=None):
    """Draw one spectrum's physics, deterministic from a key and a seed.

    Temperature uniform in 10-600 K, Debye temperature log-uniform in 150-700 K (the
    correlated Debye model gives each path its own thermal sigma^2 from these and the
    path's geometry and masses), a static sigma^2 added to every path uniform in
    0-0.006 A^2, S0^2 uniform in 0.7-1.0 and an E0 shift uniform in -4 to 4 eV:
    what measured standards show.

    Parameters
    ----------
    key : str
        Identifies the spectrum (e.g. ``"<material_id>_<index>"``).
    seed : int, default=0
        Hashed with ``key``: another seed draws another, equally reproducible, sample.
    ranges : dict, optional
        Overrides entries of :data:`DISORDER_RANGES`.

    Returns
    -------
    params : dict
        ``temperature``, ``debye_temperature``, ``sigma2`` (static), ``s02``, ``e0``.

    Examples
    --------
    >>> from sklearn_xas.simulate import sample_disorder
    >>> p = sample_disorder("gen-fcc-Cu_000")
    >>> p == sample_disorder("gen-fcc-Cu_000"), 0.7 <= p["s02"] <= 1.0
    (True, True)
    """
    r = {**DISORDER_RANGES, **(ranges or {})}
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    lo, hi = r["debye_temperature"]
    return dict(
        temperature=float(rng.uniform(*r["temperature"])),
        debye_temperature=float(np.exp(rng.uniform(np.log(lo), np.log(hi)))),
        sigma2=float(rng.uniform(*r["sigma2_static"])),
        s02=float(rng.uniform(*r["s02"])),
        e0=float(rng.uniform(*r["e0"])),
    )
