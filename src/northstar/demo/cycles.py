"""The demo company's performance cycles (issue 6, step 8): the third quarter of 2026 closed and
the fourth running, both company-wide, made the way the company's people would make them.

2026-Q3 goes the whole way: HR opens planning, managers adjust a few targets with reasons, HR
starts the cycle, takes the actuals from the metrics engine and has the missing values entered by
hand for approval, everyone writes a self-review (a few are waived by HR), each person's manager
reviews them, HR calibrates against a forced distribution, publishes, one appeal goes to the
skip-level manager and is decided, everyone else confirms, and HR closes the cycle.
2026-Q4 is running: planned (with reasons), started, actuals taken for the part of the quarter
the data covers, one change made by HR while it runs (flagged on the scorecards it touches) and
one hand-entered value waiting for the ``manager`` login's approval.

Everything goes through the cycle services, which check roles, record scope and order exactly
as for a signed-in user. The demo has six logins; the other people act through a principal with
no user id, their employee id and their employee number as username (what the records then name
them by): the services decide on role and scope, not on the account, so such a principal takes
the same path a login would. Only the steps that must name an account — the reviewer of a
hand-entered value, the skip-level manager of an appeal — fall to the logins.

Deterministic: every choice comes from a random generator seeded with ``SEED``, the cycle and the
person, and every date from the cycle calendar and the organisation; the clock only stamps the
times the services record.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session

from northstar.config import Settings
from northstar.cycles import actuals, appeals, plan, reviews, scores
from northstar.cycles import service as cycles
from northstar.cycles.models import AppealRoute, Cycle, CycleParticipant, CycleReview, CycleState
from northstar.cycles.schemas import CycleIn
from northstar.org.models import Employee
from northstar.org.service import query_employees
from northstar.scorecards import teams as team_service
from northstar.scoring.rollup import RollupResult
from northstar.scoring.rules import ADJUSTMENT_KINDS, MissingPolicy
from northstar.security import service as security
from northstar.security.models import Role
from northstar.security.principal import SYSTEM_PRINCIPAL, Principal

SEED = 20261125
PERIOD = "2026"
CLOSED = "2026-Q3"
RUNNING = "2026-Q4"
#: the company's calibration aid: a fifth of the people A, half B (S 10 / A 20 / B 50 / C 15 / D 5)
FORCED = {"S": Decimal(10), "A": Decimal(20), "B": Decimal(50), "C": Decimal(15), "D": Decimal(5)}
#: the logins that check hand-entered values, in order of preference (never the person who
#: entered the value nor the person it is about)
REVIEWERS = ("hr", "executive", "admin")
#: how long after a quarter's end its reviews are written: who is someone's manager then
REVIEW_LAG = timedelta(days=10)
#: people who joined this close to a quarter's end are not asked for a self-review
NEW_JOINER = timedelta(days=45)


# --- who acts ---------------------------------------------------------------------------------


@dataclass
class Cast:
    """The demo logins as principals, and a principal for everyone else in the company."""

    employees: dict[int, Employee]
    logins: dict[str, Principal]
    by_employee: dict[int, Principal]
    managers: set[int]

    @classmethod
    def of(cls, db: Session) -> Cast:
        employees = {e.id: e for e in db.scalars(query_employees(SYSTEM_PRINCIPAL)).unique()}
        logins = {u.username: security.principal_of(u) for u in security.get_all_users(db) if u.is_active}
        by_employee = {p.employee_id: p for p in logins.values() if p.employee_id is not None}
        managers = {e.manager_id for e in employees.values() if e.manager_id is not None}
        return cls(employees, logins, by_employee, managers)

    @property
    def hr(self) -> Principal:
        return self.logins["hr"]

    def person(self, employee_id: int) -> Principal:
        """The person's login, or a principal without an account (see the module's docstring)."""
        if employee_id in self.by_employee:
            return self.by_employee[employee_id]
        e = self.employees[employee_id]
        role = Role.manager if employee_id in self.managers else Role.employee
        return Principal(user_id=None, username=e.number, display_name=e.name, role=role, employee_id=e.id)

    def rater(self, employee_id: int, on: date) -> Principal:
        """Who reviews the person on ``on``: the nearest manager up the line still employed then;
        HR for the head of the company, whose review HR enters for the board."""
        boss_id = self.employees[employee_id].manager_id
        while boss_id is not None:
            boss = self.employees[boss_id]
            if boss.start_date <= on and (boss.end_date is None or boss.end_date >= on):
                return self.person(boss.id)
            boss_id = boss.manager_id
        return self.hr

    def reviewer(self, entered_by: Principal, employee_id: int) -> Principal:
        for username in REVIEWERS:
            p = self.logins[username]
            if p.user_id != entered_by.user_id and p.employee_id != employee_id:
                return p
        raise AssertionError("the demo has three logins that check values")  # pragma: no cover


def _rng(*parts: object) -> random.Random:
    return random.Random("/".join(str(p) for p in (SEED, *parts)))


# --- what people write ------------------------------------------------------------------------
# Small phrase lists, combined per person: enough variety for a believable review list.

SELF_OPENING = {
    "excellent": [
        "本季度各项指标整体超额完成，{best}表现尤其突出。",
        "本季度目标全面达成并有超出，{best}创下了个人最好成绩。",
        "这个季度状态很好，{best}明显高于目标，客户反馈也比较积极。",
    ],
    "good": [
        "本季度主要指标均达到或超过目标，{best}完成得比较好。",
        "本季度总体完成了既定目标，{best}比上季度有明显进步。",
        "各项工作按计划推进，{best}稳定在目标以上。",
    ],
    "solid": [
        "本季度大部分指标达到目标，{best}完成情况较好。",
        "本季度工作基本按计划推进，{best}保持稳定。",
        "整体完成了岗位的基本要求，{best}做得相对扎实。",
    ],
    "weak": [
        "本季度部分指标没有达到目标，{weak}差距较大，需要认真反思。",
        "本季度整体完成情况不理想，{weak}低于预期。",
        "坦白说这个季度没有达到自己的预期，尤其是{weak}。",
    ],
}
SELF_REFLECTION = [
    "{weak}还有提升空间，主要是季度中期任务集中、跟进不够及时。",
    "{weak}受到客户项目延期的影响，没有完全达到预期。",
    "在{weak}上投入的精力不够，下季度会重点改进。",
    "{weak}与目标仍有差距，已经和主管一起分析了原因。",
    "{weak}有几次跨部门协作等待时间较长，影响了结果。",
]
SELF_PLAN = [
    "下季度计划加强与相关部门的沟通，提前识别风险。",
    "下季度会参加相关培训，提升专业能力。",
    "接下来会把客户反馈纳入每周复盘，持续改进。",
    "希望下季度能承担更有挑战的工作。",
    "下季度会把重点放在流程标准化上，减少返工。",
]
MANAGER_OPENING = {
    "excellent": [
        "业绩突出，{best}远超目标，是团队的标杆。",
        "本季度表现优秀，{best}贡献明显，值得团队学习。",
        "工作主动性强，{best}成绩亮眼，客户评价很高。",
    ],
    "good": [
        "目标完成扎实，{best}表现稳定可靠。",
        "整体表现良好，{best}达到了较高水平。",
        "本季度完成了承诺的目标，{best}有明显提升。",
    ],
    "solid": [
        "基本完成季度目标，{best}完成较好，整体达到岗位要求。",
        "工作态度认真，{best}保持稳定，整体表现合格。",
        "按计划完成了本职工作，{best}做得不错。",
    ],
    "weak": [
        "本季度业绩未达预期，尤其是{weak}，需要制定明确的改进计划。",
        "{weak}明显低于目标，下季度需要重点提升。",
        "整体表现低于岗位要求，{weak}差距较大，我们已约定每两周复盘一次。",
    ],
}
MANAGER_ADVICE = [
    "建议下季度在{weak}上设定阶段性目标，每月跟进。",
    "建议多和同事分享经验，带动团队共同提升。",
    "建议加强数据分析能力，用数据支撑改进。",
    "建议主动参与跨部门项目，拓宽视野。",
    "建议把{weak}的改进措施写进下季度的个人计划。",
]
CONTRIBUTION = {
    "excellent": "承担了最难的模块，客户试点问题大多由其牵头解决，对上线后客户满意度起了关键作用。",
    "good": "高质量完成了分工任务，主动配合现场验证和回归测试，协作积极。",
    "solid": "按计划完成了分工任务，个别环节需要他人补位。",
    "weak": "分工任务有延误，影响了团队整体进度，需要加强计划性。",
}
CONFIRM = ["认可本季度评估结果。", "同意评估结果，会按改进建议执行。", "感谢主管的反馈，下季度继续努力。"]
WAIVE_REASONS = [
    "外派海外客户现场支持，自评期间无法登录系统，经部门负责人确认免于自评。",
    "病假（9月中旬至10月底），经部门负责人确认免于自评。",
]
NEW_JOINER_REASON = "入职不满两个月，本季度不做自评，由直属上级依据试用期表现评估。"
HAND_NOTE = "依据{source}的{quarter}数据填报（{card}），报表已归档备查。"


def _band(standing: Decimal | None) -> str:
    if standing is None:
        return "solid"
    if standing >= 110:
        return "excellent"
    if standing >= 95:
        return "good"
    if standing >= 80:
        return "solid"
    return "weak"


@dataclass(frozen=True)
class Standing:
    """How a person stands before the reviews: the mean of their scored weighted items, their
    best and weakest indicator."""

    mean: Decimal | None
    best: str
    weak: str

    @property
    def band(self) -> str:
        return _band(self.mean)


def _standing(result: RollupResult | None, fallback: str) -> Standing:
    scored = [
        (it.score.value, it.label)
        for it in (result.items if result else [])
        if it.weight is not None and it.score.value is not None
    ]
    if not scored:
        return Standing(None, fallback, fallback)
    mean = sum((v for v, _ in scored), Decimal(0)) / len(scored)
    best = max(scored, key=lambda s: s[0])[1]
    weak = min(scored, key=lambda s: s[0])[1]
    return Standing(mean, best, weak)


def _self_comment(rng: random.Random, s: Standing) -> str:
    parts = [rng.choice(SELF_OPENING[s.band]).format(best=s.best, weak=s.weak)]
    if s.weak != s.best and s.band in ("good", "solid"):
        parts.append(rng.choice(SELF_REFLECTION).format(weak=s.weak))
    parts.append(rng.choice(SELF_PLAN))
    return "".join(parts)


def _manager_comment(rng: random.Random, s: Standing) -> str:
    opening = rng.choice(MANAGER_OPENING[s.band]).format(best=s.best, weak=s.weak)
    return opening + rng.choice(MANAGER_ADVICE).format(weak=s.weak)


def _levels(rule: dict[str, Any]) -> list[str]:
    """A rubric's level codes, best first."""
    return [lvl["code"] for lvl in sorted(rule["levels"], key=lambda lvl: -Decimal(str(lvl["score"])))]


