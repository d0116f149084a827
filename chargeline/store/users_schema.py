"""Dashboard accounts: people who log in with a name and a password, and their browser sessions.

On the shared `metadata` (one schema, one migration history); revision 0004 creates the tables.
A session is a random token in an HttpOnly cookie; only its SHA-256 is stored. It belongs either
to a user or to the API key that was used to log in, so revoking the key or disabling the user
ends the session too.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table

from chargeline.store.schema import UtcDateTime, metadata

_ID = BigInteger().with_variant(Integer, "sqlite")

users = Table(
    "users", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),  # as typed; shown in lists and the audit log
    Column("name_key", String(64), nullable=False, unique=True),  # casefolded: names are case-insensitive
    Column("role", String(10), nullable=False),  # admin | operator | viewer
    Column("password_hash", String(200), nullable=False),  # salted scrypt; the password is never stored
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(120)),
    Column("last_login_at", UtcDateTime),
    Column("disabled_at", UtcDateTime),
)

ui_sessions = Table(
    "ui_sessions", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 of the cookie value
    Column("user_id", _ID, ForeignKey("users.id", ondelete="CASCADE")),
    Column("api_key_id", _ID, ForeignKey("api_keys.id", ondelete="CASCADE")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("remote", String(64)),
    Index("ix_ui_sessions_expires", "expires_at"),
)
