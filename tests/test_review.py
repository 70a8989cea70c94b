"""The review pipeline: golden JSON, CSV, reruns, consistency with `adcheck score`, the CLI."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from adcheck import load_model
from adcheck.cli_review import register
from adcheck.review import ReviewOptions, review, to_csv, to_json, without_timestamps
from tests.test_documents import make_docx, make_eml, make_pdf, make_xlsx, make_zip

GOLDEN = Path(__file__).parent / "golden" / "review_case.json"
UPDATE_GOLDEN = os.environ.get("ADCHECK_UPDATE_GOLDEN") == "1"


def build_seized_set(root: Path) -> Path:
    """A realistic seized set: web pages, a brochure PDF, a Word file, an e-mail with an
    attachment, spreadsheets, Korean legacy encodings, a zip with nested and hostile names,
    and bad files. Every byte is fixed, so sha256s are stable."""
    case = root / "case-2024-031"
    (case / "web").mkdir(parents=True)
    (case / "web" / "landing.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>다이어트 끝판왕</title>"
        "<script>window.track = 1;</script><style>body{color:red}</style></head><body>"
        "<h1>국내 판매 1위 다이어트 보조제</h1>"
        "<p>먹기만 해도 한 달에 10kg 감량! 부작용 전혀 없습니다.</p>"
        "<img src='before-after.jpg' alt='의사가 추천하는 100% 천연 성분'>"
        "<ul><li>오늘 자정 마감</li><li>선착순 50명 한정</li></ul>"
        "<table><tr><th>정가</th><th>할인가</th></tr><tr><td>99,000원</td><td>9,900원 (90% 할인)</td></tr></table>"
        "<p>Shipping takes 2-3 business days.</p></body></html>",
        encoding="utf-8",
    )
    (case / "web" / "old-page.htm").write_bytes(
        "<html><head><meta charset='euc-kr'></head><body><p>원금 100% 보장, 연 20% 확정 수익</p>"
        "<p>회원 가입 후 이용 가능합니다.</p></body></html>".encode("cp949")
    )
    (case / "brochure.pdf").write_bytes(make_pdf([
        ["SuperSlim Pro brochure", "Clinically proven to cure obesity.", "The No.1 fat burner in Korea."],
        ["Price list", "Was $199, now only $19 - today only!", "Store in a cool, dry place."],
    ]))
    (case / "copy-final.docx").write_bytes(make_docx(
        ["광고 문구 최종안", "식약처 인증 획득! 피부 질환 완치 효과", "매장 위치는 홈페이지를 참고하세요."],
        [["채널", "문구"], ["인스타그램", "🔥역대급 최저가🔥 지금 아니면 구매 불가"]],
    ))
    (case / "mail.eml").write_bytes(make_eml())
    (case / "campaign.xlsx").write_bytes(make_xlsx([["id", "copy"], ["A1", "Guaranteed results or your money back"], ["A2", "New colours available"]]))
    (case / "ads.csv").write_bytes(b"\xef\xbb\xbf" + "id,text\n1,친환경 무독성 100% 안전 소재\n2,매주 화요일 정기 휴무\n".encode())
    (case / "ads.tsv").write_bytes("id\ttext\n1\t수능 만점자 강력 추천 교재\n".encode("utf-16"))
    (case / "notes.txt").write_bytes("● 전문가 추천\n※ 정품 100% 보장\n오늘만\n반값\n특가".encode("cp949"))
    (case / "dump.zip").write_bytes(make_zip({
        "site/index.html": b"<p>World's best anti-aging cream. Wrinkles gone in 3 days!</p>",
        "../../outside.txt": "사장님이 미쳤어요! 전 품목 1+1".encode(),
        "inner/older.zip": make_zip({"copy.md": "# 신상품\n업계 최초 특허 기술".encode()}),
        "site/logo.png": b"\x89PNG\r\n\x1a\n",
    }))
    (case / "empty.txt").write_bytes(b"")
    (case / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (case / "corrupt.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(200)) + b"\n%%EOF")
    return case


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def case_report(tmp_path_factory, model):
    case = build_seized_set(tmp_path_factory.mktemp("seized"))
    return case, review([case], model)


SCORE_KEYS = ("risk", "band", "flagged", "threshold", "categories", "evidence", "price_claims", "price_findings")


def golden_view(data: dict) -> dict:
    """The model-independent content: chain of custody, extraction, claims and their places."""
    manifest = {k: data["manifest"][k] for k in ("tool", "parameters", "inputs_given")}
    summary = {k: data["summary"][k] for k in ("input_files", "documents", "documents_read", "documents_not_read", "claims", "needs_extra", "not_read")}
    documents = []
    for doc in sorted(data["documents"], key=lambda d: d["path"]):
        entry = {k: doc[k] for k in ("path", "member", "container", "kind", "size", "sha256", "encoding", "pages", "chars", "status", "reason", "needs_extra", "claims_total")}
        entry["claims"] = [{k: c[k] for k in ("index", "text", "start", "end", "page", "location")} for c in doc["claims"]]
        documents.append(entry)
    return {"format": data["format"], "schema_version": data["schema_version"], "manifest": manifest, "summary": summary,
            "inputs": data["inputs"], "documents": documents}


def test_golden_json(case_report):
    _, report = case_report
    view = golden_view(json.loads(to_json(report)))
    if UPDATE_GOLDEN:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(view, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert view == expected, "review JSON changed; if intended, rerun with ADCHECK_UPDATE_GOLDEN=1 and review the diff"


def test_claim_scores_match_adcheck_score(case_report, model):
    """Each claim carries exactly what `adcheck score` gives for its text, and its offsets (and
    those of its evidence) point at it in the document's extracted text."""
    _, report = case_report
    claims = [c for d in report.documents for c in d["claims"]]
    assert len(claims) > 30
    expected = model.score([c["text"] for c in claims], explain=5, prices=True)
    for claim, result in zip(claims, expected):
        assert claim["risk"] == result.risk and claim["band"] == result.band and claim["flagged"] == result.flagged
        assert [c["code"] for c in claim["categories"]] == [c.code for c in result.categories]
        assert [(e["text"], e["start"], e["end"]) for e in claim["evidence"]] == [(e.text, e.start, e.end) for e in result.evidence]
    docs = {d["path"]: d for d in report.documents}
    from adcheck.documents import discover

    case = case_report[0]
    _, documents = discover([case])
    for document in documents:
        for claim in docs[document.path]["claims"]:
            assert document.text[claim["start"] : claim["end"]].replace("\n", " ") == claim["text"]
            for e in claim["evidence"]:
                assert document.text[e["document_start"] : e["document_end"]].replace("\n", " ") == e["text"]


