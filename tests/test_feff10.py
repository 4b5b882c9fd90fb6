"""XANES through FEFF10 (feff10-rs): inputs, one site, the resumable tree, failures.

The FEFF runs use rock-salt MgO without self-consistency and a 3 A FMS cluster on a
coarse grid (2-3 CPU seconds a site; the whole file about 15 s); tests that need FEFF10
skip without the ``xanes`` extra.
"""

import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from sklearn_xas.datasets import load_feff_tree
from sklearn_xas.exceptions import (
    MissingOptionalDependencyError,
    SkippedRecordsWarning,
    XASDataError,
)
from sklearn_xas.simulate import (
    DEFAULT_CORE_HOLE,
    FeffError,
    feff10_input,
    simulate_xanes,
    simulate_xanes_dataset,
)
from sklearn_xas.simulate import _feff10 as feff10_module

#: Cheap settings: about 2 CPU seconds a site (the default RPA core hole: 2.6 s).
FAST = dict(scf_radius=None, fms_radius=3.0, k_grid=(-1.0, 2.0, 0.1), core_hole="FSR")


@pytest.fixture(scope="module")
def mgo():
    return Structure.from_spacegroup("Fm-3m", Lattice.cubic(4.21), ["Mg", "O"],
                                     [[0, 0, 0], [0.5, 0.5, 0.5]])


@pytest.fixture(scope="module")
def feff10():
    return pytest.importorskip("feff10")


def _cards(text):
    head = text[: text.index("POTENTIALS")]
    return {ln.split()[0]: " ".join(ln.split()[1:]) for ln in head.splitlines()
            if ln.strip() and not ln.startswith("k_grid")}


# ----------------------------------------------------------------------------- inputs
def test_input_has_mp_cards_without_ldos(mgo):
    cards = _cards(feff10_input(mgo, 0, scf_radius=3.0, fms_radius=4.5, core_hole="rpa"))
    assert cards["EDGE"] == "K"
    assert cards["COREHOLE"] == "RPA"
    assert cards["SCF"] == "3 0 30 0.2 1"
    assert cards["FMS"] == "4.5 0"
    assert cards["EXCHANGE"] == "0 0.0 0.0 2"
    assert cards["RPATH"] == "-1"
    assert cards["S02"] == "0"
    assert "EGRID" in cards
    assert "LDOS" not in cards


def _distances(text):
    atoms = text[text.index("\nATOMS"):].splitlines()[3:-1]
    return np.array([float(ln.split()[-1]) for ln in atoms])


def test_input_cluster_and_potentials(mgo):
    text = feff10_input(mgo, 4, scf_radius=2.5, fms_radius=3.0)  # an O site
    dist = _distances(text)
    assert dist[0] == 0 and dist[1] == pytest.approx(4.21 / 2, abs=1e-4)  # 6 Mg at 2.105 A
    # the default cluster gives the potential of the farthest "first" atom (O at 2.977 A)
    # its whole SCF sphere: every atom within 2.977 + 2.5 A, and nothing beyond
    need = 4.21 / 2**0.5 + 2.5
    assert dist.max() <= need + 1e-4
    assert dist.size - 1 == len(mgo.get_neighbors(mgo[4], need + 1e-4))
    pots = text[text.index("POTENTIALS"):text.index("\nATOMS")].splitlines()[2:]
    rows = [ln.split() for ln in pots if ln.strip()]
    assert [r[:3] for r in rows] == [["0", "8", "O"], ["1", "8", "O"], ["2", "12", "Mg"]]
    assert [r[-1] for r in rows] == ["0.0001", "4", "4"]  # counts in the cell
    # without SCF, and with a radius given, the cluster stops there
    assert _distances(feff10_input(mgo, 4, scf_radius=None, fms_radius=3.0)).max() <= 3.0
    given = _distances(feff10_input(mgo, 4, scf_radius=2.5, fms_radius=3.0, cluster_radius=4.3))
    assert 4.0 < given.max() <= 4.3


