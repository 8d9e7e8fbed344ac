"""Named write stages, where a fault-injection test can kill the process.

Every place that makes a write durable (a file renamed into the workspace, a journal written, a graph
transaction committed) calls :func:`checkpoint`. With ``TCW_KILL_AT=N`` the process kills itself with
SIGKILL at its Nth checkpoint, as a power cut or an OOM kill would; with ``TCW_CHECKPOINT_LOG=FILE`` each
checkpoint's name is appended to FILE, so a test can list the stages a run passes. Without either
variable a checkpoint costs one dictionary look-up.

>>> checkpoint("example")  # no variable set: nothing happens
"""

from __future__ import annotations

import os
import signal

_passed = 0


def checkpoint(stage: str) -> None:
    """Mark one write stage (see the module's docstring)."""
    global _passed
    kill_at = os.environ.get("TCW_KILL_AT")
    log = os.environ.get("TCW_CHECKPOINT_LOG")
    if not kill_at and not log:
        return
    _passed += 1
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{_passed}\t{os.getpid()}\t{stage}\n")
    if kill_at and _passed == int(kill_at):
        os.kill(os.getpid(), signal.SIGKILL)
