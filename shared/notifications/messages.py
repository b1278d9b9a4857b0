"""What a chat message says, decided once for every chat format (slack, feishu, dingtalk,
wecom); the formats only write it in their service's JSON and markdown dialect.

`message(kind, payload)` reads a delivery's stored payload. A payload carrying a one-line
`title` and a markdown `text` (the scheduled reports, `report.daily` / `report.weekly`) is
shown as that title and that markdown; any other event as today's one-line summary with
its facts (campaign, channel, value, threshold...) and, for an escalation's group, the
list of its alerts. Slack reads English; the teams on Feishu, DingTalk and WeCom read
Chinese labels (what the payload itself says is shown as written).

The markdown given is the common one (`# heading`, `**bold**`, `[text](url)`, `- item`,
`> quote`, `| table |`); `dialect()` rewrites it for a service, which never renders tables
in these messages: a table becomes one list item per row (`- **first cell** · header:
cell · ...`), readable on a phone. `truncate_utf8()` keeps a text within a byte budget
without cutting a character in two.
"""

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from shared.config import get_settings
from shared.events import kinds

Language = Literal["en", "zh"]
TEST_KIND = "test"
ELLIPSIS = "…"
TITLE_BYTES = 300  # a title stays one short line in every service's preview
LINE_SLACK = 300  # truncating gives back up to this many characters to end on a whole line

# kind -> (English, Chinese)
_TITLES: dict[str, tuple[str, str]] = {
    kinds.ALERT_FIRED: ("Alert firing", "告警触发"),
    kinds.ALERT_ACKNOWLEDGED: ("Alert acknowledged", "告警已确认"),
    kinds.ALERT_RESOLVED: ("Alert resolved", "告警已解除"),
    kinds.ALERT_ESCALATED: ("Alert escalated", "告警升级"),
    kinds.ISSUE_CREATED: ("Issue opened", "问题已登记"),
    kinds.ISSUE_SLA_BREACHED: (
        "Issue without an action plan past its deadline",
        "问题超时未给出解决方案",
    ),
    kinds.ISSUE_RESOLUTION_OVERDUE: ("Issue not resolved in time", "问题超时未解决"),
    kinds.TASK_OVERDUE: ("Task overdue", "任务逾期"),
    kinds.TASK_ASSIGNED: ("Task assigned", "任务已分派"),
    kinds.TASK_DUE_SOON: ("Task due soon", "任务即将到期"),
    kinds.TASK_SUBMITTED_FOR_REVIEW: ("Task submitted for review", "任务已提交验收"),
    kinds.TASK_RETURNED: ("Task returned", "任务被退回"),
    kinds.CAMPAIGN_SUBMITTED: ("Campaign submitted for approval", "活动已提交审批"),
    kinds.CAMPAIGN_APPROVED: ("Campaign approved", "活动审批通过"),
    kinds.CAMPAIGN_REJECTED: ("Campaign rejected", "活动审批被驳回"),
    kinds.CAMPAIGN_ACTIVATED: ("Campaign activated", "活动已启动"),
    kinds.CAMPAIGN_COMPLETED: ("Campaign completed", "活动已结束"),
    kinds.CAMPAIGN_EVALUATED: ("Campaign evaluation finalised", "活动效果评估已定稿"),
    kinds.CAMPAIGN_SETTLED: ("Campaign expenses settled", "活动费用已结算"),
    kinds.CAMPAIGN_ARCHIVED: ("Campaign archived", "活动已归档"),
    kinds.CHANGE_REQUEST_SUBMITTED: ("Change request submitted", "变更申请已提交"),
    kinds.CHANGE_REQUEST_APPROVED: ("Change request approved", "变更申请已批准"),
    kinds.CHANGE_REQUEST_REJECTED: ("Change request rejected", "变更申请被驳回"),
    kinds.CHANGE_REQUEST_APPLIED: ("Change request applied", "变更已生效"),
    kinds.REPORT_DAILY: ("Daily report", "日报"),
    kinds.REPORT_WEEKLY: ("Weekly report", "周报"),
    TEST_KIND: ("Test notification", "测试通知"),
}
# Chinese full-width punctuation, written as escapes (ruff would take them for look-alikes).
OPEN, CLOSE, COLON = "\uff08", "\uff09", "\uff1a"
_SEVERITIES = {"info": "提示", "warning": "警告", "critical": "严重"}
# payload key -> (English label, Chinese label): the facts shown, in this order.
_FACTS = (
    ("severity", "Severity", "级别"),
    ("campaign_name", "Campaign", "活动"),
    ("channel", "Channel", "渠道"),
    ("value", "Value", "当前值"),
    ("threshold", "Threshold", "阈值"),
    ("status", "Status", "状态"),
    ("escalation_level", "Escalation level", "升级级别"),
)
_LINK_TEXT = {"en": "Open in campaignops", "zh": "在 campaignops 中查看"}
_COLLECTIONS = {
    "alert": "alerts",
    "issue": "issues",
    "task": "tasks",
    "campaign": "campaigns",
    "report": "reports",
}


