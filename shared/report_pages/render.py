"""HTML from the view models, with Jinja2: templates and stylesheet ship in this package.

Autoescaping is on for every template, so whatever a campaign's name or a note holds
(`<script>`, quotes, `{{ }}`) is shown as text. Numbers are formatted from their exact
Decimals, as the reports format them.
"""

import hashlib
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from shared.metrics.models import FRACTION_UNITS
from shared.report_pages.labels import Labels, Language
from shared.reports.render import number, percent

STYLESHEET = "pages.css"
ROI = "roi"  # the dictionary's revenue / spend, which the manuals write 1:X
PERCENT_POINTS = "percent_points"  # an axis of values already in % (achievement rates)


@cache
def stylesheet() -> tuple[str, bytes]:
    """The stylesheet's versioned name (its content's hash: cache it for good) and bytes."""
    content = resources.files("shared.report_pages").joinpath("static", STYLESHEET).read_bytes()
    digest = hashlib.sha256(content).hexdigest()[:12]
    return f"pages-{digest}.css", content


def _figure(value: Decimal | None, unit: str, key: str | None = None) -> str:
    """A metric's figure as its unit reads: fractions as percentages (0.021 -> 2.10%),
    and ROI as the manuals write it (5.2 -> 1:5.2)."""
    if value is None:
        return "-"
    if key == ROI:
        return "1:" + format(value.quantize(Decimal("0.01"), ROUND_HALF_UP).normalize(), "f")
    return percent(value * 100) if unit in FRACTION_UNITS else number(value)


def _axis(value: float, unit: str) -> str:
    """A tick label: short (12k, 1.5M), fractions as percentages."""
    if unit in FRACTION_UNITS:
        return f"{value * 100:g}%"
    if unit == PERCENT_POINTS:
        return f"{value:g}%"
    size = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:g}{suffix}"
    return f"{value:g}"


def _money(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _day(value: date | None) -> str:
    return "-" if value is None else value.isoformat()


def _moment(value: datetime | None, zone: Any = None) -> str:
    if value is None:
        return "-"
    return (value.astimezone(zone) if zone is not None else value).strftime("%Y-%m-%d %H:%M")


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("shared.report_pages", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,  # a misspelt field fails the test, not the reader
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        number=number,
        percent=percent,
        money=_money,
        figure=_figure,
        axis=_axis,
        day=_day,
        moment=_moment,
    )
    return env


def render(
    template: str,
    *,
    page: Any,
    language: Language,
    nav: list[tuple[str, str]],
    current: str,
    shared_link: bool,
    stylesheet_url: str,
) -> str:
    """The page as HTML. `nav` is (page name, its relative URL) for the navigation."""
    return (
        environment()
        .get_template(template)
        .render(
            page=page,
            t=Labels(language),
            lang="zh-CN" if language == "zh" else "en",
            nav=nav,
            current=current,
            shared_link=shared_link,
            stylesheet_url=stylesheet_url,
        )
    )
