"""CPR, dates, municipalities and Danish sorting."""

from __future__ import annotations

import pytest

from toolkit import danish


@pytest.mark.parametrize("text,iso", [
    ("2019-02-26", "2019-02-26"),
    ("26-02-2019", "2019-02-26"),
    ("26.2.2019", "2019-02-26"),
    ("26/2/2019", "2019-02-26"),
    ("26. februar 2019", "2019-02-26"),
    ("26. Februar 2019", "2019-02-26"),
    ("26. feb. 2019", "2019-02-26"),
    ("2019-02-26T00:00:00Z", "2019-02-26"),
    ("30-02-2019", None),
    ("i morgen", None),
    ("", None),
])
def test_parse_date(text, iso):
    assert danish.parse_date(text) == iso


def test_format_date():
    assert danish.format_date("2019-02-26") == "26. februar 2019"
    assert danish.format_date("2020-12-01") == "1. december 2020"
    assert danish.format_month("2019-05") == "maj 2019"


@pytest.mark.parametrize("cpr,ok", [
    ("010190-1234", True),     # modulus 11 fails, still valid (since 2007)
    ("290200-4000", True),     # 2000 is a leap year: 7th digit 4 -> 2000
    ("290201-4000", False),    # no 29 February 2001
    ("320190-1234", False),
    ("0101901234", False),     # the dash is part of the format
    ("01019-01234", False),
])
def test_cpr(cpr, ok):
    assert danish.is_cpr(cpr) is ok


def test_mask_cpr():
    assert danish.mask_cpr("CPR 010190-1234 og 0101901234") == "CPR 010190-xxxx og 010190-xxxx"


def test_mask_cpr_leaves_a_digest_whole_but_not_a_cpr_beside_a_short_word():
    # seen in CI: the archive's object name held 0806624804 (a date: 8 June 1962)
    digest = "e3e69e99f34ece0806624804cb1c1658033ec77e6b08f78d8594a1371ea930"
    assert danish.mask_cpr(f"objects/53/{digest}: ændret") == f"objects/53/{digest}: ændret"
    assert danish.mask_cpr("abc0101901234 deadbeef-0101901234 id0101901234") == (
        "abc010190-xxxx deadbeef-010190-xxxx id010190-xxxx")
    assert danish.mask_cpr("1" * 32 + "0101901234") == "1" * 32 + "0101901234"  # digits only


def test_98_kommuner_without_christiansoe():
    names = [k["navn"] for k in danish.kommuner()]
    assert len(names) == 98 == len(set(names))
    assert len({k["nummer"] for k in danish.kommuner()}) == 98
    assert "Christiansø" not in names
    assert danish.kommune_name("Københavns Kommune") == "København"
    assert danish.kommune_name("751") == "Aarhus"
    assert danish.kommune_official("Bornholm") == "Bornholms Regionskommune"


def test_phone_and_email():
    assert danish.is_phone("12 34 56 78") and danish.is_phone("+45 12345678")
    assert not danish.is_phone("1234567")
    assert danish.is_email("navn@kommune.dk") and not danish.is_email("navn@kommune")


def test_danish_sort_order():
    names = ["Åse", "Zacharias", "Aage", "Ærø", "Øster", "Anders", "aalborg"]
    assert sorted(names, key=danish.sort_key) == [
        "Anders", "Zacharias", "Ærø", "Øster", "Aage", "aalborg", "Åse"]


@pytest.mark.parametrize(("stamp", "shown"), [
    ("2026-11-23T15:01:07Z", "23. november 2026 kl. 16.01.07"),  # winter: UTC+1
    ("2026-07-01T22:30:00Z", "2. juli 2026 kl. 00.30.00"),  # summer: UTC+2, the next day
    ("2026-03-29T00:59:59Z", "29. marts 2026 kl. 01.59.59"),  # the last second of winter time
    ("2026-03-29T01:00:00Z", "29. marts 2026 kl. 03.00.00"),  # summer time begins
    ("2026-10-25T00:30:00Z", "25. oktober 2026 kl. 02.30.00"),  # the first 02.30 ...
    ("2026-10-25T01:30:00Z", "25. oktober 2026 kl. 02.30.00"),  # ... and the second
    ("ikke et tidspunkt", "ikke et tidspunkt"),
    ("9999-12-31T23:30:00Z", "9999-12-31T23:30:00Z"),  # a signer's choice, past year 9999 here
])
def test_an_archive_time_stamp_is_shown_in_danish_time(stamp, shown):
    """The consent archive records UTC; caseworkers read Danish time (not the server's:
    a container often runs in UTC)."""
    assert danish.format_stamp(stamp) == shown


def test_without_time_zone_data_a_stamp_says_it_is_utc(monkeypatch):
    monkeypatch.setattr(danish, "_danish_zone", lambda: None)
    assert danish.format_stamp("2026-11-23T15:01:07Z") == "23. november 2026 kl. 15.01.07 UTC"
