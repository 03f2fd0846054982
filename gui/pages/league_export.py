"""What the League and Race day pages' export menus write: the same files as ``trackside export
...`` and ``trackside raceday export``, to a file the user chooses (the folder is remembered)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from league import exports
from league.db import LeagueError
from league.races import get_race, standings

KINDS = {
    "html": (".html", "Web page (*.html)"),
    "csv": (".csv", "CSV (*.csv)"),
    "json": (".json", "JSON (*.json)"),
    "laps": ("-laps.csv", "CSV (*.csv)"),
    "summary": ("-summary.csv", "CSV (*.csv)"),
    "season-csv": ("-season.csv", "CSV (*.csv)"),
    "season-html": ("-season.html", "Web page (*.html)"),
}


def export_text(db, what: str, *, race: str | None = None, season: str | None = None) -> tuple[str, str, str]:
    """``(text, file suffix, file-dialog filter)`` of export ``what`` (a key of :data:`KINDS`).

    ``html``/``csv``: the race leaderboard; ``json``: the race with its rules, standings,
    every lap and the per-racer summary; ``laps``/``summary``: lap CSVs; ``season-*``: the
    season standings.
    """
    suffix, kind = KINDS[what]
    if what == "season-csv":
        return exports.export_season(db, season, "csv"), suffix, kind
    if what == "season-html":
        return exports.export_season(db, season, "html"), suffix, kind
    if what in ("html", "csv"):
        return exports.export_leaderboard(db, race, what), suffix, kind
    if what == "laps":
        return exports.export_laps(db, "csv", race=race), suffix, kind
    if what == "summary":
        return exports.export_laps(db, "csv", race=race, summary=True), suffix, kind
    r = get_race(db, race)
    laps = exports.race_lap_rows(db, r)
    return exports.to_json({"race": r.name, "track": r.track, "laps_per_submission": r.laps, "mode": r.mode,
                            "ranking": r.ranking, "average_of": r.average_of, "penalty_s": r.penalty_s,
                            **exports.race_type_fields(r), "opens_at": r.opens_at, "closes_at": r.closes_at,
                            "status": r.status(),
                            "max_submissions": r.max_submissions, "standings": standings(db, r),
                            "laps": laps, "summary": exports.summary_rows(laps)}), suffix, kind


EVENT_KINDS = {
    "event-html": (".html", "Web page (*.html)"),
    "event-laps": ("-laps.csv", "CSV (*.csv)"),
    "event-summary": ("-summary.csv", "CSV (*.csv)"),
    "event-json": (".json", "JSON (*.json)"),
}


def event_export_text(db, what: str, event) -> tuple[str, str, str]:
    """A race-day event's export, as ``trackside raceday export`` writes it: the projector page
    (``event-html``), every lap or the per-racer summary as CSV, or all of it as JSON."""
    from league.raceday import event_lap_rows, event_leaderboard, get_event

    ev = get_event(db, event)
    suffix, kind = EVENT_KINDS[what]
    if what == "event-html":
        rank = ev.describe_ranking()
        return exports.leaderboard_html(ev.name, event_leaderboard(db, ev), subtitle=f"{ev.track} \u00b7 {rank}"), \
            suffix, kind
    laps = event_lap_rows(db, ev)
    if what == "event-laps":
        return exports.laps_csv(laps), suffix, kind
    if what == "event-summary":
        return exports.summary_csv(laps), suffix, kind
    return exports.to_json({**ev.as_dict(), "leaderboard": event_leaderboard(db, ev), "laps": laps,
                            "summary": exports.summary_rows(laps)}), suffix, kind


def export_with_dialog(page, what: str, *, race: str | None = None, season: str | None = None,
                       event: str | None = None) -> Path | None:
    """Ask where, write export ``what`` (a key of :data:`KINDS` or :data:`EVENT_KINDS`), and say so
    on ``page`` (``say``, ``ctx``, ``db``); returns the file written (None when cancelled or refused,
    with the reason shown)."""
    subject = event if what.startswith("event") else season if what.startswith("season") else race
    if subject is None:
        page.say("Nothing to export yet: choose " + ("an event" if what.startswith("event") else
                                                     "a season" if what.startswith("season") else "a race") + " first.")
        return None
    try:
        text, suffix, kind = (event_export_text(page.db, what, event) if what.startswith("event")
                              else export_text(page.db, what, race=race, season=season))
    except LeagueError as exc:
        page.say(str(exc))
        return None
    folder = Path(page.ctx.setting("league/export_dir", str(Path.home())))
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in subject).strip("-") or "export"
    path, _ = QFileDialog.getSaveFileName(page, f"Export {subject}", str(folder / f"{stem}{suffix}"), kind)
    if not path:
        return None
    try:
        exports.write_export(path, text)  # a temp file renamed into place: a full disk keeps the old export
    except LeagueError as exc:
        page.say(str(exc))
        return None
    page.ctx.set_setting("league/export_dir", str(Path(path).parent))
    page.say(f"Exported to {path}", ok=True)
    return Path(path)
