"""The pages' words in Chinese and English: headings, column names and enum values.

A page is in the workspace's language (`zh-CN` or `en`), or the one the request asks for
(`?lang=`). Values the user wrote (names, notes) are shown as written.
"""

# The Chinese words use full-width punctuation on purpose.
# ruff: noqa: RUF001

from typing import Literal

from shared.reports.render import CHINESE_NAMES

Language = Literal["zh", "en"]

WORDS: dict[str, tuple[str, str]] = {  # key: (zh, en)
    # pages and navigation
    "report": ("活动报告", "Campaign report"),
    "evaluation": ("效果评估", "Evaluation"),
    "proposal": ("活动申请表", "Proposal"),
    "settlement": ("费用结算", "Settlement"),
    "retrospective": ("复盘", "Retrospective"),
    "pages": ("页面", "Pages"),
    "print_hint": ("打印或另存为 PDF：A4", "Print or save as PDF: A4"),
    "read_only": ("只读分享页面", "Read-only shared page"),
    "as_of": ("截至", "As of"),
    # the header
    "status": ("状态", "Status"),
    "registration_number": ("登记编号", "Registration number"),
    "owner": ("负责人", "Owner"),
    "dates": ("日期", "Dates"),
    "kind": ("活动类型", "Kind"),
    "timezone": ("时区", "Timezone"),
    "currency": ("币种", "Currency"),
    "day_of": ("第 {n} 天 / 共 {total} 天", "Day {n} of {total}"),
    "not_started": ("未开始或已结束", "Outside the campaign's dates"),
    "plan_version": ("计划版本", "Plan version"),
    "none": ("无", "None"),
    # goals
    "goals": ("目标进度", "Goal progress"),
    "plan_goals": ("活动目标", "Goals"),
    "goal_type": ("目标类型", "Goal type"),
    "metric": ("指标", "Metric"),
    "strategy": ("核心策略", "Strategy"),
    "target": ("目标值", "Target"),
    "actual": ("实际值", "Actual"),
    "achievement": ("达成率", "Achievement"),
    "expected_to_date": ("截至今日应达", "Expected to date"),
    "pace": ("进度节奏", "Pace"),
    "pace_line": ("竖线：截至今日应达的位置", "Line: where the goal should be by today"),
    "due": ("截止日期", "Due"),
    "lift": ("提升", "lift"),
    "baseline": ("基线", "Baseline"),
    "no_goals": ("尚未设定目标。", "No goals yet."),
    # trends
    "trends": ("渠道核心指标趋势", "Key metrics by channel"),
    "no_figures": ("尚无数据。", "No figures yet."),
    "total": ("合计", "Total"),
    # budget
    "budget": ("预算消耗", "Budget burn"),
    "by_category": ("按类别", "By category"),
    "by_channel": ("按渠道", "By channel"),
    "category": ("类别", "Category"),
    "channel": ("渠道", "Channel"),
    "baseline_planned": ("基线预算（批准时）", "Baseline (approved)"),
    "planned": ("当前预算", "Current plan"),
    "spent": ("已花费", "Spent"),
    "remaining": ("剩余", "Remaining"),
    "burn": ("消耗率", "Burn"),
    "time_elapsed": ("时间进度", "Time elapsed"),
    "spend_source": ("花费来源", "Spend from"),
    "unassigned": ("未指定渠道", "No channel"),
    "no_budget": ("尚无预算。", "No budget yet."),
    # schedule
    "schedule": ("任务甘特图", "Schedule"),
    "critical_path": ("关键路径", "Critical path"),
    "critical": ("关键任务", "Critical"),
    "task": ("任务", "Task"),
    "today": ("今天", "Today"),
    "finish": ("预计完成", "Planned finish"),
    "conflicts": ("排期冲突", "Conflicts"),
    "no_tasks": ("尚无任务。", "No tasks yet."),
    "no_dates": ("无日期", "no dates"),
    "progress": ("进度", "Progress"),
    # alerts and issues
    "timeline": ("预警与问题时间线", "Alerts and issues"),
    "alert": ("预警", "Alert"),
    "issue": ("问题", "Issue"),
    "severity": ("级别", "Severity"),
    "started": ("开始", "Started"),
    "ended": ("解决", "Resolved"),
    "still_open": ("仍未解决", "still open"),
    "nothing_raised": ("没有预警或问题。", "No alerts or issues."),
    "more_listed": ("另有 {n} 条未列出。", "{n} more not listed."),
    # evaluation
    "evaluation_table": ("目标与实际对比", "Targets against actuals"),
    "data_source": ("数据来源", "Data source"),
    "cause": ("原因分析", "Cause"),
    "analysis": ("分析", "Analysis"),
    "improvement": ("改进建议", "Improvement"),
    "outcome": ("结果", "Outcome"),
    "dimensions": ("四个维度", "The four dimensions"),
    "goal_achievement": ("目标达成", "Goal achievement"),
    "roi": ("投入产出比（ROI）", "ROI"),
    "user_value": ("用户价值", "User value"),
    "brand_impact": ("品牌影响", "Brand impact"),
    "met": ("达成", "met"),
    "missed": ("未达成", "missed"),
    "unmeasured": ("无法衡量", "unmeasured"),
    "revenue": ("收入", "Revenue"),
    "gmv": ("GMV", "GMV"),
    "on_expenses": ("按记账费用", "On recorded expenses"),
    "on_pushed_spend": ("按渠道上报花费", "On pushed spend"),
    "cost_per_new_user": ("每新增用户成本", "Cost per new user"),
    "cost_per_order": ("每单成本", "Cost per order"),
    "average_order_value": ("客单价", "Average order value"),
    "search_volume": ("品牌搜索量", "Search volume"),
    "search_lift": ("搜索量提升", "Search volume lift"),
    "negative_comments": ("负面评论", "Negative comments"),
    "channel_ranking": ("渠道排名", "Channel ranking"),
    "rank": ("排名", "Rank"),
    "cpa": ("获客成本", "CPA"),
    "conversion_rate": ("转化率", "Conversion rate"),
    "insufficient_sample": ("样本不足", "insufficient sample"),
    "not_run": (
        "活动尚未执行，暂无评估。",
        "The campaign has not run: there is nothing to evaluate yet.",
    ),
    "draft": ("草稿（实时计算）", "Draft (computed now)"),
    "provisional": ("活动进行中，数据为临时值", "Provisional: the campaign is still running"),
    "finalised_version": ("定稿版本 {n}", "Finalised version {n}"),
    "channels_sent": ("渠道", "channels"),
    "points": ("数据点", "points"),
    # proposal
    "request": ("活动申请", "Campaign request"),
    "background": ("背景", "Background"),
    "objective_summary": ("目标概述", "Objectives"),
    "target_audience": ("目标受众", "Target audience"),
    "core_message": ("核心信息", "Core message"),
    "channels": ("渠道", "Channels"),
    "tags": ("标签", "Tags"),
    "budget_plan": ("预算计划", "Budget plan"),
    "amount": ("金额", "Amount"),
    "share": ("占比", "Share"),
    "note": ("说明", "Note"),
    "contingency_share": ("应急预留占比", "Contingency share"),
    "phases": ("执行阶段", "Phases"),
    "phase": ("阶段", "Phase"),
    "core_actions": ("核心动作", "Core actions"),
    "executor": ("执行人", "Executor"),
    "resources": ("所需资源", "Resources"),
    "risks": ("风险与应对", "Risks and mitigation"),
    "risk": ("风险", "Risk"),
    "probability": ("可能性", "Probability"),
    "impact": ("影响", "Impact"),
    "mitigation": ("应对措施", "Mitigation"),
    "approvals": ("审批记录", "Approval rounds"),
    "round": ("第 {n} 轮", "Round {n}"),
    "step": ("审批环节", "Step"),
    "decision": ("决定", "Decision"),
    "decided_by": ("审批人", "Decided by"),
    "decided_at": ("时间", "When"),
    "comment": ("意见", "Comment"),
    "signatures": ("签字", "Signatures"),
    "signature": ("签字", "Signature"),
    "awaiting": ("待审批", "awaiting"),
    "not_submitted": ("尚未提交审批。", "Not submitted for approval yet."),
    # settlement
    "statement": ("预算与实际对比", "Planned against actual"),
    "variance": ("差异", "Variance"),
    "variance_percent": ("差异率", "Variance %"),
    "explanation": ("差异说明", "Explanation"),
    "explanation_missing": ("缺少说明", "explanation missing"),
    "threshold": ("需说明的差异阈值", "Explanation threshold"),
    "workflow": ("结算流程", "Workflow"),
    "verified": ("财务核对", "Verified by finance"),
    "settled": ("结算", "Settled"),
    "signed_off": ("管理层签批", "Signed off by management"),
    "record": ("结算记录 {n}", "Record {n}"),
    "settlement_open": ("尚未结算：数据为当前实时值。", "Not settled: the figures are live."),
    # retrospective
    "items": ("复盘条目", "Items"),
    "stage": ("阶段", "Stage"),
    "what_worked": ("做得好的", "What worked"),
    "shortfall": ("不足", "Shortfall"),
    "root_cause": ("根本原因", "Root cause"),
    "improvement_action": ("改进措施", "Improvement action"),
    "follow_up": ("跟进问题", "Follow-up issue"),
    "by_root_cause": ("按根本原因", "By root cause"),
    "no_items": ("尚无复盘条目。", "No retrospective items yet."),
    "final_review": ("结项复盘会", "Final review"),
    "count": ("数量", "Count"),
}

