"""Sphinx configuration of the sklearn-xas documentation.

Build from a clean checkout (no warnings allowed)::

    .venv/bin/python -m sphinx -W -b html doc doc/_build/html
"""

import os
import re
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "sphinxext"))

# The gallery's models are small: one thread each is as fast as several and is immune
# to oversubscription on a busy machine. Set before scikit-learn and torch load.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import sklearn_xas  # noqa: E402

# -- Project -----------------------------------------------------------------------------
project = "sklearn-xas"
author = "The sklearn-xas developers"
copyright = "2026, The sklearn-xas developers"  # noqa: A001
release = sklearn_xas.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "xas_docs",
]
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    # The gallery's sources: sphinx-gallery reads them and writes auto_examples/.
    "examples",
    "**.ipynb_checkpoints",
    # Fragments that the results page includes; not pages of their own.
    "results/**",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.json",
    "auto_examples/*.md5",
]
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"
# Docstrings write the Fourier transform's magnitude as |chi(R)|, which reST would read
# as a substitution: define it (and its k-space sibling) as the literal text.
rst_prolog = """
.. |chi(R)| replace:: \\|chi(R)\\|
.. |chi(k)| replace:: \\|chi(k)\\|
"""

# -- API reference (autosummary + numpydoc) -------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# Names with a trailing underscore (fitted attributes) in docstrings' plain text, as in
# "ndarray of shape (n_features_in_,)", would read as reST references: escape them once
# numpydoc has rendered the docstring, leaving literals, roles and bold text alone.
_KEEP = re.compile(r"(``.*?``|:[\w:]+:`[^`]*`|`[^`]*`_{0,2}|\*\*[^*]+\*\*)")
_TRAILING_UNDERSCORE = re.compile(r"(?<=[A-Za-z0-9])_(?=[\s,;:.)\]]|$)")


def _escape_trailing_underscores(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        parts = _KEEP.split(line)
        parts[::2] = [_TRAILING_UNDERSCORE.sub(r"\\_", part) for part in parts[::2]]
        lines[i] = "".join(parts)


# scikit-learn's metadata-routing methods (set_fit_request, ...) are generated on every
# estimator class; their docstrings point into scikit-learn's own documentation.
_SKIPPED_MEMBERS = re.compile(r"^(set_\w+_request|get_metadata_routing)$")


def _skip_member(app, what, name, obj, skip, options):
    if _SKIPPED_MEMBERS.match(name):
        return True
    return None


def setup(app):
    app.connect("autodoc-process-docstring", _escape_trailing_underscores, priority=900)
    app.connect("autodoc-skip-member", _skip_member)


# -- Gallery -----------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": ["examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("sklearn_xas",),
    "reference_url": {"sklearn_xas": None},
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "plot_gallery": os.environ.get("SKLEARN_XAS_PLOT_GALLERY", "True"),
    "download_all_examples": False,
    "show_memory": False,
    "min_reported_time": 1,
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "remove_config_comments": True,
}
# Examples run headless.
os.environ.setdefault("MPLBACKEND", "Agg")
# Keep third-party chatter out of the executed examples' output.
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=FutureWarning)

# -- HTML --------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-xas {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "install": [], "quickstart": [], "results": []}
html_show_sourcelink = False
