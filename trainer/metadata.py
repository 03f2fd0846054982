"""A model's ``model_metadata.json``: its action space, sensors, network and algorithm.

The file is written exactly as DeepRacer's tools write it, so a Trackside model folder
opens in deepracer-utils and a DeepRacer model's metadata imports unchanged::

    {"action_space": [...], "sensor": ["FRONT_FACING_CAMERA"],
     "neural_network": "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW",
     "training_algorithm": "clipped_ppo", "action_space_type": "discrete", "version": "5"}

Differences from DeepRacer, kept visible in :attr:`ModelMetadata.notes` (training logs them):

- DeepRacer needs exactly one camera. Trackside also trains a lidar alone (a small MLP).
  A camera plus a lidar trains on both, joined as DeepRacer's network joins them
  (:mod:`trainer.torsos`); ``STEREO_CAMERAS`` renders two cameras (:class:`sim.camera.StereoCamera`).
- Every network also sees the car's speed (:mod:`trainer.torsos`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from sim.actions import ActionSpace, ActionSpaceError
from sim.camera import DEEPRACER_SIZE, TRAINING_SIZE
from sim.errors import TracksideError
from sim.observation import CAMERAS, LIDARS, ObservationSpec

NETWORKS = ("DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", "DEEP_CONVOLUTIONAL_NETWORK", "DEEP_CONVOLUTIONAL_NETWORK_DEEP")
"""DeepRacer's network names; :mod:`trainer.torsos` builds each one's layers."""
ALGORITHMS = ("clipped_ppo", "sac")
MAX_ACTIONS = 1000
"""Most discrete actions a model may have (the DeepRacer console builds at most 10 x 15 = 150): the
network's output layer and every step's work grow with it, so a file cannot ask for millions."""
FILE = "model_metadata.json"

# The order DeepRacer writes the keys in; readers do not care, people diffing files do.
_KEY_ORDER = ("action_space", "sensor", "neural_network", "training_algorithm", "action_space_type", "version")


class MetadataError(TracksideError):
    """``model_metadata.json`` that Trackside cannot use. The message names the field."""


@dataclass
class ModelMetadata:
    """What a model is: fixed when it is created, kept by every clone (changing it breaks the network)."""

    action_space: ActionSpace = field(default_factory=ActionSpace.from_console)
    """Discrete actions or continuous ranges, degrees and m/s."""
    sensor: list[str] = field(default_factory=lambda: ["FRONT_FACING_CAMERA"])
    """DeepRacer sensor list: one camera plus at most one lidar, or (Trackside only) one lidar alone;
    the network sees every one of them."""
    neural_network: str = "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW"
    """Network name, one of :data:`NETWORKS`."""
    training_algorithm: str = "clipped_ppo"
    """``clipped_ppo`` (discrete or continuous) or ``sac`` (continuous only)."""
    version: str = "5"
    """DeepRacer metadata version, kept as a string as DeepRacer writes it."""
    extra: dict = field(default_factory=dict)
    """Keys newer DeepRacer tools add (e.g. ``preprocess_type``): kept so an import round-trips."""

    def __post_init__(self):
        if not isinstance(self.action_space, ActionSpace):
            raise MetadataError(f"action_space: expected an ActionSpace, got {type(self.action_space).__name__}")
        self.sensor = _check_sensors(self.sensor)
        if self.neural_network not in NETWORKS:
            raise MetadataError(f"neural_network: expected one of {', '.join(NETWORKS)}, got {self.neural_network!r}")
        if self.training_algorithm not in ALGORITHMS:
            raise MetadataError(f"training_algorithm: expected 'clipped_ppo' or 'sac', got {self.training_algorithm!r}")
        if self.training_algorithm == "sac" and self.action_space.kind != "continuous":
            # DeepRacer's rule: the console offers SAC for continuous action spaces only.
            raise MetadataError("training_algorithm: sac needs a continuous action space, as in DeepRacer "
                                "(use clipped_ppo for a discrete one)")
        if isinstance(self.version, bool) or not isinstance(self.version, (str, int, float)):
            raise MetadataError(f"version: expected a string such as '5', got {self.version!r}")
        self.version = str(self.version)

    # -- derived --------------------------------------------------------------------------
    @property
    def action_space_type(self) -> str:
        """``discrete`` or ``continuous``."""
        return self.action_space.kind

    @property
    def observation(self) -> ObservationSpec:
        """What the model's network sees: every sensor in :attr:`sensor`, laid out as one array."""
        return ObservationSpec.from_sensors(self.sensor, self.camera_size)

    @property
    def sensor_label(self) -> str:
        """The sensors as text, camera first, e.g. ``FRONT_FACING_CAMERA + LIDAR``."""
        return self.observation.label

    @property
    def camera_size(self) -> tuple[int, int]:
        """The camera image (width, height) px the model sees (part of the observation shape):
        ``sim.camera.TRAINING_SIZE`` (80 x 60), or DeepRacer's 160 x 120 for
        ``DEEP_CONVOLUTIONAL_NETWORK_DEEP``, whose four strided convs need the full image."""
        return DEEPRACER_SIZE if self.neural_network == "DEEP_CONVOLUTIONAL_NETWORK_DEEP" else TRAINING_SIZE

    @property
    def notes(self) -> list[str]:
        """Plain-words remarks on where Trackside differs from DeepRacer for this metadata."""
        out = []
        if not any(s in CAMERAS for s in self.sensor):
            out.append(f"sensor: DeepRacer needs a camera; Trackside trains {self.sensor_label} alone with a "
                       f"small MLP (neural_network {self.neural_network} shapes camera layers only)")
        return out

    # -- JSON -----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The ``model_metadata.json`` dict, keys in DeepRacer's order."""
        d = dict(self.action_space.to_metadata())
        d.update(sensor=list(self.sensor), neural_network=self.neural_network,
                 training_algorithm=self.training_algorithm, version=self.version)
        ordered = {k: d[k] for k in _KEY_ORDER}
        ordered.update({k: v for k, v in self.extra.items() if k not in ordered})
        return ordered

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=4) + "\n"

    @classmethod
    def from_dict(cls, d: dict) -> "ModelMetadata":
        """Read a ``model_metadata.json`` dict. Missing keys take DeepRacer's old defaults
        (version 1 files only had ``action_space``)."""
        if not isinstance(d, dict):
            raise MetadataError(f"model_metadata.json: expected a JSON object, got {type(d).__name__}")
        if "action_space" not in d:
            raise MetadataError(f"{FILE}: action_space: missing")
        _check_action_rows(d)
        try:
            space = ActionSpace.from_metadata(d)
        except ActionSpaceError as exc:
            # ActionSpaceError already names the field (e.g. action_space[3].speed).
            raise MetadataError(f"{FILE}: {exc}") from None
        extra = {k: v for k, v in d.items() if k not in _KEY_ORDER}
        return cls(action_space=space,
                   sensor=d.get("sensor", ["FRONT_FACING_CAMERA"]),
                   neural_network=d.get("neural_network", "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW"),
                   training_algorithm=d.get("training_algorithm", "clipped_ppo"),
                   version=d.get("version", "5"), extra=extra)

    @classmethod
    def from_json(cls, text: str | bytes) -> "ModelMetadata":
        try:
            d = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MetadataError(f"{FILE}: not valid JSON ({exc})") from None
        try:
            return cls.from_dict(d)
        except MetadataError as exc:
            text = str(exc)
            raise MetadataError(text if text.startswith(FILE) else f"{FILE}: {text}") from None

    def same_model_shape(self, other: "ModelMetadata") -> bool:
        """True when ``other`` can take this model's weights: same actions, sensors, network, algorithm."""
        return (self.action_space == other.action_space and self.observation == other.observation
                and self.neural_network == other.neural_network
                and self.training_algorithm == other.training_algorithm)


