"""`chargeline bench` end to end, small: against our own server and against the `ocpp`-package reference."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "benchmarks" / "reference" / "ocpp_package_csms.py"


def bench(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "chargeline", "bench", "--duration", "2", "--warmup", "0.5",
                           "--processes", "1", *args], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_own_server_stores_exactly_what_was_acknowledged(version: str) -> None:
    result = bench("--stations", "20", "--ocpp", version)
    assert result["errors"] == 0 and result["booted"] == 20
    assert result["calls_per_s"] > 0 and result["round_trip_ms"]["p99"] >= result["round_trip_ms"]["p50"] > 0
    assert result["server_cpu_us_per_call"] > 0 and result["rss_kb_per_idle_connection"] > 0
    assert 0 < result["server_main_thread_utilisation"] <= result["server_cpu_utilisation"]
    stored = result["stored_vs_acknowledged"]
    assert stored["meter_values"]["acknowledged"] > 0
    assert result["nothing_lost_or_doubled"] is True, stored


@pytest.fixture
def reference() -> Any:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, str(REFERENCE), "--port", str(port)], stdout=subprocess.PIPE,
                               text=True)
    assert process.stdout is not None
    assert "listening" in process.stdout.readline()
    yield process, port
    process.terminate()
    process.wait(timeout=30)


def test_the_reference_csms_answers_the_mix_and_is_measured(reference: Any) -> None:
    process, port = reference
    result = bench("--url", f"ws://127.0.0.1:{port}/ocpp/", "--server-pid", str(process.pid), "--stations", "20")
    assert result["errors"] == 0 and result["booted"] == 20, result["error_samples"]
    assert result["calls_per_s"] > 0 and result["server_cpu_us_per_call"] > 0
    assert "nothing_lost_or_doubled" not in result  # another CSMS's storage is not ours to count


def test_server_pid_needs_a_url_and_a_process() -> None:
    done = subprocess.run([sys.executable, "-m", "chargeline", "bench", "--server-pid", "1"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "--url" in done.stderr
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "chargeline", "bench", "--url", "ws://127.0.0.1:9/ocpp/",
                           "--server-pid", "999999999"], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "no process 999999999" in done.stderr
    assert time.monotonic() - started < 30


QUIET_CSMS = """
import asyncio, json, sys
from websockets.asyncio.server import serve

ANSWERED = int(sys.argv[1])  # the calls answered (a BootNotification's answer) before it falls silent

async def main():
    async def quiet(ws):
        answered = 0
        async for text in ws:
            if answered < ANSWERED:
                call = json.loads(text)
                await ws.send(json.dumps([3, call[1], {"status": "Accepted", "currentTime": "2026-01-01T00:00:00Z",
                                                       "interval": 300}]))
                answered += 1
    async with serve(quiet, "127.0.0.1", 0, subprotocols=["ocpp1.6"]) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()

asyncio.run(main())
"""


@pytest.mark.parametrize(("answered", "option", "booted", "error"), [
    (0, ["--boot-timeout", "2"], 0, "TimeoutError"),  # not even the boot
    (1, ["--call-timeout", "1"], 3, "no answer within 1 s"),  # the boot, then nothing
])
def test_a_csms_that_stops_answering_is_reported_not_waited_for(answered: int, option: list[str], booted: int,
                                                                error: str) -> None:
    process = subprocess.Popen([sys.executable, "-c", QUIET_CSMS, str(answered)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        started = time.monotonic()
        result = bench("--url", f"ws://127.0.0.1:{port}/ocpp/", "--stations", "3", *option)
        assert time.monotonic() - started < 60
        assert result["errors"] == 3 and result["booted"] == booted and result["connected"] == 3
        assert all(error in e for e in result["error_samples"]), result["error_samples"]
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_load_process_that_fails_counts_its_stations_as_errors(tmp_path: Path) -> None:
    from chargeline.bench.runner import _worker_result

    with open(tmp_path / "worker-0.err", "wb") as stderr:
        worker = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit('picows: out of sockets')"],
                                  stderr=stderr)
    result = _worker_result(worker, tmp_path, 0, 500)
    assert result["errors"] == 500
    assert result["error_samples"] == ["load process 0 failed (exit 1): picows: out of sockets"]


def test_a_load_process_that_hangs_is_stopped_and_counted(tmp_path: Path) -> None:
    from chargeline.bench.runner import _worker_result

    with open(tmp_path / "worker-1.err", "wb") as stderr:
        worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], stderr=stderr)
    result = _worker_result(worker, tmp_path, 1, 7, timeout=1.0)
    assert worker.returncode is not None  # killed, not left behind
    assert result == {"errors": 7, "error_samples": ["load process 1 did not finish within 1 s"]}


def test_the_server_is_measured_with_its_child_processes() -> None:
    """Our server's message log has a writer process: the server's CPU and memory include it."""
    from chargeline.bench.runner import _cpu_seconds, _family, _main_thread_cpu_seconds, _rss_bytes

    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5: pass\ntime.sleep(60)"
    parent = subprocess.Popen([sys.executable, "-c", f"import subprocess, sys, time\n"
                               f"subprocess.Popen([sys.executable, '-c', {burn!r}])\ntime.sleep(60)"])
    try:
        for _ in range(100):
            if _cpu_seconds(parent.pid) >= 0.5:
                break
            time.sleep(0.1)
        assert _cpu_seconds(parent.pid) >= 0.5  # the child's half second of CPU is counted
        assert _main_thread_cpu_seconds(parent.pid) < 0.4  # the parent's own thread did little
        assert _rss_bytes(parent.pid) > 2 * 4 * 2**20  # two interpreters
    finally:
        for child in _family(parent.pid)[1:]:
            subprocess.run(["kill", str(child)], check=False)
        parent.kill()
        parent.wait()



def test_station_clocks_follow_the_wall_clock_and_never_repeat() -> None:
    """Stations stamp messages with the time of day, as real ones do (a network's samples arrive
    in time order, which the stores' time-first keys expect), each later than the one before."""
    from datetime import UTC, datetime, timedelta
    from itertools import pairwise

    from chargeline.bench.mix import StationMix

    def stamp(payload: dict[str, Any]) -> datetime | None:
        text = payload.get("timestamp") or (payload.get("meterValue") or [{}])[0].get("timestamp")
        return None if text is None else datetime.fromisoformat(text)

    for version in ("1.6", "2.0.1"):
        busy = StationMix("a", version, 1)
        stamps = [s for s in (stamp(busy.next()[1]) for _ in range(2_000)) if s is not None]
        assert len(stamps) > 1_000
        # many calls within one millisecond: still a later time at each
        assert all(later > earlier for earlier, later in pairwise(stamps))
        time.sleep(0.5)
        fresh = StationMix("b", version, 2)
        first = next(s for s in (stamp(fresh.next()[1]) for _ in range(13)) if s is not None)
        assert abs(first - datetime.now(UTC)) < timedelta(milliseconds=250)  # the time of day, not a call count
