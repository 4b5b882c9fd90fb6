"""The structure generator, CHGNet relaxation and sampled disorder of the diverse set."""

import numpy as np
import pytest
from pymatgen.core import Element, Lattice, Structure

from sklearn_xas.simulate import (
    COVALENT_ELEMENTS,
    DISORDER_RANGES,
    ELEMENT_POLYMORPHS,
    covalent_element_structures,
    generate_structures,
    relax_structures,
    sample_disorder,
)
from sklearn_xas.simulate._generator import GENERATOR_ANIONS, _candidates


@pytest.fixture(scope="module")
def first_300():
    return generate_structures(300, seed=0)


def test_generator_is_deterministic_and_prefix_stable(first_300):
    again = generate_structures(120, seed=0)
    assert [g.material_id for g in again] == [g.material_id for g in first_300[:120]]
    other = generate_structures(120, seed=1)
    assert [g.material_id for g in other] != [g.material_id for g in again]


def test_generator_spreads_elements_before_repeating(first_300):
    counts = {}
    for g in first_300:
        for el in set(g.species):
            counts[el] = counts.get(el, 0) + 1
    assert len(counts) >= 80  # 300 structures already reach 80 elements
    assert max(counts.values()) <= 4 * np.median(list(counts.values()))
    kinds = {g.prototype for g in first_300}
    assert {"rocksalt", "nias", "l12", "perovskite", "b2"} <= kinds


def test_polymorphs_put_each_metal_in_the_other_close_packings(first_300):
    gens = generate_structures(10**4, polymorphs=True, prototypes=ELEMENT_POLYMORPHS)
    assert {g.prototype for g in gens} == set(ELEMENT_POLYMORPHS)
    by_element = {}
    for g in gens:
        by_element.setdefault(g.species[0], []).append(g)
    for el in ("Cu", "Fe", "Ti", "Au"):  # fcc, bcc, hcp and fcc metals: all three
        assert sorted(g.prototype for g in by_element[el]) == ["bcc", "fcc", "hcp"]
        own = [g for g in by_element[el] if "polymorph" not in g.rule]
        assert len(own) == 1 and all(len(g.structure.composition) == 1
                                     for g in by_element[el])
    cu_bcc = next(g for g in by_element["Cu"] if g.prototype == "bcc")
    assert cu_bcc.rule == "bcc Cu (polymorph; own: fcc)"
    assert "O" not in by_element and "C" not in {g.species[0] for g in gens
                                                  if g.prototype != "diamond"}
    # without polymorphs the candidate list, hence the main set's plan, is unchanged
    assert [g.material_id for g in generate_structures(300, polymorphs=False)] == [
        g.material_id for g in first_300]
    assert {g.prototype for g in generate_structures(50, prototypes=["rocksalt"])} == {
        "rocksalt"}


def test_ionic_candidates_balance_charge():
    for name, species, _, rule in _candidates(94, True):
        if name in ("rocksalt", "nias", "zincblende", "wurtzite"):
            cat, an = species
            charge = int(rule.split()[1][len(cat):])
            assert charge == -GENERATOR_ANIONS[an], rule
            states = set(Element(cat).icsd_oxidation_states or ()) | set(
                Element(cat).common_oxidation_states or ())
            assert charge in states, rule


def test_generated_structures_have_their_formula(first_300):
    for g in first_300[:60]:
        formula = g.material_id.split("-", 2)[2]
        assert g.structure.composition.reduced_formula.replace("1", "") in {
            formula, g.structure.composition.reduced_formula}
        assert set(g.species) == {s.specie.symbol for s in g.structure}


def test_relaxation_keeps_sane_cells_and_rejects_absurd_ones():
    nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"],
                                     [[0, 0, 0], [0.5, 0.5, 0.5]]).get_primitive_structure()
    swollen = nacl.copy()
    swollen.scale_lattice(nacl.volume * 4.0)
    good, bad = relax_structures([nacl, swollen], steps=60)
    assert good["rejected"] is None
    a = good["structure"].lattice.a * np.sqrt(2)  # conventional cubic edge
    assert 5.4 < a < 5.9  # CHGNet's NaCl, near the measured 5.64 A
    assert good["energy_per_atom"] < 0
    assert bad["structure"] is None and "volume" in bad["rejected"]


def test_sample_disorder_is_seeded_and_in_range():
    draws = [sample_disorder(f"m_{i:03d}") for i in range(200)]
    assert draws[5] == sample_disorder("m_005")
    assert draws[5] != sample_disorder("m_005", seed=1)
    for name, key in [("temperature", "temperature"), ("debye_temperature",
                                                       "debye_temperature"),
                      ("sigma2_static", "sigma2"), ("s02", "s02"), ("e0", "e0")]:
        lo, hi = DISORDER_RANGES[name]
        values = np.array([d[key] for d in draws])
        assert values.min() >= lo and values.max() <= hi
        assert values.std() > 0.1 * (hi - lo)  # spread, not a constant


@pytest.mark.slow
def test_debye_model_damps_chi_with_temperature():
    pytest.importorskip("larch")
    from sklearn_xas.simulate import simulate_exafs

    cu = Structure(Lattice.cubic(3.615), ["Cu"] * 4,
                   [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    k, cold = simulate_exafs(cu, 0, sigma2=0.0, temperature=10, debye_temperature=315)
    _, warm = simulate_exafs(cu, 0, sigma2=0.0, temperature=300, debye_temperature=315)
    _, fixed = simulate_exafs(cu, 0, sigma2=0.00904)
    sel = (k > 8) & (k < 14)
    # thermal damping grows with k: the warm spectrum is weaker, most at high k
    assert np.abs(warm[sel]).max() < 0.6 * np.abs(cold[sel]).max()
    # correlated Debye gives the Cu first shell ~0.0090 A^2 at 300 K (theta_D 315 K);
    # the first-shell-dominated low-k part matches a fixed sigma^2 of that size
    low = (k > 3) & (k < 6)
    assert np.corrcoef(warm[low], fixed[low])[0, 1] > 0.98
    with pytest.raises(ValueError, match="both"):
        simulate_exafs(cu, 0, temperature=300)


def test_covalent_elements_have_their_textbook_first_shell():
    """Every site of each covalent elemental crystal has the table's coordination
    number and bond length (a wrong Wyckoff position or axis would not)."""
    protos = covalent_element_structures()
    assert [p.material_id for p in protos] == [f"gen-{n}-{e}" for n, e, *_ in COVALENT_ELEMENTS]
    for p, (*_, (cn, bond)) in zip(protos, COVALENT_ELEMENTS):
        s = p.structure
        assert {str(e) for e in s.composition.elements} == {p.material_id.split("-")[-1]}
        for site in s:
            d = np.sort([n.nn_distance for n in s.get_neighbors(site, 5.0)])
            shell = d[d < d[0] * 1.05]
            assert shell.size == cn, p.material_id
            assert abs(shell.mean() - bond) < 0.02, (p.material_id, shell.mean())
            assert d[shell.size] > 1.1 * shell.max()  # a gap before the next shell
