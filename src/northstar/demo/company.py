"""华辰智能装备 / Huachen Intelligent Equipment: a mid-size industrial equipment maker selling to
businesses, with a service arm. About 300 people in 14 departments covering every department
kind, built through the same checked import path as a customer's own organisation file.

Generation is deterministic (fixed seed), so tests and screenshots are stable.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from northstar import audit
from northstar.audit import AuditLog
from northstar.config import Settings
from northstar.demo import actuals, cycles, scorecard, value
from northstar.errors import N_, NorthstarError
from northstar.org.io import import_tables
from northstar.org.models import Department, Employee
from northstar.security import service as security
from northstar.security.models import Role, User
from northstar.security.principal import SYSTEM_PRINCIPAL
from northstar.tabular import Table

SEED = 20261124
COMPANY = ("华辰智能装备", "Huachen Intelligent Equipment")

# code, name, English name, kind, parent, headcount, positions [(code suffix, zh, en, share)]
DEPARTMENTS: list[tuple[str, str, str, str, str | None, int, list[tuple[str, str, str, float]]]] = [
    (
        "GM",
        "总经理办公室",
        "General Management Office",
        "support",
        None,
        6,
        [
            ("CEO", "总经理", "Chief Executive", 0),
            ("VP", "副总经理", "Vice President", 0.5),
            ("ASST", "总经理助理", "Executive Assistant", 0.5),
        ],
    ),
    (
        "SALES",
        "销售部",
        "Sales",
        "sales_marketing",
        "GM",
        30,
        [
            ("HEAD", "销售总监", "Sales Director", 0),
            ("LEAD", "区域销售经理", "Regional Sales Manager", 0.15),
            ("REP", "销售工程师", "Sales Engineer", 0.7),
            ("OPS", "销售运营专员", "Sales Operations Specialist", 0.15),
        ],
    ),
    (
        "KA",
        "大客户部",
        "Key Accounts",
        "frontline",
        "SALES",
        14,
        [
            ("HEAD", "大客户部经理", "Key Account Director", 0),
            ("KAM", "大客户经理", "Key Account Manager", 0.7),
            ("SOL", "解决方案工程师", "Solutions Engineer", 0.3),
        ],
    ),
    (
        "MKT",
        "市场部",
        "Marketing",
        "sales_marketing",
        "GM",
        12,
        [
            ("HEAD", "市场总监", "Marketing Director", 0),
            ("BRAND", "品牌经理", "Brand Manager", 0.3),
            ("CI", "市场调研专员", "Market Research Specialist", 0.3),
            ("DIG", "数字营销专员", "Digital Marketing Specialist", 0.4),
        ],
    ),
    (
        "CSC",
        "客户服务中心",
        "Customer Service Center",
        "customer_service",
        "GM",
        30,
        [
            ("HEAD", "客户服务总监", "Customer Service Director", 0),
            ("LEAD", "客服主管", "Service Team Lead", 0.12),
            ("AGENT", "客服专员", "Customer Service Agent", 0.73),
            ("QC", "服务质量专员", "Service Quality Specialist", 0.15),
        ],
    ),
    (
        "FS",
        "现场服务部",
        "Field Service",
        "customer_service",
        "CSC",
        26,
        [
            ("HEAD", "现场服务经理", "Field Service Manager", 0),
            ("ENG", "现场服务工程师", "Field Service Engineer", 0.8),
            ("TS", "技术支持工程师", "Technical Support Engineer", 0.2),
        ],
    ),
    (
        "RND",
        "研发中心",
        "R&D Center",
        "rnd",
        "GM",
        52,
        [
            ("HEAD", "研发总监", "R&D Director", 0),
            ("LEAD", "研发项目经理", "R&D Project Manager", 0.1),
            ("ME", "机械工程师", "Mechanical Engineer", 0.3),
            ("EE", "电气工程师", "Electrical Engineer", 0.25),
            ("SW", "软件工程师", "Software Engineer", 0.25),
            ("TEST", "测试工程师", "Test Engineer", 0.1),
        ],
    ),
    (
        "PM",
        "产品管理部",
        "Product Management",
        "rnd",
        "RND",
        9,
        [("HEAD", "产品管理经理", "Head of Product", 0), ("PMGR", "产品经理", "Product Manager", 1)],
    ),
    (
        "MFG",
        "制造部",
        "Manufacturing",
        "production",
        "GM",
        58,
        [
            ("HEAD", "制造总监", "Manufacturing Director", 0),
            ("LEAD", "车间主任", "Workshop Supervisor", 0.08),
            ("ASM", "装配技师", "Assembly Technician", 0.7),
            ("PE", "工艺工程师", "Process Engineer", 0.22),
        ],
    ),
    (
        "QA",
        "质量部",
        "Quality",
        "production",
        "GM",
        18,
        [
            ("HEAD", "质量经理", "Quality Manager", 0),
            ("QE", "质量工程师", "Quality Engineer", 0.4),
            ("INSP", "质检员", "Quality Inspector", 0.6),
        ],
    ),
    (
        "SCM",
        "供应链部",
        "Supply Chain",
        "supply_chain",
        "GM",
        26,
        [
            ("HEAD", "供应链总监", "Supply Chain Director", 0),
            ("PLAN", "计划员", "Production Planner", 0.25),
            ("BUY", "采购工程师", "Purchasing Engineer", 0.3),
            ("WH", "仓储专员", "Warehouse Specialist", 0.25),
            ("LOG", "物流专员", "Logistics Specialist", 0.2),
        ],
    ),
    (
        "HR",
        "人力资源部",
        "Human Resources",
        "support",
        "GM",
        8,
        [
            ("HEAD", "人力资源经理", "HR Manager", 0),
            ("BP", "HRBP", "HR Business Partner", 0.5),
            ("TD", "培训发展专员", "Training & Development Specialist", 0.25),
            ("CB", "薪酬绩效专员", "Compensation & Performance Specialist", 0.25),
        ],
    ),
    (
        "FIN",
        "财务部",
        "Finance",
        "support",
        "GM",
        8,
        [
            ("HEAD", "财务经理", "Finance Manager", 0),
            ("ACC", "会计", "Accountant", 0.6),
            ("FA", "财务分析师", "Financial Analyst", 0.4),
        ],
    ),
    (
        "IT",
        "信息技术部",
        "Information Technology",
        "support",
        "GM",
        11,
        [
            ("HEAD", "IT经理", "IT Manager", 0),
            ("SYS", "系统工程师", "Systems Engineer", 0.4),
            ("DEV", "应用开发工程师", "Application Developer", 0.35),
            ("SUP", "IT支持专员", "IT Support Specialist", 0.25),
        ],
    ),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "浩",
    "宇",
    "晨",
    "欣",
    "婷",
    "博",
    "文",
    "斌",
    "华",
    "建国",
    "志强",
    "海燕",
    "子涵",
    "思远",
    "一鸣",
    "佳怡",
    "梓萱",
    "浩然",
    "雨桐",
    "俊杰",
    "嘉怡",
    "子轩",
    "诗涵",
    "明轩",
    "欣怡",
    "宇航",
    "晓东",
    "立新",
    "春梅",
    "晓燕",
    "国庆",
    "卫东",
    "雪",
    "琳",
    "鹏",
    "飞",
    "凯",
    "辉",
    "亮",
    "蕾",
    "颖",
    "璐",
]

#: (username, role, password, how to find the employee: (department code, position suffix) or None)
LOGINS: list[tuple[str, Role, str, tuple[str, str] | None]] = [
    ("admin", Role.admin, "Northstar-admin-2026", None),
    ("hr", Role.hr, "Northstar-hr-2026", ("HR", "HEAD")),
    ("executive", Role.executive, "Northstar-exec-2026", ("GM", "CEO")),
    ("manager", Role.manager, "Northstar-manager-2026", ("CSC", "HEAD")),
    ("employee", Role.employee, "Northstar-employee-2026", ("CSC", "AGENT")),
    ("auditor", Role.auditor, "Northstar-audit-2026", None),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Role
    password: str
    employee: str | None


class DemoRefused(NorthstarError):
    status = 409
    code = "demo_refused"


def is_loaded(db: Session) -> bool:
    """Whether the demo company has been loaded into this database (recorded in the audit log)."""
    return db.scalar(select(AuditLog.id).where(AuditLog.entity == "demo").limit(1)) is not None


def holds_data(db: Session) -> bool:
    return any(db.scalar(select(func.count()).select_from(m)) for m in (Department, Employee, User))


def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if name not in used or rng.random() < 0.02:  # a few namesakes, as in any real company
            used.add(name)
            return name


def build_tables(today: date | None = None) -> dict[str, Table]:
    """The demo organisation as the three import tables."""
    today = today or date.today()
    rng = random.Random(SEED)
    depts = Table("departments")
    positions = Table("positions")
    employees = Table("employees")
    used: set[str] = set()
    heads: dict[str, str] = {}
    number = 0
    row = {"departments": 1, "positions": 1, "employees": 1}

    def add(table: Table, record: dict[str, Any]) -> None:
        row[table.sheet] += 1
        table.rows.append((row[table.sheet], record))

    for code, _zh, _en, _kind, _parent, _headcount, pos in DEPARTMENTS:
        for suffix, pzh, pen, _share in pos:
            add(positions, {"code": f"{code}-{suffix}", "name": pzh, "name_en": pen, "department_code": code})

    for code, zh, en, kind, parent, headcount, pos in DEPARTMENTS:
        plan: list[str] = [pos[0][0]]
        for suffix, _pzh, _pen, share in pos[1:]:
            plan += [suffix] * max(1, round(share * (headcount - 1)))
        plan = plan[:headcount]
        leads: list[str] = []
        for idx, suffix in enumerate(plan):
            number += 1
            emp_no = f"HC{number:04d}"
            years = rng.choice([0, 1, 1, 2, 2, 3, 4, 5, 6, 8, 10, 12]) if idx else rng.choice([5, 8, 10, 12])
            start = today - timedelta(days=365 * years + rng.randint(20, 330))
            end = None
            if idx and rng.random() < 0.03:  # a few leavers keep their history
                end = today - timedelta(days=rng.randint(10, 200))
                start = min(start, end - timedelta(days=200))
            if idx == 0:
                manager = heads.get(parent) if parent else None
                heads[code] = emp_no
            elif suffix == "LEAD":
                manager = heads[code]
                leads.append(emp_no)
            elif leads and suffix in ("REP", "AGENT", "ASM", "ME", "EE", "SW", "TEST"):
                manager = leads[idx % len(leads)]
            else:
                manager = heads[code]
            if code == "GM" and suffix != "CEO":
                manager = heads["GM"]
            name = _name(rng, used)
            add(
                employees,
                {
                    "number": emp_no,
                    "name": name,
                    "email": f"{emp_no.lower()}@huachen.example",
                    "department_code": code,
                    "position_code": f"{code}-{suffix}",
                    "manager_number": manager or "",
                    "start_date": start,
                    "end_date": end,
                },
            )
        add(
            depts,
            {
                "code": code,
                "name": zh,
                "name_en": en,
                "kind": kind,
                "parent_code": parent or "",
                "head_number": heads[code],
            },
        )
    return {"departments": depts, "positions": positions, "employees": employees}


#: the stages of a load in the order ``load`` reports them to its ``step`` callback
STAGES = ("organisation", "value", "scorecards", *actuals.STAGES, "cycles")


def load(
    db: Session, settings: Settings, *, today: date | None = None, step: Callable[[str], None] | None = None
) -> list[DemoLogin]:
    """Build the demo company into an empty database, with a year of business data under the
    data directory and actuals computed from it, and create one login per role."""
    say = step or (lambda _: None)
    if is_loaded(db):
        raise DemoRefused(N_("The demo company is already loaded in this database."))
    if holds_data(db):
        raise DemoRefused(
            N_(
                "This database already holds other data; the demo company is only loaded into an "
                "empty database. Point NORTHSTAR_DATABASE_URL at a new database."
            )
        )
    say("organisation")
    tables = build_tables(today)
    import_tables(db, SYSTEM_PRINCIPAL, tables, reason="demo company")
    logins: list[DemoLogin] = []
    for username, role, password, where in LOGINS:
        number = None
        if where is not None:
            dept, suffix = where
            number = next(
                rec["number"]
                for _, rec in tables["employees"].rows
                if rec["position_code"] == f"{dept}-{suffix}" and not rec["end_date"]
            )
        names = {rec["number"]: rec["name"] for _, rec in tables["employees"].rows}
        security.create_user(
            db,
            SYSTEM_PRINCIPAL.actor,
            username=username,
            role=role,
            password=password,
            display_name=names.get(number or "", username.capitalize()),
            employee_number=number,
        )
        logins.append(DemoLogin(username, role, password, number))
    say("value")
    value.load(db)
    say("scorecards")
    scorecard.load(db, today=today)
    actuals.load(db, settings, step=say)
    say("cycles")
    cycles.load(db, settings)
    audit.record(
        db,
        SYSTEM_PRINCIPAL.actor,
        action="load",
        entity="demo",
        entity_id=COMPANY[1],
        changes={"company": (None, COMPANY[0])},
    )
    return logins


def logins() -> list[DemoLogin]:
    """The demo logins and their passwords (fixed, public: this is a demo)."""
    return [DemoLogin(u, r, p, None) for u, r, p, _ in LOGINS]
