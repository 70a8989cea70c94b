import pytest

from adcheck.jsonlines import JsonLineError, json_lines


def test_values_with_their_line_numbers_blank_lines_skipped():
    text = '{"a": 1}\r\n\n  \n["x\u2028y"]\n"z"'
    assert list(json_lines(text)) == [(1, {"a": 1}), (4, ["x\u2028y"]), (5, "z")]


def test_a_bad_line_names_its_number():
    with pytest.raises(JsonLineError, match=r"line 3 is not valid JSON \(Expecting value\)") as info:
        list(json_lines('1\n2\n{"a": }\n4'))
    assert info.value.number == 3
