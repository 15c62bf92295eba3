"""Rewrites the ICU data library that PySide6's Qt carries (libicudata.so.NN, 31 MB) with only
the data QtCore uses ICU for in this app: collation (QCollator, the file dialog's sorting) and
the small core tables (normalisation, aliases, the root locale, supplemental data). Dropped:
character-set converters (Qt and Python decode text themselves), break-iterator dictionaries
(Qt finds word and line breaks with its own tables), each locale's display names for
languages, regions, currencies, units and time zones, transliteration and number spell-out.
QtCore links libicuuc/libicui18n, which need the library and its icudtNN_dat symbol, so it
stays, 26 MB lighter. ICU finds an item missing from the data as it does any missing item and
Qt falls back to its own code (case mapping, time-zone names, codecs).

    python packaging/trim_icu.py dist/paper-reader/_internal/PySide6/Qt/lib/libicudata.so.73

Needs binutils (readelf, nm, as, ld), as build.sh's strip step does.
"""

from __future__ import annotations

import argparse
import re
import struct
import subprocess
import tempfile
from pathlib import Path

# Item paths below the package name (icudt73l/...) that are kept.
KEEP_TREES = ("coll/",)
# Top-level items: every non-locale table is kept; per-locale bundles (en.res, de_AT.res ...)
# and converters (.cnv) are not.
LOCALE_BUNDLE = re.compile(r"[a-z]{2,3}(_[A-Za-z0-9]+)*\.res")
ALIGN = 16  # ICU's pkgdata aligns every item on 16 bytes


def keep(item: str) -> bool:
    """``item``: a name inside the package, without its "icudt73l/" prefix."""
    if "/" in item:
        return item.startswith(KEEP_TREES)
    return not (item.endswith(".cnv") or LOCALE_BUNDLE.fullmatch(item))


def read_symbol(lib: Path) -> tuple[str, bytes]:
    """The exported icudtNN_dat symbol's name and bytes (the common data package)."""
    syms = subprocess.run(
        ["nm", "-D", "-S", "--defined-only", str(lib)], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"^([0-9a-f]+) ([0-9a-f]+) R (icudt\d+_dat)$", syms, re.MULTILINE)
    if not found:
        raise SystemExit(f"trim_icu: no icudtNN_dat symbol in {lib}")
    addr, size, name = int(found[1], 16), int(found[2], 16), found[3]
    sections = subprocess.run(
        ["readelf", "-SW", str(lib)], capture_output=True, text=True, check=True
    ).stdout
    for m in re.finditer(r"\]\s+\S+\s+PROGBITS\s+([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+)", sections):
        start, offset, length = (int(g, 16) for g in m.groups())
        if start <= addr and addr + size <= start + length:
            with lib.open("rb") as f:
                f.seek(offset + addr - start)
                return name, f.read(size)
    raise SystemExit(f"trim_icu: {name} lies in no section of {lib}")


def trimmed(package: bytes) -> tuple[bytes, int, int]:
    """The package with only the kept items, and the counts of items before and after.

    Layout (ICU's ucmndata.h): a DataHeader of headerSize bytes, then a table of contents
    {count, {nameOffset, dataOffset} * count} whose offsets count from the table's start,
    the names (sorted: ICU looks items up by binary search), then the items."""
    header_size, magic = struct.unpack_from("<H2s", package)
    if magic != b"\xda\x27" or package[12:16] != b"CmnD" or package[4 + 4] != 0:
        raise SystemExit("trim_icu: not a little-endian ICU common data package")
    toc = package[header_size:]
    count = struct.unpack_from("<I", toc)[0]
    entries = [struct.unpack_from("<II", toc, 4 + 8 * i) for i in range(count)]
    items = []
    for i, (name_offset, data_offset) in enumerate(entries):
        name = toc[name_offset : toc.index(b"\0", name_offset)].decode("ascii")
        end = entries[i + 1][1] if i + 1 < count else len(toc)
        items.append((name, toc[data_offset:end]))
    prefix = items[0][0].split("/", 1)[0] + "/"
    kept = [(n, d) for n, d in items if n.startswith(prefix) and keep(n[len(prefix) :])]
    names = b"".join(n.encode("ascii") + b"\0" for n, _ in kept)
    table = 4 + 8 * len(kept)
    first = -(-(table + len(names)) // ALIGN) * ALIGN
    out_toc, blobs, offset, name_offset = [struct.pack("<I", len(kept))], [], first, table
    for name, data in kept:
        out_toc.append(struct.pack("<II", name_offset, offset))
        name_offset += len(name) + 1
        padded = data + b"\0" * (-len(data) % ALIGN)
        blobs.append(padded)
        offset += len(padded)
    body = b"".join(out_toc) + names
    body += b"\0" * (first - len(body)) + b"".join(blobs)
    return package[:header_size] + body, count, len(kept)


def soname(lib: Path) -> str:
    dynamic = subprocess.run(
        ["readelf", "-d", str(lib)], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"\(SONAME\)\s+Library soname: \[(.+?)\]", dynamic)
    return found[1] if found else lib.name


def link(symbol: str, package: bytes, lib_soname: str, out: Path) -> None:
    """A shared library exporting ``symbol`` = ``package`` (read-only, 16-byte aligned)."""
    with tempfile.TemporaryDirectory() as tmp:
        dat, asm, obj = Path(tmp, "data.dat"), Path(tmp, "data.s"), Path(tmp, "data.o")
        dat.write_bytes(package)
        asm.write_text(
            f"\t.section .rodata\n\t.balign {ALIGN}\n\t.globl {symbol}\n"
            f'\t.type {symbol}, @object\n{symbol}:\n\t.incbin "{dat}"\n'
            f"\t.size {symbol}, . - {symbol}\n"
            '\t.section .note.GNU-stack,"",@progbits\n'
        )
        subprocess.run(["as", "-o", str(obj), str(asm)], check=True)
        subprocess.run(
            ["ld", "-shared", "-soname", lib_soname, "-z", "noexecstack", "--build-id",
             "-o", str(out), str(obj)],
            check=True,
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("lib", type=Path, help="libicudata.so.NN, rewritten in place")
    args = parser.parse_args()
    lib: Path = args.lib
    symbol, package = read_symbol(lib)
    smaller, before, after = trimmed(package)
    new = lib.with_name(lib.name + ".trimmed")
    link(symbol, smaller, soname(lib), new)
    old_size = lib.stat().st_size
    new.chmod(lib.stat().st_mode)
    new.replace(lib)
    print(
        f"trim_icu: {lib.name}: {before} -> {after} items, "
        f"{old_size / 2**20:.1f} -> {lib.stat().st_size / 2**20:.1f} MiB"
    )


if __name__ == "__main__":
    main()
