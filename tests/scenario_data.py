"""The hand-computed dossier scenario: 51 dossiers of Phú Thọ (province 25) whose KPIs
`tests/ioc/dossiers/test_dossier_scenario.py` asserts exactly.

Every figure below was reasoned by hand from the documented definitions (DESIGN.md §3–§5,
`ioc.kpis.catalogue` formula texts, `ioc.dossiers.lifecycle` / `ioc.reference.calendar`
docstrings); nothing here
calls the code under test. All times are LOCAL (Asia/Ho_Chi_Minh, UTC+7).

Calendar used (Mon–Fri, minus the VN public holidays of the `holidays` package):
    Jan 2026: Mon 19 … Fri 23, Mon 26 … Fri 30 (Thu 1 Jan is a holiday, not used here)
    Feb 2026: Mon 2 … Fri 6, Mon 9 … Fri 13, Tết Mon 16 – Fri 20 = holidays,
              Mon 23, Tue 24, Wed 25 (= NOW), Thu 26, Fri 27
    Mar 2026: Mon 2 … Fri 6
Office hours 07:30–11:30 and 13:00–17:00: a working day = 480 office minutes; a time outside
office hours counts as the next opening (17:00 ≡ next working day 07:30).
Shorthand: "Mon 19 08:00→17:00 = 210+240" means 08:00–11:30 (210) + 13:00–17:00 (240).

NOW = Wed 25 Feb 2026 10:20 (03:20 UTC).

Places: communes 04792 (Phường Tân Hòa) and 04795 (Phường Hòa Bình) of Phú Thọ;
agencies SYT-25 (Sở Y tế, province level, serves both communes) and UBND-04792 (the commune's
People's Committee, commune level, dossiers of 04792 only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from streams.chaos.workload import dossier_event, iso

TZ7 = timezone(timedelta(hours=7))
W2, W5 = "04792", "04795"
SYT, UBND = "SYT-25", "UBND-04792"

AGENCIES = {
    SYT: dict(agency_name="Sở Y tế tỉnh Phú Thọ", level="province", procedure_code="1.002467",
              procedure_name="Cấp giấy phép hoạt động khám bệnh, chữa bệnh",
              sector="Khám bệnh, chữa bệnh"),
    UBND: dict(agency_name="UBND phường Tân Hòa", level="commune", procedure_code="1.001193",
               procedure_name="Đăng ký khai sinh", sector="Hộ tịch"),
}


def L(text: str) -> datetime:  # noqa: N802 - short, like the times it writes
    """Local Asia/Ho_Chi_Minh time 'YYYY-MM-DD HH:MM' (aware, +07:00)."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=TZ7)


NOW = L("2026-02-25 10:20")


@dataclass(frozen=True)
class Dossier:
    id: str
    ward: str
    agency: str
    channel: str  # online | in_person | postal
    received: str
    due: str  # the deadline WITHOUT pauses (contract `due_at`)
    mode: str | None = None  # online_mode: full | partial (online dossiers only)
    completed: str | None = None
    closed: tuple[str, str] | None = None  # ("returned" | "cancelled", when)
    supp: tuple[str, str | None] | None = None  # (requested, received or None = still paused)
    rating: tuple[str, str] | None = None  # (rating, when the `rated` event arrives)
    digitized: bool = True
    e_result: bool = True
    fee: int = 0
    paid: bool = False
    eligible: bool | None = None  # online_eligible (None = unknown = eligible)
    started: bool = True  # an `in_progress` event 30 min after receipt


