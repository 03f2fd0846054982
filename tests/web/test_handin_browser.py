"""The hand-in form in a real browser (the system's Chromium through Playwright), at a phone's width:
a racer fills in the form, picks the archive and gets the receipt with the hash."""

import shutil

import pytest

from gui.web.context import WebContext
from gui.web.server import EventServer
from league.db import open_db
from league.handin import inbox
from league.raceday.events import create_event
from league.tokens import scope_of, token_for
from tests.league.handin_archives import good_archive

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.skipif(not shutil.os.path.exists(CHROMIUM), reason="Chromium is not installed (make test installs it)")
def test_a_racer_hands_in_from_a_phone_and_sees_the_receipt(tmp_path):
    from playwright.sync_api import sync_playwright

    db = open_db()
    ev = create_event(db, "Summit <i>finals</i>", "workshop_loop")
    token = token_for(db, scope_of("raceday", ev.id))
    archive = good_archive(tmp_path)
    server = EventServer("127.0.0.1", 0, WebContext(), features=("gui.web.handin",)).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM)
            page = browser.new_page(viewport={"width": 360, "height": 740})
            page.goto(f"{server.url}/handin/{ev.id}?token={token}")
            assert page.locator(".where").inner_text().startswith("Summit <i>finals</i>")  # shown as text
            page.screenshot(path=tmp_path / "handin-form-phone.png", full_page=True)
            page.fill("input[name=alias]", "Ada <b>L</b>")
            page.set_input_files("input[name=file]", str(archive))
            page.click("button[type=submit]")
            page.wait_for_selector("table.receipt", timeout=8000)
            [row] = inbox(open_db())
            assert row["hash"] in page.inner_text("table.receipt") and "Ada <b>L</b>" in page.inner_text("table.receipt")
            page.screenshot(path=tmp_path / "handin-receipt-phone.png", full_page=True)
            wide = browser.new_page(viewport={"width": 1920, "height": 1080})
            wide.goto(f"{server.url}/handin/{ev.id}")
            wide.screenshot(path=tmp_path / "handin-form-tv.png")
            browser.close()
    finally:
        server.stop()
