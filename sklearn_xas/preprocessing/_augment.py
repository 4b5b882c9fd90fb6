"""Theory -> experiment: seeded augmentation of simulated spectra for training.

Why a function and not a transformer
------------------------------------
Augmentation adds rows (``n_copies`` perturbed copies of every spectrum, with their
targets repeated), and a scikit-learn step cannot: inside a ``Pipeline``,
``fit_transform`` must return as many rows as ``y`` has. A transformer that perturbs
rows in ``fit_transform`` and is the identity in ``transform`` would also break the
contract that ``fit_transform(X) == fit(X).transform(X)`` (scikit-learn's common
checks test it) and would hide the copies from cross-validation, which must split
by material *before* augmenting (copies of one spectrum in both the training and the
validation fold leak). So augmentation is a function of the data set and its targets,
called on the training part only::

    X_aug, y_aug = augment_spectra(X_train, y_train, n_copies=4, random_state=0)
    pipeline.fit(X_aug, y_aug)
"""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from .._core import ETOK, XASDataset, check_frame
from ._broaden import broadening_operator

#: Columns the augmentation adds: which copy a row is (0: the original) and the
#: perturbation drawn for it (NaN where none applies).
AUGMENT_COLUMNS = (
    "augment_copy",
    "augment_s02",
    "augment_sigma2",
    "augment_e0_shift",
    "augment_noise",
    "augment_kmax",
    "augment_fwhm",
)
#: k (1/Angstrom) at which the EXAFS noise level ``noise`` is given.
NOISE_K_REF = 10.0


def _range(value, name, *, low=None, high=None):
    """``(lo, hi)`` of a parameter given as a pair, a number (fixed) or None (off)."""
    if value is None:
        return None
    pair = (float(value), float(value)) if isinstance(value, Real) else tuple(map(float, value))
    if len(pair) != 2 or not np.all(np.isfinite(pair)) or pair[0] > pair[1]:
        raise ValueError(
            f"{name} must be a number, a pair (low, high) with low <= high, or None; "
            f"got {value!r}."
        )
    if (low is not None and pair[0] < low) or (high is not None and pair[1] > high):
        bounds = f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
        raise ValueError(f"{name}={value!r} must lie within {bounds}.")
    return pair


def _draw(rng, pair, off=np.nan):
    if pair is None:
        return off
    return pair[0] if pair[0] == pair[1] else float(rng.uniform(*pair))


def _exafs_copy(k, chi, rng, p):
    """One perturbed chi(k) on its own grid, and the parameters drawn."""
    s02 = _draw(rng, p["s02"], 1.0)
    sigma2 = _draw(rng, p["sigma2"], 0.0)
    de = _draw(rng, p["e0_shift"], 0.0)
    level = _draw(rng, p["noise"], 0.0)
    cut = _draw(rng, p["kmax"]) if rng.uniform() < p["truncate"] else np.nan
    # the measured E0 lies de above the theory's: a measured k sees the theory at
    # sqrt(k**2 + ETOK de)
    q = np.sqrt(np.clip(k**2 + ETOK * de, 0.0, None))
    out = np.interp(q, k, chi) * s02 * np.exp(-2.0 * sigma2 * k**2)
    inside = k <= cut if np.isfinite(cut) else np.ones(k.shape, dtype=bool)
    out[~inside] = 0.0
    if level > 0:
        scale = level * (np.abs(k) / NOISE_K_REF) ** p["noise_kpower"]
        out[inside] += rng.normal(0.0, 1.0, int(inside.sum())) * scale[inside]
    return k, out, dict(augment_s02=s02, augment_sigma2=sigma2, augment_e0_shift=de,
                        augment_noise=level, augment_kmax=cut, augment_fwhm=np.nan)


def _xanes_copy(energy, mu, rng, p):
    """One shifted, broadened, noisy mu(E), and the parameters drawn."""
    de = _draw(rng, p["e0_shift"], 0.0)
    fwhm = _draw(rng, p["broadening"], 0.0)
    level = _draw(rng, p["noise"], 0.0)
    out = broadening_operator(energy, gaussian_fwhm=fwhm) @ mu if fwhm > 0 else mu.copy()
    if level > 0:
        out = out + rng.normal(0.0, level * float(np.ptp(mu)), out.shape)
    return energy + de, out, dict(augment_s02=np.nan, augment_sigma2=np.nan,
                                  augment_e0_shift=de, augment_noise=level,
                                  augment_kmax=np.nan, augment_fwhm=fwhm)


