"""The one data model of sklearn-xas: a set of site spectra held in a DataFrame."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import SkippedRecordsWarning, XASDataError
from ._messages import list_records
from ._sites import site_elements

#: Columns every frame holds, in this order.
REQUIRED_COLUMNS = (
    "material_id",
    "absorbing_index",
    "absorbing_element",
    "edge",
    "spectrum_type",
    "structure",
    "x",
    "y",
)
#: Columns a frame may hold; missing ones are added (NA) by :class:`XASDataset`.
OPTIONAL_COLUMNS = ("multiplicity", "source")
#: The kinds of spectra: mu(E) against energy in eV, chi(k) against k in 1/Angstrom.
SPECTRUM_TYPES = ("XANES", "EXAFS")


@dataclass(frozen=True)
class SiteSpectrum:
    """One site spectrum, a row of :attr:`XASDataset.frame`.

    Attributes
    ----------
    material_id : str
        Identifier of the material (e.g. a Materials Project id).
    absorbing_index : int or None
        0-based index of the absorbing site in ``structure`` (``None`` for a measured
        spectrum without a structure).
    absorbing_element : str
        Element symbol of the absorber.
    edge : str
        Absorption edge, e.g. ``"K"`` or ``"L3"``.
    spectrum_type : {"XANES", "EXAFS"}
        ``"XANES"``: ``x`` is energy in eV and ``y`` is mu(E); ``"EXAFS"``: ``x`` is
        k in 1/Angstrom and ``y`` is chi(k).
    structure : pymatgen.core.Structure or None
        The crystal structure holding the absorber; ``None`` for a measured spectrum
        (XDI, Athena, column files), which still has its element, edge and sample name
        (``material_id``).
    x, y : ndarray of shape (n_points,)
        The spectrum.
    multiplicity : int or None
        Number of sites equivalent to the absorber in the cell, where known.
    source : str or None
        Where the record was read from (file path or record label).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_xas.datasets import SiteSpectrum
    >>> row = SiteSpectrum("mp-1", 3, "Cu", "K", "XANES", None, np.arange(3.0), np.ones(3))
    >>> row.site_id
    'mp-1_003'
    """

    material_id: str
    absorbing_index: int | None
    absorbing_element: str
    edge: str
    spectrum_type: str
    structure: Any
    x: np.ndarray
    y: np.ndarray
    multiplicity: int | None = None
    source: str | None = None

    @property
    def site_id(self):
        """``"<material_id>_<NNN>"``, the naming used by Lightshow and OmniXAS.

        Returns
        -------
        site_id : str
        """
        if self.absorbing_index is None:
            return str(self.material_id)
        return f"{self.material_id}_{self.absorbing_index:03d}"


def record_label(record):
    """Name a record in error messages: its source, material and site.

    Parameters
    ----------
    record : mapping or SiteSpectrum
        Anything with ``material_id``/``absorbing_index`` and optionally ``source``.

    Returns
    -------
    label : str
    """
    get = record.get if hasattr(record, "get") else lambda k, d=None: getattr(record, k, d)
    parts = []
    source = get("source", None)
    if isinstance(source, str) and source:
        parts.append(source)
    mid, idx = get("material_id", None), get("absorbing_index", None)
    parts.append(f"material {mid!r}, site {idx}")
    return "record " + " / ".join(parts)


def check_spectrum_arrays(x, y, label):
    """Validate one spectrum's arrays; return them as 1-D float64 arrays.

    Parameters
    ----------
    x, y : array-like
        Abscissa (energy or k) and ordinate (mu or chi).
    label : str
        How to name the spectrum in an error message.

    Returns
    -------
    x, y : ndarray of shape (n_points,)

    Raises
    ------
    XASDataError
        If the arrays are empty, of different lengths, hold NaN/inf, or ``x`` is not
        strictly increasing.
    """
    try:
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise XASDataError(f"{label}: x and y must be numeric arrays ({exc}).") from exc
    if x.ndim != 1 or y.ndim != 1:
        raise XASDataError(f"{label}: x and y must be 1-D, got shapes {x.shape} and {y.shape}.")
    if x.size != y.size:
        raise XASDataError(f"{label}: x has {x.size} points but y has {y.size}.")
    if x.size < 2:
        raise XASDataError(f"{label}: a spectrum needs at least 2 points, got {x.size}.")
    for name, arr in (("x", x), ("y", y)):
        bad = ~np.isfinite(arr)
        if bad.any():
            raise XASDataError(
                f"{label}: {name} holds {int(bad.sum())} non-finite value(s) (NaN or inf), "
                f"first at point {int(np.argmax(bad))}."
            )
    steps = np.diff(x)
    if (steps <= 0).any():
        i = int(np.argmax(steps <= 0))
        raise XASDataError(
            f"{label}: x must be strictly increasing, but x[{i}] = {x[i]:g} and "
            f"x[{i + 1}] = {x[i + 1]:g}."
        )
    return x, y


def check_record(record):
    """Validate one site-spectrum record (a dict) and return it normalised.

    Checks the spectrum type, the arrays (:func:`check_spectrum_arrays`) and that
    ``absorbing_index`` points at a site of ``absorbing_element`` in ``structure``.

    Parameters
    ----------
    record : dict
        With the keys of :data:`REQUIRED_COLUMNS` (optional ones may be present).

    Returns
    -------
    record : dict
        A new dict with arrays as float64, index as int and type upper-cased.

    Raises
    ------
    XASDataError
        Naming the record (see :func:`record_label`).
    """
    label = record_label(record)
    missing = [c for c in REQUIRED_COLUMNS if c not in record]
    if missing:
        raise XASDataError(f"{label}: missing field(s) {missing}.")
    out = dict(record)
    kind = str(out["spectrum_type"]).upper()
    if kind not in SPECTRUM_TYPES:
        raise XASDataError(
            f"{label}: spectrum_type must be one of {SPECTRUM_TYPES}, "
            f"got {out['spectrum_type']!r}."
        )
    out["spectrum_type"] = kind
    out["x"], out["y"] = check_spectrum_arrays(out["x"], out["y"], label)
    structure = out["structure"]
    out["edge"] = str(out["edge"])
    out["material_id"] = str(out["material_id"])
    if structure is None:  # a measured spectrum: no structure, no site to check
        if out["absorbing_index"] is not None and not pd.isna(out["absorbing_index"]):
            raise XASDataError(
                f"{label}: absorbing_index {out['absorbing_index']!r} names a site, but the "
                "record has no structure; give both or neither."
            )
        out["absorbing_index"] = None
        out["absorbing_element"] = str(out["absorbing_element"])
        return out
    try:
        index = int(out["absorbing_index"])
    except (TypeError, ValueError) as exc:
        raise XASDataError(
            f"{label}: absorbing_index must be an integer, got {out['absorbing_index']!r}."
        ) from exc
    if not 0 <= index < len(structure):
        raise XASDataError(
            f"{label}: absorbing_index {index} is out of range for a structure of "
            f"{len(structure)} sites ({structure.composition.reduced_formula})."
        )
    out["absorbing_index"] = index
    element = str(out["absorbing_element"])
    found = site_elements(structure[index])
    if element not in found:
        raise XASDataError(
            f"{label}: absorbing_index {index} points at a {'/'.join(sorted(found))} site, "
            f"not at the declared absorbing element {element}."
        )
    out["absorbing_element"] = element
    return out


def collect_records(records, on_error="raise", what="records"):
    """Validate records under an error policy; used by every reader.

    Parameters
    ----------
    records : iterable of dict or Exception
        Records to validate. A reader yields an :class:`XASDataError` in place of a
        record it could not parse, so that the policy applies to it too.
    on_error : {"raise", "skip"}
        ``"raise"``: the first bad record raises. ``"skip"``: bad records are left
        out, and a :class:`~sklearn_xas.exceptions.SkippedRecordsWarning` says how
        many and which; they are also listed in :attr:`XASDataset.skipped`.
    what : str
        How to name the input in messages.

    Returns
    -------
    dataset : XASDataset
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}.")
    good, skipped = [], []
    for rec in records:
        try:
            if isinstance(rec, Exception):
                raise rec
            good.append(check_record(rec))
        except XASDataError as exc:
            if on_error == "raise":
                raise
            skipped.append(str(exc))
    if skipped:
        warnings.warn(
            f"Skipped {len(skipped)} bad record(s) of {what} (on_error='skip'):"
            f"{list_records(skipped)}",
            SkippedRecordsWarning,
            stacklevel=3,
        )
    if not good:
        raise XASDataError(
            f"No usable site spectra in {what}"
            + (f" ({len(skipped)} record(s) skipped)." if skipped else ".")
        )
    return XASDataset(pd.DataFrame.from_records(good), skipped=skipped, validate=False)


