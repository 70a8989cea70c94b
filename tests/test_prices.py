import math
from datetime import date, timedelta

import pandas as pd
import pytest

from adcheck.errors import AdcheckError, InputDataError
from adcheck.price_history import HistoryOptions, history_report, load_price_history, normalise_price_history, parse_utc_days
from adcheck.prices import FINDING_COLUMNS, HistoryVerdict, check_reference_prices, run_price_check

AD_DATE = "2024-03-01"  # windows below are 2024-02-10 .. 2024-02-29 (20 days, the ad's own day left out)


def daily(listing, first, last, price, currency="KRW"):
    """One observation per day from `first` to `last` (inclusive), as strings like a scraped CSV."""
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [
        {"listing_id": listing, "date": (start + timedelta(days=i)).isoformat(), "price": price, "currency": currency}
        for i in range((end - start).days + 1)
    ]


def history_frame(*groups):
    return pd.DataFrame([row for group in groups for row in group])


def ads_frame(*rows):
    return pd.DataFrame([{"listing_id": listing, "date": when, "text": text} for listing, when, text in rows])


def check(ads, history, **options):
    return check_reference_prices(ads, history, HistoryOptions(**options))


# ---------------------------------------------------------------- history verdicts

KOREAN_AD = "🔥 단독특가 🔥 공기청정기 정가 189,000원 → 할인가 39,900원 (79% 할인)"
ENGLISH_AD = "Air purifier — was $189.00, now $39.90 (79% off). Lowest price of the season!"


def test_reference_never_charged_in_the_window_is_not_supported_with_figures():
    history = history_frame(
        daily("KR-1001", "2024-01-01", "2024-01-31", "189000"),  # the "regular" price, long before the window
        daily("KR-1001", "2024-02-01", "2024-02-29", "45000"),
        [{"listing_id": "KR-1001", "date": "2024-02-20", "price": "39900", "currency": "KRW"}],
        [{"listing_id": "KR-1001", "date": "2024-02-25", "price": "49000", "currency": "KRW"}],
    )
    result = check(ads_frame(("KR-1001", AD_DATE, KOREAN_AD)), history)
    (row,) = result.to_dict("records")
    assert row["status"] == "not_supported"
    assert (row["lowest"], row["highest"], row["median"]) == (39_900, 49_000, 45_000)
    assert row["rule"] == "lowest" and row["base"] == 39_900
    assert (row["window_start"], row["window_end"]) == ("2024-02-10", "2024-02-29")
    assert row["observations"] == 22
    assert row["true_discount_percent"] == 0.0
    assert "not 79%" in row["reason"] and "39,900 KRW" in row["reason"]
    verdict = HistoryVerdict.from_row(row)
    assert verdict.status == "not_supported" and verdict.lowest == 39_900


def test_reference_charged_in_the_window_is_supported():
    history = history_frame(daily("US-77", "2024-01-15", "2024-02-29", "189.00", "USD"))
    (row,) = check(ads_frame(("US-77", AD_DATE, ENGLISH_AD)), history).to_dict("records")
    assert row["status"] == "supported", row["reason"]
    assert row["rule"] == "only_price"
    assert row["true_discount_percent"] == pytest.approx(78.89, abs=0.01)
    assert row["claim_text"] == "$189.00" and ENGLISH_AD[row["claim_start"]:row["claim_end"]] == "$189.00"


def test_varied_prices_use_the_lowest_and_the_rule_is_recorded():
    history = history_frame(
        daily("KR-1", "2024-02-01", "2024-02-29", "189000"),
        daily("KR-1", "2024-02-15", "2024-02-17", "149000"),  # a three-day promotion inside the window
    )
    ads = ads_frame(("KR-1", AD_DATE, KOREAN_AD))
    (lowest,) = check(ads, history).to_dict("records")
    assert (lowest["status"], lowest["rule"], lowest["base"]) == ("not_supported", "lowest", 149_000)
    assert lowest["true_discount_percent"] == pytest.approx(73.22, abs=0.01)
    (median,) = check(ads, history, base_rule="median").to_dict("records")
    assert (median["status"], median["rule"], median["base"]) == ("supported", "median", 189_000)
    (common,) = check(ads, history, base_rule="most_common").to_dict("records")
    assert (common["status"], common["base"]) == ("supported", 189_000)


