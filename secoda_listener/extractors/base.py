"""The one base class every extractor uses, the built-in ones included.

Names and signatures here are a public contract: users' extractors subclass
:class:`BaseExtractor` and must keep working across releases.
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar

from secoda_listener.event.datasets import Lineage


class Phase(str, enum.Enum):
    """The moment of a task run an extractor is asked about.

    A ``str`` too, so ``extract(task_instance, "complete")`` keeps working.
    """

    START = "start"
    COMPLETE = "complete"
    FAILURE = "failure"

    def __str__(self) -> str:
        return self.value


class BaseExtractor:
    """Derives a task's input and output datasets.

    ``operators`` lists the import paths of the operator classes handled;
    subclasses of those operators match too. Override
    :meth:`extract_on_start`; the other two default to it, override them to
    use what the run produced (a query id, a row count...).
    """

    operators: ClassVar[tuple[str, ...]] = ()

    def extract_on_start(self, task_instance: Any) -> Lineage:
        return Lineage()

    def extract_on_complete(self, task_instance: Any) -> Lineage:
        return self.extract_on_start(task_instance)

    def extract_on_failure(self, task_instance: Any) -> Lineage:
        return self.extract_on_start(task_instance)

    def source_code(self, task_instance: Any) -> str | None:
        """Code to show in Secoda beside the SQL (a Bash command, say); None for none."""
        return None

    def extract(self, task_instance: Any, phase: Phase | str) -> Lineage:
        """Dispatch on ``phase``: a :class:`Phase` or its value, ``"start"``, ``"complete"``, ``"failure"``."""
        if phase == Phase.COMPLETE:
            return self.extract_on_complete(task_instance)
        if phase == Phase.FAILURE:
            return self.extract_on_failure(task_instance)
        return self.extract_on_start(task_instance)
