"""Whose reward code a model holds: nothing runs a reward function that came from elsewhere
until the user has read it and accepted it.

A model folder may hold ``reward_trust.json``: ``{"accepted_sha256": HEX or null, "origin": TEXT}``.

- No file: a model made before this rule, by the user: trusted.
- ``accepted_sha256`` equal to the SHA-256 of ``reward_function.py`` now: trusted.
- Anything else (null after an import, or a file swapped on disk since): untrusted.

Writing the reward from the user's own editor or file (``model create/clone --reward FILE``,
the app's editor) records its hash, so it is trusted; an imported archive's reward, or a clone
of an untrusted model, is recorded as not accepted. :func:`accept` is the user's "I have read
it"; :func:`check_trusted` is what training, validation of a model's reward and the app ask.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sim.errors import TracksideError

from .model_files import atomic_write_json

TRUST_FILE = "reward_trust.json"
REWARD_FILE = "reward_function.py"


class UntrustedRewardError(TracksideError):
    """A model's reward function came from elsewhere and has not been accepted."""


def _digest(folder: Path) -> str | None:
    try:
        return hashlib.sha256((folder / REWARD_FILE).read_bytes()).hexdigest()
    except OSError:
        return None


def _record(folder: Path) -> dict | None:
    """The trust record, or None without one; an unreadable record counts as 'not accepted'."""
    path = folder / TRUST_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {"accepted_sha256": None, "origin": "a damaged trust record"}
    return data if isinstance(data, dict) else {"accepted_sha256": None, "origin": "a damaged trust record"}


def is_trusted(folder: Path) -> bool:
    """True when the reward function in model folder ``folder`` may run."""
    folder = Path(folder)
    record = _record(folder)
    if record is None:
        return True
    accepted = record.get("accepted_sha256")
    return isinstance(accepted, str) and accepted == _digest(folder)


def origin(folder: Path) -> str:
    """Where an untrusted reward came from, for messages ("an imported archive")."""
    record = _record(Path(folder)) or {}
    text = record.get("origin")
    return text if isinstance(text, str) and text else "outside this app"


def mark_trusted(folder: Path, origin_text: str = "the user's editor or file") -> None:
    """Record the reward now in ``folder`` as the user's own (after they wrote, chose or accepted it)."""
    folder = Path(folder)
    atomic_write_json(folder / TRUST_FILE, {"accepted_sha256": _digest(folder), "origin": origin_text})


def mark_untrusted(folder: Path, origin_text: str) -> None:
    """Record the reward in ``folder`` as someone else's: it must be read and accepted before it runs."""
    atomic_write_json(Path(folder) / TRUST_FILE, {"accepted_sha256": None, "origin": origin_text})


def record_origin(folder: Path, trusted_origin: str | None, untrusted_origin: str) -> None:
    """:func:`mark_trusted` with ``trusted_origin`` if given, else :func:`mark_untrusted` with ``untrusted_origin``."""
    if trusted_origin is not None:
        mark_trusted(folder, trusted_origin)
    else:
        mark_untrusted(folder, untrusted_origin)


def read_for_review(folder: Path) -> tuple[str, str]:
    """The reward function's text to show and the SHA-256 of exactly those bytes, for :func:`accept`."""
    path = Path(folder) / REWARD_FILE
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UntrustedRewardError(f"{path}: cannot read the reward function ({exc.strerror})") from None
    return data.decode("utf-8", errors="replace"), hashlib.sha256(data).hexdigest()


def accept(folder: Path, shown_sha256: str) -> None:
    """The user has read the reward function (the bytes :func:`read_for_review` hashed as
    ``shown_sha256``) and accepts it; refused if the file changed since it was shown."""
    folder = Path(folder)
    if _digest(folder) != shown_sha256:
        raise UntrustedRewardError(f"{folder / REWARD_FILE} changed while it was shown; nothing was accepted: "
                                   "review it again")
    atomic_write_json(folder / TRUST_FILE, {"accepted_sha256": shown_sha256, "origin": "accepted after review"})


def check_trusted(folder: Path, name: str | None = None) -> None:
    """Raise :class:`UntrustedRewardError` (one line naming the command that accepts it) unless trusted."""
    folder = Path(folder)
    if is_trusted(folder):
        return
    name = name or folder.name
    record = _record(folder) or {}
    why = ("changed on disk since it was written or accepted in Trackside" if record.get("accepted_sha256")
           else f"came from {origin(folder)} and has not been accepted")
    raise UntrustedRewardError(
        f"model {name!r}: its reward function {why}, so it does not run; read it and accept it with "
        f"`trackside model accept-reward {name}` (or train it from the app, which shows it first)")


def check_reward_file(path: Path) -> None:
    """Refuse a model folder's ``reward_function.py`` that is not trusted (``trackside reward validate FILE``)."""
    path = Path(path)
    if path.name == REWARD_FILE and (path.parent / TRUST_FILE).exists():
        check_trusted(path.parent)