def _finite(value, name: str) -> None:
    """A plain finite number (json reads 1e400 as inf and a 400-digit integer as an int float() cannot take)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MetadataError(f"{FILE}: {name}: expected a number, got {_short(value)}")
    try:
        ok = math.isfinite(float(value))
    except OverflowError:
        ok = False
    if not ok:
        raise MetadataError(f"{FILE}: {name}: expected a finite number, got {_short(value)}")


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_action_rows(d: dict) -> None:
    """The shape of ``action_space`` before :class:`ActionSpace` reads it: a bounded list of
    objects with numeric fields and whole-number indices 0..n-1 (or a continuous range)."""
    space = d["action_space"]
    if d.get("action_space_type", "discrete") == "continuous":
        if isinstance(space, dict):
            for key in ("steering_angle", "speed"):
                rng = space.get(key)
                for end in ("low", "high"):
                    if isinstance(rng, dict) and end in rng:
                        _finite(rng[end], f"action_space.{key}.{end}")
        return
    if not isinstance(space, list):
        return  # ActionSpace says what a discrete space needs
    if len(space) > MAX_ACTIONS:
        raise MetadataError(f"{FILE}: action_space: {len(space)} actions is more than Trackside takes "
                            f"({MAX_ACTIONS}; the DeepRacer console makes at most 150)")
    indices = []
    for i, row in enumerate(space):
        if not isinstance(row, dict):
            raise MetadataError(f"{FILE}: action_space[{i}]: expected an object with steering_angle and speed, "
                                f"got {_short(row)}")
        for key in ("steering_angle", "speed"):
            if key not in row:
                raise MetadataError(f"{FILE}: action_space[{i}].{key}: missing")
            _finite(row[key], f"action_space[{i}].{key}")
        if "index" in row:
            index = row["index"]
            if isinstance(index, bool) or not isinstance(index, int):
                raise MetadataError(f"{FILE}: action_space[{i}].index: expected a whole number, got {_short(index)}")
            indices.append(index)
    if indices and sorted(indices) != list(range(len(space))):
        raise MetadataError(f"{FILE}: action_space: the index fields must number the actions 0..{len(space) - 1} "
                            "once each")


def _check_sensors(sensor) -> list[str]:
    if isinstance(sensor, str):
        sensor = [sensor]  # a bare string is a common hand-edit; the meaning is clear
    if not isinstance(sensor, (list, tuple)) or not sensor:
        raise MetadataError(f"sensor: expected a list such as ['FRONT_FACING_CAMERA'], got {sensor!r}")
    known = CAMERAS + LIDARS
    for name in sensor:
        if name not in known:
            raise MetadataError(f"sensor: unknown sensor {name!r}; expected one of {', '.join(known)}")
    if len(set(sensor)) != len(sensor):
        raise MetadataError(f"sensor: {list(sensor)} names a sensor twice")
    cameras = [s for s in sensor if s in CAMERAS]
    lidars = [s for s in sensor if s in LIDARS]
    if len(cameras) > 1:
        raise MetadataError(f"sensor: at most one camera, got {cameras}")
    if len(lidars) > 1:
        raise MetadataError(f"sensor: at most one lidar, got {lidars}")
    return list(sensor)
