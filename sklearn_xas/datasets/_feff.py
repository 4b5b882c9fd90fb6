"""Read and write Lightshow-style FEFF trees: ``xmu.dat`` (XANES) and ``chi.dat`` (EXAFS).

The layout is the one Lightshow writes and OmniXAS reads::

    <root>/<material_id>/POSCAR
    <root>/<material_id>/FEFF-XANES/<NNN>_<El>/xmu.dat
    <root>/<material_id>/FEFF-EXAFS/<NNN>_<El>/chi.dat

where ``NNN`` is the 0-based index of the absorbing site in the POSCAR and ``El`` its
element. Both kinds may sit in one tree.
"""

from __future__ import annotations

import functools
import os
import re
import warnings
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed

from .._core import SPECTRUM_TYPES, check_frame, collect_records, row_label
from ..exceptions import XASDataError
from ..utils import progress as _progress

#: spectrum type -> (sub-folder of a material, spectrum file name)
FEFF_LAYOUT = {"XANES": ("FEFF-XANES", "xmu.dat"), "EXAFS": ("FEFF-EXAFS", "chi.dat")}

_SITE_DIR = re.compile(r"^(\d+)_([A-Z][a-z]?)$")
_KEY_VALUE = re.compile(r"([A-Za-z_]+):\s*(\S+)")
_XSEDGE = re.compile(r"xsedge\+\s*\d+\s*,\s*used to normalize mu\s+(\S+)")
_FEFF_ABSORBER = re.compile(r"\bAbs\s+Z=\s*(\d+).*?\s([KLMNOP]\d?)\s+shell")
_HEADER_TYPES = {
    "absorber": str,
    "site": int,
    "edge": str,
    "edge_energy_eV": float,
    "multiplicity": int,
}


# ----------------------------------------------------------------------------- parsing
def _read_text(path):
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8", errors="replace")
    except FileNotFoundError as exc:
        raise XASDataError(f"{path}: no such file.") from exc
    except OSError as exc:
        raise XASDataError(f"{path}: cannot read the file ({exc.strerror or exc}).") from exc


@functools.cache
def _element_table():
    """symbol -> Composition of one atom (shared: Composition is immutable), Z -> symbol."""
    from pymatgen.core import Composition
    from pymatgen.core.periodic_table import Element

    comps = {e.symbol: Composition({e: 1}) for e in Element}
    return comps, {e.Z: e.symbol for e in Element}


def _is_symbol(token):
    return token in _element_table()[0]


def _symbol_of_z(z):
    return _element_table()[1].get(z, f"Z={z}")


def _floats(tokens, path, lineno, n, what):
    try:
        values = [float(t) for t in tokens[:n]]
    except ValueError:
        values = []
    if len(values) != n:
        raise XASDataError(
            f"{path}, line {lineno}: expected {n} numbers ({what}), got {tokens!r}."
        )
    return values


