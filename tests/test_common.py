"""scikit-learn's common checks over every estimator of sklearn-xas."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_xas.utils._test_common import (
    FRAME_INPUT_ESTIMATORS,
    INSTANCE_PARAMS,
    expected_failed_checks,
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
