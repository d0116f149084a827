"""Every vector of the shared file, through the Python API, the typer app and the real CLI process."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from chargeline.domain.smart_charging import vectors
from chargeline.smart_charging_cli import app
from tests.smart_charging.helpers import VECTORS

DATA = vectors.load_vectors(VECTORS)
TOL = vectors.tolerance(DATA)


def _ids(group: str) -> list[str]:
    return [v["id"] for v in DATA[group]]


def _vector(group: str, vid: str) -> dict[str, Any]:
    return next(v for v in DATA[group] if v["id"] == vid)


def test_file_counts_match_contents() -> None:
    counts = DATA["counts"]
    assert len(DATA["composite_vectors"]) == counts["composite"]
    assert len(DATA["allocation_vectors"]) == counts["allocation"]
    assert len(DATA["tou_vectors"]) == counts["tou"]
    assert pytest.approx(1e-3) == TOL


@pytest.mark.parametrize("vid", _ids("composite_vectors"))
def test_composite_vector(vid: str) -> None:
    vector = _vector("composite_vectors", vid)
    assert vectors.compare_composite(vector["expected"], vectors.composite_case(vector), TOL) == []


@pytest.mark.parametrize("vid", _ids("allocation_vectors"))
def test_allocation_vector(vid: str) -> None:
    vector = _vector("allocation_vectors", vid)
    assert vectors.compare_allocation(vector, vectors.allocation_case(vector), TOL) == []


@pytest.mark.parametrize("vid", _ids("tou_vectors"))
def test_tou_vector(vid: str) -> None:
    vector = _vector("tou_vectors", vid)
    assert vectors.compare_tou(vector, vectors.tou_case(vector), TOL) == []


def _check_composite_output(output: dict[str, Any]) -> None:
    assert set(output) == set(_ids("composite_vectors"))
    for vector in DATA["composite_vectors"]:
        assert vectors.compare_composite(vector["expected"], output[vector["id"]]["expected"], TOL) == [], vector["id"]


def _check_allocate_output(output: dict[str, Any]) -> None:
    assert set(output) == set(_ids("allocation_vectors")) | set(_ids("tou_vectors"))
    for vector in DATA["allocation_vectors"]:
        assert set(output[vector["id"]]) == {"expected", "expected_total_W"}
        assert vectors.compare_allocation(vector, output[vector["id"]], TOL) == [], vector["id"]
    for vector in DATA["tou_vectors"]:
        assert set(output[vector["id"]]) == {"expected_txprofile", "expected_unserved_Wh"}
        assert vectors.compare_tou(vector, output[vector["id"]], TOL) == [], vector["id"]


def test_typer_app_composite_and_allocate() -> None:
    runner = CliRunner()
    composite = runner.invoke(app, ["composite", "--vectors", str(VECTORS)])
    assert composite.exit_code == 0, composite.output
    _check_composite_output(orjson.loads(composite.output))
    allocate = runner.invoke(app, ["allocate", "--vectors", str(VECTORS)])
    assert allocate.exit_code == 0, allocate.output
    _check_allocate_output(orjson.loads(allocate.output))


def _run_cli(*args: str) -> Any:
    """`python -m chargeline smart-charging ...`: stdout must be exactly one JSON object."""
    done = subprocess.run(
        [sys.executable, "-m", "chargeline", "smart-charging", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout
    parsed = orjson.loads(lines[0])
    assert isinstance(parsed, dict)
    return parsed


def test_cli_composite_subprocess() -> None:
    _check_composite_output(_run_cli("composite", "--vectors", str(VECTORS)))


def test_cli_allocate_subprocess() -> None:
    _check_allocate_output(_run_cli("allocate", "--vectors", str(VECTORS)))


def test_cli_bench_prints_figures() -> None:
    figures = _run_cli("bench", "--iterations", "3", "--evses", "60", "--rounds", "2")
    assert figures["composite"]["profiles"] == 20
    assert figures["composite"]["periods_out"] > 1
    assert figures["allocation"]["evses"] == 60
    assert figures["allocation"]["mean_ms"] >= 0


def test_cli_rejects_missing_file(tmp_path: Any) -> None:
    result = CliRunner().invoke(app, ["composite", "--vectors", str(tmp_path / "absent.json")])
    assert result.exit_code != 0
