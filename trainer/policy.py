"""The one policy loader: a model's checkpoint as a greedy policy with its observation spec.

Everyone who drives a model (training's evaluation, ``trackside evaluate``, league
submissions, the race-day queue check and simulated sessions, the app) calls
:func:`load_policy`. The observation spec (every sensor, camera size) and the network come from
the model's metadata; a checkpoint whose weights do not fit them is refused with a plain message.

Determinism: the greedy action of the same weights on the same observation is the same
bit for bit at any torch thread count a process chose at its start (front-ends call
:func:`use_one_torch_thread` once, on their main thread; nothing here changes the
process-wide thread count from a worker thread).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.actions import ActionSpace
from sim.errors import TracksideError
from sim.observation import ObservationSpec

from .checkpoints import CHECKPOINT_WORDS, checkpoint_iteration
from .model_files import ModelStoreError

if TYPE_CHECKING:
    from .model_folder import Model


class PolicyError(TracksideError):
    """A model's policy cannot be loaded or cannot drive here; the message says why."""


def parse_checkpoint(which: str | int | None) -> str | int | None:
    """``"12"`` -> 12; ``best``/``final``/``latest``/``initial`` kept; None stays None (pick the usual one)."""
    if which is None or (isinstance(which, int) and not isinstance(which, bool)):
        return which
    text = str(which).strip().lower()
    if text.isdigit():
        return int(text)
    if text in CHECKPOINT_WORDS:
        return text
    raise PolicyError(f"checkpoint: expected an iteration number or one of {', '.join(CHECKPOINT_WORDS)}, "
                      f"got {which!r}")


@dataclass
class Policy:
    """A checkpoint's network acting greedily (most likely action, or the mean)."""

    model: str
    """The model's name."""
    agent: object
    """The network: ``trainer.networks.Agent`` (clipped_ppo) or ``trainer.sac.SACNetwork`` (sac)."""
    action_space: ActionSpace
    sensor: tuple[str, ...]
    """Every sensor its observations come from, camera first (an ``EnvConfig.sensor``)."""
    camera_size: tuple[int, int]
    """Camera image (width, height) px, for a camera model."""
    checkpoint: str | int
    """What was asked for or picked: ``final``, ``best``, ``latest``, ``initial`` or an iteration."""
    iteration: int | None
    """The training iteration whose weights these are (None for a clone's or import's initial weights)."""

    @property
    def observation(self) -> ObservationSpec:
        """The observation layout its network takes (an ``EnvConfig.sensor``, camera size included)."""
        return ObservationSpec.from_sensors(self.sensor, self.camera_size)

    @property
    def obs_shape(self) -> tuple[int, ...]:
        return tuple(self.agent.obs_shape)

    def act(self, obs: np.ndarray, speed: np.ndarray) -> np.ndarray:
        """The env action for observations ``(n, *obs_shape)`` and speeds ``(n,)`` m/s."""
        import torch

        if tuple(obs.shape[1:]) != self.obs_shape:
            raise PolicyError(f"model {self.model!r}: its weights expect {' + '.join(self.sensor)} readings of shape "
                              f"{self.obs_shape}, this version gives {tuple(obs.shape[1:])}")
        with torch.no_grad():
            a = self.agent.act_greedy(torch.as_tensor(obs), torch.as_tensor(speed))
        return self.agent.to_command(a)


def _model(model: "Model | str") -> "Model":
    if not isinstance(model, str):
        return model
    from .model_store import ModelStore

    try:
        return ModelStore().get(model)
    except ModelStoreError as exc:
        raise PolicyError(str(exc)) from None


def resolve_checkpoint(model: "Model | str", checkpoint: str | int | None = None) -> tuple[str | int, Path, int | None]:
    """``(which, file, iteration)`` of ``model``'s ``checkpoint`` (None: final, else best, latest,
    initial), without loading it (no torch): what a queue or a form checks before a drive."""
    model = _model(model)
    which = parse_checkpoint(checkpoint)
    if which is None:
        which = model.pick_checkpoint()
        if which is None:
            raise PolicyError(f"model {model.name!r} has no trained checkpoint yet; train it first")
    try:
        path = model.resolve_checkpoint(which)
    except ModelStoreError as exc:
        raise PolicyError(str(exc)) from None
    return which, path, checkpoint_iteration(path)


def load_policy(model: "Model | str", checkpoint: str | int | None = None) -> Policy:
    """The greedy policy of ``model``'s ``checkpoint`` (default: final, else best, else latest,
    else initial). ``model`` is a ``trainer.model_folder.Model`` or a name in the default store."""
    from .algorithms import build_network

    model = _model(model)
    which, path, iteration = resolve_checkpoint(model, checkpoint)
    try:
        meta = model.metadata()
    except (OSError, ValueError) as exc:
        raise PolicyError(f"model {model.name!r}: cannot read model_metadata.json ({exc})") from None
    try:
        state = model.load_checkpoint(which)
    except ModelStoreError as exc:
        raise PolicyError(str(exc)) from None
    shape = _checked_obs_shape(state, meta, model.name, which)
    try:
        agent = build_network(shape, meta)
        agent.load_state_dict(state["agent"])
    except ModelStoreError as exc:
        raise PolicyError(str(exc)) from None
    except (RuntimeError, KeyError, TypeError, ValueError, AttributeError, EOFError, pickle.UnpicklingError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise PolicyError(f"model {model.name!r}: checkpoint {which} does not fit its action space "
                          f"({meta.action_space.n or 'continuous'} actions), sensors ({meta.sensor_label}), "
                          f"network ({meta.neural_network}) and algorithm ({meta.training_algorithm}): {first}") from None
    agent.eval()
    return Policy(model.name, agent, meta.action_space, meta.observation.sensors, meta.camera_size, which, iteration)


def expected_obs_shape(sensor, camera_size: tuple[int, int]) -> tuple[int, ...]:
    """The observation a sensor or a list of sensors gives (``sim.observation.ObservationSpec.shape``):
    a camera ``(height, width)``, stereo ``(2, height, width)``, a lidar ``(beams,)``, a camera plus a
    lidar one flat ``(pixels + readings,)``."""
    return ObservationSpec.from_sensors(sensor, camera_size).shape


def _checked_obs_shape(state: dict, meta, name: str, which) -> tuple[int, ...]:
    """The checkpoint's observation shape when it is the one the model's sensor gives; checked
    before a network is built from it (a shape from a file must not size a network)."""
    want = meta.observation.shape
    got = state.get("obs_shape") if isinstance(state, dict) else None
    ok = isinstance(got, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) for v in got)
    if not ok or tuple(got) != want:
        raise PolicyError(f"model {name!r}: checkpoint {which} was trained on readings of shape "
                          f"{_short(got)}, but model_metadata.json's sensors ({meta.sensor_label}) give {want}; "
                          "these weights belong to another model, or to one trained before Trackside used every "
                          "sensor in the list: retrain it")
    return want


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def use_one_torch_thread() -> None:
    """Run torch on one thread in this process: call once at process start, on the main thread.

    Training and evaluation then give the same numbers in every front-end (a different
    thread count may sum a layer in a different order).
    """
    import torch

    torch.set_num_threads(1)
