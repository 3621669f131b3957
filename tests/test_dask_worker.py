"""The worker set-up drops exactly the log records a cluster's close produces, nothing else."""

from __future__ import annotations

import logging

from lrbias.gd import dask_worker


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("distributed.worker", logging.ERROR, __file__, 1, message, None, None)


def test_the_close_filters_drop_only_their_records():
    heartbeat = dask_worker._DropOnClose(dask_worker.HEARTBEAT_ON_CLOSE)
    assert not heartbeat.filter(_record("Failed to communicate with scheduler during heartbeat."))
    assert heartbeat.filter(_record("Failed to communicate with scheduler"))
    cancelled = dask_worker._DropOnClose(dask_worker.CANCELLED_ON_CLOSE)
    assert not cancelled.filter(_record("Async instruction for <Task> ended with CancelledError"))
    assert cancelled.filter(_record("Failed to communicate with scheduler during heartbeat."))