def _level(rng: random.Random, levels: Sequence[str], band: str) -> str:
    index = {"excellent": 0, "good": rng.choice([0, 1]), "solid": 1, "weak": rng.choice([2, 2, 3])}[band]
    if rng.random() < 0.2:
        index += rng.choice([-1, 1])
    return levels[max(0, min(index, len(levels) - 1))]


# --- numbers ----------------------------------------------------------------------------------


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def _text(value: Decimal, anchors: Iterable[Decimal]) -> str:
    """``value`` to one decimal place more than the finest anchor of the rule."""
    exponent = min(min(int(a.normalize().as_tuple().exponent) for a in anchors), 0) - 1
    return format(value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP).normalize(), "f")


def _hand_value(rng: random.Random, rule: dict[str, Any]) -> str:
    """A believable actual for a rule: mostly around target, now and then short of it or beyond."""
    kind = rule["kind"]
    if kind == "linear":
        t0, t1 = _d(rule["threshold"]), _d(rule["target"])
        t2 = _d(rule["stretch"]) if rule.get("stretch") is not None else t1 + (t1 - t0) / 2
        points = [t0 - (t1 - t0) * Decimal("0.3"), t0, (t0 + t1) / 2, t1, (t1 + t2) / 2, t2]
        return _text(rng.choices(points, weights=[1, 1, 3, 4, 3, 1])[0], (t0, t1, t2))
    if kind == "bands":
        bands = rule["bands"]
        band = rng.choices(bands, weights=[3 if _d(b["score"]) >= 100 else 1 for b in bands])[0]
        lower = None if band.get("lower") is None else _d(band["lower"])
        upper = None if band.get("upper") is None else _d(band["upper"])
        if lower is not None and upper is not None:
            value = (lower + upper) / 2
        elif upper is not None:
            value = upper - abs(upper) / 10
        else:
            assert lower is not None  # a band has at least one bound
            value = lower + abs(lower) / 40
        return _text(value, [b for b in (lower, upper) if b is not None])
    if kind == "range":
        return _text((_d(rule["low"]) + _d(rule["high"])) / 2, (_d(rule["low"]), _d(rule["high"])))
    if kind == "yes_no":
        return "是" if rng.random() < 0.85 else "否"
    if kind == "deduction":
        return rng.choice(["0", "0", "1", "2"])
    if kind in ("penalty", "bonus"):
        return rng.choice(["0", "0", "1"])
    return "0"  # a veto: no such event this quarter


