"""The release workflow and the build scripts pass their linters (actionlint, shellcheck):
the Windows and macOS jobs cannot run here, so this is what checks them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip(f"{name} is not installed (packaging/bootstrap.sh --test installs it)")
    return found


def test_release_workflow_passes_actionlint_and_shellcheck():
    _tool("shellcheck")  # actionlint checks each run: script with it when it is on PATH
    done = subprocess.run(
        [_tool("actionlint"), ".github/workflows/release.yml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_packaging_shell_scripts_pass_shellcheck():
    linux = REPO / "packaging" / "linux"
    scripts = [*REPO.glob("packaging/**/*.sh"), REPO / ".ci" / "run", linux / "postinst"]
    scripts.append(linux / "postrm")
    done = subprocess.run(
        [_tool("shellcheck"), *map(str, scripts)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
