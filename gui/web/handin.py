"""Model hand-in over the venue's network: ``/handin/{event}`` (a race-day queue) and
``/handin/race/{race}`` (a league race).

GET: a form (alias, token, archive; the token may come prefilled from the QR code's ``?token=``).
POST (``multipart/form-data``: ``alias``, ``token``, ``file``; the token may also come in the
``X-Trackside-Token`` header): the archive is streamed to a temp file Trackside names (the client's
file name is only shown, never used as a path), refused with 413 as soon as the body passes
``ctx.max_upload_bytes`` (a ``Content-Length`` over it is refused before reading anything); each
client address may post :data:`PER_MINUTE` times a minute (429 beyond). The rest is
:func:`league.handin.hand_in`: the receipt page shows the model's hash, a refusal is one line
(422). ``Accept: application/json`` gets the receipt as JSON instead.
"""

from __future__ import annotations

import html
import shutil
import tempfile
import threading
import time
from collections import defaultdict, deque
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from league.db import LeagueError
from league.tokens import scope_of

from .context import TOKEN_HEADER, WebContext

PER_MINUTE = 6
"""Uploads one client address may post in a minute."""


class RateLimit:
    """At most ``per_minute`` events per key in any 60 s (a sliding window)."""

    def __init__(self, per_minute: int = PER_MINUTE):
        self.per_minute = per_minute
        self._times: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._times[key]
            while times and now - times[0] >= 60.0:
                times.popleft()
            if len(times) >= self.per_minute:
                return False
            times.append(now)
            return True


def routes(ctx: WebContext) -> list[Route]:
    limit = RateLimit()

    async def page(request: Request) -> Response:
        target = await run_in_threadpool(_target, ctx, request)
        return HTMLResponse(_form_page(target, request.url.path, request.query_params.get("token", "")))

    async def upload(request: Request) -> Response:
        client = request.client.host if request.client else "unknown"
        if not limit.allow(client):
            raise HTTPException(429, f"too many uploads from {client}: at most {PER_MINUTE} a minute, try again soon")
        target = await run_in_threadpool(_target, ctx, request)
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > ctx.max_upload_bytes:
            return _too_big(ctx.max_upload_bytes)
        with tempfile.TemporaryDirectory(prefix="trackside-upload-") as tmp:
            try:
                fields = await _receive(request, ctx.max_upload_bytes, Path(tmp) / "upload.tar.gz")
            except _TooBig:
                return _too_big(ctx.max_upload_bytes)
            given = request.headers.get(TOKEN_HEADER) or fields.get("token")
            await run_in_threadpool(ctx.require_token, given, scope_of(target.kind, target.id))
            receipt = await run_in_threadpool(_hand_in, ctx, Path(tmp) / "upload.tar.gz", fields, target,
                                              f"upload from {client}")
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse(receipt, status_code=200 if receipt["status"] == "accepted" else 422)
        if receipt["status"] != "accepted":
            raise HTTPException(422, f"refused: {receipt['reason']}")
        return HTMLResponse(_receipt_page(receipt))

    return [Route("/handin/race/{race}", page, methods=["GET"]), Route("/handin/race/{race}", upload, methods=["POST"]),
            Route("/handin/{event}", page, methods=["GET"]), Route("/handin/{event}", upload, methods=["POST"])]


class _TooBig(Exception):
    """The body passed the upload limit."""


def _too_big(max_bytes: int) -> Response:
    # "Connection: close": uvicorn then drops the connection instead of reading the rest of the body.
    return PlainTextResponse(f"the upload is over the {max_bytes / 2**20:.0f} MB limit\n", status_code=413,
                             headers={"Connection": "close"})


def _target(ctx: WebContext, request: Request):
    """The path's race-day event or race (404, one line, when there is none)."""
    from league.handin import parse_target

    kind, ident = ("race", request.path_params["race"]) if "race" in request.path_params \
        else ("raceday", request.path_params["event"])
    db = ctx.db()
    try:
        return parse_target(db, f"{kind}:{ident}")
    except LeagueError as exc:
        raise HTTPException(404, str(exc)) from None
    finally:
        db.conn.close()


