"""Record the requester's scope with each run: it decides who else may see the run.

Runs started before this revision get their requester's scope as it is now (the closest record there is);
a run whose requester is unknown keeps NULL, which only its starter and admins may see.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("reign_runs", sa.Column("scope", sa.Text, nullable=True))
    op.execute("UPDATE reign_runs SET scope = (SELECT u.scope FROM reign_users u "
               "WHERE u.name = reign_runs.requested_by)")


def downgrade() -> None:
    with op.batch_alter_table("reign_runs") as batch:
        batch.drop_column("scope")
