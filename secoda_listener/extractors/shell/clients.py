"""The SQL clients' command lines: ``psql``, ``snowsql`` and ``snow sql``.

Each parser turns a client's arguments into the SQL it will run (``-c``/``-q``
strings and ``-f`` files, in order: :class:`Job`) and the connection the
command line names: options, then the client's environment variables
(``PGHOST``..., ``SNOWSQL_ACCOUNT``..., ``SNOWFLAKE_*``), and for psql a
conninfo string or URI given as the database, whose fields win as in libpq.
Passwords are never kept.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

from secoda_listener.extractors.shell.commands import expand


@attrs.frozen
class Job:
    """One piece of SQL a client will run: inline text, a file, or stdin."""

    kind: str  # "inline", "file", "stdin"
    value: str | None
    source: str


# --- psql ---------------------------------------------------------------------------------

_CONNINFO_PAIR = re.compile(r"(\w+)\s*=\s*('[^'\\]*(?:\\.[^'\\]*)*'|\S*)")
_BACKSLASH_ESCAPE = re.compile(r"\\(.)")
_SEARCH_PATH = re.compile(r"search_path\s*=\s*([^\s,]+)")


def _conninfo(value: str) -> dict[str, str]:
    """Connection fields of a libpq URI (``postgresql://u@h:5432/db``) or ``key=value`` string."""
    fields: dict[str, str] = {}
    if value.startswith(("postgresql://", "postgres://")):
        try:
            parts = urlsplit(value)
            netloc = parts.netloc.rpartition("@")
            if netloc[1]:
                fields["user"] = unquote(netloc[0].partition(":")[0])
            first_host = netloc[2].split(",")[0]
            host, colon, port = first_host.rpartition(":") if not first_host.endswith("]") else (first_host, "", "")
            if not colon:
                host, port = first_host, ""
            if host:
                fields["host"] = unquote(host)
            if port:
                fields["port"] = port
            if parts.path.strip("/"):
                fields["dbname"] = unquote(parts.path.lstrip("/"))
            for key, item in parse_qsl(parts.query):
                fields[key] = item
        except ValueError:
            pass
        return fields
    for match in _CONNINFO_PAIR.finditer(value):
        item = match.group(2)
        if item.startswith("'"):
            item = _BACKSLASH_ESCAPE.sub(r"\1", item[1:-1])
        fields[match.group(1)] = item
    return fields


def _is_conninfo(value: str) -> bool:
    return value.startswith(("postgresql://", "postgres://")) or "=" in value


def _search_path(options: str | None) -> str | None:
    """The first schema of ``-c search_path=...`` in PGOPTIONS or a conninfo ``options``."""
    if not options:
        return None
    match = _SEARCH_PATH.search(options)
    return match.group(1).strip("'\"") if match else None


def _psql_options(args: list[str]) -> tuple[dict[str, str], list[Job], list[str]]:
    """psql's options: (connection fields, -c/-f jobs in order, positional arguments)."""
    fields: dict[str, str] = {}
    jobs: list[Job] = []
    positional: list[str] = []
    long_names = {"--command": "c", "--file": "f", "--host": "h", "--port": "p", "--dbname": "d", "--username": "U"}
    long_with_value = {
        "--set",
        "--variable",
        "--output",
        "--log-file",
        "--pset",
        "--field-separator",
        "--record-separator",
        "--table-attr",
    }
    short_with_value = "cfhpdUvoLPFRT"
    fields_by_option = {"h": "host", "p": "port", "d": "dbname", "U": "user"}
    index = 0

    def take(option: str, value: str | None) -> None:
        if option == "c" and value is not None:
            jobs.append(Job("inline", value, "-c"))
        elif option == "f":
            if value == "-":
                jobs.append(Job("stdin", None, "-f -"))
            else:
                jobs.append(Job("file", value, f"-f {value}"))
        elif option in fields_by_option and value is not None:
            fields[fields_by_option[option]] = value

    while index < len(args):
        word = args[index]
        index += 1
        if word == "--":
            positional += args[index:]
            break
        if word.startswith("--"):
            name, eq, value = word.partition("=")
            if name in long_names or name in long_with_value:
                if not eq:
                    value = args[index] if index < len(args) else ""
                    index += 1
                take(long_names.get(name, ""), value)
            continue
        if word.startswith("-") and len(word) > 1:
            for offset, letter in enumerate(word[1:], start=2):
                if letter in short_with_value:
                    value = word[offset:]
                    if not value:
                        value = args[index] if index < len(args) else ""
                        index += 1
                    take(letter, value)
                    break
            continue
        positional.append(word)
    return fields, jobs, positional


def psql(args: list[str], variables: dict[str, str]) -> tuple[dict[str, str | None], list[Job]]:
    """What ``psql args`` runs and where: options over ``PG*`` variables, a conninfo over both."""
    options, jobs, positional = _psql_options(args)
    fields: dict[str, str | None] = {
        "host": variables.get("PGHOST"),
        "port": variables.get("PGPORT"),
        "dbname": variables.get("PGDATABASE"),
        "user": variables.get("PGUSER"),
    }
    conninfo: dict[str, str] = {}
    dbname = options.pop("dbname", None)
    if positional:
        dbname = positional[0] if dbname is None else dbname
        if len(positional) > 1 and "user" not in options:
            options["user"] = positional[1]
    if dbname is not None and _is_conninfo(dbname):
        conninfo = _conninfo(dbname)  # libpq: a conninfo's fields override other options
    elif dbname is not None:
        options["dbname"] = dbname
    for key, value in {**options, **conninfo}.items():
        if key in fields:
            fields[key] = value
    connection: dict[str, str | None] = {
        "host": expand(fields["host"], variables),
        "port": expand(fields["port"], variables),
        "database": expand(fields["dbname"], variables),
        "user": expand(fields["user"], variables),
        "schema": _search_path(conninfo.get("options") or variables.get("PGOPTIONS")),
    }
    return connection, jobs


# --- snowsql and snow sql -----------------------------------------------------------------

_SNOWSQL_FIELDS = {"a": "account", "u": "user", "d": "database", "s": "schema", "h": "host", "p": "port"}
_SNOWSQL_LONG = {
    "--accountname": "a",
    "--username": "u",
    "--dbname": "d",
    "--schemaname": "s",
    "--host": "h",
    "--port": "p",
    "--query": "q",
    "--filename": "f",
}
_SNOWSQL_FLAGS = frozenset(
    {
        "-P",
        "-v",
        "-M",
        "--prompt",
        "--version",
        "--versions",
        "--noup",
        "--help",
        "--upgrade",
        "--mfa-passcode-in-password",
        "--abort-detached-query",
        "--probe-connection",
        "--generate-jwt",
        "--bootstrap-version",
        "--mfa-prompt",
    }
)
_SNOW_LONG = {
    "--account": "a",
    "--accountname": "a",
    "--user": "u",
    "--username": "u",
    "--database": "d",
    "--dbname": "d",
    "--schema": "s",
    "--schemaname": "s",
    "--host": "h",
    "--port": "p",
    "--query": "q",
    "--filename": "f",
}
_SNOW_FLAGS = frozenset(
    {
        "-x",
        "-i",
        "--stdin",
        "--temporary-connection",
        "--retain-comments",
        "--verbose",
        "--debug",
        "--silent",
        "--help",
        "--enable-templating",
        "--single-transaction",
        "--no-single-transaction",
        "--enhanced-exit-codes",
    }
)


def _snowflake_cli(
    args: list[str], long_names: dict[str, str], flags: frozenset[str], short: str
) -> tuple[dict[str, str], list[Job], bool]:
    """snowsql / ``snow sql`` options: (connection fields, -q/-f jobs in order, reads stdin explicitly)."""
    fields: dict[str, str] = {}
    jobs: list[Job] = []
    explicit_stdin = False
    index = 0
    while index < len(args):
        word = args[index]
        index += 1
        if word in ("-i", "--stdin") and "-i" in flags:
            explicit_stdin = True
            continue
        if word in flags or not word.startswith("-") or word == "-":
            continue
        name, eq, value = word.partition("=")
        if word.startswith("--"):
            option = long_names.get(name, "")
        else:
            option, value, eq = word[1:2], word[2:], "=" if len(word) > 2 else ""
            option = option if option in short else ""
        if not eq:
            value = args[index] if index < len(args) else ""
            index += 1
        if option == "q":
            jobs.append(Job("inline", value, "-q"))
        elif option == "f":
            jobs.append(Job("file", value, f"-f {value}"))
        elif option in _SNOWSQL_FIELDS:
            fields[_SNOWSQL_FIELDS[option]] = value
    return fields, jobs, explicit_stdin


def _snowflake_connection(fields: dict[str, str], variables: dict[str, str], env_prefix: str) -> dict[str, str | None]:
    """Account, user, database and schema: options over ``{env_prefix}ACCOUNT``... variables."""
    connection: dict[str, str | None] = {}
    for name in ("account", "user", "database", "schema", "host", "port"):
        value = fields.get(name, variables.get(env_prefix + name.upper()))
        connection[name] = expand(value, variables)
    connection.pop("host")
    connection.pop("port")
    return connection


def snowsql(args: list[str], variables: dict[str, str]) -> tuple[dict[str, str | None], list[Job]]:
    """What ``snowsql args`` runs (``-q``, ``-f``) and where (options over ``SNOWSQL_*``)."""
    fields, jobs, _ = _snowflake_cli(args, _SNOWSQL_LONG, _SNOWSQL_FLAGS, "audshpqf")
    return _snowflake_connection(fields, variables, "SNOWSQL_"), jobs


def snow_sql(args: list[str], variables: dict[str, str]) -> tuple[dict[str, str | None], list[Job], bool]:
    """What ``snow sql args`` runs and where (options over ``SNOWFLAKE_*``), and whether ``-i`` reads stdin."""
    fields, jobs, explicit_stdin = _snowflake_cli(args, _SNOW_LONG, _SNOW_FLAGS, "qfc")
    return _snowflake_connection(fields, variables, "SNOWFLAKE_"), jobs, explicit_stdin


__all__ = ["Job", "psql", "snow_sql", "snowsql"]
