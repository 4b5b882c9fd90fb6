"""
Model selection with GridSearchCV, grouped by material
======================================================

Sites of one material share a structure and have similar spectra, so cross-validation
must keep each material on one side of every split: :class:`~sklearn.model_selection.GroupKFold`
with ``groups=data.groups``. Because the recipe takes the frame as ``X``, one search
tunes the preprocessing and the model together.
"""

# %%
# Data
# ----
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.model_selection import GridSearchCV, GroupKFold

from sklearn_xas.datasets import load_prototype_exafs
from sklearn_xas.pipelines import exafs_branch, make_nn_distance_pipeline
from sklearn_xas.targets import compute_targets

data = load_prototype_exafs()
y = compute_targets(data, targets="mean_nn_distance", method="cutoff")["mean_nn_distance"]

# %%
# The search
# ----------
# A preprocessing choice (the features of chi(k): k-weighted chi(k) only, or with
# the Fourier transform's magnitude |chi(R)| as well) and a model setting; 3 folds,
# no material in two folds.
pipeline = make_nn_distance_pipeline(n_estimators=100, random_state=0)
param_grid = {
    "features__spectrum__exafs": [exafs_branch(features="k"), exafs_branch(features="k+r")],
    "regress__min_samples_leaf": [1, 5],
}
search = GridSearchCV(
    pipeline, param_grid, cv=GroupKFold(n_splits=3), scoring="neg_mean_absolute_error"
)
search.fit(data, y.to_numpy(), groups=data.groups)
print(f"cross-validated MAE of the best candidate: {-search.best_score_:.3f} A")

# %%
# All candidates
# --------------
results = pd.DataFrame(search.cv_results_)
results["features"] = [
    "k + |chi(R)|" if branch.steps[-1][0] == "features" else "k"
    for branch in results["param_features__spectrum__exafs"]
]
results["MAE (A)"] = -results["mean_test_score"]
table = results.pivot_table(
    index="features", columns="param_regress__min_samples_leaf", values="MAE (A)"
)
print(table.round(3))

fig, ax = plt.subplots(figsize=(5, 3.5))
table.plot.bar(ax=ax, rot=0)
ax.set_ylabel("cross-validated MAE (Å)")
ax.legend(title="min_samples_leaf")
fig.tight_layout()
