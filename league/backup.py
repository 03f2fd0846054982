"""Back up a whole Trackside home into one archive, and restore it into an empty home.

An archive is a ``.tar.gz`` holding ``manifest.json`` first, then every user file of the home
(``TRACKSIDE_HOME``: ``league.db``, ``models/``, ``tracks/``, the league's frozen models,
evaluation traces, settings ...) under its path relative to the home. The manifest records
the Trackside version that wrote it, the database migrations applied, and each file's size
and sha256.

- The database is copied with SQLite's online backup API (``sqlite3.Connection.backup``),
  so the copy is consistent even while the app or a command is writing it; its ``-wal`` and
  ``-shm`` files are not archived (the copy already holds their content).
- A training's ``training.lock`` is not archived: a lock belongs to a running process.
- Every other file is copied aside before it is hashed and archived, so a file written meanwhile (a
  training saving a checkpoint) cannot disagree with the manifest.
- The archive is written to a temporary file beside the target and renamed into place.

Restore refuses (:class:`BackupError`, one line saying what to do): a home that is not empty;
an archive that is not a Trackside backup, is damaged or does not match its manifest; a member
that would land outside the home (absolute paths, ``..``, links); a database with migrations
this Trackside does not know (a newer Trackside made it). Files are unpacked and checked in a
staging folder inside the home and moved into place only when everything matched, so a refused
restore leaves the home empty.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from pathlib import Path, PurePosixPath

from sim.paths import home as trackside_home

from .db import LeagueError, now_iso

FORMAT = "trackside-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "league.db"
SKIPPED_NAMES = frozenset({"league.db-wal", "league.db-shm", "league.db-journal", "training.lock"})
"""Files never archived: SQLite's side files (the online copy holds their content) and locks."""
STAGING = ".restore-staging"
CHUNK = 1 << 20


class BackupError(LeagueError):
    """A backup or restore that cannot be done; the message says why and what to do."""


def trackside_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("trackside")
    except PackageNotFoundError:
        return "unknown"


def known_migrations() -> list[str]:
    from .migrations import MIGRATIONS

    return [m.name for m in MIGRATIONS]


# -- backup -------------------------------------------------------------------------------------
def backup_home(target: str | Path, home: str | Path | None = None) -> dict:
    """Write the archive of ``home`` (default: ``TRACKSIDE_HOME``) to ``target``; returns its manifest.

    ``target`` may lie inside the home: it is left out of the archive.
    """
    root = Path(home) if home is not None else trackside_home()
    target = Path(target).expanduser().absolute()
    if target.is_dir():
        raise BackupError(f"{target} is a folder: give the archive's file name, e.g. -o trackside-backup.tar.gz")
    with tempfile.TemporaryDirectory(prefix="trackside-backup-") as tmp:
        sources = _snapshot(root, _user_files(root, exclude=target), Path(tmp) / "files")
        migrations: list[str] = []
        if (root / DATABASE).is_file():
            copy = Path(tmp) / DATABASE
            migrations = _copy_database(root / DATABASE, copy)
            sources[DATABASE] = copy
        listed = [{"path": rel, "size": path.stat().st_size, "sha256": _sha256(path)}
                  for rel, path in sorted(sources.items())]
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "trackside_version": trackside_version(),
                    "created": now_iso(), "migrations": migrations, "files": listed}
        _write_archive(target, manifest, sources)
    return manifest


def _user_files(root: Path, exclude: Path) -> list[str]:
    """Every regular file under ``root`` as a POSIX path relative to it, less the skipped ones."""
    found = []
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if d != STAGING and not (here / d).is_symlink())
        for name in sorted(names):
            path = here / name
            if name in SKIPPED_NAMES or name == DATABASE and here == root or path.is_symlink():
                continue
            if path.absolute() == exclude or name.startswith(exclude.name + ".") and here == exclude.parent:
                continue  # the archive being written (and its temporary file)
            if path.is_file():
                found.append(path.relative_to(root).as_posix())
    return found


def _snapshot(root: Path, files: list[str], into: Path) -> dict[str, Path]:
    """Copy ``files`` into ``into`` first, so a file that changes while the archive is written (a training
    saving a checkpoint) cannot disagree with its manifest entry; a file deleted meanwhile is left out."""
    copies = {}
    for rel in files:
        copy = into / rel
        copy.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(root / rel, copy)
        except FileNotFoundError:
            continue
        copies[rel] = copy
    return copies


