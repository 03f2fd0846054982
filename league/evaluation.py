"""Evaluate a model on any track for N laps, as DeepRacer's evaluation does (conventions section 6).

The laps are driven by :func:`trainer.evaluation.evaluate_policy` with the model's greedy
policy (most likely action, or the mean), so the same model on the same track under the
same rules gives the same lap times to the last bit: torch runs on one thread while it
drives, because a different thread count may sum a layer in a different order.

Rules (:class:`trainer.evaluation.EvaluationRules`): ``trials`` (each lap from a standing
start) or ``continuous`` laps; an off-track penalty in seconds (DeepRacer's default 2)
after which the car is put back at the progress it reached, or ``penalty_s=None`` for no
resets (a lap ends off the road). Lap times are simulated seconds, penalties included,
interpolated to the moment the reference point crosses the finish line.

Each evaluation of a user's model writes
``evaluation-YYYYMMDDHHMMSS/evaluation-simtrace/0-iteration.csv`` (SIM_TRACE) into the
model folder, where deepracer-utils looks for it. The standard model's folder is
read-only, so its traces go to ``home()/evaluations/standard/evaluation-.../``.
"""

from __future__ import annotations

import contextlib
import pickle
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from sim.env import IN_PROGRESS, LAP_COMPLETE, STATUSES
from sim.library import load_track
from sim.paths import home
from sim.track import Track
from trainer.evaluation import EvaluationRules, LapResult, evaluate_policy, greedy_actor, summarize
from trainer.model_store import Model, ModelStore, ModelStoreError
from trainer.simtrace import SimTraceWriter

from .db import LeagueError

CHECKPOINT_WORDS = ("final", "best", "latest", "initial")
_ITERATION_FILE = re.compile(r"^iteration-(\d+)\.pt$")


@dataclass
class Evaluation:
    """The result of one evaluation: which weights, where, under which rules, and each lap."""

    model: str
    checkpoint: str
    """What was asked for: ``final``, ``best``, ``latest``, ``initial`` or an iteration number."""
    iteration: int | None
    """The training iteration whose weights ran (None for a clone's or an import's initial weights)."""
    track: str
    rules: EvaluationRules
    laps: list[LapResult]
    summary: dict = field(default_factory=dict)
    """:func:`trainer.evaluation.summarize` of the laps (``best_lap_s``, ``mean_lap_s`` in s ...)."""
    simtrace: str | None = None
    """Path of the SIM_TRACE file written, if any."""

    def to_dict(self) -> dict:
        """Plain JSON-ready dict; ``laps`` hold ``lap, time_s, completed, progress, off_track, ...``."""
        return {"model": self.model, "checkpoint": self.checkpoint, "iteration": self.iteration,
                "track": self.track, "rules": asdict(self.rules), "laps": [asdict(lap) for lap in self.laps],
                "summary": dict(self.summary), "simtrace": self.simtrace}


def parse_checkpoint(which: str | int | None) -> str | int | None:
    """``"12"`` -> 12; ``best``/``final``/``latest``/``initial`` kept; None stays None (pick the usual one)."""
    if which is None or (isinstance(which, int) and not isinstance(which, bool)):
        return which
    text = str(which).strip().lower()
    if text.isdigit():
        return int(text)
    if text in CHECKPOINT_WORDS:
        return text
    raise LeagueError(f"checkpoint: expected an iteration number or one of {', '.join(CHECKPOINT_WORDS)}, "
                      f"got {which!r}")


def resolve_checkpoint(model: Model, which: str | int | None) -> tuple[str | int, Path, int | None]:
    """``(which, file, iteration)`` of the checkpoint ``which`` (None: final, else best, latest, initial)."""
    which = parse_checkpoint(which)
    if which is None:
        which = model.pick_checkpoint()
        if which is None:
            raise LeagueError(f"model {model.name!r} has no trained checkpoint yet; train it first")
    try:
        path = model.resolve_checkpoint(which)
    except ModelStoreError as exc:
        raise LeagueError(str(exc)) from None
    m = _ITERATION_FILE.match(path.name)
    return which, path, int(m.group(1)) if m else None