def test_no_history_missing_date_and_no_reference_are_not_checkable():
    history = history_frame(daily("KR-1", "2024-02-01", "2024-02-29", "189000"))
    ads = ads_frame(
        ("KR-404", AD_DATE, KOREAN_AD),
        ("KR-1", "", KOREAN_AD),
        ("KR-1", "01/03/2024", KOREAN_AD),  # day-first or month-first: ambiguous, so refused
        ("KR-1", AD_DATE, "무료배송 이벤트"),
        ("KR-1", "2023-06-01", KOREAN_AD),
    )
    result = check(ads, history)
    assert (result["status"] == "not_checkable").all()
    reasons = result["reason"].tolist()
    assert reasons[0] == "no price history for this listing"
    assert "date" in reasons[1] and "date" in reasons[2]
    assert reasons[3] == "no reference price found in the ad text"
    assert reasons[4].startswith("no price observed in the 20 days before the ad")


def test_unsorted_rows_and_duplicates_give_the_same_verdicts():
    rows = daily("KR-1", "2024-02-01", "2024-02-29", "189000") + daily("KR-1", "2024-02-20", "2024-02-22", "99000")
    ordered = history_frame(rows)
    shuffled = ordered.sample(frac=1, random_state=3).reset_index(drop=True)
    doubled = pd.concat([shuffled, shuffled.iloc[:10]], ignore_index=True)
    ads = ads_frame(("KR-1", AD_DATE, KOREAN_AD))
    expected = check(ads, ordered)
    for frame in (shuffled, doubled):
        got = check(ads, frame)
        pd.testing.assert_frame_equal(got, expected)
    report = history_report(normalise_price_history(doubled))
    assert report.duplicates_collapsed == 10 and report.out_of_order
    assert expected.loc[0, "observations"] == 23  # 20 days plus 3 days with a second price


def test_several_currencies_for_one_listing_are_not_converted():
    history = history_frame(
        daily("G-1", "2024-02-01", "2024-02-29", "189000"),
        daily("G-1", "2024-02-25", "2024-02-29", "139.00", "USD"),
        daily("G-2", "2024-02-01", "2024-02-29", "189000"),
    )
    ads = ads_frame(("G-1", AD_DATE, KOREAN_AD), ("G-2", AD_DATE, ENGLISH_AD))
    first, second = check(ads, history).to_dict("records")
    assert first["status"] == "not_checkable" and "several currencies" in first["reason"]
    assert second["status"] == "not_checkable" and "states USD" in second["reason"] and "KRW" in second["reason"]


def test_zero_and_negative_prices_are_dropped_and_reported_not_used_as_the_lowest():
    history = history_frame(
        daily("KR-1", "2024-02-01", "2024-02-29", "189000"),
        [{"listing_id": "KR-1", "date": "2024-02-20", "price": "0", "currency": "KRW"}],
        [{"listing_id": "KR-1", "date": "2024-02-21", "price": "-189000", "currency": "KRW"}],
    )
    normalised = normalise_price_history(history)
    report = history_report(normalised)
    assert report.dropped == {"non-positive price": 2}
    assert report.first_problem == "row 30: non-positive price"
    (row,) = check(ads_frame(("KR-1", AD_DATE, KOREAN_AD)), normalised).to_dict("records")
    assert row["status"] == "supported" and row["lowest"] == 189_000


