"""A small corpus with the traps Chinese search falls into, as index documents.

Records are built in memory with the same code that saves them (validation, derived title, pinyin
key and years), then turned into documents by ``build_document``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from repository.models import Collection, Library, Record, RecordStatus
from repository.services.records import apply_metadata
from search.documents import Document, build_document

LIBRARIES = {
    code: Library(code=code, name_zh=name, name_en=code)
    for code, name in (("JL-A", "甲馆"), ("JL-B", "乙馆"), ("JL-C", "丙馆"))
}
COLLECTIONS = {
    "chbs": Collection(slug="chbs", profile_name="natural_history", title_zh="长白山动植菌物"),
    "ich": Collection(slug="ich", profile_name="ich", title_zh="非物质文化遗产"),
    "docs": Collection(slug="docs", profile_name="generic", title_zh="地方文献"),
}

# (id, collection, library, metadata); published one day apart, in this order.
RECORDS: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "ginseng",
        "chbs",
        "JL-A",
        {
            "title": "人参",
            "scientific_name": "Panax ginseng C. A. Mey.",
            "kingdom": "植物",
            "family": "五加科 Araliaceae",
            "aliases": ["棒槌"],
            "date": "2011-06-18",
            "protection_level": "国家一级",
            "description": "多年生草本，根肉质，为名贵药材。",
        },
    ),
    (
        "yew",
        "chbs",
        "JL-B",
        {
            "title": "東北紅豆杉",
            "scientific_name": "Taxus cuspidata Sieb. et Zucc.",
            "kingdom": "植物",
            "family": "红豆杉科 Taxaceae",
            "date": "2015-05-02",
            "protection_level": "国家一级",
            "description": "常绿乔木，种子成熟时假种皮红色。",
        },
    ),
    (
        "pine",
        "chbs",
        "JL-A",
        {
            "title": "红松",
            "scientific_name": "Pinus koraiensis Sieb. et Zucc.",
            "kingdom": "植物",
            "family": "松科 Pinaceae",
            "date": "1985",
            "protection_level": "国家二级",
            "description": "树皮红褐色，常与冷杉混生。",
        },
    ),
    (
        "tiger",
        "chbs",
        "JL-B",
        {
            "title": "东北虎",
            "scientific_name": "Panthera tigris altaica",
            "kingdom": "动物",
            "family": "猫科 Felidae",
            "date": "2019-01-09",
            "protection_level": "国家一级",
            "description": "体型最大的猫科动物之一。",
        },
    ),
    (
        "deer",
        "chbs",
        "JL-A",
        {
            "title": "梅花鹿",
            "scientific_name": "Cervus nippon",
            "kingdom": "动物",
            "family": "鹿科 Cervidae",
            "date": "2008",
            "protection_level": "国家一级",
            "description": "林中行人应参照护林规定。历史上是东北虎的主要猎物之一。",
        },
    ),
    (
        "matsutake",
        "chbs",
        "JL-C",
        {
            "title": "松茸",
            "scientific_name": "Tricholoma matsutake",
            "kingdom": "真菌",
            "family": "口蘑科 Tricholomataceae",
            "date": "2020-08-30",
            "protection_level": "国家二级",
            "description": "生于针叶林下。",
        },
    ),
    (
        "farmers-dance",
        "ich",
        "JL-C",
        {
            "title": "朝鲜族农乐舞",
            "category": "传统舞蹈",
            "level": "人类非物质文化遗产代表作",
            "batch_year": "2006",
            "ethnic_group": ["朝鲜族"],
            "description": "集音乐、舞蹈、演唱于一体的民间舞蹈。",
        },
    ),
    (
        "manchu-epics",
        "ich",
        "JL-A",
        {
            "title": "满族说部",
            "category": "民间文学",
            "level": "国家级",
            "batch_year": "2006",
            "ethnic_group": ["满族"],
            "description": "满族民间长篇说唱，讲述长白山的故事。",
        },
    ),
    (
        "gazetteer",
        "docs",
        "JL-A",
        {
            "title": "長白山江岡志略",
            "creator": ["刘建封"],
            "date": "光绪三十四年",
            "type": "图书",
            "description": "清末勘查长白山的地志。",
        },
    ),
]

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def corpus_record(index: int, **changes: Any) -> Record:
    """The corpus record at ``index`` as an unsaved model, optionally with changed metadata."""
    key, slug, library, metadata = RECORDS[index]
    collection = COLLECTIONS[slug]
    record = Record(
        public_id=key,
        collection=collection,
        library=LIBRARIES[library],
        status=RecordStatus.PUBLISHED,
    )
    record.contributors = []
    record.assets = []
    data = collection.profile.validate({"local_id": f"L-{key}", **metadata, **changes})
    apply_metadata(record, data, None)
    record.published_at = EPOCH + timedelta(days=index)
    record.updated_at = EPOCH + timedelta(days=index, hours=1)
    return record


def corpus_documents() -> list[Document]:
    return [build_document(corpus_record(i)) for i in range(len(RECORDS))]
