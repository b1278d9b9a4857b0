"""The pure rules of carrying a plan over (no database): budget shares to the cent, dates at
their offsets, targets to confirm, and what the workspace no longer has."""

import uuid
from datetime import date
from decimal import Decimal

import pytest

from shared.errors import Invalid
from shared.rules.models import Condition
from shared.templates import blueprint, shares
from shared.templates.document import (
    TemplateBudgetLinePart,
    TemplateCampaignPart,
    TemplateDocument,
    TemplateGoalPart,
    TemplateMemberRef,
    TemplatePhasePart,
    TemplateRulePart,
    TemplateTaskPart,
)
from shared.templates.preview_schemas import (
    NewCampaignIn,
    NewCampaignPreviewOut,
    NewCampaignSourceOut,
)

D = Decimal
BRIEF = [D("150000"), D("80000"), D("450000"), D("120000"), D("100000")]  # 900,000
CATEGORIES = ["labour", "materials", "promotion_media", "third_party_services", "contingency"]


def test_the_same_total_gives_back_the_sources_amounts():
    assert shares.share_out(BRIEF, CATEGORIES, D("900000.00")) == BRIEF


def test_a_new_total_is_shared_exactly_the_remainder_to_the_largest_category():
    lines = shares.share_out(BRIEF, CATEGORIES, D("1200000.00"))
    assert lines == [D("200000"), D("106666.66"), D("600000.01"), D("160000"), D("133333.33")]
    assert sum(lines) == D("1200000.00")


def test_the_largest_category_may_hold_several_lines():
    amounts = [D("100"), D("300"), D("350"), D("250")]  # promotion: 100 + 350 = 450
    categories = ["promotion_media", "labour", "promotion_media", "contingency"]
    lines = shares.share_out(amounts, categories, D("100.00"))
    assert lines == [D("10.00"), D("30.00"), D("35.00"), D("25.00")]
    lines = shares.share_out(amounts, categories, D("0.07"))
    assert sum(lines) == D("0.07")
    assert lines[2] == max(lines)  # the largest line of the largest category took the rest
    assert min(lines) >= 0


@pytest.mark.parametrize("total", ["0.01", "1.00", "999999999999.99", "333333.33"])
def test_lines_always_add_up_and_never_turn_negative(total):
    lines = shares.share_out(BRIEF, CATEGORIES, D(total))
    assert sum(lines) == D(total)
    assert all(line >= 0 for line in lines)


MANAGER = uuid.UUID("01a2010c-5c6a-726e-a76a-f95b25ae53ba")
GONE = uuid.UUID("01a2010c-5c6a-726e-a76a-f95b25ae53bb")
LEAD = uuid.UUID("01a2010c-5c6a-726e-a76a-f95b25ae53bc")


def document() -> TemplateDocument:
    manager = TemplateMemberRef(id=MANAGER, name="Manager Wu")
    gone = TemplateMemberRef(id=GONE, name="Specialist Qian")
    return TemplateDocument(
        source_campaign_id=uuid.uuid4(),
        source_campaign_name="Summer skincare launch 2024",
        campaign=TemplateCampaignPart(
            kind="new_product_launch",
            background=None,
            objective_summary=None,
            target_audience=None,
            core_message=None,
            channels=[],
            channel_keys=["social_feed", "closed_channel"],
            tags=["2024 new product launch"],
            timezone="Asia/Shanghai",
            currency="CNY",
            owner=manager,
            duration_days=75,
        ),
        goals=[
            TemplateGoalPart(
                goal_type="brand_awareness",
                strategy=None,
                metric_key="search_volume",
                target_kind="relative_lift",
                direction="higher_is_better",
                reference_target=D("30"),
                reference_baseline=D("10000"),
                owner=gone,
                due_offset_days=75,
                notes=None,
            )
        ],
        budget_lines=[
            TemplateBudgetLinePart(
                category="promotion_media",
                reference_amount=D("450000"),
                note=None,
                channel_key="closed_channel",
                task_code=None,
            )
        ],
        phases=[
            TemplatePhasePart(
                name="burst",
                start_offset_days=31,
                duration_days=17,
                core_actions=None,
                executor=None,
                resources=None,
            )
        ],
        risks=[],
        tasks=[
            TemplateTaskPart(
                code="M-001",
                parent_code=None,
                level="task",
                name="Select 20 beauty KOCs",
                description=None,
                goal_index=0,
                phase_index=None,
                owner=gone,
                approver=gone,
                supporting_departments=[],
                start_offset_days=-3,
                end_offset_days=9,
                deliverable=None,
                priority="high",
                predecessors=[],
            )
        ],
        rules=[
            TemplateRulePart(
                name="Search volume 20% short",
                description=None,
                per_channel=True,
                condition="below_target",
                params={"metric": "search_volume", "percent": "20"},
                severity="warning",
                min_sample_metric=None,
                min_sample_count=None,
                hold_minutes=0,
                hold_evaluations=1,
                auto_resolve=True,
                clear_minutes=0,
                opens_issue=False,
                escalation_policy=None,
                labels={},
                enabled=True,
                template_key=None,
            )
        ],
        lessons=[],
    )


