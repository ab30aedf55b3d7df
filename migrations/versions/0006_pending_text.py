"""articles.pending_text: keep entries whose text has not arrived yet, and retry their page

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pending_text", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("page_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("next_page_attempt_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("page_error", sa.Text(), nullable=True))
        batch_op.create_index(
            "ix_articles_pending", ["pending_text", "next_page_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index("ix_articles_pending")
        batch_op.drop_column("page_error")
        batch_op.drop_column("next_page_attempt_at")
        batch_op.drop_column("page_attempts")
        batch_op.drop_column("pending_text")
