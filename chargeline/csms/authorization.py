"""Authorization (C): id tokens, groups, and the Authorize message."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from chargeline.csms.context import Ctx
from chargeline.domain.authorization import Decision, Token, decide, id_tag_info, id_token_info, token_key
from chargeline.domain.clock import format_utc
from chargeline.store.schema import id_token_groups, id_tokens

_QUERY = (select(id_tokens, id_token_groups.c.name.label("group_name"), id_token_groups.c.status.label("g_status"),
                 id_token_groups.c.expires_at.label("g_expires"))
          .select_from(id_tokens.outerjoin(id_token_groups, id_tokens.c.group_id == id_token_groups.c.id)))


def load_token(conn: Connection, value: str) -> Token | None:
    row = conn.execute(_QUERY.where(id_tokens.c.key == token_key(value))).mappings().first()
    if row is None:
        return None
    return Token(row["id_token"], row["token_type"], row["status"], row["expires_at"], row["group_id"],
                 row["group_name"], row["g_status"], row["g_expires"], row["language"])


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
