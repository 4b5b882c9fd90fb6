"""The frame contract: every step that takes the data model as X works under
scikit-learn's cross-validation and grid search, given an XASDataset or its DataFrame.

scikit-learn indexes X row by row for each fold; an XASDataset has ``iloc``/``take``
like a DataFrame, so each fold is a data set again (it once became a list of rows,
which some steps did not accept: "Expected 2D array, got 1D array").
"""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from sklearn_xas.featurizers import (
    AbsorberElementEncoder,
    AbsorberRDFFeaturizer,
    AbsorberSiteFeaturizer,
    AbsorberSOAPFeaturizer,
    CHGNetSiteEmbedder,
    SevenNetSiteEmbedder,
)
from sklearn_xas.metrics import exact_set_scorer
from sklearn_xas.pipelines import (
    SpectrumTypeSwitch,
    exafs_branch,
    make_neighbor_type_pipeline,
    xanes_branch,
)
from sklearn_xas.preprocessing import (
    EdgeStepNormalizer,
    EXAFSExtractor,
    SpectrumResampler,
)
from sklearn_xas.targets import compute_targets
from sklearn_xas.utils._test_common import FRAME_INPUT_ESTIMATORS


def _agni():
    from matminer.featurizers.site import AGNIFingerprints

    return AGNIFingerprints(directions=[None], etas=[0.8, 1.6, 3.2])


#: name -> (pipeline of the frame step and what makes it a 2-D array, input kind,
#: a parameter of the frame step to grid-search and two values).
CASES = {
    "SpectrumResampler": (lambda: make_pipeline(SpectrumResampler(grid=(3, 12, 91)), Ridge()),
                          "exafs", ("spectrumresampler__grid", [(3, 12, 91), (3, 10, 71)])),
    "EdgeStepNormalizer": (
        lambda: make_pipeline(EdgeStepNormalizer(),
                              SpectrumResampler(grid=(-20, 60, 81), e0="data"),
                              Ridge()),
        "mu", ("edgestepnormalizer__mode", ["edge_step", "max"])),
    "EXAFSExtractor": (
        lambda: make_pipeline(EXAFSExtractor(), SpectrumResampler(grid=(3, 10, 71)), Ridge()),
        "mu", ("exafsextractor__kstep", [0.05, 0.1])),
    "AbsorberRDFFeaturizer": (lambda: make_pipeline(AbsorberRDFFeaturizer(), Ridge()),
                              "exafs", ("absorberrdffeaturizer__sigma", [0.1, 0.2])),
    "AbsorberSOAPFeaturizer": (lambda: make_pipeline(AbsorberSOAPFeaturizer(), Ridge()),
                               "exafs", ("absorbersoapfeaturizer__n_max", [4, 6])),
    "AbsorberSiteFeaturizer": (
        lambda: make_pipeline(AbsorberSiteFeaturizer([_agni()], n_jobs=1), Ridge()),
        "exafs", ("ridge__alpha", [0.1, 1.0])),
    "AbsorberElementEncoder": (lambda: make_pipeline(AbsorberElementEncoder(), Ridge()),
                               "exafs", ("ridge__alpha", [0.1, 1.0])),
    "SpectrumTypeSwitch": (
        lambda: make_pipeline(SpectrumTypeSwitch(xanes=xanes_branch(),
                                                 exafs=exafs_branch(grid=(3, 12, 91))),
                              Ridge()),
        "exafs", ("spectrumtypeswitch__exafs__kweight__kweight", [1, 2])),
    "CHGNetSiteEmbedder": (lambda: make_pipeline(CHGNetSiteEmbedder(layer=3), Ridge()),
                           "exafs", ("ridge__alpha", [0.1, 1.0])),
    "SevenNetSiteEmbedder": (lambda: make_pipeline(SevenNetSiteEmbedder(layer=4), Ridge()),
                             "exafs", ("ridge__alpha", [0.1, 1.0])),
}


#: Frame steps whose y is neighbour-type label collections: name -> (factory, a
#: parameter to grid-search and two values).
LABEL_CASES = {
    "NeighborTypePipeline": (
        lambda: make_neighbor_type_pipeline(backend="logistic", exafs_grid=(3, 12, 91)),
        ("relative_labels", [True, False])),
}


def test_every_frame_step_is_in_the_contract_test():
    assert set(CASES) | set(LABEL_CASES) == set(FRAME_INPUT_ESTIMATORS)
    assert set(CASES).isdisjoint(LABEL_CASES)


@pytest.mark.parametrize("name", sorted(LABEL_CASES))
def test_label_steps_cross_validate_on_dataset_and_frame(name, bundled_exafs):
    make, (param, values) = LABEL_CASES[name]
    data, _ = bundled_exafs
    y = list(compute_targets(data, targets="neighbor_types", method="cutoff")
             ["neighbor_types"])
    cv = GroupKFold(n_splits=3)
    on_dataset = cross_val_score(make(), data, y, groups=data.groups, cv=cv,
                                 scoring=exact_set_scorer, error_score="raise")
    on_frame = cross_val_score(make(), data.frame, y, groups=data.groups, cv=cv,
                               scoring=exact_set_scorer, error_score="raise")
    np.testing.assert_allclose(on_dataset, on_frame)
    assert (on_dataset > 0).all()
    search = GridSearchCV(make(), {param: values}, cv=cv, error_score="raise",
                          scoring=exact_set_scorer)
    search.fit(data, y, groups=data.groups)
    assert search.best_params_[param] in values


@pytest.mark.parametrize("name", sorted(CASES))
def test_cross_validation_on_dataset_and_frame(name, bundled_exafs, bundled_mu):
    make, kind, (param, values) = CASES[name]
    data, y = bundled_exafs if kind == "exafs" else bundled_mu
    if name in ("CHGNetSiteEmbedder", "SevenNetSiteEmbedder"):
        data, y = data[:12], y[:12]
    cv = GroupKFold(n_splits=3)
    on_dataset = cross_val_score(make(), data, y, groups=data.groups, cv=cv,
                                 scoring="neg_mean_absolute_error", error_score="raise")
    on_frame = cross_val_score(make(), data.frame, y, groups=data.groups, cv=cv,
                               scoring="neg_mean_absolute_error", error_score="raise")
    assert np.all(np.isfinite(on_dataset))
    np.testing.assert_allclose(on_dataset, on_frame)
    # what scikit-learn's indexing makes of a data set is a data set: a pipeline fitted
    # on a fold predicts the same as one fitted on the fold's frame
    train, test = next(cv.split(data.frame, y, groups=data.groups))
    a = clone(make()).fit(data[train], y[train]).predict(data[test])
    b = clone(make()).fit(data.frame.iloc[train], y[train]).predict(data.frame.iloc[test])
    np.testing.assert_allclose(a, b)
    search = GridSearchCV(make(), {param: values}, cv=cv, error_score="raise",
                          scoring="neg_mean_absolute_error")
    search.fit(data, y, groups=data.groups)
    assert search.best_params_[param] in values
