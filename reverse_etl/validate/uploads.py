"""Local files for ``files.upload``, confined to the sync's ``files_dir``.

A warehouse row names the file to upload by a path. Rows come from SQL that other people
write, so a path is untrusted input: it must stay inside the configured directory, lexically
(no ``..`` escape, no absolute path elsewhere) and physically (no symbolic link anywhere along
the way, which could point outside). Each refused row is rejected with its reason; the check
runs at validation and again, with ``O_NOFOLLOW``, when the bytes are read for sending, so a
link swapped in between is refused too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

OUTSIDE = "outside the files directory"
SYMLINK = "goes through a symbolic link"
MISSING = "does not exist"
NOT_FILE = "is not a regular file"
REASONS = (OUTSIDE, SYMLINK, MISSING, NOT_FILE)


class UploadRefused(ValueError):
    """The path left the files directory or stopped being a plain file since validation."""


def refusal(root: Path, value: str | None) -> str | None:
    """Why ``value`` may not be uploaded from ``root`` (one of ``REASONS``), or None."""
    if value is None:
        return None
    found = _walk(root, value)
    return found if isinstance(found, str) else None


def _walk(root: Path, value: str) -> Path | str:
    if not value or "\x00" in value:
        return MISSING
    raw = Path(value)
    candidate = Path(os.path.normpath(raw if raw.is_absolute() else root / raw))
    try:
        relative = candidate.relative_to(root)
    except ValueError:
        return OUTSIDE
    current = root
    mode = os.lstat(root).st_mode
    for part in relative.parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            return MISSING
        if stat.S_ISLNK(mode):
            return SYMLINK
    return current if stat.S_ISREG(mode) else NOT_FILE


def read(root: Path, value: str) -> tuple[str, bytes]:
    """``(file name, bytes)`` of a confined path, opened without following a final link."""
    found = _walk(root, value)
    if isinstance(found, str):
        raise UploadRefused(f"file {value!r}: {found}")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(found, flags)
    except OSError as exc:
        raise UploadRefused(
            f"file {value!r}: {SYMLINK if os.path.islink(found) else exc}"
        ) from None
    with os.fdopen(fd, "rb") as handle:
        return found.name, handle.read()


def size(root: Path, value: str) -> int | None:
    found = _walk(root, value)
    return None if isinstance(found, str) else found.stat().st_size
