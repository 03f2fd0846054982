"""``trackside timer``: try a lap sensor before the event, or relay one to the app over the network.

``timer serial PORT`` reads a sensor board (``league.timer_input``'s serial lines) and prints what each
crossing does to a session timer with the event's rules (``--event``; nothing is recorded), or, with
``--send URL``, posts each crossing to the event server of the app that runs the session (the board
on one laptop, the console on another). ``timer send URL --event E --token T`` posts one crossing:
a check that the server, the token and the console's session are ready.
"""

from __future__ import annotations

import time

import click

from .common import UserError, friendly_errors

SEND_TIMEOUT_S = 5.0


@click.group()
def timer():
    """Lap sensors: read a serial board, send crossings to the event server."""


@timer.command("serial")
@click.argument("port")
@click.option("--baud", type=int, default=None, help="Serial speed, bits/s (default 9600).")
@click.option("--event", "event", default=None,
              help="Race-day event (name or id): its rules time the laps; with --send, its id.")
@click.option("--send", "url", default=None, help="Post each crossing to this event server (http://HOST:PORT).")
@click.option("--token", default=None, help="The event's token (with --send): the app shows it.")
@click.option("--count", type=click.IntRange(1), default=None, help="Stop after this many crossings.")
@friendly_errors
def serial_command(port, baud, event, url, token, count):
    """Read crossings from serial PORT (a device path, or a pyserial URL) until Ctrl-C."""
    import serial

    from league.timer_input import BAUDRATE, SensorClock, apply_event, crossings_from
    from league.timing import SessionTimer

    if url and (event is None or not event.isdigit() or token is None):
        raise UserError("--send needs --event ID and --token (the app shows the event's id and token)")
    ev = _event(event) if event is not None and not url else None  # a relay may run on another machine
    timer_, clock = (ev.new_timer() if ev is not None else SessionTimer()), SensorClock()
    try:
        link = serial.serial_for_url(port, baudrate=baud or BAUDRATE, timeout=0.1)
    except (serial.SerialException, OSError, ValueError) as exc:
        raise UserError(f"cannot open {port}: {exc}") from None
    click.echo(f"Listening on {port}" + (f", sending to {url}" if url else "") + "  (Ctrl-C stops)")
    seen, buffer = 0, bytearray()
    with link:
        try:
            while count is None or seen < count:
                for crossing, problem in crossings_from(link, port, buffer):
                    if crossing is None:
                        click.echo(f"refused line: {problem}", err=True)
                        continue
                    seen += 1
                    if url:
                        click.echo(_post(url, int(event), token, {"type": "crossing", "t": crossing.t_s,
                                                                  "sensor": crossing.sensor})[1])
                    else:
                        click.echo(apply_event(timer_, crossing, time.monotonic(), clock).text())
        except KeyboardInterrupt:
            pass
        except (serial.SerialException, OSError) as exc:
            raise UserError(f"{port} disconnected: {exc}") from None


@timer.command("send")
@click.argument("url")
@click.option("--event", "event", required=True, type=int, help="Race-day event id.")
@click.option("--token", required=True, help="The event's token: the app shows it.")
@click.option("--t", "t", type=click.FloatRange(0), default=None, help="The sensor's time, s (default: on arrival).")
@click.option("--sensor", default="trackside-timer-send", show_default=True, help="The sensor's name.")
@friendly_errors
def send(url, event, token, t, sensor):
    """Post one crossing to the event server at URL (http://HOST:PORT)."""
    body = {"type": "crossing", "sensor": sensor} | ({} if t is None else {"t": t})
    ok, text = _post(url, event, token, body)
    if not ok:
        raise UserError(text)
    click.echo(text)


def _post(url: str, event: int, token: str, body: dict) -> tuple[bool, str]:
    """POST ``body`` to the server's timer input; ``(accepted, what it said in words)``."""
    import httpx

    from gui.web.context import TOKEN_HEADER

    try:
        r = httpx.post(f"{url.rstrip('/')}/api/timer/{int(event)}", json=body, headers={TOKEN_HEADER: token},
                       timeout=SEND_TIMEOUT_S)
    except httpx.HTTPError as exc:
        return False, f"cannot reach {url}: {exc}"
    if r.status_code == 200:
        return True, r.json().get("text") or r.json().get("action", "ok")
    return False, f"refused ({r.status_code}): {r.text.strip()[:200]}"


def _event(name: str):
    from league import raceday as rd
    from league.db import open_db

    return rd.get_event(open_db(), int(name) if name.isdigit() else name)