def test_input_no_scf_and_cards(mgo):
    text = feff10_input(mgo, 0, scf_radius=None, cards={"ldos": "-30 15 0.1", "S02": None,
                                                        "XANES": "4 0.05 0.1"})
    cards = _cards(text)
    assert "SCF" not in cards and "S02" not in cards
    assert cards["LDOS"] == "-30 15 0.1"
    assert cards["XANES"] == "4 0.05 0.1"
    with pytest.raises(ValueError, match="ATOMS"):
        feff10_input(mgo, 0, cards={"ATOMS": "x"})


@pytest.mark.parametrize("kwargs, match", [
    (dict(core_hole="full"), "core_hole"),
    (dict(edge="M5"), "edge"),
    (dict(fms_radius=0), "fms_radius"),
    (dict(scf_radius=-1.0), "scf_radius"),
    (dict(k_grid=(0.5, 3.0, 0.05)), "k_grid"),
])
def test_input_rejects_bad_settings(mgo, kwargs, match):
    with pytest.raises(ValueError, match=match):
        feff10_input(mgo, 0, **kwargs)


def test_input_refuses_overlapping_sites():
    s = Structure(Lattice.cubic(4.0), ["Mg", "O"], [[0, 0, 0], [0.01, 0, 0]])
    with pytest.raises(ValueError, match="overlap"):
        feff10_input(s, 0)


def test_missing_extra_names_it(mgo, monkeypatch):
    monkeypatch.setitem(sys.modules, "feff10", None)  # import feff10 -> ImportError
    with pytest.raises(MissingOptionalDependencyError, match=r"sklearn-xas\[xanes\]"):
        simulate_xanes(mgo, 0, **FAST)


# ----------------------------------------------------------------------------- one site
def test_simulate_xanes_mg_k_edge(mgo, feff10, tmp_path):
    # the default core hole (RPA) runs FEFF's screening stage too
    energy, mu, info = simulate_xanes(mgo, 0, workdir=tmp_path,
                                      **dict(FAST, core_hole=DEFAULT_CORE_HOLE))
    assert energy.shape == mu.shape and np.all(np.diff(energy) > 0)
    # Mg K edge (1303 eV): FEFF's absolute energies bracket it
    assert energy[0] < 1305 < energy[-1] < 1330
    assert np.mean(mu[-5:]) > 5 * np.mean(mu[:3]) > 0  # the edge step
    assert info["xsedge_norm"] > 0
    assert np.allclose(energy - info["e"], np.median(energy - info["e"]), atol=1e-3)
    assert info["feff_cpu_seconds"] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feff.inp", "xmu.dat"]


# ----------------------------------------------------------------------------- the tree
@pytest.fixture(scope="module")
def tree(mgo, feff10, tmp_path_factory):
    root = tmp_path_factory.mktemp("feff10_tree")
    data = simulate_xanes_dataset({"MgO": mgo}, workdir=root, **FAST)
    return root, data


def test_dataset_rows(tree):
    _, data = tree
    frame = data.frame
    assert frame[["absorbing_index", "absorbing_element", "edge", "spectrum_type",
                  "multiplicity"]].values.tolist() == [[0, "Mg", "K", "XANES", 4],
                                                       [4, "O", "K", "XANES", 4]]
    assert not frame["resumed"].any()
    assert (frame["feff_cpu_seconds"] > 0).all()
    assert data.skipped == []


def test_tree_layout_is_lightshow(tree):
    root, _ = tree
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files == ["MgO/FEFF-XANES/000_Mg/feff.inp", "MgO/FEFF-XANES/000_Mg/xmu.dat",
                     "MgO/FEFF-XANES/004_O/feff.inp", "MgO/FEFF-XANES/004_O/xmu.dat",
                     "MgO/POSCAR"]
    xmu = (root / "MgO/FEFF-XANES/000_Mg/xmu.dat").read_text()
    assert xmu.startswith("# absorber: Mg  site: 0  edge: K  multiplicity: 4")
    assert "FEFF 10" in xmu and "omega" in xmu


