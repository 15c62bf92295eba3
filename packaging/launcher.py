"""The entry point PyInstaller freezes: the ``paper-reader`` command (window and CLI).

``paper-reader --bundle-check`` (the bundle only, for tests/installer) checks what the bundle
carries: packaging/bundle_check.py."""

import multiprocessing
import sys

# The index's worker processes are spawned copies of this executable: in one, this runs the
# worker's job and exits (PyInstaller's documented requirement for multiprocessing).
multiprocessing.freeze_support()

if sys.argv[1:] == ["--bundle-check"]:
    from bundle_check import main
else:
    from reader.cli import main

raise SystemExit(main())
