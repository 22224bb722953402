"""Tandem Desktop: offline-first desktop tool for the counsellors of Tandem – le hub du mentorat."""

__version__ = "0.1.0"
