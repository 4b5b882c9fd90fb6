"""Fast configurations of every estimator for scikit-learn's common checks.

This is the one place that lists which common checks an estimator is known to
fail, each with its reason, and which estimators take the XAS frame as ``X`` (and so
cannot run checks that feed numeric arrays).

Each area owns its own section below; keep entries sorted within a section.
"""

# name -> list of keyword-argument dicts; each dict is one fast test configuration.
INSTANCE_PARAMS = {
    # --- preprocessing ---------------------------------------------------------------
    "ChiFourierTransform": [
        {"k": (3.0, 12.0), "kmin": 2.0, "kmax": 13.0, "rmax": 4.0, "dr": 0.1},
        {"k": (3.0, 12.0), "kmin": 2.0, "kmax": 13.0, "window": "kaiser", "dk": 4.0,
         "kweight": 3},
    ],
    "ChiWaveletTransform": [{"k": (3.0, 11.0), "n_k": 3, "n_r": 2}],
    "KWeighter": [{"k": (0.0, 15.0)}, {"k": (1.0, 12.0), "kweight": 1.5}],
    "SpectralBroadener": [
        {"grid": (-10.0, 30.0), "gaussian_fwhm": 2.0},
        {"grid": (-10.0, 30.0), "lorentzian_fwhm": 1.0, "gaussian_fwhm": 0.5, "shift": 1.5},
    ],
    # --- featurizers -----------------------------------------------------------------
    # --- estimators ------------------------------------------------------------------
    # Tiny networks, few epochs, one torch/OpenMP thread (the checks fit hundreds of times).
    "CoordinationNumberClassifier": [
        # leaves of 5 rows: fully grown trees fit every row of check_class_weight_
        # classifiers' noisy blobs whatever its weight (scikit-learn's own forests pass it
        # through the min_weight_fraction_leaf=0.01 the check sets, not a parameter here)
        {"n_estimators": 10, "min_samples_leaf": 5, "n_jobs": 1, "random_state": 0},
        {"backend": "random_forest", "n_estimators": 10, "class_weight": "balanced",
         "n_jobs": 1, "random_state": 0},
        {"backend": "logistic", "calibration_fraction": None},
        {"backend": "mlp", "hidden_layer_sizes": (16,), "max_epochs": 20, "lr": 1e-2,
         "device": "cpu", "n_jobs": 1, "random_state": 0},
    ],
    "NNDistanceRegressor": [
        {"backend": "gradient_boosting", "max_iter": 30, "min_samples_leaf": 1, "n_jobs": 1,
         "random_state": 0},
        {"backend": "random_forest", "n_estimators": 10, "n_jobs": 1, "random_state": 0},
        {"backend": "extra_trees", "n_estimators": 10, "n_jobs": 1, "random_state": 0},
        {"backend": "mlp", "hidden_layer_sizes": (16,), "max_epochs": 20, "lr": 1e-2,
         "device": "cpu", "n_jobs": 1, "random_state": 0},
    ],
    "NeighborTypeClassifier": [
        {"hidden_layer_sizes": (16,), "max_epochs": 20, "lr": 1e-2, "device": "cpu",
         "n_jobs": 1, "random_state": 0},
        {"backend": "cnn", "channels": (4,), "hidden_layer_sizes": (16,), "max_epochs": 20,
         "lr": 1e-2, "device": "cpu", "n_jobs": 1, "random_state": 0},
        {"backend": "random_forest", "n_estimators": 10, "n_jobs": 1, "random_state": 0},
        {"backend": "logistic", "class_weight": "balanced"},
    ],
    "PerElementMajorityClassifier": [{}],
    "PerElementMeanRegressor": [{}],
    "SpectrumRegressor": [
        {"hidden_layer_sizes": (16,), "max_epochs": 20, "lr": 1e-2, "derivative_weight": 0.5,
         "device": "cpu", "n_jobs": 1, "random_state": 0},
        {"backend": "knn"},
        {"backend": "ridge"},
        {"backend": "extra_trees", "n_estimators": 10, "n_jobs": 1, "random_state": 0},
    ],
}

#: The checks a multi-label-only classifier fails, with their reasons.
_MULTI_LABEL_ONLY = {
    "check_classifier_data_not_an_array": "multi-label only: the check's y is one column of "
    "two class values that are not 0/1",
    "check_classifiers_classes": "multi-label only: fits 1-D string class labels",
    "check_classifiers_one_label": "multi-label only: fits a 1-D y of one class",
    "check_classifiers_train": "multi-label only: fits 1-D class labels, expects 1-D "
    "predictions",
    "check_estimators_dtypes": "multi-label only: the check's y is one column of class "
    "values that are not 0/1",
    "check_fit2d_1feature": "multi-label only: rejects the check's 1-D integer y before "
    "looking at X",
}

