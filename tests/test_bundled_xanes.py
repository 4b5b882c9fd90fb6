"""The bundled prototype XANES set: content, consistency with FEFF10 and the EXAFS set."""

import numpy as np
import pytest

from sklearn_xas._core import edge_energy, find_e0
from sklearn_xas.datasets import (
    XASDataset,
    load_prototype_exafs,
    load_prototype_xanes,
    prototype_xanes_info,
)
from sklearn_xas.datasets._bundled import DATA_DIR, XANES_FILE, XANES_META_FILE
from sklearn_xas.exceptions import XASDataError


@pytest.fixture(scope="module")
def data():
    return load_prototype_xanes()


def test_files_are_small_and_pickle_free():
    spectra, meta = DATA_DIR / XANES_FILE, DATA_DIR / XANES_META_FILE
    assert spectra.stat().st_size + meta.stat().st_size < 2_000_000
    with np.load(spectra, allow_pickle=False) as npz:  # raises if anything is pickled
        assert {"material_id", "absorbing_index", "absorbing_element", "edge", "multiplicity",
                "energy", "mu", "xsedge_norm"} <= set(npz.files)


def test_content(data):
    frame = data.frame
    assert isinstance(data, XASDataset) and set(frame["spectrum_type"]) == {"XANES"}
    assert len(frame) >= 300 and frame["absorbing_element"].nunique() >= 60
    heavy = frame["absorbing_element"].isin(["W", "Pt", "U"])
    assert heavy.any() and set(frame.loc[heavy, "edge"]) == {"L3"}
    assert set(frame.loc[frame["absorbing_element"] == "Cu", "edge"]) == {"K"}
    assert not frame.duplicated(["material_id", "absorbing_index"]).any()
    info = prototype_xanes_info()
    assert info["counts"]["sites"] == len(frame)
    assert info["counts"]["failed_sites"] == len(info["failures"])
    assert info["settings"]["fms_radius"] == 4.0 and "FEFF10" in info["description"]


def test_spectra_are_edges_where_the_tables_put_them(data):
    # FEFF's normalised mu rises through ~0.5 within a few eV of the tabulated edge and
    # its post-edge level is about 1 (normalised at +50 eV)
    frame = data.frame
    offsets, post = [], []
    for e, mu, el, edge in zip(frame["x"], frame["y"], frame["absorbing_element"],
                               frame["edge"]):
        assert np.all(np.diff(e) > 0) and np.all(np.isfinite(mu))
        offsets.append(find_e0(e, mu) - edge_energy(el, edge))
        post.append(np.interp(edge_energy(el, edge) + 50, e, mu))
    assert np.median(np.abs(offsets)) < 15
    assert 0.8 < np.median(post) < 1.2


def test_same_crystals_as_the_exafs_set(data):
    exafs = load_prototype_exafs(as_frame=True)
    by_id = dict(zip(exafs["material_id"], exafs["structure"]))
    common = [(m, s) for m, s in zip(data.frame["material_id"], data.frame["structure"])
              if m in by_id]
    assert len(common) > 0.9 * len(data)  # a few crystals have XANES but no EXAFS
    assert all(by_id[m] == s for m, s in common)
    # rows still pass the data model's checks (the index points at the element)
    XASDataset(data.frame, validate=True)


def test_filters():
    mgo = load_prototype_xanes(elements="Mg", prototypes="rocksalt", as_frame=True)
    assert set(mgo["absorbing_element"]) == {"Mg"} and set(mgo["prototype"]) == {"rocksalt"}
    with pytest.raises(XASDataError, match="Unknown prototype"):
        load_prototype_xanes(prototypes="quasicrystal")
    with pytest.raises(XASDataError, match="No row"):
        load_prototype_xanes(elements="Og")
