"""The address matcher: the best chains of division names in a text, province to town."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from shouhou.places.data import CITY, COUNTY, PROVINCE, TOWN, Gazetteer, gazetteer
from shouhou.places.history import history
from shouhou.places.names import informal_forms

# Penalties per mention kind; only their order matters.
FULL, INFORMAL, PREFIX, FORMER, FORMER_PREFIX, FORMER_FALLBACK, FORMER_FALLBACK_PREFIX = range(7)
_MIN_FORM = 2
# Municipalities have no city level, so their towns are looked up from the province.
_MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})


@dataclass(frozen=True, slots=True)
class Entry:
    target: str
    penalty: int
    # A prefix only counts when the text ends there or another mention follows it directly: "上饶" in
    # "上饶县" must not be read as 上饶市 followed by junk.
    prefix: bool = False
    # A former name whose division is gone stands for the division above; it may repeat the context.
    fallback: bool = False
    successors: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class _Towns:
    by_form: dict[str, list[Entry]]
    # (name, code) pairs, for a town name cut short at the end of the text (五指山市南圣).
    names: tuple[tuple[str, str], ...]
    longest: int


@dataclass(frozen=True, slots=True)
class _Context:
    code: str
    successors: frozenset[str] = frozenset()


@dataclass(slots=True)
class _Best:
    covered: int = 0
    penalty: int = 0
    finals: set[str] = field(default_factory=set)

    def offer(self, covered: int, penalty: int, finals: set[str]) -> None:
        if (covered, -penalty) > (self.covered, -self.penalty):
            self.covered, self.penalty, self.finals = covered, penalty, set(finals)
        elif (covered, -penalty) == (self.covered, -self.penalty):
            self.finals |= finals


class Index:
    """Every name form of provinces, cities, counties and former names; towns per parent division."""

    def __init__(self, places: Gazetteer) -> None:
        self.places = places
        forms: dict[tuple[str, str, frozenset[str]], Entry] = {}

        def add(form: str, entry: Entry) -> None:
            key = (form, entry.target, entry.successors)
            known = forms.get(key)
            if len(form) >= _MIN_FORM and (known is None or entry.penalty < known.penalty):
                forms[key] = entry

        for node in places.nodes.values():
            if node.level > COUNTY:
                continue
            add(node.name, Entry(node.code, FULL))
            for form in informal_forms(node.name, node.level, places.ethnic_groups):
                add(form, Entry(node.code, INFORMAL))
            for end in range(_MIN_FORM, len(node.name)):
                add(node.name[:end], Entry(node.code, PREFIX, prefix=True))
        past = history()
        self.former_parents = past.former_parents
        for former in past.names:
            full = FORMER if former.exact else FORMER_FALLBACK
            add(former.name, Entry(former.target, full, False, not former.exact, former.successors))
            for end in range(_MIN_FORM, len(former.name)):
                entry = Entry(former.target, full + 1, True, not former.exact, former.successors)
                add(former.name[:end], entry)

        self.forms: dict[str, list[Entry]] = {}
        for (form, _target, _successors), entry in forms.items():
            self.forms.setdefault(form, []).append(entry)
        self.longest = max(len(form) for form in self.forms)

    @cache  # noqa: B019 - one Index lives for the whole process
    def towns(self, code: str) -> _Towns:
        """Town name forms under a division (a county, a city, or a municipality)."""
        node = self.places.nodes[code]
        if node.level == TOWN or (node.level == PROVINCE and code not in _MUNICIPALITIES):
            return _Towns({}, (), 0)
        by_form: dict[str, list[Entry]] = {}
        names: list[tuple[str, str]] = []
        for child_code in self.places.children.get(code, ()):
            child = self.places.nodes[child_code]
            if child.level == TOWN:
                by_form.setdefault(child.name, []).append(Entry(child.code, FULL))
                for form in informal_forms(child.name, TOWN, self.places.ethnic_groups):
                    by_form.setdefault(form, []).append(Entry(child.code, INFORMAL))
                names.append((child.name, child.code))
                continue
            below = self.towns(child_code)
            for form, entries in below.by_form.items():
                by_form.setdefault(form, []).extend(entries)
            names.extend(below.names)
        return _Towns(by_form, tuple(names), max((len(form) for form in by_form), default=0))


@cache
def index() -> Index:
    return Index(gazetteer())


class Search:
    """One text's search; memoised per (position, context).

    A reading is a chain of contiguous mentions, each a division under the one before it (湖北省 → 天门市,
    内蒙古 → 赤峰市 → 松山区, 五指山市 → 南圣镇). Mentions are full names, informal forms (恩施州), prefixes
    (内蒙古, 临夏, a town cut off at the end) and former names (襄樊, 上饶县). The best chain covers the
    most characters, then has the lowest penalty; chains that tie but end at different divisions make the
    text ambiguous, and all their ends are returned.
    """

    def __init__(self, text: str, idx: Index) -> None:
        self.text = text
        self.idx = idx
        self.nodes = idx.places.nodes
        self.memo: dict[tuple[int, _Context], _Best] = {}

    def run(self) -> set[str]:
        """Final divisions of the best chains; empty when the text names no division."""
        best = _Best()
        for start in range(len(self.text)):
            self._extend(best, start, None)
        return best.finals if best.covered else set()

    def _mentions(self, p: int, ctx: _Context | None) -> Iterator[tuple[int, Entry]]:
        text, n = self.text, len(self.text)
        for end in range(p + _MIN_FORM, min(n, p + self.idx.longest) + 1):
            for entry in self.idx.forms.get(text[p:end], ()):
                yield end, entry
        if ctx is None or ctx.successors:
            return
        towns = self.idx.towns(ctx.code)
        for end in range(p + _MIN_FORM, min(n, p + towns.longest) + 1):
            for entry in towns.by_form.get(text[p:end], ()):
                yield end, entry
        rest = text[p:]
        if len(rest) >= _MIN_FORM:
            for name, code in towns.names:
                if name.startswith(rest) and name != rest:
                    # A cut-off town is a guess about truncation: it loses to a division's own short form.
                    yield n, Entry(code, FORMER_PREFIX, prefix=True)

    def _fits(self, ctx: _Context | None, entry: Entry) -> tuple[_Context, int] | None:
        """The context after `entry` and the penalty of the step, or None when `entry` cannot follow."""
        if entry.successors:
            if ctx is None:
                return _Context(entry.target, entry.successors), entry.penalty
            if ctx.successors:
                return None
            inside = frozenset(s for s in entry.successors if ctx.code in self.nodes[s].lineage)
            shared = self.idx.places.common_ancestor(inside)
            return (_Context(shared, inside), entry.penalty) if shared is not None else None
        lineage = self.nodes[entry.target].lineage
        if ctx is None:
            return _Context(entry.target), entry.penalty
        if ctx.successors:
            return (_Context(entry.target), entry.penalty) if not ctx.successors.isdisjoint(lineage) else None
        if ctx.code in lineage and (entry.target != ctx.code or entry.fallback):
            return _Context(entry.target), entry.penalty
        # A county under a city it has since left (四平市公主岭市) reads like a former name.
        if ctx.code in self.idx.former_parents.get(entry.target, ()):
            return _Context(entry.target), entry.penalty + FORMER
        return None

    def _extend(self, best: _Best, p: int, ctx: _Context | None) -> None:
        n = len(self.text)
        for end, entry in self._mentions(p, ctx):
            step = self._fits(ctx, entry)
            if step is None:
                continue
            after, penalty = step
            cont = self._continue(end, after)
            if entry.prefix and end != n and not cont.covered:
                continue
            best.offer(end - p + cont.covered, penalty + cont.penalty, cont.finals)

    def _continue(self, p: int, ctx: _Context) -> _Best:
        key = (p, ctx)
        found = self.memo.get(key)
        if found is None:
            found = _Best(finals=self._stop(ctx))
            if p < len(self.text):
                self._extend(found, p, ctx)
            self.memo[key] = found
        return found

    def _stop(self, ctx: _Context) -> set[str]:
        """Where a chain ending in `ctx` lands: a former city that was split lands in each of its heirs."""
        if not ctx.successors:
            return {ctx.code}
        heirs = set()
        for code in ctx.successors:
            lineage = self.nodes[code].lineage
            heirs.add(next((c for c in lineage if self.nodes[c].level == CITY), code))
        return heirs


def match(text: str) -> set[str]:
    """Codes of the divisions the best readings of an already normalised text end at."""
    return Search(text, index()).run() if text else set()
