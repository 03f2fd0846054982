"""What every page shares: the model store, settings, and signals that tie pages together.

Pages take the :class:`AppContext` in their constructor and talk to each other only
through its signals (a page never holds another page), so pages can be added,
removed and tested one at a time.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Signal

from sim.paths import home


class AppContext(QObject):
    """Shared state of one running app."""

    models_changed = Signal()
    """A model was created, deleted, renamed, imported, or its status changed."""
    model_selected = Signal(str)
    """The user picked a model to look at (name)."""
    open_page = Signal(str)
    """Ask the window to show a page by its title, e.g. "Training"."""
    train_requested = Signal(str)
    """Start (or attach to) training of a model (name)."""
    evaluate_requested = Signal(str)
    """Open the evaluation page for a model (name)."""
    status_message = Signal(str)
    """A short message for the status bar."""
    tracks_changed = Signal()
    """A track was imported (track pickers reload the library)."""
    league_changed = Signal()
    """The league database changed (a racer, season, race, submission, race-day event,
    queue or session): league views and the projector reload what they show."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        from trainer.model_store import ModelStore

        self.store = ModelStore()
        # Settings live in the Trackside home like all user data, not in the OS registry.
        self.settings = QSettings(str(home() / "settings.ini"), QSettings.Format.IniFormat)

    def setting(self, key: str, default=None):
        value = self.settings.value(key, default)
        return default if value is None else value

    def set_setting(self, key: str, value) -> None:
        self.settings.setValue(key, value)