# name -> {check function name: reason}
EXPECTED_FAILED_CHECKS = {
    # --- preprocessing ---------------------------------------------------------------
    # --- featurizers -----------------------------------------------------------------
    # --- estimators ------------------------------------------------------------------
    # Multi-label only: y is an indicator matrix or label collections, never one column of
    # class labels, which is what these checks fit on (they then expect 1-D predictions).
    "NeighborTypeClassifier": {
        **_MULTI_LABEL_ONLY,
        "check_class_weight_classifiers": "multi-label only; class_weight is 'balanced' or None "
        "(a per-class dict has no meaning per label)",
        "check_classifier_multioutput": "min_labels=1 (the default: a site always has "
        "neighbours) also predicts the most probable label of a row where none passes the "
        "threshold, so predict is not predict_proba.round() on such rows (a configuration "
        "whose rows all pass it meets the check)",
    },
    "PerElementMajorityClassifier": _MULTI_LABEL_ONLY,
}

# Estimators whose X is the data model's frame (structures, spectra on their own
# grids): the array-based common checks do not apply. name -> reason. Their sklearn
# API (get_params/set_params, clone, Pipeline, GridSearchCV) is tested in their own
# test modules.
FRAME_INPUT_ESTIMATORS = {
    # --- preprocessing ---------------------------------------------------------------
    "EXAFSExtractor": (
        "X is the frame (XANES rows on their own energy grids), frame out (EXAFS rows); "
        "tested in tests/test_preprocessing.py"
    ),
    "EdgeStepNormalizer": (
        "X is the frame (XANES rows on their own energy grids; frame out), or a 2-D array "
        "whose columns sit on the energies of its grid parameter, which the checks' random "
        "arrays of varying width do not have; tested in tests/test_preprocessing*.py"
    ),
    "SpectrumResampler": (
        "X is the frame (spectra on their own grids), not a numeric array; tested in "
        "tests/test_preprocessing*.py"
    ),
    # --- featurizers -----------------------------------------------------------------
    "AbsorberElementEncoder": (
        "X is the frame's absorbing_element column or a 1-D array of element symbols, "
        "not a numeric array; tested in tests/test_featurizers.py"
    ),
    "AbsorberRDFFeaturizer": (
        "X is the frame (structure, absorbing_index) or (structure, index) pairs; "
        "tested in tests/test_featurizers.py"
    ),
    "AbsorberSOAPFeaturizer": (
        "X is the frame (structure, absorbing_index) or (structure, index) pairs; "
        "tested in tests/test_featurizers.py"
    ),
    "AbsorberSiteFeaturizer": (
        "X is the frame (structure, absorbing_index) or (structure, index) pairs, and it "
        "needs matminer featurizers as a parameter; tested in tests/test_featurizers.py"
    ),
    "CHGNetSiteEmbedder": (
        "X is the frame (structure, absorbing_index) or (structure, index) pairs; "
        "tested in tests/test_featurizers.py"
    ),
    "SevenNetSiteEmbedder": (
        "X is the frame (structure, absorbing_index) or (structure, index) pairs; "
        "tested in tests/test_featurizers.py"
    ),
    # --- estimators ------------------------------------------------------------------
    "NeighborTypePipeline": (
        "a Pipeline whose X is the frame (spectra on their own grids, absorbing_element "
        "for its relative labels) and whose y is label collections; tested in "
        "tests/test_pipelines.py"
    ),
    "SpectrumTypeSwitch": (
        "X is the frame (XANES or EXAFS rows on their own grids), dispatched on its "
        "spectrum_type column; tested in tests/test_pipelines.py"
    ),
}


def _neighbor_type_steps():
    from ..pipelines import make_neighbor_type_pipeline

    return make_neighbor_type_pipeline(backend="logistic").steps


def _agni():
    from matminer.featurizers.site import AGNIFingerprints

    return AGNIFingerprints(directions=[None], etas=[0.8, 1.6])


#: Parameters a frame-input estimator cannot do without (for the data-free checks and
#: the parameter-validation test of tests/test_common.py); name -> factory of kwargs.
FRAME_REQUIRED_PARAMS = {
    "AbsorberSiteFeaturizer": lambda: {"featurizers": [_agni()]},
    "NeighborTypePipeline": lambda: {"steps": _neighbor_type_steps()},
}


def frame_instances():
    """Yield one default instance of each frame-input estimator."""
    from .discovery import all_estimators

    classes = dict(all_estimators())
    for name in sorted(FRAME_INPUT_ESTIMATORS):
        yield classes[name](**FRAME_REQUIRED_PARAMS.get(name, dict)())


def instances():
    """Yield one instance per configuration in :data:`INSTANCE_PARAMS`."""
    from .discovery import all_estimators

    classes = dict(all_estimators())
    for name, configs in sorted(INSTANCE_PARAMS.items()):
        for params in configs or [{}]:
            yield classes[name](**params)


def expected_failed_checks(estimator):
    """The known failures of ``estimator`` (for ``parametrize_with_checks``)."""
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})
