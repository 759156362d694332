"""BaseExtractor: the public contract users subclass, and Phase, the moment of a run it is asked about."""

from __future__ import annotations

from typing import Any

from secoda_listener.extractors import BaseExtractor, Dataset, Lineage
from secoda_listener.extractors.base import Phase


class Recording(BaseExtractor):
    def extract_on_start(self, task_instance: Any) -> Lineage:
        return Lineage(outputs=[Dataset("phase", "start")])

    def extract_on_failure(self, task_instance: Any) -> Lineage:
        return Lineage(outputs=[Dataset("phase", "failure")])


def outputs(lineage: Lineage) -> list[str]:
    return [dataset.name for dataset in lineage.outputs]


def test_extract_dispatches_on_a_phase_or_its_value() -> None:
    extractor = Recording()
    for phase, expected in ((Phase.START, "start"), (Phase.COMPLETE, "start"), (Phase.FAILURE, "failure")):
        assert outputs(extractor.extract(None, phase)) == [expected]
        assert outputs(extractor.extract(None, phase.value)) == [expected]  # users' code passing strings


def test_a_phase_is_its_value_wherever_text_is_expected() -> None:
    assert [str(phase) for phase in Phase] == ["start", "complete", "failure"]
    assert f"{Phase.COMPLETE}" == "complete" and Phase("failure") is Phase.FAILURE
    assert Phase.START == "start"  # a str too: extractors written for strings keep working


def test_the_defaults_report_nothing() -> None:
    extractor = BaseExtractor()
    assert extractor.extract(None, Phase.COMPLETE) == Lineage()
    assert extractor.source_code(None) is None and extractor.operators == ()
