"""Document discovery and text extraction: formats, encodings, archives and hostile input.

The fixture builders here (PDF, DOCX, XLSX, EML, archives) are shared with the review tests.
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path

import pytest

from adcheck.documents import Limits, discover
from adcheck.extract import html_to_text

FIXED_ZIP_TIME = (2024, 3, 1, 9, 0, 0)


# -- fixture builders --------------------------------------------------------------------------


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(pages: list[list[str]]) -> bytes:
    """A small valid PDF: one Helvetica text line per string, one page per list (ASCII text)."""
    objects: list[bytes] = []
    n_pages = len(pages)
    font_id = 3 + 2 * n_pages
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    for i, lines in enumerate(pages):
        content_id = 4 + 2 * i
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 {font_id} 0 R >> >> "
            f"/Contents {content_id} 0 R >>".encode()
        )
        ops = ["BT", "/F1 14 Tf", "16 TL", "60 780 Td"]
        for line in lines:
            ops.append(f"({_pdf_escape(line)}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def make_encrypted_pdf(pages: list[list[str]]) -> bytes:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(make_pdf(pages))))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def normalize_zip(data: bytes) -> bytes:
    """The same zip with fixed member times and order (Office files carry the time of saving)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the time of saving here
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rb"\g<1>2024-03-01T09:00:00Z\2", content)
            target.writestr(fixed, content)
    return out.getvalue()


def make_docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    import datetime

    import docx

    document = docx.Document()
    document.core_properties.created = datetime.datetime(2024, 3, 1, 9, 0, 0)
    document.core_properties.modified = datetime.datetime(2024, 3, 1, 9, 0, 0)
    document.core_properties.last_modified_by = "fixture"
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return normalize_zip(out.getvalue())


def make_xlsx(rows: list[list[str]]) -> bytes:
    import datetime

    import openpyxl

    book = openpyxl.Workbook()
    book.properties.created = datetime.datetime(2024, 3, 1, 9, 0, 0)
    book.properties.modified = datetime.datetime(2024, 3, 1, 9, 0, 0)
    sheet = book.active
    sheet.title = "campaign"
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return normalize_zip(out.getvalue())


def make_eml(attachment_name: str = "전단지.txt", attachment: bytes | None = None) -> bytes:
    """A multipart e-mail: plain and HTML alternatives (UTF-8, base64 / quoted-printable) and a
    CP949 text attachment; fixed boundaries, so the bytes are the same every time."""
    import base64
    import quopri

    plain = "안녕하세요. 이번 주 광고 문구입니다.\n오늘만 90% 할인! 부작용 없는 다이어트 보장\n".encode()
    html = (
        "<html><body><p>신제품 <b>국내 1위</b> 판매량!</p><script>var tracking = 1;</script>"
        "<p>Clinically proven to cure hair loss.</p></body></html>"
    ).encode()
    attachment = attachment if attachment is not None else "선착순 100명 한정 특가, 지금 바로 구매하세요".encode("cp949")
    encoded_name = "=?utf-8?b?" + base64.b64encode(attachment_name.encode()).decode() + "?="
    lines = [
        "From: =?utf-8?b?" + base64.b64encode("마케팅팀".encode()).decode() + "?= <ads@example.com>",
        "To: shop@example.com",
        "Date: Fri, 01 Mar 2024 09:00:00 +0900",
        "Subject: =?utf-8?b?" + base64.b64encode("3월 캠페인 문구 최종".encode()).decode() + "?=",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="MIXED"',
        "",
        "--MIXED",
        'Content-Type: multipart/alternative; boundary="ALT"',
        "",
        "--ALT",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: base64",
        "",
        base64.b64encode(plain).decode(),
        "--ALT",
        'Content-Type: text/html; charset="utf-8"',
        "Content-Transfer-Encoding: quoted-printable",
        "",
        quopri.encodestring(html).decode(),
        "--ALT--",
        "--MIXED",
        "Content-Type: text/plain; charset=\"euc-kr\"",
        "Content-Transfer-Encoding: base64",
        f'Content-Disposition: attachment; filename="{encoded_name}"',
        "",
        base64.b64encode(attachment).decode(),
        "--MIXED--",
        "",
    ]
    return "\r\n".join(lines).encode("ascii")


def make_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue()


