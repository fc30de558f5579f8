"""Search at scale: ``/api/search`` against the identical requests sent straight to
Elasticsearch, reindexing against pre-encoded bulk bodies, and the embedded backend.

    python bench/search.py --database-url postgresql+psycopg://huiku@127.0.0.1:54330/bench \
        --elasticsearch-url http://127.0.0.1:9251 --port 8714 --records 200000,1000000
    python bench/search.py --quick        # 5,000 records in SQLite, 100 queries; no results file

Settings not given fall back to ``HUIKU_BENCH_DATABASE_URL`` (the database is emptied first:
give it one of its own; without one, a SQLite file in a temporary folder),
``HUIKU_ELASTICSEARCH_URL`` (else the node of ``scripts/services/elasticsearch.sh``, which
honours ``HUIKU_ES_PORT``) and ``HUIKU_BENCH_PORT`` (8714, where ``huiku serve`` listens).

One instance holds one ``natural_history`` collection of synthetic records (Chinese and English
text, five facets). For each record count, smallest first, records are added by COPY (PostgreSQL)
up to that count and the benchmark measures:

* ``search.indexing.reindex`` (read the database, build the documents, load a new index, swap the
  alias) against the same bulk requests encoded beforehand and sent with the same number of
  connections, before and after Huiku's (the anchor: only the engine's own work);
* each query through ``huiku serve`` (gunicorn) against the identical request(s) sent straight to
  Elasticsearch, once the node has finished merging what was loaded: the query's body, and when
  it finds fewer than FALLBACK_BELOW records and can be relaxed, the near-miss query too, as
  ``search.service.forgiving_search`` sends them;
* the same queries through ``/api/search`` of the same database served on the embedded backend
  (up to ``--embedded-up-to`` records), and what it costs to build its index;
* what the records take: bytes per record in the database and in the Elasticsearch index.

It prints a table and writes ``bench/results/search.json``. The indices it made (alias
``huiku-bench-search``) and the temporary folder are deleted at the end; the database keeps the
records for ``--reuse-records`` (``--keep`` keeps the indices and the folder too).
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
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402

from repository.app import create_app  # noqa: E402
from repository.chinese import pinyin_sort_key  # noqa: E402
from repository.extensions import db  # noqa: E402
from repository.models import Collection, Library, Record, RecordStatus  # noqa: E402
from repository.models.base import PUBLIC_ID_ALPHABET  # noqa: E402
from repository.profiles import get_profile  # noqa: E402
from search.backends.elasticsearch import LOADING_SETTINGS, index_mapping  # noqa: E402
from search.backends.elasticsearch_bulk import (  # noqa: E402
    REBUILD_BODY_BYTES,
    REBUILD_SENDERS,
    encoded_chunks,
)
from search.backends.elasticsearch_query import build_query_body  # noqa: E402
from search.engine import search_backend  # noqa: E402
from search.indexing import published_documents, reindex  # noqa: E402
from search.query import SearchRequest  # noqa: E402
from search.relaxed import FALLBACK_BELOW, relax  # noqa: E402
from search.settings import ElasticsearchSettings  # noqa: E402

# A prefix no other benchmark uses: its indices are deleted. HUIKU_BENCH_SEARCH_ALIAS gives
# another, for two runs at once on one node (it must not start with the other's prefix).
ALIAS = os.environ.get("HUIKU_BENCH_SEARCH_ALIAS", "huiku-bench-search")
ANCHOR_INDEX = f"{ALIAS}-anchor"
WARMUP_INDEX = f"{ALIAS}-warmup"
COLLECTION_SLUG = "changbaishan"
RESULTS = ROOT / "bench" / "results" / "search.json"
SEED = 20240618
PER_PAGE = 20
WARMUP_QUERIES = 30
INSERT_BATCH = 5_000
SERVER_WORKERS = 2
DEFAULT_PORT = 8714

GOAL_P95_MS = 100.0
GOAL_P50_EXTRA_MS = 5.0
GOAL_REINDEX_RATIO = 0.5

PROFILE = get_profile("natural_history")
FACETS = ("kingdom", "family", "locality", "photographer", "protection_level")


# --- synthetic records --------------------------------------------------------------------------


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
    maker: RecordMaker,
    count: int,
    collection_id: int,
    libraries: list[tuple[int, str]],
    start: int = 0,
) -> Iterator[dict[str, Any]]:
    """Rows for the record table, computed the way the record services compute them; ``start``
    continues a series (the maker must have made the first ``start`` already)."""
    now = datetime.now(UTC)
    for number in range(start, start + count):
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


# --- the instance -------------------------------------------------------------------------------


@dataclass
class Instance:
    """One database and two apps on it: one searching Elasticsearch, one the embedded index."""

    folder: Path
    database_url: str
    elasticsearch_url: str
    apps: dict[str, Flask]  # "elasticsearch", "embedded"
    environments: dict[str, dict[str, str]]  # HUIKU_* variables for `huiku serve`, per backend
    maker: RecordMaker
    collection_id: int = 0
    libraries: list[tuple[int, str]] = field(default_factory=list)
    records: int = 0


def _settings(folder: Path, database_url: str, elasticsearch_url: str | None) -> dict[str, Any]:
    return {
        "DATABASE_URL": database_url,
        "SEARCH_INDEX_PATH": str(folder / "search.sqlite3"),
        "ELASTICSEARCH_URL": elasticsearch_url,
        "ELASTICSEARCH_INDEX": ALIAS,
        "SECRET_KEY": "search-benchmark",
        "STORAGE_ROOT": str(folder / "storage"),
        "IIIF_CACHE_ROOT": str(folder / "iiif-cache"),
    }


def _app(folder: Path, settings: dict[str, Any]) -> Flask:
    os.environ["HUIKU_INSTANCE_PATH"] = str(folder)
    try:
        return create_app({**settings, "SEARCH_APPLY_ON_COMMIT": False})
    finally:
        del os.environ["HUIKU_INSTANCE_PATH"]


def create_instance(
    folder: Path, database_url: str, elasticsearch_url: str, *, reuse: bool = False
) -> Instance:
    """An emptied database with six libraries and one public collection, and its two apps; with
    ``reuse``, the records an earlier run left in the database are kept and continued."""
    folder.mkdir(parents=True, exist_ok=True)
    environments, apps = {}, {}
    for kind, es_url in (("elasticsearch", elasticsearch_url), ("embedded", None)):
        settings = _settings(folder, database_url, es_url)
        apps[kind] = _app(folder, settings)
        environment = {f"HUIKU_{key}": value for key, value in settings.items() if value}
        environments[kind] = {**environment, "HUIKU_INSTANCE_PATH": str(folder)}
    instance = Instance(
        folder, database_url, elasticsearch_url, apps, environments, RecordMaker(SEED)
    )
    with apps["elasticsearch"].app_context():
        if reuse and _reuse(instance):
            return instance
        if database_url.startswith("postgresql"):
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(revision="heads")  # every branch, should a new one be in progress
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
        db.session.commit()
        instance.collection_id = collection.id
        instance.libraries = [(lib.id, lib.code) for lib in libraries]
        db.session.remove()
    return instance


def _reuse(instance: Instance) -> bool:
    """Take over the records of an earlier run (the generator replays them to continue)."""
    collection = db.session.scalar(select(Collection).where(Collection.slug == COLLECTION_SLUG))
    if collection is None:
        return False
    instance.collection_id = collection.id
    instance.libraries = [
        (lib.id, lib.code) for lib in db.session.scalars(select(Library).order_by(Library.id))
    ]
    instance.records = db.session.scalar(select(func.count()).select_from(Record)) or 0
    for _ in record_rows(
        instance.maker, instance.records, instance.collection_id, instance.libraries
    ):
        pass
    db.session.remove()
    return True


COPY_COLUMNS = (
    "public_id",
    "collection_id",
    "library_id",
    "local_id",
    "status",
    "metadata",
    "title",
    "title_sort",
    "year_start",
    "year_end",
    "review_comment",
    "created_at",
    "updated_at",
    "published_at",
)


def add_records(instance: Instance, total: int) -> float:
    """Add records until the instance holds ``total``; COPY on PostgreSQL. Returns seconds."""
    started = time.perf_counter()
    if total <= instance.records:
        return 0.0
    rows = record_rows(
        instance.maker,
        total - instance.records,
        instance.collection_id,
        instance.libraries,
        start=instance.records,
    )
    if instance.database_url.startswith("postgresql"):
        _copy_rows(instance.database_url, rows)
    else:
        with instance.apps["elasticsearch"].app_context():
            batch: list[dict[str, Any]] = []
            for row in rows:
                batch.append(row)
                if len(batch) == INSERT_BATCH:
                    db.session.execute(insert(Record.__table__), batch)
                    batch.clear()
            if batch:
                db.session.execute(insert(Record.__table__), batch)
            db.session.commit()
            db.session.remove()
    instance.records = total
    with instance.apps["elasticsearch"].app_context():
        sample = db.session.scalars(select(Record).order_by(Record.id.desc()).limit(200)).all()
        for record in sample:  # the generator must only produce what the profile accepts
            PROFILE.validate(record.metadata_)
        db.session.remove()
    return time.perf_counter() - started


def _copy_rows(database_url: str, rows: Iterable[dict[str, Any]]) -> None:
    import psycopg  # the PostgreSQL driver Huiku uses

    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY record ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                values = dict(row)
                values["status"] = row["status"].value
                values["metadata"] = json.dumps(row["metadata"], ensure_ascii=False)
                copy.write_row([values[column] for column in COPY_COLUMNS])
        connection.commit()
        cursor.execute("ANALYZE record")


def database_size(instance: Instance) -> dict[str, Any]:
    """What the records take in the database (PostgreSQL: table, TOAST and indexes)."""
    if not instance.database_url.startswith("postgresql"):
        size = Path(instance.database_url.removeprefix("sqlite:///")).stat().st_size
        return {
            "database": "sqlite",
            "file_bytes": size,
            "bytes_per_record": size // max(1, instance.records),
        }
    with instance.apps["elasticsearch"].app_context():
        row = db.session.execute(
            text(
                "SELECT pg_total_relation_size('record'), pg_relation_size('record'), "
                "pg_indexes_size('record'), pg_database_size(current_database())"
            )
        ).one()
        count = db.session.scalar(select(func.count()).select_from(Record))
        db.session.remove()
    total, heap, indexes, whole = row
    return {
        "database": "postgresql",
        "records": count,
        "record_table_bytes": total,
        "record_heap_bytes": heap,
        "record_indexes_bytes": indexes,
        "record_toast_and_other_bytes": total - heap - indexes,
        "database_bytes": whole,
        "bytes_per_record": round(total / count),
    }


# --- HTTP ---------------------------------------------------------------------------------------


class KeepAliveClient:
    """One persistent HTTP/1.1 connection; both sides of a comparison use this same client."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=300)

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = "json"
    ) -> tuple[int, bytes, float]:
        """Status, body and seconds from sending the request to reading the last byte."""
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = f"application/{content_type}"
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


