"""Local-structure targets: known answers, the data-set computation, bad input."""

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config
from pymatgen.core import Lattice, Structure

from sklearn_xas.datasets import XASDataset, load_feff_tree, load_xas_json, parse_poscar
from sklearn_xas.exceptions import SkippedRecordsWarning, TargetFallbackWarning, XASDataError
from sklearn_xas.targets import (
    METHODS,
    TARGETS,
    _compute,
    compute_targets,
    coordination_number,
    first_shell,
    mean_nn_distance,
    neighbor_types,
)


def _targets(structure, index, method):
    return (neighbor_types(structure, index, method=method),
            coordination_number(structure, index, method=method),
            mean_nn_distance(structure, index, method=method))


# ----------------------------------------------------------------------------- known answers
@pytest.mark.parametrize("method", METHODS)
def test_rock_salt(nacl, method):
    a = nacl.lattice.a
    for index, other in ((0, "Cl"), (3, "Cl"), (4, "Na")):
        types, cn, dist = _targets(nacl, index, method)
        assert (types, cn) == ((other,), 6)
        assert dist == pytest.approx(a / 2, abs=1e-9)
    shell = first_shell(nacl, 0, method=method)
    np.testing.assert_allclose(shell.distances, a / 2)
    assert set(shell.indices.tolist()) <= {4, 5, 6, 7}


@pytest.mark.shared_data
@pytest.mark.parametrize("method", METHODS)
def test_licoo2_and_site1_fixtures(fixtures_dir, method):
    lco = load_xas_json(fixtures_dir / "LiCoO2_k_xanes.json")[0]
    types, cn, dist = _targets(lco.structure, lco.absorbing_index, method)
    assert (types, cn) == (("O",), 6)
    assert dist == pytest.approx(1.94, abs=0.01)
    site1 = load_xas_json(fixtures_dir / "site1_k_xanes.json")[0]
    types, cn, dist = _targets(site1.structure, site1.absorbing_index, method)
    assert (types, cn) == (("O",), 6) and 1.90 < dist < 1.97


@pytest.mark.shared_data
@pytest.mark.parametrize(
    "material, index, expected",
    [
        ("mp-361", 0, (("O",), 2, 1.857)),  # Cu2O (cuprite): linear O-Cu-O
        ("mp-1692", 0, (("O",), 4, 1.949)),  # CuO: square-planar Cu
        ("mp-3098", 2, (("O",), 2, 1.882)),  # CuAlO2 delafossite: linear Cu(I)
        ("mp-3098", 0, (("O",), 6, 1.926)),  # ... and octahedral Al
        ("mp-3098", 4, (("Al", "Cu"), 4, 1.915)),  # O: 3 Al + 1 Cu
    ],
)
def test_real_structures_from_the_cu_tree(cu_tree, material, index, expected):
    structure = parse_poscar((cu_tree / material / "POSCAR").read_text())
    for method in METHODS:
        types, cn, dist = _targets(structure, index, method)
        assert (types, cn) == expected[:2]
        assert dist == pytest.approx(expected[2], abs=2e-3)


@pytest.mark.shared_data
def test_multi_element_fixture(fixtures_dir):
    data = load_xas_json(fixtures_dir / "mp_xanes_k_multielement.json")
    t = compute_targets(data)
    f = data.frame
    assert all("O" in types for types in t["neighbor_types"])
    by_id = dict(zip(f["material_id"] + ":" + f["absorbing_element"], t.itertuples()))
    assert by_id["mp-765236:Li"].neighbor_types == ("F", "O")
    assert by_id["mp-769928:Nb"].coordination_number == 6
    assert t["mean_nn_distance"].between(1.2, 2.7).all()


# ----------------------------------------------------------------------------- compute_targets
def test_compute_targets_aligns_with_rows(toy_records):
    data = XASDataset.from_records(toy_records)
    frame = data.frame.set_axis([10, 20, 30])
    t = compute_targets(frame, method="cutoff")
    assert t.index.tolist() == [10, 20, 30]
    assert t.columns.tolist() == list(TARGETS)
    assert t["neighbor_types"].tolist() == [("Cl",), ("Na",), ("Cl",)]
    assert t["coordination_number"].dtype == np.int64
    np.testing.assert_allclose(t["mean_nn_distance"], 2.82)
    only = compute_targets(data, targets=("coordination_number", "neighbor_types"))
    assert only.columns.tolist() == ["coordination_number", "neighbor_types"]
    assert compute_targets(data, targets="mean_nn_distance").shape == (3, 1)


def test_each_site_is_computed_once(toy_records, monkeypatch):
    calls = []
    real = _compute.first_shell

    def counting(structure, index, **kw):
        calls.append(index)
        return real(structure, index, **kw)

    monkeypatch.setattr(_compute, "first_shell", counting)
    data = XASDataset.from_records(toy_records * 3)  # 9 rows, 2 distinct sites of one NaCl
    t = compute_targets(data, method="cutoff")
    assert len(t) == 9 and sorted(calls) == [0, 4]