def _shifted(rule: dict[str, Any], harder: bool, share: Decimal) -> dict[str, str]:
    """A linear rule's anchors moved by ``share`` of the threshold-to-target step, towards better
    results when ``harder`` (the step carries the polarity: negative when lower is better)."""
    t0, t1 = _d(rule["threshold"]), _d(rule["target"])
    step = (t1 - t0) * share * (1 if harder else -1)
    out = {"threshold": t0 + step, "target": t1 + step}
    if rule.get("stretch") is not None:
        out["stretch"] = _d(rule["stretch"]) + step
    anchors = [t0, t1, *([_d(rule["stretch"])] if rule.get("stretch") is not None else [])]
    return {k: _text(v, anchors) for k, v in out.items()}


# --- steps shared by both quarters -------------------------------------------------------------


def _quarter(code: str) -> tuple[date, date, str, str]:
    year, q = int(code[:4]), int(code[-1])
    start = date(year, 3 * q - 2, 1)
    end = (date(year + (q == 4), (3 * q) % 12 + 1, 1)) - timedelta(days=1)
    zh = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}[q]
    return start, end, zh, f"Q{q} {year}"


def _open(db: Session, cast: Cast, code: str) -> Cycle:
    """Create the quarter with the company's forced distribution and open planning (enrolment)."""
    start, end, zh, en = _quarter(code)
    cycle = cycles.create_cycle(
        db,
        cast.hr,
        CycleIn(
            code=code,
            name=f"{start.year}年{zh}绩效考核",
            name_en=f"{en} performance review",
            kind="quarter",
            start=start,
            end=end,
            scorecard_period=PERIOD,
            forced_distribution=FORCED,
        ),
    )
    return _move(
        db,
        cast,
        cycle,
        CycleState.planning,
        f"{start.year}年{zh}绩效周期开启：各部门在首周内确认目标和权重。",
    )


