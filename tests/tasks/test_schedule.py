"""The critical path method on the brief's task breakdown, M-001..M-004 (pure, no database).

The brief's plan (all 2024):

    M-001  select 20 beauty KOCs      05-01..05-10  (10 days)
    M-002  plan seeding content       05-11..05-15  ( 5 days)
    M-003  produce posts and videos   05-16..05-25  (10 days)  after M-002
    M-004  KOC publishing schedule    05-26..05-30  ( 5 days)  after M-001 and M-003

Worked by hand (days inclusive, finish-to-start: a successor starts the day after):

    forward   M-001 05-01..05-10, M-002 05-11..05-15, M-003 05-16..05-25,
              M-004 starts after the later of M-001 (05-10) and M-003 (05-25): 05-26..05-30
    finish    05-30
    backward  M-004 must finish 05-30, so start 05-26; M-003 and M-001 must finish the day
              before, 05-25: M-003 starts 05-16, M-001 (10 days) 05-16; M-002 must
              finish 05-15, start 05-11
    float     M-001 05-16 - 05-01 = 15 days; M-002, M-003, M-004 none: they are critical
"""

import uuid
from datetime import date

import pytest

from shared.graphs import find_cycle
from shared.tasks.schedule import CycleError, Edge, Node, Timing, compute

CODES = ("M-001", "M-002", "M-003", "M-004")
ID = {code: uuid.uuid5(uuid.NAMESPACE_URL, f"campaignops:task:{code}") for code in CODES}
CODE = {task_id: code for code, task_id in ID.items()}


def day(month: int, dom: int) -> date:
    return date(2024, month, dom)


BRIEF_DATES = {
    "M-001": (day(5, 1), day(5, 10)),
    "M-002": (day(5, 11), day(5, 15)),
    "M-003": (day(5, 16), day(5, 25)),
    "M-004": (day(5, 26), day(5, 30)),
}
BRIEF_LINKS = [("M-002", "M-003"), ("M-001", "M-004"), ("M-003", "M-004")]


def brief_plan(
    dates: dict[str, tuple[date, date]] | None = None,
    links: list[tuple[str, str]] | None = None,
    lags: dict[tuple[str, str], int] | None = None,
    phases: dict[str, tuple[date, date]] | None = None,
) -> tuple[list[Node], list[Edge]]:
    """The brief's M-001..M-004, with some dates, links, lags or phases changed."""
    planned = BRIEF_DATES | (dates or {})
    nodes = [Node(ID[code], *planned[code], phase=(phases or {}).get(code)) for code in CODES]
    edges = [
        Edge(ID[a], ID[b], (lags or {}).get((a, b), 0))
        for a, b in (BRIEF_LINKS if links is None else links)
    ]
    return nodes, edges


def timings(nodes: list[Node], edges: list[Edge]) -> dict[str, Timing]:
    return {CODE[k]: t for k, t in compute(nodes, edges).timings.items()}


def test_the_brief_plan_finishes_on_05_30_with_each_task_at_its_earliest_and_latest_dates():
    schedule = compute(*brief_plan())
    assert schedule.finish == day(5, 30)
    assert {CODE[k]: t for k, t in schedule.timings.items()} == {
        #        early start  early finish  late start   late finish  float
        "M-001": Timing(day(5, 1), day(5, 10), day(5, 16), day(5, 25), 15),
        "M-002": Timing(day(5, 11), day(5, 15), day(5, 11), day(5, 15), 0),
        "M-003": Timing(day(5, 16), day(5, 25), day(5, 16), day(5, 25), 0),
        "M-004": Timing(day(5, 26), day(5, 30), day(5, 26), day(5, 30), 0),
    }
    assert schedule.conflicts == []


def test_the_brief_critical_path_is_content_planning_production_then_publishing():
    schedule = compute(*brief_plan())
    assert [CODE[k] for k in schedule.critical_path] == ["M-002", "M-003", "M-004"]
    critical = {CODE[k] for k, t in schedule.timings.items() if t.critical}
    assert critical == {"M-002", "M-003", "M-004"}  # KOC selection can slip 15 days


