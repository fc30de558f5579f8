"""The workspace's totals come from the kept counts and agree with the records; searches of one
or two Chinese characters find what a full scan would."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from repository.extensions import db
from repository.models import Record, RecordStatus
from repository.models.base import utcnow
from repository.services import accounts, support, workspace


def titles(html: str) -> list[str]:
    return sorted(re.findall(r'<td><a href="/records/[^"]+">([^<]+)</a>', html))


def counted(user, chosen: workspace.Filter) -> int:
    """What a COUNT over the page's own conditions says."""
    where = workspace.conditions(user, chosen)
    return db.session.scalar(select(func.count(Record.id)).where(*where)) or 0


def test_totals_agree_with_the_records_for_every_kind_of_filter(
    alliance, make_record, make_collection, make_library, login
):
    second = make_collection("natural_history")
    make_record(alliance.collection, alliance.contributor, title="东北虎")
    make_record(alliance.collection, alliance.colleague, status=RecordStatus.DRAFT, title="红松")
    make_record(second, alliance.contributor, status=RecordStatus.SUBMITTED, title="人参")
    make_record(alliance.collection, alliance.outsider, status=RecordStatus.SUBMITTED, title="外")
    helper_user = alliance.outsider
    grant_admin = accounts.create_user(
        "chief@alliance.test", make_library("ALLY"), "admin", "a-password-42", alliance_admin=True
    )
    filters = [
        workspace.Filter(),
        workspace.Filter(status="draft"),
        workspace.Filter(collection=second.slug),
        workspace.Filter(contributor=alliance.colleague.id),
        workspace.Filter(status="submitted", collection=second.slug),
        workspace.Filter(collection="no-such-collection"),
        workspace.Filter(scope="review"),
        workspace.Filter(scope="review", status="submitted"),
    ]
    people = (alliance.contributor, alliance.reviewer, helper_user)
    for user in people:
        for chosen in filters:
            page = workspace.records_page(user, chosen)
            assert page.total == counted(user, chosen), (user.email, chosen)
    assert workspace.records_page(alliance.contributor, workspace.Filter()).total == 3
    assert workspace.review_queue_count(alliance.reviewer) == 1  # 外; 人参 is elsewhere

    # Paired support: the helper's library counts the partner's records of the granted collection.
    support.grant_support(
        grant_admin,
        alliance.other,
        alliance.home,
        [second],
        utcnow() + timedelta(days=1),
    )
    for chosen in filters:
        assert workspace.records_page(helper_user, chosen).total == counted(helper_user, chosen)
    assert workspace.records_page(helper_user, workspace.Filter()).total == 2

    browser = login(alliance.contributor)
    html = browser.get("/workspace/?status=draft").get_data(as_text=True)
    assert 'id="result-count">1 ' in html
    assert titles(html) == ["红松"]


def test_one_or_two_chinese_characters_find_titles_and_identifier_prefixes(
    alliance, make_record, login
):
    make_record(alliance.collection, alliance.contributor, title="东北虎", local_id="虎甲-1")
    make_record(
        alliance.collection, alliance.contributor, status=RecordStatus.DRAFT, title="东北红豆杉"
    )
    make_record(alliance.collection, alliance.contributor, title="杉木红", local_id="A-1")
    make_record(alliance.collection, alliance.outsider, title="红豆 外馆")
    browser = login(alliance.contributor)

    def shown(query: str) -> list[str]:
        answer = browser.get(f"/workspace/?{query}")
        assert answer.status_code == 200, query
        return titles(answer.get_data(as_text=True))

    assert shown("q=虎") == ["东北虎"]
    assert shown("q=红豆") == ["东北红豆杉"]
    assert shown("q=豆红") == []  # every character is there, not in that order
    assert shown("q=红") == ["东北红豆杉", "杉木红"]
    assert shown("q=虎甲") == ["东北虎"]  # the identifier starts with it
    assert shown("q=甲") == []  # inside the identifier, not at its start
    assert shown("q=东北 杉") == ["东北红豆杉"]
    assert shown("q=红豆&status=draft") == ["东北红豆杉"]
    assert shown("q=a-1") == ["杉木红"]  # Latin letters: case folded, as before
