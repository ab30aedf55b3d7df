"""article_sources.entry_hash: notice when a feed updates an entry it already sent

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("article_sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entry_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("article_sources", schema=None) as batch_op:
        batch_op.drop_column("entry_hash")
