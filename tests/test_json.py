"""load_xas_json and fetch_materials_project: fixtures, conversions and bad input."""

import gzip
import json
import sys
import types

import numpy as np
import pandas as pd
import pytest
from monty.json import MontyEncoder
from pymatgen.analysis.xas.spectrum import XAS
from pymatgen.core import Lattice, Structure

from sklearn_xas.datasets import fetch_materials_project, load_xas_json
from sklearn_xas.exceptions import (
    MissingOptionalDependencyError,
    SkippedRecordsWarning,
    XASDataError,
)

MULTI = "mp_xanes_k_multielement.json"


@pytest.fixture(scope="module")
def mp_docs(fixtures_dir):
    return json.loads((fixtures_dir / MULTI).read_text())


@pytest.fixture
def xanes_dict(nacl):
    e = np.linspace(1060.0, 1110.0, 60)
    return XAS(e, 1 / (1 + np.exp(1075.0 - e)), nacl, "Na", edge="K",
               absorbing_index=0).as_dict()


# ----------------------------------------------------------------------------- fixtures
@pytest.mark.shared_data
def test_materials_project_documents(fixtures_dir, mp_docs):
    data = load_xas_json(fixtures_dir / MULTI)
    f = data.frame
    assert len(data) == 11
    assert set(f["absorbing_element"]) == {"C", "Zn", "Ti", "Ca", "Fe", "Li", "Nb", "Sn"}
    assert f["absorbing_element"].value_counts()[["Li", "Ca"]].tolist() == [3, 2]
    assert f["material_id"].tolist() == [d["material_id"] for d in mp_docs]
    assert f["absorbing_index"].tolist() == [d["spectrum"]["absorbing_index"] for d in mp_docs]
    assert set(f["spectrum_type"]) == {"XANES"} and set(f["edge"]) == {"K"}
    for row, doc in zip(data, mp_docs):
        np.testing.assert_array_equal(row.x, doc["spectrum"]["x"])
        np.testing.assert_array_equal(row.y, doc["spectrum"]["y"])
        assert row.x.size == 200
        assert row.structure == Structure.from_dict(doc["spectrum"]["structure"])
        assert row.structure[row.absorbing_index].specie.symbol == doc["absorbing_element"]
        assert doc["spectrum_id"] in row.source and MULTI in row.source


@pytest.mark.shared_data
def test_single_pymatgen_files(fixtures_dir):
    lco = load_xas_json(fixtures_dir / "LiCoO2_k_xanes.json")
    row = lco[0]
    # no absorbing_index in the file: the one Co site is inferred
    assert (row.material_id, row.absorbing_element, row.multiplicity) == (
        "LiCoO2_k_xanes", "Co", 1)
    assert row.structure[row.absorbing_index].specie.symbol == "Co"
    assert row.x.size == 100
    site1 = load_xas_json(str(fixtures_dir / "site1_k_xanes.json"))
    assert (site1[0].absorbing_index, site1[0].absorbing_element) == (8, "Co")
    assert site1[0].multiplicity is None
    both = load_xas_json([fixtures_dir / "LiCoO2_k_xanes.json", fixtures_dir / MULTI,
                          fixtures_dir / "site1_k_xanes.json"])
    assert len(both) == 13 and both.frame["absorbing_element"].nunique() == 9


@pytest.mark.shared_data
def test_loaded_objects_and_gzip(fixtures_dir, mp_docs, tmp_path):
    from_dicts = load_xas_json(mp_docs)
    from_spectra = load_xas_json([XAS.from_dict(d["spectrum"]) for d in mp_docs])
    from_file = load_xas_json(fixtures_dir / MULTI)
    gz = tmp_path / "docs.json.gz"
    with gzip.open(gz, "wt") as fh:
        json.dump(mp_docs, fh)
    from_gz = load_xas_json(gz)
    for other in (from_dicts, from_spectra, from_gz):
        assert (other.frame["absorbing_index"] == from_file.frame["absorbing_index"]).all()
        for a, b in zip(other, from_file):
            np.testing.assert_array_equal(a.y, b.y)
    # bare XAS objects carry no id: the reduced formula stands in
    assert from_spectra[0].material_id == from_spectra[0].structure.composition.reduced_formula
    assert from_dicts.frame["material_id"].tolist() == from_file.frame["material_id"].tolist()
    assert from_gz.frame["material_id"].tolist() == from_file.frame["material_id"].tolist()


def test_rows_of_one_material_share_the_structure(xanes_dict):
    docs = [dict(material_id="mp-22862", spectrum=xanes_dict, absorbing_element="Na"),
            dict(material_id="mp-22862", spectrum=dict(xanes_dict, absorbing_index=1),
                 absorbing_element="Na")]
    f = load_xas_json(docs).frame
    assert f["structure"][0] is f["structure"][1]


