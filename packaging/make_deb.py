"""Makes the Debian package from the PyInstaller bundle:
/opt/paper-reader (the bundle), /usr/bin/paper-reader, the desktop entry, hicolor icons,
AppStream metainfo, the copyright file and the maintainer scripts in packaging/linux/.

    python packaging/make_deb.py --bundle dist/paper-reader --icons build/icons --out dist
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from reader import __version__
from reader.gui.app import APP_ID

HERE = Path(__file__).resolve().parent
LINUX = HERE / "linux"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def release_date() -> str:
    """The last commit's date (reproducible builds), else today."""
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%cs"], capture_output=True, text=True, cwd=HERE
        )
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except OSError:
        pass
    return datetime.now(UTC).date().isoformat()


def depends() -> str:
    lines = (LINUX / "depends.txt").read_text(encoding="utf-8").splitlines()
    return ", ".join(line for line in (s.strip() for s in lines) if line and line[0] != "#")


def fill(template: Path, **values: str) -> str:
    text = template.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    if re.search(r"@[A-Z_]+@", text):
        raise SystemExit(f"make_deb: {template.name} has an unfilled @FIELD@")
    return text


def install(src: Path, dest: Path, mode: int = 0o644) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    dest.chmod(mode)


def stage(root: Path, bundle: Path, icons: Path, date: str) -> None:
    shutil.copytree(bundle, root / "opt" / "paper-reader", symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / "paper-reader").symlink_to("/opt/paper-reader/paper-reader")
    share = root / "usr" / "share"
    install(LINUX / "paper-reader.desktop", share / "applications" / f"{APP_ID}.desktop")
    metainfo = share / "metainfo" / f"{APP_ID}.metainfo.xml"
    metainfo.parent.mkdir(parents=True)
    metainfo.write_text(
        fill(LINUX / "paper-reader.metainfo.xml", VERSION=__version__, DATE=date), encoding="utf-8"
    )
    hicolor = share / "icons" / "hicolor"
    install(
        HERE.parent / "resources" / "icons" / "paper-reader.svg",
        hicolor / "scalable" / "apps" / f"{APP_ID}.svg",
    )
    for size in ICON_SIZES:
        install(
            icons / f"paper-reader-{size}.png",
            hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png",
        )
    man = share / "man" / "man1" / "paper-reader.1.gz"
    man.parent.mkdir(parents=True)
    with gzip.GzipFile(man, "wb", mtime=0) as f:
        f.write((LINUX / "paper-reader.1").read_bytes())
    man.chmod(0o644)
    doc = share / "doc" / "paper-reader"
    install(LINUX / "copyright", doc / "copyright")
    changelog = (
        f"paper-reader ({__version__}) unstable; urgency=medium\n\n"
        f"  * Release {__version__}.\n\n"
        f" -- Paper Reader developers <maintainers@paper-reader.invalid>  "
        f"{datetime.fromisoformat(date).strftime('%a, %d %b %Y')} 00:00:00 +0000\n"
    )
    with gzip.GzipFile(doc / "changelog.gz", "wb", mtime=0) as f:
        f.write(changelog.encode())
    (doc / "changelog.gz").chmod(0o644)


def installed_size_kib(root: Path) -> int:
    total = 0
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += (path.stat().st_size + 1023) // 1024
    return total


def write_control(root: Path, arch: str) -> None:
    debian = root / "DEBIAN"
    debian.mkdir()
    size = installed_size_kib(root)
    control = fill(
        LINUX / "control",
        VERSION=__version__,
        ARCH=arch,
        INSTALLED_SIZE=str(size),
        DEPENDS=depends(),
    )
    (debian / "control").write_text(control, encoding="utf-8")
    for script in ("postinst", "postrm"):
        install(LINUX / script, debian / script, mode=0o755)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bundle", type=Path, required=True)
    parser.add_argument("--icons", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    root = Path("build") / "deb" / f"paper-reader_{__version__}_{arch}"
    shutil.rmtree(root.parent, ignore_errors=True)
    root.mkdir(parents=True)
    os.umask(0o022)
    stage(root, args.bundle, args.icons, release_date())
    write_control(root, arch)
    deb = args.out / f"paper-reader_{__version__}_{arch}.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root), str(deb)], check=True
    )
    print(f"make_deb: {deb} ({deb.stat().st_size / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
