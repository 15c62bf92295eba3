"""Real storage trouble for tests: a small tmpfs (a disk that fills up) and a read-only
folder (a read-only bind mount as root, else a folder without write permission). Where the
machine refuses, the test skips and says why."""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


@contextlib.contextmanager
def small_disk(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` at ``path`` (root only); skips the test where that is refused."""
    if os.geteuid() != 0:
        pytest.skip("a full disk is simulated with a small tmpfs, which needs root")
    path.mkdir()
    mounted = _mount(
        "-t", "tmpfs", "-o", f"size={size}", f"paper-reader-{uuid.uuid4().hex}", str(path)
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        _umount(path)


def resize(path: Path, size: str) -> None:
    assert _mount("-o", f"remount,size={size}", str(path)).returncode == 0


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` read-only: a read-only bind mount as root, else no write permission."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")]}
        for p in modes:
            p.chmod(modes[p] & ~0o222)
        try:
            yield
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
        return
    bound = _mount("--bind", str(folder), str(folder))
    if bound.returncode != 0:
        pytest.skip(f"cannot bind-mount the library read-only here: {bound.stderr.strip()}")
    try:
        remounted = _mount("-o", "remount,ro,bind", str(folder))
        if remounted.returncode != 0:
            pytest.skip(f"cannot remount read-only here: {remounted.stderr.strip()}")
        yield
    finally:
        _umount(folder)