# ----------------------------------------------------------------------------- index inference
def test_index_inferred_for_equivalent_sites(xanes_dict, nacl):
    doc = dict(xanes_dict, absorbing_index=None)
    row = load_xas_json(doc)[0]
    assert (row.absorbing_index, row.multiplicity) == (0, 4)  # 4 equivalent Na, lowest index


def test_index_ambiguous_is_an_error(xanes_dict):
    two_co = Structure(Lattice.cubic(5.0), ["Co", "Co", "O"],
                       [[0, 0, 0], [0.5, 0.5, 0.5], [0.2, 0, 0]])
    doc = dict(xanes_dict, structure=two_co.as_dict(), absorbing_element="Co",
               absorbing_index=None)
    with pytest.raises(XASDataError, match=r"2 Co sites of .* fall into 2 symmetry-inequivalent"):
        load_xas_json(doc)
    with pytest.raises(XASDataError, match="holds no Fe site"):
        load_xas_json(dict(doc, absorbing_element="Fe"))


# ----------------------------------------------------------------------------- spectrum types
@pytest.mark.parametrize(
    "given, x, expected",
    [
        ("XANES", np.linspace(1060, 1110, 50), "XANES"),
        ("EXAFS", np.linspace(1060, 2060, 50), "XANES"),  # MP EXAFS: mu(E) on eV
        ("XAFS", np.linspace(1060, 2060, 50), "XANES"),
        ("EXAFS", np.linspace(0, 14, 50), "EXAFS"),  # chi(k)
        ("exafs", np.linspace(0, 14, 50), "EXAFS"),
    ],
)
def test_spectrum_type_mapping(xanes_dict, given, x, expected):
    doc = dict(xanes_dict, x=x.tolist(), y=np.sin(x).tolist(), spectrum_type=given)
    f = load_xas_json(doc).frame
    assert f.loc[0, "spectrum_type"] == expected
    assert f.loc[0, "source_spectrum_type"] == given.upper()


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "change, message",
    [
        (dict(absorbing_index=9), r"document.*site 9: absorbing_index 9 is out of range"),
        (dict(absorbing_index=5), r"absorbing_index 5 points at a Cl site"),
        (dict(y=[np.nan] + [1.0] * 59), r"y holds 1 non-finite value"),
        (dict(y=[np.inf] * 60), r"y holds 60 non-finite value"),
        (dict(x=[1.0, 3.0, 2.0] + list(range(4, 61))), r"x must be strictly increasing"),
        (dict(x=[1.0, 2.0]), r"x has 2 points but y has 60"),
        (dict(x=["a"] * 60), r"'x' must be numeric"),
        (dict(structure=None), r"the spectrum has no structure"),
        (dict(structure={"lattice": "?"}), r"cannot read the structure"),
        (dict(spectrum_type="RIXS"), r"unknown spectrum_type 'RIXS'"),
        (dict(x=None), r"the spectrum has no 'x' values"),
    ],
)
def test_bad_documents_name_the_record(xanes_dict, change, message):
    with pytest.raises(XASDataError, match=message):
        load_xas_json([dict(xanes_dict, **change)])


def test_bad_inputs(tmp_path, xanes_dict):
    with pytest.raises(XASDataError, match="empty list"):
        load_xas_json([])
    (tmp_path / "empty.json").write_text("[]")
    with pytest.raises(XASDataError, match=r"empty\.json: holds no XAS documents"):
        load_xas_json(tmp_path / "empty.json")
    (tmp_path / "broken.json").write_text('[\n  {"x": [1, 2],\n   "y": [1, 2,]}\n]')
    with pytest.raises(XASDataError, match=r"broken\.json, line 3, column \d+: invalid JSON"):
        load_xas_json(tmp_path / "broken.json")
    with pytest.raises(XASDataError, match=r"absent\.json: no such file"):
        load_xas_json(tmp_path / "absent.json")
    with pytest.raises(XASDataError, match=r"not an XAS document.*got keys \['foo'\]"):
        load_xas_json({"foo": 1})
    with pytest.raises(XASDataError, match="not an XAS document or pymatgen XAS object"):
        load_xas_json([42])
    mp_doc = dict(material_id="mp-1", spectrum=xanes_dict, absorbing_element="Cl")
    with pytest.raises(XASDataError, match="absorbing_element Cl differs from its spectrum's Na"):
        load_xas_json(mp_doc)
    with pytest.raises(ValueError, match="on_error"):
        load_xas_json(xanes_dict, on_error="ignore")


