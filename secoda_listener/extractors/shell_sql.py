"""Find the SQL a shell command sends to ``psql``, ``snowsql`` or ``snow sql``.

``find_sql("cd /opt/sql && PGHOST=db psql -d shop -f load.sql")`` reads
``/opt/sql/load.sql`` and returns it with the connection the command names.
Supported: ``-c``/``-q`` strings, ``-f`` files, heredocs, here-strings, ``<``
redirects, ``echo``/``printf``/``cat`` piped in, commands chained with ``&&``,
``||``, ``;``, ``|`` or newlines, line continuations, ``bash -c '...'``,
``sudo``/``env``/``time`` wrappers, ``VAR=value`` prefixes and ``export``.

A small shell lexer rather than :mod:`shlex`: ``shlex`` knows neither heredocs
nor operators, and raises on an unclosed quote. This one never raises, runs in
linear time, and takes an unclosed quote to run to the end of the input.
Nothing is expanded except ``$VAR`` in option values, from assignments made by
the command itself (never from this process's environment).
"""

from __future__ import annotations

import os
import re
import stat
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

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


# --- lexing -------------------------------------------------------------------------------


@attrs.define
class _Redirect:
    op: str
    target: str | None = None
    body: str | None = None  # heredoc content
    strip_tabs: bool = False
    expand: bool = True  # an unquoted heredoc delimiter: the shell processes backslashes


@attrs.define
class _Command:
    words: list[str] = attrs.field(factory=list)
    redirects: list[_Redirect] = attrs.field(factory=list)


# A pipeline is a list of commands joined by ``|``; a script is a list of pipelines.
_Pipeline = list[_Command]

_PLAIN = re.compile(r"[^\s'\"\\$`<>|&;()#]+")
_OPERATORS = ("&&", "||", ";;", "|&", ";", "&", "|", "(", ")")
_REDIRECTS = ("<<<", "<<-", "<<", "<>", "<&", "<", ">>", ">&", ">|", ">", "&>>", "&>")
_DQ_ESCAPABLE = frozenset('$`"\\\n')
_ANSI_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0", "e": "\x1b"}


