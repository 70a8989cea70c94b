"""The HTML report in a real browser: headless Chromium renders it, a screenshot is taken, and
the DOM shows the flagged claims and no trace of the hostile scripts fed through the pipeline."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from adcheck import load_model
from adcheck.report_html import CSP, render, script_hash
from adcheck.review import ReviewOptions, review
from tests.test_documents import make_zip
from tests.test_review import build_seized_set

CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium (/usr/bin/chromium) is not installed; .ci/run installs it")

# each payload, if it ever ran, leaves a marker the DOM dump would show
PAYLOAD = (
    "document.title='PWNED';document.documentElement.setAttribute('data-pwned','1');"
    "var m=document.createElement('div');m.id='pwned-marker';document.body.appendChild(m)"
)
NO_SLASH_PAYLOAD = "document.title='PWNED';document.documentElement.setAttribute('data-pwned','1')"


def add_hostile_files(case: Path) -> None:
    hostile = case / "hostile"
    hostile.mkdir()
    (hostile / "page.html").write_text(
        "<html><head><title>&lt;script&gt;" + html.escape(PAYLOAD) + "&lt;/script&gt; 최고의 혜택</title></head><body>"
        f"<p onclick=\"{html.escape(PAYLOAD)}\">&lt;script&gt;{html.escape(PAYLOAD)}&lt;/script&gt; 100% 효과 보장</p>"
        f"<a href=\"javascript:{html.escape(PAYLOAD)}\" title=\"&lt;img src=x onerror=&quot;{html.escape(PAYLOAD)}&quot;&gt; 국내 1위\">최저가 보장</a>"
        f"<img src=\"x\" onerror=\"{html.escape(PAYLOAD)}\" alt=\"&quot;&gt;&lt;svg onload=&quot;{html.escape(PAYLOAD)}&quot;&gt; 100% 천연\">"
        f"<script>{PAYLOAD}</script></body></html>",
        encoding="utf-8",
    )
    (hostile / "copy.txt").write_text(
        f"<script>{PAYLOAD}</script> 부작용 없는 완벽한 다이어트 보장\n"
        f"<img src=x onerror=\"{PAYLOAD}\"> Guaranteed weight loss, 100% natural\n"
        f"<a href=\"javascript:{PAYLOAD}\">Click</a> the No.1 cure for diabetes\n"
        f"</textarea></style></title><script>{PAYLOAD}</script> 오늘만 90% 할인\n"
        f"\"><svg onload=\"{PAYLOAD}\"> 선착순 10명 한정\n",
        encoding="utf-8",
    )
    (hostile / f"\"><img src=x onerror={NO_SLASH_PAYLOAD}>.txt").write_text("최고의 제품, 효과 100% 보장", encoding="utf-8")
    (hostile / "names.zip").write_bytes(make_zip({
        f"<script>{PAYLOAD}</script>.txt": "업계 최초 완치 효과".encode(),
        f"<img src=x onerror=\"{PAYLOAD}\">.exe": b"MZ",
    }))


def chromium(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args,
    ]
    env = {**os.environ, "HOME": str(tmp_path)}
    return subprocess.run(command, capture_output=True, text=True, timeout=180, env=env, check=False)


def dump_dom(page: Path, tmp_path: Path) -> str:
    done = chromium(["--virtual-time-budget=3000", "--dump-dom", page.as_uri()], tmp_path)
    assert done.returncode == 0 and "<html" in done.stdout, done.stderr[-2000:]
    return done.stdout


def assert_no_script_ran(dom: str) -> None:
    assert 'id="pwned-marker"' not in dom
    assert "data-pwned=" not in dom
    title = re.search(r"<title>(.*?)</title>", dom, re.DOTALL)
    assert title is not None and title.group(1).startswith("adcheck review") and "PWNED" not in title.group(1)


@pytest.fixture(scope="module")
def hostile_case(tmp_path_factory):
    case = build_seized_set(tmp_path_factory.mktemp("seized"))
    add_hostile_files(case)
    return case


@pytest.fixture(scope="module")
def model():
    return load_model()


@needs_chromium
def test_report_renders_flagged_claims_and_screenshot(hostile_case, model, tmp_path):
    report = review([hostile_case], model)
    page = tmp_path / "report.html"
    page.write_text(render(report.to_dict()), encoding="utf-8")
    dom = dump_dom(page, tmp_path)
    assert_no_script_ran(dom)
    # the page's own (hash-allowed) script ran: it fills in the filter status
    flagged = report.summary["claims_flagged"]
    assert f"Showing {flagged} of {flagged} flagged claims" in dom
    text = html.unescape(re.sub(r"<[^>]+>", "", dom))
    for doc in report.documents:
        for claim in doc["claims"]:
            if claim["flagged"]:
                assert claim["text"] in text, claim["text"]
    assert "Clinically proven to cure obesity." in text and "case-2024-031/brochure.pdf, page 1" in text
    assert "표시·광고의 공정화에 관한 법률" in text
    shot = tmp_path / "report.png"
    done = chromium(["--window-size=1280,2200", "--hide-scrollbars", f"--screenshot={shot}", page.as_uri()], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if os.environ.get("ADCHECK_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["ADCHECK_KEEP_SCREENSHOT"])


@needs_chromium
def test_hostile_text_is_shown_as_text_and_never_runs(hostile_case, model, tmp_path):
    # threshold 0: every claim of every document is in the report, hostile ones included
    report = review([hostile_case], model, ReviewOptions(threshold=0.0))
    markup = render(report.to_dict())
    assert "<script>document" not in markup and "onerror=\"document" not in markup and "href=\"javascript" not in markup
    assert markup.count("<script") == 1  # the report's own script only
    page = tmp_path / "report.html"
    page.write_text(markup, encoding="utf-8")
    dom = dump_dom(page, tmp_path)
    assert_no_script_ran(dom)
    text = html.unescape(re.sub(r"<[^>]+>", "", dom))
    assert f"<script>{PAYLOAD}</script>" in text  # shown, as text
    assert f"<img src=x onerror=\"{PAYLOAD}\">.exe" in text  # hostile archive member name, as text
    assert f"\"><img src=x onerror={NO_SLASH_PAYLOAD}>.txt" in text  # hostile file name, as text
    assert "unsupported file type '.exe'" in text


@needs_chromium
def test_content_security_policy_blocks_injected_script(hostile_case, model, tmp_path):
    """Even if escaping failed, the CSP would keep injected script from running."""
    report = review([hostile_case / "hostile" / "copy.txt"], model)
    markup = render(report.to_dict())
    assert CSP.format(script_hash()) in html.unescape(markup)
    injected = markup.replace(
        "</main>",
        f"<script>{PAYLOAD}</script><img src=x onerror=\"{PAYLOAD}\"><a id=js href=\"javascript:{PAYLOAD}\">x</a>"
        f"<svg onload=\"{PAYLOAD}\"></svg></main>",
    )
    page = tmp_path / "injected.html"
    page.write_text(injected, encoding="utf-8")
    dom = dump_dom(page, tmp_path)
    assert_no_script_ran(dom)
    assert "Showing " in dom  # the report's own script still ran


@needs_chromium
def test_filters_and_sorting_work_in_the_browser(hostile_case, model, tmp_path):
    """Drive the page's controls with a test script (the CSP is lifted for this copy only)."""
    report = review([hostile_case], model)
    markup = render(report.to_dict())
    markup = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", markup)
    driver = """<script>
    (function () {
      var out = [];
      var cat = document.getElementById("f-cat");
      cat.value = "price"; cat.dispatchEvent(new Event("change"));
      var shown = Array.prototype.filter.call(document.querySelectorAll(".claim"), function (c) { return !c.hidden; });
      out.push("price=" + shown.length + ":" + shown.every(function (c) { return c.getAttribute("data-cats").split(" ").indexOf("price") >= 0; }));
      cat.value = ""; cat.dispatchEvent(new Event("change"));
      var high = document.querySelector("input[name=f-band][value=high]");
      high.checked = false; high.dispatchEvent(new Event("change"));
      shown = Array.prototype.filter.call(document.querySelectorAll(".claim"), function (c) { return !c.hidden; });
      out.push("nohigh=" + shown.length + ":" + shown.every(function (c) { return c.getAttribute("data-band") !== "high"; }));
      high.checked = true; high.dispatchEvent(new Event("change"));
      document.querySelector("#doc-table th button[data-key=path]").click();
      var paths = Array.prototype.map.call(document.querySelectorAll("#doc-table tbody tr"), function (r) { return r.getAttribute("data-path"); });
      out.push("sorted=" + paths.every(function (p, i) { return i === 0 || paths[i - 1] <= p; }));
      var result = document.createElement("pre"); result.id = "driver-result"; result.textContent = out.join(" ");
      document.body.appendChild(result);
    })();
    </script>"""
    page = tmp_path / "driven.html"
    page.write_text(markup.replace("</body>", driver + "</body>"), encoding="utf-8")
    dom = dump_dom(page, tmp_path)
    found = re.search(r'<pre id="driver-result">(.*?)</pre>', dom)
    assert found is not None, dom[-3000:]
    results = dict(item.split("=", 1) for item in found.group(1).split())
    flagged = [c for d in report.documents for c in d["claims"] if c["flagged"]]
    price = sum(1 for c in flagged if any(k["code"] == "price" for k in c["categories"]))
    not_high = sum(1 for c in flagged if c["band"] != "high")
    assert results == {"price": f"{price}:true", "nohigh": f"{not_high}:true", "sorted": "true"}
