"""The layering of the package: subpackages import only downward, never to dodge a cycle."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sklearn_xas"

#: What each part of the package may import from sklearn_xas (besides itself). The
#: bottom layer (_core) holds the data model, frame validation, site helpers and the
#: X-ray physics every step shares.
ALLOWED = {
    "_version": set(),
    "exceptions": set(),
    "_core": {"exceptions"},
    "utils": {"exceptions", "_core"},
    "metrics": {"exceptions", "_core", "utils"},
    "datasets": {"exceptions", "_core", "utils"},
    "preprocessing": {"exceptions", "_core", "utils"},
    "targets": {"exceptions", "_core", "utils"},
    "featurizers": {"exceptions", "_core", "utils"},
    "estimators": {"exceptions", "_core", "utils", "metrics"},
    "simulate": {"exceptions", "_core", "utils", "datasets"},
    "plotting": {"exceptions", "_core", "utils", "preprocessing", "metrics"},
    "pipelines": {"exceptions", "_core", "utils", "preprocessing", "featurizers",
                  "estimators", "targets", "metrics"},
    "pretrained": {"exceptions", "_core", "utils", "datasets", "preprocessing", "featurizers",
                   "estimators", "pipelines", "targets", "metrics", "simulate"},
}
#: Tools that sit above everything: the command line and its demo, the top-level lazy names,
#: and the developer tools that list every estimator.
TOP = {"_cli", "_demo", "__init__", "__main__", "utils.discovery", "utils._test_common"}


def _part(module):
    """``sklearn_xas.a.b`` -> ``a`` (``utils.discovery`` kept whole)."""
    parts = module.split(".")[1:]
    if not parts:
        return "__init__"
    if parts[0] == "utils" and len(parts) > 1 and f"utils.{parts[1]}" in TOP:
        return f"utils.{parts[1]}"
    return parts[0]


def _imports():
    """(module, imported sklearn_xas module, line, at function level) for every file."""
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        is_pkg = path.name == "__init__.py"
        tree = ast.parse(path.read_text())
        parents = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                parents[child] = node
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".")
                    base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                targets = [target]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            scope = parents.get(node)
            while scope is not None and not isinstance(
                    scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
                scope = parents.get(scope)
            in_function = isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef))
            for target in targets:
                if target == "sklearn_xas" or target.startswith("sklearn_xas."):
                    yield module, target, node.lineno, in_function


def test_layers_cover_every_subpackage():
    parts = {_part("sklearn_xas." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts))
             for p in PACKAGE.rglob("*.py")}
    assert parts <= set(ALLOWED) | TOP, parts - set(ALLOWED) - TOP


def test_imports_go_downward_only():
    bad = []
    for module, target, line, _ in _imports():
        src, dst = _part(module), _part(target)
        if src in TOP or src == dst or dst == "__init__" and target == "sklearn_xas":
            if src not in TOP and target == "sklearn_xas":
                bad.append(f"{module}:{line} imports the top-level package")
            continue
        if dst not in ALLOWED[src] and dst != "_version":
            bad.append(f"{module}:{line} ({src}) imports {target} ({dst})")
    assert not bad, "\n".join(bad)


def test_no_function_level_import_of_the_package_below_the_top():
    """Function-level imports are for heavy optional libraries, not for our own modules."""
    bad = [f"{module}:{line} imports {target} inside a function"
           for module, target, line, in_function in _imports()
           if in_function and _part(module) not in TOP]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("name", ["check_frame", "edge_energy", "XASDataset"])
def test_bottom_layer_names_are_reexported_where_users_look(name):
    import sklearn_xas._core as core
    from sklearn_xas import datasets, preprocessing, utils

    obj = getattr(core, name)
    assert any(getattr(mod, name, None) is obj for mod in (datasets, preprocessing, utils))


def test_every_extra_named_in_the_package_exists():
    """Error messages and docs that say ``pip install 'sklearn-xas[X]'`` name real extras."""
    import re

    import tomllib

    extras = set(tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())
                 ["project"]["optional-dependencies"])
    named = {}
    for path in [*PACKAGE.rglob("*.py"), *(PACKAGE.parent / "doc").rglob("*.rst"),
                 PACKAGE.parent / "README.md"]:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"sklearn-xas\[([\w,-]+)\]|extra=\"(\w+)\"|``(\w+)`` extra", text):
            for name in filter(None, m.groups()):
                for extra in name.split(","):
                    named.setdefault(extra, path.name)
    missing = {e: f for e, f in named.items() if e not in extras and e != "none"}
    assert not missing, f"extras named but not in pyproject.toml: {missing}"
