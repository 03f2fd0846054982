"""A model's race type and its object settings, as its ``training_config.json`` keeps them.

The race types are DeepRacer's ``RACE_TYPE`` values in lower case (DeepRacer-for-Cloud's
``defaults/template-run.env`` ``DR_RACE_TYPE`` and ``training_params.yaml`` ``RACE_TYPE``:
``TIME_TRIAL``, ``OBJECT_AVOIDANCE``, ``HEAD_TO_BOT``). The settings of a race type are kept
under DeepRacer's own names (:data:`sim.objects.DEEPRACER_NAMES`, e.g. ``NUMBER_OF_OBSTACLES``,
``BOT_CAR_SPEED``), the obstacles' for object avoidance and the bot cars' for head-to-bot, as
DeepRacer-for-Cloud's run.env groups them (``DR_OA_*`` and ``DR_H2B_*``); a time trial has none.
"""

from __future__ import annotations

from sim.errors import TracksideError
from sim.objects import DEEPRACER_NAMES, ObjectsConfig, ObjectsError

RACE_TYPES = ("time_trial", "object_avoidance", "head_to_bot")
"""Trackside's race types (DeepRacer's ``RACE_TYPE`` in lower case)."""

OBSTACLE_FIELDS = ("number_of_obstacles", "randomize_obstacle_locations", "object_positions",
                   "min_distance_between_obstacles")
"""The :class:`~sim.objects.ObjectsConfig` fields an object-avoidance race uses."""
BOT_FIELDS = ("number_of_bot_cars", "bot_car_speed", "randomize_bot_car_locations", "min_distance_between_bot_cars",
              "is_lane_change", "lower_lane_change_time", "upper_lane_change_time", "lane_change_distance")
"""The :class:`~sim.objects.ObjectsConfig` fields a head-to-bot race uses."""

_GROUPS = {"time_trial": (), "object_avoidance": OBSTACLE_FIELDS, "head_to_bot": BOT_FIELDS}


class RaceTypeError(TracksideError):
    """A race type or race setting that cannot be used; the message names it."""


def setting_names(race_type: str) -> tuple[str, ...]:
    """DeepRacer's names of the settings ``race_type`` uses (none for a time trial)."""
    return tuple(DEEPRACER_NAMES[f] for f in _GROUPS[race_type])


def objects_config(race_type: str, settings: dict | None) -> ObjectsConfig | None:
    """The objects a race of ``race_type`` with ``settings`` (DeepRacer names, values as JSON or
    strings) puts on the track; None for a time trial. Raises :class:`RaceTypeError` naming the
    setting: an unknown race type, a setting another race type uses, none of its objects."""
    if race_type not in RACE_TYPES:
        raise RaceTypeError(f"race_type: expected one of {', '.join(RACE_TYPES)}, got {str(race_type)[:40]!r}")
    settings = settings or {}
    if not isinstance(settings, dict):
        raise RaceTypeError("race_settings: expected an object of DeepRacer setting names")
    allowed = setting_names(race_type)
    for key in settings:
        if key not in allowed:
            fits = "no settings" if not allowed else f"only {', '.join(allowed)}"
            raise RaceTypeError(f"race_settings: {str(key)[:40]} does not fit race type {race_type} ({fits})")
    if race_type == "time_trial":
        return None
    try:
        objects = ObjectsConfig.from_deepracer(settings)
    except ObjectsError as exc:
        raise RaceTypeError("race_settings: " + str(exc).removeprefix("objects: ")) from None
    if race_type == "object_avoidance" and objects.n_obstacles < 1:
        raise RaceTypeError("race_settings: NUMBER_OF_OBSTACLES must be at least 1 for object_avoidance")
    if race_type == "head_to_bot" and objects.n_bots < 1:
        raise RaceTypeError("race_settings: NUMBER_OF_BOT_CARS must be at least 1 for head_to_bot")
    return objects


def race_settings(race_type: str, objects: ObjectsConfig | None) -> dict:
    """The settings ``race_type`` keeps, by DeepRacer name, from ``objects`` (all of its group)."""
    if race_type == "time_trial" or objects is None:
        return {}
    full = objects.to_deepracer()
    return {key: full[key] for key in setting_names(race_type)}


