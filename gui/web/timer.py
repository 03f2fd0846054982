"""Lap-timer input over the network: ``POST /api/timer/{event}`` with the event's token.

A timer box (DREM's Raspberry Pi timer through a relay, a sensor board on Wi-Fi, ``trackside timer
send``) posts one crossing per request as JSON (the formats: :mod:`league.timer_input`), with the
race-day event's token in the ``X-Trackside-Token`` header. The crossing goes to ``ctx.timer_sink``,
the app's console session for that event (``gui.timer_link``), which answers what it did.

Answers: 200 and the outcome as JSON (``{"ok": true, "action": "start"|"lap", "lap": {...}, ...}``);
an ignorable event (DREM's ``connected``) 200 ``{"ok": true, "action": "ignored"}``; one plain line
otherwise: 403 without the token, 413 past :data:`MAX_BODY_BYTES`, 400 for what cannot be read,
409 when no hand-timed session of the event is on the console (or no app hosts the server) and
when the timer refuses the crossing (a double trigger, a paused or ended session), 503 when the app
does not answer within the sink's time.
"""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from league.timer_input import NoTimedSession, TimerInputError, parse_event
from league.tokens import scope_of

MAX_BODY_BYTES = 4096
"""Largest timer event read, bytes (one crossing is under 200)."""
NO_SESSION = "no hand-timed session is running for this event"


def routes(ctx) -> list[Route]:
    async def post_timer(request: Request) -> JSONResponse:
        event = request.path_params["event"]
        given = await ctx.token_of(request)
        await run_in_threadpool(ctx.require_token, given, scope_of("raceday", event))
        try:
            crossing = parse_event(_json(await _body(request)))
        except TimerInputError as exc:
            raise HTTPException(400, f"timer event refused: {exc}") from None
        if crossing is None:
            return JSONResponse({"ok": True, "action": "ignored"})
        if ctx.timer_sink is None:
            raise HTTPException(409, f"{NO_SESSION} (no app hosts this server)")
        try:
            outcome = await run_in_threadpool(ctx.timer_sink, {"event": event, **crossing.as_dict()})
        except NoTimedSession as exc:
            raise HTTPException(409, str(exc) or NO_SESSION) from None
        except TimeoutError:  # the app's GUI thread is stuck: say so rather than hang the timer box
            raise HTTPException(503, "the app did not take the crossing in time: try again") from None
        if not outcome.get("ok"):
            raise HTTPException(409, f"crossing ignored: {outcome.get('reason')}")
        return JSONResponse(outcome)

    return [Route("/api/timer/{event:int}", post_timer, methods=["POST"])]


async def _body(request: Request) -> bytes:
    """The request body, refused (413) past :data:`MAX_BODY_BYTES` without reading the rest."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise HTTPException(413, f"a timer event is at most {MAX_BODY_BYTES} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(413, f"a timer event is at most {MAX_BODY_BYTES} bytes")
    return body


def _json(body: bytes) -> object:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise HTTPException(400, "timer event refused: the body is not JSON") from None
