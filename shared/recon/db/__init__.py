"""Database access: the models, the engine and session, and migrations."""
