"""Energy <-> photo-electron wavenumber k."""

import numpy as np
from scipy import constants

#: 2 m_e / hbar^2 in 1/(eV Angstrom^2): k^2 = ETOK * (E - E0).
ETOK = 2 * constants.m_e * constants.e / constants.hbar**2 * 1e-20


def energy_to_k(energy, e0):
    """Photo-electron wavenumber k (1/Angstrom) at ``energy`` above the edge ``e0`` (eV).

    ``k = sqrt(2 m_e (E - E0)) / hbar``; below the edge, k is given the sign of
    ``E - E0`` (``-sqrt(2 m_e |E - E0|) / hbar``), the convention of FEFF's
    ``xmu.dat``, so that the conversion is one-to-one and :func:`k_to_energy`
    inverts it.

    Parameters
    ----------
    energy : float or array-like
        Energies in eV.
    e0 : float or array-like
        Edge energy in eV (broadcast against ``energy``).

    Returns
    -------
    k : float or ndarray

    Examples
    --------
    >>> from sklearn_xas.preprocessing import energy_to_k
    >>> round(float(energy_to_k(9079.0, 8979.0)), 4)
    5.1232
    """
    de = np.asarray(energy, dtype=np.float64) - np.asarray(e0, dtype=np.float64)
    k = np.sign(de) * np.sqrt(np.abs(de) * ETOK)
    return k if k.ndim else float(k)


def k_to_energy(k, e0=0.0):
    """Energy (eV) at wavenumber ``k`` (1/Angstrom) above the edge ``e0``.

    The inverse of :func:`energy_to_k`: ``E = E0 + sign(k) k**2 / ETOK``, with
    ``1 / ETOK = hbar**2 / (2 m_e) = 3.80998 eV Angstrom**2``.

    Parameters
    ----------
    k : float or array-like
        Photoelectron wavenumber (1/Angstrom).
    e0 : float or array-like, default=0.0
        Edge energy in eV; 0 gives E - E0.

    Returns
    -------
    energy : float or ndarray

    Examples
    --------
    >>> from sklearn_xas.preprocessing import k_to_energy
    >>> round(float(k_to_energy(10.0)), 3)
    380.998
    """
    k = np.asarray(k, dtype=np.float64)
    e = np.asarray(e0, dtype=np.float64) + np.sign(k) * k**2 / ETOK
    return e if e.ndim else float(e)
