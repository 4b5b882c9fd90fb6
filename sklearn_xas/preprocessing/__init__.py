"""Spectrum preprocessing as scikit-learn transformers.

Steps on the data model's frame (spectra on their own grids):

- :class:`SpectrumResampler`: frame -> 2-D array on one grid, absolute or relative
  to the edge (tabulated E0, or E0 found from the data);
- :class:`EdgeStepNormalizer`: edge step = 1 (pre-edge line, post-edge polynomial),
  or max / area normalisation;
- :class:`EXAFSExtractor`: XANES rows mu(E) -> EXAFS rows chi(k) (E0, edge step,
  energy -> k, autobk's spline background).

Steps on 2-D arrays on one common grid (they pass scikit-learn's common checks):

- :class:`KWeighter`: chi(k) * k**kweight;
- :class:`ChiFourierTransform`: windowed Fourier transform to |chi(R)|;
- :class:`ChiWaveletTransform`: the Cauchy wavelet transform of k^w chi(k), pooled
  over cells of (k, R) (which k each shell scatters at follows the neighbour's Z);
- :class:`SpectralBroadener`: Gaussian/Lorentzian broadening and an energy shift.

Training-set augmentation (theory -> experiment), a function since it adds rows:
:func:`augment_spectra` (seeded S0^2, extra sigma^2, E0 shift, noise, truncation in k;
shift and broadening for XANES).

Physics shared by the steps: :func:`edge_energy` (tabulated, xraydb),
:func:`find_e0` (from the data), :func:`edge_step` (the edge-step normalisation of
:class:`EdgeStepNormalizer` as a function), :func:`energy_to_k`, :func:`k_to_energy`,
:func:`ft_window`. They live in the bottom layer, which every step shares.
"""

from .._core import edge_energy, edge_step, energy_to_k, find_e0, k_to_energy
from ._augment import augment_spectra
from ._broaden import SpectralBroadener
from ._exafs import ChiFourierTransform, EXAFSExtractor, KWeighter, ft_window
from ._normalize import EdgeStepNormalizer
from ._resample import SpectrumResampler
from ._wavelet import ChiWaveletTransform

__all__ = [
    "ChiFourierTransform",
    "ChiWaveletTransform",
    "EXAFSExtractor",
    "EdgeStepNormalizer",
    "KWeighter",
    "SpectralBroadener",
    "SpectrumResampler",
    "augment_spectra",
    "edge_energy",
    "edge_step",
    "energy_to_k",
    "find_e0",
    "ft_window",
    "k_to_energy",
]
