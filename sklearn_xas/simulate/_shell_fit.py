"""A first-shell EXAFS fit, the way a beamline scientist refines a distance.

One FEFF6L single-scattering path (absorber -> neighbour -> absorber, from a model
cluster) is fitted to a measured or simulated chi(k) with xraylarch's ``feffit`` in R
space over the first shell only: a shift of its length, the amplitude ``N S0^2``, a
Debye-Waller factor and an E0 shift. A model of :mod:`sklearn_xas.pretrained`
supplies the neighbour element and the starting distance, the fit supplies the
precision that the phase of chi(k) carries (on the measured standards, a fit seeded by
the shipped models nearly halves their distance error).
"""

from __future__ import annotations

import contextlib
import functools
import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..utils import import_optional
from ._feff6 import default_edge, feff6_input, run_feff6l

#: R-factor above which :func:`fit_first_shell` calls a fit not acceptable (the usual
#: rule of thumb of EXAFS analysis: below 0.02 is good, 0.05 acceptable; 0.1 is lenient
#: for a one-path model of a real first shell).
MAX_R_FACTOR = 0.1
#: Largest change of the path length the fit may make (Angstrom); a fit that ends at
#: this bound did not find the shell and is not acceptable.
MAX_DELTA_R = 0.4
#: Distances are rounded to this step (Angstrom) to reuse a model path.
_PATH_STEP = 0.05
#: How far (Angstrom) the first-shell peak of |chi(R)| lies below the distance, for a
#: start taken from the data: the scattering phase puts it 0.2-0.5 below.
PEAK_SHIFT = 0.35


@dataclass(frozen=True, eq=False)
class FirstShellFit:
    """The result of :func:`fit_first_shell`.

    Attributes
    ----------
    neighbor : str
        Element of the fitted path's scatterer.
    distance : float
        Fitted absorber-neighbour distance (Angstrom).
    distance_std : float
        Its standard error from the fit (statistical only; NaN if the fit could not
        estimate it).
    amplitude : float
        Fitted ``N S0^2`` (coordination number times the amplitude reduction).
    sigma2 : float
        Fitted Debye-Waller factor (Angstrom^2).
    e0_shift : float
        Fitted E0 shift (eV).
    r_factor : float
        Misfit in the fitted R range (0 is perfect).
    n_independent : float
        Number of independent points of the fit range.
    accepted : bool
        ``r_factor <= MAX_R_FACTOR`` and the length shift inside its bounds.
    k_range, r_range : tuple of float
        The k range of the Fourier transform and the R range fitted (Angstrom).
    k, chi_fit : ndarray
        The fitted path's chi(k), on larch's k grid (steps of 0.05 1/A from 0), for
        plotting (:func:`sklearn_xas.plotting.plot_first_shell_fit`).

    Examples
    --------
    >>> from sklearn_xas.simulate import FirstShellFit
    >>> import numpy as np
    >>> fit = FirstShellFit(neighbor="O", distance=2.10, distance_std=0.01, amplitude=5.1,
    ...                     sigma2=0.006, e0_shift=1.5, r_factor=0.01, n_independent=6.1,
    ...                     accepted=True, k_range=(3.0, 11.0), r_range=(1.0, 2.0),
    ...                     k=np.arange(321) * 0.05, chi_fit=np.zeros(321))
    >>> f"{fit.neighbor} at {fit.distance:.2f} +- {fit.distance_std:.2f} A"
    'O at 2.10 +- 0.01 A'
    """

    neighbor: str
    distance: float
    distance_std: float
    amplitude: float
    sigma2: float
    e0_shift: float
    r_factor: float
    n_independent: float
    accepted: bool
    k_range: tuple
    r_range: tuple
    k: np.ndarray = field(repr=False)
    chi_fit: np.ndarray = field(repr=False)


def _first_peak_window(xafs, larch, k, chi, distance, kmin, kmax, kweight):
    """R range of the first-shell peak of |chi(R)|: between the minima around it.

    The peak is the largest of |chi(R)| in ``[distance - 1, distance]`` (the scattering
    phase puts it 0.2-0.5 Angstrom below the distance); the window runs from the
    lowest point within 0.8 Angstrom below it (not under 0.9) to the lowest point
    within 0.8 Angstrom above it, so that the next shell is left out.
    """
    group = larch.Group()
    xafs.xftf(k, chi, group=group, kmin=kmin, kmax=kmax, kweight=kweight, dk=1.0,
              window="hanning")
    r, mag = np.asarray(group.r), np.asarray(group.chir_mag)
    near = np.flatnonzero((r >= max(0.9, distance - 1.0)) & (r <= distance))
    peak = near[np.argmax(mag[near])]
    below = np.flatnonzero((r >= max(0.9, r[peak] - 0.8)) & (r <= r[peak]))
    above = np.flatnonzero((r >= r[peak]) & (r <= r[peak] + 0.8))
    return float(r[below[np.argmin(mag[below])]]), float(r[above[np.argmin(mag[above])]])


