"""Duplicates across libraries through the web: a form save flags, a reviewer compares the two
records side by side and merges them or keeps both; old addresses lead to the merged record."""

import pytest
from sqlalchemy import select

from repository.extensions import db
from repository.models import DuplicateCandidate, DuplicateState, RecordStatus
from repository.services import records
from tests.conftest import csrf_token_from
from tests.factories import jpeg_bytes


@pytest.fixture
def plants(make_collection):
    return make_collection("natural_history", slug="changbaishan")


@pytest.fixture
def reviewer(make_user, plants):
    return make_user("reviewer", reviews=[plants])


FORM = {
    "title": "人參",
    "scientific_name": "Panax ginseng",
    "kingdom": "植物",
    "locality": "吉林省抚松县",
}


def only_pair() -> DuplicateCandidate:
    return db.session.scalars(select(DuplicateCandidate)).one()


def new_record_through_the_form(client, local_id: str):
    url = "/workspace/collections/changbaishan/records/new"
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token_from(client, url),
            "local_id": local_id,
            **FORM,
            "new_images": [(jpeg_bytes((320, 240), "tomato"), "wild.jpg")],
            "new_image_labels": "野生",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def flagged_pair(login, plants, make_user, make_record, reviewer):
    """A published 人参 of one library, and the same plant entered through the form by another."""
    published = make_record(plants, images=1, aliases=[])
    contributor = make_user("contributor")
    new_record_through_the_form(login(contributor, separate=True), "FS-0009")
    pair = only_pair()
    entered = pair.other(published)
    assert entered.local_id == "FS-0009"
    records.submit_record(contributor, entered)
    return pair, published, entered


