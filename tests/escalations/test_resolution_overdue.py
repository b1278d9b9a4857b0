"""What a policy says about an overdue resolution: read and checked without a database."""

import pytest

from shared.errors import Invalid
from shared.escalations import levels as lv


def test_a_policy_without_it_tells_nobody_and_the_manuals_default_is_valid():
    assert lv.parse_resolution_overdue(None) is None
    default = lv.parse_resolution_overdue(lv.DEFAULT_RESOLUTION_OVERDUE)
    assert default is not None
    assert lv.describe_targets(default) == "issue_owner, campaign_owner, final_approver"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"targets": []}, "resolution_overdue.targets"),
        ({"targets": [{"type": "role", "role": "intern"}]}, "resolution_overdue.targets.0.role"),
        ({"targets": [{"type": "endpoint"}]}, "resolution_overdue.targets.0"),
        ({"targets": [{"type": "role", "role": "issue_owner"}] * 21}, "resolution_overdue.targets"),
        ({"targets": [], "after_minutes": 5}, "resolution_overdue.after_minutes"),
    ],
)
def test_bad_input_names_the_field(raw, field):
    with pytest.raises(Invalid) as refused:
        lv.parse_resolution_overdue(raw)
    assert field in {e.field for e in refused.value.errors}


def test_issue_owner_is_a_role_for_alert_levels_too():
    [level] = lv.parse_levels(
        [{"after_minutes": 0, "targets": [{"type": "role", "role": "issue_owner"}]}]
    )
    assert lv.describe_targets(level) == "issue_owner"
