"""Read pymatgen ``XAS`` JSON and Materials Project XAS documents (files, dicts, API)."""

from __future__ import annotations

import gzip
import inspect
import json
import os
import warnings
from pathlib import Path

import numpy as np

from .._core import collect_records, site_elements
from ..exceptions import XASDataError
from ..utils import import_optional

#: Symmetry tolerance (Angstrom) used to decide that all sites of an element are equivalent.
SYMPREC = 0.1


# ----------------------------------------------------------------------------- helpers
def _get(obj, key, default=None):
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _plain(value):
    """Enum members (XasType, XasEdge) and MPIDs as plain strings; None stays None."""
    if value is None:
        return None
    value = getattr(value, "value", value)
    return str(value)


def _material_id(value):
    """Materials Project ids as their usual string (emmet's ``AlphaID``/``MPID`` too)."""
    if value is None:
        return None
    # emmet's AlphaID prints as 'mp-bfvvu'; .string gives the familiar 'mp-559618'
    return str(getattr(value, "string", value)) or None


def _symbol(value, label):
    """Element symbol from a str, a pymatgen Element/Species, or an ``Element.as_dict()``."""
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("element", value.get("symbol"))
    value = getattr(value, "symbol", value)
    if not isinstance(value, str) or not value:
        raise XASDataError(f"{label}: cannot read the absorbing element from {value!r}.")
    return value


def _array(value, name, label):
    if isinstance(value, dict) and "data" in value:  # monty's encoding of numpy arrays
        value = value["data"]
    if value is None:
        raise XASDataError(f"{label}: the spectrum has no {name!r} values.")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise XASDataError(f"{label}: {name!r} must be numeric ({exc}).") from exc


def _structure(value, label):
    from pymatgen.core import Structure

    if isinstance(value, Structure):
        return value
    if isinstance(value, dict):
        try:
            return Structure.from_dict(value)
        except Exception as exc:
            raise XASDataError(f"{label}: cannot read the structure ({exc!r}).") from exc
    raise XASDataError(
        f"{label}: the spectrum has no structure (got {type(value).__name__}); site spectra "
        "need the crystal structure."
    )


def _infer_index(structure, element, label):
    """The absorbing site when it is unambiguous: (index, multiplicity)."""
    sites = [i for i, site in enumerate(structure) if element in site_elements(site)]
    formula = structure.composition.reduced_formula
    if not sites:
        raise XASDataError(f"{label}: the structure ({formula}) holds no {element} site.")
    if len(sites) == 1:
        return sites[0], 1
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # spglib's error-handling notice
            dataset = SpacegroupAnalyzer(structure, symprec=SYMPREC).get_symmetry_dataset()
        groups = {int(dataset.equivalent_atoms[i]) for i in sites}
    except Exception as exc:
        raise XASDataError(
            f"{label}: absorbing_index is missing and the symmetry analysis of {formula} failed "
            f"({exc}); give absorbing_index explicitly."
        ) from exc
    if len(groups) > 1:
        raise XASDataError(
            f"{label}: absorbing_index is missing and the {len(sites)} {element} sites of "
            f"{formula} fall into {len(groups)} symmetry-inequivalent groups (symprec="
            f"{SYMPREC}), so the site of this spectrum is ambiguous (a site-averaged spectrum?). "
            "Give absorbing_index explicitly."
        )
    return sites[0], len(sites)


def _spectrum_type(label_value, x, label):
    """Map a pymatgen/MP spectrum type onto the data model (see load_xas_json)."""
    kind = (label_value or "XANES").upper()
    if kind == "XANES":
        return "XANES"
    if kind == "EXAFS":
        # pymatgen/MP EXAFS spectra are mu(E) on an energy axis; a chi(k) array has k < 30.
        return "EXAFS" if x.size and x.max() < 30.0 else "XANES"
    if kind == "XAFS":
        return "XANES"
    raise XASDataError(
        f"{label}: unknown spectrum_type {label_value!r} (expected XANES, EXAFS or XAFS)."
    )


