"""The entry point PyInstaller freezes: the ``paper-reader`` command (window and CLI).

``paper-reader --bundle-check`` (the bundle only, for tests/installer) checks what the bundle
carries: packaging/bundle_check.py."""

import sys

if sys.argv[1:] == ["--bundle-check"]:
    from bundle_check import main
else:
    from reader.cli import main

raise SystemExit(main())
