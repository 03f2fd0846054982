"""Models on disk: one folder per model under ``home()/models/NAME/``.

The folder is laid out so deepracer-utils' ``DeepRacerLog(folder)`` opens it as a
DeepRacer-for-Cloud single-worker model (it recognises that layout by the
``training-simtrace/`` folder, so every model has one from creation on)::

    NAME/
      model/model_metadata.json      action space, sensors, network (DeepRacer format)
      ip/hyperparameters.json        DeepRacer hyperparameters
      reward_function.py             the user's reward function
      training_config.json           Trackside's own: track, direction, stop conditions ...
      status.json                    {"status", "reason", "updated", "created", "pid", "detail"}
      checkpoints/iteration-0007.pt  one torch.save'd dict per iteration (0-based)
      checkpoints/initial.pt         a clone's or an import's starting weights
      checkpoints/index.json         per iteration: episodes, time, eval; "best" and "final"
      metrics/episodes.jsonl         append-only, one JSON object per line
      metrics/iterations.jsonl
      metrics/TrainingMetrics.json   DeepRacer's per-episode metrics (trainer/deepracer_metrics.py)
      metrics/evaluation/evaluation-YYYYMMDDHHMMSS.json   DeepRacer-for-Cloud's, one per evaluation
      logs/training.log
      training-simtrace/{iteration}-iteration.csv   every car, whole episodes (trainer/episode_traces.py)
      evaluation-YYYYMMDDHHMMSS/evaluation-simtrace/0-iteration.csv
      telemetry.jsonl, stop_request  live poses (trainer/training.py) and the stop flag (trainer/training_process.py)

deepracer-utils reads ``model/model_metadata.json`` and ``ip/hyperparameters.json``, globs
``training-simtrace/*-iteration.csv`` (the number before ``-iteration`` is the iteration;
iteration 0 must exist, it sets the episodes per iteration), and only
``evaluation-<14 digits>/evaluation-simtrace/0-iteration.csv`` for evaluations. It needs
no robomaker log for this layout.

Every JSON write is atomic (temp file in the same folder, fsync, ``os.replace``), so a
crash or a kill leaves the old file or the new one, never half of one. New models are built
in a hidden temp folder and renamed into place. The standard model, shipped in
``assets/standard_model/``, is listed in every home and is read-only.
"""


from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

from sim import paths
from sim.reward import compile_reward_source
from trainer import reward_trust
from trainer.checkpoints import checkpoint_iteration, eval_score  # noqa: F401 (re-exported)
from trainer.hyperparameters import Hyperparameters, TrainingConfig, TrainingConfigError  # noqa: F401 (re-exported)
from trainer.metadata import ModelMetadata
from trainer.model_files import (  # noqa: F401 (re-exported: callers import them from here)
    ModelStoreError,
    ReadOnlyModelError,
    atomic_write,
    atomic_write_json,
    utc_now,
)
from trainer.model_folder import NAME_RULE, READ_ONLY_MESSAGE, STANDARD_NAME, Model, ModelInfo  # noqa: F401
from trainer.model_rules import UntrainableTrackError, check_reward, check_trainable  # noqa: F401
from trainer.model_state import (  # noqa: F401 (re-exported)
    TRANSITIONS,
    AlreadyTrainingError,
    ModelState,
    Status,
    StatusError,
    summarize_params,
)


