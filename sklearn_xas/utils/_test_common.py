"""Fast configurations of every estimator for scikit-learn's common checks.

This is the one place that lists which common checks an estimator is known to
fail, each with its reason, and which estimators take the XAS frame as ``X`` (and so
cannot run checks that feed numeric arrays).

Each area owns its own section below; keep entries sorted within a section.
"""

# name -> list of keyword-argument dicts; each dict is one fast test configuration.
INSTANCE_PARAMS = {
    # --- preprocessing ---------------------------------------------------------------
    # --- featurizers -----------------------------------------------------------------
    # --- estimators ------------------------------------------------------------------
}

# name -> {check function name: reason}
EXPECTED_FAILED_CHECKS = {
    # --- preprocessing ---------------------------------------------------------------
    # --- featurizers -----------------------------------------------------------------
    # --- estimators ------------------------------------------------------------------
}

# Estimators whose X is the data model's frame (structures, spectra on their own
# grids): the array-based common checks do not apply. name -> reason. Their sklearn
# API (get_params/set_params, clone, Pipeline, GridSearchCV) is tested in their own
# test modules.
FRAME_INPUT_ESTIMATORS = {
    # --- preprocessing ---------------------------------------------------------------
    # --- featurizers -----------------------------------------------------------------
}


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
