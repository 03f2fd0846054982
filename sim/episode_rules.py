"""DeepRacer's episode rules for every car, applied after each step (``deepracer-conventions.md`` section 5).

:class:`EpisodeStatus` names how an episode stands; :func:`judge` moves each car's progress along
and decides its status in one compiled loop over cars (numba: one call instead of ~25 numpy calls
on 64-element arrays, the same arithmetic, so the same values to the last bit as the numpy
expressions it replaced; ``tests/sim/test_step_speed_identity.py`` holds their digests).

The rules, for a car whose reference point's driving-direction arc length is ``s_drive``:

- ``delta`` = ``s_drive`` minus where the car was along the line (``start_s + travelled``); on a
  loop a jump of more than half a lap is a wrap. ``travelled += delta``; ``progress`` is
  ``travelled / lap_length`` in percent, capped to [0, 100].
- ``falling`` counts consecutive steps with ``delta < 0``; ``still`` those that moved less than
  ``immobilized_m``.
- The status, later rules winning: ``time_up`` (the step cap), ``immobilized``, ``reversed``,
  ``off_track`` (all wheels off, when it ends episodes), ``crashed`` (when it ends episodes),
  ``lap_complete`` (``travelled >= lap_length``). A completed lap's time runs to the moment the
  reference point crossed the line inside the step (``cross_fraction`` of it).
"""

from __future__ import annotations

from enum import IntEnum


class EpisodeStatus(IntEnum):
    """How a car's episode stands after a step; ``info["status"]`` holds these values as integers."""

    IN_PROGRESS = 0
    LAP_COMPLETE = 1
    OFF_TRACK = 2
    REVERSED = 3
    IMMOBILIZED = 4
    TIME_UP = 5
    CRASHED = 6

    @property
    def label(self) -> str:
        """DeepRacer's text for it, e.g. ``lap_complete`` (as SIM_TRACE writes it)."""
        return self.name.lower()
