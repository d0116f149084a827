"""The tree stays lint- and type-clean: `ruff check` and `mypy` (configured in pyproject.toml) pass."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("tool", [["ruff", "check", "."], ["mypy", "--no-incremental"]], ids=["ruff", "mypy"])
def test_clean(tool: list[str]) -> None:
    found = subprocess.run([sys.executable, "-m", *tool], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert found.returncode == 0, found.stdout[-4000:] + found.stderr[-2000:]
