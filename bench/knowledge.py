"""Knowledge base search over 10,000 archived campaigns (target: p99 < 100 ms per class).

    .venv/bin/python -m bench.knowledge [--campaigns 10000] [--runs 300] [--skip-fill]

Fills one workspace with archived campaigns of Chinese and English marketing text drawn
from a vocabulary of the manuals' phrases: each with 3 goals and their evaluation
analyses, 20 retrospective items, 10 issues, 30 execution-log notes, a change request, a
review and 2 expense attachments (71 entries a campaign). Entries are made by the
service's own code (`index.entry_row`: the same tokenisation) and bulk-loaded with COPY
into a staging table, then inserted with the service's `search_vector` expression; the
log notes also go to `activity_entries`, and each campaign is marked indexed, so that
the worker's sweep can be timed on the same data.

Then it times queries of one-, two- and four-character Chinese words, English words
and mixed queries through the service function (`search.search`), one class through a
live API process too, and the sweep that finds campaigns to index again; it prints p50,
p95 and p99 per class. With DATABASE_URL set to an already filled database,
`--skip-fill` times only.
"""

# ruff: noqa: RUF001 - the vocabulary's Chinese text uses full-width punctuation

import argparse
import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from sqlalchemy import column, select, table, text
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from bench.servers import servers
from shared.actor import Role
from shared.campaigns.models import CampaignKind, CampaignStatus
from shared.db import create_engine, create_sessionmaker
from shared.ids import new_id
from shared.knowledge import index, search
from shared.knowledge.models import EntryKind, GoalOutcome
from shared.knowledge.sources import Draft, Facets
from shared.pagination import PageRequest
from shared.workspaces import api_keys
from shared.workspaces import service as workspaces
from tests.live import live_api

# The vocabulary: the manuals' channels, metrics, stages and sentences, in both languages.
PRODUCTS = ["夏季防晒霜", "保湿精华", "轻薄粉底液", "口红礼盒", "运动耳机", "智能手表",
            "咖啡胶囊", "燕麦奶", "儿童牙刷", "旅行箱", "skincare set", "smart watch"]  # fmt: skip
FESTIVALS = ["618", "双11", "双12", "年货节", "女王节", "开学季", "中秋", "春节", "Singles' Day"]
CITIES = ["上海", "北京", "广州", "深圳", "成都", "杭州", "武汉", "西安", "南京", "重庆"]
CHANNELS_ZH = ["小红书", "抖音", "微信社群", "天猫旗舰店", "京东", "线下门店", "快闪店",
               "直播间", "信息流广告", "微博", "B站", "商场门店"]  # fmt: skip
CHANNELS_EN = ["social feed", "short video", "e-commerce", "offline store", "pop-up store",
               "livestream", "community group", "feed ads", "search ads",
               "KOC seeding"]  # fmt: skip
CHANNEL_KEYS = ["social_feed", "short_video", "ecommerce", "offline_store", "livestream",
                "community", "search_ads"]  # fmt: skip
METRICS_ZH = ["新注册用户", "GMV", "转化率", "点击率", "客流", "ROI", "复购率", "客单价", "曝光量"]
STAGES = ["预热期", "爆发期", "收尾期", "KOC seeding", "Launch week", "线下快闪店", "直播带货",
          "Feed ads", "社群裂变", "Pop-up store", "门店陈列", "Wrap-up"]  # fmt: skip
JUDGEMENTS = ["高于预期", "低于预期", "基本持平", "明显回落", "稳步上升"]
ACTIONS_ZH = ["下次活动提前两周锁定 KOC 档期", "快闪店选址改到地铁站附近的商场",
              "增加信息流投放预算，削减低 ROI 渠道", "直播间提前一周预热并准备备播方案",
              "门店导购统一培训话术", "素材提前三天确认，避免医疗宣称",
              "线下门店与快闪店铺共享会员权益", "社群裂变奖励改为阶梯式"]  # fmt: skip
ACTIONS_EN = ["Book livestream slots two weeks earlier", "Move budget from the pop-up store "
              "to feed ads", "Confirm materials three days before they are needed",
              "Train store staff on the new selling points", "Pre-approve claims with legal",
              "Run a second wave of KOC seeding"]  # fmt: skip
WORKED = ["{ch}内容互动率高于预期", "20 位美妆 KOC 按时上线，种草笔记互动率 {p}%",
          "Short videos drove {p}% of new users", "门店导购培训到位，客单价提升 {p}%",
          "Livestream conversion reached {p}%, above the {q}% target",
          "{city}快闪店周末客流 {n} 人/天", "满减券核销率 {p}%，复购率提升"]  # fmt: skip
