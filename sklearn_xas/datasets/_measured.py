"""Readers for measured spectra: XDI files, Athena projects and plain column files.

Measured rows have no structure: ``structure=None`` and ``absorbing_index=None``, with
``material_id`` the sample name the file gives (else the file's stem). A mu(E) row is
``spectrum_type="XANES"`` (``x`` = energy in eV, ``y`` = mu(E)) and holds the *whole*
measured spectrum, EXAFS region included; a chi(k) row is ``"EXAFS"`` (``x`` = k in
1/Angstrom, ``y`` = chi(k)).

Why these parsers are our own and not larch's
---------------------------------------------
xraylarch has ``larch.io.read_xdi`` and ``larch.io.read_athena``; we read both formats
ourselves, on purpose (larch stays an optional extra that these readers do not need):

- XDI: larch's reader goes through a compiled ``libxdifile`` (ctypes), whose errors
  carry no line of the file, or a lenient pure-Python fallback that accepts any column
  file. XDI is a small line-oriented format; our parser is strict and names the file
  and line of every problem, and it reports non-XAFS files (no energy column, no
  element or edge, a 2-D scan) instead of loading them.
- Athena: on the shared test files ``read_athena`` (xraylarch 2026.3) silently drops
  the whole ``@args`` line of any group whose line contains Perl's ``undef`` (old Athena
  0.8 projects: element, edge and every processing parameter lost, 44 groups in 5
  files); silently keeps one group of several that share a label (10 groups lost in 5
  files); prints its warnings instead of raising; and fails when ``sys.stdout`` has no
  encoding. Demeter's format is simple (a few Perl assignments per group, or its JSON
  variant), so we parse it ourselves: every group becomes a row, errors name the file
  and line, and nothing is evaluated. ``tests/test_measured.py`` checks our arrays
  against larch's on every group larch does read.
"""

from __future__ import annotations

import gzip
import inspect
import json
import os
import re
import warnings
import zlib
from pathlib import Path

import numpy as np

from .._core import collect_records, edge_energy
from ..exceptions import XASDataError
from ._feff import load_feff_tree
from ._json import load_xas_json

#: Extra columns of every measured row (in this order after the data model's own).
MEASURED_COLUMNS = (
    "file_format",
    "sample",
    "temperature",
    "edge_energy",
    "energy_unit",
    "mu_source",
    "mono_d_spacing",
    "group",
    "athena_id",
    "processing",
    "metadata",
)
#: File endings :func:`load` hands to :func:`load_columns`.
COLUMN_SUFFIXES = (".dat", ".xmu", ".chi", ".txt", ".nor")
#: How far (eV) the tabulated edge may lie outside a mu(E) row's energy range.
EDGE_TOLERANCE_EV = 50.0
#: Below this (and with no stated unit) energies are read as keV; see ``_energy_in_ev``.
KEV_BELOW = 100.0
#: h*c in eV*Angstrom (CODATA 2018), for energy from a monochromator angle.
HC_EV_ANGSTROM = 12398.419843320026

# XDI: stored mu columns in order of preference, then raw-intensity aliases.
_XDI_MU_STORED = ("mutrans", "mufluor", "mu", "normtrans", "normfluor")
_XDI_ALIASES = {
    "i0": ("i0",),
    "itrans": ("itrans", "i1", "it"),
    "ifluor": ("ifluor", "if"),
    "irefer": ("irefer",),
}
_XDI_ELEMENT_KEYS = ("element.symbol", "scan.element", "scanparameters.element")
_XDI_EDGE_KEYS = ("element.edge", "scan.edge", "scanparameters.edge")
_XDI_DSPACING_KEYS = (
    "mono.d_spacing", "mono.dspacing", "monochromator.d_spacing", "monochromator.dspacing",
)
_XDI_FIRST = re.compile(r"^#\s*XDI/(\S+)")
_XDI_FIELD = re.compile(r"^([A-Za-z_][\w]*)\.([\w.\-]+)\s*:\s*(.*)$")
_TEMPERATURE = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?|[-+]?\.\d+)\s*(K|C|°C|degC)?\b", re.I)

# Column files: labels (normalised: lower case, only letters/digits) that name columns.
_ENERGY_LABELS = {"energy", "e", "ev", "omega", "monoenergy"}
_K_LABELS = {"k"}
_MU_LABELS = ("mu", "xmu", "mutrans", "xmutrans", "mufluor", "xmufluor", "norm", "flat")
_CHI_LABELS = ("chi", "chik")
_COLUMN_FIELD = re.compile(r"^%(\w+)\s*:\s*(.*)$")

# Athena: record types that are not a measured spectrum of the data model.
_ATHENA_REFUSED = {
    "xmudat": "a FEFF xmu.dat calculation, not a measurement",
    "bkg": "a background function, not a spectrum",
    "diff": "a difference spectrum",
    "pixel": "dispersive data on a pixel axis, not calibrated to energy",
    "rsp": "chi(R), not chi(k) or mu(E)",
    "qsp": "chi(q), not chi(k) or mu(E)",
}
#: Athena's stored parameters kept in ``processing`` (our name: Athena's argument).
ATHENA_PROCESSING = {
    "e0": ("bkg_e0",),
    "eshift": ("bkg_eshift",),
    "edge_step": ("bkg_step",),
    "rbkg": ("bkg_rbkg",),
    "pre1": ("bkg_pre1",),
    "pre2": ("bkg_pre2",),
    "norm1": ("bkg_nor1",),
    "norm2": ("bkg_nor2",),
    "nnorm": ("bkg_nnorm",),
    "flatten": ("bkg_flatten",),
    "kweight": ("bkg_kw",),
    "spline_kmin": ("bkg_spl1",),
    "spline_kmax": ("bkg_spl2",),
    "fft_kmin": ("fft_kmin",),
    "fft_kmax": ("fft_kmax",),
    "fft_dk": ("fft_dk",),
    "fft_kweight": ("fft_kw",),
    "fft_window": ("fft_kwindow", "fft_win"),
    "bft_rmin": ("bft_rmin",),
    "bft_rmax": ("bft_rmax",),
    "bft_window": ("bft_rwindow", "bft_win"),
}
_ATHENA_ASSIGN = re.compile(r"^([@$%])(\w+)\s*=")
_PERL_TOKEN = re.compile(
    r"""\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(undef)\b"""
    r"""|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(=>|[\[\](){},]))"""
)


# ----------------------------------------------------------------------------- helpers
def _read_bytes(path):
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError as exc:
        raise XASDataError(f"{path}: no such file.") from exc
    except IsADirectoryError as exc:
        raise XASDataError(f"{path}: is a folder, not a file.") from exc
    except OSError as exc:
        raise XASDataError(f"{path}: cannot read the file ({exc.strerror or exc}).") from exc


def _read_text(path):
    """The file's text; a gzipped file is unpacked (Athena projects usually are)."""
    raw = _read_bytes(path)
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise XASDataError(
                f"{path}: a gzip file that cannot be unpacked (truncated or corrupt: {exc})."
            ) from exc
    return raw.decode("utf-8", errors="replace")


def _paths(path_or_paths):
    if isinstance(path_or_paths, (str, os.PathLike)):
        return [Path(path_or_paths)]
    paths = [Path(p) for p in path_or_paths]
    if not paths:
        raise XASDataError("No files given (empty list).")
    return paths


def _check_policy(on_error):
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}.")


def _element(value, where, label, strict=True):
    """Element symbol from a symbol in any case or an atomic number; None if unset."""
    from pymatgen.core.periodic_table import Element

    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(\.0*)?", text):
        try:
            return Element.from_Z(int(float(text))).symbol
        except ValueError:
            pass
    else:
        symbol = text.capitalize()
        if Element.is_valid_symbol(symbol):
            return symbol
    if strict:
        raise XASDataError(f"{label}: {where} {text!r} is not an element symbol.")
    return None


