"""secoda-listener: report every Airflow DAG's runs and data lineage to Secoda.

The data path, one module per role::

    plugin -> listener -> extractors -> event -> redact -> spool -> sender
"""

__version__ = "0.1.0"
