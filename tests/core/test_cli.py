"""The ``paper-reader`` command, run in-process (plus one real console-script run)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import bibtexparser
import pytest

from reader import __version__
from reader.cli import main
from reader.core.library import Library
from reader.core.schema import SCHEMA_VERSION
from tests.core.conftest import SEED_LISTINGS, SEED_PAPERS, seed_files

SNAPSHOT_LINES = [
    {
        "id": "2305.10601",
        "title": "Tree of Thoughts: Deliberate Problem Solving with Large Language Models",
        "abstract": "Language models are increasingly deployed for general problem solving.",
        "authors": "Shunyu Yao, Dian Yu, Jeffrey Zhao",
        "categories": "cs.CL cs.AI cs.LG",
        "doi": "10.48550/arXiv.2305.10601",
        "versions": [{"version": "v1", "created": "Wed, 17 May 2023 23:16:17 GMT"}],
    },
    {
        "id": "2106.09685",
        "title": "LoRA: Low-Rank Adaptation of Large Language Models",
        "abstract": "We propose Low-Rank Adaptation, which freezes the pretrained weights.",
        "authors": "Edward J. Hu, Yelong Shen",
        "categories": "cs.CL cs.LG",
        "versions": [{"version": "v1", "created": "Thu, 17 Jun 2021 17:37:18 GMT"}],
    },
]


@pytest.fixture(autouse=True)
def keep_sigterm() -> Iterator[None]:
    """``import`` installs a SIGTERM handler (the app's Cancel); give pytest its own back."""
    previous = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, previous)


