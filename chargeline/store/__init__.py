"""Persistence: the schema, migrations, the group-commit writer and repositories."""
