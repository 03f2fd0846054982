"""The sensors a ``RacingEnv`` observes with, built from its config: one callable per environment.

``make_sensor(track, config)`` gives ``state -> (n_cars, *spec.shape)`` (a camera, a lidar, or both
joined as :class:`sim.observation.ObservationSpec` lays them out); ``with_objects`` lets it see every
car's obstacles and bot cars.
"""

from __future__ import annotations

import numpy as np

from .observation import ObservationSpec
from .track import Track
from .vehicle import CarState


def make_sensor(track: Track, config):
    """A callable ``state -> (n, *spec.shape)`` observation for ``config.sensor`` of a
    :class:`sim.env.EnvConfig` (one name or a list: a camera and/or a lidar, laid out as
    :class:`sim.observation.ObservationSpec` says), or None."""
    if config.sensor is None:
        return None
    spec = ObservationSpec.from_sensors(config.sensor, config.camera_size)
    camera = lidar = None
    if spec.camera == "FRONT_FACING_CAMERA":
        from .camera import Camera
        camera = Camera(track, size=spec.camera_size).render
    elif spec.camera == "STEREO_CAMERAS":
        from .camera import StereoCamera
        camera = StereoCamera(track, size=spec.camera_size).render
    if spec.lidar == "LIDAR":
        from .sensors import Lidar
        lidar = Lidar(track).scan
    elif spec.lidar == "SECTOR_LIDAR":
        from .sensors import SectorLidar
        lidar = SectorLidar(track).scan
    if lidar is None:
        return camera
    if camera is None:
        return lidar

    def both(state: CarState, objects=None) -> np.ndarray:
        return spec.join(camera(state, objects), lidar(state, objects))

    return both


def with_objects(sense, objects):
    """The sensor ``sense`` (``(state, objects) -> observation``) seeing every car's obstacles and bot
    cars of ``objects`` (a :class:`sim.objects.ObjectWorld`) too, as ``state -> observation``;
    ``sense`` itself without objects."""
    if sense is None or objects is None:
        return sense
    return lambda state: sense(state, objects.state)
