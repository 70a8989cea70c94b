import json

from typer.testing import CliRunner

from adcheck.cli import app
from adcheck.datacheck import STATS_END, STATS_START, check_files, update_card

HEADER = "id,text,label,categories,lang,channel,domain,group,note\n"


def _write(tmp_path, body, name="data.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_clean_file_has_no_errors(tmp_path):
    path = _write(tmp_path, (
        "a1,오늘만 특가 100% 효과 보장,misleading,guarantee;urgency,ko,banner,cosmetics,g1,x\n"
        "a2,보습 크림 50ml 건성 피부용,acceptable,,ko,banner,cosmetics,g1,near-miss: y\n"
        "a3,Free returns within 30 days of delivery,acceptable,,en,landing_page,fashion,g2,plain\n"
    ))
    report = check_files([path])
    assert report.errors == []
    assert report.stats["rows"] == 3
    assert report.stats["misleading_per_category"]["guarantee"] == 1
    assert report.stats["contrastive_groups"] == 1
    assert report.stats["near_miss_share_of_acceptable"] == 0.5


def test_every_problem_is_reported_with_its_row(tmp_path):
    path = _write(tmp_path, (
        "a1,Best deal ever,misleading,superlative,en,banner,food,g1,n\n"
        "a1,Another ad,acceptable,,en,banner,food,g2,n\n"               # duplicate id
        "a3,,acceptable,,en,banner,food,g3,n\n"                          # empty text
        "a4,Some text,maybe,,en,banner,food,g4,n\n"                      # unknown label
        "a5,Other text,misleading,made_up,en,banner,food,g5,n\n"         # unknown category
        "a6,Plain words,misleading,,en,banner,food,g6,n\n"               # misleading without category
        "a7,BEST  deal ever!,acceptable,,en,banner,food,g7,n\n"          # same text, other label
        "a8,one two three four five six seven eight nine,acceptable,,en,banner,food,g8,n\n"
        "a9,zero one two three four five six seven eight,acceptable,,en,banner,food,g9,n\n"  # near duplicate
        "a10,Good shoes,acceptable,,xx,banner,food,g10,n\n"              # unknown lang
    ))
    report = check_files([path])
    messages = [(f.where.rsplit(":", 1)[1], f.message) for f in report.errors]
    assert ("2", "duplicate id 'a1' (first at " + str(path) + ":1)") in messages
    assert any(row == "3" and "empty text" in m for row, m in messages)
    assert any(row == "4" and "unknown label 'maybe'" in m for row, m in messages)
    assert any(row == "5" and "unknown category 'made_up'" in m for row, m in messages)
    assert any(row == "6" and "without categories" in m for row, m in messages)
    assert any(row == "7" and "conflicting label" in m for row, m in messages)
    assert any(row == "9" and "near duplicate" in m for row, m in messages)
    assert any(row == "10" and "unknown lang" in m for row, m in messages)


NAMES = [f"{a}{b}" for a in ("rose", "aloe", "oat", "tea", "rice", "mint") for b in ("wood", "leaf", "seed", "bloom", "root")]


def test_style_marks_that_follow_the_label_are_warned_about(tmp_path):
    rows = []
    for i, name in enumerate(NAMES):  # 30 of each label and language
        # every misleading English text shouts, no acceptable one does; full-width marks count too
        bang = "！" if i % 2 else "!"
        rows.append(f"m{i},Miracle {name} cream cures acne{bang},misleading,health_efficacy,en,banner,cosmetics,g{i},n\n")
        rows.append(f"a{i},Gentle {name} cream for dry skin (50 ml),acceptable,,en,banner,cosmetics,g{i},n\n")
        # in Korean both labels carry the emoji
        rows.append(f"k{i},오늘만 {name} 특가 🔥,misleading,urgency,ko,banner,food,k{i},n\n")
        rows.append(f"q{i},이번 주 {name} 할인 🔥,acceptable,,ko,banner,food,q{i},n\n")
    rows.append("x1,Only today 오늘만 SALE!,misleading,urgency,mixed,banner,food,x1,n\n")
    report = check_files([_write(tmp_path, "".join(rows))])
    assert report.errors == []  # a warning, not an error: the exit code stays 0
    marks = report.stats["style_marks"]
    assert marks["en"]["!"] == [1.0, 0.0]
    assert marks["en"]["("] == [0.0, 1.0]
    assert marks["ko"]["emoji"] == [1.0, 1.0]
    assert "mixed" not in marks  # too few texts to compare
    warned = [f.message for f in report.warnings if f.message.startswith("style:")]
    assert any("'!' is in 100% of misleading and 0% of acceptable en texts" in m for m in warned), warned
    assert any("'(' is in 0% of misleading and 100% of acceptable en texts" in m for m in warned), warned
    assert not any("ko texts" in m for m in warned)  # the same mark in both labels is fine


def test_style_marks_need_enough_texts_per_label(tmp_path):
    rows = [f"m{i},Miracle {name} cure!,misleading,health_efficacy,en,banner,cosmetics,g{i},n\n" for i, name in enumerate(NAMES)]
    rows += [f"a{i},Plain {name} soap,acceptable,,en,banner,cosmetics,h{i},n\n" for i, name in enumerate(NAMES[:29])]
    report = check_files([_write(tmp_path, "".join(rows))])
    assert report.stats["style_marks"] == {}
    assert not any(f.message.startswith("style:") for f in report.warnings)


def test_missing_columns(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,label\nhello,misleading\n", encoding="utf-8")
    report = check_files([path])
    assert any("missing column" in f.message for f in report.errors)


def test_cli_exit_codes_and_card_update(tmp_path):
    good = _write(tmp_path, "a1,오늘만 특가,misleading,urgency,ko,banner,food,g1,n\na2,보통 광고,acceptable,,ko,banner,food,g2,n\n")
    card = tmp_path / "CARD.md"
    card.write_text(f"# Card\n{STATS_START}\nold\n{STATS_END}\nafter\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["data", "check", str(good), "--update-card", str(card)])
    assert result.exit_code == 0, result.stderr
    assert "0 error(s)" in result.stderr
    text = card.read_text(encoding="utf-8")
    assert "\nold\n" not in text and "Rows: **2**" in text and text.endswith("after\n")
    bad = _write(tmp_path, "a1,,misleading,urgency,ko,banner,food,g1,n\n", name="bad.csv")
    result = runner.invoke(app, ["data", "check", str(bad), "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["errors"][0]["message"] == "empty text"
    update_card(card, {})



def test_shipped_data_card_statistics_are_current():
    from pathlib import Path

    from adcheck.datacheck import render_statistics

    root = Path(__file__).resolve().parents[1]
    card = root / "training" / "DATA_CARD.md"
    files = sorted((root / "training" / "data" / "corpus").rglob("*.jsonl"))
    report = check_files(files)
    assert report.errors == [], report.errors[:5]
    text = card.read_text(encoding="utf-8")
    block = text.split(STATS_START, 1)[1].split(STATS_END, 1)[0]
    assert block.strip() == render_statistics(report.stats).strip(), "run: adcheck data check training/data/corpus --update-card training/DATA_CARD.md"


def test_note_tags_are_checked_against_the_trigger_list(tmp_path):
    path = _write(tmp_path, (
        "t1,Guilt-free snacking for the whole office,misleading,health_efficacy,en,banner,food,g1,subtle: why\n"
        "t2,Most guests book within the hour,misleading,urgency,en,banner,travel,g2,why\n"
        "t3,Free returns within 30 days,acceptable,,en,banner,fashion,g3,plain\n"
        "t4,A calm cotton tee,acceptable,,en,banner,fashion,g4,subtle: why\n"
        "t5,Most rooms book within the hour,misleading,urgency,en,banner,travel,g5,subtle: why\n"
        "t6,Free size exchanges for a month,acceptable,,en,banner,fashion,g6,near-miss: free with nothing against it\n"
        "t7,f.r.e.e gift with every order,acceptable,,en,banner,fashion,g7,obfuscated: every buyer gets it\n"
        "t8,Most hosts reply within the hour,misleading,urgency,en,banner,travel,g8,\n"
        "t9,Freestyle kits for the weekend,misleading,urgency,en,banner,sports,g9,why\n"
    ))
    report = check_files([path])
    assert report.errors == []
    warned = {f.where.rsplit(":", 1)[1]: f.message for f in report.warnings if f.where != "corpus"}
    assert "'free' (in \"Guilt-free snacking fo\")" in warned["1"] and "D43" in warned["1"]
    assert "D43 requires the subtle: tag" in warned["2"]
    assert "D51 requires the near-miss: tag" in warned["3"]
    assert "for misleading texts" in warned["4"]
    assert not {"5", "6", "7", "8", "9"} & set(warned)  # right tags, obfuscation, no note, an unsure word
    assert report.stats["trigger_free_share_of_misleading"] == 0.6  # t2, t5, t8 of five