def write_snapshot(path: Path, bad_line: bool = False) -> Path:
    lines = [json.dumps(line) for line in SNAPSHOT_LINES]
    if bad_line:
        lines.insert(1, '{"id": "2101.00002", "title": "Broken')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cli_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeds plus two arXiv records, imported through the CLI once per module."""
    folder = tmp_path_factory.mktemp("cli-library")
    snapshot = write_snapshot(folder.parent / f"{folder.name}-snapshot.jsonl")
    files = [str(p) for p in seed_files()] + [str(snapshot)]
    assert main(["--library", str(folder), "import", "--json", *files]) == 0
    return folder


@pytest.fixture
def private_library(cli_library: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "library"
    shutil.copytree(cli_library, folder)
    return folder


def run(capsys: pytest.CaptureFixture[str], library: Path, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--library", str(library), *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], library: Path, *args: str) -> object:
    code, out, err = run(capsys, library, *args, "--json")
    assert code == 0, err
    return json.loads(out)


# -- import --------------------------------------------------------------------------------------


def test_import_json_reports_counts_and_exits_0(capsys, tmp_path: Path):
    code, out, err = run(capsys, tmp_path / "lib", "import", "--json", *map(str, seed_files()))
    assert code == 0, err
    report = json.loads(out)
    assert report["added"] == SEED_PAPERS
    assert report["merged"] == 0
    assert report["unchanged"] == SEED_LISTINGS - SEED_PAPERS
    assert report["rejected"] == 0
    assert report["errors"] == []
    code, out, _ = run(capsys, tmp_path / "lib", "import", "--json", *map(str, seed_files()))
    assert code == 0
    assert json.loads(out)["added"] == 0


def test_import_with_rejected_records_exits_1_and_names_file_and_line(capsys, tmp_path: Path):
    snapshot = write_snapshot(tmp_path / "arxiv.jsonl", bad_line=True)
    code, out, _ = run(capsys, tmp_path / "lib", "import", "--json", str(snapshot))
    assert code == 1
    report = json.loads(out)
    assert (report["added"], report["rejected"]) == (2, 1)
    [error] = report["errors"]
    assert error["file"] == str(snapshot)
    assert error["line"] == 2
    assert error["message"]


def test_import_without_json_prints_a_summary_and_errors(capsys, tmp_path: Path):
    snapshot = write_snapshot(tmp_path / "arxiv.jsonl", bad_line=True)
    code, out, err = run(capsys, tmp_path / "lib", "import", str(snapshot))
    assert code == 1
    assert out.strip() == "added 2, merged 0, unchanged 0, rejected 1"
    assert f"{snapshot}, line 2" in err


def test_import_of_an_unknown_format_exits_2(capsys, tmp_path: Path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01\x02\x03 not a paper file")
    code, out, _ = run(capsys, tmp_path / "lib", "import", "--json", str(junk))
    assert code == 2
    report = json.loads(out)
    assert report["added"] == 0
    assert report["errors"][0]["file"] == str(junk)


def test_import_of_a_missing_file_exits_2_with_one_line(capsys, tmp_path: Path):
    missing = tmp_path / "nope.json"
    code, out, err = run(capsys, tmp_path / "lib", "import", str(missing))
    assert code == 2
    assert out == ""
    assert err.strip() == f"paper-reader: error: {missing}: no such file"


def test_import_of_a_folder_exits_2(capsys, tmp_path: Path):
    code, _, err = run(capsys, tmp_path / "lib", "import", str(tmp_path))
    assert code == 2
    assert err.count("\n") == 1


def test_import_json_progress_lines(capsys, tmp_path: Path):
    code, _, err = run(capsys, tmp_path / "lib", "import", "--progress", str(seed_files()[0]))
    assert code == 0
    lines = [json.loads(line) for line in err.splitlines()]
    assert lines and all("progress" in line for line in lines)
    assert lines[-1]["progress"]["stage"] == "indexing"


# -- search, show, stats -------------------------------------------------------------------------


def test_search_json_lists_hits_with_their_fields(capsys, cli_library: Path):
    hits = run_json(capsys, cli_library, "search", "large language models", "--limit", "5")
    assert isinstance(hits, list) and len(hits) == 5
    for hit in hits:
        assert set(hit) >= {
            "id", "arxiv_id", "title", "authors", "published", "score", "snippet"
        }  # fmt: skip
        assert isinstance(hit["id"], int) and isinstance(hit["authors"], list)
        assert "\x02" not in hit["snippet"] and "\x03" not in hit["snippet"]
    scores = [hit["score"] for hit in hits]
    assert scores == sorted(scores, reverse=True)


def test_search_json_finds_an_arxiv_id(capsys, cli_library: Path):
    hits = run_json(capsys, cli_library, "search", "arXiv:2106.09685v2")
    assert [h["arxiv_id"] for h in hits] == ["2106.09685"]
    assert hits[0]["published"] == "2021-06-17"


def test_search_text_output_reports_corrections(capsys, cli_library: Path):
    code, out, _ = run(capsys, cli_library, "search", "speculatve decodng")
    assert code == 0
    assert out.splitlines()[0] == "showing results for: speculative decoding"
    assert re.search(r"-- \d+ shown of about \d+ matches", out)


def test_search_with_no_results_says_so(capsys, cli_library: Path):
    code, out, _ = run(capsys, cli_library, "search", "qwxzzyq", "--mode", "keyword")
    assert (code, out.strip()) == (0, "no results")
    code, out, _ = run(capsys, cli_library, "search", "qwxzzyq")  # auto: also by meaning
    assert code == 0 and out.strip().splitlines() == [
        "(meaning search needs vectors: run paper-reader embed; papers sharing its words)",
        "no results",
    ]


def test_malformed_search_exits_0(capsys, cli_library: Path):
    code, out, _ = run(capsys, cli_library, "search", 'author:( OR "')
    assert code == 0
    code, out, _ = run(capsys, cli_library, "search", "*")
    assert code == 0 and "not understood" in out


SHOW_KEYS = {
    "id", "arxiv_id", "doi", "title", "abstract", "authors", "published", "categories",
    "tags", "bookmarked", "read", "notes", "listings",
}  # fmt: skip


def test_show_json_by_arxiv_id_and_by_integer_id(capsys, cli_library: Path):
    by_arxiv = run_json(capsys, cli_library, "show", "2305.10601v1")
    assert set(by_arxiv) >= SHOW_KEYS
    assert by_arxiv["arxiv_id"] == "2305.10601"
    assert by_arxiv["doi"] == "10.48550/arxiv.2305.10601"
    assert by_arxiv["authors"] == ["Shunyu Yao", "Dian Yu", "Jeffrey Zhao"]
    assert by_arxiv["categories"] == ["cs.CL", "cs.AI", "cs.LG"]
    assert by_arxiv["published"] == "2023-05-17"
    assert (by_arxiv["tags"], by_arxiv["bookmarked"], by_arxiv["read"]) == ([], False, False)
    by_id = run_json(capsys, cli_library, "show", str(by_arxiv["id"]))
    assert by_id == by_arxiv


def test_show_json_lists_page_listings(capsys, cli_library: Path):
    paper = run_json(capsys, cli_library, "show", "1")
    assert paper["arxiv_id"] is None and paper["abstract"]
    assert paper["listings"]
    assert all(set(li) >= {"source", "kind", "position", "listed_on"} for li in paper["listings"])
    assert {li["kind"] for li in paper["listings"]} == {"hf-page"}


def test_show_text_output(capsys, cli_library: Path):
    code, out, _ = run(capsys, cli_library, "show", "2106.09685")
    assert code == 0
    assert out.splitlines()[0] == "LoRA: Low-Rank Adaptation of Large Language Models"
    assert "Edward J. Hu, Yelong Shen" in out
    assert "We propose Low-Rank Adaptation" in out


@pytest.mark.parametrize("ref", ["999999", "2999.99999", "not-an-id"])
def test_show_of_a_missing_paper_exits_non_zero_with_one_line(capsys, cli_library: Path, ref):
    code, out, err = run(capsys, cli_library, "show", ref, "--json")
    assert code != 0
    assert out == ""
    assert err.startswith("paper-reader: error: ") and err.count("\n") == 1
    assert ref in err


def test_stats_json(capsys, cli_library: Path):
    stats = run_json(capsys, cli_library, "stats")
    assert set(stats) >= {"papers", "listings", "tags", "bookmarked", "indexed"}
    assert stats["papers"] == SEED_PAPERS + 2
    assert stats["listings"] == SEED_LISTINGS + 2  # a snapshot line is a listing too
    assert stats["indexed"] == stats["papers"]
    assert (stats["tags"], stats["bookmarked"]) == (0, 0)


# -- user state ----------------------------------------------------------------------------------


def test_tag_and_untag_change_show_and_search(capsys, private_library: Path):
    assert run(capsys, private_library, "tag", "2106.09685", "fine-tuning", "nlp/peft")[0] == 0
    paper = run_json(capsys, private_library, "show", "2106.09685")
    assert paper["tags"] == ["fine-tuning", "nlp/peft"]
    hits = run_json(capsys, private_library, "search", "tag:fine-tuning")
    assert [h["arxiv_id"] for h in hits] == ["2106.09685"]
    assert run_json(capsys, private_library, "stats")["tags"] == 2
    assert run(capsys, private_library, "untag", "2106.09685", "fine-tuning")[0] == 0
    assert run_json(capsys, private_library, "show", "2106.09685")["tags"] == ["nlp/peft"]
    assert run_json(capsys, private_library, "search", "tag:fine-tuning") == []


def test_bookmark_and_read_flags_change_show(capsys, private_library: Path):
    def state() -> tuple[bool, bool]:
        paper = run_json(capsys, private_library, "show", "3")
        return paper["bookmarked"], paper["read"]

    assert state() == (False, False)
    assert run(capsys, private_library, "bookmark", "3")[0] == 0
    assert state() == (True, False)
    assert run(capsys, private_library, "read", "3")[0] == 0
    assert state() == (True, True)
    assert run_json(capsys, private_library, "stats")["bookmarked"] == 1
    assert [h["id"] for h in run_json(capsys, private_library, "search", "is:bookmarked")] == [3]
    assert run(capsys, private_library, "unbookmark", "3")[0] == 0
    assert run(capsys, private_library, "unread", "3")[0] == 0
    assert state() == (False, False)


def test_help_names_each_flag_command_state(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = dict(re.findall(r"^ {4}(\w+) +mark a paper (.+)$", capsys.readouterr().out, re.M))
    assert listed == {
        "bookmark": "bookmarked",
        "unbookmark": "not bookmarked",
        "read": "read",
        "unread": "unread",
    }


def test_tagging_a_missing_paper_fails_cleanly(capsys, private_library: Path):
    code, _, err = run(capsys, private_library, "tag", "424242", "x")
    assert code == 2 and err.count("\n") == 1


# -- export --------------------------------------------------------------------------------------


def test_export_bibtex_parses_and_query_restricts_it(capsys, cli_library: Path, tmp_path: Path):
    out_file = tmp_path / "all.bib"
    assert run(capsys, cli_library, "export", "--format", "bibtex", "-o", str(out_file))[0] == 0
    everything = bibtexparser.parse_string(out_file.read_text(encoding="utf-8"))
    assert len(everything.entries) == SEED_PAPERS + 2
    assert not everything.failed_blocks
    code, out, _ = run(capsys, cli_library, "export", "--query", "low-rank adaptation")
    assert code == 0
    some = bibtexparser.parse_string(out)
    assert [e.fields_dict["title"].value.strip("{}") for e in some.entries] == [
        "LoRA: Low-Rank Adaptation of Large Language Models"
    ]


def test_export_csl_json_parses_and_query_restricts_it(capsys, cli_library: Path, tmp_path: Path):
    out_file = tmp_path / "all.json"
    args = ("export", "--format", "csl-json", "-o", str(out_file))
    assert run(capsys, cli_library, *args)[0] == 0
    everything = json.loads(out_file.read_text(encoding="utf-8"))
    assert len(everything) == SEED_PAPERS + 2
    code, out, _ = run(
        capsys, cli_library, "export", "--format", "csl-json", "--query", "cat:cs.AI"
    )
    assert code == 0
    assert [item["title"] for item in json.loads(out)] == [SNAPSHOT_LINES[0]["title"]]


def test_export_never_writes_into_the_library_folder(capsys, private_library: Path, tmp_path: Path):
    """``export -o LIBRARY/library.sqlite`` replaced the live database with BibTeX text."""
    database = private_library / "library.sqlite"
    before = database.read_bytes()
    link = tmp_path / "looks-elsewhere"
    link.symlink_to(private_library)
    for target in (database, private_library / "new.bib", link / "library.sqlite", link):
        code, _, err = run(capsys, private_library, "export", "--force", "-o", str(target))
        assert code == 2 and err.count("\n") == 1
        assert "inside the library folder" in err
    assert database.read_bytes() == before
    assert not (private_library / "new.bib").exists()
    assert run_json(capsys, private_library, "stats")["papers"] == SEED_PAPERS + 2


def test_export_replaces_an_existing_file_only_with_force(
    capsys, cli_library: Path, tmp_path: Path
):
    out_file = tmp_path / "mine.bib"
    out_file.write_text("my own notes\n")
    code, _, err = run(capsys, cli_library, "export", "-o", str(out_file))
    assert code == 2 and "already exists (use --force" in err
    assert out_file.read_text() == "my own notes\n"
    assert run(capsys, cli_library, "export", "--force", "-o", str(out_file))[0] == 0
    assert len(bibtexparser.parse_string(out_file.read_text()).entries) == SEED_PAPERS + 2
    assert [p.name for p in tmp_path.iterdir()] == ["mine.bib"]  # no temporary file left


# -- check and reindex ---------------------------------------------------------------------------


def test_check_exits_0_when_consistent_and_1_when_not(capsys, private_library: Path):
    code, out, _ = run(capsys, private_library, "check")
    assert code == 0 and out.strip().endswith("consistent")
    report = run_json(capsys, private_library, "check")
    assert report["consistent"] is True
    assert report["papers"] == report["indexed"] == SEED_PAPERS + 2
    conn = sqlite3.connect(private_library / "library.sqlite")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("DELETE FROM papers WHERE id = 4")
    conn.commit()
    conn.close()
    code, out, _ = run(capsys, private_library, "check", "--json")
    assert code == 1
    assert json.loads(out)["extra"] == [4]
    code, out, _ = run(capsys, private_library, "check")
    assert code == 1 and "NOT consistent" in out
    code, out, _ = run(capsys, private_library, "check", "--repair", "--json")
    assert code == 0 and json.loads(out)["consistent"] is True
    assert run(capsys, private_library, "check")[0] == 0


def test_reindex_rebuilds_the_index(capsys, private_library: Path):
    shutil.rmtree(private_library / "index")
    assert run(capsys, private_library, "check")[0] == 1
    code, out, _ = run(capsys, private_library, "reindex")
    assert code == 0
    assert out.strip() == f"indexed {SEED_PAPERS + 2:,} papers"
    assert run_json(capsys, private_library, "stats")["indexed"] == SEED_PAPERS + 2
    assert run(capsys, private_library, "check")[0] == 0


def test_a_library_from_a_newer_version_is_refused_without_traceback(capsys, tmp_path: Path):
    tmp_path.joinpath("lib").mkdir()
    conn = sqlite3.connect(tmp_path / "lib" / "library.sqlite")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    code, _, err = run(capsys, tmp_path / "lib", "stats")
    assert code == 2
    assert "upgrade" in err.lower() and err.count("\n") == 1


def test_debug_shows_the_traceback(tmp_path: Path):
    Library(tmp_path).close()  # an empty library (a missing one is refused before opening)
    with pytest.raises(LookupError):
        main(["--library", str(tmp_path), "--debug", "show", "12345"])


# -- the installed console script ----------------------------------------------------------------


def test_console_script_prints_the_version():
    script = Path(sys.executable).with_name("paper-reader")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "reader"]
    done = subprocess.run(
        [*command, "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"paper-reader {__version__}"


def test_output_into_a_closed_pipe_exits_141_without_a_message(cli_library: Path):
    """``paper-reader search … | head -1``: the reader left; that is not an error to report."""
    code = (
        "import os, sys; from reader.cli import main\n"
        "read_end, write_end = os.pipe(); os.close(read_end); os.dup2(write_end, 1)\n"
        "sys.stdout = open(1, 'w', buffering=1, closefd=False)  # each line written at once\n"
        f"sys.exit(main(['--library', {str(cli_library)!r}, 'search', 'model']))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (141, "")


@pytest.mark.skipif(not hasattr(os, "nice"), reason="POSIX priorities")
def test_background_lowers_the_cpu_priority_of_the_command(tmp_path: Path):
    """The window starts its imports and rebuilds with --background, so they yield the CPU."""
    Library.open(tmp_path).close()
    code = (
        "import os, sys; from reader.cli import main;"
        f" code = main(['--background', '--library', {str(tmp_path)!r}, 'stats', '--json']);"
        " print(os.nice(0), file=sys.stderr); sys.exit(code)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert int(done.stderr.strip().splitlines()[-1]) == min(19, os.nice(0) + 10)
    assert json.loads(done.stdout)["papers"] == 0


def test_a_keyword_search_loads_neither_the_related_papers_nor_multiprocessing(
    seed_library_dir: Path, tmp_path: Path
):
    """The CLI search is mostly start-up: what it does not use, it does not import."""
    folder = tmp_path / "lib"
    shutil.copytree(seed_library_dir, folder)
    code = (
        "import sys\n"
        "from reader.cli import main\n"
        f"code = main(['--library', {str(folder)!r}, 'search', 'speculatve decoding'])\n"
        "print(code, sorted(m for m in sys.modules if m.startswith("
        "('reader.core.related', 'reader.core.search.parallel', 'multiprocessing.pool'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "0 []"
