"""The type hints hold: mypy over the package as it is installed (hooks/, policies/ and
server_hooks/ land inside enforcer/ only there)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_mypy_is_clean(tmp_path: Path) -> None:
    source, target = tmp_path / "src", tmp_path / "site"  # build from a copy: pip leaves build/ behind
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", "build", "bench", "*.egg-info",
                                                                "__pycache__", ".pytest_cache"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(source)],
                   check=True, capture_output=True)
    proc = subprocess.run([sys.executable, "-m", "mypy", "-p", "enforcer", "--ignore-missing-imports",
                           "--cache-dir", str(tmp_path / "cache")], cwd=target, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
