"""The review report as one self-contained HTML file (inline CSS and JS, no external assets).

Seized material is hostile input: every piece of text from it (and from the model) passes through
`html.escape`, the page builds no markup in JavaScript (it only sorts rows and toggles `hidden`),
and a Content-Security-Policy allows no network access and only the page's own script (by its
sha256), so even an escaping mistake could not run injected script.
"""

from __future__ import annotations

import base64
import hashlib
import json
from html import escape

from adcheck.results import BANDS
from adcheck.taxonomy import CATEGORIES

_CSS = """
:root { --fg:#1d232b; --muted:#5b6573; --line:#d9dee5; --bg:#f6f7f9; --card:#fff; --high:#b3261e; --high-bg:#fde8e6;
  --medium:#8a5a00; --medium-bg:#fff3d6; --low:#2f6b3a; --low-bg:#e5f4e8; --accent:#1f5fa8; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans KR", "Noto Sans CJK KR", "Malgun Gothic",
  "Apple SD Gothic Neo", sans-serif; color:var(--fg); background:var(--bg); }
header.top { background:#14213d; color:#fff; padding:18px 28px 14px; }
header.top h1 { margin:0 0 4px; font-size:22px; font-weight:600; }
header.top p { margin:0; color:#c9d3e3; font-size:13px; }
nav.toolbar { position:sticky; top:0; z-index:5; background:#fff; border-bottom:1px solid var(--line); padding:10px 28px;
  display:flex; flex-wrap:wrap; gap:14px; align-items:center; box-shadow:0 1px 3px rgba(0,0,0,.05); }
nav.toolbar label { font-size:13px; color:var(--muted); display:inline-flex; gap:6px; align-items:center; }
nav.toolbar select, nav.toolbar input[type=search] { font:inherit; font-size:14px; padding:4px 8px; border:1px solid var(--line); border-radius:6px; }
nav.toolbar input[type=search] { width:220px; }
nav.toolbar .links a { margin-right:12px; font-size:13px; }
#filter-status { font-size:13px; color:var(--muted); margin-left:auto; }
main { padding:18px 28px 60px; max-width:1280px; }
section { margin-bottom:28px; }
h2 { font-size:18px; margin:0 0 10px; border-bottom:2px solid var(--line); padding-bottom:4px; }
a { color:var(--accent); text-decoration:none; } a:hover { text-decoration:underline; }
.cards { display:flex; flex-wrap:wrap; gap:12px; margin-bottom:14px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:10px 16px; min-width:130px; }
.card .n { font-size:24px; font-weight:600; } .card .l { font-size:12px; color:var(--muted); text-transform:uppercase; letter-spacing:.03em; }
table { border-collapse:collapse; width:100%; background:var(--card); border:1px solid var(--line); font-size:14px; }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#eef1f5; font-weight:600; font-size:13px; white-space:nowrap; }
th button { font:inherit; background:none; border:0; padding:0; cursor:pointer; color:var(--fg); }
th button::after { content:" \\2195"; color:var(--muted); }
th button[data-dir=asc]::after { content:" \\2191"; color:var(--accent); } th button[data-dir=desc]::after { content:" \\2193"; color:var(--accent); }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.path { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size:13px; word-break:break-all; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; white-space:nowrap; }
.b-high { background:var(--high-bg); color:var(--high); } .b-medium { background:var(--medium-bg); color:var(--medium); }
.b-low { background:var(--low-bg); color:var(--low); } .b-none { background:#eceff3; color:var(--muted); }
.cat { display:inline-block; background:#e8eef8; color:#1d3f6e; border-radius:4px; padding:0 6px; margin:1px 4px 1px 0; font-size:12px; }
article.doc { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 18px; margin-bottom:18px; }
article.doc h3 { margin:0 0 6px; font-size:16px; display:flex; gap:10px; align-items:baseline; flex-wrap:wrap; }
article.doc h3 .rank { color:var(--muted); font-weight:400; }
dl.meta { display:grid; grid-template-columns:max-content 1fr; gap:2px 14px; margin:0 0 10px; font-size:13px; }
dl.meta dt { color:var(--muted); } dl.meta dd { margin:0; }
.claim { border-left:4px solid var(--line); padding:8px 12px; margin:10px 0; background:#fbfcfd; border-radius:0 6px 6px 0; }
.claim.band-high { border-left-color:var(--high); } .claim.band-medium { border-left-color:#d99a00; } .claim.band-low { border-left-color:var(--low); }
.claim .text { font-size:16px; margin:2px 0 6px; white-space:pre-wrap; word-break:break-word; }
mark.ev { background:#ffe08a; padding:0 1px; border-radius:2px; } mark.ev.strong { background:#ffb74d; }
.claim .line { font-size:13px; color:var(--muted); margin:2px 0; }
.claim .line b { color:var(--fg); font-weight:600; }
.claim .verdict.v-not_supported { color:#9b1c1c; }
.legal { font-size:12.5px; margin:4px 0 0; padding:0; list-style:none; }
.legal li { margin:3px 0; } .legal .ko { color:var(--muted); }
.outside { color:var(--high); font-weight:600; } .noside { color:var(--low); }
.top-link { font-size:12px; margin-left:auto; }
.notread td:first-child { color:var(--high); }
.empty { color:var(--muted); font-style:italic; }
footer { color:var(--muted); font-size:12px; padding:0 28px 30px; }
[hidden] { display:none !important; }
@media print { nav.toolbar { display:none; } body { background:#fff; } article.doc { break-inside:avoid-page; } }
"""

