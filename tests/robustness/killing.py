"""Running a command and SIGKILLing it at a chosen moment, reproducibly.

A *timeline* is what an uninterrupted run of the command reported: the time of each progress
line on stderr (from the start) and of its exit. A *kill moment* is "after the ``event``-th
progress line (0 = the start), wait ``delay`` seconds": it is picked from the timeline with a
seeded random generator, half of the time uniformly over the run's duration and half of the
time uniformly over its phases (so the short phases, such as a final index commit, are hit
as often as the long ones). Anchoring on events keeps the kills spread across the work even
when the machine is busier than it was during the reference run; when it is quieter, a run
can end before its moment, and a ``KillPlan`` then draws the next moments from that faster
run's own timeline.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = Path(__file__).with_name("launch_cli.py")
DEFAULT_TRIALS = 6  # what `pytest -n 2` runs; PAPER_READER_KILL_TRIALS=24 for the full run
DEFAULT_SEED = 20260601


def kill_trials(default: int = DEFAULT_TRIALS) -> int:
    return int(os.environ.get("PAPER_READER_KILL_TRIALS", default))


def kill_seed() -> int:
    return int(os.environ.get("PAPER_READER_KILL_SEED", DEFAULT_SEED))


def cli(
    *args: str, batch: int | None = None, chunk: int | None = None, sync_file: int | None = None
) -> list[str]:
    """``python -m reader ARGS``; with ``batch``/``chunk``/``sync_file``, the same CLI with
    smaller store batches / index chunks / sync change files (``launch_cli.py`` only changes
    those constants)."""
    if batch is None and chunk is None and sync_file is None:
        return [sys.executable, "-m", "reader", *args]
    sizes = [f"--batch={batch or 0}", f"--chunk={chunk or 0}", f"--sync-file={sync_file or 0}"]
    return [sys.executable, str(LAUNCHER), *sizes, "--", *args]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


@dataclass
class Timeline:
    events: list[float]  # seconds from the start to each progress line
    end: float  # seconds from the start to the exit
    lines: list[str] = field(default_factory=list)

    def phases(self) -> list[tuple[int, float]]:
        """(event to wait for, length of the phase after it), event 0 being the start."""
        marks = [0.0, *self.events, self.end]
        return [(i, max(marks[i + 1] - marks[i], 0.0)) for i in range(len(marks) - 1)]


@dataclass(frozen=True)
class KillMoment:
    event: int  # wait for this many progress lines (0: none)
    delay: float  # then this many seconds

    def describe(self) -> str:
        return f"{self.delay:.2f}s after progress line {self.event}"


def pick_moment(timeline: Timeline, n: int, rng: random.Random) -> KillMoment:
    """The ``n``-th kill moment: even ones uniform over time, odd ones over phases."""
    phases = timeline.phases()
    if n % 2 == 0:
        at = rng.uniform(0, sum(length for _, length in phases))
        event = 0
        while at > phases[event][1] and event < len(phases) - 1:
            at -= phases[event][1]
            event += 1
        return KillMoment(event, min(at, phases[event][1]))
    event, length = rng.choice(phases)
    return KillMoment(event, rng.uniform(0, length))


@dataclass
class Outcome:
    killed: bool  # False: the command finished before the kill moment
    returncode: int
    lines: list[str]  # progress lines seen before the kill
    stdout: str
    timeline: Timeline | None = None  # the whole run's, when it was not killed


class KillPlan:
    """Kill moments until ``trials`` runs were killed before they ended, from at most three
    times as many attempts. A run that ended before its moment was faster than the reference
    (the machine got quieter), so the next moments come from its own, shorter timeline."""

    def __init__(self, timeline: Timeline, trials: int, rng: random.Random) -> None:
        self.timeline, self.trials, self.rng = timeline, trials, rng
        self.attempts = self.killed = 0

    def __iter__(self) -> Iterator[tuple[int, KillMoment]]:
        while self.killed < self.trials and self.attempts < 3 * self.trials:
            attempt = self.attempts
            self.attempts += 1
            yield attempt, pick_moment(self.timeline, attempt, self.rng)

    def record(self, outcome: Outcome) -> None:
        self.killed += outcome.killed
        if outcome.timeline is not None and outcome.timeline.end < self.timeline.end:
            self.timeline = outcome.timeline

    def shortfall(self) -> str:
        """Empty when enough runs were killed, else what went wrong."""
        if self.killed == self.trials:
            return ""
        return f"only {self.killed} of {self.attempts} runs were killed before they ended"


class _Reader(threading.Thread):
    """Collects a pipe's lines (split at \\n or \\r) and when each arrived."""

    def __init__(self, stream: object, start: float) -> None:
        super().__init__(daemon=True)
        self.stream, self.start_time = stream, start
        self.lines: list[str] = []
        self.times: list[float] = []
        self.changed = threading.Condition()

    def run(self) -> None:
        # Each read returns what one flushed write held (progress lines are far shorter
        # than a pipe's atomic write size), so a trailing part without a newline is a
        # whole line too: "\rembedding: 64/70 papers" counts when it arrives.
        while chunk := self.stream.read1(65536):  # type: ignore[attr-defined]
            with self.changed:
                for line in chunk.replace(b"\r", b"\n").split(b"\n"):
                    if line.strip():
                        self.lines.append(line.decode(errors="replace"))
                        self.times.append(time.monotonic() - self.start_time)
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()


