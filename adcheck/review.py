"""Review: turn a seized set of documents into an evidence report.

`review(paths, model)` finds every file (`adcheck.documents`), splits each readable one into
claims (`adcheck.claims`), scores every claim with the model (the same scores and evidence as
`adcheck score`) and returns a `ReviewReport`: the run manifest, every input file with its size
and sha256, every document (read or not, with the reason) ranked by risk, and the summary
counts. `to_json`, `to_csv` and `adcheck.report_html.render` give its three forms; `write_*`
write them atomically. The same input and model give the same content apart from the times.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from adcheck import __version__
from adcheck.atomic import write_text_atomic
from adcheck.claims import split_claims
from adcheck.documents import Document, Limits, discover
from adcheck.results import BANDS, band_for
from adcheck.review_prices import ReviewPrices
from adcheck.taxonomy import CATEGORIES, get_category

REPORT_FORMAT = "adcheck-review"
REPORT_SCHEMA_VERSION = 1
DOCUMENT_RISK_TOP = 3  # a document's risk is the strongest of its claims; the top few are listed


@dataclass(frozen=True)
class ReviewOptions:
    """Parameters of a review (recorded in the manifest)."""

    explain: int = 5
    threshold: float | None = None  # flag at this risk (default: the model's medium band)
    limits: Limits = field(default_factory=Limits)
    batch_size: int = 2048

    def to_dict(self) -> dict:
        return {"explain": self.explain, "threshold": self.threshold, "limits": self.limits.to_dict(), "batch_size": self.batch_size}


@dataclass
class ReviewReport:
    """A review's result. `data` is the JSON-ready content (see `to_dict`)."""

    manifest: dict
    inputs: list[dict]
    documents: list[dict]
    summary: dict

    def to_dict(self) -> dict:
        return {
            "format": REPORT_FORMAT,
            "schema_version": REPORT_SCHEMA_VERSION,
            "manifest": self.manifest,
            "summary": self.summary,
            "inputs": self.inputs,
            "documents": self.documents,
        }

    @property
    def reviewed(self) -> int:
        return self.summary["documents_read"]

    @property
    def not_read(self) -> list[dict]:
        return [d for d in self.documents if d["status"] != "read"]


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _model_sha256(model) -> str:
    artifact = (model.metadata or {}).get("artifact") or {}
    return str(artifact.get("sha256", ""))


def _location(document: Document, claim) -> str:
    page = f", page {claim.page}" if claim.page else ""
    return f"{document.path}{page}, chars {claim.start}-{claim.end}"


def _claim_dict(document: Document, index: int, claim, result, verdicts: list[dict]) -> dict:
    categories = []
    for c in result.categories:
        category = get_category(c.code)
        categories.append({
            "code": c.code,
            "name_en": c.name_en,
            "name_ko": c.name_ko,
            "probability": c.probability,
            "threshold": c.threshold,
            "legal_basis": category.legal_basis,
            "needs_outside_evidence": category.needs_outside_evidence,
            "evidence_hint": category.evidence_hint,
        })
    return {
        "index": index,
        "text": claim.text,
        "start": claim.start,
        "end": claim.end,
        "page": claim.page,
        "location": _location(document, claim),
        "risk": result.risk,
        "band": result.band,
        "flagged": bool(result.flagged),
        "threshold": result.threshold,
        "categories": categories,
        # evidence offsets are within the claim's text; document_start/end place them in the document's text
        "evidence": [
            {"text": e.text, "start": e.start, "end": e.end, "document_start": claim.start + e.start, "document_end": claim.start + e.end,
             "contribution": e.contribution}
            for e in result.evidence
        ],
        "price_claims": result.price_claims,
        "price_findings": result.price_findings,
        "price_verdicts": verdicts,
    }


def _price_concern(claim: dict) -> bool:
    """A claim a reviewer must see whatever its text risk: a reference price that was not the price
    charged, or a stated discount the figures do not give."""
    return any(v["status"] == "not_supported" for v in claim["price_verdicts"]) or any(
        f.get("status") == "inconsistent" for f in claim["price_findings"])


