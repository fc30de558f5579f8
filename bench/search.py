"""Search benchmark: query latency through Huiku's HTTP API, reindex throughput, embedded search.

    python bench/search.py [--records 200000] [--embedded-records 20000] [--queries 300] [--quick]

It builds throwaway instances in a temporary folder (SQLite database, synthetic natural-history
records with Chinese and English text and five facets), loads them into the Elasticsearch node of
``scripts/services/elasticsearch.sh`` behind the alias ``huiku-bench`` and into the embedded
backend, serves each instance with gunicorn (``huiku serve``) and measures:

* query latency of ``/api/search`` against the same query body sent straight to Elasticsearch,
  query by query, over one keep-alive connection each;
* ``search.indexing.reindex`` against a plain ``elasticsearch.helpers.bulk`` of the same
  documents, prebuilt into a JSONL file beforehand;
* the embedded backend's latency through the same HTTP API.

It prints a table and writes ``bench/results/search.json`` (``--quick`` writes only with
``--output``, so a smoke run never replaces the full figures). The indices it made are deleted at
the end; the Elasticsearch node keeps running.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.metadata
import json
import os
import platform
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Huiku reads HUIKU_* variables when an app is created; the benchmark configures its own
# instances, so nothing from the caller's shell may leak into them.
for _name in [name for name in os.environ if name.startswith("HUIKU_")]:
    del os.environ[_name]

from elasticsearch import Elasticsearch, helpers  # noqa: E402
from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from repository.app import create_app  # noqa: E402
from repository.chinese import pinyin_sort_key  # noqa: E402
from repository.extensions import db  # noqa: E402
from repository.models import Collection, Library, Record, RecordStatus  # noqa: E402
from repository.models.base import PUBLIC_ID_ALPHABET  # noqa: E402
from repository.profiles import get_profile  # noqa: E402
from search.backends.elasticsearch import (  # noqa: E402
    BULK_CHUNK,
    INDEX_SETTINGS,
    build_query_body,
    index_mapping,
)
from search.engine import search_backend  # noqa: E402
from search.indexing import REINDEX_BATCH, published_documents, reindex  # noqa: E402
from search.query import SearchRequest  # noqa: E402

ALIAS = "huiku-bench"
RAW_INDEX = f"{ALIAS}-raw-bulk"
WARMUP_INDEX = f"{ALIAS}-warmup"
COLLECTION_SLUG = "changbaishan"
RESULTS = ROOT / "bench" / "results" / "search.json"
SEED = 20240618
PER_PAGE = 20
WARMUP_QUERIES = 30
INSERT_BATCH = 5_000
SERVER_WORKERS = 2

GOAL_P95_MS = 100.0
GOAL_OVERHEAD = 1.5
GOAL_REINDEX_RATIO = 0.5

PROFILE = get_profile("natural_history")
FACETS = ("kingdom", "family", "locality", "photographer", "protection_level")


# --- synthetic records --------------------------------------------------------------------------


@dataclass(frozen=True)
class Taxon:
    """The second half of a Chinese name and what it implies: kingdom, family, genus, English."""

    name: str
    kingdom: str
    family: str
    genus: str
    english: str


TAXA = (
    Taxon("松", "植物", "松科 Pinaceae", "Pinus", "pine"),
    Taxon("云杉", "植物", "松科 Pinaceae", "Picea", "spruce"),
    Taxon("冷杉", "植物", "松科 Pinaceae", "Abies", "fir"),
    Taxon("落叶松", "植物", "松科 Pinaceae", "Larix", "larch"),
    Taxon("红豆杉", "植物", "红豆杉科 Taxaceae", "Taxus", "yew"),
    Taxon("参", "植物", "五加科 Araliaceae", "Panax", "ginseng"),
    Taxon("五加", "植物", "五加科 Araliaceae", "Eleutherococcus", "eleuthero"),
    Taxon("兰", "植物", "兰科 Orchidaceae", "Cypripedium", "lady's slipper orchid"),
    Taxon("杜鹃", "植物", "杜鹃花科 Ericaceae", "Rhododendron", "rhododendron"),
    Taxon("百合", "植物", "百合科 Liliaceae", "Lilium", "lily"),
    Taxon("龙胆", "植物", "龙胆科 Gentianaceae", "Gentiana", "gentian"),
    Taxon("桦", "植物", "桦木科 Betulaceae", "Betula", "birch"),
    Taxon("槭", "植物", "无患子科 Sapindaceae", "Acer", "maple"),
    Taxon("椴", "植物", "锦葵科 Malvaceae", "Tilia", "linden"),
    Taxon("罂粟", "植物", "罂粟科 Papaveraceae", "Papaver", "poppy"),
    Taxon("乌头", "植物", "毛茛科 Ranunculaceae", "Aconitum", "monkshood"),
    Taxon("虎", "动物", "猫科 Felidae", "Panthera", "tiger"),
    Taxon("豹", "动物", "猫科 Felidae", "Panthera", "leopard"),
    Taxon("鹿", "动物", "鹿科 Cervidae", "Cervus", "deer"),
    Taxon("狍", "动物", "鹿科 Cervidae", "Capreolus", "roe deer"),
    Taxon("熊", "动物", "熊科 Ursidae", "Ursus", "bear"),
    Taxon("貂", "动物", "鼬科 Mustelidae", "Martes", "sable"),
    Taxon("松鼠", "动物", "松鼠科 Sciuridae", "Sciurus", "squirrel"),
    Taxon("啄木鸟", "动物", "啄木鸟科 Picidae", "Dendrocopos", "woodpecker"),
    Taxon("山雀", "动物", "山雀科 Paridae", "Parus", "tit"),
    Taxon("鹰", "动物", "鹰科 Accipitridae", "Accipiter", "hawk"),
    Taxon("林蛙", "动物", "蛙科 Ranidae", "Rana", "wood frog"),
    Taxon("凤蝶", "动物", "凤蝶科 Papilionidae", "Papilio", "swallowtail"),
    Taxon("松茸", "真菌", "口蘑科 Tricholomataceae", "Tricholoma", "matsutake"),
    Taxon("木耳", "真菌", "木耳科 Auriculariaceae", "Auricularia", "wood ear"),
    Taxon("灵芝", "真菌", "多孔菌科 Polyporaceae", "Ganoderma", "lingzhi"),
    Taxon("牛肝菌", "真菌", "牛肝菌科 Boletaceae", "Boletus", "bolete"),
    Taxon("猴头菇", "真菌", "猴头菌科 Hericiaceae", "Hericium", "lion's mane"),
    Taxon("榛蘑", "真菌", "泡头菌科 Physalacriaceae", "Armillaria", "honey mushroom"),
    Taxon("鸡油菌", "真菌", "鸡油菌科 Cantharellaceae", "Cantharellus", "chanterelle"),
)

# First half of a Chinese name, with the Latin epithet it suggests.
QUALIFIERS = (
    ("东北", "mandshurica"),
    ("长白", "changbaiensis"),
    ("朝鲜", "koreana"),
    ("红", "rubra"),
    ("黑", "nigra"),
    ("白", "alba"),
    ("黄", "lutea"),
    ("紫", "purpurea"),
    ("大", "major"),
    ("小", "minor"),
    ("高山", "alpina"),
    ("兴安", "dahurica"),
    ("辽东", "liaotungensis"),
    ("天池", "tianchiensis"),
    ("日本", "japonica"),
    ("西伯利亚", "sibirica"),
    ("毛", "pubescens"),
    ("细叶", "tenuifolia"),
    ("宽叶", "latifolia"),
    ("斑", "maculata"),
    ("金", "aurea"),
    ("青", "viridis"),
    ("山", "montana"),
    ("北方", "borealis"),
    ("乌苏里", "ussuriensis"),
    ("阿穆尔", "amurensis"),
    ("吉林", "jilinensis"),
)
AUTHORITIES = ("L.", "Maxim.", "Nakai", "Kom.", "C. A. Mey.", "Sieb. et Zucc.", "Rupr.", "Turcz.")

LOCALITIES = (
    "长白山北坡",
    "长白山西坡",
    "长白山南坡",
    "长白山天池",
    "二道白河镇",
    "抚松县",
    "安图县",
    "长白朝鲜族自治县",
    "临江市",
    "靖宇县",
    "敦化市",
    "和龙市",
    "汪清县",
    "珲春市",
    "蛟河市",
    "集安市",
    "通化县",
    "白山市",
    "延吉市",
    "露水河林业局",
    "黄松蒲林场",
    "松江河镇",
    "漫江镇",
    "泉阳林业局",
    "红石林业局",
    "白河林业局",
    "老黑河",
    "锦江大峡谷",
    "王池",
    "小天池",
)
HABITATS = (
    ("针阔混交林", "mixed coniferous and broadleaf forest"),
    ("暗针叶林", "dark coniferous forest"),
    ("岳桦林带", "Erman's birch woodland"),
    ("高山苔原", "alpine tundra"),
    ("河谷湿地", "river valley wetland"),
    ("林缘草地", "forest-edge meadow"),
    ("火山灰石砾地", "volcanic scree"),
)
SLOPES = ("northern", "western", "southern")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙朱马胡郭林何高金崔朴姜韩"
GIVEN = "志强伟明华红海林春雪光文玉英国东军平建丽秀松峰宏"
PROTECTION = (("无", 70), ("省级", 15), ("国家二级", 10), ("国家一级", 5))
LIBRARIES = (
    ("JL-SL", "吉林省图书馆", "Jilin Provincial Library"),
    ("JL-CC", "长春市图书馆", "Changchun Library"),
    ("JL-YB", "延边朝鲜族自治州图书馆", "Yanbian Korean Autonomous Prefecture Library"),
    ("JL-BS", "白山市图书馆", "Baishan Library"),
    ("JL-TH", "通化市图书馆", "Tonghua Library"),
    ("JL-JLU", "吉林大学图书馆", "Jilin University Library"),
)


class RecordMaker:
    """Deterministic synthetic records (same seed, same records) that the profile accepts."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.photographers = sorted(
            {
                self.rng.choice(SURNAMES)
                + "".join(self.rng.choices(GIVEN, k=self.rng.choice((1, 2))))
                for _ in range(240)
            }
        )
        self.public_ids: set[str] = set()

    def public_id(self) -> str:
        while True:
            candidate = "".join(self.rng.choices(PUBLIC_ID_ALPHABET, k=10))
            if candidate not in self.public_ids:
                self.public_ids.add(candidate)
                return candidate

    def metadata(self, local_id: str) -> dict[str, Any]:
        rng = self.rng
        taxon = rng.choice(TAXA)
        qualifier, epithet = rng.choice(QUALIFIERS)
        title = qualifier + taxon.name
        scientific = f"{taxon.genus} {epithet}"
        if rng.random() < 0.7:
            scientific += " " + rng.choice(AUTHORITIES)
        habitat_zh, habitat_en = rng.choice(HABITATS)
        low = rng.randrange(300, 2000, 50)
        high = low + rng.randrange(100, 800, 50)
        year = rng.randint(1975, 2024)
        month = rng.randint(1, 12)
        shape = rng.random()
        if shape < 0.6:
            date = f"{year}-{month:02d}-{rng.randint(1, 28):02d}"
        elif shape < 0.85:
            date = f"{year}-{month:02d}"
        else:
            date = str(year)
        locality = rng.choice(LOCALITIES)
        photographers = rng.sample(self.photographers, k=1 if rng.random() < 0.8 else 2)
        protection = rng.choices(
            [level for level, _ in PROTECTION], weights=[w for _, w in PROTECTION]
        )[0]
        description = (
            f"{title}，{taxon.family.split()[0]}{taxon.genus}属。多见于{habitat_zh}，"
            f"海拔{low}–{high}米，{locality}有记录。"
            f"A {taxon.english} of the {habitat_en} on the {rng.choice(SLOPES)} slope of "
            f"Changbai Mountain, photographed in {year}."
        )
        return {
            "local_id": local_id,
            "title": title,
            "scientific_name": scientific,
            "kingdom": taxon.kingdom,
            "family": taxon.family,
            "locality": locality,
            "photographer": photographers,
            "date": date,
            "protection_level": protection,
            "description": description,
        }


