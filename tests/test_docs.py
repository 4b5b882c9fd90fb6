"""Documentation checks (fast, no Sphinx build).

In the spirit of imbalanced-learn's ``maint_tools/test_docstring.py``: every public class
and function has a numpydoc docstring whose sections parse, whose parameters match the
signature and which has an ``Examples`` section (run by ``--doctest-modules``); every
public method of our classes documents its parameters. And the API reference
(``doc/api.rst``) lists every public name, and nothing that does not exist.

The ``>>>`` examples of the user guide (``doc/user_guide/*.rst``) run as doctests.

The Sphinx build itself is not part of the test suite (it executes the gallery);
run it with ``python -m sphinx -W -b html doc doc/_build/html``.
"""

import dataclasses
import doctest
import importlib
import inspect
import re
from pathlib import Path

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

ROOT = Path(__file__).resolve().parents[1]
API_RST = ROOT / "doc" / "api.rst"
#: The user-guide pages with ``>>>`` examples.
USER_GUIDE = [
    page
    for page in sorted((ROOT / "doc" / "user_guide").glob("*.rst"))
    if ">>>" in page.read_text(encoding="utf-8")
]

#: The modules whose public names form the API (``__all__`` where defined).
PUBLIC_MODULES = [
    "sklearn_xas",
    "sklearn_xas.datasets",
    "sklearn_xas.preprocessing",
    "sklearn_xas.featurizers",
    "sklearn_xas.estimators",
    "sklearn_xas.targets",
    "sklearn_xas.pipelines",
    "sklearn_xas.metrics",
    "sklearn_xas.pretrained",
    "sklearn_xas.simulate",
    "sklearn_xas.plotting",
    "sklearn_xas.utils",
    "sklearn_xas.utils.discovery",
    "sklearn_xas.exceptions",
]

#: numpydoc checks every public class and function must pass.
OBJECT_CHECKS = {
    "GL06",  # unknown section
    "GL07",  # sections in the wrong order
    "GL08",  # no docstring
    "SS01",  # no one-line summary
    "PR01",  # parameters of the signature not documented
    "PR02",  # documented parameters that are not in the signature
    "PR07",  # parameter without a description
    "PR10",  # "name: type" instead of "name : type"
    "RT01",  # returns something but has no Returns section
    "EX01",  # no Examples section
}
#: numpydoc checks for the public methods of our classes (no Examples needed).
METHOD_CHECKS = OBJECT_CHECKS - {"EX01"}

#: Known exceptions: "import.path" -> {code: reason}. Keep empty if possible.
KNOWN_FAILURES: dict[str, dict[str, str]] = {}


def _public_names(module_name):
    module = importlib.import_module(module_name)
    if hasattr(module, "__all__"):
        names = list(module.__all__)
    else:  # a plain module: what it defines itself
        names = [
            n
            for n, obj in vars(module).items()
            if not n.startswith("_") and getattr(obj, "__module__", None) == module_name
        ]
    return module, [n for n in names if not n.startswith("_")]


def public_objects():
    """``{import path: object}`` of every public class and function, one path per object.

    An object re-exported in several modules (``sklearn_xas.SpectrumRegressor`` and
    ``sklearn_xas.estimators.SpectrumRegressor``) keeps its most specific path.
    """
    found = {}
    for module_name in PUBLIC_MODULES:
        module, names = _public_names(module_name)
        for name in names:
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            path = f"{module_name}.{name}"
            previous = found.get(id(obj))
            if previous is None or previous[0].count(".") < path.count("."):
                found[id(obj)] = (path, obj)
    return dict(sorted(found.values()))


def public_methods():
    """Import paths of the public methods defined by our public classes."""
    paths = []
    for path, obj in public_objects().items():
        if not inspect.isclass(obj):
            continue
        for name, member in vars(obj).items():
            if isinstance(member, (classmethod, staticmethod)):
                member = member.__func__
            if name.startswith("_") or not inspect.isfunction(member):
                continue
            paths.append(f"{path}.{name}")
    return sorted(paths)


def _errors(import_path, checks):
    result = numpydoc_validate.validate(import_path)
    known = KNOWN_FAILURES.get(import_path, {})
    return [
        f"{code}: {msg}" for code, msg in result["errors"] if code in checks and code not in known
    ]


PUBLIC = public_objects()


def test_there_is_a_public_api():
    assert "sklearn_xas.datasets.XASDataset" in PUBLIC
    assert len(USER_GUIDE) >= 3


def _checks_for(obj):
    checks = set(OBJECT_CHECKS)
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        checks.discard("EX01")  # exceptions and warnings: no example needed
    if dataclasses.is_dataclass(obj):
        # a dataclass documents its fields as Attributes (checked below), not Parameters
        checks.discard("PR01")
    return checks


@pytest.mark.parametrize("import_path", sorted(PUBLIC))
def test_docstrings(import_path):
    obj = PUBLIC[import_path]
    errors = _errors(import_path, _checks_for(obj))
    if dataclasses.is_dataclass(obj):
        from numpydoc.docscrape import ClassDoc

        documented = {
            name.strip()
            for attr in ClassDoc(obj)["Attributes"]
            for name in attr.name.split(",")
        }
        missing = {f.name for f in dataclasses.fields(obj)} - documented
        if missing:
            errors.append(f"fields not documented under Attributes: {sorted(missing)}")
    assert not errors, f"{import_path}:\n" + "\n".join(errors)


@pytest.mark.parametrize("import_path", public_methods())
def test_method_docstrings(import_path):
    errors = _errors(import_path, METHOD_CHECKS)
    assert not errors, f"{import_path}:\n" + "\n".join(errors)


def _api_reference_entries():
    """``[(line number, import path)]`` of every autosummary entry in ``doc/api.rst``."""
    entries, module, in_autosummary = [], None, False
    for lineno, line in enumerate(API_RST.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        match = re.match(r"\.\. (?:current)?module:: (\S+)", stripped)
        if match:
            module, in_autosummary = match.group(1), False
        elif stripped.startswith(".. autosummary::"):
            in_autosummary = True
        elif in_autosummary:
            if not line.startswith((" ", "\t")) and stripped:
                in_autosummary = False
            elif stripped and not stripped.startswith(":"):
                entries.append((lineno, f"{module}.{stripped}" if module else stripped))
    return entries


def _resolve(path):
    module_name, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module_name), name)


def test_api_reference_lists_every_public_name():
    assert API_RST.is_file(), "doc/api.rst is missing"
    documented = {}
    for lineno, path in _api_reference_entries():
        try:
            obj = _resolve(path)
        except (ImportError, AttributeError):
            pytest.fail(f"doc/api.rst:{lineno}: {path} does not exist")
        documented[id(obj)] = path
    missing = [path for path, obj in PUBLIC.items() if id(obj) not in documented]
    assert not missing, (
        "add to doc/api.rst (python doc/sphinxext/make_api_rst.py > doc/api.rst): "
        + ", ".join(missing)
    )


@pytest.mark.parametrize("page", USER_GUIDE, ids=lambda p: p.name)
def test_user_guide_examples(page):
    result = doctest.testfile(
        str(page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        verbose=False,
    )
    assert result.failed == 0, f"{result.failed} failing example(s) in doc/user_guide/{page.name}"
