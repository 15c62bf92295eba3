"""The kill tests' plan: when a run ends before its kill moment, the next moments come from
that faster run (a reference recorded on a busy machine made every moment too late)."""

from __future__ import annotations

import random
import sys

from tests.robustness.killing import KillMoment, KillPlan, Outcome, Timeline, run_and_kill

SLOW = Timeline(events=[0.1, 6.0], end=6.2)
FAST = Timeline(events=[0.1, 0.2], end=0.3)


def unkilled(timeline: Timeline) -> Outcome:
    return Outcome(False, 0, [], "", timeline)


def test_a_run_that_ended_first_makes_the_next_moments_fit_its_timeline():
    plan = KillPlan(SLOW, trials=20, rng=random.Random(1))
    moments = []
    for n, moment in plan:
        if n == 0:
            plan.record(unkilled(FAST))
        else:
            moments.append(moment)
    assert len(moments) == 59
    assert all(moment.delay <= 0.1 + 1e-9 for moment in moments)  # FAST's longest phase


def test_a_slower_unkilled_run_does_not_replace_the_timeline():
    plan = KillPlan(FAST, trials=1, rng=random.Random(1))
    plan.record(unkilled(SLOW))
    assert plan.timeline is FAST


def test_the_plan_stops_at_enough_kills_or_three_times_the_attempts():
    plan = KillPlan(FAST, trials=2, rng=random.Random(1))
    assert [n for n, _ in plan] == [0, 1, 2, 3, 4, 5]
    assert plan.shortfall() == "only 0 of 6 runs were killed before they ended"
    plan = KillPlan(FAST, trials=2, rng=random.Random(1))
    for _, _ in plan:
        plan.record(Outcome(True, -9, [], ""))
    assert plan.attempts == 2 and plan.shortfall() == ""


def test_a_run_that_ends_before_its_moment_reports_its_own_timeline():
    script = "import sys; print('step', file=sys.stderr, flush=True)"
    outcome = run_and_kill([sys.executable, "-c", script], KillMoment(1, 30.0), "step")
    assert not outcome.killed and outcome.timeline is not None
    assert len(outcome.timeline.events) == 1
    assert outcome.timeline.events[0] <= outcome.timeline.end < 30.0
