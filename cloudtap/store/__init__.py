"""The database: SQLAlchemy models, Alembic migrations, and the queries that need dialect
care (locks, upserts, SQLite vs PostgreSQL) or that two packages share."""
