"""hot-path keys that cluster: meter values unique by time, station and sample; one message-log index

Revision ID: 0005
Revises: 0004

Each commit wrote a page per meter value (a random content hash as the only unique key) and per
logged frame (an index on random message ids). A key that begins with the time lands a batch's
new samples on the last pages of its index; nothing looked meter values up by station alone.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meter_values", schema=None) as batch_op:
        batch_op.drop_constraint("uq_meter_values_dedupe_key", type_="unique")
        batch_op.drop_index("ix_meter_values_station")
        batch_op.alter_column("dedupe_key", existing_type=sa.String(length=64), type_=sa.String(length=255),
                              existing_nullable=False)
        batch_op.create_unique_constraint("uq_meter_values_timestamp_station_id_dedupe_key",
                                          ["timestamp", "station_id", "dedupe_key"])
    with op.batch_alter_table("message_log", schema=None) as batch_op:
        batch_op.drop_index("ix_message_log_message_id")


def downgrade() -> None:
    """Brings the dropped indexes back. Meter-value keys stay unique per time and station: keys
    written since the upgrade are not unique on their own, and the older code's hashes are."""
    with op.batch_alter_table("message_log", schema=None) as batch_op:
        batch_op.create_index("ix_message_log_message_id", ["station_id", "message_id"], unique=False)
    with op.batch_alter_table("meter_values", schema=None) as batch_op:
        batch_op.create_index("ix_meter_values_station", ["station_id", "timestamp"], unique=False)