# ----------------------------------------------------------------------------- conversion
def document_to_record(doc, *, label="document", material_id=None, structures=None):
    """Convert one XAS document into a record of the data model.

    This is the conversion shared by :func:`load_xas_json` and
    :func:`fetch_materials_project`.

    Parameters
    ----------
    doc : dict or object
        A pymatgen ``XAS`` object or its ``as_dict()``, or a Materials Project XAS
        document (a dict or an ``emmet`` ``XASDoc``) holding such a spectrum under
        ``spectrum`` plus ``material_id`` (or ``task_id``), ``absorbing_element``,
        ``edge`` and ``spectrum_type``.
    label : str, default="document"
        How to name the document in error messages (and in the ``source`` column).
    material_id : str, optional
        Used when the document has no ``material_id``/``task_id``.
    structures : dict, optional
        Cache ``material_id -> Structure``; a document whose structure equals the
        cached one reuses that object, so rows of one material share it.

    Returns
    -------
    record : dict
        With the data model's columns plus ``source_spectrum_type`` (the document's
        own spectrum type).

    Raises
    ------
    XASDataError
        Naming ``label``.

    Examples
    --------
    >>> import numpy as np
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.datasets import document_to_record
    >>> fe = Structure(Lattice.cubic(2.87), ["Fe", "Fe"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> doc = {"material_id": "mp-13", "absorbing_element": "Fe", "edge": "K",
    ...        "spectrum_type": "XANES",
    ...        "spectrum": {"x": [7100.0, 7110.0, 7120.0], "y": [0.1, 0.9, 1.0],
    ...                     "structure": fe.as_dict(), "absorbing_element": "Fe"}}
    >>> rec = document_to_record(doc)
    >>> rec["material_id"], rec["absorbing_index"], rec["multiplicity"], rec["spectrum_type"]
    ('mp-13', 0, 2, 'XANES')
    """
    spectrum = _get(doc, "spectrum")
    is_mp_doc = spectrum is not None
    if not is_mp_doc:
        spectrum = doc
    if isinstance(spectrum, dict) and not {"x", "y"} <= set(spectrum):
        raise XASDataError(
            f"{label}: not an XAS document: expected a pymatgen XAS.as_dict() (keys x, y, "
            f"structure, absorbing_element, ...) or a Materials Project document with "
            f"'spectrum'; got keys {sorted(spectrum)[:10]}."
        )
    if not isinstance(spectrum, dict) and not hasattr(spectrum, "x"):
        raise XASDataError(
            f"{label}: not an XAS document or pymatgen XAS object (got "
            f"{type(spectrum).__name__})."
        )
    mid = None
    if is_mp_doc:
        mid = _material_id(_get(doc, "material_id")) or _material_id(_get(doc, "task_id"))
    mid = mid or _material_id(_get(spectrum, "material_id")) or material_id
    x = _array(_get(spectrum, "x"), "x", label)
    y = _array(_get(spectrum, "y"), "y", label)
    element = _symbol(_get(spectrum, "absorbing_element"), label)
    if is_mp_doc:
        outer = _symbol(_get(doc, "absorbing_element"), label)
        if element and outer and element != outer:
            raise XASDataError(
                f"{label}: the document's absorbing_element {outer} differs from its "
                f"spectrum's {element}."
            )
        element = element or outer
    if element is None:
        raise XASDataError(f"{label}: the document names no absorbing element.")
    edge = _plain(_get(spectrum, "edge")) or (_plain(_get(doc, "edge")) if is_mp_doc else None)
    given_type = _plain(_get(spectrum, "spectrum_type"))
    if is_mp_doc:
        given_type = _plain(_get(doc, "spectrum_type")) or given_type
    structure = _structure(_get(spectrum, "structure"), label)
    if mid is None:
        mid = structure.composition.reduced_formula
    if structures is not None:
        cached = structures.get(mid)
        if cached is not None and cached == structure:
            structure = cached
        elif cached is None:
            structures[mid] = structure
    index = _get(spectrum, "absorbing_index")
    multiplicity = None
    if index is None:
        index, multiplicity = _infer_index(structure, element, label)
    return dict(
        material_id=str(mid),
        absorbing_index=index,
        absorbing_element=element,
        edge=edge or "K",
        spectrum_type=_spectrum_type(given_type, x, label),
        structure=structure,
        x=x,
        y=y,
        multiplicity=multiplicity,
        source=label,
        source_spectrum_type=(given_type or "XANES").upper(),
    )


