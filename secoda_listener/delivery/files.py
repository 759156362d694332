"""The two file mechanisms of the delivery stage: an atomic replace and an ``flock``.

Every file delivery writes (a spooled record, a refused one in ``failed/``,
``usage.json``, ``counters.json``, ``backoff.json``, an extraction trigger's
``.last``) goes through :func:`write_atomic`, so each is either the old
content or the whole new one, never a torn file, and always mode 0600 (events
hold SQL). Every lock is :func:`flock`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from secoda_listener.exceptions import SpoolError

log = logging.getLogger(__name__)

#: Files and their tmp files are private to the Airflow user: events hold SQL.
FILE_MODE = 0o600


def write_atomic(
    target: Path,
    data: bytes,
    *,
    tmp_dir: Path | None = None,
    tmp_name: str | None = None,
    fsync: bool = False,
    what: str | None = None,
) -> None:
    """Replace ``target`` with ``data``: readers see the old file or the whole new one.

    The bytes go to ``tmp_dir / tmp_name`` first (default: a hidden name next
    to ``target``), created exclusively (a leftover of a killed writer is never
    reused), then ``rename`` puts them in place. With ``fsync`` the file is
    flushed before the rename and the directory after it, so the new name
    survives a power cut too. On failure the tmp file is removed and
    :class:`SpoolError` says "cannot write ``what``" (default: the target).
    """
    directory = tmp_dir if tmp_dir is not None else target.parent
    tmp = directory / (tmp_name or f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    created = False
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
        created = True
        try:
            view = memoryview(data)
            while view:  # os.write may write fewer bytes than asked (a signal, a quota)
                view = view[os.write(fd, view) :]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, target)
    except OSError as exc:
        if created:  # only our own: a name that was taken is someone else's file
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise SpoolError(f"cannot write {what or target}: {exc.strerror or exc}") from exc
    if fsync:
        # The rename is only durable once the directory entry is. The file is in
        # place already: a failure here must not make the caller keep a second
        # copy (a record would be sent twice), so it is logged, not raised.
        try:
            dir_fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            log.debug("secoda-listener: cannot fsync %s: %s", target.parent, exc)


@contextlib.contextmanager
def flock(path: Path, *, blocking: bool = True) -> Iterator[bool]:
    """Hold an exclusive ``flock`` on ``path`` (created 0600) for the ``with`` block.

    Blocking, it waits for the lock and yields True. With ``blocking=False`` it
    yields False at once when another holder has it (the block then runs
    without the lock: the caller decides what that means). Each call opens its
    own descriptor, so threads of one process exclude each other too; closing
    it releases the lock, also when the process dies.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
            locked = True
        except OSError as exc:
            if blocking or exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            locked = False
        yield locked
    finally:
        os.close(fd)
