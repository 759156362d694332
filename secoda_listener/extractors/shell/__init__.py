"""Find the SQL a shell command sends to ``psql``, ``snowsql`` or ``snow sql``.

``find_sql("cd /opt/sql && PGHOST=db psql -d shop -f load.sql")`` reads
``/opt/sql/load.sql`` and returns it with the connection the command names.
Supported: ``-c``/``-q`` strings, ``-f`` files, heredocs, here-strings, ``<``
redirects, ``echo``/``printf``/``cat`` piped in, commands chained with ``&&``,
``||``, ``;``, ``|`` or newlines, line continuations, ``bash -c '...'``,
``sudo``/``env``/``time`` wrappers, ``VAR=value`` prefixes and ``export``.
Never raises, runs in linear time; nothing is expanded except ``$VAR`` in
option values, from assignments made by the command itself.

One module per stage, in the order a command goes through them:

``lexer``     the script -> pipelines of commands (words, redirects, heredoc bodies)
``commands``  assignments, wrappers, nested shells, ``cd``; stdin, files, echo/printf/cat
``clients``   psql (with conninfo), snowsql, snow sql: the SQL each runs and where
``finder``    walks the script and collects :class:`ShellSql` results: :func:`find_sql`
"""

from __future__ import annotations

from secoda_listener.extractors.shell.finder import MAX_NESTING, MAX_RESULTS, ShellSql, find_sql

__all__ = ["MAX_NESTING", "MAX_RESULTS", "ShellSql", "find_sql"]