def parse_poscar(text, path="POSCAR"):
    """Parse the text of a POSCAR into a pymatgen ``Structure``.

    The common VASP 5 form (one positive scale factor, an element line, a count
    line, direct coordinates) is read by a fast parser that names the line of any
    error; other forms (selective dynamics, Cartesian coordinates, a volume scale,
    VASP 4 files without an element line) go through pymatgen's ``Poscar``.

    Parameters
    ----------
    text : str
        Content of the POSCAR file.
    path : str, default="POSCAR"
        How to name the file in error messages.

    Returns
    -------
    structure : pymatgen.core.Structure

    Raises
    ------
    XASDataError
        Naming the file and line of the problem.

    Examples
    --------
    >>> from sklearn_xas.datasets import parse_poscar
    >>> s = parse_poscar('''NaCl
    ... 1.0
    ... 5.64 0 0
    ... 0 5.64 0
    ... 0 0 5.64
    ... Na Cl
    ... 1 1
    ... direct
    ... 0 0 0
    ... 0.5 0.5 0.5''')
    >>> s.composition.reduced_formula, len(s)
    ('NaCl', 2)
    """
    from pymatgen.core import Lattice, Structure

    lines = text.splitlines()
    if len(lines) < 8:
        raise XASDataError(
            f"{path}, line {len(lines) + 1}: the POSCAR ends after {len(lines)} line(s); a "
            "POSCAR needs at least a comment, scale, 3 lattice lines, counts and a mode line."
        )
    scale_tokens = lines[1].split()
    symbols = lines[5].split()
    counts_tokens = lines[6].split()
    mode = lines[7].strip()[:1].lower()
    fast = (
        len(scale_tokens) == 1
        and symbols
        and all(_is_symbol(s) for s in symbols)
        and len(counts_tokens) >= len(symbols)
        and all(t.isdigit() for t in counts_tokens[: len(symbols)])
        and mode == "d"
    )
    if fast:
        (scale,) = _floats(scale_tokens, path, 2, 1, "scale factor")
        fast = scale > 0
    if not fast:
        return _parse_poscar_pymatgen(text, path)
    lattice = [_floats(lines[i].split(), path, i + 1, 3, "lattice vector") for i in (2, 3, 4)]
    counts = [int(t) for t in counts_tokens[: len(symbols)]]
    n = sum(counts)
    if n == 0:
        raise XASDataError(f"{path}, line 7: the POSCAR declares no atoms.")
    if len(lines) < 8 + n:
        raise XASDataError(
            f"{path}, line {len(lines) + 1}: the POSCAR declares {n} atoms but holds only "
            f"{len(lines) - 8} coordinate line(s)."
        )
    block = lines[8 : 8 + n]
    try:
        coords = np.array([ln.split()[:3] for ln in block], dtype=np.float64)
        ok = coords.shape == (n, 3) and np.isfinite(coords).all()
    except ValueError:
        ok = False
    if not ok:
        for i, ln in enumerate(block):
            values = _floats(ln.split(), path, 9 + i, 3, "fractional coordinates")
            if not np.isfinite(values).all():
                raise XASDataError(f"{path}, line {9 + i}: non-finite coordinate in {ln!r}.")
    comps = _element_table()[0]
    species = [comps[s] for s, c in zip(symbols, counts) for _ in range(c)]
    try:
        return Structure(Lattice(np.array(lattice) * scale), species, coords)
    except Exception as exc:  # e.g. a singular lattice
        raise XASDataError(f"{path}, lines 3-5: invalid lattice or sites ({exc}).") from exc


def _parse_poscar_pymatgen(text, path):
    from pymatgen.io.vasp import Poscar

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Poscar.from_str(text).structure
    except Exception as exc:
        raise XASDataError(
            f"{path}: cannot parse the POSCAR (line unknown; pymatgen says: {exc})."
        ) from exc


def _header_end(lines):
    """Index of the first data line: header lines start with '#' (blank lines skipped)."""
    for i, ln in enumerate(lines):
        s = ln.lstrip()
        if s and not s.startswith("#"):
            return i
    return len(lines)


