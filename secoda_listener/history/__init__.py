"""``secoda-listener backfill``: an Airflow deployment's finished history, read from its REST API.

* :mod:`.client`   the HTTP boundary: version detection, authentication, paging, errors
* :mod:`.window`   the time window and DAG patterns of a backfill
* :mod:`.mapping`  API JSON -> the same :class:`~secoda_listener.event.model.Event` the listener sends
* :mod:`.lineage`  lineage from a try's rendered fields (SQL with its connection, Bash)
* :mod:`.backfill` the walk: DAGs -> finished runs -> task instances -> tries, into the spool
"""

from __future__ import annotations