def review(paths: list[Path | str], model, options: ReviewOptions | None = None, prices: ReviewPrices | None = None) -> ReviewReport:
    """Review files, folders and archives with `model`; never raises for a bad file (it is listed
    as not read). Raises InputDataError only when a given path does not exist.

    With `prices` (`adcheck.review_prices.load_review_prices`), every reference price is checked
    against the price history for the listing its document is mapped to."""
    options = options or ReviewOptions()
    started = _now()
    inputs, documents = discover(list(paths), options.limits)
    claims_of: list[list] = [split_claims(d.text, d.page_offsets or None) if d.read else [] for d in documents]
    texts = [claim.text for claims in claims_of for claim in claims]
    results = model.score(texts, explain=options.explain, threshold=options.threshold, batch_size=options.batch_size, prices=True) if texts else []
    flag_at = model.flag_threshold if options.threshold is None else float(options.threshold)
    claim_paths = [d.path for d, claims in zip(documents, claims_of) for _ in claims]
    verdicts = prices.verdicts(claim_paths, texts) if prices is not None and texts else [[] for _ in texts]

    entries: list[dict] = []
    position = 0
    for document, claims in zip(documents, claims_of):
        scored = [_claim_dict(document, i, claim, results[position + i], verdicts[position + i]) for i, claim in enumerate(claims)]
        position += len(claims)
        flagged = [c for c in scored if c["flagged"]]
        strongest = sorted(scored, key=lambda c: (-c["risk"], c["index"]))[:DOCUMENT_RISK_TOP]
        risk = strongest[0]["risk"] if strongest else None
        entry = document.info()
        entry.update({
            "risk": risk,
            "band": band_for(risk, model.band_thresholds) if risk is not None else None,
            "strongest_claims": [c["index"] for c in strongest],
            "claims_total": len(scored),
            "claims_flagged": len(flagged),
            "flagged_by_band": {band: sum(1 for c in flagged if c["band"] == band) for band in BANDS},
            "flagged_by_category": dict(sorted(Counter(cat["code"] for c in flagged for cat in c["categories"]).items())),
            "price_concerns": sum(1 for c in scored if _price_concern(c)),
            "claims": scored,
        })
        entries.append(entry)
    # ranked by risk (unread documents last), ties by path: stable and deterministic
    entries.sort(key=lambda e: (e["risk"] is None, -(e["risk"] or 0.0), e["path"]))
    for rank, entry in enumerate(entries, 1):
        entry["rank"] = rank
        entry["id"] = f"doc-{rank}"

    all_flagged = [c for e in entries for c in e["claims"] if c["flagged"]]
    by_category = Counter(cat["code"] for c in all_flagged for cat in c["categories"])
    not_read = [e for e in entries if e["status"] != "read"]
    summary = {
        "input_files": len(inputs),
        "documents": len(entries),
        "documents_read": len(entries) - len(not_read),
        "documents_not_read": len(not_read),
        "documents_flagged": sum(1 for e in entries if e["claims_flagged"]),
        "claims": sum(e["claims_total"] for e in entries),
        "claims_flagged": len(all_flagged),
        "flagged_by_band": {band: sum(1 for c in all_flagged if c["band"] == band) for band in BANDS},
        "flagged_by_category": {c.code: by_category.get(c.code, 0) for c in CATEGORIES if by_category.get(c.code)},
        "price_verdicts": dict(sorted(Counter(v["status"] for e in entries for c in e["claims"] for v in c["price_verdicts"]).items())),
        "price_concerns": sum(e["price_concerns"] for e in entries),
        "listings_unmatched": prices.unmatched({e["path"] for e in entries}) if prices is not None else [],
        "needs_extra": sorted(e["path"] for e in not_read if e["needs_extra"]),
        "not_read": [{"path": e["path"], "reason": e["reason"]} for e in sorted(not_read, key=lambda e: e["path"])],
    }
    manifest = {
        "tool": "adcheck review",
        "adcheck_version": __version__,
        "model_id": model.model_id,
        "model_sha256": _model_sha256(model),
        "band_thresholds": dict(model.band_thresholds),
        "flag_threshold": flag_at,
        "parameters": options.to_dict(),
        "prices": prices.provenance if prices is not None else None,
        "inputs_given": [Path(p).name or str(p) for p in paths],
        "started_at": started,
        "finished_at": _now(),
    }
    return ReviewReport(manifest, [i.to_dict() for i in inputs], entries, summary)


# -- writers -----------------------------------------------------------------------------------

TIMESTAMP_KEYS = ("started_at", "finished_at")


def to_json(report: ReviewReport) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"


CSV_COLUMNS = [
    "document_rank", "path", "member", "page", "start", "end", "claim", "risk", "band", "flagged", "threshold",
    "categories", "categories_ko", "needs_outside_evidence", "evidence", "price_findings", "price_verdicts", "document_status", "document_reason",
    "document_sha256", "document_size", "document_encoding", "adcheck_version", "model_id", "model_sha256",
    "run_started_at", "run_finished_at", "run_parameters",
]


def to_csv(report: ReviewReport) -> str:
    """One row per claim (all claims, flagged or not) and one per unread document, so nothing is
    missing; every row carries the run manifest's key fields."""
    manifest = report.manifest
    run = [
        manifest["adcheck_version"], manifest["model_id"], manifest["model_sha256"], manifest["started_at"], manifest["finished_at"],
        json.dumps({"flag_threshold": manifest["flag_threshold"], "band_thresholds": manifest["band_thresholds"], **manifest["parameters"]},
                   ensure_ascii=False, sort_keys=True),
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for doc in report.documents:
        base = [doc["rank"], doc["path"], doc["member"] or ""]
        tail = [doc["status"], doc["reason"], doc["sha256"], doc["size"], doc["encoding"] or "", *run]
        if not doc["claims"]:
            writer.writerow([*base, "", "", "", "", "", "", "", "", "", "", "", "", "", "", *tail])
            continue
        for c in doc["claims"]:
            writer.writerow([
                *base, c["page"] or "", c["start"], c["end"], c["text"], f"{c['risk']:.6f}", c["band"], str(c["flagged"]).lower(),
                f"{c['threshold']:.6f}",
                ";".join(f"{k['code']}:{k['probability']:.4f}" for k in c["categories"]),
                ";".join(k["name_ko"] for k in c["categories"]),
                str(any(k["needs_outside_evidence"] for k in c["categories"])).lower() if c["categories"] else "",
                " | ".join(f"{e['text']} [{e['start']}:{e['end']}] {e['contribution']:+.3f}" for e in c["evidence"]),
                " | ".join(f"{f['status']}: {f['message']}" for f in c["price_findings"]),
                " | ".join(f"{v['claim_text']} [{v['claim_start']}:{v['claim_end']}] {v['status']}: {v['reason']}" for v in c["price_verdicts"]),
                *tail,
            ])
    return buffer.getvalue()


def write_atomic(path: Path | str, content: str) -> Path:
    """Write text to `path` so that it appears complete or not at all."""
    return write_text_atomic(path, content)


def without_timestamps(data: dict) -> dict:
    """A copy of a report's dict without the run times (for comparing reruns)."""
    copy = json.loads(json.dumps(data))
    for key in TIMESTAMP_KEYS:
        copy["manifest"].pop(key, None)
    return copy