def _numeric_block(lines, start, path, columns):
    """Columns ``columns`` of the numeric table lines[start:] (errors name the line).

    Only the requested columns are converted; every row must have as many columns
    as the first data row.
    """
    body = lines[start:]
    tokens = " ".join(body).split()
    if not tokens:
        raise XASDataError(f"{path}, line {start + 1}: no data rows after the header.")
    ncols = len(body[0].split())  # body[0] is the first data row (see _header_end)
    n_rows = len(body)
    if len(tokens) != ncols * n_rows:  # blank lines, or ragged rows
        n_rows = sum(1 for ln in body if ln.strip())
    out = None
    if len(tokens) == ncols * n_rows and max(columns) < ncols:
        try:
            out = [np.array(tokens[c::ncols], dtype=np.float64) for c in columns]
        except ValueError:
            out = None
    if out is None:
        if max(columns) >= ncols:
            raise XASDataError(
                f"{path}, line {_line_of_row(body, start, 0)}: expected at least "
                f"{max(columns) + 1} columns, found {ncols}."
            )
        for lineno, ln in enumerate(body, start + 1):
            row = ln.split()
            if not row:
                continue
            if len(row) != ncols:
                raise XASDataError(
                    f"{path}, line {lineno}: expected {ncols} columns like the first data row, "
                    f"found {len(row)}: {ln.strip()!r}."
                )
            for c in columns:
                try:
                    float(row[c])
                except ValueError:
                    raise XASDataError(
                        f"{path}, line {lineno}: {row[c]!r} (column {c + 1}) is not a number."
                    ) from None
        raise XASDataError(f"{path}: cannot parse the data rows.")  # pragma: no cover
    for arr in out:
        finite = np.isfinite(arr)
        if not finite.all():
            row = int(np.argmin(finite))
            raise XASDataError(
                f"{path}, line {_line_of_row(body, start, row)}: non-finite value (NaN or inf)."
            )
    return out, body, ncols


def _line_of_row(body, start, row):
    seen = -1
    for lineno, ln in enumerate(body, start + 1):
        if ln.strip():
            seen += 1
            if seen == row:
                return lineno
    return start + 1  # pragma: no cover


def _check_increasing(x, body, start, path):
    bad = np.flatnonzero(np.diff(x) <= 0)
    if bad.size:
        i = int(bad[0])
        raise XASDataError(
            f"{path}, line {_line_of_row(body, start, i + 1)}: the first column must increase "
            f"strictly, but {x[i + 1]:g} follows {x[i]:g}."
        )


def _parse_header(lines, stop, path):
    """Key/value header (``# absorber: Cu  site: 1  edge: K ...``), FEFF's own lines."""
    info = {}
    for lineno, ln in enumerate(lines[:stop], 1):
        if "absorber:" in ln:
            for key, value in _KEY_VALUE.findall(ln):
                cast = _HEADER_TYPES.get(key)
                if cast is None:
                    continue
                try:
                    info[key] = cast(float(value)) if cast is int else cast(value)
                except ValueError:
                    raise XASDataError(
                        f"{path}, line {lineno}: header value {key}: {value!r} is not a "
                        f"valid {cast.__name__}."
                    ) from None
            continue
        m = _FEFF_ABSORBER.search(ln) if "Abs" in ln else None
        if m and "feff_Z" not in info:
            info["feff_Z"] = int(m.group(1))
            info["feff_edge"] = m.group(2)
            continue
        m = _XSEDGE.search(ln) if "xsedge" in ln else None
        if m:
            try:
                info["xsedge_norm"] = float(m.group(1).replace("D", "E"))
            except ValueError:
                raise XASDataError(
                    f"{path}, line {lineno}: the xsedge normalisation {m.group(1)!r} is not a "
                    "number."
                ) from None
    return info


def _read_spectrum(path, kind):
    """Return (x, y, header info) of one xmu.dat (XANES) or chi.dat (EXAFS) file."""
    text = _read_text(path)
    lines = text.splitlines()
    start = _header_end(lines)
    info = _parse_header(lines, start, path)
    if start < len(lines):
        ncols = len(lines[start].split())
    else:
        raise XASDataError(f"{path}, line {start + 1}: no data rows after the header.")
    if kind == "XANES":
        # FEFF: omega e k mu mu0 chi; the 2-column form (omega mu) is what the writer emits.
        if ncols == 2:
            ycol = 1
        elif ncols >= 4:
            ycol = 3
        else:
            raise XASDataError(
                f"{path}, line {start + 1}: xmu.dat needs the columns 'omega e k mu ...' "
                f"(or 'omega mu'), found {ncols} column(s)."
            )
    else:
        # chi.dat: k chi (this project), or FEFF's k chi mag phase.
        if ncols < 2:
            raise XASDataError(
                f"{path}, line {start + 1}: chi.dat needs the columns 'k chi', found 1 column."
            )
        ycol = 1
    (x, y), body, _ = _numeric_block(lines, start, path, (0, ycol))
    if x.size < 2:
        raise XASDataError(f"{path}, line {start + 1}: a spectrum needs at least 2 data rows.")
    _check_increasing(x, body, start, path)
    return x, y, info


