"""Derived-metric formulas: how they parse, where their errors point, how they evaluate.

Pure: no database. The ratio-of-sums rule on CTR with a zero denominator is also in
tests/api/test_metric_dictionary.py (test_derived_values_are_ratios_of_aggregates_and_null_on_zero).
"""

from decimal import Decimal

import pytest

from shared.errors import Invalid
from shared.figures.series import base_keys, evaluator
from shared.metrics import formula
from shared.metrics.models import Aggregation, Metric, Unit
from shared.metrics.service import _check_formula
from shared.metrics.standard import STANDARD_METRICS

STANDARD_KEYS = {m["key"] for m in STANDARD_METRICS}
BASE_KEYS = {m["key"] for m in STANDARD_METRICS if "formula" not in m}
DERIVED = {m["key"]: m["formula"] for m in STANDARD_METRICS if "formula" in m}


def dictionary(*extra: Metric) -> dict[str, Metric]:
    """The standard dictionary as a workspace starts with it, plus `extra` metrics."""
    metrics = {m["key"]: Metric(**m) for m in STANDARD_METRICS}
    metrics.update({m.key: m for m in extra})
    return metrics


def derived(key: str, text: str) -> Metric:
    return Metric(key=key, name=key, unit=Unit.ratio, aggregation=Aggregation.average, formula=text)


def value_of(text: str, **values: int | str | None) -> Decimal | None:
    figures = {k: None if v is None else Decimal(v) for k, v in values.items()}
    return formula.evaluate(formula.parse(text), figures)


# --- parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("2 + 3 * 4", {}, 14),  # * before +
        ("(2 + 3) * 4", {}, 20),  # parentheses first
        # The brief's ROI 1:5.2 as a net return: (5,200 - 1,000) / 1,000 = 4.2.
        ("(revenue - spend) / spend", {"revenue": 5200, "spend": 1000}, Decimal("4.2")),
        # Left to right: (6,200,000 - 5,000,000) - 200,000; not 6,200,000 - 4,800,000.
        ("gmv - revenue - spend", {"gmv": 6_200_000, "revenue": 5_000_000, "spend": 200_000},
         1_000_000),
        # Left to right: (1,050 / 50,000) * 100 = 2.1 (the brief's CTR in percent).
        ("clicks / impressions * 100", {"clicks": 1050, "impressions": 50_000}, Decimal("2.1")),
        ("-spend + revenue", {"revenue": 32_000, "spend": 2_000}, 30_000),
        ("-(revenue - spend)", {"revenue": 1_000, "spend": 1_500}, 500),
        ("  gmv/orders  ", {"gmv": 35_000, "orders": 175}, 200),  # spaces are optional
    ],
)  # fmt: skip
def test_operators_follow_arithmetic_precedence_from_left_to_right(text, values, expected):
    assert value_of(text, **values) == expected


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("clicks /", "the formula ends too early", 8),
        ("", "the formula ends too early", 0),
        ("clicks / (impressions", "expected ')'", 21),
        ("clicks / impressions)", "unexpected ')'", 20),
        ("clicks $ impressions", "unexpected '$'", 7),
        ("clicks impressions", "unexpected 'impressions'", 7),
        ("clicks // impressions", "unexpected '/'", 8),
        ("Clicks / impressions", "unexpected 'C'", 0),  # keys are lower case
        ("clicks / 1.5.2", "unexpected '.'", 12),
        ("clicks * 1e3", "unexpected 'e3'", 10),  # no exponents: 1e3 is 1 then a key
    ],
)
def test_a_syntax_error_names_what_is_wrong_and_where_counting_from_zero(text, message, position):
    with pytest.raises(formula.FormulaError) as error:
        formula.parse(text)
    assert (error.value.message, error.value.position) == (message, position)
    assert str(error.value) == f"{message} at position {position}"


def test_references_name_every_metric_used_with_its_position():
    expression = formula.parse("(revenue - spend) / spend * 100")
    assert [(r.key, r.position) for r in formula.references(expression)] == [
        ("revenue", 1),
        ("spend", 11),
        ("spend", 20),
    ]
    assert formula.references(formula.parse("100 * 2")) == []  # numbers are not metrics


# --- evaluating -----------------------------------------------------------------------------


def test_no_clicks_on_shown_ads_is_a_ctr_of_zero_not_an_unknown():
    # 2,000 impressions in the offline store and not one click: 0%, a real figure.
    assert value_of("clicks / impressions", clicks=0, impressions=2000) == 0


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("-(clicks / impressions)", {"clicks": 5, "impressions": 0}),  # through a minus
        ("gmv / (orders - orders)", {"gmv": 35_000, "orders": 175}),  # a zero sub-expression
        ("(revenue - spend) / spend", {"revenue": 100, "spend": None}),  # missing input
        ("0 / 0", {}),
    ],
)
def test_a_value_that_cannot_be_computed_is_null_not_an_error(text, values):
    assert value_of(text, **values) is None


