"""FEFF6L simulation: input writing, site selection, chi(k) physics, failures, tree round trip."""

import warnings

import numpy as np
import pandas as pd
import pytest
from pymatgen.core import Lattice, Structure

from sklearn_xas.datasets import XASDataset, load_feff_tree, write_feff_tree
from sklearn_xas.exceptions import SkippedRecordsWarning, XASDataError
from sklearn_xas.simulate import (
    DEFAULT_K,
    FeffError,
    average_by_structure,
    default_edge,
    feff6_input,
    inequivalent_sites,
    simulate_dataset,
    simulate_exafs,
)
from sklearn_xas.simulate._prototypes import build_prototype, prototype_structures


def _larch():
    return pytest.importorskip(
        "larch.xafs", reason="xraylarch (the 'simulate' extra, which bundles FEFF6L) is missing"
    )


@pytest.fixture(scope="module")
def overlapping():
    """Two atoms 0.2 A apart: FEFF6L itself crashes (muffin-tin radii, istprm.f)."""
    return Structure(Lattice.cubic(5.0), ["Na", "Cl"], [[0, 0, 0], [0.04, 0, 0]])


def _first_ft_peak(k, chi, kmin=3.0, kmax=14.0, kweight=2, nfft=2048):
    """R of the largest |FT[k^w chi]| peak (Hanning window; numpy FFT)."""
    dk = k[1] - k[0]
    sel = (k >= kmin) & (k <= kmax)
    buf = np.zeros(nfft)
    buf[: sel.sum()] = (chi * k**kweight)[sel] * np.hanning(sel.sum())
    ft = np.abs(np.fft.rfft(buf))
    r = np.pi * np.arange(ft.size) / (nfft * dk)
    keep = r > 0.5
    return r[keep][np.argmax(ft[keep])]


# ----------------------------------------------------------------- without FEFF
def test_default_edge_threshold():
    assert default_edge("Ba") == "K"
    assert default_edge("La") == "L3"
    assert default_edge("Ba", k_edge_max_z=50) == "L3"
    assert default_edge("U", k_edge_max_z=92) == "K"


def test_feff6_input_cards_and_potentials(nacl):
    text = feff6_input(nacl, 4, rmax=5.0, nleg=3)
    lines = text.splitlines()
    assert "HOLE 1 1.0" in lines
    assert "RMAX 5.0000" in lines and "NLEG 3" in lines
    pots = lines[lines.index("POTENTIALS") + 2: lines.index("ATOMS") - 1]
    # absorber Cl is potential 0; scatterers ordered by Z: Na (11) then Cl (17)
    assert [p.split() for p in pots] == [["0", "17", "Cl"], ["1", "11", "Na"], ["2", "17", "Cl"]]
    atoms = lines[lines.index("ATOMS") + 2: lines.index("END")]
    dists = np.array([float(a.split()[-1]) for a in atoms])
    assert dists[0] == 0 and np.all(np.diff(dists) >= -1e-9)
    assert dists.max() <= 6.0 + 1e-6  # cluster radius = rmax + 1
    assert np.isclose(dists[1], 2.82) and int(atoms[1].split()[3]) == 1  # first shell: Na
    # six Na at a/2
    assert np.sum(np.isclose(dists, 2.82)) == 6


def test_feff6_input_heavy_absorber_uses_l3():
    ptcl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.6), ["Pt", "O"],
                                     [[0, 0, 0], [0.5, 0.5, 0.5]])
    assert "HOLE 4 1.0" in feff6_input(ptcl, 0)
    assert "HOLE 1 1.0" in feff6_input(ptcl, 0, edge="K")


@pytest.mark.parametrize(
    "kwargs, match",
    [(dict(index=8), "out of range"), (dict(index=0, edge="M5"), "edge must be one of")],
)
def test_feff6_input_errors(nacl, kwargs, match):
    with pytest.raises(ValueError, match=match):
        feff6_input(nacl, **kwargs)


def test_feff6_input_too_many_potentials():
    els = ["Li", "Na", "K", "Rb", "Cs", "Mg", "Ca", "Sr", "Ba"]
    coords = [[i / 3, j / 3, 0] for i in range(3) for j in range(3)]
    s = Structure(Lattice.cubic(6.0), els, coords)  # every element within 5.2 A
    with pytest.raises(ValueError, match="at most 7 unique scatterer potentials"):
        feff6_input(s, 0)