@lru_cache(maxsize=8192)
def _title_sort(title: str) -> str:
    return pinyin_sort_key(title)


def record_rows(
    maker: RecordMaker, count: int, collection_id: int, libraries: list[tuple[int, str]]
) -> Iterator[dict[str, Any]]:
    """Rows for the record table, computed the way the record services compute them."""
    now = datetime.now(UTC)
    for number in range(count):
        library_id, code = libraries[number % len(libraries)]
        metadata = maker.metadata(f"{code}-{number:07d}")
        years = PROFILE.year_range_of(metadata)
        published = now - timedelta(days=3650 * maker.rng.random(), hours=1)
        yield {
            "public_id": maker.public_id(),
            "collection_id": collection_id,
            "library_id": library_id,
            "local_id": metadata["local_id"],
            "status": RecordStatus.PUBLISHED,
            "metadata": metadata,
            "title": PROFILE.title_of(metadata),
            "title_sort": _title_sort(PROFILE.title_of(metadata)),
            "year_start": years.start if years else None,
            "year_end": years.end if years else None,
            "review_comment": "",
            "created_at": published,
            "updated_at": published,
            "published_at": published,
        }


def text_queries(count: int, seed: int) -> list[str]:
    """What readers type: one to three Chinese characters, Latin names, a few English words."""
    rng = random.Random(seed)
    chinese = sorted(
        {t.name for t in TAXA if len(t.name) <= 3}
        | {q for q, _ in QUALIFIERS if len(q) <= 3}
        | {t.name[0] for t in TAXA}
        | {q + t.name for q, _ in QUALIFIERS for t in TAXA if len(q + t.name) <= 3}
        | {"天池", "北坡", "林蛙", "人参", "梅花鹿", "杉"}
    )
    latin = sorted({t.genus for t in TAXA} | {e for _, e in QUALIFIERS})
    latin_pairs = [f"{t.genus} {e}" for t in TAXA for _, e in QUALIFIERS]
    english = sorted({t.english for t in TAXA if " " not in t.english} | {"forest", "Fungi"})
    queries = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.55:
            queries.append(rng.choice(chinese))
        elif kind < 0.75:
            queries.append(rng.choice(latin))
        elif kind < 0.85:
            queries.append(rng.choice(latin_pairs))
        else:
            queries.append(rng.choice(english))
    return queries


