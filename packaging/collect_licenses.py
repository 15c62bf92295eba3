"""Copies the licence files of every distribution the bundle carries (the app's run-time
dependencies, found by walking its requirements in the build venv) into BUNDLE/licenses/.

    python packaging/collect_licenses.py dist/paper-reader
"""

from __future__ import annotations

import re
import shutil
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

LICENCE_FILE = re.compile(r"(^|/)(licen[cs]e|copying|notice|authors)[^/]*$", re.IGNORECASE)
# PEP 639: a wheel's licence files under .dist-info/licenses/, in folders of their own
# (pypdfium2: PDFium's and each library built into it, BUILD_LICENSES/pdfium.txt ...)
LICENCE_DIR = re.compile(r"\.dist-info/licenses/(.+)$")


def runtime_distributions(root: str = "paper-reader") -> list[str]:
    """``root`` and everything it requires at run time (no extras), by canonical name."""
    seen: dict[str, None] = {}
    todo = [root]
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue  # an optional dependency this platform does not install
        seen[name] = None
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return list(seen)


def copy_licences(name: str, out: Path) -> int:
    dist = distribution(name)
    copied = 0
    for file in dist.files or []:
        inside = LICENCE_DIR.search(str(file))
        if inside or (LICENCE_FILE.search(str(file)) and not str(file).endswith(".py")):
            target = out / name / (inside[1] if inside else Path(str(file)).name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file.locate(), target)
            copied += 1
    if not copied:  # some wheels carry no licence file, only the metadata field
        licence = dist.metadata.get("License-Expression") or dist.metadata.get("License") or ""
        (out / name).mkdir(parents=True, exist_ok=True)
        (out / name / "LICENSE-METADATA.txt").write_text(
            f"{name} {dist.version}\nLicence (from the package metadata): {licence}\n",
            encoding="utf-8",
        )
    return copied


def main() -> None:
    out = Path(sys.argv[1]) / "licenses"
    shutil.rmtree(out, ignore_errors=True)
    names = runtime_distributions()
    for name in names:
        copy_licences(name, out)
    print(f"collect_licenses: licences of {len(names)} distributions in {out}")


if __name__ == "__main__":
    main()
