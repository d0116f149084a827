"""`chargeline simulate`: N simulated charging stations against any OCPP CSMS.

Registered on the main app with `app.command("simulate")(simulate_cli.simulate)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from chargeline.ocpp.versions import OcppVersion
from chargeline.station import aio
from chargeline.station.clock import SimClock
from chargeline.station.config import StationConfig
from chargeline.station.progress import show, summary
from chargeline.station.scenario import Scenario, load
from chargeline.station.simulator import Simulator
from chargeline.station.store import StateDb

DEFAULT_TAGS = "SIM-TAG-1,SIM-TAG-2,SIM-TAG-3"


def build(scenario: Scenario, *, url: str | None, stations: int | None, ocpp: str | None, id_prefix: str | None,
          password: str | None, acceleration: float | None, tags: str | None, arrivals: float | None,
          duration: float | None, state: Path | None, seed: int | None, ramp: float) -> tuple[Simulator, float | None]:
    """Merge the command line (wins) with the scenario file; returns the simulator and the real run time."""
    version = OcppVersion.parse(ocpp) if ocpp else (scenario.version or OcppVersion.V16)
    base_url = url or scenario.url or "ws://127.0.0.1:9000/ocpp"
    factor = acceleration or scenario.acceleration or 1.0
    common: dict[str, object] = {"url": base_url, "version": version}
    if password:
        common.update(password=password, security_profile=1)
    configs: list[StationConfig]
    if scenario.stations and stations is None and id_prefix is None:
        configs = [cfg.with_overrides(**common) for cfg in scenario.stations]
    else:
        count = stations or scenario.station_count or 1
        prefix = id_prefix if id_prefix is not None else (scenario.id_prefix or "SIM-")
        configs = [StationConfig.from_dict({**scenario.template, "id": f"{prefix}{n}"}, **common)
                   for n in range(1, count + 1)]
    real = duration if duration is not None else (scenario.span / factor if scenario.span else None)
    if scenario.start is not None:
        clock = SimClock(factor, scenario.start)
    elif real is not None and factor > 1:
        clock = SimClock.ending_now(factor, real * factor)
    else:
        clock = SimClock(factor)
    tag_list = [t.strip() for t in tags.split(",") if t.strip()] if tags else (scenario.tags or
                                                                               DEFAULT_TAGS.split(","))
    per_day = arrivals if arrivals is not None else (scenario.arrivals_per_day if scenario.arrivals_per_day
                                                     is not None else (0.0 if scenario.visits else 4.0))
    sim = Simulator(configs, clock=clock, db=StateDb(state) if state else StateDb(), tags=tag_list,
                    arrivals_per_day=per_day, visits=scenario.visits, events=scenario.events,
                    seed=seed if seed is not None else scenario.seed, ramp=ramp)
    return sim, real


DRAIN_S = 10.0  # the offline queues' time to deliver what the stop queued
CLOSE_TIMEOUT_S = 5.0  # each close handshake; all sockets close at the same time
WATCHDOG_S = 90.0  # last resort: exit anyway if the stop has not finished by then (never expected)


async def run(sim: Simulator, real_seconds: float | None, console: Console, live: bool) -> None:
    """Run for `real_seconds` from the start (ramp included) or until a signal, then stop in bounded time.

    First SIGINT/SIGTERM: the clean stop (same as the end of --duration). Second: hurry, i.e. skip
    what is left of the drain and abort the sockets. Third: exit immediately.
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = 0

    def on_signal(sig: signal.Signals) -> None:
        nonlocal signals
        signals += 1
        if signals == 1:
            stop.set()
        elif signals == 2:
            print(f"chargeline simulate: {sig.name} again, stopping without waiting (once more to exit at once)",
                  file=sys.stderr, flush=True)
            sim.hurry()
        else:
            os._exit(128 + sig)

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal, sig)
    display = loop.create_task(show(sim, console), name="progress") if live else None
    starter = loop.create_task(sim.start(), name="ramp")
    waiter = loop.create_task(stop.wait(), name="stop-signal")
    timeout = None if real_seconds is None else max(0.0, sim.stats.started + real_seconds - time.monotonic())
    try:
        await asyncio.wait([waiter], timeout=timeout)  # the stations power on meanwhile
    finally:
        watchdog = threading.Timer(WATCHDOG_S, _give_up)
        watchdog.daemon = True
        watchdog.start()
        await aio.cancel_and_wait([t for t in (waiter, starter, display) if t is not None], what="helpers")
        await sim.stop(DRAIN_S, CLOSE_TIMEOUT_S)
        await aio.cancel_and_wait(asyncio.all_tasks() - {asyncio.current_task()}, what="leftover tasks")
        watchdog.cancel()
    failure = None if starter.cancelled() else starter.exception()
    if failure is not None:
        raise failure


