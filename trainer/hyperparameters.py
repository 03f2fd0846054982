"""A model's training settings: DeepRacer's ``hyperparameters.json`` and Trackside's ``training_config.json``.

Hyperparameters: defaults are the community's (DeepRacer-for-Cloud) ones; the console's differ
(discount 0.999, 10 epochs, mean squared error loss). Each field carries a plain-words
explanation (:data:`HELP`, shown by the GUI as info tips) and, where it has one, the range
the GUI's input should allow (:data:`LIMITS`, :data:`CHOICES`).

DeepRacer spells the squared-error loss ``"mean squared error"``; ``"mse"`` is accepted
as the same thing. SAC's exploration is ``"additive_noise"`` in DeepRacer files.

:class:`TrainingConfig` holds what DeepRacer keeps in its run.env instead: the track,
direction, stop conditions, the number of cars, and the race type with its obstacle or bot-car
settings (:mod:`trainer.race`, under DeepRacer's names).
"""

from __future__ import annotations

import difflib
import json
import math
from dataclasses import asdict, dataclass, field, fields

from sim.errors import TracksideError

from .race import RaceTypeError, objects_config
from .race import race_settings as settings_of


class HyperparameterError(TracksideError):
    """A hyperparameter Trackside cannot use. The message names the field."""


class TrainingConfigError(TracksideError):
    """A training setting Trackside cannot use. The message names the field."""


def _f(default, help: str, limits: tuple | None = None, choices: tuple | None = None):
    # The explanation sits next to the field it explains, and is also what the GUI shows.
    return field(default=default, metadata={"help": help, "limits": limits, "choices": choices})


@dataclass
class Hyperparameters:
    """PPO and SAC settings (:data:`USED_BY` says which each uses). One iteration = collect
    ``num_episodes_between_training`` episodes, then learn: PPO makes ``num_epochs`` passes over
    them in minibatches of ``batch_size``; SAC takes one gradient step per collected step on a
    minibatch of ``batch_size`` from its replay buffer."""

    batch_size: int = _f(64, "How many experience steps the network learns from at once. Larger batches give "
                             "smoother, steadier updates but each iteration takes longer.", (1, 4096))
    beta_entropy: float = _f(0.01, "PPO only: how much the car is encouraged to keep trying different actions instead of "
                                   "always picking its favourite. Higher means more exploration.", (0.0, 1.0))
    discount_factor: float = _f(0.99, "How far ahead the car plans: how much a reward in the future counts "
                                      "compared with one now. 0.99 looks roughly 100 steps (about 7 s) ahead; "
                                      "0.999 about 1000 steps.", (0.0, 1.0))
    e_greedy_value: float = _f(0.05, "With e-greedy exploration: the share of steps (0..1) on which the car takes a "
                                     "random action instead of its best one.", (0.0, 1.0))
    epsilon_steps: int = _f(10000, "With e-greedy exploration: over how many steps the share of random actions "
                                   "shrinks to e_greedy_value.", (0, 100_000_000))
    exploration_type: str = _f("categorical", "How the car tries new actions: 'categorical' samples actions by "
                                              "the network's own probabilities (PPO); 'e-greedy' sometimes takes "
                                              "a random action; 'additive_noise' adds noise (SAC).",
                               choices=("categorical", "e-greedy", "additive_noise"))
    loss_type: str = _f("huber", "How errors in the value estimate are measured: 'huber' is gentle with big "
                                 "surprises; 'mean squared error' (or 'mse') punishes them harder.",
                        choices=("huber", "mse", "mean squared error"))
    lr: float = _f(0.0003, "Learning rate: how big a step the network takes on each update. Too high and "
                           "training jumps around; too low and it learns slowly.", (0.0, 1.0))
    num_episodes_between_training: int = _f(20, "How many episodes the cars drive to gather experience before "
                                                "each round of learning (one iteration).", (1, 1000))
    num_epochs: int = _f(5, "PPO only: how many times each iteration's experience is gone over while learning. More "
                            "passes learn more from the same driving but can overfit to it.", (1, 100))
    stack_size: int = _f(1, "How many consecutive sensor frames the network sees at once (1 = only the "
                            "latest).", (1, 10))
    # Stop conditions as DeepRacer's trainer reads them (aws-deepracer-community/deepracer-simapp,
    # bundle/markov/sagemaker_graph_manager.py: improve_steps = TrainingSteps(term_cond_max_episodes);
    # bundle/markov/training_worker.py counts one step per policy update; term_cond_avg_score is
    # read there and never used).
    term_cond_avg_score: float = _f(350.0, "Not used: kept so DeepRacer's files load and save unchanged. "
                                           "DeepRacer reads it and ignores it too; training never stops on "
                                           "the average reward.", (0.0, 1e9))
    term_cond_max_episodes: int = _f(1000, "Despite its name, the number of training iterations (rounds of "
                                           "driving then learning) after which training stops, as in "
                                           "DeepRacer. The time limit usually ends a training first.",
                                     (1, 100_000_000))
    sac_alpha: float = _f(0.2, "SAC only: how strongly randomness in the actions is rewarded (the entropy "
                               "weight, fixed for the whole training as in DeepRacer; it counts against the "
                               "reward's scale). Higher explores more.", (0.0, 1.0))

    def __post_init__(self):
        for f in fields(self):
            setattr(self, f.name, _check(f, getattr(self, f.name)))

    # -- JSON -----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=4) + "\n"

    @classmethod
    def from_dict(cls, d: dict) -> "Hyperparameters":
        """Read a ``hyperparameters.json`` dict; missing keys take the defaults, unknown keys are refused."""
        if not isinstance(d, dict):
            raise HyperparameterError(f"hyperparameters.json: expected a JSON object, got {type(d).__name__}")
        names = [f.name for f in fields(cls)]
        for key in d:
            if key not in names:
                close = _alias(str(key)) or difflib.get_close_matches(str(key), names, n=1, cutoff=0.5)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise HyperparameterError(f"unknown hyperparameter {key!r}{hint}")
        return cls(**d)

    @classmethod
    def from_json(cls, text: str | bytes) -> "Hyperparameters":
        try:
            d = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise HyperparameterError(f"hyperparameters.json: not valid JSON ({exc})") from None
        try:
            return cls.from_dict(d)
        except HyperparameterError as exc:
            text = str(exc)
            raise HyperparameterError(text if text.startswith("hyperparameters.json") else
                                      f"hyperparameters.json: {text}") from None


