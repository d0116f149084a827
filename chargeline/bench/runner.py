"""Runs a benchmark: optionally starts `chargeline serve`, spreads the stations over load-generator
processes, measures the server (CPU, RSS) and, on our own server, checks the stored rows against
what the generator saw acknowledged."""

from __future__ import annotations

import asyncio
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class BenchOptions:
    url: str | None = None  # None: start our own server
    stations: int = 1000
    version: str = "1.6"
    duration: float = 20.0
    warmup: float = 2.0
    processes: int = 2
    rate: float | None = None  # calls/s per station; None = closed loop, as fast as answers come
    database: str = "sqlite"  # sqlite | postgres | a SQLAlchemy URL
    postgres_admin: str = "postgresql://postgres@127.0.0.1:5432/test"
    id_prefix: str = "BENCH-"
    connect_window: float = 0.0  # spread connection attempts over this many seconds (0 = all at once)
    verify: bool = True
    server_pid: int | None = None  # with `url`: a server process on this machine to measure (CPU, RSS)
    call_timeout: float = 60.0  # an unanswered call: an error, and its station stops
    boot_timeout: float = 300.0  # every station connected and booted by then, or counted as an error


def _family(pid: int) -> list[int]:
    """`pid` and its descendants (our server's message-log writer is one): the server's whole cost."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, ()))
    return found


def _cpu_seconds(pid: int) -> float:
    total = 0
    for member in _family(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def _main_thread_cpu_seconds(pid: int) -> float:
    """The CPU of the process's first thread (an event loop's, on an asyncio server): busy all the
    time, it is the limit however idle the other core is."""
    try:
        fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _rss_bytes(pid: int) -> int:
    total = 0
    for member in _family(pid):
        try:
            total += int(Path(f"/proc/{member}/statm").read_text().split()[1]) * PAGE
        except OSError:
            continue
    return total


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


class OwnServer:
    def __init__(self, options: BenchOptions, workdir: Path):
        self.options = options
        self.workdir = workdir
        self.pg_name: str | None = None
        self.url = ""

    def database_url(self) -> str:
        db = self.options.database
        if db == "sqlite":
            return f"sqlite:///{self.workdir / 'bench.db'}"
        if db == "postgres":
            self.pg_name = f"chargeline_bench_{uuid.uuid4().hex[:8]}"
            asyncio.run(_pg(self.options.postgres_admin, f'CREATE DATABASE "{self.pg_name}"'))
            return f"{self.options.postgres_admin.rsplit('/', 1)[0]}/{self.pg_name}"
        return db

    def start(self, station_ids: list[str]) -> None:
        self.db_url = self.database_url()
        asyncio.run(_register(self.db_url, station_ids))
        env = {**os.environ, "CHARGELINE_LOG_LEVEL": "warning"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "chargeline", "serve", "--host", "127.0.0.1", "--port", "0", "--api-port", "0",
             "--allow-unknown-stations", "--database", self.db_url],
            stdout=subprocess.PIPE, stderr=open(self.workdir / "server.log", "w"), text=True, env=env)  # noqa: SIM115
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        match = re.search(r":(\d+)/ocpp/", line)
        if not match:
            raise RuntimeError(f"server did not start: {(self.workdir / 'server.log').read_text()[-2000:]}")
        self.url = f"ws://127.0.0.1:{match.group(1)}/ocpp/"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=120)

    def drop(self) -> None:
        if self.pg_name:
            asyncio.run(_pg(self.options.postgres_admin, f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))


async def _pg(admin: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin.replace("postgresql://", "postgres://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _register(db_url: str, station_ids: list[str]) -> None:
    """Known stations, as in a real network (unknown ones would each cost a registration)."""
    from chargeline.domain.clock import utcnow
    from chargeline.store.database import create_engine, migrate
    from chargeline.store.schema import stations

    engine = create_engine(db_url)
    try:
        await migrate(engine)
        now = utcnow()
        rows = [{"id": sid.casefold(), "display_id": sid, "security_profile": 0, "boot_policy": "Accepted",
                 "lenient": False, "created_at": now} for sid in station_ids]
        async with engine.begin() as conn:
            for chunk in range(0, len(rows), 5000):
                await conn.execute(stations.insert(), rows[chunk:chunk + 5000])
    finally:
        await engine.dispose()


async def _count_rows(db_url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from chargeline.store.database import create_engine
    from chargeline.store.schema import boots, meter_values, status_history, transaction_events, transactions

    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            async def count(table: Any, *where: Any) -> int:
                return int((await conn.execute(select(func.count()).select_from(table).where(*where))).scalar() or 0)

            return {"boots": await count(boots), "transactions": await count(transactions),
                    "transactions_ended": await count(transactions, transactions.c.status == "ended"),
                    "transaction_events": await count(transaction_events),
                    "meter_values": await count(meter_values), "status_history": await count(status_history)}
    finally:
        await engine.dispose()


def _expected_rows(acked: dict[str, int], stations: int, version: str) -> dict[str, int]:
    if version == "1.6":
        return {"boots": stations, "transactions": acked.get("StartTransaction", 0),
                "transactions_ended": acked.get("StopTransaction", 0),
                "meter_values": 4 * acked.get("MeterValues", 0),
                "status_history": acked.get("StatusNotification", 0)}
    started, ended = acked.get("TransactionEvent.Started", 0), acked.get("TransactionEvent.Ended", 0)
    return {"boots": stations, "transactions": started, "transactions_ended": ended,
            "transaction_events": started + ended, "meter_values": 4 * acked.get("MeterValues", 0) + started + ended,
            "status_history": acked.get("StatusNotification", 0)}


def run(options: BenchOptions) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="chargeline-bench-"))
    server = OwnServer(options, workdir) if options.url is None else None
    pid: int | None
    if server is not None:
        server.start(station_ids(options))
        url, pid = server.url, server.proc.pid
    else:
        assert options.url is not None
        url, pid = options.url.rstrip("/") + "/", options.server_pid
        if pid is not None and not Path(f"/proc/{pid}/stat").exists():
            raise ValueError(f"no process {pid} on this machine to measure")
    try:
        return _measure(options, url, pid, server, workdir)
    finally:
        if server is not None:
            if server.proc.poll() is None:
                server.stop()
            server.drop()


def _worker_result(worker: subprocess.Popen[bytes], workdir: Path, n: int, stations: int,
                   timeout: float | None = None) -> dict[str, Any]:
    """A load process's result; one that failed (or outlived `timeout`) counts each of its stations
    as an error, with its reason."""
    try:
        code = worker.wait(timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
        return {"errors": stations, "error_samples": [f"load process {n} did not finish within {timeout:.0f} s"]}
    out = workdir / f"worker-{n}.json"
    if code == 0 and out.exists():
        result: dict[str, Any] = orjson.loads(out.read_bytes())
        return result
    lines = (workdir / f"worker-{n}.err").read_text(errors="replace").strip().splitlines()
    reason = lines[-1] if lines else "no output"
    return {"errors": stations, "error_samples": [f"load process {n} failed (exit {code}): {reason}"]}


def station_ids(options: BenchOptions) -> list[str]:
    return [f"{options.id_prefix}{i}" for i in range(options.stations)]


def _measure(options: BenchOptions, url: str, pid: int | None, server: OwnServer | None,
             workdir: Path) -> dict[str, Any]:
    ids = station_ids(options)
    go_file = workdir / "go"
    shares = [ids[i::options.processes] for i in range(options.processes)]
    rss_base = _rss_bytes(pid) if pid else None
    workers = []
    for n, share in enumerate(shares):
        args = {"url": url, "ids": share, "version": options.version, "seed": n * len(ids) + 1,
                "duration": options.duration, "warmup": options.warmup, "rate": options.rate,
                "connect_window": options.connect_window, "go_file": str(go_file), "boot_timeout": options.boot_timeout,
                "call_timeout": options.call_timeout,
                "out": str(workdir / f"worker-{n}.json")}
        command = [sys.executable, "-m", "chargeline.bench.loadgen", orjson.dumps(args).decode()]
        with open(workdir / f"worker-{n}.err", "wb") as stderr:
            workers.append(subprocess.Popen(command, stderr=stderr))
    storm_started = time.perf_counter()
    # wait for the boot storm: the server's boots table is not visible here, so watch the connections settle
    rss_idle = None
    time.sleep(1.0)
    if pid:
        last, stable_since = -1, time.perf_counter()
        while time.perf_counter() - stable_since < 2.0 and time.perf_counter() - storm_started < options.boot_timeout:
            rss = _rss_bytes(pid)
            if rss != last:
                last, stable_since = rss, time.perf_counter()
            time.sleep(0.25)
        rss_idle = _rss_bytes(pid)
    go_file.write_text("go")
    time.sleep(options.warmup)
    cpu0 = _cpu_seconds(pid) if pid else None
    main0 = _main_thread_cpu_seconds(pid) if pid else 0.0
    t0 = time.perf_counter()
    time.sleep(options.duration)
    cpu1 = _cpu_seconds(pid) if pid else None
    main1 = _main_thread_cpu_seconds(pid) if pid else 0.0
    measured = time.perf_counter() - t0
    # every station ends its run by now: its last call answered or timed out
    grace = options.warmup + options.call_timeout + 60
    results = [_worker_result(worker, workdir, n, len(shares[n]), grace) for n, worker in enumerate(workers)]
    latencies = sorted(x for r in results for x in r.get("latencies", []))
    calls = len(latencies)
    acked: dict[str, int] = {}
    for r in results:
        for k, v in r.get("acked", {}).items():
            acked[k] = acked.get(k, 0) + v
    connect = [x for r in results for x in r.get("connect_times", [])]
    boots = [x for r in results for x in r.get("boot_times", [])]
    out: dict[str, Any] = {
        "scenario": {"stations": options.stations, "ocpp": options.version, "duration_s": options.duration,
                     "mode": f"fixed {options.rate}/s per station" if options.rate else "closed loop",
                     "server": "chargeline serve" if server else url, "database": options.database if server else None,
                     "load_processes": options.processes},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "calls_per_s": round(calls / measured, 1),
        "round_trip_ms": {"p50": round(_percentile(latencies, 0.50) * 1000, 2),
                          "p95": round(_percentile(latencies, 0.95) * 1000, 2),
                          "p99": round(_percentile(latencies, 0.99) * 1000, 2)},
        "errors": sum(r.get("errors", 0) for r in results),
        "error_samples": [e for r in results for e in r.get("error_samples", [])][:5],
        "connected": len(connect), "booted": len(boots),
        "connection_storm_s": round(max(connect), 2) if connect else None,
        "boot_storm_s": round(max(boots), 2) if boots else None,
        "load_generator_cpu_s": round(sum(r.get("cpu_seconds", 0.0) for r in results), 2),
    }
    if pid and cpu0 is not None and cpu1 is not None and calls:
        out["server_cpu_us_per_call"] = round((cpu1 - cpu0) * 1e6 / calls, 1)
        out["server_cpu_utilisation"] = round((cpu1 - cpu0) / measured, 2)
        out["server_main_thread_utilisation"] = round((main1 - main0) / measured, 2)
    if rss_base is not None and rss_idle is not None and boots:
        out["server_rss_mb"] = round(rss_idle / 2**20, 1)
        out["rss_kb_per_idle_connection"] = round((rss_idle - rss_base) / 1024 / len(boots), 1)
    if server is not None and options.verify:
        server.stop()  # graceful: the best-effort records are flushed too
        stored = asyncio.run(_count_rows(server.db_url))
        expected = _expected_rows(acked, len(boots), options.version)
        out["acknowledged"] = acked
        out["stored_vs_acknowledged"] = {k: {"stored": stored.get(k), "acknowledged": v} for k, v in expected.items()}
        out["nothing_lost_or_doubled"] = all(stored.get(k) == v for k, v in expected.items())
    return out
