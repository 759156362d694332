"""Text scrubbers: replace secret values in SQL, shell commands and free text by ``***``.

Only the secret *value* is replaced; keywords, quotes and every other byte stay
as they were, so Secoda can still parse the SQL and derive lineage from it.

These run on the task's critical path and on untrusted text (a rendered SQL
file, an error message), so every pattern is written to run in linear time:
an unbounded scan only starts where it cannot be re-entered from the next
character (a lookbehind refusing to start inside a word), or it is bounded
(``{0,N}``), and no two adjacent quantifiers can split the same characters.
No possessive quantifiers or atomic groups: those need Python 3.11 and Airflow
still supports 3.10.
"""

from __future__ import annotations

import functools
import re
from re import Match, Pattern

MASK = "***"

# --- what makes a name secret --------------------------------------------------------------
#
# Used for shell variables, flags, conninfo keys, JSON keys and SQL option names. A name is
# secret when, split into words (``DB_PASSWORD``, ``apiKey``, ``x-auth-token``), it says so.
# "key" alone is not enough: ``--key`` is an S3 object key and ``PARTITION_KEY`` a column; only
# qualified keys (``API_KEY``, ``ACCESS_KEY``, ``MASTER_KEY``...) are secrets.

# Substrings of the name with its separators removed (``aws_secret_access_key`` -> ``awssecretaccesskey``).
_SECRET_SUBSTRINGS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "credential",
    "apikey",
    "accesskey",
    "privatekey",
    "masterkey",
    "clientkey",
    "signingkey",
    "encryptionkey",
    "authkey",
    "sshkey",
    "accountkey",
    "storagekey",
    "sharedkey",
    "subscriptionkey",
    "licensekey",
    "appkey",
    "sessionkey",
    "hmackey",
    "servicekey",
    "consumerkey",
    "fernetkey",
    "jwtkey",
    "awskey",  # Snowflake's AWS_KEY_ID
)
# Whole words that are secret on their own (``DB_PASS``, ``DB_PWD``, ``basic_auth``, SAS ``sig``).
_SECRET_WORDS = frozenset({"pass", "pwd", "pw", "auth", "sig", "signature", "sas"})
# A last word saying the value is *about* the secret, not the secret (``PASSWORD_FILE``, ``SECRET_NAME``).
_HARMLESS_LAST_WORDS = frozenset(
    {
        "file",
        "path",
        "dir",
        "filename",
        "filepath",
        "location",
        "type",
        "method",
        "mode",
        "plugin",
        "provider",
        "mechanism",
        "scheme",
        "enabled",
        "required",
        "length",
        "len",
        "size",
        "count",
        "ttl",
        "expiry",
        "expires",
        "expiration",
        "url",
        "uri",
        "endpoint",
        "name",
        "arn",
        "version",
        "stdin",
        "prompt",
        "command",
        "cmd",
        "policy",
    }
)
# A first word making the name a setting (``--no-password``, ``max_tokens``, ``--ask-pass``).
_HARMLESS_FIRST_WORDS = frozenset({"no", "max", "min", "num", "ask"})
# Well-known names that contain a secret word but are not secrets.
_HARMLESS_NAMES = frozenset({"pwd", "oldpwd", "tokenizer", "tokenize"})

_NAME_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

# Every secret name contains one of these (lowercase). Finding them with str.find is ~50x faster
# than a regex alternation, so names are only examined around their occurrences.
_TRIGGERS = ("pass", "pw", "secret", "token", "credential", "key", "auth", "sig", "sas")


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """Whether a variable, flag or key called ``name`` holds a secret (``DB_PASSWORD`` yes, ``PWD`` no)."""
    words = [w.lower() for w in _NAME_WORDS.findall(name)]
    if not words or name.lower() in _HARMLESS_NAMES:
        return False
    if words[-1] in _HARMLESS_LAST_WORDS or words[0] in _HARMLESS_FIRST_WORDS:
        return False
    if any(w in _SECRET_WORDS for w in words):
        return True
    joined = "".join(words)
    return any(s in joined for s in _SECRET_SUBSTRINGS)


