"""Race day: events, the racer queue, sessions, the event leaderboard.

- ``events``: :class:`RaceDayEvent` (track, session length, ranking, lap rules, runs cap);
- ``event_edits``: :func:`update_event`, an event changed after it was created (audited);
- ``entries``: the queue of racers, and the sessions recorded against their entries;
- ``lifecycle``: the session use case shared by ``trackside raceday run`` and the app's
  console (start: queued -> running; submit: -> done; discard: back to queued);
- ``board``: the leaderboard (``league.laptime.ranks``; per track and combined for an event on
  several tracks) and the lap rows for exports;
- ``simulated``: a model driving one timed session in the simulator (imported on use:
  it needs the simulator and torch);
- ``schema``: the race-day tables (migrations listed in ``league.migrations``).

The public names of ``events``, ``queue``, ``sessions`` and ``board`` are re-exported
here, so ``from league import raceday as rd; rd.get_event(...)`` reads naturally.
"""

from .board import combined_leaderboard, event_lap_rows, event_leaderboard, session_result_s
from .entries import (add_to_queue, check_runs_left, find_entry, get_entry, league_display_name, next_in_queue, queue,
                      record_session, remove, reorder, runs_used, session_bests, sessions, set_lap_valid, skip,
                      start_entry)
from .events import (ALIAS_RULE, DEFAULT_LENGTH_S, LENGTH_RANGE_S, RaceDayEvent, create_event, get_event, list_events,
                     parse_length, parse_ranking)
from .event_edits import update_event
from .lifecycle import ActiveSession, discard_session, run_model_session, start_session, submit_session

__all__ = [
    "ALIAS_RULE", "DEFAULT_LENGTH_S", "LENGTH_RANGE_S", "ActiveSession", "RaceDayEvent", "add_to_queue",
    "check_runs_left", "combined_leaderboard", "runs_used", "update_event",
    "create_event", "discard_session", "event_lap_rows", "event_leaderboard", "find_entry", "get_entry",
    "get_event", "league_display_name", "list_events", "next_in_queue", "parse_length", "parse_ranking", "queue",
    "record_session", "remove", "reorder", "run_model_session", "session_bests", "session_result_s", "sessions",
    "set_lap_valid",
    "skip", "start_entry", "start_session", "submit_session",
]
