"""Progress bars on a terminal, silence elsewhere (CI logs, notebooks capturing output)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_bar(label: str, unit: str = "it", total: int | None = None) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``; draws a tqdm bar on stderr only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield lambda n: None
        return
    from tqdm import tqdm

    with tqdm(desc=label, unit=unit, total=total, leave=False, dynamic_ncols=True) as bar:
        yield bar.update