# -- the store ----------------------------------------------------------------------------------
class ModelStore:
    """All models of one home (``home()/models``) plus the read-only standard model."""

    def __init__(self, root: str | os.PathLike | None = None, *, standard_dir: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else paths.home() / "models"
        self.root.mkdir(parents=True, exist_ok=True)
        self._standard_dir = Path(standard_dir) if standard_dir is not None else None
        self._sweep_temp()

    @property
    def standard_dir(self) -> Path:
        return self._standard_dir or paths.assets_dir() / "standard_model"

    def _has_standard(self) -> bool:
        return (self.standard_dir / "model" / "model_metadata.json").is_file()

    def _sweep_temp(self) -> None:
        # Half-built or half-deleted folders from a crash; an hour old so none is still in use.
        for p in self.root.glob(".*-*"):
            with contextlib.suppress(OSError):
                if p.is_dir() and time.time() - p.stat().st_mtime > 3600:
                    shutil.rmtree(p, ignore_errors=True)

    # -- lookup ---------------------------------------------------------------------------------
    def names(self) -> list[str]:
        user = sorted(p.name for p in self.root.iterdir() if p.is_dir() and NAME_RULE.match(p.name))
        return ([STANDARD_NAME] if self._has_standard() else []) + [n for n in user if n != STANDARD_NAME]

    def list(self) -> list[ModelInfo]:
        return [self.get(n).info() for n in self.names()]

    def exists(self, name: str) -> bool:
        return name in self.names()

    def get(self, name: str) -> Model:
        if name == STANDARD_NAME:
            if not self._has_standard():
                raise ModelStoreError("the standard model is not installed")
            return Model(self.standard_dir, read_only=True, name=STANDARD_NAME)
        if not isinstance(name, str) or not NAME_RULE.match(name) or not (self.root / name).is_dir():
            raise ModelStoreError(f"no model named {name!r}")
        return Model(self.root / name)

    def check_new_name(self, name: str) -> None:
        """Refuse a name that is malformed, reserved or taken (ignoring case, as macOS and Windows do)."""
        if not isinstance(name, str) or not NAME_RULE.match(name):
            raise ModelStoreError(f"name: {name!r} must be 1-64 letters, digits, '-' or '_'")
        if name.lower() == STANDARD_NAME:
            raise ModelStoreError(f"name: {name!r} is reserved for the standard model")
        if any(p.name.lower() == name.lower() for p in self.root.iterdir()):
            raise ModelStoreError(f"name: a model named {name!r} already exists")

    # -- changes --------------------------------------------------------------------------------
    def create(self, name: str, metadata: ModelMetadata, hyperparameters: Hyperparameters, reward_source: str,
               training_config: TrainingConfig | dict | None = None, *, initial: Path | None = None,
               reward_filename: str = "reward_function.py", untrusted_origin: str | None = None) -> Model:
        """A new draft model. ``initial``: a checkpoint file to copy as its starting weights.
        ``untrusted_origin``: the reward is someone else's (a clone of an unaccepted one): it is
        recorded as not accepted and not run here (only compiled).

        Refused: a taken or malformed name, a competition track, a reward function that does not
        load (the message names ``reward_filename``).
        """
        self.check_new_name(name)
        config = training_config if isinstance(training_config, TrainingConfig) else \
            TrainingConfig.from_dict(training_config or {})
        check_trainable(config.track)
        if untrusted_origin is None:
            check_reward(reward_source, reward_filename)
        else:
            compile_reward_source(reward_source, reward_filename)  # syntax only; nothing runs
        with self.building() as tmp:
            m = Model(tmp, name=name)
            atomic_write(m.metadata_path, metadata.to_json())
            atomic_write(m.hyperparameters_path, hyperparameters.to_json())
            atomic_write(m.reward_path, reward_source)
            if untrusted_origin is None:
                reward_trust.mark_trusted(m.path)
            else:
                reward_trust.mark_untrusted(m.path, untrusted_origin)
            if initial is not None:
                m.checkpoints_dir.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(initial, m.initial_path)
                config = replace(config, init_from="checkpoints/initial.pt")
            atomic_write_json(m.config_path, asdict(config))
            now = utc_now()
            atomic_write_json(m.status_path, asdict(Status(ModelState.DRAFT, None, now, now)))
            self.finish(tmp, name)
        return self.get(name)

    @contextlib.contextmanager
    def building(self):
        """A hidden temp folder inside the store, removed unless :meth:`finish` moved it into place."""
        tmp = Path(tempfile.mkdtemp(prefix=".new-", dir=self.root))
        try:
            for sub in ("model", "ip", "checkpoints", "metrics", "logs", "training-simtrace"):
                (tmp / sub).mkdir()
            yield tmp
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def finish(self, tmp: Path, name: str) -> None:
        self.check_new_name(name)
        os.rename(tmp, self.root / name)

    def clone(self, src: str, new_name: str, *, metadata: ModelMetadata | None = None,
              reward_source: str | None = None, hyperparameters: Hyperparameters | None = None,
              training_config: TrainingConfig | dict | None = None,
              reward_filename: str = "reward_function.py") -> Model:
        """A new draft that starts from ``src``'s weights (final, else best, else latest).

        The clone keeps the action space and sensor: the network's inputs and outputs are
        shaped by them. Reward, hyperparameters and training settings may change, under the
        rules :meth:`create` checks.
        """
        source = self.get(src)
        meta = source.metadata()
        if metadata is not None and not meta.same_model_shape(metadata):
            raise ModelStoreError(f"a clone keeps the action space and sensor of {src!r} (and its network and "
                                  "algorithm): its weights only fit those; create a new model to change them")
        config = source.training_config() if training_config is None else (
            training_config if isinstance(training_config, TrainingConfig) else TrainingConfig.from_dict(training_config))
        which = source.pick_checkpoint()
        initial = source.resolve_checkpoint(which) if which else None
        iteration = checkpoint_iteration(initial) if initial is not None else None
        config = replace(config, init_from=None, cloned_from={"model": src, "iteration": iteration})
        untrusted = None
        if reward_source is None and not reward_trust.is_trusted(source.path):
            untrusted = f"model {src!r}, cloned before its reward function was accepted"
        return self.create(new_name, meta, hyperparameters or source.hyperparameters(),
                           source.reward_source() if reward_source is None else reward_source, config,
                           initial=initial, reward_filename=reward_filename, untrusted_origin=untrusted)

    def _changeable(self, name: str) -> Model:
        if name == STANDARD_NAME:
            raise ReadOnlyModelError(READ_ONLY_MESSAGE)
        model = self.get(name)
        if model.is_busy():
            raise ModelStoreError(f"model {name!r} is training; stop it first")
        return model

    def delete(self, name: str) -> None:
        model = self._changeable(name)
        # Rename first so a half-finished delete never looks like a (broken) model.
        trash = Path(tempfile.mkdtemp(prefix=".del-", dir=self.root))
        os.replace(model.path, trash / "model")
        shutil.rmtree(trash, ignore_errors=True)

    def rename(self, old: str, new: str) -> Model:
        model = self._changeable(old)
        if new.lower() != old.lower():
            self.check_new_name(new)
        elif not NAME_RULE.match(new):
            raise ModelStoreError(f"name: {new!r} must be 1-64 letters, digits, '-' or '_'")
        os.rename(model.path, self.root / new)
        return self.get(new)
