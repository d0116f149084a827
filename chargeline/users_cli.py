"""`chargeline users …`: dashboard accounts (name, password, role), next to API keys.

Register with `app.add_typer(users_cli.app, name="users")`; also runnable as
`python -m chargeline.users_cli add NAME --role operator`. The password is asked for twice
(hidden), or read from `CHARGELINE_USER_PASSWORD` for scripts; it is stored as a salted scrypt hash.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from chargeline.api_cli import ConfigOption, DatabaseOption, _settings, _time, _with_db
from chargeline.gateway.credentials import hash_password
from chargeline.store.api_keys import ROLES
from chargeline.ui.accounts import check_name, check_password, create_user, list_users, set_disabled, set_password

app = typer.Typer(help="Dashboard user accounts (roles: viewer, operator, admin).", no_args_is_help=True,
                  add_completion=False)
console = Console()

PasswordOption = Annotated[str, typer.Option(
    prompt=True, hide_input=True, confirmation_prompt=True, envvar="CHARGELINE_USER_PASSWORD",
    help="Asked for when not given (env: CHARGELINE_USER_PASSWORD); at least 12 characters.")]


def _checked_password(password: str) -> str:
    try:
        check_password(password)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--password") from None
    return hash_password(password)


@app.command("add")
def add(name: Annotated[str, typer.Argument(help="Login name (case-insensitive).")],
        role: Annotated[str, typer.Option(help="viewer (read), operator (read, commands, tokens) or admin (all).")],
        password: PasswordOption, config: ConfigOption = None, database: DatabaseOption = None) -> None:
    """Add a user who logs in to the dashboard with a name and a password."""
    if role not in ROLES:
        raise typer.BadParameter(f"one of {', '.join(ROLES)}", param_hint="--role")
    try:
        name = check_name(name)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="NAME") from None
    digest = _checked_password(password)
    try:
        user = _with_db(_settings(config, database), lambda conn: create_user(conn, name, role, digest, "cli"))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="NAME") from None
    console.print(f"user {user.name} ({user.role}) added", highlight=False)


@app.command("list")
def list_(config: ConfigOption = None, database: DatabaseOption = None) -> None:
    """List users (never their passwords)."""
    table = Table("id", "name", "role", "created", "last login", "disabled")
    for r in _with_db(_settings(config, database), list_users):
        table.add_row(str(r["id"]), r["name"], r["role"], _time(r["created_at"]), _time(r["last_login_at"]),
                      _time(r["disabled_at"]))
    console.print(table)


@app.command("passwd")
def passwd(name: Annotated[str, typer.Argument(help="Login name.")], password: PasswordOption,
           config: ConfigOption = None, database: DatabaseOption = None) -> None:
    """Set a new password (open sessions stay until they expire or the user is disabled)."""
    digest = _checked_password(password)
    if not _with_db(_settings(config, database), lambda conn: set_password(conn, name, digest)):
        raise typer.BadParameter(f"no user {name!r}", param_hint="NAME")
    console.print(f"password of {name} changed", highlight=False)


@app.command("disable")
def disable(name: Annotated[str, typer.Argument(help="Login name.")],
            enable: Annotated[bool, typer.Option("--enable", help="Enable the user again instead.")] = False,
            config: ConfigOption = None, database: DatabaseOption = None) -> None:
    """Disable a user: the login and every open session stop working within seconds."""
    if not _with_db(_settings(config, database), lambda conn: set_disabled(conn, name, not enable)):
        raise typer.BadParameter(f"no user {name!r}", param_hint="NAME")
    console.print(f"user {name} {'enabled' if enable else 'disabled'}", highlight=False)


if __name__ == "__main__":
    app()

