"""The words people read, in the workspace's language: column headers of the exports,
table titles, and the names of statuses, priorities, categories... Kept in one place so
exports and pages say the same thing.

Keyed by plain strings (an enum's value), so any domain's values can be named here
without this bottom layer importing it. An unknown key reads as itself.
"""

# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose

from shared.workspaces.models import Language

Term = tuple[str, str]  # (Chinese, English)

# Column headers, by column key. A rate's header says its unit: (%) when the figure is a
# percentage (90.00 means 90%).
HEADERS: dict[str, Term] = {
    # the task table (the manuals' assignment table)
    "code": ("编号", "Code"),
    "task_name": ("任务名称", "Task"),
    "level": ("层级", "Level"),
    "parent": ("上级", "Parent"),
    "owner_r1": ("负责人 (R1)", "Owner (R1)"),
    "approver_r2": ("审批人 (R2)", "Approver (R2)"),
    "supporting_departments": ("协同部门", "Supporting departments"),
    "predecessors": ("前置任务", "Predecessors"),
    "priority": ("优先级", "Priority"),
    "planned_start": ("计划开始", "Planned start"),
    "planned_end": ("计划完成", "Planned end"),
    "actual_start": ("实际开始", "Actual start"),
    "actual_end": ("实际完成", "Actual end"),
    "deliverable": ("交付物", "Deliverable"),
    "status": ("状态", "Status"),
    "progress": ("进度 (%)", "Progress (%)"),
    "slip_days": ("延期天数", "Days late"),
    # the issue table (the manuals' problem tracking)
    "opened_on": ("日期", "Date"),
    "problem": ("问题", "Problem"),
    "description": ("问题描述", "Description"),
    "impact": ("影响", "Impact"),
    "owner": ("负责人", "Owner"),
    "severity": ("严重程度", "Severity"),
    "action_plan": ("处理措施", "Action"),
    "expected_resolution_date": ("预计解决日期", "Expected resolution"),
    "related_task": ("关联任务", "Related task"),
    "source": ("来源", "Source"),
    "resolved_on": ("解决日期", "Resolved on"),
    # the daily report (the manuals' Table 3); metric columns are named by the dictionary
    "date": ("日期", "Date"),
    "channel": ("渠道", "Channel"),
    "note": ("备注", "Note"),
    "completion": ("目标完成率 {metric} (%)", "Completion {metric} (%)"),
    # budget and settlement
    "dimension": ("维度", "Dimension"),
    "item": ("项目", "Item"),
    "currency": ("币种", "Currency"),
    "baseline_planned": ("基线计划", "Baseline planned"),
    "planned": ("当前计划", "Planned"),
    "plan_change": ("计划调整", "Plan change"),
    "actual_spent": ("实际支出", "Actual"),
    "variance": ("差异", "Variance"),
    "variance_percent": ("差异率 (%)", "Variance (%)"),
    "needs_explanation": ("需说明", "Needs explanation"),
    "explanation": ("差异说明", "Explanation"),
    # evaluation (the manuals' table)
    "evaluation_dimension": ("评估维度", "Dimension"),
    "goal_type": ("目标类型", "Goal type"),
    "metric": ("指标", "Metric"),
    "target": ("目标值", "Target"),
    "actual": ("实际值", "Actual"),
    "achievement_rate": ("达成率 (%)", "Achievement (%)"),
    "outcome": ("结果", "Outcome"),
    "data_source": ("数据来源", "Data source"),
    "cause_category": ("原因类别", "Cause"),
    "analysis": ("原因分析", "Analysis"),
    "improvement_proposal": ("改进建议", "Improvement proposal"),
}

# Titles of tables (exports' file and sheet names, page headings).
TITLES: dict[str, Term] = {
    "tasks": ("任务分配表", "Task assignments"),
    "issues": ("问题跟踪表", "Issue tracking"),
    "daily-report": ("数据日报", "Daily report"),
    "settlement": ("预算与结算", "Budget and settlement"),
    "evaluation": ("效果评估表", "Evaluation"),
}