SHORTFALLS = ["新注册用户 {n}，目标 {m}（达成率 {p}%）", "{city}线下快闪店客流不足，日均 {n} 人",
              "Pop-up store traffic ran {p}% under plan", "直播间在线人数波动大，转化不稳定",
              "Feed-ad CTR {p}% against a {q}% target", "物料晚到两天，预热期推迟",
              "KOC 档期冲突，{n} 篇笔记延期发布"]  # fmt: skip
NOTES = ["{d} 站会：{ch}{metric}{n}，{judge}。", "Stand-up: {en} CTR {p}% vs target {q}%.",
         "决定：把 {n} 元预算从{ch}调到{ch2}，{judge}。",
         "Blocker: {n} posts rejected for medical claims; resubmit by {d}.",
         "{city}商场门店客流 {n} 人/天，低于预期 {m}，安排电梯广告。",
         "KOC 直播带货 {n} 场，GMV {m}，转化率 {p}%。",
         "Livestream with {n} KOCs reached {m} viewers; conversion {p}%.",
         "快闪店铺撤场完成，物料回收 {p}%。", "{ch}素材二审通过，{d} 上线。",
         "Decision: extend the pop-up store by {n} days in {city_en}."]  # fmt: skip
ISSUES = ["快闪店客流 {n}/天，低于预期 {m}", "Feed-ad CTR {p}% under target",
          "{n} posts rejected for medical claims", "直播间卡顿，观众流失", "物料延迟到货",
          "KOC 档期冲突", "Pop-up store permit delayed", "{city}门店缺货"]  # fmt: skip
STRATEGIES = ["KOC seeding + feed ads", "媒体专访 + 线下快闪店", "电商满减 + 社群推荐",
              "直播带货 + 短视频种草", "Offline pop-up + media interviews"]  # fmt: skip
FILES = ["发票-{n}.pdf", "合同_{city}快闪店搭建.pdf", "直播服务报价-{n}.xlsx", "invoice-{n}.pdf",
         "livestream-contract-{n}.pdf", "门店物料清单.csv"]  # fmt: skip
CITIES_EN = ["Shanghai", "Beijing", "Guangzhou", "Shenzhen", "Chengdu", "Hangzhou"]


class Writer:
    """Sentences from the vocabulary, seeded: the same campaigns on every run."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def pick(self, words: list[str]) -> str:
        return self.rng.choice(words)

    def fill(self, template: str) -> str:
        r = self.rng
        return template.format(
            ch=self.pick(CHANNELS_ZH), ch2=self.pick(CHANNELS_ZH), en=self.pick(CHANNELS_EN),
            metric=self.pick(METRICS_ZH), judge=self.pick(JUDGEMENTS), city=self.pick(CITIES),
            city_en=self.pick(CITIES_EN), n=r.randint(2, 900), m=r.randint(800, 200_000),
            p=r.randint(1, 150), q=r.randint(1, 20),
            d=f"{r.randint(5, 7):02d}-{r.randint(1, 28):02d}",
        )  # fmt: skip

    def sentence(self, templates: list[str]) -> str:
        return self.fill(self.pick(templates))


def campaign_drafts(w: Writer, campaign_id: uuid.UUID, year: int) -> tuple[str, list[Draft]]:
    """A campaign's name and its 71 entries, as `sources.drafts` makes them."""
    base = f"/v1/campaigns/{campaign_id}"
    product, festival = w.pick(PRODUCTS), w.pick(FESTIVALS)
    name = f"{year} {festival} {product} {w.pick(['新品上市', '品牌推广', '大促', 'launch'])}"
    drafts = [
        Draft(EntryKind.campaign, campaign_id, base, name,
              f"{w.pick(CITIES)}等城市的{product}推广，渠道：{w.pick(CHANNELS_ZH)}、"
              f"{w.pick(CHANNELS_ZH)}、{w.pick(CHANNELS_EN)}。\n目标人群：25-35 岁女性白领。\n"
              f"核心信息：{w.pick(ACTIONS_EN)}"),
    ]  # fmt: skip
    for _ in range(3):
        goal = new_id()
        drafts.append(Draft(EntryKind.goal, goal, f"{base}/goals/{goal}",
                            f"{w.pick(METRICS_ZH)} (new_users)",
                            f"{w.pick(STRATEGIES)}\n依赖：{w.pick(CHANNELS_ZH)}资源"))  # fmt: skip
        drafts.append(Draft(EntryKind.evaluation, new_id(), f"{base}/evaluation/goals/{goal}",
                            f"{w.pick(METRICS_ZH)} · execution",
                            f"{w.sentence(SHORTFALLS)}\n{w.pick(ACTIONS_ZH)}"))  # fmt: skip
    for _ in range(20):
        item = new_id()
        drafts.append(Draft(EntryKind.retrospective_item, item,
                            f"{base}/retrospective/items/{item}", w.pick(STAGES),
                            f"{w.sentence(WORKED)}\n{w.sentence(SHORTFALLS)}\n"
                            f"{w.pick(ACTIONS_ZH + ACTIONS_EN)}"))  # fmt: skip
    for _ in range(10):
        issue = new_id()
        drafts.append(Draft(EntryKind.issue, issue, f"/v1/issues/{issue}", w.sentence(ISSUES),
                            f"{w.sentence(SHORTFALLS)}\n影响：转化可能不达标\n"
                            f"{w.pick(ACTIONS_ZH + ACTIONS_EN)}"))  # fmt: skip
    for _ in range(30):
        drafts.append(Draft(EntryKind.log_note, new_id(), f"{base}/log",
                            w.pick(["standup", "decision", "blocker", "note"]),
                            w.sentence(NOTES)))  # fmt: skip
    request = new_id()
    drafts.append(Draft(EntryKind.change_request, request, f"{base}/change-requests/{request}",
                        f"中期调整：从{w.pick(CHANNELS_ZH)}转投{w.pick(CHANNELS_ZH)}",
                        f"{w.sentence(SHORTFALLS)}\n{w.pick(ACTIONS_EN)}"))  # fmt: skip
    review = new_id()
    drafts.append(Draft(EntryKind.review, review, f"{base}/reviews/{review}", "Final review #1",
                        f"结项复盘会：{w.sentence(WORKED)}；{w.sentence(SHORTFALLS)}"))  # fmt: skip
    for _ in range(2):
        expense, attachment = new_id(), new_id()
        drafts.append(Draft(EntryKind.attachment, attachment,
                            f"{base}/expenses/{expense}/attachments/{attachment}",
                            w.sentence(FILES), ""))  # fmt: skip
    return name, drafts


