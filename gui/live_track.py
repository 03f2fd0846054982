"""The training monitor's live view of the cars: the track with the cars, their trails, car 1's
obstacles and bot cars and car 1's LIDAR rays, a caption, and car 1's sensor panel.

It draws what a :class:`gui.telemetry.TrainingFollower` read (poses played by its
:class:`~gui.playback.CarPlayback`, objects from its :class:`~gui.telemetry.ObjectFrames` at the
same clock) when its owner's timer calls :meth:`LiveTrack.draw`; it never pulls data itself.
Every car drives its own episode among its own objects (bot cars started with its episode,
boxes placed for its direction), so one car's are drawn: car 1's, the car whose sensor panel shows.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from gui.car_view import SensorView
from gui.track_view import TrackView
from gui.widgets.style import label


class LiveTrack:
    """The widgets (``track_view``, ``rays`` on it, ``caption``, ``sensor_view``) and their drawing."""

    def __init__(self):
        self.track_view = TrackView()
        self.track_view.setMinimumSize(360, 220)
        self.rays = pg.PlotCurveItem(pen=pg.mkPen(90, 230, 130, 70, width=1), connect="pairs")
        self.track_view.addItem(self.rays)
        self.caption = label("", "hint", wrap=True)  # a long caption wraps: it never widens the page
        self.sensor_view = SensorView()
        self.sensor_view.setFixedSize(200, 150)
        self.n_cars = 0
        """Cars the model trains with (the telemetry shows the first few)."""
        self.objects_shown: list[np.ndarray] | None = None
        """Per car shown, the object rows ``(m, 6)`` of the frame drawn now (``ObjectFrames.at``), or None."""
        self.objects_differ = False
        """The cars shown have different objects (bot cars, random or reversed episodes): car 1's are drawn."""

    def set_model(self, track, observation, n_cars: int) -> None:
        """Show ``track`` for a model with ``observation`` sensors training ``n_cars`` cars
        (``track`` None: a model whose track cannot be shown)."""
        if track is None:
            self.sensor_view.set_sensor(None, None)
            return
        self.track_view.set_track(track)
        self.n_cars = n_cars
        self.sensor_view.set_sensor(track, observation)

    def clear(self, running: bool) -> None:
        """No cars (and no objects, rays or sensor picture) on the track; ``running``: a training runs."""
        self.track_view.clear_dynamic()
        self.objects_shown, self.objects_differ = None, False
        self.rays.setData([], [])
        self.sensor_view.clear()
        self.caption.setText(self.caption_text(0, 0.0, running))

    def draw(self, follower, tick: int) -> None:
        """Draw ``follower``'s cars and car 1's objects at its playback clock; ``tick``: the owner's
        redraw count (the sensors sense every other tick, the caption changes every tenth)."""
        poses, trails = follower.playback.frame()
        self.track_view.set_cars(poses)
        self.track_view.set_trails(trails)
        objects = self._draw_objects(follower)
        rays = (self.sensor_view.update_pose(poses[0], sense=tick % 2 == 0, objects=objects)
                if len(poses) else None)
        if rays is not None:
            self.rays.setData(rays[:, 0], rays[:, 1])
        if tick % 10 == 0 or not len(poses):  # a label's text relayouts it: a few times a second
            self.caption.setText(self.caption_text(len(poses), follower.playback.lag_s, True))

    def _draw_objects(self, follower) -> np.ndarray | None:
        """Car 1's object rows ``(m, 6)`` at the playback's clock (drawn when they changed), or None."""
        per_car = follower.objects.at(follower.playback.clock)
        if per_car is not self.objects_shown:  # another frame's objects: redraw them
            self.objects_shown = per_car
            self.track_view.set_objects(per_car[0] if per_car else None)
            self.objects_differ = bool(per_car) and any(
                rows.shape != per_car[0].shape or not np.allclose(rows, per_car[0], atol=0.01) for rows in per_car[1:])
        return per_car[0] if per_car else None

    def caption_text(self, shown: int, lag: float, running: bool) -> str:
        if shown:
            text = (f"{shown} of {self.n_cars} cars, replayed {lag:.1f} s behind the trainer and spread over "
                    "each iteration (no car drives while the network learns)")
            if self.objects_shown and self.objects_differ:
                text += ". Obstacles and bot cars drawn: car 1's (each car meets its own, in its own episode)"
            elif self.objects_shown:
                text += ". Obstacles and bot cars drawn: the same for every car shown"
            return text
        if running:
            return "Waiting for the cars: the trainer is starting or the network is learning"
        return "Not training. Start training to watch the cars learn."
