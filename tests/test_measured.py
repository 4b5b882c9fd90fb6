"""Readers for measured spectra: XDI, Athena projects, column files and the dispatcher.

Real files come from ``../shared/data/measured-xafs.tar.gz`` (skipped when absent); bad
input is written into ``tmp_path``.
"""

import gzip
import io
import json
import re
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest

from sklearn_xas.datasets import (
    MEASURED_COLUMNS,
    XASDataset,
    load,
    load_athena,
    load_columns,
    load_feff_tree,
    load_xdi,
    write_feff_tree,
)
from sklearn_xas.exceptions import SkippedRecordsWarning, XASDataError
from sklearn_xas.preprocessing import edge_energy, find_e0
from sklearn_xas.utils._shared_data import SHARED_DATA_ENV, shared_archive

MEASURED_ARCHIVE = "measured-xafs.tar.gz"
DATA_SUFFIXES = {".xdi", ".prj", ".dat", ".xmu", ".chi", ".txt"}


@pytest.fixture(scope="session")
def measured():
    """Extracted root of the measured-spectra archive (``measured-xafs/``)."""
    root = shared_archive(MEASURED_ARCHIVE)
    if root is None:
        pytest.skip(
            f"{MEASURED_ARCHIVE} not found: put the shared data at ../shared/data (relative "
            f"to the project root) or set ${SHARED_DATA_ENV}."
        )
    return root


@pytest.fixture(scope="session")
def xdi_dir(measured):
    return measured / "XAS-Data-Interchange" / "data"


@pytest.fixture(scope="session")
def larch_dir(measured):
    return measured / "xraylarch" / "examples" / "xafsdata"


@pytest.fixture(scope="session")
def prj_dir(larch_dir):
    return larch_dir / "AthenaProjectFiles"


def _e0(row):
    return find_e0(row["x"], row["y"], smooth=2.0)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedRecordsWarning)
        return fn(*args, **kwargs)


# ----------------------------------------------------------------------------- XDI, real
@pytest.mark.shared_data
def test_xdi_cu_foil(xdi_dir):
    path = xdi_dir / "cu_metal_rt.xdi"
    data = load_xdi(path)
    assert isinstance(data, XASDataset) and len(data) == 1
    row = data.frame.iloc[0]
    assert (row["material_id"], row["absorbing_element"], row["edge"]) == ("Cu", "Cu", "K")
    assert row["spectrum_type"] == "XANES" and row["structure"] is None
    assert row["absorbing_index"] is None and data[0].site_id == "Cu"
    assert row["source"] == str(path) and row["file_format"] == "xdi"
    assert row["mu_source"] == "mutrans" and row["energy_unit"] == "eV"
    assert row["mono_d_spacing"] == pytest.approx(3.13553)
    assert row["edge_energy"] == 8979.0
    assert abs(_e0(row) - 8979.0) < 5.0
    # the whole scan, EXAFS region included: 200 eV below to ~1170 eV above the edge
    assert row["x"][0] == 8779.0 and row["x"][-1] > 10000.0
    assert row["metadata"]["Facility.name"] == "APS"
    assert list(data.frame.columns[-len(MEASURED_COLUMNS):]) == list(MEASURED_COLUMNS)


@pytest.mark.shared_data
def test_xdi_znse_two_edges_one_material(xdi_dir):
    data = load_xdi([xdi_dir / "zn_znse_rt.xdi", xdi_dir / "se_znse_rt.xdi"])
    f = data.frame
    assert f["absorbing_element"].tolist() == ["Zn", "Se"]
    assert f["material_id"].tolist() == ["ZnSe", "ZnSe"]  # one sample: one group in CV
    assert set(data.groups) == {"ZnSe"}
    assert f["mu_source"].tolist() == ["ln(i0/itrans)"] * 2  # no mu column: computed
    for (_, row), edge in zip(f.iterrows(), (9659.0, 12658.0)):
        assert abs(_e0(row) - edge) < 10.0


