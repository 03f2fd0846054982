"""``trackside serve``: the event server for phones, TVs, stream overlays, model hand-in and lap timers."""

from __future__ import annotations

import click

from .common import UserError, friendly_errors


@click.command()
@click.option("--host", default="0.0.0.0", show_default=True,
              help="Address to listen on (0.0.0.0: every network of this machine; 127.0.0.1: this machine only).")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="Port (0: any free one).")
@click.option("--tokens", is_flag=True,
              help="Also print each race-day event's and league race's write token (model hand-in, lap timers).")
@friendly_errors
def serve(host, port, tokens):
    """Serve the live pages on the local network until Ctrl-C.

    The pages follow the league database and the live-state files of sessions timed in the app
    (TRACKSIDE_HOME/live/), so the app and this server may run side by side."""
    import segno

    from gui.web.server import EventServer

    server = EventServer(host, port)
    try:
        server.start()
    except OSError as exc:
        raise UserError(f"{exc} (is another server using port {port}? try --port {port + 1})") from None
    click.echo(f"Trackside event server at {server.url}  (Ctrl-C stops it)")
    qr = segno.make(server.url)
    qr.terminal(compact=True)
    if tokens:
        for line in token_lines():
            click.echo(line)
    try:
        server.thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def token_lines() -> list[str]:
    """``token  raceday:1  friday`` per event and race: what a hand-in page or a lap timer must send."""
    from league.db import open_db
    from league.raceday import list_events
    from league.races import list_races
    from league.tokens import scope_of, token_for

    db = open_db()
    scopes = [(scope_of("raceday", e.id), f"race day {e.name}") for e in list_events(db)]
    scopes += [(scope_of("race", r.id), f"league race {r.name}") for r in list_races(db)]
    if not scopes:
        return ["No events or races yet: no tokens to show."]
    return ["Write tokens (hand-in, lap timers):"] + [f"  {token_for(db, scope)}  {scope:<14} {what}"
                                                     for scope, what in scopes]
