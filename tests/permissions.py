"""Commands that file permissions bind, also when the tests run as root.

Root reads a file of mode 000 and writes in a read-only folder through two capabilities,
``CAP_DAC_OVERRIDE`` and ``CAP_DAC_READ_SEARCH``. ``run_bound`` starts a command without them (dropped
from the capability bounding set before ``exec``), so the permission bits apply to it as to any user,
while it stays root and can still run the interpreter and the workbench (``setuid`` to ``nobody`` could
not: the interpreter may live under root's home). For another user nothing needs dropping.
``bound_runner`` (a fixture) probes that this works here and skips, with the reason, where it does not.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2
_LIBC = ctypes.CDLL(None, use_errno=True)


def _drop_overrides() -> None:
    """In the child, before ``exec``: give up the capabilities that override permission bits."""
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if _LIBC.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run_bound(args: list[str], **options) -> subprocess.CompletedProcess:
    """``subprocess.run(args, …)`` with the permission bits binding the command."""
    drop = _drop_overrides if os.geteuid() == 0 else None
    return subprocess.run(args, preexec_fn=drop, capture_output=True, text=True, timeout=600, **options)


def why_not_bound(folder: Path) -> str | None:
    """``None`` when a file of mode 000 in ``folder`` is unreadable to ``run_bound``; else why not."""
    probe = folder / "probe-000"
    probe.write_text("secret", encoding="utf-8")
    probe.chmod(0)
    try:
        done = run_bound([sys.executable, "-c", f"open({str(probe)!r}).read()"])
    except (OSError, subprocess.SubprocessError) as error:
        return f"cannot drop CAP_DAC_OVERRIDE here: {error}"
    finally:
        probe.unlink()
    if done.returncode == 0:
        return "a file of mode 000 stays readable here, even without CAP_DAC_OVERRIDE"
    return None


@pytest.fixture(scope="session")
def bound_runner(tmp_path_factory):
    """``run_bound``, where permission bits can be made to bind a command (else the test is skipped)."""
    reason = why_not_bound(tmp_path_factory.mktemp("permissions"))
    if reason is not None:
        pytest.skip(f"cannot make a file unreadable for a test command: {reason}")
    return run_bound