@dataclass(frozen=True)
class Message:
    title: str  # one line, plain text, with the severity when there is one
    severity: str | None
    facts: tuple[tuple[str, str], ...]  # (label, value), plain text
    body: str  # common markdown (a report's text, an escalation's alerts); may be empty
    link: str | None
    link_text: str  # names campaignops, so a bot's keyword check can ask for that word


def subject_link(subject_type: str | None, subject_id: Any, campaign_id: Any = None) -> str | None:
    """The subject in the API, under PUBLIC_BASE_URL (None for what has no address)."""
    if not subject_id:
        return None
    base = get_settings().public_base_url.rstrip("/")
    if subject_type == "change_request" and campaign_id:
        return f"{base}/v1/campaigns/{campaign_id}/change-requests/{subject_id}"
    collection = _COLLECTIONS.get(str(subject_type))
    return None if collection is None else f"{base}/v1/{collection}/{subject_id}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def summary(kind: str, payload: dict[str, Any], language: Language = "en") -> str:
    """One line a person understands: what happened, to what."""
    english, chinese = _TITLES.get(kind, (kind, kind))
    what = str(payload.get("message") or payload.get("title") or payload.get("campaign_name") or "")
    severity = str(payload.get("severity") or "")
    campaign = payload.get("campaign_name")
    if language == "zh":
        prefix = f"【{_SEVERITIES.get(severity, severity)}】" if severity else ""
        where = f"{OPEN}{campaign}{CLOSE}" if campaign and campaign != what else ""
        line = f"{prefix}{chinese}{COLON}{what}{where}" if what else f"{prefix}{chinese}{where}"
    else:
        prefix = f"[{severity}] " if severity else ""
        where = f" ({campaign})" if campaign and campaign != what else ""
        line = f"{prefix}{english}: {what}{where}" if what else f"{prefix}{english}{where}"
    return _one_line(line)


def _alert_list(alerts: list[Any], language: Language) -> str:
    """An escalation's group: one line per alert."""
    lines = []
    for alert in alerts:
        if not isinstance(alert, dict):
            continue
        severity = str(alert.get("severity") or "")
        text = _one_line(str(alert.get("message") or ""))
        value, threshold = alert.get("value"), alert.get("threshold")
        if language == "zh":
            mark = f"【{_SEVERITIES.get(severity, severity)}】" if severity else ""
            figures = f"{OPEN}当前值 {value} / 阈值 {threshold}{CLOSE}" if value is not None else ""
        else:
            mark = f"[{severity}] " if severity else ""
            figures = f" ({value} / threshold {threshold})" if value is not None else ""
        lines.append(f"- {mark}{text}{figures}")
    return "\n".join(lines)


def _without_title(text: str, title: str) -> str:
    """The report's markdown less a first line repeating its title (shown as the title)."""
    lines = text.lstrip("\n").split("\n")
    if lines and _one_line(lines[0].strip("#* ")) == title.strip("#* "):
        return "\n".join(lines[1:]).lstrip("\n")
    return text


