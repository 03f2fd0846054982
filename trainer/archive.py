"""Export a model to a ``.tar.gz`` and import one (or a DeepRacer model folder), refusing anything hostile.

An exported archive holds, at its root (as DeepRacer's model archives do)::

    model_metadata.json     DeepRacer format
    hyperparameters.json    DeepRacer format
    reward_function.py
    training_config.json    Trackside's own
    weights.pt              the final (else best, else latest) checkpoint, a torch.save'd dict
    trackside.json          {"format": "trackside-model", "version": 1, "name", "iteration", "exported", "eval",
                             "description" (the model's note, if it has one)}

Import also takes DeepRacer's own models: a DeepRacer-for-Cloud model folder, a console archive, or
either packed as one folder in a ``.tar.gz`` (:mod:`trainer.dfc_import` says what each file is).
Their TensorFlow weights cannot run here: the model arrives as a draft with that action space,
sensor, hyperparameters, reward function and track, ready to train; the original run's traces and
metrics are kept in its ``imported/`` folder. Every import returns an
:class:`~trainer.import_report.ImportReport` of what was kept and skipped and what to do next.

Import is defensive because archives and folders come from other people: links, devices, pipes,
absolute paths, ``..``, oversized files and too many entries are refused; only files
:func:`~trainer.dfc_import.classify` uses or keeps are read, each copied to a path Trackside
chooses into a hidden folder inside ``models/`` that is renamed into place at the end; weights are
read with ``torch.load(weights_only=True)``, which refuses pickles that would run code, after the
unpacked sizes of the weights' own zip entries are checked, and then loaded once as a policy, so
weights that do not fit the metadata never import. Sizes are counted as files are copied, never
taken from headers alone.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
import tarfile
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from trainer.checkpoints import check_eval
from trainer.dfc_import import Kind, classify
from trainer.import_report import ArchiveError, ImportReport, shown
from trainer.import_write import DESCRIPTION_FILE, DESCRIPTION_LIMIT, write_model
from trainer.model_store import Model, ModelStore, ModelStoreError, utc_now

__all__ = ["ArchiveError", "ImportReport", "export_model", "import_model", "import_with_report"]

MAX_MEMBER_BYTES = 200 * 2**20
"""Largest single file an import reads, bytes."""
MAX_TOTAL_BYTES = 500 * 2**20
"""Largest total of all files an import copies, bytes."""
MAX_KEPT_BYTES = 200 * 2**20
"""Most bytes of the original run's traces and metrics an import keeps; the rest is reported skipped."""
MAX_PASSED_BYTES = 4 * 2**30
"""Most bytes of skipped archive members an import unpacks to pass over them."""
MAX_MEMBERS = 5000
"""Most entries (files and folders) an import accepts (a long DeepRacer-for-Cloud run writes one
trace file per iteration)."""
MAX_DEPTH = 4
"""Deepest folder nesting of a model folder (DeepRacer's goes to ``evaluation-*/evaluation-simtrace/``)."""
MAX_TEXT_BYTES = 2**20
"""Largest JSON, YAML or reward function file an import reads, bytes (a 1,000-action metadata file is
about 60 KB): parsing JSON takes many times its size in memory."""

KNOWN = ("model_metadata.json", "hyperparameters.json", "reward_function.py", "training_config.json",
         "weights.pt", "trackside.json")
"""The files of a Trackside export."""


