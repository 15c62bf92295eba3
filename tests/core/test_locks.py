"""The inter-process file lock: exclusive and shared, waited for with a timeout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reader.core.locks import LockTimeout, file_lock


def test_an_exclusive_lock_keeps_out_every_other_holder(tmp_path: Path) -> None:
    path = tmp_path / "a.lock"
    with file_lock(path, timeout=1):
        assert path.exists()
        for shared in (False, True):
            with pytest.raises(LockTimeout, match=r"a\.lock"), file_lock(path, 0.1, shared=shared):
                pass
    with file_lock(path, timeout=0):  # let go at the end of the block
        pass


def test_shared_locks_go_together_and_keep_out_an_exclusive_one(tmp_path: Path) -> None:
    path = tmp_path / "imports.lock"
    with (
        file_lock(path, 1, shared=True),
        file_lock(path, 1, shared=True),
        pytest.raises(LockTimeout),
        file_lock(path, timeout=0),
    ):
        pass


def test_another_process_waits_for_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "index.lock"
    probe = (
        "import sys; from pathlib import Path\n"
        "from reader.core.locks import LockTimeout, file_lock\n"
        "try:\n"
        "    with file_lock(Path(sys.argv[1]), float(sys.argv[2])): print('got it')\n"
        "except LockTimeout: print('timed out')\n"
    )

    def other(timeout: float) -> str:
        run = subprocess.run(
            [sys.executable, "-c", probe, str(path), str(timeout)],
            capture_output=True,
            text=True,
            check=True,
        )
        return run.stdout.strip()

    with file_lock(path, timeout=1):
        assert other(0.2) == "timed out"
    assert other(0.2) == "got it"
