"""Element properties as numbers, and the absorbing element as a feature vector."""

from __future__ import annotations

import math
import warnings
from functools import cache

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from .._core import check_frame, edge_energy, row_label
from ..exceptions import XASDataError
from ._base import check_on_error, warn_failed_rows

#: Largest atomic number with tabulated properties.
MAX_Z = 103

#: Scalar element properties, name -> description (units).
SCALAR_PROPERTIES = {
    "Z": "atomic number",
    "row": "period in the periodic table",
    "group": "group in the periodic table (1-18; 3 for lanthanides and actinides)",
    "electronegativity": "Pauling electronegativity",
    "atomic_radius": "empirical atomic radius (Angstrom)",
    "atomic_mass": "atomic mass (amu)",
    "mendeleev_no": "Mendeleev (Pettifor) number",
    "ionization_energy": "first ionization energy (eV)",
    "electron_affinity": "electron affinity (eV)",
    "n_valence": "electrons outside the preceding noble-gas core",
    "n_s": "s electrons outside the noble-gas core",
    "n_p": "p electrons outside the noble-gas core",
    "n_d": "d electrons outside the noble-gas core",
    "n_f": "f electrons outside the noble-gas core",
}
#: Categorical properties, one-hot encoded: name -> categories.
ONE_HOT_PROPERTIES = {"block": ("s", "p", "d", "f")}

DEFAULT_PROPERTIES = (
    "Z",
    "row",
    "group",
    "electronegativity",
    "atomic_radius",
    "atomic_mass",
    "ionization_energy",
    "electron_affinity",
    "n_valence",
    "n_s",
    "n_p",
    "n_d",
    "n_f",
    "block",
)

#: Core levels of the absorption edges: name -> (n, l, j).
EDGE_QUANTUM_NUMBERS = {
    "K": (1, 0, 0.5),
    "L1": (2, 0, 0.5),
    "L2": (2, 1, 0.5),
    "L3": (2, 1, 1.5),
    "M1": (3, 0, 0.5),
    "M2": (3, 1, 0.5),
    "M3": (3, 1, 1.5),
    "M4": (3, 2, 1.5),
    "M5": (3, 2, 2.5),
}
EDGE_FEATURES = ("edge_n", "edge_l", "edge_j", "edge_energy_keV")

_NOBLE_GASES = (2, 10, 18, 36, 54, 86)
_ORBITALS = {"s": 0, "p": 1, "d": 2, "f": 3}


def _valence_occupations(element):
    """(n_s, n_p, n_d, n_f) outside the preceding noble-gas core."""
    from pymatgen.core import Element

    core_z = max((z for z in _NOBLE_GASES if z < element.Z), default=0)
    counts = {}
    for n, orb, occ in element.full_electronic_structure:
        counts[(n, orb)] = counts.get((n, orb), 0) + occ
    if core_z:
        for n, orb, occ in Element.from_Z(core_z).full_electronic_structure:
            counts[(n, orb)] = counts.get((n, orb), 0) - occ
    out = [0.0, 0.0, 0.0, 0.0]
    for (_, orb), occ in counts.items():
        out[_ORBITALS[orb]] += max(occ, 0)
    return out


def _raw_value(element, name):
    if name == "Z":
        return float(element.Z)
    if name == "electronegativity":
        return float(element.X)
    if name == "n_valence":
        return float(sum(_valence_occupations(element)))
    if name in ("n_s", "n_p", "n_d", "n_f"):
        return float(_valence_occupations(element)[_ORBITALS[name[-1]]])
    value = getattr(element, name)
    return math.nan if value is None else float(value)


