"""A year of the demo company's business data (S7.1, S7.2): the records its systems hold.

``generate`` reads the demo organisation from the database (people, the cards on their personal
scorecards, the departments' core pool cards, customers) and writes, under the data directory,
the files that ``data.yaml`` registers: a GBK-encoded CRM export, ERP order lines (with their
cost of sales) as Parquet, an IT service-desk workbook, the HR system's SQLite training table, a
UTF-8 CSV of production lots and one of the ERP's receivables; the survey answers come back as
batches to push, one per month.

Every row is owned by someone who holds a card it serves, so that personal actuals exist, and a
department head also answers for the department pool's core cards. Each person has a steady
level on each card, drawn around the card's scoring rule (most near target, some above, a few
clearly below), which improves gently over the year; one department has a bad month. The rows
then vary around those levels the way real records do. Everything is drawn from seeded
generators, so two runs write the same rows.
"""

from __future__ import annotations

import io
import math
import random
import re
import zipfile
from bisect import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from northstar import yamlio
from northstar.customers.models import Customer, Segment
from northstar.data.schemas import SourceIn
from northstar.indicators.models import IndicatorCard
from northstar.metrics.sources import SourceSchema, arrow_type
from northstar.org.models import Department, Employee
from northstar.pools.models import KpiCandidate
from northstar.scorecards.models import PersonalScorecard, ScorecardItem

SEED = 20261124
DATA_FILE = Path(__file__).with_name("data.yaml")
TIMEZONE = ZoneInfo("Asia/Shanghai")
FIRST_DAY = date(2025, 12, 1)
LAST_DAY = date(2026, 11, 24)
#: the department and month where things went wrong: a supplier's bad lot of servo drives
BAD_MONTH = ("MFG", date(2026, 7, 1))
#: a department head handles this share of what a member of the team does
HEAD_SHARE = 0.4
#: department kinds whose people meet customers, and so are in scope of customer-scenario training
CUSTOMER_FACING = frozenset({"frontline", "sales_marketing", "customer_service"})

Row = dict[str, Any]
#: (volume per month, cards any of which makes a person do this work, departments or None for any)
Load = tuple[float, frozenset[str], frozenset[str] | None]


def _load(volume: float, cards: Iterable[str], departments: Iterable[str] | None = None) -> Load:
    return (volume, frozenset(cards), None if departments is None else frozenset(departments))


SERVICE = ("inquiry", "service_request", "fault", "complaint")
_DESK = ("ticket_handling_time", "resolution_rate")
_LEADS = ("first_contact_resolution", "response_time")
TICKET_LOADS: dict[str, tuple[Load, ...]] = {
    "inquiry": (_load(14, _DESK), _load(8, _LEADS, ["CSC"])),
    "service_request": (_load(9, _DESK), _load(4, _LEADS, ["CSC"])),
    "fault": (
        _load(5, _DESK),
        _load(8, ["first_contact_resolution", "closure_cycle", "repeat_issue_rate"], ["CSC"]),
        _load(10, [*_LEADS, "closure_cycle", "repeat_issue_rate"], ["FS"]),
    ),
    "quality_issue": (_load(3, ["closure_cycle", "major_customer_complaints"], ["QA", "RND"]),),
    "installation": (
        _load(8, ["installation_first_time_success"], ["FS"]),
        _load(3.5, ["installation_first_time_success"]),
        _load(2, ["onboarding_time"]),
    ),
    "quote": (_load(9, ["quote_turnaround_time", "quote_win_rate"]),),
    "requirement": (_load(3.5, ["requirement_on_time_delivery_rate", "requirement_to_delivery_cycle"]),),
}
ORDER_LOADS = (
    _load(30, ["order_accuracy_rate"]),
    _load(24, ["delivery_lead_time"]),
    _load(11, ["on_time_delivery_rate"]),
    _load(4, ["customisation_delivery_rate"]),
)
IT_LOADS = {
    "incident": (_load(18, ["it_incident_recovery_time", "security_incidents"]),),
    "request": (_load(20, ["it_request_response_time"]), _load(6, ["it_support_satisfaction"])),
}
LOT_LOADS = {
    "assembly": (
        _load(11, ["first_pass_yield", "plan_attainment_rate"], ["MFG"]),
        _load(3, ["batch_quality_incidents", "customisation_delivery_rate"], ["MFG"]),
        _load(8, ["plan_attainment_rate"], ["SCM"]),
    ),
    "final": (_load(6, ["first_pass_yield", "customer_return_rate", "batch_quality_incidents"], ["QA"]),),
    "incoming": (_load(12, ["incoming_quality_rate", "supplier_on_time_rate"]),),
}
#: survey → (responses per month, the cards whose holders collect them)
SURVEY_LOADS: dict[str, tuple[float, str]] = {
    "relationship": (40, "nps"),
    "internal": (6, "internal_customer_satisfaction"),
    "employee_service": (8, "employee_service_satisfaction"),
    "post_release": (8, "post_release_satisfaction"),
    "campaign": (10, "campaign_satisfaction"),
    "market_research": (8, "value_for_money_score"),
}
#: which internal customers answer for the service of a department's people
INTERNAL_SERVED = {
    "SALES": ("I-SALES", "I-KA"),
    "MKT": ("I-SALES", "I-KA"),
    "SCM": ("I-MFG", "I-SALES"),
    "HR": ("I-STAFF", "I-MGR"),
    "FIN": ("I-MGR", "I-SALES"),
}
ALL_STAFF = "I-STAFF"
PROJECTS = {
    "C-DY": ("PJ-DY-2601", "PJ-DY-2602"),
    "C-HT": ("PJ-HT-2601",),
    "C-RF": ("PJ-RF-2601",),
    "C-XH": ("PJ-XH-2602",),
}
# code, name, fewest and most units per line, unit price (CNY)
PRODUCTS = (
    ("HC-PR200", "伺服压装机", 1, 3, 185_000),
    ("HC-SC300", "自动锁螺丝机", 1, 4, 96_000),
    ("HC-FT100", "功能测试台", 1, 2, 158_000),
    ("HC-VS80", "视觉检测站", 1, 3, 72_000),
    ("HC-LM60", "激光打标机", 1, 2, 45_000),
    ("HC-SP01", "易损件包", 5, 60, 850),
    ("HC-SP02", "伺服驱动器备件", 1, 6, 6_200),
)
CUSTOM_PRODUCTS = (
    ("HC-FA500", "柔性装配线（定制）", 1, 1, 2_350_000),
    ("HC-CX900", "定制检测工装", 1, 3, 128_000),
)
PARTS = ("PT-SV750 伺服电机", "PT-CY32 气缸", "PT-PLC1 控制器", "PT-SEN5 压力传感器", "PT-FR01 机架焊接件")
SUPPLIERS = ("苏州恒锐精密", "宁波东力电气", "东莞宏达钣金", "无锡新锐传感", "上海博联电子")
SUBJECTS = {
    "inquiry": (
        "{p}操作方法咨询",
        "{p}参数设置咨询",
        "备件价格与交期咨询",
        "保养周期咨询",
        "程序备份方法咨询",
    ),
    "service_request": (
        "申请上门保养",
        "申请操作培训",
        "程序修改申请",
        "{p}备件更换申请",
        "设备移机调试申请",
    ),
    "fault": (
        "{p}伺服报警",
        "{p}气缸动作异常",
        "PLC通讯中断",
        "视觉定位偏移",
        "压力传感器读数漂移",
        "急停回路故障",
    ),
    "complaint": ("交期延误投诉", "现场服务响应慢", "{p}质量问题投诉", "备件发错投诉", "对账差错投诉"),
    "quality_issue": ("{p}压装力超差（8D）", "焊点不良分析", "客户现场异响分析", "来料尺寸不良追溯"),
    "installation": ("{p}安装调试", "新线安装调试", "搬迁后重新调试"),
    "quote": ("{p}报价申请", "改造项目报价", "备件批量报价", "年度保养合同报价"),
    "requirement": ("新增MES接口需求", "节拍提升需求", "换型时间缩短需求", "追溯二维码需求", "防错功能需求"),
}
SEVERITY = {"inquiry": "low"}
#: the share of tickets of a category that are serious
HIGH_SEVERITY = {"fault": 0.25, "complaint": 0.3, "quality_issue": 0.4}
CHANNELS = {
    "inquiry": (("电话", 0.45), ("微信", 0.35), ("邮件", 0.1), ("客户门户", 0.1)),
    "fault": (("电话", 0.6), ("微信", 0.3), ("客户门户", 0.1)),
    "quality_issue": (("邮件", 0.7), ("现场", 0.3)),
    "installation": (("现场", 1.0),),
    "quote": (("邮件", 0.5), ("微信", 0.3), ("客户门户", 0.2)),
    "requirement": (("邮件", 0.6), ("现场", 0.4)),
    "delivery_followup": (("电话", 1.0),),
}
IT_SUBJECTS = {
    "network": ("车间网络中断", "VPN连接失败", "无线网络信号弱"),
    "erp": ("ERP系统无法登录", "ERP单据无法过账", "ERP权限申请"),
    "mes": ("MES报工界面卡顿", "MES条码打印失败"),
    "crm": ("CRM同步失败", "CRM客户数据导出申请"),
    "device": ("电脑更换申请", "打印机无法打印", "软件安装申请"),
    "account": ("新员工账号开通", "邮箱密码重置", "离职账号停用"),
    "security": ("疑似钓鱼邮件", "终端病毒告警"),
    "other": ("报表开发需求", "数据导出申请"),
}
# code, name, hours, scenario
COURSES = (
    ("CS-101", "客户现场沟通与投诉处理", 8.0, True),
    ("CS-102", "汽车零部件客户停线应急场景演练", 6.0, True),
    ("CS-103", "现场安装调试客户交接场景", 4.0, True),
    ("GN-201", "安全生产与5S", 3.0, False),
    ("GN-202", "质量意识与8D方法", 6.0, False),
    ("GN-203", "信息安全基础", 2.0, False),
    ("GN-204", "精益改善入门", 4.0, False),
    ("MG-301", "管理者绩效面谈", 6.0, False),
)
COMMENTS = {
    "good": ("响应很及时，工程师很专业", "问题一次就解决了", "交付准时，安装顺利", "服务态度好"),
    "fair": ("整体还可以，希望沟通再主动一些", "处理时间有点长", "报价说明可以更清楚"),
    "poor": ("多次催促才有人处理", "同样的问题又出现了", "交期一再推迟，影响我们排产"),
}


