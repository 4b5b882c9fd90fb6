"""Write ``doc/api.rst``: every public class and function, by subpackage.

Run after adding or removing a public name (``tests/test_docs.py`` says when)::

    python doc/sphinxext/make_api_rst.py > doc/api.rst

Public names are each subpackage's ``__all__`` (for a module without one, what it
defines); constants are left out. The result is committed, and may be edited by hand.
"""

import importlib
import inspect
import warnings

#: (module, section title), in the order of the user guide.
SECTIONS = [
    ("sklearn_xas.datasets", "Data: readers and the data model"),
    ("sklearn_xas.preprocessing", "Preprocessing spectra"),
    ("sklearn_xas.featurizers", "Featurizing the absorbing site"),
    ("sklearn_xas.targets", "Targets from the structure"),
    ("sklearn_xas.estimators", "Estimators"),
    ("sklearn_xas.pipelines", "Pipelines (recipes)"),
    ("sklearn_xas.metrics", "Metrics"),
    ("sklearn_xas.pretrained", "Trained and shipped models"),
    ("sklearn_xas.simulate", "Simulation (FEFF6L, FEFF10)"),
    ("sklearn_xas.plotting", "Plotting"),
    ("sklearn_xas.utils", "Utilities"),
    ("sklearn_xas.utils.discovery", "Discovery"),
    ("sklearn_xas.exceptions", "Exceptions and warnings"),
]

HEADER = """API reference
=============

Every public class and function of sklearn-xas, by subpackage. The three estimators
are also importable from the top level (``from sklearn_xas import SpectrumRegressor``).
"""


def public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            n
            for n, obj in vars(module).items()
            if not n.startswith("_") and getattr(obj, "__module__", None) == module.__name__
        ]
    return names


def autosummary(names, template):
    return [
        ".. autosummary::",
        "   :toctree: gen_modules/",
        f"   :template: {template}",
        "",
        *[f"   {name}" for name in names],
        "",
    ]


def main():
    warnings.simplefilter("ignore")
    lines = [HEADER]
    for modname, title in SECTIONS:
        module = importlib.import_module(modname)
        names = public_names(module)
        classes = sorted(n for n in names if inspect.isclass(getattr(module, n)))
        functions = sorted(n for n in names if inspect.isfunction(getattr(module, n)))
        if not classes and not functions:
            continue
        heading = f":mod:`{modname}`: {title}"
        lines += [heading, "-" * len(heading), ""]
        lines += [f".. automodule:: {modname}", "   :no-members:", "   :no-inherited-members:", ""]
        lines += [f".. currentmodule:: {modname}", ""]
        if classes:
            lines += autosummary(classes, "class.rst")
        if functions:
            lines += autosummary(functions, "function.rst")
    print("\n".join(lines).rstrip())


if __name__ == "__main__":
    main()