def test_parallel_equals_sequential(toy_records):
    data = XASDataset.from_records(toy_records)
    one = compute_targets(data)
    with parallel_config(backend="threading"):
        two = compute_targets(data, n_jobs=2)
    pd.testing.assert_frame_equal(one, two)


def test_bad_input(nacl, toy_records):
    data = XASDataset.from_records(toy_records)
    with pytest.raises(ValueError, match="targets must be among"):
        compute_targets(data, targets=("bond_angle",))
    with pytest.raises(ValueError, match="method must be one of"):
        compute_targets(data, method="voronoi")
    with pytest.raises(ValueError, match="method must be one of"):
        first_shell(nacl, 0, method="voronoi")
    with pytest.raises(ValueError, match="tol"):
        first_shell(nacl, 0, method="cutoff", tol=-1)
    with pytest.raises(ValueError, match="on_error"):
        compute_targets(data, on_error="skip")
    with pytest.raises(XASDataError, match="site index 8 is out of range"):
        neighbor_types(nacl, 8)
    with pytest.raises(TypeError, match="pymatgen Structure"):
        neighbor_types("NaCl", 0)
    with pytest.raises(XASDataError, match="lacks the column"):
        compute_targets(data.frame.drop(columns="structure"))
    with pytest.raises(XASDataError, match="holds no rows"):
        compute_targets(data.frame.iloc[:0])
    frame = data.frame.copy()
    frame.loc[1, "structure"] = None
    with pytest.raises(XASDataError, match=r"row 1 \(material 'toy-1', site 4.*no pymatgen"):
        compute_targets(frame)
    disordered = Structure(Lattice.cubic(3.0), [{"Fe": 0.5, "Co": 0.5}, "O"],
                           [[0, 0, 0], [0.5, 0.5, 0.5]])
    with pytest.raises(XASDataError, match="partially occupied"):
        first_shell(disordered, 1, method="cutoff")


def test_unfindable_shell_raises_or_gives_nan(toy_records):
    lonely = Structure(Lattice.cubic(40.0), ["Fe"], [[0, 0, 0]])  # no neighbour within 16 A
    rows = toy_records[:2] + [dict(toy_records[0], material_id="lonely", structure=lonely,
                                   absorbing_element="Fe")]
    data = XASDataset.from_records(rows)
    with pytest.raises(XASDataError, match=r"row 2 \(material 'lonely'.*found no neighbour"):
        compute_targets(data, method="cutoff")
    with pytest.warns(SkippedRecordsWarning, match=r"(?s)1 row\(s\) have no targets.*row 2"):
        t = compute_targets(data, method="cutoff", on_error="nan")
    assert t["neighbor_types"].tolist()[:2] == [("Cl",), ("Na",)]
    assert t.loc[2, "neighbor_types"] is None and np.isnan(t.loc[2, "mean_nn_distance"])
    assert t["coordination_number"].dtype == "Int64" and pd.isna(t.loc[2, "coordination_number"])


def test_crystalnn_without_neighbours_falls_back_to_the_cutoff_rule(toy_records):
    """CrystalNN finds nothing around Tl in CsCl-type TlBr; the cutoff rule then answers."""
    tlbr = Structure(Lattice.cubic(3.97), ["Tl", "Br"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    rows = [dict(toy_records[0], material_id="TlBr", structure=tlbr, absorbing_index=i,
                 absorbing_element=el) for i, el in [(0, "Tl"), (1, "Br")]]
    rows.append(toy_records[0])
    data = XASDataset.from_records(rows)
    with pytest.warns(TargetFallbackWarning, match=r"(?s)2 row\(s\).*cutoff.*row 0 .*TlBr") as w:
        t = compute_targets(data)
    assert w[0].message.rows == [0, 1] == t.attrs["fallback_rows"]
    assert t["neighbor_types"].tolist() == [("Br",), ("Tl",), ("Cl",)]
    np.testing.assert_allclose(t.loc[:1, "mean_nn_distance"], 3.97 * np.sqrt(3) / 2)
    assert t.loc[:1, "coordination_number"].tolist() == [8, 8]
    with pytest.raises(XASDataError, match="row 0.*TlBr.*found no neighbour"):
        compute_targets(data, fallback=None)


@pytest.mark.shared_data
@pytest.mark.slow
def test_targets_for_every_row_of_the_shared_exafs_tree(exafs_tree):
    data = load_feff_tree(exafs_tree)
    with pytest.warns(TargetFallbackWarning) as w:
        t = compute_targets(data, n_jobs=2)
    assert not t.isna().any().any()
    assert 536 in t.attrs["fallback_rows"]  # N in CuN2(Cl2O)2, no CrystalNN neighbour
    assert len(t.attrs["fallback_rows"]) < 0.01 * len(data)
    assert "mp-1181556" in str(w[0].message)
