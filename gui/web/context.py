"""What every route of the event server needs (see :mod:`gui.web`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request

from .bus import LiveBus

TOKEN_HEADER = "X-Trackside-Token"
"""Where a write request carries its token (or the ``token`` form/query field)."""


@dataclass
class WebContext:
    """Shared by the routes of one server."""

    bus: LiveBus = field(default_factory=LiveBus)
    timer_sink: Callable[[dict], dict] | None = None
    """The app's running session's lap-timer input (``league`` timer events in, a result dict out);
    None when no app hosts the server (``trackside serve`` alone): timer input is then refused."""
    max_upload_bytes: int = 200 * 1024 * 1024
    """Largest request body a write route reads, bytes."""

    def db(self):
        """A new connection to the home's league database (one per thread or request)."""
        from league.db import open_db

        return open_db()

    async def token_of(self, request: Request) -> str | None:
        """The token a request carries: the header, else the query string."""
        return request.headers.get(TOKEN_HEADER) or request.query_params.get("token")

    def require_token(self, given: str | None, scope: str) -> None:
        """Refuse (403, one line) a write without the scope's token (``league.tokens``)."""
        from league.tokens import check_token

        db = self.db()
        try:
            ok = check_token(db, scope, given)
        finally:
            db.conn.close()
        if not ok:
            raise HTTPException(403, "a valid event token is needed: the organiser's app shows it")