@validate_params(
    {
        "data": [XASDataset, pd.DataFrame],
        "y": ["array-like", None],
        "n_copies": [Interval(Integral, 0, None, closed="left")],
        "keep_original": ["boolean"],
        "s02": [tuple, list, Real, None],
        "sigma2": [tuple, list, Real, None],
        "e0_shift": [tuple, list, Real, None],
        "noise": [tuple, list, Real, None],
        "noise_kpower": [Interval(Real, 0, None, closed="left")],
        "kmax": [tuple, list, Real, None],
        "truncate": [Interval(Real, 0, 1, closed="both")],
        "broadening": [tuple, list, Real, None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def augment_spectra(data, y=None, *, n_copies=4, keep_original=True, s02=(0.7, 1.0),
                    sigma2=(0.0, 0.01), e0_shift=(-5.0, 5.0), noise=(0.0, 0.003),
                    noise_kpower=1.0, kmax=(10.0, 14.0), truncate=0.5,
                    broadening=(0.0, 2.0), random_state=None):
    """Perturbed copies of simulated spectra, as measured spectra differ from theory.

    For training only (see the module's note: a function, because it adds rows, and
    to be called after the material-wise split). Each copy of an EXAFS row (``x`` = k,
    ``y`` = chi(k), on its own grid) draws, uniformly within each range:

    - an amplitude factor ``S0**2`` (``s02``): FEFF's chi has ``S0**2 = 1``, while
      the many-body reduction of measured K and L3 edges is 0.7-1.0 (0.8-0.95 for
      3d-metal foils);
    - an extra Debye-Waller damping ``exp(-2 sigma2 k**2)`` (``sigma2``, A**2): the
      shared FEFF6L set uses one sigma**2 = 0.003 A**2 for every path, while room
      temperature first shells reach 0.005-0.009 A**2 (Fe, Ni, Pt, Cu foils) and
      disordered oxides ~0.01 (FeO), higher shells more; 0.01 extra spans that;
    - an E0 shift (``e0_shift``, eV): the measured E0 (the steepest rise, see
      :func:`find_e0`) lies a few eV from the theory's; the row is re-gridded,
      ``chi(k) -> chi(sqrt(k**2 + 0.2625 dE))``;
    - with probability ``truncate``, a shorter range: chi is set to 0 above a
      ``kmax`` drawn in ``kmax`` (measured scans end at k = 10-18 1/A: 12-14 for
      most of the shared Athena projects), the same zeros that
      ``SpectrumResampler(outside="constant", fill_value=0.0)`` gives a measured
      spectrum that stops short of the model's grid; the grid is kept;
    - Gaussian noise of standard deviation ``noise * (k / 10)**noise_kpower``:
      ``noise`` is chi's noise at k = 10 1/A (1e-3 to 3e-3 for transmission
      scans of standards, more in fluorescence), growing with k as the count rate
      falls and k-weighting amplifies it.

    In that order; the drawn values are columns of the output (see Returns). A XANES
    row (``x`` = energy in eV, ``y`` = mu(E)) gets the E0 shift (its energies move
    by it), a Gaussian broadening of FWHM drawn in ``broadening`` (eV: monochromator
    resolution, ~1-2 eV for Si(111) at 5-10 keV, beyond the core-hole width FEFF
    includes) and noise of ``noise`` times the row's range of mu.

    Parameters
    ----------
    data : XASDataset or pandas.DataFrame
        Rows of the data model (``spectrum_type``, ``x``, ``y``; the other columns
        are copied).
    y : array-like of shape (n_rows,) or (n_rows, n_targets), list or None, default=None
        Targets of the rows, repeated like them (``None``: only the data is returned).
    n_copies : int, default=4
        Perturbed copies of every row.
    keep_original : bool, default=True
        Keep the unperturbed rows (copy 0) before the copies.
    s02 : (float, float), float or None, default=(0.7, 1.0)
        Range of the amplitude factor (EXAFS); a number: always that; ``None``: 1.
    sigma2 : (float, float), float or None, default=(0.0, 0.01)
        Range of the extra sigma**2 (A**2, >= 0; EXAFS); ``None``: 0.
    e0_shift : (float, float), float or None, default=(-5.0, 5.0)
        Range of the E0 shift (eV); ``None``: 0.
    noise : (float, float), float or None, default=(0.0, 0.003)
        Range of the noise level (>= 0), as above; ``None``: no noise.
    noise_kpower : float, default=1.0
        Power of k in the EXAFS noise's growth (0: white noise in chi).
    kmax : (float, float), float or None, default=(10.0, 14.0)
        Range of the k (1/A, > 0) above which a truncated copy is 0; ``None``: no
        truncation.
    truncate : float, default=0.5
        Probability that an EXAFS copy is truncated.
    broadening : (float, float), float or None, default=(0.0, 2.0)
        Range of the Gaussian FWHM (eV, >= 0) of XANES copies; ``None``: none.
    random_state : int, RandomState instance or None, default=None
        Seed: the same seed and inputs give the same copies.

    Returns
    -------
    augmented : XASDataset or pandas.DataFrame
        Of the type of ``data``: the originals (when kept), then copy 1 of every row,
        copy 2, ...; a fresh index. Extra columns: ``augment_copy`` (0 for an
        original), ``augment_s02``, ``augment_sigma2``, ``augment_e0_shift``,
        ``augment_noise``, ``augment_kmax`` (NaN: not truncated) and
        ``augment_fwhm`` (NaN where a perturbation does not apply).
    y_augmented : same type as ``y``
        Only when ``y`` is given: the targets in the same order.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn_xas.preprocessing import augment_spectra
    >>> k = np.arange(0.0, 14.0, 0.05)
    >>> frame = pd.DataFrame({"spectrum_type": ["EXAFS"], "x": [k],
    ...                       "y": [np.sin(2 * 2.5 * k) * np.exp(-0.01 * k**2)]})
    >>> out, y = augment_spectra(frame, [2.5], n_copies=3, random_state=0)
    >>> len(out), y, out["augment_copy"].tolist()
    (4, [2.5, 2.5, 2.5, 2.5], [0, 1, 2, 3])
    >>> bool(out["augment_s02"].between(0.7, 1.0).iloc[1:].all())
    True
    """
    params = dict(
        s02=_range(s02, "s02", low=0.0),
        sigma2=_range(sigma2, "sigma2", low=0.0),
        e0_shift=_range(e0_shift, "e0_shift"),
        noise=_range(noise, "noise", low=0.0),
        kmax=_range(kmax, "kmax", low=1e-9),
        broadening=_range(broadening, "broadening", low=0.0),
        noise_kpower=float(noise_kpower),
        truncate=float(truncate) if kmax is not None else 0.0,
    )
    is_dataset = isinstance(data, XASDataset)
    frame = check_frame(data, ("spectrum_type", "x", "y"), step="augment_spectra")
    if y is not None and len(y) != len(frame):
        raise ValueError(f"y has {len(y)} rows for {len(frame)} spectra.")
    kinds = set(frame["spectrum_type"])
    if not kinds <= {"EXAFS", "XANES"}:
        raise ValueError(f"augment_spectra: unknown spectrum_type(s) {sorted(kinds)}.")
    rng = check_random_state(random_state)
    n = len(frame)
    blocks, index = [], []
    if keep_original:
        base = frame.copy()
        base["augment_copy"] = 0
        for col in AUGMENT_COLUMNS[1:]:
            base[col] = np.nan
        blocks.append(base)
        index.append(np.arange(n))
    records = frame[["spectrum_type", "x", "y"]].to_numpy()
    for copy in range(1, n_copies + 1):
        xs, ys, drawn = [], [], []
        for kind, x, yy in records:
            x, yy = np.asarray(x, dtype=np.float64), np.asarray(yy, dtype=np.float64)
            make = _exafs_copy if kind == "EXAFS" else _xanes_copy
            x_new, y_new, values = make(x, yy, rng, params)
            xs.append(x_new)
            ys.append(y_new)
            drawn.append(values)
        block = frame.copy()
        block["x"] = pd.Series(xs, index=frame.index, dtype=object)
        block["y"] = pd.Series(ys, index=frame.index, dtype=object)
        block["augment_copy"] = copy
        values = pd.DataFrame(drawn, index=frame.index)
        for col in AUGMENT_COLUMNS[1:]:
            block[col] = values[col].to_numpy(dtype=np.float64)
        blocks.append(block)
        index.append(np.arange(n))
    if not blocks:
        raise ValueError("Nothing to return: n_copies=0 and keep_original=False.")
    out = pd.concat(blocks, ignore_index=True)
    out["augment_copy"] = out["augment_copy"].astype(int)
    if is_dataset:
        out = XASDataset(out, skipped=data.skipped, validate=False)
    if y is None:
        return out
    y_out = _safe_indexing(y, np.concatenate(index))
    return out, y_out.reset_index(drop=True) if hasattr(y_out, "reset_index") else y_out