def _edge(value):
    if value is None:
        return None
    text = str(value).strip().upper()
    return text or None


def _merge(from_file, given, what, label, where):
    """The file's value, filled in by the parameter; a contradiction raises."""
    if from_file is not None and given is not None and from_file != given:
        raise XASDataError(
            f"{label}: the file gives {what} {from_file!r} ({where}), but {what}={given!r} "
            "was passed; parameters only fill in what a file does not say."
        )
    return from_file if from_file is not None else given


def _need_absorber(element, edge, label, hint=""):
    missing = [w for w, v in (("element", element), ("edge", edge)) if v is None]
    if missing:
        raise XASDataError(
            f"{label}: the file names no absorbing {' and no '.join(missing)}{hint}; pass "
            + " and ".join(f"{m}=" for m in missing) + "."
        )


def _tabulated_edge(element, edge, label):
    try:
        return edge_energy(element, edge)
    except XASDataError as exc:
        raise XASDataError(f"{label}: {exc}") from exc


def _check_edge_in_range(x, element, edge, label):
    """A mu(E) spectrum must contain its edge: return the tabulated edge energy (eV)."""
    e_edge = _tabulated_edge(element, edge, label)
    lo, hi = float(x[0]), float(x[-1])
    if not lo - EDGE_TOLERANCE_EV <= e_edge <= hi + EDGE_TOLERANCE_EV:
        hint = ""
        if hi < KEV_BELOW:
            hint = " The energies look like keV; pass energy_unit='keV' or fix the file."
        raise XASDataError(
            f"{label}: the {element} {edge} edge ({e_edge:g} eV, tabulated) lies outside "
            f"the energies {lo:g}-{hi:g} eV (by more than {EDGE_TOLERANCE_EV:g} eV): the "
            f"element or edge is wrong, or the energies are not in eV.{hint}"
        )
    return e_edge


def _energy_in_ev(x, file_unit, given_unit, label):
    """Energies in eV and the unit they had (``"eV"``/``"keV"``).

    A unit stated in the file wins (``energy_unit`` may only agree with it); with none,
    ``energy_unit`` decides; with neither, energies all below ``KEV_BELOW`` (100) are
    read as keV, converted (x 1000) and a ``UserWarning`` says so.
    """
    unit = None
    if file_unit:
        norm = file_unit.strip().lower()
        if norm not in ("ev", "kev"):
            raise XASDataError(
                f"{label}: the energy column's unit is {file_unit!r}; only eV and keV are read."
            )
        unit = "eV" if norm == "ev" else "keV"
    if given_unit is not None:
        if given_unit not in ("eV", "keV"):
            raise ValueError(f"energy_unit must be 'eV', 'keV' or None, got {given_unit!r}.")
        unit = _merge(unit, given_unit, "energy_unit", label, "its energy column")
    if unit is None:
        if float(np.max(x)) < KEV_BELOW:
            warnings.warn(
                f"{label}: the energies ({float(x[0]):g}-{float(x[-1]):g}) have no stated unit "
                f"and are all below {KEV_BELOW:g}, so they are read as keV and multiplied by "
                "1000; pass energy_unit='keV' (or 'eV') to say so explicitly.",
                UserWarning,
                stacklevel=4,
            )
            unit = "keV"
        else:
            unit = "eV"
    return (x * 1000.0 if unit == "keV" else x), unit


def _temperature(text):
    """Kelvin from ``"10 K"``, ``"300K"`` or ``"25 C"`` (+273.15); NaN otherwise."""
    if not text:
        return np.nan
    m = _TEMPERATURE.match(str(text))
    if not m or not m.group(2):
        return np.nan
    value = float(m.group(1))
    return value if m.group(2).upper() == "K" else value + 273.15


def _float_or_nan(text):
    try:
        return float(str(text).split()[0])
    except (ValueError, IndexError):
        return np.nan


def _table(rows, path):
    """Float array (n_rows, n_cols) of ``rows`` = [(lineno, text)]; errors name the line."""
    ncols = len(rows[0][1].split())
    tokens = " ".join(t for _, t in rows).split()
    if len(tokens) == ncols * len(rows):
        try:
            return np.array(tokens, dtype=np.float64).reshape(len(rows), ncols)
        except ValueError:
            pass
    for lineno, text in rows:
        row = text.split()
        if len(row) != ncols:
            raise XASDataError(
                f"{path}, line {lineno}: expected {ncols} columns like the first data row "
                f"(line {rows[0][0]}), found {len(row)}: {text.strip()[:80]!r}."
            )
        for c, token in enumerate(row):
            try:
                float(token)
            except ValueError:
                raise XASDataError(
                    f"{path}, line {lineno}: {token!r} (column {c + 1}) is not a number."
                ) from None
    raise XASDataError(f"{path}: cannot parse the data rows.")  # pragma: no cover


def _check_column(values, linenos, path, what):
    bad = ~np.isfinite(values)
    if bad.any():
        raise XASDataError(
            f"{path}, line {linenos[int(np.argmax(bad))]}: {what} is not finite (NaN or inf)."
        )


def _check_increasing(x, linenos, path, what, sorted_=False):
    bad = np.flatnonzero(np.diff(x) <= 0)
    if bad.size:
        i = int(bad[0])
        if sorted_:
            raise XASDataError(
                f"{path}, lines {linenos[i]} and {linenos[i + 1]}: the {what} {x[i]:g} occurs "
                "twice; duplicate points cannot be sorted into a spectrum."
            )
        raise XASDataError(
            f"{path}, line {linenos[i + 1]}: the {what} must increase strictly, but "
            f"{x[i + 1]:g} follows {x[i]:g} (line {linenos[i]}); pass sort=True to sort the "
            "rows by it."
        )


def _sorted_rows(x, table, linenos, sort):
    """Rows sorted by x when ``sort`` (stable, so that duplicates stay detectable)."""
    if not sort:
        return x, table, linenos
    order = np.argsort(x, kind="stable")
    return x[order], table[order], [linenos[i] for i in order]


def _record(*, path, material_id, element, edge, kind, x, y, file_format, sample=None,
            temperature=np.nan, edge_energy=np.nan, energy_unit=None, mu_source=None,
            mono_d_spacing=np.nan, group=None, athena_id=None, processing=None,
            metadata=None, source=None):
    return dict(
        material_id=material_id, absorbing_index=None, absorbing_element=element, edge=edge,
        spectrum_type=kind, structure=None, x=x, y=y, multiplicity=None,
        source=source or str(path), file_format=file_format, sample=sample,
        temperature=float(temperature), edge_energy=float(edge_energy),
        energy_unit=energy_unit, mu_source=mu_source, mono_d_spacing=float(mono_d_spacing),
        group=group, athena_id=athena_id, processing=processing, metadata=metadata or {},
    )


def _finish(records, on_error, what):
    bad = [r for r in records if isinstance(r, Exception)]
    try:
        dataset = collect_records(records, on_error=on_error, what=what)
    except XASDataError as exc:
        if bad and len(bad) == len(records) and on_error == "skip":
            # every record was bad: say why here too, not only in the warning
            raise XASDataError(f"{exc} The first: {bad[0]}") from exc
        raise
    frame = dataset.frame
    for col in ("temperature", "edge_energy", "mono_d_spacing"):
        if col in frame.columns:
            frame[col] = frame[col].astype(np.float64)
    return dataset


def _collect(reader, paths, options):
    records = []
    for path in paths:
        try:
            records.extend(reader(path, **options))
        except XASDataError as exc:
            records.append(exc)
    return records


def _what(paths):
    return str(paths[0]) if len(paths) == 1 else f"{len(paths)} files"


