"""`python -m tandem_desktop` runs the `tandem` command."""

from .cli import main

raise SystemExit(main())
