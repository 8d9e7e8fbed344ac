"""Peak memory of the current process, for tests that run a job in a fresh interpreter.

``resource.getrusage(...).ru_maxrss`` survives ``exec``: a child started by a large parent (pytest) would
report the parent's peak. ``VmHWM`` belongs to the process image and starts afresh at ``exec``.
"""

from __future__ import annotations


def peak_rss_mib() -> int:
    """The high-water mark of resident memory of this process, in MiB (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    raise RuntimeError("VmHWM not found in /proc/self/status")
