"""Client side of the hub protocol (see PROTOCOL.md beside this file): the only code that talks HTTP."""