def export_model(model: Model, dest: str | os.PathLike, which: int | str | None = None) -> Path:
    """Write ``model`` to ``dest`` (a ``.tar.gz``), with checkpoint ``which`` (default: final, else best,
    else latest) as ``weights.pt``. A model without checkpoints exports without weights."""
    dest = Path(dest)
    which = which if which is not None else model.pick_checkpoint()
    weights = model.resolve_checkpoint(which) if which is not None else None
    iteration = None
    if weights is not None and weights.name.startswith("iteration-"):
        iteration = int(weights.stem.split("-")[1])
    entry = next((c for c in model.list_checkpoints() if c["iteration"] == iteration), {})
    manifest = {"format": "trackside-model", "version": 1, "name": model.name, "iteration": iteration,
                "exported": utc_now(), "eval": entry.get("eval")}
    note = model.path / DESCRIPTION_FILE
    if note.is_file():
        manifest["description"] = note.read_text(encoding="utf-8", errors="replace")[:DESCRIPTION_LIMIT]
    files = [("model_metadata.json", model.metadata_path), ("hyperparameters.json", model.hyperparameters_path),
             ("reward_function.py", model.reward_path), ("training_config.json", model.config_path)]
    if weights is not None:
        files.append(("weights.pt", weights))
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.partial")
    try:
        with tarfile.open(tmp, "w:gz") as tar:
            for name, path in files:
                with open(path, "rb") as fh:
                    tar.addfile(_tarinfo(name, path.stat().st_size), fh)
            data = json.dumps(manifest, indent=2).encode()
            tar.addfile(_tarinfo("trackside.json", len(data)), io.BytesIO(data))
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _tarinfo(name: str, size: int) -> tarfile.TarInfo:
    # Plain, owner-less entries: nothing of the exporting machine leaks into the file.
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, int(time.time())
    return info


def import_model(source: str | os.PathLike, name: str | None = None, *, store: ModelStore | None = None) -> Model:
    """:func:`import_with_report`'s model."""
    return import_with_report(source, name, store=store).model


def import_with_report(source: str | os.PathLike, name: str | None = None, *,
                       store: ModelStore | None = None) -> ImportReport:
    """Import an archive (``.tar.gz``) or a model folder as a new model; say what was kept and skipped.

    ``name`` defaults to the name in the archive's manifest, else the file or folder name. A model
    with Trackside weights arrives ``ready`` (final and best = the imported checkpoint); one without
    (DeepRacer's TensorFlow weights cannot be used) arrives as a ``draft``. Raises
    :class:`ArchiveError` naming the offending file; nothing is left behind then.
    """
    store = store or ModelStore()
    source = Path(source)
    with store.building() as tmp:
        stager = Stager(tmp / ".staging")
        if source.is_dir():
            _read_folder(source, stager)
            kind = "a DeepRacer model folder"
        else:
            try:
                tar = tarfile.open(source, "r:*")  # noqa: SIM115 (closed by the with below; opening is what may fail)
            except (tarfile.TarError, OSError) as exc:
                raise ArchiveError(f"{source.name}: not a readable .tar.gz archive or a model folder ({exc})") from None
            with tar:
                _read_tar(tar, stager)
            kind = "a DeepRacer model archive"
        if "model_metadata.json" not in stager.used:
            raise ArchiveError("model_metadata.json: missing (looked for it and model/model_metadata.json); "
                               "this is not a model archive or folder")
        manifest = _manifest(stager.used)
        if "trackside.json" in stager.used:
            kind = "a Trackside export"
        if name is None:
            base = manifest.get("name") or re.sub(r"\.(tar\.gz|tgz|tar)$", "", source.resolve().name)
            name = re.sub(r"[^A-Za-z0-9_-]+", "-", str(base)).strip("-")[:64] or "imported"
        store.check_new_name(name)
        report = ImportReport(Model(tmp, name=name), str(source), kind, "draft")
        write_model(report, stager, manifest)
        shutil.rmtree(stager.dir)
        store.finish(tmp, name)
    report.model = store.get(name)
    return report


