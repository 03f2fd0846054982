"""The event server: Trackside's pages for phones, TVs and stream overlays, and its write endpoints
(model hand-in, lap-timer input), on Starlette and uvicorn (``trackside serve``, or started by the app).

A front-end like the CLI and the app: every rule lives in ``league/`` (Qt-free, HTTP-free); the
modules here turn requests into calls of those functions and their results into pages and JSON.

How the parts fit (each feature module adds its routes; :func:`gui.web.app.create_app` joins them):

- :class:`gui.web.context.WebContext`: what every route needs: ``ctx.db()`` (a fresh connection to
  the home's league database for the calling thread), ``ctx.bus`` (:class:`gui.web.bus.LiveBus`:
  topics that pages follow with server-sent events), ``ctx.require_token(request, scope)`` (the
  ``league.tokens`` check: a 403 with a one-line reason), ``ctx.timer_sink`` (where lap-timer input
  goes: the app's running session, None when no app hosts the server);
- a feature module exposes ``routes(ctx) -> list[starlette.routing.BaseRoute]`` and is listed in
  :data:`gui.web.app.FEATURES`;
- static files (HTML/CSS/JS, no CDN: the venue has no internet) live in ``assets/web/`` and are
  served under ``/static``;
- every text from a user or a file reaching a page is escaped (``html.escape`` server-side,
  ``textContent`` in the pages' scripts, never ``innerHTML`` with data).
"""
