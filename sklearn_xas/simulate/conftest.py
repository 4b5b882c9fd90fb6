"""Doctest collection for :mod:`sklearn_xas.simulate`: FEFF10's examples need the extra."""

import importlib.util

# The examples of _feff10.py run FEFF10 (a few seconds each); without feff10-rs (the
# ``xanes`` extra) they are not collected, so the suite passes without it.
collect_ignore = [] if importlib.util.find_spec("feff10") else ["_feff10.py"]