def _move(db: Session, cast: Cast, cycle: Cycle, to: CycleState, reason: str) -> Cycle:
    return cycles.move(db, cast.hr, cycle, to, version=cycle.version, reason=reason)


def _adjustment_weights(
    db: Session, cast: Cast, cycle: Cycle, participants: Sequence[CycleParticipant]
) -> None:
    """Bonus, penalty and veto items act on the total and carry no weight in a cycle, while the
    demo's position design gave some of them a share of the 100%: HR moves that share onto the
    position's heaviest weighted item, one bulk change per position, before the cycle starts."""
    rules = cycles.rules_of(db, cycle)
    first: dict[str, CycleParticipant] = {}
    for p in participants:
        if p.position and any(rules.kind(a.card) in ADJUSTMENT_KINDS and a.weight for a in p.assignments):
            first.setdefault(p.position.code, p)
    for position, p in sorted(first.items()):
        weighted = [a for a in p.assignments if rules.kind(a.card) not in ADJUSTMENT_KINDS]
        heaviest = max(weighted, key=lambda a: (a.weight, -a.id))
        missing = Decimal(100) - sum((a.weight for a in weighted), Decimal(0))
        changes = [
            plan.BulkCard(a.card.code, weight=Decimal(0))
            for a in p.assignments
            if rules.kind(a.card) in ADJUSTMENT_KINDS and a.weight
        ]
        changes.append(plan.BulkCard(heaviest.card.code, weight=heaviest.weight + missing))
        plan.bulk_plan(
            db,
            cast.hr,
            cycle,
            changes,
            version=cycle.version,
            position=position,
            reason="加分项、扣分项和一票否决项按考核办法不占权重：其原有权重并入本岗位权重最高的指标。",
        )