def by_path(documents) -> dict:
    return {d.path: d for d in documents}


# -- tests -------------------------------------------------------------------------------------


def test_encodings_are_detected_and_recorded(tmp_path):
    root = tmp_path / "set"
    root.mkdir()
    text = "최고의 품질, 100% 천연 원료"
    (root / "utf8.txt").write_bytes(text.encode("utf-8"))
    (root / "bom.txt").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (root / "utf16.txt").write_bytes(text.encode("utf-16"))
    (root / "cp949.txt").write_bytes(text.encode("cp949"))
    (root / "euckr.md").write_bytes(("# 제목\n" + text).encode("euc-kr"))
    inputs, documents = discover([root])
    docs = by_path(documents)
    assert [i.path for i in inputs] == ["set/bom.txt", "set/cp949.txt", "set/euckr.md", "set/utf16.txt", "set/utf8.txt"]
    assert docs["set/utf8.txt"].encoding == "utf-8"
    assert docs["set/bom.txt"].encoding == "utf-8-sig"
    assert docs["set/utf16.txt"].encoding == "utf-16"
    assert docs["set/cp949.txt"].encoding == "cp949"
    assert docs["set/euckr.md"].encoding == "cp949"
    for name in ("utf8.txt", "bom.txt", "utf16.txt", "cp949.txt"):
        assert docs[f"set/{name}"].text == text
        assert docs[f"set/{name}"].read
    assert all(len(i.sha256) == 64 for i in inputs)


def test_html_keeps_visible_alt_and_title_text_and_drops_scripts():
    markup = """<!doctype html><html><head><title>특가 세일</title><style>.x{color:red}</style>
    <script>var secret = "do not show";</script></head><body>
    <h1>No.1 brand</h1><p>Lose weight <b>fast</b>,&nbsp;guaranteed &amp; safe.</p>
    <img src="a.png" alt="100% natural"><a href="#" title="limited offer">buy</a>
    <noscript>enable js</noscript><!-- hidden comment -->
    <table><tr><td>정가 50,000원</td><td>할인가 9,900원</td></tr></table>
    <ul><li>first item</li><li>second item</li></ul></body></html>"""
    text = html_to_text(markup)
    lines = text.split("\n")
    assert "특가 세일" in lines
    assert "No.1 brand" in lines
    assert "Lose weight fast, guaranteed & safe." in lines
    assert "100% natural" in lines and "limited offer" in text
    assert "정가 50,000원\t할인가 9,900원" in lines
    assert "first item" in lines and "second item" in lines
    for hidden in ("secret", "color:red", "enable js", "hidden comment"):
        assert hidden not in text


def test_pdf_pages_docx_xlsx_csv_json(tmp_path):
    root = tmp_path / "set"
    root.mkdir()
    (root / "brochure.pdf").write_bytes(make_pdf([["The best supplement in the world.", "Cures diabetes in 2 weeks!"], ["Only today: 70% off."]]))
    (root / "copy.docx").write_bytes(make_docx(["국내 최초 특허 기술", "부작용 없는 완벽한 다이어트"], [["상품", "문구"], ["크림", "주름 100% 개선"]]))
    (root / "campaign.xlsx").write_bytes(make_xlsx([["id", "copy"], ["1", "오늘만 최저가 보장"], ["2", "Free gift with every order"]]))
    (root / "ads.csv").write_text("id,text\n1,\"Guaranteed results, or your money back\"\n2,최고의 선택\n", encoding="utf-8")
    (root / "ads.tsv").write_text("id\ttext\n1\t천연 유기농 인증\n", encoding="utf-8")
    (root / "ads.jsonl").write_text('{"id": 1, "text": "한정 수량 마감 임박"}\n\n{"id": 2, "text": "doctor recommended"}\n', encoding="utf-8")
    (root / "ads.json").write_text('[{"title": "Miracle cream", "body": ["wrinkles gone", 3]}]', encoding="utf-8")
    _, documents = discover([root])
    docs = by_path(documents)
    assert all(d.read for d in documents), [(d.path, d.reason) for d in documents if not d.read]
    pdf = docs["set/brochure.pdf"]
    assert pdf.kind == "pdf" and len(pdf.page_offsets) == 2
    assert "The best supplement in the world." in pdf.text
    second = pdf.text.index("Only today")
    assert second >= pdf.page_offsets[1] and pdf.text.index("Cures diabetes") < pdf.page_offsets[1]
    assert "국내 최초 특허 기술" in docs["set/copy.docx"].text
    assert "크림\t주름 100% 개선" in docs["set/copy.docx"].text
    assert "1\t오늘만 최저가 보장" in docs["set/campaign.xlsx"].text
    assert "Guaranteed results, or your money back" in docs["set/ads.csv"].text
    assert "천연 유기농 인증" in docs["set/ads.tsv"].text
    assert docs["set/ads.jsonl"].text.split("\n\n") == ["한정 수량 마감 임박", "doctor recommended"]
    assert docs["set/ads.json"].text.split("\n\n") == ["Miracle cream", "wrinkles gone"]


