"""Alembic environment: migrate the connection that StateStore hands over.

The store passes an open SQLAlchemy connection in ``config.attributes``, so no URL
(and no password inside one) is ever read from an ini file or written to a log.
"""

from alembic import context
from sqlalchemy.engine import Connection

from orgbridge.state.schema import metadata


def run_migrations_online() -> None:
    """Run the pending revisions on the connection supplied by the caller."""
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("the state migrations run only through StateStore")

    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()