STAGING = [
    "id", "workspace_id", "created_at", "updated_at", "version", "campaign_id", "kind",
    "source_id", "href", "title", "body", "campaign_name", "campaign_kind", "campaign_status",
    "campaign_year", "campaign_day", "campaign_tags", "campaign_channels", "goal_outcome",
    "cjk", "latin_title", "latin_body",
]  # fmt: skip


def load_statement() -> str:
    """INSERT ... SELECT from the staging table, through the service's own expression."""
    staging = table("knowledge_staging", *(column(name) for name in STAGING))
    vector = index.search_vector(staging.c.cjk, staging.c.latin_title, staging.c.latin_body)
    entry_columns = STAGING[:-3]
    query = select(*(staging.c[name] for name in entry_columns), vector)
    dialect = PGDialect_asyncpg()  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
    compiled = query.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    names = ", ".join([*entry_columns, "search_vector"])
    return f"INSERT INTO knowledge_entries ({names}) {compiled}"


async def seed_workspace(database_url: str) -> tuple[uuid.UUID, str]:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            session = AsyncSession(bind=connection)
            workspace = await workspaces.create_workspace(
                session, name="Knowledge bench", default_timezone="Asia/Shanghai"
            )
            _, token = await api_keys.create_api_key(
                session, workspace_id=workspace.id, name="bench", role=Role.viewer
            )
            await session.close()
        return workspace.id, token
    finally:
        await engine.dispose()


TAGS = ["new product launch", "offline pop-up store", "618", "livestream", "KOC", "regional"]
CAMPAIGN_COLUMNS = [
    "id", "workspace_id", "created_at", "updated_at", "version", "name", "kind", "status",
    "channels", "tags", "start_date", "end_date", "timezone", "currency", "completed_at",
    "archived_at",
]  # fmt: skip
NOTE_COLUMNS = [
    "id", "workspace_id", "created_at", "updated_at", "version", "campaign_id", "entity_type",
    "action", "changes", "kind", "note", "related_task_ids",
]  # fmt: skip
STATE_COLUMNS = [
    "id", "workspace_id", "created_at", "updated_at", "version", "campaign_id", "indexed_at",
    "log_since", "log_count", "attachment_count", "entry_count",
]  # fmt: skip


