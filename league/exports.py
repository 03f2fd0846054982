"""Exports: every lap and a per-racer summary as CSV or JSON, and a projector leaderboard page.

The writers take plain rows (lists of dicts), so a race, a whole season and a race-day
event share them; only the row sources (:func:`race_lap_rows`, :func:`season_lap_rows`,
``league.raceday.event_lap_rows``) know the database.

Lap rows carry ``race, racer, display_name, track, date, lap, time_ms, time_s, resets,
valid`` and may carry more (``submission``, ``session``): extra keys become extra columns
before ``lap``, except ``race_type`` (after ``track``) and ``collisions`` (after ``resets``).
In a virtual race ``resets`` counts the lap's off-tracks (each one put the car back on the
road), ``collisions`` the times the car ran into an object (each held it for the race's
collision penalty), and a lap is valid when it was completed. ``race_type`` is DeepRacer's
``RACE_TYPE`` in lower case (``time_trial``, ``object_avoidance``, ``head_to_bot``).

Safety: a CSV cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is prefixed with ``'`` so a spreadsheet shows it as text instead of running it as
a formula (OWASP "CSV injection"); numbers are written as numbers. Everything placed in
the HTML page is escaped with :func:`html.escape`.

Files are written with :func:`write_export`: a temporary file in the same folder, renamed
over the old one only once it is complete, so a full disk or a crash leaves the previous
export as it was.
"""

from __future__ import annotations

import contextlib
import csv
import html
import io
import math
import os
import tempfile
from pathlib import Path

import sqlite_utils

from .db import LeagueError
from .json_text import to_json

LAP_COLUMNS = ("race", "racer", "display_name", "track", "date", "lap", "time_ms", "time_s", "resets", "valid")
SUMMARY_COLUMNS = ("racer", "display_name", "laps", "valid_laps", "fastest_ms", "fastest_s", "average_s", "resets",
                   "completion_ratio")
LEADERBOARD_COLUMNS = ("rank", "racer", "display_name", "time_s", "gap_s", "points", "submissions", "collisions")
_PLACED_AFTER = {"race_type": "track", "penalty_s": "time_s", "collisions": "resets"}
"""Optional lap-row keys with a place of their own: ``key`` goes right after ``column``."""
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportError(LeagueError):
    """An export file that could not be written; the previous one is unchanged."""


