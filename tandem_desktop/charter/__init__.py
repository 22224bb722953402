"""Charters: templates, rendering, the digital seal and its verification (no Qt here)."""