# --- instances ----------------------------------------------------------------------------------


@dataclass
class Instance:
    app: Flask
    folder: Path
    environment: dict[str, str]  # HUIKU_* variables for `huiku serve`
    records: int


def create_instance(
    folder: Path, records: int, *, elasticsearch_url: str | None, seed: int
) -> Instance:
    """A fresh instance with one natural-history collection holding ``records`` published rows."""
    folder.mkdir(parents=True)
    settings = {
        "DATABASE_URL": f"sqlite:///{folder / 'huiku.sqlite3'}",
        "SEARCH_INDEX_PATH": str(folder / "search.sqlite3"),
        "ELASTICSEARCH_URL": elasticsearch_url,
        "ELASTICSEARCH_INDEX": ALIAS,
        "SECRET_KEY": "search-benchmark",
        "STORAGE_ROOT": str(folder / "storage"),
        "IIIF_CACHE_ROOT": str(folder / "iiif-cache"),
    }
    os.environ["HUIKU_INSTANCE_PATH"] = str(folder)
    try:
        app = create_app({**settings, "SEARCH_APPLY_ON_COMMIT": False})
    finally:
        del os.environ["HUIKU_INSTANCE_PATH"]
    with app.app_context():
        upgrade()
        libraries = [
            Library(code=c, name_zh=zh, name_en=en, region="吉林") for c, zh, en in LIBRARIES
        ]
        db.session.add_all(libraries)
        db.session.flush()
        collection = Collection(
            slug=COLLECTION_SLUG,
            profile_name=PROFILE.name,
            title_zh="长白山动植菌物图库",
            title_en="Plants, Animals and Fungi of Changbai Mountain",
            coordinating_library_id=libraries[0].id,
            published=True,
        )
        db.session.add(collection)
        db.session.flush()
        maker = RecordMaker(seed)
        rows = record_rows(maker, records, collection.id, [(lib.id, lib.code) for lib in libraries])
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == INSERT_BATCH:
                db.session.execute(insert(Record.__table__), batch)
                batch.clear()
        if batch:
            db.session.execute(insert(Record.__table__), batch)
        db.session.commit()
        sample = db.session.scalars(db.select(Record).limit(200)).all()
        for record in sample:  # the generator must only produce what the profile accepts
            PROFILE.validate(record.metadata_)
        db.session.remove()
    environment = {f"HUIKU_{key}": value for key, value in settings.items() if value}
    environment["HUIKU_INSTANCE_PATH"] = str(folder)
    return Instance(app, folder, environment, records)


