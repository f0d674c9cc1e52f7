"""Files only the tracker's own user may read: created 0600 (folders 0700) whatever the umask.

The database, its keys, the audit anchor, stored reports and backups hold clinical information
or the secrets that protect it; a umask of 022 would otherwise leave them readable by every
account on the machine. ``loose_modes`` finds what is readable or writable by others, for the
warning logged at start-up.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def ensure_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) 0700; a folder created here is chmodded, since
    ``mkdir``'s mode is narrowed by the umask but never widened."""
    path = Path(path)
    if not path.is_dir():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(path, DIR_MODE)
    return path


def create_exclusive(path: Path, data: bytes = b"") -> None:
    """Create ``path`` 0600 with ``data``; FileExistsError if it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), FILE_MODE)
        handle.write(data)


def touch(path: Path) -> None:
    """Make sure ``path`` exists, created 0600 if it did not (an existing file is left)."""
    with contextlib.suppress(FileExistsError):
        create_exclusive(path)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step, the new file 0600."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(handle, "wb") as file:
            os.fchmod(file.fileno(), FILE_MODE)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def append(path: Path, data: bytes) -> None:
    """Append ``data`` to ``path`` (created 0600); works on an append-only file too."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    with os.fdopen(fd, "ab") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``, which is 0600 afterwards even if it existed before."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), FILE_MODE)
        handle.write(data)


def sqlite_files(database: Path) -> list[Path]:
    """A SQLite database and the -wal and -shm files beside it."""
    return [database, database.with_name(database.name + "-wal"),
            database.with_name(database.name + "-shm")]  # fmt: skip


def loose_modes(paths: Iterable[Path]) -> list[tuple[Path, int]]:
    """Those of ``paths`` (files, or folders and the files directly in them) that others may
    read, write or enter, with their modes."""
    found: list[tuple[Path, int]] = []
    seen: set[Path] = set()
    for path in paths:
        path = Path(path)
        candidates = [path]
        if path.is_dir():
            candidates += sorted(child for child in path.iterdir() if child.is_file())
        for candidate in candidates:
            if candidate in seen or not candidate.exists():
                continue
            seen.add(candidate)
            mode = stat.S_IMODE(candidate.stat().st_mode)
            if mode & _OTHERS:
                found.append((candidate, mode))
    return found


def sqlite_path(url: object) -> Path | None:
    """The file of a SQLite database URL (a SQLAlchemy URL), or None (another database, or one
    in memory)."""
    if getattr(url, "get_backend_name", lambda: "")() != "sqlite":
        return None
    database = getattr(url, "database", None)
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def prepare_sqlite(database: Path) -> None:
    """Create a new SQLite database file 0600 before SQLite does (SQLite would create it
    0644 less the umask); its -wal and -shm files take the database file's mode.

    A folder that does not exist is not made: a mistyped path must fail as SQLite fails, not
    start an empty database somewhere unexpected."""
    if database.exists() or not database.parent.is_dir():
        return
    touch(database)
