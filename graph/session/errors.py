"""Errors of the session state, one tree:

    SessionError                 anything wrong with a conversation's stored state
    ├── InvalidSessionError      permanent: the state breaks the contract (structure or meaning)
    ├── UpcastError              permanent: a stored state of an unknown or malformed schema version
    └── StaleStateError          transient: someone else advanced the session first; retry the turn
        └── CommitNotReplicated  transient: the commit did not reach the replicas in time

`StaleStateError` is the only one worth retrying: the turn is re-run on the fresh state.
"""

from __future__ import annotations


class SessionError(Exception):
    """Base class of every session state error."""

    transient = False


class InvalidSessionError(SessionError):
    """The state is not a valid session: the message lists what is wrong."""


class UpcastError(SessionError):
    """A stored state cannot be migrated to the current schema version."""


class StaleStateError(SessionError):
    """A write based on an old version of the session was refused, not applied."""

    transient = True

    def __init__(self, message: str, *, expected: int | None = None, actual: int | None = None):
        super().__init__(message)
        self.expected = expected
        self.actual = actual


class CommitNotReplicated(StaleStateError):
    """The commit reached fewer replicas than required in time: a failover could lose it,
    so the turn is not counted as done (retried: it then finds the commit, or redoes it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
