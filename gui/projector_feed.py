"""What the projector shows, as plain data: :class:`ProjectorFeed`, the projector window's model.

It follows a race-day event (its leaderboard, and the live session the Race day page hands
it with :meth:`ProjectorFeed.set_session`) or a league race (its standings), and reloads
from the league database, on its own connection, whenever ``ctx.league_changed`` fires.
A followed event's finals come with it (:attr:`ProjectorFeed.bracket`, ``league.finals.bracket``), and
:attr:`ProjectorFeed.view` says whether the window shows the board or the bracket.
When a racer's time changes, that racer becomes :attr:`ProjectorFeed.newest`, which the
window highlights while it fades out.

A multi-track event shows its combined board (``league.raceday.combined_leaderboard``: the sum
of each racer's best per track), each row's detail giving the racer's result on every track in
the subtitle's order (a per-track column); the session view's map is the track the racer on it
drives.
"""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QObject, Signal


class ProjectorFeed(QObject):
    """What the projector shows; ``changed`` fires whenever any of it changes."""

    changed = Signal()

    def __init__(self, ctx=None, parent: QObject | None = None, clock=time.monotonic):
        super().__init__(parent)
        from league.db import open_db

        self.db = open_db()
        self.clock = clock
        self.source: tuple[str, str] | None = None
        """``("event", name)`` or ``("race", name)``; None: nothing yet."""
        self.title = "Trackside"
        self.subtitle = ""
        self.rows: list[dict] = []
        """``rank, racer, name, time_s, gap_s, detail``, best first."""
        self.session: dict | None = None
        """The live session: a ``SessionTimer.snapshot`` plus ``racer``, ``name``, ``driver`` and, for a
        simulated car, ``car`` and ``objects`` (its boxes and bot cars, ``sim.object_rows`` rows)."""
        self.track: str | None = None
        """The track of the session view's map: the live session's, else the followed event's first; or None."""
        self.newest: str | None = None
        self.board_version = 0
        """Counts board reloads, so a view can tell a new board from a session update."""
        self.newest_at = -math.inf
        self._times: dict[str, float | None] | None = None
        self.bracket: dict | None = None
        """The followed event's finals (``league.finals.bracket``), None without finals."""
        self.view = "board"
        """What the window shows: ``board`` (the leaderboard and the racer on track) or ``bracket``."""
        if ctx is not None:
            ctx.league_changed.connect(self.refresh)

    def follow_event(self, name: str) -> None:
        self._follow(("event", name))

    def follow_race(self, name: str) -> None:
        self._follow(("race", name))

    def _follow(self, source: tuple[str, str]) -> None:
        if source != self.source:
            self.source, self._times, self.newest = source, None, None
        self.refresh()

    def show_view(self, view: str) -> None:
        """Show the ``board`` or the ``bracket`` (the finals) on the projector."""
        if view not in ("board", "bracket"):
            raise ValueError(f"view: expected 'board' or 'bracket', got {view!r}")
        self.view = view
        self.refresh()

    def set_session(self, session: dict | None) -> None:
        """The racer on track (None: nobody); the Race day page calls it as the session runs."""
        self.session = session
        if session is not None and session.get("track") and self.source and self.source[0] == "event":
            self.track = session["track"]
        self.changed.emit()

    def highlight_age(self) -> float:
        """Seconds since the newest result landed (infinity when none did)."""
        return self.clock() - self.newest_at

    def refresh(self) -> None:
        """Reload the board from the database; a racer whose time changed becomes :attr:`newest`."""
        from league.db import LeagueError

        try:
            rows = self._load()
        except LeagueError as exc:  # the event or race was renamed away: say so on screen
            self.title, self.subtitle, rows = "Trackside", str(exc), []
        times = {r["racer"]: r["time_s"] for r in rows}
        if self._times is not None:
            old = self._times
            fresh = [r["racer"] for r in rows if r["racer"] not in old or old[r["racer"]] != r["time_s"]]
            if fresh:
                self.newest, self.newest_at = fresh[0], self.clock()
        self._times, self.rows = times, rows
        self.board_version += 1
        self.changed.emit()

    def _load(self) -> list[dict]:
        self.track, self.bracket = None, None
        if self.source is None:
            return []
        kind, name = self.source
        if kind == "event":
            from league.raceday import event_leaderboard, get_event

            ev = get_event(self.db, name)
            rank = ev.describe_ranking()
            tracks = " + ".join(track_name(t) for t in ev.tracks)
            self.title = ev.name
            self.subtitle = f"{tracks} combined  \u00b7  {rank}" if ev.multi_track else f"{tracks}  \u00b7  {rank}"
            if ev.race_type != "time_trial":
                self.subtitle += f"  \u00b7  {ev.describe_race_type()}"
            self.track = (self.session or {}).get("track") or ev.track
            self.bracket = finals_of(self.db, ev)
            if self.view == "bracket" and self.bracket:
                b = self.bracket
                self.subtitle = (f"Finals  \u00b7  {'knockout' if b['kind'] == 'bracket' else 'ladder'} of "
                                 f"{b['size']}  \u00b7  {b['laps']} laps a heat")
            return [{"rank": r["rank"], "racer": r["racer"], "name": r["display_name"], "time_s": r["time_s"],
                     "gap_s": r["gap_s"], "detail": board_detail(r), "status": r["status"]}
                    for r in event_leaderboard(self.db, ev)]
        from league.races import get_race, standings

        race = get_race(self.db, name)
        rank = {"best_lap": "best lap", "best_average": f"best average of {race.average_of} laps",
                "total_time": f"total time, {race.laps} laps"}[race.ranking]
        self.title, self.subtitle = race.name, f"{track_name(race.track)}  \u00b7  {rank}"
        return [{"rank": r["rank"], "racer": r["racer"], "name": r["display_name"], "time_s": r["time_s"],
                 "gap_s": r["gap_s"], "detail": f"{r['points']} pts", "status": "ok" if r["time_s"] else "no time"}
                for r in standings(self.db, race)]


def board_detail(row: dict) -> str:
    """A race-day row's detail: ``7/9 laps``; on a combined board each track's result in the
    subtitle's track order (``9.123 · – · 14.200``; laps under most laps), short enough to leave
    the racer's name its room."""
    if "by_track" not in row:
        return f"{row['valid_laps']}/{row['laps']} laps"
    from league.exports import format_time

    laps = row.get("by_track_laps", {})
    return "  \u00b7  ".join(f"{laps[t]} laps" if laps.get(t) is not None else format_time(s)
                             for t, s in row["by_track"].items())


def finals_of(db, event) -> dict | None:
    """The event's finals as ``league.finals.bracket`` gives them, None when it has none."""
    from league.db import LeagueError
    from league.finals import bracket

    try:
        return bracket(db, event)
    except LeagueError:
        return None


def track_name(name: str) -> str:
    from sim.library import list_tracks

    return next((t.display_name for t in list_tracks() if t.name == name and t.display_name), name)
