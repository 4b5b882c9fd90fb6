"""The data model: construction, validation, indexing, concatenation and splits."""

import numpy as np
import pandas as pd
import pytest

from sklearn_xas.datasets import SiteSpectrum, XASDataset
from sklearn_xas.exceptions import SkippedRecordsWarning, XASDataError


def test_from_records_builds_frame(toy_records):
    data = XASDataset.from_records(toy_records)
    assert len(data) == 3
    assert list(data.frame.columns[:8]) == [
        "material_id", "absorbing_index", "absorbing_element", "edge", "spectrum_type",
        "structure", "x", "y",
    ]
    row = data[1]
    assert isinstance(row, SiteSpectrum)
    assert (row.absorbing_element, row.absorbing_index, row.multiplicity) == ("Cl", 4, 4)
    assert row.site_id == "toy-1_004"
    np.testing.assert_array_equal(row.x, toy_records[1]["x"])
    assert [r.material_id for r in data] == ["toy-1", "toy-1", "toy-2"]
    assert "3 site spectra, 2 materials" in repr(data)


def test_indexing_and_concat(toy_records):
    data = XASDataset.from_records(toy_records)
    assert len(data[:2]) == 2
    assert len(data[np.array([True, False, True])]) == 2
    assert list(data[[2, 0]].frame["material_id"]) == ["toy-2", "toy-1"]
    both = data + data[:1]
    assert len(both) == 4 and both.frame.index.tolist() == [0, 1, 2, 3]
    with pytest.raises(IndexError, match="out of range"):
        data[7]
    with pytest.raises(XASDataError, match="empty"):
        XASDataset.concat([])


def test_groups_split_and_select(toy_records):
    data = XASDataset.from_records(toy_records)
    np.testing.assert_array_equal(data.groups, ["toy-1", "toy-1", "toy-2"])
    train, test = data.train_test_split(test_size=1, random_state=0)
    assert set(train.groups).isdisjoint(test.groups)
    assert len(train) + len(test) == 3
    assert len(data.select_sites(["toy-1_004", "toy-2_000"])) == 2
    with pytest.raises(XASDataError, match="not in the data set"):
        data.select_sites(["nope_001"])


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(absorbing_index=99), "out of range"),
        (dict(absorbing_index=4), "points at a Cl site"),
        (dict(x=np.r_[1.0, 0.5, 2.0], y=np.ones(3)), "strictly increasing"),
        (dict(y=np.r_[np.nan, np.ones(280)]), "non-finite"),
        (dict(x=np.ones(1), y=np.ones(1)), "at least 2 points"),
        (dict(spectrum_type="RIXS"), "spectrum_type"),
    ],
)
def test_bad_records_are_named(toy_records, change, message):
    bad = {**toy_records[0], **change, "source": "my/file.dat"}
    with pytest.raises(XASDataError, match=message) as info:
        XASDataset.from_records([toy_records[1], bad])
    assert "my/file.dat" in str(info.value) and "toy-1" in str(info.value)


def test_skip_policy_reports_what_it_skipped(toy_records):
    bad = {**toy_records[0], "absorbing_index": 99, "source": "bad.json"}
    with pytest.warns(SkippedRecordsWarning, match=r"(?s)Skipped 1 bad record.*bad.json"):
        data = XASDataset.from_records([bad, *toy_records[1:]], on_error="skip")
    assert len(data) == 2
    assert len(data.skipped) == 1 and "bad.json" in data.skipped[0]


def test_frame_constructor_validates(toy_records):
    frame = pd.DataFrame(toy_records)
    assert len(XASDataset(frame)) == 3
    with pytest.raises(XASDataError, match="required column"):
        XASDataset(frame.drop(columns="structure"))
    with pytest.raises(TypeError):
        XASDataset(toy_records)