# ----------------------------------------------------------------------------- XDI
def _parse_xdi(path):
    """Header fields, columns, comments and data rows of an XDI file."""
    lines = _read_text(path).splitlines()
    if not lines or not _XDI_FIRST.match(lines[0].strip()):
        first = lines[0].strip()[:60] if lines else ""
        raise XASDataError(
            f"{path}, line 1: not an XDI file: the first line must start with '# XDI/' "
            f"(got {first!r})."
        )
    version = _XDI_FIRST.match(lines[0].strip()).group(1)
    fields, field_lines, columns, comments = {}, {}, {}, []
    state = "fields"  # -> "comments" after '///' -> "labels" after the '----' line
    label_line = None
    data, interleaved = [], []
    for lineno, line in enumerate(lines[1:], 2):
        s = line.strip()
        if not s:
            continue
        if not s.startswith("#"):
            data.append((lineno, line))
            continue
        if data:
            interleaved.append(lineno)
            continue
        body = s[1:].strip()
        if body.startswith("///"):
            state = "comments"
            continue
        if re.fullmatch(r"-{2,}.*", body) and state != "labels":
            state = "labels"
            continue
        if state == "labels":
            if body:
                label_line = body
            continue
        m = _XDI_FIELD.match(body) if state == "fields" else None
        if m is None:
            if body:
                comments.append(body)
            continue
        family, key, value = m.groups()
        name = f"{family}.{key}"
        if family.lower() == "column":
            try:
                n = int(key)
                if n < 1:
                    raise ValueError
            except ValueError:
                raise XASDataError(
                    f"{path}, line {lineno}: {name!r} is not a valid column field "
                    "(expected Column.<N>, N = 1, 2, ...)."
                ) from None
            if n in columns:
                raise XASDataError(
                    f"{path}, line {lineno}: Column.{n} is defined twice (first on line "
                    f"{columns[n][2]})."
                )
            text = value.split("#", 1)[0].split("||", 1)[0].split()
            if not text:
                raise XASDataError(f"{path}, line {lineno}: Column.{n} names no column.")
            columns[n] = (text[0], text[1] if len(text) > 1 else None, lineno)
            continue
        fields[name] = value.strip()
        field_lines[name.lower()] = lineno
    if not data:
        raise XASDataError(f"{path}, line {len(lines) + 1}: no data rows after the header.")
    table = _table(data, path)
    ncols = table.shape[1]
    too_many = [n for n in columns if n > ncols]
    if too_many:
        n = min(too_many)
        raise XASDataError(
            f"{path}, line {columns[n][2]}: Column.{n} is declared, but the data rows hold "
            f"only {ncols} columns (line {data[0][0]})."
        )
    labels = label_line.replace(",", " ").split() if label_line else []
    names, units = [], []
    for n in range(1, ncols + 1):
        if n in columns:
            names.append(columns[n][0])
            units.append(columns[n][1])
        else:
            names.append(labels[n - 1] if len(labels) == ncols else f"col{n}")
            units.append(None)
    return dict(version=version, fields=fields, field_lines=field_lines, names=names,
                units=units, comments=comments, table=table,
                linenos=[ln for ln, _ in data], interleaved=interleaved)


def _field(fields, keys):
    lower = {k.lower(): (k, v) for k, v in fields.items()}
    for key in keys:
        if key in lower and lower[key][1].split("||")[0].strip():
            return lower[key][0], lower[key][1].split("||")[0].strip()
    return None, None


def _xdi_mu(path, cols, mu, linenos):
    """(mu array, description) under the documented rule; see load_xdi."""
    def col(name):
        for alias in _XDI_ALIASES.get(name, (name,)):
            if alias in cols:
                return cols[alias]
        return None

    def log_ratio(num, den, nname, dname):
        a, b = col(num), col(den)
        if a is None or b is None:
            return None
        bad = (a <= 0) | (b <= 0)
        if bad.any():
            i = int(np.argmax(bad))
            raise XASDataError(
                f"{path}, line {linenos[i]}: ln({nname}/{dname}) needs positive intensities, "
                f"got {nname}={a[i]:g}, {dname}={b[i]:g}."
            )
        return np.log(a / b)

    def ratio(num, den):
        a, b = col(num), col(den)
        if a is None or b is None:
            return None
        bad = b == 0
        if bad.any():
            raise XASDataError(
                f"{path}, line {linenos[int(np.argmax(bad))]}: {num}/{den} with {den} = 0."
            )
        return a / b

    recipes = {
        "trans": (lambda: log_ratio("i0", "itrans", "i0", "itrans"), "ln(i0/itrans)",
                  "i0 and itrans (or i1, it)"),
        "fluor": (lambda: ratio("ifluor", "i0"), "ifluor/i0", "ifluor (or if) and i0"),
        "refer": (lambda: log_ratio("itrans", "irefer", "itrans", "irefer"),
                  "ln(itrans/irefer)", "itrans and irefer"),
    }
    available = ", ".join(cols)
    if callable(mu):
        try:
            values = np.asarray(mu(dict(cols)), dtype=np.float64)
        except KeyError as exc:
            raise XASDataError(
                f"{path}: the mu function asked for column {exc}, which the file lacks "
                f"(columns: {available})."
            ) from exc
        if values.shape != (len(linenos),):
            raise XASDataError(
                f"{path}: the mu function returned shape {values.shape}, expected "
                f"({len(linenos)},)."
            )
        return values, "callable"
    if mu is not None:
        key = str(mu).lower()
        if key in recipes:
            fn, desc, needs = recipes[key]
            values = fn()
            if values is None:
                raise XASDataError(
                    f"{path}: mu={mu!r} needs the columns {needs}; the file has: {available}."
                )
            return values, desc
        if key in cols:
            return cols[key], key
        raise XASDataError(
            f"{path}: mu={mu!r} is neither a column of the file ({available}) nor one of "
            "'trans', 'fluor', 'refer'."
        )
    for name in _XDI_MU_STORED:
        if name in cols:
            return cols[name], name
    for key in ("trans", "fluor"):
        fn, desc, _ = recipes[key]
        values = fn()
        if values is not None:
            return values, desc
    raise XASDataError(
        f"{path}: no mu(E) in the file: none of the columns {', '.join(_XDI_MU_STORED)}, nor "
        f"i0 with itrans (transmission) or ifluor (fluorescence); the file has: {available}. "
        "Pass mu= (a column name, 'trans', 'fluor', 'refer' or a function of the columns)."
    )