def load_data_yaml() -> dict[str, Any]:
    """The parsed data.yaml: sources (registrations), spec (metric spec) and bindings (card → metric)."""
    data: dict[str, Any] = yamlio.load(DATA_FILE.read_text(encoding="utf-8"))
    return data


# --- the organisation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """An employee with cards to answer for."""

    number: str
    department: str
    #: the department's kind (frontline, customer_service, …)
    kind: str
    #: the cards on the personal scorecard, and for a head the department pool's core cards
    cards: frozenset[str]
    head: bool


@dataclass(frozen=True)
class Client:
    """A customer, external or internal."""

    code: str
    internal: bool
    key_account: bool
    #: places orders (a company), as opposed to a group of users such as operators
    buyer: bool
    department: str | None
    #: the code of the customer's segment, None when it belongs to none
    segment: str | None = None


@dataclass(frozen=True)
class Organisation:
    """The people, customers and card rules the records are generated for."""

    people: tuple[Person, ...]
    clients: tuple[Client, ...]
    #: card code → (scoring rule, polarity)
    rules: dict[str, tuple[dict[str, Any] | None, str | None]]

    def holders(self, card: str) -> list[Person]:
        """The people who answer for ``card``."""
        return [p for p in self.people if card in p.cards]


def read_organisation(session: Session) -> Organisation:
    """The demo organisation as the generator needs it, read in a handful of queries."""
    departments = {
        dept_id: (code, str(kind), head)
        for dept_id, code, kind, head in session.execute(
            select(Department.id, Department.code, Department.kind, Department.head_id)
        )
    }
    heads = {head for _, _, head in departments.values() if head is not None}
    core: dict[str, set[str]] = defaultdict(set)
    for dept_code, card in session.execute(
        select(Department.code, IndicatorCard.code)
        .join(KpiCandidate, KpiCandidate.department_id == Department.id)
        .join(IndicatorCard, IndicatorCard.id == KpiCandidate.card_id)
        .where(KpiCandidate.core.is_(True))
    ):
        core[dept_code].add(card)
    held: dict[int, set[str]] = defaultdict(set)
    for employee_id, card in session.execute(
        select(PersonalScorecard.employee_id, IndicatorCard.code)
        .join(ScorecardItem, ScorecardItem.scorecard_id == PersonalScorecard.id)
        .join(IndicatorCard, IndicatorCard.id == ScorecardItem.card_id)
    ):
        held[employee_id].add(card)
    people: list[Person] = []
    for employee_id, number, dept_id in session.execute(
        select(Employee.id, Employee.number, Employee.department_id)
        .where(Employee.end_date.is_(None))
        .order_by(Employee.number)
    ):
        code, kind, _ = departments[dept_id]
        head = employee_id in heads
        cards = held.get(employee_id, set()) | (core[code] if head else set())
        if cards:
            people.append(Person(number, code, kind, frozenset(cards), head))
    clients = [
        Client(
            code=code,
            internal=str(kind) == "internal",
            key_account=str(category) == "key_account",
            buyer=str(kind) == "external" and (segment is not None or str(category) == "channel_partner"),
            department=departments[dept_id][0] if dept_id is not None else None,
            segment=segment,
        )
        for code, kind, category, segment, dept_id in session.execute(
            select(Customer.code, Customer.kind, Customer.category, Segment.code, Customer.department_id)
            .outerjoin(Segment, Segment.id == Customer.segment_id)
            .order_by(Customer.code)
        )
    ]
    rules = {
        code: (rule, None if polarity is None else str(polarity))
        for code, rule, polarity in session.execute(
            select(IndicatorCard.code, IndicatorCard.rule, IndicatorCard.polarity)
        )
    }
    return Organisation(tuple(people), tuple(clients), rules)


# --- levels --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Aim:
    """Where a card's scoring rule puts its threshold, target and stretch values."""

    threshold: float
    target: float
    stretch: float

    def at(self, z: float) -> float:
        """The value of a performer ``z`` steps from typical: typical is a little past the target,
        two steps up reach the stretch value and two steps down the threshold."""
        centre = self.target + 0.15 * (self.stretch - self.target)
        step = (self.stretch - centre) if z >= 0 else (centre - self.threshold)
        return centre + z * step / 2


def aim_of(rule: dict[str, Any] | None, polarity: str | None) -> Aim | None:
    """The aim of a linear rule, or of a banded one (the band scoring 100 is on target)."""
    if not rule:
        return None
    if rule.get("kind") == "linear":
        threshold, target = float(rule["threshold"]), float(rule["target"])
        # without a stretch value the rule tops out at the target
        return Aim(threshold, target, float(rule.get("stretch", target)))
    if rule.get("kind") != "bands":
        return None
    bands = sorted(rule["bands"], key=lambda b: b.get("lower", -math.inf))
    on_target = [i for i, b in enumerate(bands) if b.get("score") == 100]
    if not on_target:
        return None
    i = on_target[0]
    band = bands[i]
    try:
        if polarity == "lower_better":
            return Aim(float(bands[i + 1]["upper"]), float(band["upper"]), float(band["lower"]))
        return Aim(float(bands[i - 1]["lower"]), float(band["lower"]), float(band["upper"]))
    except (IndexError, KeyError):
        return None


def _utc(local: datetime) -> datetime:
    offset = TIMEZONE.utcoffset(local)
    return local - offset if offset is not None else local


def _local(moment: datetime) -> datetime:
    """A naive UTC instant as local wall time."""
    return moment.replace(tzinfo=UTC).astimezone(TIMEZONE).replace(tzinfo=None)


#: when the data was extracted (the end of LAST_DAY): later closings, deliveries, answers are unknown
EXTRACTED = _utc(datetime.combine(LAST_DAY + timedelta(days=1), time()))


