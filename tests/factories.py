"""A small organisation whose scope answers are easy to state by hand.

HQ (support)            ceo
├── OPS (frontline)     mgr (head, reports to ceo), b1 (reports to mgr)
│   └── OPS-A           a1 (reports to mgr)
└── FIN (support)       fin (reports to ceo), x (reports to mgr: a report outside mgr's department),
                        fin2 (reports to fin)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from northstar.db import unit_of_work
from northstar.org import service as org
from northstar.org.models import DepartmentKind
from northstar.security import service as security
from northstar.security.models import Role
from northstar.security.principal import SYSTEM_PRINCIPAL

PASSWORD = "correct-horse-42"


@dataclass
class SmallOrg:
    ids: dict[str, int]  # employee key -> id

    def id(self, key: str) -> int:
        return self.ids[key]


def build_small_org(factory: sessionmaker[Session]) -> SmallOrg:
    p = SYSTEM_PRINCIPAL
    with unit_of_work(factory) as db:
        org.create_department(
            db, p, code="HQ", name="总部", name_en="Headquarters", kind=DepartmentKind.support
        )
        org.create_department(
            db,
            p,
            code="OPS",
            name="运营部",
            name_en="Operations",
            kind=DepartmentKind.frontline,
            parent_code="HQ",
        )
        org.create_department(
            db,
            p,
            code="OPS-A",
            name="运营一组",
            name_en="Operations A",
            kind=DepartmentKind.frontline,
            parent_code="OPS",
        )
        org.create_department(
            db, p, code="FIN", name="财务部", name_en="Finance", kind=DepartmentKind.support, parent_code="HQ"
        )
        org.create_position(
            db, p, code="OPS-AG", name="运营专员", name_en="Operations Agent", department_code="OPS"
        )
        start = date(2022, 1, 10)
        people = [
            ("ceo", "E001", "高总", "HQ", None),
            ("mgr", "E002", "王经理", "OPS", "E001"),
            ("b1", "E003", "李一", "OPS", "E002"),
            ("a1", "E004", "张三", "OPS-A", "E002"),
            ("fin", "E005", "赵财", "FIN", "E001"),
            ("x", "E006", "钱六", "FIN", "E002"),
            ("fin2", "E007", "孙七", "FIN", "E005"),
        ]
        ids: dict[str, int] = {}
        for key, number, name, dept, manager in people:
            emp = org.create_employee(
                db,
                p,
                number=number,
                name=name,
                department_code=dept,
                manager_number=manager,
                start_date=start,
                position_code="OPS-AG" if dept == "OPS" else None,
            )
            ids[key] = emp.id
        accounts = [
            ("admin", Role.admin, None),
            ("hr", Role.hr, None),
            ("exec", Role.executive, "E001"),
            ("mgr", Role.manager, "E002"),
            ("emp", Role.employee, "E004"),
            ("aud", Role.auditor, None),
        ]
        for username, role, number in accounts:
            security.create_user(
                db, p.actor, username=username, role=role, password=PASSWORD, employee_number=number
            )
    return SmallOrg(ids)


#: who each role's account sees in the small organisation
EXPECTED_SCOPE = {
    "admin": {"ceo", "mgr", "b1", "a1", "fin", "x", "fin2"},
    "hr": {"ceo", "mgr", "b1", "a1", "fin", "x", "fin2"},
    "exec": {"ceo", "mgr", "b1", "a1", "fin", "x", "fin2"},
    "aud": {"ceo", "mgr", "b1", "a1", "fin", "x", "fin2"},
    "mgr": {"mgr", "b1", "a1", "x"},
    "emp": {"a1"},
}
NUMBERS = {
    "ceo": "E001",
    "mgr": "E002",
    "b1": "E003",
    "a1": "E004",
    "fin": "E005",
    "x": "E006",
    "fin2": "E007",
}
