"""
Which elements neighbour the absorber
=====================================

:class:`~sklearn_xas.estimators.NeighborTypeClassifier` is a multi-label classifier:
for each spectrum it predicts the set of labels of the absorber's first-shell
neighbours. One model serves every absorbing element, because the recipe
:func:`~sklearn_xas.pipelines.make_neighbor_type_pipeline` appends the absorbing
element's properties to the spectrum.

The labels are whatever ``y`` holds. The usual target is the neighbours' element
symbols (:func:`~sklearn_xas.targets.neighbor_types`), but the small bundled set (a few
hundred sites, some 75 different neighbour elements, most seen a handful of times) is too little
data to learn each element. EXAFS tells neighbours apart by how strongly and with
which phase they backscatter, which changes mostly with the row of the periodic table,
so here the labels are the neighbours' *periods*. The :doc:`/results` page has the
element-level scores on thousands of real structures.
"""

# %%
# Data and targets
# ----------------
import matplotlib.pyplot as plt
import numpy as np
from pymatgen.core import Element
from sklearn.metrics import f1_score
from sklearn.preprocessing import MultiLabelBinarizer

from sklearn_xas.datasets import load_prototype_exafs
from sklearn_xas.pipelines import make_neighbor_type_pipeline
from sklearn_xas.plotting import plot_per_element_f1
from sklearn_xas.targets import compute_targets

data = load_prototype_exafs()
train, test = data.train_test_split(test_size=0.25, random_state=0)


def neighbour_periods(dataset):
    targets = compute_targets(dataset, targets="neighbor_types", method="cutoff")
    return [
        tuple(sorted({f"period {Element(el).row}" for el in symbols}))
        for symbols in targets["neighbor_types"]
    ]


y_train, y_test = neighbour_periods(train), neighbour_periods(test)
print("first targets:", y_train[:3])

# %%
# Fit
# ---
# ``y`` is a list of label collections; the classifier learns one output per label
# seen in training. The random-forest backend is quick on this small set; the default
# ``backend="mlp"`` is a network trained through skorch.
model = make_neighbor_type_pipeline(backend="random_forest", n_estimators=200, random_state=0)
model.fit(train, y_train)
classifier = model[-1]
print("labels:", classifier.classes_.tolist())

# %%
# Score on unseen materials
# -------------------------
# ``predict`` returns the indicator matrix over ``classes_``. A baseline always
# predicts the most common set of the training set.
binarizer = MultiLabelBinarizer(classes=classifier.classes_)
Y_test = binarizer.fit_transform(y_test)
Y_pred = model.predict(test)
most_common = max(set(y_train), key=y_train.count)
Y_base = binarizer.transform([most_common] * len(y_test))
for name, Y in [("model", Y_pred), (f"baseline {most_common}", Y_base)]:
    f1 = f1_score(Y_test, Y, average="micro", zero_division=0)
    exact = np.mean(np.all(Y_test == Y, axis=1))
    print(f"{name}: F1 (micro) {f1:.2f}, exactly right for {exact:.0%} of the test sites")

# %%
# Per absorbing element
# ---------------------
fig, ax = plt.subplots(figsize=(10, 3.5))
plot_per_element_f1(
    Y_test, Y_pred, test.frame["absorbing_element"], classes=list(classifier.classes_), ax=ax
)
fig.tight_layout()
