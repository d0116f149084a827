"""Every canned answer the CSMS gives is valid against the official response schema."""

from datetime import UTC, datetime

import pytest

from chargeline.csms.notifications import RESPONSES_V16, RESPONSES_V21, RESPONSES_V201
from chargeline.csms.versions import HANDLERS
from chargeline.ocpp.schemas import registry_for
from chargeline.ocpp.versions import OcppVersion

TABLES = [(OcppVersion.V16, RESPONSES_V16), (OcppVersion.V201, RESPONSES_V201), (OcppVersion.V21, RESPONSES_V21)]


@pytest.mark.parametrize(("version", "table"), TABLES)
def test_notification_answers_match_their_schemas(version, table) -> None:
    registry = registry_for(version)
    for action, response in table.items():
        if action == "NotifyPeriodicEventStream":
            continue  # a SEND: never answered
        if callable(response):
            response = response(SAMPLE_REQUESTS[action], datetime(2026, 1, 1, tzinfo=UTC))
        registry.validate_response(action, response)


HASH = {"hashAlgorithm": "SHA256", "issuerNameHash": "a" * 64, "issuerKeyHash": "b" * 64, "serialNumber": "01"}
SAMPLE_REQUESTS = {
    "GetCertificateChainStatus": {"certificateStatusRequests": [
        {"certificateHashData": HASH, "source": "OCSP", "urls": ["http://ocsp.example"]}]},
    "VatNumberValidation": {"vatNumber": "NL123456789B01", "evseId": 1},
}


@pytest.mark.parametrize("version", list(OcppVersion))
def test_every_handled_action_exists_in_the_version(version) -> None:
    registry = registry_for(version)
    assert set(HANDLERS[version]) <= registry.actions
