"""What a model's sensors give per step, as one array per car, and how to split it again.

DeepRacer's observation is a dict with one entry per sensor (``bundle/markov/sensors/
composite_sensor.py``: every sensor's ``get_state`` adds its key), and its network embeds each
entry on its own before joining them (:mod:`trainer.torsos`). Trackside keeps one array per
car so rollout storage, checkpoints and the policy loader stay the same for every sensor set;
an :class:`ObservationSpec` says how that array is laid out:

- one camera alone: ``(height, width)`` uint8, grey 0..255 (as before);
- ``STEREO_CAMERAS`` alone: ``(2, height, width)`` uint8, left eye then right eye (DeepRacer
  stacks the two grey images as two channels, ``sensors_rollout.py`` ``DualCamera``);
- one lidar alone: ``(beams,)`` float32, m (``LIDAR``: 64 ranges; ``SECTOR_LIDAR``: 8 values);
- a camera plus a lidar: ``(channels * height * width + beams,)`` float32, the camera's grey
  values (0..255, whole numbers) first, row by row, then the lidar readings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import TracksideError

CAMERAS = ("FRONT_FACING_CAMERA", "STEREO_CAMERAS")
"""Camera sensors, both simulated (:mod:`sim.camera`)."""
LIDARS = ("LIDAR", "SECTOR_LIDAR")
"""Range sensors (:mod:`sim.sensors`)."""
SENSORS = CAMERAS + LIDARS
LIDAR_READINGS = {"LIDAR": 64, "SECTOR_LIDAR": 8}
"""Values one reading of each range sensor holds."""


class SensorError(TracksideError):
    """A sensor list the simulator cannot build; the message names the sensor."""


@dataclass(frozen=True)
class ObservationSpec:
    """The layout of one car's observation for a set of sensors.

    Attributes:
        camera: ``FRONT_FACING_CAMERA``, ``STEREO_CAMERAS`` or None.
        lidar: ``LIDAR``, ``SECTOR_LIDAR`` or None.
        camera_size: image ``(width, height)`` px.
    """

    camera: str | None
    lidar: str | None
    camera_size: tuple[int, int] = (80, 60)

    @classmethod
    def from_sensors(cls, sensors, camera_size: tuple[int, int]) -> ObservationSpec:
        """The spec for a sensor name or a list of names: at most one camera and one lidar.
        A spec given as ``sensors`` is returned as it is (its own camera size)."""
        if isinstance(sensors, ObservationSpec):
            return sensors
        names = [sensors] if isinstance(sensors, str) else list(sensors)
        for name in names:
            if name not in SENSORS:
                raise SensorError(f"sensor: unknown sensor {name!r}; expected one of {', '.join(SENSORS)}")
        cams = [s for s in names if s in CAMERAS]
        lids = [s for s in names if s in LIDARS]
        if len(cams) > 1 or len(lids) > 1 or not names:
            raise SensorError(f"sensor: expected one camera and/or one lidar, got {names}")
        return cls(cams[0] if cams else None, lids[0] if lids else None,
                   (int(camera_size[0]), int(camera_size[1])))

    @property
    def sensors(self) -> tuple[str, ...]:
        """The sensor names, camera first."""
        return tuple(s for s in (self.camera, self.lidar) if s is not None)

    @property
    def label(self) -> str:
        """``FRONT_FACING_CAMERA + LIDAR`` style text for logs and messages."""
        return " + ".join(self.sensors)

    @property
    def channels(self) -> int:
        """Camera channels: 2 for stereo, 1 for one camera, 0 without a camera."""
        return 0 if self.camera is None else (2 if self.camera == "STEREO_CAMERAS" else 1)

    @property
    def image_shape(self) -> tuple[int, int, int] | None:
        """``(channels, height, width)`` of the camera part, or None."""
        if self.camera is None:
            return None
        return (self.channels, self.camera_size[1], self.camera_size[0])

    @property
    def readings(self) -> int:
        """Lidar values per observation (0 without a lidar)."""
        return LIDAR_READINGS[self.lidar] if self.lidar else 0

    @property
    def image_values(self) -> int:
        """Camera values per observation (``channels * height * width``)."""
        return int(np.prod(self.image_shape)) if self.camera else 0

    @property
    def shape(self) -> tuple[int, ...]:
        """One car's observation shape (see the module docstring)."""
        if self.lidar is None:
            c, h, w = self.image_shape
            return (h, w) if c == 1 else (c, h, w)
        if self.camera is None:
            return (self.readings,)
        return (self.image_values + self.readings,)

    @property
    def dtype(self):
        """uint8 for cameras alone, float32 otherwise."""
        return np.uint8 if self.lidar is None else np.float32

    def split(self, obs):
        """``(images (B, C, H, W) or None, ranges (B, readings) or None)`` from observations
        ``(B, *shape)``; numpy arrays and torch tensors alike (views, no copies where possible)."""
        b = obs.shape[0]
        if self.lidar is None:
            return obs.reshape(b, *self.image_shape), None
        if self.camera is None:
            return None, obs
        n = self.image_values
        return obs[:, :n].reshape(b, *self.image_shape), obs[:, n:]

    def join(self, images: np.ndarray | None, ranges: np.ndarray | None) -> np.ndarray:
        """Observations ``(n, *shape)`` from camera frames ``(n, C, H, W)`` or ``(n, H, W)`` uint8
        and range readings ``(n, readings)``, m."""
        if self.lidar is None:
            return images.reshape(len(images), *self.shape)
        if self.camera is None:
            return ranges.astype(np.float32, copy=False)
        n = len(ranges)
        out = np.empty((n, self.shape[0]), dtype=np.float32)
        out[:, :self.image_values] = images.reshape(n, -1)
        out[:, self.image_values:] = ranges
        return out

    def map_parts(self, obs: np.ndarray, on_images, on_ranges) -> np.ndarray:
        """``obs`` ``(n, *shape)`` with ``on_images`` applied to its camera frames (uint8
        ``(n, C, H, W)``) and ``on_ranges`` to its range readings (``(n, readings)``), rejoined in
        this layout: e.g. sensing noise, each part with its own (a new array; ``obs`` is kept)."""
        images, ranges = self.split(obs)
        if images is not None:
            images = on_images(np.asarray(images, dtype=np.uint8))
        if ranges is not None:
            ranges = on_ranges(np.asarray(ranges, dtype=np.float32))
        return self.join(images, ranges)
