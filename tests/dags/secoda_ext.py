"""DAGs of the extension e2e tests. They import nothing from secoda_listener.

Every command really runs and succeeds without a database: the lineage comes
from parsing the command text, not from running psql or snowsql.
"""

from __future__ import annotations

import datetime as dt

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.10
    from airflow import DAG
    from airflow.decorators import task
    from airflow.operators.bash import BashOperator
    from airflow.operators.python import PythonOperator

START = dt.datetime(2024, 1, 1)

# `true ||` skips psql; the SQL is still in the command text.
PSQL_C = (
    'echo "loading {{ ds }}"\n'
    'true || psql -h db.internal -p 5433 -d shop -c "INSERT INTO mart.orders SELECT * FROM raw.orders"'
)

# A shell function stands in for snowsql and swallows the heredoc, as the real one would read it.
SNOWSQL_HEREDOC = """\
snowsql() { cat >/dev/null; }
snowsql -a acme-xy12345 -d ANALYTICS -s RAW <<'SQL'
INSERT INTO mart.customers SELECT id, name FROM customers;
SQL
"""


def _noop() -> None:
    return None


with DAG("secoda_ext_bash", start_date=START, schedule=None, tags=["e2e", "secoda"]):
    psql_c = BashOperator(task_id="psql_c", bash_command=PSQL_C)
    snowsql_heredoc = BashOperator(task_id="snowsql_heredoc", bash_command=SNOWSQL_HEREDOC)

    @task.bash(task_id="decorated_psql")
    def decorated_psql() -> str:
        return 'true || psql -h db.internal -p 5433 -d shop -c "INSERT INTO mart.daily SELECT * FROM mart.orders"'

    @task(task_id="decorated_python")
    def decorated_python() -> None:
        return None

    plain_python = PythonOperator(task_id="plain_python", python_callable=_noop)
    psql_c >> snowsql_heredoc >> decorated_psql() >> decorated_python() >> plain_python


with DAG("secoda_ext_untagged", start_date=START, schedule=None, tags=["e2e"]):
    BashOperator(task_id="say", bash_command="echo not in only_tags")


with DAG("secoda_ext_faulty", start_date=START, schedule=None, tags=["e2e"]):
    raising = BashOperator(task_id="bash_with_raising_extractor", bash_command="echo still runs")
    hanging = PythonOperator(task_id="python_with_hanging_extractor", python_callable=_noop)
    raising >> hanging
