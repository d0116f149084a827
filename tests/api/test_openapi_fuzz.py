"""Property-based run against the served OpenAPI document: no generated request may cause a server error.

Schemathesis generates valid and invalid requests for every operation of `/openapi.json` and
sends them to a real `chargeline serve`. Left out: the endless event stream, webhook
subscriptions (their generated URLs would be called) and revoking API keys (would revoke the
key the run uses).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error

from tests.api.conftest import ApiServer, prepare, start_api_server

EXAMPLES = 8


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    tmp = tmp_path_factory.mktemp("fuzz")
    database = f"sqlite:///{tmp / 'chargeline.db'}"
    keys = prepare(database)
    server = start_api_server(database, tmp / "server.log")
    server.keys = keys
    yield server
    assert server.process.stop() == 0


def _operations(server: ApiServer) -> list[Any]:
    schema: Any = schemathesis.openapi.from_url(f"{server.api}/openapi.json")
    schema = (schema.exclude(path="/api/v1/events")
              .exclude(path_regex=r"^/api/v1/webhooks", method=["POST", "PATCH"])
              .exclude(path="/api/v1/api-keys/{key_id}", method="DELETE"))
    results: list[Any] = list(schema.get_all_operations())
    return [result.ok() for result in results]


def test_no_server_error(fuzz_server: ApiServer) -> None:
    operations = _operations(fuzz_server)
    assert len(operations) > 90
    headers = fuzz_server.headers("admin")
    failures: dict[str, str] = {}
    for operation in operations:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error], timeout=30)

        try:
            run()
        except Exception as exc:  # keep going: report every operation that failed
            failures[operation.label] = str(exc)[:2000]
    assert not failures, "\n\n".join(f"{label}:\n{error}" for label, error in failures.items())
    assert "Traceback" not in fuzz_server.logs()