@dataclass(frozen=True)
class Adjustment:
    """A manager's change of one person's targets in planning: whose (the ``pick`` among the
    holders of ``position``), by whom (their rater), which way, and why."""

    position: str
    pick: str  # "newest" (the latest to join), "first" (by number), or an employee number
    harder: bool
    reason: str
    card: str | None = None  # None: the person's heaviest linear item


Q3_ADJUSTMENTS = [
    Adjustment("CSC-AGENT", "newest", False, "入职时间较短，仍处于新人爬坡期，本季度目标适当下调。"),
    Adjustment("CSC-LEAD", "first", True, "负责大客户专线，满意度目标按大客户服务协议上调。", "csat"),
    Adjustment(
        "MFG-LEAD", "first", True, "上季度一次合格率已稳定超过目标，本季度目标相应提高。", "first_pass_yield"
    ),
    Adjustment("RND-SW", "HC0149", False, "牵头修复贴装平台 V3 客户试点问题，交付节奏受影响，目标适当下调。"),
]
Q4_ADJUSTMENTS = [
    Adjustment(
        "CSC-AGENT",
        "employee",
        True,
        "三季度首次解决率稳定超过目标，四季度目标相应上调。",
        "first_contact_resolution",
    ),
    Adjustment("SALES-REP", "newest", False, "负责新开拓的华南区域，客户基础薄弱，四季度目标适当下调。"),
]


def _pick(cast: Cast, holders: list[CycleParticipant], pick: str) -> CycleParticipant | None:
    if not holders:
        return None
    if pick == "newest":
        return max(holders, key=lambda p: (p.employee.start_date, p.employee.number))
    if pick in cast.logins:
        mine = cast.logins[pick].employee_id
        return next((p for p in holders if p.employee_id == mine), None)
    if pick != "first":
        return next((p for p in holders if p.employee.number == pick), holders[0])
    return holders[0]


def _adjust_targets(
    db: Session,
    cast: Cast,
    cycle: Cycle,
    participants: Sequence[CycleParticipant],
    adjustments: Sequence[Adjustment],
) -> None:
    rules = cycles.rules_of(db, cycle)
    on = cycle.start
    for adj in adjustments:
        holders = [p for p in participants if p.position and p.position.code == adj.position]
        p = _pick(cast, holders, adj.pick)
        if p is None:
            continue
        linear = [a for a in p.assignments if rules.kind(a.card) == "linear"]
        chosen = [a for a in linear if a.card.code == adj.card] if adj.card else linear
        if not chosen:
            continue
        a = max(chosen, key=lambda a: (a.weight, -a.id))
        rule = rules.rule(a.card)
        assert rule is not None  # a linear item has its rule
        share = Decimal("0.25") if adj.harder else Decimal("0.5")
        plan.set_person_plan(
            db,
            cast.rater(p.employee_id, on),
            cycle,
            p.employee.number,
            [plan.PlanItem(a.id, a.version, targets=_shifted(rule, adj.harder, share))],
            reason=adj.reason,
        )


