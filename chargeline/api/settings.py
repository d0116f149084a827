"""Operator-API settings that `chargeline.config.Settings` does not carry (yet).

Read from `Settings.extra` when present, else from CHARGELINE_* environment variables, else
the defaults below, so they can be tuned without a code change.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any

from chargeline.config import Settings


@dataclass(frozen=True, slots=True)
class ApiSettings:
    webhook_retry_base: float = 5.0  # seconds before the 2nd attempt; x4 per attempt after that
    webhook_retry_max: float = 3600.0  # longest wait between two attempts
    webhook_timeout: float = 10.0  # seconds for the receiver to answer
    webhook_concurrency: int = 20  # deliveries in flight at once
    sse_keepalive: float = 15.0  # seconds between keep-alive comments on an idle event stream
    key_cache_ttl: float = 10.0  # seconds an API key lookup is trusted (revocation takes effect within it)
    max_command_queue: int = 100  # commands waiting per station before new ones are refused

    @classmethod
    def load(cls, settings: Settings, environ: dict[str, str] | None = None) -> ApiSettings:
        environ = dict(os.environ) if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = settings.extra.get(f.name, environ.get(f"CHARGELINE_{f.name.upper()}"))
            if raw is not None:
                values[f.name] = type(getattr(cls(), f.name))(raw)
        return cls(**values)