def _xdi_records(path, *, mu=None, element=None, edge=None, energy_unit=None, sort=False):
    xdi = _parse_xdi(path)
    fields, names, units = xdi["fields"], xdi["names"], xdi["units"]
    lower = [n.lower() for n in names]
    table, linenos = xdi["table"], xdi["linenos"]
    label = str(path)
    el_key, el_value = _field(fields, _XDI_ELEMENT_KEYS)
    ed_key, ed_value = _field(fields, _XDI_EDGE_KEYS)
    el_line = xdi["field_lines"].get((el_key or "").lower())
    file_element = _element(el_value, el_key, f"{path}, line {el_line}") if el_value else None
    file_edge = _edge(ed_value)
    the_element = _merge(file_element, _element(element, "element", label), "element", label,
                         el_key)
    the_edge = _merge(file_edge, _edge(edge), "edge", label, ed_key)
    _, outer = _field(fields, ("outer.name",))
    problems = []
    if "energy" not in lower and "angle" not in lower:
        problems.append(f"no energy (or angle) column, the columns are {', '.join(names)}")
    if the_element is None:
        problems.append("no element (Element.symbol)")
    if the_edge is None:
        problems.append("no edge (Element.edge)")
    if outer is not None or xdi["interleaved"]:
        where = f"Outer.name: {outer}" if outer else f"'#' lines inside the data from line " \
            f"{xdi['interleaved'][0]}"
        problems.append(f"a 2-D scan ({where}), not one spectrum")
    if problems:
        raise XASDataError(
            f"{path}: valid XDI but not an XAFS spectrum this reader can load: "
            + "; ".join(problems) + "."
            + (" Pass element=/edge= if the file just omits them."
               if all(p.startswith(("no element", "no edge")) for p in problems) else "")
        )
    _, d_text = _field(fields, _XDI_DSPACING_KEYS)
    d_spacing = _float_or_nan(d_text) if d_text else np.nan
    if "energy" in lower:
        ix = lower.index("energy")
        x = table[:, ix]
        _check_column(x, linenos, path, f"the energy ({names[ix]}, column {ix + 1})")
        x, table, linenos = _sorted_rows(x, table, linenos, sort)
        _check_increasing(x, linenos, path, f"energy (column {ix + 1})", sort)
        x, unit = _energy_in_ev(x, units[ix], energy_unit, label)
    else:
        ix = lower.index("angle")
        x = table[:, ix]
        angle_unit = (units[ix] or "").lower()
        if angle_unit not in ("deg", "degree", "degrees", "rad", "radian", "radians"):
            raise XASDataError(
                f"{path}: the angle column (column {ix + 1}) has unit {units[ix]!r}; "
                "expected degrees or radians to compute energies."
            )
        if not np.isfinite(d_spacing) or d_spacing <= 0:
            raise XASDataError(
                f"{path}: energies from the angle column need the monochromator d-spacing "
                "(Mono.d_spacing, in Angstrom), which the header lacks or is not a number."
            )
        theta = np.radians(x) if angle_unit.startswith("deg") else x
        x = HC_EV_ANGSTROM / (2.0 * d_spacing * np.sin(theta))
        _check_column(x, linenos, path, "the energy from the angle")
        # a scan in angle runs down in energy as the angle rises: always sorted
        x, table, linenos = _sorted_rows(x, table, linenos, True)
        _check_increasing(x, linenos, path, "energy from the angle column", True)
        unit = "deg" if angle_unit.startswith("deg") else "rad"
    cols = {}
    for j, name in enumerate(lower):
        cols.setdefault(name, table[:, j])
    y, mu_source = _xdi_mu(path, cols, mu, linenos)
    _check_column(y, linenos, path, f"mu ({mu_source})")
    e_edge = _check_edge_in_range(x, the_element, the_edge, label)
    _, sample = _field(fields, ("sample.name",))
    _, temperature = _field(fields, ("sample.temperature",))
    metadata = dict(fields)
    metadata["xdi_version"] = xdi["version"]
    metadata["columns"] = [f"{n} {u}" if u else n for n, u in zip(names, units)]
    if xdi["comments"]:
        metadata["comments"] = "\n".join(xdi["comments"])
    return [_record(
        path=path, material_id=sample or path.stem, element=the_element, edge=the_edge,
        kind="XANES", x=x, y=y, file_format="xdi", sample=sample,
        temperature=_temperature(temperature), edge_energy=e_edge, energy_unit=unit,
        mu_source=mu_source, mono_d_spacing=d_spacing, metadata=metadata,
    )]


def load_xdi(path_or_paths, *, mu=None, element=None, edge=None, energy_unit=None,
             sort=False, on_error="raise"):
    """Load XDI 1.0 files (XAS Data Interchange) of measured mu(E) into a data set.

    Each file is one row: ``spectrum_type="XANES"``, ``x`` = energy in eV, ``y`` =
    mu(E) over the whole measured range (the EXAFS region included), no structure
    (``structure`` and ``absorbing_index`` are ``None``). The header gives
    ``absorbing_element`` (``Element.symbol``; also read from ``Scan.element`` or
    ``ScanParameters.element``, which some beamlines write), ``edge`` (``Element.edge``,
    ``Scan.edge``, ``ScanParameters.edge``) and ``material_id`` (``Sample.name``, else the
    file's stem). Column names are matched without regard to case.

    **Which column is mu** (``mu=None``): the first of the stored columns ``mutrans``,
    ``mufluor``, ``mu``, ``normtrans``, ``normfluor``; else transmission
    ``ln(i0/itrans)``; else fluorescence ``ifluor/i0`` (``itrans`` may be named ``i1``
    or ``it``, ``ifluor`` ``if``). The choice is kept in the ``mu_source`` column.

    **Energy units**: the energy column's unit in ``Column.N`` (``eV`` or ``keV``; keV
    is multiplied by 1000); any other unit is refused. Without a stated unit
    ``energy_unit`` decides, else energies all below 100 are read as keV with a
    ``UserWarning`` that says so. A file without an energy column may give ``angle``
    (degrees or radians) with ``Mono.d_spacing`` (Angstrom): E = hc / (2 d sin(angle)).
    Every row must then contain its edge: the tabulated edge energy of the element and
    edge must lie within the energies (give or take 50 eV), which catches a wrong
    element, edge or unit.

    Files that are valid XDI but not XAFS (no energy column, no element or edge, a 2-D
    scan with ``Outer.*`` blocks) raise naming the file and what is missing.

    Parameters
    ----------
    path_or_paths : str, path-like, or list of these
        XDI files.
    mu : str or callable, optional
        A column name (taken as mu), ``"trans"`` (``ln(i0/itrans)``), ``"fluor"``
        (``ifluor/i0``), ``"refer"`` (``ln(itrans/irefer)``, the reference foil), or a
        function of a dict ``{lower-case column name: array}`` returning mu. ``None``:
        the rule above.
    element, edge : str, optional
        Absorbing element and edge for files whose header lacks them. A file that names
        a different one raises: parameters fill in, they never override.
    energy_unit : {"eV", "keV"}, optional
        Unit of files whose energy column states none (must agree where one does).
    sort : bool, default=False
        Sort the rows by energy. By default energies that do not increase strictly
        raise, naming the line; with ``sort=True`` only duplicate energies do.
    on_error : {"raise", "skip"}, default="raise"
        ``"raise"``: the first bad file raises an
        :class:`~sklearn_xas.exceptions.XASDataError` naming the file (and line).
        ``"skip"``: bad files are left out with a
        :class:`~sklearn_xas.exceptions.SkippedRecordsWarning`.

    Returns
    -------
    dataset : XASDataset
        One row per file, with the extra columns of :data:`MEASURED_COLUMNS`:
        ``file_format`` (``"xdi"``), ``sample``, ``temperature`` (K, from
        ``Sample.temperature``; NaN when absent or without a unit), ``edge_energy``
        (tabulated, eV), ``energy_unit`` (the file's: ``"eV"``, ``"keV"``, or
        ``"deg"``/``"rad"`` for energies from the angle), ``mu_source``,
        ``mono_d_spacing`` (Angstrom) and ``metadata`` (every header field as
        ``"Family.key": value``, the column list and the user comments).

    See Also
    --------
    load : read any supported file or folder.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_xas.datasets import load_xdi
    >>> e = np.linspace(8900.0, 9100.0, 41)
    >>> rows = "\\n".join(f"{a:.1f} 1e5 {1e5 * np.exp(-1 - 1 / (1 + np.exp(8979 - a))):.3f}"
    ...                   for a in e)
    >>> path = Path(tempfile.mkdtemp()) / "cu_foil.xdi"
    >>> _ = path.write_text(
    ...     "# XDI/1.0\\n# Column.1: energy eV\\n# Column.2: i0\\n# Column.3: itrans\\n"
    ...     "# Element.symbol: Cu\\n# Element.edge: K\\n# Sample.name: Cu foil\\n"
    ...     "# Sample.temperature: 10 K\\n# ///\\n#----\\n# energy i0 itrans\\n" + rows + "\\n")
    >>> data = load_xdi(path)
    >>> row = data.frame.iloc[0]
    >>> row["material_id"], row["absorbing_element"], row["edge"], row["mu_source"]
    ('Cu foil', 'Cu', 'K', 'ln(i0/itrans)')
    >>> float(row["temperature"]), round(float(row["y"][-1] - row["y"][0]), 2)
    (10.0, 1.0)
    """
    _check_policy(on_error)
    paths = _paths(path_or_paths)
    options = dict(mu=mu, element=element, edge=edge, energy_unit=energy_unit, sort=sort)
    return _finish(_collect(_xdi_records, paths, options), on_error, _what(paths))


