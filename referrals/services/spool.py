"""The click spool: where a click lives between the redirect and the database.

/r/<code> appends the click as one JSON line to a file of its own process (one write(2) with
O_APPEND) before it answers, so a click that was answered is in the kernel's page cache and
survives the process being killed; it is lost only if the machine itself crashes before the page
cache reaches the disk (as a database with synchronous_commit off loses its last commits).
The writer holds a shared flock on its file for as long as it writes to it: once the lock is free,
the file is complete, and a drainer may delete it after storing it
(referrals.services.draining). Files are made under a temporary name and renamed once locked, so a
drainer never sees a file whose writer has not locked it yet.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import socket
import threading
import weakref
from datetime import datetime
from pathlib import Path

SUFFIX = ".clicks"
FORMAT = 1
_spools: weakref.WeakSet = weakref.WeakSet()


def spool_name() -> str:
    host = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname())[:100] or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(4)}"


def encode(record: dict) -> bytes:
    fields = {**record, "occurred_at": record["occurred_at"].isoformat(), "v": FORMAT}
    return (json.dumps(fields, separators=(",", ":")) + "\n").encode()


def decode(line: bytes) -> dict:
    fields = json.loads(line)
    if fields.pop("v", None) != FORMAT:
        raise ValueError("unknown spool line format")
    fields["occurred_at"] = datetime.fromisoformat(fields["occurred_at"])
    return fields


class ClickSpool:
    """The appending side: one file per process at a time, a new one past `rotate_bytes`."""

    def __init__(self, directory: str | Path, rotate_bytes: int):
        self.directory = Path(directory)
        self.rotate_bytes = rotate_bytes
        self.path: Path | None = None
        self._fd: int | None = None
        self._pid: int | None = None
        self._written = 0
        self._lock = threading.Lock()  # threaded workers write whole lines one at a time
        _spools.add(self)

    def append(self, record: dict) -> None:
        """Write the click before the redirect is answered; an OSError means it was not recorded."""
        data = encode(record)
        with self._lock:
            fd = self._file()
            try:
                written = os.write(fd, data)
                while written < len(data):  # a short write: finish the line
                    written += os.write(fd, data[written:])
            except OSError:
                self.close()  # a torn line stays the last one of its file, which drainers skip
                raise
            self._written += len(data)
            if self._written >= self.rotate_bytes:
                self.close()

    def close(self) -> None:
        """Release the file (closing it frees the flock: the file is complete)."""
        if self._fd is not None:
            os.close(self._fd)
        self._fd, self.path, self._written = None, None, 0

    def _file(self) -> int:
        if self._pid != os.getpid():  # a forked child: its inherited descriptor would keep the lock held
            self.close()
            self._pid = os.getpid()
        if self._fd is None:
            self._fd, self.path = open_locked(self.directory)
        return self._fd


def open_locked(directory: Path) -> tuple[int, Path]:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = spool_name()
    temporary = directory / f".{name}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_SH)
    path = directory / f"{name}{SUFFIX}"
    os.rename(temporary, path)
    return fd, path


def spool_files(directory: str | Path) -> list[Path]:
    directory = Path(directory)
    return sorted(directory.glob(f"*{SUFFIX}")) if directory.is_dir() else []


def writer_gone(path: Path) -> bool:
    """No process holds the file open for writing any more (a killed one's lock went with it)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def read_lines(path: Path, start: int, max_bytes: int) -> tuple[int, list[bytes]]:
    """The complete lines from byte `start` (at most about `max_bytes`), and the bytes they take."""
    with open(path, "rb") as file:
        file.seek(start)
        data = file.read(max_bytes)
        while data and b"\n" not in data:  # a line longer than max_bytes: read on to its end
            more = file.read(max_bytes)
            if not more:
                break
            data += more
    end = data.rfind(b"\n") + 1
    return end, data[:end].splitlines()


def close_all() -> None:
    """Close every writer of this process (tests clear the spool between tests)."""
    for spool in list(_spools):
        spool.close()
