"""A real `chargeline serve` with a configuration file of sites, fast loop timers and API keys per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import ApiServer, create_key, start_api_server
from tests.conftest import cli

# Rounds follow events quickly, run every second anyway, and every round is kept in the load history.
FAST = {"CHARGELINE_SC_DEBOUNCE_S": "0.05", "CHARGELINE_SC_LOAD_SAMPLE_S": "0", "CHARGELINE_HEARTBEAT_JITTER": "0"}


def serve_with(tmp: Path, config: str, *extra: str, stations: tuple[str, ...] = (), env: dict[str, str] | None = None,
               allow_unknown: bool = False) -> ApiServer:
    database = f"sqlite:///{tmp / 'chargeline.db'}"
    for station in stations:
        from tests.e2e.stations import PASSWORD

        cli("stations", "add", station, "--password", PASSWORD, database=database)
    cli("tokens", "add", "TAG-OK", database=database)
    cli("tokens", "add", "TAG-FLEET", "--group", "FLEET", database=database)
    keys = {role: create_key(database, role) for role in ("admin", "operator", "viewer")}
    path = tmp / "chargeline.toml"
    path.write_text(config)
    args = ["--config", str(path), *extra]
    if allow_unknown:
        args.append("--allow-unknown-stations")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**FAST, **(env or {})}.items():
            patch.setenv(name, value)
        server = start_api_server(database, tmp / "server.log", *args)
    server.keys = keys
    return server


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """No sites configured; stations CP-A, CP-B, CP-C exist (for the site API tests)."""
    tmp = tmp_path_factory.mktemp("sites")
    server = serve_with(tmp, "[chargeline]\nsmart_charging_interval = 1\n", stations=("CP-A", "CP-B", "CP-C"))
    yield server
    assert server.process.stop() == 0
    assert "Traceback" not in server.logs()