def _give_up() -> None:
    print(f"chargeline simulate: the stop did not finish within {WATCHDOG_S:.0f} s; exiting", file=sys.stderr,
          flush=True)
    os._exit(2)


def simulate(
    url: Annotated[str | None, typer.Option("--url", help="CSMS endpoint; the station id is appended "
                                             "(default ws://127.0.0.1:9000/ocpp).")] = None,
    stations: Annotated[int | None, typer.Option("--stations", min=1, help="Number of stations (default 1).")
                        ] = None,
    ocpp: Annotated[str | None, typer.Option("--ocpp", help="OCPP version: 1.6, 2.0.1 or 2.1 (default 1.6).")
                    ] = None,
    id_prefix: Annotated[str | None, typer.Option("--id-prefix", help="Station ids are <prefix><index>, from 1 "
                                                  "(default SIM-).")] = None,
    duration: Annotated[float | None, typer.Option("--duration", min=0, help="Stop cleanly after this many "
                                                   "(real) seconds; default: until Ctrl-C or the scenario ends.")
                        ] = None,
    config: Annotated[Path | None, typer.Option("--config", exists=True, dir_okay=False,
                                                help="Scenario file (TOML): stations, EVs, events.")] = None,
    password: Annotated[str | None, typer.Option("--password", envvar="CHARGELINE_SIM_PASSWORD",
                                                 help="HTTP Basic password for security profile 1 (default none).")
                        ] = None,
    acceleration: Annotated[float | None, typer.Option("--acceleration", min=0.001, help="Simulated seconds per "
                                                       "real second (default 1).")] = None,
    tags: Annotated[str | None, typer.Option("--tags", help="Comma-separated id tags the EVs present.")] = None,
    arrivals: Annotated[float | None, typer.Option("--arrivals-per-day", min=0, help="Random EV arrivals per "
                                                   "EVSE per simulated day (default 4).")] = None,
    state: Annotated[Path | None, typer.Option("--state", help="SQLite file for the stations' non-volatile "
                                               "memory (default: in memory).")] = None,
    ramp: Annotated[float, typer.Option("--ramp", min=1, help="Stations powered on per second.")] = 200.0,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (repeatable runs).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No live progress, only the summary.")] = False,
    log_level: Annotated[str, typer.Option("--log-level", help="debug, info, warning or error.")] = "warning",
) -> None:
    """Simulate charging stations with EVs arriving, charging and leaving, against a CSMS."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    console = Console()
    try:
        scenario = load(config) if config else Scenario()
        sim, real = build(scenario, url=url, stations=stations, ocpp=ocpp, id_prefix=id_prefix, password=password,
                          acceleration=acceleration, tags=tags, arrivals=arrivals, duration=duration, state=state,
                          seed=seed, ramp=ramp)
    except (ValueError, OSError) as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(f"simulating {len(sim.stations)} OCPP {sim.version.label} station(s) against "
                  f"{sim.stations[0].cfg.url} (x{sim.clock.factor:g} time)", highlight=False)
    try:
        import uvloop
    except ImportError:
        asyncio.run(run(sim, real, console, not quiet))
    else:
        uvloop.run(run(sim, real, console, not quiet))
    console.print(summary(sim), highlight=False, soft_wrap=True)
    if not sim.stats.ever_connected:
        raise typer.Exit(1)
