"""The Linux installer as a user meets it: build the bundle and the .deb from this checkout
(packaging/build.sh), install it with apt, run the installed app, then remove it.

Runs where dpkg and apt-get exist and we are root (``.ci/run`` on Debian); skipped
elsewhere, or when PAPER_READER_SKIP_INSTALLER=1 for a quick local run. All tests of this
module run in order on one xdist worker (``--dist loadfile``), sharing one build.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader import __version__
from reader.gui.app import APP_ID
from tests.conftest import REPO, SEEDS

INSTALL_DIR = Path("/opt/paper-reader")
APP = Path("/usr/bin/paper-reader")
BUILD_TIMEOUT_S = 1800
DEFAULT_LIBRARY = Path(".local/share/paper-reader/library")  # under the user's home
# The installed size budget with the PDF reader inside, in MiB of dpkg's Installed-Size (the
# unit of benchmarks/bench_installer.py's installed_mib and the README's figures)
INSTALLED_BUDGET_MIB = 200


def _skip_reason() -> str | None:
    if os.environ.get("PAPER_READER_SKIP_INSTALLER") == "1":
        return "PAPER_READER_SKIP_INSTALLER=1"
    if not sys.platform.startswith("linux"):
        return "the .deb is built and tested on Linux only"
    for tool in ("dpkg-deb", "apt-get", "readelf", "strip", "ldd"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if os.geteuid() != 0:
        return "installing a .deb needs root"
    return None


pytestmark = [
    pytest.mark.installer,
    pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or ""),
]


def run(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 300):
    return subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def apt_get(*args: str) -> subprocess.CompletedProcess[str]:
    return run("apt-get", "-y", "-q", *args, env={"DEBIAN_FRONTEND": "noninteractive"})


def installed() -> bool:
    out = run("dpkg-query", "-W", "-f", "${Status}", "paper-reader")
    return out.returncode == 0 and "install ok installed" in out.stdout


@pytest.fixture(scope="module")
def deb() -> Path:
    """The .deb built from this checkout (PAPER_READER_DEB=path reuses one already built)."""
    if os.environ.get("PAPER_READER_DEB"):
        return Path(os.environ["PAPER_READER_DEB"]).resolve()
    out = run(REPO / "packaging" / "build.sh", timeout=BUILD_TIMEOUT_S)
    assert out.returncode == 0, (
        f"packaging/build.sh failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    )
    debs = sorted((REPO / "dist").glob(f"paper-reader_{__version__}_*.deb"))
    assert len(debs) == 1, f"expected one .deb in dist/, found {debs}"
    return debs[0]


@pytest.fixture(scope="module")
def package(deb: Path) -> Iterator[Path]:
    """The .deb installed through apt (so its Depends must resolve)."""
    if installed():
        assert apt_get("remove", "paper-reader").returncode == 0
    out = apt_get("install", str(deb.resolve()))
    assert out.returncode == 0, out.stdout + out.stderr
    yield deb
    if installed():
        apt_get("purge", "paper-reader")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user's home: the installed app's default library lands in it."""
    return tmp_path_factory.mktemp("home")


