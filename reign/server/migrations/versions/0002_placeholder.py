"""Placeholder for the lead's revision 0002 (session tables), so that 0003 has its parent on this branch.

DELETE THIS FILE when merging: the lead's own 0002 replaces it (same revision id, "0002", revises "0001").

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
