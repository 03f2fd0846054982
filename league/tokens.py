"""Tokens that let a request change something through the event server (uploads, lap-timer input).

Reading is open to anyone on the venue's network; writing needs the token of the event or race it
writes to, shown to the organiser in the app (and by ``trackside serve``) and typed or scanned by the
people who may write: a racer handing in a model, a lap-timer box. One token per scope:
``raceday:<event id>`` for a race-day event, ``race:<race id>`` for a league race. Tokens are random
(``secrets.token_urlsafe``), kept in ``server_tokens`` (migration ``league-006-server-tokens``), and
compared in constant time. Rotating a token makes the old one useless at once.
"""

from __future__ import annotations

import hmac
import secrets

import sqlite_utils

from .db import LeagueError, now_iso, writing

TOKEN_BYTES = 12
"""Random bytes in a token: 16 URL-safe characters, short enough to type from a screen."""


def scope_of(kind: str, ident: int) -> str:
    """``raceday:<id>`` or ``race:<id>``."""
    if kind not in ("raceday", "race"):
        raise LeagueError(f"token scope: expected raceday or race, got {kind!r}")
    return f"{kind}:{int(ident)}"


def token_for(db: sqlite_utils.Database, scope: str) -> str:
    """The scope's token, made on first use."""
    row = db.execute("SELECT token FROM server_tokens WHERE scope = ?", [scope]).fetchone()
    if row:
        return row[0]
    with writing(db):
        row = db.execute("SELECT token FROM server_tokens WHERE scope = ?", [scope]).fetchone()
        if row:  # another writer made it first
            return row[0]
        token = secrets.token_urlsafe(TOKEN_BYTES)
        db.conn.execute("INSERT INTO server_tokens (scope, token, created) VALUES (?, ?, ?)", [scope, token, now_iso()])
    return token


def rotate_token(db: sqlite_utils.Database, scope: str) -> str:
    """A new token for the scope; the old one stops working."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with writing(db):
        db.conn.execute("INSERT INTO server_tokens (scope, token, created) VALUES (?, ?, ?) ON CONFLICT(scope) "
                        "DO UPDATE SET token = excluded.token, created = excluded.created", [scope, token, now_iso()])
    return token


def check_token(db: sqlite_utils.Database, scope: str, given: str | None) -> bool:
    """True when ``given`` is the scope's token (compared in constant time); False for none or another."""
    row = db.execute("SELECT token FROM server_tokens WHERE scope = ?", [scope]).fetchone()
    if row is None or not given:
        return False
    return hmac.compare_digest(row[0].encode(), str(given).encode())
