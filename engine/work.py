"""What a worker runs: a batch tile or a group of a batch statistical request, by the kind of job it is sent.

The executors (process pool, Dask) take one function; this is it, so both kinds of request share the workers,
their capacity, and the scheduler's retries and recovery.
"""

from __future__ import annotations

from typing import Union

from .processor import process_tile
from .statistical_work import FeatureGroupJob, process_feature_group
from .tile_work import TileJob, TileOutcome

Work = Union[TileJob, FeatureGroupJob]


def process_work(job: Work) -> TileOutcome:
    if isinstance(job, FeatureGroupJob):
        return process_feature_group(job)
    return process_tile(job)
