"""``asv check``: every module of benchmarks/ imports and every benchmark's signature is valid.

asv imports every module of ``benchmarks/`` (the ``script_*.py`` results scripts too), so
this also catches a script that fails to import.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_asv_check():
    pytest.importorskip("asv")
    if shutil.which("git") is None:
        pytest.skip("asv needs git")
    result = subprocess.run(
        [sys.executable, "-m", "asv", "check", "-E", "existing:same"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "No problems found" in output, output

