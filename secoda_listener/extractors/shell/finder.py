"""Walks a script command by command and collects the SQL each client runs.

The lexer gives pipelines; for each command, :mod:`.commands` says what it
really runs, with which environment and stdin, and :mod:`.clients` what a SQL
client among them runs and where. Variables and the working directory carry
from statement to statement; nested shells recurse, bounded by
:data:`MAX_NESTING`. What a client reads that cannot be known statically
(a pipe from ``pg_dump``, a relative file under an unknown directory) becomes
a result with empty SQL and a ``note`` saying why.
"""

from __future__ import annotations

import os

import attrs

from secoda_listener.extractors.shell import clients
from secoda_listener.extractors.shell.commands import (
    DECLARE,
    SHELLS,
    Input,
    State,
    change_directory,
    declared,
    nested_script,
    output_of,
    read_file,
    split_assignments,
    stdin_of,
    strip_wrappers,
)
from secoda_listener.extractors.shell.lexer import Lexer, Pipeline

#: Bound on ``bash -c`` nesting, so a hostile command cannot recurse without end.
MAX_NESTING = 4
#: Bound on the results of one command.
MAX_RESULTS = 500


@attrs.frozen
class ShellSql:
    """One SQL text a shell command runs, and the connection the command line names for it.

    ``source`` says where the SQL came from: ``"-c"`` (psql), ``"-q"`` (snowsql, snow sql),
    ``"-f <path>"``, ``"< <path>"``, ``"heredoc"``, ``"here-string"`` or ``"stdin pipe"``.
    ``sql`` is empty when it could not be read; ``note`` then says why.
    """

    dialect: str
    sql: str
    source: str
    host: str | None = None
    port: str | None = None
    database: str | None = None
    schema: str | None = None
    account: str | None = None
    user: str | None = None
    note: str | None = None


class _Finder:
    def __init__(self, cwd: str | None, max_file_bytes: int) -> None:
        self.max_file_bytes = max_file_bytes
        self.initial_cwd = cwd
        self.results: list[ShellSql] = []

    def script(self, src: str, state: State, depth: int) -> None:
        for pipeline in Lexer(src).run():
            if len(self.results) >= MAX_RESULTS:
                return
            self.pipeline(pipeline, state, depth)

    def pipeline(self, pipeline: Pipeline, state: State, depth: int) -> None:
        piped: Input | None = None
        for position, command in enumerate(pipeline):
            env: dict[str, str] = {}
            assignments, words = split_assignments(command.words)
            if not words and position == 0 and len(pipeline) == 1:
                state.variables.update(assignments)  # ``PGHOST=db`` on its own line
                continue
            env.update(assignments)
            words = strip_wrappers(words, env)
            stdin = stdin_of(command, piped if position else None, state, self.max_file_bytes)
            self.command(words, env, stdin, state, depth)
            piped = output_of(words, stdin, state, self.max_file_bytes)
            if piped is None and position + 1 < len(pipeline):
                producer = os.path.basename(words[0]) if words else "a redirect"
                piped = Input(None, "stdin pipe", f"stdin comes from '{producer}', not known statically")

    def command(self, words: list[str], env: dict[str, str], stdin: Input | None, state: State, depth: int) -> None:
        if not words:
            return
        head = os.path.basename(words[0])
        variables = {**state.variables, **env}
        if head in DECLARE:
            state.variables.update(declared(words[1:]))
        elif head == "cd":
            change_directory(words[1:], state, self.initial_cwd)
        elif head in SHELLS:
            if depth < MAX_NESTING:
                script = nested_script(words[1:], stdin)
                if script is not None:
                    self.script(script, State(dict(variables), state.cwd, state.cwd_known), depth + 1)
        elif head == "psql":
            connection, jobs = clients.psql(words[1:], variables)
            self.emit("postgres", jobs, stdin, state, connection)
        elif head == "snowsql":
            connection, jobs = clients.snowsql(words[1:], variables)
            self.emit("snowflake", jobs, stdin, state, connection)
        elif head == "snow" and len(words) > 1 and words[1] == "sql":
            connection, jobs, explicit_stdin = clients.snow_sql(words[2:], variables)
            if not jobs and not explicit_stdin:
                stdin = None  # ``snow sql`` needs -i to read stdin
            self.emit("snowflake", jobs, stdin, state, connection)

    def emit(
        self,
        dialect: str,
        jobs: list[clients.Job],
        stdin: Input | None,
        state: State,
        connection: dict[str, str | None],
    ) -> None:
        if not jobs and stdin is not None:
            jobs = [clients.Job("stdin", None, stdin.source)]  # no -c/-f: the client reads stdin
        for job in jobs:
            note = None
            source = job.source
            if job.kind == "inline":
                sql = job.value or ""
            elif job.kind == "file":
                sql, note = read_file(job.value, state, self.max_file_bytes)
            elif stdin is not None:
                sql, note = stdin.text or "", stdin.note
                source = stdin.source if job.source != "-f -" else job.source
            else:
                sql, note = "", "reads stdin, which is not known statically"
            if len(self.results) >= MAX_RESULTS:
                return
            self.results.append(ShellSql(dialect=dialect, sql=sql, source=source, note=note, **connection))


def find_sql(
    command: str, *, cwd: str | None = None, cwd_known: bool = True, max_file_bytes: int = 1_000_000
) -> list[ShellSql]:
    """Every SQL text ``command`` sends to psql, snowsql or ``snow sql``, in execution order.

    ``cwd_known=False`` says the command starts in a directory nobody knows in
    advance (``BashOperator`` without ``cwd`` runs in a fresh temporary one):
    relative paths are then read only after an absolute ``cd``.
    Never raises: on an internal error, what was found so far is returned.
    """
    finder = _Finder(cwd, max_file_bytes)
    try:
        if isinstance(command, str) and command:
            finder.script(command, State({}, cwd, cwd_known), depth=0)
    except Exception:  # noqa: BLE001 - a lineage helper must not break the task
        pass
    return list(finder.results)


__all__ = ["MAX_NESTING", "MAX_RESULTS", "ShellSql", "find_sql"]
