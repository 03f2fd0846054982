"""The race-day page's Print menu: the podium, the certificates or the organiser's summary of the
chosen event as a PDF, written by :func:`league.printouts.write_printout` (the same function as
``trackside export podium|certificates|summary``) to a file the user chooses.

Certificates replay each simulated racer's best lap (about a second each), so a printout is
written on a worker thread with its own database connection; the page says when it is done or
why it was refused. The folder is remembered with the exports' (``league/export_dir``).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QPushButton

from gui.widgets.style import button
from sim.errors import TracksideError

PRINTOUTS = (("Podium (top three)\u2026", "podium"), ("Certificates, one per racer\u2026", "certificates"),
             ("Organiser summary\u2026", "summary"))
"""Menu text and ``league.printouts`` name of each printout."""


class PrintJob(QThread):
    """Writes one printout off the GUI thread; ``done(path)`` or ``failed(one-line reason)``."""

    done = Signal(str)
    failed = Signal(str)

    def __init__(self, what: str, name: str, path: str, race: bool = False, parent=None):
        super().__init__(parent)
        self.what, self.name, self.path, self.race = what, name, path, race

    def run(self) -> None:
        from league.db import open_db
        from league.printouts import write_printout

        try:
            db = open_db()  # one connection per thread
            try:
                write_printout(db, self.what, self.name, self.path, race=self.race)
            finally:
                db.conn.close()
        except (TracksideError, OSError) as exc:
            self.failed.emit(str(exc))
            return
        self.done.emit(self.path)


def print_button(page, subject, *, race: bool = False) -> QPushButton:
    """A "Print" button whose menu prints the event (``race``: the league race) ``subject()`` names
    (None: nothing chosen) on ``page`` (which has ``say``, ``ctx``)."""
    b = button("Print", tooltip="A podium, a certificate per racer, or the organiser's summary, as PDF")
    menu = QMenu(b)
    for text, what in PRINTOUTS:
        menu.addAction(text, lambda w=what: print_with_dialog(page, w, subject(), race=race))
    b.setMenu(menu)
    return b


def print_with_dialog(page, what: str, name: str | None, *, race: bool = False) -> PrintJob | None:
    """Ask where, then start writing printout ``what`` of ``name``; None when cancelled or nothing chosen."""
    if not name:
        page.say("Nothing to print yet: choose an event first.")
        return None
    folder = Path(page.ctx.setting("league/export_dir", str(Path.home())))
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-") or "event"
    path, _ = QFileDialog.getSaveFileName(page, f"Print {what} of {name}", str(folder / f"{stem}-{what}.pdf"),
                                          "PDF (*.pdf)")
    if not path:
        return None
    page.ctx.set_setting("league/export_dir", str(Path(path).parent))
    return start_print(page, what, name, path, race=race)


RUNNING: set[PrintJob] = set()
"""Jobs still writing: held here, not by the page, so closing the page never destroys a running thread."""


def start_print(page, what: str, name: str, path: str, *, race: bool = False) -> PrintJob:
    """Write printout ``what`` of ``name`` to ``path`` on a worker thread, saying so on ``page``.
    Quitting the app waits for a printout still being written (the file is whole or not there)."""
    job = PrintJob(what, name, str(path), race)
    RUNNING.add(job)
    job.done.connect(lambda p: page.say(f"Printed the {what} to {p}", ok=True))
    job.failed.connect(page.say)
    job.finished.connect(lambda: RUNNING.discard(job))
    QApplication.instance().aboutToQuit.connect(job.wait)
    page.say(f"Printing the {what} of {name}\u2026", ok=True)
    job.start()
    return job