# ----------------------------------------------------------------------------- the tree
def _check_kinds(kinds):
    if isinstance(kinds, str):
        kinds = (kinds,)
    out = []
    for k in kinds:
        k2 = str(k).upper()
        if k2 not in SPECTRUM_TYPES:
            raise ValueError(f"kinds must be among {SPECTRUM_TYPES}, got {k!r}.")
        if k2 not in out:
            out.append(k2)
    if not out:
        raise ValueError("kinds must name at least one of 'XANES', 'EXAFS'.")
    return tuple(out)


def _scan_material(mdir, kinds):
    """The site folders of one material: list of (kind, site_dir_name, path)."""
    sites = []
    for kind in kinds:
        sub, fname = FEFF_LAYOUT[kind]
        kdir = os.path.join(mdir, sub)
        if not os.path.isdir(kdir):
            continue
        with os.scandir(kdir) as it:
            names = [e.name for e in it if e.is_dir()]
        for name in sorted(names, key=_site_sort_key):
            sites.append((kind, name, os.path.join(kdir, name, fname)))
    return sites


def _site_sort_key(name):
    m = _SITE_DIR.match(name)
    return (0, int(m.group(1)), name) if m else (1, 0, name)


def _read_material(mdir, material_id, sites):
    """Records (dicts, or XASDataError in place of bad ones) of one material folder."""
    poscar = os.path.join(mdir, "POSCAR")
    try:
        structure = parse_poscar(_read_text(poscar), poscar)
        poscar_error = None
    except XASDataError as exc:
        structure, poscar_error = None, exc
    out = []
    for kind, name, path in sites:
        m = _SITE_DIR.match(name)
        if m is None:
            out.append(
                XASDataError(
                    f"{os.path.dirname(path)}: a site folder must be named <NNN>_<El> (0-based "
                    f"absorbing site index and element), got {name!r}."
                )
            )
            continue
        index, element = int(m.group(1)), m.group(2)
        label = f"record {path} / material {material_id!r}, site {index}"
        if poscar_error is not None:
            out.append(XASDataError(f"{label}: the material's structure is unusable: "
                                    f"{poscar_error}"))
            continue
        try:
            x, y, info = _read_spectrum(path, kind)
            _check_header(info, index, element, label)
        except XASDataError as exc:
            out.append(exc)
            continue
        edge = info.get("edge") or info.get("feff_edge") or "K"
        rec = dict(
            material_id=material_id,
            absorbing_index=index,
            absorbing_element=element,
            edge=edge,
            spectrum_type=kind,
            structure=structure,
            x=x,
            y=y,
            multiplicity=info.get("multiplicity"),
            source=path,
        )
        if kind == "XANES":
            rec["xsedge_norm"] = info.get("xsedge_norm", np.nan)
        else:
            rec["edge_energy"] = info.get("edge_energy_eV", np.nan)
        out.append(rec)
    return out


def _check_header(info, index, element, label):
    absorber = info.get("absorber")
    if absorber is not None and absorber != element:
        raise XASDataError(
            f"{label}: the file header names absorber {absorber}, but the site folder says "
            f"{element}."
        )
    site = info.get("site")
    if site is not None and site != index:
        raise XASDataError(
            f"{label}: the file header names site {site}, but the site folder says {index}."
        )
    z = info.get("feff_Z")
    if z is not None and _symbol_of_z(z) != element:
        raise XASDataError(
            f"{label}: FEFF's header names absorber Z={z} ({_symbol_of_z(z)}), but the site "
            f"folder says {element}."
        )