def test_report_content(case_report, model):
    case, report = case_report
    data = report.to_dict()
    docs = {d["path"]: d for d in data["documents"]}
    # ranked by risk, unread last
    risks = [d["risk"] for d in data["documents"] if d["risk"] is not None]
    assert risks == sorted(risks, reverse=True)
    assert [d["rank"] for d in data["documents"]] == list(range(1, len(docs) + 1))
    assert all(d["status"] != "read" for d in data["documents"][len(risks):])
    # the obvious claims are flagged, with their places
    pdf = docs["case-2024-031/brochure.pdf"]
    flagged_pdf = {c["text"]: c for c in pdf["claims"] if c["flagged"]}
    assert "Clinically proven to cure obesity." in flagged_pdf
    assert flagged_pdf["Clinically proven to cure obesity."]["page"] == 1
    assert any(c["page"] == 2 for c in pdf["claims"] if c["flagged"])
    cure = flagged_pdf["Clinically proven to cure obesity."]
    assert cure["location"].startswith("case-2024-031/brochure.pdf, page 1, chars ")
    category = next(c for c in cure["categories"] if c["code"] == "health_efficacy")
    assert category["name_ko"] and "Act" in category["legal_basis"] and category["needs_outside_evidence"] is True
    # document risk is its strongest claim; per-category counts add up
    for doc in data["documents"]:
        if doc["claims"]:
            assert doc["risk"] == max(c["risk"] for c in doc["claims"])
            assert doc["claims_flagged"] == sum(c["flagged"] for c in doc["claims"])
    summary = data["summary"]
    assert summary["claims_flagged"] == sum(summary["flagged_by_band"].values())
    assert summary["claims_flagged"] > 10 and summary["documents_not_read"] == 4
    reasons = {e["path"]: e["reason"] for e in summary["not_read"]}
    assert set(reasons) == {
        "case-2024-031/empty.txt", "case-2024-031/binary.txt", "case-2024-031/corrupt.pdf", "case-2024-031/dump.zip!/site/logo.png",
    }
    assert "corrupt" in reasons["case-2024-031/corrupt.pdf"] and "empty" in reasons["case-2024-031/empty.txt"]
    # chain of custody
    manifest = data["manifest"]
    assert manifest["model_id"] == model.model_id and len(manifest["model_sha256"]) == 64
    assert manifest["band_thresholds"] == model.band_thresholds and manifest["started_at"] <= manifest["finished_at"]
    assert {i["path"] for i in data["inputs"]} >= {"case-2024-031/dump.zip", "case-2024-031/mail.eml"}
    member = docs["case-2024-031/dump.zip!/../../outside.txt"]
    assert member["member"] == "../../outside.txt" and member["container"] == "case-2024-031/dump.zip"
    assert not (case.parent / "outside.txt").exists() and not (case.parent.parent / "outside.txt").exists()


