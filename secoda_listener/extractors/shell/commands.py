"""What a command line means before any SQL client sees it.

Assignments (``PGHOST=db psql``, ``export``), the wrappers in front of the real
command (``sudo``, ``env``, ``time``, ``timeout``...), the script a nested
shell runs (``bash -c '...'``, ``bash <<EOF``), ``cd``, and what a command
reads and writes: its stdin (a redirect, a heredoc, a pipe), the files it
names (``-f``, ``<``, ``cat``) and what ``echo``/``printf``/``cat`` send down
a pipe. Nothing is expanded except ``$VAR`` from the script's own assignments,
never from this process's environment.
"""

from __future__ import annotations

import os
import re
import stat

import attrs

from secoda_listener.extractors.shell.lexer import ANSI_ESCAPES, Command

ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh"})
_CONTROL_WORDS = frozenset({"then", "do", "else", "elif", "if", "while", "until", "!", "{", "}", "time"})
DECLARE = frozenset({"export", "declare", "typeset", "local", "readonly"})


@attrs.define
class State:
    """What earlier statements of the script set: variables and the working directory."""

    variables: dict[str, str]
    cwd: str | None
    cwd_known: bool = True


# --- words and wrappers -------------------------------------------------------------------


def expand(value: str | None, variables: dict[str, str]) -> str | None:
    """``$VAR``/``${VAR}`` from the script's own assignments; None when anything stays unknown."""
    if value is None or ("$" not in value and "`" not in value):
        return value
    expanded = _VARIABLE.sub(lambda m: variables.get(m.group(1) or m.group(2), "\0"), value)
    return None if "\0" in expanded or "$" in expanded or "`" in expanded else expanded


def split_assignments(words: list[str]) -> tuple[dict[str, str], list[str]]:
    """``NAME=value`` words in front of a command, and the words from the command on."""
    env: dict[str, str] = {}
    for index, word in enumerate(words):
        if not ASSIGNMENT.match(word):
            return env, words[index:]
        name, _, value = word.partition("=")
        env[name] = value
    return env, []


def declared(args: list[str]) -> dict[str, str]:
    """The assignments of ``export A=1 B=2`` (and ``declare``, ``local``...), in order."""
    variables: dict[str, str] = {}
    for word in args:
        if ASSIGNMENT.match(word):
            name, _, value = word.partition("=")
            variables[name] = value
    return variables


def strip_wrappers(words: list[str], env: dict[str, str]) -> list[str]:
    """Drop ``sudo``, ``env``, ``time``... in front of the real command, collecting ``env`` assignments."""
    while words:
        head = os.path.basename(words[0])
        if head in _CONTROL_WORDS:
            words = words[1:]
        elif head in ("sudo", "doas"):
            words = _skip_options(words[1:], takes_value="ugUCDhprT")
        elif head == "env":
            rest = _skip_options(words[1:], takes_value="uCS")
            more, rest = split_assignments(rest)
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
            more, rest = split_assignments(words)
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


def nested_script(args: list[str], stdin: Input | None) -> str | None:
    """The script ``bash``/``sh``... runs given ``args``: its ``-c`` string, else a heredoc or pipe on stdin."""
    index = 0
    while index < len(args) and args[index].startswith(("-", "+")) and args[index] not in ("-", "--"):
        option = args[index]
        index += 1
        if option in ("-o", "+o", "-O", "+O"):
            index += 1
        elif "c" in option[1:] and not option.startswith("--"):
            return args[index] if index < len(args) else None
    if index >= len(args) and stdin is not None and stdin.text:  # ``bash <<EOF ... EOF``
        return stdin.text
    return None


def change_directory(args: list[str], state: State, initial_cwd: str | None) -> None:
    """Apply ``cd args`` to ``state``; a target known only at run time makes relative paths unknown."""
    target = expand(args[0], state.variables) if args else "~"
    if target is None or target == "-":  # ``cd "$DIR"``, ``cd -``: relative paths are unknown from here
        state.cwd, state.cwd_known = None, False
        return
    target = os.path.expanduser(target)
    if not state.cwd_known and not os.path.isabs(target):
        return
    state.cwd_known = True
    base = state.cwd or initial_cwd
    if os.path.isabs(target):  # needs no base, and there may be none (no cwd given)
        state.cwd = os.path.normpath(target)
    else:
        state.cwd = os.path.normpath(os.path.join(base, target)) if base else target


# --- what a command reads and writes ------------------------------------------------------


def read_file(path: str | None, state: State, max_bytes: int) -> tuple[str, str | None]:
    """The file's text (capped) and a note when it could not be read whole."""
    expanded = expand(path, state.variables)
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
class Input:
    """What a command reads on stdin, if known statically."""

    text: str | None
    source: str
    note: str | None = None


def stdin_of(command: Command, piped: Input | None, state: State, max_bytes: int) -> Input | None:
    """The command's stdin: its own last input redirect wins over a pipe."""
    for redirect in reversed(command.redirects):
        if redirect.target is None:  # ``psql <<`` at the very end: nothing to read
            continue
        if redirect.op in ("<<", "<<-"):
            return Input(redirect.body or "", "heredoc")
        if redirect.op == "<<<":
            return Input((redirect.target or "") + "\n", "here-string")
        if redirect.op in ("<", "<>"):
            text, note = read_file(redirect.target, state, max_bytes)
            return Input(text, f"< {redirect.target}", note)
    return piped


_PRINTF_ESCAPES = re.compile(r"\\(.)")


def output_of(words: list[str], stdin: Input | None, state: State, max_bytes: int) -> Input | None:
    """What ``echo``, ``printf`` or ``cat`` writes, for the next command of a pipeline."""
    if not words:
        return None
    head = os.path.basename(words[0])
    if head == "echo":
        args = words[1:]
        while args and re.fullmatch(r"-[neE]+", args[0]):
            args = args[1:]
        return Input(" ".join(args) + "\n", "stdin pipe")
    if head == "printf" and len(words) > 1:
        fmt = _PRINTF_ESCAPES.sub(lambda m: ANSI_ESCAPES.get(m.group(1), m.group(0)), words[1])
        args = words[2:]
        if not args or "%s" not in fmt:
            return Input(fmt.replace("%%", "%"), "stdin pipe")
        return Input("".join(fmt.replace("%s", arg, 1).replace("%s", "") for arg in args), "stdin pipe")
    if head == "cat":
        files = [word for word in words[1:] if not word.startswith("-") or word == "-"]
        if not files or files == ["-"]:
            return Input(stdin.text, "stdin pipe", stdin.note) if stdin else None
        texts, notes = [], []
        for path in files:
            text, note = read_file(path, state, max_bytes)
            texts.append(text)
            if note:
                notes.append(note)
        return Input("".join(texts), "stdin pipe", "; ".join(notes) or None)
    return None


__all__ = [
    "ASSIGNMENT",
    "DECLARE",
    "SHELLS",
    "Input",
    "State",
    "change_directory",
    "declared",
    "expand",
    "nested_script",
    "output_of",
    "read_file",
    "split_assignments",
    "stdin_of",
    "strip_wrappers",
]
