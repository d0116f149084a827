"""The OCPP versions we speak and what differs between them on the wire."""

from __future__ import annotations

from enum import StrEnum


class OcppVersion(StrEnum):
    """An OCPP-J version, valued by its WebSocket subprotocol name."""

    V16 = "ocpp1.6"
    V201 = "ocpp2.0.1"
    V21 = "ocpp2.1"

    @property
    def schema_package(self) -> str:
        """Sub-package of the `ocpp` PyPI distribution that ships this version's schemas."""
        return {"ocpp1.6": "v16", "ocpp2.0.1": "v201", "ocpp2.1": "v21"}[self.value]

    @property
    def label(self) -> str:
        return {"ocpp1.6": "1.6", "ocpp2.0.1": "2.0.1", "ocpp2.1": "2.1"}[self.value]

    @property
    def is_v2(self) -> bool:
        return self is not OcppVersion.V16

    @classmethod
    def parse(cls, text: str) -> OcppVersion:
        """Accept '1.6', '2.0.1', '2.1' or the subprotocol names."""
        text = text.strip().lower()
        for version in cls:
            if text in (version.value, version.label):
                return version
        raise ValueError(f"unknown OCPP version {text!r}; expected 1.6, 2.0.1 or 2.1")


# Our preference when a station offers several versions (newest first).
PREFERRED_ORDER: tuple[OcppVersion, ...] = (OcppVersion.V21, OcppVersion.V201, OcppVersion.V16)
