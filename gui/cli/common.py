"""Conventions shared by every ``trackside`` command.

``--json`` prints exactly one JSON document on stdout. A :class:`sim.errors.TracksideError`
(a problem the user can fix) prints ``error: <its message>`` on stderr and exits with 1;
a file the system refuses (``OSError``) names the file and the reason. Anything else is a
bug in Trackside: it prints one ``internal error`` line and exits with 2.
``TRACKSIDE_DEBUG=1`` shows the traceback instead, for the people fixing it.

Commands import the layers they use inside their functions, so a command loads only what
it needs (``model list`` never loads torch).
"""

from __future__ import annotations

import functools
import os
import sqlite3
import sys

import click

from sim.errors import TracksideError


class UserError(click.ClickException):
    """An error the user can fix; printed as ``error: message`` with exit status 1."""

    def show(self, file=None):
        click.echo(f"error: {self.format_message()}", err=True)


class InternalError(click.ClickException):
    """A bug: one line that says so, exit status 2."""

    exit_code = 2

    def show(self, file=None):
        click.echo(f"internal error: {self.format_message()} (run with TRACKSIDE_DEBUG=1 for the details, "
                   "and please report it)", err=True)


def os_error_text(exc: OSError) -> str:
    """``path: reason`` for a file the system refused."""
    where = exc.filename if exc.filename is not None else ""
    reason = exc.strerror or str(exc) or exc.__class__.__name__
    return f"{where}: {reason}" if where else reason


def friendly_errors(fn):
    """Turn errors into one line on stderr: the user's (``TracksideError``, ``OSError``) or a bug's."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            if os.environ.get("TRACKSIDE_DEBUG"):
                raise
            if isinstance(exc, sqlite3.Error):  # the league database failed after it opened
                from league.db import database_error

                exc = database_error(exc)
            if isinstance(exc, TracksideError):
                raise UserError(str(exc) or exc.__class__.__name__) from None
            if isinstance(exc, OSError):
                raise UserError(os_error_text(exc)) from None
            raise InternalError(f"{exc.__class__.__name__}: {exc}") from None

    return wrapper


def emit_json(obj) -> None:
    """Print one JSON document on stdout (:func:`league.json_text.to_json`)."""
    from league.json_text import to_json

    click.echo(to_json(obj), nl=False)



def skip_pandas_in_sqlite_utils() -> None:
    """Let a command's later ``import sqlite_utils`` skip pandas.

    sqlite-utils imports pandas whenever it is installed (the test extras bring it, through
    deepracer-utils) only to store DataFrame values, which Trackside never does; that import
    alone is about 0.3 s of every league command. While sqlite-utils loads, ``pandas`` is
    marked as absent, then unmarked, so pandas itself still imports normally afterwards.
    Nothing happens if either is loaded already (a notebook, the test suite).
    """
    if "sqlite_utils" in sys.modules or "pandas" in sys.modules:
        return
    sys.modules["pandas"] = None  # makes `import pandas` raise ImportError, which sqlite-utils expects
    try:
        import sqlite_utils  # noqa: F401
    finally:
        del sys.modules["pandas"]


def seconds_text(seconds, missing: str = "-") -> str:
    """A lap or result time as the commands print it (``12.345s``), ``missing`` for none."""
    return missing if seconds is None else f"{seconds:.3f}s"
