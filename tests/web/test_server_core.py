"""The event server's core over real HTTP on localhost: it starts, answers, publishes, refuses."""

import json
import threading
import time

import httpx
import pytest
from starlette.responses import StreamingResponse
from starlette.routing import Route

from gui.web.context import WebContext
from gui.web.server import EventServer
from league.db import open_db
from league.tokens import check_token, rotate_token, scope_of, token_for


def test_tokens_are_made_once_checked_in_constant_time_and_rotated():
    db = open_db()
    scope = scope_of("raceday", 1)
    token = token_for(db, scope)
    assert token == token_for(db, scope) and len(token) >= 16
    assert check_token(db, scope, token) and not check_token(db, scope, token + "x")
    assert not check_token(db, scope, None) and not check_token(db, scope_of("race", 1), token)
    new = rotate_token(db, scope)
    assert new != token and check_token(db, scope, new) and not check_token(db, scope, token)


def test_the_server_answers_and_a_published_message_reaches_a_streaming_client():
    async def stream(request):
        queue = request.app.state.ctx.bus.subscribe("t")

        async def events():
            message = await queue.get()
            yield f"data: {json.dumps(message)}\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    import sys
    import types

    feature = types.ModuleType("feature_under_test")
    feature.routes = lambda ctx: [Route("/stream", stream)]
    sys.modules["feature_under_test"] = feature
    server = EventServer("127.0.0.1", 0, WebContext(), features=("feature_under_test",)).start()
    try:
        assert httpx.get(f"{server.url}/healthz").json() == {"ok": True}
        assert httpx.get(f"{server.url}/nothing-here").status_code == 404
        got = []

        def listen():
            with httpx.stream("GET", f"{server.url}/stream", timeout=5) as r:
                for line in r.iter_lines():
                    if line.startswith("data: "):
                        got.append(json.loads(line[6:]))
                        return

        t = threading.Thread(target=listen)
        t.start()
        deadline = time.monotonic() + 5
        while server.ctx.bus.subscribers("t") == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.ctx.bus.publish("t", {"lap": 1})  # from this (non-server) thread
        t.join(5)
        assert got == [{"lap": 1}]
    finally:
        server.stop()
        del sys.modules["feature_under_test"]


def test_a_write_without_the_token_is_refused_in_one_line():
    from starlette.exceptions import HTTPException

    ctx = WebContext()
    db = open_db()
    scope = scope_of("race", 3)
    token = token_for(db, scope)
    ctx.require_token(token, scope)
    with pytest.raises(HTTPException) as err:
        ctx.require_token("guess", scope)
    assert err.value.status_code == 403 and "token" in err.value.detail
