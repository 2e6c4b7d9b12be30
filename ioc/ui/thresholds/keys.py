"""Session-state keys the Thresholds page keeps between runs (a click reruns the page)."""

from __future__ import annotations

NEW = ""  # the rule picker's "new rule" choice
PICK = "thr_pick"  # the rule picker
PICK_NEXT = "thr_pick_next"  # set by a save, before the picker exists: the rule to show next
CANDIDATE = "thr_candidate"  # validated rule waiting to be saved (after its backtest)
CANDIDATE_FOR = "thr_candidate_for"  # the picker's choice the candidate was validated for
BACKTEST = "thr_backtest"  # (rule, result) shown: the Save click's rerun does not redo it
SAVED = "thr_saved"  # (rule id, result) of the last save, shown once after the rerun