_JS = """
(function () {
  "use strict";
  var catSelect = document.getElementById("f-cat");
  var search = document.getElementById("f-q");
  var bandBoxes = Array.prototype.slice.call(document.querySelectorAll("input[name=f-band]"));
  var onlyFlagged = document.getElementById("f-flagged");
  var status = document.getElementById("filter-status");
  var docs = Array.prototype.slice.call(document.querySelectorAll("article.doc"));
  var rows = Array.prototype.slice.call(document.querySelectorAll("#doc-table tbody tr"));
  function apply() {
    var cat = catSelect.value, text = search.value.trim().toLowerCase();
    var bands = {}; bandBoxes.forEach(function (b) { if (b.checked) { bands[b.value] = true; } });
    var filtering = cat !== "" || text !== "" || bandBoxes.some(function (b) { return !b.checked; });
    var shownClaims = 0, totalClaims = 0, shownDocs = {};
    docs.forEach(function (doc) {
      var shown = 0;
      doc.querySelectorAll(".claim").forEach(function (claim) {
        totalClaims += 1;
        var cats = (claim.getAttribute("data-cats") || "").split(" ");
        var ok = bands[claim.getAttribute("data-band")] === true && (cat === "" || cats.indexOf(cat) >= 0) &&
          (text === "" || claim.textContent.toLowerCase().indexOf(text) >= 0 || doc.getAttribute("data-path").toLowerCase().indexOf(text) >= 0);
        claim.hidden = !ok;
        if (ok) { shown += 1; }
      });
      shownClaims += shown;
      var visible = filtering ? shown > 0 : (!onlyFlagged.checked || shown > 0);
      doc.hidden = !visible;
      if (visible) { shownDocs[doc.id] = true; }
    });
    rows.forEach(function (row) {
      var id = row.getAttribute("data-doc");
      var isDoc = document.getElementById(id) !== null;
      row.hidden = isDoc ? shownDocs[id] !== true : (filtering || onlyFlagged.checked);
    });
    status.textContent = "Showing " + shownClaims + " of " + totalClaims + " flagged claims in " +
      Object.keys(shownDocs).length + " documents";
  }
  [catSelect, onlyFlagged].concat(bandBoxes).forEach(function (el) { el.addEventListener("change", apply); });
  search.addEventListener("input", apply);
  document.querySelectorAll("[data-filter-cat]").forEach(function (link) {
    link.addEventListener("click", function () { catSelect.value = link.getAttribute("data-filter-cat"); apply(); });
  });
  var tbody = document.querySelector("#doc-table tbody");
  document.querySelectorAll("#doc-table th button").forEach(function (button) {
    button.addEventListener("click", function () {
      var key = button.getAttribute("data-key"), numeric = button.getAttribute("data-type") === "num";
      var dir = button.getAttribute("data-dir") === "desc" ? "asc" : "desc";
      if (!numeric && !button.getAttribute("data-dir")) { dir = "asc"; }
      document.querySelectorAll("#doc-table th button").forEach(function (b) { b.removeAttribute("data-dir"); });
      button.setAttribute("data-dir", dir);
      var sorted = rows.slice().sort(function (a, b) {
        var x = a.getAttribute("data-" + key), y = b.getAttribute("data-" + key), c;
        if (numeric) { c = parseFloat(x) - parseFloat(y); } else { c = x < y ? -1 : x > y ? 1 : 0; }
        if (c === 0) { c = parseFloat(a.getAttribute("data-rank")) - parseFloat(b.getAttribute("data-rank")); return c; }
        return dir === "asc" ? c : -c;
      });
      sorted.forEach(function (row) { tbody.appendChild(row); });
    });
  });
  apply();
})();
"""


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def script_hash() -> str:
    """The CSP source for the page's only script."""
    return "sha256-" + base64.b64encode(hashlib.sha256(_JS.encode("utf-8")).digest()).decode("ascii")


CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'; script-src '{}'"


def _badge(band: str | None) -> str:
    if not band:
        return '<span class="badge b-none">not read</span>'
    return f'<span class="badge b-{_e(band)}">{_e(band)}</span>'


def _highlight(text: str, evidence: list[dict]) -> str:
    """The claim text with its positive evidence phrases in <mark>; everything escaped."""
    spans = sorted((e for e in evidence if e["contribution"] > 0 and 0 <= e["start"] < e["end"] <= len(text)), key=lambda e: e["start"])
    strongest = max((e["contribution"] for e in spans), default=0.0)
    out, cursor = [], 0
    for e in spans:
        if e["start"] < cursor:
            continue  # overlapping phrase: keep the earlier one
        out.append(_e(text[cursor:e["start"]]))
        strong = " strong" if e["contribution"] >= 0.5 * strongest else ""
        out.append(f'<mark class="ev{strong}" title="+{e["contribution"]:.3f} log-odds">{_e(text[e["start"]:e["end"]])}</mark>')
        cursor = e["end"]
    out.append(_e(text[cursor:]))
    return "".join(out)


def _claim_html(doc: dict, claim: dict) -> str:
    cats = claim["categories"]
    codes = " ".join(c["code"] for c in cats)
    location = f'{_e(doc["path"])}' + (f', page {_e(claim["page"])}' if claim["page"] else "") + f', characters {claim["start"]}&ndash;{claim["end"]}'
    legal = []
    for c in cats:
        need = (
            f'<span class="outside">needs outside evidence</span>: {_e(c["evidence_hint"])}'
            if c["needs_outside_evidence"] else '<span class="noside">decidable from the ad itself</span>'
        )
        legal.append(
            f'<li><span class="cat">{_e(c["name_en"])}</span> <span class="ko" lang="ko">{_e(c["name_ko"])}</span> '
            f'&middot; p={c["probability"]:.3f} (threshold {c["threshold"]:.3f})<br>'
            f'Legal basis: {_e(c["legal_basis"])}<br>{need}</li>'
        )
    evidence = ", ".join(
        f'&ldquo;{_e(e["text"])}&rdquo; {e["contribution"]:+.2f}' for e in claim["evidence"]
    )
    # the arithmetic of stated discounts (adcheck.price_claims): shown when a figure does not add up
    price_checks = "; ".join(
        _e(f["message"]) for f in claim.get("price_findings") or [] if f.get("status") == "inconsistent"
    )
    # reference prices against the price history (adcheck.review_prices), with the window's figures
    verdicts = "".join(
        f'<div class="line verdict v-{_e(v["status"])}"><b>Reference price</b> &ldquo;{_e(v["claim_text"])}&rdquo;: '
        f'<b>{_e(v["status"].replace("_", " "))}</b> &mdash; {_e(v["reason"])}'
        + (f' <span class="path">(listing {_e(v["listing_id"])}, ad date {_e(v["ad_date"])})</span>' if v.get("listing_id") else "")
        + "</div>"
        for v in claim.get("price_verdicts") or []
    )
    if price_checks or any(v["status"] == "not_supported" for v in claim.get("price_verdicts") or []):
        codes = f"{codes} price" if "price" not in codes.split() else codes
    return (
        f'<div class="claim band-{_e(claim["band"])}" data-band="{_e(claim["band"])}" data-cats="{_e(codes)}">'
        f'<div class="line">{_badge(claim["band"])} <b>risk {claim["risk"]:.3f}</b> &middot; flagged at &ge; {claim["threshold"]:.3f}'
        f' &middot; claim {claim["index"] + 1}</div>'
        f'<div class="text">{_highlight(claim["text"], claim["evidence"])}</div>'
        + (f'<ul class="legal">{"".join(legal)}</ul>' if legal else '<div class="line">No category reached its threshold.</div>')
        + f'<div class="line">Location: <span class="path">{location}</span></div>'
        + (f'<div class="line">Evidence (log-odds): {evidence}</div>' if evidence else "")
        + (f'<div class="line"><b>Price check</b>: {price_checks}</div>' if price_checks else "")
        + verdicts
        + "</div>"
    )


