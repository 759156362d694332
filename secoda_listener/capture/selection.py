"""Which DAGs and operators report at all: checked first, before any other work.

An opted-out DAG costs a tag lookup and nothing else: no extraction, no
write, no request.
"""

from __future__ import annotations

from typing import Any

from secoda_listener import conf
from secoda_listener.capture.airflow_objects import dag_tags
from secoda_listener.extractors.registry import class_matches


def dag_selected(dag: Any) -> bool:
    """False when the DAG carries an ``opt_out_tags`` tag, or lacks every ``only_tags`` tag."""
    tags = dag_tags(dag)
    if tags & conf.opt_out_tags():
        return False
    only = conf.only_tags()
    return not only or bool(tags & only)


def operator_selected(task: Any) -> bool:
    """False when the operator (or a base class) is in ``disabled_for_operators``.

    Matched like extractors' ``operators``: by import path along the class's
    bases, or by identity for a re-exported path, so the path users see in
    their imports works too.
    """
    disabled = conf.disabled_for_operators()
    if not disabled or task is None:
        return True
    return not class_matches(disabled, type(task))
