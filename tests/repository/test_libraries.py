"""A public page per member library, linked from every record it contributed."""

from repository.extensions import db
from repository.models import RecordStatus


def test_the_library_page_shows_who_it_is_and_what_it_contributed(
    client, make_library, make_collection, make_record, make_user
):
    library = make_library("JL-SL", "吉林省图书馆")
    library.name_en, library.region = "Jilin Provincial Library", "吉林省长春市"
    library.website, library.description_zh = "https://www.jllib.cn/", "省级公共图书馆。"
    db.session.flush()
    flora = make_collection(slug="flora")
    contributor = make_user("contributor", library=library)
    make_record(flora, contributor, images=2)
    make_record(flora, contributor)
    make_record(flora, contributor, status=RecordStatus.DRAFT)
    page = client.get("/libraries/JL-SL?lang=zh").get_data(as_text=True)
    for text in ("吉林省图书馆", "Jilin Provincial Library", "吉林省长春市", "省级公共图书馆。"):
        assert text in page
    assert 'href="https://www.jllib.cn/"' in page and 'href="/collections/flora"' in page
    assert '<td class="num">2</td>' in page  # two published records, the draft not counted
    assert "草稿" not in page  # drafts are for members only
    assert "/libraries/JL-SL/stats" not in page
    english = client.get("/libraries/JL-SL?lang=en").get_data(as_text=True)
    assert "<h1>Jilin Provincial Library</h1>" in english and "Contributions" in english


def test_members_find_their_private_statistics_from_the_library_page(
    client, make_library, make_user, login
):
    library = make_library("JL-SL")
    login(make_user("contributor", library=library))
    assert "/libraries/JL-SL/stats" in client.get("/libraries/JL-SL").get_data(as_text=True)


def test_every_record_links_to_the_page_of_its_library(client, make_collection, make_record):
    record = make_record(make_collection())
    page = client.get(f"/records/{record.public_id}").get_data(as_text=True)
    assert f'href="/libraries/{record.library.code}"' in page


def test_the_list_of_libraries_and_an_unknown_library(client, make_library):
    make_library("YB-LIB", "延边图书馆")
    assert 'href="/libraries/YB-LIB"' in client.get("/libraries").get_data(as_text=True)
    missing = client.get("/libraries/NOPE?lang=en")
    assert missing.status_code == 404 and "no library NOPE" in missing.get_data(as_text=True)