def _price_concern(claim: dict) -> bool:
    """Shown whatever the text risk: a reference price that was not charged, or a discount that does not add up."""
    return any(v["status"] == "not_supported" for v in claim.get("price_verdicts") or []) or any(
        f.get("status") == "inconsistent" for f in claim.get("price_findings") or [])


def _doc_html(doc: dict) -> str:
    flagged = [c for c in doc["claims"] if c["flagged"] or _price_concern(c)]
    flagged.sort(key=lambda c: (-c["risk"], c["index"]))
    meta = [
        ("File", f'<span class="path">{_e(doc["path"])}</span>'),
    ]
    if doc["container"]:
        meta.append(("Inside", f'<span class="path">{_e(doc["container"])}</span> as member <span class="path">{_e(doc["member"])}</span>'))
    meta += [
        ("Type", _e(doc["kind"])),
        ("Size", f'{doc["size"]:,} bytes'),
        ("SHA-256", f'<span class="path">{_e(doc["sha256"])}</span>'),
        ("Encoding", _e(doc["encoding"] or "n/a (binary format)")),
    ]
    if doc["pages"]:
        meta.append(("Pages", _e(doc["pages"])))
    meta.append(("Claims", f'{doc["claims_total"]} scored, {doc["claims_flagged"]} flagged'
                           + (f', {doc["price_concerns"]} with a price concern' if doc.get("price_concerns") else "")))
    meta_html = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in meta)
    claims_html = "".join(_claim_html(doc, c) for c in flagged) or '<p class="empty">No claim reached the flag threshold.</p>'
    risk = f'risk {doc["risk"]:.3f}' if doc["risk"] is not None else ""
    return (
        f'<article class="doc" id="{_e(doc["id"])}" data-path="{_e(doc["path"])}">'
        f'<h3><span class="rank">#{doc["rank"]}</span> <span class="path">{_e(doc["path"])}</span> {_badge(doc["band"])} '
        f'<span>{risk}</span><a class="top-link" href="#documents">&uarr; document list</a></h3>'
        f'<dl class="meta">{meta_html}</dl>{claims_html}</article>'
    )


def _doc_row(doc: dict) -> str:
    cats = " ".join(f'<span class="cat">{_e(code)} {n}</span>' for code, n in doc["flagged_by_category"].items())
    if doc["status"] == "read":
        name = f'<a href="#{_e(doc["id"])}" class="path">{_e(doc["path"])}</a>'
        risk = f'{doc["risk"]:.3f}' if doc["risk"] is not None else "&ndash;"
    else:
        name = f'<span class="path">{_e(doc["path"])}</span><br><span class="empty">not read: {_e(doc["reason"])}</span>'
        risk = "&ndash;"
    sort_risk = doc["risk"] if doc["risk"] is not None else -1
    return (
        f'<tr data-doc="{_e(doc["id"])}" data-rank="{doc["rank"]}" data-risk="{sort_risk}" data-path="{_e(doc["path"].lower())}" '
        f'data-flagged="{doc["claims_flagged"]}" data-claims="{doc["claims_total"]}">'
        f'<td class="num">{doc["rank"]}</td><td class="num">{risk}</td><td>{_badge(doc["band"])}</td><td>{name}</td>'
        f'<td class="num">{doc["claims_flagged"]}</td><td class="num">{doc["claims_total"]}</td><td>{cats}</td></tr>'
    )


