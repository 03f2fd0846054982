"""What an import did, as data: the CLI prints it and the app shows it (one path, two front-ends)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.errors import TracksideError
from trainer.model_folder import Model

MAX_NAMES = 4
"""File names listed per group of kept or skipped files; the rest are counted."""


class ArchiveError(TracksideError):
    """An archive or folder that cannot be imported, or a model that cannot be exported; the message says why."""


def shown(rel: str) -> str:
    """A path from someone else's archive as one safe line: odd characters (newlines, escapes) written out."""
    return rel if rel.isprintable() and rel.isascii() else ascii(rel)


@dataclass
class FileGroup:
    """Files reported together: ``what`` is their meaning (kept) or the reason (skipped)."""

    what: str
    files: list[str] = field(default_factory=list)
    bytes: int = 0
    """Their total size, bytes."""

    def line(self) -> str:
        names = ", ".join(shown(f) for f in self.files[:MAX_NAMES])
        more = f" and {len(self.files) - MAX_NAMES} more" if len(self.files) > MAX_NAMES else ""
        count = f" ({len(self.files)} files, {self.bytes / 2**20:.1f} MB)" if len(self.files) > 1 else ""
        return f"{names}{more}{count}: {self.what}"


@dataclass
class ImportReport:
    """The outcome of ``trackside model import``: kept and skipped files, the track, what to do next."""

    model: Model
    source: str
    """The archive or folder, as the user named it."""
    kind: str
    """``a Trackside export``, ``a DeepRacer model archive`` or ``a DeepRacer model folder``."""
    state: str
    """The model's state after the import: ``ready`` (weights came with it) or ``draft`` (untrained)."""
    kept: list[FileGroup] = field(default_factory=list)
    skipped: list[FileGroup] = field(default_factory=list)
    track: str = ""
    track_how: str = ""
    """How the track was chosen, a sentence that starts with the track's name."""
    track_change: str = ""
    """How to train on another track, when the track was a default."""
    settings: list[str] = field(default_factory=list)
    """Other training settings taken from the archive (direction, start positions)."""
    next_steps: list[str] = field(default_factory=list)
    """Commands to run next, each with why."""

    def add(self, groups: list[FileGroup], what: str, rel: str, size: int = 0) -> None:
        """Report ``rel`` under ``what`` in ``groups`` (``self.kept`` or ``self.skipped``)."""
        group = next((g for g in groups if g.what == what), None)
        if group is None:
            group = FileGroup(what)
            groups.append(group)
        group.files.append(rel)
        group.bytes += size

    def lines(self) -> list[str]:
        """The report as plain lines, for a terminal or a message box."""
        weights = "with its weights: ready to race" if self.state == "ready" else "as a draft: it starts untrained"
        out = [f"imported {self.model.name} from {shown(self.source)} ({self.kind}) {weights}", "kept:"]
        out += [f"  {g.line()}" for g in self.kept] or ["  nothing"]
        out.append("skipped:")
        out += [f"  {g.line()}" for g in self.skipped] or ["  nothing"]
        out.append(f"track: {self.track_how}")
        if self.track_change:
            out.append(f"  {self.track_change}")
        out += [f"  {s}" for s in self.settings]
        out.append("next:")
        out += [f"  {s}" for s in self.next_steps]
        return out

    def to_dict(self) -> dict:
        """The report as JSON-able data (``--json``)."""
        return {"name": self.model.name, "source": self.source, "kind": self.kind, "state": self.state,
                "kept": [{"what": g.what, "files": g.files, "bytes": g.bytes} for g in self.kept],
                "skipped": [{"why": g.what, "files": g.files, "bytes": g.bytes} for g in self.skipped],
                "track": self.track, "track_how": self.track_how, "track_change": self.track_change,
                "settings": self.settings, "next": self.next_steps}
