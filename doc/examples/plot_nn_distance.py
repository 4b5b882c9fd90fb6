"""
Mean nearest-neighbour distance from EXAFS
==========================================

:class:`~sklearn_xas.estimators.NNDistanceRegressor` predicts the mean distance from the
absorber to its first-shell neighbours from the spectrum. The recipe
:func:`~sklearn_xas.pipelines.make_nn_distance_pipeline` takes the frame of spectra as
``X``: it puts each chi(k) on a common k grid, weights it by k\\ :sup:`2`, adds the
magnitude of its Fourier transform \\|chi(R)\\| (whose first peak sits near the
first-shell distance) and the absorbing element's properties, and fits the regressor.
"""

# %%
# Data: the bundled EXAFS set, split by material
# ----------------------------------------------
import matplotlib.pyplot as plt
import numpy as np

from sklearn_xas.datasets import load_prototype_exafs
from sklearn_xas.pipelines import make_nn_distance_pipeline
from sklearn_xas.plotting import plot_parity
from sklearn_xas.targets import compute_targets

data = load_prototype_exafs()
print(data)
train, test = data.train_test_split(test_size=0.25, random_state=0)


# %%
# The target, from each row's structure and absorbing site. The prototype crystals have
# clear first shells, so the fast distance-cutoff neighbour finding is enough here
# (the default, pymatgen's CrystalNN, is slower and more robust).
def nn_distance(dataset):
    targets = compute_targets(dataset, targets="mean_nn_distance", method="cutoff")
    return targets["mean_nn_distance"].to_numpy()


y_train, y_test = nn_distance(train), nn_distance(test)

# %%
# Fit and score
# -------------
model = make_nn_distance_pipeline(random_state=0)
model.fit(train, y_train)
y_pred = model.predict(test)

mae = np.mean(np.abs(y_pred - y_test))
baseline = np.mean(np.abs(np.median(y_train) - y_test))
print(f"MAE on unseen materials: {mae:.3f} A (predicting the median: {baseline:.3f} A)")

# %%
# Predicted against true distances
# --------------------------------
fig, ax = plt.subplots(figsize=(5, 5))
plot_parity(y_test, y_pred, ax=ax, title="Held-out materials")
fig.tight_layout()
