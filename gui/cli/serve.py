"""``trackside serve``: the event server for phones, TVs, stream overlays, model hand-in and lap timers."""

from __future__ import annotations

import click

from .common import UserError, friendly_errors


@click.command()
@click.option("--host", default="0.0.0.0", show_default=True,
              help="Address to listen on (0.0.0.0: every network of this machine; 127.0.0.1: this machine only).")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="Port (0: any free one).")
@friendly_errors
def serve(host, port):
    """Serve the live pages on the local network until Ctrl-C."""
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
    try:
        server.thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
