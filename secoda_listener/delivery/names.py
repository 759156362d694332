"""The names of spool files, written and read in this one place.

* a record in ``new/``: ``<time_ns>_<host>_<pid>_<random>_<conn_key>.json``
  (:class:`SpoolName`): sorting names is oldest-first, the writer can be told
  apart, and ``conn_key`` lets a sender skip a connection that is backing off
  without opening its files;
* claimed, in ``cur/``: ``<name>@<host>.<pid>.<start>.<claimed_ns>``
  (:class:`ClaimedName`), so a claim of a dead process can be handed back;
* refused, in ``failed/``: ``<stem>~<kind>.json`` (:class:`FailedName`);
* being written, in ``tmp/``: ``<time_ns>_<host>_<pid>_<random>.tmp``
  (:class:`TmpName`), swept once its writer is gone.

``parse`` returns None for a name this package did not write (a foreign file):
callers treat such files as documented where they meet them.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import time

import attrs

#: This host as it appears in names: no ``_`` nor ``.`` (they separate fields).
HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:63] or "host"
_SAFE_KEY = re.compile(r"^[A-Za-z0-9.-][A-Za-z0-9._-]{0,63}$")
_KIND_CHARS = re.compile(r"[^a-z0-9-]+")


def conn_key(conn_id: str) -> str:
    """A file-name-safe, stable stand-in for a connection id (names, back-off, triggers)."""
    if _SAFE_KEY.match(conn_id):
        return conn_id
    return "h-" + hashlib.sha1(conn_id.encode()).hexdigest()[:16]


def _int(text: str) -> int | None:
    # isascii: str.isdigit() is also true of digits int() refuses, such as "²".
    return int(text) if text.isascii() and text.isdigit() else None


@attrs.frozen
class SpoolName:
    """The name of a record in ``new/``."""

    time_ns: int
    host: str
    pid: int
    unique: str
    conn_key: str

    @classmethod
    def new(cls, conn_id: str, unique: str, time_ns: int | None = None) -> SpoolName:
        """A name for a record this process writes now (or at ``time_ns``)."""
        when = time.time_ns() if time_ns is None else time_ns
        return cls(when, HOST, os.getpid(), unique, conn_key(conn_id))

    def format(self) -> str:
        return f"{self.time_ns:019d}_{self.host}_{self.pid}_{self.unique}_{self.conn_key}.json"

    @classmethod
    def parse(cls, name: str) -> SpoolName | None:
        if not name.endswith(".json"):
            return None
        parts = name[: -len(".json")].split("_", 4)
        if len(parts) != 5:
            return None
        when, pid = _int(parts[0]), _int(parts[2])
        if when is None or pid is None or not parts[1]:
            return None
        return cls(when, parts[1], pid, parts[3], parts[4])


def conn_key_of(name: str) -> str:
    """The connection key of a record's name in ``new/`` (``""`` for a foreign file)."""
    parsed = SpoolName.parse(name)
    return parsed.conn_key if parsed is not None else ""


@attrs.frozen
class ClaimedName:
    """The name of a claimed record in ``cur/``: its name in ``new/`` and its claimer."""

    original: str
    host: str
    pid: int
    start: str  # the claimer's start time (``/proc``), "" where unknown
    claimed_ns: int

    @property
    def claimer(self) -> str:
        return f"{self.host}.{self.pid}.{self.start}"

    def format(self) -> str:
        return f"{self.original}@{self.claimer}.{self.claimed_ns}"

    @classmethod
    def parse(cls, name: str) -> ClaimedName | None:
        # rpartition: the claimer part never holds an "@", a foreign original might.
        original, at, claimer = name.rpartition("@")
        fields = claimer.split(".")
        if not at or not original or len(fields) != 4:
            return None
        pid, claimed_ns = _int(fields[1]), _int(fields[3])
        if pid is None or claimed_ns is None or not fields[0]:
            return None
        return cls(original, fields[0], pid, fields[2], claimed_ns)

    @staticmethod
    def original_of(name: str) -> str:
        """The name in ``new/`` a file in ``cur/`` came from, also for a foreign name."""
        parsed = ClaimedName.parse(name)
        if parsed is not None:
            return parsed.original
        return name.rpartition("@")[0] or name


@attrs.frozen
class FailedName:
    """The name of a refused record in ``failed/``: its name in ``new/`` and the kind of refusal."""

    original: str
    kind: str

    @staticmethod
    def clean_kind(kind: str) -> str:
        """A kind as it can stand in a name: ``http-400``, ``corrupt``... (``error`` if nothing is left)."""
        return _KIND_CHARS.sub("-", kind.lower()).strip("-")[:32] or "error"

    def format(self) -> str:
        stem = self.original.removesuffix(".json")
        return f"{stem}~{self.kind}.json"

    @classmethod
    def parse(cls, name: str) -> FailedName | None:
        if not name.endswith(".json"):
            return None
        stem, tilde, kind = name[: -len(".json")].rpartition("~")
        if not tilde or not stem or not kind:
            return None
        return cls(stem + ".json", kind)

    @staticmethod
    def kind_of(name: str) -> str:
        """The refusal kind of a file in ``failed/``; a foreign file counts under its own stem."""
        parsed = FailedName.parse(name)
        if parsed is not None:
            return parsed.kind
        return name.removesuffix(".json")


@attrs.frozen
class TmpName:
    """The name of a file being written in ``tmp/``: it names its writer (this process)."""

    time_ns: int
    host: str
    pid: int
    unique: str

    @classmethod
    def new(cls, unique: str, time_ns: int | None = None) -> TmpName:
        when = time.time_ns() if time_ns is None else time_ns
        # The tmp name carries *this* process's pid (not the record's writer's):
        # sweep_tmp() removes a tmp file only once the process writing it is gone.
        return cls(when, HOST, os.getpid(), unique)

    def format(self) -> str:
        return f"{self.time_ns:019d}_{self.host}_{self.pid}_{self.unique}.tmp"

    @classmethod
    def parse(cls, name: str) -> TmpName | None:
        if not name.endswith(".tmp"):
            return None
        parts = name[: -len(".tmp")].split("_")
        if len(parts) != 4:
            return None
        when, pid = _int(parts[0]), _int(parts[2])
        if when is None or pid is None or not parts[1]:
            return None
        return cls(when, parts[1], pid, parts[3])