def _read_materials(root, chunk, kinds):
    out = []
    for material_id in chunk:
        mdir = os.path.join(root, material_id)
        out.append((material_id, _read_material(mdir, material_id, _scan_material(mdir, kinds))))
    return out


def _has_subfolder(folder):
    if not os.path.isdir(folder):
        return False
    with os.scandir(folder) as it:
        return any(e.is_dir() for e in it)


def _list_materials(root, kinds):
    """Material folders with spectra, and those holding a POSCAR but no spectrum."""
    with_spectra, without = [], []
    if os.path.isfile(os.path.join(root, "POSCAR")) or any(
        os.path.isdir(os.path.join(root, FEFF_LAYOUT[k][0])) for k in kinds
    ):
        raise XASDataError(
            f"{root} is a single material folder; pass its parent, the root of the tree "
            "(<root>/<material_id>/POSCAR)."
        )
    with os.scandir(root) as it:
        entries = sorted(e.name for e in it if e.is_dir())
    for name in entries:
        mdir = os.path.join(root, name)
        has_spectra = any(_has_subfolder(os.path.join(mdir, FEFF_LAYOUT[k][0])) for k in kinds)
        if has_spectra:
            with_spectra.append(name)
        elif os.path.isfile(os.path.join(mdir, "POSCAR")):
            without.append(name)
    return with_spectra, without


