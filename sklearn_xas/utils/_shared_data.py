"""Locate the project's shared real-data folder (tests and benchmarks only)."""

import os
from pathlib import Path

from .._core import extract_archive

SHARED_DATA_ENV = "SKLEARN_XAS_SHARED_DATA"


def shared_data_dir():
    """Return the shared data folder, or ``None`` when it is absent.

    ``$SKLEARN_XAS_SHARED_DATA``, when set, is the only place looked at (set it to a
    folder that does not exist to run the tests as on a machine without the data);
    otherwise ``../shared/data`` relative to the project root (the folder holding
    ``sklearn_xas/``), then relative to the current directory.
    """
    env = os.environ.get(SHARED_DATA_ENV)
    if env:
        candidates = [Path(env)]
    else:
        candidates = [
            Path(__file__).resolve().parents[2] / ".." / "shared" / "data",
            Path.cwd() / ".." / "shared" / "data",
        ]
    for path in candidates:
        if path.is_dir():
            return path.resolve()
    return None


def shared_archive(name):
    """Extract ``name`` from the shared data folder (cached) and return its root.

    Returns ``None`` when the shared folder or the archive is absent.
    """

    root = shared_data_dir()
    if root is None or not (root / name).is_file():
        return None
    return extract_archive(root / name)
