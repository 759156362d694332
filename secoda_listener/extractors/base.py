"""The one base class every extractor uses, the built-in ones included.

Names and signatures here are a public contract: users' extractors subclass
:class:`BaseExtractor` and must keep working across releases.
"""

from __future__ import annotations

from typing import Any, ClassVar

from secoda_listener.event.datasets import Lineage


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

    def extract(self, task_instance: Any, phase: str) -> Lineage:
        """Dispatch on ``phase``: ``"start"``, ``"complete"`` or ``"failure"``."""
        if phase == "complete":
            return self.extract_on_complete(task_instance)
        if phase == "failure":
            return self.extract_on_failure(task_instance)
        return self.extract_on_start(task_instance)