# ----------------------------------------------------------------------------- Athena
def _perl_list(text, start, path, lineno):
    """Parse the Perl list that starts at ``text[start]`` ('(').

    Nested ``[...]`` become lists and ``{...}`` dicts; strings, numbers and ``undef``
    (None) are the only scalars (nothing is evaluated).
    """
    pairs = {"(": ")", "[": "]", "{": "}"}
    pos = start
    stack = [[]]
    closers = []
    while True:
        m = _PERL_TOKEN.match(text, pos)
        if m is None:
            raise XASDataError(
                f"{path}, line {lineno}: cannot read the Perl list near "
                f"{text[pos:pos + 40]!r} (character {pos + 1})."
            )
        pos = m.end()
        single, double, undef, number, punct = m.groups()
        if punct in pairs:
            new = []
            stack[-1].append(new)
            stack.append(new)
            closers.append(pairs[punct])
        elif punct in (")", "]", "}"):
            if not closers or punct != closers.pop():
                raise XASDataError(
                    f"{path}, line {lineno}: unbalanced {punct!r} in a Perl list "
                    f"(character {pos})."
                )
            done = stack.pop()
            if punct == "}":
                stack[-1][-1] = {str(k): v for k, v in zip(done[::2], done[1::2])}
            if len(stack) == 1:
                return stack[0][0], pos
        elif punct in (",", "=>"):
            continue
        elif single is not None:
            stack[-1].append(single.replace("\\\\", "\x00").replace("\\'", "'")
                             .replace("\x00", "\\"))
        elif double is not None:
            stack[-1].append(double)
        elif undef is not None:
            stack[-1].append(None)
        else:
            stack[-1].append(float(number) if any(c in number for c in ".eE") else int(number))


def _perl_rhs(line, path, lineno):
    """Value of ``$name = '...';`` or ``@name = (...);``."""
    eq = line.index("=")
    rest = line[eq + 1:].lstrip()
    if rest.startswith("("):
        value, _ = _perl_list(line, line.index("(", eq), path, lineno)
        return value
    m = _PERL_TOKEN.match(rest)
    if m and (m.group(1) is not None or m.group(2) is not None):
        return m.group(1) if m.group(1) is not None else m.group(2)
    raise XASDataError(f"{path}, line {lineno}: cannot read the value of {line[:40]!r}.")


def _perl_floats(line, path, lineno, name):
    body = line[line.index("(") + 1 : line.rindex(")")]
    tokens = [t.strip().strip("'\"") for t in body.split(",")] if body.strip() else []
    try:
        return np.array(tokens, dtype=np.float64)
    except ValueError:
        for i, t in enumerate(tokens):
            try:
                float(t)
            except ValueError:
                raise XASDataError(
                    f"{path}, line {lineno}: value {i + 1} of @{name}, {t!r}, is not a number."
                ) from None
        raise  # pragma: no cover


def _parse_athena_perl(text, path):
    lines = text.split("\n")
    groups, current = [], {}
    for lineno, line in enumerate(lines, 1):
        s = line.strip()
        if not s or s.startswith("#") or s == "1;":
            continue
        if s.startswith("[record]"):
            if "x" not in current or "y" not in current:
                raise XASDataError(
                    f"{path}, line {lineno}: an Athena record without @x and @y arrays."
                )
            groups.append(current)
            current = {}
            continue
        m = _ATHENA_ASSIGN.match(s)
        if m is None:
            raise XASDataError(
                f"{path}, line {lineno}: not a line of an Athena project: {s[:60]!r}."
            )
        sigil, name = m.groups()
        current.setdefault("line", lineno)
        if sigil == "$" and name == "old_group":
            current["name"] = _perl_rhs(s, path, lineno)
        elif sigil == "@" and name == "args":
            flat = _perl_rhs(s, path, lineno)
            if len(flat) % 2:
                raise XASDataError(
                    f"{path}, line {lineno}: @args holds an odd number ({len(flat)}) of items; "
                    "expected key, value pairs."
                )
            current["args"] = {str(k): v for k, v in zip(flat[::2], flat[1::2])}
        elif sigil == "@" and name in ("x", "y"):
            current[name] = _perl_floats(s, path, lineno, name)
        # other entries (@i0, @signal, @stddev, $xdi, @journal, %plot_features, %lcf_data,
        # @indicator) are not needed for the data model
    if current.get("x") is not None:
        raise XASDataError(
            f"{path}, line {current['line']}: the Athena record that starts here has no "
            "'[record]' line (a truncated file?)."
        )
    return groups


