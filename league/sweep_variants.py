"""A sweep's variants: what differs from the base model, and each variant as a model on disk.

A sweep (:mod:`league.sweep`) varies a base model along up to four axes: the reward function,
hyperparameters (DeepRacer's names, e.g. ``lr``), the top speed of the action space and the race
type. Its variants are every combination of the values given (an axis not given keeps the base's
value). Each variant becomes an ordinary model, ``BASE-sweep-N`` unless named, that starts from the
base's weights (:meth:`trainer.model_store.ModelStore.clone`).

A speed variant keeps the base's actions (same count, same steering angles) with every speed
scaled so the fastest is the new top speed; the network's inputs and outputs keep their shape, so
it starts from the base's weights too (a clone's rule, "same action space", is about that shape:
the index of an action still means the same steering, only faster or slower).
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field, fields, replace

from sim.actions import ActionSpace
from sim.errors import TracksideError
from trainer.checkpoints import checkpoint_iteration
from trainer.hyperparameters import Hyperparameters
from trainer.model_store import Model, ModelStore
from trainer.race import settings_from_options


class SweepError(TracksideError):
    """A sweep that cannot run as asked: one line for the user."""


@dataclass(frozen=True)
class RewardChoice:
    """One reward function of a sweep: a label (its file name) and its source."""

    label: str
    source: str


@dataclass
class Variant:
    """What one variant changes from the base (None: the base's own)."""

    name: str
    reward: str | None = None
    """The reward's label (file name)."""
    hyperparameters: dict = field(default_factory=dict)
    """DeepRacer hyperparameter name -> value."""
    max_speed: float | None = None
    """Top speed of the action space, m/s."""
    race_type: str | None = None

    def label(self) -> str:
        """What the variant changes, in a few words: ``speed_aware.py, lr=0.001, 2 m/s``."""
        parts = [self.reward] if self.reward else []
        parts += [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in self.hyperparameters.items()]
        if self.max_speed is not None:
            parts.append(f"{self.max_speed:g} m/s")
        if self.race_type:
            parts.append(self.race_type)
        return ", ".join(parts) or "the base as it is"

    def to_dict(self) -> dict:
        return {**asdict(self), "label": self.label()}


def parse_hp_axis(text: str) -> tuple[str, list]:
    """``"lr=0.0003,0.001"`` -> ``("lr", [0.0003, 0.001])``, each value checked as
    :class:`Hyperparameters` checks it (the message names the hyperparameter)."""
    name, sep, values = text.partition("=")
    name = name.strip()
    known = {f.name: f.type for f in fields(Hyperparameters)}
    if not sep or not values.strip():
        raise SweepError(f"--hp {text!r}: expected NAME=V1,V2 (e.g. lr=0.0003,0.001)")
    if name not in known:
        raise SweepError(f"--hp {text!r}: no hyperparameter named {name!r} (one of: {', '.join(sorted(known))})")
    out = []
    for raw in values.split(","):
        raw = raw.strip()
        value = raw if known[name] == "str" else _number(raw, name, integer=known[name] == "int")
        try:
            Hyperparameters.from_dict({name: value})
        except TracksideError as exc:
            raise SweepError(f"--hp {name}: {exc}") from None
        out.append(value)
    return name, out


def _number(raw: str, name: str, *, integer: bool) -> float | int:
    try:
        return int(raw) if integer else float(raw)
    except ValueError:
        raise SweepError(f"--hp {name}: {raw!r} is not a {'whole number' if integer else 'number'}") from None


def plan_variants(base: str, rewards: list[RewardChoice], hyperparameters: dict[str, list], speeds: list[float],
                  race_types: list[str], names: list[str] | None = None, *, taken=()) -> list[Variant]:
    """Every combination of the values given, in order (rewards vary slowest); ``names`` name them
    (as many as there are variants), else ``BASE-sweep-N`` with N from 1, skipping names in ``taken``."""
    hp_items = [[(k, v) for v in values] for k, values in hyperparameters.items()]
    combos = list(itertools.product([r.label for r in rewards] or [None], itertools.product(*hp_items),
                                    speeds or [None], race_types or [None]))
    if names and len(names) != len(combos):
        raise SweepError(f"{len(names)} names given for {len(combos)} variants")
    if not names:
        lower = {t.lower() for t in taken}
        numbers = (n for n in itertools.count(1) if f"{base}-sweep-{n}".lower() not in lower)
        names = [f"{base}-sweep-{n}" for n, _ in zip(numbers, combos)]
    return [Variant(name, reward, dict(hp), speed, race)
            for name, (reward, hp, speed, race) in zip(names, combos)]


def create_variant(store: ModelStore, base: str, variant: Variant, rewards: list[RewardChoice]) -> Model:
    """``variant`` as a new model cloned from ``base`` (refused as :meth:`ModelStore.clone` refuses:
    a taken name, a reward function that does not load ...)."""
    source = store.get(base)
    reward = next((r for r in rewards if r.label == variant.reward), None)
    hp = source.hyperparameters()
    if variant.hyperparameters:
        hp = Hyperparameters.from_dict({**hp.to_dict(), **variant.hyperparameters})
    config = source.training_config()
    if variant.race_type:
        config = replace(config, race_type=variant.race_type, race_settings=settings_from_options(variant.race_type))
    if variant.max_speed is None:
        return store.clone(base, variant.name, reward_source=reward and reward.source, hyperparameters=hp,
                           training_config=config, reward_filename=reward.label if reward else "reward_function.py")
    meta = source.metadata()
    meta = replace(meta, action_space=scaled_speeds(meta.action_space, variant.max_speed))
    which = source.pick_checkpoint()
    initial = source.resolve_checkpoint(which) if which else None
    config = replace(config, init_from=None, cloned_from={
        "model": base, "iteration": checkpoint_iteration(initial) if initial is not None else None})
    return store.create(variant.name, meta, hp, reward.source if reward else source.reward_source(), config,
                        initial=initial, reward_filename=reward.label if reward else "reward_function.py")


def scaled_speeds(space: ActionSpace, max_speed: float) -> ActionSpace:
    """``space`` with its fastest speed ``max_speed`` (m/s): discrete speeds scaled by one factor,
    a continuous range's top moved (its bottom kept below it)."""
    if space.kind == "continuous":
        low = min(space.speed_range[0], max_speed / 2)
        return ActionSpace.continuous(space.steering_range, (low, max_speed))
    factor = max_speed / space.max_speed
    return ActionSpace(kind="discrete", actions=tuple((steer, round(speed * factor, 3))
                                                      for steer, speed in space.actions))