D = Dossier
DOSSIERS: tuple[Dossier, ...] = (
    # ================= received in the PREVIOUS 30-day period (before Mon 26 Jan 11:00) ======
    # P01 completed Wed 21 Jan 10:00 ≤ due Thu 22 Jan 17:00 → on time (previous period).
    #   proc: Mon 19 08:00→17:00 = 210+240 = 450; Tue 20 = 480; Wed 21 07:30→10:00 = 150
    #   → 1080 min. Rated 'satisfied' on Mon 26 Jan 14:00 (inside the CURRENT 30d window),
    #   but a rating counts at the completion hour → previous period only.
    D("P01", W2, SYT, "online", "2026-01-19 08:00", "2026-01-22 17:00", mode="full",
      completed="2026-01-21 10:00", rating=("satisfied", "2026-01-26 14:00")),
    # P02 completed Mon 26 Jan 09:30 > due Fri 23 Jan 17:00 → late; 09:30 < 11:00 → previous
    #   period. proc: Tue 20 09:00→17:00 = 150+240 = 390; Wed 21–Fri 23 = 3×480 = 1440;
    #   Mon 26 07:30→09:30 = 120 → 1950. Not digitised, no e-result, fee unpaid online.
    D("P02", W2, UBND, "in_person", "2026-01-20 09:00", "2026-01-23 17:00",
      completed="2026-01-26 09:30", digitized=False, e_result=False, fee=50000, paid=False),
    # P03 returned Fri 23 Jan 15:00 → returned in the previous period; closed before both `at`s.
    D("P03", W5, SYT, "postal", "2026-01-21 14:00", "2026-01-28 17:00",
      closed=("returned", "2026-01-23 15:00")),
    # P04 open at the previous `at` (Mon 26 Jan 11:00) with due Mon 26 Jan 17:00 ≤ Tue 27 Jan
    #   11:00 → near-due then. Completed Mon 26 Jan 15:00 ≤ due → on time, CURRENT window.
    #   proc: Thu 22 10:00→17:00 = 90+240 = 330; Fri 23 = 480; Mon 26 07:30→15:00 = 240+120
    #   = 360 → 1170.
    D("P04", W5, SYT, "online", "2026-01-22 10:00", "2026-01-26 17:00", mode="partial",
      completed="2026-01-26 15:00"),
    # P05 due Wed 21 Jan 17:00, still open Mon 26 Jan 11:00 → overdue at the previous `at`.
    #   Completed Tue 27 Jan 16:00 → late, current window. No e-result.
    #   proc: Mon 19 10:00→17:00 = 90+240 = 330; Tue 20–Fri 23 = 4×480 = 1920; Mon 26 = 480;
    #   Tue 27 07:30→16:00 = 240+180 = 420 → 3150 (the longest of the scenario).
    #   Its stale seq 2 (in_progress) is re-sent at the very end: it must change nothing.
    D("P05", W2, UBND, "in_person", "2026-01-19 10:00", "2026-01-21 17:00",
      completed="2026-01-27 16:00", e_result=False),
    # P06 open (not due) at the previous `at`; cancelled Wed 28 Jan 09:00 → current window.
    D("P06", W2, SYT, "online", "2026-01-23 16:00", "2026-01-30 17:00", mode="full",
      closed=("cancelled", "2026-01-28 09:00")),
    # P07 received Mon 26 Jan 10:45 (03:45 UTC, hour 03:00 < window start 04:00 UTC) → a
    #   previous-period receipt, open at the previous `at`. Completed Thu 29 Jan 11:00 ≤ due
    #   Thu 29 Jan 17:00 → on time, current window.
    #   proc: Mon 26 10:45→17:00 = 45+240 = 285; Tue 27, Wed 28 = 960; Thu 29 07:30→11:00
    #   = 210 → 1455.
    D("P07", W2, UBND, "in_person", "2026-01-26 10:45", "2026-01-29 17:00",
      completed="2026-01-29 11:00"),
    # ================= received in the CURRENT 30-day window (from Mon 26 Jan 11:00) =========
    # C01 received exactly at the window start (11:00 local = 04:00 UTC) → in. Fee paid online.
    #   Completed Wed 28 Jan 11:00 ≤ due → on time. proc: Mon 26 11:00→17:00 = 30+240 = 270;
    #   Tue 27 = 480; Wed 28 07:30→11:00 = 210 → 960. Rated satisfied later (Thu 29 Jan).
    D("C01", W5, SYT, "online", "2026-01-26 11:00", "2026-01-29 17:00", mode="full",
      completed="2026-01-28 11:00", fee=30000, paid=True,
      rating=("satisfied", "2026-01-29 09:00")),
    # C02 completed Mon 2 Feb 15:30 ≤ due Tue 3 Feb 17:00 → on time. Rated neutral.
    #   proc: Tue 27 08:30→17:00 = 180+240 = 420; Wed 28–Fri 30 = 1440; Mon 2 07:30→15:30
    #   = 240+150 = 390 → 2250.
    D("C02", W2, UBND, "in_person", "2026-01-27 08:30", "2026-02-03 17:00",
      completed="2026-02-02 15:30", rating=("neutral", "2026-02-03 10:00")),
    # C03 completed Thu 5 Feb 10:00 > due Wed 4 Feb 17:00 → late. Fee NOT paid online.
    #   proc: Wed 28 14:00→17:00 = 180; Thu 29, Fri 30, Mon 2, Tue 3, Wed 4 = 5×480 = 2400;
    #   Thu 5 07:30→10:00 = 150 → 2730. Rated unsatisfied.
    D("C03", W2, SYT, "online", "2026-01-28 14:00", "2026-02-04 17:00", mode="partial",
      completed="2026-02-05 10:00", fee=100000, paid=False,
      rating=("unsatisfied", "2026-02-06 09:00")),
    # C04 supplement Fri 30 Jan 16:00 → Mon 2 Feb 08:30: pause = Fri 16:00→17:00 (60) + Mon
    #   07:30→08:30 (60) = 120 office min (not the weekend). Effective due = Thu 5 Feb 17:00
    #   + 120 min = Fri 6 Feb 09:30. Completed Fri 6 Feb 09:00: after the legal due but before
    #   the effective one → ON TIME. proc: Thu 29 09:00→17:00 = 150+240 = 390; Fri 30 = 480;
    #   Mon 2–Thu 5 = 1920; Fri 6 07:30→09:00 = 90 → 2880 − 120 pause = 2760.
    #   Open and PAUSED at Sun 1 Feb 00:00 (the previous custom period's end).
    #   Its stale seq 1 and seq 3 (supplement_requested) are re-sent at the end.
    D("C04", W5, SYT, "in_person", "2026-01-29 09:00", "2026-02-05 17:00",
      supp=("2026-01-30 16:00", "2026-02-02 08:30"), completed="2026-02-06 09:00"),
    # C05 supplement Tue 3 Feb 10:00 → 14:00: pause = 10:00→11:30 (90) + 13:00→14:00 (60)
    #   = 150. Effective due = Wed 4 Feb 17:00 + 150 = Thu 5 Feb 10:00. Completed Thu 5 Feb
    #   10:30 → LATE even with the pause. Not digitised, no e-result.
    #   proc: Mon 2 08:00→17:00 = 210+240 = 450; Tue 3, Wed 4 = 960; Thu 5 07:30→10:30 = 180
    #   → 1590 − 150 = 1440.
    D("C05", W2, UBND, "in_person", "2026-02-02 08:00", "2026-02-04 17:00",
      supp=("2026-02-03 10:00", "2026-02-03 14:00"), completed="2026-02-05 10:30",
      digitized=False, e_result=False),
    # C06 completed exactly at the deadline Fri 6 Feb 17:00 → on time (≤).
    #   proc: Tue 3 09:30→17:00 = 120+240 = 360; Wed 4, Thu 5 = 960; Fri 6 = 480 → 1800.
    D("C06", W2, SYT, "online", "2026-02-03 09:30", "2026-02-06 17:00", mode="full",
      completed="2026-02-06 17:00"),
    # C07 deadline across Tết: Thu 12, Fri 13, (Tết 16–20), Mon 23, Tue 24 → due Tue 24 Feb
    #   17:00; completed Tue 24 Feb 16:00 → on time. Fee paid online.
    #   proc: Thu 12 10:00→17:00 = 90+240 = 330; Fri 13 = 480; Mon 23 = 480; Tue 24
    #   07:30→16:00 = 240+180 = 420 → 1710. Open at Wed 18 Feb 11:00 (prev 7d `at`), not due.
    D("C07", W5, SYT, "online", "2026-02-12 10:00", "2026-02-24 17:00", mode="full",
      completed="2026-02-24 16:00", fee=20000, paid=True),
    # C08 due Mon 23 Feb 17:00 (first working day after Tết); completed Tue 24 Feb 08:00 →
    #   late. proc: Fri 13 15:00→17:00 = 120; Mon 23 = 480; Tue 24 07:30→08:00 = 30 → 630.
    #   At Wed 18 Feb 11:00: open, due Mon 23 17:00 ≤ near limit Mon 23 17:00 → near-due.
    D("C08", W2, UBND, "in_person", "2026-02-13 15:00", "2026-02-23 17:00",
      completed="2026-02-24 08:00"),
    # C09 submitted online during Tết (Wed 18 Feb 20:00 = 13:00 UTC, inside the 7d window);
    #   its clock starts Mon 23 07:30, due Wed 25 Feb 17:00. Open now; now ≤ due ≤ Thu 26 Feb
    #   10:20 → NEAR-DUE now.
    D("C09", W2, SYT, "online", "2026-02-18 20:00", "2026-02-25 17:00", mode="full"),
    # C10 submitted online on Saturday 21 Feb; due Thu 26 Feb 17:00 > near limit Thu 26 10:20
    #   → open, neither near-due nor overdue. Fee paid online.
    D("C10", W5, SYT, "online", "2026-02-21 09:00", "2026-02-26 17:00", mode="partial",
      fee=50000, paid=True),
    # C11 due Thu 26 Feb 10:00 ≤ Thu 26 10:20 → NEAR-DUE now.
    D("C11", W2, UBND, "in_person", "2026-02-23 09:00", "2026-02-26 10:00"),
    # C12 due Thu 12 Feb 17:00, open → OVERDUE now and at Wed 18 Feb 11:00. Not digitised.
    D("C12", W2, SYT, "in_person", "2026-02-09 08:00", "2026-02-12 17:00", digitized=False),
    # C13 received Wed 11 Feb 09:00 (before the prev-7d start 11:00); due Tue 24 Feb 17:00,
    #   open → OVERDUE now; at Wed 18 Feb 11:00 due > Mon 23 17:00 → neither then.
    D("C13", W2, UBND, "online", "2026-02-11 09:00", "2026-02-24 17:00", mode="partial"),
    # C14 supplement requested Thu 5 Feb 10:00, NOT received: PAUSED now and at Wed 18 Feb
    #   11:00. Its due without pause (Mon 9 Feb 17:00) has passed, but the clock is stopped:
    #   by the definitions it is open + paused, NOT overdue, not near-due, and counts as "not
    #   past due" in the on-time numerator.
    D("C14", W5, SYT, "in_person", "2026-02-02 09:00", "2026-02-09 17:00",
      supp=("2026-02-05 10:00", None)),
    # C15 supplement requested Tue 24 Feb 10:00, not received → PAUSED now; its due Thu 26 Feb
    #   09:00 would be near-due, but paused dossiers are not.
    D("C15", W2, UBND, "online", "2026-02-23 08:00", "2026-02-26 09:00", mode="full",
      supp=("2026-02-24 10:00", None)),
    # C16 supplement Thu 12 Feb 09:00 → Mon 23 Feb 09:00 (resumed AFTER the prev-7d period's
    #   end Wed 18 Feb 11:00): pause = Thu 12 09:00→17:00 (150+240 = 390) + Fri 13 (480) +
    #   Mon 23 07:30→09:00 (90) = 960 = 2 working days. Effective due = Mon 23 Feb 17:00 + 2 wd
    #   = Wed 25 Feb 17:00 → open, NEAR-DUE now. At Wed 18 Feb 11:00: PAUSED (requested before,
    #   received after) → neither near-due nor overdue then, though its deadline in force then
    #   (Mon 23 17:00) lies inside that near-due horizon. Its stale seq 3 comes back at the end.
    D("C16", W2, SYT, "in_person", "2026-02-10 08:00", "2026-02-23 17:00",
      supp=("2026-02-12 09:00", "2026-02-23 09:00")),
    # C17 supplement Fri 13 Feb 10:00 → Tue 24 Feb 10:00: pause = Fri 13 10:00→17:00 (90+240
    #   = 330) + Mon 23 (480) + Tue 24 07:30→10:00 (150) = 960 = 2 wd. Effective due = Tue 24
    #   Feb 17:00 + 2 wd = Thu 26 Feb 17:00 > Thu 26 10:20: open, NOT overdue (the legal due
    #   Tue 24 has passed) and not near-due. Paused at Wed 18 Feb 11:00.
    D("C17", W5, SYT, "online", "2026-02-11 14:00", "2026-02-24 17:00", mode="full",
      supp=("2026-02-13 10:00", "2026-02-24 10:00")),
    # C18 due Thu 5 Feb 17:00; at Wed 18 Feb 11:00 open, no supplement yet → OVERDUE then.
    #   Supplement Mon 23 Feb 08:00 → Tue 24 Feb 08:00: pause = Mon 23 08:00→17:00 (210+240 =
    #   450) + Tue 24 07:30→08:00 (30) = 480 = 1 wd. Effective due = Fri 6 Feb 17:00 < now →
    #   OVERDUE now.
    D("C18", W2, UBND, "in_person", "2026-02-02 10:00", "2026-02-05 17:00",
      supp=("2026-02-23 08:00", "2026-02-24 08:00")),
    # C19 due Mon 23 Feb 17:00. At Wed 18 Feb 11:00: open, not paused (the supplement comes
    #   later), deadline in force = the legal one, Mon 23 17:00 ≤ near limit → NEAR-DUE then.
    #   Supplement Mon 23 08:00 → 10:00 = 120 min → effective due Tue 24 Feb 09:30. Completed
    #   Tue 24 09:00 → ON TIME (legal due passed, effective not). Rated satisfied.
    #   proc: Thu 12 09:00→17:00 = 390; Fri 13 = 480; Mon 23 = 480; Tue 24 07:30→09:00 = 90
    #   → 1440 − 120 = 1320. All its events are re-sent at the end (exact duplicates).
    D("C19", W2, SYT, "online", "2026-02-12 09:00", "2026-02-23 17:00", mode="partial",
      supp=("2026-02-23 08:00", "2026-02-23 10:00"), completed="2026-02-24 09:00",
      rating=("satisfied", "2026-02-25 08:00")),
    # C20 returned Wed 4 Feb 10:00 → returned in the 30d window.
    D("C20", W5, SYT, "in_person", "2026-02-02 14:00", "2026-02-06 17:00",
      closed=("returned", "2026-02-04 10:00")),
    # C21 submitted online during Tết (Fri 20 Feb 21:00); cancelled Tue 24 Feb 15:00.
    D("C21", W2, UBND, "online", "2026-02-20 21:00", "2026-02-25 17:00", mode="full",
      closed=("cancelled", "2026-02-24 15:00")),
    # C22 returned Mon 23 Feb 09:00 (inside 7d); open at Wed 18 Feb 11:00, due Tue 24 then.
    D("C22", W2, SYT, "postal", "2026-02-10 10:00", "2026-02-24 17:00",
      closed=("returned", "2026-02-23 09:00")),
    # C23 same-day: 07:45 → completed 11:15 ≤ 17:00 → on time; proc 07:45→11:15 = 210.
    #   Fee paid online; rated satisfied Tue 24.
    D("C23", W5, SYT, "online", "2026-02-23 07:45", "2026-02-23 17:00", mode="full",
      completed="2026-02-23 11:15", fee=40000, paid=True,
      rating=("satisfied", "2026-02-24 09:00")),
    # C24 completed Wed 25 Feb 09:00 (before now) ≤ due Wed 25 17:00 → on time; no e-result;
    #   rated satisfied Wed 25 10:00. proc: Mon 23 13:30→17:00 = 210; Tue 24 = 480;
    #   Wed 25 07:30→09:00 = 90 → 780.
    D("C24", W2, UBND, "in_person", "2026-02-23 13:30", "2026-02-25 17:00",
      completed="2026-02-25 09:00", e_result=False, rating=("satisfied", "2026-02-25 10:00")),
    # C25 open, due Fri 27 Feb 17:00 → in progress only.
    D("C25", W2, SYT, "online", "2026-02-24 08:00", "2026-02-27 17:00", mode="full"),
    # C26 received this morning, only a `received` event; due Mon 2 Mar → in progress only.
    D("C26", W2, UBND, "in_person", "2026-02-25 07:45", "2026-03-02 17:00", started=False),
    # C27 procedure NOT offered online (online_eligible=false). Completed Tue 3 Feb 10:00 ≤ due
    #   → on time. proc: Thu 29 15:00→17:00 = 120; Fri 30 = 480; Mon 2 = 480; Tue 3
    #   07:30→10:00 = 150 → 1230.
    D("C27", W5, SYT, "in_person", "2026-01-29 15:00", "2026-02-03 17:00",
      completed="2026-02-03 10:00", eligible=False),
    # C28 not offered online either, postal. Completed Wed 4 Feb 16:00 ≤ due → on time.
    #   proc: Fri 30 10:00→17:00 = 90+240 = 330; Mon 2, Tue 3 = 960; Wed 4 07:30→16:00
    #   = 240+180 = 420 → 1710.
    D("C28", W2, UBND, "postal", "2026-01-30 10:00", "2026-02-04 17:00",
      completed="2026-02-04 16:00", eligible=False),
    # C29 1-day procedure; completed Mon 9 Feb 16:00 ≤ due Tue 10 08:00 → on time; paid online;
    #   rated satisfied. proc: 08:00→16:00 = 210+180 = 390.
    D("C29", W2, SYT, "online", "2026-02-09 08:00", "2026-02-10 08:00", mode="full",
      completed="2026-02-09 16:00", fee=25000, paid=True,
      rating=("satisfied", "2026-02-10 09:00")),
    # C30 1-day procedure; completed Tue 10 Feb 11:00 > due Tue 10 09:00 → late; fee unpaid
    #   online; rated unsatisfied. proc: Mon 9 09:00→17:00 = 150+240 = 390; Tue 10
    #   07:30→11:00 = 210 → 600.
    D("C30", W2, SYT, "online", "2026-02-09 09:00", "2026-02-10 09:00", mode="full",
      completed="2026-02-10 11:00", fee=25000, paid=False,
      rating=("unsatisfied", "2026-02-11 09:00")),
    # C31 not digitised; completed Thu 5 Feb 14:00 ≤ due Thu 5 17:00 → on time; rated
    #   satisfied. proc: Wed 4 08:30→17:00 = 180+240 = 420; Thu 5 07:30→14:00 = 240+60 = 300
    #   → 720.
    D("C31", W2, UBND, "in_person", "2026-02-04 08:30", "2026-02-05 17:00",
      completed="2026-02-05 14:00", digitized=False, rating=("satisfied", "2026-02-06 10:00")),
    # C32 postal, no e-result; completed Mon 9 Feb 13:00 ≤ due Tue 10 → on time.
    #   proc: Thu 5 13:00→17:00 = 240; Fri 6 = 480; Mon 9 07:30→13:00 = 240 → 960.
    D("C32", W5, SYT, "postal", "2026-02-05 13:00", "2026-02-10 17:00",
      completed="2026-02-09 13:00", e_result=False),
    # C33 paid online; completed Wed 11 Feb 15:00 (inside the prev-7d period) ≤ due → on time.
    #   proc: Fri 6 10:00→17:00 = 330; Mon 9, Tue 10 = 960; Wed 11 07:30→15:00 = 240+120 = 360
    #   → 1650.
    D("C33", W5, SYT, "online", "2026-02-06 10:00", "2026-02-11 17:00", mode="partial",
      completed="2026-02-11 15:00", fee=15000, paid=True),
    # C34 submitted online on Sunday 8 Feb 21:00 → the clock starts Mon 9 07:30. Completed
    #   Wed 11 Feb 10:30 (03:30 UTC: just before the prev-7d start 04:00 UTC) → on time;
    #   rated neutral. proc: Mon 9, Tue 10 = 960; Wed 11 07:30→10:30 = 180 → 1140.
    D("C34", W2, UBND, "online", "2026-02-08 21:00", "2026-02-11 17:00", mode="full",
      completed="2026-02-11 10:30", rating=("neutral", "2026-02-12 08:00")),
    # C35 received Wed 11 Feb 11:30 (hour 04:00 UTC = prev-7d start → inside it). Completed
    #   Fri 13 Feb 16:30 ≤ due → on time. proc: Wed 11 11:30→17:00 = 0+240; Thu 12 = 480;
    #   Fri 13 07:30→16:30 = 240+210 = 450 → 1170.
    D("C35", W2, SYT, "in_person", "2026-02-11 11:30", "2026-02-13 17:00",
      completed="2026-02-13 16:30"),
    # C36 received Wed 11 Feb 10:50 (hour 03:00 UTC → before the prev-7d start); not
    #   digitised; completed Thu 12 Feb 09:00 → on time.
    #   proc: Wed 11 10:50→17:00 = 40+240 = 280; Thu 12 07:30→09:00 = 90 → 370.
    D("C36", W2, UBND, "in_person", "2026-02-11 10:50", "2026-02-12 17:00",
      completed="2026-02-12 09:00", digitized=False),
    # C37 completed Fri 30 Jan 17:30 > due 17:00 → late (timestamps compare), fee unpaid.
    #   proc: 17:30 counts as 17:00: Tue 27 10:00→17:00 = 330; Wed 28, Thu 29 = 960;
    #   Fri 30 = 480 → 1770.
    D("C37", W5, SYT, "in_person", "2026-01-27 10:00", "2026-01-30 17:00",
      completed="2026-01-30 17:30", fee=60000, paid=False),
    # C38 paid online; completed Mon 2 Feb 08:00 ≤ due Tue 3 → on time.
    #   proc: Tue 27 15:00→17:00 = 120; Wed 28–Fri 30 = 1440; Mon 2 07:30→08:00 = 30 → 1590.
    D("C38", W2, SYT, "online", "2026-01-27 15:00", "2026-02-03 17:00", mode="full",
      completed="2026-02-02 08:00", fee=60000, paid=True),
    # C39 same-day: completed 15:00 ≤ due 16:00 → on time. proc: 10:00→15:00 = 90+120 = 210.
    D("C39", W2, UBND, "in_person", "2026-02-23 10:00", "2026-02-23 16:00",
      completed="2026-02-23 15:00"),
    # C40 completed Tue 24 Feb 17:45 > due 17:00 → late; proc: 09:00→17:00 = 150+240 = 390
    #   (17:45 is outside office hours, counted as 17:00).
    D("C40", W5, SYT, "online", "2026-02-24 09:00", "2026-02-24 17:00", mode="full",
      completed="2026-02-24 17:45"),
    # C41 open, due Fri 27 Feb → in progress only.
    D("C41", W5, SYT, "postal", "2026-02-23 14:00", "2026-02-27 17:00"),
    # C42 due Mon 23 Feb 17:00, open → OVERDUE now; at Wed 18 Feb 11:00 due ≤ Mon 23 17:00 →
    #   near-due then.
    D("C42", W2, UBND, "in_person", "2026-02-13 08:00", "2026-02-23 17:00"),
    # C43 long procedure due Fri 6 Mar, open → in progress only; paid online. A bad seq-9
    #   event (completed before received) for it bypasses the connector: dead-lettered.
    D("C43", W2, SYT, "online", "2026-02-09 15:00", "2026-03-06 17:00", mode="full",
      fee=30000, paid=True),
    # C44 returned Thu 12 Feb 10:00 (inside the prev-7d period), rated 'unsatisfied' Mon 23
    #   Feb 09:00 (inside the 7d window). The rating counts at the CLOSING hour → prev 7d;
    #   the return too. Closed before Wed 18 Feb 11:00 → not open then. Its `returned` event
    #   (seq 3) is delivered only after the `rated` one (seq 4): arrival order must not matter.
    D("C44", W5, SYT, "in_person", "2026-02-09 10:00", "2026-02-12 17:00",
      closed=("returned", "2026-02-12 10:00"), rating=("unsatisfied", "2026-02-23 09:00")),
)
BY_ID = {d.id: d for d in DOSSIERS}