def test_time_zones_are_normalised_to_utc_dates():
    days = parse_utc_days(pd.Series(["2024-02-09T23:30:00-05:00", "2024-03-01T08:00:00+09:00", "2024-03-01 08:00", "2024.2.9", "2024/02/09"]))
    assert [d.date().isoformat() for d in days] == ["2024-02-10", "2024-02-29", "2024-03-01", "2024-02-09", "2024-02-09"]
    seoul = parse_utc_days(pd.Series(["2024-03-01 08:00"]), "Asia/Seoul")
    assert seoul[0].date().isoformat() == "2024-02-29"

    # The only low price was charged on 1 March, 08:00 in Seoul: 29 February in UTC, so inside the window.
    history = history_frame(
        daily("KR-1", "2024-02-01", "2024-02-29", "189000"),
        [{"listing_id": "KR-1", "date": "2024-03-01T08:00:00+09:00", "price": "99000", "currency": "KRW"}],
    )
    ads = ads_frame(("KR-1", AD_DATE, KOREAN_AD))
    (row,) = check(ads, history).to_dict("records")
    assert (row["status"], row["lowest"]) == ("not_supported", 99_000)
    # Without an offset the same clock time is read as UTC (the default), which is the ad's own day: outside.
    history.loc[history.index[-1], "date"] = "2024-03-01 08:00"
    (row,) = check(ads, history).to_dict("records")
    assert (row["status"], row["lowest"]) == ("supported", 189_000)
    (row,) = check(ads, history, naive_timezone="Asia/Seoul").to_dict("records")
    assert row["status"] == "not_supported"


def test_ad_date_with_time_zone_moves_the_window():
    history = history_frame(daily("KR-1", "2024-02-01", "2024-03-05", "189000"))
    ads = ads_frame(("KR-1", "2024-03-01T01:00:00+09:00", KOREAN_AD))  # 29 Feb, 16:00 UTC
    (row,) = check(ads, history).to_dict("records")
    assert (row["ad_date"], row["window_start"], row["window_end"]) == ("2024-02-29", "2024-02-09", "2024-02-28")


def test_gaps_leave_a_supported_looking_reference_not_checkable():
    history = history_frame(daily("KR-1", "2024-02-10", "2024-02-14", "189000"))  # then nothing for 15 days
    ads = ads_frame(("KR-1", AD_DATE, KOREAN_AD))
    (row,) = check(ads, history).to_dict("records")
    assert row["status"] == "not_checkable"
    assert "15 day(s) in a row without an observed price" in row["reason"]
    assert math.isnan(row["true_discount_percent"])
    # A change-log history (a row only when the price changes) is read with a long max_gap_days.
    (row,) = check(ads, history, max_gap_days=30).to_dict("records")
    assert row["status"] == "supported"
    late = history_frame(daily("KR-1", "2024-02-15", "2024-02-29", "189000"))  # the first five days are unknown
    (row,) = check(ads, late, max_gap_days=30).to_dict("records")
    assert row["status"] == "not_checkable" and "first observation 2024-02-15" in row["reason"]


def test_gaps_cannot_rescue_a_reference_above_an_observed_lower_price():
    history = history_frame(daily("KR-1", "2024-02-10", "2024-02-14", "59000"))
    (row,) = check(ads_frame(("KR-1", AD_DATE, KOREAN_AD)), history).to_dict("records")
    assert row["status"] == "not_supported"


def test_price_in_effect_before_the_window_counts_when_recent():
    history = history_frame(
        daily("KR-1", "2024-02-01", "2024-02-08", "59000"),  # last seen two days before the window
        daily("KR-1", "2024-02-11", "2024-02-29", "189000"),
    )
    (row,) = check(ads_frame(("KR-1", AD_DATE, KOREAN_AD)), history).to_dict("records")
    assert (row["status"], row["lowest"]) == ("not_supported", 59_000)


def test_other_locale_prices_and_missing_currencies_in_the_history():
    history = pd.DataFrame([
        {"listing_id": "EU-1", "date": "2024-02-20", "price": "1.234,56 €", "currency": ""},
        {"listing_id": "EU-1", "date": "2024-02-21", "price": "1 234,56", "currency": "EUR"},
        {"listing_id": "EU-1", "date": "2024-02-22", "price": "1234.56", "currency": ""},  # filled from the listing
        {"listing_id": "KR-1", "date": "2024-02-20", "price": "₩189,000", "currency": ""},
        {"listing_id": "KR-1", "date": "2024-02-21", "price": "18만 9천원", "currency": "KRW"},
        {"listing_id": "US-1", "date": "2024-02-20", "price": "1.234", "currency": "USD"},  # ambiguous
        {"listing_id": "US-1", "date": "2024-02-21", "price": "1,234.00", "currency": "USD"},
        {"listing_id": "XX-1", "date": "2024-02-21", "price": "100", "currency": ""},  # no currency anywhere
        {"listing_id": "EU-1", "date": "2024-02-23", "price": "$1,234.56", "currency": "EUR"},  # contradiction
    ])
    normalised = normalise_price_history(history)
    by_listing = normalised.groupby("listing_id")["price"].apply(list).to_dict()
    assert by_listing["EU-1"] == [pytest.approx(1234.56)] * 3
    assert by_listing["KR-1"] == [189_000, 189_000]
    assert by_listing["US-1"] == [1234.0]
    assert set(normalised["currency"]) == {"EUR", "KRW", "USD"}
    report = history_report(normalised)
    assert report.dropped == {"ambiguous": 1, "missing currency": 1, "currency column and price sign disagree": 1}
    assert report.currencies_filled == 1
    with_default = normalise_price_history(history, HistoryOptions(default_currency="KRW"))
    assert "XX-1" in set(with_default["listing_id"])