def one_campaign(
    number: int, workspace_id: uuid.UUID, now: datetime
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], tuple[Any, ...], list[tuple[Any, ...]]]:
    """A campaign's row, its log notes, its index state and its entries."""
    w = Writer(number)
    campaign_id, year = new_id(), 2019 + number % 7
    start = date(year, 1 + number % 12, 1 + number % 28)
    end = start + timedelta(days=30)
    ended = datetime(end.year, end.month, end.day, 10, tzinfo=UTC)
    name, drafts = campaign_drafts(w, campaign_id, year)
    kind = list(CampaignKind)[number % len(CampaignKind)]
    tags = sorted({w.pick(TAGS), f"{year}"})
    channels = sorted({w.pick(CHANNEL_KEYS), w.pick(CHANNEL_KEYS)})
    outcome = [GoalOutcome.met, GoalOutcome.missed, None][number % 3]
    campaign = (
        campaign_id, workspace_id, ended, ended, 1, name, kind.value, "archived", channels, tags,
        start, end, "Asia/Shanghai", "CNY", ended, ended + timedelta(days=30),
    )  # fmt: skip
    notes: list[tuple[Any, ...]] = [
        (d.source_id, workspace_id, ended - timedelta(hours=i), ended, 1, campaign_id, "log",
         "note", "{}", d.title, d.body, [])
        for i, d in enumerate(drafts) if d.kind == EntryKind.log_note
    ]  # fmt: skip
    state = (new_id(), workspace_id, now, now, 1, campaign_id, now, now - index.LOG_WINDOW, 0, 2,
             len(drafts))  # fmt: skip
    facets = Facets(name, kind, CampaignStatus.archived, year, end, tags, channels, outcome)
    rows = (
        index.entry_row(
            d, workspace_id=workspace_id, campaign_id=campaign_id, facets=facets, now=now
        )
        for d in drafts
    )
    entries = [tuple(row[name] for name in STAGING) for row in rows]
    return campaign, notes, state, entries


async def fill(database_url: str, workspace_id: uuid.UUID, count: int) -> int:
    """Every campaign, its notes, index state and entries; returns the entries written."""
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    now = datetime.now(UTC)
    try:
        columns = ", ".join(STAGING[:-3])  # our own constant names
        await connection.execute(
            f"CREATE TEMP TABLE knowledge_staging AS SELECT {columns}, "  # noqa: S608
            "''::text AS cjk, ''::text AS latin_title, ''::text AS latin_body "
            "FROM knowledge_entries WITH NO DATA"
        )
        # The entries' indexes are built once, after the load (as a restore would).
        await connection.execute("DROP INDEX ix_knowledge_entries_search")
        await connection.execute("DROP INDEX ix_knowledge_entries_recency")
        load = load_statement()
        total = 0
        for first in range(0, count, 500):
            made = [
                one_campaign(n, workspace_id, now) for n in range(first, min(count, first + 500))
            ]
            await connection.copy_records_to_table(
                "campaigns", records=[m[0] for m in made], columns=CAMPAIGN_COLUMNS
            )
            await connection.copy_records_to_table(
                "activity_entries", records=[n for m in made for n in m[1]], columns=NOTE_COLUMNS
            )
            await connection.copy_records_to_table(
                "knowledge_campaigns", records=[m[2] for m in made], columns=STATE_COLUMNS
            )
            entries = [e for m in made for e in m[3]]
            await connection.copy_records_to_table(
                "knowledge_staging", records=entries, columns=STAGING
            )
            await connection.execute(load)
            await connection.execute("TRUNCATE knowledge_staging")
            total += len(entries)
            print(f"  {first + len(made):,} campaigns, {total:,} entries", flush=True)
        await connection.execute("SET maintenance_work_mem = '512MB'")
        await connection.execute(
            "CREATE INDEX ix_knowledge_entries_search ON knowledge_entries "
            "USING gin (search_vector)"
        )
        await connection.execute(
            "CREATE INDEX ix_knowledge_entries_recency ON knowledge_entries "
            "(workspace_id, campaign_day, id)"
        )
        await connection.execute("VACUUM ANALYZE")
        return total
    finally:
        await connection.close()


QUERIES = {
    "zh, 1 character": ["店", "播", "券", "奶", "客"],
    "zh, 2 characters": ["直播", "门店", "复盘", "档期", "燕麦"],
    "zh, 4 characters": ["快闪店铺", "线下门店", "电梯广告", "信息流广"],
    "en words": ["KOC", "pop-up", "livestream", "conversion", "permit"],
    "mixed": ["KOC 直播", "pop-up 快闪店", "618 GMV", "Livestream 转化率"],
}
FILTERED = ("zh, 1 character, filtered", ["店", "直播"])


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(name: str, samples: list[float], extra: str = "") -> None:
    ordered = sorted(samples)
    print(
        f"  {name:<28} n={len(ordered):<5} p50 {statistics.median(ordered):6.1f} ms   "
        f"p95 {percentile(ordered, 0.95):6.1f} ms   p99 {percentile(ordered, 0.99):6.1f} ms"
        f"{extra}"
    )