def serve_command(port: int) -> list[str]:
    huiku = Path(sys.executable).with_name("huiku")
    command = [str(huiku) if huiku.exists() else "huiku", "serve", "--host", "127.0.0.1"]
    # No task consumer: nothing is written during the benchmark.
    return [*command, "--port", str(port), "--workers", str(SERVER_WORKERS), "--no-consumer"]


@contextlib.contextmanager
def served(instance: Instance, kind: str, port: int, log_path: Path) -> Iterator[str]:
    """The instance served by gunicorn through ``huiku serve``, as deployments run it."""
    url = f"http://127.0.0.1:{port}"
    probe = KeepAliveClient(url)
    with contextlib.suppress(OSError):
        probe.request("GET", "/")
        raise RuntimeError(f"port {port} is taken; give --port or HUIKU_BENCH_PORT")
    probe.close()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HUIKU_")}
    environment.update(instance.environments[kind])
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
    deadline = time.monotonic() + 120
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
    raise RuntimeError(f"huiku serve did not answer within 120 s: {log_path.read_text()[-3000:]}")


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


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


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


def server_cpu_seconds(port: int) -> float | None:
    """CPU seconds used so far by the ``huiku serve`` listening on ``port``, master and workers
    (Linux /proc; None elsewhere)."""
    wanted, total, found = str(port).encode(), 0.0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            arguments = (stat.parent / "cmdline").read_bytes().split(b"\0")
            if b"serve" not in arguments or wanted not in arguments:
                continue
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        found = True
    return total if found else None


