"""A merge chooses, field by field, whose value survives; the other values stay in the history."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ingest.duplicates import merge_pair
from ingest.duplicates.decisions import NotOneOfThePair
from repository.extensions import db
from repository.models import DuplicateCandidate, RecordStatus
from repository.models.notifications import Notification
from tests.conftest import submit_form
from tests.factories import SAMPLE_METADATA

PUBLISHED = RecordStatus.PUBLISHED


@pytest.fixture
def plants(make_collection):
    return make_collection("natural_history")


@pytest.fixture
def reviewer(make_user, plants):
    return make_user("reviewer", reviews=[plants])


def ginseng(**changes):
    return {**SAMPLE_METADATA["natural_history"], "aliases": [], **changes}


@pytest.fixture
def pair(plants, make_record, make_user, reviewer):
    first = make_record(
        plants, make_user(), **ginseng(habitat="针阔混交林下", distribution="抚松县")
    )
    second = make_record(plants, make_user(), **ginseng(habitat="林缘草地", distribution="安图县"))
    candidate = db.session.scalar(select(DuplicateCandidate))
    assert candidate is not None
    return first, second, candidate


def test_the_reviewer_chooses_which_librarys_value_survives(pair, reviewer):
    first, second, candidate = pair
    survivor = merge_pair(
        reviewer,
        candidate.id,
        first.public_id,
        choices={"habitat": second.public_id, "distribution": first.public_id, "nonsense": "x"},
    )
    assert survivor.metadata_["habitat"] == "林缘草地"  # the other library's
    assert survivor.metadata_["distribution"] == "抚松县"  # its own
    merge = survivor.revisions[0]
    assert merge.action == "merge"
    assert merge.metadata_before["habitat"] == "针阔混交林下"
    assert merge.metadata_after["habitat"] == "林缘草地"
    assert "安图县" in merge.comment and second.library.code in merge.comment
    db.session.refresh(second)
    assert second.status is RecordStatus.WITHDRAWN
    assert second.metadata_["distribution"] == "安图县"  # the merged record keeps its own values


def test_a_choice_of_a_record_outside_the_pair_is_refused(pair, reviewer, make_record, plants):
    first, _second, candidate = pair
    with pytest.raises(NotOneOfThePair):
        merge_pair(reviewer, candidate.id, first.public_id, choices={"habitat": "zzzzzzzzzz"})
    db.session.refresh(candidate)
    assert candidate.state.value == "open"


def test_the_comparison_page_merges_with_the_ticked_values(pair, reviewer, login):
    first, second, candidate = pair
    browser = login(reviewer)
    url = f"/workspace/duplicates/{candidate.id}"
    page = browser.get(url).get_data(as_text=True)
    assert f'name="keep_habitat" value="{second.public_id}"' in page
    assert 'name="keep_local_id"' not in page
    answer = submit_form(
        browser,
        url,
        {"survivor": first.public_id, "keep_habitat": second.public_id},
        action=f"{url}/merge",
    )
    assert answer.status_code == 303
    db.session.refresh(first)
    assert first.metadata_["habitat"] == "林缘草地"
    bad = submit_form(
        browser,
        url,
        {"survivor": first.public_id, "keep_distribution": "other"},
        action=f"{url}/merge",
    )
    assert bad.status_code == 409  # already merged: the stale pair is named, not a 500


def test_reviewers_are_told_of_new_pairs(pair, reviewer):
    texts = db.session.scalars(
        select(Notification.text_en).where(Notification.user_id == reviewer.id)
    ).all()
    assert any(text.startswith("New possible duplicates across libraries") for text in texts)
