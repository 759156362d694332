"""One exception hierarchy for everything secoda-listener raises internally.

None of these ever reaches a user's task: the listener catches
:class:`SecodaListenerError` (and everything else) at its boundary and turns it
into one clear log line.
"""

from __future__ import annotations


class SecodaListenerError(Exception):
    """Base class of every error this package raises."""


class ConfigError(SecodaListenerError):
    """A ``[secoda]`` option or the Secoda connection is missing or invalid."""


class ConnectionNotFound(ConfigError):
    """The Airflow connection named by ``[secoda] conn_id`` does not exist."""


class InsecureHostError(ConfigError):
    """The connection's host uses plain ``http://`` for a non-loopback address."""


class DeliveryError(SecodaListenerError):
    """Secoda did not accept a request.

    ``retryable`` says whether sending the same request later can succeed
    (timeouts, 408, 429, most 5xx) or not (other 4xx).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = True,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


class SpoolError(SecodaListenerError):
    """The spool could not store or read a record (unwritable directory, disk
    full, corrupt file). The outbox falls back to holding events in memory."""


class InvalidRecordError(SpoolError):
    """A record is not a valid spool record (missing keys, not JSON-able).

    Unlike other :class:`SpoolError` s this is not about the disk: holding the
    record in memory instead would not make it deliverable.
    """