def search_path(text: str) -> str:
    return "/api/search?" + urlencode({"q": text, "per_page": PER_PAGE})


def es_total(payload: bytes) -> int:
    total = json.loads(payload)["hits"]["total"]
    return total["value"] if isinstance(total, dict) else total


# --- Elasticsearch ------------------------------------------------------------------------------


def elasticsearch_url(given: str | None) -> str:
    """The given URL, else HUIKU_ELASTICSEARCH_URL, else the node of
    scripts/services/elasticsearch.sh (which reads HUIKU_ES_PORT; started if need be)."""
    given = given or os.environ.get("HUIKU_ELASTICSEARCH_URL")
    if given:
        return given.split(",")[0].strip().rstrip("/")
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
    for name in sorted(names):
        es.request("DELETE", f"/{name}")
    return sorted(names)


def wait_for_quiet_merges(es: KeepAliveClient, limit: float = 60.0) -> bool:
    """Let background merges of an earlier load finish, so they do not slow what is timed next;
    False if some were still running when ``limit`` seconds had passed."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        stats = es_json(es, "GET", "/_nodes/stats/indices/merge")
        if all(n["indices"]["merges"]["current"] == 0 for n in stats["nodes"].values()):
            return True
        time.sleep(0.5)
    return False


def index_size(es: KeepAliveClient) -> dict[str, Any]:
    """Documents and bytes of the index behind the alias (primaries; one node, no replica)."""
    stats = es_json(es, "GET", f"/{ALIAS}/_stats/docs,store")["_all"]["primaries"]
    documents, size = stats["docs"]["count"], stats["store"]["size_in_bytes"]
    return {
        "documents": documents,
        "store_bytes": size,
        "bytes_per_document": round(size / max(1, documents)),
        "note": "as loaded and refreshed, before any force merge",
    }


# --- reindexing ---------------------------------------------------------------------------------


def encode_bulk_bodies(instance: Instance, folder: Path, senders: int) -> tuple[list[Path], int]:
    """Huiku's bulk bodies, made by its own ``encoded_chunks`` from ``published_documents``,
    written to one file per connection, round robin; untimed."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"bodies-{n}.bin" for n in range(senders)]
    files = [path.open("wb") for path in paths]
    try:
        with instance.apps["elasticsearch"].app_context():
            for number, (_count, body) in enumerate(encoded_chunks(published_documents())):
                out = files[number % senders]
                out.write(len(body).to_bytes(8, "big"))
                out.write(body)
            db.session.remove()
    finally:
        for out in files:
            out.close()
    return paths, sum(path.stat().st_size for path in paths)