@cache
def scalar_property_table():
    """Table of :data:`SCALAR_PROPERTIES` for Z = 0..:data:`MAX_Z` (row 0 unused).

    Values pymatgen lacks (for example the electronegativity of He, Ne and Ar, or the
    radius of some heavy elements) are filled from the nearest element of the same
    group that has one, else from the nearest atomic number, so that every element
    has finite features.

    Returns
    -------
    table : ndarray of shape (MAX_Z + 1, len(SCALAR_PROPERTIES)), read-only
    """
    from pymatgen.core import Element

    names = list(SCALAR_PROPERTIES)
    table = np.full((MAX_Z + 1, len(names)), np.nan)
    groups = np.zeros(MAX_Z + 1, dtype=int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for z in range(1, MAX_Z + 1):
            el = Element.from_Z(z)
            groups[z] = el.group
            for j, name in enumerate(names):
                try:
                    table[z, j] = _raw_value(el, name)
                except (AttributeError, ValueError, TypeError, KeyError):
                    table[z, j] = np.nan
    zs = np.arange(MAX_Z + 1)
    for j in range(len(names)):
        col = table[:, j]
        have = np.flatnonzero(np.isfinite(col[1:])) + 1
        for z in np.flatnonzero(~np.isfinite(col[1:])) + 1:
            same_group = have[groups[have] == groups[z]]
            pool = same_group if same_group.size else have
            donor = pool[np.argmin(np.abs(zs[pool] - z))]
            col[z] = col[donor]
    table[0] = np.nan
    table.setflags(write=False)
    return table


@cache
def _block_table():
    from pymatgen.core import Element

    blocks = ONE_HOT_PROPERTIES["block"]
    table = np.zeros((MAX_Z + 1, len(blocks)))
    for z in range(1, MAX_Z + 1):
        # pymatgen puts He in the p block (by its column); its 1s2 shell is s.
        block = "s" if z == 2 else Element.from_Z(z).block
        table[z, blocks.index(block)] = 1.0
    table.setflags(write=False)
    return table


def check_properties(properties, *, allow_one_hot=True, step=None):
    """Validate a list of element property names; return it as a tuple."""
    if isinstance(properties, str):
        properties = (properties,)
    properties = tuple(properties)
    allowed = list(SCALAR_PROPERTIES) + (list(ONE_HOT_PROPERTIES) if allow_one_hot else [])
    unknown = [p for p in properties if p not in allowed]
    if unknown:
        who = f"{step}: " if step else ""
        raise ValueError(f"{who}unknown element propert(ies) {unknown}; choose among {allowed}.")
    if len(set(properties)) != len(properties):
        raise ValueError(f"{step + ': ' if step else ''}properties has duplicates: {properties}.")
    return properties


def property_matrix(properties):
    """Element-property matrix of shape (MAX_Z + 1, n_columns) and its column names.

    Parameters
    ----------
    properties : sequence of str
        Names from :data:`SCALAR_PROPERTIES` and :data:`ONE_HOT_PROPERTIES`.

    Returns
    -------
    matrix : ndarray of shape (MAX_Z + 1, n_columns)
        Row ``Z`` holds the properties of element ``Z``; row 0 is NaN.
    names : list of str
        One name per column (``"block_d"`` for the one-hot columns).
    """
    scalar = scalar_property_table()
    index = {name: j for j, name in enumerate(SCALAR_PROPERTIES)}
    cols, names = [], []
    for prop in properties:
        if prop in ONE_HOT_PROPERTIES:
            cols.append(_block_table())
            names += [f"{prop}_{c}" for c in ONE_HOT_PROPERTIES[prop]]
        else:
            cols.append(scalar[:, [index[prop]]])
            names.append(prop)
    if not cols:
        return np.zeros((MAX_Z + 1, 0)), []
    return np.hstack(cols), names


def atomic_number(symbol):
    """Atomic number of an element symbol (``"Cu"`` or ``"Cu2+"``); ``None`` if unknown."""
    from pymatgen.core.periodic_table import get_el_sp

    try:
        z = int(get_el_sp(str(symbol).strip()).Z)
    except (ValueError, KeyError, AttributeError, TypeError):
        return None
    return z if 1 <= z <= MAX_Z else None


class AbsorberElementEncoder(TransformerMixin, BaseEstimator):
    """Encode the absorbing element (and optionally the edge) as element properties.

    One model can then serve many absorbing elements (the "unified" model of
    OmniXAS): an element unseen in training still gets physically meaningful
    features, unlike with a bare one-hot encoding.

    Parameters
    ----------
    properties : sequence of str, default=DEFAULT_PROPERTIES
        Element properties, from :data:`SCALAR_PROPERTIES` (``"Z"``, ``"row"``,
        ``"group"``, ``"electronegativity"``, ``"atomic_radius"``,
        ``"atomic_mass"``, ``"mendeleev_no"``, ``"ionization_energy"``,
        ``"electron_affinity"``, ``"n_valence"``, ``"n_s"``, ``"n_p"``, ``"n_d"``,
        ``"n_f"``) and ``"block"`` (one-hot s/p/d/f, four columns). Values pymatgen
        lacks are filled as described in :func:`scalar_property_table`.
    edge : bool, default=False
        Append the core level of the absorption edge: its quantum numbers ``n``,
        ``l``, ``j`` and the tabulated edge energy in keV (from xraydb). Needs ``X``
        to be a frame with an ``edge`` column.
    on_error : {"raise", "nan"}, default="raise"
        What to do with a row whose element (or edge) is unknown: ``"raise"`` an
        :class:`~sklearn_xas.exceptions.XASDataError` naming the row, or ``"nan"``:
        give that row NaN features and warn with a
        :class:`~sklearn_xas.exceptions.SkippedRecordsWarning` listing the rows.

    Attributes
    ----------
    feature_names_out_ : ndarray of str
        Names of the output columns.

    See Also
    --------
    AbsorberRDFFeaturizer : the absorber's neighbourhood, with the same properties.

    Notes
    -----
    ``X`` is the data model's frame (or an :class:`~sklearn_xas.datasets.XASDataset`),
    whose ``absorbing_element`` column is used, or a 1-D array of element symbols.

    Examples
    --------
    >>> from sklearn_xas.featurizers import AbsorberElementEncoder
    >>> enc = AbsorberElementEncoder(properties=["Z", "row", "group", "block"])
    >>> enc.fit_transform(["Cu", "O"])
    array([[29.,  4., 11.,  0.,  0.,  1.,  0.],
           [ 8.,  2., 16.,  0.,  1.,  0.,  0.]])
    >>> enc.get_feature_names_out().tolist()
    ['Z', 'row', 'group', 'block_s', 'block_p', 'block_d', 'block_f']
    """

    _parameter_constraints: dict = {
        "properties": ["array-like", str],
        "edge": ["boolean"],
        "on_error": [StrOptions({"raise", "nan"})],
    }

    def __init__(self, *, properties=DEFAULT_PROPERTIES, edge=False, on_error="raise"):
        self.properties = properties
        self.edge = edge
        self.on_error = on_error

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and ``X``; learn nothing from the data.

        Parameters
        ----------
        X : XASDataset, DataFrame or array-like of str of shape (n_samples,)
            The absorbing elements, or a frame with an ``absorbing_element`` column.
        y : ignored
            Not used, present for API consistency.

        Returns
        -------
        self : AbsorberElementEncoder
        """
        props = check_properties(self.properties, step=type(self).__name__)
        check_on_error(self.on_error)
        self._symbols_and_edges(X)
        _, names = property_matrix(props)
        if self.edge:
            names = names + list(EDGE_FEATURES)
        self.feature_names_out_ = np.asarray(names, dtype=object)
        return self

    def _symbols_and_edges(self, X):
        """(symbols, edges or None, frame or None) from ``X``."""
        step = type(self).__name__
        try:
            frame = check_frame(X, ["absorbing_element"], step=step)
        except TypeError:
            frame = None
        if frame is not None:
            symbols = frame["absorbing_element"].to_numpy(dtype=object)
            edges = None
            if self.edge:
                if "edge" not in frame.columns:
                    raise XASDataError(f"{step}: edge=True needs an 'edge' column in X.")
                edges = frame["edge"].to_numpy(dtype=object)
            return symbols, edges, frame
        if isinstance(X, (list, tuple)) and X and all(
            hasattr(it, "absorbing_element") for it in X
        ):  # SiteSpectrum records (scikit-learn's CV indexing of an XASDataset)
            X = pd.DataFrame({
                name: [getattr(it, name, None) for it in X]
                for name in ("material_id", "absorbing_index", "absorbing_element", "edge")
            })
            return self._symbols_and_edges(X)
        symbols = np.asarray(X, dtype=object)
        if symbols.ndim == 2 and symbols.shape[1] == 1:
            symbols = symbols[:, 0]
        if symbols.ndim != 1:
            raise ValueError(
                f"{step}: X must be a frame or a 1-D array of element symbols, got an array of "
                f"shape {symbols.shape}."
            )
        if self.edge:
            raise XASDataError(
                f"{step}: edge=True needs X to be a frame with 'absorbing_element' and 'edge' "
                "columns, not an array of symbols."
            )
        return symbols, None, None

    def transform(self, X):
        """Encode the absorbing element of each row.

        Parameters
        ----------
        X : XASDataset, DataFrame or array-like of str of shape (n_samples,)
            The absorbing elements, or a frame with an ``absorbing_element`` column.

        Returns
        -------
        Xt : ndarray of shape (n_samples, n_features_out), float64
        """
        check_is_fitted(self)
        symbols, edges, frame = self._symbols_and_edges(X)
        props = check_properties(self.properties)
        matrix, _ = property_matrix(props)
        n_out = len(self.feature_names_out_)
        out = np.full((len(symbols), n_out), np.nan)
        failures = []

        def label(i):
            return row_label(frame, i) if frame is not None else f"row {i}"

        z_of = {}
        for i, sym in enumerate(symbols):
            if sym not in z_of:
                z_of[sym] = atomic_number(sym)
            z = z_of[sym]
            if z is None:
                failures.append((i, f"{label(i)}: unknown element {sym!r}", None))
                continue
            row = matrix[z]
            if self.edge:
                try:
                    row = np.concatenate([row, _edge_features(sym, edges[i], z)])
                except XASDataError as exc:
                    failures.append((i, f"{label(i)}: {exc}", exc))
                    continue
            out[i] = row
        if failures:
            step = type(self).__name__
            if self.on_error == "raise":
                _, msg, exc = failures[0]
                raise XASDataError(f"{step}: {msg}") from exc
            warn_failed_rows(step, failures, len(symbols), stacklevel=4)
        return out

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        Parameters
        ----------
        input_features : ignored
            Not used, present for API consistency.

        Returns
        -------
        names : ndarray of str
        """
        check_is_fitted(self)
        return self.feature_names_out_.copy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags


def _edge_features(symbol, edge, z):
    from pymatgen.core import Element

    edge = str(edge).strip()
    if edge not in EDGE_QUANTUM_NUMBERS:
        raise XASDataError(
            f"unknown edge {edge!r}; expected one of {sorted(EDGE_QUANTUM_NUMBERS)}."
        )
    n, ell, j = EDGE_QUANTUM_NUMBERS[edge]
    energy = edge_energy(Element.from_Z(int(z)).symbol, edge) / 1000.0  # keV
    return np.array([n, ell, j, energy], dtype=np.float64)

