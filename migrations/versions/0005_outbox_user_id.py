"""outbox user_id: the account a message belongs to, as a foreign key instead of a header key

Until now a queued message named its account as "_account_id" inside its headers JSON, and
deleting the account had to find its mail by that key. A real column with ON DELETE CASCADE
lets the database do it. The upgrade moves every "_account_id" into the column (NULL where
that account no longer exists) and removes the key; the downgrade puts it back.

On SQLite, adding a foreign key rebuilds the table (batch mode), and dropping the old copy
with foreign keys on sets newsletter_deliveries.outbox_message_id to NULL (ON DELETE SET
NULL), which would lose the link account deletion follows to a newsletter issue; those links
are saved before the rebuild and restored after it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:30:00.000000

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

ACCOUNT_KEY = "_account_id"
BATCH = 1000

outbox = sa.table(
    "outbox_messages",
    sa.column("id", sa.Integer()),
    sa.column("headers", sa.JSON()),
    sa.column("user_id", sa.Integer()),
)
users = sa.table("users", sa.column("id", sa.Integer()))
deliveries = sa.table(
    "newsletter_deliveries",
    sa.column("id", sa.Integer()),
    sa.column("outbox_message_id", sa.Integer()),
)


@contextmanager
def _links_to_outbox_kept(connection):
    """Keep newsletter_deliveries.outbox_message_id through a SQLite table rebuild."""
    if connection.dialect.name != "sqlite":
        yield
        return
    links = [dict(delivery_id=d, message_id=m) for d, m in connection.execute(
        sa.select(deliveries.c.id, deliveries.c.outbox_message_id).where(deliveries.c.outbox_message_id.is_not(None))
    )]
    yield
    if links:
        connection.execute(
            deliveries.update().where(deliveries.c.id == sa.bindparam("delivery_id"))
            .values(outbox_message_id=sa.bindparam("message_id")),
            links,
        )


def _as_account_id(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _move_account_key_into_column(connection):
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(outbox.c.id, outbox.c.headers)
            .where(outbox.c.id > last_id, sa.cast(outbox.c.headers, sa.Text).like(f"%{ACCOUNT_KEY}%"))
            .order_by(outbox.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        last_id = rows[-1][0]
        changes = []
        for message_id, headers in rows:
            if not isinstance(headers, dict) or ACCOUNT_KEY not in headers:
                continue  # the text matched elsewhere (a header value)
            kept = {name: value for name, value in headers.items() if name != ACCOUNT_KEY}
            changes.append(dict(message_id=message_id, account=_as_account_id(headers[ACCOUNT_KEY]), kept=kept))
        named = {change["account"] for change in changes} - {None}
        existing = set(connection.execute(sa.select(users.c.id).where(users.c.id.in_(named))).scalars()) if named else set()
        for change in changes:
            if change["account"] not in existing:
                change["account"] = None  # its account is gone; its mail stays findable by address
        if changes:
            connection.execute(
                outbox.update().where(outbox.c.id == sa.bindparam("message_id"))
                .values(user_id=sa.bindparam("account"), headers=sa.bindparam("kept", type_=sa.JSON())),
                changes,
            )


def _move_column_into_account_key(connection):
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(outbox.c.id, outbox.c.headers, outbox.c.user_id)
            .where(outbox.c.id > last_id, outbox.c.user_id.is_not(None))
            .order_by(outbox.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        last_id = rows[-1][0]
        connection.execute(
            outbox.update().where(outbox.c.id == sa.bindparam("message_id"))
            .values(headers=sa.bindparam("with_key", type_=sa.JSON())),
            [dict(message_id=message_id, with_key={**(headers or {}), ACCOUNT_KEY: user_id})
             for message_id, headers, user_id in rows],
        )


def upgrade():
    connection = op.get_bind()
    with _links_to_outbox_kept(connection):
        with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
            batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_user_id_users'), 'users', ['user_id'], ['id'],
                                        ondelete='CASCADE')
            batch_op.create_index(batch_op.f('ix_outbox_messages_user_id'), ['user_id'], unique=False)
    _move_account_key_into_column(connection)


def downgrade():
    connection = op.get_bind()
    _move_column_into_account_key(connection)
    with _links_to_outbox_kept(connection):
        with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
            batch_op.drop_index(batch_op.f('ix_outbox_messages_user_id'))
            batch_op.drop_constraint(batch_op.f('fk_outbox_messages_user_id_users'), type_='foreignkey')
            batch_op.drop_column('user_id')