def as_user(home: Path, *args: str | Path, timeout: float = 300, **extra: str):
    """Run the installed app as a user whose home is ``home`` (default library and settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "PAPER_READER_"))}
    env.update({"HOME": str(home), "QT_QPA_PLATFORM": "offscreen", **extra})
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, env=env, timeout=timeout
    )


@pytest.fixture(scope="module")
def user_library(package: Path, home: Path) -> dict[str, object]:
    """A seed page imported by the installed app into the user's default library."""
    out = as_user(home, APP, "import", SEEDS / "000_b8207f4c8814c448.txt", "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_package_lays_out_the_app_its_entry_and_its_icons(deb: Path) -> None:
    fields = run("dpkg-deb", "-f", deb, "Package", "Version", "Depends").stdout
    assert "Package: paper-reader" in fields
    assert f"Version: {__version__}" in fields
    for library in ("libxcb-cursor0", "libxkbcommon-x11-0", "libegl1", "fonts-dejavu-core"):
        assert library in fields
    listing = run("dpkg-deb", "-c", deb).stdout
    for path in (
        "./opt/paper-reader/paper-reader",
        "./usr/bin/paper-reader -> /opt/paper-reader/paper-reader",
        f"./usr/share/applications/{APP_ID}.desktop",
        f"./usr/share/metainfo/{APP_ID}.metainfo.xml",
        f"./usr/share/icons/hicolor/scalable/apps/{APP_ID}.svg",
        f"./usr/share/icons/hicolor/256x256/apps/{APP_ID}.png",
        "./usr/share/doc/paper-reader/copyright",
        "./usr/share/man/man1/paper-reader.1.gz",
        "/_internal/resources/models/all-MiniLM-L6-v2/model.onnx",
        "/_internal/resources/sample/",
        "/_internal/pypdfium2_raw/libpdfium.so",
        "./opt/paper-reader/licenses/pyside6-essentials/",
        "./opt/paper-reader/licenses/pypdfium2/BUILD_LICENSES/pdfium.txt",
    ):
        assert path in listing, f"{path} missing from the package"


def test_the_package_stays_within_its_installed_size_budget(deb: Path) -> None:
    """Qt's ICU data trimmed, symbols stripped, base-system libraries from the system
    (packaging/build.sh, paper-reader.spec): 233.6 MiB before PDFium came in, 193.8 with it."""
    installed_mib = int(run("dpkg-deb", "-f", deb, "Installed-Size").stdout) / 1024
    assert installed_mib <= INSTALLED_BUDGET_MIB, (
        f"installed size {installed_mib:.1f} MiB is over the {INSTALLED_BUDGET_MIB} MiB budget"
        " (benchmarks/bench_installer.py lists the biggest parts)"
    )


def test_installs_with_apt_and_reports_its_version(package: Path) -> None:
    out = run(APP, "--version")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"paper-reader {__version__}"


def test_desktop_entry_and_appstream_metadata_validate(package: Path) -> None:
    desktop = Path(f"/usr/share/applications/{APP_ID}.desktop")
    metainfo = Path(f"/usr/share/metainfo/{APP_ID}.metainfo.xml")
    if shutil.which("desktop-file-validate"):
        out = run("desktop-file-validate", desktop)
        assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr
    if shutil.which("appstreamcli"):
        out = run("appstreamcli", "validate", "--no-net", metainfo)
        assert out.returncode == 0, out.stdout + out.stderr
    exec_line = re.search(r"^Exec=(\S+)", desktop.read_text(), re.MULTILINE)
    assert exec_line and shutil.which(exec_line.group(1)) == str(APP)


def test_installed_app_imports_a_seed_page_into_a_new_library(
    user_library: dict[str, object], home: Path
) -> None:
    assert user_library["added"] == 119 and user_library["rejected"] == 0
    assert (home / DEFAULT_LIBRARY / "library.sqlite").is_file()
    hits = json.loads(as_user(home, APP, "search", "speculative decoding", "--json").stdout)
    assert hits and "peculative" in (hits[0]["title"] + hits[0]["snippet"])


def test_installed_app_embeds_with_its_bundled_model(
    user_library: dict[str, object], home: Path
) -> None:
    out = as_user(home, APP, "embed", timeout=600)
    assert out.returncode == 0, out.stderr
    related = json.loads(as_user(home, APP, "related", "1", "--json").stdout)
    assert len(related) == 10
    check = as_user(home, APP, "check")
    assert check.returncode == 0 and "all-MiniLM-L6-v2" in check.stdout, check.stdout


def _checkout_modules() -> set[str]:
    """The ``reader`` modules of this checkout (what the build analysed), as import names."""
    files = run("git", "-C", REPO, "ls-files", "reader").stdout.split()
    names = set()
    for file in files:
        if file.endswith(".py") and not file.endswith("/__main__.py") and (REPO / file).is_file():
            parts = file[: -len(".py")].split("/")
            names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_installed_app_carries_pdfium_httpx_and_every_reader_module(
    package: Path, home: Path
) -> None:
    """packaging/bundle_check.py inside the installed app: every reader module imports (lazily
    imported ones too), PDFium renders a page and extracts its text into a QImage, httpx builds
    its TLS client, libsodium seals a sync file, Qt's trimmed ICU data still collates."""
    out = as_user(home, APP, "--bundle-check")
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert report["frozen"] and report["failed"] == {}, report["failed"]
    assert report["pdfium"] and report["httpx"] and report["pynacl"]
    assert report["collation"] == "icu"
    missing = _checkout_modules() - set(report["modules"])  # type: ignore[arg-type]
    assert not missing, f"modules missing from the bundle: {sorted(missing)}"


def _internet_connections(trace: Path) -> list[str]:
    """connect() calls to IPv4/IPv6 addresses in an strace log (local sockets are fine)."""
    return [
        line
        for line in trace.read_text().splitlines()
        if "connect(" in line and re.search(r"AF_INET6?\b", line)
    ]


@pytest.mark.parametrize("platform", ["offscreen", "xcb"])
def test_installed_app_passes_its_self_test_without_touching_the_network(
    user_library: dict[str, object], home: Path, tmp_path: Path, platform: str
) -> None:
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed (packaging/bootstrap.sh --test installs it)")
    extra = {"QT_QPA_PLATFORM": platform}
    xvfb = None
    if platform == "xcb":
        if shutil.which("Xvfb") is None:
            pytest.skip("Xvfb is not installed")
        read, write = os.pipe()
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            pass_fds=[write],
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as f:
            extra["DISPLAY"] = ":" + f.readline().strip()
    trace = tmp_path / "strace.log"
    try:
        out = as_user(
            home,
            strace,
            "-f",
            "-e",
            "trace=connect",
            "-o",
            trace,
            APP,
            "gui",
            "--self-test",
            **extra,
        )
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "self-test ok" in out.stdout and "with 10 related papers" in out.stdout, out.stdout
    assert _internet_connections(trace) == []


def _direct_needs(path: Path) -> list[str]:
    dynamic = run("readelf", "-d", path).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dynamic)


