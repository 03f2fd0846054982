"""Live boards for phones and TVs: ``/`` (every event, race and season), ``/raceday/{id}``,
``/race/{id}``, ``/season/{id}`` (``?tv=1``: large type for a TV; the layout also follows the
screen's width), their JSON (``/api/raceday/{id}`` ...), and ``/events/{topic}``, a server-sent-event
stream of the topic's snapshots (``league.live``) that the pages follow (``assets/web/board.js``).

Pages are rendered here with their first state (escaped with ``html.escape``) so they read without
script; the script then redraws from the stream with ``textContent`` only.
"""

from __future__ import annotations

import asyncio
import json
from html import escape

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, StreamingResponse
from starlette.routing import Route

from league.db import LeagueError
from league.live import index_snapshot, parse_topic, snapshot

from .watch import CLOSING, watcher_of

DOT = " \u00b7 "
EMPTY = "No results yet"
MAX_STREAMS = 2000
"""Open streams a topic may have; more are refused (503) rather than slowing every page down."""
KEEPALIVE_S = 15.0
"""A comment line this often keeps idle streams open through proxies and phones' sleep, s."""


def routes(ctx) -> list:
    async def index(request: Request) -> HTMLResponse:
        data = await run_in_threadpool(_read, ctx, index_snapshot)
        return HTMLResponse(index_page(data))

    async def board(request: Request) -> HTMLResponse:
        snap = await read_snapshot(ctx, _topic(request))
        return HTMLResponse(board_page(snap, tv=request.query_params.get("tv") in ("1", "true", "yes")))

    async def api(request: Request) -> JSONResponse:
        return JSONResponse(await read_snapshot(ctx, _topic(request)))

    async def api_index(_request: Request) -> JSONResponse:
        return JSONResponse(await run_in_threadpool(_read, ctx, index_snapshot))

    async def events(request: Request) -> StreamingResponse:
        topic = request.path_params["topic"]
        try:
            parse_topic(topic)
        except LeagueError as exc:
            raise HTTPException(404, str(exc)) from None
        if ctx.bus.subscribers(topic) >= MAX_STREAMS:
            raise HTTPException(503, "too many pages follow this board: try again in a minute")
        first = await read_snapshot(ctx, topic)
        return StreamingResponse(stream(ctx, topic, first), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    return [Route("/", index), Route("/api/index", api_index),
            *(Route(f"/{kind}/{{ident:int}}", board) for kind in ("raceday", "race", "season")),
            *(Route(f"/api/{kind}/{{ident:int}}", api) for kind in ("raceday", "race", "season")),
            Route("/events/{topic}", events)]


async def stream(ctx, topic: str, first: dict):
    """The topic's snapshots as server-sent events: ``first`` now, then each one the watcher publishes."""
    queue = ctx.bus.subscribe(topic)
    watcher_of(ctx).follow(topic)
    while not queue.empty():  # the bus's latest is older than ``first``
        queue.get_nowait()
    try:
        yield f"data: {json.dumps(first)}\n\n"
        while True:
            try:
                message = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if message is CLOSING:
                return
            yield f"data: {json.dumps(message)}\n\n"
    finally:
        ctx.bus.unsubscribe(topic, queue)


def _topic(request: Request) -> str:
    kind = request.url.path.strip("/").split("/")[-2]
    return f"{kind}:{request.path_params['ident']}"


def _read(ctx, fn, *args):
    db = ctx.db()
    try:
        return fn(db, *args)
    finally:
        db.conn.close()


async def read_snapshot(ctx, topic: str) -> dict:
    try:
        return await run_in_threadpool(_read, ctx, snapshot, topic)
    except LeagueError as exc:
        raise HTTPException(404, str(exc)) from None


# -- pages ------------------------------------------------------------------------------------------
def page(title: str, body: str, *, body_class: str = "", data: dict | None = None, style: str = "") -> str:
    """A whole page: the shared stylesheet and script, ``body`` (already escaped HTML) inside."""
    attrs = "".join(f' data-{k}="{escape(str(v))}"' for k, v in (data or {}).items())
    extra = f"<style>{style}</style>" if style else ""
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)}</title><link rel=\"stylesheet\" href=\"/static/board.css\">{extra}</head>"
            f"<body class=\"{escape(body_class)}\"{attrs}>{body}"
            "<script src=\"/static/board.js\"></script></body></html>")