# --- building blocks -----------------------------------------------------------------------

# Quoted strings as "unrolled loops" (no nested quantifier): a missing closing quote costs one
# linear scan. Backslash escapes are honoured in SQL literals because Snowflake and MySQL use them;
# in Postgres that can only make us mask *more* of a literal, never leak part of it.
_SQ = r"'[^'\\]*(?:(?:\\.|'')[^'\\]*)*'"
_DQ = r'"[^"\\]*(?:\\.[^"\\]*)*"'
# Where a name may start: not inside another word, so each word is scanned once.
_NAME_START = r"(?<![\w.$-])"


def _keep_quotes(value: str) -> str:
    """``'abc'`` -> ``'***'``; unclosed ``'abc`` -> ``'***``; ``abc`` -> ``***``."""
    quote = value[:1]
    if quote in ("'", '"'):
        closed = len(value) > 1 and value.endswith(quote)
        return quote + MASK + (quote if closed else "")
    return MASK


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.$-")


def _has_trigger(low: str) -> bool:
    # The words of _TRIGGERS, spelled out rather than any(...): this runs on every string of every event.
    return (
        "pass" in low
        or "pw" in low
        or "secret" in low
        or "token" in low
        or "credential" in low
        or "key" in low
        or "auth" in low
        or "sig" in low
        or "sas" in low
    )


def _name_starts(text: str, low: str) -> list[int]:
    """Start of every word (``[\\w.$-]+``) that contains a trigger, in order."""
    starts: set[int] = set()
    for trigger in _TRIGGERS:
        at = low.find(trigger)
        while at != -1:
            start = at
            while start > 0 and at - start < 200 and text[start - 1] in _NAME_CHARS:
                start -= 1
            starts.add(start)
            at = low.find(trigger, at + len(trigger))
    return sorted(starts)


def _mask_named_values(text: str, head: Pattern[str], value: Pattern[str]) -> str:
    """Mask the value after each ``head`` (at a word holding a trigger) whose ``name`` is secret.

    Not ``re.sub``: a non-secret name must not swallow its value, because the value may itself
    hold a secret (``JAVA_OPTS="-Dpassword=x"``, ``{"config": "token=x"}``).
    """
    low = text.lower()
    if not _has_trigger(low):
        return text
    pieces: list[str] = []
    last = 0
    for start in _name_starts(text, low):
        if start < last:
            continue  # inside a value already masked
        h = None
        if start > 0 and text[start - 1] in "'\"":  # a quoted key: ``"password": ...``
            h = head.match(text, start - 1)
        if h is None:
            h = head.match(text, start)
        if h is None or not is_secret_name(h.group("name")):
            continue
        v = value.match(text, h.end())
        if v is None or v.end() == h.end():
            continue
        pieces.append(text[last : h.end()])
        pieces.append(_keep_quotes(v.group(0)))
        last = v.end()
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


# --- SQL ----------------------------------------------------------------------------------

# ``PASSWORD 'x'``, ``PASSWORD = 'x'``, ``AWS_SECRET_KEY = 'x'``, ``OPTIONS (password 'x')``,
# ``OAUTH_CLIENT_SECRET => 'x'``: a secret name, then a string literal.
# Not right after a quote: ``'password': 'x'`` is a key/value pair, handled by _KV_NAME.
_SQL_NAME = re.compile(r"(?<![\w.$'\"-])(?P<name>[A-Za-z_][\w$]{0,200})\s*(?:=>?\s*)?")
_SQL_LITERAL_VALUE = re.compile(_SQ + "|" + _DQ)
# ``IDENTIFIED BY 'x'`` (MySQL, Oracle; unquoted too), ``IDENTIFIED WITH plugin BY|AS 'x'``,
# ``IDENTIFIED BY PASSWORD 'hash'``, ``IDENTIFIED BY VALUES 'hash'``.
_SQL_IDENTIFIED_BY = re.compile(
    r"(?i)(?<![\w$])(?P<head>IDENTIFIED(?:\s+WITH\s+[\w$'\"]{1,64})?\s+(?:BY|AS)\s+(?:(?:PASSWORD|VALUES)\s+)?)"
    r"(?P<val>" + _SQ + "|" + _DQ + r"|[^\s;,)'\"]+)"
)
# Snowflake ``CREDENTIALS = ( ... )``: every value inside is masked, whatever its key (AWS_ROLE,
# an ARN, is kept), so a key Snowflake adds later is covered too.
_SQL_CREDENTIALS_BLOCK = re.compile(r"(?i)(?<![\w$])(?P<head>CREDENTIALS\s*=\s*\()(?P<body>[^()]{0,16384})\)")
_SQL_BLOCK_ITEM = re.compile(
    r"(?P<name>[A-Za-z_][\w$]{0,200})(?P<sep>\s*=\s*)(?P<val>" + _SQ + "|" + _DQ + r"|[^\s'\"()]+)"
)
_SQL_STRING_LITERAL = re.compile(_SQ)