def _matching_close(src: str, i: int, open_: str, close: str) -> int:
    """Index after the ``close`` matching the ``open_`` at ``i - 1``; ``len(src)`` if none."""
    depth, n = 1, len(src)
    while i < n:
        ch = src[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "'":
            end = src.find("'", i + 1)
            i = n if end == -1 else end + 1
            continue
        if ch == open_:
            depth += 1
        elif ch == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


class _Lexer:
    """Turns a script into pipelines of commands; heredoc bodies attached to their redirect."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.pipelines: list[_Pipeline] = []
        self.pipeline: _Pipeline = []
        self.command = _Command()
        self.word: list[str] = []
        self.in_word = False
        self.word_quoted = False
        self.redirect_waiting: _Redirect | None = None
        self.heredocs_waiting: list[_Redirect] = []

    # word and command boundaries
    def end_word(self) -> None:
        if not self.in_word:
            return
        text = "".join(self.word)
        if self.redirect_waiting is not None:
            redirect = self.redirect_waiting
            redirect.target = text
            if redirect.op in ("<<", "<<-"):
                redirect.expand = not self.word_quoted
                self.heredocs_waiting.append(redirect)
            self.redirect_waiting = None
        else:
            self.command.words.append(text)
        self.word, self.in_word, self.word_quoted = [], False, False

    def end_command(self) -> None:
        self.end_word()
        if self.command.words or self.command.redirects:
            self.pipeline.append(self.command)
        self.command = _Command()

    def end_pipeline(self) -> None:
        self.end_command()
        if self.pipeline:
            self.pipelines.append(self.pipeline)
        self.pipeline = []

    def add(self, text: str, quoted: bool = False) -> None:
        self.word.append(text)
        self.in_word = True
        self.word_quoted = self.word_quoted or quoted

    def read_heredoc_bodies(self, i: int) -> int:
        """Read the bodies of the heredocs opened on the line that just ended; return the new index."""
        src, n = self.src, len(self.src)
        for redirect in self.heredocs_waiting:
            delimiter = redirect.target or ""
            lines: list[str] = []
            while i < n:
                end = src.find("\n", i)
                line = src[i:] if end == -1 else src[i:end]
                i = n if end == -1 else end + 1
                candidate = line.lstrip("\t") if redirect.strip_tabs else line
                if candidate == delimiter:
                    break
                lines.append(candidate)
            body = "\n".join(lines) + ("\n" if lines else "")
            redirect.body = _unescape_heredoc(body) if redirect.expand else body
        self.heredocs_waiting = []
        return i

    def run(self) -> list[_Pipeline]:
        src, n, i = self.src, len(self.src), 0
        while i < n:
            ch = src[i]
            plain = _PLAIN.match(src, i)
            if plain is not None:
                self.add(plain.group(0))
                i = plain.end()
            elif ch == "\n":
                self.end_pipeline()
                i = self.read_heredoc_bodies(i + 1) if self.heredocs_waiting else i + 1
            elif ch in " \t\r\f\v":
                self.end_word()
                i += 1
            elif ch == "\\":
                if src.startswith("\n", i + 1):  # line continuation
                    i += 2
                else:
                    self.add(src[i + 1 : i + 2], quoted=True)
                    i += 2
            elif ch == "'":
                end = src.find("'", i + 1)
                end = n if end == -1 else end
                self.add(src[i + 1 : end], quoted=True)
                i = end + 1
            elif ch == '"':
                i = self.double_quoted(i + 1)
            elif ch == "$":
                i = self.dollar(i)
            elif ch == "`":
                end = src.find("`", i + 1)
                end = n if end == -1 else end
                self.add(src[i : end + 1])
                i = end + 1
            elif ch == "#" and not self.in_word:
                end = src.find("\n", i)
                i = n if end == -1 else end
            elif ch == "#":
                self.add("#")
                i += 1
            else:
                i = self.operator(i)
        self.end_pipeline()
        return self.pipelines

    def double_quoted(self, i: int) -> int:
        src, n = self.src, len(self.src)
        parts: list[str] = []
        while i < n:
            ch = src[i]
            if ch == '"':
                self.add("".join(parts), quoted=True)
                return i + 1
            if ch == "\\" and i + 1 < n and src[i + 1] in _DQ_ESCAPABLE:
                if src[i + 1] != "\n":
                    parts.append(src[i + 1])
                i += 2
                continue
            if ch == "$" and src.startswith("(", i + 1):
                end = _matching_close(src, i + 2, "(", ")")
                parts.append(src[i:end])
                i = end
                continue
            parts.append(ch)
            i += 1
        self.add("".join(parts), quoted=True)  # unclosed: to the end
        return n

    def dollar(self, i: int) -> int:
        src, n = self.src, len(self.src)
        nxt = src[i + 1 : i + 2]
        if nxt == "'":  # $'ANSI-C'
            j, parts = i + 2, []
            while j < n and src[j] != "'":
                if src[j] == "\\" and j + 1 < n:
                    parts.append(_ANSI_ESCAPES.get(src[j + 1], "\\" + src[j + 1]))
                    j += 2
                else:
                    parts.append(src[j])
                    j += 1
            self.add("".join(parts), quoted=True)
            return j + 1
        if nxt == "(":
            end = _matching_close(src, i + 2, "(", ")")
        elif nxt == "{":
            end = _matching_close(src, i + 2, "{", "}")
        else:
            end = i + 1
        self.add(src[i:end])
        return end

    def operator(self, i: int) -> int:
        src = self.src
        for op in _REDIRECTS:
            if src.startswith(op, i):
                word = "".join(self.word)
                if self.in_word and word.isdigit() and not self.word_quoted:
                    self.word, self.in_word = [], False  # a file descriptor number: ``2>``
                else:
                    self.end_word()
                redirect = _Redirect(op, strip_tabs=op == "<<-")
                self.command.redirects.append(redirect)
                self.redirect_waiting = redirect
                return i + len(op)
        for op in _OPERATORS:
            if src.startswith(op, i):
                if op in ("|", "|&"):
                    self.end_command()
                else:
                    self.end_pipeline()
                return i + len(op)
        self.add(src[i])  # not reached with the current character classes; keep the char
        return i + 1


def _unescape_heredoc(body: str) -> str:
    # In an unquoted heredoc the shell removes ``\`` before ``$``, `````, ``\`` and newline.
    return re.sub(r"\\([$`\\])|\\\n", lambda m: m.group(1) or "", body)


# --- interpretation -----------------------------------------------------------------------

_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh"})
_CONTROL_WORDS = frozenset({"then", "do", "else", "elif", "if", "while", "until", "!", "{", "}", "time"})
_DECLARE = frozenset({"export", "declare", "typeset", "local", "readonly"})


@attrs.define
class _State:
    """What earlier statements of the script set: variables and the working directory."""

    variables: dict[str, str]
    cwd: str | None
    cwd_known: bool = True


def _expand(value: str | None, variables: dict[str, str]) -> str | None:
    """``$VAR``/``${VAR}`` from the script's own assignments; None when anything stays unknown."""
    if value is None or "$" not in value and "`" not in value:
        return value
    expanded = _VARIABLE.sub(lambda m: variables.get(m.group(1) or m.group(2), "\0"), value)
    return None if "\0" in expanded or "$" in expanded or "`" in expanded else expanded


def _split_assignments(words: list[str]) -> tuple[dict[str, str], list[str]]:
    env: dict[str, str] = {}
    for index, word in enumerate(words):
        if not _ASSIGNMENT.match(word):
            return env, words[index:]
        name, _, value = word.partition("=")
        env[name] = value
    return env, []


def _strip_wrappers(words: list[str], env: dict[str, str]) -> list[str]:
    """Drop ``sudo``, ``env``, ``time``... in front of the real command, collecting ``env`` assignments."""
    while words:
        head = os.path.basename(words[0])
        if head in _CONTROL_WORDS:
            words = words[1:]
        elif head in ("sudo", "doas"):
            words = _skip_options(words[1:], takes_value="ugUCDhprT")
        elif head == "env":
            rest = _skip_options(words[1:], takes_value="uCS")
            more, rest = _split_assignments(rest)
            env.update(more)
            words = rest
        elif head in ("nohup", "exec", "command", "builtin", "stdbuf", "ionice", "chronic"):
            words = _skip_options(words[1:], takes_value="")
        elif head == "nice":
            words = _skip_options(words[1:], takes_value="n")
        elif head == "timeout":
            rest = _skip_options(words[1:], takes_value="sk")
            words = rest[1:]  # the duration
        else:
            more, rest = _split_assignments(words)
            if not more:
                return words
            env.update(more)
            words = rest
    return words


def _skip_options(words: list[str], takes_value: str) -> list[str]:
    index = 0
    while index < len(words) and words[index].startswith("-") and words[index] != "-":
        word = words[index]
        index += 1
        if word == "--":
            break
        if not word.startswith("--") and len(word) == 2 and word[1] in takes_value:
            index += 1
    return words[index:]


def _read_file(path: str | None, state: _State, max_bytes: int) -> tuple[str, str | None]:
    """The file's text (capped) and a note when it could not be read whole."""
    expanded = _expand(path, state.variables)
    if not expanded:
        return "", f"file path {path!r} depends on shell expansion"
    expanded = os.path.expanduser(expanded)
    if not os.path.isabs(expanded):
        if not state.cwd_known:
            return "", (
                f"file {path!r} is relative to a working directory not known statically "
                "(a cd to a directory computed dynamically, or a temporary directory)"
            )
        if state.cwd:
            expanded = os.path.join(state.cwd, expanded)
    try:
        info = os.stat(expanded)
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
            return "", f"{path!r} is not a regular file"
        with open(expanded, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return "", f"could not read {path!r}: {exc.strerror or type(exc).__name__}"
    note = None
    if len(data) > max_bytes:
        data = data[:max_bytes]
        note = f"{path!r} truncated to its first {max_bytes} bytes"
    return data.decode("utf-8", errors="replace"), note


@attrs.frozen
class _Input:
    """What a command reads on stdin, if known statically."""

    text: str | None
    source: str
    note: str | None = None


def _stdin(command: _Command, piped: _Input | None, state: _State, max_bytes: int) -> _Input | None:
    """The command's stdin: its own last input redirect wins over a pipe."""
    for redirect in reversed(command.redirects):
        if redirect.target is None:  # ``psql <<`` at the very end: nothing to read
            continue
        if redirect.op in ("<<", "<<-"):
            return _Input(redirect.body or "", "heredoc")
        if redirect.op == "<<<":
            return _Input((redirect.target or "") + "\n", "here-string")
        if redirect.op in ("<", "<>"):
            text, note = _read_file(redirect.target, state, max_bytes)
            return _Input(text, f"< {redirect.target}", note)
    return piped


_PRINTF_ESCAPES = re.compile(r"\\(.)")


def _output(words: list[str], stdin: _Input | None, state: _State, max_bytes: int) -> _Input | None:
    """What ``echo``, ``printf`` or ``cat`` writes, for the next command of a pipeline."""
    if not words:
        return None
    head = os.path.basename(words[0])
    if head == "echo":
        args = words[1:]
        while args and re.fullmatch(r"-[neE]+", args[0]):
            args = args[1:]
        return _Input(" ".join(args) + "\n", "stdin pipe")
    if head == "printf" and len(words) > 1:
        fmt = _PRINTF_ESCAPES.sub(lambda m: _ANSI_ESCAPES.get(m.group(1), m.group(0)), words[1])
        args = words[2:]
        if not args or "%s" not in fmt:
            return _Input(fmt.replace("%%", "%"), "stdin pipe")
        return _Input("".join(fmt.replace("%s", arg, 1).replace("%s", "") for arg in args), "stdin pipe")
    if head == "cat":
        files = [word for word in words[1:] if not word.startswith("-") or word == "-"]
        if not files or files == ["-"]:
            return _Input(stdin.text, "stdin pipe", stdin.note) if stdin else None
        texts, notes = [], []
        for path in files:
            text, note = _read_file(path, state, max_bytes)
            texts.append(text)
            if note:
                notes.append(note)
        return _Input("".join(texts), "stdin pipe", "; ".join(notes) or None)
    return None


_CONNINFO_PAIR = re.compile(r"(\w+)\s*=\s*('[^'\\]*(?:\\.[^'\\]*)*'|\S*)")
_BACKSLASH_ESCAPE = re.compile(r"\\(.)")


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


@attrs.frozen
class _Job:
    """One piece of SQL a client will run: inline text, a file, or stdin."""

    kind: str  # "inline", "file", "stdin"
    value: str | None
    source: str


def _psql(args: list[str]) -> tuple[dict[str, str], list[_Job], list[str]]:
    """psql's options: (connection fields, -c/-f jobs in order, positional arguments)."""
    fields: dict[str, str] = {}
    jobs: list[_Job] = []
    positional: list[str] = []
    long_names = {"--command": "c", "--file": "f", "--host": "h", "--port": "p", "--dbname": "d", "--username": "U"}
    long_with_value = {"--set", "--variable", "--output", "--log-file", "--pset", "--field-separator",
                       "--record-separator", "--table-attr"}  # fmt: skip
    short_with_value = "cfhpdUvoLPFRT"
    fields_by_option = {"h": "host", "p": "port", "d": "dbname", "U": "user"}
    index = 0

    def take(option: str, value: str | None) -> None:
        if option == "c" and value is not None:
            jobs.append(_Job("inline", value, "-c"))
        elif option == "f":
            if value == "-":
                jobs.append(_Job("stdin", None, "-f -"))
            else:
                jobs.append(_Job("file", value, f"-f {value}"))
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


_SNOWSQL_FIELDS = {"a": "account", "u": "user", "d": "database", "s": "schema", "h": "host", "p": "port"}
_SNOWSQL_LONG = {
    "--accountname": "a", "--username": "u", "--dbname": "d", "--schemaname": "s", "--host": "h",
    "--port": "p", "--query": "q", "--filename": "f",
}  # fmt: skip
_SNOWSQL_FLAGS = frozenset({"-P", "-v", "-M", "--prompt", "--version", "--versions", "--noup", "--help", "--upgrade",
                            "--mfa-passcode-in-password", "--abort-detached-query", "--probe-connection",
                            "--generate-jwt", "--bootstrap-version", "--mfa-prompt"})  # fmt: skip
_SNOW_LONG = {
    "--account": "a", "--accountname": "a", "--user": "u", "--username": "u", "--database": "d",
    "--dbname": "d", "--schema": "s", "--schemaname": "s", "--host": "h", "--port": "p",
    "--query": "q", "--filename": "f",
}  # fmt: skip
_SNOW_FLAGS = frozenset({"-x", "-i", "--stdin", "--temporary-connection", "--retain-comments", "--verbose",
                         "--debug", "--silent", "--help", "--enable-templating", "--single-transaction",
                         "--no-single-transaction", "--enhanced-exit-codes"})  # fmt: skip


def _snowflake_cli(args: list[str], long_names: dict[str, str], flags: frozenset[str], short: str) -> tuple[
    dict[str, str], list[_Job], bool
]:
    """snowsql / ``snow sql`` options: (connection fields, -q/-f jobs in order, reads stdin explicitly)."""
    fields: dict[str, str] = {}
    jobs: list[_Job] = []
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
            jobs.append(_Job("inline", value, "-q"))
        elif option == "f":
            jobs.append(_Job("file", value, f"-f {value}"))
        elif option in _SNOWSQL_FIELDS:
            fields[_SNOWSQL_FIELDS[option]] = value
    return fields, jobs, explicit_stdin


class _Finder:
    def __init__(self, cwd: str | None, max_file_bytes: int) -> None:
        self.max_file_bytes = max_file_bytes
        self.initial_cwd = cwd
        self.results: list[ShellSql] = []

    def script(self, src: str, state: _State, depth: int) -> None:
        for pipeline in _Lexer(src).run():
            if len(self.results) >= MAX_RESULTS:
                return
            self.pipeline(pipeline, state, depth)

    def pipeline(self, pipeline: _Pipeline, state: _State, depth: int) -> None:
        piped: _Input | None = None
        for position, command in enumerate(pipeline):
            env: dict[str, str] = {}
            assignments, words = _split_assignments(command.words)
            if not words and position == 0 and len(pipeline) == 1:
                state.variables.update(assignments)  # ``PGHOST=db`` on its own line
                continue
            env.update(assignments)
            words = _strip_wrappers(words, env)
            stdin = _stdin(command, piped if position else None, state, self.max_file_bytes)
            self.command(words, env, stdin, state, depth)
            piped = _output(words, stdin, state, self.max_file_bytes)
            if piped is None and position + 1 < len(pipeline):
                producer = os.path.basename(words[0]) if words else "a redirect"
                piped = _Input(None, "stdin pipe", f"stdin comes from '{producer}', not known statically")

    def command(self, words: list[str], env: dict[str, str], stdin: _Input | None, state: _State, depth: int) -> None:
        if not words:
            return
        head = os.path.basename(words[0])
        variables = {**state.variables, **env}
        if head in _DECLARE:
            for word in words[1:]:
                if _ASSIGNMENT.match(word):
                    name, _, value = word.partition("=")
                    state.variables[name] = value
        elif head == "cd":
            self.change_directory(words[1:], state)
        elif head in _SHELLS:
            self.nested_shell(words[1:], variables, stdin, state, depth)
        elif head == "psql":
            self.run_psql(words[1:], variables, stdin, state)
        elif head == "snowsql":
            fields, jobs, _ = _snowflake_cli(words[1:], _SNOWSQL_LONG, _SNOWSQL_FLAGS, "audshpqf")
            self.emit_snowflake(fields, jobs, variables, stdin, state, "SNOWSQL_")
        elif head == "snow" and len(words) > 1 and words[1] == "sql":
            fields, jobs, explicit_stdin = _snowflake_cli(words[2:], _SNOW_LONG, _SNOW_FLAGS, "qfc")
            if not jobs and not explicit_stdin:
                stdin = None  # ``snow sql`` needs -i to read stdin
            self.emit_snowflake(fields, jobs, variables, stdin, state, "SNOWFLAKE_")

    def change_directory(self, args: list[str], state: _State) -> None:
        target = _expand(args[0], state.variables) if args else "~"
        if target is None or target == "-":  # ``cd "$DIR"``, ``cd -``: relative paths are unknown from here
            state.cwd, state.cwd_known = None, False
            return
        target = os.path.expanduser(target)
        if not state.cwd_known and not os.path.isabs(target):
            return
        state.cwd_known = True
        base = state.cwd or self.initial_cwd
        if os.path.isabs(target):  # needs no base, and there may be none (no cwd given)
            state.cwd = os.path.normpath(target)
        else:
            state.cwd = os.path.normpath(os.path.join(base, target)) if base else target

    def nested_shell(self, args: list[str], variables: dict[str, str], stdin: _Input | None, state: _State,
                     depth: int) -> None:  # fmt: skip
        if depth >= MAX_NESTING:
            return
        index = 0
        while index < len(args) and args[index].startswith(("-", "+")) and args[index] not in ("-", "--"):
            option = args[index]
            index += 1
            if option in ("-o", "+o", "-O", "+O"):
                index += 1
            elif "c" in option[1:] and not option.startswith("--"):
                if index < len(args):
                    self.script(args[index], _State(dict(variables), state.cwd, state.cwd_known), depth + 1)
                return
        if index >= len(args) and stdin is not None and stdin.text:  # ``bash <<EOF ... EOF``
            self.script(stdin.text, _State(dict(variables), state.cwd, state.cwd_known), depth + 1)

    def run_psql(self, args: list[str], variables: dict[str, str], stdin: _Input | None, state: _State) -> None:
        options, jobs, positional = _psql(args)
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
        connection = {
            "host": _expand(fields["host"], variables),
            "port": _expand(fields["port"], variables),
            "database": _expand(fields["dbname"], variables),
            "user": _expand(fields["user"], variables),
            "schema": _search_path(conninfo.get("options") or variables.get("PGOPTIONS")),
        }
        self.emit("postgres", jobs, stdin, state, connection)

    def emit_snowflake(self, fields: dict[str, str], jobs: list[_Job], variables: dict[str, str],
                       stdin: _Input | None, state: _State, env_prefix: str) -> None:  # fmt: skip
        connection = {}
        for name in ("account", "user", "database", "schema", "host", "port"):
            value = fields.get(name, variables.get(env_prefix + name.upper()))
            connection[name] = _expand(value, variables)
        connection.pop("host")
        connection.pop("port")
        self.emit("snowflake", jobs, stdin, state, connection)

    def emit(self, dialect: str, jobs: list[_Job], stdin: _Input | None, state: _State,
             connection: dict[str, str | None]) -> None:  # fmt: skip
        if not jobs and stdin is not None:
            jobs = [_Job("stdin", None, stdin.source)]  # no -c/-f: the client reads stdin
        for job in jobs:
            note = None
            source = job.source
            if job.kind == "inline":
                sql = job.value or ""
            elif job.kind == "file":
                sql, note = _read_file(job.value, state, self.max_file_bytes)
            elif stdin is not None:
                sql, note = stdin.text or "", stdin.note
                source = stdin.source if job.source != "-f -" else job.source
            else:
                sql, note = "", "reads stdin, which is not known statically"
            if len(self.results) >= MAX_RESULTS:
                return
            self.results.append(ShellSql(dialect=dialect, sql=sql, source=source, note=note, **connection))


_SEARCH_PATH = re.compile(r"search_path\s*=\s*([^\s,]+)")


def _search_path(options: str | None) -> str | None:
    """The first schema of ``-c search_path=...`` in PGOPTIONS or a conninfo ``options``."""
    if not options:
        return None
    match = _SEARCH_PATH.search(options)
    return match.group(1).strip("'\"") if match else None


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
            finder.script(command, _State({}, cwd, cwd_known), depth=0)
    except Exception:  # noqa: BLE001 - a lineage helper must not break the task
        pass
    return list(finder.results)


__all__ = ["MAX_NESTING", "ShellSql", "find_sql"]
