"""The eval suite's errors, one tree::

    EvalError                 anything that stops an eval run before it produces a report
    ├── DatasetError          missing or empty dataset, or a bad row (file:line in the message)
    ├── ReportError           a report file given to --compare cannot be read
    └── RouterUnavailable     the requested router cannot be built (e.g. LLM mode without a key)

All are permanent: re-running without fixing the input gives the same error. The CLI prints
the message and exits with status 2 (a failed threshold is not an error: it exits with 1).
"""

from __future__ import annotations


class EvalError(Exception):
    """Base class: the eval cannot run; the message says what to fix."""


class DatasetError(EvalError):
    """A dataset cannot be loaded; the message names the file and line."""


class ReportError(EvalError):
    """A saved JSON report cannot be read or is not an eval report."""


class RouterUnavailable(EvalError):
    """The router mode asked for cannot be built in this environment."""
