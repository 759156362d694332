"""The Airflow plugin: registers the listener through the ``airflow.plugins`` entry point.

Installing the package is the whole set-up: Airflow discovers this plugin in
every process (scheduler, task runners, ``airflow dags test``) and calls the
listener's hooks. No DAG imports anything from here.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from secoda_listener.capture.listener import listener


class SecodaListenerPlugin(AirflowPlugin):
    name = "secoda_listener"
    # Airflow reads this off the class, but AirflowPlugin declares it a plain list: ClassVar would clash.
    listeners = [listener]  # noqa: RUF012
