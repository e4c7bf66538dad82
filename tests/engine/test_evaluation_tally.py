"""The scheduler's tally of how tiles ran their evalscripts, and the per-request fallback it drives."""

from __future__ import annotations

from tilewise.engine.evalscript import Evaluation, Limits
from tilewise.engine.scheduler import EvaluationTally
from tilewise.engine.tile_work import EngineContext, TileJob, TileOutcome


def job(request_id: str, tile_id: int) -> TileJob:
    return TileJob(
        request_id=request_id,
        tile_id=tile_id,
        tile_name=f"T{tile_id}",
        epsg=32611,
        bounds=(0.0, 0.0, 100.0, 100.0),
        resolution=10.0,
        buffer_x=0,
        buffer_y=0,
        process_request=None,
        output=None,
        engine=EngineContext(catalog="demo", output_root="/tmp", limits=Limits()),
    )


def test_after_a_failed_check_the_requests_next_tiles_are_sent_per_pixel_and_others_stay_compiled():
    tally = EvaluationTally()
    assert tally.job_for(job("a", 1)).engine.limits.compile
    tally.record(TileOutcome("a", 1, evaluation=Evaluation.COMPILED))
    tally.record(TileOutcome("a", 2, evaluation=Evaluation.CHECK_FAILED))
    tally.record(TileOutcome("b", 1, evaluation=Evaluation.COMPILED))
    tally.record(TileOutcome("b", 2, error="no data"))  # a tile that failed before its script ran
    assert not tally.job_for(job("a", 3)).engine.limits.compile
    assert tally.job_for(job("a", 3)).engine.limits == Limits(compile=False)  # nothing else changed
    assert tally.job_for(job("b", 3)).engine.limits.compile
    assert tally.status() == {
        "compiledTiles": 2,
        "perPixelTiles": 0,
        "checkFailedTiles": 1,
        "perPixelRequests": ["a"],
    }
