"""`chargeline api-keys …`: create (the key is printed once), list and revoke operator API keys.

Register with `app.add_typer(api_cli.app, name="api-keys")`; also runnable as
`python -m chargeline.api_cli create --role admin`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Connection

from chargeline.config import Settings, load_settings
from chargeline.store.api_keys import ROLES, create_api_key, list_api_keys, revoke_api_key

app = typer.Typer(help="API keys for the operator API (roles: viewer, operator, admin).", no_args_is_help=True,
                  add_completion=False)
console = Console()
err_console = Console(stderr=True)
T = TypeVar("T")

ConfigOption = Annotated[Path | None, typer.Option("--config", envvar="CHARGELINE_CONFIG",
                                                   help="TOML configuration file.")]
DatabaseOption = Annotated[str | None, typer.Option(
    "--database", help="SQLAlchemy URL (default sqlite:///chargeline.db). Env: CHARGELINE_DATABASE.")]


def _settings(config: Path | None, database: str | None) -> Settings:
    try:
        return load_settings(config, {"database": database})
    except (ValueError, OSError) as exc:
        raise typer.BadParameter(str(exc)) from None


def _with_db(settings: Settings, unit: Callable[[Connection], T]) -> T:
    """Migrate, then run `unit` in one transaction (a CLI process is its own single writer)."""
    from chargeline.store.database import create_engine, migrate
    from chargeline.store.database import create_sync_engine as sync_engine

    async def upgrade() -> None:
        engine = create_engine(settings.database)
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(upgrade())
    engine = sync_engine(settings.database)
    try:
        with engine.begin() as conn:
            return unit(conn)
    finally:
        engine.dispose()


@app.command("create")
def create(
    role: Annotated[str, typer.Option(help="viewer (read), operator (read, commands, tokens) or admin (all).")],
    name: Annotated[str, typer.Option(help="What the key is for; shown in lists and the audit log.")] = "cli",
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Create a key and print it once: only its hash is stored."""
    if role not in ROLES:
        raise typer.BadParameter(f"one of {', '.join(ROLES)}", param_hint="--role")
    record, key = _with_db(_settings(config, database), lambda conn: create_api_key(conn, name, role, "cli"))
    err_console.print(f"API key {record.id} ({record.name}, {record.role}) created. It is shown only now:",
                      highlight=False)
    print(key, flush=True)


@app.command("list")
def list_(config: ConfigOption = None, database: DatabaseOption = None) -> None:
    """List keys (never the keys themselves)."""
    rows = _with_db(_settings(config, database), list_api_keys)
    table = Table("id", "name", "role", "prefix", "created", "last used", "revoked")
    for r in rows:
        table.add_row(str(r["id"]), r["name"], r["role"], r["prefix"], _time(r["created_at"]),
                      _time(r["last_used_at"]), _time(r["revoked_at"]))
    console.print(table)


@app.command("revoke")
def revoke(key_id: Annotated[int, typer.Argument(help="The key's id (see `list`).")],
           config: ConfigOption = None, database: DatabaseOption = None) -> None:
    """Revoke a key; it stops working within seconds on every node."""
    if not _with_db(_settings(config, database), lambda conn: revoke_api_key(conn, key_id)):
        raise typer.BadParameter(f"no active key {key_id}", param_hint="KEY_ID")
    console.print(f"API key {key_id} revoked")


def _time(value: object) -> str:
    return value.isoformat(timespec="seconds") if hasattr(value, "isoformat") else "-"


if __name__ == "__main__":
    app()
