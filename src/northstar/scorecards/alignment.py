"""Cascading (S6.4): the upward links of personal items and department indicators, the
alignment tree from each declared customer value down to people, and the breaks in it.

The tree and the breaks are built in memory from one load of the rows (a handful of queries
whatever the size of the company, see ``alignment_rows``), never with a query per node."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from northstar import audit, catalogue
from northstar.errors import N_, Named, Problem, ValidationFailed
from northstar.org.models import Department
from northstar.pools import service as pools
from northstar.pools.models import KpiCandidate
from northstar.scorecards.alignment_rows import (
    UP_CANDIDATE,
    UP_ITEM,
    UP_OBJECTIVE,
    UP_TEAM,
    Rows,
    candidate_named,
    chain_named,
    department_line,
    dept_named,
    href_candidate,
    href_item,
    href_objective,
    href_team,
    href_value,
    item_named,
    load,
    objective_named,
    serves,
    team_named,
)
from northstar.scorecards.breaks import Break, find_breaks
from northstar.scorecards.models import ScorecardItem, TeamIndicator
from northstar.security.principal import Principal
from northstar.security.scope import require_department_editor
from northstar.strategy.models import Objective, StrategyPriority, StrategyRecord

__all__ = [
    "Alignment",
    "Break",
    "Node",
    "Owner",
    "Tree",
    "alignment",
    "alignment_breaks",
    "alignment_tree",
    "link_candidate",
    "link_item",
]

# Node kinds, from the top of the tree down.
VALUE, OBJECTIVE, INDICATOR, TEAM, ITEM = (
    "customer_value",
    "objective",
    "department_indicator",
    "team_indicator",
    "personal_item",
)


# --- links (S6.4) -------------------------------------------------------------------------------


def _item_entity(item: ScorecardItem) -> str:
    sc = item.scorecard
    return f"{sc.employee.number}/{sc.period}/{item.card.code}"


def _item_target(item: ScorecardItem) -> str | None:
    if item.team_indicator is not None:
        return f"team:{item.team_indicator.department.code}/{item.team_indicator.card.code}"
    if item.parent_item is not None:
        return f"item:{_item_entity(item.parent_item)}"
    if item.candidate is not None:
        return (
            f"indicator:{item.candidate.department.code}/{item.candidate.indicator_code or item.candidate.id}"
        )
    return None


def _item_chain_loop(item: ScorecardItem, parent: ScorecardItem) -> list[ScorecardItem] | None:
    """The chain item → parent → … back to a repeated item, if following the parents loops."""
    chain = [item]
    node: ScorecardItem | None = parent
    while node is not None:
        chain.append(node)
        if node is item or node in chain[:-1]:
            return chain
        node = node.parent_item
    return None


def _refuse(message: str, field_: str, **params: Any) -> ValidationFailed:
    return ValidationFailed(message, problems=[Problem(message, params, field=field_)], **params)


def link_item(
    db: Session,
    principal: Principal,
    item: ScorecardItem,
    *,
    candidate: KpiCandidate | None = None,
    parent_item: ScorecardItem | None = None,
    team_indicator: TeamIndicator | None = None,
    reason: str | None = None,
) -> ScorecardItem:
    """Set a personal item's one upward link (a department indicator, another person's item or a
    team indicator), or clear it when none is given."""
    person = item.scorecard.employee
    require_department_editor(db, principal, person.department_id)
    if sum(x is not None for x in (candidate, parent_item, team_indicator)) > 1:
        raise _refuse(
            N_(
                "Link {item} to one thing only: a department indicator, another person's item or a team "
                "indicator."
            ),
            "link",
            item=item_named(item),
        )
    if candidate is not None:
        allowed = department_line(person.department)
        if candidate.department not in allowed:
            raise _refuse(
                N_(
                    "{person} works in {department}; the indicator {indicator} belongs to {other}, which is "
                    "neither {department} nor a department above it. Link the item to an indicator of "
                    "{allowed}."
                ),
                "candidate_id",
                person=person.name,
                department=dept_named(person.department),
                indicator=candidate_named(candidate),
                other=dept_named(candidate.department),
                allowed=Named(
                    ", ".join(str(dept_named(d)) for d in allowed), "、".join(d.name for d in allowed)
                ),
            )
    if parent_item is not None:
        check_parent_item(item, parent_item)
    if team_indicator is not None:
        _check_team_link(item, team_indicator)
    old = _item_target(item)
    item.candidate = candidate
    item.parent_item = parent_item
    item.team_indicator = team_indicator
    db.flush()
    # audited as a change of the person's scorecard, like every other change of its items
    sc = item.scorecard
    audit.record(
        db,
        principal.actor,
        action="update",
        entity="personal_scorecard",
        entity_id=f"{sc.employee.number}/{sc.period}",
        changes={f"{item.card.code}.link": (old, _item_target(item))},
        reason=reason,
    )
    return item


def check_parent_item(item: ScorecardItem, parent: ScorecardItem) -> None:
    """Refuse a parent on the same scorecard, of another period, or one that closes a loop."""
    if parent.scorecard_id == item.scorecard_id:
        raise _refuse(
            N_(
                "{item} and {parent} are both on {person}'s scorecard: an item serves another person's item "
                "(usually the manager's) or a department indicator."
            ),
            "parent_item_id",
            item=item_named(item),
            parent=item_named(parent),
            person=item.scorecard.employee.name,
        )
    if parent.scorecard.period != item.scorecard.period:
        raise _refuse(
            N_(
                "{item} is on the scorecard of {period}, {parent} on that of {other_period}: link it to an "
                "item of the same period."
            ),
            "parent_item_id",
            item=item_named(item),
            parent=item_named(parent),
            period=item.scorecard.period,
            other_period=parent.scorecard.period,
        )
    loop = _item_chain_loop(item, parent)
    if loop is not None:
        raise _refuse(
            N_(
                "Linking {item} to {parent} would make a loop: {chain}. An item cannot serve itself through "
                "other people's items: link {item} to the department indicator it serves, or to an item "
                "higher up that is not below it."
            ),
            "parent_item_id",
            item=item_named(item),
            parent=item_named(parent),
            chain=chain_named([item_named(x) for x in loop]),
        )


def _check_team_link(item: ScorecardItem, team: TeamIndicator) -> None:
    person = item.scorecard.employee
    if all(m.employee_id != person.id for m in team.members):
        raise _refuse(
            N_(
                "{person} is not a member of the team indicator {team}: add them to the team on its page first."
            ),
            "team_indicator_id",
            person=person.name,
            team=team_named(team),
        )
    if team.card_id != item.card_id or team.period != item.scorecard.period:
        raise _refuse(
            N_(
                "{item} does not measure the team indicator {team} of {period}: link the person's item of "
                "the same indicator card and period."
            ),
            "team_indicator_id",
            item=item_named(item),
            team=team_named(team),
            period=team.period,
        )


def link_candidate(
    db: Session,
    principal: Principal,
    candidate: KpiCandidate,
    *,
    objective: Objective | None = None,
    parent_candidate: KpiCandidate | None = None,
    reason: str | None = None,
) -> KpiCandidate:
    """Set a department indicator's one upward link — the enterprise objective it serves, or the
    indicator of a department above that it feeds — or clear it when none is given. The pool's
    own setters check the department chain and refuse loops, naming the chain."""
    require_department_editor(db, principal, candidate.department_id)
    if objective is not None and parent_candidate is not None:
        raise _refuse(
            N_(
                "Link {indicator} to one thing only: an enterprise objective or the indicator of the "
                "department above that it feeds."
            ),
            "link",
            indicator=candidate_named(candidate),
        )
    # clear first, then set: the candidate never holds two links, even between the two steps
    if parent_candidate is None and candidate.parent_candidate_id is not None:
        pools.set_parent_candidate(db, principal, candidate, None, reason=reason)
    if objective is None and candidate.objective_id is not None:
        pools.set_objective(db, principal, candidate, None, reason=reason)
    if parent_candidate is not None:
        pools.set_parent_candidate(db, principal, candidate, parent_candidate, reason=reason)
    if objective is not None:
        pools.set_objective(db, principal, candidate, objective, reason=reason)
    return candidate


# --- the alignment tree (S6.4) -------------------------------------------------------------------


@dataclass
class Owner:
    """Who a node belongs to: a department (its indicators, its teams) or a person (their items)."""

    kind: str  # "department" | "person"
    id: int
    code: str
    name: str
    name_en: str
    href: str

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "code": self.code,
            "label": {"zh": self.name, "en": self.name_en or self.name},
            "href": self.href,
        }


@dataclass
class Node:
    """One box of the tree; ``owner`` None means the enterprise (customer values, objectives)."""

    kind: str
    id: int
    name: str
    name_en: str
    owner: Owner | None
    href: str | None
    detail: dict[str, Any] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    #: the department whose filter keeps this node (indicator, team, or the person's department)
    department_id: int | None = None
    #: an objective shown in full elsewhere in the tree (it drives more than one objective)
    repeat: bool = False
    #: a personal item the reader may not see: kept as a box so the chain below it stays whole
    hidden: bool = False

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "label": None if self.hidden else {"zh": self.name, "en": self.name_en or self.name},
            "owner": {"kind": "enterprise"}
            if self.owner is None and not self.hidden
            else (None if self.owner is None else self.owner.as_dict()),
            "href": self.href,
            "detail": self.detail,
            "repeat": self.repeat,
            "hidden": self.hidden,
            "children": [c.as_dict() for c in self.children],
        }


@dataclass
class Tree:
    record: StrategyRecord
    period: str | None
    department_id: int | None
    values: list[Node]

    def as_dict(self) -> dict[str, Any]:
        return {
            "record": {"id": self.record.id, "period": self.record.period, "title": self.record.title},
            "period": self.period,
            "department_id": self.department_id,
            "values": [v.as_dict() for v in self.values],
        }

    def count(self, kind: str) -> int:
        """How many distinct boxes of ``kind`` the tree shows (repeats and hidden boxes not counted)."""

        def walk(nodes: Iterable[Node]) -> Iterable[Node]:
            for n in nodes:
                yield n
                yield from walk(n.children)

        return len({n.id for n in walk(self.values) if n.kind == kind and not n.repeat and not n.hidden})


class _Builder:
    def __init__(self, rows: Rows) -> None:
        self.rows = rows
        self.shown: set[int] = set()  # objectives already shown in full
        self.reached: set[tuple[str, int]] = set()

    def dept_owner(self, dept: Department) -> Owner:
        return Owner("department", dept.id, dept.code, dept.name, dept.name_en, f"/org/departments/{dept.id}")

    def value(self, p: StrategyPriority) -> Node:
        rec = self.rows.record
        drv = catalogue.value_driver(p.driver_code)
        who = p.segment or p.customer
        own = {x.id for x in self.rows.priorities}
        serving = [o for o in self.rows.objectives.values() if serves(o, p, own)]
        return Node(
            VALUE,
            p.id,
            drv.name.zh if drv else p.driver_code,
            drv.name.en if drv else p.driver_code,
            None,
            href_value(rec.id),
            {
                "rank": p.rank,
                "driver": p.driver_code,
                "customers": None if who is None else {"zh": who.name, "en": who.name_en or who.name},
                "statement": p.statement,
            },
            [self.objective(o, frozenset()) for o in serving],
        )

    def objective(self, o: Objective, path: frozenset[int]) -> Node:
        node = Node(
            OBJECTIVE,
            o.id,
            o.name,
            o.name_en,
            None,
            href_objective(o.record_id, o.id),
            {"code": o.code, "perspective": o.perspective.value},
        )
        if o.id in self.shown:
            node.repeat = True
            return node
        self.shown.add(o.id)
        self.reached.add((UP_OBJECTIVE, o.id))
        node.children = [self.indicator(c, frozenset()) for c in self.rows.cand_by_objective.get(o.id, [])]
        node.children += [
            self.objective(self.rows.objectives[cause], path | {o.id})
            for cause in self.rows.causes.get(o.id, [])
            if cause in self.rows.objectives and cause not in path and cause != o.id
        ]
        return node

    def indicator(self, c: KpiCandidate, path: frozenset[int]) -> Node:
        self.reached.add((UP_CANDIDATE, c.id))
        path = path | {c.id}
        children = [
            self.indicator(x, path) for x in self.rows.cand_children.get(c.id, []) if x.id not in path
        ]
        children += [self.team(t) for t in self.rows.teams_by_candidate.get(c.id, [])]
        children += [self.item(i, frozenset()) for i in self.rows.items_under.get((UP_CANDIDATE, c.id), [])]
        return Node(
            INDICATOR,
            c.id,
            c.name,
            c.name_en,
            self.dept_owner(c.department),
            href_candidate(c.department_id, c.id),
            {
                "tier": c.tier.value if c.tier else None,
                "core": c.core,
                "card": c.card.code if c.card else None,
                "indicator_code": c.indicator_code,
            },
            children,
            department_id=c.department_id,
        )

    def team(self, t: TeamIndicator) -> Node:
        self.reached.add((UP_TEAM, t.id))
        return Node(
            TEAM,
            t.id,
            t.name or t.card.name,
            t.name_en or t.card.name_en,
            self.dept_owner(t.department),
            href_team(t.id),
            {"card": t.card.code, "period": t.period, "members": len(t.members)},
            [self.item(i, frozenset()) for i in self.rows.items_under.get((UP_TEAM, t.id), [])],
            department_id=t.department_id,
        )

    def item(self, i: ScorecardItem, path: frozenset[int]) -> Node:
        self.reached.add((UP_ITEM, i.id))
        path = path | {i.id}
        sc, emp = i.scorecard, i.scorecard.employee
        children = [
            self.item(x, path) for x in self.rows.items_under.get((UP_ITEM, i.id), []) if x.id not in path
        ]
        if not self.rows.sees(i):
            return Node(ITEM, i.id, "", "", None, None, {}, children, emp.department_id, hidden=True)
        return Node(
            ITEM,
            i.id,
            i.card.name,
            i.card.name_en,
            Owner("person", emp.id, emp.number, emp.name, emp.name, f"/org/employees/{emp.id}"),
            href_item(sc.id, i.id),
            {"card": i.card.code, "role": i.role.value, "weight": str(i.weight), "period": sc.period},
            children,
            department_id=emp.department_id,
        )


def _prune(nodes: list[Node], keep_depts: set[int]) -> list[Node]:
    """The nodes on a path to something of ``keep_depts``; hidden boxes only above a visible one."""
    kept: list[Node] = []
    for node in nodes:
        node.children = _prune(node.children, keep_depts)
        own = node.department_id in keep_depts and not node.hidden and not node.repeat
        if own or node.children:
            kept.append(node)
    return kept


def _drop_hidden_leaves(nodes: list[Node]) -> list[Node]:
    kept = []
    for node in nodes:
        node.children = _drop_hidden_leaves(node.children)
        if not node.hidden or node.children:
            kept.append(node)
    return kept


@dataclass
class Alignment:
    """The tree and its breaks, from one load of the rows."""

    tree: Tree
    breaks: list[Break]
    rows: Rows


def alignment(
    db: Session,
    record: StrategyRecord,
    *,
    period: str | None = None,
    principal: Principal | None = None,
    department_id: int | None = None,
) -> Alignment:
    """The alignment tree of ``record`` and its breaks; people outside ``principal``'s scope are
    hidden; with ``department_id``, only the branches reaching that department (or below)."""
    rows = load(db, record, period=period, principal=principal)
    builder = _Builder(rows)
    values = _drop_hidden_leaves([builder.value(p) for p in rows.priorities])
    breaks = find_breaks(rows, builder.reached)
    if department_id is not None:
        depts = rows.subtree(department_id)
        values = _prune(values, depts)
        breaks = [b for b in breaks if b.department_id in depts]
    return Alignment(Tree(record, period, department_id, values), breaks, rows)


def alignment_tree(
    db: Session,
    record: StrategyRecord,
    *,
    period: str | None = None,
    principal: Principal | None = None,
    department_id: int | None = None,
) -> Tree:
    """From each declared customer value down to people's items (see ``alignment``)."""
    return alignment(db, record, period=period, principal=principal, department_id=department_id).tree