def _bodies(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        while header := source.read(8):
            yield source.read(int.from_bytes(header, "big"))


def anchor_load(es_url: str, paths: list[Path]) -> float:
    """The anchor: the index created and restored as Huiku's rebuild does it, the pre-encoded
    bodies sent over as many keep-alive connections as the rebuild uses. Returns seconds."""
    admin = KeepAliveClient(es_url)
    settings = ElasticsearchSettings(hosts=(es_url,), index=ALIAS)
    failures: list[str] = []

    def send(path: Path) -> None:
        client = KeepAliveClient(es_url)
        try:
            for body in _bodies(path):
                status, payload, _ = client.request(
                    "POST", f"/{ANCHOR_INDEX}/_bulk", body, content_type="x-ndjson"
                )
                if status != 200 or b'"errors":false' not in payload[:200]:
                    failures.append(f"HTTP {status}: {payload[:300]!r}")
                    return
        finally:
            client.close()

    started = time.perf_counter()
    es_json(
        admin,
        "PUT",
        f"/{ANCHOR_INDEX}",
        {
            "settings": {**settings.index_settings(), **LOADING_SETTINGS},
            "mappings": index_mapping(),
        },
    )
    threads = [threading.Thread(target=send, args=(path,)) for path in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    restored = {**settings.index_settings(), "refresh_interval": None}
    restored.pop("number_of_shards")
    es_json(admin, "PUT", f"/{ANCHOR_INDEX}/_settings", {"index": restored})
    es_json(admin, "POST", f"/{ANCHOR_INDEX}/_refresh")
    seconds = time.perf_counter() - started
    admin.close()
    if failures:
        raise RuntimeError(f"anchor bulk failed: {failures[0]}")
    return seconds


def huiku_reindex(instance: Instance, phases: Phases) -> tuple[int, float, int]:
    """Huiku's reindex into the alias: documents, seconds, documents searchable afterwards."""
    app = instance.apps["elasticsearch"]
    with phases.timed(f"{instance.records:,}: Huiku reindex"), app.app_context():
        backend = search_backend(app)
        backend.ensure_index()  # an index in service, as on a live instance
        started = time.perf_counter()
        count = reindex(backend)
        seconds = time.perf_counter() - started
        searchable = backend.status().documents
        db.session.remove()
    return count, seconds, searchable


def measure_reindex(
    instance: Instance, es: KeepAliveClient, work: Path, phases: Phases, *, anchor: bool = True
) -> dict[str, Any]:
    """``reindex`` against the anchor (before and after it, compared with their mean); without
    ``anchor``, Huiku's reindex alone (it loads the index the queries use)."""
    records = instance.records
    if not anchor:
        load_before = load_average()
        count, huiku_seconds, searchable = huiku_reindex(instance, phases)
        return {
            "records": records,
            "huiku_indexed": count,
            "huiku_searchable_after": searchable,
            "huiku_seconds": round(huiku_seconds, 2),
            "huiku_records_per_s": round(count / huiku_seconds, 1),
            "connections": REBUILD_SENDERS,
            "bulk_body_bytes": REBUILD_BODY_BYTES,
            "anchor": "not run at this count",
            "load_average_before_and_after": [load_before, load_average()],
        }
    with phases.timed(f"{records:,}: encode the bulk bodies (untimed)"):
        paths, body_bytes = encode_bulk_bodies(instance, work / "bodies", REBUILD_SENDERS)

    def anchor_run(name: str) -> float:
        wait_for_quiet_merges(es)
        with phases.timed(f"{records:,}: {name}"):
            seconds = anchor_load(instance.elasticsearch_url, paths)
        indexed = es_json(es, "GET", f"/{ANCHOR_INDEX}/_count")["count"]
        es.request("DELETE", f"/{ANCHOR_INDEX}")
        if indexed != records:
            raise RuntimeError(f"the anchor's index holds {indexed} documents, not {records}")
        return seconds

    load_before = load_average()
    before = anchor_run("anchor: pre-encoded bulk bodies, before")
    wait_for_quiet_merges(es)
    count, huiku_seconds, searchable = huiku_reindex(instance, phases)
    after = anchor_run("anchor: pre-encoded bulk bodies, after")
    shutil.rmtree(work / "bodies", ignore_errors=True)
    anchor_seconds = (before + after) / 2
    return {
        "records": records,
        "huiku_indexed": count,
        "huiku_searchable_after": searchable,
        "huiku_seconds": round(huiku_seconds, 2),
        "huiku_records_per_s": round(count / huiku_seconds, 1),
        "anchor_seconds": round(anchor_seconds, 2),
        "anchor_seconds_before_and_after": [round(before, 2), round(after, 2)],
        "anchor_records_per_s": round(records / anchor_seconds, 1),
        "ratio": round(anchor_seconds / huiku_seconds, 3),
        "connections": REBUILD_SENDERS,
        "bulk_body_bytes": REBUILD_BODY_BYTES,
        "bulk_bodies_mb": round(body_bytes / 1e6, 1),
        "load_average_before_and_after": [load_before, load_average()],
    }


# --- queries ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EngineRequests:
    """What Huiku sends the engine for one query: the query, and the near-miss query when the
    first finds fewer than FALLBACK_BELOW records (search.service.forgiving_search)."""

    first: bytes
    fallback: bytes | None

    @classmethod
    def of(cls, text: str) -> EngineRequests:
        request = SearchRequest(text=text, per_page=PER_PAGE)
        fallback = None
        if relax(request.query) is not None:
            fallback = json.dumps(build_query_body(replace(request, relaxed=True))).encode()
        return cls(json.dumps(build_query_body(request)).encode(), fallback)


def direct(es: KeepAliveClient, requests: EngineRequests) -> tuple[int, bytes, float, bool]:
    """The identical requests straight to the engine: status, answer, seconds, fell back."""
    path = f"/{ALIAS}/_search"
    status, payload, seconds = es.request("POST", path, requests.first)
    if status != 200 or requests.fallback is None or es_total(payload) >= FALLBACK_BELOW:
        return status, payload, seconds, False
    first_total = es_total(payload)
    status, payload, more = es.request("POST", path, requests.fallback)
    if status == 200 and es_total(payload) <= first_total:
        status, payload = 200, b'{"hits": {"total": {"value": %d}}}' % first_total
    return status, payload, seconds + more, True


def measure_elasticsearch_queries(
    instance: Instance, port: int, queries: list[str], warmup: list[str], work: Path
) -> dict[str, Any]:
    """Each query through Huiku's API and, right before or after it, the identical engine
    requests; the totals of both must agree."""
    engine = {q: EngineRequests.of(q) for q in queries + warmup}
    times: dict[str, list[float]] = {"huiku": [], "direct": []}
    mismatched: list[dict[str, Any]] = []
    fell_back = 0
    load_before = load_average()
    log = work / f"gunicorn-elasticsearch-{instance.records}.log"
    with served(instance, "elasticsearch", port, log) as url:
        api, es = KeepAliveClient(url), KeepAliveClient(instance.elasticsearch_url)
        try:
            for text in warmup:
                api.request("GET", search_path(text))
                direct(es, engine[text])
            shown = [
                f["name"]
                for f in json.loads(api.request("GET", search_path(queries[0]))[1])["facets"]
            ]
            relaxed = 0
            cpu_before = server_cpu_seconds(port)
            for number, text in enumerate(queries):
                totals: dict[str, Any] = {}
                for side in ("huiku", "direct") if number % 2 == 0 else ("direct", "huiku"):
                    # alternating, so neither side always finds the engine's caches warm
                    if side == "huiku":
                        status, payload, seconds = api.request("GET", search_path(text))
                        answer = json.loads(payload) if status == 200 else {}
                        totals[side] = answer.get("total", status)
                        relaxed += bool(answer.get("relaxed"))
                    else:
                        status, payload, seconds, second = direct(es, engine[text])
                        totals[side] = es_total(payload) if status == 200 else status
                        fell_back += second
                    times[side].append(seconds)
                if totals["huiku"] != totals["direct"]:
                    mismatched.append({"q": text, **totals})
            cpu_after = server_cpu_seconds(port)
        finally:
            api.close()
            es.close()
    huiku, straight = summary_ms(times["huiku"]), summary_ms(times["direct"])
    paired = sorted(h - d for h, d in zip(times["huiku"], times["direct"], strict=True))
    server_cpu = (
        None
        if cpu_before is None or cpu_after is None
        else round((cpu_after - cpu_before) / len(queries) * 1000, 2)
    )
    return {
        "records": instance.records,
        "queries": len(queries),
        "warmup_queries": len(warmup),
        "huiku_api": huiku,
        "direct_elasticsearch": straight,
        "p50_ratio": round(huiku["p50_ms"] / straight["p50_ms"], 3),
        "p95_ratio": round(huiku["p95_ms"] / straight["p95_ms"], 3),
        "p50_extra_ms": round(huiku["p50_ms"] - straight["p50_ms"], 2),
        "p95_extra_ms": round(huiku["p95_ms"] - straight["p95_ms"], 2),
        # Less swayed by a busy machine than the difference of the medians: each query's two
        # times are taken back to back.
        "p50_of_paired_extra_ms": round(statistics.median(paired) * 1000, 2),
        # CPU of huiku serve (master and workers) per timed request: what Huiku adds, measured
        # without the waiting a shared machine puts into wall times.
        "server_cpu_ms_per_request": server_cpu,
        "queries_with_near_miss_query": fell_back,
        "answers_relaxed": relaxed,
        "facets_in_response": shown,
        "total_mismatch_count": len(mismatched),
        "total_mismatches": mismatched[:10],
        "load_average_before_and_after": [load_before, load_average()],
    }


def measure_embedded(
    instance: Instance, port: int, queries: list[str], warmup: list[str], work: Path, phases: Phases
) -> dict[str, Any]:
    """Build the embedded index from the same database, then the same queries through the API."""
    records = instance.records
    app = instance.apps["embedded"]
    load_before = load_average()
    with phases.timed(f"{records:,}: embedded reindex"), app.app_context():
        started = time.perf_counter()
        count = reindex(search_backend(app))
        reindex_seconds = time.perf_counter() - started
        db.session.remove()
    index_bytes = Path(app.config["SEARCH_INDEX_PATH"]).stat().st_size
    times: list[float] = []
    failures = 0
    log = work / f"gunicorn-embedded-{records}.log"
    with (
        phases.timed(f"{records:,}: embedded queries"),
        served(instance, "embedded", port, log) as url,
    ):
        api = KeepAliveClient(url)
        try:
            for text in warmup:
                api.request("GET", search_path(text))
            for text in queries:
                status, _, seconds = api.request("GET", search_path(text))
                times.append(seconds)
                failures += status != 200
        finally:
            api.close()
    return {
        "records": records,
        "indexed": count,
        "reindex_seconds": round(reindex_seconds, 2),
        "reindex_records_per_s": round(count / reindex_seconds, 1),
        "index_file_bytes": index_bytes,
        "index_bytes_per_record": round(index_bytes / max(1, count)),
        "huiku_api": summary_ms(times),
        "failed_requests": failures,
        "load_average_before_and_after": [load_before, load_average()],
    }


# --- the report ---------------------------------------------------------------------------------


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
        "cpus": len(os.sched_getaffinity(0)),
        "memory_gb": memory_gb,
        "load_average_at_start": load_average(),
        "note": "a shared machine: other people's tests and services ran at the same time",
    }


def versions(es: KeepAliveClient) -> dict[str, Any]:
    packages = ("elasticsearch", "elastic-transport", "Flask", "SQLAlchemy", "gunicorn")
    packages += ("psycopg", "OpenCC", "pypinyin", "huiku")
    found = {}
    for name in packages:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[name] = importlib.metadata.version(name)
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    node = es_json(es, "GET", "/_nodes/_local/jvm")["nodes"]
    heap = next(iter(node.values()))["jvm"]["mem"]["heap_max_in_bytes"]
    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "elasticsearch_server": es_json(es, "GET", "/")["version"]["number"],
        "elasticsearch_heap_mb": heap // 2**20,
        "packages": found,
        "git_commit": commit,
    }