class Stager:
    """Copies the files an import uses or keeps into ``folder`` (under names Trackside chooses, never a
    path from the archive unless :func:`~trainer.dfc_import.classify` matched it against a strict
    pattern), counting bytes as they are copied; records what was skipped and why."""

    def __init__(self, folder: Path):
        self.dir = folder
        folder.mkdir()
        self.used: dict[str, Path] = {}
        """Staged name (``model_metadata.json`` ...) -> its copy."""
        self.used_from: dict[str, str] = {}
        """Staged name -> its path in the archive or folder."""
        self.kept: list[tuple[Kind, str, Path]] = []
        """(what it is, its path in the archive or folder, its copy)."""
        self.skipped: list[tuple[str, str, int]] = []
        """(why, its path, its size in bytes)."""
        self.total = self.kept_bytes = self.passed = 0

    def add(self, rel: str, size: int, opener: Callable[[], BinaryIO]) -> None:
        """Use, keep or skip the file at ``rel`` of ``size`` bytes (as its header or stat says);
        ``opener`` gives its bytes, read only if it is used or kept."""
        kind = classify(rel)
        if kind.action == "skip":
            self.passed += size
            if self.passed > MAX_PASSED_BYTES:
                raise ArchiveError(f"archive: more than {MAX_PASSED_BYTES / 2**30:.0f} GB of files to pass over")
            self.skipped.append((kind.key, rel, size))
            return
        if size > MAX_MEMBER_BYTES:
            raise ArchiveError(f"{rel}: {size / 2**20:.1f} MB is over the {MAX_MEMBER_BYTES / 2**20:.0f} MB limit")
        if kind.action == "keep":
            if self.kept_bytes + size > MAX_KEPT_BYTES:
                why = (f"over the {MAX_KEPT_BYTES / 2**20:.0f} MB of traces and metrics an import keeps: "
                       "copy the rest by hand if you need them")
                self.skipped.append((why, rel, size))
                return
            out = self.dir / "kept" / rel
            if out.exists():
                raise ArchiveError(f"{rel}: appears twice")
            out.parent.mkdir(parents=True, exist_ok=True)
            self.kept_bytes += self._copy(opener, rel, out, MAX_MEMBER_BYTES)
            self.kept.append((kind, rel, out))
            return
        key = kind.key
        limit = MAX_MEMBER_BYTES if key == "weights.pt" else MAX_TEXT_BYTES
        if size > limit:
            raise ArchiveError(f"{rel}: {size / 2**20:.1f} MB is over the {limit / 2**20:.0f} MB limit for {key}")
        out = self.dir / (key if key not in self.used else f"{key}.again")
        self._copy(opener, rel, out, limit)
        if key not in self.used:
            self.used[key], self.used_from[key] = out, rel
            return
        same = _same_content(out.read_bytes(), self.used[key].read_bytes())
        out.unlink()
        if not same:
            raise ArchiveError(f"{rel}: {key} appears twice, with different contents "
                               f"({self.used_from[key]} and {rel}); keep one")
        self.skipped.append((f"the same file as {self.used_from[key]}", rel, size))

    def _copy(self, opener: Callable[[], BinaryIO], rel: str, out: Path, limit: int) -> int:
        """Copy ``rel`` to ``out`` counting the bytes as they unpack: never more than ``limit``, whatever
        its header said, and never more than :data:`MAX_TOTAL_BYTES` in all. Returns the bytes written."""
        written = 0
        with opener() as src, open(out, "wb") as fh:
            while chunk := src.read(1 << 20):
                written += len(chunk)
                if written > limit:
                    raise ArchiveError(f"{rel}: unpacks to more than {limit / 2**20:.0f} MB, the limit for this file")
                self.total += len(chunk)
                if self.total > MAX_TOTAL_BYTES:
                    raise ArchiveError(f"archive: more than {MAX_TOTAL_BYTES / 2**20:.0f} MB in all")
                fh.write(chunk)
        return written


def _same_content(a: bytes, b: bytes) -> bool:
    """Two copies of one file (``model_metadata.json`` and ``model/model_metadata.json``): the same bytes,
    or the same JSON written differently (both under :data:`MAX_TEXT_BYTES`)."""
    if a == b:
        return True
    try:
        return json.loads(a) == json.loads(b)
    except (ValueError, UnicodeDecodeError):
        return False