def test_skip_policy_reports_how_many_and_which(tmp_path, xanes_dict):
    path = tmp_path / "three.json"
    docs = [xanes_dict, dict(xanes_dict, absorbing_index=99), dict(xanes_dict, absorbing_index=2)]
    path.write_text(json.dumps(docs, cls=MontyEncoder))
    with pytest.warns(SkippedRecordsWarning, match=r"Skipped 2 bad record") as caught:
        data = load_xas_json([path, tmp_path / "absent.json"], on_error="skip")
    message = str(caught[0].message)
    assert "three.json[1]" in message and "absent.json: no such file" in message
    assert data.frame["absorbing_index"].tolist() == [0, 2]
    assert len(data.skipped) == 2 and "absorbing_index 99 is out of range" in data.skipped[0]
    with pytest.raises(XASDataError, match=r"three\.json\[1\].*out of range"):
        load_xas_json(path)


# ----------------------------------------------------------------------------- Materials Project
def test_fetch_needs_a_key_and_a_query(monkeypatch):
    monkeypatch.delenv("MP_API_KEY", raising=False)
    with pytest.raises(ValueError, match="MP_API_KEY"):
        fetch_materials_project(["mp-19017"])
    with pytest.raises(ValueError, match="material_ids and/or elements"):
        fetch_materials_project(api_key="k")


def test_fetch_without_mp_api(monkeypatch):
    monkeypatch.setitem(sys.modules, "mp_api.client", None)  # import fails
    with pytest.raises(MissingOptionalDependencyError, match=r"sklearn-xas\[mp\]"):
        fetch_materials_project(["mp-19017"], api_key="k")


def _fake_mp_api(docs, calls):
    """An ``mp_api.client`` stand-in whose ``materials.xas.search`` returns ``docs``."""

    class XASRester:
        def search(self, edge=None, absorbing_element=None, spectrum_type=None,
                   task_ids=None, **kwargs):
            calls.append(dict(edge=edge, absorbing_element=absorbing_element,
                              spectrum_type=spectrum_type, task_ids=task_ids))
            return [d for d in docs if absorbing_element in (None, str(d.absorbing_element))]

    class MPRester:
        def __init__(self, api_key):
            calls.append(dict(api_key=api_key))
            self.materials = types.SimpleNamespace(xas=XASRester())

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    return types.SimpleNamespace(MPRester=MPRester)


@pytest.mark.shared_data
@pytest.mark.filterwarnings("ignore:Set OLD_ERROR_HANDLING:DeprecationWarning")  # emmet/spglib
def test_fetch_converts_like_load_xas_json(monkeypatch, fixtures_dir, mp_docs):
    XASDoc = pytest.importorskip(
        "emmet.core.xas", reason="emmet comes with the mp extra (pip install 'sklearn-xas[mp]')"
    ).XASDoc

    # the documents as mp-api returns them: emmet XASDoc objects holding XAS objects
    docs = [XASDoc.from_spectrum(XAS.from_dict(d["spectrum"]), task_id=d["material_id"])
            for d in mp_docs]
    calls = []
    monkeypatch.setitem(sys.modules, "mp_api.client", _fake_mp_api(docs, calls))
    monkeypatch.setenv("MP_API_KEY", "from-env")
    data = fetch_materials_project(["mp-559618", "mp-14536"], elements=["Li", "Ca"])
    assert calls[0] == dict(api_key="from-env")
    assert [c["absorbing_element"] for c in calls[1:]] == ["Li", "Ca"]
    assert calls[1]["task_ids"] == ["mp-559618", "mp-14536"]
    assert (calls[1]["edge"], calls[1]["spectrum_type"]) == ("K", "XANES")
    reference = load_xas_json(fixtures_dir / MULTI).frame
    reference = pd.concat([reference[reference["absorbing_element"] == el] for el in ("Li", "Ca")])
    f = data.frame
    assert f["material_id"].tolist() == reference["material_id"].tolist()
    assert f["absorbing_index"].tolist() == reference["absorbing_index"].tolist()
    assert f["absorbing_element"].tolist() == reference["absorbing_element"].tolist()
    for y, y_ref in zip(f["y"], reference["y"]):
        np.testing.assert_array_equal(y, y_ref)
    fetch_materials_project("mp-559618", api_key="explicit")
    assert calls[-2] == dict(api_key="explicit") and calls[-1]["task_ids"] == ["mp-559618"]
    calls.clear()
    monkeypatch.setitem(sys.modules, "mp_api.client", _fake_mp_api([], calls))
    with pytest.raises(XASDataError, match="returned no XANES K-edge spectra"):
        fetch_materials_project(elements="Cu")
