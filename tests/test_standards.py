"""The measured standards with textbook first shells (fixture and loader).

The fixture checks run without data; the loader's need ../shared/data
(measured-xafs.tar.gz) and skip without it.
"""

import json
import re
from collections import Counter

import numpy as np
import pytest
from pymatgen.core import Composition, Element

from sklearn_xas.datasets import XASDataset, load_measured_standards
from sklearn_xas.datasets._standards import STANDARD_COLUMNS, STANDARDS_FILE
from sklearn_xas.exceptions import XASDataError
from sklearn_xas.preprocessing import ChiFourierTransform, EXAFSExtractor
from sklearn_xas.utils._shared_data import shared_archive

ENTRIES = json.loads(STANDARDS_FILE.read_text(encoding="utf-8"))["standards"]
FIELDS = {"file", "group", "material", "formula", "absorber", "edge", "neighbors",
          "nn_distance", "cn", "structure", "citation"}
#: First-shell distance from the cubic lattice parameter, per structure type.
CUBIC = {"fcc": np.sqrt(2) / 2, "bcc": np.sqrt(3) / 2, "rock salt": 0.5,
         "zincblende": np.sqrt(3) / 4, "diamond": np.sqrt(3) / 4, "cuprite": np.sqrt(3) / 4}
CN = {"fcc": 12, "bcc": 8, "rock salt": 6, "zincblende": 4, "diamond": 4, "cuprite": 2}


def test_fixture_fields_and_values():
    assert 15 <= len(ENTRIES) <= 30
    keys = Counter((e["file"], e["group"]) for e in ENTRIES)
    assert max(keys.values()) == 1, "a file/group is listed twice"
    for e in ENTRIES:
        assert FIELDS <= set(e), e
        assert Element.is_valid_symbol(e["absorber"]) and e["edge"] in ("K", "L3")
        assert e["neighbors"] == sorted(e["neighbors"]) and e["neighbors"]
        assert all(Element.is_valid_symbol(n) for n in e["neighbors"])
        elements = {str(el) for el in Composition(e["formula"]).elements}
        assert all(Element.is_valid_symbol(el) for el in elements), e["formula"]
        assert {e["absorber"], *e["neighbors"]} <= elements, e["material"]
        assert 1.5 < e["nn_distance"] < 3.0 and isinstance(e["cn"], int) and e["cn"] > 0
        assert e["citation"] and e["structure"] and e["material"]
        assert not e["file"].startswith("/") and ".." not in e["file"]
        if e["file"].endswith(".prj"):
            assert e["group"], f"{e['file']}: an Athena project needs its group"


@pytest.mark.parametrize("entry", [e for e in ENTRIES
                                   if any(e["structure"].startswith(s) for s in CUBIC)],
                         ids=lambda e: e["material"])
def test_cubic_distances_follow_from_the_lattice(entry):
    """Each cubic entry's distance and CN are those its lattice parameter implies."""
    kind = next(s for s in CUBIC if entry["structure"].startswith(s))
    a = float(re.search(r"a = ([\d.]+) A", entry["structure"]).group(1))
    assert entry["nn_distance"] == pytest.approx(CUBIC[kind] * a, abs=0.002)
    assert entry["cn"] == CN[kind]


@pytest.fixture(scope="module")
def measured_root():
    root = shared_archive("measured-xafs.tar.gz")
    if root is None:
        pytest.skip("measured-xafs.tar.gz not found in ../shared/data")
    return root


@pytest.fixture(scope="module")
def standards(measured_root):
    return load_measured_standards(measured_root)


@pytest.mark.shared_data
def test_loader_returns_one_mu_row_per_standard(standards, measured_root):
    assert isinstance(standards, XASDataset) and len(standards) == len(ENTRIES)
    frame = standards.frame
    assert set(STANDARD_COLUMNS) <= set(frame.columns)
    assert (frame["spectrum_type"] == "XANES").all() and frame["structure"].isna().all()
    assert frame["absorbing_element"].tolist() == [e["absorber"] for e in ENTRIES]
    assert frame["true_neighbor_types"].tolist() == [tuple(e["neighbors"]) for e in ENTRIES]
    assert frame["true_nn_distance"].dtype == np.float64
    # the folder holding measured-xafs/ works too
    assert len(load_measured_standards(measured_root.parent)) == len(ENTRIES)


@pytest.mark.shared_data
def test_standards_give_chi_whose_first_peak_sits_below_the_distance(standards):
    """Every standard reaches k = 13.5 above E0, and for the light-backscatterer
    shells (3d metals, Ge, ZnSe) the first |chi(R)| peak lies 0.2-0.45 A below the
    textbook distance, the phase shift of FEFF's chi(k) (see test_preprocessing_real)."""
    out = EXAFSExtractor().transform(standards)
    assert min(k[-1] for k in out["x"]) > 13.5
    q = np.arange(0.0, 12.0001, 0.05)
    X = np.vstack([np.interp(q, k, chi) for k, chi in zip(out["x"], out["y"])])
    ft = ChiFourierTransform(k=q, kweight=2, kmin=3.0, kmax=12.0, dr=0.01).fit(X)
    F = ft.transform(X)
    light = {"Cu", "Fe", "Ni", "Co", "Ge", "Zn", "Se"}
    checked = 0
    for i, row in enumerate(out.itertuples()):
        if not set(row.true_neighbor_types) <= light or row.absorbing_element not in light:
            continue
        f = np.where(ft.r_ > 1.5, F[i], 0.0)
        offset = row.true_nn_distance - ft.r_[np.argmax(f)]
        assert 0.2 < offset < 0.45, (row.material_id, offset)
        checked += 1
    assert checked >= 10


def test_loader_errors(tmp_path):
    with pytest.raises(XASDataError, match="none of the 30 standards"):
        load_measured_standards(tmp_path)
