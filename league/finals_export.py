"""Exports of an event's finals (``trackside raceday finals export EVENT -o FILE``):

- ``json``: :func:`league.finals.bracket` as one document (rounds of heats, finalists, champion);
- ``csv``: one row a heat: ``round, round_name, slot, heat, seed_a, racer_a, name_a, time_a_s, seed_b,
  racer_b, name_b, time_b_s, winner, method`` (cells neutralised as ``league.exports.to_csv`` does);
- ``html``: a self-contained page for a projector or a web page: the rounds as columns, each heat's
  two racers with their seeds and times, the winner highlighted, the champion on top.

Files are written atomically (``league.exports.write_export``).
"""

from __future__ import annotations

import html
from pathlib import Path

import sqlite_utils

from .db import LeagueError
from .exports import format_time, to_csv, write_export
from .finals import bracket
from .json_text import to_json

FORMATS = ("html", "json", "csv")
HEAT_COLUMNS = ("round", "round_name", "slot", "heat", "seed_a", "racer_a", "name_a", "time_a_s", "seed_b", "racer_b",
                "name_b", "time_b_s", "winner", "method")


def export_finals(db: sqlite_utils.Database, event, fmt: str) -> str:
    """The finals of ``event`` as ``fmt`` text (``html``, ``json`` or ``csv``)."""
    if fmt not in FORMATS:
        raise LeagueError(f"format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    data = bracket(db, event)
    if fmt == "json":
        return to_json(data)
    if fmt == "csv":
        return to_csv([{**h, "heat": h["id"], "round_name": r["name"]} for r in data["rounds"] for h in r["heats"]],
                      HEAT_COLUMNS)
    return finals_html(data)


def write_finals(db: sqlite_utils.Database, event, path: str | Path, fmt: str | None = None) -> Path:
    """Write the finals to ``path`` atomically, in ``fmt`` or the format its suffix names."""
    fmt = fmt or Path(path).suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise LeagueError(f"-o: name a .html, .json or .csv file (got {Path(path).name!r})")
    return write_export(path, export_finals(db, event, fmt))


def _side(heat: dict, side: str) -> str:
    racer, name, seed = heat[f"racer_{side}"], heat[f"name_{side}"], heat[f"seed_{side}"]
    if racer is None:
        text, cls = ("bye" if heat["method"] == "bye" else "to be decided"), "tbd"
        return f'<div class="racer {cls}"><span class="seed"></span>{text}<span class="time"></span></div>'
    cls = "racer won" if heat["winner"] == racer else ("racer lost" if heat["winner"] else "racer")
    return (f'<div class="{cls}"><span class="seed">{seed}</span>{html.escape(name)}'
            f'<span class="time">{html.escape(format_time(heat[f"time_{side}_s"]) if heat[f"time_{side}_s"] else "")}'
            "</span></div>")


def finals_html(data: dict) -> str:
    """The bracket page (see the module docstring)."""
    title = f"{data['event']} \u2013 finals"
    sub = f"{'Knockout bracket' if data['kind'] == 'bracket' else 'Ladder'} of {data['size']}, {data['laps']} laps a heat"
    if data["champion"]:
        sub = f"Champion: {data['champion_name']} \u00b7 " + sub
    cols = []
    for r in data["rounds"]:
        heats = "".join(f'<div class="heat">{_side(h, "a")}{_side(h, "b")}</div>' for h in r["heats"])
        cols.append(f'<section><h2>{html.escape(r["name"])}</h2>{heats}</section>')
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f"<h1>{html.escape(title)}</h1>\n<p class=\"sub\">{html.escape(sub)}</p>\n"
            f"<main>{''.join(cols)}</main>\n</body>\n</html>\n")


_CSS = """
body { background: #0b0d12; color: #f4f6fa; font-family: "Segoe UI", Helvetica, Arial, sans-serif; margin: 2vw 3vw; }
h1 { color: #ffd23f; margin: 0; } .sub { color: #aab3c5; }
main { display: flex; gap: 2vw; align-items: stretch; }
section { flex: 1; display: flex; flex-direction: column; justify-content: space-around; }
h2 { color: #aab3c5; font-size: 1em; text-transform: uppercase; }
.heat { background: #151a24; margin: 0.6em 0; border-radius: 6px; }
.racer { display: flex; gap: 0.6em; padding: 0.3em 0.6em; font-variant-numeric: tabular-nums; }
.racer .time { margin-left: auto; color: #aab3c5; } .seed { color: #98a2b5; min-width: 1.5em; }
.won { background: #1f6feb; font-weight: 700; } .lost { color: #98a2b5; } .tbd { color: #5b6577; font-style: italic; }
"""
