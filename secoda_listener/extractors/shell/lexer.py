"""The shell lexer: a script becomes pipelines of commands, words and redirects.

A small lexer rather than :mod:`shlex`: ``shlex`` knows neither heredocs nor
operators, and raises on an unclosed quote. This one never raises, runs in
linear time, and takes an unclosed quote to run to the end of the input.
Quoting is removed (single, double, ``$'ANSI-C'``, backslashes, line
continuations); ``$VAR``, ``$(...)``, ``${...}`` and backquotes stay as written,
one word each. Heredoc bodies are attached to their redirect, with the
backslash processing the shell does for an unquoted delimiter.
"""

from __future__ import annotations

import re

import attrs


@attrs.define
class Redirect:
    """``<``, ``<<``, ``<<<``, ``>``...: its target word, and for a heredoc its body."""

    op: str
    target: str | None = None
    body: str | None = None  # heredoc content
    strip_tabs: bool = False
    expand: bool = True  # an unquoted heredoc delimiter: the shell processes backslashes


@attrs.define
class Command:
    """One simple command: its words (quotes removed) and its redirects."""

    words: list[str] = attrs.field(factory=list)
    redirects: list[Redirect] = attrs.field(factory=list)


# A pipeline is a list of commands joined by ``|``; a script is a list of pipelines.
Pipeline = list[Command]

_PLAIN = re.compile(r"[^\s'\"\\$`<>|&;()#]+")
_OPERATORS = ("&&", "||", ";;", "|&", ";", "&", "|", "(", ")")
_REDIRECTS = ("<<<", "<<-", "<<", "<>", "<&", "<", ">>", ">&", ">|", ">", "&>>", "&>")
_DQ_ESCAPABLE = frozenset('$`"\\\n')
ANSI_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0", "e": "\x1b"}


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


class Lexer:
    """Turns a script into pipelines of commands; heredoc bodies attached to their redirect."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.pipelines: list[Pipeline] = []
        self.pipeline: Pipeline = []
        self.command = Command()
        self.word: list[str] = []
        self.in_word = False
        self.word_quoted = False
        self.redirect_waiting: Redirect | None = None
        self.heredocs_waiting: list[Redirect] = []

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
        self.command = Command()

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

    def run(self) -> list[Pipeline]:
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
                    parts.append(ANSI_ESCAPES.get(src[j + 1], "\\" + src[j + 1]))
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
                redirect = Redirect(op, strip_tabs=op == "<<-")
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


__all__ = ["ANSI_ESCAPES", "Command", "Lexer", "Pipeline", "Redirect"]