def _read_json_file(path):
    path = Path(path)
    if not path.is_file():
        raise XASDataError(f"{path}: no such file.")
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise XASDataError(f"{path}: cannot read the file ({exc}).") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise XASDataError(
            f"{path}, line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg})."
        ) from exc


def _iter_records(obj, label, default_id, structures, top=True):
    """Yield records (or XASDataError in place of bad ones) from any accepted input."""
    if isinstance(obj, (str, os.PathLike)):
        path = Path(obj)
        try:
            content = _read_json_file(path)
        except XASDataError as exc:
            yield exc
            return
        stem = path.name.split(".")[0]
        yield from _iter_records(content, str(path), stem, structures, top=False)
        return
    if isinstance(obj, (list, tuple)):
        if not obj:
            yield XASDataError(f"{label}: holds no XAS documents (empty list).")
            return
        for i, item in enumerate(obj):
            sub = f"{label}[{i}]"
            if isinstance(item, (str, os.PathLike)):
                yield from _iter_records(item, sub, default_id, structures, top=False)
            else:
                yield from _iter_one(item, sub, default_id, structures)
        return
    yield from _iter_one(obj, label, default_id, structures)


def _iter_one(doc, label, default_id, structures):
    spectrum_id = _plain(_get(doc, "spectrum_id")) if isinstance(doc, dict) else None
    if spectrum_id:
        label = f"{label} ({spectrum_id})"
    try:
        yield document_to_record(doc, label=label, material_id=default_id,
                                 structures=structures)
    except XASDataError as exc:
        yield exc


