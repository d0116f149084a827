"""What every route needs: the CSMS, the API settings, the key cache and the webhook dispatcher."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import Request
from sqlalchemy.engine import Connection

from chargeline.api.settings import ApiSettings

if TYPE_CHECKING:
    from chargeline.api.auth import KeyCache
    from chargeline.api.webhooks import WebhookDispatcher
    from chargeline.csms.app import Csms

T = TypeVar("T")


@dataclass(slots=True)
class ApiContext:
    csms: Csms
    settings: ApiSettings
    keys: KeyCache
    webhooks: WebhookDispatcher
    closing: asyncio.Event = field(default_factory=asyncio.Event)  # set on shutdown: event streams end

    async def write(self, unit: Callable[[Connection], T]) -> T:
        """Run a write in the CSMS's group-commit writer (the only writer of the database)."""
        return await self.csms.writer.run(unit)

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run a read on the asyncio engine."""
        async with self.csms.engine.connect() as conn:
            return await conn.run_sync(fn)

    def publish(self, type_: str, station_id: str | None, **data: Any) -> None:
        self.csms.events.publish(type_, station_id, **data)


def get_ctx(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx
