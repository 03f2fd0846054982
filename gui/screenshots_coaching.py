"""The coaching-card screenshot for ``make screenshots`` (:mod:`gui.screenshots`; ``python -m gui.screenshots
--only coaching`` renders only this one):

- ``NN-coaching-card.png``: the coaching card of a real evaluation of the ``standard`` model on the
  workshop loop (3 trials, seed :data:`SEED`), as the Evaluation page's "Coaching card" button opens it:
  its fastest lap coloured by the time it lost against the racing line, the sector table with the
  three worst sectors marked, and the findings.
"""

from __future__ import annotations

from pathlib import Path

TRACK = "workshop_loop"
SEED = 2
SIZE = (1200, 760)
INDEX = 11
"""The file's number among the screenshots (after the pages)."""


def render_coaching_shot(out: Path, log=print) -> Path:
    """Render the coaching card to ``out``; returns the file written."""
    from PySide6.QtWidgets import QApplication

    from gui.screenshot_kit import SETTLE_S, save, wait
    from gui.widgets.coaching_card import CoachingCardView
    from league.coaching import coach_evaluation

    app = QApplication.instance() or QApplication(["trackside-screenshots"])
    run = coach_evaluation("standard", TRACK, laps=3, seed=SEED)
    view = CoachingCardView(run.card)
    view.setWindowTitle("Coaching card")
    view.resize(*SIZE)
    view.show()
    wait(app, SETTLE_S)
    out.mkdir(parents=True, exist_ok=True)
    path = save(view, out / f"{INDEX:02d}-coaching-card.png", log)
    view.close()
    return path