def load_feff_tree(path, *, kinds=("XANES", "EXAFS"), on_error="raise", n_jobs=None,
                   progress=None):
    """Load a Lightshow-style tree of FEFF runs into one data set.

    Reads ``<material_id>/POSCAR`` together with
    ``<material_id>/FEFF-XANES/<NNN>_<El>/xmu.dat`` (XANES rows: ``x`` = the
    ``omega`` column, absolute energy in eV; ``y`` = the ``mu`` column) and
    ``<material_id>/FEFF-EXAFS/<NNN>_<El>/chi.dat`` (EXAFS rows: ``x`` = k in
    1/Angstrom, ``y`` = chi(k); the 2-column ``k chi`` form and FEFF's 4-column
    ``k chi mag phase`` form are both read). ``NNN`` is the 0-based index of the
    absorbing site in the POSCAR. Each POSCAR is parsed once; all rows of a material
    share its ``Structure``.

    The edge comes from a header line ``# absorber: Cu  site: 1  edge: K
    edge_energy_eV: 8979.0  multiplicity: 1`` when present (which also gives
    ``multiplicity``, and ``edge_energy`` for EXAFS rows), else from FEFF's
    ``Abs Z=29 ... K shell`` header line, else ``"K"``. For XANES rows the header
    value ``xsedge+ 50, used to normalize mu <value>`` is kept in the extra column
    ``xsedge_norm`` (NaN when absent).

    Material folders that hold a POSCAR but no spectrum (failed FEFF runs) are not an
    error: a ``UserWarning`` says how many and names the first few, and their ids
    are listed in ``dataset.frame.attrs["materials_without_spectra"]``. Other
    folders without a POSCAR (e.g. ``splits/``) are ignored.

    Parameters
    ----------
    path : str or path-like
        Root of the tree (the folder holding the ``<material_id>`` folders).
    kinds : sequence of {"XANES", "EXAFS"}, default=("XANES", "EXAFS")
        Which kinds of spectra to read.
    on_error : {"raise", "skip"}, default="raise"
        ``"raise"``: a missing or unparsable file, or a site folder whose index is out
        of range or points at another element, raises an
        :class:`~sklearn_xas.exceptions.XASDataError` naming the file (and line).
        ``"skip"``: such records are left out and a
        :class:`~sklearn_xas.exceptions.SkippedRecordsWarning` says how many and which
        (also listed in :attr:`XASDataset.skipped`).
    n_jobs : int or None, default=None
        Read materials in parallel with joblib (``None``: one process; reading is
        fast, so this helps only on slow file systems).
    progress : bool or None, default=None
        Show a progress bar over materials (``None``: only on a terminal).

    Returns
    -------
    dataset : XASDataset
        Rows sorted by material id, then kind (as in ``kinds``), then site index.
        Extra columns: ``xsedge_norm`` (if any XANES row), ``edge_energy`` (if any
        EXAFS row).

    Raises
    ------
    XASDataError
        If ``path`` is not a folder, holds no spectrum, or a record is bad (under
        ``on_error="raise"``).

    See Also
    --------
    write_feff_tree : write a data set as such a tree.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.datasets import XASDataset, load_feff_tree, write_feff_tree
    >>> nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"],
    ...                                  [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> k = np.linspace(0, 12, 241)
    >>> data = XASDataset.from_records([
    ...     dict(material_id="NaCl", absorbing_index=0, absorbing_element="Na", edge="K",
    ...          spectrum_type="EXAFS", structure=nacl, x=k, y=np.sin(2 * 2.82 * k))])
    >>> root = write_feff_tree(data, tempfile.mkdtemp())
    >>> back = load_feff_tree(root)
    >>> back.frame[["material_id", "absorbing_index", "spectrum_type"]].values.tolist()
    [['NaCl', 0, 'EXAFS']]
    >>> bool(np.array_equal(back[0].y, data[0].y))
    True
    """
    kinds = _check_kinds(kinds)
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}.")
    root = Path(path)
    if not root.exists():
        raise XASDataError(f"{root}: no such folder.")
    if not root.is_dir():
        raise XASDataError(f"{root}: not a folder (load_feff_tree reads a tree of FEFF runs).")
    root_s = str(root)
    materials, without = _list_materials(root_s, kinds)
    files = " or ".join(f"{FEFF_LAYOUT[k][0]}/<NNN>_<El>/{FEFF_LAYOUT[k][1]}" for k in kinds)
    if not materials:
        extra = (
            f" ({len(without)} material folder(s) hold a POSCAR but no spectrum)"
            if without else ""
        )
        raise XASDataError(
            f"{root}: no FEFF spectra found{extra}; expected <material_id>/POSCAR with "
            f"<material_id>/{files}."
        )
    if n_jobs is None or n_jobs == 1:
        chunks = [[m] for m in materials]
        results = (r for chunk in chunks for r in _read_materials(root_s, chunk, kinds))
        results = _progress(results, enabled=progress, total=len(materials),
                            desc="Reading FEFF tree", unit="material")
        per_material = list(results)
    else:
        size = max(1, min(64, len(materials) // 32))
        chunks = [materials[i : i + size] for i in range(0, len(materials), size)]
        gen = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_read_materials)(root_s, chunk, kinds) for chunk in chunks
        )
        gen = _progress(gen, enabled=progress, total=len(chunks), desc="Reading FEFF tree",
                        unit="chunk")
        per_material = [r for part in gen for r in part]
    records = [rec for _, recs in per_material for rec in recs]
    dataset = collect_records(records, on_error=on_error, what=f"the FEFF tree {root}")
    frame = dataset.frame
    for col in ("xsedge_norm", "edge_energy"):
        if col in frame.columns:
            frame[col] = frame[col].astype(np.float64)
    if "multiplicity" in frame.columns and frame["multiplicity"].notna().all():
        frame["multiplicity"] = frame["multiplicity"].astype(np.int64)
    frame.attrs["materials_without_spectra"] = list(without)
    if without:
        shown = ", ".join(without[:5]) + (", ..." if len(without) > 5 else "")
        warnings.warn(
            f"{len(without)} material folder(s) under {root} hold a POSCAR but no "
            f"{'/'.join(kinds)} spectrum (failed or missing FEFF runs): {shown}. Their ids are "
            "in dataset.frame.attrs['materials_without_spectra'].",
            UserWarning,
            stacklevel=2,
        )
    return dataset