def test_email_body_html_part_and_attachment(tmp_path):
    path = tmp_path / "mail.eml"
    path.write_bytes(make_eml())
    inputs, documents = discover([path])
    assert [i.path for i in inputs] == ["mail.eml"]
    docs = by_path(documents)
    body = docs["mail.eml"]
    assert body.text.startswith("3월 캠페인 문구 최종\n\n")
    assert "example.com" not in body.text
    assert "오늘만 90% 할인! 부작용 없는 다이어트 보장" in body.text
    assert "국내 1위" in body.text and "Clinically proven to cure hair loss." in body.text
    assert "tracking" not in body.text
    attachment = docs["mail.eml!/전단지.txt"]
    assert attachment.container == "mail.eml" and attachment.member == "전단지.txt"
    assert attachment.text == "선착순 100명 한정 특가, 지금 바로 구매하세요"
    assert attachment.encoding == "cp949"


def test_bad_files_are_listed_never_fatal(tmp_path):
    root = tmp_path / "set"
    root.mkdir()
    (root / "empty.txt").write_bytes(b"")
    (root / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (root / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\ngarbage" + bytes(range(256)))
    (root / "locked.pdf").write_bytes(make_encrypted_pdf([["Secret: best price guaranteed"]]))
    (root / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (root / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 jpeg")
    (root / "noext").write_bytes(b"hello")
    (root / "bad.json").write_text("{not json", encoding="utf-8")
    (root / "scan.pdf").write_bytes(make_pdf([[]]))
    (root / ".hidden.txt").write_text("최고", encoding="utf-8")
    (root / "good.txt").write_text("최고의 제품", encoding="utf-8")
    inputs, documents = discover([root])
    assert len(inputs) == 11
    docs = by_path(documents)
    assert len(docs) == 11
    reasons = {path.removeprefix("set/"): d.reason for path, d in docs.items() if not d.read}
    assert set(reasons) == set(p.removeprefix("set/") for p in docs) - {"good.txt"}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "corrupt" in reasons["corrupt.pdf"]
    assert "encrypted" in reasons["locked.pdf"]
    assert "corrupt" in reasons["broken.docx"]
    assert "unsupported file type '.jpg'" in reasons["photo.jpg"]
    assert "no extension" in reasons["noext"]
    assert "not valid JSON" in reasons["bad.json"]
    assert "no text found" in reasons["scan.pdf"]
    assert "hidden" in reasons[".hidden.txt"]
    assert all(d.sha256 for d in documents)


def test_oversized_file_is_not_read_into_memory(tmp_path):
    big = tmp_path / "huge.html"
    with open(big, "wb") as handle:
        handle.truncate(200 << 20)  # a sparse 200 MB file
    _, documents = discover([big])
    assert documents[0].status == "not_read"
    assert "over the size limit" in documents[0].reason
    assert documents[0].size == 200 << 20


def test_archives_nested_traversal_names_and_limits(tmp_path):
    inner = make_zip({"inner.txt": "국내 1위 브랜드".encode()})
    deep = inner
    for level in range(4):
        deep = make_zip({f"level{level}.zip": deep})
    archive = make_zip({
        "../../escape.txt": b"best price ever",
        "/etc/absolute.txt": b"100% guaranteed",
        "docs/nested.zip": inner,
        "docs/deep.zip": deep,
        "bomb.txt": b"0" * (3 << 20),
        "docs/readme.md": "# 최고".encode(),
    })
    path = tmp_path / "seized.zip"
    path.write_bytes(archive)
    before = set(p.name for p in tmp_path.parent.rglob("*"))
    inputs, documents = discover([path], Limits(max_file_bytes=1 << 20, max_depth=3))
    assert set(p.name for p in tmp_path.parent.rglob("*")) == before  # nothing was written anywhere
    assert [i.path for i in inputs] == ["seized.zip"]
    docs = by_path(documents)
    assert docs["seized.zip!/../../escape.txt"].text == "best price ever"
    assert docs["seized.zip!/../../escape.txt"].member == "../../escape.txt"
    assert docs["seized.zip!//etc/absolute.txt"].text == "100% guaranteed"
    assert docs["seized.zip!//etc/absolute.txt"].member == "/etc/absolute.txt"
    assert docs["seized.zip!/docs/nested.zip!/inner.txt"].text == "국내 1위 브랜드"
    assert "over the member limit" in docs["seized.zip!/bomb.txt"].reason
    deep_paths = [p for p in docs if "deep.zip" in p]
    assert len(deep_paths) == 1 and "nested more than 3" in docs[deep_paths[0]].reason
    assert docs["seized.zip!/docs/readme.md"].text == "# 최고"


def test_zip_bomb_with_lying_header_and_total_limit(tmp_path):
    zeros = b"\0" * (4 << 20)
    archive = make_zip({"a.txt": zeros, "b.txt": zeros, "c.txt": b"fine text"})
    # lie about the uncompressed size of a.txt in both headers
    data = bytearray(archive)
    size = (4 << 20).to_bytes(4, "little")
    fake = (10).to_bytes(4, "little")
    data = bytes(data).replace(size, fake)
    path = tmp_path / "bomb.zip"
    path.write_bytes(data)
    _, documents = discover([path], Limits(max_file_bytes=1 << 20, max_archive_bytes=6 << 20))
    docs = by_path(documents)
    assert docs["bomb.zip!/a.txt"].status == "not_read"
    assert docs["bomb.zip!/c.txt"].text == "fine text"
    total = make_zip({"a.txt": b"x" * 900_000, "b.txt": b"y" * 900_000, "c.txt": b"z" * 900_000})
    path2 = tmp_path / "total.zip"
    path2.write_bytes(total)
    _, documents = discover([path2], Limits(max_file_bytes=1 << 20, max_archive_bytes=2_000_000))
    statuses = [d.status for d in documents]
    assert statuses == ["read", "read", "not_read"]
    assert "archive total" in documents[2].reason


def test_tar_archive_members(tmp_path):
    import tarfile

    path = tmp_path / "set.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, data in (("a/copy.txt", "지금 구매하세요".encode()), ("a/page.htm", b"<p>Act now!</p>")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("a/link")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)
    _, documents = discover([path])
    docs = by_path(documents)
    assert docs["set.tar.gz!/a/copy.txt"].text == "지금 구매하세요"
    assert docs["set.tar.gz!/a/page.htm"].text == "Act now!"
    assert "link" in docs["set.tar.gz!/a/link"].reason


def test_missing_extra_is_reported(tmp_path, monkeypatch):
    (tmp_path / "a.pdf").write_bytes(make_pdf([["best"]]))
    (tmp_path / "b.docx").write_bytes(make_docx(["best"]))
    (tmp_path / "c.xlsx").write_bytes(make_xlsx([["best"]]))
    for module in ("pypdf", "docx", "openpyxl"):
        monkeypatch.setitem(sys.modules, module, None)
    _, documents = discover([tmp_path / "a.pdf", tmp_path / "b.docx", tmp_path / "c.xlsx"])
    assert [d.needs_extra for d in documents] == [True, True, True]
    assert all("adcheck[documents]" in d.reason for d in documents)


def test_missing_path_raises(tmp_path):
    from adcheck.errors import InputDataError

    with pytest.raises(InputDataError, match="no such file"):
        discover([tmp_path / "nope"])


def test_paths_are_relative_to_the_given_folder(tmp_path):
    root = tmp_path / "case-42"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "x.txt").write_text("best", encoding="utf-8")
    inputs, documents = discover([root])
    assert inputs[0].path == "case-42/a/b/x.txt" and documents[0].path == "case-42/a/b/x.txt"
    assert Path(documents[0].path).parts[0] == "case-42"
