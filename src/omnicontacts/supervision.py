"""Worker processes end when the process that started them ends, however it ended.

`omnicontacts serve --workers N` starts N worker processes that share its listening sockets.
If the main process is killed outright (`kill -9`, the OOM killer) nothing tells the workers:
they would go on serving, holding the port, with nobody to restart or stop them. Each worker
therefore watches its parent: on Linux the kernel sends it SIGTERM the moment the parent dies
(PR_SET_PDEATHSIG), and everywhere a thread checks once a second that the parent is still the one
that started it. Either way the worker shuts down gracefully (uvicorn finishes the requests it
has), and is forced out if that takes longer than the grace period.
"""

import contextlib
import ctypes
import logging
import os
import signal
import sys
import threading
import time

SUPERVISOR_VARIABLE = "OMNICONTACTS_SUPERVISOR_PID"
GRACE_SECONDS = 10.0
_PR_SET_PDEATHSIG = 1

log = logging.getLogger("omnicontacts.supervision")


def _parent_death_signal() -> None:
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _watch(supervisor: int) -> None:
    while os.getppid() == supervisor:
        time.sleep(1.0)
    log.warning("the main process (pid %d) is gone; this worker stops", supervisor)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(GRACE_SECONDS)
    os._exit(1)


def exit_with_supervisor() -> None:
    """In a worker started by `serve --workers N`, end this process when the main one ends."""
    value = os.environ.get(SUPERVISOR_VARIABLE)
    if not value or not value.isdigit() or int(value) == os.getpid():
        return
    supervisor = int(value)
    _parent_death_signal()
    if os.getppid() != supervisor:  # it died before the signal was armed
        os.kill(os.getpid(), signal.SIGTERM)
    threading.Thread(target=_watch, args=(supervisor,), name="supervisor-watch", daemon=True).start()
