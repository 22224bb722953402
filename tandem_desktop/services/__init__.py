"""Use cases shared by the GUI and the CLI, so each piece of logic lives once."""
