"""Stream overlays for OBS browser sources (1920x1080 scenes), live like the boards:

- ``/overlay/lower-third?event=<id>``: the racer on track, time left, running and best lap;
- ``/overlay/board?event=<id>&rows=5``: the top of the race-day board.

``bg``: ``transparent`` (default: OBS keys the page's alpha), ``green`` (a chroma-key green) or a
colour ``#rrggbb``/``#rgb``. A parameter out of range is a one-line 400, never a page.
"""

from __future__ import annotations

import re
from html import escape

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from .boards import current_html, page, read_snapshot, rows_html

BACKGROUNDS = {"transparent": "transparent", "green": "#00ff00"}
_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
MAX_ROWS = 20


def background(text: str | None) -> str:
    """The CSS background a ``bg`` parameter names (see the module doc); 400 for anything else."""
    text = (text or "transparent").strip()
    if text.lower() in BACKGROUNDS:
        return BACKGROUNDS[text.lower()]
    if _COLOUR.match(text):
        return text
    raise HTTPException(400, f"bg: expected transparent, green or a colour like #00ff00, got {text[:20]!r}")


def whole(text: str | None, what: str, default: int, low: int, high: int) -> int:
    if text is None or text == "":
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise HTTPException(400, f"{what}: expected a whole number from {low} to {high}, got {text[:20]!r}")
    return int(text)


def routes(ctx) -> list:
    async def lower_third(request: Request) -> HTMLResponse:
        snap, bg = await _event(ctx, request)
        body = f"<div class=\"overlay lower-third\">{current_html(snap)}</div>"
        return HTMLResponse(page(snap["title"], body, body_class="overlay-page",
                                 data={"topic": snap["topic"], "kind": "raceday", "mode": "lower-third"},
                                 style=f"html,body{{background:{bg};}}"))

    async def board(request: Request) -> HTMLResponse:
        snap, bg = await _event(ctx, request)
        rows = whole(request.query_params.get("rows"), "rows", 5, 1, MAX_ROWS)
        body = (f"<div class=\"overlay overlay-board\"><div class=\"overlay-title\">{escape(snap['title'])}</div>"
                f"{rows_html(snap, rows)}</div>")
        return HTMLResponse(page(snap["title"], body, body_class="overlay-page",
                                 data={"topic": snap["topic"], "kind": "raceday", "mode": "overlay-board",
                                       "rows": rows},
                                 style=f"html,body{{background:{bg};}}"))

    return [Route("/overlay/lower-third", lower_third), Route("/overlay/board", board)]


async def _event(ctx, request: Request) -> tuple[dict, str]:
    bg = background(request.query_params.get("bg"))
    event = whole(request.query_params.get("event"), "event", 0, 1, 10**9)
    if not event:
        raise HTTPException(400, "event: give the race-day event's number, e.g. ?event=1 (the index page lists them)")
    return await read_snapshot(ctx, f"raceday:{event}"), bg