def test_rerun_gives_identical_content(case_report, model):
    case, first = case_report
    second = review([case], model)
    assert without_timestamps(first.to_dict()) == without_timestamps(second.to_dict())
    from adcheck.report_html import render

    def strip_times(text: str, report) -> str:
        for key in ("started_at", "finished_at"):
            text = text.replace(report.manifest[key], "TIME")
        return text

    assert strip_times(render(first.to_dict()), first) == strip_times(render(second.to_dict()), second)
    assert strip_times(to_csv(first), first) == strip_times(to_csv(second), second)


def test_csv_is_flat_and_complete(case_report):
    _, report = case_report
    rows = list(csv.DictReader(io.StringIO(to_csv(report))))
    claims = sum(len(d["claims"]) for d in report.documents)
    unread = sum(1 for d in report.documents if not d["claims"])
    assert len(rows) == claims + unread
    assert {r["model_id"] for r in rows} == {report.manifest["model_id"]}
    assert all(r["model_sha256"] == report.manifest["model_sha256"] for r in rows)
    not_read = [r for r in rows if r["document_status"] == "not_read"]
    assert all(r["document_reason"] for r in not_read)
    flagged = [r for r in rows if r["flagged"] == "true"]
    assert flagged and all(r["categories"] or r["band"] for r in flagged)


def test_threshold_option(tmp_path, model):
    (tmp_path / "a.txt").write_text("Free shipping on orders over $35\n100% 효과 보장", encoding="utf-8")
    strict = review([tmp_path / "a.txt"], model, ReviewOptions(threshold=0.999999))
    assert strict.summary["claims_flagged"] == 0 and strict.manifest["flag_threshold"] == 0.999999


# -- CLI ---------------------------------------------------------------------------------------


def cli_app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command()
    def other() -> None:  # a second command keeps `review` a named subcommand, as in adcheck's app
        """Unused."""

    return app