def write_export(path: str | os.PathLike, text: str | bytes) -> Path:
    """Write ``text`` (UTF-8, line ends as given; bytes as they are: a PDF) to ``path`` atomically: readers
    and a failure see the old file or the new one, never half of one. Returns the path written."""
    path = Path(path)
    target = path.resolve() if path.is_symlink() else path  # replace what the link points at, keep the link
    folder = target.parent
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(text if isinstance(text, (bytes, bytearray)) else text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        reason = exc.strerror or str(exc) or exc.__class__.__name__
        kept = " (the previous file is unchanged)" if target.exists() else ""
        raise ExportError(f"{path}: could not write the export: {reason}{kept}") from None
    return path


# -- generic writers --------------------------------------------------------------------------------
def neutralise(value):
    """A CSV cell: text that a spreadsheet would run as a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return value


def to_csv(rows: list[dict], columns: list[str] | tuple[str, ...]) -> str:
    """CSV text with a header row; cells neutralised (see the module docstring)."""
    buf = io.StringIO()
    # RFC 4180 line ends; they also make the writer quote a cell holding a lone carriage return.
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([neutralise(str(c)) for c in columns])
    w.writerows([[neutralise(row.get(c)) for c in columns] for row in rows])
    return buf.getvalue()


def lap_columns(rows: list[dict]) -> list[str]:
    """:data:`LAP_COLUMNS`, with any other keys of the first row (``session``, ``submission``) before ``lap``
    (``race_type`` after ``track``, ``collisions`` after ``resets``)."""
    first = rows[0] if rows else {}
    extra = [k for k in first if k not in LAP_COLUMNS and k not in _PLACED_AFTER]
    cut = LAP_COLUMNS.index("lap")
    columns = [*LAP_COLUMNS[:cut], *extra, *LAP_COLUMNS[cut:]]
    for key, after in _PLACED_AFTER.items():
        if key in first:
            columns.insert(columns.index(after) + 1, key)
    return columns


def laps_csv(rows: list[dict]) -> str:
    return to_csv(rows, lap_columns(rows))


def summary_rows(lap_rows: list[dict]) -> list[dict]:
    """Per racer, in order of first appearance: ``laps, valid_laps, fastest_ms, fastest_s`` (fastest
    valid lap), ``average_s`` (mean valid lap), ``resets``, ``completion_ratio`` (valid / all laps);
    and ``collisions`` (their sum) when the lap rows count collisions."""
    acc: dict[str, list] = {}
    hits: dict[str, int] = {}
    for r in lap_rows:
        a = acc.get(r["racer"])
        if a is None:  # [display_name, laps, valid, fastest_ms, sum_ms, resets]
            a = acc[r["racer"]] = [r.get("display_name") or r["racer"], 0, 0, None, 0, 0]
        a[1] += 1
        a[5] += int(r.get("resets") or 0)
        if "collisions" in r:
            hits[r["racer"]] = hits.get(r["racer"], 0) + int(r["collisions"] or 0)
        t = r.get("time_ms")
        if r.get("valid") and t is not None:
            a[2] += 1
            a[4] += t
            if a[3] is None or t < a[3]:
                a[3] = t
    return [{"racer": racer, "display_name": name, "laps": laps, "valid_laps": valid, "fastest_ms": fastest,
             "fastest_s": None if fastest is None else fastest / 1000,
             "average_s": round(total / valid / 1000, 4) if valid else None, "resets": resets,
             **({"collisions": hits[racer]} if racer in hits else {}),
             "completion_ratio": round(valid / laps, 4) if laps else 0.0}
            for racer, (name, laps, valid, fastest, total, resets) in acc.items()]


def summary_csv(lap_rows: list[dict]) -> str:
    rows = summary_rows(lap_rows)
    columns = list(SUMMARY_COLUMNS)
    if rows and "collisions" in rows[0]:
        columns.insert(columns.index("resets") + 1, "collisions")
    return to_csv(rows, columns)


def format_time(seconds: float | None) -> str:
    """``12.345`` under a minute, ``1:02.345`` from one; an en dash without a time."""
    if seconds is None:
        return "\u2013"
    minutes, s = divmod(round(float(seconds), 3), 60)
    return f"{int(minutes)}:{s:06.3f}" if minutes else f"{s:.3f}"


def leaderboard_html(title: str, rows: list[dict], refresh_s: int | None = None, subtitle: str | None = None) -> str:
    """A self-contained page for a projector: rank, racer, time, gap to the leader (and points
    when the rows have them). ``refresh_s``: reload the page every that many seconds."""
    if refresh_s is not None and (not isinstance(refresh_s, int) or isinstance(refresh_s, bool) or refresh_s < 1):
        raise ValueError(f"refresh: expected a whole number of seconds, 1 or more, got {refresh_s!r}")
    has_time = any("time_s" in r for r in rows) or not rows
    has_points = any(r.get("points") is not None for r in rows)
    head = ["Rank", "Racer"] + (["Time", "Gap"] if has_time else []) + (["Points"] if has_points else [])
    body = []
    for r in rows:
        cells = [str(r.get("rank", "")), str(r.get("display_name") or r.get("racer", ""))]
        if has_time:
            gap = r.get("gap_s")
            cells += [format_time(r.get("time_s")),
                      "" if gap is None else ("leader" if gap == 0 and r.get("rank") == 1 else f"+{gap:.3f}")]
        if has_points:
            cells.append("" if r.get("points") is None else str(r["points"]))
        body.append("<tr>" + "".join(f'<td class="c{i}">{html.escape(c)}</td>' for i, c in enumerate(cells)) + "</tr>")
    refresh = f'<meta http-equiv="refresh" content="{int(refresh_s)}">\n' if refresh_s else ""
    sub = f"<p class=\"sub\">{html.escape(subtitle)}</p>\n" if subtitle else ""
    empty = '<p class="sub">No results yet.</p>\n' if not rows else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n" + refresh +
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n" + sub + empty +
        "<table>\n<thead><tr>" + "".join(f'<th class="c{i}">{html.escape(h)}</th>' for i, h in enumerate(head)) + "</tr></thead>\n<tbody>\n" +
        "\n".join(body) + "\n</tbody>\n</table>\n</body>\n</html>\n")


# Big type, high contrast, tabular figures so times line up from the back of a room.
_CSS = """
body { background: #0b0d12; color: #f4f6fa; font-family: "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 2vw 4vw; font-size: clamp(20px, 3.2vw, 64px); }
h1 { font-size: 1.6em; margin: 0 0 0.2em; color: #ffd23f; }
.sub { color: #aab3c5; margin: 0 0 0.6em; font-size: 0.7em; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th { text-align: left; color: #aab3c5; font-size: 0.6em; text-transform: uppercase; border-bottom: 3px solid #333a4a; }
td { padding: 0.18em 0.4em 0.18em 0; border-bottom: 1px solid #222836; }
td.c0 { width: 3.5em; font-weight: 700; color: #ffd23f; }
.c2, .c3, .c4 { text-align: right; white-space: nowrap; }
td.c3 { color: #aab3c5; }
tbody tr:nth-child(1) td { font-weight: 700; }
"""


# -- league row sources -----------------------------------------------------------------------------
_LAPS_SQL = """
    SELECT races.name, races.race_type, r.alias, r.display_name, races.track, s.submitted_at, s.id, l.lap,
           l.time_ms, l.off_track, l.collisions, l.completed
    FROM laps l JOIN submissions s ON s.id = l.submission_id JOIN racers r ON r.id = s.racer_id
         JOIN races ON races.id = s.race_id
    WHERE {where} ORDER BY races.created, races.id, s.id, l.lap
"""


def race_lap_rows(db: sqlite_utils.Database, race) -> list[dict]:
    """Every lap of every submission to ``race``, in submission order (see the module docstring)."""
    from .races import get_race

    return _lap_rows(db, "s.race_id = ?", [get_race(db, race).id])


def season_lap_rows(db: sqlite_utils.Database, season) -> list[dict]:
    """Every lap of every race of ``season``, race by race."""
    from .seasons import get_season

    return _lap_rows(db, "races.season_id = ?", [get_season(db, season).id])


def _lap_rows(db, where: str, args: list) -> list[dict]:
    return [{"race": race, "race_type": race_type, "racer": alias, "display_name": display, "track": track,
             "date": date, "submission": sub, "lap": lap, "time_ms": t, "time_s": None if t is None else t / 1000,
             "resets": offs, "collisions": hits, "valid": bool(done)}
            for race, race_type, alias, display, track, date, sub, lap, t, offs, hits, done
            in db.execute(_LAPS_SQL.format(where=where), args)]


def race_type_fields(race) -> dict:
    """``race_type``, ``race_settings`` (DeepRacer names) and ``collision_penalty_s`` of a ``Race``."""
    return {"race_type": race.race_type, "race_settings": dict(race.race_settings),
            "collision_penalty_s": race.collision_penalty_s}


# -- what the command line writes -------------------------------------------------------------------
def export_leaderboard(db: sqlite_utils.Database, race, fmt: str, refresh_s: int | None = None) -> str:
    """A race's standings as ``csv``, ``json`` or ``html``."""
    from .races import get_race, standings

    r = get_race(db, race)
    rows = standings(db, r)
    if fmt == "csv":
        return to_csv(rows, LEADERBOARD_COLUMNS)
    if fmt == "json":
        return to_json({"race": r.name, "track": r.track, "ranking": r.ranking, **race_type_fields(r),
                        "standings": rows})
    if fmt == "html":
        from trainer.race import describe

        what = {"best_lap": "best lap", "best_average": f"best average of {r.average_of} laps",
                "total_time": f"total time of {r.laps} laps"}[r.ranking]
        kind = "" if r.race_type == "time_trial" else f" \u00b7 {describe(r.race_type, r.race_settings)}"
        return leaderboard_html(r.name, rows, refresh_s, subtitle=f"{r.track} \u00b7 {what}{kind}")
    raise ValueError(f"format: expected csv, json or html, got {fmt!r}")


def export_laps(db: sqlite_utils.Database, fmt: str, *, race=None, season=None, summary: bool = False) -> str:
    """Every lap of a race or a season (``summary``: the per-racer summary instead) as ``csv``;
    ``json`` holds both ``laps`` and ``summary``."""
    rows = race_lap_rows(db, race) if race is not None else season_lap_rows(db, season)
    if fmt == "csv":
        return summary_csv(rows) if summary else laps_csv(rows)
    if fmt == "json":
        return to_json({"race": race, "season": season, "laps": rows, "summary": summary_rows(rows)})
    raise ValueError(f"format: expected csv or json for laps, got {fmt!r}")


def export_season(db: sqlite_utils.Database, season, fmt: str, refresh_s: int | None = None) -> str:
    """Season standings (points per race and in total) as ``csv``, ``json`` or ``html``."""
    from .races import list_races, season_standings, standings
    from .seasons import get_season

    s = get_season(db, season)
    rows = season_standings(db, s)
    races = list_races(db, s)
    if fmt == "csv":
        flat = [{**{k: v for k, v in r.items() if k != "race_points"},
                 **{f"race:{name}": pts for name, pts in r["race_points"].items()}} for r in rows]
        cols = ["rank", "racer", "display_name", "points", "races", "counted"] + [f"race:{x.name}" for x in races]
        return to_csv(flat, cols)
    if fmt == "json":
        return to_json({"season": s.name, "points": s.points, "best_k": s.best_k, "standings": rows,
                        "races": [{"race": x.name, "track": x.track, **race_type_fields(x),
                                   "standings": standings(db, x)} for x in races]})
    if fmt == "html":
        board = [{k: r[k] for k in ("rank", "racer", "display_name", "points")} for r in rows]
        best = f", best {s.best_k} races" if s.best_k else ""
        return leaderboard_html(s.name, board, refresh_s, subtitle=f"{len(races)} races{best}")
    raise ValueError(f"format: expected csv, json or html, got {fmt!r}")
