"""Model hand-in: a racer's archive becomes a frozen, hashed model in a race-day queue or a league race.

One path for every way an archive arrives (the event server's upload page, a watched folder, the
CLI, the app's inbox): :func:`hand_in`. It

1. imports the archive with the same checks as ``trackside model import``
   (:func:`trainer.archive.import_with_report`: links, devices, absolute paths, ``..``, oversized or
   too many members, garbage and weights that would run code are refused, naming the file), as a new
   model named for the racer (``ada``, or ``ada-2`` when that name is taken: nothing is overwritten);
   its reward function stays *not accepted* (``trainer.reward_trust``): nothing runs it unasked, and a
   race only drives the policy;
2. refuses a model without Trackside weights (a DeepRacer console archive's TensorFlow weights
   cannot drive here: it would race untrained);
3. freezes and hashes it (:func:`league.freeze.freeze`: the SHA-256 a racer's receipt shows);
4. queues the racer at the race-day event with that model (``league.raceday.entries.add_to_queue``)
   or submits it to the league race (``league.races.submit``, which evaluates it);
5. records a row in the organiser's inbox (``handin_inbox``, :mod:`league.handin_schema`), accepted
   or refused with its one-line reason. A refused hand-in leaves no model behind.

A target is ``raceday:<event>`` or ``race:<race>``, by id or name.
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from sim.errors import TracksideError

from .db import LeagueError, now_iso, writing
from .race_setup import get_race
from .raceday.events import ALIAS_RULE, get_event

ACCEPTED, REFUSED = "accepted", "refused"


class HandInError(LeagueError):
    """A hand-in that cannot even be recorded (no such target, no archive file)."""


@dataclass(frozen=True)
class Target:
    """Where a hand-in goes: a race-day event's queue or a league race."""

    kind: str
    """``raceday`` or ``race`` (the token scope's kind, ``league.tokens.scope_of``)."""
    id: int
    name: str

    @property
    def label(self) -> str:
        """``raceday:<id>`` or ``race:<id>``, as the inbox stores it."""
        return f"{self.kind}:{self.id}"


def parse_target(db: sqlite_utils.Database, text: str) -> Target:
    """``raceday:<event>`` or ``race:<race>`` (an id or a name) -> the target; LeagueError if none."""
    kind, sep, ident = str(text or "").partition(":")
    if not sep or kind not in ("raceday", "race") or not ident.strip():
        raise HandInError(f"target: expected raceday:<event> or race:<race>, got {text!r}")
    key: str | int = int(ident) if ident.strip().isdigit() else ident.strip()
    if kind == "raceday":
        ev = get_event(db, key)
        return Target("raceday", ev.id, ev.name)
    race = get_race(db, key)
    return Target("race", race.id, race.name)


def archive_digest(path: str | Path) -> tuple[str, int]:
    """SHA-256 (hex) and size in bytes of the archive file as it came."""
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def already_handed_in(db: sqlite_utils.Database, archive_sha256: str) -> bool:
    """True when an archive with these bytes is in the inbox (accepted or refused)."""
    return db.execute("SELECT 1 FROM handin_inbox WHERE archive_sha256 = ? LIMIT 1", [archive_sha256]).fetchone() \
        is not None


def model_name_for(alias: str, models) -> str:
    """A free model name for ``alias``'s hand-in: the alias in letters, digits, ``-`` and ``_``, then
    ``-2``, ``-3`` ... when taken (never the standard model's, never an existing model's)."""
    from trainer.model_store import ModelStoreError

    base = re.sub(r"[^A-Za-z0-9_-]+", "-", alias).strip("-")[:56] or "racer"
    for n in range(1, 1000):
        name = base if n == 1 else f"{base}-{n}"
        try:
            models.check_new_name(name)
        except ModelStoreError:
            continue
        return name
    raise HandInError(f"no free model name for {alias!r}: delete some of its hand-ins")


def hand_in(db: sqlite_utils.Database, archive_path: str | Path, alias: str, target: str | Target, *,
            source: str, archive_name: str | None = None, models=None) -> dict:
    """Import, check, freeze and deliver the archive at ``archive_path`` for racer ``alias``.

    ``target``: ``raceday:<event>`` / ``race:<race>`` or a :class:`Target`. ``source``: how it came,
    for the organiser (``upload from 10.0.0.7``, ``folder /media/usb/models``). ``archive_name``: the
    name the racer gave the file (shown only; default the path's name). ``models``: the front-end's
    ``trainer.model_store.ModelStore`` (default: ``TRACKSIDE_HOME``'s).

    Returns the receipt (:func:`receipt`), ``status`` ``accepted`` or ``refused`` with its ``reason``;
    both are recorded in the inbox. Raises :class:`HandInError` only when the target does not exist or
    the file cannot be read (nothing to record it against).
    """
    from trainer.model_store import ModelStore

    models = models or ModelStore()
    tgt = target if isinstance(target, Target) else parse_target(db, target)
    try:
        digest, size = archive_digest(archive_path)
    except OSError as exc:
        raise HandInError(f"archive: cannot read it ({exc.strerror})") from None
    row = {"received": now_iso(), "alias": str(alias or "").strip(), "source": source[:200],
           "archive_name": (archive_name or Path(archive_path).name)[:200], "archive_sha256": digest,
           "archive_bytes": size, "target": tgt.label, "status": REFUSED, "reason": None, "model": None,
           "frozen_hash": None, "detail": "{}"}
    model = None
    try:
        if not ALIAS_RULE.match(row["alias"]):
            raise LeagueError("alias: expected 1-64 printable characters")
        model = _import(archive_path, row["alias"], models)
        row["model"] = model.name
        _deliver(db, tgt, model, models, row)
    except _REFUSALS as exc:
        if model is not None:
            _remove(models, model.name)
        row.update(status=REFUSED, reason=_one_line(exc), model=None, frozen_hash=None, detail="{}")
        _record(db, row)
    return receipt(row, tgt)