def goals(run: dict[str, Any], largest: bool) -> list[dict[str, Any]]:
    records, reindexing = run["records"], run["reindex"]
    latency = run.get("latency")
    checks = (
        []
        if latency is None
        else [
            (
                f"p50 of /api/search at most {GOAL_P50_EXTRA_MS:g} ms above the direct requests",
                f"<= +{GOAL_P50_EXTRA_MS:g} ms",
                f"{latency['p50_extra_ms']:+} ms",
                latency["p50_extra_ms"] <= GOAL_P50_EXTRA_MS,
            ),
        ]
    )
    if "ratio" in reindexing:
        checks.append(
            (
                "reindex throughput / pre-encoded bulk bodies, same connections",
                f">= {GOAL_REINDEX_RATIO:g}x",
                f"{reindexing['ratio']}x",
                reindexing["ratio"] >= GOAL_REINDEX_RATIO,
            )
        )
    if largest and latency is not None:
        p95 = latency["huiku_api"]["p95_ms"]
        checks.insert(
            0,
            (
                "p95 of /api/search (text query, seven facets, years)",
                f"<= {GOAL_P95_MS:g} ms",
                f"{p95} ms",
                p95 <= GOAL_P95_MS,
            ),
        )
    return [
        {"records": records, "goal": goal, "target": target, "measured": measured, "passed": ok}
        for goal, target, measured, ok in checks
    ]