# ----------------------------------------------------------------------------- writing
def _fmt(v):
    return repr(float(v))


def format_poscar(structure, comment=None):
    """Write a ``Structure`` as POSCAR text (VASP 5, direct coordinates, full precision).

    The floats are written with ``repr``, so :func:`parse_poscar` reads back exactly
    the same lattice and fractional coordinates. Site properties are not written.

    Parameters
    ----------
    structure : pymatgen.core.Structure
        An ordered structure.
    comment : str, optional
        First line; defaults to the formula.

    Returns
    -------
    text : str

    Examples
    --------
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.datasets import format_poscar, parse_poscar
    >>> s = Structure(Lattice.cubic(3.1), ["Fe", "O"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> parse_poscar(format_poscar(s)) == s
    True
    """
    if not structure.is_ordered:
        raise XASDataError(
            f"{structure.composition.reduced_formula}: a POSCAR holds ordered structures only; "
            "this one has partially occupied sites."
        )
    symbols = [site.specie.symbol for site in structure]
    groups = []
    for s in symbols:
        if groups and groups[-1][0] == s:
            groups[-1][1] += 1
        else:
            groups.append([s, 1])
    lines = [comment or structure.composition.formula, "1.0"]
    lines += [" ".join(_fmt(v) for v in row) for row in structure.lattice.matrix]
    lines.append(" ".join(g[0] for g in groups))
    lines.append(" ".join(str(g[1]) for g in groups))
    lines.append("direct")
    lines += [
        " ".join(_fmt(v) for v in fc) + f" {s}" for fc, s in zip(structure.frac_coords, symbols)
    ]
    return "\n".join(lines) + "\n"


def _finite(v):
    try:
        return v is not None and np.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _spectrum_text(row, kind):
    head = [f"absorber: {row['absorbing_element']}", f"site: {int(row['absorbing_index'])}",
            f"edge: {row['edge']}"]
    if kind == "EXAFS" and _finite(row.get("edge_energy")):
        head.append(f"edge_energy_eV: {_fmt(row['edge_energy'])}")
    if _finite(row.get("multiplicity")):
        head.append(f"multiplicity: {int(row['multiplicity'])}")
    lines = []
    if kind == "XANES":
        lines.append("# xmu.dat written by sklearn-xas (omega and mu only)")
        lines.append("# " + "  ".join(head))
        if _finite(row.get("xsedge_norm")):
            lines.append(f"#  xsedge+ 50, used to normalize mu {_fmt(row['xsedge_norm'])}")
        lines.append("#  omega    mu")
    else:
        lines.append("# chi.dat written by sklearn-xas")
        lines.append("# " + "  ".join(head))
        lines.append("#       k          chi")
    x = np.asarray(row["x"], dtype=np.float64)
    y = np.asarray(row["y"], dtype=np.float64)
    lines += [f"{a!r} {b!r}" for a, b in zip(x.tolist(), y.tolist())]
    return "\n".join(lines) + "\n"