class XASDataset:
    """A set of site spectra: the data model every sklearn-xas step consumes.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per site spectrum with at least the columns of
        :data:`REQUIRED_COLUMNS`: ``material_id``, ``absorbing_index`` (0-based),
        ``absorbing_element``, ``edge``, ``spectrum_type`` (``"XANES"`` or
        ``"EXAFS"``), ``structure`` (pymatgen ``Structure``), ``x`` and ``y``
        (1-D arrays). ``multiplicity`` and ``source`` are optional.
    skipped : list of str, optional
        Descriptions of records a reader left out under ``on_error="skip"``.
    validate : bool, default=True
        Check every row (arrays, index, element). Readers that already checked
        their records pass ``False``.

    Attributes
    ----------
    frame : pandas.DataFrame
        The rows, with a fresh ``RangeIndex``.
    skipped : list of str
        Records left out by a reader, with the reason for each.

    Examples
    --------
    >>> import numpy as np
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.datasets import XASDataset
    >>> nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"],
    ...                                  [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> k = np.linspace(0, 12, 241)
    >>> data = XASDataset.from_records([
    ...     dict(material_id="NaCl", absorbing_index=0, absorbing_element="Na", edge="K",
    ...          spectrum_type="EXAFS", structure=nacl, x=k, y=np.sin(2 * 2.82 * k))])
    >>> len(data), data[0].site_id
    (1, 'NaCl_000')
    """

    def __init__(self, frame, *, skipped=None, validate=True):
        if isinstance(frame, XASDataset):
            skipped = list(frame.skipped) + list(skipped or [])
            frame = frame.frame
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}.")
        missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
        if missing:
            raise XASDataError(f"The frame lacks the required column(s) {missing}.")
        frame = frame.reset_index(drop=True)
        if validate and len(frame):
            checked = [check_record(r) for r in frame.to_dict("records")]
            frame = pd.DataFrame.from_records(checked, columns=frame.columns)
        for col in OPTIONAL_COLUMNS:
            if col not in frame.columns:
                frame[col] = None
        ordered = list(REQUIRED_COLUMNS) + list(OPTIONAL_COLUMNS)
        frame = frame[ordered + [c for c in frame.columns if c not in ordered]]
        self.frame = frame
        self.skipped = list(skipped or [])

    @classmethod
    def from_records(cls, records, *, on_error="raise"):
        """Build a data set from dicts with the frame's columns as keys.

        Parameters
        ----------
        records : iterable of dict
            One dict per site spectrum, keyed by the frame's columns.
        on_error : {"raise", "skip"}, default="raise"
            See :func:`collect_records`.

        Returns
        -------
        dataset : XASDataset
        """
        return collect_records(records, on_error=on_error, what="the given records")

    @classmethod
    def concat(cls, datasets):
        """Concatenate data sets (rows in order; ``skipped`` lists joined).

        Parameters
        ----------
        datasets : iterable of XASDataset
            The data sets (or frames) to join, in order.

        Returns
        -------
        dataset : XASDataset
        """
        datasets = [d if isinstance(d, XASDataset) else XASDataset(d) for d in datasets]
        if not datasets:
            raise XASDataError("Nothing to concatenate: the list of data sets is empty.")
        frame = pd.concat([d.frame for d in datasets], ignore_index=True)
        skipped = [s for d in datasets for s in d.skipped]
        return cls(frame, skipped=skipped, validate=False)

    def __add__(self, other):
        if not isinstance(other, XASDataset):
            return NotImplemented
        return XASDataset.concat([self, other])

    def __len__(self):
        return len(self.frame)

    def __iter__(self):
        for rec in self.frame.to_dict("records"):
            yield self._row(rec)

    @staticmethod
    def _row(rec):
        fields = SiteSpectrum.__dataclass_fields__
        kwargs = {k: rec.get(k) for k in fields}
        mult = kwargs.get("multiplicity")
        kwargs["multiplicity"] = None if mult is None or pd.isna(mult) else int(mult)
        return SiteSpectrum(**kwargs)

    def __getitem__(self, key):
        """An int gives a :class:`SiteSpectrum`; a slice, index array or mask a data set."""
        if isinstance(key, (int, np.integer)):
            n = len(self)
            if not -n <= key < n:
                raise IndexError(f"index {key} is out of range for {n} site spectra.")
            return self._row(self.frame.iloc[int(key)].to_dict())
        if isinstance(key, slice):
            return XASDataset(self.frame.iloc[key], skipped=self.skipped, validate=False)
        key = np.asarray(key)
        if key.dtype == bool:
            if key.shape != (len(self),):
                raise IndexError(f"boolean mask of shape {key.shape} for {len(self)} rows.")
            key = np.flatnonzero(key)
        return XASDataset(self.frame.iloc[key], skipped=self.skipped, validate=False)

    # scikit-learn's indexing (cross-validation, train_test_split, ...) takes rows of
    # anything with ``iloc`` and ``take`` the pandas way: a fold of a data set is a
    # data set, not a list of rows.
    @property
    def shape(self):
        """``(n_site_spectra, n_columns)``, the shape of :attr:`frame`."""
        return self.frame.shape

    @property
    def iloc(self):
        """Positional row selection as on a DataFrame; returns data sets (an int: a row)."""
        return _RowIndexer(self)

    @property
    def loc(self):
        """As :attr:`iloc` (the frame's index is always ``0..n-1``); boolean masks too."""
        return _RowIndexer(self)

    def take(self, indices, axis=0):
        """Rows at the positions ``indices`` as a data set (``DataFrame.take``).

        Parameters
        ----------
        indices : array-like of int
            Positions of the rows to take.
        axis : {0}, default=0
            Only rows can be taken.

        Returns
        -------
        dataset : XASDataset
        """
        if axis not in (0, "index"):
            raise ValueError("An XASDataset takes rows only (axis=0).")
        return self[np.asarray(indices, dtype=np.intp)]

    def __repr__(self):
        counts = self.frame["spectrum_type"].value_counts()
        kinds = ", ".join(f"{k}: {v}" for k, v in counts.items())
        return (
            f"XASDataset({len(self)} site spectra, {self.frame['material_id'].nunique()} "
            f"materials, {self.frame['absorbing_element'].nunique()} absorbing elements"
            + (f"; {kinds}" if kinds else "")
            + ")"
        )

    # ------------------------------------------------------------------ views
    @property
    def groups(self):
        """Material id of each row, for ``GroupKFold(...).split(X, y, groups)``."""
        return self.frame["material_id"].to_numpy()

    @property
    def site_ids(self):
        """``"<material_id>_<NNN>"`` of each row (Lightshow/OmniXAS naming); the material
        id alone for rows without a site (measured spectra)."""
        f = self.frame
        return np.array(
            [str(m) if i is None or pd.isna(i) else f"{m}_{int(i):03d}"
             for m, i in zip(f["material_id"], f["absorbing_index"])],
            dtype=object,
        )

    @property
    def spectrum_types(self):
        """The distinct spectrum types present, sorted."""
        return sorted(self.frame["spectrum_type"].unique())

    def select_type(self, spectrum_type=None):
        """The rows of one spectrum type.

        Parameters
        ----------
        spectrum_type : {"XANES", "EXAFS"} or None, default=None
            ``None``: the data set itself, which must then hold a single type.

        Returns
        -------
        dataset : XASDataset

        Raises
        ------
        XASDataError
            If no row is of ``spectrum_type``, or ``None`` is given for a data set that
            holds both types.

        Examples
        --------
        >>> from sklearn_xas.datasets import load_prototype_exafs
        >>> load_prototype_exafs(elements="Cu").select_type("EXAFS").spectrum_types
        ['EXAFS']
        """
        kinds = self.spectrum_types
        if spectrum_type is None:
            if len(kinds) > 1:
                counts = self.frame["spectrum_type"].value_counts().to_dict()
                raise XASDataError(
                    f"The data holds both XANES and EXAFS spectra ({counts}); choose one "
                    "spectrum type (--spectrum-type on the command line)."
                )
            return self
        kind = str(spectrum_type).upper()
        mask = self.frame["spectrum_type"].to_numpy() == kind
        if not mask.any():
            raise XASDataError(f"The data holds no {kind} spectra (it holds {', '.join(kinds)}).")
        return self[mask]

    def select_sites(self, site_ids, *, missing="raise"):
        """Rows whose :attr:`site_ids` are in ``site_ids``, in the data set's order.

        Parameters
        ----------
        site_ids : iterable of str
            For example the lines of an OmniXAS split file.
        missing : {"raise", "ignore"}, default="raise"
            What to do with requested ids that are not in the data set.

        Returns
        -------
        dataset : XASDataset
        """
        wanted = {str(s).strip() for s in site_ids if str(s).strip()}
        have = self.site_ids
        mask = np.isin(have, list(wanted))
        if missing == "raise":
            absent = wanted.difference(have)
            if absent:
                raise XASDataError(
                    f"{len(absent)} requested site id(s) are not in the data set, e.g. "
                    f"{sorted(absent)[:5]}."
                )
        return self[mask]

    def train_test_split(self, test_size=0.2, *, random_state=None):
        """Split by material, so that no material is on both sides.

        Parameters
        ----------
        test_size : float or int, default=0.2
            Fraction (or number) of *materials* in the test part.
        random_state : int, RandomState instance or None, default=None
            Seeds the shuffling of the materials; an int gives the same split every call.

        Returns
        -------
        train, test : XASDataset

        Examples
        --------
        >>> from sklearn_xas.datasets import load_prototype_exafs  # doctest: +SKIP
        >>> train, test = load_prototype_exafs().train_test_split(0.25, random_state=0)
        ... # doctest: +SKIP
        """
        from sklearn.model_selection import GroupShuffleSplit

        splitter = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=random_state)
        train_idx, test_idx = next(splitter.split(np.zeros(len(self)), groups=self.groups))
        return self[np.sort(train_idx)], self[np.sort(test_idx)]


class _RowIndexer:
    """``dataset.iloc[key]``: what ``dataset[key]`` gives."""

    def __init__(self, dataset):
        self._dataset = dataset

    def __getitem__(self, key):
        if isinstance(key, tuple):
            raise IndexError("An XASDataset is indexed by rows only; use .frame for columns.")
        return self._dataset[key]