def table(report: dict[str, Any]) -> str:
    lines = [_row(("", "p50 ms", "p95 ms", "mean ms", "note"), "-")]
    for run in report["runs"]:
        latency, records = run.get("latency"), f"{run['records']:,}"
        if latency is None:
            continue
        lines.append(
            _row(
                (
                    f"Huiku /api/search, Elasticsearch, {records}",
                    *_figures(latency["huiku_api"]),
                    f"load {latency['load_average_before_and_after'][1][0]}",
                )
            )
        )
        lines.append(
            _row(
                (
                    "identical requests straight to Elasticsearch",
                    *_figures(latency["direct_elasticsearch"]),
                    f"{latency['queries_with_near_miss_query']} near-miss",
                )
            )
        )
        lines.append(
            _row(
                ("  Huiku - direct (ms)", latency["p50_extra_ms"], latency["p95_extra_ms"], "", "")
            )
        )
        lines.append(_row(("  Huiku / direct", latency["p50_ratio"], latency["p95_ratio"], "", "")))
        lines.append(
            _row(
                (
                    "  Huiku - direct, per query (ms)",
                    latency["p50_of_paired_extra_ms"],
                    "",
                    "",
                    f"server CPU {latency['server_cpu_ms_per_request']} ms/request",
                )
            )
        )
        if embedded := run.get("embedded"):
            lines.append(
                _row(
                    (
                        f"Huiku /api/search, embedded, {records}",
                        *_figures(embedded["huiku_api"]),
                        "",
                    )
                )
            )
    lines.append("")
    for run in report["runs"]:
        r = run["reindex"]
        line = (
            f"reindex {r['records']:,}: Huiku {r['huiku_records_per_s']:,}/s "
            f"({r['huiku_seconds']} s)"
        )
        if "ratio" in r:
            line += (
                f"; pre-encoded bulk {r['anchor_records_per_s']:,}/s (mean of "
                f"{' and '.join(map(str, r['anchor_seconds_before_and_after']))} s); "
                f"ratio {r['ratio']}"
            )
        loads = r["load_average_before_and_after"]
        lines.append(
            f"{line}; {r['connections']} connection(s); load {loads[0][0]} → {loads[1][0]}"
        )
        if embedded := run.get("embedded"):
            lines.append(
                f"embedded reindex {embedded['records']:,}: "
                f"{embedded['reindex_records_per_s']:,}/s "
                f"({embedded['reindex_seconds']} s), {embedded['index_bytes_per_record']} B/record"
            )
        sizes = run["sizes"]
        lines.append(
            f"sizes at {run['records']:,}: "
            f"database {sizes['database']['bytes_per_record']} B/record, "
            f"Elasticsearch {sizes['elasticsearch']['bytes_per_document']} B/document"
        )
        if (latency := run.get("latency")) is None:
            continue
        lines.append(
            f"checks: totals agree for {latency['queries'] - latency['total_mismatch_count']}"
            f"/{latency['queries']} queries; {latency['answers_relaxed']} answers relaxed"
        )
    lines.append("")
    for goal in report["goals"]:
        mark = "PASS" if goal["passed"] else "FAIL"
        lines.append(
            f"{mark}  {goal['records']:,}: {goal['goal']}: {goal['measured']} "
            f"(goal {goal['target']})"
        )
    lines += ["", f"wall time {report['wall_time_s']} s:"]
    lines += [f"  {seconds:7.1f} s  {name}" for name, seconds in report["phases_s"].items()]
    return "\n".join(lines)


