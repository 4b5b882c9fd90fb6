"""load_feff_tree / write_feff_tree: real Lightshow trees, round trips and every bad input."""

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from joblib import parallel_config
from pymatgen.core import Lattice, Structure
from pymatgen.io.vasp import Poscar

from sklearn_xas.datasets import (
    XASDataset,
    format_poscar,
    load_feff_tree,
    parse_poscar,
    write_feff_tree,
)
from sklearn_xas.exceptions import SkippedRecordsWarning, XASDataError


# ----------------------------------------------------------------------------- real data
@pytest.fixture(scope="session")
def cu_loaded(cu_tree):
    """The whole Cu tree, loaded once: (dataset, the warnings the load gave)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_feff_tree(cu_tree)
    return data, [w for w in caught if issubclass(w.category, UserWarning)]


@pytest.fixture(scope="session")
def exafs_loaded(exafs_tree):
    """The whole FEFF6L EXAFS tree, loaded once."""
    return load_feff_tree(exafs_tree)


@pytest.mark.shared_data
def test_cu_tree_counts_and_absorbers(cu_loaded):
    data, _ = cu_loaded
    f = data.frame
    assert len(data) == 4831
    assert f["material_id"].nunique() == 2195
    assert set(f["absorbing_element"]) == {"Cu"}
    assert set(f["spectrum_type"]) == {"XANES"} and set(f["edge"]) == {"K"}
    # the absorbing site itself is Cu in every structure
    assert all(s[i].specie.symbol == "Cu" for s, i in zip(f["structure"], f["absorbing_index"]))
    # one Structure object per material, shared by its rows
    assert len({id(s) for s in f["structure"]}) == 2195
    per_material = f.groupby("material_id")["structure"].agg(lambda s: len({id(v) for v in s}))
    assert (per_material == 1).all()
    assert {len(x) for x in f["x"]} == {173}
    assert np.isfinite(f["xsedge_norm"]).all() and (f["xsedge_norm"] > 0).all()
    assert data.skipped == []


@pytest.mark.shared_data
def test_cu_tree_reports_folders_without_spectra(cu_loaded, cu_tree):
    data, caught = cu_loaded
    without = data.frame.attrs["materials_without_spectra"]
    assert len(without) == 108
    assert not set(without) & set(data.frame["material_id"])
    assert all((Path(cu_tree) / m / "POSCAR").is_file() for m in without)
    assert all(not (Path(cu_tree) / m / "FEFF-XANES").exists() for m in without)
    messages = [str(w.message) for w in caught]
    assert any(m.startswith("108 material folder(s)") and without[0] in m for m in messages)


@pytest.mark.shared_data
def test_cu_tree_rows_equal_the_files(cu_loaded):
    data, _ = cu_loaded
    f = data.frame
    for pos in (0, 2417, len(f) - 1):
        path = f.loc[pos, "source"]
        m = re.search(r"/([^/]+)/FEFF-XANES/(\d+)_Cu/xmu\.dat$", path)
        assert m and m.group(1) == f.loc[pos, "material_id"]
        assert int(m.group(2)) == f.loc[pos, "absorbing_index"]
        table = np.loadtxt(path, comments="#")
        np.testing.assert_array_equal(f.loc[pos, "x"], table[:, 0])  # omega
        np.testing.assert_array_equal(f.loc[pos, "y"], table[:, 3])  # mu
        header = [ln for ln in open(path) if "used to normalize mu" in ln]
        assert f.loc[pos, "xsedge_norm"] == float(header[0].split()[-1])


@pytest.mark.shared_data
def test_cu_tree_structures_equal_pymatgen(cu_loaded, cu_tree):
    data, _ = cu_loaded
    f = data.frame.drop_duplicates("material_id").iloc[::150]
    for mid, ours in zip(f["material_id"], f["structure"]):
        ref = Poscar.from_file(Path(cu_tree) / mid / "POSCAR").structure
        np.testing.assert_array_equal(ours.lattice.matrix, ref.lattice.matrix)
        np.testing.assert_array_equal(ours.frac_coords, ref.frac_coords)
        assert [s.specie for s in ours] == [s.specie for s in ref]


@pytest.mark.shared_data
def test_cu_tree_holds_the_omnixas_splits(cu_loaded, cu_tree):
    data, _ = cu_loaded
    for name, n in (("Cu_FEFF_train.txt", 3340), ("Cu_FEFF_val.txt", 416)):
        ids = (Path(cu_tree) / "splits" / name).read_text().split()
        assert len(data.select_sites(ids)) == n


@pytest.mark.shared_data
def test_exafs_tree_matches_its_description(exafs_loaded):
    # ../shared/data/README.md: 5,643 spectra from 1,036 structures, 76 absorbing elements;
    # GENERATION.md: K edge for Z <= 56, L3 above; k = 0..16 in steps of 0.05.
    from pymatgen.core import Element

    f = exafs_loaded.frame
    assert len(f) == 5643 and f["material_id"].nunique() == 1036
    assert f["absorbing_element"].nunique() == 76
    assert set(f["spectrum_type"]) == {"EXAFS"}
    z = f["absorbing_element"].map(lambda el: Element(el).Z)
    assert (f["edge"] == np.where(z <= 56, "K", "L3")).all()
    assert f["edge"].value_counts().to_dict() == {"K": 5335, "L3": 308}
    counts = f["absorbing_element"].value_counts()
    assert counts.index[:2].tolist() == ["O", "Cu"]
    np.testing.assert_allclose(f.loc[0, "x"], np.arange(321) * 0.05, atol=1e-9)
    assert (f["multiplicity"] >= 1).all() and f["multiplicity"].dtype == np.int64
    assert all(s[i].specie.symbol == el for s, i, el in
               zip(f["structure"], f["absorbing_index"], f["absorbing_element"]))


@pytest.mark.shared_data
def test_exafs_tree_rows_equal_the_files(exafs_loaded):
    import xraydb

    f = exafs_loaded.frame
    for pos in (0, 1000, len(f) - 1):
        path = f.loc[pos, "source"]
        table = np.loadtxt(path, comments="#")
        np.testing.assert_array_equal(f.loc[pos, "x"], table[:, 0])
        np.testing.assert_array_equal(f.loc[pos, "y"], table[:, 1])
        header = open(path).read().splitlines()[1]
        assert f"multiplicity: {f.loc[pos, 'multiplicity']}" in header
        edge = xraydb.xray_edge(f.loc[pos, "absorbing_element"], f.loc[pos, "edge"]).energy
        assert abs(f.loc[pos, "edge_energy"] - edge) < 0.1


@pytest.mark.shared_data
def test_real_rows_survive_a_round_trip(cu_loaded, exafs_loaded, tmp_path):
    cu, _ = cu_loaded
    subset = XASDataset.concat([cu[:5], exafs_loaded[:6]])
    back = load_feff_tree(write_feff_tree(subset, tmp_path))
    _assert_same_rows(subset, back)


# ----------------------------------------------------------------------------- toy trees
@pytest.fixture
def nacl_rows(nacl):
    k = np.linspace(0.0, 14.0, 281)
    e = np.linspace(1060.0, 1120.0, 121)
    return [
        dict(material_id="nacl", absorbing_index=0, absorbing_element="Na", edge="K",
             spectrum_type="EXAFS", structure=nacl, x=k, y=np.sin(5.64 * k) / (1 + k),
             multiplicity=4, edge_energy=1070.8),
        dict(material_id="nacl", absorbing_index=4, absorbing_element="Cl", edge="K",
             spectrum_type="EXAFS", structure=nacl, x=k, y=np.cos(5.64 * k) / (1 + k),
             multiplicity=4, edge_energy=2822.4),
        dict(material_id="nacl", absorbing_index=0, absorbing_element="Na", edge="K",
             spectrum_type="XANES", structure=nacl, x=e, y=1 / (1 + np.exp(1075 - e)),
             multiplicity=4, xsedge_norm=2.5e-4),
    ]


def _assert_same_rows(a, b):
    fa, fb = a.frame, b.frame
    key = ["material_id", "spectrum_type", "absorbing_index"]
    fa = fa.sort_values(key).reset_index(drop=True)
    fb = fb.sort_values(key).reset_index(drop=True)
    assert len(fa) == len(fb)
    for col in ("material_id", "absorbing_index", "absorbing_element", "edge",
                "spectrum_type"):
        assert fa[col].tolist() == fb[col].tolist(), col
    for col in ("multiplicity", "xsedge_norm", "edge_energy"):
        if col in fa.columns:
            va = [None if v is None or v != v else v for v in fa[col]]
            vb = [None if v is None or v != v else v for v in fb[col]]
            assert va == vb, col
    for i in range(len(fa)):
        np.testing.assert_array_equal(fa.loc[i, "x"], fb.loc[i, "x"])
        np.testing.assert_array_equal(fa.loc[i, "y"], fb.loc[i, "y"])
        np.testing.assert_array_equal(fa.loc[i, "structure"].lattice.matrix,
                                      fb.loc[i, "structure"].lattice.matrix)
        np.testing.assert_array_equal(fa.loc[i, "structure"].frac_coords,
                                      fb.loc[i, "structure"].frac_coords)
        assert fa.loc[i, "structure"] == fb.loc[i, "structure"]


def test_both_kinds_load_together_and_round_trip(nacl_rows, tmp_path):
    data = XASDataset.from_records(nacl_rows)
    root = write_feff_tree(data, tmp_path / "tree")
    assert (root / "nacl" / "FEFF-EXAFS" / "004_Cl" / "chi.dat").is_file()
    assert (root / "nacl" / "FEFF-XANES" / "000_Na" / "xmu.dat").is_file()
    back = load_feff_tree(root)
    assert back.frame["spectrum_type"].tolist() == ["XANES", "EXAFS", "EXAFS"]
    assert back.frame["structure"].map(id).nunique() == 1
    _assert_same_rows(data, back)
    only = load_feff_tree(root, kinds=("EXAFS",))
    assert only.frame["spectrum_type"].tolist() == ["EXAFS", "EXAFS"]
    assert "xsedge_norm" not in only.frame.columns
    assert load_feff_tree(root, kinds="xanes").frame["spectrum_type"].tolist() == ["XANES"]


def test_parallel_read_equals_sequential(nacl_rows, nacl, tmp_path):
    rows = [dict(r, material_id=f"m{i}") for i in range(3) for r in nacl_rows]
    root = write_feff_tree(XASDataset.from_records(rows), tmp_path)
    one = load_feff_tree(root)
    with parallel_config(backend="threading"):  # the chunking logic, without process start-up
        two = load_feff_tree(root, n_jobs=2)
    _assert_same_rows(one, two)
    assert one.frame["source"].tolist() == two.frame["source"].tolist()


_FEFF_HEADER = """# Cu metal                                               Feff 9.9.1
# POT  SCF 100  7.0000   0, screened core-hole, AFOLP (folp(0)= 1.150)
# Abs   Z=29 Rmt= 1.325 Rnm= 1.386 {edge}  shell
# Pot 1 Z=29 Rmt= 1.325 Rnm= 1.386
#  xsedge+ 50, used to normalize mu           2.4327E-04
#  -----------------------------------------------------------------------
"""


def _cu_tree(root, files, poscar=True):
    """A one-material tree with FCC Cu; ``files`` maps relative paths to texts."""
    root = Path(root)
    cu = Structure(Lattice.cubic(3.61), ["Cu"] * 4,
                   [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    (root / "cu").mkdir(parents=True, exist_ok=True)
    if poscar:
        (root / "cu" / "POSCAR").write_text(format_poscar(cu))
    for rel, text in files.items():
        path = root / "cu" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _xmu(rows=((8970.0, 0.1), (8980.0, 0.5), (8990.0, 1.0)), edge="K"):
    body = "\n".join(f"  {w:.3f} {w - 8979:.3f} 0.0 {mu:.5E} 0.0 0.0" for w, mu in rows)
    columns = "#  omega    e    k    mu    mu0     chi     @#\n"
    return _FEFF_HEADER.format(edge=edge) + columns + body


def test_feff_native_files(tmp_path):
    chi = _FEFF_HEADER.format(edge="K") + "#    k      chi      mag      phase @#\n"
    chi += "\n".join(f"  {k:.4f} {np.sin(k):.6e} {abs(np.sin(k)):.6e} 0.1" for k in (0, 1, 2, 3))
    root = _cu_tree(tmp_path, {"FEFF-XANES/000_Cu/xmu.dat": _xmu(edge="L3"),
                               "FEFF-EXAFS/001_Cu/chi.dat": chi + "\n\n"})
    f = load_feff_tree(root).frame
    assert f["edge"].tolist() == ["L3", "K"]  # from FEFF's "Abs Z=29 ... shell" line
    np.testing.assert_array_equal(f.loc[0, "x"], [8970.0, 8980.0, 8990.0])
    np.testing.assert_array_equal(f.loc[0, "y"], [0.1, 0.5, 1.0])
    assert f.loc[0, "xsedge_norm"] == 2.4327e-4
    np.testing.assert_allclose(f.loc[1, "y"], np.round(np.sin([0, 1, 2, 3]), 6), rtol=1e-6)
    assert np.isnan(f.loc[1, "edge_energy"]) and f["multiplicity"].isna().all()


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "files, message",
    [
        ({"FEFF-XANES/000_Cu/xmu.dat": _xmu().replace("8980.000", "89x0.000")},
         r"xmu\.dat, line 9: '89x0\.000' \(column 1\) is not a number"),
        ({"FEFF-XANES/000_Cu/xmu.dat": _xmu() + "\n 8995.0 1.0"},
         r"xmu\.dat, line 11: expected 6 columns"),
        ({"FEFF-XANES/000_Cu/xmu.dat": _xmu(((8970.0, 0.1), (8980.0, float("nan"))))},
         r"xmu\.dat, line 9: non-finite value"),
        ({"FEFF-XANES/000_Cu/xmu.dat": _xmu(((8970.0, 0.1), (8990.0, 0.5), (8980.0, 1.0)))},
         r"xmu\.dat, line 10: the first column must increase strictly"),
        ({"FEFF-XANES/000_Cu/xmu.dat": _FEFF_HEADER.format(edge="K")},
         r"xmu\.dat, line 7: no data rows"),
        ({"FEFF-XANES/000_Cu/notes.txt": "FEFF failed"}, r"000_Cu/xmu\.dat: no such file"),
        ({"FEFF-XANES/009_Cu/xmu.dat": _xmu()},
         r"009_Cu/xmu\.dat / material 'cu', site 9: absorbing_index 9 is out of range"),
        ({"FEFF-XANES/001_Fe/xmu.dat": _xmu().replace("Z=29", "Z=26")},
         r"001_Fe/xmu\.dat / material 'cu', site 1: absorbing_index 1 points at a Cu site"),
        ({"FEFF-XANES/001_Zn/xmu.dat": _xmu()},
         r"site 1: FEFF's header names absorber Z=29 \(Cu\), but the site folder says Zn"),
        ({"FEFF-EXAFS/002_Cu/chi.dat": "# absorber: Ag  site: 2  edge: K\n0 1\n1 2\n"},
         r"header names absorber Ag, but the site folder says Cu"),
        ({"FEFF-EXAFS/002_Cu/chi.dat": "# absorber: Cu  site: 3  edge: K\n0 1\n1 2\n"},
         r"header names site 3, but the site folder says 2"),
        ({"FEFF-EXAFS/002_Cu/chi.dat": "# absorber: Cu  multiplicity: many\n0 1\n1 2\n"},
         r"chi\.dat, line 1: header value multiplicity: 'many' is not a valid int"),
        ({"FEFF-EXAFS/002_Cu/chi.dat": "# k\n0\n1\n"}, r"chi\.dat needs the columns 'k chi'"),
        ({"FEFF-EXAFS/site2/chi.dat": "0 1\n1 2\n"}, r"must be named <NNN>_<El>.*'site2'"),
    ],
)
def test_bad_spectrum_files_name_file_and_line(tmp_path, files, message):
    root = _cu_tree(tmp_path, files)
    with pytest.raises(XASDataError, match=message):
        load_feff_tree(root)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda t: t.replace("3.61 0.0 0.0", "3.61 zero 0.0", 1), r"POSCAR, line 3: expected 3"),
        (lambda t: "\n".join(t.splitlines()[:10]),
         r"POSCAR, line 11: the POSCAR declares 4 atoms"),
        (lambda t: t.replace("0.5 0.5 0.0 Cu", "0.5 0.5 Cu"), r"POSCAR, line 10: expected 3"),
        (lambda t: "Cu\n1.0\n", r"POSCAR, line 3: the POSCAR ends after 2 line"),
        (lambda t: t.replace("\n1.0\n", "\nabc\n"), r"POSCAR, line 2: expected 1 number"),
        (lambda t: t.replace("direct", "cartesian").replace("0.5 0.5 0.0 Cu", "0.5 x 0 Cu"),
         r"POSCAR: cannot parse the POSCAR \(line unknown"),
    ],
)
def test_bad_poscar_names_file_and_line(tmp_path, edit, message):
    root = _cu_tree(tmp_path, {"FEFF-XANES/000_Cu/xmu.dat": _xmu()})
    poscar = root / "cu" / "POSCAR"
    poscar.write_text(edit(poscar.read_text()))
    with pytest.raises(XASDataError, match=message):
        load_feff_tree(root)


def test_missing_poscar(tmp_path):
    root = _cu_tree(tmp_path, {"FEFF-XANES/000_Cu/xmu.dat": _xmu()}, poscar=False)
    with pytest.raises(XASDataError, match=r"structure is unusable: .*cu/POSCAR: no such file"):
        load_feff_tree(root)


def test_empty_and_wrong_paths(tmp_path):
    with pytest.raises(XASDataError, match="no such folder"):
        load_feff_tree(tmp_path / "absent")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(XASDataError, match="not a folder"):
        load_feff_tree(tmp_path / "file.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(XASDataError, match=r"no FEFF spectra found; expected <material_id>/"):
        load_feff_tree(tmp_path / "empty")
    root = _cu_tree(tmp_path / "poscars", {})
    with pytest.raises(XASDataError, match=r"1 material folder\(s\) hold a POSCAR but no spec"):
        load_feff_tree(root)
    root = _cu_tree(tmp_path / "one", {"FEFF-XANES/000_Cu/xmu.dat": _xmu()})
    with pytest.raises(XASDataError, match="single material folder"):
        load_feff_tree(root / "cu")
    with pytest.raises(ValueError, match="kinds"):
        load_feff_tree(root, kinds=("RIXS",))
    with pytest.raises(ValueError, match="on_error"):
        load_feff_tree(root, on_error="ignore")


def test_skip_policy_reports_how_many_and_which(tmp_path):
    root = _cu_tree(tmp_path, {
        "FEFF-XANES/000_Cu/xmu.dat": _xmu(),
        "FEFF-XANES/001_Cu/xmu.dat": _xmu().replace("8980.000", "89x0.000"),
        "FEFF-XANES/002_Cu/xmu.dat": _xmu(),
        "FEFF-XANES/007_Cu/xmu.dat": _xmu(),
    })
    (root / "only-poscar").mkdir()
    (root / "only-poscar" / "POSCAR").write_text((root / "cu" / "POSCAR").read_text())
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        data = load_feff_tree(root, on_error="skip")
    skipped = [str(w.message) for w in rec if w.category is SkippedRecordsWarning]
    assert len(skipped) == 1 and skipped[0].startswith("Skipped 2 bad record(s)")
    empty = [str(w.message) for w in rec if w.category is UserWarning]
    assert len(empty) == 1 and "1 material folder(s)" in empty[0] and "only-poscar" in empty[0]
    text = skipped[0]
    assert "001_Cu/xmu.dat, line 9" in text and "site 7: absorbing_index 7 is out of range" in text
    assert data.frame["absorbing_index"].tolist() == [0, 2]
    assert len(data.skipped) == 2
    assert data.frame.attrs["materials_without_spectra"] == ["only-poscar"]


# ----------------------------------------------------------------------------- POSCAR / writer
def test_parse_poscar_fast_path_and_fallbacks(nacl):
    text = format_poscar(nacl)
    fast = parse_poscar(text)
    assert fast == nacl and fast == Poscar.from_str(text).structure
    cart = Poscar(nacl).get_str().replace("direct", "cartesian")
    cart_lines = cart.splitlines()
    cart_lines[8:] = [" ".join(map(repr, s.coords.tolist())) + f" {s.specie}" for s in nacl]
    assert parse_poscar("\n".join(cart_lines)) == nacl  # pymatgen path (Cartesian)
    vasp4 = text.splitlines()
    del vasp4[5]  # no element line: pymatgen reads the symbols from the comment line
    vasp4[0] = "Na Cl"
    assert parse_poscar("\n".join(vasp4)).composition == nacl.composition


def test_format_poscar_refuses_disorder():
    s = Structure(Lattice.cubic(3), [{"Fe": 0.5, "Co": 0.5}], [[0, 0, 0]])
    with pytest.raises(XASDataError, match="partially occupied"):
        format_poscar(s)


def test_writer_errors(nacl_rows, nacl, tmp_path):
    data = XASDataset.from_records(nacl_rows)
    write_feff_tree(data, tmp_path)
    with pytest.raises(XASDataError, match="exists"):
        write_feff_tree(data, tmp_path)
    write_feff_tree(data, tmp_path, overwrite=True)
    with pytest.raises(XASDataError, match="duplicates row 0"):
        write_feff_tree(XASDataset.concat([data[:1], data[:1]]), tmp_path / "dup")
    other = nacl.copy()
    other.scale_lattice(nacl.volume * 1.1)
    rows = [nacl_rows[0], dict(nacl_rows[1], structure=other)]
    with pytest.raises(XASDataError, match="different structures"):
        write_feff_tree(XASDataset.from_records(rows), tmp_path / "two")
    with pytest.raises(XASDataError, match="not a valid folder name"):
        write_feff_tree(XASDataset.from_records([dict(nacl_rows[0], material_id="a/b")]),
                        tmp_path / "bad")
