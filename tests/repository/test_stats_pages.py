"""Contribution statistics at /stats and per library: HTML, JSON and CSV, exact and scoped."""

import csv
import io
from datetime import UTC, datetime

import pytest

from repository.extensions import db
from repository.models import RecordStatus


@pytest.fixture
def figures(make_collection, make_record, make_user, make_library):
    """Two libraries' records: published, draft, withdrawn, with images, in two months."""
    flora = make_collection("natural_history", slug="flora")
    ich = make_collection("ich", slug="ich")
    jilin, yanbian = make_library("JL-SL", "吉林省图书馆"), make_library("YB-LIB", "延边图书馆")
    alice = make_user("contributor", library=jilin)
    bob = make_user("contributor", library=yanbian)
    old = make_record(flora, alice, images=2)
    old.created_at = datetime(2025, 11, 3, tzinfo=UTC)
    db.session.flush()
    from repository.services import record_counts

    record_counts.recount()  # created_at was rewritten by hand, around the hook
    make_record(flora, alice, images=1)
    make_record(ich, alice)
    make_record(flora, alice, status=RecordStatus.DRAFT, images=1)
    make_record(flora, bob, images=1)
    make_record(ich, bob, status=RecordStatus.WITHDRAWN)
    return {"jilin": jilin, "yanbian": yanbian, "alice": alice, "bob": bob}


def test_public_statistics_count_published_records_and_images(client, figures):
    data = client.get("/stats.json").get_json()
    assert data["totals"] == {"records": 4, "images": 4}
    libraries = {row["key"]: row for row in data["tables"]["library"]}
    assert libraries["JL-SL"]["records"] == 3 and libraries["JL-SL"]["images"] == 3
    assert libraries["JL-SL"]["label"] == {"zh": "吉林省图书馆", "en": "Test Library"}
    assert {row["key"]: row["records"] for row in data["tables"]["collection"]} == {
        "flora": 3,
        "ich": 1,
    }
    assert {row["key"] for row in data["tables"]["status"]} == {"published", "withdrawn"}
    months = data["tables"]["month"]
    assert months[0]["key"] == "2025-11" and months[0]["cumulative"] == 1
    assert months[-1]["cumulative"] == 4  # growth: every month in between is listed
    assert [row["key"] for row in data["tables"]["contributor"]] == ["JL-SL", "YB-LIB"]
    assert all(figures["alice"].email not in str(row) for row in data["tables"]["contributor"])


def test_the_page_shows_the_same_figures_in_tables_with_csv_and_json_links(client, figures):
    page = client.get("/stats?lang=en").get_data(as_text=True)
    assert "Contribution statistics" in page
    assert 'href="/libraries/JL-SL"' in page and "/stats.csv" in page and "/stats.json" in page
    assert '<table class="data">' in page and 'id="stats-data"' in page
    zh = client.get("/stats?lang=zh").get_data(as_text=True)
    assert "贡献统计" in zh and "按成员馆" in zh


def test_csv_has_every_table_with_both_labels(client, figures):
    response = client.get("/stats.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0]["table"] == "total" and rows[0]["records"] == "4"
    libraries = {row["key"]: row for row in rows if row["table"] == "library"}
    assert libraries["JL-SL"]["label_zh"] == "吉林省图书馆" and libraries["JL-SL"]["images"] == "3"


def test_a_month_range_limits_the_figures_and_growth_starts_from_before(client, figures):
    this_month = datetime.now(UTC).strftime("%Y-%m")
    data = client.get(f"/stats.json?from={this_month}&to={this_month}").get_json()
    assert data["totals"]["records"] == 3
    scope = {"library": None, "private": False, "from": this_month, "to": this_month}
    assert data["scope"] == scope
    assert data["tables"]["month"] == [
        {
            "key": this_month,
            "label": {"zh": this_month, "en": this_month},
            "records": 3,
            "images": 2,
            "cumulative": 4,
        }
    ]


@pytest.mark.parametrize(
    ("query", "english", "chinese"),
    [
        ("from=2026-13", "from: '2026-13' is not a month", "参数 from：“2026-13”不是有效的月份"),
        ("to=last+year", "to: 'last year' is not a month", "参数 to：“last year”不是有效的月份"),
        ("from=2026-05&to=2026-02", "from (2026-05) is after to (2026-02)", "晚于结束月份"),
    ],
)
def test_a_bad_date_range_is_a_clear_400_in_both_languages(
    client, figures, query, english, chinese
):
    answer = client.get(f"/stats.json?{query}")
    assert answer.status_code == 400 and english in answer.get_json()["error"]
    page = client.get(f"/stats?{query}&lang=zh")
    assert page.status_code == 400 and chinese in page.get_data(as_text=True)
    page = client.get(f"/stats?{query}&lang=en")
    assert page.status_code == 400 and english.replace("'", "&#39;") in page.get_data(as_text=True)


def test_members_see_drafts_and_contributors_of_their_own_library(client, figures, login):
    login(figures["alice"])
    data = client.get("/libraries/JL-SL/stats.json").get_json()
    assert data["scope"]["private"] is True and data["totals"]["records"] == 4
    assert {row["key"]: row["records"] for row in data["tables"]["status"]} == {
        "draft": 1,
        "published": 3,
    }
    assert data["tables"]["contributor"][0]["key"] == str(figures["alice"].id)
    assert data["tables"]["contributor"][0]["records"] == 4
    page = client.get("/libraries/JL-SL/stats?lang=en").get_data(as_text=True)
    assert "draft" in page and "Only members of the library see this page" in page


def test_others_are_refused_a_library_s_private_statistics(client, figures, login):
    assert client.get("/libraries/JL-SL/stats").status_code == 302  # to the sign-in page
    login(figures["bob"])
    refused = client.get("/libraries/JL-SL/stats.json")
    assert refused.status_code == 403 and "only members of" in refused.get_json()["error"]
    assert client.get("/libraries/JL-SL/stats?lang=zh").status_code == 403
    assert client.get("/libraries/NOPE/stats").status_code == 404


def test_counts_are_exact_right_after_a_change(client, figures, make_record, make_collection):
    before = client.get("/stats.json").get_json()["totals"]["records"]
    make_record(make_collection(), figures["bob"])
    assert client.get("/stats.json").get_json()["totals"]["records"] == before + 1


def test_without_the_chart_bundle_the_page_shows_its_tables(app, client, figures, tmp_path):
    installed = app.static_folder
    app.static_folder = str(tmp_path)  # as on a machine where scripts/chart-assets failed
    try:
        page = client.get("/stats").get_data(as_text=True)
    finally:
        app.static_folder = installed
    assert "echarts" not in page and '<table class="data">' in page


def test_alliance_administrators_see_every_library_s_private_statistics(
    client, figures, make_user, login
):
    admin = make_user("admin", library=figures["yanbian"])
    admin.alliance_admin = True
    db.session.flush()
    login(admin)
    data = client.get("/libraries/JL-SL/stats.json").get_json()
    assert data["scope"] == {"library": "JL-SL", "private": True, "from": None, "to": None}
    assert data["totals"]["records"] == 4


def test_a_library_that_left_the_alliance_has_no_pages(client, figures):
    figures["yanbian"].active = False
    db.session.flush()
    assert client.get("/libraries/YB-LIB").status_code == 404
    assert client.get("/libraries/YB-LIB/stats.json").status_code == 404
    assert 'href="/libraries/YB-LIB"' not in client.get("/libraries").get_data(as_text=True)
