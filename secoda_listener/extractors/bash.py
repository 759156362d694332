"""Built-in extractor for ``BashOperator`` and ``@task.bash``.

The rendered command is the task's source code (redacted later with the rest
of the event). SQL the command runs through ``psql`` or ``snowsql`` (``-c``,
``-q``, ``-f file``, heredocs, pipes) gets real lineage; the host, port,
database and account named on the command line set the dataset namespace.
"""

from __future__ import annotations

from typing import Any

from secoda_listener.event.datasets import Lineage
from secoda_listener.extractors.base import BaseExtractor
from secoda_listener.extractors.shell import ShellSql, find_sql
from secoda_listener.extractors.sql_operators import sql_lineage
from secoda_listener.extractors.sql_targets import SqlTarget, snowflake_namespace

#: Largest command kept as source code; the event's own size cap applies after.
MAX_SOURCE_CHARS = 100_000


def command_of(operator: Any) -> str | None:
    """The rendered command; None before ``@task.bash`` has produced it (a sentinel until execute)."""
    command = getattr(operator, "bash_command", None)
    return command if isinstance(command, str) else None


def shell_target(found: ShellSql) -> SqlTarget:
    """Namespace and defaults from what the command line says (PG* defaults otherwise)."""
    if found.dialect == "snowflake":
        return SqlTarget("snowflake", snowflake_namespace(found.account), found.database, found.schema)
    host = found.host or "localhost"
    port = found.port or "5432"
    return SqlTarget("postgres", f"postgres://{host}:{port}", found.database, found.schema or "public")


class BashExtractor(BaseExtractor):
    operators = (
        "airflow.providers.standard.operators.bash.BashOperator",
        "airflow.operators.bash.BashOperator",
    )

    def extract_on_start(self, task_instance: Any) -> Lineage:
        command = command_of(task_instance.task)
        if not command:
            return Lineage()
        cwd = getattr(task_instance.task, "cwd", None)
        cwd = cwd if isinstance(cwd, str) and cwd else None
        lineage = Lineage()
        # Without ``cwd`` BashOperator runs in a fresh temporary directory: a relative
        # ``-f load.sql`` there is not this process's ``load.sql``.
        for found in find_sql(command, cwd=cwd, cwd_known=cwd is not None):
            if found.note:
                lineage = lineage.with_error(found.note)
            if found.sql:
                lineage = lineage.merged(sql_lineage(found.sql, shell_target(found)))
        return lineage

    def source_code(self, task_instance: Any) -> str | None:
        command = command_of(task_instance.task)
        if command is None or len(command) <= MAX_SOURCE_CHARS:
            return command
        return command[:MAX_SOURCE_CHARS] + f"\n…[truncated {len(command) - MAX_SOURCE_CHARS} chars by secoda-listener]"