def _peak_start(xafs, larch, k, chi, kmin, kmax, kweight):
    """A start distance from the data: the first |chi(R)| peak in 0.9-3.5 Angstrom that
    reaches half the largest there (the first shell, not a stronger second shell; the
    highest point if |chi(R)| has no peak there), plus :data:`PEAK_SHIFT`."""
    group = larch.Group()
    xafs.xftf(k, chi, group=group, kmin=kmin, kmax=kmax, kweight=kweight, dk=1.0,
              window="hanning")
    r, mag = np.asarray(group.r), np.asarray(group.chir_mag)
    inside = np.flatnonzero((r >= 0.9) & (r <= 3.5))
    peaks = [i for i in inside if mag[i] >= mag[i - 1] and mag[i] >= mag[i + 1]]
    tall = [i for i in peaks if mag[i] >= 0.5 * mag[inside].max()]
    first = tall[0] if tall else inside[np.argmax(mag[inside])]  # no peak: the highest
    return float(np.clip(r[first] + PEAK_SHIFT, 1.0, 5.0))


@functools.lru_cache(maxsize=512)
def _model_path_text(absorber, neighbor, edge, distance):
    """The ``feff0001.dat`` text of the first shell of a model cluster (FEFF6L)."""
    from pymatgen.core import Lattice, Structure

    if absorber == neighbor:  # fcc: 12 neighbours at ``distance``
        model = Structure.from_spacegroup("Fm-3m", Lattice.cubic(distance * 2**0.5),
                                          [absorber], [[0, 0, 0]])
    else:  # rock salt: 6 neighbours at ``distance``
        model = Structure.from_spacegroup("Fm-3m", Lattice.cubic(2 * distance),
                                          [absorber, neighbor], [[0, 0, 0], [0.5, 0.5, 0.5]])
    with tempfile.TemporaryDirectory(prefix="sklearn_xas_shell_") as folder:
        folder = Path(folder)
        (folder / "feff.inp").write_text(feff6_input(model, 0, edge=edge,
                                                     rmax=distance + 0.05, nleg=2))
        paths = run_feff6l(folder)
        return paths[0].read_text()


