"""
Theory to experiment: tune a spectral broadening with GridSearchCV
==================================================================

Calculated XANES are sharper than measured ones (core-hole lifetime, instrument
resolution) and sit at another energy. :class:`~sklearn_xas.preprocessing.SpectralBroadener`
is the adapter: a Gaussian and a Lorentzian width and an energy shift, applied as one
linear map. Because they are hyperparameters, a grid search can fit them to measured
references, and the tuned adapter can then sit at the head of any pipeline trained on
calculated spectra.

Here the "measured" spectra are made from the calculated ones with known widths and
shift plus noise, so we can check that the search finds them.
"""

# %%
# Calculated spectra
# ------------------
# A toy K edge: an arctan step, a white line and two damped oscillations, with the
# edge position and peak heights varying from spectrum to spectrum.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV, KFold

from sklearn_xas.preprocessing import SpectralBroadener

rng = np.random.default_rng(0)
energy = np.linspace(-20.0, 60.0, 161)  # eV relative to the edge


def toy_xanes(e0, white_line, period):
    step = 0.5 + np.arctan((energy - e0) / 0.5) / np.pi
    peak = white_line * np.exp(-0.5 * ((energy - e0 - 4.0) / 1.0) ** 2)
    wiggles = 0.1 * np.sin(2 * np.pi * (energy - e0) / period) * np.exp(-energy / 40) * step
    return step + peak + wiggles


theory = np.array(
    [toy_xanes(rng.normal(0, 1), rng.uniform(0.4, 1.0), rng.uniform(12, 20)) for _ in range(40)]
)

# %%
# "Measured" spectra
# ------------------
# The same spectra with a 2.5 eV Gaussian (resolution), a 1.5 eV Lorentzian (lifetime),
# 2 eV higher in energy, and noise.
truth = SpectralBroadener(grid=energy, gaussian_fwhm=2.5, lorentzian_fwhm=1.5, shift=2.0)
measured = truth.fit_transform(theory) + rng.normal(0, 0.01, theory.shape)

# %%
# Grid search
# -----------
# The broadener is a transformer; the score of a setting is minus the mean squared
# difference between the adapted calculated spectra and the measured ones, in
# cross-validation over spectra.


def match_score(broadener, X, y):
    return -np.mean((broadener.transform(X) - y) ** 2)


search = GridSearchCV(
    SpectralBroadener(grid=energy),
    param_grid={
        "gaussian_fwhm": [1.5, 2.5, 3.5],
        "lorentzian_fwhm": [0.5, 1.5, 2.5],
        "shift": [1.0, 2.0, 3.0],
    },
    scoring=match_score,
    cv=KFold(n_splits=3, shuffle=True, random_state=0),
)
search.fit(theory, measured)
print("best:", search.best_params_)

# %%
# The tuned adapter
# -----------------
adapted = search.best_estimator_.transform(theory)
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(energy, theory[0], label="calculated", lw=1)
ax.plot(energy, measured[0], ".", ms=3, label="measured")
ax.plot(energy, adapted[0], label="calculated, adapted", lw=2)
ax.set_xlabel("E - E0 (eV)")
ax.set_ylabel("mu (normalised)")
ax.legend()
fig.tight_layout()
