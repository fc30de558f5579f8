"""Messages for users: English msgids whose Chinese comes from the catalogue when shown.

The catalogue is the one Flask-Babel uses (repository/translations), so a message without a
translation fails tests/repository/test_translations.py like any other UI string. Stored
messages (import reports) keep the msgid and parameters and are translated when read; rows
written before, holding both texts, still read.
"""

from __future__ import annotations

import ast
import pickle
from pathlib import Path
from string import Formatter

from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import refresh
from sqlalchemy import select

from ingest.imports.problems import Problem
from ingest.imports.report import add_entries, entries_to_show, iter_entries, problem_entry
from repository.extensions import db
from repository.i18n import localize
from repository.messages import Message, catalogue, pmessage, readable
from repository.models import ImportReportEntry, IngestJob
from repository.models.notifications import Notification
from repository.services.notifications import notify
from tests.ingest.api_client import ApiClient, issue_token

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("repository", "ingest", "iiif", "interop", "search", "harvest")
PO = ROOT / "repository" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"

#: Modules still on the old ``Message(en, zh)`` form, converted later with the same tooling
#: (entries ending in ``/`` are folders). Empty it as they move to the catalogue.
OLD_FORM_ALLOWED: tuple[str, ...] = ()

RECORD_CREATED = "record {record} created"


def _chinese_of(msgid: str, context: str | None = None) -> str:
    with PO.open("rb") as handle:
        entry = read_po(handle, locale="zh_Hans_CN").get(msgid, context=context)
    assert entry is not None and entry.string, f"{msgid!r} is not translated in messages.po"
    return entry.string


def test_a_message_is_chinese_from_the_catalogue_in_a_chinese_locale_with_its_parameters() -> None:
    message = Message(RECORD_CREATED).format(record="R7K2")
    assert message == "record R7K2 created"  # a str: logs and exceptions read English
    expected = _chinese_of(RECORD_CREATED).format(record="R7K2")
    assert "R7K2" in expected and expected != str(message)
    assert message.zh == expected
    assert message.localized("zh_Hans_CN") == expected
    assert message.localized("zh-TW") == expected
    assert message.localized("en") == "record R7K2 created"


def test_the_readers_locale_picks_the_language(app: Flask) -> None:
    message = Message(RECORD_CREATED).format(record="R7K2")
    with app.test_request_context("/?lang=en"):
        refresh()  # the locale is cached on the app context the tests share
        assert localize(message) == "record R7K2 created"
    with app.test_request_context("/?lang=zh_Hans_CN"):
        refresh()
        assert localize(message) == _chinese_of(RECORD_CREATED).format(record="R7K2")


def test_messages_as_parameters_give_their_own_language() -> None:
    outcome = pmessage("import outcome", "created")
    line = Message("{label} ({key}): {problem}").format(
        label=Message.pair("Kingdom", "界"), key="kingdom", problem=outcome
    )
    assert line == "Kingdom (kingdom): created"
    assert "界" in line.zh and _chinese_of("created", "import outcome") in line.zh


def test_a_context_tells_two_translations_of_one_english_text_apart() -> None:
    assert pmessage("person", "the name").zh == _chinese_of("the name", "person")
    assert pmessage("person", "the name").zh != Message("the name").zh


def _fields(text: str) -> set[str]:
    return {name for _text, name, _spec, _conversion in Formatter().parse(text) if name is not None}


def test_every_placeholder_of_a_translation_is_one_of_its_msgid() -> None:
    """A ``{name}`` the msgid lacks would fail when the Chinese is shown, not when it is made."""
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="zh_Hans_CN")
    wrong = [
        f"{entry.id!r} -> {entry.string!r}"
        for entry in catalog
        if entry.id
        and isinstance(entry.id, str)
        and "{" in (entry.string or "")
        and not _fields(entry.string) <= _fields(entry.id)
    ]
    assert wrong == [], "translations with placeholders their msgid lacks:\n  " + "\n  ".join(wrong)


def test_the_old_two_text_form_still_works_with_parameters() -> None:
    message = Message("no page {page}", "没有第 {page} 页").format(page=3)
    assert (str(message), message.zh) == ("no page 3", "没有第 3 页")


def test_the_catalogue_is_read_outside_a_request_once() -> None:
    assert catalogue() is catalogue()
    assert Message("the body").zh == _chinese_of("the body")


def test_a_message_survives_json_pickle_and_copy() -> None:
    message = Message("{name}: {problem}").format(
        name="tone.flac", problem=Message("the file is empty")
    )
    for copy in (Message.from_json(message.to_json()), pickle.loads(pickle.dumps(message))):
        assert (str(copy), copy.zh) == (str(message), message.zh)
    assert message.to_json()["base"] == {"msgid": "{name}: {problem}"}


def test_a_parameter_json_cannot_hold_keeps_both_texts() -> None:
    message = Message(RECORD_CREATED).format(record=Path("R7K2"))
    assert message.to_json() == {"en": "record R7K2 created", "zh": message.zh}


# --- stored messages --------------------------------------------------------------------------


