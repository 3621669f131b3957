"""Set-up run in each worker of lrbias's own local cluster (Dask's preload hook, ``dask_setup``).

A terminal's Ctrl-C reaches the whole process group. The parent handles it (one line, exit 130)
and closes the cluster; without this set-up every worker would also print a KeyboardInterrupt
traceback, the close would log a warning for each task it cancels, and a worker whose heartbeat
meets the closed scheduler would log that with a traceback (a race of the close, seen on a loaded
machine).
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

CANCELLED_ON_CLOSE = "ended with CancelledError"
HEARTBEAT_ON_CLOSE = "Failed to communicate with scheduler during heartbeat"


class _DropOnClose(logging.Filter):
    """Drop a worker's log record that a close produces (its message holds ``text``)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return self.text not in record.getMessage()


def dask_setup(worker: Any) -> None:
    """Ignore SIGINT in this worker and drop the records a close produces (cancelled tasks, a heartbeat
    that meets the closed scheduler)."""
    del worker
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.getLogger("distributed.worker.state_machine").addFilter(_DropOnClose(CANCELLED_ON_CLOSE))
    logging.getLogger("distributed.worker").addFilter(_DropOnClose(HEARTBEAT_ON_CLOSE))