def test_load_feff_tree_reads_it_back(tree, mgo):
    root, data = tree
    back = load_feff_tree(root).frame
    frame = data.frame
    cols = ["material_id", "absorbing_index", "absorbing_element", "edge", "spectrum_type",
            "multiplicity"]
    assert back[cols].values.tolist() == frame[cols].values.tolist()
    for a, b in zip(back.itertuples(), frame.itertuples()):
        assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
        assert a.xsedge_norm == b.xsedge_norm
        assert a.structure == mgo


def test_resume_reads_instead_of_running(tree, mgo, monkeypatch):
    root, data = tree

    def no_feff(*args, **kwargs):
        raise AssertionError("FEFF10 was run again")

    monkeypatch.setattr(feff10_module, "run_feff10", no_feff)
    t0 = time.perf_counter()
    again = simulate_xanes_dataset({"MgO": mgo}, workdir=root, **FAST)
    assert time.perf_counter() - t0 < 2.0
    assert again.frame["resumed"].all()
    assert np.isnan(again.frame["feff_seconds"]).all()
    for a, b in zip(again.frame.itertuples(), data.frame.itertuples()):
        assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    # other settings would mix two kinds of spectra in one tree: refused per site
    with pytest.warns(SkippedRecordsWarning, match="another feff.inp"), \
            pytest.raises(XASDataError, match=r"material 'MgO', site 0 \(Mg K\).*another feff"):
        simulate_xanes_dataset({"MgO": mgo}, workdir=root, **dict(FAST, fms_radius=3.5))


def test_workdir_with_another_structure_is_refused(tree, mgo):
    root, _ = tree
    other = mgo.copy()
    other.scale_lattice(mgo.volume * 1.1)
    with pytest.raises(XASDataError, match="POSCAR"):
        simulate_xanes_dataset({"MgO": other}, workdir=root, **FAST)


# ----------------------------------------------------------------------------- failures
def test_failed_site_is_reported_not_dropped(tree, mgo, tmp_path):
    root = tmp_path / "tree"
    shutil.copytree(tree[0], root)  # MgO is read back, so no FEFF run here
    overlapping = Structure(Lattice.cubic(4.0), ["Mg", "O"], [[0, 0, 0], [0.01, 0, 0]])
    with pytest.warns(SkippedRecordsWarning, match="FEFF10 failed for 1 of 3 site"):
        data = simulate_xanes_dataset({"MgO": mgo, "bad": overlapping}, absorbers=None,
                                      sites={"bad": [0]}, workdir=root, **FAST)
    assert data.frame["material_id"].tolist() == ["MgO", "MgO"]
    assert len(data.skipped) == 1
    assert data.skipped[0].startswith("material 'bad', site 0 (Mg K): ValueError:")
    assert "overlap" in data.skipped[0]
    # the tree still loads; the failed material is listed as having no spectrum
    with pytest.warns(UserWarning, match="bad"):
        back = load_feff_tree(root)
    assert back.frame.attrs["materials_without_spectra"] == ["bad"]


def _fake_feff(tree, calls, failure):
    """A stand-in for FEFF10 that fails with ``failure`` unless the SCF mixing is 0.05."""
    xmu = Path(tree[0]) / "MgO" / "FEFF-XANES" / "000_Mg" / "xmu.dat"
    xmu_text = xmu.read_text().split("\n", 1)[1]  # FEFF's own file, without our header

    def run(text, *, timeout, **options):
        calls.append(_cards(text)["SCF"])
        if " 0.05 3" not in calls[-1]:
            raise FeffError(f"FEFF10 failed; FEFF said: {failure}")
        energy, mu, info = feff10_module._read_xmu(xmu)
        info.update(feff_seconds=1.0, feff_cpu_seconds=1.0)
        return energy, mu, info, xmu_text
    return run