@pytest.mark.shared_data
def test_xdi_header_fields(xdi_dir, larch_dir):
    cold = load_xdi(xdi_dir / "cu_metal_10K.xdi").frame.iloc[0]
    assert cold["temperature"] == 10.0
    assert cold["metadata"]["Sample.temperature"] == "10 K"
    assert load_xdi(xdi_dir / "pt_metal_rt.xdi").frame.iloc[0]["edge"] == "L3"
    # non-standard headers: Scan.element/Scan.edge, ScanParameters.element/edge
    assert load_xdi(larch_dir / "cu_metal_rt.xdi").frame.iloc[0]["absorbing_element"] == "Cu"
    fe = load_xdi(larch_dir / "fe_xanes_8ch.xdi").frame.iloc[0]
    assert (fe["absorbing_element"], fe["edge"]) == ("Fe", "K")
    assert fe["mu_source"] == "ln(i0/itrans)"  # columns I0 and IT, in upper case


@pytest.mark.shared_data
def test_xdi_mu_choices(xdi_dir, larch_dir):
    path = xdi_dir / "cu_metal_rt.xdi"
    raw = np.loadtxt(path)  # energy i0 itrans mutrans
    stored = load_xdi(path).frame.iloc[0]
    trans = load_xdi(path, mu="trans").frame.iloc[0]
    assert trans["mu_source"] == "ln(i0/itrans)"
    np.testing.assert_allclose(trans["y"], np.log(raw[:, 1] / raw[:, 2]))
    # the file's mutrans is ln(i0/itrans), as the XDI dictionary defines it
    np.testing.assert_allclose(stored["y"], trans["y"], atol=1e-6)

    glass = larch_dir / "cu_romanglass.xdi"
    cols = np.loadtxt(glass)  # energy mufluor mutrans ifluor ifluor_raw i0 itrans ...
    default = load_xdi(glass).frame.iloc[0]
    assert default["mu_source"] == "mutrans"  # stored columns: mutrans before mufluor
    np.testing.assert_array_equal(default["y"], cols[:, 2])
    fluor = load_xdi(glass, mu="MuFluor").frame.iloc[0]
    np.testing.assert_array_equal(fluor["y"], cols[:, 1])
    computed = load_xdi(glass, mu="fluor").frame.iloc[0]
    assert computed["mu_source"] == "ifluor/i0"
    np.testing.assert_allclose(computed["y"], fluor["y"], rtol=1e-5)
    assert abs(_e0(fluor) - 8979.0) < 5.0

    eight = larch_dir / "fe_xanes_8ch.xdi"
    table = np.loadtxt(eight)  # Fe_Ka_mca1..8 are columns 16..23, I0 column 5
    row = load_xdi(
        eight, mu=lambda c: sum(c[f"fe_ka_mca{i}"] for i in range(1, 9)) / c["i0"]
    ).frame.iloc[0]
    assert row["mu_source"] == "callable"
    np.testing.assert_allclose(row["y"], table[:, 15:23].sum(axis=1) / table[:, 4])

    with pytest.raises(XASDataError, match=re.escape(str(path)) + ".*mutrans"):
        load_xdi(path, mu="ifluor")
    with pytest.raises(XASDataError, match="needs the columns ifluor"):
        load_xdi(path, mu="fluor")
    with pytest.raises(XASDataError, match="asked for column 'nope'"):
        load_xdi(path, mu=lambda c: c["nope"])


@pytest.mark.shared_data
@pytest.mark.parametrize("name, reason", [
    ("nonxafs_1d.xdi", r"no energy \(or angle\) column, the columns are x, i0"),
    ("nonxafs_2d.xdi", r"a 2-D scan \(Outer.name: x2d\)"),
    ("nonxafs_negvalues.xdi", r"no energy .*no element \(Element.symbol\)"),
])
def test_xdi_not_xafs_is_refused(xdi_dir, name, reason):
    path = xdi_dir / name
    with pytest.raises(XASDataError, match=re.escape(str(path)) + ": valid XDI but not an "
                       "XAFS spectrum.*" + reason):
        load_xdi(path)
    with pytest.raises(XASDataError, match="not an XAFS spectrum"):  # also with an element
        load_xdi(path, element="Cu", edge="K")


@pytest.mark.shared_data
def test_xdi_folder_skip_policy(xdi_dir):
    with pytest.warns(SkippedRecordsWarning, match="Skipped 3 bad record") as caught:
        data = load(xdi_dir, on_error="skip")
    assert len(data) == 13 and len(data.skipped) == 3
    assert all("nonxafs_" in s for s in data.skipped)
    assert "nonxafs" in str(caught[0].message)
    with pytest.raises(XASDataError, match="nonxafs_1d.xdi"):
        load(xdi_dir)


