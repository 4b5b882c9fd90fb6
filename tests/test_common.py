"""scikit-learn's common checks over every estimator of sklearn-xas."""

import pytest
from sklearn.base import clone
from sklearn.utils import estimator_checks
from sklearn.utils._param_validation import (
    InvalidParameterError,
    generate_invalid_param_val,
    make_constraint,
)
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_xas.utils._test_common import (
    FRAME_INPUT_ESTIMATORS,
    INSTANCE_PARAMS,
    expected_failed_checks,
    frame_instances,
    instances,
)
from sklearn_xas.utils.discovery import all_estimators


def test_every_estimator_is_checked_or_listed():
    names = {name for name, _ in all_estimators()}
    covered = set(INSTANCE_PARAMS) | set(FRAME_INPUT_ESTIMATORS)
    assert names - covered == set(), "add fast configurations to utils/_test_common.py"
    assert covered - names == set(), "stale entries in utils/_test_common.py"
    assert set(INSTANCE_PARAMS).isdisjoint(FRAME_INPUT_ESTIMATORS)


@parametrize_with_checks(list(instances()), expected_failed_checks=expected_failed_checks)
def test_sklearn_common_checks(estimator, check):
    check(estimator)


# --- frame-input estimators -----------------------------------------------------------
# The array-based checks do not apply to them (FRAME_INPUT_ESTIMATORS says why), but the
# data-free checks do, as imbalanced-learn runs them on its samplers, and their parameter
# validation is checked on frames of the bundled data set below.
DATA_FREE_CHECKS = [
    estimator_checks.check_estimator_cloneable,
    estimator_checks.check_estimator_repr,
    estimator_checks.check_no_attributes_set_in_init,
    estimator_checks.check_do_not_raise_errors_in_init_or_set_params,
    estimator_checks.check_get_params_invariance,
    estimator_checks.check_set_params,
    estimator_checks.check_parameters_default_constructible,
    estimator_checks.check_estimator_tags_renamed,
    estimator_checks.check_valid_tag_types,
    estimator_checks.check_mixin_order,
]


@pytest.mark.parametrize("check", DATA_FREE_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("estimator", list(frame_instances()), ids=lambda e: type(e).__name__)
def test_frame_estimators_pass_data_free_checks(estimator, check):
    check(type(estimator).__name__, estimator)


def _frame_input(name, bundled_exafs, bundled_mu):
    data, y = bundled_mu if name in ("EdgeStepNormalizer", "EXAFSExtractor") else bundled_exafs
    return data[:4], y[:4]


@pytest.mark.parametrize("estimator", list(frame_instances()), ids=lambda e: type(e).__name__)
def test_frame_estimators_validate_their_parameters(estimator, bundled_exafs, bundled_mu):
    """Each constrained parameter set to a bad type or value fails with scikit-learn's
    InvalidParameterError naming it, at fit (or at transform for stateless steps)."""
    X, y = _frame_input(type(estimator).__name__, bundled_exafs, bundled_mu)
    constraints = estimator._parameter_constraints
    assert set(constraints) == set(estimator.get_params(deep=False)), "constraint per parameter"
    bad_type = type("BadType", (), {})()
    checked = 0
    for param, options in constraints.items():
        if options == "no_validation":
            continue
        bad_values = [bad_type]
        try:
            bad_values.append(generate_invalid_param_val(make_constraint(options[0])))
        except NotImplementedError:
            pass
        for bad in bad_values:
            est = clone(estimator).set_params(**{param: bad})
            with pytest.raises(InvalidParameterError, match=rf"The '{param}' parameter"):
                est.fit(X, y)
                est.transform(X)
            checked += 1
    assert checked > 0
