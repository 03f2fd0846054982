"""The panel beside the model list: what the selected model is and where it stands (its track drawn
with the obstacles or bot cars a training episode starts with, when they do not move each episode)."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget

from gui.track_view import TrackView
from trainer.model_metrics import format_seconds

from .style import STATUS_COLORS, label


def start_objects(track, cfg) -> np.ndarray | None:
    """Object rows ``(m, 6)`` (:mod:`sim.object_rows`) of the obstacles and bot cars a training
    episode of ``cfg`` (a ``TrainingConfig``) on ``track`` starts with, placed by the simulator's
    ``ObjectWorld``; None for a time trial, or where they move each episode (random places)."""
    from sim.errors import TracksideError
    from sim.object_rows import object_rows
    from sim.objects import ObjectWorld

    try:
        objects = cfg.objects()
    except TracksideError:
        return None
    if track is None or objects is None or objects.randomize_obstacle_locations or objects.randomize_bot_car_locations:
        return None
    world = ObjectWorld(track, objects, 1)
    world.reset(np.array([0]), np.array([bool(cfg.reverse)]), np.random.default_rng(0))
    return object_rows(world.state, 0)


class ModelDetails(QFrame):
    """Call :meth:`show_model` with a :class:`trainer.model_store.Model` (or None)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("card")
        self.title = label("", "heading")
        self.status = label("", wrap=True, rich=True)
        self.facts = label("", "fact", wrap=True, rich=True)
        self.view = TrackView()
        self.view.setMinimumHeight(180)
        self.view.setMaximumHeight(240)
        self.view.setMouseEnabled(x=False, y=False)
        self.note = label("", "hint", wrap=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 16)
        layout.setSpacing(10)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        self.actions_row = QVBoxLayout()
        """Owners put buttons for the shown model here."""
        layout.addLayout(self.actions_row)
        layout.addWidget(self.view)
        layout.addWidget(self.facts)
        layout.addWidget(self.note)
        layout.addStretch(1)
        self._track: str | None = None
        self.show_model(None)

    def show_model(self, model) -> None:
        if model is None:
            self.title.setText("No model selected")
            self.status.setText("")
            self.facts.setText("Pick a model in the list to see its settings, or create a new one.")
            self.note.setText("")
            self.view.setVisible(False)
            return
        info = model.info()
        self.title.setText(info.name)
        color = STATUS_COLORS.get(info.status)
        status = f"<span style='color:{color.name() if color else '#333'}; font-weight:600'>● {info.status}</span>"
        if info.problem:
            status += f"<br><span style='color:#c62828'>{html.escape(info.problem)}</span>"
        else:
            st = model.status()
            if st.reason:
                tint = "#c62828" if st.status == "failed" else "#5f6b7a"
                status += f" &nbsp;<span style='color:{tint}'>{html.escape(st.reason)}</span>"
        self.status.setText(status)
        if info.problem:
            self.facts.setText("")
            self.note.setText("")
            self.view.setVisible(False)
            return
        self._show_track(info.track)
        self.view.set_objects(start_objects(self.view.track, model.training_config()) if self.view.isVisibleTo(self)
                              else None)
        self.facts.setText(self._facts(model, info))
        self.note.setText(self._note(model, info))

    def _show_track(self, name: str | None) -> None:
        from sim.library import load_track
        from sim.track import TrackError

        if name == self._track and self.view.isVisibleTo(self):
            return
        self._track = name
        self.view.setVisible(False)
        if name:
            try:
                self.view.set_track(load_track(name))
                self.view.setVisible(True)
            except TrackError:
                pass

    @staticmethod
    def _facts(model, info) -> str:
        from trainer.model_store import eval_score
        from trainer.race import describe as describe_race

        meta, hp, cfg = model.metadata(), model.hyperparameters(), model.training_config()
        space = meta.action_space
        if space.kind == "discrete":
            speeds = sorted({sp for _, sp in space.actions})
            steers = sorted({st for st, _ in space.actions})
            actions = (f"{space.n} actions: speeds {', '.join(f'{s:g}' for s in speeds)} m/s; "
                       f"steering {min(steers):g}° to {max(steers):g}°")
        else:
            actions = (f"continuous: steering {space.steering_range[0]:g}° to {space.steering_range[1]:g}°, "
                       f"speed {space.speed_range[0]:g} to {space.speed_range[1]:g} m/s")
        checkpoints = model.list_checkpoints()
        best = max((c for c in checkpoints if isinstance(c.get("eval"), dict)), key=lambda c: eval_score(c["eval"]),
                   default=None)
        rows = [
            ("Track", f"{cfg.track}{' (reversed)' if cfg.reverse else ''}"),
            ("Race type", describe_race(cfg.race_type, cfg.race_settings)),
            ("Sensor", meta.sensor_label),
            ("Network", meta.neural_network + "".join(f"; {n}" for n in meta.notes)),
            ("Actions", actions),
            ("Learning", f"lr {hp.lr:g}, batch {hp.batch_size}, {hp.num_epochs} epochs, "
                         f"{hp.num_episodes_between_training} episodes per iteration"),
            ("Stops after", f"{cfg.max_minutes:g} min" if cfg.max_minutes else "no time limit"),
            ("Checkpoints", f"{len(checkpoints)}" + (f"; best: iteration {best['iteration']}, "
                                                     f"{best['eval'].get('progress', 0):.0f}% progress"
                                                     if best else "")),
        ]
        if info.best_lap_s is not None:
            rows.append(("Best lap", format_seconds(info.best_lap_s)))
        if info.created:
            rows.append(("Created", info.created[:16].replace("T", " ") + " UTC"))
        if cfg.cloned_from:
            rows.append(("Cloned from", f"{cfg.cloned_from.get('model')} (iteration {cfg.cloned_from.get('iteration')})"))
        cells = "".join(f"<tr><td style='color:#5f6b7a; padding-right:12px'>{k}</td><td>{html.escape(str(v))}</td></tr>"
                        for k, v in rows)
        return f"<table cellspacing='3'>{cells}</table>"

    @staticmethod
    def _note(model, info) -> str:
        from gui.pages.create_model_io import read_description

        text = read_description(model)
        if info.read_only:
            text = (text + "\n" if text else "") + ("Ships with Trackside. Evaluate it, or clone it to train "
                                                    "your own from its weights.")
        return text
