"""One run's changes to a workspace: staged in the run's work folder, then applied all at once.

Nothing a run writes touches the workspace's data folders until it commits. New and rewritten files are
written under ``tmp/<run>/``; the run reads the workspace through :meth:`Transaction.files`, which shows
its own changes. :meth:`Transaction.commit` flushes the staged files to disk, writes a journal
(``journal.json``: every rename and removal, and the run's log line), applies it, then removes it.

- A crash before the journal is complete leaves the workspace as it was; the next run removes the
  work folder (rolled back).
- A crash after it is finished by the next run, which applies the journal again: each step can be
  repeated (a rename whose source is gone has happened) (completed).

So a workspace is always as it was before a run or as it is after it.

>>> import tempfile
>>> from loaders.workspace import Workspace
>>> ws = Workspace(Path(tempfile.mkdtemp()) / "ws")
>>> tx = Transaction.begin(ws, "r1", ws.folder("tmp") / "r1")
>>> staged = tx.new_path("deletes", "r1.parquet")
>>> _ = staged.write_bytes(b"PAR1")
>>> tx.add("deletes", "r1.parquet", staged)
>>> tx.files("deletes") == [str(staged)], ws.parts("deletes")
(True, [])
>>> tx.commit({"run": "r1"})
>>> [Path(f).name for f in ws.parts("deletes")], (ws.root / JOURNAL).exists()
(['r1.parquet'], False)
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from loaders.atomic import FILE_MODE, fsync_file, fsync_folder, private_folder, write_atomic
from loaders.faults import checkpoint
from loaders.workspace import DATA_FOLDERS, Workspace

JOURNAL = "journal.json"


@dataclass
class Transaction:
    """The workspace's data files as one run sees them: final path → where its content is now (the
    final path itself, a staged file, or None when the run removes it)."""

    ws: Workspace
    run_id: str
    work: Path
    view: dict[str, dict[str, str | None]] = field(default_factory=dict)
    _numbers: itertools.count = field(default_factory=itertools.count)

    @classmethod
    def begin(cls, ws: Workspace, run_id: str, work: Path) -> Transaction:
        view = {kind: {path: path for path in ws.parts(kind)} for kind in DATA_FOLDERS}
        return cls(ws, run_id, Path(work), view)

    def files(self, kind: str) -> list[str]:
        """Where the content of a folder's files is, in the order of their final names."""
        return [content for _, content in sorted(self.view[kind].items()) if content is not None]

    def content(self, kind: str, name: str) -> str | None:
        """Where the content of ``kind/name`` is now, or None when it does not exist."""
        return self.view[kind].get(str(self.ws.root / kind / name))

    def new_path(self, kind: str, name: str) -> Path:
        """Where to write the content of a new (or replaced) file ``kind/name``."""
        return private_folder(self.work / "stage" / kind) / f"{next(self._numbers):05d}-{name}"

    def add(self, kind: str, name: str, content: str | os.PathLike) -> None:
        """Let ``content`` (a file in the work folder) become ``kind/name`` at commit."""
        self.view[kind][str(self.ws.root / kind / name)] = str(content)
        checkpoint(f"stage {kind}")

    def rewrite(self, content: str, write: Callable[[Path], None]) -> str:
        """Replace the file whose content is at ``content`` by what ``write(path)`` writes; returns where
        the new content is. A file of the workspace is never changed in place."""
        kind, final = self._owner(content)
        if self._staged(content):
            temporary = Path(content + ".rewrite")
            write(temporary)
            os.replace(temporary, content)
            return content
        target = self.new_path(kind, Path(final).name)
        write(target)
        self.view[kind][final] = str(target)
        checkpoint(f"rewrite {kind}")
        return str(target)

    def remove(self, content: str) -> None:
        """The file whose content is at ``content`` goes at commit."""
        kind, final = self._owner(content)
        self.view[kind][final] = None
        if self._staged(content):
            Path(content).unlink(missing_ok=True)

    def operations(self) -> list[list[str]]:
        """The journal's steps: ``["move", staged, final]`` and ``["remove", final]``, paths relative."""
        steps = []
        for kind in DATA_FOLDERS:
            for final, content in sorted(self.view[kind].items()):
                if content is None and Path(final).exists():
                    steps.append(["remove", self._relative(final)])
                elif content is not None and content != final:
                    steps.append(["move", self._relative(content), self._relative(final)])
        return steps

    def commit(self, log_entry: dict) -> None:
        """Make every staged change durable and apply them together, with the run's log line."""
        steps = self.operations()
        for step in steps:
            if step[0] == "move":
                os.chmod(self.ws.root / step[1], FILE_MODE)
                fsync_file(self.ws.root / step[1])
        journal = {"run": self.run_id, "operations": steps, "log": log_entry}
        write_atomic(self.ws.root / JOURNAL, json.dumps(journal, ensure_ascii=False).encode("utf-8"))
        apply_journal(self.ws)

    def _owner(self, content: str) -> tuple[str, str]:
        for kind, files in self.view.items():
            for final, current in files.items():
                if current == content:
                    return kind, final
        raise KeyError(f"not a file of this run's view: {content}")

    def _staged(self, content: str) -> bool:
        return Path(content).is_relative_to(self.work)

    def _relative(self, path: str) -> str:
        return str(Path(path).relative_to(self.ws.root))


def apply_journal(ws: Workspace) -> str | None:
    """Apply the workspace's journal, if there is one, and remove it; returns the run it belonged to.
    Safe to repeat after a crash at any point."""
    path = ws.root / JOURNAL
    if not path.exists():
        return None
    journal = json.loads(path.read_text(encoding="utf-8"))
    for step in journal["operations"]:
        _apply_step(ws.root, step)
    if journal.get("log"):
        ws.log_run(journal["log"])
    path.unlink()
    fsync_folder(ws.root)
    checkpoint("journal done")
    return journal["run"]


def _apply_step(root: Path, step: list[str]) -> None:
    if step[0] == "move":
        source, target = root / step[1], root / step[2]
        if source.exists():
            private_folder(target.parent)
            os.replace(source, target)
            fsync_folder(target.parent)
            checkpoint(f"move {target.parent.name}")
    elif step[0] == "remove":
        (root / step[1]).unlink(missing_ok=True)
        fsync_folder((root / step[1]).parent)
        checkpoint(f"remove {step[1].split('/')[0]}")
