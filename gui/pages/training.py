"""The training monitor: start and stop a model's training and watch it learn, live.

Training runs in its own process (:mod:`trainer.training_process`); this page only reads the
files it writes (:mod:`gui.telemetry`), so the window never waits on it, closing the window
leaves it running, and reopening the app attaches to it again. Data arrives on the feed's
50 ms poll; the page redraws from its own 40 ms timer (25 fps), and only what changed. With
obstacles or bot cars, car 1's are drawn with the cars (:mod:`gui.live_track`).
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPlainTextEdit, QSplitter, QVBoxLayout, QWidget

from gui.cli import TRAIN_COMMAND
from gui.live_track import LiveTrack
from gui.monitor_panels import LearningCurves, RunFacts, failure_html
from gui.plots import card, chip_style
from gui.rich_text import esc, rich
from gui.telemetry import TelemetryFeed
from gui.widgets.dialogs import confirm, show_error
from gui.widgets.reward_review import review_reward
from gui.widgets.style import PAGE_STYLE, button, label
from sim.errors import TracksideError
from trainer import training_process as tp
from trainer.model_store import STANDARD_NAME, ModelStoreError

REDRAW_MS = 40
STATUS_CHECK_MS = 500
FORCE_STOP_AFTER_S = 20.0
"""A Stop that has not ended the run after this long offers a forced stop."""


class TrainingPage(QWidget):
    """Model picker, Start/Stop, live track view, sensor view, learning curves and the log."""

    def __init__(self, ctx):
        super().__init__()
        self.ctx = ctx
        self.model = None
        self.redraws = 0
        """Timer ticks that changed something on screen (for the monitor_fps benchmark)."""
        self._dirty: set[str] = set()
        self._stop_asked_at: float | None = None
        self._last_tick = time.monotonic()
        self._status = None
        self._track = None
        self._log_shown = 0
        self.setObjectName("page")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(PAGE_STYLE)
        self._build()
        self.feed = TelemetryFeed(self)
        self.feed.cars_arrived.connect(lambda: self._dirty.add("cars"))
        self.feed.episodes_changed.connect(lambda: self._dirty.add("episodes"))
        self.feed.iterations_changed.connect(lambda: self._dirty.add("iterations"))
        self.feed.log_changed.connect(lambda: self._dirty.add("log"))
        self.feed.status_changed.connect(self._on_status)
        self.redraw_timer = QTimer(self)
        self.redraw_timer.setInterval(REDRAW_MS)
        self.redraw_timer.timeout.connect(self._redraw)
        self.check_timer = QTimer(self)
        self.check_timer.setInterval(STATUS_CHECK_MS)
        self.check_timer.timeout.connect(self._check_process)
        ctx.models_changed.connect(self.refresh_models)
        ctx.model_selected.connect(self.select_model)
        ctx.train_requested.connect(self._on_train_requested)
        self.refresh_models()
        running = tp.running_models(ctx.store)
        if running:  # a run started before this app opened: attach to it
            self.select_model(running[0])
        self.redraw_timer.start()
        self.check_timer.start()

    # -- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(18, 14, 18, 12)
        root.setSpacing(10)
        top = QHBoxLayout()
        top.addWidget(label("Training", "title"))
        top.addSpacing(16)
        top.addWidget(label("Model", "fieldLabel"))
        self.model_box = QComboBox()
        self.model_box.setMinimumWidth(200)
        self.model_box.currentTextChanged.connect(lambda name: self.select_model(name) if name else None)
        top.addWidget(self.model_box)
        self.start_button = button("Start training", "primary", "Train this model in its own process")
        self.start_button.clicked.connect(self.start)
        self.stop_button = button("Stop training", "danger",
                                  "Stop after the current step; the model keeps its checkpoints")
        self.stop_button.clicked.connect(self.stop)
        top.addWidget(self.start_button)
        top.addWidget(self.stop_button)
        top.addStretch(1)
        self.chip = QLabel("-")
        top.addWidget(self.chip)
        root.addLayout(top)

        self.facts = RunFacts()
        root.addWidget(self.facts)
        self.banner = rich(QLabel())  # its texts come escaped: _show_banner's callers, failure_html
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.setStyleSheet("background: #fdecea; color: #8e1b1b; border: 1px solid #f5c2c0; "
                                  "border-radius: 6px; padding: 8px 12px; font-size: 13px;")
        self.banner.hide()
        root.addWidget(self.banner)

        self.live = LiveTrack()
        self.track_view, self.rays, self.sensor_view = self.live.track_view, self.live.rays, self.live.sensor_view
        self.track_caption = self.live.caption
        left = QWidget()
        left_l = QVBoxLayout(left)
        left_l.setContentsMargins(0, 0, 0, 0)
        left_l.addWidget(card("Track", self.track_view, self.track_caption), 1)
        self.log = QPlainTextEdit(readOnly=True)
        self.log.setMaximumBlockCount(300)
        self.log.setStyleSheet("font-family: monospace; font-size: 11px; background: #fbfcfd;")
        bottom = QHBoxLayout()
        bottom.addWidget(card("Car 1 sensor", self.sensor_view))
        bottom.addWidget(card("Log", self.log), 1)
        left_l.addLayout(bottom)

        self.curves = LearningCurves()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.curves)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        root.addWidget(split, 1)

    # -- models -------------------------------------------------------------------------------
    def refresh_models(self) -> None:
        names = [n for n in self.ctx.store.names() if n != STANDARD_NAME]
        current = self.model.name if self.model is not None else None
        self.model_box.blockSignals(True)
        self.model_box.clear()
        self.model_box.addItems(names)
        if current in names:
            self.model_box.setCurrentText(current)
        self.model_box.blockSignals(False)
        if current is not None and current not in names:
            self._follow(None)
        elif current is None and names:
            self.select_model(names[0])
        self._update_controls()

    def select_model(self, name: str) -> None:
        """Show ``name``'s training (live if it runs, its finished curves if not)."""
        if self.model is not None and self.model.name == name:
            return
        if name == STANDARD_NAME or not self.ctx.store.exists(name):
            return
        if self.model_box.findText(name) < 0:
            self.refresh_models()
        self.model_box.blockSignals(True)
        self.model_box.setCurrentText(name)
        self.model_box.blockSignals(False)
        try:
            self._follow(self.ctx.store.get(name))
        except ModelStoreError as exc:
            self._follow(None)
            self._show_banner(esc(exc))

    def _follow(self, model) -> None:
        self.model, self._status, self._stop_asked_at = model, None, None
        self.banner.hide()
        self.log.clear()
        self._log_shown = 0
        self.live.clear(running=False)
        self._dirty = {"episodes", "iterations", "log"}
        if model is None:
            self.feed.follow(None)
            self._update_controls()
            return
        track = None
        try:
            from sim.library import load_track

            track = load_track(model.training_config().track)
            self.live.set_model(track, model.metadata().observation, model.training_config().n_cars)
        except Exception as exc:  # a broken folder or a deleted track: say so, keep going
            self.live.set_model(None, None, 0)
            self._show_banner(f"Cannot show this model's track: {esc(exc)}")
        self._track = track
        self.feed.follow(model, track)
        if not tp.is_running(model):
            self.feed.follower.clear_cars()  # old poses of a finished run are no live view
        self.live.clear(tp.is_running(model))
        self._check_process()
        self._update_controls()

    # -- start / stop -------------------------------------------------------------------------
    def _on_train_requested(self, name: str) -> None:
        self.select_model(name)
        if self.model is not None and self.model.name == name and not tp.is_running(self.model):
            self.start()

    def start(self) -> None:
        if self.model is None:
            return
        try:
            if not review_reward(self, self.model):  # someone else's reward code: the user reads it first
                return
            tp.start_training(self.model, TRAIN_COMMAND)
        except (TracksideError, OSError) as exc:
            show_error(self, "Cannot start training", str(exc))
            return
        self.banner.hide()
        self._refollow()
        self.ctx.status_message.emit(f"Training {self.model.name} started")
        self.ctx.models_changed.emit()
        self._update_controls()

    def _refollow(self) -> None:
        """Follow the model afresh: the new run truncates its telemetry and appends to its metrics."""
        self.feed.follow(self.model, self._track)
        self.feed.follower.clear_cars()
        self.log.clear()
        self._log_shown = 0
        self.live.clear(running=True)
        self._dirty |= {"episodes", "iterations", "log"}

    def stop(self) -> None:
        if self.model is None:
            return
        if self._stop_asked_at is not None and time.monotonic() - self._stop_asked_at > FORCE_STOP_AFTER_S:
            if confirm(self, "Force stop", f"{self.model.name} has not stopped yet. End its process now? "
                       "The checkpoints written so far are kept.", yes="End it"):
                tp.kill_training(self.model)
                self._check_process()
            return
        try:
            tp.stop_training(self.model)
        except ModelStoreError as exc:
            show_error(self, "Cannot stop training", str(exc))
            return
        self._stop_asked_at = time.monotonic()
        self.ctx.status_message.emit(f"Stopping {self.model.name} after the current step")
        self._update_controls()

    def _check_process(self) -> None:
        """Reap our process; turn a dead run into 'failed' with its reason."""
        if self.model is None:
            return
        why = tp.start_failure(self.model)
        if why:
            self._show_banner(f"Training could not start: {esc(why)}")
        st = tp.check(self.model)
        if st is not None and (self._status is None or st.status != self._status.status):
            self._on_status(st)
        self._update_controls()

    def _on_status(self, status) -> None:
        old = self._status.status if self._status is not None else None
        self._status = status
        if status.status == "failed":
            self._show_banner(failure_html(status))
        elif status.status == "training":
            self.banner.hide()
        if status.status in ("ready", "failed"):
            self._stop_asked_at = None
            QTimer.singleShot(300, self, self._check_process)  # the process is about to exit: reap it soon
        if old is not None and old != status.status:
            self.ctx.models_changed.emit()
        self._dirty.add("facts")
        self._update_controls()

    def _show_banner(self, html: str) -> None:
        self.banner.setText(html)
        self.banner.show()

    def _update_controls(self) -> None:
        running = self.model is not None and tp.is_running(self.model)
        starting = self.model is not None and tp.is_starting(self.model)
        status = "starting" if starting else (self._status.status if self._status is not None else "-")
        if self._stop_asked_at is not None and running:
            status = "stopping"
        can_start = self.model is not None and not running and status in ("draft", "ready", "failed")
        self.start_button.setEnabled(can_start)
        self.start_button.setText("Continue training" if status in ("ready", "failed") and self._has_checkpoints()
                                  else "Start training")
        self.stop_button.setEnabled(running and status not in ("ready", "failed"))  # not while it exits
        forced = self._stop_asked_at is not None and time.monotonic() - self._stop_asked_at > FORCE_STOP_AFTER_S
        self.stop_button.setText("Force stop" if forced else "Stop training")
        self.chip.setText(status.capitalize() if status != "-" else "-")
        self.chip.setStyleSheet(chip_style(status))

    def _has_checkpoints(self) -> bool:
        try:
            return bool(self.model.list_checkpoints())
        except (ModelStoreError, OSError):
            return False

    # -- drawing ------------------------------------------------------------------------------
    def _redraw(self) -> None:
        now = time.monotonic()
        dt, self._last_tick = now - self._last_tick, now
        follower = self.feed.follower
        if follower is None or not self.isVisible() or self.window().isMinimized():
            return  # nobody is looking: the training gets the CPU
        changed = False
        playback = follower.playback
        if playback.advance(dt, now) or "cars" in self._dirty:
            self.live.draw(follower, self.redraws)
            changed = True
        elif playback.n and (self._status is None or self._status.status not in ("training", "stopping")):
            follower.clear_cars()  # the run ended and its last poses were shown: no cars on a stopped track
            self.live.clear(tp.is_running(self.model))
            changed = True
        if self._dirty & {"episodes", "iterations"}:
            self.curves.update_from(follower)
            changed = True
        if "log" in self._dirty:
            new = min(follower.log_total - self._log_shown, len(follower.log_lines))
            if new > 0:  # appending keeps the reader's place when they scrolled up
                self.log.appendPlainText("\n".join(list(follower.log_lines)[-new:]))
            self._log_shown = follower.log_total
            changed = True
        self.facts.update_from(follower, self._status)
        self._dirty.clear()
        if changed:
            self.redraws += 1

    # -- page hooks ---------------------------------------------------------------------------
    def on_shown(self) -> None:
        self.refresh_models()
        if self.model is None or not tp.is_running(self.model):
            running = tp.running_models(self.ctx.store)
            if running:
                self.select_model(running[0])
        self._dirty |= {"episodes", "iterations", "log", "cars"}

    def prepare_screenshot(self, name: str) -> None:
        """For ``make screenshots``: train ``name`` for a few more iterations, live."""
        self.select_model(name)
        if self.model is not None and not tp.is_running(self.model):
            try:
                tp.start_training(self.model, TRAIN_COMMAND, iterations=4)
            except ModelStoreError:
                return
            self._refollow()
        self._shot_iterations = len(self.feed.follower.iterations) if self.feed.follower else 0

    def screenshot_ready(self) -> bool:
        """Cars on the track and a fresh iteration on the curves."""
        f = self.feed.follower
        return (f is not None and f.playback.n > 0 and len(f.iterations) > getattr(self, "_shot_iterations", 0)
                and self.track_view._cars.getData()[0] is not None
                and (not len(f.objects) or self.live.objects_shown is not None))  # boxes or bots drawn, if any

    def shutdown(self) -> None:
        """The window closes: stop watching. A running training goes on (Stop ends it)."""
        self.redraw_timer.stop()
        self.check_timer.stop()
        self.feed.stop()

