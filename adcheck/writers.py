"""Output writers: score results as a table, JSON, JSON Lines or CSV."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from adcheck.results import SCHEMA_VERSION, ScoreResult

CSV_FIELDS = ("id", "risk", "band", "flagged", "threshold", "categories", "evidence", "text", "model_id", "schema_version",
              "price_claims", "price_findings", "price_verdicts")


def price_check_lines(result: ScoreResult) -> list[str]:
    """What a person should read about a text's prices: discounts that do not add up, and every
    reference price checked against a history (status and reason with the figures)."""
    lines = [f"{f['status']}: {f['message']}" for f in result.price_findings if f.get("status") == "inconsistent"]
    lines += [f"{v['claim_text']} [{v['claim_start']}:{v['claim_end']}] {v['status']}: {v['reason']}" for v in result.price_verdicts]
    return lines


def _claim_summary(claim: dict) -> str:
    if claim.get("percent") is not None:
        figure = f"{claim['percent']:g}%"
    elif claim.get("amount") is not None:
        figure = f"{claim['amount']:g} {claim.get('currency') or ''}".strip()
    else:
        figure = claim["text"]
    return f"{claim['kind']} {figure} [{claim['start']}:{claim['end']}]"


def _record(result: ScoreResult, item_id: str | None) -> dict:
    data = result.to_dict()
    if item_id is not None:
        data = {"id": item_id, **data}
    return data


def write_json(results: Sequence[ScoreResult], ids: Sequence[str] | None, model_id: str, out: TextIO) -> None:
    document = {
        "schema_version": SCHEMA_VERSION,
        "model_id": model_id,
        "results": [_record(r, ids[i] if ids else None) for i, r in enumerate(results)],
    }
    json.dump(document, out, ensure_ascii=False, indent=2)
    out.write("\n")


def write_jsonl(results: Sequence[ScoreResult], ids: Sequence[str] | None, out: TextIO) -> None:
    for i, result in enumerate(results):
        out.write(json.dumps(_record(result, ids[i] if ids else None), ensure_ascii=False) + "\n")


def write_csv(results: Sequence[ScoreResult], ids: Sequence[str] | None, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for i, r in enumerate(results):
        writer.writerow([
            ids[i] if ids else str(i + 1),
            f"{r.risk:.6f}",
            r.band,
            int(r.flagged),
            f"{r.threshold:.6f}",
            ";".join(f"{c.code}:{c.probability:.3f}" for c in r.categories),
            " | ".join(f"{e.text} [{e.start}:{e.end}] {e.contribution:+.3f}" for e in r.evidence),
            r.text,
            r.model_id,
            r.schema_version,
            "; ".join(_claim_summary(c) for c in r.price_claims),
            " | ".join(f"{f['status']}: {f['message']}" for f in r.price_findings),
            " | ".join(f"{v['status']}: {v['reason']}" for v in r.price_verdicts),
        ])


def _shorten(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def write_table(results: Sequence[ScoreResult], ids: Sequence[str] | None, out: TextIO | None = None, width: int | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out or sys.stdout, width=width, soft_wrap=False, highlight=False)
    table = Table(show_lines=True, expand=False)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("risk", justify="right", no_wrap=True)
    table.add_column("band", no_wrap=True)
    table.add_column("categories")
    table.add_column("evidence (log-odds)")
    table.add_column("text")
    styles = {"high": "bold red", "medium": "yellow", "low": "green"}
    for i, r in enumerate(results):
        categories = "\n".join(f"{c.code} {c.probability:.2f}" for c in r.categories) or "-"
        evidence = "\n".join(f"{e.contribution:+.2f} {_shorten(e.text, 28)}" for e in r.evidence) or "-"
        table.add_row(
            ids[i] if ids else str(i + 1),
            f"{r.risk:.3f}",
            f"[{styles.get(r.band, '')}]{r.band}[/]",
            categories,
            evidence,
            _shorten(r.text, 160),
        )
    console.print(table)
    # price checks read as sentences with figures, so they go below the table rather than in a narrow column
    checks = [(ids[i] if ids else str(i + 1), line) for i, r in enumerate(results) for line in price_check_lines(r)]
    if checks:
        console.print("Price checks:")
        for item, line in checks:
            console.print(f"  #{item} {line}", soft_wrap=True, markup=False)