def render(data: dict) -> str:
    """The report (a `ReviewReport.to_dict()`) as a self-contained HTML page."""
    manifest, summary, documents = data["manifest"], data["summary"], data["documents"]
    read_docs = [d for d in documents if d["status"] == "read"]
    not_read = [d for d in documents if d["status"] != "read"]
    by_band = summary["flagged_by_band"]

    cards = [
        (summary["documents"], "documents"), (summary["documents_read"], "read"), (summary["documents_not_read"], "not read"),
        (summary["claims"], "claims scored"), (summary["claims_flagged"], "claims flagged"),
        (by_band.get("high", 0), "high band"), (by_band.get("medium", 0), "medium band"),
    ]
    verdict_counts = summary.get("price_verdicts") or {}
    if manifest.get("prices") or verdict_counts:
        cards.append((verdict_counts.get("not_supported", 0), "reference prices not supported"))
    cards_html = "".join(f'<div class="card"><div class="n">{n}</div><div class="l">{_e(label)}</div></div>' for n, label in cards)
    cat_rows = "".join(
        f'<tr><td><a href="#details" data-filter-cat="{_e(c.code)}">{_e(c.name_en)}</a></td><td lang="ko">{_e(c.name_ko)}</td>'
        f'<td class="num">{summary["flagged_by_category"].get(c.code, 0)}</td>'
        f'<td>{"yes: " + _e(c.evidence_hint) if c.needs_outside_evidence else "no"}</td><td>{_e(c.legal_basis)}</td></tr>'
        for c in CATEGORIES if summary["flagged_by_category"].get(c.code)
    ) or '<tr><td colspan="5" class="empty">No claim was flagged for any category.</td></tr>'
    cat_options = "".join(
        f'<option value="{_e(c.code)}">{_e(c.name_en)} / {_e(c.name_ko)} ({summary["flagged_by_category"].get(c.code, 0)})</option>'
        for c in CATEGORIES if summary["flagged_by_category"].get(c.code)
    )
    band_boxes = "".join(
        f'<label><input type="checkbox" name="f-band" value="{b}" checked> {_badge(b)}</label>' for b in BANDS
    )
    extra_note = ""
    if summary["needs_extra"]:
        extra_note = (
            f'<p><b>{len(summary["needs_extra"])} file(s) need the optional document parsers</b> '
            "(<code>pip install 'adcheck[documents]'</code>) and were not read.</p>"
        )
    not_read_rows = "".join(
        f'<tr class="notread"><td>not read</td><td class="path">{_e(d["path"])}</td><td>{_e(d["reason"])}</td>'
        f'<td class="num">{d["size"]:,}</td><td class="path">{_e(d["sha256"])}</td></tr>'
        for d in sorted(not_read, key=lambda d: d["path"])
    )
    unreadable = (
        f'{extra_note}<table><thead><tr><th>Status</th><th>File</th><th>Why</th><th class="num">Bytes</th><th>SHA-256</th></tr></thead>'
        f"<tbody>{not_read_rows}</tbody></table>"
        if not_read else '<p class="empty">Every file was read.</p>'
    )
    price_note = ""
    if manifest.get("prices"):
        rules = manifest["prices"]["rules"]
        counts = ", ".join(f"{n} {_e(k.replace('_', ' '))}" for k, n in verdict_counts.items()) or "no reference price found"
        unmatched = summary.get("listings_unmatched") or []
        price_note = (
            f'<p><b>Reference prices</b> checked against the price history <span class="path">{_e(manifest["prices"]["price_history"]["file"])}</span> '
            f'({_e(rules["window_days"])} days before each ad, base: {_e(rules["base_rule"].replace("_", " "))} price): {counts}.</p>'
            + (f'<p><b>{len(unmatched)} path(s) in the listings file match no document</b>: '
               f'{", ".join(f"<span class=path>{_e(u)}</span>" for u in unmatched)}</p>' if unmatched else "")
        )
    doc_rows = "".join(_doc_row(d) for d in documents)
    details = "".join(_doc_html(d) for d in read_docs) or '<p class="empty">No document could be read.</p>'
    input_rows = "".join(
        f'<tr><td class="path">{_e(i["path"])}</td><td class="num">{i["size"]:,}</td><td class="path">{_e(i["sha256"])}</td></tr>'
        for i in data["inputs"]
    )
    member_rows = "".join(
        f'<tr><td class="path">{_e(d["container"])}</td><td class="path">{_e(d["member"])}</td><td class="num">{d["size"]:,}</td>'
        f'<td class="path">{_e(d["sha256"])}</td><td>{_e(d["status"])}</td></tr>'
        for d in sorted(documents, key=lambda d: d["path"]) if d["container"]
    )
    members = (
        '<h3>Archive members and attachments</h3><table><thead><tr><th>Container</th><th>Member</th><th class="num">Bytes</th>'
        f"<th>SHA-256</th><th>Status</th></tr></thead><tbody>{member_rows}</tbody></table>" if member_rows else ""
    )
    manifest_rows = "".join(
        f"<tr><th>{_e(k)}</th><td class=\"path\">{_e(json.dumps(v, ensure_ascii=False, sort_keys=True) if isinstance(v, (dict, list)) else v)}</td></tr>"
        for k, v in manifest.items()
    )
    title = f'adcheck review: {summary["claims_flagged"]} flagged claims in {summary["documents"]} documents'
    th = (
        '<th class="num"><button type="button" data-key="rank" data-type="num">#</button></th>'
        '<th class="num"><button type="button" data-key="risk" data-type="num">Risk</button></th><th>Band</th>'
        '<th><button type="button" data-key="path">Document</button></th>'
        '<th class="num"><button type="button" data-key="flagged" data-type="num">Flagged</button></th>'
        '<th class="num"><button type="button" data-key="claims" data-type="num">Claims</button></th><th>Categories</th>'
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_e(CSP.format(script_hash()))}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<header class="top"><h1>{_e(title)}</h1>
<p>adcheck {_e(manifest["adcheck_version"])} &middot; model {_e(manifest["model_id"])} &middot; flag threshold {manifest["flag_threshold"]:.3f}
(high &ge; {manifest["band_thresholds"].get("high", 0):.3f}, medium &ge; {manifest["band_thresholds"].get("medium", 0):.3f})
&middot; run {_e(manifest["started_at"])} &ndash; {_e(manifest["finished_at"])}</p></header>
<nav class="toolbar" aria-label="Filters">
<span class="links"><a href="#summary">Summary</a><a href="#documents">Documents</a><a href="#details">Flagged claims</a><a href="#unreadable">Not read ({len(not_read)})</a><a href="#custody">Chain of custody</a></span>
<label>Category <select id="f-cat"><option value="">all categories</option>{cat_options}</select></label>
<span>{band_boxes}</span>
<label><input type="search" id="f-q" placeholder="Search claims or paths"></label>
<label><input type="checkbox" id="f-flagged"> only documents with flags</label>
<span id="filter-status"></span>
</nav>
<main>
<section id="summary"><h2>Summary</h2><div class="cards">{cards_html}</div>{price_note}
<table><thead><tr><th>Category</th><th>한국어</th><th class="num">Flagged claims</th><th>Outside evidence needed</th><th>Legal basis</th></tr></thead>
<tbody>{cat_rows}</tbody></table></section>
<section id="documents"><h2>Documents ranked by risk</h2>
<table id="doc-table"><thead><tr>{th}</tr></thead><tbody>{doc_rows}</tbody></table></section>
<section id="details"><h2>Flagged claims by document</h2>{details}</section>
<section id="unreadable"><h2>Files not read ({len(not_read)})</h2>{unreadable}</section>
<section id="custody"><h2>Chain of custody</h2>
<h3>Input files</h3><table><thead><tr><th>Path in the seized set</th><th class="num">Bytes</th><th>SHA-256</th></tr></thead><tbody>{input_rows}</tbody></table>
{members}
<h3>Run manifest</h3><table><tbody>{manifest_rows}</tbody></table></section>
</main>
<footer>adcheck screens copy for a reviewer; a flag is not a finding of a violation and not legal advice.</footer>
<script>{_JS}</script>
</body>
</html>
"""
