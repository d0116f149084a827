"""The `chargeline` command line."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from chargeline import api_cli, simulate_cli, smart_charging_cli, users_cli
from chargeline.config import Settings, load_settings
from chargeline.domain.clock import parse_station_time

app = typer.Typer(help="Chargeline: OCPP 1.6J / 2.0.1 / 2.1 central system and station simulator.",
                  no_args_is_help=True, add_completion=False)
stations_app = typer.Typer(help="Charging stations known to the CSMS.", no_args_is_help=True)
tokens_app = typer.Typer(help="Id tokens (RFID cards, app tokens) and their groups.", no_args_is_help=True)
app.add_typer(stations_app, name="stations")
app.add_typer(tokens_app, name="tokens")
app.add_typer(smart_charging_cli.app, name="smart-charging")
app.command("simulate")(simulate_cli.simulate)
app.add_typer(api_cli.app, name="api-keys")
app.add_typer(users_cli.app, name="users")

console = Console()
T = TypeVar("T")

ConfigOption = Annotated[Path | None, typer.Option("--config", envvar="CHARGELINE_CONFIG",
                                                   help="TOML configuration file.")]
DatabaseOption = Annotated[str | None, typer.Option(
    "--database", help="SQLAlchemy URL (default sqlite:///chargeline.db). Env: CHARGELINE_DATABASE.")]


def _settings(config: Path | None, **overrides: Any) -> Settings:
    try:
        return load_settings(config, overrides)
    except (ValueError, OSError) as exc:
        raise typer.BadParameter(str(exc)) from None


def _with_db(settings: Settings, unit: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    from chargeline.store.database import create_engine, migrate

    async def main() -> T:
        engine = create_engine(settings.database)
        try:
            await migrate(engine)
            async with engine.begin() as conn:
                return await unit(conn)
        finally:
            await engine.dispose()

    return asyncio.run(main())


@app.command()
def serve(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default 0.0.0.0).")] = None,
    port: Annotated[int | None, typer.Option(help="OCPP WebSocket port (default 9000).")] = None,
    api_port: Annotated[int | None, typer.Option(help="REST API and dashboard port (default 8080).")] = None,
    database: DatabaseOption = None,
    allow_unknown_stations: Annotated[bool | None, typer.Option(
        "--allow-unknown-stations/--no-allow-unknown-stations",
        help="Register unknown stations on first connection (development and tests only).")] = None,
    log_level: Annotated[str | None, typer.Option(help="debug, info, warning or error.")] = None,
) -> None:
    """Run the CSMS: stations connect to ws://HOST:PORT/ocpp/<stationId>."""
    from chargeline.server import serve as run_server

    run_server(_settings(config, host=host, port=port, api_port=api_port, database=database,
                         allow_unknown_stations=allow_unknown_stations, log_level=log_level))