USED_BY: dict[str, tuple[str, ...]] = {
    "clipped_ppo": ("batch_size", "beta_entropy", "discount_factor", "loss_type", "lr",
                    "num_episodes_between_training", "num_epochs", "term_cond_max_episodes"),
    "sac": ("batch_size", "discount_factor", "loss_type", "lr", "num_episodes_between_training", "sac_alpha",
            "term_cond_max_episodes"),
}
"""The hyperparameters each ``training_algorithm`` uses, by DeepRacer name: DeepRacer reads
``beta_entropy`` and ``num_epochs`` for clipped_ppo only and ``sac_alpha`` for sac only
(``get_updated_hyper_parameters`` in deepracer-simapp's ``bundle/markov/sagemaker_graph_manager.py``).
The others are kept so DeepRacer's files load and save unchanged."""

HELP: dict[str, str] = {f.name: f.metadata["help"] for f in fields(Hyperparameters)}
"""Plain-words explanation of each hyperparameter, by DeepRacer name."""
LIMITS: dict[str, tuple] = {f.name: f.metadata["limits"] for f in fields(Hyperparameters) if f.metadata["limits"]}
"""Allowed (low, high) of each numeric hyperparameter. ``lr`` excludes 0."""
CHOICES: dict[str, tuple] = {f.name: f.metadata["choices"] for f in fields(Hyperparameters) if f.metadata["choices"]}
"""Allowed values of each text hyperparameter."""

# Names people type from other RL libraries, for the "did you mean" hint where difflib
# finds nothing close in spelling.
_ALIASES = {"learning_rate": "lr", "gamma": "discount_factor", "entropy": "beta_entropy", "ent_coef": "beta_entropy",
            "epochs": "num_epochs", "n_epochs": "num_epochs", "episodes": "num_episodes_between_training",
            "minibatch_size": "batch_size", "alpha": "sac_alpha"}


def _alias(key: str) -> list[str]:
    return [_ALIASES[key]] if key in _ALIASES else []


