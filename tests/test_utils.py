"""Shared utilities: frame checks, device choice, archives, discovery, optional imports."""

import io
import tarfile

import numpy as np
import pandas as pd
import pytest

from sklearn_xas.datasets import XASDataset, extract_archive, get_data_home
from sklearn_xas.exceptions import MissingOptionalDependencyError, XASDataError
from sklearn_xas.utils import (
    check_frame,
    check_spectrum_type,
    import_optional,
    is_frame,
    progress,
    resolve_device,
    row_label,
    single_spectrum_type,
)
from sklearn_xas.utils.discovery import all_estimators


def test_check_frame_accepts_dataset_and_frame(toy_records):
    data = XASDataset.from_records(toy_records)
    assert check_frame(data, ["x", "y"]) is data.frame
    assert check_frame(data.frame) is data.frame
    with pytest.raises(TypeError, match="XASDataset"):
        check_frame(np.zeros((2, 2)), step="MyStep")
    with pytest.raises(XASDataError, match=r"MyStep: X lacks the column\(s\) \['z'\]"):
        check_frame(data, ["z"], step="MyStep")


def test_spectrum_type_checks_name_the_row(toy_records):
    frame = XASDataset.from_records(toy_records).frame.copy()
    assert single_spectrum_type(frame) == "EXAFS"
    frame.loc[2, "spectrum_type"] = "XANES"
    with pytest.raises(XASDataError, match=r"row 2 \(material 'toy-2', site 0, Na\)"):
        check_spectrum_type(frame, "EXAFS", step="Resampler")
    with pytest.raises(XASDataError, match="other type"):
        single_spectrum_type(frame)
    assert row_label(pd.DataFrame({"a": [1]}), 0) == "row 0"


def test_resolve_device(monkeypatch):
    import torch

    assert resolve_device("cpu") == "cpu"
    assert resolve_device("cuda:1") == "cuda:1"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda"


def test_import_optional_names_the_extra():
    with pytest.raises(MissingOptionalDependencyError, match=r"sklearn-xas\[simulate\]"):
        import_optional("surely_not_a_module_xyz", extra="simulate", purpose="FEFF")


def test_progress_is_transparent():
    assert list(progress(range(4), enabled=True, desc="test")) == [0, 1, 2, 3]
    assert list(progress(iter(range(2)), enabled=False)) == [0, 1]


def test_extract_archive_once(tmp_path):
    src = tmp_path / "tree.tar.gz"
    with tarfile.open(src, "w:gz") as tar:
        payload = b"hello"
        info = tarfile.TarInfo("tree/mp-1/POSCAR")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    home = get_data_home(tmp_path / "home")
    root = extract_archive(src, data_home=home)
    assert root.name == "tree" and (root / "mp-1" / "POSCAR").read_bytes() == b"hello"
    (root / "mp-1" / "POSCAR").write_bytes(b"kept")
    assert extract_archive(src, data_home=home) == root
    assert (root / "mp-1" / "POSCAR").read_bytes() == b"kept"  # not extracted twice
    with pytest.raises(XASDataError, match="no such archive"):
        extract_archive(tmp_path / "missing.tar.gz", data_home=home)
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"not a tar")
    with pytest.raises(XASDataError, match="cannot extract"):
        extract_archive(bad, data_home=home)


def test_all_estimators_filters():
    every = dict(all_estimators())
    assert all(name == cls.__name__ for name, cls in every.items())
    classifiers = {n for n, _ in all_estimators("classifier")}
    regressors = {n for n, _ in all_estimators("regressor")}
    transformers = {n for n, _ in all_estimators("transformer")}
    assert {"NeighborTypeClassifier", "CoordinationNumberClassifier",
            "PerElementMajorityClassifier"} <= classifiers
    assert {"SpectrumRegressor", "NNDistanceRegressor", "PerElementMeanRegressor"} <= regressors
    assert {"SpectrumResampler", "EXAFSExtractor", "AbsorberRDFFeaturizer"} <= transformers
    assert not classifiers & regressors and not transformers & (classifiers | regressors)
    assert classifiers | regressors | transformers <= set(every)
    with pytest.raises(ValueError, match="type_filter"):
        all_estimators("clusterer")


def test_scikit_learn_indexing_keeps_a_dataset_a_dataset(toy_records):
    from sklearn.utils import _safe_indexing

    data = XASDataset.from_records(toy_records)
    for key in ([2, 0], np.array([2, 0]), np.array([False, True, True])[[2, 0, 1]]):
        fold = _safe_indexing(data, key)  # what GridSearchCV does with an XASDataset
        assert isinstance(fold, XASDataset), type(fold)
    fold = _safe_indexing(data, [2, 0])
    frame = check_frame(fold, ["structure", "x"])
    assert list(frame["material_id"]) == ["toy-2", "toy-1"]
    np.testing.assert_array_equal(frame["y"].iloc[1], data[0].y)
    assert _safe_indexing(data, slice(1, 3)).shape[0] == 2


def test_check_frame_accepts_rows_of_a_dataset(toy_records):
    data = XASDataset.from_records(toy_records)
    frame = check_frame(list(data)[::-1], ["structure", "x"])
    assert list(frame["material_id"]) == ["toy-2", "toy-1", "toy-1"]
    assert is_frame(list(data)) and not is_frame([]) and not is_frame(np.zeros((2, 2)))


def test_subpackages_and_cli_do_not_import_torch():
    """The top-level names are lazy: reading data or asking the CLI for help skips torch."""
    import subprocess
    import sys

    code = (
        "import sys, sklearn_xas, sklearn_xas.datasets, sklearn_xas.simulate, sklearn_xas._cli\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "from sklearn_xas import NNDistanceRegressor, XASDataset\n"
        "assert 'torch' in sys.modules\n"
        "assert NNDistanceRegressor.__module__ == 'sklearn_xas.estimators._nn_distance'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