def _sub_identified_by(m: Match[str]) -> str:
    return m.group("head") + _keep_quotes(m.group("val"))


def _sub_block_item(m: Match[str]) -> str:
    if m.group("name").upper() == "AWS_ROLE":
        return m.group(0)
    return m.group("name") + m.group("sep") + _keep_quotes(m.group("val"))


def _sub_credentials_block(m: Match[str]) -> str:
    return m.group("head") + _SQL_BLOCK_ITEM.sub(_sub_block_item, m.group("body")) + ")"


def _sub_inside_literal(m: Match[str]) -> str:
    # Conninfo and JSON inside a literal: dblink('host=h password=x'), PARSE_JSON('{"token": "x"}').
    literal = m.group(0)
    if "=" not in literal and ":" not in literal:
        return literal
    return _mask_named_values(literal, _KV_NAME, _KV_VALUE)


def _scrub_sql_options(text: str) -> str:
    """The SQL-only rules; shared by all three scrubbers since SQL shows up in commands and errors."""
    low = text.lower()
    if "credentials" in low:
        text = _SQL_CREDENTIALS_BLOCK.sub(_sub_credentials_block, text)
    if "identified" in low:
        text = _SQL_IDENTIFIED_BY.sub(_sub_identified_by, text)
    return _mask_named_values(text, _SQL_NAME, _SQL_LITERAL_VALUE)


# --- URIs, headers, keys, tokens ----------------------------------------------------------

_SCHEME = r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}://"
# ``scheme://user:password@host``: the password may hold a raw ``@`` (``p@ss``), so take the last
# ``@`` before the path starts.
_URI_USERINFO = re.compile(r"(?P<head>" + _SCHEME + r"[^\s:/?#@'\"]{0,256}:)[^\s'\"/?#]{0,512}@")
# Fallback for passwords holding a raw ``/``, ``?`` or ``#`` (invalid, but seen): anything up to the
# first ``@``, unless the colon is followed by a port. No ``//`` inside, so it cannot run past the
# next URI.
_URI_USERINFO_LOOSE = re.compile(
    r"(?P<head>" + _SCHEME + r"[^\s:/?#@'\"]{0,256}:)(?!\d{1,5}(?:[/?#\s'\"]|$))(?:[^\s'\"@/]|/(?!/)){1,512}@"
)
_AUTH_HEADER = re.compile(
    r"(?i)(?<![\w-])(?P<head>(?:proxy-)?authorization[\"']?[ \t]*[:=][ \t]*[\"']?"
    r"(?:(?:bearer|basic|token|jwt|apikey|sso-key|negotiate|ntlm|digest|aws4-hmac-sha256)[ \t]+)?)"
    r"(?P<val>[^\s'\",;}]+(?:,[ \t]*[\w-]{1,64}=[^\s'\",;}]*){0,32})"
)
_PRIVATE_KEY_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----")
_PRIVATE_KEY_END = re.compile(r"-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----")
_PRIVATE_KEY_BODY = re.compile(r"[A-Za-z0-9+/=\s\\]*")
_PRIVATE_KEY_MAX = 16384
# Token formats that are secrets wherever they appear, whatever they are called: (substrings that
# must be present, pattern). The substring test keeps the regex off texts that cannot match.
_WELL_KNOWN_TOKENS: tuple[tuple[tuple[str, ...], Pattern[str]], ...] = (
    (("AKIA", "ASIA"), re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])")),  # AWS key id
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), re.compile(r"(?<![\w-])gh[pousr]_[A-Za-z0-9]{30,255}")),  # GitHub
    (("github_pat_",), re.compile(r"(?<![\w-])github_pat_[A-Za-z0-9_]{20,255}")),
    (("xox",), re.compile(r"(?<![\w-])xox[abposr]-[A-Za-z0-9-]{10,255}")),  # Slack
    (("eyJ",), re.compile(r"(?<![\w-])eyJ[\w-]{8,4096}\.eyJ[\w-]{8,8192}\.[\w-]{8,4096}")),  # JWT
)
# ``password=x``, ``"token": "x"``, ``'api_key': 'x'``, ``X-Api-Key: x``, ``-Dssl.keyStorePassword=x``,
# ``AccountKey=x;`` (Azure connection strings), ``sig=x&`` (SAS URLs). An unquoted value ends at
# whitespace or at a delimiter of the surrounding syntax (``&`` query, ``;`` JDBC, ``,)}]`` reprs).
_KV_NAME = re.compile(_NAME_START + r"(?P<q>[\"']?)-{0,2}(?P<name>[A-Za-z_][\w.-]{0,200})(?P=q)[ \t]*[:=][ \t]*")
_KV_VALUE = re.compile(_SQ + "|" + _DQ + r"|[^\s'\"&;,)}\]<>]+")


