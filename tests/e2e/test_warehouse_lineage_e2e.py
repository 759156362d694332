"""End to end: SQLExecuteQueryOperator on a MySQL and a Redshift connection, run by `airflow dags test`
with the plugin loaded through its entry point.

No MySQL or Redshift server runs here, so both connections point at a closed port on 127.0.0.1
(nothing leaves the machine) and both tasks fail. Lineage is read when a task starts, so the
task_running event and the final task_failed event both carry the datasets, with the namespace
each connection implies; the failure is the connection's (refused, or no MySQL provider), not ours.
"""

from __future__ import annotations

import json
import socket

PASSWORD = "warehouse-Secret-pw-4242"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _by_task(receiver, event_type: str) -> dict[str, dict]:
    return {
        body["task_instance"]["task_id"]: body
        for body in (record["body"] for record in receiver.received())
        if body["event_type"] == event_type
    }


def _names(datasets: list[dict]) -> set[tuple[str, str]]:
    return {(d["namespace"], d["name"]) for d in datasets}


def test_mysql_and_redshift_tasks_report_their_datasets_although_they_cannot_connect(run_dag, receiver):
    port = _closed_port()
    env = {
        # As users write them: a URI for MySQL (the database in the path), JSON for Redshift.
        "AIRFLOW_CONN_WAREHOUSE_MYSQL": f"mysql://etl:{PASSWORD}@127.0.0.1:{port}/shop",
        "AIRFLOW_CONN_WAREHOUSE_REDSHIFT": json.dumps(
            {
                "conn_type": "redshift",
                "host": "127.0.0.1",
                "port": port,
                "login": "awsuser",
                "password": PASSWORD,
                "schema": "dev",
                "extra": {"cluster_identifier": "ExampleCluster", "region": "us-west-2"},
            }
        ),
    }
    result = run_dag("warehouse_sql", env=env)
    output = result.output

    mysql_ns = f"mysql://127.0.0.1:{port}"
    mysql_inputs = {(mysql_ns, "shop.orders"), (mysql_ns, "crm.customers")}
    mysql_outputs = {(mysql_ns, "shop.daily_2024_01_01")}
    redshift_ns = f"redshift://examplecluster.us-west-2:{port}"
    redshift_inputs = {(redshift_ns, "dev.public.raw_orders"), (redshift_ns, "dev.mart.revenue_2024_01_01")}
    redshift_outputs = {(redshift_ns, "dev.mart.revenue_2024_01_01"), (redshift_ns, "dev.mart.totals")}

    running, failed = _by_task(receiver, "task_running"), _by_task(receiver, "task_failed")
    assert set(running) == set(failed) == {"mysql_daily", "redshift_mart"}, output[-4000:]
    for events in (running, failed):
        mysql, redshift = events["mysql_daily"]["lineage"], events["redshift_mart"]["lineage"]
        assert _names(mysql["inputs"]) == mysql_inputs and _names(mysql["outputs"]) == mysql_outputs, mysql
        assert _names(redshift["inputs"]) == redshift_inputs, redshift
        assert _names(redshift["outputs"]) == redshift_outputs, redshift
        assert mysql["errors"] == [] and redshift["errors"] == []

    # The failures are the connections': Redshift refused on the closed port. MySQL's provider needs
    # a C client library (mysqlclient) that pip alone cannot build here, so Airflow finds no hook for
    # the connection type; with the provider installed, its client cannot connect.
    redshift_error = failed["redshift_mart"]["task_instance"]["error"]
    assert "Connection refused" in redshift_error, redshift_error
    mysql_error = failed["mysql_daily"]["task_instance"]["error"]
    assert 'Unknown hook type "mysql"' in mysql_error or "Can't connect to MySQL server" in mysql_error, mysql_error
    # Nothing of ours complained: the plugin's log lines ("secoda-listener: ...", structlog on
    # Airflow 3, "INFO - " on 2.10) are all at info level.
    ours = [line for line in output.splitlines() if "secoda-listener:" in line]
    assert ours, output[-4000:]
    assert not [line for line in ours if "[info" not in line and "INFO - " not in line], ours
    assert PASSWORD not in json.dumps(receiver.received())
