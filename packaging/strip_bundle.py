"""Strips the symbol tables and debug info off the bundle's shared libraries (Linux), keeping
each stripped copy only if it still loads.

A pyenv-built Python leaves debug info in libpython and the stdlib's modules, tokenizers and
PDFium ship their symbol tables (together ~10 MB). ``strip --strip-unneeded`` keeps the
dynamic symbols a library is linked and loaded through. Libraries that patchelf rewrote for
their wheel (auditwheel) can come out of strip with a LOAD segment whose file offset no longer
matches its address (numpy's OpenBLAS: "ELF load command address/offset not page-aligned"):
such a copy, or one ldd cannot load, is thrown away and the original kept.

    python packaging/strip_bundle.py dist/paper-reader
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
from pathlib import Path


def run(*args: str | Path, env: dict[str, str] | None = None) -> str:
    out = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    return out.stdout if out.returncode == 0 else ""


def has_symbols(lib: Path) -> bool:
    sections = run("readelf", "-SW", lib)
    return bool(re.search(r"\]\s+(\.symtab|\.debug_\w+)\s", sections))


def loads_aligned(lib: Path) -> bool:
    """Every LOAD segment's file offset and address agree modulo its alignment."""
    for m in re.finditer(
        r"^\s+LOAD\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+\S+\s+\S+\s+\S+\s+.*0x([0-9a-f]+)$",
        run("readelf", "-lW", lib),
        re.MULTILINE,
    ):
        offset, vaddr, align = (int(g, 16) for g in m.groups())
        if align > 1 and (offset - vaddr) % align:
            return False
    return True


def ldd_loads(lib: Path, internal: Path) -> bool:
    out = subprocess.run(
        ["ldd", str(lib)],
        capture_output=True,
        text=True,
        env={**os.environ, "LD_LIBRARY_PATH": str(internal)},  # as the bootloader sets it
    )
    return out.returncode == 0 and "not found" not in out.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("bundle", type=Path, help="the one-folder bundle (dist/paper-reader)")
    args = parser.parse_args()
    internal = args.bundle / "_internal"
    saved, kept = 0, []
    # not the executable: PyInstaller appends its archive to it, which strip would cut off
    for lib in sorted(internal.rglob("*.so*")):
        if lib.is_symlink() or not lib.is_file() or not has_symbols(lib):
            continue
        stripped = lib.with_name(lib.name + ".stripped")
        shutil.copy2(lib, stripped)
        subprocess.run(["strip", "--strip-unneeded", str(stripped)], check=True)
        if loads_aligned(stripped) and ldd_loads(stripped, internal):
            saved += lib.stat().st_size - stripped.stat().st_size
            stripped.replace(lib)
        else:
            stripped.unlink()
            kept.append(lib.relative_to(internal).as_posix())
    print(f"strip_bundle: {saved / 2**20:.1f} MiB of symbols stripped")
    for name in kept:
        print(f"strip_bundle: kept {name} as it is (stripped, it no longer loads)")


if __name__ == "__main__":
    main()