def test_a_record_saved_through_the_form_is_flagged_and_shown_to_the_reviewer(
    flagged_pair, login, reviewer
):
    pair, published, entered = flagged_pair
    assert pair.state is DuplicateState.OPEN
    assert pair.reasons == ["name", "scientific_name"]
    browser = login(reviewer)

    workspace = browser.get("/workspace/").get_data(as_text=True)
    assert 'href="/workspace/duplicates/"' in workspace
    listing = browser.get("/workspace/duplicates/")
    assert listing.status_code == 200
    assert f'href="/workspace/duplicates/{pair.id}"' in listing.get_data(as_text=True)

    page = browser.get(f"/workspace/duplicates/{pair.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for record in (published, entered):
        assert f"/records/{record.public_id}" in html
        assert record.library.name_zh in html
        assert record.local_id in html
        assert f'value="{record.public_id}"' in html  # a choice of survivor
    assert "Panax ginseng C. A. Mey." in html and "吉林省抚松县" in html
    for asset in published.assets + entered.assets:
        thumb = f"/assets/{asset.public_id}/thumb-200.jpg"
        assert thumb in html
        assert browser.get(thumb).status_code == 200  # the reviewer may see the draft's image
    assert html.count('name="csrf_token"') >= 2


def test_merging_through_the_page_credits_both_and_redirects_the_old_address(
    flagged_pair, login, reviewer, client
):
    pair, published, entered = flagged_pair
    browser = login(reviewer)
    page = f"/workspace/duplicates/{pair.id}"
    response = browser.post(
        f"{page}/merge",
        data={"csrf_token": csrf_token_from(browser, page), "survivor": published.public_id},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/records/{published.public_id}")
    record_page = browser.get(f"/records/{published.public_id}").get_data(as_text=True)
    assert published.library.name_zh in record_page and entered.library.name_zh in record_page
    db.session.refresh(published)
    assert [a.label for a in published.assets] == ["图 0", "野生"]
    assert db.session.get(DuplicateCandidate, pair.id).state is DuplicateState.MERGED

    # Anyone following the old address, the record's JSON included, lands on the survivor.
    anonymous = client
    browser.post("/logout", data={"csrf_token": csrf_token_from(browser, "/workspace/")})
    for suffix in ("", ".json"):
        old = anonymous.get(f"/records/{entered.public_id}{suffix}")
        assert old.status_code == 301
        assert old.headers["Location"].endswith(f"/records/{published.public_id}{suffix}")
    document = anonymous.get(f"/records/{published.public_id}.json").get_json()
    assert document["contributors"] == [published.library.code, entered.library.code]
    # IIIF change discovery tells aggregators: the survivor changed, the other is gone.
    changes = anonymous.get("/iiif/discovery/changes").get_json(force=True)
    last = anonymous.get(changes["last"]["id"].removeprefix("http://huiku.test")).get_json(
        force=True
    )
    latest = [(a["type"], a["object"]["id"].rsplit("/", 1)[1]) for a in last["orderedItems"]][-1:]
    assert latest == [("Update", published.public_id)]


def test_an_address_merged_twice_leads_to_the_last_record(
    plants, make_record, make_user, reviewer, client
):
    from ingest.duplicates import merge_pair

    first, second, third = (make_record(plants) for _ in range(3))

    def pair(a, b):
        low, high = sorted((a.id, b.id))
        return db.session.scalar(
            select(DuplicateCandidate.id).where(
                DuplicateCandidate.record_low_id == low, DuplicateCandidate.record_high_id == high
            )
        )

    merge_pair(reviewer, pair(first, second), second.public_id)
    merge_pair(reviewer, pair(second, third), third.public_id)
    response = client.get(f"/records/{first.public_id}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/records/{third.public_id}")
    assert client.get(response.headers["Location"]).status_code == 200


def test_keeping_both_through_the_page(flagged_pair, login, reviewer):
    pair, _published, entered = flagged_pair
    browser = login(reviewer)
    page = f"/workspace/duplicates/{pair.id}"
    response = browser.post(
        f"{page}/keep-both", data={"csrf_token": csrf_token_from(browser, page)}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/workspace/duplicates/")
    assert db.session.get(DuplicateCandidate, pair.id).state is DuplicateState.KEPT_BOTH
    listing = browser.get("/workspace/duplicates/").get_data(as_text=True)
    assert f"/workspace/duplicates/{pair.id}" not in listing
    assert browser.get(f"/records/{entered.public_id}").status_code == 200


def test_a_contributor_cannot_see_or_decide(flagged_pair, login, make_user):
    pair, _published, entered = flagged_pair
    contributor = entered.library.users[0]
    browser = login(contributor)
    assert browser.get("/workspace/duplicates/").status_code == 403
    assert browser.get(f"/workspace/duplicates/{pair.id}").status_code == 404
    token = csrf_token_from(browser, "/workspace/")
    for action in ("merge", "keep-both"):
        response = browser.post(
            f"/workspace/duplicates/{pair.id}/{action}",
            data={"csrf_token": token, "survivor": entered.public_id},
        )
        assert response.status_code == 403
    assert db.session.get(DuplicateCandidate, pair.id).state is DuplicateState.OPEN
    assert 'href="/workspace/duplicates/"' not in browser.get("/workspace/").get_data(as_text=True)


def test_a_reviewer_of_another_collection_cannot_decide(
    flagged_pair, login, make_user, make_collection
):
    pair, _published, entered = flagged_pair
    outsider = make_user("reviewer", reviews=[make_collection("ich")])
    browser = login(outsider)
    assert browser.get(f"/workspace/duplicates/{pair.id}").status_code == 404
    assert f"/workspace/duplicates/{pair.id}" not in browser.get("/workspace/duplicates/").get_data(
        as_text=True
    )
    response = browser.post(
        f"/workspace/duplicates/{pair.id}/merge",
        data={"csrf_token": csrf_token_from(browser, "/workspace/"), "survivor": entered.public_id},
    )
    assert response.status_code == 403
    db.session.refresh(entered)
    assert entered.status is RecordStatus.SUBMITTED


def test_a_pair_decided_in_another_window_is_refused_with_the_reason(
    flagged_pair, login, reviewer, make_user, plants
):
    pair, _published, entered = flagged_pair
    page = f"/workspace/duplicates/{pair.id}"
    first = login(reviewer, separate=True)
    second = login(make_user("reviewer", reviews=[plants]), separate=True)
    first_token, second_token = csrf_token_from(first, page), csrf_token_from(second, page)
    merged = first.post(
        f"{page}/merge", data={"csrf_token": first_token, "survivor": entered.public_id}
    )
    assert merged.status_code == 303
    late = second.post(f"{page}/keep-both", data={"csrf_token": second_token})
    assert late.status_code == 409
    assert "这两条记录已经合并过了" in late.get_data(as_text=True)
    assert db.session.get(DuplicateCandidate, pair.id).state is DuplicateState.MERGED


def test_bad_posts_change_nothing(flagged_pair, login, reviewer):
    pair, published, _entered = flagged_pair
    browser = login(reviewer)
    page = f"/workspace/duplicates/{pair.id}"
    token = csrf_token_from(browser, page)
    no_choice = browser.post(f"{page}/merge", data={"csrf_token": token})
    assert no_choice.status_code == 400
    assert "请选择保留两条记录中的哪一条" in no_choice.get_data(as_text=True)
    unknown = browser.post(f"{page}/merge", data={"csrf_token": token, "survivor": "zzzzzzzzzz"})
    assert unknown.status_code == 400
    forged = browser.post(f"{page}/merge", data={"survivor": published.public_id})
    assert forged.status_code == 400
    assert browser.get("/workspace/duplicates/999999").status_code == 404
    assert db.session.get(DuplicateCandidate, pair.id).state is DuplicateState.OPEN
