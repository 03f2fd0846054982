"""Pick a training track: a list of the trainable tracks beside a drawing of the chosen one.

Competition tracks are left out (races run on them, nobody trains on them). The drawing
shows the road and its racing line; the facts under it give the length, width and the
theoretical best lap at the action space's top speed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from gui.rich_text import esc
from gui.track_view import TrackView
from sim.library import list_tracks, load_track, track_summary
from sim.track import TrackError

from .style import label


class TrackPicker(QWidget):
    """Emits :attr:`track_changed` with the track name when the choice changes."""

    track_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, preferred: str = "workshop_loop"):
        super().__init__(parent)
        self.max_speed = 4.0
        self.list = QListWidget()
        self.list.setFixedWidth(270)
        self.view = TrackView()
        self.view.setMinimumHeight(240)
        self.view.setMaximumHeight(330)
        self.view.setMouseEnabled(x=False, y=False)
        self.facts = label("", "fact", wrap=True, rich=True)
        self.description = label("", "hint", wrap=True)
        side = QVBoxLayout()
        side.setSpacing(6)
        side.addWidget(self.view, 1)
        side.addWidget(self.facts)
        side.addWidget(self.description)
        self.left = QVBoxLayout()
        """The list's column; owners may add options under the list."""
        self.left.setSpacing(8)
        self.left.addWidget(self.list, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(16)
        layout.addLayout(self.left)
        layout.addLayout(side, 1)
        self.list.currentItemChanged.connect(self._changed)
        self.reload(preferred)

    def reload(self, select: str | None = None) -> None:
        """Read the track library again (after an import), keeping or setting the choice."""
        select = select or self.current()
        self.list.blockSignals(True)
        self.list.clear()
        for info in list_tracks():
            if not info.trainable:
                continue
            item = QListWidgetItem(info.display_name or info.name)
            item.setData(Qt.ItemDataRole.UserRole, info.name)
            item.setToolTip(info.description or info.name)
            self.list.addItem(item)
        self.list.blockSignals(False)
        names = self.names()
        row = names.index(select) if select in names else (0 if names else -1)
        self.list.setCurrentRow(row)
        if self.list.currentItem() is not None and self.list.currentItem().data(Qt.ItemDataRole.UserRole) == select:
            self._changed(self.list.currentItem())

    def names(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def current(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def select(self, name: str) -> bool:
        names = self.names()
        if name not in names:
            return False
        self.list.setCurrentRow(names.index(name))
        return True

    def set_max_speed(self, max_speed: float) -> None:
        """The top speed the best lap is computed for, m/s."""
        if max_speed != self.max_speed:
            self.max_speed = max_speed
            self._show_facts()

    def _changed(self, item) -> None:
        name = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if name is None:
            return
        try:
            track = load_track(name)
        except TrackError as exc:
            self.facts.setText(esc(exc))
            return
        self.view.set_track(track)
        self.description.setText(track.info.description)
        self._show_facts()
        self.track_changed.emit(name)

    def _show_facts(self) -> None:
        name = self.current()
        if name is None:
            return
        from sim.racing_line import compute_racing_line

        track = load_track(name)
        s = track_summary(track)
        best = compute_racing_line(track, max_speed=self.max_speed).best_lap_s
        self.facts.setText(f"<b>{esc(s['display_name'])}</b> &nbsp;·&nbsp; length {s['length_m']:.1f} m &nbsp;·&nbsp; "
                           f"width {s['width_m']:.2f} m &nbsp;·&nbsp; best lap {best:.2f} s at {self.max_speed:g} m/s")
