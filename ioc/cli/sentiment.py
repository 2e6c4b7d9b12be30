"""`ioc sentiment …`: rebuild the corpus, train the packaged model, evaluate it, label text.

    ioc sentiment corpus     rewrite ioc/social/data/sentiment_corpus.tsv from its sources
    ioc sentiment train      fit on that corpus and rewrite ioc/social/data/sentiment_model.json.gz
    ioc sentiment evaluate   macro-F1 and the negative class's precision / recall (held-out split)
    ioc sentiment label      one text per line on stdin → one label per line on stdout
    ioc sentiment rescore    re-score stored posts with the current model, buckets exactly
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ioc.settings import Settings

DATA_DIR = Path(__file__).resolve().parents[1] / "social" / "data"


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("sentiment", help="sentiment model: corpus, train, evaluate, label")
    ss = p.add_subparsers(dest="sentiment_command", required=True)

    c = ss.add_parser("corpus", help="rebuild the training corpus TSV (deterministic)")
    c.add_argument("--out", type=Path, default=DATA_DIR / "sentiment_corpus.tsv")
    c.set_defaults(func=cmd_corpus)

    t = ss.add_parser("train", help="train the model on the corpus (deterministic)")
    t.add_argument("--corpus", type=Path, default=DATA_DIR / "sentiment_corpus.tsv")
    t.add_argument("--out", type=Path, default=DATA_DIR / "sentiment_model.json.gz")
    t.add_argument("--with-corrections", action="store_true",
                   help="also train on operators' label corrections in the database (the "
                        "latest per post); the version gets a +c<N>.<digest> suffix")
    t.set_defaults(func=cmd_train)

    e = ss.add_parser("evaluate", help="scores on the held-out split (or a labelled TSV)")
    e.add_argument("--data", type=Path, default=DATA_DIR / "sentiment_heldout.tsv",
                   help="TSV: label<TAB>register<TAB>text, or label<TAB>text")
    e.add_argument("--model", type=Path, default=None, help="a model file (default: packaged)")
    e.set_defaults(func=cmd_evaluate)

    lab = ss.add_parser("label", help="one text per line on stdin → one label per line")
    lab.set_defaults(func=cmd_label)

    r = ss.add_parser("rescore", help="re-score stored posts with the current model; their "
                                      "buckets are moved exactly (one transaction per chunk)")
    r.add_argument("--since", default=None,
                   help="only posts published from this local day on (dd/mm/yyyy or ISO)")
    r.add_argument("--chunk", type=int, default=2000, help="posts per transaction")
    r.set_defaults(func=cmd_rescore)


def _read_labelled(path: Path) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    gold: list[str] = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        gold.append(parts[0])
        texts.append(parts[-1])
    return texts, gold


def cmd_corpus(args: argparse.Namespace, settings: Settings) -> int:
    from ioc.social.sentiment_corpus import corpus_text

    text = corpus_text()
    args.out.write_text(text, "utf-8")
    print(json.dumps({"corpus": str(args.out), "lines": text.count("\n") - 1}))
    return 0


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from ioc.social.sentiment import MODEL_VERSION
    from ioc.social.sentiment_train import corpus_digest, dump, fit

    raw = args.corpus.read_text("utf-8")
    texts, gold = _read_labelled(args.corpus)
    version = MODEL_VERSION
    extra: list[tuple[str, str]] = []
    if args.with_corrections:
        from ioc.cli import wiring
        from ioc.social.corrections import corrected_texts

        extra = corrected_texts(wiring.engine(settings))
        texts += [t for t, _ in extra]
        gold += [lab for _, lab in extra]
        digest = corpus_digest("".join(f"{lab}\t{t}\n" for t, lab in extra))
        version = f"{MODEL_VERSION}+c{len(extra)}.{digest[:8]}"
    try:
        model = fit(texts, gold, version=version)
    except ImportError:
        sys.exit("ioc sentiment train needs scikit-learn: pip install -e '.[train]'")
    model["corpus_sha256"] = corpus_digest(raw)
    if extra:
        model["corrections"] = len(extra)
    blob = dump(model)
    args.out.write_bytes(blob)
    print(json.dumps({"model": str(args.out), "version": model["version"],
                      "texts": len(texts), "corrections": len(extra),
                      "features": len(model["features"]),
                      "bytes": len(blob)}))
    return 0


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from ioc.social import sentiment
    from ioc.social.sentiment_train import metrics

    m = sentiment.load_model(args.model.read_bytes()) if args.model else sentiment.model()
    texts, gold = _read_labelled(args.data)
    pred = [sentiment.label(sentiment.signed_score(sentiment.probabilities(t, m))) for t in texts]
    result = metrics(gold, pred)
    neg = result["per_class"]["negative"]
    print(json.dumps({"model": m.version, "data": args.data.name, "n": result["n"],
                      "macro_f1": result["macro_f1"], "accuracy": result["accuracy"],
                      "negative_precision": neg["precision"], "negative_recall": neg["recall"],
                      "per_class": result["per_class"]}, ensure_ascii=False))
    return 0


def cmd_label(args: argparse.Namespace, settings: Settings) -> int:
    from ioc.social.sentiment import label_many

    lines = sys.stdin.read().splitlines()
    sys.stdout.write("".join(f"{lab}\n" for lab in label_many(lines)))
    return 0


def cmd_rescore(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import asdict
    from datetime import datetime, time

    from ioc.cli import wiring
    from ioc.kpis.windows import parse_day
    from ioc.reference.calendar import TZ
    from ioc.social.corrections import rescore

    try:
        since = (datetime.combine(parse_day(args.since), time(), TZ) if args.since else None)
    except ValueError as exc:
        sys.exit(str(exc))
    stats = rescore(wiring.engine(settings), since=since, chunk=args.chunk)
    print(json.dumps({"since": since.isoformat() if since else None, **asdict(stats)}))
    return 0