WORKSPACE = blueprint.Workspace(
    members={MANAGER: "Manager Wu", LEAD: "Lead Zhao"},
    metrics={"search_volume": False},
    channels={"social_feed"},
    policies={},
)
SOURCE = NewCampaignSourceOut(
    type="campaign", template_id=None, template_name=None, campaign_id=None, campaign_name="x"
)


def build(**request: object) -> NewCampaignPreviewOut:
    body = NewCampaignIn.model_validate({"name": "2025", "start_date": "2025-05-01"} | request)
    return blueprint.build(document(), body, WORKSPACE, SOURCE)


def test_dates_move_by_their_offsets_and_targets_are_to_confirm():
    plan = build()
    assert (plan.campaign.start_date, plan.campaign.end_date) == (
        date(2025, 5, 1),
        date(2025, 7, 15),
    )
    assert (plan.phases[0].start_date, plan.phases[0].end_date) == (
        date(2025, 6, 1),
        date(2025, 6, 18),
    )
    task = plan.tasks[0]
    assert (task.planned_start, task.planned_end) == (date(2025, 4, 28), date(2025, 5, 10))
    goal = plan.goals[0]
    assert (goal.target_value, goal.reference_target, goal.baseline_value) == (None, D("30"), None)
    assert goal.reference_baseline == D("10000")
    assert goal.due_date == date(2025, 7, 15)


def test_a_gone_owner_hands_tasks_to_the_campaign_owner_unless_reassigned():
    plan = build()
    assert (plan.tasks[0].owner_id, plan.tasks[0].approver_id, plan.goals[0].owner_id) == (
        MANAGER,
        None,
        None,
    )
    codes = [w.code for w in plan.warnings]
    assert codes == [
        "channel_not_in_workspace",
        "rule_channel_gone",
        "member_not_in_workspace",
        "targets_to_confirm",
    ]
    assert plan.rules[0].per_channel is True
    assert plan.campaign.channel_keys == ["social_feed"]
    assert plan.budget_lines[0].channel_key is None
    reassigned = build(reassign=[{"from_member_id": str(GONE), "to_member_id": str(LEAD)}])
    assert (reassigned.tasks[0].owner_id, reassigned.goals[0].owner_id) == (LEAD, LEAD)
    assert "member_not_in_workspace" not in [w.code for w in reassigned.warnings]


def test_a_task_nobody_can_take_over_is_refused_naming_reassign():
    ownerless = document()
    ownerless.campaign.owner = None
    body = NewCampaignIn(name="2025", start_date=date(2025, 5, 1))
    with pytest.raises(Invalid) as refused:
        blueprint.build(ownerless, body, WORKSPACE, SOURCE)
    assert [e.field for e in refused.value.errors] == ["reassign"]


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        ({"end_date": "2025-06-10"}, "end_date"),  # the burst phase ends 06-18
        ({"end_date": "2025-04-30"}, "end_date"),
        ({"total_budget": "100"}, None),
        ({"start_date": "2199-12-01"}, "start_date"),
        ({"owner_id": str(GONE)}, "owner_id"),
    ],
)
def test_what_cannot_be_carried_out_names_the_field(request_, field):
    if field is None:
        assert build(**request_).budget.total == D("100.00")
        return
    with pytest.raises(Invalid) as refused:
        build(**request_)
    assert [e.field for e in refused.value.errors] == [field]


@pytest.mark.parametrize(
    ("condition", "params", "metrics"),
    [
        # Parameters the rules no longer accept (a saved plan outlives a rules upgrade).
        ("below_target", {"metric": "search_volume"}, {"search_volume": False}),
        # A no-data rule on a metric that has since become derived: nothing is pushed for it.
        ("no_data", {"metric": "search_volume", "within_hours": 24}, {"search_volume": True}),
    ],
)
def test_a_rule_that_is_no_longer_valid_is_left_out_with_a_warning(condition, params, metrics):
    plan = document()
    plan.rules[0] = plan.rules[0].model_copy(
        update={"condition": Condition(condition), "params": params}
    )
    workspace = blueprint.Workspace(
        members=WORKSPACE.members, metrics=metrics, channels=WORKSPACE.channels, policies={}
    )
    body = NewCampaignIn(name="2025", start_date=date(2025, 5, 1))
    preview = blueprint.build(plan, body, workspace, SOURCE)
    assert preview.rules == []
    assert preview.counts.rules == 0
    (warning,) = [w for w in preview.warnings if w.code == "rule_not_valid"]
    assert (warning.ref, "Search volume 20% short" in warning.message) == ("rules.0", True)


def test_a_phase_the_source_had_outside_its_dates_is_kept_inside_with_a_warning():
    plan = document()
    plan.phases[0] = plan.phases[0].model_copy(update={"start_offset_days": 70})  # to day 87
    preview = blueprint.build(
        plan, NewCampaignIn(name="2025", start_date=date(2025, 5, 1)), WORKSPACE, SOURCE
    )
    phase = preview.phases[0]
    assert (phase.start_date, phase.end_date) == (date(2025, 7, 10), date(2025, 7, 15))
    assert ("phase_moved_inside", "phases.0") in [(w.code, w.ref) for w in preview.warnings]