def get_model(name: str | Model) -> Model:
    """The model called ``name`` (the read-only ``standard`` one included), or a clear LeagueError."""
    if isinstance(name, Model):
        return name
    try:
        return ModelStore().get(name)
    except ModelStoreError as exc:
        raise LeagueError(str(exc)) from None


def evaluate_model(model: str | Model, track: str | Track, rules: EvaluationRules | None = None, *,
                   checkpoint: str | int | None = None, simtrace: bool = True, on_step=None) -> Evaluation:
    """Drive ``rules.laps`` laps of ``track`` with ``model``'s greedy policy.

    ``checkpoint``: an iteration, ``final``, ``best``, ``latest`` or ``initial`` (default:
    final, else best, else latest). ``simtrace``: write the SIM_TRACE file (see the module
    docstring for where). ``on_step(env, info, actions, lap)`` is called after every
    simulated step (a replay recorder). Raises :class:`LeagueError` for an unknown model,
    a missing checkpoint, or weights whose action space or sensor cannot run here.
    """
    model = get_model(model)
    track = track if isinstance(track, Track) else load_track(track)
    rules = rules or EvaluationRules()
    check_rules(rules)
    which, _, iteration = resolve_checkpoint(model, checkpoint)
    trace_path = _trace_path(model) if simtrace else None
    laps = run_laps(model, which, track, rules, trace_path=trace_path, on_step=on_step)
    return Evaluation(model.name, str(which), iteration, track.name, rules, laps, summarize(laps),
                      str(trace_path) if trace_path else None)


def check_rules(rules: EvaluationRules) -> None:
    if not isinstance(rules.laps, int) or not 1 <= rules.laps <= 100:
        raise LeagueError(f"laps: expected 1..100, got {rules.laps!r}")
    if rules.mode not in ("trials", "continuous"):
        raise LeagueError(f"mode: expected 'trials' or 'continuous', got {rules.mode!r}")
    if rules.penalty_s is not None and not 0 <= rules.penalty_s <= 60:
        raise LeagueError(f"penalty: expected 0..60 s, got {rules.penalty_s!r}")


def run_laps(model: Model, which: str | int, track: Track, rules: EvaluationRules, *,
             trace_path: Path | None = None, on_step=None) -> list[LapResult]:
    """The laps of ``model``'s checkpoint ``which`` on ``track``; SIM_TRACE rows to ``trace_path`` if given."""
    from trainer.training import CAMERA_SIZE

    agent, meta = load_policy(model, which)
    sensor = meta.primary_sensor
    greedy = greedy_actor(agent)
    checked = []

    def act(obs, speed):
        if not checked:  # the weights were trained on one sensor shape; say so plainly if this differs
            if tuple(obs.shape[1:]) != tuple(agent.obs_shape):
                raise LeagueError(f"model {model.name!r}: its weights expect {sensor} readings of shape "
                                  f"{tuple(agent.obs_shape)}, this version gives {tuple(obs.shape[1:])}")
            checked.append(True)
        return greedy(obs, speed)

    trace = _TraceRecorder(track, rules) if trace_path is not None else None
    hooks = [h for h in (trace.on_step if trace else None, on_step) if h is not None]

    def step_hook(env, info, action, lap):
        for hook in hooks:
            hook(env, info, action, lap)

    try:
        with _one_torch_thread():
            laps = evaluate_policy(act, track, meta.action_space, sensor, rules, camera_size=CAMERA_SIZE,
                                   on_step=step_hook if hooks else None)
    except (ImportError, NotImplementedError) as exc:
        raise LeagueError(f"model {model.name!r} uses the {sensor} sensor, which this version of Trackside "
                          f"cannot simulate ({exc})") from None
    if trace is not None:
        trace.write(trace_path)
    return laps