# ----------------------------------------------------------------------------- Athena, real
@pytest.mark.shared_data
def test_athena_gzipped_perl_project(prj_dir):
    path = prj_dir / "cu.prj"
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    data = load_athena(path)
    f = data.frame
    assert f["material_id"].tolist() == ["cu010k.dat", "cu050k.dat", "cu150k.dat"]
    assert set(f["absorbing_element"]) == {"Cu"} and set(f["edge"]) == {"K"}
    assert f["source"].iloc[0] == f"{path} (group 'cu010k.dat')"
    assert f["file_format"].unique().tolist() == ["athena"]
    proc = f["processing"].iloc[0]
    assert proc["e0"] == pytest.approx(8977.58) and proc["rbkg"] == 1.0
    assert proc["kweight"] == 2.0 and (proc["pre1"], proc["pre2"]) == (-150.0, -30.0)
    assert proc["record_type"] == "xmu" and proc["fft_window"] == "hanning"
    for _, row in f.iterrows():
        assert abs(_e0(row) - 8979.0) < 5.0


@pytest.mark.shared_data
@pytest.mark.parametrize("name, n, element", [
    ("json_unzipped.prj", 4, "Fe"),         # JSON, plain text
    ("FeFoil_QXAFS_Compare.prj", 4, "Fe"),  # JSON, gzipped
    ("Ni_FeNiS20_RT.prj", 8, "Ni"),
])
def test_athena_json_variant(prj_dir, name, n, element):
    data = load_athena(prj_dir / name)
    assert len(data) == n and set(data.frame["absorbing_element"]) == {element}
    assert all(abs(_e0(r) - edge_energy(element, "K")) < 15 for _, r in data.frame.iterrows())


@pytest.mark.shared_data
def test_athena_keeps_groups_larch_drops(prj_dir):
    # NiO.prj holds 24 records, two labels twice; every record is a row
    text = gzip.decompress((prj_dir / "NiO.prj").read_bytes()).decode()
    data = load_athena(prj_dir / "NiO.prj")
    assert len(data) == text.count("[record]") == 24
    assert data.frame["athena_id"].is_unique
    assert data.frame["group"].duplicated().any()
    # athena1.prj: old Athena args lines holding Perl's `undef` keep element and e0
    old = load_athena(prj_dir / "athena1.prj").frame
    assert set(old["absorbing_element"]) == {"Fe"}
    assert old["processing"].iloc[0]["e0"] == 7118.0


@pytest.mark.shared_data
def test_athena_chi_groups(prj_dir):
    f = load_athena(prj_dir / "eutio3.prj").frame
    chi = f[f["spectrum_type"] == "EXAFS"]
    assert len(chi) == 5 and chi["edge_energy"].isna().all()
    assert all(r["x"][0] == 0.0 and r["x"][-1] < 20 for _, r in chi.iterrows())
    assert all(r["processing"]["record_type"] == "chi" for _, r in chi.iterrows())
    assert set(chi["absorbing_element"]) == {"Ti", "Eu"}


@pytest.mark.shared_data
def test_athena_refuses_what_is_not_a_spectrum(prj_dir):
    pixel = prj_dir / "dispersive.prj"
    with pytest.raises(XASDataError, match=re.escape(str(pixel)) + r", line 19 \(Athena "
                       r"group 'cu_08_pixel'\): .*pixel axis"):
        load_athena(pixel)
    with pytest.warns(SkippedRecordsWarning, match="Skipped 10 bad record"):
        assert len(load_athena(pixel, on_error="skip")) == 2
    pb = prj_dir / "PbL3_CAMD.prj"
    with pytest.raises(XASDataError, match=r"the Pb M5 edge \(2484 eV, tabulated\) lies "
                       "outside the energies"):
        load_athena(pb)
    # every group of bal3ybco.prj has Athena's default element 'H': element= fills it in
    with pytest.raises(XASDataError, match="Athena's default 'H'.*pass element="):
        load_athena(prj_dir / "bal3ybco.prj")
    # ... and with it Athena's default edge 'K' (one group names L3, the Ba L3 edge)
    with pytest.raises(XASDataError, match="bal3ybco_011.*names no absorbing edge"):
        load_athena(prj_dir / "bal3ybco.prj", element="Ba")
    ba = load_athena(prj_dir / "bal3ybco.prj", element="Ba", edge="L3")
    assert len(ba) == 16 and set(ba.frame["edge"]) == {"L3"}
    with pytest.raises(XASDataError, match="gives element 'Cu' .* element='Fe' was passed"):
        load_athena(prj_dir / "cu.prj", element="Fe")