def _figures(figures: dict[str, float]) -> tuple[Any, ...]:
    return figures["p50_ms"], figures["p95_ms"], figures["mean_ms"]


def _row(values: Iterable[Any], underline: str = "") -> str:
    widths = (48, 8, 8, 8, 14)
    cells = [
        str(v).ljust(w) if i == 0 else str(v).rjust(w)
        for i, (v, w) in enumerate(zip(values, widths, strict=True))
    ]
    text = "  ".join(cells).rstrip()
    return text + ("\n" + underline * len(text) if underline else "")


# --- main ---------------------------------------------------------------------------------------


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", help="record counts, comma-separated, smallest first (200000)")
    parser.add_argument(
        "--embedded-up-to",
        type=int,
        help="measure the embedded backend at counts up to this (all; 0: never)",
    )
    parser.add_argument(
        "--anchor-up-to",
        type=int,
        default=200_000,
        help="compare reindexing with the anchor at counts up to this (200000)",
    )
    parser.add_argument(
        "--reuse-records",
        action="store_true",
        help="keep the records an earlier run left in the database and add to them",
    )
    parser.add_argument("--queries", type=int, help="timed queries per side (300)")
    parser.add_argument("--quick", action="store_true", help="5,000 records, 100 queries")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("HUIKU_BENCH_DATABASE_URL"),
        help="emptied first (default HUIKU_BENCH_DATABASE_URL; none: SQLite in a temp folder)",
    )
    parser.add_argument(
        "--elasticsearch-url",
        help="default HUIKU_ELASTICSEARCH_URL, else scripts/services/elasticsearch.sh url",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("HUIKU_BENCH_PORT", DEFAULT_PORT)),
        help=f"where huiku serve listens (default HUIKU_BENCH_PORT or {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help=f"results file (default {RESULTS.relative_to(ROOT)}; none with --quick)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the indices and the folder")
    parser.add_argument(
        "--reindex-only",
        action="store_true",
        help="measure reindexing only (no queries, no embedded backend)",
    )
    arguments = parser.parse_args(argv)
    quick = arguments.quick
    counts = arguments.records or ("5000" if quick else "200000")
    arguments.records = sorted(int(part.replace("_", "")) for part in counts.split(","))
    if arguments.embedded_up_to is None:
        arguments.embedded_up_to = arguments.records[-1]
    arguments.queries = arguments.queries or (100 if quick else 300)
    if arguments.output is None and not quick:
        arguments.output = RESULTS
    return arguments


