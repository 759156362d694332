"""Fixtures of the delivery tests: a fake clock, and warn-once state forgotten per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from secoda_listener import logs


class FakeClock:
    """Time that passes only when someone sleeps (or a test says so).

    Pass the instance as ``clock=``/``monotonic=`` and ``.sleep`` as ``sleep=``:
    waits are then recorded instead of spent, and deadline arithmetic is exact.
    """

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, seconds
        self.waits.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(autouse=True)
def _warn_afresh() -> Iterator[None]:
    # Warnings are said once per process; each test counts its own.
    logs.forget()
    yield
    logs.forget()
