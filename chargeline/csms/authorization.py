"""Authorization (C): id tokens, groups, and the Authorize message."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from chargeline.csms.context import Ctx
from chargeline.domain.authorization import Decision, Token, decide, id_tag_info, id_token_info, token_key
from chargeline.domain.clock import format_utc
from chargeline.store.driver import plain

_QUERY = ("SELECT t.id_token, t.token_type, t.status, t.expires_at, t.group_id, g.name, g.status, g.expires_at, "
          "t.language FROM id_tokens t LEFT JOIN id_token_groups g ON t.group_id = g.id WHERE t.key = ?")


def load_token(conn: Connection, value: str) -> Token | None:
    """The token and its group (one indexed read; runs once per Authorize, Start and Stop)."""
    sql = plain(conn)
    row = sql.one(conn, _QUERY, (token_key(value),))
    if row is None:
        return None
    id_token, token_type, status, expires, group_id, group_name, g_status, g_expires, language = row
    return Token(id_token, token_type, status, sql.read_time(expires), group_id, group_name, g_status,
                 sql.read_time(g_expires), language)


def authorize(conn: Connection, value: str, now: datetime, presented_type: str | None = None
              ) -> tuple[Decision, Token | None]:
    token = load_token(conn, value)
    return decide(token, now, presented_type), token


def tag_info(decision: Decision) -> dict[str, Any]:
    return id_tag_info(decision, format_utc)


def token_info(decision: Decision, token: Token | None) -> dict[str, Any]:
    return id_token_info(decision, format_utc, token.language if token else None)


async def _decide(ctx: Ctx, value: str, presented_type: str | None) -> tuple[Decision, Token | None]:
    now = ctx.received_at

    def unit(conn: Connection) -> tuple[Decision, Token | None]:
        return authorize(conn, value, now, presented_type)

    decision, token = await ctx.csms.writer.run(unit)
    ctx.csms.events.publish("authorize", ctx.station.display_id, status=decision.status)
    return decision, token


async def authorize_v16(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    decision, _ = await _decide(ctx, p["idTag"], None)
    return {"idTagInfo": tag_info(decision)}


async def authorize_v2(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    id_token = p["idToken"]
    decision, token = await _decide(ctx, id_token["idToken"], id_token["type"])
    return {"idTokenInfo": token_info(decision, token)}
