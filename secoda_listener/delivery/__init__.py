"""Stage 4, delivery: from a redacted event to Secoda's ingest API.

``record`` is the spooled shape and ``names`` the spool's file names;
``spool`` the durable maildir (its writes and locks in ``files``, its
liveness checks of other processes in ``procs``), ``hold`` its in-memory
stand-in when the disk fails, ``outbox`` the one object that puts and
flushes, ``process`` this process's outbox and when it flushes,
``background`` the flusher thread of long-lived processes; ``sender`` drains a
spool within a deadline, ``backoff`` says when to try again, ``transport`` is
the HTTP boundary; ``endpoint`` and ``secoda_connection`` turn the Airflow
connection into a URL and key at send time; ``extraction_trigger`` asks
Secoda to process what was pushed.

Whatever a process owns (its outbox, HTTP session, flusher thread, pending
count) is reset in a forked child through :mod:`secoda_listener.forks`.

Nothing here is imported when Airflow loads the plugin: the first hook that
reports imports it.
"""
