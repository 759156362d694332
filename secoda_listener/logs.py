"""Warnings said once per process and cause: a broken setup must not flood task logs.

Every module that warns about a condition that repeats (a missing connection,
an unwritable spool, a config typo, a hook that failed) calls :func:`warn_once`
with a cause key; the message is logged the first time that key is seen in
this process. A forked child warns afresh: its log is another task's log.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import Any

from secoda_listener import forks

_said: set[Hashable] = set()


def warn_once(logger: logging.Logger, cause: Hashable, message: str, *args: Any) -> bool:
    """Log ``"secoda-listener: " + message`` at WARNING unless ``cause`` was warned of already.

    Returns True when this call logged.
    """
    if cause in _said:
        return False
    _said.add(cause)
    logger.warning("secoda-listener: " + message, *args)
    return True


def forget() -> None:
    """Warn again about every cause (tests; a child after fork)."""
    _said.clear()


forks.reset_in_child("logs", forget)
