"""The simulator stops cleanly and in bounded time: at --duration, on SIGTERM/SIGINT, and in a hurry.

The CLI runs as a real process against `chargeline serve`, with a few hundred stations and sessions
running at the stop. The bounds are generous: they check that the process exits (the bug was a stop
that never finished), not how fast.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from chargeline.simulate_cli import build
from chargeline.station import aio
from chargeline.station.scenario import Scenario
from chargeline.store.schema import transactions
from tests.station.conftest import rows


class _Peer:
    """An OcppPeer stand-in whose call waits with asyncio.wait_for, as OcppPeer.call does."""

    def __init__(self, answer: asyncio.Future[dict[str, Any]]):
        self.answer = answer

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return await asyncio.wait_for(self.answer, 30)


async def test_call_keeps_a_cancellation_that_races_the_answer() -> None:
    """The answer arrives in the same loop iteration as the cancel (3.11's wait_for then drops the cancel)."""
    answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(aio.call(_Peer(answer), "Authorize", {}))  # type: ignore[arg-type]
    await asyncio.sleep(0)
    answer.set_result({"idTokenInfo": {"status": "Accepted"}})
    task.cancel()
    await asyncio.wait([task], timeout=5)
    assert task.cancelled()


async def test_cancel_and_wait_cancels_again_and_is_bounded() -> None:
    release = asyncio.Event()
    survived: list[str] = []

    async def swallows_once() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            survived.append("first cancel")
        await asyncio.sleep(60)  # a second cancel ends it

    async def ignores_all() -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                pass

    once, stubborn = asyncio.create_task(swallows_once()), asyncio.create_task(ignores_all())
    await asyncio.sleep(0)
    began = time.monotonic()
    left = await aio.cancel_and_wait([once, stubborn], grace=0.6)
    assert time.monotonic() - began < 5
    assert once.cancelled() and survived == ["first cancel"]
    assert left == {stubborn}
    release.set()
    stubborn.cancel()
    await stubborn


async def _swallows_first_cancel() -> None:
    """What a driver or a station task did when a cancel was lost: carry on, then sleep for a long time."""
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        pass
    await asyncio.sleep(3600)


async def test_stop_is_bounded_when_tasks_lose_their_cancellation(csms) -> None:
    """A driver and a station task that ignore the first cancel no longer keep the stop waiting forever."""
    sim, _ = build(Scenario(), url=csms.url, stations=20, ocpp="2.0.1", id_prefix="LOST-", password=None,
                   acceleration=60, tags="TAG-A", arrivals=1000, duration=None, state=None, seed=3, ramp=200)
    await sim.start()
    assert await sim.wait_connected(30)
    lost = [asyncio.create_task(_swallows_first_cancel()), sim.stations[0].spawn(_swallows_first_cancel())]
    sim._tasks.append(lost[0])
    await asyncio.sleep(1.0)
    async with asyncio.timeout(60):  # the old stop waited for them forever
        report = await sim.stop(drain=5, close_timeout=2)
    assert all(t.cancelled() for t in lost)
    assert report.stragglers == 0
    assert report.closed_cleanly == 20


def _simulate(url: str, *args: str) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "chargeline", "simulate", "--url", url.rstrip("/"), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)

    threading.Thread(target=read, daemon=True).start()
    return proc, lines


def _wait_exit(proc: subprocess.Popen[str], lines: list[str], bound: float) -> float:
    began = time.monotonic()
    try:
        code = proc.wait(timeout=bound)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"simulate still running {bound:.0f} s later:\n{''.join(lines)[-3000:]}") from None
    time.sleep(0.2)  # the reader thread gets the last lines
    assert code == 0, "".join(lines)
    return time.monotonic() - began


def _stop_line(output: str) -> re.Match[str]:
    match = re.search(r"stopped in ([\d.]+) s( \(hurried\))? \(drain [\d.]+ s, close [\d.]+ s\): (\d+) running sessions ended, (\d+) messages left "
                      r"queued, (\d+) connections closed cleanly, (\d+) aborted", output)
    assert match, output
    assert "did not end when cancelled" not in output and "did not finish within" not in output, output
    return match


async def test_stop_at_duration_with_sessions_running(csms) -> None:
    """300 2.0.1 stations, nearly all charging when --duration ends: sessions end at the CSMS, all sockets close."""
    n = 300
    proc, lines = _simulate(csms.url, "--stations", str(n), "--ocpp", "2.0.1", "--id-prefix", "STOP-",
                            "--duration", "8", "--ramp", "300", "--acceleration", "60", "--arrivals-per-day", "1000",
                            "--tags", "TAG-A,TAG-B", "--seed", "5", "--quiet")
    _wait_exit(proc, lines, 8 + 90)
    output = "".join(lines)
    assert f"stations that connected: {n}/{n}" in output, output
    stop = _stop_line(output)
    assert int(stop[3]) > 0  # sessions were running at the stop
    assert int(stop[4]) == 0  # and their ends got through before the sockets closed
    assert int(stop[5]) + int(stop[6]) == n
    txs = [t for t in await rows(csms.database, transactions) if t["station_id"].startswith("stop-")]
    assert txs and all(t["status"] == "ended" for t in txs), [t for t in txs if t["status"] != "ended"][:3]


async def test_signals_stop_the_simulator(csms) -> None:
    """SIGTERM and SIGINT stop it cleanly; a second signal stops it at once, aborting the sockets."""
    n = 150
    cases = {"T": (signal.SIGTERM,), "I": (signal.SIGINT,), "H": (signal.SIGTERM, signal.SIGTERM)}
    runs = {tag: _simulate(csms.url, "--stations", str(n), "--ocpp", "1.6", "--id-prefix", f"SIG{tag}-",
                           "--ramp", "300", "--acceleration", "60", "--arrivals-per-day", "1000", "--tags", "TAG-A",
                           "--seed", "7")
            for tag in cases}
    deadline = time.monotonic() + 60
    for proc, lines in runs.values():
        while f"connected {n}/{n}" not in "".join(lines):  # the progress line (stdout is not a terminal)
            assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)
            await asyncio.sleep(0.2)
    for tag, sigs in cases.items():
        for sig in sigs:
            runs[tag][0].send_signal(sig)
            await asyncio.sleep(0.05)
    for tag, (proc, lines) in runs.items():
        _wait_exit(proc, lines, 60)
        output = "".join(lines)
        stop = _stop_line(output)
        if tag == "H":
            assert stop[2], output
            assert int(stop[5]) == 0 and int(stop[6]) > 0  # no close handshakes: the sockets were aborted
        else:
            assert not stop[2], output
            assert int(stop[5]) > 0 and int(stop[5]) + int(stop[6]) == n