# --- HTTP ---------------------------------------------------------------------------------------


class KeepAliveClient:
    """One persistent HTTP/1.1 connection; both sides of a comparison use this same client."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(
        self, method: str, path: str, body: bytes | None = None
    ) -> tuple[int, bytes, float]:
        """Status, body and seconds from sending the request to reading the last byte."""
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                payload = response.read()
            except (http.client.RemoteDisconnected, ConnectionError):
                self.connection.close()  # the server closed an idle connection: reconnect once
                if attempt == 2:
                    raise
                continue
            return response.status, payload, time.perf_counter() - started
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.connection.close()


def es_json(client: KeepAliveClient, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    status, payload, _ = client.request(method, path, data)
    if status >= 400:
        raise RuntimeError(f"{method} {path}: HTTP {status}: {payload[:500]!r}")
    return json.loads(payload) if payload else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_command(port: int) -> list[str]:
    huiku = Path(sys.executable).with_name("huiku")
    command = [str(huiku) if huiku.exists() else "huiku", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(SERVER_WORKERS)]
    usage = subprocess.run([*command[:2], "--help"], capture_output=True, text=True).stdout
    if "--outbox-interval" in usage:
        # No outbox thread in the gunicorn master: nothing is written during the benchmark, and
        # a thread running while the master forks its workers can hand them half-imported
        # modules (see bench/README.md).
        command += ["--outbox-interval", "0"]
    return command


@contextlib.contextmanager
def served(instance: Instance, log_path: Path) -> Iterator[str]:
    """The instance served by gunicorn through ``huiku serve``, as deployments run it."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HUIKU_")}
    environment.update(instance.environment)
    # This checkout first: in a virtualenv with the test extra, the PyPI package ``iiif`` (pulled
    # in by iiif-validator) would otherwise shadow Huiku's own ``iiif`` package.
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            serve_command(port),
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=instance.folder,
            start_new_session=True,  # its own process group: master and workers stop together
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(url, server, log_path)
            yield url
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def wait_until_serving(url: str, server: subprocess.Popen, log_path: Path) -> None:
    """Until a search answers 200; a server error or an exit stops the benchmark at once."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"huiku serve exited: {log_path.read_text()[-3000:]}")
        client = KeepAliveClient(url)
        try:
            status, payload, _ = client.request("GET", "/api/search?per_page=0")
        except OSError:
            status = 0
        finally:
            client.close()
        if status == 200:
            return
        if status >= 500:
            raise RuntimeError(
                f"huiku serve answered {status}: {payload[:300]!r}\n{log_path.read_text()[-3000:]}"
            )
        time.sleep(0.3)
    raise RuntimeError(f"huiku serve did not answer within 90 s: {log_path.read_text()[-3000:]}")


# --- measuring ----------------------------------------------------------------------------------


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    return {
        "p50_ms": round(cuts[49], 2),
        "p95_ms": round(cuts[94], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "max_ms": round(ms[-1], 2),
        "n": len(ms),
    }


@dataclass
class Phases:
    """Wall time of each step, reported so a slow run shows where the time went."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def timed(self, name: str) -> Iterator[None]:
        print(f"· {name} …", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - started, 2)
            print(f"  {name}: {self.seconds[name]:.1f} s", file=sys.stderr, flush=True)


