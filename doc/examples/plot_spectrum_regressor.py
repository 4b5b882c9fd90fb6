"""
Structure to spectrum: predict the EXAFS of a site from its neighbourhood
=========================================================================

:class:`~sklearn_xas.estimators.SpectrumRegressor` is the forward model: features of the
absorbing site's neighbourhood in, a spectrum on a fixed grid out. Here the features are
the project's smeared radial distribution around the absorber
(:class:`~sklearn_xas.featurizers.AbsorberRDFFeaturizer`, fast) and the target is the
magnitude of the Fourier transform of k\\ :sup:`2`-weighted chi(k), \\|chi(R)\\|: the
radial picture of EXAFS, whose peaks sit at the neighbour shells. (chi(k) itself
oscillates with a phase of 2kR, so a distance error of a few hundredths of an Angstrom
already puts a predicted chi(k) out of phase: learning it takes much more data than the
bundled set holds.) Without a ``featurizer``, ``make_spectrum_pipeline()`` uses the
pretrained CHGNet embedding of the absorbing site instead (slower to compute).
"""

# %%
# Features and targets
# --------------------
import matplotlib.pyplot as plt
from sklearn.pipeline import make_pipeline

from sklearn_xas.datasets import load_prototype_exafs
from sklearn_xas.featurizers import AbsorberRDFFeaturizer
from sklearn_xas.pipelines import make_spectrum_pipeline
from sklearn_xas.plotting import plot_spectra
from sklearn_xas.preprocessing import ChiFourierTransform, SpectrumResampler

data = load_prototype_exafs()
train, test = data.train_test_split(test_size=0.25, random_state=0)

k_grid = (3.0, 12.0, 181)
fourier = ChiFourierTransform(k=k_grid, kweight=2, rmax=5.0)
to_chir = make_pipeline(SpectrumResampler(grid=k_grid), fourier)
Y_train = to_chir.fit_transform(train)
Y_test = to_chir.transform(test)
print("targets:", Y_train.shape, "on R from 0 to", fourier.r_[-1], "A")

# %%
# Fit
# ---
model = make_spectrum_pipeline(
    featurizer=AbsorberRDFFeaturizer(),
    hidden_layer_sizes=(256, 256),
    max_epochs=150,
    random_state=0,
)
model.fit(train, Y_train)
Y_pred = model.predict(test)


# %%
# Score: OmniXAS's eta
# --------------------
# eta is the median per-spectrum error of the training-mean spectrum divided by that of
# the model: 1 means no better than always predicting the mean spectrum.
from sklearn_xas.metrics import eta_score  # noqa: E402

eta = eta_score(Y_test, Y_pred, Y_train.mean(axis=0))
print(f"eta on unseen materials: {eta:.2f}")

# %%
# Predicted and true \|chi(R)\| of a few unseen sites
# ----------------------------------------------------
frame = test.frame
titles = [f"{el} in {mid}" for el, mid in zip(frame["absorbing_element"], frame["material_id"])]
fig = plt.figure(figsize=(11, 5), layout="constrained")
plot_spectra(
    fourier.r_, Y_test, Y_pred, titles=titles, xlabel="R (Å)", ylabel="|χ(R)|", fig=fig
)
