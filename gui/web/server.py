"""Run the event server: in the foreground (``trackside serve``) or on a background thread (the app,
the tests), on uvicorn."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from .app import create_app
from .context import WebContext


class EventServer:
    """One uvicorn server on ``host:port`` (port 0: a free one) serving :func:`create_app`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8080, ctx: WebContext | None = None,
                 features: tuple[str, ...] | None = None):
        self.ctx = ctx or WebContext()
        self.app = create_app(self.ctx, features)
        config = uvicorn.Config(self.app, host=host, port=port, log_level="warning", lifespan="on",
                                access_log=False)
        self.server = uvicorn.Server(config)
        self.host = host
        self.thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port it listens on (known once started)."""
        return self.server.servers[0].sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        host = self.host if self.host not in ("0.0.0.0", "::") else lan_address()
        return f"http://{host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> "EventServer":
        """Serve on a background thread; returns when it accepts connections."""
        self.thread = threading.Thread(target=self.server.run, name="trackside-serve", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise OSError(f"the event server could not listen on {self.host}:{self.server.config.port}")
            time.sleep(0.02)
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop serving: the live streams end first, so the server need not wait for them."""
        watcher = getattr(self.ctx, "watcher", None)
        if watcher is not None:
            watcher.stop()
            self.ctx.watcher = None
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout_s)


def lan_address() -> str:
    """This machine's address on the local network (what phones in the room reach), else 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # no packet is sent: it only picks the outgoing interface
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"
