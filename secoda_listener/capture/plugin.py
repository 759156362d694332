"""The Airflow plugin: registers the listener through the ``airflow.plugins`` entry point.

Installing the package is the whole set-up: Airflow discovers this plugin in
every process (scheduler, task runners, ``airflow dags test``) and calls the
listener's hooks. No DAG imports anything from here.

It also registers a hook lineage reader: Airflow's hook-level lineage collector
(AIP-62) only collects when some plugin declares one, and
:mod:`secoda_listener.extractors.hook_lineage` reads what it collected at the
end of each task.
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

from secoda_listener.capture.listener import listener


class SecodaHookLineageReader:
    """Declared so that Airflow's hook lineage collector collects; never instantiated by Airflow.

    Airflow only checks that the plugins' ``hook_lineage_readers`` list is not
    empty, so this stays a plain class: subclassing Airflow's ``HookLineageReader``
    would import its lineage module (and the providers manager on 2.10) in every
    process that loads plugins, a scheduler or webserver included, which never
    read hook lineage. We read the collector ourselves at the end of a task.
    """

    def retrieve_hook_lineage(self) -> Any:
        """What the collector holds, as Airflow's own reader returns it (for tools that call readers)."""
        from secoda_listener.extractors.hook_lineage import airflow_collector

        collector = airflow_collector()
        if collector is None:
            return None
        return getattr(collector, "collected_assets", None) or getattr(collector, "collected_datasets", None)


class SecodaListenerPlugin(AirflowPlugin):
    name = "secoda_listener"
    # Airflow reads these off the class, but AirflowPlugin declares them plain lists: ClassVar would clash.
    listeners = [listener]  # noqa: RUF012
    hook_lineage_readers = [SecodaHookLineageReader]  # noqa: RUF012