def _package_of(path: str) -> str | None:
    out = run("dpkg", "-S", path)
    if out.returncode != 0:  # /lib -> /usr/lib merged: dpkg knows one spelling
        other = path.replace("/usr/lib/", "/lib/", 1) if path.startswith("/usr") else "/usr" + path
        out = run("dpkg", "-S", other)
    return out.stdout.split(":", 1)[0].strip() if out.returncode == 0 else None


def _package_names(field: str) -> list[str]:
    """Package names in a Depends-style field ("a (>= 1), b | c:any")."""
    return [d.split()[0].split(":")[0] for d in re.split(r"[,|]", field) if d.strip()]


def _brought_in_by_depends() -> set[str]:
    """The .deb's Depends and everything they depend on, as installed here."""
    fields = "${Depends}, ${Pre-Depends}"
    todo = _package_names(run("dpkg-query", "-W", "-f", fields, "paper-reader").stdout)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        out = run("dpkg-query", "-W", "-f", fields, name)
        if out.returncode == 0:  # virtual packages have no entry of their own
            todo.extend(_package_names(out.stdout))
    return seen


def test_every_bundled_library_resolves_from_the_bundle_or_a_declared_dependency(
    package: Path,
) -> None:
    elves = [INSTALL_DIR / "paper-reader"] + [
        p for p in INSTALL_DIR.rglob("*.so*") if p.is_file() and not p.is_symlink()
    ]
    allowed = _brought_in_by_depends()
    bundle_path = {"LD_LIBRARY_PATH": str(INSTALL_DIR / "_internal")}  # as the bootloader sets
    problems = []
    for elf in elves:
        ldd = run("ldd", elf, env=bundle_path).stdout
        if "not found" in ldd:
            problems.append(
                f"{elf}: {[ln.strip() for ln in ldd.splitlines() if 'not found' in ln]}"
            )
            continue
        resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", ldd, re.MULTILINE))
        for needed in _direct_needs(elf):
            where = resolved.get(needed, "")
            if not where or where.startswith(str(INSTALL_DIR)):
                continue
            owner = _package_of(str(Path(where).resolve()))
            if owner not in allowed:
                problems.append(f"{elf.name} needs {needed} from {owner}, not in Depends")
    assert not problems, "\n".join(sorted(set(problems))[:30])


def test_bundled_libraries_carry_no_debug_info(package: Path) -> None:
    """build.sh strips what a pyenv-built Python leaves in (libpython alone: 23 -> 5 MB)."""
    with_debug = [
        lib.name
        for lib in INSTALL_DIR.rglob("*.so*")
        if lib.is_file() and ".debug_info" in run("readelf", "-S", lib).stdout
    ]
    assert with_debug == []


def test_removing_the_package_keeps_the_users_library(
    user_library: dict[str, object], home: Path
) -> None:
    library = home / DEFAULT_LIBRARY / "library.sqlite"
    with sqlite3.connect(library) as db:
        before = db.execute("select count(*) from papers").fetchone()[0]
    out = apt_get("purge", "paper-reader")
    assert out.returncode == 0, out.stdout + out.stderr
    assert not APP.exists() and not INSTALL_DIR.exists()
    with sqlite3.connect(library) as db:
        assert db.execute("select count(*) from papers").fetchone()[0] == before == 119
