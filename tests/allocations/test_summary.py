"""Money by channel and by work, from sums already read (no database).

The brief's budget: 1,000,000 CNY across labour, materials, promotion/media, third-party
services and a 10% contingency; its daily channel report gives social feed 35,000 of
sales and the offline store 32,000.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from shared.allocations.summary import channel_money, money_by_work
from shared.figures.series import evaluator
from shared.metrics.models import Metric
from shared.metrics.standard import STANDARD_METRICS
from shared.tasks.models import TaskLevel

STANDARD = {m["key"]: Metric(**m) for m in STANDARD_METRICS}
ROI = evaluator("roi", STANDARD)
D = Decimal


def test_expenses_recorded_for_a_channel_are_its_spend_and_its_roi_basis():
    social = channel_money(
        key="social_feed",
        name="Social feed",
        planned=D("290000.00"),
        expenses=D("35000.00"),
        pushed={"spend": D("34650.250000"), "revenue": D("182000.000000"), "gmv": D("182000")},
        roi=ROI,
    )
    assert social.spend_source == "expenses"
    assert social.figures.spent == D("35000.00")
    assert social.figures.remaining == D("255000.00")
    assert social.figures.burn_percent == D("12.07")
    assert social.pushed_spend == D("34650.25")  # shown beside, not counted
    assert social.roi == D("5.2000")  # 182,000 / 35,000 exactly: finance's money


def test_pushed_spend_counts_until_expenses_are_recorded():
    store = channel_money(
        key="offline_store",
        name="Offline store",
        planned=D("160000.00"),
        expenses=None,
        pushed={"spend": D("40000.004999"), "revenue": D("32000")},
        roi=ROI,
    )
    assert store.spend_source == "pushed"
    assert store.figures.spent == D("40000.00")  # to the cent
    assert store.roi == D("0.8000")
    assert store.gmv is None


def test_an_expense_of_zero_is_still_finance_speaking():
    channel = channel_money(
        key="tv",
        name="Television",
        planned=D("0.00"),
        expenses=D("0.00"),
        pushed={"spend": D("500"), "revenue": D("1000")},
        roi=ROI,
    )
    assert channel.spend_source == "expenses"
    assert channel.figures.spent == D("0.00")
    assert channel.figures.burn_percent is None  # nothing planned
    assert channel.roi is None  # revenue over no spend


def test_nothing_spent_anywhere_says_none():
    channel = channel_money(
        key="short_video",
        name="Short video",
        planned=D("50000.00"),
        expenses=None,
        pushed={},
        roi=ROI,
    )
    assert (channel.spend_source, channel.figures.spent, channel.roi) == ("none", D("0.00"), None)
    assert channel.figures.remaining == D("50000.00")


def test_roi_is_exact_and_rounded_half_up_to_four_decimals():
    channel = channel_money(
        key="social_feed",
        name="Social feed",
        planned=D("100.00"),
        expenses=D("30000.00"),
        pushed={"revenue": D("100001.50")},
        roi=ROI,
    )
    assert channel.roi == D("3.3334")  # 3.33338333...
    huge = channel_money(
        key="social_feed",
        name="Social feed",
        planned=D("0"),
        expenses=D("0.01"),
        pushed={"revenue": D("9999999999999999999999999.99")},
        roi=ROI,
    )
    assert huge.roi == D("999999999999999999999999999.0000")  # 31 digits, still exact


def test_without_roi_in_the_dictionary_there_is_none():
    channel = channel_money(
        key="social_feed",
        name="Social feed",
        planned=D("1.00"),
        expenses=D("1.00"),
        pushed={"revenue": D("5")},
        roi=None,
    )
    assert channel.roi is None
    assert channel.revenue == D("5.00")


@dataclass(frozen=True)
class Node:
    id: uuid.UUID
    parent_id: uuid.UUID | None
    code: str
    name: str
    level: TaskLevel


def node(code: str, level: TaskLevel, parent: Node | None = None) -> Node:
    ident = uuid.uuid5(uuid.NAMESPACE_URL, f"campaignops:task:{code}")
    return Node(ident, parent.id if parent else None, code, code.lower(), level)


def test_work_rolls_money_up_the_breakdown_in_breakdown_order():
    seeding = node("S-1", TaskLevel.strategy)
    content = node("M-1", TaskLevel.module, seeding)
    kocs = node("M-001", TaskLevel.task, content)
    posts = node("M-003", TaskLevel.task, content)
    schedule = node("M-004", TaskLevel.task, content)  # no money: not listed
    popup = node("S-2", TaskLevel.strategy)
    rows = money_by_work(
        [popup, posts, schedule, kocs, content, seeding],
        planned={kocs.id: D("60000.00"), posts.id: D("80000.00"), popup.id: D("120000.00")},
        spent={posts.id: D("12000.00"), content.id: D("500.00")},
    )
    assert [r.node.code for r in rows] == ["S-1", "M-1", "M-001", "M-003", "S-2"]
    by_code = {r.node.code: r for r in rows}
    assert by_code["S-1"].own.planned == D("0")
    assert (by_code["S-1"].rollup.planned, by_code["S-1"].rollup.spent) == (
        D("140000.00"),
        D("12500.00"),
    )
    assert (by_code["M-1"].own.spent, by_code["M-1"].rollup.spent) == (D("500.00"), D("12500.00"))
    assert by_code["M-003"].own.burn_percent == D("15.00")
    assert by_code["M-003"].rollup == by_code["M-003"].own
    assert by_code["S-2"].rollup.remaining == D("120000.00")
