"""The event server's ASGI application: the feature modules' routes, static files, plain-text errors."""

from __future__ import annotations

import asyncio
import contextlib
import importlib

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from sim.paths import assets_dir

from .context import WebContext

FEATURES: tuple[str, ...] = (
    "gui.web.handin",
    "gui.web.boards",
    "gui.web.overlays",
    "gui.web.timer",
)
"""Modules whose ``routes(ctx)`` the server serves, e.g. ``gui.web.boards``; add one line per feature."""


async def health(_request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


async def http_error(_request: Request, exc: HTTPException) -> PlainTextResponse:
    """Every refusal as one plain line (never a page of traceback)."""
    return PlainTextResponse(f"{exc.detail}\n", status_code=exc.status_code)


def create_app(ctx: WebContext | None = None, features: tuple[str, ...] | None = None) -> Starlette:
    """The server's application over ``ctx`` (a new one by default) with ``features``' routes."""
    ctx = ctx or WebContext()
    routes = [Route("/healthz", health)]
    for name in FEATURES if features is None else features:
        routes += importlib.import_module(name).routes(ctx)
    static = assets_dir() / "web"
    if static.is_dir():
        routes.append(Mount("/static", app=StaticFiles(directory=static), name="static"))

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        ctx.bus.attach(asyncio.get_running_loop())  # publishers on other threads hand over to this loop
        yield

    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error}, lifespan=lifespan)
    app.state.ctx = ctx
    return app