def test_a_derived_metric_of_a_derived_metric_is_computed_from_the_base_totals():
    # CTR in percent, defined over the standard CTR: the day's two channels of the brief,
    # social feed 1,050 clicks on 50,000 and offline store 0 on 2,000, give 1,050 / 52,000.
    metrics = dictionary(derived("ctr_percent", "ctr * 100"))
    assert base_keys("ctr_percent", metrics) == {"clicks", "impressions"}
    totals = {"clicks": Decimal(1050), "impressions": Decimal(52_000)}
    value = evaluator("ctr_percent", metrics)(totals)
    assert value == Decimal(1050) / Decimal(52_000) * 100
    assert value is not None
    assert round(value, 2) == Decimal("2.02")  # not the mean of 2.1% and 0%, 1.05%


# --- the formula a metric admin writes (checked against the dictionary) -------------------


def test_a_formula_over_known_metrics_including_derived_ones_is_accepted():
    _check_formula("net_roi", "(revenue - spend) / spend", dictionary())
    _check_formula("ctr_percent", "ctr * 100", dictionary())


def test_unknown_metrics_are_each_named_with_their_position():
    with pytest.raises(Invalid) as error:
        _check_formula("engagement", "(likes + shares) / impresions", dictionary())
    assert error.value.extras["position"] == 1
    assert error.value.detail == "Unknown metric 'likes' at position 1."
    assert [(e.field, e.code, e.message) for e in error.value.errors] == [
        ("formula", "unknown_metric", "unknown metric 'likes' at position 1"),
        ("formula", "unknown_metric", "unknown metric 'shares' at position 9"),
        ("formula", "unknown_metric", "unknown metric 'impresions' at position 19"),
    ]


def test_a_syntax_error_in_a_new_formula_is_refused_with_its_position():
    with pytest.raises(Invalid) as error:
        _check_formula("cpc", "spend / ", dictionary())
    assert error.value.extras["position"] == 8
    assert [(e.code, e.message) for e in error.value.errors] == [
        ("formula_syntax", "the formula ends too early at position 8")
    ]


def closed_loop(cycle: list[str]) -> set[str]:
    assert cycle[0] == cycle[-1], f"{cycle} does not come back to where it starts"
    return set(cycle)


def test_a_metric_defined_over_itself_is_a_cycle():
    with pytest.raises(Invalid) as error:
        _check_formula("gmv_growth", "gmv_growth + 1", dictionary())
    assert error.value.extras["cycle"] == ["gmv_growth", "gmv_growth"]
    assert [e.code for e in error.value.errors] == ["formula_cycle"]


def test_two_derived_metrics_defined_over_each_other_are_a_cycle():
    # ctr_percent = ctr * 100 exists; redefining ctr over it would never end.
    metrics = dictionary(derived("ctr_percent", "ctr * 100"))
    with pytest.raises(Invalid) as error:
        _check_formula("ctr", "ctr_percent / 100", metrics)
    assert closed_loop(error.value.extras["cycle"]) == {"ctr", "ctr_percent"}
    assert error.value.detail.startswith("The formula makes a cycle: ")


def test_redefining_a_derived_metric_is_checked_against_its_new_formula_only():
    # ctr's old formula is replaced, so it does not count as an edge of the graph.
    _check_formula("ctr", "clicks / impressions * 100", dictionary())


# --- the standard dictionary ----------------------------------------------------------------


def test_the_standard_dictionary_defines_each_metric_once():
    keys = [m["key"] for m in STANDARD_METRICS]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("key", sorted(DERIVED))
def test_every_standard_derived_metric_is_a_ratio_of_two_standard_base_metrics(key):
    # Base metrics only: a ratio of sums per period, the way every team computes it.
    expression = formula.parse(DERIVED[key])
    assert isinstance(expression, formula.BinOp)
    assert expression.op == "/"
    assert {r.key for r in formula.references(expression)} <= BASE_KEYS
    _check_formula(key, DERIVED[key], dictionary())


def test_the_brief_definitions_are_the_standard_formulas():
    assert DERIVED == {
        "ctr": "clicks / impressions",
        "conversion_rate": "conversions / clicks",  # buyers / clickers
        "roi": "revenue / spend",
        "cpa": "spend / conversions",
        "aov": "gmv / orders",
    }
    assert BASE_KEYS | set(DERIVED) == STANDARD_KEYS


def test_derived_values_are_ratios_of_aggregates_and_null_on_zero():
    ctr = formula.parse("clicks / impressions")
    # Two channels: 100/1,000 and 50/10,000. The campaign's CTR is 150 / 11,000, not the
    # average of 10% and 0.5%.
    value = formula.evaluate(ctr, {"clicks": Decimal(150), "impressions": Decimal(11000)})
    assert value == Decimal(150) / Decimal(11000)
    assert formula.evaluate(ctr, {"clicks": Decimal(5), "impressions": Decimal(0)}) is None
    assert formula.evaluate(ctr, {"clicks": Decimal(0), "impressions": Decimal(0)}) is None
    assert formula.evaluate(ctr, {"clicks": Decimal(5)}) is None
    mixed = formula.parse("(revenue - spend) / spend * 100")
    assert formula.evaluate(mixed, {"revenue": Decimal(520), "spend": Decimal(100)}) == 420
