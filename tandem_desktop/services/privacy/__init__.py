"""What the GDPR asks of the personal data a profile keeps, as use cases the window and the CLI share.

- access.py: the right of access (article 15): everything held about one person, gathered in a
  `Dossier` (`collect`) and written as JSON, a French PDF and the signed charters (`write_dossier`);
- erasure (article 17) is a write, so it lives behind the one write door: `Records.erase`.
"""
