"""`python -m tandem_desktop.hub` runs the `tandem-hub` command."""

import sys

from .cli import main

sys.exit(main())
