import pandas as pd
import pytest

from adcheck.errors import InputDataError
from adcheck.readers import load_labeled, read_table, text_column

KOREAN = "text,label\n오늘만 특가 100% 효과,misleading\n보습 크림 50ml,acceptable\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp949"])
def test_encodings_are_detected_and_recorded(tmp_path, encoding):
    path = tmp_path / "ads.csv"
    path.write_bytes(KOREAN.encode(encoding))
    frame = read_table(path)
    assert text_column(frame, "text")[0] == "오늘만 특가 100% 효과"
    assert frame.attrs["encoding"] == {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "utf-16": "utf-16", "cp949": "cp949"}[encoding]
    assert len(frame.attrs["sha256"]) == 64


def test_binary_garbage_is_a_clear_error(tmp_path):
    path = tmp_path / "ads.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputDataError, match="cannot decode"):
        read_table(path)


def test_empty_file_and_missing_file(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputDataError, match="empty"):
        read_table(empty)
    with pytest.raises(InputDataError, match="no such file"):
        read_table(tmp_path / "missing.csv")


def test_missing_column_lists_the_columns(tmp_path):
    path = tmp_path / "ads.csv"
    path.write_text("body,label\nx,misleading\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"no column 'text' \(columns: body, label\)"):
        text_column(read_table(path), "text")


def test_malformed_jsonl_names_the_line(tmp_path):
    path = tmp_path / "ads.jsonl"
    path.write_text('{"text": "a"}\n{"text": \n', encoding="utf-8")
    with pytest.raises(InputDataError, match="line 2"):
        read_table(path)


def test_jsonl_strings_may_hold_line_separators(tmp_path):
    """U+2028, U+2029 and other characters str.splitlines breaks at are valid unescaped inside a JSON
    string; only "\n" ends a JSON line (a "\r" before it is whitespace)."""
    import json

    texts = ["첫 줄\u2028둘째 줄 특가", "para\u2029graph\x1cend", "plain"]
    path = tmp_path / "ads.jsonl"
    path.write_bytes("\r\n".join(json.dumps({"text": t}, ensure_ascii=False) for t in texts).encode("utf-8"))
    assert text_column(read_table(path), "text") == texts
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a\u2028b"}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(InputDataError, match="line 2 is not a JSON object"):
        read_table(bad)


def test_plain_text_and_parquet(tmp_path):
    txt = tmp_path / "ads.txt"
    txt.write_text("first ad\n\nsecond ad\n", encoding="utf-8")
    assert text_column(read_table(txt), "text") == ["first ad", "second ad"]
    parquet = tmp_path / "ads.parquet"
    pd.DataFrame({"text": ["a", "b"], "label": ["misleading", "acceptable"]}).to_parquet(parquet)
    assert text_column(read_table(parquet), "text") == ["a", "b"]


def test_unknown_label_values(tmp_path):
    path = tmp_path / "ads.csv"
    path.write_text("text,label\na,misleading\nb,acceptable\nc,maybe\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"unknown value\(s\) \['maybe'\].*row 3"):
        load_labeled([path], negative=["acceptable"])
    with pytest.raises(InputDataError, match="--negative"):
        load_labeled([path])


def test_labels_categories_and_detected_language(tmp_path):
    path = tmp_path / "ads.csv"
    path.write_text(
        "text,label,categories\n오늘만 특가,misleading,urgency;price\nplain ad copy,acceptable,\n", encoding="utf-8"
    )
    data = load_labeled([path], negative=["acceptable"])
    assert data.labels.tolist() == [True, False]
    assert data.categories == [["urgency", "price"], []]
    assert data.languages.tolist() == ["ko", "en"]
    path.write_text("text,label,categories\nx,misleading,made_up\ny,acceptable,\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="unknown category 'made_up'"):
        load_labeled([path], negative=["acceptable"])
