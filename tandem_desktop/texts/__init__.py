"""French wording shared by the window, the command line, exports and the charter (no Qt here)."""