def _parse_athena_json(text, path):
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise XASDataError(
            f"{path}, line {exc.lineno}, column {exc.colno}: invalid JSON in an Athena "
            f"project ({exc.msg})."
        ) from exc
    order = doc.get("_____order") or [k for k in doc if not k.startswith("_____")]
    groups = []
    for name in order:
        entry = doc.get(name)
        if not isinstance(entry, dict) or "x" not in entry or "y" not in entry:
            raise XASDataError(f"{path}: Athena group {name!r} has no 'x' and 'y' arrays.")
        try:
            x = np.asarray(entry["x"], dtype=np.float64)
            y = np.asarray(entry["y"], dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise XASDataError(f"{path}: Athena group {name!r}: non-numeric x or y ({exc}).") \
                from exc
        groups.append(dict(name=name, args=dict(entry.get("args") or {}), x=x, y=y, line=None))
    return groups


def _parse_athena(path):
    text = _read_text(path)
    head = text[:2000].lstrip()
    if head.startswith("{"):
        if "_____header" not in head and "_____order" not in text[:200000]:
            raise XASDataError(f"{path}: JSON, but not an Athena project (no '_____header').")
        return _parse_athena_json(text, path)
    if "Athena project file" not in text.split("\n", 1)[0]:
        raise XASDataError(
            f"{path}, line 1: not an Athena project: the first line should read "
            "'# Athena project file -- ...'."
        )
    return _parse_athena_perl(text, path)


def _truthy(value):
    return value is not None and str(value).strip() not in ("", "0", "0.0")


def _athena_type(args):
    for flag in ("chi", *_ATHENA_REFUSED):
        if _truthy(args.get(f"is_{flag}")):
            return flag
    return "nor" if _truthy(args.get("is_nor")) else "xmu"


def _as_number(value):
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return value


def _athena_processing(args, kind):
    out = {"record_type": kind, "merged": _truthy(args.get("is_merge"))}
    for ours, theirs in ATHENA_PROCESSING.items():
        for key in theirs:
            if key in args and args[key] not in (None, ""):
                out[ours] = _as_number(args[key])
                break
    return out


def _athena_records(path, *, element=None, edge=None):
    groups = _parse_athena(path)
    if not groups:
        raise XASDataError(f"{path}: the Athena project holds no groups.")
    given_element, given_edge = _element(element, "element", str(path)), _edge(edge)
    out = []
    for g in groups:
        args = g.get("args", {})
        name = str(g.get("name") or "")
        label = str(args.get("label") or name or "?")
        where = f"{path}" + (f", line {g['line']}" if g.get("line") else "")
        tag = f"{where} (Athena group {label!r})"
        source = f"{path} (group {label!r})"
        try:
            kind = _athena_type(args)
            if kind in _ATHENA_REFUSED:
                raise XASDataError(f"{tag}: the group is {_ATHENA_REFUSED[kind]}.")
            z = args.get("bkg_z")
            file_edge = _edge(args.get("fft_edge"))
            if str(z).strip() in ("H", "1"):
                # Athena's defaults when nothing was set: element H (which has no X-ray
                # edge) and edge K; an edge other than K was set by the user and is kept
                file_element = None
                file_edge = None if file_edge == "K" else file_edge
            else:
                file_element = _element(z, "bkg_z", tag, strict=False)
            the_element = _merge(file_element, given_element, "element", tag, "bkg_z")
            the_edge = _merge(file_edge, given_edge, "edge", tag, "fft_edge")
            _need_absorber(the_element, the_edge, tag,
                           " (bkg_z is unset or Athena's default 'H')" if z is not None else "")
            x, y = g["x"], g["y"]
            if x.shape != y.shape:
                raise XASDataError(f"{tag}: @x has {x.size} values but @y {y.size}.")
            for arr, what in ((x, "x"), (y, "y")):
                bad = ~np.isfinite(arr)
                if bad.any():
                    raise XASDataError(
                        f"{tag}: {what} value {int(np.argmax(bad)) + 1} is not finite."
                    )
            steps = np.flatnonzero(np.diff(x) <= 0)
            if steps.size:
                i = int(steps[0])
                raise XASDataError(
                    f"{tag}: x must increase strictly, but value {i + 2} ({x[i + 1]:g}) "
                    f"follows {x[i]:g}."
                )
            if kind == "chi":
                spectrum_type, e_edge, unit, mu_source = "EXAFS", np.nan, None, None
            else:
                spectrum_type, unit, mu_source = "XANES", "eV", "athena"
                e_edge = _check_edge_in_range(x, the_element, the_edge, tag)
            out.append(_record(
                path=path, material_id=label, element=the_element, edge=the_edge,
                kind=spectrum_type, x=x, y=y, file_format="athena", sample=label,
                edge_energy=e_edge, energy_unit=unit, mu_source=mu_source, group=label,
                athena_id=name or None, processing=_athena_processing(args, kind),
                metadata=dict(args), source=source,
            ))
        except XASDataError as exc:
            out.append(exc)
    return out


def load_athena(path, *, element=None, edge=None, on_error="raise"):
    """Load every group of Athena project files (``.prj``) into a data set.

    Reads Demeter's project format (gzipped or plain, the Perl-serialised form and its
    JSON variant) with our own parser (the module docstring says why not larch's); no
    optional dependency is needed. Each group is a row, in the project's order, groups
    sharing a label included: mu(E) groups are ``"XANES"`` rows (``x`` = energy in eV as
    stored, ``y`` = Athena's mu(E), the whole measured range, EXAFS region included),
    chi(k) groups are ``"EXAFS"`` rows. ``absorbing_element`` comes from Athena's
    ``bkg_z`` and ``edge`` from ``fft_edge``; ``bkg_z = "H"`` is Athena's default when
    no element was set and counts as unset, and so does the default edge ``"K"`` that
    goes with it; ``material_id``, ``sample`` and ``group`` are the
    group's label; ``source`` is ``"<path> (group '<label>')"``.

    Groups that are not a measured spectrum (FEFF ``xmu.dat`` calculations, background
    functions, difference spectra, uncalibrated pixel data, chi(R), chi(q)) raise; so do
    groups whose element's tabulated edge lies outside their energies (by more than 50
    eV: a wrong element or edge).

    Parameters
    ----------
    path : str, path-like, or list of these
        Athena project files.
    element, edge : str, optional
        For groups that do not name their element or edge. A group that names a
        different one raises: parameters fill in, they never override.
    on_error : {"raise", "skip"}, default="raise"
        ``"raise"``: the first bad group (or file) raises an
        :class:`~sklearn_xas.exceptions.XASDataError` naming the file, the line of the
        group where known, and the group. ``"skip"``: bad groups are left out with a
        :class:`~sklearn_xas.exceptions.SkippedRecordsWarning`.

    Returns
    -------
    dataset : XASDataset
        Extra columns (:data:`MEASURED_COLUMNS`): ``file_format`` (``"athena"``),
        ``group``, ``athena_id`` (Athena's internal key), ``edge_energy`` (tabulated,
        eV; NaN for chi(k) rows), ``processing`` (a dict of Athena's stored
        parameters, named as in :data:`ATHENA_PROCESSING`: ``e0``, ``rbkg``, ``pre1``,
        ``pre2``, ``norm1``, ``norm2`` (eV relative to ``e0``), ``nnorm``, ``kweight``,
        ``spline_kmin``/``spline_kmax``, ``fft_kmin``/``fft_kmax``/``fft_dk``/
        ``fft_window``, ... where present, plus ``record_type`` and ``merged``) and
        ``metadata`` (all of the group's stored arguments).

    Examples
    --------
    >>> import gzip, tempfile
    >>> from pathlib import Path
    >>> from sklearn_xas.datasets import load_athena
    >>> e = [7100 + 2 * i for i in range(30)]
    >>> mu = [0.1 + 0.9 * (v > 7112) for v in e]
    >>> text = ("# Athena project file -- Demeter version 0.9.26\\n"
    ...         "$old_group = 'abcde';\\n"
    ...         "@args = ('label','Fe foil','bkg_z','Fe','fft_edge','k','bkg_e0','7112.0',"
    ...         "'bkg_rbkg','1.0','bkg_kw','2','is_xmu',1);\\n"
    ...         f"@x = ({','.join(repr(str(v)) for v in e)});\\n"
    ...         f"@y = ({','.join(repr(str(v)) for v in mu)});\\n[record]\\n1;\\n")
    >>> path = Path(tempfile.mkdtemp()) / "fe.prj"
    >>> _ = path.write_bytes(gzip.compress(text.encode()))
    >>> row = load_athena(path).frame.iloc[0]
    >>> row["material_id"], row["absorbing_element"], row["edge"], row["spectrum_type"]
    ('Fe foil', 'Fe', 'K', 'XANES')
    >>> row["processing"]["e0"], row["processing"]["rbkg"], row["processing"]["kweight"]
    (7112.0, 1.0, 2.0)
    """
    _check_policy(on_error)
    paths = _paths(path)
    options = dict(element=element, edge=edge)
    return _finish(_collect(_athena_records, paths, options), on_error, _what(paths))


# ----------------------------------------------------------------------------- columns
def _norm_label(label):
    return re.sub(r"[^a-z0-9]", "", label.lower())


def _columns_records(path, *, kind=None, columns=None, element=None, edge=None,
                     energy_unit=None, sort=False):
    lines = _read_text(path).splitlines()
    header, data = [], []
    for lineno, line in enumerate(lines, 1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            if data:
                raise XASDataError(
                    f"{path}, line {lineno}: a '#' line inside the data rows (from line "
                    f"{data[0][0]}); one file holds one spectrum."
                )
            header.append(s.lstrip("#").strip())
            continue
        data.append((lineno, line))
    if not data:
        raise XASDataError(f"{path}, line {len(lines) + 1}: no data rows.")
    if _XDI_FIRST.match(lines[0].strip()):
        raise XASDataError(f"{path}: an XDI file; read it with load_xdi (or load).")
    table = _table(data, path)
    linenos = [ln for ln, _ in data]
    ncols = table.shape[1]
    if ncols < 2:
        raise XASDataError(
            f"{path}, line {linenos[0]}: a spectrum needs two columns (x and y), found 1."
        )
    fields = {}
    for h in header:
        m = _COLUMN_FIELD.match(h)
        if m:
            fields[m.group(1).lower()] = m.group(2).strip()
    label_text = next((h for h in reversed(header)
                       if h and not re.fullmatch(r"[-=_*#%\s]*", h) and not h.startswith("%")),
                      "")
    labels = [t for t in re.split(r"[\s,]+", label_text) if t]
    labels = labels if len(labels) == ncols else []
    norm = [_norm_label(t) for t in labels]
    label = str(path)

    def index_of(spec, what):
        if isinstance(spec, (int, np.integer)):
            if not -ncols <= spec < ncols:
                raise XASDataError(f"{label}: {what} column {spec} is out of range for "
                                   f"{ncols} columns.")
            return int(spec) % ncols
        if _norm_label(str(spec)) in norm:
            return norm.index(_norm_label(str(spec)))
        raise XASDataError(
            f"{label}: no column labelled {spec!r} (labels: {labels or 'none readable'})."
        )

    if columns is not None:
        try:
            xspec, yspec = columns
        except (TypeError, ValueError):
            raise ValueError(f"columns must be a pair (x, y), got {columns!r}.") from None
        ix, iy = index_of(xspec, "x"), index_of(yspec, "y")
    elif ncols == 2:
        ix, iy = 0, 1
    else:
        wanted = (_CHI_LABELS if kind == "EXAFS" else _MU_LABELS if kind == "XANES"
                  else _MU_LABELS + _CHI_LABELS)
        iy = next((norm.index(w) for w in wanted if w in norm[1:]), None)
        if iy is None:
            raise XASDataError(
                f"{label}: {ncols} columns and none is labelled as mu or chi (labels: "
                f"{labels or 'none readable'}); pass columns=(x, y) (indices or labels)."
            )
        ix = 0
    x, y = table[:, ix], table[:, iy]
    xlab = norm[ix] if norm else None
    ylab = norm[iy] if norm else None
    if kind is not None:
        kind = str(kind).upper()
        if kind not in ("XANES", "EXAFS"):
            raise ValueError(f"kind must be 'XANES', 'EXAFS' or None, got {kind!r}.")
        how = "kind="
    elif xlab in _ENERGY_LABELS or ylab in _MU_LABELS:
        kind, how = "XANES", f"the label {labels[ix] if xlab in _ENERGY_LABELS else labels[iy]!r}"
    elif xlab in _K_LABELS or ylab in _CHI_LABELS:
        kind, how = "EXAFS", f"the label {labels[ix] if xlab in _K_LABELS else labels[iy]!r}"
    elif float(x.min()) >= 0 and float(x.max()) <= 30:
        kind, how = "EXAFS", "the x range (0-30: k in 1/Angstrom)"
    elif float(x.min()) >= KEV_BELOW:
        kind, how = "XANES", f"the x range (above {KEV_BELOW:g}: energy in eV)"
    else:
        raise XASDataError(
            f"{label}: cannot tell energy from k: no readable column labels and x runs "
            f"{float(x.min()):g}-{float(x.max()):g}; pass kind='XANES' or kind='EXAFS'."
        )
    what = "energy" if kind == "XANES" else "k"
    _check_column(x, linenos, path, f"the {what} (column {ix + 1})")
    _check_column(y, linenos, path, f"column {iy + 1}")
    x, table, linenos = _sorted_rows(x, table, linenos, sort)
    y = table[:, iy]
    _check_increasing(x, linenos, path, f"{what} (column {ix + 1})", sort)
    file_element = _element(fields.get("atom"), "%atom", label, strict=False)
    the_element = _merge(file_element, _element(element, "element", label), "element", label,
                         "%atom")
    the_edge = _merge(_edge(fields.get("edge")), _edge(edge), "edge", label, "%edge")
    hint = (f" (its %atom {fields['atom']!r} is not an element symbol)"
            if fields.get("atom") and file_element is None else "")
    _need_absorber(the_element, the_edge, label, hint)
    if kind == "EXAFS" and how.startswith("the x range"):
        e_kev = _tabulated_edge(the_element, the_edge, label) / 1000.0
        if float(x.min()) - 0.05 <= e_kev <= float(x.max()) + 0.05:
            raise XASDataError(
                f"{label}: x runs {float(x.min()):g}-{float(x.max()):g}, which could be k "
                f"(1/Angstrom) or keV around the {the_element} {the_edge} edge "
                f"({e_kev:g} keV); pass kind='XANES' or kind='EXAFS'."
            )
    e_edge, unit = np.nan, None
    if kind == "XANES":
        x, unit = _energy_in_ev(x, None, energy_unit, label)
        e_edge = _check_edge_in_range(x, the_element, the_edge, label)
    elif xlab is not None and xlab in _ENERGY_LABELS:
        raise XASDataError(f"{label}: kind='EXAFS', but column {ix + 1} is labelled "
                           f"{labels[ix]!r} (an energy).")
    sample = fields.get("name") or None
    metadata = {f"%{k}": v for k, v in fields.items()}
    metadata["header"] = "\n".join(header)
    metadata["kind_from"] = how
    ydesc = f"column {iy + 1}" + (f" ({labels[iy]})" if labels else "")
    return [_record(
        path=path, material_id=sample or path.stem, element=the_element, edge=the_edge,
        kind=kind, x=x, y=y, file_format="columns", sample=sample,
        temperature=_temperature(fields.get("temp")), edge_energy=e_edge, energy_unit=unit,
        mu_source=ydesc if kind == "XANES" else None, metadata=metadata,
    )]


def load_columns(path_or_paths, *, kind=None, columns=None, element=None, edge=None,
                 energy_unit=None, sort=False, on_error="raise"):
    """Load plain column files: energy and mu(E), or k and chi(k).

    A column file is optional ``#`` header lines, then rows of numbers separated by
    white space (one spectrum per file). The last header line that is not a rule
    (``#----``) is read as column labels when it has one label per column. Old-style
    ``#%name:``, ``#%atom:``, ``#%edge:`` and ``#%temp:`` header fields give the sample
    name, element, edge and temperature.

    **Columns** (``columns=None``): a two-column file is (x, y); with more columns x is
    the first and y the first column labelled as mu (``mu``, ``xmu``, ``mutrans``,
    ``mufluor``, ``norm``, ``flat``) or chi (``chi``, ``chi(k)``); otherwise pass
    ``columns``.

    **Kind** (``kind=None``), first rule that applies: the labels (x labelled
    ``energy``/``e``/``omega`` or y labelled as mu: XANES; x labelled ``k`` or y as
    chi: EXAFS); else the x range (all within 0-30: k, EXAFS; all from 100 up: energy in
    eV, XANES); else an error asking for ``kind``. A range-decided EXAFS file whose
    element's edge in keV falls within x (could be keV energies) is refused too.
    ``"XANES"`` rows hold mu(E) over the whole measured range (EXAFS region included),
    x in eV; energies follow the unit rule of :func:`load_xdi` (no unit is stated in a
    column file, so ``energy_unit``, or keV below 100 with a warning), and the element's
    tabulated edge must lie within them (give or take 50 eV). ``"EXAFS"`` rows are k in
    1/Angstrom and chi(k).

    Parameters
    ----------
    path_or_paths : str, path-like, or list of these
        Column files.
    kind : {"XANES", "EXAFS"}, optional
        Skip the kind rule.
    columns : (x, y), optional
        0-based column indices or labels of x and y.
    element, edge : str, optional
        Absorbing element and edge; needed unless the header has ``#%atom:`` and
        ``#%edge:`` (a file naming a different one raises).
    energy_unit : {"eV", "keV"}, optional
        Unit of the energies (XANES).
    sort : bool, default=False
        Sort the rows by x (see :func:`load_xdi`).
    on_error : {"raise", "skip"}, default="raise"
        ``"raise"``: the first bad file raises an
        :class:`~sklearn_xas.exceptions.XASDataError` naming the file and line.
        ``"skip"``: bad files are left out with a
        :class:`~sklearn_xas.exceptions.SkippedRecordsWarning`.

    Returns
    -------
    dataset : XASDataset
        One row per file with the extra columns of :data:`MEASURED_COLUMNS`
        (``file_format`` is ``"columns"``; ``metadata`` holds the header, the ``%``
        fields and ``kind_from``, the rule that decided the kind).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_xas.datasets import load_columns
    >>> k = np.arange(0.0, 15.0, 0.05)
    >>> path = Path(tempfile.mkdtemp()) / "cu.chi"
    >>> _ = path.write_text("# Cu foil chi(k)\\n#   k   chi\\n" + "\\n".join(
    ...     f"{a:.2f} {np.sin(2 * 2.55 * a) * np.exp(-0.01 * a * a):.6f}" for a in k))
    >>> row = load_columns(path, element="Cu", edge="K").frame.iloc[0]
    >>> row["spectrum_type"], row["material_id"], len(row["x"]), row["metadata"]["kind_from"]
    ('EXAFS', 'cu', 300, "the label 'k'")
    """
    _check_policy(on_error)
    paths = _paths(path_or_paths)
    options = dict(kind=kind, columns=columns, element=element, edge=edge,
                   energy_unit=energy_unit, sort=sort)
    return _finish(_collect(_columns_records, paths, options), on_error, _what(paths))


# ----------------------------------------------------------------------------- dispatch
def _sniff(path):
    """``"xdi"``, ``"athena"``, ``"json"``, ``"columns"`` or None, from content, then name."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise XASDataError(f"{path}: cannot read the file ({exc.strerror or exc}).") from exc
    name = path.name.lower()
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as fh:
                head = fh.read(4096)
        except (OSError, EOFError, zlib.error):
            head = b""
    text = head.decode("utf-8", errors="replace")
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    if _XDI_FIRST.match(first):
        return "xdi"
    if "Athena project file" in first or (
            text.lstrip().startswith("{") and "_____header" in text[:1000]):
        return "athena"
    if name.endswith((".json", ".json.gz")):
        return "json"
    if name.endswith(".xdi"):
        return "xdi"
    if name.endswith(".prj"):
        return "athena"
    if name.endswith(COLUMN_SUFFIXES):
        return "columns"
    return None


def _is_feff_tree(root):
    return any(
        (child / "POSCAR").is_file() for child in root.iterdir() if child.is_dir()
    )


_READERS = {"xdi": _xdi_records, "athena": _athena_records, "columns": _columns_records}


def _accepted(fn):
    return {n for n, p in inspect.signature(fn).parameters.items()
            if p.kind == inspect.Parameter.KEYWORD_ONLY}


def _json_records(path, options, on_error):
    records = load_xas_json(path, on_error=on_error, **options).frame.to_dict("records")
    return [dict(rec, file_format="json") for rec in records]


def load(path, *, on_error="raise", recursive=False, **options):
    """Load a file or folder of XAS data in any supported format, deciding which it is.

    What a path is, first rule that applies:

    - a folder with a sub-folder holding a ``POSCAR``: a Lightshow/FEFF tree, read by
      :func:`load_feff_tree`;
    - another folder: each file in it (sorted; sub-folders too with ``recursive=True``)
      that the rules below recognise; other files are ignored and listed in
      ``dataset.frame.attrs["ignored_files"]``;
    - a file whose first line starts with ``# XDI/``: :func:`load_xdi`;
    - an Athena project (first line ``# Athena project file``, or Athena's JSON; gzipped
      or not): :func:`load_athena`;
    - a ``.json`` or ``.json.gz`` file: :func:`load_xas_json` (pymatgen / Materials
      Project documents);
    - by name: ``.xdi`` to :func:`load_xdi`, ``.prj`` to :func:`load_athena` (whose
      errors then say what is wrong), and ``.dat``, ``.xmu``, ``.chi``, ``.txt``,
      ``.nor`` to :func:`load_columns`;
    - anything else raises an :class:`~sklearn_xas.exceptions.XASDataError`.

    Parameters
    ----------
    path : str or path-like
        A file or a folder.
    on_error : {"raise", "skip"}, default="raise"
        Passed to the readers; for a folder, one policy over all its records (and
        under ``"skip"`` a file that cannot be read at all counts as one skipped
        record).
    recursive : bool, default=False
        For a folder of files: also read the files in its sub-folders.
    **options
        Reader options (``mu``, ``kind``, ``columns``, ``element``, ``edge``,
        ``energy_unit`` for measured files; ``kinds``, ``n_jobs``, ``progress`` for a
        FEFF tree). For a folder each reader gets the options it takes; an option that
        none of the folder's readers takes raises ``TypeError``.

    Returns
    -------
    dataset : XASDataset

    Raises
    ------
    XASDataError
        For a path that does not exist, a folder without data files, a file of an
        unknown kind, or bad data (under ``on_error="raise"``).
    TypeError
        For an option that the reader (or none of a folder's readers) takes.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_xas.datasets import load
    >>> folder = Path(tempfile.mkdtemp())
    >>> e = np.linspace(4900.0, 5100.0, 201)
    >>> _ = (folder / "anatase.txt").write_text("\\n".join(
    ...     f"{a:.1f} {1 / (1 + np.exp(4966.0 - a)):.5f}" for a in e))
    >>> _ = (folder / "README").write_text("notes")
    >>> data = load(folder, element="Ti", edge="K")
    >>> data.frame[["material_id", "absorbing_element", "spectrum_type"]].values.tolist()
    [['anatase', 'Ti', 'XANES']]
    >>> data.frame.attrs["ignored_files"]
    ['README']
    """
    _check_policy(on_error)
    root = Path(path)
    if not root.exists():
        raise XASDataError(f"{root}: no such file or folder.")
    if root.is_dir():
        if _is_feff_tree(root):
            return load_feff_tree(root, on_error=on_error, **options)
        return _load_folder(root, on_error, recursive, options)
    kind = _sniff(root)
    if kind is None:
        raise XASDataError(
            f"{root}: not a format sklearn-xas recognises: not XDI (no '# XDI/' first line), "
            "not an Athena project, not .json, and not named .xdi, .prj or one of "
            f"{', '.join(COLUMN_SUFFIXES)}. For a plain column file call load_columns."
        )
    if kind == "json":
        return load_xas_json(root, on_error=on_error, **options)
    public = {"xdi": load_xdi, "athena": load_athena, "columns": load_columns}[kind]
    return public(root, on_error=on_error, **options)


def _load_folder(root, on_error, recursive, options):
    files = sorted(p for p in (root.rglob("*") if recursive else root.iterdir())
                   if p.is_file() and not p.name.startswith("."))
    chosen, ignored = [], []
    for p in files:
        kind = _sniff(p)
        (chosen if kind else ignored).append((p, kind))
    if not chosen:
        raise XASDataError(
            f"{root}: no data files found (XDI, Athena .prj, .json or column files "
            f"{', '.join(COLUMN_SUFFIXES)})" + (" in it or its sub-folders." if recursive
                                               else "; pass recursive=True for sub-folders.")
        )
    kinds = {k for _, k in chosen}
    takes = {k: (_accepted(load_xas_json) - {"on_error"} if k == "json" else _accepted(
        _READERS[k])) for k in kinds}
    unused = set(options) - set().union(*takes.values())
    if unused:
        raise TypeError(
            f"load: option(s) {sorted(unused)} are taken by none of the readers of the "
            f"files in {root} ({', '.join(sorted(kinds))})."
        )
    records = []
    for p, kind in chosen:
        mine = {k: v for k, v in options.items() if k in takes[kind]}
        try:
            if kind == "json":
                records.extend(_json_records(p, mine, on_error))
            else:
                records.extend(_READERS[kind](p, **mine))
        except XASDataError as exc:
            records.append(exc)
    dataset = _finish(records, on_error, f"the folder {root}")
    dataset.frame.attrs["ignored_files"] = [str(p.relative_to(root)) for p, _ in ignored]
    return dataset


__all__ = [
    "ATHENA_PROCESSING",
    "COLUMN_SUFFIXES",
    "MEASURED_COLUMNS",
    "load",
    "load_athena",
    "load_columns",
    "load_xdi",
]