def _sub_uri(m: Match[str]) -> str:
    return m.group("head") + MASK + "@"


def _sub_auth(m: Match[str]) -> str:
    return m.group("head") + MASK


def _mask_private_keys(text: str) -> str:
    # A loop, not one lazy regex: a lazy ``.*?END`` re-scans 16 KB for every BEGIN of a hostile input.
    pieces: list[str] = []
    pos = last = 0
    next_end: Match[str] | None = None
    no_more_ends = False
    while True:
        begin = _PRIVATE_KEY_BEGIN.search(text, pos)
        if begin is None:
            break
        body_start = begin.end()
        if not no_more_ends and (next_end is None or next_end.start() < body_start):
            next_end = _PRIVATE_KEY_END.search(text, body_start)
            no_more_ends = next_end is None
        if next_end is not None and next_end.start() - body_start <= _PRIVATE_KEY_MAX:
            body_end, pos = next_end.start(), next_end.end()
        else:  # No END marker: mask what looks like the key's base64 body.
            body = _PRIVATE_KEY_BODY.match(text, body_start)  # ``*``: matches, if only the empty string
            body_end = pos = body.end() if body is not None else body_start
        pieces += [text[last:body_start], MASK]
        last = body_end
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def _scrub_common(text: str) -> str:
    """URIs, auth headers, PEM keys, well-known tokens: secrets in any kind of text."""
    if "://" in text and "@" in text:
        text = _URI_USERINFO.sub(_sub_uri, text)
        text = _URI_USERINFO_LOOSE.sub(_sub_uri, text)
    if "uthorization" in text or "UTHORIZATION" in text:
        text = _AUTH_HEADER.sub(_sub_auth, text)
    if "PRIVATE KEY-----" in text:
        text = _mask_private_keys(text)
    if len(text) < 20:  # shorter than any of the well-known tokens
        return text
    for needles, pattern in _WELL_KNOWN_TOKENS:
        if any(needle in text for needle in needles):
            text = pattern.sub(MASK, text)
    return text


# --- shell --------------------------------------------------------------------------------