def load_policy(model: Model, which: str | int):
    """``(agent, metadata)`` for a checkpoint, with any mismatch reported as a LeagueError."""
    from trainer.training import load_agent

    try:
        meta = model.metadata()
    except (OSError, ValueError) as exc:
        raise LeagueError(f"model {model.name!r}: cannot read model_metadata.json ({exc})") from None
    try:
        return load_agent(model, which)
    except ModelStoreError as exc:
        raise LeagueError(str(exc)) from None
    except (RuntimeError, KeyError, EOFError, pickle.UnpicklingError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise LeagueError(f"model {model.name!r}: checkpoint {which} does not fit its action space "
                          f"({meta.action_space.n or 'continuous'} actions) and sensor "
                          f"({meta.primary_sensor}): {first}") from None


@contextlib.contextmanager
def _one_torch_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


# -- SIM_TRACE ---------------------------------------------------------------------------------
def _trace_path(model: Model) -> Path:
    if not model.read_only:
        return model.new_evaluation_simtrace_path()
    # A read-only model keeps its folder untouched; same layout under the home instead.
    base = home() / "evaluations" / model.name
    t = int(time.time())
    while True:
        folder = base / f"evaluation-{time.strftime('%Y%m%d%H%M%S', time.gmtime(t))}"
        with contextlib.suppress(FileExistsError):
            (folder / "evaluation-simtrace").mkdir(parents=True)
            return folder / "evaluation-simtrace" / "0-iteration.csv"
        t += 1


class _TraceRecorder:
    """Collects one SIM_TRACE row per step and writes them in one go (cheaper than per step)."""

    def __init__(self, track: Track, rules: EvaluationRules):
        self.track_len = float(track.length)
        self.rules = rules
        self.clock = 0.0   # simulated s since the evaluation started, penalties included
        self.cols: dict[str, list] = {k: [] for k in ("episode", "steps", "x", "y", "yaw", "steer", "throttle",
                                                       "action", "done", "on", "progress", "wp", "t", "status")}

    def on_step(self, env, info, action, lap: int) -> None:
        c = self.cols
        status = int(info["status"][0])
        steps = int(info["steps"][0])
        penalised = self.rules.penalty_s is not None and bool(info["off_track"][0]) and status != LAP_COMPLETE
        self.clock += env.dt
        if status == IN_PROGRESS:
            name = "off_track" if penalised else ("prepare" if steps == 1 else "in_progress")
        else:
            name = STATUSES[status]
        c["episode"].append(lap - 1)
        c["steps"].append(steps)
        c["x"].append(float(info["x"][0]))
        c["y"].append(float(info["y"][0]))
        c["yaw"].append(float(np.degrees(info["yaw"][0])))
        c["steer"].append(float(info["steering"][0]))
        c["throttle"].append(float(info["speed"][0]))
        a = np.asarray(action)
        c["action"].append(a.reshape(-1, 2)[0] if a.dtype.kind == "f" and a.size == 2 else int(a.reshape(-1)[0]))
        c["done"].append(status != IN_PROGRESS)
        c["on"].append(bool(info["all_wheels_on_track"][0]))
        c["progress"].append(float(info["progress"][0]))
        c["wp"].append(int(info["closest_waypoint"][0]))
        c["t"].append(self.clock)
        c["status"].append(name)
        if penalised:  # the car stands out its penalty before the next row
            self.clock += self.rules.penalty_s

    def write(self, path: Path) -> None:
        c = self.cols
        if not c["steps"]:
            return
        action = np.array(c["action"])
        with SimTraceWriter(path) as w:
            w.write_rows(episode=np.array(c["episode"]), steps=np.array(c["steps"]), x=np.array(c["x"]),
                         y=np.array(c["y"]), yaw=np.array(c["yaw"]), steer=np.array(c["steer"]),
                         throttle=np.array(c["throttle"]), action=action, reward=0.0, done=np.array(c["done"]),
                         all_wheels_on_track=np.array(c["on"]), progress=np.array(c["progress"]),
                         closest_waypoint=np.array(c["wp"]), track_len=self.track_len, tstamp=np.array(c["t"]),
                         episode_status=np.array(c["status"], dtype=object))