def alignment_breaks(
    db: Session,
    record: StrategyRecord,
    *,
    period: str | None = None,
    principal: Principal | None = None,
    department_id: int | None = None,
) -> list[Break]:
    """Every break in the alignment of ``record``, each with its fix, the worst first."""
    return alignment(db, record, period=period, principal=principal, department_id=department_id).breaks


def _line(rows: Rows, department_id: int) -> list[int]:
    """``department_id`` and the departments above it, nearest first (from the loaded rows)."""
    out: list[int] = []
    node: int | None = department_id
    while node is not None and node not in out and node in rows.departments:
        out.append(node)
        node = rows.departments[node].parent_id
    return out


def fix_options(result: Alignment, brk: Break) -> list[tuple[str, Named]]:
    """What the subject of a break could be linked to, as ("candidate:12", name) pairs for the
    page's one-step fix: for a person's item, the indicators of their department line, their
    manager's items of the period and their team indicators; for a department indicator, the
    record's objectives and the indicators of the departments above."""
    rows = result.rows
    out: list[tuple[str, Named]] = []

    def cand(c: KpiCandidate) -> tuple[str, Named]:
        return f"{UP_CANDIDATE}:{c.id}", Named(
            f"{c.department.code} {candidate_named(c)}", f"{c.department.code} {c.name}"
        )

    if brk.subject == UP_ITEM and brk.subject_id in rows.items:
        item = rows.items[brk.subject_id]
        emp, period = item.scorecard.employee, item.scorecard.period
        line = _line(rows, emp.department_id)
        cands = [c for d in line for c in rows.candidates_of.get(d, [])]
        out += [cand(c) for c in sorted(cands, key=lambda c: not c.core)]
        if emp.manager_id is not None:
            out += [
                (f"{UP_ITEM}:{i.id}", item_named(i))
                for i in rows.items_of.get(emp.manager_id, [])
                if i.scorecard.period == period
            ]
        out += [
            (f"{UP_TEAM}:{t.id}", team_named(t))
            for t in rows.teams.values()
            if t.card_id == item.card_id
            and t.period == period
            and any(m.employee_id == emp.id for m in t.members)
        ]
    elif brk.subject == UP_CANDIDATE and brk.subject_id in rows.candidates:
        subject = rows.candidates[brk.subject_id]
        out += [(f"{UP_OBJECTIVE}:{o.id}", objective_named(o)) for o in rows.objectives.values()]
        out += [
            cand(c) for d in _line(rows, subject.department_id)[1:] for c in rows.candidates_of.get(d, [])
        ]
    return out
