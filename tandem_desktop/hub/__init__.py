"""The central hub: HTTP API over PostgreSQL (SQLite for a one-machine trial). See sync/PROTOCOL.md."""