def test_koc_selection_slipping_within_its_float_does_not_move_the_finish():
    # M-001 runs 15 days late, 05-16..05-25: it uses up its float and becomes critical.
    late = timings(*brief_plan({"M-001": (day(5, 16), day(5, 25))}))
    assert late["M-001"].total_float == 0
    assert late["M-004"].early_finish == day(5, 30)
    # One more day, 05-17..05-26, and publishing planning waits for it: 05-27..05-31.
    later = compute(*brief_plan({"M-001": (day(5, 17), day(5, 26))}))
    assert later.finish == day(5, 31)
    assert [CODE[k] for k in later.critical_path] == ["M-001", "M-004"]
    # The content chain now has a day to spare: M-003 may finish 05-26.
    assert later.timings[ID["M-003"]].total_float == 1
    assert later.timings[ID["M-003"]].late_finish == day(5, 26)


def test_a_review_lag_after_content_planning_pushes_the_chain_and_is_a_conflict():
    # Two days of review between M-002 and M-003: M-003 can start 05-15 + 1 + 2 = 05-18,
    # runs to 05-27; M-004 05-28..06-01. M-001 gains the same two days of float: 17.
    nodes, edges = brief_plan(lags={("M-002", "M-003"): 2})
    schedule = compute(nodes, edges)
    by_code = {CODE[k]: t for k, t in schedule.timings.items()}
    assert (by_code["M-003"].early_start, by_code["M-003"].early_finish) == (
        day(5, 18),
        day(5, 27),
    )
    assert (by_code["M-004"].early_start, by_code["M-004"].early_finish) == (
        day(5, 28),
        day(6, 1),
    )
    assert schedule.finish == day(6, 1)
    assert by_code["M-001"].total_float == 17
    # Only M-003 is planned against its link; M-004 follows by the schedule, not a conflict.
    assert [(CODE[c.task_id], c.code, c.other_task_id, c.message) for c in schedule.conflicts] == [
        ("M-003", "starts_before_predecessor_ends", ID["M-002"],
         "Planned to start 2024-05-16, before its predecessor ends (2024-05-15 + 2 days lag)."),
    ]  # fmt: skip


def test_production_planned_to_start_before_its_content_plan_is_done_is_a_conflict():
    # M-003 planned 05-14..05-23 while M-002 ends 05-15: the schedule starts it 05-16.
    nodes, edges = brief_plan({"M-003": (day(5, 14), day(5, 23))})
    schedule = compute(nodes, edges)
    assert [(CODE[c.task_id], c.code, c.other_task_id) for c in schedule.conflicts] == [
        ("M-003", "starts_before_predecessor_ends", ID["M-002"])
    ]
    assert schedule.timings[ID["M-003"]].early_start == day(5, 16)
    assert schedule.finish == day(5, 30)


def test_a_successor_may_start_the_day_after_but_not_the_day_its_predecessor_ends():
    one_day_gap = compute(*brief_plan())
    assert one_day_gap.conflicts == []  # M-003 starts 05-16, the day after M-002's 05-15
    same_day = compute(*brief_plan({"M-003": (day(5, 15), day(5, 24))}))
    assert [CODE[c.task_id] for c in same_day.conflicts] == ["M-003"]


def test_a_planned_start_is_kept_even_when_the_predecessors_finish_earlier():
    # Publishing planning is booked for 05-28..06-01, two days after production ends:
    # the plan is respected, the campaign ends 06-01 and the content chain has 2 days.
    schedule = compute(*brief_plan({"M-004": (day(5, 28), day(6, 1))}))
    by_code = {CODE[k]: t for k, t in schedule.timings.items()}
    assert schedule.finish == day(6, 1)
    assert by_code["M-004"].early_start == day(5, 28)
    assert {code: t.total_float for code, t in by_code.items()} == {
        "M-001": 17,
        "M-002": 2,
        "M-003": 2,
        "M-004": 0,
    }
    assert [CODE[k] for k in schedule.critical_path] == ["M-004"]  # nothing drives it