@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["cu.prj", "json_unzipped.prj", "eutio3.prj", "Vathena.prj",
                                  "athena_MN.prj"])
def test_athena_arrays_match_larch(prj_dir, name):
    """Our parser against larch's read_athena, where larch reads the group."""
    athena = pytest.importorskip("larch.io.athena_project")

    class _Out(io.StringIO):
        encoding = "utf-8"  # larch decodes with sys.stdout.encoding

    project = athena.AthenaProject()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with redirect_stdout(_Out()):
            project.read(str(prj_dir / name), do_preedge=False, use_hashkey=True)
    ours = _quiet(load_athena, prj_dir / name, on_error="skip").frame.set_index("athena_id")
    compared = 0
    for key, group in project.groups.items():
        if key not in ours.index:
            continue
        row = ours.loc[key]
        x = group.k if hasattr(group, "k") else group.energy
        y = group.chi if hasattr(group, "chi") else group.mu
        np.testing.assert_allclose(row["x"], x, rtol=0, atol=1e-9)
        np.testing.assert_allclose(row["y"], y, rtol=1e-12)
        compared += 1
    assert compared >= 3


# ----------------------------------------------------------------------------- columns, real
@pytest.mark.shared_data
def test_columns_real_files(larch_dir, measured):
    cu = load_columns(larch_dir / "cu_10k.xmu").frame.iloc[0]  # #%atom / #%edge / #%temp
    assert (cu["absorbing_element"], cu["edge"], cu["temperature"]) == ("Cu", "K", 10.0)
    assert cu["material_id"] == "Cu foil 10K" and cu["spectrum_type"] == "XANES"
    assert abs(_e0(cu) - 8979.0) < 5.0 and cu["mu_source"] == "column 2 (mu)"

    chi = load_columns(larch_dir / "cu.chi", element="Cu", edge="K").frame.iloc[0]
    assert chi["spectrum_type"] == "EXAFS" and chi["metadata"]["kind_from"] == "the label 'k'"
    assert chi["x"][0] == 0.0 and chi["x"][-1] == pytest.approx(17.45)
    steps = np.diff(load_columns(larch_dir / "nonuniform.chi", element="Cu",
                                 edge="K").frame.iloc[0]["x"])
    assert steps.min() < 0.5 * steps.max()  # read as it is, not regridded

    three = load_columns(larch_dir / "cu_rt01.xmu", element="Cu", edge="K").frame.iloc[0]
    assert three["mu_source"] == "column 2 (mu)"  # energy mu i0: y is the column labelled mu

    anatase = measured / "Lightshow" / "notebooks" / "spectra_files" / "anatase_exp.txt"
    with pytest.raises(XASDataError, match=re.escape(str(anatase)) + ", line 26: .* must "
                       "increase strictly.*sort=True"):
        load_columns(anatase, element="Ti", edge="K")
    ti = load_columns(anatase, element="Ti", edge="K", sort=True).frame.iloc[0]
    assert ti["metadata"]["kind_from"].startswith("the x range") and len(ti["x"]) == 161
    assert ti["edge_energy"] == 4966.0 and np.all(np.diff(ti["x"]) > 0)

    oxide = larch_dir / "fe2o3_rt1.xmu"
    with pytest.raises(XASDataError, match="%atom 'Fe2O3' is not an element symbol"):
        load_columns(oxide)
    assert load_columns(oxide, element="Fe").frame.iloc[0]["edge"] == "K"  # %edge: K

    raw = larch_dir / "feo_exafs_pnccat2001.dat"
    with pytest.raises(XASDataError, match=r"5 columns and none is labelled .* columns="):
        load_columns(raw, element="Fe", edge="K")


