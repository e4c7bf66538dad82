"""API versions and statuses, defined once: they compare and print as the strings the APIs send."""

from __future__ import annotations

import json

from tilewise.core.statuses import ANALYSED, TERMINAL, V1, V2, WITH_OUTPUTS, RequestStatus
from tilewise.core.tile_status import FINISHED, STATUSES, FeatureStatus, TileStatus


def test_statuses_compare_and_print_as_the_apis_strings():
    assert RequestStatus("DONE") is RequestStatus.DONE and RequestStatus.DONE == "DONE"
    assert (
        f"{RequestStatus.PARTIAL} / {TileStatus.FAILED} / {FeatureStatus.FATAL}" == "PARTIAL / FAILED / FATAL"
    )
    assert json.dumps([RequestStatus.STOPPED]) == '["STOPPED"]'
    assert "PARTIAL" in TERMINAL[V1] and "PARTIAL" not in TERMINAL[V2] and "STOPPED" in TERMINAL[V2]


def test_outputs_exist_only_once_processing_started():
    assert ANALYSED - {"ANALYSIS_DONE"} == WITH_OUTPUTS and "CREATED" not in ANALYSED
    assert {"PROCESSED", "DONE"} == FINISHED


def test_every_tile_status_has_a_colour():
    assert {s.value for s in TileStatus} | {s.value for s in FeatureStatus} <= set(STATUSES)