# A shell word: single-quoted (no escapes in shell), double-quoted, an unclosed quote (to the end:
# masking too much beats leaking), or unquoted with backslash escapes. A concatenation such as
# ``a"b c"`` is only masked up to the quote (known gap, rare in practice). ``$(...)`` without
# nested parentheses counts as part of the word.
_SHELL_WORD = r"'[^']*'|" + _DQ + r"|'[^']*$|\"[^\"]*$|(?:\$\([^()\n]{0,4096}\)|\\.|[^\s'\"\\;&|<>()`])+"
# ``DB_PASSWORD=x``, ``export PGPASSWORD=x``, ``--password=x``, ``-Djavax.net.ssl.keyStorePassword=x``.
_SHELL_ASSIGNMENT = re.compile(r"(?<![\w.$-])-{0,2}(?P<name>[A-Za-z_][\w.-]{0,200})=")
# ``--password x``, ``--api-key "x"``, ``-token x``: a secret-named flag, then its argument unless
# that is another flag. Single-letter flags are never guessed (``-p`` is psql's port).
_SHELL_FLAG = re.compile(r"(?<![\w.$-])--?(?P<name>[A-Za-z][\w.-]{1,200})[ \t]+(?=[^\s-])")
_SHELL_VALUE = re.compile(_SHELL_WORD)
# Tools whose short flags carry a password: ``mysql -pSECRET``, ``sshpass -p SECRET``,
# ``curl -u user:SECRET``; only within that tool's command (up to ``;``, ``&``, ``|``, newline).
_MYSQL_SEGMENT = re.compile(r"(?<![\w.-])(?:mysql\w{0,20}|mariadb[\w-]{0,20})(?![\w.-])[^\n;&|]*")
_MYSQL_P = re.compile(r"(?<!\S)-p(?P<val>(?=\S)(?:" + _SHELL_WORD + "))")
_SSHPASS_P = re.compile(r"(?<![\w.-])(?P<head>sshpass[ \t]+-p[ \t]*)(?P<val>" + _SHELL_WORD + ")")
_CURL_SEGMENT = re.compile(r"(?<![\w.-])curl(?![\w.-])[^\n;&|]*")
_CURL_USER = re.compile(r"(?<!\S)(?P<head>(?:-u|--user|-U|--proxy-user)(?:[ \t]+|=)?[\"']?[^\s:'\"]{0,256}:)[^\s'\"]*")


def _sub_mysql_segment(m: Match[str]) -> str:
    return _MYSQL_P.sub(lambda p: "-p" + _keep_quotes(p.group("val")), m.group(0))


def _sub_curl_segment(m: Match[str]) -> str:
    return _CURL_USER.sub(lambda u: u.group("head") + MASK, m.group(0))


def _sub_sshpass(m: Match[str]) -> str:
    return m.group("head") + _keep_quotes(m.group("val"))


# --- public API ---------------------------------------------------------------------------


def scrub_sql(text: str) -> str:
    """Mask secret values in SQL, leaving every other byte of the statement as it was."""
    if not text:
        return text
    text = _scrub_sql_options(text)
    if _has_trigger(text.lower()):
        text = _SQL_STRING_LITERAL.sub(_sub_inside_literal, text)
    return _scrub_common(text)


def scrub_text(text: str) -> str:
    """Mask secrets in free text (error messages, reprs): URIs, headers, key=value, SQL options."""
    if not text:
        return text
    text = _scrub_sql_options(text)
    text = _mask_named_values(text, _KV_NAME, _KV_VALUE)
    return _scrub_common(text)


def scrub_shell(text: str) -> str:
    """Mask secrets in a shell command: env assignments, secret flags, tool passwords, embedded SQL."""
    if not text:
        return text
    text = _mask_named_values(text, _SHELL_ASSIGNMENT, _SHELL_VALUE)
    text = _mask_named_values(text, _SHELL_FLAG, _SHELL_VALUE)
    if "mysql" in text or "mariadb" in text:
        text = _MYSQL_SEGMENT.sub(_sub_mysql_segment, text)
    if "sshpass" in text:
        text = _SSHPASS_P.sub(_sub_sshpass, text)
    if "curl" in text:
        text = _CURL_SEGMENT.sub(_sub_curl_segment, text)
    return scrub_text(text)


__all__ = ["MASK", "is_secret_name", "scrub_shell", "scrub_sql", "scrub_text"]
