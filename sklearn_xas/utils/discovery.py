"""Discover the public estimators of sklearn-xas (as ``sklearn.utils.discovery``)."""

import inspect
import pkgutil
from importlib import import_module
from operator import itemgetter
from pathlib import Path

from sklearn.base import BaseEstimator

_SUBPACKAGES_SKIPPED = {"tests", "utils"}


def all_estimators(type_filter=None):
    """List the public estimators defined in sklearn-xas.

    Parameters
    ----------
    type_filter : {"classifier", "regressor", "transformer"} or list of them, optional
        Keep only estimators of these kinds.

    Returns
    -------
    estimators : list of (name, class)
        Sorted by name.

    Examples
    --------
    >>> from sklearn_xas.utils.discovery import all_estimators
    >>> names = [name for name, _ in all_estimators()]
    >>> isinstance(names, list)
    True
    """
    from sklearn.base import ClassifierMixin, RegressorMixin, TransformerMixin

    root = Path(__file__).parent.parent
    found = {}
    for _, modname, _ in pkgutil.walk_packages([str(root)], prefix="sklearn_xas."):
        parts = modname.split(".")
        if any(p in _SUBPACKAGES_SKIPPED for p in parts[1:]) or parts[-1] in ("_cli", "__main__"):
            continue
        module = import_module(modname)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, BaseEstimator)
                and not name.startswith("_")
                and cls.__module__.startswith("sklearn_xas")
                and not inspect.isabstract(cls)
            ):
                found[name] = cls
    estimators = sorted(found.items(), key=itemgetter(0))
    if type_filter is not None:
        kinds = [type_filter] if isinstance(type_filter, str) else list(type_filter)
        mixins = {
            "classifier": ClassifierMixin,
            "regressor": RegressorMixin,
            "transformer": TransformerMixin,
        }
        unknown = set(kinds) - set(mixins)
        if unknown:
            raise ValueError(f"type_filter must be among {sorted(mixins)}, got {sorted(unknown)}.")
        estimators = [
            (n, c) for n, c in estimators if any(issubclass(c, mixins[k]) for k in kinds)
        ]
    return estimators
