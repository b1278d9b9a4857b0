"""Chart geometry for the pages, computed on the server: scales, ticks, SVG paths and bars.

Pure and deterministic: values in, coordinates out (pixels of an SVG viewBox, so the
browser scales the drawing to the page and to A4). Figures arrive as exact Decimals and
become floats only here, as coordinates; every number a reader sees is formatted from
the Decimal, never from a coordinate.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal

# Eight colours that stay apart for the common colour-vision deficiencies (Okabe-Ito),
# then the same again: a channel keeps its colour on every chart of a page.
PALETTE = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#d55e00",
    "#f0e442",
    "#000000",
)


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _f(value: Decimal | float | int) -> float:
    return float(value)


def _r(value: float) -> float:
    """Coordinates to 0.1 px: plenty for a chart, and short paths."""
    return round(value, 1)


@dataclass(frozen=True)
class Scale:
    """domain [d0, d1] -> range [r0, r1], linear; a flat domain maps to the range's start."""

    d0: float
    d1: float
    r0: float
    r1: float

    def __call__(self, value: float) -> float:
        if self.d1 == self.d0:
            return self.r0
        return self.r0 + (value - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)


def nice_step(span: float, count: int) -> float:
    """A round step (1, 2, 2.5 or 5 x 10^n) cutting `span` into about `count` parts."""
    if span <= 0 or count <= 0:
        return 1.0
    raw = span / count
    power: float = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0):
        if raw <= factor * power:
            return factor * power
    return 10.0 * power


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values covering [low, high], from a round number at or below `low`."""
    if high < low:
        low, high = high, low
    if high == low:
        high = low + 1 if low == 0 else low + abs(low)
    step = nice_step(high - low, count)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value < high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Frame:
    """The plot area inside a chart of width x height (margins for the axes' labels)."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int

    @property
    def x0(self) -> float:
        return float(self.left)

    @property
    def x1(self) -> float:
        return float(self.width - self.right)

    @property
    def y0(self) -> float:
        return float(self.height - self.bottom)  # the bottom of the plot (SVG y grows down)

    @property
    def y1(self) -> float:
        return float(self.top)


def date_ticks(start: date, end: date, scale: Scale, count: int = 6) -> list[Tick]:
    """About `count` days from start to end, evenly spaced in whole days, labelled MM-DD."""
    days = (end - start).days
    step = max(1, math.ceil(days / max(count - 1, 1))) if days else 1
    ticks = []
    day = start
    while day <= end:
        ticks.append(Tick(_r(scale((day - start).days)), day.strftime("%m-%d")))
        day += timedelta(days=step)
    return ticks


# --- lines over days -----------------------------------------------------------------------


@dataclass(frozen=True)
class LineSeries:
    key: str
    name: str
    points: Sequence[tuple[date, Decimal | None]]


@dataclass(frozen=True)
class Marker:
    x: float
    y: float


@dataclass(frozen=True)
class Line:
    key: str
    name: str
    colour: str
    d: str  # the SVG path; empty when the series has no value
    markers: list[Marker]  # values without a neighbour, which a path alone would not show
    values: int  # days with a value


@dataclass(frozen=True)
class LineChart:
    frame: Frame
    lines: list[Line]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    y_values: list[float]  # the tick values, for the caller to format as its unit reads


def _runs(
    points: Sequence[tuple[date, Decimal | None]], start: date, end: date, x: Scale, y: Scale
) -> list[list[tuple[float, float]]]:
    """The points as runs of consecutive values: a day without one breaks the line."""
    runs: list[list[tuple[float, float]]] = [[]]
    for day, value in sorted(points, key=lambda p: p[0]):
        if value is None or not start <= day <= end:
            runs.append([])
            continue
        runs[-1].append((_r(x((day - start).days)), _r(y(_f(value)))))
    return [run for run in runs if run]


def line_chart(
    series: Sequence[LineSeries],
    *,
    start: date,
    end: date,
    colours: dict[str, str],
    frame: Frame | None = None,
) -> LineChart:
    """One line per series over the days start..end; a day without a value breaks the line.
    The y axis starts at zero (or below it for negative figures)."""
    frame = frame or Frame(720, 220, 64, 16, 12, 28)
    if end < start:
        start, end = end, start
    x = Scale(0, max((end - start).days, 1), frame.x0, frame.x1)
    values = [_f(v) for s in series for _, v in s.points if v is not None]
    ticks = nice_ticks(min([0.0, *values]), max([0.0, *values]), 4)
    y = Scale(ticks[0], ticks[-1], frame.y0, frame.y1)
    lines: list[Line] = []
    for s in series:
        parts: list[str] = []
        markers: list[Marker] = []
        for run in _runs(s.points, start, end, x, y):
            if len(run) == 1:
                markers.append(Marker(*run[0]))
            else:
                parts.append("M" + " L".join(f"{px},{py}" for px, py in run))
        lines.append(
            Line(
                s.key,
                s.name,
                colours.get(s.key, colour(len(lines))),
                " ".join(parts),
                markers,
                sum(1 for _, v in s.points if v is not None),
            )
        )
    return LineChart(
        frame,
        lines,
        date_ticks(start, end, x),
        [Tick(_r(y(t)), "") for t in ticks],
        ticks,
    )


# --- horizontal bars -----------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    series: str  # what the bar shows: baseline, planned, spent...
    x: float
    y: float
    width: float
    height: float
    colour: str


@dataclass(frozen=True)
class BarGroup:
    key: str
    label: str
    y: float  # the group's label baseline
    bars: list[Bar]


@dataclass(frozen=True)
class BarChart:
    frame: Frame
    groups: list[BarGroup]
    x_ticks: list[Tick]
    x_values: list[float]
    legend: list[tuple[str, str]]  # (series, colour)


BAR_HEIGHT = 10
BAR_GAP = 3
GROUP_GAP = 14


def bar_chart(
    groups: Sequence[tuple[str, str, Sequence[Decimal | None]]],
    *,
    series: Sequence[tuple[str, str]],
    width: int = 720,
    left: int = 150,
    whole: bool = False,
) -> BarChart:
    """Groups of horizontal bars from zero: (key, label, one value per series) with
    `series` as (name, colour). A None value draws no bar; negatives are drawn as zero
    (money planned or spent is never negative). `whole`: counts, ticked in whole numbers."""
    per_group = len(series) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
    height = 8 + len(groups) * (per_group + GROUP_GAP) + 24
    frame = Frame(width, height, left, 16, 8, 24)
    values = [_f(v) for _, _, vs in groups for v in vs if v is not None]
    ticks = nice_ticks(0.0, max([0.0, *values]), 4)
    if whole and ticks[1] < 1:
        ticks = [float(n) for n in range(math.ceil(ticks[-1]) + 1)]
    x = Scale(0, ticks[-1], frame.x0, frame.x1)
    shown = []
    top = float(frame.top)
    for key, label, vs in groups:
        bars = []
        for index, ((name, tint), value) in enumerate(zip(series, vs, strict=True)):
            if value is None:
                continue
            y = top + index * (BAR_HEIGHT + BAR_GAP)
            length = max(x(max(_f(value), 0.0)) - frame.x0, 0.0)
            bars.append(Bar(name, frame.x0, _r(y), _r(length), BAR_HEIGHT, tint))
        shown.append(BarGroup(key, label, _r(top + per_group / 2 + 4), bars))
        top += per_group + GROUP_GAP
    return BarChart(
        frame,
        shown,
        [Tick(_r(x(t)), "") for t in ticks],
        ticks,
        list(series),
    )


# --- goal progress ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """A bar of `width` px: the share reached (capped at the bar, with `over` when beyond),
    and the pace line where the goal should be by today, when it has one."""

    width: int
    filled: float
    over: bool
    pace_x: float | None


def progress_bar(
    rate: Decimal | None, expected_rate: Decimal | None, *, width: int = 240
) -> Progress:
    """`rate`: % of the target reached; `expected_rate`: % it should have reached by now."""

    def at(percent: Decimal | None) -> float | None:
        if percent is None:
            return None
        return _r(min(max(_f(percent), 0.0), 100.0) / 100 * width)

    filled = at(rate)
    return Progress(width, filled or 0.0, rate is not None and rate > 100, at(expected_rate))


# --- the Gantt -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GanttInput:
    code: str
    name: str
    level: str
    start: date | None
    end: date | None
    progress: int
    critical: bool
    status: str


@dataclass(frozen=True)
class GanttBar:
    code: str
    name: str
    level: str
    y: float
    x: float | None  # None: the task has no dates to draw
    width: float
    done_width: float  # the share of the bar its progress covers
    critical: bool
    status: str


@dataclass(frozen=True)
class Gantt:
    frame: Frame
    bars: list[GanttBar]
    x_ticks: list[Tick]
    today_x: float | None
    row_height: int


GANTT_ROW = 22


def gantt(
    rows: Sequence[GanttInput],
    *,
    start: date | None,
    end: date | None,
    today: date,
    width: int = 720,
    left: int = 220,
) -> Gantt:
    """One row per task from start to end (inclusive days); the axis spans the campaign's
    dates and every task's, so a task outside the campaign still shows where it lies."""
    dated = [d for r in rows for d in (r.start, r.end) if d is not None]
    first = min([d for d in (start, *dated) if d is not None], default=today)
    last = max([d for d in (end, *dated) if d is not None], default=today)
    days = (last - first).days + 1
    frame = Frame(width, 26 + len(rows) * GANTT_ROW + 4, left, 12, 26, 4)
    x = Scale(0, days, frame.x0, frame.x1)
    bars = []
    for index, row in enumerate(rows):
        y = _r(frame.top + index * GANTT_ROW + 4)
        if row.start is None or row.end is None:
            bars.append(
                GanttBar(row.code, row.name, row.level, y, None, 0.0, 0.0, False, row.status)
            )
            continue
        x0 = x((row.start - first).days)
        x1 = x((row.end - first).days + 1)
        length = max(x1 - x0, 2.0)
        bars.append(
            GanttBar(
                row.code,
                row.name,
                row.level,
                y,
                _r(x0),
                _r(length),
                _r(length * min(max(row.progress, 0), 100) / 100),
                row.critical,
                row.status,
            )
        )
    ticks = [Tick(t.position, t.label) for t in date_ticks(first, last, x)]
    today_x = _r(x((today - first).days + 0.5)) if first <= today <= last else None
    return Gantt(frame, bars, ticks, today_x, GANTT_ROW)


# --- alerts and issues on a timeline --------------------------------------------------------------


@dataclass(frozen=True)
class Happening:
    kind: str  # alert or issue
    key: str
    label: str
    severity: str
    start: datetime
    end: datetime | None  # resolved; None while open


@dataclass(frozen=True)
class TimelineItem:
    kind: str
    key: str
    label: str
    severity: str
    y: float
    x: float
    width: float  # 0 for a point in time (an alert that never resolved shows to today)
    open: bool


@dataclass(frozen=True)
class Timeline:
    frame: Frame
    items: list[TimelineItem]
    x_ticks: list[Tick]
    now_x: float | None
    lanes: list[tuple[str, float]] = field(default_factory=list)  # (kind, y of its label)


TIMELINE_ROW = 16


@dataclass(frozen=True)
class DayOf:
    """A moment as (its local day, the share of that day gone) in one timezone."""

    zone: tzinfo

    def __call__(self, moment: datetime) -> tuple[date, float]:
        local = moment.astimezone(self.zone)
        seconds = local.hour * 3600 + local.minute * 60 + local.second
        return local.date(), seconds / 86400


def timeline(
    happenings: Sequence[Happening],
    *,
    start: date,
    end: date,
    now: datetime,
    zone_day: DayOf,
    width: int = 720,
    left: int = 96,
) -> Timeline:
    """Alerts and issues from when they fired or opened to when they resolved (or now,
    while open), one row each, over the campaign's days in its timezone."""
    days = (end - start).days + 1
    ordered = sorted(happenings, key=lambda h: (h.kind, h.start))
    frame = Frame(width, 30 + len(ordered) * TIMELINE_ROW + 8, left, 12, 26, 8)
    x = Scale(0, days, frame.x0, frame.x1)

    def position(moment: datetime) -> float:
        day, fraction = zone_day(moment)
        offset = (day - start).days + fraction
        return _r(min(max(x(offset), frame.x0), frame.x1))

    items = []
    lanes: list[tuple[str, float]] = []
    for index, h in enumerate(ordered):
        y = _r(frame.top + index * TIMELINE_ROW + 4)
        if not lanes or lanes[-1][0] != h.kind:
            lanes.append((h.kind, y))
        x0 = position(h.start)
        x1 = position(h.end if h.end is not None else now)
        items.append(
            TimelineItem(
                h.kind, h.key, h.label, h.severity, y, x0, max(x1 - x0, 0.0), h.end is None
            )
        )
    now_day, now_fraction = zone_day(now)
    inside = start <= now_day <= end
    return Timeline(
        frame,
        items,
        date_ticks(start, end, x),
        _r(x((now_day - start).days + now_fraction)) if inside else None,
        lanes,
    )