@cache
def _cumulative(pairs: Sequence[tuple[str, float]]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    return tuple(p[0] for p in pairs), tuple(accumulate(p[1] for p in pairs))


@dataclass(frozen=True)
class Month:
    """One month of the period."""

    index: int
    start: date
    days: tuple[date, ...]
    #: each day's local midnight as a UTC instant, repeated by how busy the day is (weekdays 20
    #: times, Saturdays 10, Sundays 3), to draw event times from
    slots: tuple[datetime, ...]
    #: the share of the month inside the period (the last month ends on LAST_DAY)
    share: float


def months() -> list[Month]:
    """The twelve months of the period, the last one cut at LAST_DAY."""
    out: list[Month] = []
    start = FIRST_DAY
    while start <= LAST_DAY:
        after = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        days = [start + timedelta(days=i) for i in range((after - start).days)]
        inside = tuple(d for d in days if d <= LAST_DAY)
        slots = tuple(
            _utc(datetime.combine(d, time()))
            for d in inside
            for _ in range({5: 10, 6: 3}.get(d.weekday(), 20))
        )
        out.append(Month(len(out), start, inside, slots, len(inside) / len(days)))
        start = after
    return out


class Performance:
    """Each person's level on each card, month by month.

    A person's general form (a few struggle) and their own knack for the card are fixed for the
    year; on top come a gentle improvement from the first month to the last, a little month to
    month wobble and the bad month of one department.
    """

    def __init__(self, org: Organisation, periods: Sequence[Month]) -> None:
        self.aims = {code: aim for code, (rule, pol) in org.rules.items() if (aim := aim_of(rule, pol))}
        self.periods = periods
        self._form: dict[str, float] = {}
        self._paths: dict[tuple[str, str], list[float]] = {}

    def form(self, person: Person) -> float:
        """How well ``person`` does in general, in steps from typical; about one in twenty struggles."""
        if person.number not in self._form:
            rng = random.Random(f"{SEED}:form:{person.number}")
            z = rng.gauss(0, 1)
            if rng.random() < 0.05:
                z -= 1.8
            self._form[person.number] = z
        return self._form[person.number]

    def z(self, person: Person, card: str, month: Month) -> float:
        """How well ``person`` does on ``card`` in ``month``, in steps from typical."""
        key = (person.number, card)
        if key not in self._paths:
            rng = random.Random(f"{SEED}:knack:{person.number}:{card}")
            base = 0.6 * self.form(person) + 0.4 * rng.gauss(0, 1)
            last = max(len(self.periods) - 1, 1)
            self._paths[key] = [
                base
                - 0.45
                + 0.9 * m.index / last
                + rng.gauss(0, 0.3)
                - (2.5 if (person.department, m.start) == BAD_MONTH else 0.0)
                for m in self.periods
            ]
        return self._paths[key][month.index]

    def level(self, person: Person, card: str, month: Month) -> float:
        """The value ``person`` typically reaches on ``card`` in ``month``."""
        return self.aims[card].at(self.z(person, card, month))

    def rate(self, person: Person, card: str, month: Month) -> float:
        """A percentage card's level as a probability."""
        return min(max(self.level(person, card, month) / 100, 0.002), 0.9995)


# --- drawing -------------------------------------------------------------------------------------


class _Draw:
    """A seeded generator with the draws the records need."""

    def __init__(self, name: str) -> None:
        self.rng = random.Random(f"{SEED}:{name}")

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def count(self, mean: float) -> int:
        """A Poisson count: how many times something happens in a month."""
        if mean <= 0:
            return 0
        if mean > 40:
            return max(0, round(self.rng.gauss(mean, math.sqrt(mean))))
        limit, k, product = math.exp(-mean), 0, self.rng.random()
        while product > limit:
            k += 1
            product *= self.rng.random()
        return k

    def binomial(self, n: int, p: float) -> int:
        return sum(1 for _ in range(n) if self.rng.random() < p)

    def gamma(self, mean: float, shape: float) -> float:
        """A positive duration scattered around ``mean`` (smaller shape, longer tail)."""
        return self.rng.gammavariate(shape, max(mean, 0.05) / shape)

    def uniform(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high)

    def pick(self, items: Sequence[Any], cumulative: Sequence[float] | None = None) -> Any:
        """One of ``items``, alike or by cumulative weights."""
        if cumulative is None:
            return items[int(self.rng.random() * len(items))]
        return items[bisect(cumulative, self.rng.random() * cumulative[-1])]

    def weighted(self, pairs: Sequence[tuple[str, float]]) -> str:
        values, cumulative = _cumulative(pairs)
        return str(self.pick(values, cumulative))

    def moment(self, month: Month, first_hour: int = 8, last_hour: int = 19) -> datetime:
        """A local working time in ``month``, as a naive UTC instant to the minute."""
        midnight = month.slots[int(self.rng.random() * len(month.slots))]
        minute = first_hour * 60 + int(self.rng.random() * (last_hour - first_hour) * 60)
        return midnight + timedelta(minutes=minute)

    def rating(self, mean: float) -> int:
        """A 1–5 rating whose average is about ``mean``."""
        return min(5, max(1, round(self.rng.gauss(mean + 0.08, 0.75))))


def _volume(person: Person, loads: Iterable[Load]) -> float:
    volume = max(
        (
            v
            for v, cards, depts in loads
            if cards & person.cards and (depts is None or person.department in depts)
        ),
        default=0.0,
    )
    return volume * (HEAD_SHARE if person.head else 1.0)


def _after(moment: datetime, hours: float) -> datetime:
    """``hours`` after ``moment``, to the minute."""
    return moment + timedelta(minutes=round(hours * 60))


def _days(delta: timedelta) -> float:
    return round(delta.total_seconds() / 86400, 2)


def _customers(org: Organisation, *, buyers: bool = False) -> tuple[list[Client], list[float]]:
    """External customers (only those who place orders with ``buyers``) and their cumulative
    weights: key accounts bring the most business, groups of users the least."""
    chosen = [c for c in org.clients if not c.internal and (c.buyer or not buyers)]
    # the key accounts' big lines make them over half the revenue, as the strategy wants
    key = 4.5 if buyers else 3.0
    weights = [key if c.key_account else 2.0 if c.buyer else 1.0 for c in chosen]
    return chosen, list(accumulate(weights))


def _project(draw: _Draw, customer: str, p: float) -> str | None:
    projects = PROJECTS.get(customer)
    return draw.pick(projects) if projects and draw.chance(p) else None


# --- ERP order lines -----------------------------------------------------------------------------


def _orders(org: Organisation, perf: Performance, periods: Sequence[Month]) -> list[Row]:
    draw = _Draw("orders")
    buyers, weights = _customers(org, buyers=True)
    orders: list[list[Row]] = []
    for person in org.people:
        volume = _volume(person, ORDER_LOADS)
        if not volume:
            continue
        only_custom = "customisation_delivery_rate" in person.cards and not (
            {"order_accuracy_rate", "delivery_lead_time", "on_time_delivery_rate"} & person.cards
        )
        custom_share = (
            1.0
            if only_custom
            else 0.4
            if "customisation_delivery_rate" in person.cards
            else 0.15
            if person.kind == "frontline"
            else 0.03
        )
        for month in periods:
            for _ in range(draw.count(volume * month.share / (1 if only_custom else 1.6))):
                orders.append(_order(draw, perf, person, month, draw.pick(buyers, weights), custom_share))
    orders.sort(key=lambda lines: (lines[0]["ordered_at"], lines[0]["owner"]))
    rows: list[Row] = []
    for number, lines in enumerate(orders, start=1):
        for line in lines:
            line["order_no"] = f"SO{number:06d}"
            rows.append(line)
    return rows


def _order(
    draw: _Draw, perf: Performance, person: Person, month: Month, customer: Client, custom_share: float
) -> list[Row]:
    custom = draw.chance(custom_share)
    due = draw.pick(month.days)
    if custom:
        promised = draw.uniform(40, 60)
        on_time_p = min(perf.rate(person, "customisation_delivery_rate", month) / 0.98, 0.999)
        lines = 1
    else:
        promised = perf.level(person, "delivery_lead_time", month) * draw.uniform(0.9, 1.15)
        on_time_p = perf.rate(person, "on_time_delivery_rate", month)
        lines = draw.pick((1, 1, 1, 1, 1, 2, 2, 2, 3, 3))
    ordered = _after(_utc(datetime.combine(due, time(draw.pick((9, 10, 11, 14, 15, 16))))), -promised * 24)
    project = _project(draw, customer.code, 0.8 if custom else 0.2)
    out: list[Row] = []
    for line_no in range(1, lines + 1):
        code, name, fewest, most, price = draw.pick(CUSTOM_PRODUCTS if custom else PRODUCTS)
        quantity = draw.rng.randint(fewest, most)
        on_time = draw.chance(on_time_p)
        hour = time(draw.rng.randint(8, 17), draw.rng.randrange(60))
        if on_time:
            local = datetime.combine(due - timedelta(days=draw.pick((0, 0, 1, 1, 2, 3))), hour)
        else:
            local = datetime.combine(due + timedelta(days=1 + round(draw.gamma(5, 1.5))), hour)
        delivered: datetime | None = _utc(local)
        if delivered is not None and delivered >= EXTRACTED:
            delivered = None
        out.append(
            {
                "line_no": line_no,
                "ordered_at": ordered,
                "due_date": due,
                "delivered_at": delivered,
                "customer": customer.code,
                "project": project,
                "department": person.department,
                "owner": person.number,
                "product": code,
                "product_name": name,
                "custom": custom,
                "quantity": quantity,
                "amount": round(quantity * price * draw.uniform(0.92, 1.05), 2),
                "status": "delivered" if delivered else "open",
                "on_time_in_full": on_time,
                "accurate": (
                    draw.chance(perf.rate(person, "order_accuracy_rate", month)) if delivered else None
                ),
                "accepted": draw.chance(0.98) if custom and delivered else None,
                "lead_days": _days(delivered - ordered) if delivered else None,
            }
        )
    return out


#: the cost of sales as a share of the list price, by product: materials, labour and overheads
#: (spare parts carry the best margin, the custom assembly lines the thinnest)
COST_SHARE = {
    "HC-PR200": 0.69,
    "HC-SC300": 0.67,
    "HC-FT100": 0.70,
    "HC-VS80": 0.65,
    "HC-LM60": 0.63,
    "HC-SP01": 0.45,
    "HC-SP02": 0.55,
    "HC-FA500": 0.76,
    "HC-CX900": 0.72,
}
#: the price concession key accounts negotiate: the same cost on a lower price
KEY_ACCOUNT_DISCOUNT = 0.04
#: how much the cost of sales falls as a share of the price from the first month to the last
#: (fewer reworks and price concessions over the year: the margin improves by about two points)
COST_IMPROVEMENT = 0.03


def _costs(org: Organisation, periods: Sequence[Month], orders: list[Row]) -> None:
    """Each order line's cost of sales and gross profit, and the customer's segment, as the ERP
    carries them; drawn apart from the lines themselves, so the lines stay as they were."""
    draw = _Draw("order_costs")
    clients = {c.code: c for c in org.clients}
    by_start = {m.start: m for m in periods}
    last = max(len(periods) - 1, 1)
    for line in orders:
        client = clients.get(line["customer"])
        # a line is due on a day of one of the months (``_order`` picks it there)
        progress = by_start[line["due_date"].replace(day=1)].index / last
        trend = 1 + COST_IMPROVEMENT * (0.5 - progress)
        share = COST_SHARE[line["product"]] * trend * draw.uniform(0.96, 1.04)
        if client is not None and client.key_account:
            share /= 1 - KEY_ACCOUNT_DISCOUNT
        cost = round(line["amount"] * share, 2)
        line["segment"] = client.segment if client else None
        line["cost"] = cost
        line["gross_profit"] = round(line["amount"] - cost, 2)


# --- ERP accounts receivable ---------------------------------------------------------------------

#: VAT on equipment sales: invoices (and receivables) carry it, order lines do not
VAT = 0.13
#: the credit term agreed with every customer, in days from the invoice
CREDIT_DAYS = 60
#: days beyond the usual that customers take to pay: key accounts run their own payment cycles
#: (later), the others pay promptly to keep their credit (sooner)
KEY_ACCOUNTS_PAY_LATER, OTHERS_PAY_LATER = 6.0, -4.0


def _receivables(
    org: Organisation, perf: Performance, periods: Sequence[Month], orders: list[Row]
) -> list[Row]:
    """One invoice per delivered order, issued on delivery, followed up until paid by one of the
    finance people who answer for the collection cycle; paid or still open when extracted."""
    draw = _Draw("receivables")
    clerks = org.holders("collection_cycle")
    if not clerks:
        return []
    clients = {c.code: c for c in org.clients}
    by_start = {m.start: m for m in periods}
    earliest, latest = periods[0].start, periods[-1].start
    delivered: dict[str, list[Row]] = defaultdict(list)
    for line in orders:
        if line["delivered_at"] is not None:
            delivered[line["order_no"]].append(line)
    rows: list[Row] = []
    for number, (order_no, lines) in enumerate(sorted(delivered.items()), start=1):
        first = lines[0]
        issued = _local(max(line["delivered_at"] for line in lines)).date() + timedelta(
            days=draw.pick((0, 0, 1, 2))
        )
        # an order due early in the first month may be delivered before it, and one delivered at
        # the end of the last invoiced after it: each counts in the nearest month of the year
        month = by_start[min(max(issued.replace(day=1), earliest), latest)]
        clerk = draw.pick(clerks)
        client = clients.get(first["customer"])
        later = KEY_ACCOUNTS_PAY_LATER if client and client.key_account else OTHERS_PAY_LATER
        days = max(5, round(draw.gamma(perf.level(clerk, "collection_cycle", month) + later, 8.0)))
        # a payment after the extraction is not known yet: the invoice is still open
        paid = issued + timedelta(days=days) if issued + timedelta(days=days) <= LAST_DAY else None
        rows.append(
            {
                "invoice_no": f"INV{number:06d}",
                "order_no": order_no,
                "issued_on": issued,
                "due_on": issued + timedelta(days=CREDIT_DAYS),
                "paid_on": paid,
                "customer": first["customer"],
                "project": first["project"],
                "department": clerk.department,
                "owner": clerk.number,
                "amount": round(sum(line["amount"] for line in lines) * (1 + VAT), 2),
                "status": "paid" if paid else "open",
                "days_to_collect": days if paid else None,
            }
        )
    return rows


# --- CRM tickets ---------------------------------------------------------------------------------


def _tickets(org: Organisation, perf: Performance, periods: Sequence[Month], orders: list[Row]) -> list[Row]:
    draw = _Draw("crm_tickets")
    customers, weights = _customers(org)
    rows: list[Row] = []
    for person in org.people:
        loads = {category: _volume(person, loads) for category, loads in TICKET_LOADS.items()}
        major = "major_customer_complaints" in person.cards
        for month in periods:
            for category, volume in loads.items():
                for _ in range(draw.count(volume * month.share)):
                    customer = draw.pick(customers, weights)
                    rows.append(_ticket(draw, perf, person, month, category, customer.code))
            if major and draw.chance(0.035 * month.share):
                customer = draw.pick(customers, weights)
                rows.append(_ticket(draw, perf, person, month, "complaint", customer.code, severity="major"))
    rows += _followups(draw, org, perf, periods, orders)
    rows.sort(key=lambda r: (r["opened_at"], r["owner"], r["category"]))
    for number, row in enumerate(rows, start=1):
        row["ticket_no"] = f"T{number:06d}"
    return rows


def _followups(
    draw: _Draw, org: Organisation, perf: Performance, periods: Sequence[Month], orders: list[Row]
) -> list[Row]:
    """Customer service calls every customer after a delivery; complaints often come up there."""
    callers = org.holders("complaint_rate")
    if not callers:
        return []
    weights = list(
        accumulate(HEAD_SHARE if p.head else 1.0 if p.kind == "customer_service" else 0.25 for p in callers)
    )
    by_start = {m.start: m for m in periods}
    rows: list[Row] = []
    for line in orders:
        if line["line_no"] != 1 or line["delivered_at"] is None:
            continue
        # called during office hours one to four days after the delivery
        day = _local(line["delivered_at"]).date() + timedelta(days=draw.rng.randint(1, 4))
        opened = _utc(datetime.combine(day, time(draw.rng.randint(9, 17), draw.rng.randrange(60))))
        month = by_start.get(day.replace(day=1))
        if opened >= EXTRACTED or month is None:
            continue  # after the extraction, or before the period began
        person = draw.pick(callers, weights)
        closed = _after(opened, draw.uniform(0.1, 0.6))
        rows.append(
            {
                "opened_at": opened,
                "category": "delivery_followup",
                "channel": "电话",
                "severity": "low",
                "subject": f"交付回访：{line['order_no']}",
                "customer": line["customer"],
                "project": line["project"],
                "department": person.department,
                "owner": person.number,
                "status": "closed",
                "closed_at": closed,
                "handling_hours": round((closed - opened).total_seconds() / 3600, 2),
                "closure_days": _days(closed - opened),
                "contacts": 1,
                "commended": draw.chance(0.004),
                "reference": line["order_no"],
            }
        )
        if draw.chance(perf.rate(person, "complaint_rate", month)):
            complaint = _ticket(
                draw,
                perf,
                person,
                month,
                "complaint",
                line["customer"],
                opened=opened + timedelta(minutes=draw.rng.randint(3, 90)),
            )
            complaint.update(reference=line["order_no"], project=line["project"])
            rows.append(complaint)
    return rows


def _ticket(
    draw: _Draw,
    perf: Performance,
    person: Person,
    month: Month,
    category: str,
    customer: str,
    *,
    opened: datetime | None = None,
    severity: str | None = None,
) -> Row:
    """One ticket of ``category`` handled by ``person``, its times and outcomes drawn from their levels."""

    def level(card: str) -> float:
        return perf.level(person, card, month)

    def rate(card: str) -> float:
        return perf.rate(person, card, month)

    opened = opened or draw.moment(month)
    product = draw.pick(PRODUCTS)[1]
    row: Row = {
        "opened_at": opened,
        "category": category,
        "channel": draw.weighted(CHANNELS.get(category, CHANNELS["inquiry"])),
        "severity": severity
        or ("high" if draw.chance(HIGH_SEVERITY.get(category, 0.0)) else SEVERITY.get(category, "normal")),
        "subject": draw.pick(SUBJECTS[category]).format(p=product),
        "customer": customer,
        "project": _project(draw, customer, 0.5 if category in ("installation", "requirement") else 0.1),
        "department": person.department,
        "owner": person.number,
        "commended": draw.chance(0.07 if "customer_commendations" in person.cards else 0.005),
    }
    on_time: bool | None = None
    due: datetime | None = None
    if category in SERVICE:
        row["response_hours"] = round(draw.gamma(level("response_time"), 2.0), 2)
        handling = draw.gamma(level("ticket_handling_time"), 1.6)
        if category in ("fault", "complaint"):
            # an issue stays open until the customer confirms the fix (and for complaints the cause)
            days = draw.gamma(level("closure_cycle"), 2.0)
            handling = min(handling, days * 24)
        else:
            days = handling * draw.uniform(1.0, 1.5) / 24
        first = draw.chance(rate("first_contact_resolution") * (0.5 if category == "complaint" else 1.0))
        if category != "complaint":
            on_time = draw.chance(rate("resolution_rate"))
        row.update(first_contact_resolved=first, contacts=1 if first else draw.rng.randint(2, 4))
        if category in ("fault", "complaint"):
            row["repeat_issue"] = draw.chance(rate("repeat_issue_rate"))
    elif category == "quality_issue":
        row["response_hours"] = round(draw.gamma(4, 2.0), 2)
        days = draw.gamma(level("closure_cycle"), 2.5)
        handling = days * 24 * draw.uniform(0.2, 0.4)
        row["repeat_issue"] = draw.chance(rate("repeat_issue_rate"))
    elif category == "installation":
        row["response_hours"] = round(draw.gamma(6, 2.0), 2)
        first = draw.chance(rate("installation_first_time_success"))
        days = draw.uniform(1, 3) + (0 if first else draw.uniform(2, 6))
        handling = days * 24 * draw.uniform(0.3, 0.6)
        row["first_time_success"] = first
        onboarding = draw.gamma(level("onboarding_time"), 3.0)
        if opened + timedelta(days=days + onboarding) < EXTRACTED and draw.chance(0.96):
            row["onboarding_days"] = round(onboarding, 1)
    elif category == "quote":
        row["response_hours"] = round(draw.gamma(1.5, 2.0), 2)
        handling = draw.gamma(level("quote_turnaround_time"), 1.8)
        # quotes take working hours: a working day is about a third of the calendar day
        days = handling * 3 / 24
        decided = opened + timedelta(days=days + draw.uniform(7, 40))
        row["quote_outcome"] = (
            "pending" if decided >= EXTRACTED else "won" if draw.chance(rate("quote_win_rate")) else "lost"
        )
    else:  # requirement
        row["response_hours"] = round(draw.gamma(8, 2.0), 2)
        days = draw.gamma(level("requirement_to_delivery_cycle"), 4.0)
        handling = days * 24 * draw.uniform(0.1, 0.25)
        on_time = draw.chance(rate("requirement_on_time_delivery_rate"))
    closed = _after(opened, days * 24)
    if on_time is not None:
        share = draw.uniform(1.05, 1.6) if on_time else draw.uniform(0.4, 0.95)
        due = _after(opened, days * 24 * share)
        row["due_at"] = due
    if closed < EXTRACTED:
        row.update(
            status="closed",
            closed_at=closed,
            handling_hours=round(handling, 2),
            closure_days=_days(closed - opened),
            resolved_on_time=on_time,
        )
    else:
        # still open when extracted: what is not known yet stays empty
        row.update(status="open", contacts=None, repeat_issue=None, first_time_success=None)
        row.pop("onboarding_days", None)
        if "quote_outcome" in row:
            row["quote_outcome"] = None
        if due is not None:
            row["resolved_on_time"] = False if due < EXTRACTED else None
    return row


# --- surveys -------------------------------------------------------------------------------------


def _top_two(draw: _Draw, p: float) -> int:
    """A 1–5 answer that is 4 or 5 with probability ``p``."""
    if draw.chance(p):
        return 5 if draw.chance(0.58) else 4
    return int(draw.weighted((("3", 0.65), ("2", 0.25), ("1", 0.1))))


def _nps_score(draw: _Draw, points: float) -> int:
    """A 0–10 answer from a population whose NPS is about ``points``, with about 28% passives."""
    promoters = (0.72 + points / 100) / 2
    detractors = (0.72 - points / 100) / 2
    roll = draw.rng.random()
    if roll < promoters:
        return int(draw.pick((9, 10)))
    if roll < promoters + detractors:
        return int(draw.pick((0, 2, 3, 4, 4, 5, 5, 5, 6, 6, 6, 6)))
    return int(draw.pick((7, 8)))


class _Answers:
    """Collects survey responses; answers arrive a few hours to days after the touchpoint."""

    def __init__(self, draw: _Draw) -> None:
        self.draw = draw
        self.rows: list[Row] = []

    def add(
        self, after: datetime, person: Person, survey: str, touchpoint: str, customer: str, **values: Any
    ) -> None:
        answered = _after(after, self.draw.uniform(2, 120))
        if answered >= EXTRACTED:
            return
        row: Row = {
            "answered_at": answered,
            "survey": survey,
            "touchpoint": touchpoint,
            "customer": customer,
            "department": person.department,
            "owner": person.number,
            **values,
        }
        if self.draw.chance(0.12):
            row["comment"] = self.draw.pick(COMMENTS[_mood(values)])
        self.rows.append(row)


def _mood(values: dict[str, Any]) -> str:
    nps = values.get("nps_score")
    if nps is not None:
        return "good" if nps >= 9 else "fair" if nps >= 7 else "poor"
    score = next((values[k] for k in ("csat_score", "rating", "value_rating") if values.get(k)), 4)
    return "good" if score >= 4 else "fair" if score == 3 else "poor"


def _surveys(
    org: Organisation, perf: Performance, periods: Sequence[Month], tickets: list[Row], orders: list[Row]
) -> list[Row]:
    draw = _Draw("survey_responses")
    answers = _Answers(draw)
    people = {p.number: p for p in org.people}
    month_of = {m.start: m for m in periods}
    externals, weights = _customers(org)
    internal = [c.code for c in org.clients if c.internal]

    def local_month(moment: datetime) -> Month:
        return month_of[_local(moment).date().replace(day=1)]

    # after touchpoints: closed tickets, installations, quotes and deliveries
    for ticket in tickets:
        category = ticket["category"]
        if ticket["status"] != "closed" or category not in (*SERVICE, "installation", "quote"):
            continue
        person = people[ticket["owner"]]
        month = local_month(ticket["opened_at"])
        about = {"reference": ticket["ticket_no"], "project": ticket["project"]}
        customer = ticket["customer"]
        if category == "quote":
            if draw.chance(0.45):
                value = draw.rating(perf.level(person, "value_for_money_score", month))
                answers.add(
                    ticket["closed_at"],
                    person,
                    "quotation",
                    "quotation",
                    customer,
                    value_rating=value,
                    **about,
                )
            continue
        share = 0.45 if category == "installation" else 0.35
        if draw.chance(share):
            factor = 0.85 if category == "installation" and not ticket["first_time_success"] else 1.0
            score = _top_two(draw, perf.rate(person, "csat", month) * factor)
            touchpoint = "installation" if category == "installation" else "service_ticket"
            answers.add(
                ticket["closed_at"], person, "touchpoint", touchpoint, customer, csat_score=score, **about
            )
    for line in orders:
        if line["line_no"] == 1 and line["delivered_at"] is not None and draw.chance(0.06):
            delivered = month_of.get(_local(line["delivered_at"]).date().replace(day=1))
            if delivered is None:
                continue  # delivered early, before the period began
            person = people[line["owner"]]
            factor = 1.0 if line["on_time_in_full"] else 0.85
            score = _top_two(draw, perf.rate(person, "csat", delivered) * factor)
            answers.add(
                line["delivered_at"],
                person,
                "touchpoint",
                "delivery",
                line["customer"],
                csat_score=score,
                reference=line["order_no"],
                project=line["project"],
            )
    # CSAT holders whose own work leaves few surveys behind hear from customers on account visits
    heard = Counter(
        (r["owner"], local_month(r["answered_at"]).index) for r in answers.rows if r.get("csat_score")
    )
    for person in org.holders("csat"):
        for month in periods:
            for _ in range(draw.count(5 * month.share) - heard[(person.number, month.index)]):
                score = _top_two(draw, perf.rate(person, "csat", month))
                customer = draw.pick(externals, weights).code
                answers.add(
                    draw.moment(month), person, "touchpoint", "account_visit", customer, csat_score=score
                )
    # the surveys people run themselves
    keys = [c for c in externals if c.key_account] or externals
    for survey, (volume, card) in SURVEY_LOADS.items():
        for person in org.holders(card):
            if survey == "market_research" and _volume(person, TICKET_LOADS["quote"]):
                continue  # sellers hear about value for money after their quotes
            served = [c for c in INTERNAL_SERVED.get(person.department, ()) if c in internal] or internal
            for month in periods:
                for _ in range(draw.count(volume * month.share)):
                    moment = draw.moment(month)
                    if survey == "relationship":
                        # a front-line head asks the key accounts; the general manager everyone
                        customer = draw.pick(keys if person.kind == "frontline" else externals).code
                        nps = _nps_score(draw, perf.level(person, "nps", month))
                        value = draw.rating(perf.level(person, "value_for_money_score", month))
                        answers.add(
                            moment,
                            person,
                            survey,
                            "relationship",
                            customer,
                            nps_score=nps if draw.chance(0.97) else None,
                            value_rating=value if draw.chance(0.8) else None,
                        )
                    elif survey == "market_research":
                        value = draw.rating(perf.level(person, card, month))
                        customer = draw.pick(externals, weights).code
                        answers.add(moment, person, survey, survey, customer, value_rating=value)
                    elif survey == "internal":
                        rating = draw.rating(perf.level(person, card, month))
                        answers.add(
                            moment, person, survey, "internal_service", draw.pick(served), rating=rating
                        )
                    elif survey == "employee_service":
                        staff = ALL_STAFF if ALL_STAFF in internal else draw.pick(internal)
                        rating = _top_two(draw, perf.rate(person, card, month))
                        answers.add(moment, person, survey, survey, staff, rating=rating)
                    else:
                        touchpoint = "product_release" if survey == "post_release" else "campaign_event"
                        rating = _top_two(draw, perf.rate(person, card, month))
                        customer = draw.pick(externals, weights).code
                        answers.add(moment, person, survey, touchpoint, customer, rating=rating)
    rows = answers.rows
    rows.sort(key=lambda r: (r["answered_at"], r["owner"], r["survey"]))
    for number, row in enumerate(rows, start=1):
        row["response_id"] = f"R{number:06d}"
    return rows


# --- IT service desk -----------------------------------------------------------------------------


def _it_service(org: Organisation, perf: Performance, periods: Sequence[Month]) -> list[Row]:
    draw = _Draw("it_service")
    requesters = [p for p in org.people if p.department != "IT"] or list(org.people)
    # the internal customer a requester belongs to: their department's, or all staff
    staff = ALL_STAFF if any(c.code == ALL_STAFF for c in org.clients) else None
    internal = {c.department: c.code for c in org.clients if c.internal and c.department}
    rows: list[Row] = []
    for person in org.people:
        loads = {kind: _volume(person, loads) for kind, loads in IT_LOADS.items()}
        for month in periods:
            for kind, volume in loads.items():
                for _ in range(draw.count(volume * month.share)):
                    requester = draw.pick(requesters)
                    row = _it_ticket(draw, perf, person, month, kind)
                    row.update(
                        requester=requester.number,
                        requester_department=requester.department,
                        customer=internal.get(requester.department, staff),
                    )
                    rows.append(row)
    rows.sort(key=lambda r: (r["opened_at"], r["owner"]))
    for number, row in enumerate(rows, start=1):
        row["ticket_no"] = f"IT{number:05d}"
    return rows


def _it_ticket(draw: _Draw, perf: Performance, person: Person, month: Month, kind: str) -> Row:
    """An incident (restored, then closed) or a request (answered, then closed) handled by ``person``."""
    opened = draw.moment(month, 8, 21)
    recovery: float | None = None
    restored: datetime | None = None
    if kind == "incident":
        security = draw.chance(0.004 * (2 if "security_incidents" in person.cards else 1))
        category = "security" if security else draw.pick(("network", "erp", "mes", "crm", "device", "other"))
        priority = "P2" if security else draw.weighted((("P1", 0.03), ("P2", 0.17), ("P3", 0.5), ("P4", 0.3)))
        response = draw.gamma(0.5, 2.0)
        major = priority in ("P1", "P2")
        recovery = draw.gamma(perf.level(person, "it_incident_recovery_time", month) if major else 8, 2.0)
        restored = _after(opened, recovery)
        closed = _after(opened, recovery + draw.uniform(0.5, 24))
        if restored >= EXTRACTED:
            recovery, restored = None, None
    else:
        category = draw.pick(("erp", "mes", "crm", "device", "account", "other"))
        priority = draw.weighted((("P3", 0.6), ("P4", 0.4)))
        response = draw.gamma(perf.level(person, "it_request_response_time", month), 1.5)
        closed = _after(opened, response + draw.gamma(16, 1.5))
    done = closed < EXTRACTED
    rated = done and draw.chance(0.55)
    return {
        "opened_at": opened,
        "type": kind,
        "priority": priority,
        "category": category,
        "subject": draw.pick(IT_SUBJECTS[category]),
        "department": person.department,
        "owner": person.number,
        "response_hours": round(response, 2),
        "restored_at": restored,
        "recovery_hours": None if recovery is None else round(recovery, 2),
        "closed_at": closed if done else None,
        "satisfaction": (
            draw.rating(perf.level(person, "it_support_satisfaction", month)) if rated else None
        ),
    }


# --- HR training records -------------------------------------------------------------------------


def _training(org: Organisation, perf: Performance, periods: Sequence[Month]) -> list[Row]:
    draw = _Draw("training")
    scenario_owners = org.holders("customer_scenario_training_rate")
    trainers = org.holders("training_business_satisfaction") or [
        p for p in scenario_owners if p.department == "HR"
    ]
    if not trainers:
        return []
    # each course runs once a month; a trainee joins one of its sessions
    sessions = {
        code: [(m, _utc(datetime.combine(draw.pick(m.days), time(draw.pick((9, 14)))))) for m in periods]
        for code, *_ in COURSES
    }
    courses = {code: (name, hours, scenario) for code, name, hours, scenario in COURSES}
    rows: list[Row] = []
    for trainee in org.people:
        general = ["GN-201", *draw.rng.sample(["GN-202", "GN-203", "GN-204"], 2)]
        if trainee.head:
            general.append("MG-301")
        scenario: list[str] = []
        if trainee.kind in CUSTOMER_FACING:
            scenario = ["CS-101", "CS-102"] + (["CS-103"] if trainee.department == "FS" else [])
        own = [p for p in scenario_owners if p.department == trainee.department]
        hr = [p for p in scenario_owners if p.department == "HR"] or trainers
        for code in general + scenario:
            name, hours, is_scenario = courses[code]
            owner = draw.pick(own or hr) if is_scenario else draw.pick(trainers)
            month, session = draw.pick(sessions[code])
            attended = draw.chance(0.95)
            assessed = attended and session + timedelta(days=10) < EXTRACTED
            if is_scenario:
                passed_p = min(perf.rate(owner, "customer_scenario_training_rate", month) / 0.95, 0.999)
            else:
                passed_p = 0.97
            passed: bool | None = (draw.chance(passed_p) if assessed else None) if attended else False
            score = None
            if assessed:
                score = round(draw.uniform(75, 98) if passed else draw.uniform(45, 74), 1)
            rated = attended and session + timedelta(days=20) < EXTRACTED and draw.chance(0.6)
            rows.append(
                {
                    "session_at": session,
                    "course_code": code,
                    "course_name": name,
                    "scenario": is_scenario,
                    "trainee": trainee.number,
                    "trainee_department": trainee.department,
                    "department": owner.department,
                    "owner": owner.number,
                    "hours": hours,
                    "attended": attended,
                    "passed": passed,
                    "score": score,
                    "manager_rating": (
                        draw.rating(perf.level(owner, "training_business_satisfaction", month))
                        if rated
                        else None
                    ),
                }
            )
    rows.sort(key=lambda r: (r["session_at"], r["course_code"], r["trainee"]))
    for number, row in enumerate(rows, start=1):
        row["record_id"] = f"TR{number:05d}"
    return rows


# --- production lots -----------------------------------------------------------------------------


class _Lots:
    """The lots one person is responsible for in one month."""

    def __init__(
        self,
        draw: _Draw,
        perf: Performance,
        person: Person,
        month: Month,
        buyers: tuple[list[Client], list[float]],
    ) -> None:
        self.draw, self.perf, self.person, self.month, self.buyers = draw, perf, person, month, buyers
        # a batch incident is rare, except in the bad month
        self.incident_p = 0.005 * (6 if (person.department, month.start) == BAD_MONTH else 1)

    def rate(self, card: str) -> float:
        return self.perf.rate(self.person, card, self.month)

    def _lot(self, kind: str, **values: Any) -> Row:
        return {
            "lot_type": kind,
            "inspected_at": self.draw.moment(self.month, 7, 22),
            "department": self.person.department,
            "owner": self.person.number,
            "batch_incident": False,
            **values,
        }

    def _customer(self) -> str:
        return str(self.draw.pick(*self.buyers).code)

    def assembly(self) -> Row:
        draw = self.draw
        planned = draw.rng.randint(10, 60)
        on_plan = draw.chance(self.rate("plan_attainment_rate"))
        completed = planned if on_plan else planned - draw.rng.randint(1, max(1, planned // 3))
        failed = draw.binomial(completed, 1 - self.rate("first_pass_yield"))
        custom = "customisation_delivery_rate" in self.person.cards and draw.chance(0.3)
        customer = self._customer() if custom else None
        return self._lot(
            "assembly",
            product=draw.pick(CUSTOM_PRODUCTS if custom else PRODUCTS[:5])[0],
            customer=customer,
            project=_project(draw, customer, 0.8) if customer else None,
            planned_qty=planned,
            completed_qty=completed,
            on_plan=on_plan,
            inspected_units=completed,
            first_pass_units=completed - failed,
            defects=failed + draw.rng.randint(0, failed // 2 + 1),
            batch_incident=draw.chance(self.incident_p),
        )

    def final(self) -> Row:
        draw = self.draw
        inspected = draw.rng.randint(20, 120)
        failed = draw.binomial(inspected, 1 - self.rate("first_pass_yield"))
        customer = self._customer()
        return self._lot(
            "final",
            product=draw.pick(PRODUCTS[:5])[0],
            customer=customer,
            project=_project(draw, customer, 0.2),
            inspected_units=inspected,
            first_pass_units=inspected - failed,
            defects=failed + draw.rng.randint(0, failed // 2 + 1),
            batch_incident=draw.chance(self.incident_p),
            shipped_units=inspected,
            returned_units=draw.binomial(inspected, self.rate("customer_return_rate")),
        )

    def incoming(self) -> Row:
        draw = self.draw
        accepted = draw.chance(self.rate("incoming_quality_rate"))
        return self._lot(
            "incoming",
            product=draw.pick(PARTS),
            supplier=draw.pick(SUPPLIERS),
            inspected_units=draw.pick((13, 20, 32, 50, 80)),
            defects=0 if accepted else draw.rng.randint(1, 5),
            accepted=accepted,
            supplier_on_time=draw.chance(self.rate("supplier_on_time_rate")),
        )

    def version(self, release: list[int]) -> Row:
        """A product version's defects; with its field hours and failures for hardware people."""
        draw = self.draw
        release[2] += 1
        total = draw.rng.randint(12, 45)
        row = self._lot(
            "version",
            product=draw.pick(PRODUCTS[:5])[0],
            version="V{}.{}.{}".format(*release),
            total_defects=total,
            customer_found_defects=draw.binomial(total, self.rate("customer_defect_rate")),
        )
        if "mean_time_between_failures" in self.person.cards:
            hours = draw.rng.randint(80, 160) * draw.uniform(420, 620)
            mtbf = self.perf.level(self.person, "mean_time_between_failures", self.month)
            row.update(operating_hours=round(hours, 1), failures=draw.count(hours / mtbf))
        return row


def _lots(org: Organisation, perf: Performance, periods: Sequence[Month]) -> list[Row]:
    draw = _Draw("production_lots")
    buyers = _customers(org, buyers=True)
    rows: list[Row] = []
    for person in org.people:
        loads = {kind: _volume(person, loads) for kind, loads in LOT_LOADS.items()}
        versions = bool({"customer_defect_rate", "mean_time_between_failures"} & person.cards)
        release = [draw.rng.randint(1, 4), draw.rng.randint(0, 9), 0]
        for month in periods:
            lots = _Lots(draw, perf, person, month, buyers)
            rows += [lots.assembly() for _ in range(draw.count(loads["assembly"] * month.share))]
            rows += [lots.final() for _ in range(draw.count(loads["final"] * month.share))]
            rows += [lots.incoming() for _ in range(draw.count(loads["incoming"] * month.share))]
            if versions:
                rows += [lots.version(release) for _ in range(1 + draw.count(0.3 * month.share))]
    rows.sort(key=lambda r: (r["inspected_at"], r["owner"], r["lot_type"]))
    work_orders = 0
    for number, row in enumerate(rows, start=1):
        row["lot_no"] = f"L{number:06d}"
        if row["lot_type"] == "assembly":
            work_orders += 1
            row["work_order"] = f"WO{work_orders:06d}"
    return rows


# --- a few flaws for the data-quality figures ----------------------------------------------------


def _spoil(
    draw: _Draw, rows: list[Row], count: int, column: str, value: Any, *, having: str | None = None
) -> None:
    """Set ``column`` to ``value`` in ``count`` rows (that have a value in ``having``)."""
    found = [i for i, r in enumerate(rows) if having is None or r.get(having) is not None]
    for i in sorted(draw.rng.sample(found, min(count, len(found)))):
        rows[i][column] = value(rows[i]) if callable(value) else value


def _flaws(tables: dict[str, list[Row]]) -> None:
    """The handful of values any real export holds: out of the allowed set or range, still loaded."""
    draw = _Draw("flaws")
    crm = tables["crm_tickets"]
    _spoil(draw, crm, 3, "channel", "WeChat")  # typed in by a new agent, not picked from the list
    _spoil(draw, crm, 2, "response_hours", -0.25, having="response_hours")  # a clock set wrong
    _spoil(draw, tables["orders"], 2, "amount", lambda r: -r["amount"])  # credit notes keyed as orders
    surveys = tables["survey_responses"]
    _spoil(draw, surveys, 2, "csat_score", 6, having="csat_score")
    _spoil(draw, surveys, 1, "nps_score", 11, having="nps_score")
    _spoil(draw, surveys, 1, "value_rating", 0, having="value_rating")
    _spoil(draw, tables["it_service"], 1, "satisfaction", 6, having="satisfaction")
    _spoil(draw, tables["it_service"], 1, "satisfaction", 0, having="satisfaction")
    _spoil(draw, tables["training"], 1, "score", 105.0, having="score")
    _spoil(draw, tables["production_lots"], 2, "lot_type", "rework", having="work_order")
    # a payment keyed against the wrong invoice: paid, by its dates, before it was issued
    _spoil(draw, tables["receivables"], 1, "days_to_collect", -3, having="days_to_collect")


# --- writing -------------------------------------------------------------------------------------

#: CSV files that are not UTF-8: (encoding, how yes and no are written)
CSV_STYLES = {"crm_tickets": ("gbk", ("是", "否"))}
_SQL_TYPES: dict[str, Any] = {
    "string": sa.String(200),
    "integer": sa.Integer(),
    "decimal": sa.Float(),
    "date": sa.Date(),
    "timestamp": sa.DateTime(),
    "boolean": sa.Boolean(),
}


def _write_csv(path: Path, table: pa.Table, code: str) -> None:
    """The table as CSV in the file's encoding: times to the second, yes/no as the system writes them."""
    encoding, (yes, no) = CSV_STYLES.get(code, ("utf-8", ("true", "false")))
    table = _texts_for_times(table)
    columns = [pc.if_else(c, yes, no) if pa.types.is_boolean(c.type) else c for c in table.columns]
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(pa.Table.from_arrays(columns, names=table.column_names), sink)
    text = sink.getvalue().to_pybytes()
    path.write_bytes(text if encoding == "utf-8" else text.decode("utf-8").encode(encoding))


def _arrow(schema: SourceSchema, rows: list[Row]) -> pa.Table:
    """The rows as a table of the declared column types (decimals rounded to their scale)."""
    collected = pa.schema(
        [pa.field(c.name, pa.float64() if c.type == "decimal" else arrow_type(c)) for c in schema.columns]
    )
    table = pa.Table.from_pylist(rows, schema=collected)
    for i, column in enumerate(schema.columns):
        if column.type == "decimal":
            # rounded first, so the cast to the declared scale only drops binary noise
            exact = pc.cast(pc.round(table.column(i), column.scale), arrow_type(column), safe=False)
            table = table.set_column(i, column.name, exact)
    return table


def _write_xlsx(path: Path, schema: SourceSchema, rows: list[Row], sheet: str) -> None:
    """The rows as one sheet of a workbook, times as Excel date-times."""
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    ws.append([c.name for c in schema.columns])
    for row in rows:
        ws.append(
            [
                round(v, c.scale) if c.type == "decimal" and v is not None else v
                for c in schema.columns
                for v in (row.get(c.name),)
            ]
        )
    content = io.BytesIO()
    book.save(content)
    # a workbook records when it was saved, in its properties and its zip entries: both are set to
    # the extraction time, so that every run writes the same bytes
    saved = EXTRACTED.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(content) as written, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for entry in written.infolist():
            data = written.read(entry)
            if entry.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + saved, data)
            stamp = zipfile.ZipInfo(entry.filename, date_time=EXTRACTED.timetuple()[:6])
            out.writestr(stamp, data, compress_type=zipfile.ZIP_DEFLATED)


def _write_sqlite(path: Path, table_name: str, schema: SourceSchema, rows: list[Row]) -> None:
    """A new SQLite database holding the rows as one table with typed columns."""
    path.unlink(missing_ok=True)
    metadata = sa.MetaData()
    table = sa.Table(
        table_name,
        metadata,
        *[
            sa.Column(c.name, _SQL_TYPES[c.type], primary_key=c.name in schema.key, nullable=not c.required)
            for c in schema.columns
        ],
    )
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            metadata.create_all(conn)
            conn.execute(
                sa.insert(table), [{c.name: row.get(c.name) for c in schema.columns} for row in rows]
            )
    finally:
        engine.dispose()


def _texts_for_times(table: pa.Table) -> pa.Table:
    """Timestamps as text to the second (naive UTC), as CSV files and JSON pushes carry them."""
    columns = [
        pc.strftime(c.cast(pa.timestamp("s")), "%Y-%m-%d %H:%M:%S") if pa.types.is_timestamp(c.type) else c
        for c in table.columns
    ]
    return pa.Table.from_arrays(columns, names=table.column_names)


def _batches(schema: SourceSchema, rows: list[Row]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The rows as pushes, one per local month of the answer, each under its idempotency key."""
    records = _texts_for_times(_arrow(schema, rows)).to_pylist()
    by_month: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row, record in zip(rows, records, strict=True):
        by_month[_local(row["answered_at"]).strftime("%Y-%m")].append(record)
    return [(f"demo-surveys-{month}", batch) for month, batch in sorted(by_month.items())]


# --- generating ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoBusinessData:
    """What ``generate`` wrote, and the survey answers it leaves to push."""

    #: source code → the file written (the SQLite database for the sql source)
    files: dict[str, Path]
    #: source code → rows generated
    rows: dict[str, int]
    #: survey_responses as pushes: (idempotency key, rows as JSON-able dicts), one per month
    survey_batches: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)


def generate(session: Session, out_dir: Path) -> DemoBusinessData:
    """Write a year of business data for the demo organisation in ``session`` under ``out_dir``."""
    sources = {s.code: s for s in map(SourceIn.model_validate, load_data_yaml()["sources"])}
    org = read_organisation(session)
    periods = months()
    perf = Performance(org, periods)
    orders = _orders(org, perf, periods)
    _costs(org, periods, orders)
    tickets = _tickets(org, perf, periods, orders)
    tables = {
        "crm_tickets": tickets,
        "orders": orders,
        "survey_responses": _surveys(org, perf, periods, tickets, orders),
        "it_service": _it_service(org, perf, periods),
        "training": _training(org, perf, periods),
        "production_lots": _lots(org, perf, periods),
        "receivables": _receivables(org, perf, periods, orders),
    }
    _flaws(tables)
    files: dict[str, Path] = {}
    batches: list[tuple[str, list[dict[str, Any]]]] = []
    for code, rows in tables.items():
        source = sources[code]
        schema = source.columns
        stray = set().union(*rows) - {c.name for c in schema.columns} if rows else set()
        assert not stray, f"{code}: columns not declared in data.yaml: {sorted(stray)}"
        if source.kind == "push":
            batches = _batches(schema, rows)
            continue
        # a relative SQLite path, like a file location, is read from the data directory
        location = str(make_url(source.location).database) if source.kind == "sql" else source.location
        path = out_dir / location
        path.parent.mkdir(parents=True, exist_ok=True)
        if source.kind == "sql":
            _write_sqlite(path, str(source.table), schema, rows)
        elif path.suffix == ".csv":
            _write_csv(path, _arrow(schema, rows), code)
        elif path.suffix == ".parquet":
            pq.write_table(_arrow(schema, rows), path)
        else:
            _write_xlsx(path, schema, rows, source.sheet or code)
        files[code] = path
    return DemoBusinessData(files, {code: len(rows) for code, rows in tables.items()}, batches)
