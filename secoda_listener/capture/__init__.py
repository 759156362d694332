"""Stage 1, capture: where Airflow hands us a state change.

``plugin`` (the ``airflow.plugins`` entry point) registers ``listener``, whose
pluggy hooks run in every Airflow process that changes a state. ``selection``
decides first and cheaply whether a DAG or operator reports at all;
``airflow_objects`` reads TaskInstance / DagRun on Airflow 2.10 and 3.x.
``provider`` and ``connection_type`` are the provider entry point: the
``[secoda]`` section and the ``secoda`` connection type.
"""
