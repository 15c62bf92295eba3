"""The installer's size and the installed app's cold start.

    python benchmarks/bench_installer.py [--deb dist/paper-reader_*.deb] [--startup LIBRARY]

Prints JSON lines: the .deb's download size, its installed size and the biggest parts of the
bundle; with ``--startup``, the cold start of the installed ``/usr/bin/paper-reader`` to the
first painted window on LIBRARY (median of 5, via bench_gui.py's probe), and the same for this
checkout in the same run as the baseline.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_gui import startup  # noqa: E402

INSTALLED = Path("/usr/bin/paper-reader")
TARGET_INSTALLED_MB = 200


def sizes(deb: Path) -> dict[str, object]:
    installed_kib = int(
        subprocess.run(
            ["dpkg-deb", "-f", str(deb), "Installed-Size"], capture_output=True, text=True
        ).stdout
    )
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True).stdout
    parts: dict[str, int] = {}
    for line in listing.splitlines():
        fields = line.split(maxsplit=5)
        path = fields[5].split(" -> ")[0]
        if "/_internal/" in path:
            inside = path.split("/_internal/", 1)[1]
            top = inside.split("/", 1)[0] if "/" in inside else "(libraries)"
            parts[top] = parts.get(top, 0) + int(fields[2])
    biggest = sorted(parts.items(), key=lambda kv: -kv[1])[:8]
    return {
        "bench": "installer_size",
        "deb": deb.name,
        "download_mib": round(deb.stat().st_size / 2**20, 1),
        "installed_mib": round(installed_kib / 1024, 1),
        "target_installed_mb": TARGET_INSTALLED_MB,  # MiB like installed_mib (tests/installer)
        "within_target": installed_kib / 1024 <= TARGET_INSTALLED_MB,
        "biggest_parts_mib": {name: round(size / 2**20, 1) for name, size in biggest},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deb", type=Path, default=None)
    parser.add_argument("--startup", type=Path, metavar="LIBRARY", default=None)
    args = parser.parse_args()
    deb = args.deb or max(
        (ROOT / "dist").glob("paper-reader_*.deb"), key=lambda p: p.stat().st_mtime
    )
    print(json.dumps(sizes(deb)))
    if args.startup:
        installed = startup(args.startup, 5, [str(INSTALLED)])
        checkout = startup(args.startup, 5, [sys.executable, "-m", "reader"])
        installed["vs_checkout"] = round(installed["median_s"] / checkout["median_s"], 2)  # type: ignore[operator]
        print(json.dumps(checkout))
        print(json.dumps(installed))


if __name__ == "__main__":
    main()
