"""An operator of our own and the extractor that tells Secoda what it reads and writes.

This module is importable (it sits on PYTHONPATH), not a DAG file: the
extractor names the operator by import path, and Airflow loads DAG files under
generated module names, so an operator defined inside a DAG file could not be
named. It is listed in ``.airflowignore`` so the DAG processor skips it.

Enable the extractor with::

    [secoda]
    extractors = my_company_lineage:CopyExtractor
"""

from __future__ import annotations

import os
import shutil
from typing import Any

try:  # Airflow 3
    from airflow.sdk import BaseOperator
except ImportError:  # Airflow 2.10
    from airflow.models.baseoperator import BaseOperator

from secoda_listener.extractors import BaseExtractor, Dataset, Lineage


class CopyOperator(BaseOperator):
    """Copies one file to another path (both templated)."""

    template_fields = ("source", "target")

    def __init__(self, *, source: str, target: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.target = target

    def execute(self, context: Any) -> None:
        os.makedirs(os.path.dirname(self.target) or ".", exist_ok=True)
        shutil.copyfile(self.source, self.target)


class CopyExtractor(BaseExtractor):
    """Lineage of CopyOperator (and its subclasses): the source file in, the target out."""

    operators = ("my_company_lineage.CopyOperator",)

    def extract_on_start(self, task_instance: Any) -> Lineage:
        task = task_instance.task  # templates are rendered by now
        return Lineage(
            # OpenLineage naming for local files: namespace "file", name the absolute path.
            inputs=[Dataset("file", os.path.abspath(task.source))],
            outputs=[Dataset("file", os.path.abspath(task.target))],
        )
