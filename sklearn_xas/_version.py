"""The version of sklearn-xas (one literal, read by setuptools and by the package)."""

__version__ = "0.2.0.dev0"