def _read_tar(tar: tarfile.TarFile, stager: Stager) -> None:
    """Check every member's name and type (refusing the archive on anything hostile), then stage them.
    An archive of one folder (``tar czf m.tar.gz my-model/``) reads as that folder's contents."""
    members: list[tuple[str, tarfile.TarInfo]] = []
    for count, m in enumerate(tar, 1):
        if count > MAX_MEMBERS:
            raise ArchiveError(f"archive: more than {MAX_MEMBERS} entries; this is not a model archive")
        raw = m.name
        if raw.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", raw) or "\\" in raw:
            raise ArchiveError(f"{shown(raw)}: absolute or Windows-style path refused")
        parts = [p for p in PurePosixPath(raw).parts if p != "."]
        if ".." in parts:
            raise ArchiveError(f"{shown(raw)}: a path with '..' refused")
        if m.issym() or m.islnk():
            raise ArchiveError(f"{shown(raw)}: links are refused")
        if m.isdir():
            continue
        if not m.isfile():
            raise ArchiveError(f"{shown(raw)}: devices, pipes and other special files are refused")
        if m.size > MAX_MEMBER_BYTES:
            raise ArchiveError(f"{shown(raw)}: {m.size / 2**20:.1f} MB is over the "
                               f"{MAX_MEMBER_BYTES / 2**20:.0f} MB limit")
        members.append(("/".join(parts), m))
    prefix = _one_folder([rel for rel, _ in members])
    for rel, m in members:
        stager.add(rel[len(prefix):], m.size, lambda m=m: tar.extractfile(m))


def _one_folder(rels: list[str]) -> str:
    """``"NAME/"`` when every path lies in one top folder and no model file is at the top, else ``""``."""
    if any(r in ("model_metadata.json", "model/model_metadata.json", "trackside.json") for r in rels):
        return ""
    tops = {r.split("/", 1)[0] for r in rels}
    return f"{tops.pop()}/" if len(tops) == 1 and all("/" in r for r in rels) else ""


def _read_folder(root: Path, stager: Stager) -> None:
    """Stage the files of a model folder. Links, devices and pipes anywhere inside refuse the folder
    (a link could point anywhere on this machine); so do more than :data:`MAX_MEMBERS` entries or
    folders nested deeper than DeepRacer's layout goes. Skipped files are never opened."""
    count = 0
    stack = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            raise ArchiveError(f"{shown(prefix) or root}: cannot read the folder ({exc.strerror})") from None
        for e in entries:
            count += 1
            if count > MAX_MEMBERS:
                raise ArchiveError(f"{root.name}: more than {MAX_MEMBERS} entries; this is not a model folder")
            rel = prefix + e.name
            if e.is_symlink():
                raise ArchiveError(f"{shown(rel)}: links are refused")
            if e.is_dir(follow_symlinks=False):
                if rel.count("/") >= MAX_DEPTH:
                    raise ArchiveError(f"{shown(rel)}: folders nested too deep for a model folder")
                stack.append((Path(e.path), rel + "/"))
            elif e.is_file(follow_symlinks=False):
                stager.add(rel, e.stat(follow_symlinks=False).st_size, lambda e=e, rel=rel: _open_plain(e.path, rel))
            else:
                raise ArchiveError(f"{shown(rel)}: devices, pipes and other special files are refused")


def _open_plain(path: str, rel: str) -> BinaryIO:
    """Open a regular file for reading without following a link (one swapped in since the folder was
    listed is refused too) and without waiting on a pipe."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ArchiveError(f"{shown(rel)}: cannot read it ({exc.strerror}); links are refused") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ArchiveError(f"{shown(rel)}: devices, pipes and other special files are refused")
    return os.fdopen(fd, "rb")


def _manifest(staged: dict[str, Path]) -> dict:
    if "trackside.json" not in staged:
        return {}
    try:
        d = json.loads(staged["trackside.json"].read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ArchiveError("trackside.json: not valid JSON") from None
    if not isinstance(d, dict):
        raise ArchiveError("trackside.json: expected a JSON object")
    if d.get("eval") is not None:
        try:
            d["eval"] = check_eval(d["eval"])
        except ModelStoreError as exc:
            raise ArchiveError(f"trackside.json: {exc}; remove it or export the model again") from None
    return d


