"""Set-up run in each worker of lrbias's own local cluster (Dask's preload hook, ``dask_setup``).

A terminal's Ctrl-C reaches the whole process group. The parent handles it (one line, exit 130)
and closes the cluster; without this set-up every worker would also print a KeyboardInterrupt
traceback, and the close would log a warning for each task it cancels.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

CANCELLED_ON_CLOSE = "ended with CancelledError"


class _DropCancelledOnClose(logging.Filter):
    """Drop the worker's 'Async instruction ... ended with CancelledError' warnings (a close)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return CANCELLED_ON_CLOSE not in record.getMessage()


def dask_setup(worker: Any) -> None:
    """Ignore SIGINT in this worker and drop the cancelled-on-close warnings."""
    del worker
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.getLogger("distributed.worker.state_machine").addFilter(_DropCancelledOnClose())