def test_feff6_input_disordered_and_overlap(nacl):
    dis = nacl.copy()
    dis.replace(0, {"Na": 0.5, "K": 0.5})
    with pytest.raises(ValueError, match="disordered"):
        feff6_input(dis, 0)
    dup = Structure(Lattice.cubic(5.0), ["Cu", "Cu"], [[0, 0, 0], [0.001, 0, 0]])
    with pytest.raises(ValueError, match="sites overlap"):
        feff6_input(dup, 0)


def test_inequivalent_sites_perovskite():
    s, err = build_prototype("perovskite", ["Sr", "Ti", "O"],
                             [("Sr", "O", 2.76), ("Ti", "O", 1.95)])
    assert err < 0.1
    sites = inequivalent_sites(s)
    assert sum(m for _, m in sites) == len(s) == 5
    assert sorted((s[i].specie.symbol, m) for i, m in sites) == [("O", 3), ("Sr", 1), ("Ti", 1)]


def test_prototypes_cover_the_periodic_table():
    protos = prototype_structures(max_per_rule=10)
    kinds = {p.prototype for p in protos}
    assert {"rocksalt", "cscl", "zincblende", "wurtzite", "fluorite", "rutile", "perovskite",
            "spinel", "corundum", "bcc", "fcc", "hcp", "diamond"} <= kinds
    elements = {site.specie.symbol for p in protos for site in p.structure}
    assert len(elements) >= 60
    assert len({p.material_id for p in protos}) == len(protos)
    by_id = {p.material_id: p for p in prototype_structures(elements=["Na", "Cl", "Cu"])}
    # NaCl from Shannon radii: Na+ (VI) 1.02 + Cl- (VI) 1.81 = 2.83 A
    nacl = by_id["proto-rocksalt-NaCl"].structure
    assert np.isclose(nacl.get_neighbors(nacl[0], 3.0)[0].nn_distance, 2.83, atol=1e-3)
    # fcc Cu from the metallic radius (1.28 A)
    cu = by_id["proto-fcc-Cu"].structure
    assert np.isclose(min(n.nn_distance for n in cu.get_neighbors(cu[0], 3.0)), 2.56, atol=0.01)


def test_simulate_dataset_input_errors(nacl):
    with pytest.raises(ValueError, match="one entry"):
        simulate_dataset([nacl], sites=[[0], [1]])
    with pytest.raises(ValueError, match="out of range"):
        simulate_dataset([nacl], sites=[[42]])
    with pytest.raises(ValueError, match="on_error"):
        simulate_dataset([nacl], on_error="ignore")
    with pytest.raises(TypeError, match="pymatgen Structure"):
        simulate_dataset({"x": "not a structure"})
    with pytest.raises(XASDataError, match="No site"):
        simulate_dataset([nacl], absorbers="Fe")


def test_average_by_structure_needs_multiplicity(toy_records):
    data = XASDataset.from_records(toy_records)
    avg = average_by_structure(data)
    assert list(avg["n_sites"]) == [1, 1, 1]
    assert np.allclose(avg["coverage"], 1.0)  # 4 Na of 4 (multiplicity 4)
    frame = data.frame.copy()
    frame.loc[1, "multiplicity"] = None
    with pytest.raises(XASDataError, match="row 1.*no multiplicity"):
        average_by_structure(frame)


def test_average_by_structure_of_concatenated_frames(toy_records):
    """Frames glued with pd.concat repeat their index labels; the rows still average."""
    import pandas as pd

    data = XASDataset.from_records(toy_records)
    twice = pd.concat([data.frame, data.frame])  # index 0, 1, 2, 0, 1, 2
    avg = average_by_structure(twice)
    assert list(avg["n_sites"]) == [2, 2, 2]
    assert list(avg["multiplicity"]) == [8, 8, 8]
    np.testing.assert_allclose(np.vstack(avg["y"]), np.vstack(data.frame["y"]))
    bad = twice.copy()
    bad.iloc[4, bad.columns.get_loc("multiplicity")] = None
    with pytest.raises(XASDataError, match="row 4.*no multiplicity"):
        average_by_structure(bad)


