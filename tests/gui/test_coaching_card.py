"""The coaching card in the app: drawn from a real card, and opened from the Evaluation page's result."""

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before Qt is imported

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gui.context import AppContext  # noqa: E402
from gui.pages.evaluation import EvaluationPage  # noqa: E402
from gui.widgets.coaching_card import CoachingCardView  # noqa: E402

pytestmark = pytest.mark.slow


def colours(widget):
    image = widget.grab().toImage()
    return np.array([[image.pixelColor(x, y).getRgb()[:3] for x in range(0, image.width(), 2)]
                     for y in range(0, image.height(), 2)])


def test_the_card_draws_the_lap_by_time_lost_and_marks_the_worst_sectors(qtbot):
    from league.coaching import coach_evaluation

    card = coach_evaluation("standard", "workshop_loop", laps=1, seed=4).card
    view = CoachingCardView(card)
    qtbot.addWidget(view)
    view.resize(1000, 600)
    view.show()
    qtbot.waitExposed(view)
    assert view.table.rowCount() == 10
    worst = {s.number for s in card.worst()}
    shaded = {int(view.table.item(r, 0).text()) for r in range(10)
              if view.table.item(r, 0).background().color().name() == "#fde2e1"}
    assert shaded == worst and len(worst) == 3
    assert view.table.item(card.worst()[0].number - 1, 4).text() == f"{card.worst()[0].lost_s:+.3f}"
    assert f"{card.lap_time_s:.3f} s" in view.headline.text() and "Sector" in view.advice.text()
    px = colours(view.track_view)
    green = (px[..., 1] > 140) & (px[..., 0] < 90) & (px[..., 2] < 110)
    red = (px[..., 0] > 190) & (px[..., 1] < 90) & (px[..., 2] < 90)
    assert green.sum() > 10 and red.sum() > 3  # the lap is drawn in both ends of the loss scale


def test_the_evaluation_page_opens_the_card_of_its_result(qtbot, tmp_path):
    page = EvaluationPage(AppContext())
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    page.select_model("standard")
    page.track_box.setCurrentIndex(page.track_box.findData("workshop_loop"))
    page.laps.setValue(2)
    assert not page.coach_button.isEnabled()
    page.run()
    qtbot.waitUntil(lambda: page.worker is None, timeout=60_000)
    assert page.result is not None and page.coach_button.isEnabled(), page.message.text()
    page.coach_button.click()
    dialog = page.coaching
    qtbot.waitUntil(lambda: dialog.run is not None or "No coaching" in dialog.status.text(), timeout=60_000)
    assert dialog.run is not None, dialog.status.text()
    best = min(lap.time_s for lap in page.result.laps if lap.completed)
    assert dialog.run.card.lap_time_s == best  # the same rules and seed drove the same laps
    pdf = dialog.save_pdf(str(tmp_path / "card.pdf"))
    assert pdf.read_bytes().startswith(b"%PDF")
    dialog.accept()
    page.clear_result()
    assert not page.coach_button.isEnabled()