def write_report(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    url = elasticsearch_url(arguments.elasticsearch_url)
    # The instances are configured here, from the arguments: nothing else from the caller's
    # HUIKU_* settings may reach them.
    for name in [name for name in os.environ if name.startswith("HUIKU_")]:
        del os.environ[name]
    phases = Phases()
    started_at = datetime.now(UTC)
    work = Path(tempfile.mkdtemp(prefix="huiku-bench-search-"))
    database_url = arguments.database_url or f"sqlite:///{work / 'huiku.sqlite3'}"
    es = KeepAliveClient(url)
    queries = text_queries(arguments.queries, SEED)
    warmup = text_queries(WARMUP_QUERIES, SEED + 1)
    report: dict[str, Any] = {
        "benchmark": "search",
        "date": started_at.isoformat(timespec="seconds"),
        "arguments": {
            "records": arguments.records,
            "embedded_up_to": arguments.embedded_up_to,
            "queries": arguments.queries,
            "quick": arguments.quick,
            "reindex_only": arguments.reindex_only,
        },
        "machine": machine_info(),
        "versions": versions(es),
        "setup": {
            "elasticsearch_url": url,
            "alias": ALIAS,
            "database": database_url.split("://")[0].split("+")[0],
            "server": f"huiku serve (gunicorn), {SERVER_WORKERS} workers, port {arguments.port}",
            "client": "http.client, one keep-alive connection per side, one request at a time",
            "facets": ["collection", "library", *FACETS],
            "notes": [
                "records are added by COPY between counts: the smaller run's records are the "
                "first of the larger one",
                "direct: the same _search body Huiku sends, and the near-miss body when Huiku "
                "sends it too (fewer than FALLBACK_BELOW exact hits and a query that relaxes)",
                "anchor: Huiku's bulk requests (same actions with external versions, same chunk "
                "size) encoded beforehand, sent over as many connections as the rebuild uses, "
                "into an index created and restored as the rebuild does; run before and after "
                "Huiku's reindex, compared with the mean",
            ],
        },
        "runs": [],
    }
    try:
        delete_bench_indices(es)
        with phases.timed("create the instance"):
            instance = create_instance(
                work / "instance", database_url, url, reuse=arguments.reuse_records
            )
        for count in arguments.records:
            with phases.timed(f"{count:,}: add records"):
                add_seconds = add_records(instance, count)
            run: dict[str, Any] = {"records": count, "add_records_seconds": round(add_seconds, 1)}
            run["reindex"] = measure_reindex(
                instance, es, work, phases, anchor=count <= arguments.anchor_up_to
            )
            run["sizes"] = {"database": database_size(instance), "elasticsearch": index_size(es)}
            if arguments.reindex_only:
                report["runs"].append(run)
                continue
            # The load just made is still being merged in the background; queries timed
            # meanwhile would share the cores with the merges, the side with more CPU work the
            # more.
            with phases.timed(f"{count:,}: let the node finish merging"):
                quiet = wait_for_quiet_merges(es, limit=600.0)
            if not quiet:
                print(f"  {count:,}: the node was still merging after 600 s; timed regardless")
            with phases.timed(f"{count:,}: queries, Huiku and direct"):
                run["latency"] = measure_elasticsearch_queries(
                    instance, arguments.port, queries, warmup, work
                )
            run["latency"]["node_still_merging_at_start"] = not quiet
            if count <= arguments.embedded_up_to:
                run["embedded"] = measure_embedded(
                    instance, arguments.port, queries, warmup, work, phases
                )
            report["runs"].append(run)
            if arguments.output:  # what is measured so far survives a run cut short
                write_report(report, arguments.output.with_suffix(".partial.json"))
    finally:
        if not arguments.keep:
            report["deleted_indices"] = delete_bench_indices(es)
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept: {work} and the indices {ALIAS}*", file=sys.stderr)
        es.close()
    report["phases_s"] = phases.seconds
    report["wall_time_s"] = round((datetime.now(UTC) - started_at).total_seconds(), 1)
    report["machine"]["load_average_at_end"] = load_average()
    report["goals"] = [
        goal for run in report["runs"] for goal in goals(run, largest=run is report["runs"][-1])
    ]
    print(table(report))
    if arguments.output:
        write_report(report, arguments.output)
        arguments.output.with_suffix(".partial.json").unlink(missing_ok=True)
        print(f"\nwritten to {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