def index_page(data: dict) -> str:
    def section(heading: str, kind: str, items: list[dict]) -> str:
        if not items:
            return ""
        links = "".join(f"<li><a href=\"/{kind}/{int(i['id'])}\">{escape(i['name'])}</a>"
                        f"<span class=\"muted\">{escape(i['track'] + DOT if i.get('track') else '')}"
                        f"<a href=\"/{kind}/{int(i['id'])}?tv=1\">TV</a></span></li>" for i in items)
        return f"<section><h2>{escape(heading)}</h2><ul class=\"index\">{links}</ul></section>"

    body = (section("Race day", "raceday", data["events"]) + section("League races", "race", data["races"])
            + section("Seasons", "season", data["seasons"])) or "<p class=\"muted\">Nothing to show yet.</p>"
    head = "<header><h1>Trackside</h1><p class=\"muted\">Live boards</p></header>"
    return page("Trackside", f"{head}<main>{body}</main>")


def fmt_time(s: float | None) -> str:
    """``12.345`` under a minute, ``1:02.345`` over; a dash for none."""
    if s is None:
        return "\u2013"
    if s < 60:
        return f"{s:.3f}"
    m, rest = divmod(s, 60)
    return f"{int(m)}:{rest:06.3f}"


def fmt_clock(s: float | None) -> str:
    if s is None:
        return "\u2013:\u2013\u2013"
    m, rest = divmod(max(0, int(s + 0.999)), 60)
    return f"{m}:{rest:02d}"


def row_cells(snap: dict, r: dict) -> list[str]:
    """A board row's cells as text (the page's script draws the same)."""
    if snap["kind"] == "season":
        return [str(r["rank"]), r["name"], f"{r['points']} pts", f"{r['races']} races"]
    result = fmt_time(r["time_s"]) if r["status"] == "ok" else r["status"]
    if r.get("result_laps") is not None:
        result = f"{r['result_laps']} laps"
    gap = "" if not r.get("gap_s") else f"+{r['gap_s']:.3f}"
    extra = f"{r['points']} pts" if snap["kind"] == "race" else f"{r['valid_laps']}/{r['laps']} laps"
    return [str(r["rank"]), r["name"], result, gap, extra]


def rows_html(snap: dict, limit: int | None = None) -> str:
    rows = snap["rows"][:limit] if limit else snap["rows"]
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row_cells(snap, r)) + "</tr>" for r in rows)
    body = body or f"<tr class=\"empty\"><td colspan=\"5\">{EMPTY}</td></tr>"
    return f"<table class=\"board\"><tbody id=\"rows\">{body}</tbody></table>"


def current_html(snap: dict) -> str:
    cur = snap.get("current")
    name = escape(cur["name"] or cur["racer"]) if cur else "No racer on track"
    return ("<section id=\"current\" class=\"current\"><div class=\"label\">On track</div>"
            f"<div id=\"cur-name\" class=\"big\">{name}</div><div class=\"stats\">"
            f"<div><span class=\"label\">Time left</span><span id=\"cur-left\">"
            f"{fmt_clock(cur['time_left_s']) if cur else fmt_clock(None)}</span></div>"
            f"<div><span class=\"label\">Running lap</span><span id=\"cur-lap\">"
            f"{fmt_time(cur['running_lap_s']) if cur else fmt_time(None)}</span></div>"
            f"<div><span class=\"label\">Best lap</span><span id=\"cur-best\">"
            f"{fmt_time(cur['best_lap_s']) if cur else fmt_time(None)}</span></div>"
            f"<div><span class=\"label\">Laps</span><span id=\"cur-laps\">{cur['laps'] if cur else 0}</span></div>"
            "</div></section>")


def board_page(snap: dict, tv: bool = False) -> str:
    subtitle = DOT.join(x for x in (snap["track"], snap["format"]) if x)
    head = (f"<header><h1 id=\"title\">{escape(snap['title'])}</h1><p id=\"subtitle\" class=\"muted\">"
            f"{escape(subtitle)}</p>"
            f"<p class=\"muted small\">{escape(snap['rules'])}</p></header>")
    cur = current_html(snap) if snap["kind"] == "raceday" else ""
    body = f"{head}<main>{cur}{rows_html(snap)}</main><footer id=\"status\" class=\"muted small\"></footer>"
    return page(snap["title"], body, body_class="board-page" + (" tv" if tv else ""),
                data={"topic": snap["topic"], "kind": snap["kind"], "mode": "board"})
