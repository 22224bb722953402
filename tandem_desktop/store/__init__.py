"""Encrypted local storage: SQLCipher engine, key management, schema, the one write path and its outbox."""
