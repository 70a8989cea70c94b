"""How fast is the reference-price check on a marketplace-sized catalogue?

Generates (in memory, nothing is committed) a catalogue of listings with about 30 daily price
observations each and one ad per listing in Korean or English, then times `check_reference_prices`
(claim extraction plus the history join) on the loaded history, `load_price_history` on the same
history as CSV, and the whole `run_price_check` from files.

    /work/venv/bin/python benchmarks/prices_benchmark.py [--listings 20000] [--repeat 3]

Writes its section of benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

import adcheck
from adcheck.price_history import HistoryOptions, load_price_history
from adcheck.prices import check_reference_prices, run_price_check
from readme_section import write_section  # noqa: E402  (benchmarks/ is the script's folder)

ROOT = Path(__file__).resolve().parents[1]
AD_DATE = date(2024, 3, 1)
COMMAND = "/work/venv/bin/python benchmarks/prices_benchmark.py"

KOREAN = [
    "🔥단독특가🔥 {name} 정가 {ref:,}원 → 할인가 {sale:,}원 ({pct}% 할인)",
    "{name} 시중가 {ref:,}원, 오늘만 {sale:,}원! 무료배송",
    "[{name}] 소비자가 {ref_man}만원 → {sale:,}원 1+1 역대 최저가",
    "{name} {ref:,}→{sale:,} {pct}%↓ 한정수량",
]
ENGLISH = [
    "{name}: was ${ref_usd:,.2f}, now ${sale_usd:,.2f} ({pct}% off)",
    "{name} — RRP ${ref_usd:,.2f} | Sale price ${sale_usd:,.2f}. Lowest price of the season!",
]
NAMES = ["무선청소기", "공기청정기", "에어프라이어", "전동칫솔", "블루투스 이어폰", "Air purifier", "Robot vacuum", "Blender"]


def make_catalogue(listings: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ads and a price history with the mix a marketplace has: honest, inflated, promoted, unknown."""
    rng = np.random.default_rng(seed)
    ids = np.asarray([f"L{i:06d}" for i in range(listings)])
    usd = rng.random(listings) < 0.25
    regular = np.where(usd, rng.integers(20, 400, listings) * 1.0 + 0.99, rng.integers(10, 400, listings) * 1000.0)
    scenario = rng.choice(["honest", "inflated", "promotion", "no_history"], size=listings, p=[0.45, 0.35, 0.15, 0.05])
    points = rng.integers(25, 36, listings)

    has_history = scenario != "no_history"
    owner = np.repeat(np.flatnonzero(has_history), points[has_history])
    offset = np.arange(len(owner)) - np.repeat(np.cumsum(points[has_history]) - points[has_history], points[has_history])
    days = pd.Timestamp(AD_DATE) - pd.to_timedelta(points[owner] - offset, unit="D")
    charged = regular[owner].copy()
    inflated = scenario[owner] == "inflated"
    charged[inflated] = np.round(regular[owner][inflated] * 0.45, 2)  # the "regular" price was never charged
    promo = (scenario[owner] == "promotion") & (offset % 9 < 3)
    charged[promo] = np.round(regular[owner][promo] * 0.8, 2)
    history = pd.DataFrame({
        "listing_id": ids[owner],
        "date": days.strftime("%Y-%m-%d"),
        "price": charged,
        "currency": np.where(usd[owner], "USD", "KRW"),
    })
    history = history.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # real exports are rarely sorted

    texts = []
    for i in range(listings):
        sale = regular[i] * 0.4
        pct = int((1 - 0.4) * 100)
        name = NAMES[i % len(NAMES)]
        if usd[i]:
            texts.append(ENGLISH[i % len(ENGLISH)].format(name=name, ref_usd=regular[i], sale_usd=round(sale, 2), pct=pct))
        else:
            template = KOREAN[i % len(KOREAN)]
            ref = int(regular[i])
            texts.append(template.format(name=name, ref=ref, ref_man=f"{ref / 10000:g}", sale=int(sale), pct=pct))
    ads = pd.DataFrame({"listing_id": ids, "date": AD_DATE.isoformat(), "text": texts})
    return ads, history


def best_of(repeat: int, run) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-readme", action="store_true", help="print only; leave benchmarks/README.md alone")
    args = parser.parse_args()

    ads, raw_history = make_catalogue(args.listings, args.seed)
    options = HistoryOptions()
    with tempfile.TemporaryDirectory(prefix="adcheck-prices-bench-") as folder:
        ads_path, history_path = Path(folder) / "ads.csv", Path(folder) / "prices.csv"
        ads.to_csv(ads_path, index=False)
        raw_history.to_csv(history_path, index=False)
        load_seconds, history = best_of(args.repeat, lambda: load_price_history(history_path, options))
        check_seconds, findings = best_of(args.repeat, lambda: check_reference_prices(ads, history, options))
        out = Path(folder) / "findings.csv"
        total_seconds, summary = best_of(args.repeat, lambda: run_price_check(ads_path, history_path, out, overwrite=True))
        csv_mb = history_path.stat().st_size / 1e6

    points = len(history)
    rows = len(findings)
    per_listing = points / max(1, history["listing_id"].nunique())
    counts = findings["status"].value_counts().to_dict()
    mix = ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()))
    stamp = (
        f"_Generated by `{COMMAND}` on {date.today().isoformat()}: adcheck {adcheck.__version__}, pandas {pd.__version__}, "
        f"numpy {np.__version__}, Python {platform.python_version()}, {os.cpu_count()} CPU(s); best of {args.repeat} runs "
        "(time.perf_counter). Do not edit this section by hand; re-run the script._"
    )
    data = (
        f"Synthetic catalogue made by the script (seed {args.seed}, nothing committed): {args.listings:,} listings, one ad "
        "each (Korean and English templates: 정가/시중가/소비자가 with 원, '189,000→39,900', 'was $…', RRP), and "
        f"{points:,} daily price points ({per_listing:.0f} per listing with a history; 25-35 each; rows shuffled; 5% of "
        f"listings have no history; 25% priced in USD). Verdicts: {mix}."
    )
    check_row = (
        f"| `check_reference_prices` (extraction + window join, history loaded) | {check_seconds:.2f} | "
        f"{rows / check_seconds:,.0f} finding rows/s; {points / check_seconds:,.0f} price points/s |"
    )
    load_row = (
        f"| `load_price_history` ({csv_mb:.1f} MB CSV: read, parse, validate, dedupe, sort) | {load_seconds:.2f} | "
        f"{points / load_seconds:,.0f} price rows/s |"
    )
    total_row = (
        f"| `run_price_check` (both files to findings CSV, atomic write) | {total_seconds:.2f} | "
        f"{summary.ads / total_seconds:,.0f} ads/s |"
    )
    lines = [
        stamp,
        "",
        data,
        "",
        "| step | seconds | throughput |",
        "|---|---:|---|",
        check_row,
        load_row,
        total_row,
        "",
        f"Command: `{COMMAND}` (options: `--listings N`, `--repeat N`, `--seed N`, `--no-readme`).",
    ]
    section = "\n".join(lines)
    print(section)
    if args.no_readme:
        return
    write_section("prices", "Reference-price check speed", section)


if __name__ == "__main__":
    main()