# The names of values, by group then value.
VALUES: dict[str, dict[str, Term]] = {
    "task_level": {
        "strategy": ("策略", "Strategy"),
        "module": ("模块", "Module"),
        "task": ("任务", "Task"),
    },
    "task_status": {
        "todo": ("待开始", "To do"),
        "in_progress": ("进行中", "In progress"),
        "blocked": ("受阻", "Blocked"),
        "in_review": ("待验收", "In review"),
        "done": ("已完成", "Done"),
        "cancelled": ("已取消", "Cancelled"),
    },
    "priority": {
        "high": ("高", "High"),
        "medium": ("中", "Medium"),
        "low": ("低", "Low"),
    },
    "issue_status": {
        "open": ("待处理", "Open"),
        "in_progress": ("处理中", "In progress"),
        "resolved": ("已解决", "Resolved"),
        "closed": ("已关闭", "Closed"),
    },
    "severity": {
        "info": ("提示", "Info"),
        "warning": ("警告", "Warning"),
        "critical": ("严重", "Critical"),
    },
    "issue_source": {
        "manual": ("手工登记", "Manual"),
        "alert": ("预警", "Alert"),
        "retrospective": ("复盘", "Retrospective"),
    },
    "campaign_status": {
        "draft": ("草稿", "Draft"),
        "pending_approval": ("待审批", "Pending approval"),
        "approved": ("已批准", "Approved"),
        "rejected": ("已驳回", "Rejected"),
        "active": ("进行中", "Active"),
        "completed": ("已结束", "Completed"),
        "archived": ("已归档", "Archived"),
        "cancelled": ("已取消", "Cancelled"),
    },
    "budget_category": {
        "labour": ("人力", "Labour"),
        "materials": ("物料", "Materials"),
        "promotion_media": ("推广/媒介", "Promotion and media"),
        "third_party_services": ("第三方服务", "Third-party services"),
        "contingency": ("预备金", "Contingency"),
        "other": ("其他", "Other"),
    },
    "settlement_dimension": {
        "category": ("预算类别", "Category"),
        "channel": ("渠道", "Channel"),
        "no_channel": ("未指定渠道", "No channel"),
        "total": ("合计", "Total"),
    },
    "goal_type": {
        "user_growth": ("用户增长", "User growth"),
        "brand_awareness": ("品牌认知", "Brand awareness"),
        "sales_conversion": ("销售转化", "Sales conversion"),
        "cost_efficiency": ("成本效率", "Cost efficiency"),
        "engagement": ("用户互动", "Engagement"),
        "other": ("其他", "Other"),
    },
    "evaluation_dimension": {
        "goal_achievement": ("目标达成", "Goal achievement"),
        "roi": ("投入产出 (ROI)", "ROI"),
        "user_value": ("用户价值", "User value"),
        "brand_impact": ("品牌影响", "Brand impact"),
    },
    # The figures of the evaluation's dimensions.
    "evaluation_figure": {
        "roi_on_expenses": ("ROI（按已记录费用）", "ROI on recorded expenses"),
        "roi_on_pushed_spend": ("ROI（按投放花费）", "ROI on pushed spend"),
        "revenue": ("收入", "Revenue"),
        "gmv": ("销售额", "GMV"),
        "spend": ("花费", "Spend"),
        "new_users": ("新增用户", "New users"),
        "orders": ("订单量", "Orders"),
        "cost_per_new_user": ("每新增用户成本", "Cost per new user"),
        "cost_per_order": ("每单成本", "Cost per order"),
        "average_order_value": ("客单价", "Average order value"),
        "search_volume": ("搜索量", "Search volume"),
        "search_volume_lift": ("搜索量提升 (%)", "Search volume lift (%)"),
        "negative_comments": ("负面评论", "Negative comments"),
    },
    "spend_source": {
        "expenses": ("已记录费用", "recorded expenses"),
        "pushed": ("渠道推送花费", "pushed spend"),
        "none": ("无", "none"),
    },
    "cause_category": {
        "strategy": ("策略问题", "Strategy"),
        "execution": ("执行问题", "Execution"),
        "external": ("外部因素", "External"),
    },
    "outcome": {
        "met": ("达成", "Met"),
        "missed": ("未达成", "Missed"),
        "unmeasured": ("无法衡量", "Unmeasured"),
    },
    "yes_no": {
        "yes": ("是", "Yes"),
        "no": ("否", "No"),
    },
    # Small words of composed cells.
    "word": {
        "total": ("合计", "Total"),
        "inputs": ("数据项", "inputs"),
        "channels": ("渠道", "channels"),
        "day": ("天", "day"),
        "days": ("天", "days"),
    },
}

# How a list reads inside one cell.
LIST_SEPARATORS: dict[Language, str] = {Language.zh_cn: "、", Language.en: ", "}


def _pick(term: Term, language: Language) -> str:
    return term[0] if language == Language.zh_cn else term[1]


def header(key: str, language: Language, **fields: str) -> str:
    """A column header; `fields` fill its placeholders ({metric})."""
    term = HEADERS.get(key)
    text = _pick(term, language) if term else key
    return text.format(**fields) if fields else text


def title(key: str, language: Language) -> str:
    term = TITLES.get(key)
    return _pick(term, language) if term else key


def value(group: str, key: str, language: Language) -> str:
    """The name of a value (a status, a priority...); the value itself when unnamed."""
    term = VALUES.get(group, {}).get(key)
    return _pick(term, language) if term else key


def yes_no(flag: bool, language: Language) -> str:
    return value("yes_no", "yes" if flag else "no", language)


def joined(items: list[str], language: Language) -> str:
    return LIST_SEPARATORS[language].join(items)
