"""One load-generator process: a share of the stations, each in a closed loop (one call outstanding).

Run as `python -m chargeline.bench.loadgen '<json args>'`; writes its results as JSON to args["out"].
The station side does no schema validation, builds frames from templates and speaks WebSocket
through picows (frames parsed in C, delivered by callback), so that the generator costs far less
CPU per call than the server it measures: on two cores every microsecond it spends is taken from
the server. Its own CPU is reported.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from chargeline.bench.mix import StationMix, frame

SUBPROTOCOLS = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1", "2.1": "ocpp2.1"}


@dataclass
class Window:
    """The measured interval, set once every station has booted."""

    measure_from: float = float("inf")
    stop_at: float = float("inf")


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    acked: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    connect_times: list[float] = field(default_factory=list)
    boot_times: list[float] = field(default_factory=list)

    def error(self, text: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(text[:300])


class StationSocket(WSListener):
    """One station's connection: `call` sends a frame and waits for the next text frame back."""

    def __init__(self) -> None:
        self.transport: WSTransport | None = None
        self._waiter: asyncio.Future[bytes] | None = None
        self._closed: str | None = None
        self.sent_at = 0.0  # of the call waiting for its answer (see `expire`)

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.TEXT:
            waiter, self._waiter = self._waiter, None
            if waiter is not None and not waiter.done():
                waiter.set_result(frame.get_payload_as_bytes())
        elif frame.msg_type == WSMsgType.CLOSE:
            self._closed = f"closed by the server: {frame.get_close_code()} {frame.get_close_message()!r}"
            transport.send_close(frame.get_close_code())
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._closed = self._closed or "connection lost"
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(ConnectionError(self._closed))

    async def call(self, message_id: str, action: str, payload: dict[str, Any]) -> list[Any]:
        if self._closed is not None or self.transport is None:
            raise ConnectionError(self._closed or "not connected")
        self._waiter = asyncio.get_running_loop().create_future()
        self.sent_at = time.perf_counter()
        self.transport.send(WSMsgType.TEXT, frame(message_id, action, payload))
        answer: list[Any] = orjson.loads(await self._waiter)
        return answer

    def expire(self, now: float, timeout: float) -> None:
        """Fail the waiting call if it has had no answer for `timeout` seconds."""
        waiter = self._waiter
        if waiter is not None and not waiter.done() and now - self.sent_at > timeout:
            self._waiter = None
            waiter.set_exception(TimeoutError(f"no answer within {timeout:g} s"))

    def close(self) -> None:
        if self.transport is not None and not self._closed:
            self._closed = "closed"
            self.transport.send_close()
            self.transport.disconnect()


async def station(url: str, station_id: str, version: str, seed: int, start_at: float, window: Window,
                  rate: float | None, tally: Tally, ready: asyncio.Event, sockets: list[StationSocket],
                  boot_timeout: float = 120.0) -> None:
    """One station: connect, boot, then calls until the window ends (a call without an answer
    within the call timeout fails the station: `watchdog`)."""
    mix = StationMix(station_id, version, seed)
    # one deadline for connecting and booting (TCP connect included: picows bounds the handshake only)
    booted_by = asyncio.get_running_loop().time() + boot_timeout
    try:
        async with asyncio.timeout_at(booted_by):
            _, ws = await ws_connect(StationSocket, url + station_id, websocket_handshake_timeout=60,
                                     extra_headers={"Sec-WebSocket-Protocol": SUBPROTOCOLS[version]})
    except Exception as exc:
        tally.error(f"connect: {exc!r}")
        return
    assert isinstance(ws, StationSocket)
    sockets.append(ws)
    tally.connect_times.append(time.perf_counter() - start_at)
    try:
        async with asyncio.timeout_at(booted_by):
            answer = await ws.call("b0", *mix.boot())
        if answer[0] != 3:
            tally.error(f"boot: {answer}")
            return
        tally.boot_times.append(time.perf_counter() - start_at)
        await ready.wait()  # every station of this process booted, and the runner said go
        n = 0
        interval = 1.0 / rate if rate else 0.0
        # a fixed rate starts at a random phase: stations of a real network do not call in lockstep
        next_at = time.perf_counter() + random.Random(seed).uniform(0.0, interval)
        while True:
            now = time.perf_counter()
            if now >= window.stop_at:
                return
            if interval:
                next_at += interval
                if next_at > now:
                    await asyncio.sleep(next_at - now)
            action, payload = mix.next()
            n += 1
            sent = time.perf_counter()
            answer = await ws.call(f"m{n}", action, payload)
            done = time.perf_counter()
            if answer[0] != 3:
                tally.error(f"{action}: {answer[2:4]}")
                continue
            mix.answer(action, answer[2])
            key = action if action != "TransactionEvent" else f"TransactionEvent.{payload['eventType']}"
            tally.acked[key] = tally.acked.get(key, 0) + 1
            if sent >= window.measure_from:
                tally.latencies.append(done - sent)
    except Exception as exc:
        tally.error(f"session: {exc!r}")
    finally:
        ws.close()


async def watchdog(sockets: list[StationSocket], timeout: float) -> None:
    """An unanswered call is an error, not a hang: one sweep a tenth of the timeout apart (at most
    a second) instead of a timer armed and cancelled around every call."""
    step = min(1.0, timeout / 10)
    while True:
        await asyncio.sleep(step)
        now = time.perf_counter()
        for ws in sockets:
            ws.expire(now, timeout)


async def main(args: dict[str, Any]) -> dict[str, Any]:
    tally = Tally()
    ready = asyncio.Event()
    start_at = time.perf_counter()
    connect_window = float(args.get("connect_window", 0.0))
    ids = args["ids"]
    window = Window()

    sockets: list[StationSocket] = []

    async def delayed(i: int, sid: str) -> None:
        if connect_window:
            await asyncio.sleep(connect_window * i / max(1, len(ids)))
        await station(args["url"], sid, args["version"], args["seed"] + i, start_at, window, args.get("rate"),
                      tally, ready, sockets, float(args.get("boot_timeout", 120)))

    tasks = [asyncio.create_task(delayed(i, sid)) for i, sid in enumerate(ids)]
    guard = asyncio.create_task(watchdog(sockets, float(args.get("call_timeout", 60))))
    # wait until every station has booted (or failed), then run the measured window
    deadline = start_at + float(args.get("boot_timeout", 120))
    while len(tally.boot_times) + tally.errors < len(ids) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    go_file = args.get("go_file")
    while go_file and not os.path.exists(go_file) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)  # the runner measures the server at rest first
    booted_at = time.perf_counter()
    window.measure_from = booted_at + float(args.get("warmup", 2.0))
    window.stop_at = window.measure_from + float(args["duration"])
    # The generator's own collector pauses (thousands of connections here too) must not be
    # counted as the server's latency: nothing is collected during the bounded measured run.
    gc.collect()
    gc.freeze()
    gc.disable()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    ready.set()
    await asyncio.gather(*tasks)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    guard.cancel()
    return {"latencies": tally.latencies, "acked": tally.acked, "errors": tally.errors,
            "error_samples": tally.error_samples, "connect_times": tally.connect_times,
            "boot_times": tally.boot_times, "measure_seconds": float(args["duration"]),
            "cpu_seconds": (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)}


if __name__ == "__main__":
    params = orjson.loads(sys.argv[1])
    try:
        import uvloop

        result = uvloop.run(main(params))
    except ImportError:
        result = asyncio.run(main(params))
    with open(params["out"], "wb") as out:
        out.write(orjson.dumps(result))
