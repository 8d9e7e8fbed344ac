"""Errors that carry what went wrong, where, and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class BadInput(Exception):
    """Input the workbench cannot use at all (a whole file or argument, not one row).

    The CLI prints ``str(error)`` as one line and exits with status 2.

    >>> str(BadInput("无法识别的文件格式 / unknown format", path="a.bin", hint="use --format"))
    'a.bin: 无法识别的文件格式 / unknown format (use --format)'
    """

    message: str
    path: str = ""
    line: int | None = None
    field: str = ""
    hint: str = ""

    def __reduce__(self):  # survives the trip back from a worker process
        return BadInput, (self.message, self.path, self.line, self.field, self.hint)

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
        if self.field:
            where += f" [{self.field}]"
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} ({self.hint})" if self.hint else text