# ----------------------------------------------------------------------------- every file
#: Files of the archive that `load` refuses (with no options), and why.
REFUSED = {
    "nonxafs_1d.xdi": "no energy",
    "nonxafs_2d.xdi": "2-D scan",
    "nonxafs_negvalues.xdi": "no energy",
    "anatase_exp.txt": "must increase strictly",
    "CuHERFD_samples.prj": "Ho K edge",
    "PbL3_CAMD.prj": "Pb M5 edge",
    "athena_MN.prj": "default 'H'",
    "bal3ybco.prj": "default 'H'",
    "cuybco.prj": "default 'H'",
    "stacked_plot.prj": "default 'H'",
    "dispersive.prj": "pixel axis",
    "feo_exafs_pnccat2001.dat": "none is labelled as mu or chi",
    "fe2o3_rt1.xmu": "not an element symbol",
    **{name: "names no absorbing element" for name in (
        "EMG003.txt", "cu.chi", "cu.xmu", "cu10k.chi", "cu_chi.dat", "feo_xafs.dat",
        "mn_cpmnco3.dat", "nonuniform.chi", "sno2_l3.dat")},
}


@pytest.mark.shared_data
def test_every_data_file_loads_or_names_itself(measured):
    files = sorted(p for p in measured.rglob("*") if p.suffix.lower() in DATA_SUFFIXES)
    assert len(files) == 122
    loaded, refused = {}, {}
    for path in files:
        try:
            data = load(path)
        except XASDataError as exc:
            assert str(path) in str(exc), exc
            refused[path.name] = str(exc)
            continue
        assert len(data) >= 1
        assert all(s.startswith(str(path)) for s in data.frame["source"])
        assert data.frame["structure"].isna().all()
        loaded[str(path.relative_to(measured))] = (path.suffix, len(data))
    assert set(refused) == set(REFUSED)
    for name, reason in REFUSED.items():
        assert reason in refused[name], (name, refused[name])
    assert len(loaded) == 100
    rows = {}
    for suffix, n in loaded.values():
        rows[suffix] = rows.get(suffix, 0) + n
    # 22 XDI files; 74 Athena projects with 852 groups (a project with one bad group is
    # refused whole under on_error="raise"); 4 .xmu files with #%atom/#%edge headers
    assert rows == {".xdi": 22, ".prj": 852, ".xmu": 4}


# ----------------------------------------------------------------------------- bad input
XDI_HEAD = (
    "# XDI/1.0\n# Column.1: energy {unit}\n# Column.2: i0\n# Column.3: itrans\n"
    "# Element.symbol: Cu\n# Element.edge: K\n# Sample.name: foil\n# ///\n#----\n"
    "# energy i0 itrans\n"
)


def _xdi(tmp_path, name="cu.xdi", unit="eV", scale=1.0, head=None, rows=None):
    e = np.linspace(8900.0, 9100.0, 41)
    body = rows if rows is not None else "".join(
        f"{a * scale:.6f} 1e5 {1e5 * np.exp(-1 - 1 / (1 + np.exp(8979 - a))):.4f}\n"
        for a in e)
    path = tmp_path / name
    path.write_text((head if head is not None else XDI_HEAD.format(unit=unit)) + body)
    return path


def test_xdi_truncated_row_names_line(tmp_path):
    path = _xdi(tmp_path)
    text = path.read_text()
    path.write_text(text[: text.rindex(" ")])  # the last row loses its last value
    n_lines = text.count("\n")
    with pytest.raises(XASDataError, match=re.escape(str(path)) + f", line {n_lines}: "
                       "expected 3 columns.*found 2"):
        load_xdi(path)


def test_xdi_bad_number_and_header(tmp_path):
    path = _xdi(tmp_path, rows="8900 1e5 3e4\n8910 abc 3e4\n")
    with pytest.raises(XASDataError, match=r"line 12: 'abc' \(column 2\) is not a number"):
        load_xdi(path)
    path.write_text("# energy mu\n1 2\n")
    with pytest.raises(XASDataError, match=r"line 1: not an XDI file"):
        load_xdi(path)
    dup = _xdi(tmp_path, head=XDI_HEAD.format(unit="eV").replace(
        "# Column.3: itrans", "# Column.2: itrans"))
    with pytest.raises(XASDataError, match="line 4: Column.2 is defined twice"):
        load_xdi(dup)