def _check(f, value):
    """The value converted to the field's type, or a HyperparameterError naming the field."""
    name, kind = f.name, f.type
    if kind in ("int", int):
        # JSON written by other tools sometimes has 64.0 for 64; a whole float is fine.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise HyperparameterError(f"{name}: expected a whole number, got {_short(value)}")
    elif kind in ("float", float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise HyperparameterError(f"{name}: expected a number, got {_short(value)}")
        try:
            value = float(value)  # a 400-digit integer does not fit a float
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            raise HyperparameterError(f"{name}: expected a finite number, got {_short(value)}")
    else:
        if not isinstance(value, str):
            raise HyperparameterError(f"{name}: expected text, got {_short(value)}")
    lo_hi, choices = f.metadata["limits"], f.metadata["choices"]
    if choices and value not in choices:
        raise HyperparameterError(f"{name}: expected one of {', '.join(repr(c) for c in choices)}, got {value!r}")
    if lo_hi:
        lo, hi = lo_hi
        # A learning rate of 0 would never learn: the range is (0, 1].
        low_ok = value > lo if name == "lr" else value >= lo
        if not (low_ok and value <= hi):
            bracket = "(" if name == "lr" else "["
            raise HyperparameterError(f"{name}: must be in {bracket}{lo:g}, {hi:g}], got {_short(value)}")
    return value


def _short(value) -> str:
    # A hostile file's value can be megabytes long; the message stays one short line.
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass
class TrainingConfig:
    """Trackside's own training settings (``training_config.json``); DeepRacer keeps these in its run.env."""

    track: str = "workshop_loop"
    """Track name (a bundled or imported track)."""
    reverse: bool = False
    """Drive the track in the reversed direction."""
    alternate_direction: bool = False
    """Every other episode drives the other way round."""
    round_robin: bool = True
    """Each episode starts 5% of a lap further on than the last."""
    max_minutes: float | None = 60.0
    """Stop after this much wall-clock training time, minutes (None: no limit)."""
    max_episodes: int | None = None
    """Stop after this many episodes in this run (None: no episode limit). Trackside's own; DeepRacer's
    ``term_cond_max_episodes`` hyperparameter counts training iterations instead."""
    target_progress: float | None = None
    """Stop once an evaluation reaches this mean progress, % (None: never)."""
    seed: int = 0
    """Seed for every random choice in training."""
    n_cars: int = 32
    """Cars driving at once, each in its own copy of the track."""
    init_from: str | None = None
    """Starting weights relative to the model folder (e.g. checkpoints/initial.pt); None: random."""
    cloned_from: dict | None = None
    """{"model": name, "iteration": n} when the starting weights came from another model."""
    race_type: str = "time_trial"
    """``time_trial``, ``object_avoidance`` or ``head_to_bot`` (DeepRacer's ``RACE_TYPE``, lower case)."""
    race_settings: dict = field(default_factory=dict)
    """The race type's object settings by DeepRacer's names (``NUMBER_OF_OBSTACLES``, ``BOT_CAR_SPEED`` m/s,
    ...; :mod:`trainer.race`); empty for a time trial. Files without these keys are time trials."""

    def __post_init__(self):
        def bad(name, want):
            raise TrainingConfigError(f"training_config.{name}: expected {want}, got {_short(getattr(self, name))}")
        if not isinstance(self.track, str) or not self.track:
            bad("track", "a track name")
        for name in ("reverse", "alternate_direction", "round_robin"):
            if not isinstance(getattr(self, name), bool):
                bad(name, "true or false")
        if self.max_minutes is not None and (isinstance(self.max_minutes, bool) or not isinstance(
                self.max_minutes, (int, float)) or not 0 < self.max_minutes <= 60 * 24 * 30):
            bad("max_minutes", "minutes above 0 (at most 30 days) or null")
        if self.max_episodes is not None and (isinstance(self.max_episodes, bool)
                                              or not isinstance(self.max_episodes, int) or self.max_episodes < 1):
            bad("max_episodes", "a whole number >= 1 or null")
        if self.target_progress is not None and (isinstance(self.target_progress, bool) or not isinstance(
                self.target_progress, (int, float)) or not 0 < self.target_progress <= 100):
            bad("target_progress", "a progress in (0, 100] % or null")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            bad("seed", "a whole number")
        if isinstance(self.n_cars, bool) or not isinstance(self.n_cars, int) or not 1 <= self.n_cars <= 256:
            bad("n_cars", "a whole number 1..256")
        try:  # kept as the whole group, typed, so files and exports all read the same
            self.race_settings = settings_of(self.race_type, objects_config(self.race_type, self.race_settings))
        except RaceTypeError as exc:
            raise TrainingConfigError(f"training_config.{exc}") from None

    def objects(self):
        """The :class:`sim.objects.ObjectsConfig` of the race type (None for a time trial)."""
        return objects_config(self.race_type, self.race_settings)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainingConfig":
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names) if isinstance(d, dict) else []
        if not isinstance(d, dict) or unknown:
            raise TrainingConfigError(f"training_config.json: unknown key(s) {unknown}" if unknown
                                      else "training_config.json: expected a JSON object")
        return cls(**d)

    def to_dict(self) -> dict:
        return asdict(self)
