"""One data folder, one running instance.

The embedded Redis keeps its append-only file in `{CONVO_DATA_DIR}/redis`; two servers
writing the same file lose each other's writes (carts made by one were gone after a
restart of the other). So whoever starts the embedded Redis first holds an exclusive
lock on `{CONVO_DATA_DIR}/convo.lock` for as long as it runs, and a second instance on
the same folder stops at once with a message naming the first.

The lock is `flock(2)`: the kernel drops it when the holder exits, however it exits, so a
crash never leaves a stale lock behind. The file's text (pid and address of the holder)
is only for the message.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = "convo.lock"


class InstanceLockedError(RuntimeError):
    """Another process runs on this data folder; the message says which and what to do."""


@contextlib.contextmanager
def hold_data_dir(data_dir: str | os.PathLike[str], *, owner: str = "") -> Iterator[Path]:
    """Hold the data folder's lock while the block runs; `owner` (e.g. the URL served)
    goes into the message a second instance prints."""
    folder = Path(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 512, 0).decode(errors="replace").strip() or "unknown"
            raise InstanceLockedError(
                f"another convo is already running on the data folder {folder.resolve()} "
                f"({holder}). Stop it first, or give this one its own folder with "
                f"CONVO_DATA_DIR=<path> (it will have its own sessions and messages)."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}{', ' + owner if owner else ''}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the lock