def test_two_chains_ending_together_are_both_critical():
    # KOC selection planned 05-01..05-25 (25 days): it ends with production.
    schedule = compute(*brief_plan({"M-001": (day(5, 1), day(5, 25))}))
    assert {CODE[k] for k, t in schedule.timings.items() if t.critical} == set(CODES)
    # The path shown is the longer driving chain.
    assert [CODE[k] for k in schedule.critical_path] == ["M-002", "M-003", "M-004"]


def test_a_one_day_task_lasts_its_day():
    # A sign-off on 05-10 only, after M-001 and before M-004.
    nodes, edges = brief_plan()
    sign_off = uuid.uuid5(uuid.NAMESPACE_URL, "campaignops:task:sign-off")
    nodes.append(Node(sign_off, day(5, 11), day(5, 11)))
    edges += [Edge(ID["M-001"], sign_off), Edge(sign_off, ID["M-004"])]
    schedule = compute(nodes, edges)
    assert schedule.timings[sign_off] == Timing(day(5, 11), day(5, 11), day(5, 25), day(5, 25), 14)
    assert schedule.conflicts == []


@pytest.mark.parametrize(
    ("window", "phases", "expected"),
    [
        # The campaign runs 05-01..05-28: publishing planning (to 05-30) runs past it.
        ((day(5, 1), day(5, 28)), {}, [("M-004", "outside_campaign")]),
        ((day(5, 5), None), {}, [("M-001", "outside_campaign")]),
        ((day(5, 1), day(5, 30)), {}, []),  # the bounds are inclusive
        # Preparation phase 05-01..05-20: production (to 05-25) spills out of it.
        (
            (None, None),
            {"M-002": (day(5, 1), day(5, 20)), "M-003": (day(5, 1), day(5, 20))},
            [("M-003", "outside_phase")],
        ),
    ],
)
def test_tasks_outside_their_phase_or_the_campaign_dates_are_conflicts(window, phases, expected):
    nodes, edges = brief_plan(phases=phases)
    schedule = compute(nodes, edges, window)
    assert [(CODE[c.task_id], c.code) for c in schedule.conflicts] == expected


def test_links_to_tasks_of_another_plan_are_ignored():
    nodes, edges = brief_plan()
    edges.append(Edge(uuid.uuid5(uuid.NAMESPACE_URL, "elsewhere"), ID["M-001"]))
    assert compute(nodes, edges).timings == compute(*brief_plan()).timings


def test_an_empty_plan_has_no_finish_and_no_critical_path():
    schedule = compute([], [])
    assert (schedule.finish, schedule.critical_path, schedule.timings) == (None, [], {})


# --- cycles ---------------------------------------------------------------------------------


def test_publishing_before_content_planning_makes_a_cycle_named_task_by_task():
    # M-004 -> M-002 closes M-002 -> M-003 -> M-004.
    nodes, edges = brief_plan(links=[*BRIEF_LINKS, ("M-004", "M-002")])
    with pytest.raises(CycleError) as error:
        compute(nodes, edges)
    assert [CODE[k] for k in error.value.cycle] == ["M-002", "M-003", "M-004", "M-002"]


@pytest.mark.parametrize(
    ("edges", "cycle"),
    [
        ([("M-002", "M-003"), ("M-003", "M-002")], ["M-002", "M-003", "M-002"]),
        ([("M-002", "M-002")], ["M-002", "M-002"]),  # a task after itself
        # A cycle away from the first link still found.
        ([("M-001", "M-004"), ("M-002", "M-003"), ("M-003", "M-002")],
         ["M-002", "M-003", "M-002"]),
    ],
)  # fmt: skip
def test_find_cycle_returns_the_loop_back_to_its_first_task(edges, cycle):
    assert find_cycle(edges) == cycle


@pytest.mark.parametrize(
    "edges",
    [
        BRIEF_LINKS,
        [],
        # Two ways into M-004 (a diamond) is not a cycle.
        [("M-001", "M-002"), ("M-001", "M-003"), ("M-002", "M-004"), ("M-003", "M-004")],
    ],
)
def test_find_cycle_finds_none_in_a_plan_that_only_moves_forward(edges):
    assert find_cycle(edges) is None