def _copy_database(source: Path, copy: Path) -> list[str]:
    """A consistent copy of the live database (online backup API); returns its migrations."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(str(copy))
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        return _migrations_of(dst)
    finally:
        dst.close()
        src.close()


def _migrations_of(conn: sqlite3.Connection) -> list[str]:
    try:
        return [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]
    except sqlite3.OperationalError:  # a database no Trackside migrated yet
        return []


def _write_archive(target: Path, manifest: dict, sources: dict[str, Path]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            data = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
            for entry in manifest["files"]:
                tar.add(sources[entry["path"]], arcname=entry["path"], recursive=False)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# -- restore ------------------------------------------------------------------------------------
def restore_home(archive: str | Path, home: str | Path | None = None) -> dict:
    """Unpack ``archive`` into ``home`` (default: ``TRACKSIDE_HOME``), which must be empty; returns the manifest."""
    root = Path(home) if home is not None else trackside_home()
    archive = Path(archive).expanduser()
    if not archive.is_file():
        raise BackupError(f"{archive}: no such backup file")
    root.mkdir(parents=True, exist_ok=True)
    present = sorted(p.name for p in root.iterdir())
    if present:
        raise BackupError(f"{root} is not empty ({', '.join(present[:3])}{' ...' if len(present) > 3 else ''}): "
                          "restore into an empty home, e.g. set TRACKSIDE_HOME to a new folder, "
                          "or move this home's contents aside first")
    staging = root / STAGING
    staging.mkdir()
    try:
        manifest = _unpack_checked(archive, staging)
        for entry in sorted(staging.iterdir()):
            os.replace(entry, root / entry.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _unpack_checked(archive: Path, staging: Path) -> dict:
    """Unpack into ``staging`` and check everything against the manifest and this Trackside."""
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            manifest = _read_manifest(tar, archive)
            expected = {entry["path"]: entry for entry in manifest["files"]}
            _check_migrations(manifest["migrations"], manifest.get("trackside_version"))
            seen = set()
            for member in tar:
                if member.name == MANIFEST:
                    continue
                rel = _safe_path(member, archive)
                if rel not in expected:
                    raise BackupError(f"{archive}: {rel} is not in the backup's manifest: the archive was changed")
                _extract(tar, member, staging / rel, expected[rel], archive)
                seen.add(rel)
    except (tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise BackupError(f"{archive}: not a readable Trackside backup ({exc})") from None
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"{archive}: {len(missing)} file(s) of the manifest are missing (first: {missing[0]}); "
                          "the archive is incomplete")
    if (staging / DATABASE).is_file():
        conn = sqlite3.connect(str(staging / DATABASE))
        try:
            _check_migrations(_migrations_of(conn), manifest.get("trackside_version"))
        finally:
            conn.close()
    return manifest


def _read_manifest(tar: tarfile.TarFile, archive: Path) -> dict:
    first = tar.next()
    if first is None or first.name != MANIFEST or not first.isfile():
        raise BackupError(f"{archive}: not a Trackside backup (no {MANIFEST} at its start); "
                          "make one with `trackside backup -o FILE.tar.gz`")
    try:
        manifest = json.loads(tar.extractfile(first).read())
    except ValueError:
        raise BackupError(f"{archive}: its {MANIFEST} is damaged") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive}: not a Trackside backup (its {MANIFEST} is not one)")
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise BackupError(f"{archive}: made by a newer Trackside ({manifest.get('trackside_version')}): upgrade first")
    if not isinstance(manifest.get("files"), list) or not isinstance(manifest.get("migrations"), list):
        raise BackupError(f"{archive}: its {MANIFEST} is damaged (no file or migration list)")
    return manifest


def _check_migrations(applied: list[str], made_by: str | None) -> None:
    unknown = [name for name in applied if name not in set(known_migrations())]
    if unknown:
        raise BackupError(f"this backup was made by a newer Trackside ({made_by or 'unknown version'}; its database "
                          f"has {', '.join(unknown[:3])}, which Trackside {trackside_version()} does not know): "
                          "upgrade first")


def _safe_path(member: tarfile.TarInfo, archive: Path) -> str:
    """The member's path relative to the home, refused when it could land outside it."""
    path = PurePosixPath(member.name)
    if not member.isfile() or path.is_absolute() or ".." in path.parts or "\\" in member.name or not path.parts \
            or path.parts[0] == STAGING:
        raise BackupError(f"{archive}: member {member.name!r} would land outside the home or is not a plain file; "
                          "refusing to restore this archive")
    return path.as_posix()


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, dest: Path, entry: dict, archive: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with tar.extractfile(member) as src, open(dest, "wb") as out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if size != entry.get("size") or digest.hexdigest() != entry.get("sha256"):
        raise BackupError(f"{archive}: {member.name} does not match the manifest (size or sha256): "
                          "the archive is damaged")