def _job(make_user, make_collection) -> IngestJob:
    user = make_user("contributor")
    collection = make_collection("natural_history", slug="changbaishan")
    job = IngestJob(collection_id=collection.id, library_id=user.library_id, user_id=user.id)
    db.session.add(job)
    db.session.flush()
    return job


def test_report_lines_old_and_new_read_in_both_languages(make_user, make_collection) -> None:
    job = _job(make_user, make_collection)
    fix = Message("e.g. {example}").format(example="2011-06-18")
    new = problem_entry(Problem(Message(RECORD_CREATED).format(record="R1"), row=2, fix=fix))
    old = {
        **{key: value for key, value in new.items() if key not in ("message", "fix")},
        "row": 3,
        "message_en": "the date is wrong",
        "message_zh": "日期有误",
        "fix_en": "write 2011-06-18",
        "fix_zh": "请写成 2011-06-18",
    }
    add_entries(job, [new, old])
    db.session.commit()

    stored = db.session.scalars(
        select(ImportReportEntry.entry)
        .where(ImportReportEntry.job_id == job.id)
        .order_by(ImportReportEntry.row)
    ).all()
    assert stored[0]["message"] == {"base": {"msgid": RECORD_CREATED}, "kwargs": {"record": "R1"}}
    assert "message_zh" not in stored[0]

    expected_new = (
        "record R1 created",
        _chinese_of(RECORD_CREATED).format(record="R1"),
        "e.g. 2011-06-18",
        _chinese_of("e.g. {example}").format(example="2011-06-18"),
    )
    expected_old = ("the date is wrong", "日期有误", "write 2011-06-18", "请写成 2011-06-18")
    texts = ("message_en", "message_zh", "fix_en", "fix_zh")
    for read in (job.report, list(iter_entries(job)), entries_to_show(job, 10)[0]):
        lines = sorted(read, key=lambda entry: entry["row"])
        assert tuple(lines[0][key] for key in texts) == expected_new
        assert tuple(lines[1][key] for key in texts) == expected_old


def test_notifications_old_and_new_read_in_both_languages(make_user) -> None:
    user = make_user("contributor")
    notify([user.id], "job", Message(RECORD_CREATED).format(record="R1"))
    db.session.add(
        Notification(user_id=user.id, kind="job", text_en="import done", text_zh="导入已完成")
    )
    db.session.flush()
    new, old = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    ).all()
    assert new.message == {"base": {"msgid": RECORD_CREATED}, "kwargs": {"record": "R1"}}
    assert new.text("en") == "record R1 created"
    assert new.text("zh_Hans_CN") == _chinese_of(RECORD_CREATED).format(record="R1")
    assert (old.text("en"), old.text("zh_Hans_CN")) == ("import done", "导入已完成")


def test_a_line_without_a_fix_reads_as_empty_texts() -> None:
    entry = readable({"message": {"msgid": "the body"}, "fix": None})
    assert (entry["fix_en"], entry["fix_zh"]) == ("", "")


def test_an_api_error_body_carries_both_languages(client, make_user, make_collection) -> None:
    make_collection("natural_history", slug="changbaishan")
    spec = client.get("/api/openapi.json").get_json()
    api = ApiClient(client, spec, issue_token(make_user("contributor")))
    response = api.post(
        "/api/collections/changbaishan/records",
        json={"metadata": {"local_id": "CBS-1", "title": "人参", "colour": "green"}},
    )
    assert response.status_code == 422
    problems = response.get_json()["errors"]["metadata.colour"]
    assert "is not a field of the" in problems[0]["en"]
    assert "不是" in problems[0]["zh"] and "模板的字段" in problems[0]["zh"]


# --- the old form is gone -------------------------------------------------------------------


def old_form_calls(package: str, root: Path = ROOT) -> list[str]:
    """``Message(en, zh)`` calls: a second positional argument that is a string literal."""
    found = []
    for path in sorted((root / package).rglob("*.py")):
        name = str(path.relative_to(root))
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=name)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Message"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant | ast.JoinedStr)
                and (isinstance(node.args[1], ast.JoinedStr) or isinstance(node.args[1].value, str))
            ):
                found.append(f"{name}:{node.lineno}")
    return found


def _allowed(location: str) -> bool:
    path = location.rpartition(":")[0]
    return any(
        path == item or (item.endswith("/") and path.startswith(item)) for item in OLD_FORM_ALLOWED
    )


def test_the_scan_sees_old_form_calls(tmp_path: Path) -> None:
    module = tmp_path / "package" / "module.py"
    module.parent.mkdir()
    module.write_text(
        'from repository.messages import Message\n\nA = Message("a", "甲")\nB = Message("b")\n'
        'C = Message(f"{A}", f"{A}")\n',
        encoding="utf-8",
    )
    found = old_form_calls("package", root=tmp_path)
    assert found == ["package/module.py:3", "package/module.py:5"]


def test_no_module_outside_the_list_uses_the_old_two_text_form() -> None:
    offending = [
        location
        for package in PACKAGES
        for location in old_form_calls(package)
        if not _allowed(location)
    ]
    assert offending == [], (
        "Message(en, zh) is replaced by Message(en) with zh in messages.po: run "
        "convert_messages.py on these files (or give the Chinese in the catalogue by hand):\n  "
        + "\n  ".join(offending)
    )
