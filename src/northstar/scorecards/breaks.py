"""Breaks in the alignment (S6.4): every place where the chain from a person's indicator up to a
declared customer value is missing, points at something gone, or goes round in a circle — each
with the fix. Computed in memory from ``alignment_rows.Rows``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from northstar import catalogue
from northstar.errors import N_, Label, Named
from northstar.positions.models import IndicatorRole
from northstar.scorecards.alignment_rows import (
    UP_CANDIDATE,
    UP_ITEM,
    UP_OBJECTIVE,
    UP_TEAM,
    Rows,
    candidate_named,
    candidate_up,
    chain_named,
    dept_named,
    href_candidate,
    href_item,
    href_objective,
    href_team,
    item_named,
    item_up,
    objective_named,
    serves,
    team_named,
)

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITY_ORDER = (ERROR, WARNING, INFO)
HUNDRED = Decimal(100)
Ref = tuple[str, int]


@dataclass
class Break:
    """One break: what is wrong (``message``) and how to mend it (``fix``), both catalogue
    messages over ``params``; ``subject`` is the row to change, ``href`` the page to change it on."""

    kind: str
    severity: str
    message: str
    fix: str
    subject: str
    subject_id: int
    href: str | None
    department_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, gettext: Callable[..., str]) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "message": gettext(self.message, **self.params),
            "fix": gettext(self.fix, **self.params),
            "subject": {"kind": self.subject, "id": self.subject_id},
            "href": self.href,
            "department_id": self.department_id,
        }


class _Finder:
    def __init__(self, rows: Rows, reached: set[Ref]) -> None:
        self.rows = rows
        self.reached = reached
        self.out: list[Break] = []
        #: subjects with an error or a warning of their own: a chain stopping there is already told
        self.reported: set[Ref] = set()

    def add(
        self, ref: Ref, kind: str, severity: str, message: str, fix: str, href: str | None, **params: Any
    ) -> None:
        self.out.append(Break(kind, severity, message, fix, ref[0], ref[1], href, self.dept_of(ref), params))
        if severity != INFO:
            self.reported.add(ref)

    # --- what a reference is called, where it lives, what it points up to ---

    def dept_of(self, ref: Ref) -> int | None:
        kind, rid = ref
        if kind == UP_CANDIDATE and rid in self.rows.candidates:
            return self.rows.candidates[rid].department_id
        if kind == UP_TEAM and rid in self.rows.teams:
            return self.rows.teams[rid].department_id
        if kind == UP_ITEM and rid in self.rows.items:
            return self.rows.items[rid].scorecard.employee.department_id
        return None

    def named(self, ref: Ref) -> Named:
        kind, rid = ref
        rows = self.rows
        if kind == UP_ITEM:
            return item_named(rows.items.get(rid) or rows.other_items[rid])
        if kind == UP_TEAM:
            return team_named(rows.teams.get(rid) or rows.other_teams[rid])
        if kind == UP_CANDIDATE:
            cand = rows.candidates[rid]
            return Named(
                f"{cand.department.code} {candidate_named(cand)}", f"{cand.department.code} {cand.name}"
            )
        return objective_named(rows.objectives[rid])

    def href(self, ref: Ref) -> str | None:
        kind, rid = ref
        if kind == UP_ITEM and rid in self.rows.items:
            return href_item(self.rows.items[rid].scorecard_id, rid)
        if kind == UP_TEAM:
            return href_team(rid)
        if kind == UP_CANDIDATE and rid in self.rows.candidates:
            return href_candidate(self.rows.candidates[rid].department_id, rid)
        if kind == UP_OBJECTIVE:
            return href_objective(self.rows.record.id, rid)
        return None

    def up(self, ref: Ref) -> Ref | None:
        kind, rid = ref
        if kind == UP_ITEM:
            return item_up(self.rows.items[rid])
        if kind == UP_CANDIDATE:
            return candidate_up(self.rows.candidates[rid])
        if kind == UP_TEAM:
            cid = self.rows.teams[rid].candidate_id
            return None if cid is None else (UP_CANDIDATE, cid)
        return None

    def elsewhere(self, ref: Ref) -> tuple[Named, str] | None:
        """The name and period of an item or team indicator of another period that ``ref`` is."""
        kind, rid = ref
        if kind == UP_ITEM and rid in self.rows.other_items:
            other = self.rows.other_items[rid]
            return item_named(other), other.scorecard.period
        if kind == UP_TEAM and rid in self.rows.other_teams:
            team = self.rows.other_teams[rid]
            return team_named(team), team.period
        return None

    def loaded(self, ref: Ref) -> bool:
        kind, rid = ref
        if kind == UP_ITEM:
            return rid in self.rows.items
        if kind == UP_TEAM:
            return rid in self.rows.teams
        if kind == UP_CANDIDATE:
            return rid in self.rows.candidates
        return rid in self.rows.objectives

    def climb(self, start: Ref) -> tuple[list[Ref], str]:
        """Follow the upward links from ``start``: the chain, and how it ends — "objective" (one
        of this record's), "unlinked", "elsewhere" (another period), "gone" or "loop"."""
        chain, node = [start], start
        while True:
            nxt = self.up(node)
            if nxt is None:
                return chain, "unlinked"
            if not self.loaded(nxt):
                return chain, "gone"
            if nxt in chain:
                return chain + [nxt], "loop"
            chain.append(nxt)
            if nxt[0] == UP_OBJECTIVE:
                return chain, "objective"
            node = nxt

    # --- the checks ---

    def values(self) -> None:
        rows = self.rows
        own = {p.id for p in rows.priorities}
        for p in rows.priorities:
            if any(serves(o, p, own) for o in rows.objectives.values()):
                continue
            drv = catalogue.value_driver(p.driver_code)
            who = p.segment or p.customer
            self.out.append(
                Break(
                    "value_unserved",
                    WARNING,
                    N_(
                        "No enterprise objective serves the declared customer value #{rank} {driver} ({customers})."
                    ),
                    N_(
                        "Choose this customer value on the objective of the customer perspective that serves it, "
                        "in the balanced scorecard — or add that objective."
                    ),
                    "customer_value",
                    p.id,
                    f"/scorecard?record={rows.record.id}",
                    None,
                    {
                        "rank": p.rank,
                        "driver": Named(drv.name.en, drv.name.zh) if drv else p.driver_code,
                        "customers": Named(who.name_en or who.name, who.name)
                        if who
                        else Label(N_("every customer")),
                    },
                )
            )

    def objectives(self) -> None:
        for obj in self.rows.objectives.values():
            ref = (UP_OBJECTIVE, obj.id)
            if ref not in self.reached:
                self.add(
                    ref,
                    "objective_without_value",
                    WARNING,
                    N_(
                        "The objective {objective} ({perspective}) reaches no declared customer value: it serves "
                        "none itself, and no arrow of the strategy map leads from it to an objective that does."
                    ),
                    N_(
                        "Draw its arrow to the objective it drives on the strategy map, or choose the customer "
                        "value it serves."
                    ),
                    self.href(ref),
                    objective=objective_named(obj),
                    perspective=Label(obj.perspective.value),
                )

    def candidates(self) -> None:
        rows = self.rows
        for cand in rows.candidates.values():
            ref = (UP_CANDIDATE, cand.id)
            up = candidate_up(cand)
            what = {"indicator": self.named(ref), "department": dept_named(cand.department)}
            if up is None:
                if cand.core:
                    self.add(
                        ref,
                        "indicator_unlinked",
                        ERROR,
                        N_(
                            "The core indicator {indicator} is linked to neither an enterprise objective nor "
                            "an indicator of the department above."
                        ),
                        N_(
                            "Link it to the enterprise objective it serves, or to the indicator of the department "
                            "above that it feeds."
                        ),
                        self.href(ref),
                        **what,
                    )
            elif up[0] == UP_OBJECTIVE and up[1] in rows.other_objectives:
                self.add(
                    ref,
                    "link_elsewhere",
                    ERROR if cand.core else INFO,
                    N_(
                        "{indicator} serves an objective of the {other_period} strategy, not one of {period}."
                    ),
                    N_("Link it to the objective of the {period} strategy that it serves."),
                    self.href(ref),
                    other_period=rows.other_objectives[up[1]],
                    period=rows.record.period,
                    **what,
                )
            elif not self.loaded(up):
                self.gone(ref, up, what["indicator"], ERROR if cand.core else WARNING)

    def gone(self, ref: Ref, target: Ref, subject: Named, severity: str) -> None:
        labels = {
            UP_OBJECTIVE: N_("enterprise objective"),
            UP_CANDIDATE: N_("department indicator"),
            UP_ITEM: N_("personal scorecard item"),
            UP_TEAM: N_("team indicator"),
        }
        self.add(
            ref,
            "link_target_gone",
            severity,
            N_("{subject} is linked to a {target} (id {id}) that no longer exists."),
            N_("Link it again, to something that exists, or clear the link."),
            self.href(ref),
            subject=subject,
            target=Label(labels[target[0]]),
            id=target[1],
        )

    def teams(self) -> None:
        for team in self.rows.teams.values():
            ref = (UP_TEAM, team.id)
            what = {"team": team_named(team), "department": dept_named(team.department)}
            if team.candidate_id is None:
                self.add(
                    ref,
                    "team_unlinked",
                    WARNING,
                    N_("The team indicator {team} of {department} serves no department indicator."),
                    N_("Choose the department indicator it serves on the team indicator's page."),
                    self.href(ref),
                    **what,
                )
            elif team.candidate_id not in self.rows.candidates:
                self.gone(ref, (UP_CANDIDATE, team.candidate_id), what["team"], WARNING)
            total = sum((m.share for m in team.members), Decimal(0))
            if team.members and total != HUNDRED:
                self.add(
                    ref,
                    "team_shares",
                    WARNING,
                    N_("The members' shares of {team} add up to {total}%, not 100%."),
                    N_("Change the shares on the team indicator's page so that they add up to exactly 100%."),
                    self.href(ref),
                    total=total,
                    **what,
                )

    def items(self, today: date) -> None:
        rows = self.rows
        for item in rows.items.values():
            if not rows.sees(item):
                continue
            ref = (UP_ITEM, item.id)
            up = item_up(item)
            core = item.role is IndicatorRole.core
            if up is None:
                self.add(
                    ref,
                    "item_unlinked",
                    ERROR if core else INFO,
                    N_(
                        "{item} ({role}) has no upward link: it serves no department indicator, no other "
                        "person's item and no team indicator."
                    ),
                    N_(
                        "Link it to the department indicator it serves, or to the manager's item it contributes to."
                    )
                    if core
                    else N_(
                        "Quality and collaboration indicators need no link; link it if it serves a department "
                        "indicator."
                    ),
                    self.href(ref),
                    item=item_named(item),
                    role=Label(item.role.value),
                )
                continue
            elsewhere = self.elsewhere(up)
            if elsewhere is not None:
                self.add(
                    ref,
                    "link_elsewhere",
                    ERROR,
                    N_("{item} ({period}) is linked to {target} of the period {other_period}."),
                    N_("Link it to the item or team indicator of the same period."),
                    self.href(ref),
                    item=item_named(item),
                    period=item.scorecard.period,
                    target=elsewhere[0],
                    other_period=elsewhere[1],
                )
            elif not self.loaded(up):
                self.gone(ref, up, item_named(item), ERROR)
            elif up[0] == UP_ITEM:
                boss = rows.items[up[1]].scorecard.employee
                if boss.end_date is not None and boss.end_date < today:
                    self.add(
                        ref,
                        "link_person_left",
                        WARNING,
                        N_("{item} is linked to {target}, but {person} left on {day}."),
                        N_(
                            "Link it to the item of whoever took over, or to the department indicator it serves."
                        ),
                        self.href(ref),
                        item=item_named(item),
                        target=item_named(rows.items[up[1]]),
                        person=boss.name,
                        day=boss.end_date.isoformat(),
                    )

    def loops(self) -> None:
        rows = self.rows
        item_parent = {
            i.id: up[1] for i in rows.items.values() if (up := item_up(i)) is not None and up[0] == UP_ITEM
        }
        cand_parent = {
            c.id: up[1]
            for c in rows.candidates.values()
            if (up := candidate_up(c)) is not None and up[0] == UP_CANDIDATE
        }
        for kind, parents in ((UP_ITEM, item_parent), (UP_CANDIDATE, cand_parent)):
            for cycle in _cycles(parents):
                if kind == UP_ITEM and not all(rows.sees(rows.items[i]) for i in cycle):
                    continue
                refs = [(kind, i) for i in cycle]
                self.add(
                    refs[0],
                    "loop",
                    ERROR,
                    N_("These links go round in a circle: {chain}."),
                    N_(
                        "Clear one link of the circle, and link that indicator to the department indicator or "
                        "objective it really serves."
                    ),
                    self.href(refs[0]),
                    chain=chain_named([self.named(r) for r in refs + refs[:1]]),
                )
                self.reported.update(refs)
        effects: dict[int, list[int]] = {}
        for effect, causes in rows.causes.items():
            for cause in causes:
                effects.setdefault(cause, []).append(effect)
        for cycle in _graph_cycles(effects, list(rows.objectives)):
            refs = [(UP_OBJECTIVE, i) for i in cycle]
            self.add(
                refs[0],
                "loop",
                ERROR,
                N_("The arrows of the strategy map go round in a circle: {chain}."),
                N_(
                    "Remove one of these arrows: cause and effect run one way, from learning and growth "
                    "through process and customer to financial."
                ),
                self.href(refs[0]),
                chain=chain_named([self.named(r) for r in refs + refs[:1]]),
            )

    def chain_ends(self) -> None:
        """Core items and indicators linked to something whose own chain stops short of an
        objective — told once per place the chain stops, unless that place has its own break."""
        tops: dict[Ref, list[Ref]] = {}
        starts: list[Ref] = [
            (UP_ITEM, i.id)
            for i in self.rows.items.values()
            if i.role is IndicatorRole.core and self.rows.sees(i) and item_up(i) is not None
        ]
        starts += [(UP_CANDIDATE, c.id) for c in self.rows.candidates.values() if c.core and candidate_up(c)]
        for start in starts:
            if start in self.reached or start in self.reported:
                continue
            chain, end = self.climb(start)
            if end == "unlinked" and chain[-1] not in self.reported and chain[-1] != start:
                tops.setdefault(chain[-1], chain)
        for top, chain in tops.items():
            self.add(
                top,
                "chain_ends",
                WARNING,
                N_(
                    "The chain {chain} stops at {top}, which is linked to nothing above: the core indicators "
                    "below it reach no enterprise objective and no customer value."
                ),
                N_("Link {top} to the indicator, objective or item it serves."),
                self.href(top),
                chain=chain_named([self.named(r) for r in chain]),
                top=self.named(top),
            )


def _cycles(parent: Mapping[int, int]) -> list[list[int]]:
    """The circles of a graph where each node has at most one parent, each once, smallest id first."""
    done: set[int] = set()
    found: list[list[int]] = []
    for start in sorted(parent):
        walk: list[int] = []
        pos: dict[int, int] = {}
        node: int | None = start
        while node is not None and node not in done and node not in pos:
            pos[node] = len(walk)
            walk.append(node)
            node = parent.get(node)
        if node is not None and node in pos:
            cycle = walk[pos[node] :]
            low = cycle.index(min(cycle))
            found.append(cycle[low:] + cycle[:low])
        done.update(walk)
    return found


def _graph_cycles(edges: Mapping[int, list[int]], nodes: list[int]) -> list[list[int]]:
    """One circle per strongly connected group of a directed graph (depth-first search)."""
    seen: set[frozenset[int]] = set()
    found: list[list[int]] = []
    state: dict[int, int] = {}  # 1 on the current path, 2 finished

    def visit(node: int, path: list[int]) -> None:
        state[node] = 1
        path.append(node)
        for nxt in edges.get(node, []):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :]
                key = frozenset(cycle)
                if key not in seen:
                    seen.add(key)
                    low = cycle.index(min(cycle))
                    found.append(cycle[low:] + cycle[:low])
            elif nxt not in state:
                visit(nxt, path)
        path.pop()
        state[node] = 2

    for node in nodes:
        if node not in state:
            visit(node, [])
    return found


def find_breaks(rows: Rows, reached: set[Ref], *, today: date | None = None) -> list[Break]:
    """Every break of the loaded alignment, the worst first."""
    finder = _Finder(rows, reached)
    finder.loops()
    finder.values()
    finder.objectives()
    finder.candidates()
    finder.teams()
    finder.items(today or date.today())
    finder.chain_ends()
    return sorted(finder.out, key=lambda b: SEVERITY_ORDER.index(b.severity))
