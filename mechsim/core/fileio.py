"""File writes that a reader can trust.

- :func:`atomic_write`: a temporary file in the same folder, then ``os.replace``; a reader
  (or a resumed sweep) never sees a half-written file, even after kill -9. The file gets
  normal permissions (``0o666`` less the umask), not ``mkstemp``'s ``0o600``.
- :func:`safe_child`: ``root / name`` for a name that must stay a single, safe path part.
- :func:`swap_folder`: replace a folder by a freshly written one in one rename, so that
  a complete folder is never mixed with a partial one.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from mechsim.errors import UnsafeNameError

__all__ = ["atomic_write", "atomic_write_bytes", "safe_child", "check_slug", "swap_folder", "file_mode", "sha256_text"]

_SLUG_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def file_mode() -> int:
    """``0o666`` less the process umask: what ``open(..., "w")`` would give."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_slug(name: object, *, what: str = "scenario name", key: str | None = "scenario.name", file: str | None = None) -> str:
    """``name`` if it is a safe single path part, else :class:`~mechsim.errors.UnsafeNameError`."""
    if not isinstance(name, str) or not _SLUG_RE.fullmatch(name) or name.endswith("."):
        raise UnsafeNameError(
            f"the {what} must be letters, digits, '.', '_' or '-', start with a letter or digit, "
            f"not end with '.', at most 128 characters (it names a folder); got {name!r}",
            file=file,
            key=key,
        )
    return name


def safe_child(root: str | os.PathLike, *names: str, what: str = "scenario name") -> Path:
    """``root / names...`` after checking every name is a safe slug and the result stays inside ``root``."""
    root = Path(root)
    target = root
    for n in names:
        target = target / check_slug(n, what=what)
    base = root.resolve()
    if not target.resolve().is_relative_to(base):  # a link inside root pointing out
        raise UnsafeNameError(f"{target} resolves to {target.resolve()}, outside the output folder {base}", key=None)
    return target


def swap_folder(fresh: Path, target: Path) -> None:
    """Put the folder ``fresh`` at ``target``; an old ``target`` is removed only after the swap.

    Both must be on one file system (``fresh`` is created beside ``target``). Between the
    two renames a reader sees either the old complete folder or the new one, never a mix.
    """
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise UnsafeNameError(f"{target} exists and is not a folder; not replacing it", key=None)
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        os.replace(target, old)
    os.replace(fresh, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
