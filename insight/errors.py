"""The project's own error types and the exit codes they map to (docs/architecture.md, house rule 12).

Every error a user can cause is an `InsightError` whose message is one line naming the file
(and line or record) and what was expected. The CLI prints it and exits with `exit_code`.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path

from insight import install_hint

MAX_MESSAGE = 2000  # characters of an error line; a message quoting a hostile file stays readable


def one_line(text: str) -> str:
    """`text` on one line, at most MAX_MESSAGE characters."""
    text = text.replace("\r", " ").replace("\n", " ")
    if len(text) > MAX_MESSAGE:
        text = f"{text[:MAX_MESSAGE]}... ({len(text) - MAX_MESSAGE} more characters)"
    return text


class ExitCode(IntEnum):
    DONE = 0
    FINDINGS = 1  # a finding at or above a --fail-on level
    BAD_INPUT = 2  # bad input or usage


class InsightError(Exception):
    """A problem with the user's input or request, reported as one line."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.path = str(path) if path is not None else None
        self.line = line
        self.reason = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        return one_line(where + self.reason)


class UsageError(InsightError):
    """The command line asked for something impossible."""


class DatasetError(InsightError):
    """A dataset folder or annotation file cannot be read."""


class LogError(InsightError):
    """A training log cannot be read."""


class MissingExtraError(InsightError):
    """An optional reader needs a package that is not installed."""

    def __init__(self, what: str, extra: str):
        super().__init__(f"reading {what} needs an optional package: {install_hint(extra)}")