def _start(cmd: Sequence[str], cwd: Path | None) -> tuple[subprocess.Popen[bytes], _Reader]:
    start = time.monotonic()
    proc = subprocess.Popen(
        list(cmd),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env(),
        cwd=cwd,
        start_new_session=True,
    )
    reader = _Reader(proc.stderr, start)
    reader.start()
    return proc, reader


def record_timeline(cmd: Sequence[str], is_event: str, cwd: Path | None = None) -> Timeline:
    """Run ``cmd`` to the end; the stderr lines containing ``is_event`` are its events."""
    proc, reader = _start(cmd, cwd)
    start = time.monotonic()
    stdout = proc.stdout.read() if proc.stdout else b""  # type: ignore[union-attr]
    proc.wait()
    end = time.monotonic() - start
    reader.join()
    if proc.returncode not in (0, 1):
        raise AssertionError(f"reference run failed ({proc.returncode}): {reader.lines[-5:]}")
    events = [t for t, line in zip(reader.times, reader.lines, strict=True) if is_event in line]
    return Timeline(events, end, [stdout.decode(errors="replace"), *reader.lines])


def run_and_kill(
    cmd: Sequence[str], moment: KillMoment, is_event: str, cwd: Path | None = None
) -> Outcome:
    """Start ``cmd`` and SIGKILL its whole process group at ``moment``."""
    proc, reader = _start(cmd, cwd)
    out: list[bytes] = []
    drain = threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True)  # type: ignore[union-attr]
    drain.start()
    with reader.changed:
        while proc.poll() is None and sum(is_event in line for line in reader.lines) < moment.event:
            reader.changed.wait(0.05)
    deadline = time.monotonic() + moment.delay
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(min(0.001, max(deadline - time.monotonic(), 0)))
    killed = proc.poll() is None
    if killed:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    end = time.monotonic() - reader.start_time
    reader.join()
    drain.join()
    seen = [t for t, line in zip(reader.times, reader.lines, strict=True) if is_event in line]
    lines = [line for line in reader.lines if is_event in line]
    timeline = None if killed else Timeline(seen, end)
    return Outcome(killed, proc.returncode, lines, b"".join(out).decode(errors="replace"), timeline)


def run(cmd: Sequence[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(cmd), capture_output=True, text=True, env=child_env(), cwd=cwd, check=False
    )