def message(kind: str, payload: dict[str, Any], *, language: Language = "en") -> Message:
    """What every chat format shows for this delivery."""
    severity = str(payload["severity"]) if payload.get("severity") else None
    # A report carries a share link to the campaign's pages: a chat group has no API key.
    link = str(payload.get("pages_link") or payload.get("link") or "") or subject_link(
        payload.get("subject_type"), payload.get("subject_id"), payload.get("campaign_id")
    )
    link_text = _LINK_TEXT[language]
    title, text = payload.get("title"), payload.get("text")
    if isinstance(title, str) and isinstance(text, str) and title.strip():
        # A report: its own title and markdown, nothing added but the link.
        line = truncate_utf8(_one_line(title), TITLE_BYTES)
        return Message(line, severity, (), _without_title(text, line), link or None, link_text)
    facts = []
    for key, english, chinese in _FACTS:
        value = payload.get(key)
        if value in (None, "") or (key == "severity" and language == "zh"):
            continue  # the Chinese title leads with the severity already: 【严重】
        facts.append((chinese if language == "zh" else english, _one_line(str(value))))
    alerts = payload.get("alerts")
    body = _alert_list(alerts, language) if isinstance(alerts, list) else ""
    line = truncate_utf8(summary(kind, payload, language), TITLE_BYTES)
    return Message(line, severity, tuple(facts), body, link or None, link_text)


# --- sizes ------------------------------------------------------------------------------------


def truncate_utf8(text: str, max_bytes: int) -> str:
    """`text` within `max_bytes` of UTF-8, cut between characters (at a line end when one is
    near), with an ellipsis when anything was cut."""
    raw = text.encode()
    if len(raw) <= max_bytes:
        return text
    budget = max(0, max_bytes - len(ELLIPSIS.encode()))
    # A cut inside a character leaves an incomplete sequence at the end: dropped here.
    kept = raw[:budget].decode("utf-8", "ignore")
    line_end = kept.rfind("\n")
    if line_end > 0 and line_end >= len(kept) - LINE_SLACK:
        kept = kept[:line_end]  # a whole line rather than half a table row or link
    return kept.rstrip() + ELLIPSIS if budget else ""


# --- markdown dialects ---------------------------------------------------------------------


class Dialect(StrEnum):
    slack = "slack"  # mrkdwn: *bold*, <url|text>, no headings
    feishu = "feishu"  # card markdown (JSON 1.0): **bold**, links, lists; no headings, quotes
    dingtalk = "dingtalk"  # markdown with headings and quotes; lines need a blank line between
    wecom = "wecom"  # markdown with headings, bold, links and quotes


_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_QUOTE = re.compile(r"^\s{0,3}>\s?")


def _cells(row: str) -> list[str]:
    row = row.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", row)]


def flatten_tables(lines: list[str]) -> list[str]:
    """Markdown tables as one list item per row: `- **first** · header: cell · ...`."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "|" in line and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1]):
            header = _cells(line)
            i += 2
            while i < len(lines) and "|" in lines[i] and lines[i].strip():
                cells = _cells(lines[i])
                first = f"**{cells[0]}**" if cells and cells[0] else ""
                rest = [
                    f"{name}: {cell}" if name else cell
                    for name, cell in zip(header[1:], cells[1:], strict=False)
                    if cell
                ]
                out.append("- " + " · ".join([p for p in (first, *rest) if p]))
                i += 1
            continue
        out.append(line)
        i += 1
    return out


def slack_escape(text: str) -> str:
    """Slack's mrkdwn takes &, < and > as markup: escaped, they show as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_line(line: str) -> str:
    heading = _HEADING.match(line)
    if heading:
        line = f"**{heading.group(2)}**"
    quoted = _QUOTE.match(line)
    rest = line[quoted.end() :] if quoted else line
    rest = slack_escape(rest)
    rest = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", rest)
    rest = _BOLD.sub(r"*\1*", rest)
    return f"> {rest}" if quoted else rest


def _feishu_line(line: str) -> str:
    heading = _HEADING.match(line)
    if heading:
        return f"**{heading.group(2)}**"
    quoted = _QUOTE.match(line)
    return line[quoted.end() :] if quoted else line


def dialect(markdown: str, to: Dialect) -> str:
    """Common markdown written the way `to` renders it (tables flattened for all)."""
    lines = flatten_tables(markdown.replace("\r\n", "\n").split("\n"))
    if to == Dialect.slack:
        return "\n".join(_slack_line(line) for line in lines)
    if to == Dialect.feishu:
        return "\n".join(_feishu_line(line) for line in lines)
    if to == Dialect.dingtalk:
        # DingTalk joins lines that are not separated by a blank line.
        return "\n\n".join(line for line in lines if line.strip())
    return "\n".join(lines)