def _hand_entries(db: Session, cast: Cast, cycle: Cycle, participants: Sequence[CycleParticipant]) -> None:
    """Every value the engine does not give and the score cannot do without (items whose card
    holds the score as incomplete while data is missing) is entered by the person's manager from
    the card's data source, and checked by HR (or, for HR's own people, another login)."""
    rules = cycles.rules_of(db, cycle)
    taken = actuals.actuals_of(db, cycle)
    _, end, zh, _ = _quarter(cycle.code)
    on = end + REVIEW_LAG
    for p in participants:
        for a in p.assignments:
            rule = rules.rule(a.card)
            if a.id in taken or rule is None or rule.get("kind") == "rubric":
                continue
            if a.card.missing_policy is not MissingPolicy.incomplete:
                continue  # the card renormalises (or counts zero): its missing value is its policy's to handle
            by = cast.rater(p.employee_id, on)
            checker = cast.reviewer(by, p.employee_id)
            rng = _rng(cycle.code, p.employee.number, a.card.code)
            actual = actuals.enter_manual(
                db,
                by,
                cycle,
                p.employee.number,
                a.card.code,
                value=_hand_value(rng, cycles.effective_rule(db, a) or rule),
                note=HAND_NOTE.format(
                    source=a.card.data_source or "部门统计台账", quarter=zh, card=a.card.name
                ),
                reviewer=checker.username,
            )
            actuals.decide(
                db, checker, cycle, actual.id, approve=True, note="已核对原始记录。", version=actual.version
            )


# --- 2026-Q3: the whole way to closed ----------------------------------------------------------


def _closed_quarter(db: Session, cast: Cast, settings: Settings) -> Cycle:
    cycle = _open(db, cast, CLOSED)
    # the same rows all along: the services change them in this session, where they are tracked
    participants = cycles.all_participants(db, cycle)
    _adjustment_weights(db, cast, cycle, participants)
    _adjust_targets(db, cast, cycle, participants, Q3_ADJUSTMENTS)
    _move(db, cast, cycle, CycleState.running, "目标和权重已全部确认，第三季度考核开始。")
    actuals.take_computed(db, cast.hr, settings, cycle, compute_first=False)
    _hand_entries(db, cast, cycle, participants)
    _move(db, cast, cycle, CycleState.review, "第三季度结束，实际值已取数并审核完毕，开始自评和上级评估。")

    sheets = scores.sheets(db, cycle, participants)
    rules = cycles.rules_of(db, cycle)
    _, end, _, _ = _quarter(cycle.code)
    on = end + REVIEW_LAG
    standing = {p.id: _standing(sheets[p.id].result, p.assignments[0].card.name) for p in participants}
    logins = set(cast.by_employee)
    # HR waives the self-review of people who joined late in the quarter, and of two people away
    # during the review weeks; never a login, whose user writes their own review
    joiners = {
        p.id for p in participants if p.employee.start_date > end - NEW_JOINER and p.employee_id not in logins
    }
    others = [p for p in participants if p.id not in joiners and p.employee_id not in logins]
    away = dict(
        zip(
            (p.id for p in _rng(cycle.code, "away").sample(others, len(WAIVE_REASONS))),
            WAIVE_REASONS,
            strict=True,
        )
    )

    for p in participants:
        number = p.employee.number
        if p.id in joiners or p.id in away:
            reviews.waive_self_review(db, cast.hr, cycle, number, reason=away.get(p.id, NEW_JOINER_REASON))
            continue
        rng = _rng(cycle.code, number, "self")
        s = standing[p.id]
        ratings = {}
        for a in p.assignments:
            rule = rules.rule(a.card)
            if rule and rule.get("kind") == "rubric":
                levels = _levels(rule)
                # people rate themselves a little more generously than their managers do
                ratings[a.card.code] = levels[
                    max(0, levels.index(_level(rng, levels, s.band)) - (rng.random() < 0.4))
                ]
        reviews.save_self_review(
            db,
            cast.person(p.employee_id),
            cycle,
            number,
            comment=_self_comment(rng, s),
            ratings=ratings,
            submit=True,
            version=None,
        )

    # the team indicators each person is a member of: their manager evaluates the contribution
    teams: dict[int, list[int]] = {}
    for t in team_service.get_team_indicators(db, period=cycle.scorecard_period):
        for m in t.members:
            teams.setdefault(m.employee_id, []).append(t.id)
    for p in participants:
        number = p.employee.number
        rng = _rng(cycle.code, number, "manager")
        s = standing[p.id]
        ratings = {}
        for a in p.assignments:
            rule = rules.rule(a.card)
            if rule and rule.get("kind") == "rubric":
                ratings[a.card.code] = _level(rng, _levels(rule), s.band)
        contributions = {str(t): CONTRIBUTION[s.band] for t in teams.get(p.employee_id, [])}
        reviews.save_manager_review(
            db,
            cast.rater(p.employee_id, on),
            cycle,
            number,
            comment=_manager_comment(rng, s),
            ratings=ratings,
            contributions=contributions,
            submit=True,
            version=None,
        )

    _move(db, cast, cycle, CycleState.calibration, "全部上级评估已提交，进入公司绩效校准会。")
    found = scores.reviews_of(db, cycle)
    changed = _calibrate(db, cast, cycle, participants, found)
    reviews.publish(db, cast.hr, cycle, version=cycle.version)
    appellant = _appeal(db, cast, cycle, participants, found, exclude=changed | set(away) | joiners)
    for p in participants:
        if p.id == appellant:
            continue  # the appeal was dismissed and they did not accept the result: on record, unconfirmed
        rng = _rng(cycle.code, p.employee.number, "confirm")
        reviews.confirm(
            db,
            cast.person(p.employee_id),
            cycle,
            p.employee.number,
            comment=rng.choice(CONFIRM) if rng.random() < 0.3 else "",
            version=found[p.id].version,
        )
    return _move(
        db, cast, cycle, CycleState.closed, "结果已发布并确认，申诉已处理完毕，第三季度绩效周期关闭。"
    )


