"""Reference prices in a review, checked against a price history.

Seized pages rarely say which marketplace listing they show, or when. The investigator does know,
and says so in a listings file: one row per document, its `path` as the report shows it (for an
archive member, `outer.zip!/member`), the `listing_id` it advertises and the `date` it ran. Every
reference price in a mapped document is then checked the way `adcheck prices` checks ads; a
reference price in a document without a mapping is reported as not checkable, saying why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from adcheck import prices
from adcheck.digest import file_sha256
from adcheck.errors import InputDataError
from adcheck.price_history import HistoryOptions, _id_strings, _strings, history_report, load_price_history
from adcheck.prices import texts_history_verdicts
from adcheck.readers import read_table, require_column

NO_LISTING_REASON = "the document's listing and ad date are unknown: map its path to them in a --listings file"
# the reasons check_reference_prices gives for a missing listing or date; for an unmapped document they
# become NO_LISTING_REASON (a reason about the figure itself, such as an unreadable amount, stays)
_MISSING_REASONS = (prices.NO_DATE_REASON, prices.NO_LISTING_REASON)


@dataclass
class ReviewPrices:
    """A loaded price history and the document → (listing id, date) map of a review."""

    history: pd.DataFrame
    options: HistoryOptions
    listings: dict[str, tuple[str, str]] = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)  # recorded in the report's manifest

    def verdicts(self, paths: list[str], texts: list[str]) -> list[list[dict]]:
        """Per claim (text `texts[i]` of the document `paths[i]`), its reference prices' verdicts."""
        listing = [self.listings.get(p, ("", ""))[0] for p in paths]
        dates = [self.listings.get(p, ("", ""))[1] for p in paths]
        found = texts_history_verdicts(texts, listing, dates, self.history, self.options)
        for path, claims in zip(paths, found):
            if path not in self.listings:
                for verdict in claims:
                    if verdict["reason"] in _MISSING_REASONS:
                        verdict["reason"] = NO_LISTING_REASON
        return found

    def unmatched(self, document_paths: set[str]) -> list[str]:
        """Listings-file paths that name no document of the review (usually a typo)."""
        return sorted(p for p in self.listings if p not in document_paths)


def normalise_document_path(path: str) -> str:
    """A document path as the report prints it: forward slashes, no leading "./"."""
    path = path.strip().replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def load_listings(path: Path | str) -> dict[str, tuple[str, str]]:
    """The listings file (columns path, listing_id, date) as {document path: (listing id, date)}.

    A path listed twice with different listings or dates is an error (which one would the report
    mean?); the same row repeated is fine. Paths are compared as the report prints them, after
    turning backslashes into slashes and dropping a leading "./".
    """
    frame = read_table(Path(path))
    for column in ("path", "listing_id", "date"):
        require_column(frame, column, "--listings")
    listings: dict[str, tuple[str, str]] = {}
    rows = zip(_strings(frame["path"]), _id_strings(frame["listing_id"]), _id_strings(frame["date"]))
    for number, (doc, listing, day) in enumerate(rows, start=2):
        doc, listing, day = normalise_document_path(str(doc)), str(listing).strip(), str(day).strip()
        if not doc:
            raise InputDataError(f"{path}: row {number} has no path; give each document's path as the report shows it")
        if doc in listings and listings[doc] != (listing, day):
            raise InputDataError(f"{path}: {doc!r} is listed twice with different listings or dates (row {number}); keep one")
        listings[doc] = (listing, day)
    return listings


def load_review_prices(history_path: Path | str, listings_path: Path | str | None, options: HistoryOptions | None = None) -> ReviewPrices:
    """Read and check the history and the listings file; errors are one-line InputDataErrors."""
    options = options or HistoryOptions()
    history = load_price_history(history_path, options)
    listings = load_listings(listings_path) if listings_path is not None else {}
    report = history_report(history)
    provenance = {
        "price_history": {"file": Path(history_path).name, "sha256": file_sha256(history_path),
                          "rows_read": report.rows_read if report else None, "rows_used": report.rows_used if report else None},
        "listings": {"file": Path(listings_path).name, "sha256": file_sha256(listings_path), "documents": len(listings)}
        if listings_path is not None else None,
        "rules": {"window_days": options.window_days, "base_rule": options.base_rule, "max_gap_days": options.max_gap_days},
    }
    return ReviewPrices(history, options, listings, provenance)