def test_cli_writes_all_three_outputs(tmp_path):
    case = build_seized_set(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    args = ["review", str(case), "--out", str(out / "r.html"), "--json", str(out / "r.json"), "--csv", str(out / "r.csv")]
    result = CliRunner().invoke(cli_app(), args)
    assert result.exit_code == 0, result.output
    assert "not read: case-2024-031/empty.txt: empty file" in result.output
    html = (out / "r.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html and "src=" not in html
    data = json.loads((out / "r.json").read_text(encoding="utf-8"))
    assert data["format"] == "adcheck-review" and data["summary"]["documents_read"] > 5
    assert (out / "r.csv").read_text(encoding="utf-8").startswith("document_rank,path,")
    assert sorted(p.name for p in out.iterdir()) == ["r.csv", "r.html", "r.json"]  # no temporary files left
    again = CliRunner().invoke(cli_app(), args)
    assert again.exit_code == 1 and "--overwrite" in again.output
    assert CliRunner().invoke(cli_app(), [*args, "--overwrite", "--quiet"]).exit_code == 0


def test_cli_exit_codes(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "x.bin").write_bytes(b"\0\1")
    result = CliRunner().invoke(cli_app(), ["review", str(bad), "--json", str(tmp_path / "r.json")])
    assert result.exit_code == 1 and "no document could be reviewed" in result.output
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["summary"]["documents_not_read"] == 2
    good = tmp_path / "good.txt"
    good.write_text("최고의 제품", encoding="utf-8")
    assert CliRunner().invoke(cli_app(), ["review", str(good)]).exit_code == 2
    missing = CliRunner().invoke(cli_app(), ["review", str(tmp_path / "nope"), "--json", str(tmp_path / "n.json")])
    assert missing.exit_code == 1 and "no such file" in missing.output
    unwritable = CliRunner().invoke(cli_app(), ["review", str(good), "--out", str(tmp_path / "no-dir" / "r.html")])
    assert unwritable.exit_code == 1 and "no such folder" in unwritable.output


def test_files_needing_the_extra_are_named(tmp_path, model, monkeypatch):
    import sys

    from adcheck.report_html import render

    (tmp_path / "brochure.pdf").write_bytes(make_pdf([["The best price in Korea."]]))
    (tmp_path / "copy.txt").write_text("최고의 제품", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "pypdf", None)
    report = review([tmp_path / "brochure.pdf", tmp_path / "copy.txt"], model)
    assert report.summary["needs_extra"] == ["brochure.pdf"]
    assert report.summary["documents_read"] == 1
    page = render(report.to_dict())
    assert "need the optional document parsers" in page and "adcheck[documents]" in page


def test_report_shows_discounts_that_do_not_add_up(tmp_path):
    from adcheck import load_model
    from adcheck.report_html import render
    from adcheck.review import ReviewOptions, review

    folder = tmp_path / "case"
    folder.mkdir()
    (folder / "banner.txt").write_text("정가 660,000원 → 270,000원 65% 할인! 오늘만 이 가격\n", encoding="utf-8")
    report = review([folder], load_model(), ReviewOptions())
    html = render(report.to_dict() if hasattr(report, "to_dict") else report)
    assert "Price check" in html and "59.1%" in html


def _price_case(root: Path) -> tuple[Path, Path, Path]:
    """Two product pages (one inside a zip), an unmapped banner, a 20-day history and a listings file."""
    case = root / "case"
    (case / "pages").mkdir(parents=True)
    # a plainly worded page: the text model has little to say, the history shows the "정가" was never charged
    (case / "pages" / "purifier.html").write_text(
        "<html><body><h2>공기청정기 AP-300</h2><p>정가 189,000원 → 판매가 39,900원</p><p>배송은 2-3일 걸립니다.</p></body></html>",
        encoding="utf-8")
    (case / "bundle.zip").write_bytes(make_zip({"kettle.txt": "Electric kettle 1.7L — was $59, now $45".encode()}))
    (case / "banner.txt").write_text("정가 99,000원 → 49,000원\n", encoding="utf-8")
    history = root / "history.csv"
    rows = [f"AP-300,2026-03-{d:02d},39900,KRW" for d in range(1, 21)] + [f"KT-17,2026-03-{d:02d},59.00,USD" for d in range(1, 21)]
    history.write_text("listing_id,date,price,currency\n" + "\n".join(rows) + "\n", encoding="utf-8")
    listings = root / "listings.csv"
    # paths as a Windows user or a shell might write them: backslashes and a leading ./
    listings.write_text("path,listing_id,date\ncase\\pages\\purifier.html,AP-300,2026-03-21\n./case/bundle.zip!/kettle.txt,KT-17,2026-03-21\n"
                        "case/pages/typo.html,AP-300,2026-03-21\n", encoding="utf-8")
    return case, history, listings


def test_reference_prices_are_checked_against_the_history_per_document(tmp_path, model):
    from adcheck.report_html import render
    from adcheck.review_prices import NO_LISTING_REASON, load_review_prices

    case, history, listings = _price_case(tmp_path)
    report = review([case], model, ReviewOptions(), load_review_prices(history, listings))
    verdicts = {d["path"]: [v for c in d["claims"] for v in c["price_verdicts"]] for d in report.documents}
    purifier = verdicts["case/pages/purifier.html"][0]
    assert purifier["status"] == "not_supported" and purifier["lowest"] == 39900 and purifier["true_discount_percent"] == 0.0
    assert purifier["listing_id"] == "AP-300" and purifier["window_start"] == "2026-03-01"
    assert [v["status"] for v in verdicts["case/bundle.zip!/kettle.txt"]] == ["supported"]
    banner = verdicts["case/banner.txt"][0]
    assert banner["status"] == "not_checkable" and banner["reason"] == NO_LISTING_REASON
    assert report.summary["price_verdicts"] == {"not_checkable": 1, "not_supported": 1, "supported": 1}
    assert report.summary["listings_unmatched"] == ["case/pages/typo.html"]
    assert report.manifest["prices"]["rules"] == {"window_days": 20, "base_rule": "lowest", "max_gap_days": 3}
    assert report.manifest["prices"]["price_history"]["sha256"] and report.manifest["prices"]["listings"]["documents"] == 3

    page = render(report.to_dict())
    assert "reference prices not supported" in page and "typo.html" in page
    # the purifier claim is shown with its figures even where the text model did not flag it
    claim = next(c for d in report.documents for c in d["claims"] if c["price_verdicts"] and c["price_verdicts"][0]["status"] == "not_supported")
    assert "&ldquo;189,000원&rdquo;: <b>not supported</b>" in page and "lowest 39,900 KRW" in page
    rows = list(csv.DictReader(io.StringIO(to_csv(report))))
    row = next(r for r in rows if r["claim"] == claim["text"])
    assert "189,000원" in row["price_verdicts"] and "not_supported: reference 189,000 KRW" in row["price_verdicts"]


def test_cli_price_history_and_listings(tmp_path):
    case, history, listings = _price_case(tmp_path)
    out = tmp_path / "r.json"
    result = CliRunner().invoke(cli_app(), ["review", str(case), "--json", str(out), "--price-history", str(history), "--listings", str(listings)])
    assert result.exit_code == 0, result.output
    assert "reference prices: not_checkable 1, not_supported 1, supported 1" in result.output
    assert "'case/pages/typo.html', which is no document" in result.output
    assert json.loads(out.read_text(encoding="utf-8"))["manifest"]["prices"]["listings"]["file"] == "listings.csv"

    alone = CliRunner().invoke(cli_app(), ["review", str(case), "--json", str(tmp_path / "a.json"), "--listings", str(listings)])
    assert alone.exit_code == 2 and "goes with --price-history" in alone.output
    clash = tmp_path / "clash.csv"
    clash.write_text("path,listing_id,date\ncase/banner.txt,A,2026-03-21\ncase/banner.txt,B,2026-03-21\n", encoding="utf-8")
    bad = CliRunner().invoke(cli_app(), ["review", str(case), "--json", str(tmp_path / "b.json"), "--price-history", str(history), "--listings", str(clash)])
    assert bad.exit_code == 1 and "listed twice" in bad.output and not (tmp_path / "b.json").exists()
    missing = tmp_path / "nocol.csv"
    missing.write_text("file,listing_id,date\nx,y,z\n", encoding="utf-8")
    bad = CliRunner().invoke(cli_app(), ["review", str(case), "--json", str(tmp_path / "c.json"), "--price-history", str(history), "--listings", str(missing)])
    assert bad.exit_code == 1 and "path" in bad.output and not (tmp_path / "c.json").exists()