def fit_first_shell(k, chi, absorber, neighbor, distance, *, edge=None, coordination=6,
                    k_range=(3.0, 11.0), kweight=2, r_range=None):
    """Fit one FEFF6L path of the first shell to chi(k), refining its distance.

    The path comes from a model cluster (rock salt for a neighbour of another
    element, fcc for the absorber's own element) with the neighbour at ``distance``;
    its phase and amplitude depend on the two elements, barely on the cluster. The fit
    (xraylarch's ``feffit``, Hanning window with ``dk=1``) varies the path length, the
    amplitude ``N S0^2``, sigma^2 and E0 in R space over ``r_range``.

    Parameters
    ----------
    k, chi : array-like of shape (n_points,)
        chi(k), unweighted, on an increasing k grid (1/Angstrom).
    absorber, neighbor : str
        Element symbols of the absorbing atom and of its first-shell neighbour.
    distance : float or None
        Starting distance (Angstrom), e.g. a model's prediction; ``None`` starts from
        the data: the first peak of |chi(R)| in 0.9-3.5 Angstrom that reaches half the
        largest there, plus :data:`PEAK_SHIFT` (the phase shift that puts the peak
        below the distance).
    edge : {"K", "L1", "L2", "L3"} or None, default=None
        ``None`` picks :func:`~sklearn_xas.simulate.default_edge` of ``absorber``.
    coordination : float, default=6
        Starting value of the amplitude ``N S0^2``.
    k_range : (float, float), default=(3.0, 11.0)
        k range of the Fourier transform; its end is cut to where chi(k) ends.
    kweight : int, default=2
        k-weight of the fit.
    r_range : (float, float) or None, default=None
        R range fitted (Angstrom); ``None`` is the first-shell peak of |chi(R)| between
        the minima on either side of it (the peak is the largest of |chi(R)| in
        ``[distance - 1, distance]``, where the scattering phase puts it), so that the
        next shell is left out.

    Returns
    -------
    result : FirstShellFit

    Raises
    ------
    ValueError
        If chi(k) is not finite, its grid not increasing, it covers less than 4
        1/Angstrom of ``k_range``, ``distance`` is outside 1-5 Angstrom, or the fit
        did not converge (its covariance could not be computed, as happens when the
        path is started far from any shell).
    FeffError
        If FEFF6L cannot compute the model path.
    MissingOptionalDependencyError
        If xraylarch is not installed (``pip install 'sklearn-xas[simulate]'``).

    Examples
    --------
    >>> import numpy as np
    >>> from pymatgen.core import Lattice, Structure
    >>> from sklearn_xas.simulate import fit_first_shell, simulate_exafs
    >>> nacl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"],
    ...                                  [[0, 0, 0], [0.5, 0.5, 0.5]])
    >>> k, chi = simulate_exafs(nacl, 0, sigma2=0.006, s02=0.9)
    >>> fit = fit_first_shell(k, chi, "Na", "Cl", distance=2.7)  # 0.12 A off
    >>> fit.accepted, round(fit.distance, 2)
    (True, 2.82)
    """
    xafs = import_optional("larch.xafs", extra="simulate", purpose="a first-shell fit")
    fitting = import_optional("larch.fitting", extra="simulate", purpose="a first-shell fit")
    larch = import_optional("larch", extra="simulate", purpose="a first-shell fit")
    k = np.asarray(k, dtype=np.float64)
    chi = np.asarray(chi, dtype=np.float64)
    if k.ndim != 1 or k.shape != chi.shape or np.any(np.diff(k) <= 0):
        raise ValueError("k and chi must be 1-D arrays of one length, k increasing.")
    if not (np.all(np.isfinite(k)) and np.all(np.isfinite(chi))):
        raise ValueError("chi(k) has non-finite values.")
    kmin, kmax = float(k_range[0]), min(float(k_range[1]), float(k[-1]))
    if kmax - kmin < 4:
        raise ValueError(f"chi(k) covers k {kmin:g}-{kmax:g} of the fit's k range "
                         f"{k_range[0]:g}-{k_range[1]:g}: at least 4 1/A are needed.")
    if distance is None:
        distance = _peak_start(xafs, larch, k, chi, kmin, kmax, kweight)
    if not 1.0 <= float(distance) <= 5.0:
        raise ValueError(f"distance must be a first-shell distance of 1-5 Angstrom, got "
                         f"{distance!r}.")
    edge = default_edge(absorber) if edge is None else edge
    start = round(float(distance) / _PATH_STEP) * _PATH_STEP  # a cached model path
    if r_range is None:
        r_range = _first_peak_window(xafs, larch, k, chi, float(distance), kmin, kmax, kweight)
    rmin, rmax = r_range
    text = _model_path_text(absorber, neighbor, edge, round(start, 4))
    captured = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")  # larch prints warnings
    with tempfile.TemporaryDirectory(prefix="sklearn_xas_shell_") as folder, \
            contextlib.redirect_stdout(captured):
        file = Path(folder) / "feff0001.dat"
        file.write_text(text)
        path = xafs.feffpath(str(file), degen=1.0, s02="amp", e0="del_e0",
                             deltar="del_r", sigma2="sig2")
        params = fitting.param_group(
            amp=fitting.param(float(coordination), vary=True, min=0.05, max=40.0),
            del_e0=fitting.param(0.0, vary=True, min=-15.0, max=15.0),
            del_r=fitting.param(float(distance) - path.reff, vary=True,
                                min=-MAX_DELTA_R, max=MAX_DELTA_R),
            sig2=fitting.param(0.005, vary=True, min=0.0, max=0.05),
        )
        transform = xafs.feffit_transform(kmin=kmin, kmax=kmax, kweight=kweight, dk=1.0,
                                          window="hanning", rmin=rmin, rmax=rmax)
        dataset = xafs.feffit_dataset(data=larch.Group(k=k, chi=chi), pathlist=[path],
                                      transform=transform)
        try:
            out = xafs.feffit(params, dataset)
        except np.linalg.LinAlgError as exc:  # larch's uncertainties of a NaN covariance
            raise ValueError(f"the fit of a {absorber}-{neighbor} path started at "
                             f"{float(distance):.2f} A did not converge ({exc}).") from exc
    fitted = out.params
    delta_r = float(fitted["del_r"].value)
    std = fitted["del_r"].stderr
    r_factor = float(out.rfactor)
    at_bound = abs(delta_r) >= MAX_DELTA_R - 1e-3
    return FirstShellFit(
        neighbor=neighbor,
        distance=float(path.reff + delta_r),
        distance_std=float(std) if std is not None else float("nan"),
        amplitude=float(fitted["amp"].value),
        sigma2=float(fitted["sig2"].value),
        e0_shift=float(fitted["del_e0"].value),
        r_factor=r_factor,
        n_independent=float(out.n_independent),
        accepted=bool(np.isfinite(r_factor) and r_factor <= MAX_R_FACTOR and not at_bound),
        k_range=(kmin, kmax),
        r_range=(float(rmin), float(rmax)),
        k=np.asarray(dataset.model.k, dtype=np.float64),
        chi_fit=np.asarray(dataset.model.chi, dtype=np.float64),
    )

