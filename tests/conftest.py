"""Shared test setup: every test gets its own empty Trackside home folder."""

import pytest


@pytest.fixture(autouse=True)
def trackside_home(tmp_path_factory, monkeypatch):
    """Point ``TRACKSIDE_HOME`` at a fresh temporary folder so no test touches the real one."""
    home = tmp_path_factory.mktemp("trackside_home")
    monkeypatch.setenv("TRACKSIDE_HOME", str(home))
    return home
