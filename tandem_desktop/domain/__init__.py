"""Entities, value rules and validation: plain Python, no Qt, no SQL (see DESIGN.md §2)."""