async def timed(runs: int, call: Callable[[int], Awaitable[Any]]) -> list[float]:
    await call(0)  # warm-up
    samples = []
    for i in range(runs):
        started = time.perf_counter()
        await call(i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def through_service(database_url: str, workspace_id: uuid.UUID, runs: int) -> None:
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        print("Through the service function (one transaction per query, page of 20):")
        classes = [*QUERIES.items(), FILTERED]
        for name, words in classes:
            filters = search.Filters()
            if name == FILTERED[0]:
                filters = search.Filters(year=2024, campaign_kind=CampaignKind.promotion)
            counts: dict[str, str] = {}

            async def one(
                i: int,
                words: list[str] = words,
                filters: search.Filters = filters,
                counts: dict[str, str] = counts,
            ) -> Any:
                word = words[i % len(words)]
                async with sessionmaker() as session, session.begin():
                    found = await search.search(
                        session, workspace_id=workspace_id, q=word, filters=filters,
                        page=PageRequest(limit=20),
                    )  # fmt: skip
                counts[word] = f"{found.ranked}{'+' if found.capped else ''}"
                return found

            samples = await timed(runs, one)
            shown = ", ".join(f"{w} {c}" for w, c in counts.items())
            report(name, samples, f"   ranked: {shown}")
        async with sessionmaker() as session, session.begin():
            first = await search.search(
                session, workspace_id=workspace_id, q="店", filters=search.Filters(),
                page=PageRequest(limit=20),
            )  # fmt: skip
        cursor = first.next_cursor

        async def next_page(i: int) -> Any:
            async with sessionmaker() as session, session.begin():
                return await search.search(
                    session, workspace_id=workspace_id, q="店", filters=search.Filters(),
                    page=PageRequest(limit=20, cursor=cursor),
                )  # fmt: skip

        report("zh, 1 character, page 2", await timed(runs // 5, next_page))

        async def sweep(i: int) -> Any:
            async with sessionmaker() as session, session.begin():
                return await index.stale_campaigns(session)

        async with sessionmaker() as session, session.begin():
            stale = len(await index.stale_campaigns(session))
        report("sweep (find changed)", await timed(20, sweep), f"   stale found: {stale}")
    finally:
        await engine.dispose()


def through_http(base: str, token: str, runs: int) -> None:
    print("Through HTTP (a live API process, GET /v1/knowledge, page of 20):")
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        for name in ("zh, 2 characters", "zh, 1 character"):
            words = QUERIES[name]
            client.get(f"{base}/v1/knowledge", params={"q": words[0]}).raise_for_status()
            samples = []
            for i in range(runs):
                started = time.perf_counter()
                response = client.get(
                    f"{base}/v1/knowledge", params={"q": words[i % len(words)], "limit": 20}
                )
                response.raise_for_status()
                samples.append((time.perf_counter() - started) * 1000)
            report(name, samples)


async def existing(database_url: str) -> tuple[uuid.UUID, str]:
    """The bench workspace of a database filled by an earlier run, with a new key."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            session = AsyncSession(bind=connection)
            workspace_id = (
                await session.execute(text("SELECT workspace_id FROM knowledge_entries LIMIT 1"))
            ).scalar_one()
            _, token = await api_keys.create_api_key(
                session, workspace_id=workspace_id, name="bench", role=Role.viewer
            )
            await session.close()
        return workspace_id, token
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--campaigns", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=300, help="queries timed per class")
    parser.add_argument("--skip-fill", action="store_true", help="the database is filled")
    args = parser.parse_args()
    with servers("knowledge") as (database_url, redis_url):
        if args.skip_fill:
            workspace_id, token = asyncio.run(existing(database_url))
        else:
            workspace_id, token = asyncio.run(seed_workspace(database_url))
            started = time.perf_counter()
            entries = asyncio.run(fill(database_url, workspace_id, args.campaigns))
            print(
                f"{args.campaigns:,} archived campaigns, {entries:,} entries written and "
                f"indexed in {time.perf_counter() - started:.0f} s"
            )
        asyncio.run(through_service(database_url, workspace_id, args.runs))
        env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING",
               "RATE_LIMIT_PER_MINUTE": "0"}  # fmt: skip
        with live_api(env) as base:
            through_http(base, token, args.runs)


if __name__ == "__main__":
    main()