_REFUSALS = (TracksideError, tarfile.TarError, zlib.error, EOFError, OSError, ValueError)
"""What an archive from someone else may raise on the way in: every one is a refusal with a reason."""


def _import(path, alias: str, models):
    """The archive imported (``trainer.archive``'s checks) as a new model named for ``alias``; it must
    carry Trackside weights."""
    from trainer.archive import ArchiveError, import_with_report

    report = import_with_report(path, model_name_for(alias, models), store=models)
    if report.state != "ready":
        _remove(models, report.model.name)
        raise ArchiveError("no Trackside weights in it (DeepRacer's TensorFlow weights cannot race here): "
                           "import it, train it, then export it with trackside model export")
    return report.model


def _deliver(db: sqlite_utils.Database, tgt: Target, model, models, row: dict) -> None:
    """Queue or submit ``model``; fill in and record ``row`` (in the queue's own transaction)."""
    if tgt.kind == "raceday":
        from .freeze import freeze
        from .raceday.entries import add_to_queue

        frozen = freeze(model, models=models)
        with writing(db):
            entry = add_to_queue(db, tgt.id, row["alias"], model=model.name)
            position = db.execute("SELECT COUNT(*) FROM raceday_queue WHERE event_id = ? AND state = 'queued' "
                                  "AND position <= ?", [tgt.id, entry["position"]]).fetchone()[0]
            row.update(status=ACCEPTED, frozen_hash=frozen.hash,
                       detail=json.dumps({"queue_entry": entry["id"], "queue_position": position}))
            _record(db, row)
        return
    from .races import submit

    sub = submit(db, tgt.id, row["alias"], model, models=models)
    row.update(status=ACCEPTED, frozen_hash=sub["frozen_hash"],
               detail=json.dumps({"submission": sub["id"], "complete": bool(sub.get("complete")),
                                  "rank": sub.get("rank"), "best_time_s": sub.get("best_time_s"),
                                  "improved": sub.get("improved")}))
    # The submission is written by submit's own transaction (its evaluation must not hold the write
    # lock); a process killed between the two leaves the submission without its inbox row.
    _record(db, row)


def _record(db: sqlite_utils.Database, row: dict) -> None:
    with writing(db):
        cur = db.conn.execute(
            "INSERT INTO handin_inbox (received, alias, source, archive_name, archive_sha256, archive_bytes, target, "
            "status, reason, model, frozen_hash, detail) VALUES (:received, :alias, :source, :archive_name, "
            ":archive_sha256, :archive_bytes, :target, :status, :reason, :model, :frozen_hash, :detail)", row)
        row["id"] = cur.lastrowid


def _remove(models, name: str) -> None:
    try:
        models.delete(name)
    except TracksideError:
        pass


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if not isinstance(exc, TracksideError):
        text = f"archive: not a readable model archive ({text})"
    return text[:300]


def receipt(row: dict, tgt: Target | None = None) -> dict:
    """A hand-in as its racer's receipt: alias, model, hash (the frozen copy's SHA-256), target, queue
    position or submission result, time, status and reason."""
    detail = json.loads(row.get("detail") or "{}")
    return {"id": row.get("id"), "time": row["received"], "alias": row["alias"], "model": row["model"],
            "hash": row["frozen_hash"], "target": row["target"], "target_name": tgt.name if tgt else None,
            "status": row["status"], "reason": row["reason"], "queue_position": detail.get("queue_position"),
            "submission": detail if "submission" in detail else None, "archive_name": row["archive_name"],
            "archive_sha256": row["archive_sha256"], "archive_bytes": row["archive_bytes"], "source": row["source"]}


def inbox(db: sqlite_utils.Database, target: str | Target | None = None, limit: int = 500) -> list[dict]:
    """The newest hand-ins first (of one target, or all), as receipts (with the target's name now)."""
    if target is None:
        rows = db.query("SELECT * FROM handin_inbox ORDER BY id DESC LIMIT ?", [limit])
    else:
        label = target.label if isinstance(target, Target) else parse_target(db, target).label
        rows = db.query("SELECT * FROM handin_inbox WHERE target = ? ORDER BY id DESC LIMIT ?", [label, limit])
    names = {f"raceday:{i}": n for i, n in db.execute("SELECT id, name FROM raceday_events")}
    names.update({f"race:{i}": n for i, n in db.execute("SELECT id, name FROM races")})
    out = []
    for r in rows:
        out.append(receipt(r))
        out[-1]["target_name"] = names.get(r["target"])
    return out
