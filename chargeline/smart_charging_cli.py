"""`chargeline smart-charging ...`: run the shared vectors and the benchmarks; one JSON object on stdout."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from chargeline.domain.smart_charging import bench as benchmarks
from chargeline.domain.smart_charging import vectors as vector_file

app = typer.Typer(
    help="Smart charging: composite schedules, site allocation, time-of-use, benchmarks.", no_args_is_help=True
)

VectorsOption = Annotated[
    Path,
    typer.Option("--vectors", exists=True, dir_okay=False, readable=True, help="smart_charging_vectors.json format"),
]


def _emit(result: Any) -> None:
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


@app.command()
def composite(vectors: VectorsOption) -> None:
    """Composite schedule of every composite vector: {"<id>": {"expected": <composite>}}."""
    _emit(vector_file.composite_results(vector_file.load_vectors(vectors)))


@app.command()
def allocate(vectors: VectorsOption) -> None:
    """Allocation vectors (expected, expected_total_W) and TOU vectors (expected_txprofile, expected_unserved_Wh)."""
    _emit(vector_file.allocation_results(vector_file.load_vectors(vectors)))


@app.command()
def bench(
    iterations: Annotated[int, typer.Option(min=1, help="composite calculations to time")] = 500,
    evses: Annotated[int, typer.Option(min=1, help="EVSEs in the allocation site")] = 1000,
    rounds: Annotated[int, typer.Option(min=1, help="allocation rounds to time")] = 20,
) -> None:
    """Timings: composite (20 profiles, 24 h) and one allocation round (1,000 EVSEs under circuits)."""
    _emit(benchmarks.run_bench(iterations, evses, rounds))