def test_load_price_history_reads_a_cp949_export(tmp_path):
    path = tmp_path / "prices.csv"
    lines = ["상품번호,일자,판매가격,통화"] + [f"KR-1,2024.2.{day},\"189,000\",원" for day in range(1, 30)]
    path.write_bytes(("\n".join(lines) + "\n").encode("cp949"))
    options = HistoryOptions(listing_col="상품번호", date_col="일자", price_col="판매가격", currency_col="통화")
    history = load_price_history(path, options)
    assert len(history) == 29 and set(history["currency"]) == {"KRW"} and set(history["price"]) == {189_000}
    assert history["date"].iloc[0] == pd.Timestamp("2024-02-01", tz="UTC")
    (row,) = check_reference_prices(ads_frame(("KR-1", AD_DATE, KOREAN_AD)), history, options).to_dict("records")
    assert row["status"] == "supported"


def test_ad_without_a_currency_takes_the_history_currency_and_says_so():
    history = history_frame(daily("KR-1", "2024-02-01", "2024-02-29", "189000"))
    (row,) = check(ads_frame(("KR-1", AD_DATE, "무선청소기 189,000→39,900 (79%↓)")), history).to_dict("records")
    assert row["status"] == "supported"
    assert row["currency"] == "KRW" and row["currency_source"] == "history"
    assert "the ad states no currency" in row["reason"]


def test_bad_options_and_too_many_bad_rows_are_errors():
    history = history_frame(daily("KR-1", "2024-02-01", "2024-02-29", "189000"))
    with pytest.raises(InputDataError, match="unknown base rule"):
        normalise_price_history(history, HistoryOptions(base_rule="highest"))
    with pytest.raises(InputDataError, match="unknown time zone"):
        normalise_price_history(history, HistoryOptions(naive_timezone="Mars/Olympus"))
    garbage = history.assign(date="yesterday")
    with pytest.raises(InputDataError, match=r"29 of 29 rows unusable \(missing or unreadable date"):
        normalise_price_history(garbage)
    with pytest.raises(InputDataError, match="no column 'sku'"):
        normalise_price_history(history, HistoryOptions(listing_col="sku"))


def test_custom_history_column_names():
    history = history_frame(daily("KR-1", "2024-02-01", "2024-02-29", "189000")).rename(
        columns={"listing_id": "sku", "date": "observed_at", "price": "amount", "currency": "cur"}
    )
    options = HistoryOptions(listing_col="sku", date_col="observed_at", price_col="amount", currency_col="cur", window_days=10)
    (row,) = check_reference_prices(ads_frame(("KR-1", AD_DATE, KOREAN_AD)), history, options).to_dict("records")
    assert (row["status"], row["window_start"], row["observations"]) == ("supported", "2024-02-20", 10)


# ---------------------------------------------------------------- batch


