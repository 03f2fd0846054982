"""What every screenshot shares (:mod:`gui.screenshots`, :mod:`gui.screenshots_objects`): how long
a page gets to draw, waiting on Qt's event loop, and saving a grab."""

from __future__ import annotations

import time
from pathlib import Path

SETTLE_S = 1.5
"""How long each page gets to draw (timers, background loads) before it is grabbed, s."""
READY_TIMEOUT_S = 120.0
"""The longest a page's ``screenshot_ready`` is waited for, s."""


def wait(app, seconds: float, until=None) -> None:
    """Run Qt's event loop for ``seconds``, or until ``until()`` is true (``app``: unused, kept for callers)."""
    from PySide6.QtTest import QTest

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QTest.qWait(50)
        if until is not None and until():
            return


def save(widget, path: Path, log=print) -> Path:
    """Grab ``widget`` to the PNG file ``path``; returns it."""
    if not widget.grab().save(str(path)):
        raise OSError(f"{path}: could not write the PNG")
    log(f"  {path}")
    return path