def search_path(text: str) -> str:
    return "/api/search?" + urlencode({"q": text, "per_page": PER_PAGE})


def api_total(payload: bytes) -> int:
    return json.loads(payload)["total"]


def es_total(payload: bytes) -> int:
    total = json.loads(payload)["hits"]["total"]
    return total["value"] if isinstance(total, dict) else total


# --- Elasticsearch ------------------------------------------------------------------------------


def elasticsearch_url(given: str | None) -> str:
    """The given URL, or the node of scripts/services/elasticsearch.sh (started if need be)."""
    if given:
        return given.rstrip("/")
    script = ROOT / "scripts" / "services" / "elasticsearch.sh"
    subprocess.run([str(script), "start"], check=True, stdout=sys.stderr)
    return subprocess.run(
        [str(script), "url"], check=True, capture_output=True, text=True
    ).stdout.strip()


def delete_bench_indices(es: KeepAliveClient) -> list[str]:
    """Every index of this benchmark (behind the alias or named after it)."""
    names = set()
    status, payload, _ = es.request("GET", f"/_cat/indices/{ALIAS}*?format=json&h=index")
    if status == 200:
        names |= {row["index"] for row in json.loads(payload)}
    status, payload, _ = es.request("GET", f"/_alias/{ALIAS}")
    if status == 200:
        names |= set(json.loads(payload))
    for name in sorted(names):
        es.request("DELETE", f"/{name}")
    return sorted(names)


