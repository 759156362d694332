"""secoda-listener: report every Airflow DAG's runs and data lineage to Secoda.

The data path is the package layout, one sub-package per stage::

    capture/     plugin -> listener -> selection        (Airflow hands us a state change)
    extractors/  manager -> user / built-in extractors  (datasets read and written; sql/ parses SQL)
    event/       model -> redact                        (the body, secrets removed)
    delivery/    outbox -> spool -> sender -> transport (durable write, then Secoda's API)

``cli/`` holds the ``secoda-listener`` commands, ``testing/`` a local Secoda
stand-in; ``conf`` (the ``[secoda]`` options), ``exceptions``, ``forks`` and
``logs`` serve every stage.
"""

__version__ = "0.1.0"