def load_xas_json(path_or_objects, *, on_error="raise"):
    """Load pymatgen ``XAS`` JSON or Materials Project XAS documents into a data set.

    Accepts a path to a JSON file (optionally ``.json.gz``) holding one document or
    a list of them, a list of such paths, or already-loaded documents: dicts and
    pymatgen ``XAS`` objects, alone or in a list. A document is either a pymatgen
    ``XAS.as_dict()`` (``x``, ``y``, ``structure``, ``absorbing_element``, ``edge``,
    ``spectrum_type``, ``absorbing_index``) or a Materials Project XAS document: a
    dict with ``spectrum`` (such an ``XAS.as_dict()``) and ``material_id``,
    ``absorbing_element``, ``edge``, ``spectrum_type``.

    - ``absorbing_index`` missing: inferred when all sites of the absorbing element
      are symmetry-equivalent (pymatgen's ``SpacegroupAnalyzer``, ``symprec=0.1``;
      the lowest such index is used and ``multiplicity`` set to their number),
      otherwise an error (the spectrum is then a site average that no single site
      owns).
    - ``material_id`` missing: the file's name without extension, or for in-memory
      objects the structure's reduced formula.
    - Spectrum types: pymatgen and the Materials Project store ``XANES``, ``EXAFS``
      and ``XAFS`` spectra all as mu(E) against energy in eV, which is the data
      model's ``"XANES"`` kind (x = energy, y = mu), so all three load as
      ``spectrum_type="XANES"``; an ``EXAFS`` document whose x stays below 30 (k in
      1/Angstrom, not eV) loads as ``"EXAFS"`` (chi(k)). The document's own label is
      kept in the extra column ``source_spectrum_type``.

    Parameters
    ----------
    path_or_objects : str, path-like, dict, XAS, or list of these
        What to read.
    on_error : {"raise", "skip"}, default="raise"
        ``"raise"``: the first bad document (unreadable file, invalid JSON with its
        line, missing fields, NaN/inf or non-increasing x, an index out of range or
        pointing at another element) raises an
        :class:`~sklearn_xas.exceptions.XASDataError` naming it. ``"skip"``: bad
        documents are left out and a
        :class:`~sklearn_xas.exceptions.SkippedRecordsWarning` says how many and which.

    Returns
    -------
    dataset : XASDataset
        One row per document, in input order, with the extra column
        ``source_spectrum_type``.

    See Also
    --------
    fetch_materials_project : the same documents straight from the Materials Project.

    Examples
    --------
    >>> import numpy as np
    >>> from pymatgen.core import Lattice, Structure
    >>> from pymatgen.analysis.xas.spectrum import XAS
    >>> from sklearn_xas.datasets import load_xas_json
    >>> nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"],
    ...                                  [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> e = np.linspace(1060.0, 1110.0, 100)
    >>> xas = XAS(e, 1 / (1 + np.exp(1075.0 - e)), nacl, "Na", edge="K")
    >>> data = load_xas_json([xas.as_dict()])
    >>> data[0].site_id, data[0].multiplicity
    ('NaCl_000', 4)
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}.")
    if isinstance(path_or_objects, (list, tuple)) and not path_or_objects:
        raise XASDataError("load_xas_json: the input holds no XAS documents (empty list).")
    if isinstance(path_or_objects, (str, os.PathLike)):
        what, label = str(path_or_objects), str(path_or_objects)
    else:
        what, label = "the given XAS documents", "document"
    records = list(_iter_records(path_or_objects, label, None, {}))
    return collect_records(records, on_error=on_error, what=what)


# ----------------------------------------------------------------------------- the API
def _mp_rester():
    client = import_optional(
        "mp_api.client", extra="mp", purpose="fetching spectra from the Materials Project"
    )
    return client.MPRester


def fetch_materials_project(material_ids=None, *, elements=None, edge="K",
                            spectrum_type="XANES", api_key=None, on_error="raise"):
    """Fetch XAS site spectra from the Materials Project into the data model.

    Queries the Materials Project XAS collection through ``mp-api`` (install the
    ``mp`` extra) and converts the documents with the same code as
    :func:`load_xas_json` (see there for how spectrum types and a missing
    ``absorbing_index`` are handled).

    Parameters
    ----------
    material_ids : str or list of str, optional
        Materials Project ids (e.g. ``"mp-19017"``).
    elements : str or list of str, optional
        Absorbing elements; one query per element. At least one of ``material_ids``
        and ``elements`` is needed (the whole collection is too large to fetch).
    edge : str, default="K"
        Absorption edge (``"K"``, ``"L2"``, ``"L3"``, ``"L2,3"``).
    spectrum_type : {"XANES", "EXAFS", "XAFS"}, default="XANES"
        Materials Project spectrum type.
    api_key : str, optional
        Materials Project API key; defaults to the ``MP_API_KEY`` environment variable.
    on_error : {"raise", "skip"}, default="raise"
        See :func:`load_xas_json`.

    Returns
    -------
    dataset : XASDataset

    Raises
    ------
    MissingOptionalDependencyError
        If ``mp-api`` is not installed.
    ValueError
        If no API key is given or found, or neither ids nor elements are given.
    XASDataError
        If the query returns no usable document.

    Examples
    --------
    >>> from sklearn_xas.datasets import fetch_materials_project
    >>> data = fetch_materials_project(["mp-19017"], elements="Fe")  # doctest: +SKIP
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}.")
    if material_ids is None and elements is None:
        raise ValueError(
            "fetch_materials_project needs material_ids and/or elements; fetching the whole "
            "Materials Project XAS collection is not supported."
        )
    key = api_key or os.environ.get("MP_API_KEY")
    if not key:
        raise ValueError(
            "fetch_materials_project needs a Materials Project API key: pass api_key=... or "
            "set the MP_API_KEY environment variable (keys: materialsproject.org/api)."
        )
    MPRester = _mp_rester()
    ids = [material_ids] if isinstance(material_ids, str) else material_ids
    els = [elements] if isinstance(elements, str) else elements
    docs = []
    with MPRester(key) as mpr:
        rester = mpr.materials.xas
        params = inspect.signature(rester.search).parameters
        query = {"edge": edge, "spectrum_type": spectrum_type}
        if ids is not None:
            query["task_ids" if "task_ids" in params else "material_ids"] = list(ids)
        for el in els if els is not None else [None]:
            if el is not None:
                query["absorbing_element"] = el
            docs.extend(rester.search(**query))
    what = "Materials Project XAS documents"
    if not docs:
        raise XASDataError(
            f"The Materials Project returned no {spectrum_type} {edge}-edge spectra for "
            f"material_ids={ids}, elements={els}."
        )
    structures = {}
    records = [
        rec
        for i, doc in enumerate(docs)
        for rec in _iter_one(doc, f"Materials Project document {i}", None, structures)
    ]
    return collect_records(records, on_error=on_error, what=what)