def test_xdi_missing_columns(tmp_path):
    head = "# XDI/1.0\n# Column.1: energy eV\n# Column.2: i0\n# Element.symbol: Cu\n" \
           "# Element.edge: K\n#----\n"
    path = _xdi(tmp_path, head=head, rows="8900 1\n8950 1\n9000 1\n")
    with pytest.raises(XASDataError, match=re.escape(str(path)) + ": no mu.*the file has: "
                       "energy, i0. Pass mu="):
        load_xdi(path)
    with pytest.raises(XASDataError, match=r"mu='trans' needs the columns i0 and itrans"):
        load_xdi(path, mu="trans")
    head = XDI_HEAD.format(unit="eV").replace("# Element.symbol: Cu\n", "")
    no_element = _xdi(tmp_path, name="noel.xdi", head=head)
    with pytest.raises(XASDataError, match=re.escape(str(no_element)) + r": valid XDI but "
                       r"not an XAFS spectrum.*no element \(Element.symbol\).*element="):
        load_xdi(no_element)
    assert load_xdi(no_element, element="cu").frame.iloc[0]["absorbing_element"] == "Cu"
    with pytest.raises(XASDataError, match=r"gives element 'Cu' \(Element.symbol\), but "
                       "element='Fe'"):
        load_xdi(_xdi(tmp_path), element="Fe")


def test_xdi_intensities_must_be_positive(tmp_path):
    path = _xdi(tmp_path, rows="8900 1e5 3e4\n8950 0 3e4\n9000 1e5 3e4\n")
    with pytest.raises(XASDataError, match=r"line 12: ln\(i0/itrans\) needs positive "
                       "intensities, got i0=0"):
        load_xdi(path)