VALUES: dict[str, dict[str, tuple[str, str]]] = {  # enum kind -> value -> (zh, en)
    "status": {
        "draft": ("草稿", "draft"),
        "pending_approval": ("审批中", "pending approval"),
        "approved": ("已批准", "approved"),
        "active": ("执行中", "active"),
        "completed": ("已结束", "completed"),
        "archived": ("已归档", "archived"),
        "rejected": ("已驳回", "rejected"),
        "cancelled": ("已取消", "cancelled"),
    },
    "kind": {
        "new_product_launch": ("新品上市", "new product launch"),
        "brand_awareness": ("品牌曝光", "brand awareness"),
        "promotion": ("大促", "promotion"),
        "regional_rollout": ("区域推广", "regional roll-out"),
        "channel_expansion": ("渠道拓展", "channel expansion"),
        "other": ("其他", "other"),
    },
    "goal_type": {
        "user_growth": ("用户增长", "user growth"),
        "brand_awareness": ("品牌曝光", "brand awareness"),
        "sales_conversion": ("销售转化", "sales conversion"),
        "cost_efficiency": ("成本效率", "cost efficiency"),
        "engagement": ("互动", "engagement"),
        "other": ("其他", "other"),
    },
    "category": {
        "labour": ("人力", "labour"),
        "materials": ("物料", "materials"),
        "promotion_media": ("推广/媒介", "promotion and media"),
        "third_party_services": ("第三方服务", "third-party services"),
        "contingency": ("应急预留", "contingency"),
        "other": ("其他", "other"),
    },
    "severity": {
        "info": ("提示", "info"),
        "warning": ("警告", "warning"),
        "critical": ("严重", "critical"),
    },
    "alert_status": {
        "pending": ("待定", "pending"),
        "firing": ("触发中", "firing"),
        "acknowledged": ("已确认", "acknowledged"),
        "resolved": ("已解决", "resolved"),
    },
    "issue_status": {
        "open": ("未处理", "open"),
        "in_progress": ("处理中", "in progress"),
        "resolved": ("已解决", "resolved"),
        "closed": ("已关闭", "closed"),
    },
    "task_status": {
        "todo": ("待开始", "to do"),
        "in_progress": ("进行中", "in progress"),
        "blocked": ("受阻", "blocked"),
        "in_review": ("待验收", "in review"),
        "done": ("已完成", "done"),
        "cancelled": ("已取消", "cancelled"),
    },
    "level": {"low": ("低", "low"), "medium": ("中", "medium"), "high": ("高", "high")},
    "decision": {"approve": ("同意", "approved"), "reject": ("驳回", "rejected")},
    "round_status": {
        "in_progress": ("审批中", "in progress"),
        "approved": ("已批准", "approved"),
        "rejected": ("已驳回", "rejected"),
        "withdrawn": ("已撤回", "withdrawn"),
    },
    "cause": {
        "strategy": ("策略问题", "strategy"),
        "execution": ("执行问题", "execution"),
        "external": ("外部因素", "external"),
        "collaboration": ("协作问题", "collaboration"),
        "budget": ("预算问题", "budget"),
    },
    "outcome": {
        "met": ("达成", "met"),
        "missed": ("未达成", "missed"),
        "unmeasured": ("无法衡量", "unmeasured"),
    },
    "settlement_status": {
        "open": ("未核对", "open"),
        "verified": ("已核对", "verified"),
        "settled": ("已结算", "settled"),
        "signed_off": ("已签批", "signed off"),
    },
    "spend_source": {
        "expenses": ("记账费用", "expenses"),
        "pushed": ("渠道上报", "pushed"),
        "none": ("无", "none"),
    },
}


class Labels:
    """What a template calls `t`: `t.goals`, `t.of('status', campaign.status)`."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self._index = 0 if language == "zh" else 1

    def __getattr__(self, key: str) -> str:
        try:
            return WORDS[key][self._index]
        except KeyError:
            raise AttributeError(key) from None

    def __getitem__(self, key: str) -> str:
        return self.__getattr__(key)

    def format(self, key: str, **values: object) -> str:
        return WORDS[key][self._index].format(**values)

    def metric_name(self, key: str, name: str) -> str:
        """A dictionary metric's name: the reports' Chinese name for a standard metric."""
        return CHINESE_NAMES.get(key, name) if self.language == "zh" else name

    def of(self, kind: str, value: object) -> str:
        """An enum value in words; an unknown value is shown as it is."""
        if value is None:
            return "-"
        text = str(getattr(value, "value", value))
        found = VALUES.get(kind, {}).get(text)
        return found[self._index] if found else text
