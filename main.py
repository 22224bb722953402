"""Start the Tandem Desktop window: python main.py [--data-dir DOSSIER] [--passphrase-file FICHIER]."""

from tandem_desktop.app import main

raise SystemExit(main())