def _steps(d: Dossier) -> list[tuple[str, datetime, dict[str, Any]]]:
    """(type, occurred_at, state fields) in seq order; each event carries the full state."""
    state: dict[str, Any] = {}
    steps: list[tuple[str, datetime, dict[str, Any]]] = [("received", L(d.received), {})]
    if d.started:
        steps.append(("in_progress", L(d.received) + timedelta(minutes=30), {}))
    if d.supp:
        asked, back = d.supp
        state["supplement_requested_at"] = iso(L(asked))
        steps.append(("supplement_requested", L(asked), dict(state)))
        if back:
            state["supplement_received_at"] = iso(L(back))
            steps.append(("supplement_received", L(back), dict(state)))
    if d.completed:
        state["completed_at"] = iso(L(d.completed))
        steps.append(("completed", L(d.completed), dict(state)))
    if d.closed:  # the contract's state-carrying end: later events still say how and when
        state["status"], state["closed_at"] = d.closed[0], iso(L(d.closed[1]))
        steps.append((d.closed[0], L(d.closed[1]), dict(state)))
    if d.rating:  # after the result (completed or returned)
        state["rating"] = d.rating[0]
        steps.append(("rated", L(d.rating[1]), dict(state)))
    return steps


def events_of(d: Dossier) -> list[dict[str, Any]]:
    """The dossier's state-carrying events, seq 1, 2, … (event_id = "<id>:<seq>")."""
    if d.channel == "online" and d.mode is None:
        raise ValueError(f"{d.id}: online dossier needs an online_mode")
    fixed = dict(
        agency_code=d.agency, **AGENCIES[d.agency], online_mode=d.mode, due_at=iso(L(d.due)),
        digitized=d.digitized, e_result=d.e_result, fee_vnd=d.fee, paid_online=d.paid,
        online_eligible=d.eligible, supplement_requested_at=None, supplement_received_at=None,
        completed_at=None, rating=None,
    )
    out = []
    for seq, (type_, when, state) in enumerate(_steps(d), start=1):
        ev = dossier_event(d.id, seq, type_, L(d.received), ward=d.ward, channel=d.channel)
        ev.update({**fixed, **state, "occurred_at": iso(when)})
        out.append(ev)
    return out


def bad_completed_before_received(dossier_id: str, seq: int, received: str,
                                  completed: str, ward: str = W2) -> dict[str, Any]:
    """A dossier event whose completed_at precedes received_at (breaks the contract)."""
    ev = dossier_event(dossier_id, seq, "completed", L(received), ward=ward,
                       completed_at=L(completed), channel="in_person",
                       agency_code=SYT, **AGENCIES[SYT], due_at=iso(L(received) + timedelta(
                           days=3)))
    ev["occurred_at"] = iso(L(received))
    return ev
