"""The race-day page's header and board menus: what an organiser does to an event as a whole.

- "Event ▾": a new event, edit the chosen one (its name, ranking, runs per racer, rules), its finals,
  the lap sensor on a serial port;
- "Export ▾": the projector page as HTML, every lap, a per-racer summary, everything as JSON.

Each action calls the page's own method (or the dialog module's function), so the menus hold no logic.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu, QPushButton

from gui.pages.raceday_dialogs import edit_event_dialog
from gui.pages.raceday_finals import open_finals
from gui.server_panel import open_server_panel
from gui.timer_link import choose_serial_port
from gui.widgets.style import button

EXPORTS = (("Leaderboard as a web page (HTML)\u2026", "event-html"), ("Every lap as CSV\u2026", "event-laps"),
           ("Per-racer summary as CSV\u2026", "event-summary"), ("Everything as JSON\u2026", "event-json"))
"""The export menu's entries: (text, what ``RaceDayPage.export`` writes)."""


def event_menu_button(page) -> QPushButton:
    """"Event ▾": New event…, Edit event…, Finals… for ``page`` (a ``RaceDayPage``)."""
    events = button("Event \u25be", tooltip="A new event; edit this one (name, ranking, runs per racer, rules); "
                                           "its finals (a knockout bracket or a ladder from the board's top racers)")
    menu = QMenu(events)
    menu.addAction("New event\u2026", page.new_event_dialog)
    menu.addAction("Edit event\u2026", lambda: edit_event_dialog(page))
    menu.addAction("Finals\u2026", lambda: open_finals(page))
    menu.addAction("Event server\u2026", lambda: open_server_panel(page))  # phones, TVs, overlays (gui.server_panel)
    menu.addAction("Lap sensor (serial port)\u2026", lambda: choose_serial_port(page))
    events.setMenu(menu)
    events.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return events


def export_menu_button(page) -> QPushButton:
    """"Export ▾" with :data:`EXPORTS`, each calling ``page.export(what)``."""
    export = button("Export \u25be", tooltip="The projector page, every lap, a per-racer summary, or JSON")
    export.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    menu = QMenu(export)
    for text, what in EXPORTS:
        menu.addAction(text, lambda w=what: page.export(w))
    export.setMenu(menu)
    return export
