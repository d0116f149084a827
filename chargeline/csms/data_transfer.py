"""DataTransfer (P): vendor extensions register here; everything received is stored."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from chargeline.csms.context import Ctx
from chargeline.csms.notifications import store_notification

# A vendor handler gets the context and the `data` field; it returns (status, data or None).
VendorHandler = Callable[[Ctx, Any], Awaitable[tuple[str, Any]]]


class DataTransferRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, dict[str | None, VendorHandler]] = {}

    def register(self, vendor_id: str, message_id: str | None, handler: VendorHandler) -> None:
        """`message_id=None` handles a DataTransfer of that vendor without a messageId."""
        self._handlers.setdefault(vendor_id, {})[message_id] = handler

    def lookup(self, vendor_id: str, message_id: str | None) -> VendorHandler | str:
        """The handler, or the status to answer with when there is none."""
        vendor = self._handlers.get(vendor_id)
        if vendor is None:
            return "UnknownVendorId"
        handler = vendor.get(message_id)
        return handler if handler is not None else "UnknownMessageId"


async def data_transfer(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    found = ctx.csms.data_transfers.lookup(p["vendorId"], p.get("messageId"))
    response: dict[str, Any]
    if isinstance(found, str):
        response = {"status": found}
    else:
        status, data = await found(ctx, p.get("data"))
        response = {"status": status} if data is None else {"status": status, "data": data}
    await store_notification(ctx, "DataTransfer", p, response, unique=False)
    return response
