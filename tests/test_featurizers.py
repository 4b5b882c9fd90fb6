"""Featurizers of the absorbing site: matminer wrapper, RDF, CHGNet, element encoder."""

import os
import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from pymatgen.core import Lattice, Structure
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_xas.datasets import XASDataset
from sklearn_xas.exceptions import SkippedRecordsWarning, XASDataError
from sklearn_xas.featurizers import (
    AbsorberElementEncoder,
    AbsorberRDFFeaturizer,
    AbsorberSiteFeaturizer,
    AbsorberSOAPFeaturizer,
    CHGNetSiteEmbedder,
    SevenNetSiteEmbedder,
    clear_feature_cache,
    scalar_property_table,
)
from sklearn_xas.featurizers._base import structure_key

N_CU_MATERIALS = 8
# matminer's CrystalNN on structures without oxidation states.
CRYSTALNN_NOTICES = [
    pytest.mark.filterwarnings("ignore:No oxidation states:UserWarning"),
    pytest.mark.filterwarnings("ignore:CrystalNN. cannot locate:UserWarning"),
]


def _read_cu(root, n_materials):
    """A few Cu K-edge XANES site spectra of the shared Lightshow tree."""
    records = []
    for mid in sorted(os.listdir(root)):
        folder = root / mid / "FEFF-XANES"
        if not folder.is_dir():
            continue
        structure = Structure.from_file(root / mid / "POSCAR")
        for sub in sorted(os.listdir(folder)):
            data = np.loadtxt(folder / sub / "xmu.dat", comments="#")
            records.append(
                dict(material_id=mid, absorbing_index=int(sub.split("_")[0]),
                     absorbing_element="Cu", edge="K", spectrum_type="XANES",
                     structure=structure, x=data[:, 0], y=data[:, 3])
            )
        if len({r["material_id"] for r in records}) >= n_materials:
            break
    return XASDataset.from_records(records)


@pytest.fixture(scope="module")
def cu(cu_tree):
    return _read_cu(cu_tree, N_CU_MATERIALS)


@pytest.fixture(scope="module")
def cu_targets(cu):
    return np.vstack(cu.frame["y"].to_list())


@pytest.fixture(scope="module")
def nacl_data(toy_records):
    return XASDataset.from_records(toy_records)


class CountingFeaturizer:
    """A tiny matminer-style site featurizer counting its calls (class-wide)."""

    calls = 0

    def __init__(self, scale=1.0, fail_on=None, nan_on=None):
        self.scale = scale
        self.fail_on = fail_on
        self.nan_on = nan_on

    def featurize(self, structure, index):
        type(self).calls += 1
        symbol = structure[index].specie.symbol
        if symbol == self.fail_on:
            raise RuntimeError(f"cannot handle {symbol}")
        value = np.nan if symbol == self.nan_on else self.scale * structure[index].specie.Z
        return [value, float(len(structure))]

    def feature_labels(self):
        return ["z_scaled", "n_sites"]


@pytest.fixture
def counting():
    CountingFeaturizer.calls = 0
    clear_feature_cache()
    yield CountingFeaturizer
    clear_feature_cache()


# ------------------------------------------------------------------ shared API
ALL_FEATURIZERS = [
    lambda: AbsorberSiteFeaturizer([CountingFeaturizer()]),
    lambda: AbsorberRDFFeaturizer(),
    lambda: AbsorberSOAPFeaturizer(),
    lambda: CHGNetSiteEmbedder(device="cpu"),
    lambda: AbsorberElementEncoder(),
]


@pytest.mark.parametrize("make", ALL_FEATURIZERS)
def test_clone_keeps_policies(make):
    est = make()
    params = {"on_error": "nan"}
    if "n_jobs" in est.get_params():
        params["n_jobs"] = 3
    cloned = clone(est.set_params(**params))
    assert cloned is not est
    for key, value in params.items():
        assert cloned.get_params()[key] == value


@pytest.mark.parametrize("make", ALL_FEATURIZERS)
def test_skip_is_not_a_policy(make, nacl_data):
    with pytest.raises(ValueError, match="on_error"):
        make().set_params(on_error="skip").fit(nacl_data)


@pytest.mark.parametrize("make", ALL_FEATURIZERS)
def test_dataset_frame_and_pairs_agree(make, nacl_data, counting):
    est = make().fit(nacl_data)
    by_dataset = est.transform(nacl_data)
    assert by_dataset.dtype == np.float64
    assert by_dataset.shape == (len(nacl_data), len(est.get_feature_names_out()))
    assert np.isfinite(by_dataset).all()
    np.testing.assert_array_equal(est.transform(nacl_data.frame), by_dataset)
    if not isinstance(est, AbsorberElementEncoder):
        pairs = list(zip(nacl_data.frame["structure"], nacl_data.frame["absorbing_index"]))
        np.testing.assert_array_equal(est.transform(pairs), by_dataset)


@pytest.mark.parametrize("make", ALL_FEATURIZERS[:2])
def test_set_output_pandas_names_columns(make, nacl_data):
    est = make().set_output(transform="pandas")
    out = est.fit_transform(nacl_data.frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(est.get_feature_names_out())


# ------------------------------------------------------------------ bad input
def _broken(frame, position, **changes):
    frame = frame.copy()
    for column, value in changes.items():
        frame.loc[position, column] = value
    return frame


@pytest.mark.parametrize("make", ALL_FEATURIZERS[:3])
def test_index_out_of_range_names_the_row(make, nacl_data):
    bad = _broken(nacl_data.frame, 2, absorbing_index=99)
    est = make().fit(nacl_data)
    with pytest.raises(XASDataError, match=r"row 2 \(material 'toy-2', site 99.*out of range"):
        est.transform(bad)


@pytest.mark.parametrize("make", ALL_FEATURIZERS[:3])
def test_index_at_another_element_names_the_row(make, nacl_data):
    bad = _broken(nacl_data.frame, 1, absorbing_element="Na")  # site 4 is Cl
    est = make().fit(nacl_data)
    with pytest.raises(XASDataError, match=r"row 1 .*points at a Cl site, not at .* Na"):
        est.transform(bad)


def test_nan_policy_warns_listing_rows(nacl_data):
    bad = _broken(nacl_data.frame, 1, absorbing_index=42)
    est = AbsorberRDFFeaturizer(on_error="nan").fit(nacl_data)
    with pytest.warns(SkippedRecordsWarning, match=r"(?s)1 of 3 row\(s\).*row 1 ") as record:
        out = est.transform(bad)
    assert record[0].message.rows == [1]
    assert np.isnan(out[1]).all()
    good = est.transform(nacl_data)
    np.testing.assert_array_equal(out[[0, 2]], good[[0, 2]])


def test_featurizer_that_raises_names_row_and_chains(nacl_data, counting):
    est = AbsorberSiteFeaturizer([CountingFeaturizer(fail_on="Cl")]).fit(nacl_data)
    with pytest.raises(XASDataError, match=r"row 1 .*CountingFeaturizer.featurize raised "
                       r"RuntimeError: cannot handle Cl") as info:
        est.transform(nacl_data)
    assert isinstance(info.value.__cause__, RuntimeError)
    est.set_params(on_error="nan")
    with pytest.warns(SkippedRecordsWarning, match="cannot handle Cl") as record:
        out = est.transform(nacl_data)
    assert record[0].message.rows == [1]
    assert np.isnan(out[1]).all() and np.isfinite(out[[0, 2]]).all()


def test_nan_from_a_featurizer_is_never_silent(nacl_data, counting):
    est = AbsorberSiteFeaturizer([CountingFeaturizer(nan_on="Na")]).fit(nacl_data)
    with pytest.raises(XASDataError, match=r"row 0 .*non-finite.*z_scaled"):
        est.transform(nacl_data)


def test_no_neighbour_within_cutoff_names_the_row(nacl):
    lonely = Structure(Lattice.cubic(20.0), ["Cu", "O"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    frame = pd.DataFrame({
        "material_id": ["nacl", "lonely"], "absorbing_index": [0, 0],
        "absorbing_element": ["Na", "Cu"], "structure": [nacl, lonely],
    })
    rdf = AbsorberRDFFeaturizer(cutoff=6.0).fit(frame)
    with pytest.raises(XASDataError, match=r"row 1 \(material 'lonely'.*no neighbour within"):
        rdf.transform(frame)
    with pytest.warns(SkippedRecordsWarning, match="no neighbour"):
        out = rdf.set_params(on_error="nan").transform(frame)
    assert np.isfinite(out[0]).all() and np.isnan(out[1]).all()


def test_not_pairs_is_a_type_error():
    with pytest.raises(TypeError, match=r"item 0 of X is not a \(structure, index\) pair"):
        AbsorberRDFFeaturizer().fit([1, 2])
    with pytest.raises(TypeError, match="XASDataset"):
        AbsorberRDFFeaturizer().fit("POSCAR")


# ------------------------------------------------------- AbsorberSiteFeaturizer
@CRYSTALNN_NOTICES[0]
@CRYSTALNN_NOTICES[1]
def test_site_featurizer_equals_matminer_crystalnn(cu):
    from matminer.featurizers.site import CrystalNNFingerprint

    data = cu[:4]
    cnn = CrystalNNFingerprint.from_preset("ops")
    est = AbsorberSiteFeaturizer([cnn]).fit(data)
    out = est.transform(data)
    expected = [cnn.featurize(s, i) for s, i in zip(data.frame.structure,
                                                    data.frame.absorbing_index)]
    np.testing.assert_allclose(out, np.array(expected, dtype=float))
    assert est.get_feature_names_out().tolist() == cnn.feature_labels()


@CRYSTALNN_NOTICES[0]
@CRYSTALNN_NOTICES[1]
def test_pipeline_with_crystalnn_ops_clones_and_grid_searches(cu, cu_targets):
    from matminer.featurizers.site import CrystalNNFingerprint

    cnn = CrystalNNFingerprint.from_preset("ops")
    pipe = Pipeline([
        ("site", AbsorberSiteFeaturizer([cnn], n_jobs=1, on_error="raise", cache=True)),
        ("scale", StandardScaler()),
        ("ridge", Ridge()),
    ])
    twin = clone(pipe)
    assert twin["site"].featurizers[0] is not cnn
    assert twin["site"].featurizers[0].op_types == cnn.op_types
    assert (twin["site"].n_jobs, twin["site"].cache) == (1, True)
    clear_feature_cache()
    search = GridSearchCV(pipe, {"ridge__alpha": [0.1, 10.0]}, cv=GroupKFold(n_splits=3),
                          error_score="raise")
    search.fit(cu, cu_targets, groups=cu.groups)
    assert search.best_params_["ridge__alpha"] in (0.1, 10.0)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    pred = search.predict(cu)
    assert pred.shape == cu_targets.shape
    clear_feature_cache()


def test_cache_computes_each_site_once_across_folds(cu, cu_targets, counting):
    n_sites = len(cu)
    pipe = make_pipeline(AbsorberSiteFeaturizer([CountingFeaturizer()], cache=True), Ridge())
    search = GridSearchCV(pipe, {"ridge__alpha": [0.1, 1.0, 10.0]}, cv=GroupKFold(n_splits=3))
    search.fit(cu, cu_targets, groups=cu.groups)
    assert counting.calls == n_sites
    # Without the cache: 3 candidates x 3 folds x (train + test sites) + the refit.
    counting.calls = 0
    search.set_params(estimator__absorbersitefeaturizer__cache=False)
    search.fit(cu, cu_targets, groups=cu.groups)
    assert counting.calls == 3 * 3 * n_sites + n_sites


def test_cache_key_is_content_and_parameters(nacl, counting):
    est = AbsorberSiteFeaturizer([CountingFeaturizer()], cache=True)
    est.fit_transform([(nacl, 0)])
    assert counting.calls == 1
    clone(est).fit_transform([(nacl.copy(), 0)])  # same content, other object
    assert counting.calls == 1
    assert structure_key(nacl.copy()) == structure_key(nacl)
    other = AbsorberSiteFeaturizer([CountingFeaturizer(scale=2.0)], cache=True)
    assert other.fit_transform([(nacl, 0)])[0, 0] == 22.0
    assert counting.calls == 2
    strained = nacl.copy()
    strained.apply_strain(0.01)
    assert structure_key(strained) != structure_key(nacl)


def test_cache_on_disk_survives_clearing_memory(nacl_data, tmp_path, counting):
    est = AbsorberSiteFeaturizer([CountingFeaturizer()], cache=tmp_path)
    first = est.fit_transform(nacl_data)
    assert counting.calls == 2  # toy-1 and toy-2 share NaCl: sites 0 and 4
    clear_feature_cache()
    second = clone(est).fit_transform(nacl_data)
    assert counting.calls == 2
    np.testing.assert_array_equal(first, second)
    assert any(p.suffix == ".npz" for p in tmp_path.rglob("*"))


def test_duplicate_labels_are_prefixed(nacl_data, counting):
    est = AbsorberSiteFeaturizer([CountingFeaturizer(), CountingFeaturizer(scale=2)])
    names = est.fit(nacl_data).get_feature_names_out().tolist()
    assert names == ["CountingFeaturizer0__z_scaled", "CountingFeaturizer0__n_sites",
                     "CountingFeaturizer1__z_scaled", "CountingFeaturizer1__n_sites"]
    assert est.transform(nacl_data)[0].tolist() == [11.0, 8.0, 22.0, 8.0]


def test_threads_give_the_same_matrix(cu, counting):
    est = AbsorberSiteFeaturizer([CountingFeaturizer()]).fit(cu)
    serial = est.transform(cu)
    with joblib.parallel_config(backend="threading"):
        threaded = est.set_params(n_jobs=2).transform(cu)
    np.testing.assert_array_equal(serial, threaded)


# ------------------------------------------------------- AbsorberRDFFeaturizer
def test_rdf_counts_and_weights_the_nacl_shells(nacl):
    rdf = AbsorberRDFFeaturizer(cutoff=4.5, n_bins=401, sigma=0.05, r_min=0.5,
                                properties=["Z", "electronegativity"], angular=True)
    row = rdf.fit_transform([(nacl, 0)])[0]
    names = rdf.get_feature_names_out()
    step = rdf.radii_[1] - rdf.radii_[0]

    def integral(channel, r_max):
        cols = [j for j, n in enumerate(names) if n.startswith(f"rdf_{channel}_")]
        mask = rdf.radii_ <= r_max
        return row[cols][mask].sum() * step

    assert integral("count", 3.4) == pytest.approx(6.0, rel=1e-3)  # 6 Cl at 2.82 A
    assert integral("Z", 3.4) == pytest.approx(6 * 17.0, rel=1e-3)
    assert integral("count", 4.3) == pytest.approx(6.0 + 12.0, rel=1e-3)  # + 12 Na at 3.99
    first = rdf.radii_ < 3.4
    peak = np.argmax(row[: len(rdf.radii_)][first])
    assert rdf.radii_[first][peak] == pytest.approx(2.82, abs=step)
    named = dict(zip(names, row))
    assert named["absorber_Z"] == 11.0
    assert named["absorber_electronegativity"] == pytest.approx(0.93)
    assert named["shell_cn"] == 6.0 and named["shell_mean_r"] == pytest.approx(2.82)
    # Octahedron: cos = -1 (3 pairs) and 0 (12 pairs); none near +1.
    assert named["shell_cos_+1.00"] < 1e-6 < named["shell_cos_-1.00"]


def test_rdf_one_neighbour_list_per_structure(cu, monkeypatch):
    calls = []
    original = Structure.get_neighbor_list

    def counted(self, *args, **kwargs):
        calls.append(len(kwargs.get("sites") or []))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Structure, "get_neighbor_list", counted)
    rdf = AbsorberRDFFeaturizer().fit(cu)
    together = rdf.transform(cu)
    assert len(calls) == cu.frame["material_id"].nunique()
    assert sum(calls) == len(cu)
    one_by_one = np.vstack([rdf.transform(cu[i : i + 1]) for i in range(len(cu))])
    np.testing.assert_allclose(together, one_by_one, rtol=1e-12, atol=1e-12)


def test_rdf_disordered_site_weights_by_occupancy(nacl):
    alloy = nacl.copy()
    for i in range(4, 8):
        alloy.replace(i, {"Cl": 0.5, "Br": 0.5})
    rdf = AbsorberRDFFeaturizer(cutoff=3.4, properties=["Z"], include_absorber=False)
    row = rdf.fit_transform([(alloy, 0)])[0]
    ordered = rdf.transform([(nacl, 0)])[0]
    half = len(rdf.radii_)
    np.testing.assert_allclose(row[:half], ordered[:half])  # same count
    np.testing.assert_allclose(row[half:], ordered[half:] * (17 + 35) / 2 / 17)


def test_rdf_grid_search_by_material(cu, cu_targets):
    pipe = Pipeline([("rdf", AbsorberRDFFeaturizer()), ("scale", StandardScaler()),
                     ("ridge", Ridge(alpha=10.0))])
    grid = {"rdf__cutoff": [4.0, 6.0], "rdf__sigma": [0.1, 0.3],
            "rdf__properties": [("Z",), ("Z", "electronegativity", "group")]}
    search = GridSearchCV(pipe, grid, cv=GroupKFold(n_splits=3), error_score="raise")
    search.fit(cu.frame, cu_targets, groups=cu.groups)
    best = search.best_estimator_["rdf"]
    assert best.cutoff in (4.0, 6.0)
    n_props = len(best.properties)
    assert len(best.get_feature_names_out()) == (1 + n_props) * best.n_bins + n_props


def test_rdf_rejects_unknown_property(nacl_data):
    with pytest.raises(ValueError, match="unknown element propert"):
        AbsorberRDFFeaturizer(properties=["Z", "spin"]).fit(nacl_data)
    with pytest.raises(ValueError, match="r_min"):
        AbsorberRDFFeaturizer(r_min=7.0, cutoff=6.0).fit(nacl_data)


@pytest.mark.slow  # starting a 2-process cluster takes 10-30 s on a busy machine
def test_soap_sees_geometry_not_species(nacl):
    """Species-blind: NaCl and KCl-sized-as-NaCl are one geometry; a strained cell, or
    the other site of a different lattice, is not; and it agrees with dscribe."""
    from dscribe.descriptors import SOAP
    from pymatgen.io.ase import AseAtomsAdaptor

    soap = AbsorberSOAPFeaturizer(r_cut=5.0, n_max=4, l_max=3).fit([(nacl, 0)])
    relabelled = nacl.copy()
    relabelled.replace_species({"Na": "K", "Cl": "Br"})
    strained = nacl.copy()
    strained.scale_lattice(nacl.volume * 1.1)
    a, b, c = soap.transform([(nacl, 0), (relabelled, 0), (strained, 0)])
    np.testing.assert_allclose(a, b, rtol=1e-6)
    assert np.abs(a - c).max() > 1e-2 * np.abs(a).max()
    assert a.shape == (len(soap.get_feature_names_out()),) == (4 * 5 // 2 * 4,)
    atoms = AseAtomsAdaptor.get_atoms(nacl)
    atoms.set_atomic_numbers([1] * len(atoms))
    ref = SOAP(species=["H"], periodic=True, r_cut=5.0, n_max=4, l_max=3,
               sigma=0.5).create(atoms, centers=[0])[0]
    np.testing.assert_allclose(a, ref, rtol=1e-6)


def test_dask_backend_gives_the_local_matrix(cu):
    distributed = pytest.importorskip("distributed")
    rdf = AbsorberRDFFeaturizer(angular=True).fit(cu)
    local = rdf.transform(cu)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dask's notices about ports and memory
        cluster = distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                           dashboard_address=None)
        with cluster, distributed.Client(cluster) as client:
            with joblib.parallel_backend("dask"):
                remote = rdf.transform(cu)
            workers = client.run(os.getpid)
    assert len(set(workers.values()) - {os.getpid()}) == 2
    np.testing.assert_array_equal(local, remote)


def test_one_cpu_thread_inside_restored_after_even_on_error():
    import torch

    from sklearn_xas.featurizers._base import one_cpu_thread

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with one_cpu_thread("cpu"):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        with pytest.raises(RuntimeError, match="boom"), one_cpu_thread(torch.device("cpu")):
            raise RuntimeError("boom")
        assert torch.get_num_threads() == 2
        with one_cpu_thread("meta"):  # not the CPU: left alone
            assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


# ---------------------------------------------------------- SevenNetSiteEmbedder
@pytest.fixture(scope="module")
def sevennet():
    pytest.importorskip("sevenn")
    from sklearn_xas.featurizers._sevennet import _load_sevennet

    return _load_sevennet("7net-0", "cpu")


def test_sevennet_last_block_reads_out_sevennets_energy(nacl, sevennet):
    # the potential's own readout, applied to the last block's features of every atom,
    # gives the energy SevenNet's ASE calculator computes: the features are the model's
    import torch
    from pymatgen.io.ase import AseAtomsAdaptor
    from sevenn import _keys as key
    from sevenn.calculator import SevenNetCalculator

    model, _, _ = sevennet
    strained = nacl.copy()
    strained.apply_strain([0.03, -0.02, 0.01])
    n = len(strained)
    last = SevenNetSiteEmbedder(layer=-1, device="cpu", cache=False).fit_transform(
        [(strained, i) for i in range(n)])
    assert last.shape == (n, 128)
    atoms = AseAtomsAdaptor.get_atoms(strained)
    with warnings.catch_warnings():  # no CUDA accelerator; torch.jit.script deprecated
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        atoms.calc = SevenNetCalculator("7net-0", device="cpu")
        reference = atoms.get_potential_energy()
    data = {key.NODE_FEATURE: torch.as_tensor(last, dtype=torch.float32),
            key.NODE_ATTR: model._atomic_numbers_to_onehot(
                torch.as_tensor(atoms.numbers, dtype=torch.long)),
            key.BATCH: torch.zeros(n, dtype=torch.long)}
    data[key.ATOM_TYPE] = data[key.NODE_ATTR]
    with torch.no_grad():
        for name in ("reduce_input_to_hidden", "reduce_hidden_to_energy",
                     "rescale_atomic_energy"):
            data = model._modules[name](data)
    energy = float(data[key.ATOMIC_ENERGY].sum())
    assert energy == pytest.approx(reference, abs=1e-3 * n)


def test_sevennet_invariant_sites_layers_and_cache(nacl, sevennet, monkeypatch):
    from pymatgen.core.operations import SymmOp

    clear_feature_cache()
    calls = []
    original = SevenNetSiteEmbedder._embed
    monkeypatch.setattr(SevenNetSiteEmbedder, "_embed",
                        lambda self, *a: calls.append(a[3]) or original(self, *a))
    rotated = nacl.copy()
    rotated.apply_operation(SymmOp.from_axis_angle_and_translation([1, 1, 0], 33.0))
    import torch

    threads = torch.get_num_threads()
    emb = SevenNetSiteEmbedder(device="cpu").fit([(nacl, 0)])
    out = emb.transform([(nacl, 0), (nacl, 1), (nacl, 4), (rotated, 0)])
    assert torch.get_num_threads() == threads  # one thread inside, restored after
    assert out.shape == (4, 4 * 224 + 128)
    assert emb.get_feature_names_out()[[0, -1]].tolist() == ["sevennet_l0_0",
                                                               "sevennet_l4_127"]
    np.testing.assert_allclose(out[1], out[0], atol=1e-5)  # equivalent Na sites
    np.testing.assert_allclose(out[3], out[0], atol=1e-4)  # a rotation changes nothing
    assert np.abs(out[2] - out[0]).max() > 0.1  # Cl is not Na
    assert len(calls) == 2  # one pass per structure, for all its sites
    several = clone(emb).set_params(layer=(0, -1)).fit([(nacl, 0)])
    stacked = several.transform([(nacl, 0)])  # from the cache
    assert len(calls) == 2 and several.layers_ == (0, 4)
    np.testing.assert_allclose(stacked[0], np.r_[out[0, :224], out[0, -128:]])
    blob = pickle.dumps(several)
    assert len(blob) < 20_000  # feature names, not the model's 3 MB of weights
    np.testing.assert_array_equal(pickle.loads(blob).transform([(nacl, 0)]), stacked)
    clear_feature_cache()


def test_sevennet_unknown_element_and_bad_layer(sevennet):
    _, spec, _ = sevennet
    missing = next(z for z in range(1, 100) if z not in spec["known"])
    from pymatgen.core import Element

    symbol = Element.from_Z(missing).symbol
    odd = Structure(Lattice.cubic(4.0), [symbol, "O"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    with pytest.raises(XASDataError, match=rf"row 0.*no atom type for {symbol}"):
        SevenNetSiteEmbedder(device="cpu", cache=False).fit_transform([(odd, 1)])
    with pytest.raises(ValueError, match=r"layer must be in \[0, 4\]"):
        SevenNetSiteEmbedder(device="cpu", layer=5).fit([(odd, 1)])


# ------------------------------------------------------------ CHGNetSiteEmbedder
@pytest.fixture(scope="module")
def chgnet_model():
    pytest.importorskip("chgnet")
    from sklearn_xas.featurizers._embedding import _load_chgnet

    return _load_chgnet("0.3.0", "cpu")[0]


@pytest.mark.filterwarnings("ignore:Converting a tensor:UserWarning")
def test_chgnet_layer3_is_chgnets_atom_features(cu, chgnet_model):
    data = cu[:3]
    clear_feature_cache()
    emb = CHGNetSiteEmbedder(device="cpu").fit(data)
    out = emb.transform(data)
    assert out.shape == (3, 64)
    for row, (s, i) in zip(out, zip(data.frame.structure, data.frame.absorbing_index)):
        ref = chgnet_model.predict_structure(s, task="e", return_atom_feas=True)["atom_fea"]
        np.testing.assert_allclose(row, ref[i], rtol=1e-5, atol=1e-5)
    assert emb.get_feature_names_out()[[0, -1]].tolist() == ["chgnet_l3_0", "chgnet_l3_63"]


def test_chgnet_batches_cache_and_layers(cu, chgnet_model, monkeypatch):
    data = cu[:5]
    clear_feature_cache()
    sizes = []
    original = CHGNetSiteEmbedder._forward

    def counted(self, model, graphs):
        sizes.append(len(graphs))
        return original(self, model, graphs)

    monkeypatch.setattr(CHGNetSiteEmbedder, "_forward", counted)
    n_structures = data.frame["material_id"].nunique()
    batched = CHGNetSiteEmbedder(device="cpu", batch_size=16, cache=False).fit(data)
    out = batched.transform(data)
    assert sizes == [n_structures]
    sizes.clear()
    single = CHGNetSiteEmbedder(device="cpu", batch_size=1, cache=True).fit(data)
    np.testing.assert_allclose(single.transform(data), out, rtol=1e-5, atol=1e-5)
    assert sizes == [1] * n_structures
    sizes.clear()
    several = clone(single).set_params(layer=(0, 3, -1)).fit(data)
    stacked = several.transform(data)  # all from the cache
    assert sizes == []
    assert stacked.shape == (len(data), 3 * 64)
    np.testing.assert_allclose(stacked[:, 64:128], out, rtol=1e-5, atol=1e-5)
    assert several.layers_ == (0, 3, 4)
    # Layer 0 is the element embedding: the same for every Cu site.
    np.testing.assert_allclose(stacked[:, :64], stacked[[0] * len(data), :64])
    clear_feature_cache()


def test_chgnet_pickles_without_the_model(nacl_data, chgnet_model):
    emb = CHGNetSiteEmbedder(device="cpu").fit(nacl_data)
    blob = pickle.dumps(emb)
    assert len(blob) < 5_000
    np.testing.assert_array_equal(pickle.loads(blob).transform(nacl_data),
                                  emb.transform(nacl_data))


def test_chgnet_bad_layer(nacl_data):
    pytest.importorskip("chgnet")
    with pytest.raises(ValueError, match=r"layer must be in \[0, 4\]"):
        CHGNetSiteEmbedder(device="cpu", layer=7).fit(nacl_data)


# --------------------------------------------------------- AbsorberElementEncoder
def test_element_encoder_frame_and_symbols(cu):
    enc = AbsorberElementEncoder()
    from_frame = enc.fit_transform(cu)
    assert np.unique(from_frame, axis=0).shape[0] == 1  # all Cu
    from_symbols = enc.transform(np.array(["Cu"] * len(cu)))
    np.testing.assert_array_equal(from_frame, from_symbols)
    names = enc.get_feature_names_out().tolist()
    cu_row = dict(zip(names, from_frame[0]))
    assert cu_row["Z"] == 29 and cu_row["row"] == 4 and cu_row["group"] == 11
    assert cu_row["n_d"] == 10 and cu_row["n_s"] == 1 and cu_row["block_d"] == 1


def test_element_encoder_every_element_finite():
    assert np.isfinite(scalar_property_table()[1:]).all()
    symbols = ["H", "He", "Ar", "Kr", "Lu", "U", "Lr"]
    out = AbsorberElementEncoder().fit_transform(symbols)
    assert np.isfinite(out).all()


def test_element_encoder_edges(toy_records):
    frame = pd.DataFrame({"absorbing_element": ["Cu", "Pb", "Fe"], "edge": ["K", "L3", "K"]})
    enc = AbsorberElementEncoder(properties=["Z"], edge=True)
    out = enc.fit_transform(frame)
    assert enc.get_feature_names_out().tolist() == ["Z", "edge_n", "edge_l", "edge_j",
                                                    "edge_energy_keV"]
    np.testing.assert_allclose(out[:, -1], [8.979, 13.035, 7.112], atol=2e-3)
    np.testing.assert_array_equal(out[1, 1:4], [2, 1, 1.5])
    with pytest.raises(XASDataError, match="edge=True needs"):
        enc.transform(["Cu"])


def test_element_encoder_unknown_symbol_names_row(nacl_data):
    frame = nacl_data.frame.copy()
    frame.loc[1, "absorbing_element"] = "Xx"
    enc = AbsorberElementEncoder().fit(frame)
    with pytest.raises(XASDataError, match=r"row 1 \(material 'toy-1'.*unknown element 'Xx'"):
        enc.transform(frame)
    with pytest.warns(SkippedRecordsWarning, match="Xx") as record:
        out = enc.set_params(on_error="nan").transform(frame)
    assert record[0].message.rows == [1]
    assert np.isnan(out[1]).all() and np.isfinite(out[[0, 2]]).all()
