"""support desk: agents, conversations' handoff state and history, tickets, notes;
wa_messages.author (who wrote an outbound message: the bot, an agent, the system)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("wa_messages") as batch:
        batch.add_column(sa.Column("author", sa.String(160), nullable=True))
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("handle", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        _when("expires_at"),
        _when("revoked_at"),
        _when("created_at", nullable=False),
        sa.UniqueConstraint("tenant", "handle", name="uq_agents_tenant_handle"),
    )
    op.create_table(
        "support_conversations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("phone_number_id", sa.String(64), nullable=False),
        sa.Column("wa_id", sa.String(32), nullable=False),
        sa.Column("customer_name", sa.String(255), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id"), nullable=True),
        sa.Column("agent_name", sa.String(128), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("request_msg_id", sa.String(255), nullable=True),
        sa.Column("resume_lane", sa.String(32), nullable=True),
        sa.Column("bot_context", sa.JSON(), nullable=False),
        _when("requested_at"),
        _when("claimed_at"),
        _when("expires_at"),
        _when("last_customer_at"),
        sa.Column("chatwoot_conversation_id", sa.Integer(), nullable=True),
        sa.Column("chatwoot_contact_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        sa.UniqueConstraint("phone_number_id", "wa_id", name="uq_support_conversations_customer"),
    )
    op.create_index("ix_support_conversations_queue", "support_conversations", ["tenant", "state"])
    op.create_index(
        "ix_support_conversations_expiry", "support_conversations", ["state", "expires_at"]
    )
    op.create_index(
        "ix_support_conversations_chatwoot", "support_conversations", ["chatwoot_conversation_id"]
    )
    op.create_table(
        "handoff_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "conversation_id",
            sa.Integer(),
            sa.ForeignKey("support_conversations.id"),
            nullable=False,
        ),
        sa.Column("from_state", sa.String(16), nullable=False),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(160), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        _when("created_at", nullable=False),
    )
    op.create_index("ix_handoff_events_conversation", "handoff_events", ["conversation_id", "id"])
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column(
            "conversation_id",
            sa.Integer(),
            sa.ForeignKey("support_conversations.id"),
            nullable=False,
        ),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("order_ref", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source_msg_id", sa.String(255), nullable=False, unique=True),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        sa.UniqueConstraint("tenant", "number", name="uq_tickets_tenant_number"),
    )
    op.create_index("ix_tickets_conversation", "tickets", ["conversation_id"])
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=True),
        sa.Column("actor", sa.String(160), nullable=False),
        sa.Column("wamid", sa.String(255), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("dedupe_key", sa.String(320), nullable=True, unique=True),
        _when("created_at", nullable=False),
    )
    op.create_index("ix_ticket_events_ticket", "ticket_events", ["ticket_id", "id"])
    op.create_table(
        "agent_notes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "conversation_id",
            sa.Integer(),
            sa.ForeignKey("support_conversations.id"),
            nullable=False,
        ),
        sa.Column("author", sa.String(160), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _when("created_at", nullable=False),
    )
    op.create_index("ix_agent_notes_conversation", "agent_notes", ["conversation_id", "id"])


def downgrade() -> None:
    for index, table in (
        ("ix_agent_notes_conversation", "agent_notes"),
        ("ix_ticket_events_ticket", "ticket_events"),
        ("ix_tickets_conversation", "tickets"),
        ("ix_handoff_events_conversation", "handoff_events"),
        ("ix_support_conversations_chatwoot", "support_conversations"),
        ("ix_support_conversations_expiry", "support_conversations"),
        ("ix_support_conversations_queue", "support_conversations"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "agent_notes",
        "ticket_events",
        "tickets",
        "handoff_events",
        "support_conversations",
        "agents",
    ):
        op.drop_table(table)
    with op.batch_alter_table("wa_messages") as batch:
        batch.drop_column("author")