def write_csv(path, rows):
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture
def batch_files(tmp_path):
    ads = write_csv(tmp_path / "ads.csv", [
        {"listing_id": "KR-1001", "date": AD_DATE, "text": KOREAN_AD},
        {"listing_id": "KR-1002", "date": AD_DATE, "text": "정가 59,000원, 오늘만 29,000원! 1+1"},
        {"listing_id": "US-77", "date": AD_DATE, "text": ENGLISH_AD},
        {"listing_id": "KR-404", "date": AD_DATE, "text": "시중가 25,000원 → 9,900원"},
        {"listing_id": "KR-1001", "date": AD_DATE, "text": "무료배송 이벤트 진행중"},
        {"listing_id": "KR-1003", "date": AD_DATE, "text": "A세트 정가 20,000원 → 10,000원 / B세트 정가 30,000원 → 15,000원"},
    ])
    history = write_csv(tmp_path / "prices.csv", (
        daily("KR-1001", "2024-02-01", "2024-02-29", "39900")
        + daily("KR-1002", "2024-02-01", "2024-02-29", "59000")
        + daily("US-77", "2024-02-01", "2024-02-29", "189.00", "USD")
        + daily("KR-1003", "2024-02-01", "2024-02-29", "20000")
    ))
    return ads, history


def test_batch_accounts_for_every_ad_and_writes_csv(tmp_path, batch_files):
    ads, history = batch_files
    out = tmp_path / "findings.csv"
    summary = run_price_check(ads, history, out)
    written = pd.read_csv(out)
    assert list(written.columns) == list(FINDING_COLUMNS)
    assert sorted(set(written["ad_row"])) == [1, 2, 3, 4, 5, 6]
    assert written["status"].tolist() == [
        "not_supported", "supported", "supported", "not_checkable", "not_checkable", "supported", "not_supported",
    ]
    assert summary.ads == 6 and summary.rows == 7 and summary.reference_claims == 6
    assert summary.counts == {"supported": 3, "not_supported": 2, "not_checkable": 2}
    assert summary.history.rows_read == 116 and summary.history.listings == 4
    assert summary.to_dict()["history"]["rows_used"] == 116
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_batch_is_not_written_when_the_history_is_malformed(tmp_path, batch_files):
    ads, _ = batch_files
    out = tmp_path / "findings.csv"
    no_price = write_csv(tmp_path / "no_price.csv", [{"listing_id": "KR-1", "date": AD_DATE, "amount": "1000"}])
    with pytest.raises(InputDataError, match="no column 'price'"):
        run_price_check(ads, no_price, out)
    broken = tmp_path / "broken.csv"
    broken.write_text('listing_id,date,price,currency\nKR-1,2024-02-01,"39,900,KRW\n', encoding="utf-8")
    with pytest.raises(AdcheckError):
        run_price_check(ads, broken, out)
    all_bad = write_csv(tmp_path / "all_bad.csv", daily("KR-1", "2024-02-01", "2024-02-29", "n/a"))
    with pytest.raises(InputDataError, match="rows unusable"):
        run_price_check(ads, all_bad, out)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ads.csv", "all_bad.csv", "broken.csv", "no_price.csv", "prices.csv"]


def test_batch_leaves_an_existing_file_alone(tmp_path, batch_files):
    ads, history = batch_files
    out = tmp_path / "findings.csv"
    out.write_text("previous run\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="already exists"):
        run_price_check(ads, history, out)
    bad = write_csv(tmp_path / "bad.csv", [{"listing_id": "KR-1", "date": "x", "price": "1", "currency": "KRW"}])
    with pytest.raises(InputDataError):
        run_price_check(ads, bad, out, overwrite=True)
    assert out.read_text(encoding="utf-8") == "previous run\n"
    run_price_check(ads, history, out, overwrite=True)
    assert out.read_text(encoding="utf-8").startswith("ad_row,listing_id,")


def test_batch_reads_other_ad_column_names_and_jsonl(tmp_path, batch_files):
    _, history = batch_files
    ads = tmp_path / "ads.jsonl"
    pd.DataFrame([{"sku": "KR-1002", "shown": AD_DATE, "copy": "정가 59,000원 → 29,000원"}]).to_json(
        ads, orient="records", lines=True, force_ascii=False
    )
    summary = run_price_check(ads, history, tmp_path / "out.csv", text_col="copy", ad_listing_col="sku", ad_date_col="shown")
    assert summary.counts["supported"] == 1
    with pytest.raises(InputDataError, match="no column 'text'"):
        run_price_check(ads, history, tmp_path / "out2.csv")