def wait_for_quiet_merges(es: KeepAliveClient, limit: float = 60.0) -> None:
    """Let background merges of an earlier load finish, so they do not slow the next one."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        stats = es_json(es, "GET", "/_nodes/stats/indices/merge")
        if all(n["indices"]["merges"]["current"] == 0 for n in stats["nodes"].values()):
            return
        time.sleep(0.5)


def jsonl_documents(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def raw_bulk_actions(path: Path, index: str) -> Iterator[dict[str, Any]]:
    for document in jsonl_documents(path):
        yield {"_op_type": "index", "_index": index, "_id": document["id"], "_source": document}


def raw_bulk_load(url: str, path: Path, index: str) -> int:
    """The floor: the same mapping and load-time settings Huiku's rebuild uses (no refreshes
    while loading), plain ``helpers.bulk`` of the prebuilt documents, then a refresh."""
    client = Elasticsearch(url, request_timeout=300)
    try:
        client.indices.create(
            index=index,
            settings={**INDEX_SETTINGS, "refresh_interval": "-1"},
            mappings=index_mapping(),
        )
        loaded, _ = helpers.bulk(
            client, raw_bulk_actions(path, index), chunk_size=BULK_CHUNK, stats_only=True
        )
        client.indices.put_settings(index=index, settings={"index": {"refresh_interval": None}})
        client.indices.refresh(index=index)
        return loaded
    finally:
        client.close()


# --- the benchmark ------------------------------------------------------------------------------


def measure_reindex(
    instance: Instance, url: str, work: Path, phases: Phases, es: KeepAliveClient
) -> dict[str, Any]:
    """``reindex`` (read, build, load, swap) against a plain bulk load of the same documents."""
    documents_path = work / "documents.jsonl"
    with phases.timed("prebuild documents into JSONL (untimed)"), instance.app.app_context():
        started = time.perf_counter()
        with documents_path.open("w", encoding="utf-8") as out:
            for document in published_documents():
                out.write(json.dumps(document, ensure_ascii=False) + "\n")
        prebuild_seconds = time.perf_counter() - started
        db.session.remove()
    with phases.timed("warm up the node with a scratch bulk (untimed)"):
        warmup_file = work / "warmup.jsonl"
        with documents_path.open(encoding="utf-8") as source, warmup_file.open("w") as out:
            out.writelines(line for _, line in zip(range(5_000), source, strict=False))
        raw_bulk_load(url, warmup_file, WARMUP_INDEX)
        es.request("DELETE", f"/{WARMUP_INDEX}")

    def raw_load(name: str) -> float:
        wait_for_quiet_merges(es)
        with phases.timed(name):
            started = time.perf_counter()
            loaded = raw_bulk_load(url, documents_path, RAW_INDEX)
            seconds = time.perf_counter() - started
        indexed = es_json(es, "GET", f"/{RAW_INDEX}/_count")["count"]
        es.request("DELETE", f"/{RAW_INDEX}")
        if loaded != instance.records or indexed != instance.records:
            raise RuntimeError(f"raw bulk loaded {loaded}, index holds {indexed}")
        return seconds

    # The raw load runs before and after Huiku's, and Huiku is compared with their mean, so a
    # machine getting busier or quieter during the run does not favour either side.
    raw_before = raw_load("raw helpers.bulk, before")
    wait_for_quiet_merges(es)
    with phases.timed("Huiku reindex"), instance.app.app_context():
        backend = search_backend(instance.app)
        backend.ensure_index()  # an index in service, as on a live instance
        started = time.perf_counter()
        count = reindex(backend)
        huiku_seconds = time.perf_counter() - started
        searchable = backend.status().documents
        db.session.remove()
    raw_after = raw_load("raw helpers.bulk, after")
    raw_seconds = (raw_before + raw_after) / 2
    huiku_rate = count / huiku_seconds
    raw_rate = instance.records / raw_seconds
    return {
        "records": instance.records,
        "huiku_indexed": count,
        "huiku_searchable_after": searchable,
        "huiku_seconds": round(huiku_seconds, 2),
        "raw_seconds": round(raw_seconds, 2),
        "raw_seconds_before_and_after": [round(raw_before, 2), round(raw_after, 2)],
        "huiku_records_per_s": round(huiku_rate, 1),
        "raw_records_per_s": round(raw_rate, 1),
        "ratio": round(huiku_rate / raw_rate, 3),
        "bulk_chunk_size": BULK_CHUNK,
        "database_read_batch": REINDEX_BATCH,
        "prebuild_seconds": round(prebuild_seconds, 2),
        "prebuild_note": "reading the database and building the documents (published_documents) "
        "plus writing JSONL; not part of either timing",
        "documents_jsonl_mb": round(documents_path.stat().st_size / 1e6, 1),
    }


def in_process_search_times(
    instance: Instance, queries: list[str], warmup: list[str]
) -> dict[str, float]:
    """``backend.search`` alone (engine plus turning its answer into hits), for information."""
    times: list[float] = []
    with instance.app.app_context():
        backend = search_backend(instance.app)
        for text in warmup:
            backend.search(SearchRequest(text=text, per_page=PER_PAGE))
        for text in queries:
            started = time.perf_counter()
            backend.search(SearchRequest(text=text, per_page=PER_PAGE))
            times.append(time.perf_counter() - started)
        db.session.remove()
    return summary_ms(times)


def facet_names(payload: bytes) -> list[str]:
    return [facet["name"] for facet in json.loads(payload)["facets"]]


def measure_elasticsearch_queries(
    instance: Instance, es_url: str, queries: list[str], warmup: list[str], work: Path
) -> dict[str, Any]:
    """Each query through Huiku's API and, right before or after it, its body straight to
    Elasticsearch; the totals of both must agree."""
    bodies = {
        q: json.dumps(build_query_body(SearchRequest(text=q, per_page=PER_PAGE))).encode()
        for q in queries + warmup
    }
    direct_path = f"/{ALIAS}/_search"
    times: dict[str, list[float]] = {"huiku": [], "direct": []}
    mismatched: list[dict[str, Any]] = []
    with served(instance, work / "gunicorn-elasticsearch.log") as url:
        api, es = KeepAliveClient(url), KeepAliveClient(es_url)
        sides = {
            "huiku": lambda text: api.request("GET", search_path(text)),
            "direct": lambda text: es.request("POST", direct_path, bodies[text]),
        }
        read_total = {"huiku": api_total, "direct": es_total}
        try:
            for text in warmup:
                sides["huiku"](text)
                sides["direct"](text)
            shown = facet_names(sides["huiku"](queries[0])[1])
            for number, text in enumerate(queries):
                order = ["huiku", "direct"] if number % 2 == 0 else ["direct", "huiku"]
                totals: dict[str, Any] = {}
                for side in order:  # alternating, so neither side always finds caches warm
                    status, payload, seconds = sides[side](text)
                    times[side].append(seconds)
                    totals[side] = read_total[side](payload) if status == 200 else status
                if totals["huiku"] != totals["direct"]:
                    mismatched.append({"q": text, **totals})
        finally:
            api.close()
            es.close()
    huiku, direct = summary_ms(times["huiku"]), summary_ms(times["direct"])
    return {
        "records": instance.records,
        "queries": len(queries),
        "warmup_queries": len(warmup),
        "huiku_api": huiku,
        "direct_elasticsearch": direct,
        "p95_ratio": round(huiku["p95_ms"] / direct["p95_ms"], 3),
        "p50_ratio": round(huiku["p50_ms"] / direct["p50_ms"], 3),
        "backend_search_in_process": in_process_search_times(instance, queries, warmup),
        "facets_in_response": shown,
        "total_mismatch_count": len(mismatched),
        "total_mismatches": mismatched[:10],
        "example_query_body": json.loads(bodies[queries[0]]),
    }


def measure_embedded(
    instance: Instance, queries: list[str], warmup: list[str], work: Path, phases: Phases
) -> dict[str, Any]:
    """Reindex into the embedded backend, then the same queries through the same HTTP API."""
    with phases.timed("embedded reindex"), instance.app.app_context():
        started = time.perf_counter()
        count = reindex(search_backend(instance.app))
        reindex_seconds = time.perf_counter() - started
        db.session.remove()
    times: list[float] = []
    failures = 0
    served_embedded = served(instance, work / "gunicorn-embedded.log")
    with phases.timed("embedded queries over HTTP"), served_embedded as url:
        api = KeepAliveClient(url)
        try:
            for text in warmup:
                api.request("GET", search_path(text))
            shown = facet_names(api.request("GET", search_path(queries[0]))[1])
            for text in queries:
                status, _, seconds = api.request("GET", search_path(text))
                times.append(seconds)
                failures += status != 200
        finally:
            api.close()
    with phases.timed("embedded queries in process"):
        in_process = in_process_search_times(instance, queries, warmup)
    return {
        "records": instance.records,
        "indexed": count,
        "reindex_seconds": round(reindex_seconds, 2),
        "reindex_records_per_s": round(count / reindex_seconds, 1),
        "huiku_api": summary_ms(times),
        "backend_search_in_process": in_process,
        "failed_requests": failures,
        "facets_in_response": shown,
    }


def machine_info() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        first = Path("/proc/meminfo").read_text().splitlines()[0]
        memory_gb = round(int(first.split()[1]) / 1024 / 1024, 1)
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "memory_gb": memory_gb,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def versions(es: KeepAliveClient) -> dict[str, Any]:
    packages = ("elasticsearch", "elastic-transport", "Flask", "SQLAlchemy", "gunicorn")
    packages += ("OpenCC", "pypinyin", "huiku")
    found = {}
    for name in packages:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[name] = importlib.metadata.version(name)
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "elasticsearch_server": es_json(es, "GET", "/")["version"]["number"],
        "packages": found,
        "git_commit": commit + ("+uncommitted" if dirty else ""),
    }


def goals(reindexing: dict[str, Any], latency: dict[str, Any]) -> list[dict[str, Any]]:
    p95 = latency["huiku_api"]["p95_ms"]
    return [
        {
            "goal": "p95 latency of /api/search (text query, five facets)",
            "target": f"<= {GOAL_P95_MS:g} ms",
            "measured": f"{p95} ms",
            "passed": p95 <= GOAL_P95_MS,
        },
        {
            "goal": "overhead: Huiku p95 / direct Elasticsearch p95",
            "target": f"<= {GOAL_OVERHEAD:g}x",
            "measured": f"{latency['p95_ratio']}x",
            "passed": latency["p95_ratio"] <= GOAL_OVERHEAD,
        },
        {
            "goal": "reindex throughput: Huiku / raw helpers.bulk",
            "target": f">= {GOAL_REINDEX_RATIO:g}x",
            "measured": f"{reindexing['ratio']}x",
            "passed": reindexing["ratio"] >= GOAL_REINDEX_RATIO,
        },
    ]


def table(report: dict[str, Any]) -> str:
    latency, reindexing, embedded = report["latency"], report["reindex"], report["embedded"]

    def timing(label: str, figures: dict[str, float], note: str = "") -> tuple[Any, ...]:
        return (label, figures["p50_ms"], figures["p95_ms"], figures["mean_ms"], note)

    rows = [
        ("latency", "p50 ms", "p95 ms", "mean ms", "note"),
        timing(
            f"Huiku /api/search, Elasticsearch, {latency['records']:,} records",
            latency["huiku_api"],
            f"{latency['queries']} queries",
        ),
        timing("same body straight to Elasticsearch", latency["direct_elasticsearch"]),
        ("ratio Huiku / direct", latency["p50_ratio"], latency["p95_ratio"], "", ""),
        timing("ElasticsearchBackend.search in process", latency["backend_search_in_process"]),
        timing(
            f"Huiku /api/search, embedded, {embedded['records']:,} records",
            embedded["huiku_api"],
        ),
        timing("EmbeddedBackend.search in process", embedded["backend_search_in_process"]),
    ]
    agreeing = latency["queries"] - latency["total_mismatch_count"]
    lines = [_row(rows[0], "-")] + [_row(r) for r in rows[1:]]
    lines += [
        "",
        f"reindex {reindexing['records']:,} records: Huiku {reindexing['huiku_records_per_s']:,} "
        f"records/s ({reindexing['huiku_seconds']} s); raw helpers.bulk "
        f"{reindexing['raw_records_per_s']:,} records/s ({reindexing['raw_seconds']} s, mean of "
        f"{' and '.join(map(str, reindexing['raw_seconds_before_and_after']))} s); "
        f"ratio {reindexing['ratio']}",
        f"  (reading and building the documents alone: {reindexing['prebuild_seconds']} s)",
        f"embedded reindex {embedded['records']:,} records: "
        f"{embedded['reindex_records_per_s']:,} records/s ({embedded['reindex_seconds']} s)",
        f"checks: totals Huiku = direct for {agreeing}/{latency['queries']} queries; "
        f"facets returned: {', '.join(latency['facets_in_response'])}",
        "",
    ]
    for goal in report["goals"]:
        mark = "PASS" if goal["passed"] else "FAIL"
        lines.append(f"{mark}  {goal['goal']}: {goal['measured']} (goal {goal['target']})")
    lines += ["", f"wall time {report['wall_time_s']} s:"]
    lines += [f"  {seconds:7.1f} s  {name}" for name, seconds in report["phases_s"].items()]
    return "\n".join(lines)


def _row(values: Iterable[Any], underline: str = "") -> str:
    widths = (52, 8, 8, 8, 12)
    cells = [
        str(v).ljust(w) if i == 0 else str(v).rjust(w)
        for i, (v, w) in enumerate(zip(values, widths, strict=True))
    ]
    text = "  ".join(cells).rstrip()
    return text + ("\n" + underline * len(text) if underline else "")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, help="records on Elasticsearch (200000)")
    parser.add_argument(
        "--embedded-records", type=int, help="records on the embedded backend (20000)"
    )
    parser.add_argument("--queries", type=int, help="timed queries per side (300)")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 5000 / 2000 records, 100 queries"
    )
    parser.add_argument(
        "--elasticsearch-url", help="default: scripts/services/elasticsearch.sh url"
    )
    parser.add_argument(
        "--output",
        type=Path,
        help=f"results file (default {RESULTS.relative_to(ROOT)}; none with --quick)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary instances")
    arguments = parser.parse_args(argv)
    quick = arguments.quick
    arguments.records = arguments.records or (5_000 if quick else 200_000)
    arguments.embedded_records = arguments.embedded_records or (2_000 if quick else 20_000)
    arguments.queries = arguments.queries or (100 if quick else 300)
    if arguments.output is None and not quick:
        arguments.output = RESULTS
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    phases = Phases()
    started_at = datetime.now(UTC)
    work = Path(tempfile.mkdtemp(prefix="huiku-bench-search-"))
    url = elasticsearch_url(arguments.elasticsearch_url)
    es = KeepAliveClient(url)
    queries = text_queries(arguments.queries, SEED)
    warmup = text_queries(WARMUP_QUERIES, SEED + 1)
    report: dict[str, Any] = {
        "benchmark": "search",
        "date": started_at.isoformat(timespec="seconds"),
        "arguments": {
            "records": arguments.records,
            "embedded_records": arguments.embedded_records,
            "queries": arguments.queries,
            "quick": arguments.quick,
        },
        "machine": machine_info(),
        "versions": versions(es),
        "setup": {
            "elasticsearch_url": url,
            "alias": ALIAS,
            "server": f"gunicorn via `huiku serve`, {SERVER_WORKERS} workers x 4 threads (gthread)",
            "client": "http.client, one keep-alive connection per side, requests one at a time",
            "database": "SQLite (one file per instance)",
            "facets": ["collection", "library", *FACETS],
            "notes": [
                "the server runs with --outbox-interval 0 when huiku serve offers it",
                "raw bulk: plain index operations; Huiku's rebuild writes external versions",
                "raw bulk runs before and after Huiku's reindex; Huiku is compared with the mean",
                "no goal was set for the embedded backend; its figures are reported",
            ],
        },
    }
    try:
        delete_bench_indices(es)
        with phases.timed(f"create {arguments.records:,} records (Elasticsearch instance)"):
            main_instance = create_instance(
                work / "elasticsearch", arguments.records, elasticsearch_url=url, seed=SEED
            )
        report["reindex"] = measure_reindex(main_instance, url, work, phases, es)
        with phases.timed("queries: Huiku API and direct Elasticsearch"):
            report["latency"] = measure_elasticsearch_queries(
                main_instance, url, queries, warmup, work
            )
        with phases.timed(f"create {arguments.embedded_records:,} records (embedded instance)"):
            embedded_instance = create_instance(
                work / "embedded", arguments.embedded_records, elasticsearch_url=None, seed=SEED
            )
        report["embedded"] = measure_embedded(embedded_instance, queries, warmup, work, phases)
    finally:
        report["deleted_indices"] = delete_bench_indices(es)
        es.close()
        if arguments.keep:
            print(f"instances kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    report["phases_s"] = phases.seconds
    report["wall_time_s"] = round((datetime.now(UTC) - started_at).total_seconds(), 1)
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["goals"] = goals(report["reindex"], report["latency"])
    print(table(report))
    if arguments.output:
        arguments.output.parent.mkdir(parents=True, exist_ok=True)
        arguments.output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        print(f"\nwritten to {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