CALIBRATION_REASONS = {
    "down_top": "S级人数超出公司建议比例，与同级别人员横向比较后调整为A。",
    "up_bottom": "季度中期调岗，新岗位的指标只覆盖了半个季度，经校准会核实后调整为C。",
    "up_extra": "跨部门支援重点客户紧急交付，贡献未在指标中体现，经校准会一致同意上调为A。",
    "down_lenient": "该团队评分尺度偏松，校准会对照全公司同岗位结果后调整为B。",
}


def _calibrate(
    db: Session,
    cast: Cast,
    cycle: Cycle,
    participants: Sequence[CycleParticipant],
    found: dict[int, CycleReview],
) -> set[int]:
    """A handful of grade changes by HR in the calibration meeting, each with its reason: the
    lowest two S down to A (S is over its share), the best D up to C, the best B up to A, the
    lowest A down to B. HR does not calibrate its own head's grade."""
    graded = sorted(
        (p for p in participants if found[p.id].grade is not None and p.employee_id != cast.hr.employee_id),
        key=lambda p: (found[p.id].score, p.employee.number),
    )

    def of(grade: str) -> list[CycleParticipant]:
        return [p for p in graded if found[p.id].grade == grade]

    counts = Counter(found[p.id].grade for p in graded)
    share = {g: Decimal(counts[g]) * 100 / max(len(graded), 1) for g in FORCED}
    picks: list[tuple[CycleParticipant, str, str]] = []
    if share["S"] > FORCED["S"]:
        picks += [(p, "A", "down_top") for p in of("S")[:2]]
    if of("D"):
        picks.append((of("D")[-1], "C", "up_bottom"))
    if of("B"):
        picks.append((of("B")[-1], "A", "up_extra"))
    if of("A"):
        picks.append((of("A")[0], "B", "down_lenient"))
    changed = set()
    for p, grade, why in picks:
        if p.id in changed:
            continue
        review = found[p.id]
        reviews.calibrate(
            db,
            cast.hr,
            cycle,
            p.employee.number,
            grade=grade,
            reason=CALIBRATION_REASONS[why],
            version=review.version,
        )
        changed.add(p.id)
    return changed


