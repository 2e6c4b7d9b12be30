"""Time personal-data redaction on large inputs; prints one JSON object.

    .venv/bin/python scripts/redact_bench.py                   # 20 KB, 100 KB, 1 MB
    .venv/bin/python scripts/redact_bench.py --impl old.py --sizes 20000,100000

`--impl` loads another copy of ioc/events/redact.py (e.g. `git show REV:ioc/events/redact.py
> old.py`) to compare before and after. Two inputs per size: `hostile` is one long run of
word characters with dots (the worst case of a backtracking e-mail pattern), `mixed` is
Vietnamese text with phones, e-mails, ids, names and addresses. `--timeout` skips the larger
sizes of an input once one size took longer than that.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path
from types import ModuleType

MIXED = ("Tôi là Nguyễn Văn Hùng, nhà ở số nhà 12 ngõ 5 phố Hùng Vương, xã Hà Thạch; "
         "gọi 0912 345 678 hoặc mail hung.nv@gmail.com, CCCD 025123456789. "
         "Đèn đường hỏng đã lâu, Trần Thị Bích Ngọc cũng phản ánh. ")


def _load(impl: str | None) -> ModuleType:
    if impl is None:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from ioc.events import redact
        return redact
    spec = importlib.util.spec_from_file_location("redact_under_test", impl)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _inputs(size: int) -> dict[str, str]:
    return {"hostile": ("ab." * size)[:size], "mixed": (MIXED * (size // len(MIXED) + 1))[:size]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", help="path of another redact.py to time instead")
    parser.add_argument("--sizes", default="20000,100000,1000000",
                        help="input sizes in characters, comma-separated")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds after which larger sizes of that input are skipped")
    args = parser.parse_args()
    redact = _load(args.impl)
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[str, dict[str, float | None]] = {}
    for kind in ("hostile", "mixed"):
        row: dict[str, float | None] = {}
        slow = False
        for size in sizes:
            if slow:
                row[str(size)] = None  # skipped: a smaller size already exceeded --timeout
                continue
            text = _inputs(size)[kind]
            start = time.perf_counter()
            redact.redact_text(text)
            took = time.perf_counter() - start
            row[str(size)] = round(took, 4)
            slow = took > args.timeout
        results[f"redact_text/{kind}"] = row
    if hasattr(redact, "redact_frame"):
        import polars as pl
        for size in sizes:
            df = pl.DataFrame({"text": [_inputs(size)["mixed"]]})
            start = time.perf_counter()
            redact.redact_frame(df)
            results.setdefault("redact_frame/mixed", {})[str(size)] = round(
                time.perf_counter() - start, 4)
        rows = pl.DataFrame({"text": [MIXED] * 100_000})
        start = time.perf_counter()
        redact.redact_frame(rows)
        results["redact_frame/100k_rows_of_200_chars"] = {
            "seconds": round(time.perf_counter() - start, 4)}
    print(json.dumps({"impl": args.impl or "ioc/events/redact.py", "seconds": results},
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
