"""One HTTP POST to Secoda, every outcome translated at this boundary.

Like requests' ``adapters.py``, nothing above this module sees a
``requests`` exception or a status code: a call returns the 2xx status, or
raises :class:`DeliveryError` (``retryable`` says whether the same request may
succeed later, ``retry_after`` what Secoda asked for), or :class:`ConfigError`
when the target itself is wrong (bad URL, a redirect: fix the connection).

The API key travels in the ``Authorization`` header only; it is never logged
and never part of an error message (messages name the URL and the status).
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import os
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any, Union

import requests

from secoda_listener import __version__, forks
from secoda_listener.exceptions import ConfigError, DeliveryError

log = logging.getLogger(__name__)

#: Carries the spooled event id, stable across retries, so a receiver can de-duplicate.
EVENT_ID_HEADER = "Idempotency-Key"
USER_AGENT = f"secoda-listener/{__version__}"

# 501 Not Implemented and 505 HTTP Version Not Supported will not change on a retry.
_NOT_RETRYABLE_5XX = frozenset({501, 505})
_RETRYABLE_4XX = frozenset({408, 429})

#: A request's timeout, as requests takes it: one number, or (connect, read).
#: Union, not ``X | Y``: this alias is evaluated at import, and must import on Python 3.9.
Timeout = Union[float, tuple[float, float]]


def is_retryable(status: int) -> bool:
    return status in _RETRYABLE_4XX or (500 <= status < 600 and status not in _NOT_RETRYABLE_5XX)


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - now()
    return None if math.isnan(seconds) else max(0.0, seconds)


def _excerpt(response: requests.Response) -> str:
    text = (response.text or "").strip().replace("\n", " ")
    return text[:200]


class Transport:
    """A reusable HTTP connection pool to Secoda (one ``requests.Session``).

    A forked child gets a new session: a pooled socket shared by a parent and
    its child would interleave their requests. Not for concurrent use from
    several threads (the outbox serializes flushes).
    """

    def __init__(self, session_factory: Callable[[], requests.Session] = requests.Session) -> None:
        self._session_factory = session_factory
        self._session: requests.Session | None = None
        self._proxies: dict[str, dict[str, str]] = {}
        _live.add(self)

    def _forget_session(self) -> None:
        # In a forked child: the parent's session is left alone, not closed
        # (closing it would close the parent's sockets).
        self._session = None
        self._proxies = {}

    def _get_session(self) -> requests.Session:
        if self._session is None:
            self._session = self._session_factory()
            self._session.headers["User-Agent"] = USER_AGENT
            # With trust_env, requests re-reads the whole environment (proxies,
            # CA bundle, netrc) on every request: a third of a request's CPU.
            # Read it once per session instead; the behaviour stays the same
            # (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE are honoured; netrc is
            # moot, the Authorization header is ours).
            self._session.trust_env = False
            self._session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
            self._proxies = {}
        return self._session

    def _proxies_for(self, url: str) -> dict[str, str]:
        origin = url.split("/", 3)[:3]
        key = "/".join(origin)
        if key not in self._proxies:
            self._proxies[key] = requests.utils.get_environ_proxies(url)
        return self._proxies[key]

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
        self._session = None

    def post(
        self,
        url: str,
        body: Mapping[str, Any],
        *,
        headers: Mapping[str, str],
        timeout: Timeout,
        event_id: str | None = None,
    ) -> int:
        """POST ``body`` as JSON; return the 2xx status or raise (see module doc)."""
        data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        all_headers = {**headers, "Content-Type": "application/json"}
        if event_id:
            all_headers[EVENT_ID_HEADER] = event_id
        try:
            session = self._get_session()
            # Prepared here rather than by session.request(): that merges
            # cookies, auth, hooks and settings on every call, ~20% of the CPU
            # of a request, for a session that has none of them.
            prepared = requests.PreparedRequest()
            prepared.prepare(method="POST", url=url, headers={**session.headers, **all_headers}, data=data)
            response = session.send(
                prepared,
                timeout=timeout,
                allow_redirects=False,
                stream=False,
                verify=session.verify,
                cert=None,
                proxies=self._proxies_for(url),
            )
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
            requests.exceptions.InvalidHeader,
        ) as exc:
            raise ConfigError(f"cannot POST to {url}: {type(exc).__name__}") from None
        except requests.Timeout as exc:
            raise DeliveryError(f"POST {url} timed out ({_timeout_text(timeout)})", retryable=True) from exc
        except requests.RequestException as exc:
            # Connection refused/reset, DNS, TLS, a truncated response: worth a retry.
            raise DeliveryError(f"POST {url} failed: {_reason(exc)}", retryable=True) from exc
        status = response.status_code
        log.debug("secoda-listener: POST %s -> %d in %.3fs", url, status, response.elapsed.total_seconds())
        if 200 <= status < 300:
            return status
        if 300 <= status < 400:
            raise ConfigError(
                f"POST {url} was redirected ({status}) to {response.headers.get('Location')!r}: "
                "set the connection host to the final URL"
            )
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        message = f"POST {url} -> HTTP {status}: {_excerpt(response)}"
        raise DeliveryError(message, status=status, retryable=is_retryable(status), retry_after=retry_after)


def _timeout_text(timeout: Timeout) -> str:
    if isinstance(timeout, tuple):
        return f"connect {timeout[0]:.2f}s, read {timeout[1]:.2f}s"
    return f"{timeout:.2f}s"


def _reason(exc: BaseException) -> str:
    """The innermost cause of a requests exception, short (urllib3 nests them deeply)."""
    inner: BaseException = exc
    while True:
        nxt = getattr(inner, "reason", None) or inner.__cause__ or inner.__context__
        if not isinstance(nxt, BaseException) or nxt is inner:
            break
        inner = nxt
    return f"{type(inner).__name__}: {inner}"[:300]


_live: weakref.WeakSet[Transport] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for transport in list(_live):
        transport._forget_session()


forks.reset_in_child("delivery.transport", _after_fork_in_child)