async def _receive(request: Request, max_bytes: int, dest: Path) -> dict:
    """Parse the multipart body, counting bytes as they arrive (413 past ``max_bytes``); the ``file``
    part is copied to ``dest``. Returns the text fields, and ``filename`` (the client's, for display)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(415, "send the form as multipart/form-data (alias, token, file)")

    async def counted():
        got = 0
        async for chunk in request.stream():
            got += len(chunk)
            if got > max_bytes:
                raise _TooBig
            yield chunk

    parser = MultiPartParser(request.headers, counted(), max_files=1, max_fields=8, max_part_size=4096)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise HTTPException(400, f"the form could not be read ({exc.message})") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise HTTPException(400, "no archive: choose a model's .tar.gz file")
        await run_in_threadpool(_save, upload, dest)
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        fields["filename"] = upload.filename or "upload.tar.gz"
        return fields
    finally:
        await form.close()


def _save(upload: UploadFile, dest: Path) -> None:
    upload.file.seek(0)
    with open(dest, "wb") as out:
        shutil.copyfileobj(upload.file, out, 1 << 20)


def _hand_in(ctx: WebContext, path: Path, fields: dict, target, source: str) -> dict:
    from league.handin import hand_in

    db = ctx.db()
    try:
        return hand_in(db, path, fields.get("alias", ""), target, source=source,
                       archive_name=Path(fields["filename"].replace("\\", "/")).name)
    except LeagueError as exc:  # the target went away meanwhile, or the temp file could not be read
        raise HTTPException(422, f"refused: {exc}") from None
    finally:
        db.conn.close()


def _shell(title: str, body: str) -> str:
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(title)}</title><link rel='stylesheet' href='/static/handin.css'></head>"
            f"<body><main>{body}</main></body></html>")


def _form_page(target, action: str, token: str) -> str:
    where = "race-day queue" if target.kind == "raceday" else "league race"
    body = (f"<h1>Hand in your model</h1><p class='where'>{html.escape(target.name)} <span>({where})</span></p>"
            f"<form method='post' action='{html.escape(action)}' enctype='multipart/form-data'>"
            "<label>Your racer alias <input name='alias' required maxlength='64' autocomplete='nickname'></label>"
            f"<label>Event token <input name='token' required value='{html.escape(token)}' autocomplete='off'></label>"
            "<label>Model archive (.tar.gz from trackside model export) "
            "<input type='file' name='file' required accept='.tar.gz,.tgz,application/gzip'></label>"
            "<button type='submit'>Hand in</button></form>"
            "<p class='note'>The archive is checked as <code>trackside model import</code> checks it, frozen and "
            "hashed; your receipt shows the hash. Its reward function is never run.</p>")
    return _shell(f"Hand in: {target.name}", body)


def _receipt_page(r: dict) -> str:
    rows = [("Racer", r["alias"]), ("Model", r["model"]), ("Hash (SHA-256)", r["hash"]),
            ("Event" if r["target"].startswith("raceday") else "Race", r["target_name"] or r["target"]),
            ("Received", r["time"]), ("Archive", f"{r['archive_name']} ({r['archive_bytes'] / 2**20:.1f} MB)")]
    if r["queue_position"] is not None:
        rows.append(("Place in the queue", str(r["queue_position"])))
    if r["submission"]:
        s = r["submission"]
        rows.append(("Result", f"rank {s.get('rank')}, {s.get('best_time_s')} s" if s.get("complete")
                     else "did not complete every lap"))
    table = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    body = (f"<h1>Received</h1><p class='ok'>Your model is in. Keep this receipt.</p>"
            f"<table class='receipt'>{table}</table>")
    return _shell("Hand-in receipt", body)
