"""Handling deadlines (SLA) of citizen feedback per category and agency (pure; no SQL).

Rules are append-only versions: (category, agency_code or '' for any agency, working days,
valid_from, set_by, set_at, reason). The rule in force for a report is the newest version
with valid_from ≤ received_at matching (category, agency), then (category, any agency), then
the default of 3 working days. Versions are ordered by (valid_from, set_at): a later edit of
the same start date wins.

The deadline is fixed ONCE, when the report enters the system (the connector writes it in the
event's `due_at`): a change of SLA applies to reports received from its valid_from on; open
reports keep the deadline they were given. A source that states its own deadline (the
hotline export's "Hạn xử lý") keeps it: that is the deadline the handling agency was given and
is accountable for; our rule only stands in when the source gives none.

Connectors resolve deadlines through `due_at()`, which reads the policy the composition root
installed (`install_policy`, backed by the database in ioc.feedback.sla_store); without one
(a unit test, a simulator run without a database) the reference catalogue's per-category
values apply, the same rows the migration seeds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from ioc.reference.calendar import TZ, add_working_days
from ioc.reference.catalogue import DEFAULT_FEEDBACK_SLA_DAYS, FEEDBACK_CATEGORIES

MIN_DAYS, MAX_DAYS = 0.5, 60.0
CATEGORY_NAMES: tuple[str, ...] = tuple(c.name for c in FEEDBACK_CATEGORIES)
# valid_from of the rules seeded from the catalogue: before any report we may receive.
SEED_FROM = datetime(2000, 1, 1)
SEED_ACTOR = "catalogue"


@dataclass(frozen=True)
class SlaRule:
    category: str
    agency_code: str  # '' = any agency
    days: float
    valid_from: datetime  # naive UTC
    set_by: str
    set_at: datetime  # naive UTC
    reason: str = ""


def _naive(dt: datetime) -> datetime:
    return dt if dt.tzinfo is None else dt.astimezone(UTC).replace(tzinfo=None)


def validate(category: str, days: float, agency_code: str = "", actor: str = "") -> list[str]:
    """Problems of a rule a person wants to set (empty = valid), Vietnamese · English."""
    errors = []
    if category not in CATEGORY_NAMES:
        errors.append(f"Lĩnh vực không có trong danh mục · unknown category {category!r}; "
                      f"known: {', '.join(CATEGORY_NAMES)}")
    if not MIN_DAYS <= days <= MAX_DAYS:
        errors.append(f"Số ngày làm việc phải từ {MIN_DAYS:g} đến {MAX_DAYS:g} · days must be "
                      f"between {MIN_DAYS:g} and {MAX_DAYS:g}, got {days:g}")
    if agency_code != agency_code.strip() or len(agency_code) > 64:
        errors.append(f"Mã cơ quan không hợp lệ · bad agency code {agency_code!r}")
    if not actor.strip():
        errors.append("Thiếu người thay đổi · the actor (who sets the rule) is required")
    return errors


def seed_rules() -> list[SlaRule]:
    """The catalogue's per-category SLAs as the first version of every category."""
    return [SlaRule(c.name, "", float(c.sla_days), SEED_FROM, SEED_ACTOR, SEED_FROM,
                    "giá trị ban đầu từ danh mục · initial value from the catalogue")
            for c in FEEDBACK_CATEGORIES]


class SlaPolicy:
    """The rule versions, resolvable for any (category, agency, received_at)."""

    def __init__(self, rules: Iterable[SlaRule]) -> None:
        self._by_key: dict[tuple[str, str], list[SlaRule]] = {}
        for r in sorted(rules, key=lambda r: (r.valid_from, r.set_at)):
            self._by_key.setdefault((r.category, r.agency_code), []).append(r)

    def rule_for(self, category: str, agency_code: str | None,
                 received_at: datetime) -> SlaRule | None:
        """The version in force at `received_at`; None = the default applies."""
        at = _naive(received_at)
        keys = [(category, agency_code)] if agency_code else []
        for key in [*keys, (category, "")]:
            found = [r for r in self._by_key.get(key, ()) if r.valid_from <= at]
            if found:
                return found[-1]
        return None

    def days(self, category: str, agency_code: str | None, received_at: datetime) -> float:
        rule = self.rule_for(category, agency_code, received_at)
        return DEFAULT_FEEDBACK_SLA_DAYS if rule is None else rule.days

    def in_force(self, at: datetime) -> list[SlaRule]:
        """The version of every (category, agency) in force at `at`, sorted."""
        t = _naive(at)
        out = []
        for versions in self._by_key.values():
            found = [r for r in versions if r.valid_from <= t]
            if found:
                out.append(found[-1])
        return sorted(out, key=lambda r: (r.category, r.agency_code))


_CATALOGUE_POLICY = SlaPolicy(seed_rules())
_provider: Callable[[], SlaPolicy] = lambda: _CATALOGUE_POLICY  # noqa: E731


def install_policy(provider: Callable[[], SlaPolicy] | None) -> None:
    """Make `due_at` read the policy `provider` returns (None: back to the catalogue)."""
    global _provider
    _provider = provider or (lambda: _CATALOGUE_POLICY)


def current_policy() -> SlaPolicy:
    return _provider()


def sla_days(category: str, agency_code: str | None, received_at: datetime) -> float:
    """Working days of the rule in force for a report received at `received_at`."""
    return current_policy().days(category, agency_code, received_at)


def due_at(category: str, agency_code: str | None, received_at: datetime) -> datetime:
    """The handling deadline of a report (aware Asia/Ho_Chi_Minh), fixed at its receipt."""
    received = received_at if received_at.tzinfo else received_at.replace(tzinfo=UTC)
    return add_working_days(received.astimezone(TZ), sla_days(category, agency_code,
                                                              received))