def test_xdi_kev_and_ev(tmp_path):
    ev = load_xdi(_xdi(tmp_path, "ev.xdi")).frame.iloc[0]
    kev = load_xdi(_xdi(tmp_path, "kev.xdi", unit="keV", scale=1e-3)).frame.iloc[0]
    assert kev["energy_unit"] == "keV" and ev["energy_unit"] == "eV"
    np.testing.assert_allclose(kev["x"], ev["x"], atol=1e-3)  # keV x 1000
    np.testing.assert_allclose(kev["y"], ev["y"])
    # no unit: below 100 read as keV, and a warning states the conversion
    bare = _xdi(tmp_path, "bare.xdi", unit="", scale=1e-3)
    with pytest.warns(UserWarning, match="read as keV and multiplied by 1000"):
        row = load_xdi(bare).frame.iloc[0]
    np.testing.assert_allclose(row["x"], ev["x"], atol=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_xdi(bare, energy_unit="keV").frame.iloc[0]["energy_unit"] == "keV"
    # keV values under an eV header: the Cu K edge is not within them
    wrong = _xdi(tmp_path, "wrong.xdi", unit="eV", scale=1e-3)
    with pytest.raises(XASDataError, match=re.escape(str(wrong)) + r": the Cu K edge \(8979 "
                       r"eV, tabulated\) lies outside the energies 8.9-9.1 eV.*look like keV"):
        load_xdi(wrong)
    with pytest.raises(XASDataError, match="gives energy_unit 'eV'"):
        load_xdi(wrong, energy_unit="keV")
    odd = _xdi(tmp_path, "odd.xdi", unit="mm")
    with pytest.raises(XASDataError, match="unit is 'mm'; only eV and keV"):
        load_xdi(odd)


def test_xdi_angle_with_d_spacing(tmp_path):
    d = 3.13553
    e = np.linspace(8900.0, 9100.0, 41)
    theta = np.degrees(np.arcsin(12398.419843320026 / (2 * d * e)))  # falls as E rises
    head = ("# XDI/1.0\n# Column.1: angle degrees\n# Column.2: mutrans\n# Mono.d_spacing: "
            f"{d}\n# Element.symbol: Cu\n# Element.edge: K\n#----\n")
    rows = "".join(f"{t:.8f} {1 / (1 + np.exp(8979 - a)):.5f}\n" for t, a in zip(theta, e))
    row = load_xdi(_xdi(tmp_path, head=head, rows=rows)).frame.iloc[0]
    np.testing.assert_allclose(row["x"], e, atol=1e-3)
    assert row["energy_unit"] == "deg" and row["mono_d_spacing"] == d
    with pytest.raises(XASDataError, match="need the monochromator d-spacing"):
        load_xdi(_xdi(tmp_path, name="nod.xdi", head=head.replace(f"# Mono.d_spacing: {d}\n",
                                                                  ""), rows=rows))


def test_athena_bad_files(tmp_path):
    def prj(text, name="p.prj", gz=True):
        path = tmp_path / name
        data = text.encode()
        path.write_bytes(gzip.compress(data) if gz else data)
        return path

    good = ("# Athena project file -- Demeter version 0.9.26\n$old_group = 'abcde';\n"
            "@args = ('label','s','bkg_z','Fe','fft_edge','K','titles',['a',undef],"
            "'xdi_mono',{},'is_xmu',1);\n@x = ('7100','7110','7120');\n"
            "@y = ('0.1','0.5','1.0');\n[record]\n1;\n")
    assert load_athena(prj(good)).frame.iloc[0]["metadata"]["titles"] == ["a", None]
    raw = gzip.compress(good.encode())
    (tmp_path / "cut.prj").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(XASDataError, match=r"cut.prj: a gzip file that cannot be unpacked"):
        load_athena(tmp_path / "cut.prj")
    with pytest.raises(XASDataError, match=r"norec.prj, line 2: the Athena record that "
                       r"starts here has no '\[record\]' line"):
        load_athena(prj(good.replace("[record]\n", ""), "norec.prj"))
    with pytest.raises(XASDataError, match=r"line 3: cannot read the Perl list"):
        load_athena(prj(good.replace("'K',", "'K' ; system(1),"), "perl.prj", gz=False))
    with pytest.raises(XASDataError, match=r"line 4: value 2 of @x, 'oops', is not a number"):
        load_athena(prj(good.replace("'7110'", "'oops'"), "nan.prj"))
    with pytest.raises(XASDataError, match=r"x must increase strictly"):
        load_athena(prj(good.replace("'7110'", "'7130'"), "order.prj"))
    with pytest.raises(XASDataError, match=r"line 1: not an Athena project"):
        load_athena(prj("# something else\n", "other.prj"))
    bad_json = tmp_path / "j.prj"
    bad_json.write_text('{"_____header1": "Athena project file",\n "x": [1, 2,]}')
    with pytest.raises(XASDataError, match=r"j.prj, line 2, column \d+: invalid JSON"):
        load_athena(bad_json)
    ok_json = tmp_path / "ok.prj"
    ok_json.write_text(json.dumps({
        "_____header1": "# Athena project file -- Demeter version 0.9.26",
        "_____order": ["g1"],
        "g1": {"args": {"label": "g", "bkg_z": "Fe", "fft_edge": "k", "is_chi": "1"},
               "x": [0, 0.05, 0.1], "y": [0.0, 0.1, 0.2]}}))
    row = load_athena(ok_json).frame.iloc[0]
    assert row["spectrum_type"] == "EXAFS" and row["processing"]["record_type"] == "chi"


def test_columns_bad_input(tmp_path):
    path = tmp_path / "mu.dat"
    path.write_text("# energy mu\n8900 0.1\n8950 0.2\n9000 x\n")
    with pytest.raises(XASDataError, match=re.escape(str(path)) + r", line 4: 'x' \(column "
                       r"2\) is not a number"):
        load_columns(path, element="Cu", edge="K")
    path.write_text("8900 0.1\n8950\n")
    with pytest.raises(XASDataError, match=r"line 2: expected 2 columns .* found 1"):
        load_columns(path, element="Cu", edge="K")
    # x from 2 to 20 with no labels could be k or keV around Cu K (8.979 keV)
    path.write_text("".join(f"{v} {np.sin(v)}\n" for v in np.arange(2.0, 20.0, 0.5)))
    with pytest.raises(XASDataError, match="could be k .* or keV"):
        load_columns(path, element="Cu", edge="K")
    # the Ba K edge (37.4 keV) is not within 2-19.5: k it is
    assert load_columns(path, element="Ba", edge="K").frame.iloc[0]["spectrum_type"] == \
        "EXAFS"
    path.write_text("# e i0 it\n" + "".join(f"{v} 1 2\n" for v in (8900, 8950, 9000)))
    with pytest.raises(XASDataError, match="3 columns and none is labelled"):
        load_columns(path, element="Cu", edge="K")
    row = load_columns(path, columns=(0, "it"), element="Cu", edge="K").frame.iloc[0]
    assert row["mu_source"] == "column 3 (it)"
    path.write_text("-5 1\n50 2\n")
    with pytest.raises(XASDataError, match="cannot tell energy from k"):
        load_columns(path, element="Cu", edge="K")


def test_load_dispatch(tmp_path, nacl):
    xdi = _xdi(tmp_path)
    assert load(xdi).frame.iloc[0]["file_format"] == "xdi"
    renamed = tmp_path / "scan.001"  # sniffed by content, whatever the name
    renamed.write_text(xdi.read_text())
    assert load(renamed).frame.iloc[0]["file_format"] == "xdi"
    other = tmp_path / "notes.md"
    other.write_text("hello")
    with pytest.raises(XASDataError, match=re.escape(str(other)) + ": not a format"):
        load(other)
    with pytest.raises(XASDataError, match="no such file or folder"):
        load(tmp_path / "missing.xdi")
    with pytest.raises(TypeError, match=r"\['kinds'\] are taken by none"):
        load(tmp_path, kinds=["XANES"])
    with pytest.raises(TypeError):
        load(xdi, kind="XANES")  # load_xdi has no kind=
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(XASDataError, match="no data files found"):
        load(empty)
    with pytest.raises(ValueError, match="on_error"):
        load(xdi, on_error="ignore")

    # a FEFF tree goes to load_feff_tree, a .json to load_xas_json
    k = np.linspace(0, 12, 241)
    sim = XASDataset.from_records([dict(
        material_id="NaCl", absorbing_index=0, absorbing_element="Na", edge="K",
        spectrum_type="EXAFS", structure=nacl, x=k, y=np.sin(2 * 2.82 * k))])
    tree = write_feff_tree(sim, tmp_path / "tree")
    via_load, direct = load(tree), load_feff_tree(tree)
    assert via_load.frame["material_id"].tolist() == direct.frame["material_id"].tolist()
    np.testing.assert_array_equal(via_load[0].y, direct[0].y)
    from pymatgen.analysis.xas.spectrum import XAS

    e = np.linspace(1060.0, 1110.0, 100)
    doc = tmp_path / "nacl.json"
    doc.write_text(json.dumps(XAS(e, 1 / (1 + np.exp(1075.0 - e)), nacl, "Na").as_dict(),
                              default=lambda a: a.tolist()))
    assert load(doc).frame.iloc[0]["absorbing_index"] == 0

    # a folder: each file by its kind, one error policy, options to the readers taking them
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "a.xdi").write_text(xdi.read_text())
    (mixed / "b.chi").write_text("# k chi\n0 0\n0.05 0.1\n0.1 0.2\n")
    (mixed / "c.json").write_text(doc.read_text())
    (mixed / "d.xdi").write_text("# XDI/1.0\n# Column.1: x mm\n1 2\n")
    (mixed / "LICENSE").write_text("MIT")
    with pytest.warns(SkippedRecordsWarning, match=r"d.xdi: valid XDI but not"):
        data = load(mixed, on_error="skip", element="Cu", edge="K")
    assert data.frame["file_format"].tolist() == ["xdi", "columns", "json"]
    assert data.frame.attrs["ignored_files"] == ["LICENSE"]
    with pytest.raises(XASDataError, match=r"d.xdi"):
        load(mixed, element="Cu", edge="K")
    with pytest.raises(XASDataError, match=r"b.chi: the file names no absorbing element"):
        load(mixed)


def test_skip_policy_says_why_when_nothing_is_left(tmp_path):
    bad = tmp_path / "bad.xdi"
    bad.write_text("# XDI/1.0\n# Column.1: x mm\n1 2\n")
    with pytest.warns(SkippedRecordsWarning):
        with pytest.raises(XASDataError, match="No usable site spectra.*The first: .*bad.xdi: "
                           "valid XDI but not an XAFS spectrum"):
            load_xdi(bad, on_error="skip")


def test_measured_rows_are_valid_frames(tmp_path):
    """Measured rows pass the data model's own validation (no structure, no site)."""
    data = load_xdi([_xdi(tmp_path, "a.xdi"), _xdi(tmp_path, "b.xdi")])
    again = XASDataset(data.frame)  # validate=True: check_record on every row
    assert again.frame["absorbing_index"].isna().all()
    assert again.frame["temperature"].dtype == np.float64
    assert [s.site_id for s in again] == ["foil", "foil"]
    with pytest.raises(XASDataError, match="names a site, but the record has no structure"):
        XASDataset(data.frame.assign(absorbing_index=0))



def test_site_ids_of_measured_rows(tmp_path):
    assert load_xdi(_xdi(tmp_path)).site_ids.tolist() == ["foil"]