def test_scf_failure_is_retried_with_gentler_mixing(tree, mgo, monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(feff10_module, "_run_text", _fake_feff(
        tree, calls, "Bad counts found repeatedly - pot will exit now."))
    settings = dict(FAST, scf_radius=2.0)
    data = simulate_xanes_dataset({"MgO": mgo}, absorbers="Mg", workdir=tmp_path, **settings)
    assert calls == ["2 0 30 0.2 1", "2 0 30 0.05 3"]
    assert data.frame["scf_retry"].tolist() == [True]
    stored = (tmp_path / "MgO" / "FEFF-XANES" / "000_Mg" / "feff.inp").read_text()
    assert _cards(stored)["SCF"] == "2 0 30 0.05 3"
    # the retry's input belongs to these settings: resumed, not refused or rerun
    again = simulate_xanes_dataset({"MgO": mgo}, absorbers="Mg", workdir=tmp_path, **settings)
    assert again.frame["resumed"].all() and again.frame["scf_retry"].all() and len(calls) == 2
    # without the retry the site fails with FEFF's message
    with pytest.raises(FeffError, match="Bad counts"):
        simulate_xanes(mgo, 0, scf_retry=False, **settings)


def test_other_failures_are_not_retried(tree, mgo, monkeypatch):
    calls = []
    monkeypatch.setattr(feff10_module, "_run_text", _fake_feff(tree, calls, "FMS failed"))
    with pytest.raises(FeffError, match="FMS failed"):
        simulate_xanes(mgo, 0, **dict(FAST, scf_radius=2.0))
    assert calls == ["2 0 30 0.2 1"]
    # a user's own SCF card is not second-guessed
    with pytest.raises(FeffError):
        simulate_xanes(mgo, 0, cards={"SCF": "2.0 0 30 0.3 1"}, **dict(FAST, scf_radius=2.0))
    assert calls[-1] == "2.0 0 30 0.3 1" and len(calls) == 2


def test_timeout_names_the_site(mgo, feff10, tmp_path):
    with pytest.warns(SkippedRecordsWarning), pytest.raises(XASDataError) as err:
        simulate_xanes_dataset({"MgO": mgo}, absorbers="Mg", workdir=tmp_path, timeout=0.01,
                               **FAST)
    message = str(err.value)
    assert "material 'MgO', site 0 (Mg K)" in message
    assert "did not finish within 0.01 s" in message
    # no half-written site folder; the failure is kept for the record
    assert not (tmp_path / "MgO" / "FEFF-XANES" / "000_Mg").exists()
    logged = (tmp_path / "MgO" / "FEFF-XANES-errors" / "000_Mg.txt").read_text()
    assert "did not finish" in logged
    with pytest.raises(FeffError, match=r"material 'MgO', site 0 \(Mg K\)"):
        simulate_xanes_dataset({"MgO": mgo}, absorbers="Mg", timeout=0.01, on_error="raise",
                               **FAST)


@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="needs Linux /proc")
def test_timeout_stops_every_feff_process(mgo, feff10, tmp_path):
    (tmp_path / "feff.inp").write_text(feff10_input(mgo, 0, scf_radius=3.0, fms_radius=3.0))
    with pytest.raises(FeffError, match="did not finish within 1 s"):
        feff10_module.run_feff10(tmp_path, timeout=1.0)
    time.sleep(0.2)
    alive = []
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and Path(f"/proc/{pid}/cwd").resolve() == tmp_path.resolve():
                alive.append(pid)
        except OSError:
            continue
    assert alive == []


def test_broken_input_reports_feff_message(mgo, feff10):
    broken = dict(FAST, cards={"EGRID": "\nk grid -1 0 0.1"})  # FEFF wants 'k_grid'
    with pytest.raises(FeffError) as err:
        simulate_xanes_dataset({"MgO": mgo}, absorbers="Mg", on_error="raise", **broken)
    message = str(err.value)
    assert message.startswith("material 'MgO', site 0 (Mg K): FEFF10 failed")
    assert "xsph" in message and "Error in grid.inp" in message  # stage and FEFF's words