def from_deepracer_params(params: dict[str, str]) -> tuple[str, dict]:
    """The race type and its settings from DeepRacer's ``RACE_TYPE`` and setting names (a
    ``training_params.yaml`` read as text); keys of other race types are passed over.
    An absent ``RACE_TYPE`` is a time trial. Raises :class:`RaceTypeError` naming the key."""
    raw = str(params.get("RACE_TYPE", "TIME_TRIAL")).strip()
    race_type = raw.lower()
    if race_type not in RACE_TYPES:
        raise RaceTypeError(f"RACE_TYPE {raw[:40]!r} is not one Trackside trains "
                            f"({', '.join(r.upper() for r in RACE_TYPES)})")
    picked = {k: params[k] for k in setting_names(race_type) if k in params}
    return race_type, race_settings(race_type, objects_config(race_type, picked))


def describe(race_type: str, settings: dict | None) -> str:
    """One line for logs and details: the race type and the settings that matter, units named."""
    objects = objects_config(race_type, settings)
    if objects is None:
        return "time trial"
    if race_type == "object_avoidance":
        where = (f"fixed at {', '.join(f'{a:g},{b}' for a, b in objects.object_positions)}" if objects.object_positions
                 else "random places" if objects.randomize_obstacle_locations else "evenly spaced")
        return f"object avoidance: {objects.n_obstacles} obstacles, {where}"
    lanes = (f"changing lanes every {objects.lower_lane_change_time:g}-{objects.upper_lane_change_time:g} s"
             if objects.is_lane_change else "keeping their lanes")
    return f"head to bot: {objects.n_bots} bot cars at {objects.bot_car_speed:g} m/s, {lanes}"


DFC_DEFAULTS = {"object_avoidance": {"NUMBER_OF_OBSTACLES": 6}, "head_to_bot": {"NUMBER_OF_BOT_CARS": 3}}
"""What a race type starts with when its count is not given: DeepRacer-for-Cloud's
``defaults/template-run.env`` (``DR_OA_NUMBER_OF_OBSTACLES=6``, ``DR_H2B_NUMBER_OF_BOT_CARS=3``;
its other ``DR_OA_*``/``DR_H2B_*`` defaults are :class:`~sim.objects.ObjectsConfig`'s)."""


def settings_from_options(race_type: str, *, obstacles: int | None = None, randomize_obstacles: bool = False,
                          bots: int | None = None, bot_speed: float | None = None,
                          lane_change: bool = False) -> dict:
    """The race settings (DeepRacer names) from a front end's choices: ``obstacles`` boxes,
    ``bots`` bot cars at ``bot_speed`` m/s. A choice that does not fit ``race_type`` is refused
    with :class:`RaceTypeError` naming its option (``--bots``); unset counts take :data:`DFC_DEFAULTS`."""
    given = {"--obstacles": obstacles is not None, "--randomize-obstacles": randomize_obstacles,
             "--bots": bots is not None, "--bot-speed": bot_speed is not None, "--lane-change": lane_change}
    fits = {"time_trial": (), "object_avoidance": ("--obstacles", "--randomize-obstacles"),
            "head_to_bot": ("--bots", "--bot-speed", "--lane-change")}
    if race_type not in RACE_TYPES:
        raise RaceTypeError(f"--race-type: expected one of {', '.join(RACE_TYPES)}, got {str(race_type)[:40]!r}")
    for option, is_given in given.items():
        if is_given and option not in fits[race_type]:
            raise RaceTypeError(f"{option} does not fit race type {race_type}"
                                f"{' (give --race-type ' + _type_of(option, fits) + ')' if _type_of(option, fits) else ''}")
    settings = dict(DFC_DEFAULTS.get(race_type, {}))
    if race_type == "object_avoidance":
        settings.update({"RANDOMIZE_OBSTACLE_LOCATIONS": randomize_obstacles}
                        | ({"NUMBER_OF_OBSTACLES": obstacles} if obstacles is not None else {}))
    elif race_type == "head_to_bot":
        settings["IS_LANE_CHANGE"] = lane_change
        if bots is not None:
            settings["NUMBER_OF_BOT_CARS"] = bots
        if bot_speed is not None:
            settings["BOT_CAR_SPEED"] = bot_speed
    return race_settings(race_type, objects_config(race_type, settings))


def _type_of(option: str, fits: dict) -> str:
    return next((race for race, options in fits.items() if option in options), "")
