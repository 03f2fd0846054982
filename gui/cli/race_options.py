"""The race-type options every command that sets up a race shares (``model create``, ``evaluate``,
``league race create``, ``raceday event create``): one definition, one reading.

DeepRacer's race types in lower case (``DR_RACE_TYPE``: ``TIME_TRIAL``, ``OBJECT_AVOIDANCE``,
``HEAD_TO_BOT``). Object avoidance puts ``--obstacles`` boxes on the track
(``NUMBER_OF_OBSTACLES``, ``RANDOMIZE_OBSTACLE_LOCATIONS``), head-to-bot ``--bots`` bot cars
(``NUMBER_OF_BOT_CARS``, ``BOT_CAR_SPEED``, ``IS_LANE_CHANGE``); counts not given take
DeepRacer-for-Cloud's defaults (:data:`trainer.race.DFC_DEFAULTS`). A collision costs
``--collision-penalty`` seconds where laps are timed (DeepRacer-for-Cloud's
``DR_EVAL_COLLISION_PENALTY``, default 5 s).
"""

from __future__ import annotations

import click

RACE_TYPE_CHOICES = ("time_trial", "object_avoidance", "head_to_bot")


def race_type_options(fn=None, *, collision_penalty: bool = True, head_to_model: bool = False):
    """Decorate a command with ``--race-type --obstacles --randomize-obstacles --bots --bot-speed
    --lane-change`` (and ``--collision-penalty`` unless ``collision_penalty=False``); with
    ``head_to_model`` the race type may also be ``head_to_model`` (``evaluate``: two models race)."""
    choices = RACE_TYPE_CHOICES + (("head_to_model",) if head_to_model else ())

    def decorate(f):
        opts = [
            click.option("--race-type", type=click.Choice(choices, case_sensitive=False),
                         default="time_trial", show_default=True,
                         help="DeepRacer's RACE_TYPE: boxes or bot cars on the track."),
            click.option("--obstacles", type=int, default=None,
                         help="object_avoidance: boxes on the track (default 6)."),
            click.option("--randomize-obstacles", is_flag=True,
                         help="object_avoidance: boxes at new random places every episode or lap."),
            click.option("--bots", type=int, default=None, help="head_to_bot: bot cars (default 3)."),
            click.option("--bot-speed", type=float, default=None,
                         help="head_to_bot: bot cars' speed, m/s (default 0.2, DeepRacer's)."),
            click.option("--lane-change", is_flag=True, help="head_to_bot: bot cars change lanes every 3-5 s."),
        ]  # ranges are checked by trainer.race, whose messages name DeepRacer's settings
        if collision_penalty:
            opts.append(click.option("--collision-penalty", type=click.FloatRange(0, 60), default=None,
                                     help="Seconds a car is held after hitting an object (default 5)."))
        for opt in reversed(opts):
            f = opt(f)
        return f

    return decorate(fn) if fn is not None else decorate


def read_race_type(race_type: str, obstacles=None, randomize_obstacles: bool = False, bots=None, bot_speed=None,
                   lane_change: bool = False, collision_penalty=None) -> tuple[str, dict]:
    """``(race_type, race_settings)`` from the options (settings by DeepRacer name, as
    :func:`trainer.race.settings_from_options` reads them; it refuses an option that does not fit
    the race type, naming it). ``--collision-penalty`` without objects is refused too."""
    from sim.errors import TracksideError
    from trainer.race import settings_from_options

    race_type = race_type.lower()
    if race_type == "time_trial" and collision_penalty is not None:
        raise TracksideError("--collision-penalty needs objects: --race-type object_avoidance or head_to_bot")
    settings = settings_from_options(race_type, obstacles=obstacles, randomize_obstacles=randomize_obstacles,
                                     bots=bots, bot_speed=bot_speed, lane_change=lane_change)
    return race_type, settings


RACE_OPTION_PARAMS = ("race_type", "obstacles", "randomize_obstacles", "bots", "bot_speed", "lane_change")
"""The parameters of :func:`race_type_options` that choose the race type and its settings."""


def race_type_changes(ctx: click.Context, race_type: str, obstacles=None, randomize_obstacles: bool = False,
                      bots=None, bot_speed=None, lane_change: bool = False, collision_penalty=None) -> dict:
    """For an edit command: ``{"race_type", "race_settings"}`` read by :func:`read_race_type` when the
    user gave any race-type option on the command line, else ``{}`` (the race type stays as it is)."""
    given = any(ctx.get_parameter_source(name).name != "DEFAULT" for name in RACE_OPTION_PARAMS)
    if not given:
        return {}
    race_type, settings = read_race_type(race_type, obstacles, randomize_obstacles, bots, bot_speed, lane_change,
                                         collision_penalty)
    return {"race_type": race_type, "race_settings": settings}
