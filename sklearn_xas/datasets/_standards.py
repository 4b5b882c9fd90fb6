"""Measured standards with textbook first shells: the truth to score models against.

``data/measured_standards.json`` is our own metadata (no measured data): for files of
the shared archive ``measured-xafs.tar.gz`` whose sample is a known crystal, the first
shell's neighbour elements, mean distance and coordination number, with the crystal
structure and a citation.
"""

from __future__ import annotations

import json
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np

from .._core import XASDataset
from ..exceptions import XASDataError
from ._measured import load

STANDARDS_FILE = Path(__file__).resolve().parent / "data" / "measured_standards.json"
#: Columns :func:`load_measured_standards` adds to the measured rows.
STANDARD_COLUMNS = (
    "true_neighbor_types",
    "true_nn_distance",
    "true_cn",
    "formula",
    "standard_structure",
    "standard_citation",
)


@lru_cache(maxsize=1)
def _standards():
    with open(STANDARDS_FILE, encoding="utf-8") as fh:
        return tuple(json.load(fh)["standards"])


def load_measured_standards(root):
    """The measured standards of the shared archive, with their first shells as truth.

    Reads each standard listed in ``measured_standards.json`` (30 spectra of 22
    crystals: metal foils; rock-salt, corundum, rutile, cuprite and tenorite oxides;
    zincblende, pyrite and rock-salt chalcogenides and halides; a selenate; K and L3
    edges; see the user guide) from the
    unpacked archive ``measured-xafs.tar.gz`` and returns its mu(E) row. The
    absorbing element and edge come from the list (some Athena projects state them
    wrongly). Pass the rows through
    :class:`~sklearn_xas.preprocessing.EXAFSExtractor` for chi(k): this reader
    lives below the preprocessing layer and does not do it itself.

    Parameters
    ----------
    root : str or path-like
        The archive's unpacked root folder ``measured-xafs/`` (or the folder
        holding it).

    Returns
    -------
    standards : XASDataset
        One XANES row (mu(E), ``structure=None``) per standard, ``material_id`` the
        material's name, with the measured readers' columns and
        ``true_neighbor_types`` (tuple of the sorted element symbols of the first
        shell, as :func:`sklearn_xas.targets.neighbor_types`), ``true_nn_distance``
        (mean first-shell distance, Angstrom), ``true_cn`` (coordination number),
        ``formula`` (the sample's chemical formula, what ``composition`` of
        :func:`sklearn_xas.pretrained.describe_sites` reads), ``standard_structure``
        and ``standard_citation``.

    Raises
    ------
    XASDataError
        When ``root`` holds none of the files, or a listed file or group is missing
        or cannot be read (the message names it).

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_xas.datasets import load_measured_standards
    >>> try:
    ...     load_measured_standards(tempfile.mkdtemp())
    ... except Exception as exc:
    ...     print(type(exc).__name__)
    XASDataError
    """
    root = Path(root)
    if (root / "measured-xafs").is_dir():
        root = root / "measured-xafs"
    entries = _standards()
    if not any((root / e["file"]).is_file() for e in entries):
        raise XASDataError(
            f"{root}: none of the {len(entries)} standards' files is there; pass the "
            "unpacked root folder of measured-xafs.tar.gz."
        )
    frames, rows = {}, []
    for e in entries:
        path = root / e["file"]
        if e["file"] not in frames:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # readers' notes on other groups
                frames[e["file"]] = load(path, on_error="skip").frame
        frame = frames[e["file"]]
        if e["group"] is not None:
            frame = frame[frame["group"] == e["group"]]
        frame = frame[frame["spectrum_type"] == "XANES"]
        if len(frame) != 1:
            what = f"group {e['group']!r} of {path}" if e["group"] else str(path)
            raise XASDataError(
                f"load_measured_standards: {what} holds {len(frame)} mu(E) rows, not one."
            )
        rec = frame.iloc[0].to_dict()
        rec.update(
            material_id=e["material"],
            absorbing_element=e["absorber"],
            edge=e["edge"],
            true_neighbor_types=tuple(sorted(e["neighbors"])),
            true_nn_distance=float(e["nn_distance"]),
            true_cn=int(e["cn"]),
            formula=e["formula"],
            standard_structure=e["structure"],
            standard_citation=e["citation"],
        )
        rows.append(rec)
    data = XASDataset.from_records(rows)
    data.frame["true_nn_distance"] = data.frame["true_nn_distance"].astype(np.float64)
    return data