@stations_app.command("add")
def stations_add(
    station_id: Annotated[str, typer.Argument(help="The identity the station uses in its URL.")],
    password: Annotated[str | None, typer.Option(help="HTTP Basic password (security profile 1).")] = None,
    security_profile: Annotated[int, typer.Option(help="0 = no authentication, 1 = HTTP Basic.")] = 1,
    boot: Annotated[str, typer.Option(help="Answer to its BootNotification: Accepted, Pending or Rejected.")
                    ] = "Accepted",
    lenient: Annotated[bool, typer.Option(
        "--lenient/--strict", help="Accept (log and count) schema violations from this station.")] = False,
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Add a station (or change its settings)."""
    from chargeline.store.stations import add_station

    if security_profile not in (0, 1):
        raise typer.BadParameter("this command sets profile 0 or 1", param_hint="--security-profile")
    settings = _settings(config, database=database)
    try:
        _with_db(settings, lambda conn: add_station(conn, station_id, password, security_profile,
                                                    lenient=lenient, boot_policy=boot))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(f"station [bold]{station_id}[/] saved (security profile {security_profile})")


@stations_app.command("list")
def stations_list(config: ConfigOption = None, database: DatabaseOption = None) -> None:
    """List stations with their boot state and last contact."""
    from chargeline.store.stations import list_stations

    rows = _with_db(_settings(config, database=database), list_stations)
    table = Table("station", "profile", "boot", "vendor", "model", "firmware", "last seen")
    for r in rows:
        table.add_row(r["display_id"], str(r["security_profile"]), r["boot_status"] or "-", r["vendor"] or "-",
                      r["model"] or "-", r["firmware_version"] or "-", _time(r["last_seen_at"]))
    console.print(table)


@tokens_app.command("add")
def tokens_add(
    id_tag: Annotated[str, typer.Argument(help="The token value (idTag / idToken).")],
    status: Annotated[str, typer.Option(help="Accepted, Blocked, Expired or Invalid.")] = "Accepted",
    expires: Annotated[str | None, typer.Option(help="Expiry, ISO 8601 (UTC if no offset).")] = None,
    group: Annotated[str | None, typer.Option(help="Group (parent id tag).")] = None,
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Add an id token (or update it)."""
    from chargeline.store.stations import add_token

    expiry: datetime | None = None
    if expires:
        try:
            expiry = parse_station_time(expires)
        except ValueError:
            raise typer.BadParameter(f"not an ISO 8601 time: {expires}", param_hint="--expires") from None
    try:
        _with_db(_settings(config, database=database), lambda conn: add_token(conn, id_tag, status, expiry, group))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(f"token [bold]{id_tag}[/] saved ({status})")


@tokens_app.command("list")
def tokens_list(config: ConfigOption = None, database: DatabaseOption = None) -> None:
    """List id tokens."""
    from chargeline.store.stations import list_tokens

    rows = _with_db(_settings(config, database=database), list_tokens)
    table = Table("id token", "status", "expires", "group")
    for r in rows:
        table.add_row(r["id_token"], r["status"], _time(r["expires_at"]), r["group_id"] or "-")
    console.print(table)


@app.command()
def bench(
    url: Annotated[str | None, typer.Option(help="CSMS endpoint (ws://HOST:PORT/ocpp/); default: start our own.")
                   ] = None,
    stations: Annotated[int, typer.Option(help="Simulated stations (connections).")] = 1000,
    ocpp: Annotated[str, typer.Option(help="1.6, 2.0.1 or 2.1.")] = "1.6",
    duration: Annotated[float, typer.Option(help="Measured seconds.")] = 20.0,
    warmup: Annotated[float, typer.Option(help="Seconds of load before measuring.")] = 2.0,
    processes: Annotated[int, typer.Option(help="Load-generator processes.")] = 2,
    rate: Annotated[float | None, typer.Option(help="Calls/s per station (fixed rate); default closed loop.")
                    ] = None,
    database: Annotated[str, typer.Option(help="Own server's database: sqlite, postgres or a URL.")] = "sqlite",
    connect_window: Annotated[float, typer.Option(help="Spread connection attempts over N seconds.")] = 0.0,
    server_pid: Annotated[int | None, typer.Option(help="With --url: the server's process id, to measure its "
                                                        "CPU and memory.")] = None,
    call_timeout: Annotated[float, typer.Option(help="Seconds a station waits for an answer before it counts "
                                                     "an error and stops; its connection and boot get the "
                                                     "boot timeout.")] = 60.0,
    boot_timeout: Annotated[float, typer.Option(help="Seconds for every station to connect and boot.")] = 300.0,
) -> None:
    """Load-test a CSMS with a realistic OCPP message mix and print one JSON result."""
    import orjson

    from chargeline.bench.runner import BenchOptions, run
    from chargeline.ocpp.versions import OcppVersion

    try:
        version = OcppVersion.parse(ocpp).label
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--ocpp") from None
    if server_pid is not None and url is None:
        raise typer.BadParameter("--server-pid measures a server given by --url", param_hint="--server-pid")
    try:
        result = run(BenchOptions(url=url, stations=stations, version=version, duration=duration, warmup=warmup,
                                  processes=max(1, processes), rate=rate, database=database,
                                  connect_window=connect_window, server_pid=server_pid,
                                  call_timeout=call_timeout, boot_timeout=boot_timeout))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--server-pid") from None
    typer.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


def _time(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "-"


def main() -> None:
    app()
