"""Count a business event only once the transaction that made it has committed.

An order placed inside a transaction that then rolls back (stock ran out, a unique key
lost a race, the store failed) never happened, so it must not move a counter. Code in a
transaction calls `on_commit(session, lambda: metrics.record_order("paid"))`; the
callbacks run after the outermost transaction commits and are dropped when it ends any
other way (rollback, or a session closed without committing).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from server.logging import get_logger

log = get_logger(__name__)

_PENDING = "convo.on_commit"


def on_commit(session: AsyncSession | Session, callback: Callable[[], None]) -> None:
    """Run `callback` after the session's current transaction commits (never if it does not)."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    if not sync.in_transaction():  # tie it to a transaction, as a statement would
        sync.begin()
    sync.info.setdefault(_PENDING, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_pending(session: Session) -> None:
    for callback in session.info.pop(_PENDING, ()):
        try:
            callback()
        except Exception:  # a metric must never fail a committed transaction's caller
            log.exception("store.on_commit_failed")


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction: SessionTransaction) -> None:
    # After a commit the list is already gone; any other end of the outermost
    # transaction (rollback, close) drops what it would have counted.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