# -------------------------------------------------------------------- with FEFF
@pytest.fixture(scope="module")
def nacl_sim(nacl):
    _larch()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bad = Structure(Lattice.cubic(5.0), ["Na", "Cl"], [[0, 0, 0], [0.04, 0, 0]])
        data = simulate_dataset({"NaCl": nacl, "bad": bad}, sites={"bad": [0]}, n_jobs=1)
    return data, [w for w in caught if issubclass(w.category, SkippedRecordsWarning)]


def test_rocksalt_ft_peak_below_nn_distance(nacl):
    _larch()
    k, chi = simulate_exafs(nacl, 0)
    assert np.array_equal(k, DEFAULT_K) and chi.shape == (321,)
    assert np.all(np.isfinite(chi))
    # sigma2 damps the signal at high k
    assert np.abs(chi[k > 12]).max() < np.abs(chi[(k > 3) & (k < 6)]).max()
    shift = 2.82 - _first_ft_peak(k, chi)
    assert 0.2 <= shift <= 0.6, shift


def test_simulate_exafs_sigma2_and_s02(nacl, tmp_path):
    _larch()
    k, chi = simulate_exafs(nacl, 0, sigma2=0.0, s02=0.5, k=np.arange(0, 12.01, 0.1),
                            workdir=tmp_path / "run", keep_files=True)
    assert k.shape == (121,)
    assert (tmp_path / "run" / "feff.inp").is_file()
    assert sorted((tmp_path / "run").glob("feff0*.dat"))
    _, chi_full = simulate_exafs(nacl, 0, sigma2=0.0, k=k)
    assert np.allclose(chi, 0.5 * chi_full, atol=1e-9)


def test_failing_site_is_reported_and_rest_completes(nacl_sim):
    data, caught = nacl_sim
    assert len(data) == 2  # Na and Cl of NaCl (inequivalent sites)
    frame = data.frame
    assert list(frame["material_id"]) == ["NaCl", "NaCl"]
    assert list(frame["absorbing_index"]) == [0, 4]
    assert list(frame["multiplicity"]) == [4, 4]
    assert set(frame["spectrum_type"]) == {"EXAFS"} and set(frame["edge"]) == {"K"}
    assert np.isclose(frame["edge_energy"][0], 1070.8, atol=1)
    assert len(data.skipped) == 1
    assert "material 'bad', site 0" in data.skipped[0]
    assert "FEFF6L failed" in data.skipped[0] and "TWO ATOMS VERY CLOSE" in data.skipped[0]
    assert len(caught) == 1 and "1 of 3 site(s)" in str(caught[0].message)


def test_failing_site_raises_when_asked(overlapping):
    _larch()
    with pytest.raises(FeffError, match="istprm"):
        simulate_dataset({"bad": overlapping}, sites=[[0]], on_error="raise")
    with pytest.raises(XASDataError, match="every one"), warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedRecordsWarning)
        simulate_dataset({"bad": overlapping}, sites=[[0]])


def test_written_tree_reads_back_identically(nacl_sim, tmp_path):
    data, _ = nacl_sim
    root = write_feff_tree(data, tmp_path / "tree")
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files == ["NaCl/FEFF-EXAFS/000_Na/chi.dat", "NaCl/FEFF-EXAFS/004_Cl/chi.dat",
                     "NaCl/POSCAR"]
    back = load_feff_tree(root).frame
    orig = data.frame
    cols = ["material_id", "absorbing_index", "absorbing_element", "edge", "spectrum_type",
            "multiplicity"]
    pd.testing.assert_frame_equal(back[cols].reset_index(drop=True), orig[cols],
                                  check_dtype=False)
    for a, b in zip(orig.itertuples(), back.itertuples()):
        assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
        assert a.structure == b.structure
        assert np.isclose(a.edge_energy, b.edge_energy)


def test_average_by_structure_of_simulation(nacl_sim):
    data, _ = nacl_sim
    avg = average_by_structure(data)
    assert list(avg["absorbing_element"]) == ["Na", "Cl"]
    assert list(avg["coverage"]) == [1.0, 1.0]
    assert np.array_equal(avg["y"][0], data.frame["y"][0])
