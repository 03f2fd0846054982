"""One model folder: its files, read and written through the concerns that own them.

The state (``status.json``) is :mod:`trainer.model_state`, the checkpoints
:mod:`trainer.checkpoints`, the metrics and logs :mod:`trainer.model_metrics`, the atomic
file writes :mod:`trainer.model_files`. See :mod:`trainer.model_store` for the folder layout
and the store that creates, lists, clones, renames and deletes models.
"""
from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from sim.errors import TracksideError
from trainer.hyperparameters import Hyperparameters, TrainingConfig
from trainer.metadata import ModelMetadata

from . import reward_trust
from .checkpoints import CheckpointsMixin, eval_number
from .model_files import (
    READ_ONLY_MESSAGE,
    ModelStoreError,
    ReadOnlyModelError,
    atomic_write,
    atomic_write_json,
    read_json,
)
from .model_metrics import ModelMetricsMixin
from .model_rules import check_reward, check_trainable
from .model_state import ModelState, ModelStateMixin

STANDARD_NAME = "standard"
NAME_RULE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class ModelInfo:
    """One line of the model list."""

    name: str
    status: str
    track: str | None
    sensor: str | None
    """Every sensor the network sees, camera first, e.g. ``FRONT_FACING_CAMERA + LIDAR``."""
    n_actions: int
    """Discrete actions (0 for continuous)."""
    action_space_type: str | None
    best_lap_s: float | None
    """The standing-start lap on the training track, s, of the checkpoint evaluations drive
    (the best one unless a final one was chosen): what ``trackside evaluate`` gives for lap 1 there."""
    created: str | None
    read_only: bool
    problem: str | None = None
    """Why the folder could not be read, if it could not."""


def standing_start_lap(entry: dict | None) -> float | None:
    """Lap 1 from a standing start under ``trackside evaluate``'s default rules, of a checkpoint's
    training evaluation, s (older checkpoints: the first lap of their evaluation)."""
    ev = entry.get("eval") if isinstance(entry, dict) else None
    if not isinstance(ev, dict):
        return None
    # A broken entry (a list, a string, 1e308) reads as no lap, never as an error or a nonsense time.
    key = "standing_start_s" if "standing_start_s" in ev else "first_lap_s"
    return eval_number(ev, key, 1e-3)


class Model(ModelStateMixin, CheckpointsMixin, ModelMetricsMixin):
    """A model folder. Every write checks that the model may change now."""

    def __init__(self, path: str | os.PathLike, *, read_only: bool = False, name: str | None = None):
        self.path = Path(path)
        self.name = name or self.path.name
        self.read_only = read_only
        p = self.path
        self.metadata_path = p / "model" / "model_metadata.json"
        self.hyperparameters_path = p / "ip" / "hyperparameters.json"
        self.reward_path = p / "reward_function.py"
        self.config_path = p / "training_config.json"
        self.status_path = p / "status.json"
        self.checkpoints_dir = p / "checkpoints"

    def __repr__(self) -> str:
        return f"Model({self.name!r}, {str(self.path)!r}{', read_only' if self.read_only else ''})"

    def _writable(self, *, not_busy: bool = False) -> None:
        if self.read_only:
            raise ReadOnlyModelError(READ_ONLY_MESSAGE)
        if not_busy and self.is_busy():
            raise ModelStoreError(f"model {self.name!r} is training; stop it first")

    # -- files ------------------------------------------------------------------------------
    def metadata(self) -> ModelMetadata:
        return ModelMetadata.from_json(self.metadata_path.read_bytes())

    def write_metadata(self, metadata: ModelMetadata) -> None:
        """Only a draft may change what it is: trained weights fit only their own action space and sensor."""
        self._writable()
        if self.status_path.exists() and self.status().status != ModelState.DRAFT:
            raise ModelStoreError(f"model {self.name!r} has been trained; its action space and sensor are "
                                  "fixed (create a new model to change them)")
        atomic_write(self.metadata_path, metadata.to_json())

    def hyperparameters(self) -> Hyperparameters:
        return Hyperparameters.from_json(self.hyperparameters_path.read_bytes())

    def write_hyperparameters(self, hp: Hyperparameters) -> None:
        self._writable(not_busy=True)
        atomic_write(self.hyperparameters_path, hp.to_json())

    def reward_source(self) -> str:
        return self.reward_path.read_text(encoding="utf-8")

    def write_reward_source(self, source: str) -> None:
        """Replace the reward function; one that does not load is refused."""
        self._writable(not_busy=True)
        check_reward(source)
        atomic_write(self.reward_path, source)
        reward_trust.mark_trusted(self.path)

    def training_config(self) -> TrainingConfig:
        return TrainingConfig.from_dict(read_json(self.config_path))

    def write_training_config(self, config: TrainingConfig | dict) -> None:
        """Replace the training settings; a competition track is refused."""
        self._writable(not_busy=True)
        config = config if isinstance(config, TrainingConfig) else TrainingConfig.from_dict(config)
        check_trainable(config.track)
        atomic_write_json(self.config_path, asdict(config))

    # -- summary ------------------------------------------------------------------------------
    def best_lap_s(self) -> float | None:
        """The standing-start lap on the training track, s, of the checkpoint evaluations and races
        drive (:meth:`pick_checkpoint`: the best one unless a final one was chosen); None before a lap."""
        which = self.pick_checkpoint()
        if which is None or which == "initial":
            return None
        try:
            return standing_start_lap(self.checkpoint_entry(which))
        except ModelStoreError:
            return None

    def info(self) -> ModelInfo:
        try:
            meta, st = self.metadata(), self.status()
            track = self.training_config().track if self.config_path.exists() else None
            return ModelInfo(self.name, st.status.value, track, meta.sensor_label, meta.action_space.n,
                             meta.action_space_type, self.best_lap_s(), st.created, self.read_only)
        except (OSError, ValueError, TypeError, KeyError, AttributeError, TracksideError) as exc:
            # One broken folder is one problem line; it never hides the other models.
            text = str(exc).splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            return ModelInfo(self.name, "failed", None, None, 0, None, None, None, self.read_only,
                             problem=f"cannot read model folder: {text}")
