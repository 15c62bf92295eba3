"""The entry point PyInstaller freezes: the ``paper-reader`` command (window and CLI)."""

from reader.cli import main

raise SystemExit(main())