def _appeal(
    db: Session,
    cast: Cast,
    cycle: Cycle,
    participants: Sequence[CycleParticipant],
    found: dict[int, CycleReview],
    *,
    exclude: set[int],
) -> int | None:
    """One appeal: the person rated by the ``manager`` login whose score came closest to the next
    grade up, to the skip-level manager (the ``executive`` login), who dismisses it with reasons."""
    rated = [
        p
        for p in participants
        if found[p.id].rater == "manager" and p.id not in exclude and found[p.id].final_grade in ("B", "C")
    ]
    if not rated:
        return None
    p = max(rated, key=lambda p: (found[p.id].score or 0, p.employee.number))
    review = found[p.id]
    sheet = scores.sheet(db, cycle, p)
    weak = _standing(sheet.result, p.assignments[0].card.name).weak
    appeal = appeals.file_appeal(
        db,
        cast.person(p.employee_id),
        cycle,
        p.employee.number,
        route=AppealRoute.skip_level,
        reason=(
            f"我对本季度{review.final_grade}级的评级（总分{review.score}）有异议："
            f"{weak}的统计包含了7月系统切换期间的工单，这段时间的数据不能反映我的实际工作；"
            "另外我在8月承担了两名新人的带教任务，希望能够复核。"
        ),
    )
    # routed skip-level, the handler's login decides; routed to HR (no skip-level login), HR does
    appeals.decide_appeal(
        db,
        cast.logins.get(appeal.handler, cast.hr),
        cycle,
        appeal.id,
        uphold=False,
        decision=(
            f"经复核：{weak}的数据来自业务系统，系统切换期间的工单已按公司统一口径处理，计算无误；"
            "带教工作已在上级评语中体现。本季度评级与全公司校准尺度一致，维持原评级。"
            "建议与直属经理共同制定下季度改进计划。"
        ),
        version=appeal.version,
    )
    return p.id


# --- 2026-Q4: running --------------------------------------------------------------------------


MID_CYCLE_REASON = (
    "10月起新工单系统上线，响应时间改为从客户首次提交起计时，统计口径变长；"
    "经客户服务中心与人力资源部评审，本季度响应时间目标相应放宽。"
)


def _running_quarter(db: Session, cast: Cast, settings: Settings) -> Cycle:
    cycle = _open(db, cast, RUNNING)
    participants = cycles.all_participants(db, cycle)
    _adjustment_weights(db, cast, cycle, participants)
    _adjust_targets(db, cast, cycle, participants, Q4_ADJUSTMENTS)
    _move(db, cast, cycle, CycleState.running, "目标和权重已全部确认，第四季度考核开始。")
    actuals.take_computed(db, cast.hr, settings, cycle, compute_first=False)

    # a change while the cycle runs is HR's, with a reason, and flagged on every scorecard it touches
    rules = cycles.rules_of(db, cycle)
    holder = next(
        (a for p in participants if p.position and p.position.code == "CSC-AGENT"
         for a in p.assignments if a.card.code == "response_time"),
        None,
    )  # fmt: skip
    if holder is not None:
        rule = rules.rule(holder.card)
        assert rule is not None
        plan.bulk_plan(
            db,
            cast.hr,
            cycle,
            [plan.BulkCard("response_time", targets=_shifted(rule, False, Decimal("0.5")))],
            version=cycle.version,
            position="CSC-AGENT",
            reason=MID_CYCLE_REASON,
        )

    # the ``employee`` login's team lead corrects one value by hand; the ``manager`` login checks it
    me = cast.logins["employee"].employee_id
    assert me is not None
    p = next(p for p in participants if p.employee_id == me)
    codes = [a.card.code for a in p.assignments if rules.kind(a.card) == "linear"]
    card = "csat" if "csat" in codes else codes[0]
    a = next(a for a in p.assignments if a.card.code == card)
    rule = cycles.effective_rule(db, a)
    assert rule is not None
    lead = cast.rater(me, cycle.start)
    rng = _rng(cycle.code, p.employee.number, card)
    actual = actuals.enter_manual(
        db,
        lead,
        cycle,
        p.employee.number,
        card,
        value=_hand_value(rng, rule),
        note="10月下旬满意度回访系统故障一周，期间改为人工电话回访；按人工回访记录补录本季度至今的数值。",
        reviewer="manager",
    )
    calls = "".join(
        f"2026-10-{day},{p.employee.number},HC-T{rng.randint(10000, 99999)},{rng.choice('45554')}\n"
        for day in range(20, 27)
    )
    actuals.add_evidence(
        db,
        lead,
        settings,
        cycle,
        actual.id,
        filename="10月人工回访记录.csv",
        content=("回访日期,客服工号,工单号,满意度(1-5)\n" + calls).encode("utf-8"),
        content_type="text/csv",
    )
    return cycle


def load(db: Session, settings: Settings) -> None:
    """Build the demo's closed third quarter and running fourth quarter of 2026."""
    cast = Cast.of(db)
    _closed_quarter(db, cast, settings)
    _running_quarter(db, cast, settings)
