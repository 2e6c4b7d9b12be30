"""Simulated administrative-procedure dossiers (hồ sơ TTHC) of one province.

Volumes and shares follow DESIGN.md §5 and the seed articles: ~600 + 11 × communes dossiers per
working day (Phú Thọ, 148 communes: ~2,200), office-hour rhythm with a Monday peak and a quiet
Friday afternoon, Saturday mornings at ~5 %, online submissions around the clock; online share
~80 % for provincial agencies and ~74 % at commune level; ~95 % completed on time, ~2 %
returned, ~1 % cancelled, ~8 % paused for a supplement (the aggregator moves the deadline
by the pause);
ratings on ~30 % of completed dossiers, ~80 % satisfied.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from connectors.simulators.common import (
    DAY,
    HOUR,
    HourlySimulator,
    Item,
    Part,
    SlotRecord,
    Weighted,
    clamp_times,
    commune_picker,
    iso,
    local,
    poisson,
)
from ioc.reference.calendar import DAY_US, from_office_time, is_working_day, office_time
from ioc.reference.catalogue import PROCEDURES, Agency, Procedure, agency_for

SCHEMA = "ioc.dossier.v1"
SOURCE = "sim-dossier"

# Office-stream profile of a working day: local hour → (weight, first minute, end minute).
_OFFICE_HOURS: dict[int, tuple[float, int, int]] = {
    7: (0.45, 30, 60), 8: (1.25, 0, 60), 9: (1.45, 0, 60), 10: (1.35, 0, 60), 11: (0.45, 0, 30),
    13: (0.6, 0, 60), 14: (1.3, 0, 60), 15: (1.3, 0, 60), 16: (0.9, 0, 60),
}
_OFFICE_SHARE = 0.9  # of a working day's volume arrives through the office stream
_OFFICE_NORM = _OFFICE_SHARE / sum(w for w, _, _ in _OFFICE_HOURS.values())
_WEEKDAY_FACTOR = (1.15, 1.05, 1.0, 0.98, 1.0)  # Mon..Fri; Friday afternoon below
_FRIDAY_AFTERNOON = 0.75
_SATURDAY = 0.05  # Saturday-morning receiving, share of a weekday's office stream
# Online submissions outside the counter: all hours, evening peak; share of a working day.
_BG_HOURS = (0.3, 0.15, 0.1, 0.1, 0.1, 0.2, 0.5, 0.9, 1.0, 1.0, 1.0, 1.0,
             1.1, 1.0, 1.0, 1.0, 1.0, 1.0, 1.2, 1.4, 1.5, 1.4, 1.0, 0.6)
_BG_WORKDAY, _BG_DAY_OFF = 0.10, 0.12
_BG_NORM = 1.0 / sum(_BG_HOURS)
ONLINE_TARGET = {"province": 0.80, "commune": 0.74}
_POSTAL = 0.02  # of non-online dossiers come by post (bưu chính công ích)


# Event type → the dossier's status after it (the contract's state-carrying `status`).
_STATUS = {"supplement_requested": "supplement", "supplement_received": "in_progress",
           "rated": "completed"}


@dataclass(frozen=True)
class _PartSpec:
    name: str
    max_legal: float
    late_p: float  # share completed after the deadline
    late_mean: float  # working days past due, exponential …
    late_max: float  # … capped
    pause_max: float  # supplement turnaround, working days

    @property
    def horizon_s(self) -> int:
        # Longest lifecycle in working days → calendar days (weekends, Tết, other holidays),
        # plus the rating delay; generous on purpose, `clamp_times` enforces it anyway.
        wd = self.max_legal + self.late_max + self.pause_max + 0.2
        return (math.ceil(wd * 1.4) + 14) * DAY + 3 * DAY + HOUR


_SPECS = (
    _PartSpec("A", 3, 0.03, 1.0, 5, 3),
    _PartSpec("B", 10, 0.05, 2.0, 8, 5),
    _PartSpec("C", 30, 0.08, 3.0, 12, 10),
)


def _spec_of(proc: Procedure) -> _PartSpec:
    return next(s for s in _SPECS if proc.legal_days <= s.max_legal)


class _Pool:
    """Procedures of one (part, level) with their office and online-only pickers."""

    def __init__(self, procs: list[Procedure], total_weight: float) -> None:
        self.all = Weighted(procs, [p.weight for p in procs])
        online = [p for p in procs if p.online_eligible]
        self.online = Weighted(online, [p.weight for p in online]) if online else None
        self.share = sum(p.weight for p in procs) / total_weight
        self.online_share = sum(p.weight for p in online) / total_weight


class _Plan(SlotRecord):
    """Compact lifecycle of one dossier (events are materialised on demand)."""

    __slots__ = ("dossier_id", "proc", "agency", "ward_code", "channel", "online_mode",
                 "received", "digitized", "e_result", "paid_online", "applicant_kind",
                 "rating", "events")

def _office_p_online(target: float) -> float:
    """Online probability at the counter that gives `target` overall, given that the
    around-the-clock stream is online only (volumes of an ordinary week, no holidays)."""
    office = sum(
        DossierSimulator._office_factor(wd < 5, wd, hod)[0] for wd in range(7) for hod in range(24)
    )
    bg = 5 * _BG_WORKDAY + 2 * _BG_DAY_OFF
    return (target * (office + bg) - bg) / office


class DossierSimulator(HourlySimulator):
    stream = "dossier"
    parts = tuple(Part(s.name, s.horizon_s) for s in _SPECS)

    def __init__(self, province_code: str = "25", seed: int = 20250701, rate: float = 1.0) -> None:
        super().__init__(province_code, seed, rate)
        self._communes = commune_picker(province_code)
        n = len(self._communes.items)
        self.daily = rate * (600 + 11 * n)  # dossiers on an average working day
        total = sum(p.weight for p in PROCEDURES)
        self._pools: dict[tuple[str, str], _Pool] = {}
        for spec in _SPECS:
            for level in ("province", "commune"):
                procs = [p for p in PROCEDURES if p.level == level and _spec_of(p) is spec]
                if procs:
                    self._pools[(spec.name, level)] = _Pool(procs, total)
        # Counter-stream online probability for online-eligible procedures, per level.
        self._p_online: dict[str, float] = {}
        for level, target in ONLINE_TARGET.items():
            procs = [p for p in PROCEDURES if p.level == level]
            eligible = sum(p.weight for p in procs if p.online_eligible)
            share = eligible / sum(p.weight for p in procs)
            self._p_online[level] = min(0.97, _office_p_online(target) / share)
        self._spec = {s.name: s for s in _SPECS}

    # --- arrivals ------------------------------------------------------------------------

    @staticmethod
    def _office_factor(working: bool, weekday: int, hod: int) -> tuple[float, int, int]:
        prof = _OFFICE_HOURS.get(hod)
        if prof is None:
            return 0.0, 0, 60
        w, m0, m1 = prof
        if working:
            f = _WEEKDAY_FACTOR[weekday] * (_FRIDAY_AFTERNOON if weekday == 4 and hod >= 13
                                            else 1.0)
        elif weekday == 5 and hod < 12:  # Saturday morning receiving
            f = _SATURDAY * 2  # only the morning half, so twice the rate there
        else:
            f = 0.0
        return w * _OFFICE_NORM * f, m0, m1

    def _generate(self, part: Part, hour: int, rng: random.Random) -> list[Item]:
        start = hour * HOUR
        loc = local(start)
        working = is_working_day(loc.date())
        office_f, m0, m1 = self._office_factor(working, loc.weekday(), loc.hour)
        bg_f = _BG_HOURS[loc.hour] * _BG_NORM * (_BG_WORKDAY if working else _BG_DAY_OFF)
        spec = self._spec[part.name]
        items: list[Item] = []
        k = 0
        prefix = f"{loc:%y%m%d}-{loc.hour:02d}{'ABC'.index(part.name) + 1}"
        for level in ("province", "commune"):
            pool = self._pools.get((part.name, level))
            if pool is None:
                continue
            n_office = poisson(rng, self.daily * pool.share * office_f)
            n_bg = poisson(rng, self.daily * pool.online_share * bg_f) if pool.online else 0
            for i in range(n_office + n_bg):
                at_counter = i < n_office
                if at_counter:
                    received = start + 60 * m0 + rng.randrange(60 * (m1 - m0))
                    proc = pool.all.pick(rng)
                else:
                    received = start + rng.randrange(HOUR)
                    proc = pool.online.pick(rng)  # type: ignore[union-attr]
                k += 1
                plan = self._plan(rng, spec, part, proc, level, received, at_counter,
                                  f"{prefix}{k:03d}")
                for idx, ev in enumerate(plan.events):
                    items.append((ev[0], plan.dossier_id, idx + 1, 0, plan, idx))
        return items

    # --- one dossier ---------------------------------------------------------------------

    def _plan(self, rng: random.Random, spec: _PartSpec, part: Part, proc: Procedure,
              level: str, received: int, at_counter: bool, number: str) -> _Plan:
        ward = self._communes.pick(rng)  # applicant's commune (and the UBND for commune level)
        agency: Agency = agency_for(proc, self.province_code, ward.code)
        if not at_counter or proc.online_eligible and rng.random() < self._p_online[level]:
            channel = "online"
        else:
            channel = "postal" if rng.random() < _POSTAL else "in_person"
        online_mode = None
        if channel == "online":
            online_mode = "full" if proc.full_online_eligible and rng.random() < 0.65 else "partial"
        tag = ward.code if level == "commune" else agency.code.split("-")[0]
        dossier_id = f"H{self.province_code}.{tag}-{number}"

        # Lifecycle on the office-time line (µs): positions in working days after receipt.
        legal = proc.legal_days
        u = rng.random()
        outcome = "cancelled" if u < 0.01 else "returned" if u < 0.03 else "completed"
        supplement = outcome != "cancelled" and rng.random() < 0.08
        late = outcome == "completed" and rng.random() < spec.late_p
        if outcome == "completed":
            if late:
                end_pos = legal + 0.05 + min(rng.expovariate(1 / spec.late_mean), spec.late_max)
            else:
                end_pos = legal * (0.08 + 0.92 * rng.betavariate(2.0, 1.5))
        elif outcome == "returned":
            end_pos = legal * rng.uniform(0.2, 1.0)
        else:
            end_pos = legal * rng.uniform(0.05, 0.9)
        ip_pos = min(rng.uniform(0.005, 0.08), 0.3 * end_pos)
        pause = 0.0
        o_r = office_time(local(received))

        def at(pos: float) -> int:
            return int(from_office_time(o_r + round(pos * DAY_US)).timestamp())

        times = [received, at(ip_pos)]
        kinds = ["received", "in_progress"]
        if supplement:
            req_pos = ip_pos + rng.uniform(0.2, 0.7) * (end_pos - ip_pos)
            pause = rng.uniform(0.3, spec.pause_max)
            times += [at(req_pos), at(req_pos + pause)]
            kinds += ["supplement_requested", "supplement_received"]
        times.append(at(end_pos + pause))
        kinds.append(outcome)
        rated = outcome == "completed" and rng.random() < 0.30
        if rated:
            times.append(times[-1] + 60 + int(min(rng.expovariate(1 / (6 * HOUR)), 3 * DAY)))
            kinds.append("rated")
        times = clamp_times(times, received + part.horizon_s)

        # The contract's due_at is the deadline without the pause; the supplement times let
        # the aggregator move it (DESIGN §3, ioc.dossiers.lifecycle).
        due0 = at(legal)
        end_t = times[kinds.index(outcome)]
        req_t = times[kinds.index("supplement_requested")] if supplement else None
        rec_t = times[kinds.index("supplement_received")] if supplement else None
        events = []
        for t, kind in zip(times, kinds, strict=True):
            done = end_t if outcome == "completed" and kind in ("completed", "rated") else None
            req = req_t if req_t is not None and t >= req_t else None
            rec = rec_t if rec_t is not None and t >= rec_t else None
            events.append((t, kind, due0, done, req, rec))

        rating = None
        if rated:
            sat, neu = (0.45, 0.25) if late else (0.83, 0.11)
            v = rng.random()
            rating = "satisfied" if v < sat else "neutral" if v < sat + neu else "unsatisfied"
        return _Plan(
            dossier_id=dossier_id, proc=proc, agency=agency, ward_code=ward.code,
            channel=channel, online_mode=online_mode, received=received,
            digitized=rng.random() < 0.9,
            e_result=rng.random() < 0.8,
            paid_online=(channel == "online" and rng.random() < 0.5) if proc.fee_vnd else None,
            applicant_kind="business" if rng.random() < proc.business_share else "citizen",
            rating=rating, events=tuple(events),
        )

    def _materialize(self, plan: _Plan, index: int) -> dict[str, Any]:
        t, kind, due, done, req, rec = plan.events[index]
        proc, agency = plan.proc, plan.agency
        completed = done is not None
        return {
            "schema": SCHEMA,
            "event_id": f"{plan.dossier_id}:{index + 1}",
            "type": kind,
            "occurred_at": iso(t),
            "source": SOURCE,
            "seq": index + 1,
            "province_code": self.province_code,
            "ward_code": plan.ward_code,
            "dossier_id": plan.dossier_id,
            "procedure_code": proc.code,
            "procedure_name": proc.name,
            "sector": proc.sector,
            "agency_code": agency.code,
            "agency_name": agency.name,
            "level": proc.level,
            "channel": plan.channel,
            "online_mode": plan.online_mode,
            "received_at": iso(plan.received),
            "due_at": iso(due),
            "completed_at": iso(done) if completed else None,
            "digitized": plan.digitized,
            "e_result": plan.e_result if completed else None,  # known once a result exists
            "fee_vnd": proc.fee_vnd,
            "paid_online": plan.paid_online,
            "rating": plan.rating if kind == "rated" else None,
            "applicant_kind": plan.applicant_kind,
            "supplement_requested_at": iso(req) if req is not None else None,
            "supplement_received_at": iso(rec) if rec is not None else None,
            "online_eligible": proc.online_eligible,
            "status": _STATUS.get(kind, kind),
            "closed_at": iso(t) if kind in ("returned", "cancelled") else None,
        }