def write_feff_tree(data, path, *, overwrite=False):
    """Write a data set as a Lightshow-style tree that :func:`load_feff_tree` reads back.

    Writes ``<material_id>/POSCAR`` (see :func:`format_poscar`) and, per row,
    ``<material_id>/FEFF-XANES/<NNN>_<El>/xmu.dat`` (columns ``omega mu``) or
    ``<material_id>/FEFF-EXAFS/<NNN>_<El>/chi.dat`` (columns ``k chi``), each with the
    header line ``# absorber: <El>  site: <NNN>  edge: <edge> [edge_energy_eV: ...]
    [multiplicity: ...]`` and, for XANES rows with a finite ``xsedge_norm``, FEFF's
    ``xsedge+ 50, used to normalize mu`` line. Floats are written with ``repr``, so
    ``load_feff_tree(write_feff_tree(data, path))`` gives the same rows (identifiers,
    edge, type, equal structures, bit-identical ``x``/``y``, multiplicity and those
    extra columns).

    Parameters
    ----------
    data : XASDataset or pandas.DataFrame
        The rows to write. Rows of one material must share one structure.
    path : str or path-like
        Root folder of the tree (created if needed).
    overwrite : bool, default=False
        Replace spectrum files and POSCARs that already exist. Otherwise an existing
        file raises, except an identical POSCAR (so a tree can be extended).

    Returns
    -------
    root : pathlib.Path

    Raises
    ------
    XASDataError
        Naming the row: duplicate (material, kind, site), differing structures within a
        material, a material id that is not a valid folder name, or an existing file.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.datasets import XASDataset, write_feff_tree
    >>> cu = Structure(Lattice.cubic(3.61), ["Cu"] * 4,
    ...                [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    >>> e = np.linspace(8970.0, 9050.0, 81)
    >>> data = XASDataset.from_records([
    ...     dict(material_id="mp-30", absorbing_index=0, absorbing_element="Cu", edge="K",
    ...          spectrum_type="XANES", structure=cu, x=e, y=1 / (1 + np.exp(8980.0 - e)))])
    >>> root = write_feff_tree(data, tempfile.mkdtemp())
    >>> sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    ['mp-30/FEFF-XANES/000_Cu/xmu.dat', 'mp-30/POSCAR']
    """

    frame = check_frame(data, ("material_id", "absorbing_index", "absorbing_element", "edge",
                            "spectrum_type", "structure", "x", "y"), step="write_feff_tree")
    if not len(frame):
        raise XASDataError("write_feff_tree: the data set holds no rows.")
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    structures, seen = {}, {}
    for pos, row in enumerate(frame.to_dict("records")):
        mid = str(row["material_id"])
        if not mid or mid in (".", "..") or "/" in mid or os.sep in mid:
            raise XASDataError(
                f"write_feff_tree: {row_label(frame, pos)}: material id {mid!r} is not a valid "
                "folder name."
            )
        kind = str(row["spectrum_type"]).upper()
        if kind not in FEFF_LAYOUT:
            raise XASDataError(
                f"write_feff_tree: {row_label(frame, pos)}: spectrum_type {kind!r} is not one "
                f"of {SPECTRUM_TYPES}."
            )
        key = (mid, kind, int(row["absorbing_index"]))
        if key in seen:
            raise XASDataError(
                f"write_feff_tree: {row_label(frame, pos)} duplicates row {seen[key]} (same "
                "material, kind and site)."
            )
        seen[key] = pos
        structure = row["structure"]
        if mid in structures:
            first = structures[mid]
            if first is not structure and first != structure:
                raise XASDataError(
                    f"write_feff_tree: {row_label(frame, pos)}: rows of material {mid!r} hold "
                    "different structures; one POSCAR per material cannot hold both."
                )
        else:
            structures[mid] = structure
            mdir = root / mid
            mdir.mkdir(exist_ok=True)
            poscar = mdir / "POSCAR"
            text = format_poscar(structure, comment=mid)
            if poscar.exists() and not overwrite and poscar.read_text() != text:
                raise XASDataError(
                    f"write_feff_tree: {poscar} exists and differs (pass overwrite=True)."
                )
            poscar.write_text(text)
        sub, fname = FEFF_LAYOUT[kind]
        sdir = root / mid / sub / f"{int(row['absorbing_index']):03d}_{row['absorbing_element']}"
        sdir.mkdir(parents=True, exist_ok=True)
        target = sdir / fname
        if target.exists() and not overwrite:
            raise XASDataError(f"write_feff_tree: {target} exists (pass overwrite=True).")
        target.write_text(_spectrum_text(row, kind))
    return root
