"""Prototype crystals across the periodic table, sized from tabulated radii.

These are the structures of the bundled data set
(:func:`sklearn_xas.datasets.load_prototype_exafs`): textbook structure types
decorated with element pairings chosen by oxidation state, electronegativity and the
radius ratio, each scaled so its bonds match sums of tabulated radii. They are model
structures (not relaxed, not all known compounds), meant for demonstrations and tests
of machine-learning code across many absorbing elements.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass, field

import numpy as np

#: Anions of the ionic prototypes with their charge.
ANIONS = {"O": -2, "S": -2, "Se": -2, "Te": -2, "F": -1, "Cl": -1, "Br": -1, "I": -1,
          "N": -3, "P": -3, "As": -3, "Sb": -3}

#: Elements and their observed simple structure (at ambient conditions where one exists).
ELEMENTAL = {
    "bcc": ["Li", "Na", "K", "Rb", "Cs", "Ba", "V", "Cr", "Fe", "Nb", "Mo", "Ta", "W", "Eu"],
    "fcc": ["Al", "Ca", "Sr", "Ni", "Cu", "Rh", "Pd", "Ag", "Ir", "Pt", "Au", "Pb", "Ce", "Yb",
            "Th"],
    "hcp": ["Be", "Mg", "Sc", "Ti", "Co", "Zn", "Y", "Zr", "Ru", "Cd", "Hf", "Re", "Os", "Gd",
            "Tb", "Dy", "Ho", "Er", "Tm", "Lu", "Tl"],
    "diamond": ["C", "Si", "Ge", "Sn"],
}

#: Elements left out: no stable isotope (Th and U are kept).
EXCLUDED = frozenset({"Tc", "Pm", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Pa", "Np", "Pu"})

#: Cation-anion prototypes: (name, formula pattern, cation charge, anions, cation CN,
#: anion CN, radius-ratio window). Radius ratio = Shannon r(cation) / r(anion).
#: Tetrahedral (covalent) prototypes also need a small electronegativity difference
#: (:data:`MAX_COVALENT_DX`).
BINARY_RULES = [
    ("rocksalt", "AX", 2, ("O", "S", "Se"), "VI", "VI", (0.35, 0.9)),
    ("rocksalt", "AX", 1, ("F", "Cl", "Br", "I"), "VI", "VI", (0.35, 0.9)),
    ("rocksalt", "AX", 3, ("N",), "VI", "IV", (0.35, 0.9)),
    ("cscl", "AX", 1, ("Cl", "Br", "I"), "VIII", "VI", (0.75, 1.3)),
    ("zincblende", "AX", 2, ("S", "Se", "Te"), "IV", "VI", (0.0, 0.6)),
    ("zincblende", "AX", 3, ("P", "As", "Sb"), "IV", "VI", (0.0, 0.6)),
    ("zincblende", "AX", 1, ("Cl", "Br", "I"), "IV", "VI", (0.0, 0.6)),
    ("wurtzite", "AX", 2, ("O", "S"), "IV", "IV", (0.0, 0.6)),
    ("wurtzite", "AX", 3, ("N",), "IV", "IV", (0.0, 0.6)),
    ("fluorite", "AX2", 4, ("O",), "VIII", "IV", (0.6, 1.2)),
    ("fluorite", "AX2", 2, ("F",), "VIII", "IV", (0.6, 1.2)),
    ("antifluorite", "A2X", 1, ("O", "S"), "IV", "VIII", (0.0, 0.75)),
    ("rutile", "AX2", 4, ("O",), "VI", "III", (0.38, 0.75)),
    ("rutile", "AX2", 2, ("F",), "VI", "III", (0.38, 0.75)),
    ("corundum", "A2X3", 3, ("O",), "VI", "IV", (0.38, 0.75)),
]

#: Tetrahedral (covalent) prototypes are sized from Slater's atomic radii instead.
COVALENT = ("zincblende", "wurtzite", "diamond")
#: Largest Pauling electronegativity difference of a tetrahedral compound.
MAX_COVALENT_DX = {"zincblende": 1.4, "wurtzite": 1.9}

#: Ternary oxides: (name, A charge, B charge, A CN, B CN, A/O and B/O radius-ratio
#: windows). Perovskites also need a Goldschmidt tolerance factor in 0.88-1.06.
TERNARY_RULES = [
    ("perovskite", 2, 4, "XII", "VI", (0.8, 1.4), (0.38, 0.75)),
    ("perovskite", 3, 3, "XII", "VI", (0.8, 1.4), (0.38, 0.75)),
    ("perovskite", 1, 5, "XII", "VI", (0.8, 1.4), (0.38, 0.75)),
    ("spinel", 2, 3, "IV", "VI", (0.2, 0.55), (0.38, 0.7)),
]


@dataclass
class Prototype:
    """One prototype crystal of the bundled set.

    Attributes
    ----------
    material_id : str
        ``"proto-<prototype>-<formula>"``.
    prototype : str
        Structure type, e.g. ``"rocksalt"``.
    structure : pymatgen.core.Structure
        Primitive cell.
    radii : dict
        The radius (Angstrom) used for each element and its source.
    """

    material_id: str
    prototype: str
    structure: object
    radii: dict = field(default_factory=dict)


def _ox_states(el):
    from pymatgen.core import Element

    e = Element(el)
    states = set(e.icsd_oxidation_states or ()) | set(e.common_oxidation_states or ())
    return {s for s in states if s > 0}


def shannon_radius(el, charge, cn):
    """Shannon ionic radius (Angstrom) of ``el`` with ``charge`` at coordination ``cn``.

    Falls back to the nearest tabulated coordination for anions (whose radius barely
    depends on it); returns ``None`` where pymatgen's table has no entry.

    Examples
    --------
    >>> from sklearn_xas.simulate._prototypes import shannon_radius
    >>> shannon_radius("Na", 1, "VI"), shannon_radius("Cl", -1, "VIII")
    (1.02, 1.81)
    """
    from pymatgen.core import Element

    table = Element(el).data.get("Shannon radii", {}).get(str(charge))
    if not table:
        return None
    if cn not in table:
        if charge > 0:
            return None
        order = ["IV", "VI", "III", "VIII", "II"]
        cn = next((c for c in order if c in table), next(iter(table)))
    spins = table[cn]
    entry = spins.get("") or spins.get("High Spin") or next(iter(spins.values()))
    return float(entry["ionic_radius"])


def _atomic_radius(el):
    from pymatgen.core import Element

    r = Element(el).atomic_radius
    return None if r is None else float(r)


def _metallic_radius(el):
    from pymatgen.core import Element

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = Element(el).metallic_radius
    return None if r is None or r != r else float(r)


# -------------------------------------------------------------------- builders
#: spglib Hall numbers of the space groups used (Fd-3m in origin choice 1, R-3c hexagonal).
HALL = {"Fm-3m": 523, "Pm-3m": 517, "F-43m": 512, "P6_3mc": 480, "P4_2/mnm": 419,
        "R-3c": 460, "Im-3m": 529, "P6_3/mmc": 488, "Fd-3m": 525, "P-3m1": 456, "Pa-3": 501,
        "Pn-3m": 522, "P6/mmm": 485, "P3_121": 441, "R-3m": 458, "Cmce": 304}


def _from_sg(sg, lattice, species, coords):
    """Expand Wyckoff representatives with the group's operations; primitive cell.

    spglib's tables of operations are used directly: pymatgen's
    ``Structure.from_spacegroup`` builds the same cells but takes seconds per call.
    """
    import spglib
    from pymatgen.core import Structure

    with warnings.catch_warnings():  # spglib's notice about its error handling
        warnings.simplefilter("ignore", DeprecationWarning)
        ops = spglib.get_symmetry_from_database(HALL[sg])
    rot, trans = ops["rotations"], ops["translations"]
    all_species, all_coords = [], []
    for sp, xyz in zip(species, coords):
        orbit = np.einsum("nij,j->ni", rot, np.asarray(xyz, dtype=float)) + trans
        orbit -= np.floor(orbit + 1e-6)
        kept = []
        for c in orbit:
            d = c - np.asarray(kept) if kept else None
            if d is not None and np.any(np.all(np.abs(d - np.round(d)) < 1e-4, axis=1)):
                continue
            kept.append(c)
        all_species += [sp] * len(kept)
        all_coords += kept
    s = Structure(lattice, all_species, all_coords)
    return s.get_primitive_structure(tolerance=0.05)


#: Placeholder elements of the cached reference cells (replaced by the real ones).
_PLACEHOLDERS = {1: ["Cu"], 2: ["Na", "Cl"], 3: ["Sr", "Ti", "O"]}


def _reference(name, species):
    """The prototype at a reference size, before scaling, with ``species``."""
    placeholders = _PLACEHOLDERS[len(species)]
    if len(set(species)) != len(species):
        raise ValueError(f"{name}: the elements {species} must be distinct.")
    s = _reference_cell(name, len(species)).copy()
    s.replace_species(dict(zip(placeholders, species)))
    return s


@functools.cache
def _reference_cell(name, n_species):
    """The prototype with placeholder elements (cached)."""
    from pymatgen.core import Lattice

    species = _PLACEHOLDERS[n_species]
    if name == "rocksalt":
        return _from_sg("Fm-3m", Lattice.cubic(5.0), species, [[0, 0, 0], [0.5, 0.5, 0.5]])
    if name == "cscl":
        return _from_sg("Pm-3m", Lattice.cubic(4.0), species, [[0, 0, 0], [0.5, 0.5, 0.5]])
    if name == "diamond":  # Fd-3m origin choice 1, 8a
        return _from_sg("Fd-3m", Lattice.cubic(5.5), species, [[0, 0, 0]])
    if name == "zincblende":
        return _from_sg("F-43m", Lattice.cubic(5.5), species, [[0, 0, 0], [0.25, 0.25, 0.25]])
    if name == "wurtzite":
        return _from_sg("P6_3mc", Lattice.hexagonal(3.5, 3.5 * np.sqrt(8 / 3)), species,
                        [[1 / 3, 2 / 3, 0], [1 / 3, 2 / 3, 0.375]])
    if name == "fluorite":  # cation 4a, anion 8c
        return _from_sg("Fm-3m", Lattice.cubic(5.5), species, [[0, 0, 0], [0.25, 0.25, 0.25]])
    if name == "antifluorite":  # cation 8c, anion 4a
        return _from_sg("Fm-3m", Lattice.cubic(5.5), species, [[0.25, 0.25, 0.25], [0, 0, 0]])
    if name == "rutile":
        return _from_sg("P4_2/mnm", Lattice.tetragonal(4.6, 4.6 * 0.644), species,
                        [[0, 0, 0], [0.305, 0.305, 0]])
    if name == "corundum":
        return _from_sg("R-3c", Lattice.hexagonal(4.76, 12.99), species,
                        [[0, 0, 0.3522], [0.3064, 0, 0.25]])
    if name == "perovskite":
        return _from_sg("Pm-3m", Lattice.cubic(4.0), species,
                        [[0.5, 0.5, 0.5], [0, 0, 0], [0.5, 0, 0]])
    if name == "spinel":  # Fd-3m, origin choice 1: A 8a, B 16d, O 32e
        return _from_sg("Fd-3m", Lattice.cubic(8.1), species,
                        [[0, 0, 0], [0.625, 0.625, 0.625], [0.3875, 0.3875, 0.3875]])
    if name == "bcc":
        return _from_sg("Im-3m", Lattice.cubic(3.0), species, [[0, 0, 0]])
    if name == "fcc":
        return _from_sg("Fm-3m", Lattice.cubic(4.0), species, [[0, 0, 0]])
    if name == "hcp":
        return _from_sg("P6_3/mmc", Lattice.hexagonal(3.0, 3.0 * np.sqrt(8 / 3)), species,
                        [[1 / 3, 2 / 3, 0.25]])
    if name == "nias":  # NiAs: cation 2a, anion 2c
        return _from_sg("P6_3/mmc", Lattice.hexagonal(3.6, 5.0), species,
                        [[0, 0, 0], [1 / 3, 2 / 3, 0.25]])
    if name == "cdi2":  # CdI2: cation 1a, anion 2d
        return _from_sg("P-3m1", Lattice.hexagonal(4.2, 6.8), species,
                        [[0, 0, 0], [1 / 3, 2 / 3, 0.25]])
    if name == "pyrite":  # FeS2: cation 4a, anion 8c (X2 dimers)
        return _from_sg("Pa-3", Lattice.cubic(5.4), species, [[0, 0, 0], [0.385] * 3])
    if name == "cuprite":  # Cu2O, origin choice 2: cation 4b, anion 2a
        return _from_sg("Pn-3m", Lattice.cubic(4.3), species, [[0, 0, 0], [0.25] * 3])
    if name == "l12":  # Cu3Au: majority 3c, minority 1a
        return _from_sg("Pm-3m", Lattice.cubic(3.8), species, [[0, 0.5, 0.5], [0, 0, 0]])
    if name == "alb2":  # AlB2: metal 1a, boron 2d
        return _from_sg("P6/mmm", Lattice.hexagonal(3.0, 3.3), species,
                        [[0, 0, 0], [1 / 3, 2 / 3, 0.5]])
    raise ValueError(f"unknown prototype {name!r}")


def _shortest(structure, element, partner):
    """Shortest distance from a site of ``element`` to a site of ``partner``."""
    i = next(i for i, s in enumerate(structure) if s.specie.symbol == element)
    nbs = structure.get_neighbors(structure[i], 8.0)
    return min(n.nn_distance for n in nbs if n.specie.symbol == partner)


def build_prototype(name, species, bonds):
    """Build prototype ``name`` with ``species`` scaled to the target ``bonds``.

    Parameters
    ----------
    name : str
        One of ``rocksalt, cscl, zincblende, wurtzite, fluorite, antifluorite, rutile,
        corundum, perovskite, spinel, bcc, fcc, hcp, diamond, nias, cdi2, pyrite, cuprite,
        l12, alb2``.
    species : list of str
        Elements in the prototype's site order (cation(s) first, anion last; see the
        source).
    bonds : list of (str, str, float)
        ``(element, partner, target distance)``: the cell is scaled by the geometric
        mean of target/actual shortest distances over these bonds.

    Returns
    -------
    structure : pymatgen.core.Structure
        Primitive cell.
    mismatch : float
        Largest relative deviation of a listed bond from its target after scaling.

    Examples
    --------
    >>> from sklearn_xas.simulate._prototypes import build_prototype
    >>> s, err = build_prototype("rocksalt", ["Na", "Cl"], [("Na", "Cl", 2.83)])
    >>> len(s), round(s.lattice.a * 2 ** 0.5, 2), err < 1e-6
    (2, 5.66, True)
    """
    ref = _reference(name, species)
    actual = np.array([_shortest(ref, a, b) for a, b, _ in bonds])
    target = np.array([t for _, _, t in bonds])
    scale = float(np.exp(np.mean(np.log(target / actual))))
    ref.scale_lattice(ref.volume * scale**3)
    mismatch = float(np.max(np.abs(actual * scale / target - 1)))
    return ref, mismatch


def _formula(pattern, a, x, b=None):
    counts = {"AX": (a, "", x, ""), "AX2": (a, "", x, "2"), "A2X": (a, "2", x, ""),
              "A2X3": (a, "2", x, "3")}
    if pattern in counts:
        return "".join(counts[pattern])
    return pattern


def prototype_structures(*, max_per_rule=None, elements=None):
    """The prototype crystals of the bundled data set.

    Binary compounds take each cation in an oxidation state pymatgen lists for it
    (ICSD or common) and pair it with the anions of each rule below when the
    Shannon radius ratio suits the coordination; the cell is scaled so the
    cation-anion distance equals the sum of Shannon ionic radii (tetrahedral
    zinc blende and wurtzite: the sum of Slater's atomic radii). Ternary oxides
    (perovskite ABO3, spinel AB2O4) are scaled to both their A-O and B-O radius sums
    (geometric mean) and kept when the worse of the two is within 12 % (perovskite:
    Goldschmidt tolerance factor 0.88-1.06). Elements take their own structure
    (bcc, fcc, hcp, diamond) with nearest-neighbour distance twice the metallic
    radius (diamond: twice Slater's atomic radius; bcc: 0.97 of that, Goldschmidt's
    coordination correction).

    Parameters
    ----------
    max_per_rule : int, optional
        Keep at most this many compounds per (prototype, charge) rule, spread over
        the candidates in order of the cation's atomic number.
    elements : iterable of str, optional
        Keep only prototypes made of these elements.

    Returns
    -------
    prototypes : list of Prototype
        Sorted by material id.

    Examples
    --------
    >>> from sklearn_xas.simulate._prototypes import prototype_structures
    >>> protos = prototype_structures(elements=["Na", "Cl", "Cu"])
    >>> [p.material_id for p in protos]  # doctest: +NORMALIZE_WHITESPACE
    ['proto-bcc-Na', 'proto-fcc-Cu', 'proto-rocksalt-CuCl', 'proto-rocksalt-NaCl',
     'proto-zincblende-CuCl']
    """
    from pymatgen.core import Element

    allowed = None if elements is None else set(elements)
    cations = [
        Element.from_Z(z).symbol for z in range(3, 93) if Element.from_Z(z).symbol not in EXCLUDED
    ]
    out = {}

    def keep(el_list):
        return allowed is None or set(el_list) <= allowed

    def add(proto, mid):
        if mid not in out:
            out[mid] = proto

    for name, pattern, charge, anions, cn_c, cn_a, (lo, hi) in BINARY_RULES:
        found = []
        for an in anions:
            r_a = shannon_radius(an, ANIONS[an], cn_a)
            for cat in cations:
                if cat in ANIONS or charge not in _ox_states(cat) or not keep([cat, an]):
                    continue
                dx = Element(an).X - Element(cat).X
                if dx <= 0 or dx > MAX_COVALENT_DX.get(name, np.inf):
                    continue
                r_c = shannon_radius(cat, charge, cn_c)
                if r_c is None:
                    continue
                if r_a is not None and not lo <= r_c / r_a <= hi:
                    continue
                if r_a is None and name not in COVALENT:
                    continue
                if name in COVALENT:
                    ra, rb = _atomic_radius(cat), _atomic_radius(an)
                    if ra is None or rb is None:
                        continue
                    d, src = ra + rb, "Slater atomic radii"
                    radii = {cat: (ra, src), an: (rb, src)}
                else:
                    d, src = r_c + r_a, "Shannon ionic radii"
                    radii = {cat: (r_c, f"Shannon {charge:+d} {cn_c}"),
                             an: (r_a, f"Shannon {ANIONS[an]:+d} {cn_a}")}
                found.append((Element(cat).Z, cat, an, d, radii))
        found.sort(key=lambda f: (f[0], list(ANIONS).index(f[2])))
        for _, cat, an, d, radii in _spread(found, max_per_rule):
            species = [cat, an]
            s, _ = build_prototype(name, species, [(cat, an, d)])
            mid = f"proto-{name}-{_formula(pattern, cat, an)}"
            add(Prototype(mid, name, s, radii), mid)

    for name, ca, cb, cn_a, cn_b, win_a, win_b in TERNARY_RULES:
        r_o = shannon_radius("O", -2, "VI" if name == "perovskite" else "IV")
        found = []
        for a in cations:
            r_a = shannon_radius(a, ca, cn_a) if ca in _ox_states(a) else None
            if a in ANIONS:
                continue
            if r_a is None or not win_a[0] <= r_a / r_o <= win_a[1]:
                continue
            for b in cations:
                if b == a or b in ANIONS or cb not in _ox_states(b) or not keep([a, b, "O"]):
                    continue
                r_b = shannon_radius(b, cb, cn_b)
                if r_b is None or not win_b[0] <= r_b / r_o <= win_b[1]:
                    continue
                if name == "perovskite":
                    t = (r_a + r_o) / (np.sqrt(2) * (r_b + r_o))
                    if not 0.88 <= t <= 1.06:
                        continue
                found.append((Element(a).Z, Element(b).Z, a, b, r_a, r_b))
        found.sort()
        for _, _, a, b, r_a, r_b in _spread(found, max_per_rule):
            bonds = [(a, "O", r_a + r_o), (b, "O", r_b + r_o)]
            s, err = build_prototype(name, [a, b, "O"], bonds)
            if err > 0.12:
                continue
            formula = f"{a}{b}O3" if name == "perovskite" else f"{a}{b}2O4"
            radii = {a: (r_a, f"Shannon {ca:+d} {cn_a}"), b: (r_b, f"Shannon {cb:+d} {cn_b}"),
                     "O": (r_o, "Shannon -2")}
            mid = f"proto-{name}-{formula}"
            add(Prototype(mid, name, s, radii), mid)

    for name, els in ELEMENTAL.items():
        for el in els:
            if not keep([el]):
                continue
            if name == "diamond":
                r, src = _atomic_radius(el), "Slater atomic radius"
            else:
                r, src = _metallic_radius(el), "metallic radius"
            if r is None:
                continue
            d = 2 * r * (0.97 if name == "bcc" else 1.0)
            s, _ = build_prototype(name, [el], [(el, el, d)])
            mid = f"proto-{name}-{el}"
            add(Prototype(mid, name, s, {el: (r, src)}), mid)
    return [out[k] for k in sorted(out)]


def _spread(items, n):
    """At most ``n`` items, evenly spread over the list (all of them if ``n`` is None)."""
    if n is None or len(items) <= n:
        return items
    idx = np.unique(np.round(np.linspace(0, len(items) - 1, n)).astype(int))
    return [items[i] for i in idx]


# ------------------------------------------------------------ covalent elements
#: Elements whose own crystal is neither close packed nor diamond, and covalent
#: polymorphs of the diamond-type ones, at their measured geometry (J. Donohue,
#: *The Structures of the Elements*, Wiley 1974; hexagonal 2H Si and Ge as grown in
#: nanowires, 2H Sn sized from alpha-Sn's bond): ``(prototype, element, lattice
#: (a, b, c), internal coordinates)`` in Angstrom, with the first shell
#: ``(CN, distance)`` each must give. ``a8``: trigonal Se and Te chains (P3_121,
#: 3a (x, 0, 1/3)); ``a7``: the puckered layers of As, Sb, Bi (R-3m, hexagonal axes,
#: 6c (0, 0, u)); ``a17``: black phosphorus and ``a14``: solid iodine (Cmce, 8f
#: (0, y, z)); ``lonsdaleite``: hexagonal diamond (P6_3/mmc, 4f (1/3, 2/3, z)).
COVALENT_ELEMENTS = [
    ("a8", "Se", (4.3662, 4.3662, 4.9536), (0.2254, 0, 1 / 3), (2, 2.37)),
    ("a8", "Te", (4.4572, 4.4572, 5.9290), (0.2636, 0, 1 / 3), (2, 2.83)),
    ("a7", "As", (3.7598, 3.7598, 10.5475), (0, 0, 0.22727), (3, 2.52)),
    ("a7", "Sb", (4.3084, 4.3084, 11.2740), (0, 0, 0.23349), (3, 2.91)),
    ("a7", "Bi", (4.5461, 4.5461, 11.8620), (0, 0, 0.23389), (3, 3.07)),
    ("a17", "P", (3.3136, 10.478, 4.3763), (0, 0.10168, 0.08056), (3, 2.23)),
    ("a14", "I", (7.18, 4.71, 9.81), (0, 0.1543, 0.1174), (1, 2.72)),
    ("lonsdaleite", "C", (2.5220, 2.5220, 4.1200), (1 / 3, 2 / 3, 0.0625), (4, 1.54)),
    ("lonsdaleite", "Si", (3.8400, 3.8400, 6.2800), (1 / 3, 2 / 3, 0.0625), (4, 2.35)),
    ("lonsdaleite", "Ge", (3.9960, 3.9960, 6.5700), (1 / 3, 2 / 3, 0.0625), (4, 2.45)),
    ("lonsdaleite", "Sn", (4.5890, 4.5890, 7.4940), (1 / 3, 2 / 3, 0.0625), (4, 2.81)),
]
#: Space group of each prototype of :data:`COVALENT_ELEMENTS` (hexagonal or
#: orthorhombic axes).
_COVALENT_GROUPS = {"a8": "P3_121", "a7": "R-3m", "a17": "Cmce", "a14": "Cmce",
                    "lonsdaleite": "P6_3/mmc"}


def covalent_element_structures():
    """Covalent elemental crystals (:data:`COVALENT_ELEMENTS`) at measured geometry.

    The generator's elements take close-packed or diamond structures only, so
    "an atom among its own kind" with one to three covalent bonds (Se, Te, As, Sb,
    Bi, P, I) never occurs in its data, and the diamond-type elements have one
    structure each. These add them, for training.

    Returns
    -------
    prototypes : list of Prototype
        ``material_id`` ``"gen-<prototype>-<element>"``, in table order.

    Examples
    --------
    >>> from sklearn_xas.simulate import covalent_element_structures
    >>> protos = covalent_element_structures()
    >>> protos[0].material_id, len(protos[0].structure)
    ('gen-a8-Se', 3)
    """
    from pymatgen.core import Lattice

    out = []
    for name, el, (a, b, c), xyz, _ in COVALENT_ELEMENTS:
        sg = _COVALENT_GROUPS[name]
        lattice = Lattice.orthorhombic(a, b, c) if sg == "Cmce" else Lattice.hexagonal(a, c)
        s = _from_sg(sg, lattice, [el], [xyz])
        out.append(Prototype(f"gen-{name}-{el}", name, s,
                             {el: (None, "measured lattice (COVALENT_ELEMENTS)")}))
    return out
