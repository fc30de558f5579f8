"""Tried as a new user would: a second Huiku added as a source fills the one-stop search with
its records under a facet of their own, and a record withdrawn there leaves the search here at
the next run."""

from __future__ import annotations

from repository.models.harvest import HarvestRun, HarvestSource
from repository.models.jobs import JobState
from tests.harvest.peer import change_corpus
from tests.harvest.running import run_now


def harvest(source: HarvestSource, *, full: bool = False) -> HarvestRun:
    done = run_now(source, full=full)
    assert done.state is JobState.SUCCEEDED, done.message
    return done


def search(client, **arguments: str) -> dict:
    answer = client.get("/api/search", query_string=arguments)
    assert answer.status_code == 200
    return answer.get_json()


def titles(answer: dict) -> set[str]:
    return {hit["title"] for hit in answer["hits"]}


def test_a_peers_records_are_searched_here_and_a_withdrawal_there_reaches_the_search(
    peer, make_source, make_library, client
):
    library = make_library("JL-UNIV")
    source = make_source(
        f"{peer.server.url}/oai", slug="peer-huiku", name="邻馆汇库", library=library
    )

    harvest(source, full=True)

    everything = search(client, q="地方志", source="peer-huiku")
    assert titles(everything) == {"吉林通志", "长白山江岗志略", "鸡林旧闻录"}
    hit = search(client, q="通志")["hits"][0]
    assert hit["title"] == "吉林通志"
    assert hit["kind"] == "harvested" and hit["source_name"] == "邻馆汇库"
    assert "/harvested/h-" in hit["url"]
    facet = next(f for f in search(client, q="地方志")["facets"] if f["name"] == "source")
    assert {value["value"]: value["count"] for value in facet["values"]}["peer-huiku"] == 3
    assert search(client, q="地方志", f="library:JL-UNIV")["total"] == 3
    page = client.get(hit["url"])
    assert page.status_code == 200
    assert "邻馆汇库" in page.get_data(as_text=True)

    change_corpus(peer)  # there: one record added, one changed, "长白山江岗志略" withdrawn
    harvest(source)

    assert titles(search(client, q="地方志", source="peer-huiku")) == {
        "吉林通志（光绪本）",
        "鸡林旧闻录",
        "吉林外记",
    }
    assert search(client, q="江岗", source="peer-huiku")["total"] == 0
