"""wa_messages: every inbound and outbound WhatsApp message

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wa_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("wamid", sa.String(255), nullable=True, unique=True),
        sa.Column("idempotency_key", sa.String(255), nullable=True, unique=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("wa_id", sa.String(32), nullable=False),
        sa.Column("message_type", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("context_wamid", sa.String(255), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error_title", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("provider_timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_wa_messages_session", "wa_messages", ["tenant_id", "wa_id", "created_at"])
    op.create_index("ix_wa_messages_status", "wa_messages", ["direction", "status"])


def downgrade() -> None:
    op.drop_index("ix_wa_messages_status", table_name="wa_messages")
    op.drop_index("ix_wa_messages_session", table_name="wa_messages")
    op.drop_table("wa_messages")
