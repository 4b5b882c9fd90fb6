"""The bundled prototype EXAFS set: content, consistency with its structures, filters."""

import gzip
import json

import numpy as np
import pytest

from sklearn_xas.datasets import XASDataset
from sklearn_xas.datasets._bundled import (
    DATA_DIR,
    META_FILE,
    SPECTRA_FILE,
    load_prototype_exafs,
    prototype_exafs_info,
)
from sklearn_xas.exceptions import XASDataError


@pytest.fixture(scope="module")
def data():
    return load_prototype_exafs()


def test_files_are_small_and_pickle_free():
    spectra, meta = DATA_DIR / SPECTRA_FILE, DATA_DIR / META_FILE
    assert spectra.stat().st_size + meta.stat().st_size < 3_000_000
    with np.load(spectra, allow_pickle=False) as npz:  # raises if anything is pickled
        assert {"material_id", "absorbing_index", "absorbing_element", "edge", "multiplicity",
                "k", "chi"} <= set(npz.files)
    with gzip.open(meta, "rt") as fh:
        assert "materials" in json.load(fh)


def test_content(data):
    assert isinstance(data, XASDataset)
    frame = data.frame
    assert len(frame) >= 300
    assert frame["absorbing_element"].nunique() >= 60
    assert set(frame["spectrum_type"]) == {"EXAFS"}
    assert set(frame["edge"]) == {"K", "L3"}
    heavy = frame["absorbing_element"].isin(["La", "W", "Pt", "U"])
    assert heavy.any() and set(frame.loc[heavy, "edge"]) == {"L3"}
    assert set(frame.loc[frame["absorbing_element"] == "Cu", "edge"]) == {"K"}
    assert {"rocksalt", "cscl", "zincblende", "wurtzite", "fluorite", "rutile", "perovskite",
            "spinel", "corundum", "bcc", "fcc", "hcp", "diamond"} <= set(frame["prototype"])
    k = frame["x"][0]
    assert k.dtype == np.float64 and k.shape == (321,) and k[0] == 0 and np.isclose(k[-1], 16)
    Y = np.vstack(frame["y"])
    assert np.all(np.isfinite(Y)) and np.all(np.abs(Y[:, k > 3]).max(axis=1) > 1e-3)
    assert not frame.duplicated(["material_id", "absorbing_index"]).any()
    assert np.all(frame["multiplicity"] >= 1)


def test_rows_are_consistent_with_structures(data):
    # every row passes the data model's checks (index points at the declared element)
    XASDataset(data.frame, validate=True)
    frame = data.frame
    # one structure object per material, multiplicities sum to the cell's site count
    for _, group in frame.groupby("material_id"):
        structure = group["structure"].iloc[0]
        assert all(s is structure for s in group["structure"])
        assert group["multiplicity"].sum() <= len(structure)
    failed = {line.split("'")[1] for line in prototype_exafs_info()["failures"]}
    full = frame[frame["prototype"].isin(["rocksalt", "perovskite", "spinel"])
                 & ~frame["material_id"].isin(failed)]
    assert full["material_id"].nunique() >= 30
    for _, group in full.groupby("material_id"):
        assert group["multiplicity"].sum() == len(group["structure"].iloc[0])


def _first_ft_peak(k, chi, threshold=0.25):
    """R of the first local maximum of |FT[k^2 chi]| (k 3-14, Hanning) above threshold*max."""
    sel = (k >= 3) & (k <= 14)
    buf = np.zeros(2048)
    buf[: sel.sum()] = (chi * k**2)[sel] * np.hanning(sel.sum())
    ft = np.abs(np.fft.rfft(buf))
    r = np.pi * np.arange(ft.size) / (2048 * (k[1] - k[0]))
    keep = (r > 0.5) & (r < 7)
    ft, r = ft[keep], r[keep]
    peaks = np.flatnonzero((ft[1:-1] >= ft[:-2]) & (ft[1:-1] >= ft[2:])
                           & (ft[1:-1] >= threshold * ft.max())) + 1
    return r[peaks[0]]


def test_ft_first_peak_sits_below_nn_distance(data):
    """The usual EXAFS phase shift: first |FT| peak 0.2-0.5 A below the NN distance."""
    shifts = []
    for row in data.frame.itertuples():
        s = row.structure
        r_nn = min(n.nn_distance for n in s.get_neighbors(s[row.absorbing_index], 7.0))
        shifts.append(r_nn - _first_ft_peak(row.x, row.y))
    shifts = np.array(shifts)
    assert 0.2 <= np.median(shifts) <= 0.45
    # outliers: a light first shell (N, O, B) before a strong heavy-atom second shell
    assert np.mean((shifts > 0.1) & (shifts < 0.7)) >= 0.8


def test_filters_and_as_frame():
    frame = load_prototype_exafs(as_frame=True, elements=["Na", "Cl"], prototypes="rocksalt")
    assert set(frame["absorbing_element"]) <= {"Na", "Cl"} and len(frame) >= 1
    assert set(frame["prototype"]) == {"rocksalt"}
    with pytest.raises(XASDataError, match="Unknown prototype"):
        load_prototype_exafs(prototypes="kagome")
    with pytest.raises(XASDataError, match="No row"):
        load_prototype_exafs(elements="Og")


def test_material_split_and_info(data):
    train, test = data.train_test_split(0.25, random_state=0)
    assert not set(train.groups) & set(test.groups)
    info = prototype_exafs_info()
    assert info["settings"]["sigma2"] == 0.003 and info["settings"]["rmax"] == 6.0
    assert info["counts"]["spectra"] == len(data)
    assert "materials" not in info


def test_generation_reproduces_a_row(data):
    """The structure and spectrum of a row come back from the generator's code."""
    pytest.importorskip("larch.xafs", reason="xraylarch (the 'simulate' extra) is missing")
    from sklearn_xas.simulate import prototype_structures, simulate_exafs

    settings = prototype_exafs_info()["settings"]
    frame = data.frame
    row = frame[(frame["material_id"] == "proto-rocksalt-NaCl")
                & (frame["absorbing_element"] == "Cl")].iloc[0]
    (proto,) = [p for p in prototype_structures(elements=["Na", "Cl"])
                if p.material_id == row["material_id"]]
    assert proto.structure == row["structure"]
    k, chi = simulate_exafs(proto.structure, row["absorbing_index"], rmax=settings["rmax"],
                            nleg=settings["nleg"], sigma2=settings["sigma2"],
                            s02=settings["s02"])
    assert np.array_equal(k, row["x"])
    np.testing.assert_allclose(chi, row["y"], rtol=1e-5, atol=1e-6)  # stored as float32
