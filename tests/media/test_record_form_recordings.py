"""A cataloguer attaches a video and a sound to an ICH record through the form, as a new user
would; later relabels one and removes the other in the edit form."""

from __future__ import annotations

from sqlalchemy import select

from repository.extensions import db
from repository.models import Record
from repository.services import records
from tests.conftest import csrf_token_from
from tests.media.test_bad_recordings import FIELDS, FORM, post


def test_recordings_through_the_form_then_relabelled_and_removed(
    login, make_user, ich, sample, client
):
    contributor = make_user("contributor")
    browser = login(contributor)
    form_page = browser.get(FORM).get_data(as_text=True)
    assert ".mp4" in form_page and "也可添加音视频" in form_page  # the input takes them

    response = post(
        browser,
        [
            ("二人转.mp4", sample("clip.mp4").read_bytes()),
            ("号子.wav", sample("tone.wav").read_bytes()),
        ],
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    record = db.session.scalar(select(Record).where(Record.local_id == FIELDS["local_id"]))
    film, song = record.recordings
    assert (film.label, film.kind.value, song.kind.value) == ("二人转", "video", "audio")
    page = browser.get(f"/records/{record.public_id}").get_data(as_text=True)
    assert f"/media/{film.public_id}/play" in page and f"/media/{song.public_id}/play" in page

    edit = f"/workspace/records/{record.public_id}/edit"
    data = {
        "csrf_token": csrf_token_from(browser, edit),
        **FIELDS,
        f"recording_label-{film.public_id}": "二人转《西厢》选段",
        f"recording_label-{song.public_id}": song.label,
        "remove_recording": [song.public_id],
    }
    response = browser.post(edit, data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]

    db.session.expire_all()
    [kept] = db.session.get(Record, record.id).recordings
    assert (kept.public_id, kept.label) == (film.public_id, "二人转《西厢》选段")
    records.submit_record(contributor, record)
    records.publish_record(make_user("admin", library=contributor.library), record)
    manifest = client.get(f"/iiif/3/manifests/{record.public_id}").get_json()
    assert [canvas["label"] for canvas in manifest["items"]] == [{"none": ["二人转《西厢》选段"]}]


def test_the_edit_form_orders_images_and_recordings_together(login, make_user, ich, sample):
    from tests.factories import jpeg_bytes

    browser = login(make_user("contributor"))
    files = [
        ("舞台.jpg", jpeg_bytes().getvalue()),
        ("二人转.mp4", sample("clip.mp4").read_bytes()),
        ("号子.wav", sample("tone.wav").read_bytes()),
    ]
    assert post(browser, files).status_code == 302
    record = db.session.scalar(select(Record).where(Record.local_id == FIELDS["local_id"]))
    [photo] = record.assets
    film, song = record.recordings
    edit = f"/workspace/records/{record.public_id}/edit"
    page = browser.get(edit).get_data(as_text=True)
    assert f'name="recording_position-{film.public_id}" value="2"' in page

    # The sound first, then the photograph, then the video.
    data = {
        "csrf_token": csrf_token_from(browser, edit),
        **FIELDS,
        "images-0-asset_id": photo.public_id,
        "images-0-caption": photo.label,
        "images-0-position": "2",
        f"recording_label-{film.public_id}": film.label,
        f"recording_position-{film.public_id}": "3",
        f"recording_label-{song.public_id}": song.label,
        f"recording_position-{song.public_id}": "1",
    }
    response = browser.post(edit, data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]

    db.session.expire_all()
    record = db.session.get(Record, record.id)
    places = sorted(
        [(a.position, a.public_id) for a in record.assets]
        + [(r.position, r.public_id) for r in record.recordings]
    )
    assert [public_id for _, public_id in places] == [
        song.public_id,
        photo.public_id,
        film.public_id,
    ]
    page = browser.get(edit).get_data(as_text=True)
    assert f'name="recording_position-{song.public_id}" value="1"' in page
    assert f'name="recording_position-{film.public_id}" value="3"' in page
