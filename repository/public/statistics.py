"""Statistics and member libraries' pages: the same figures as HTML, JSON and CSV.

Every figure is read from the kept counts (``repository.services.record_counts``, reported by
``repository.services.stats``), so it is exact at the moment shown without counting records.
The public sees published records; members of a library see their library's drafts and
contributors too.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from flask import current_app, jsonify, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from repository.errors import BadInput
from repository.extensions import db
from repository.messages import Message
from repository.models import Library
from repository.models.base import utcnow
from repository.public import blueprint
from repository.public.text import TEXT
from repository.services import libraries, stats

MONTH = re.compile(r"\d{4}-\d{2}")
ECHARTS_SCRIPT = "charts/node_modules/echarts/dist/echarts.min.js"
ECHARTS_STAMP = "charts/node_modules/echarts/INSTALLED.json"  # written by scripts/chart-assets


@blueprint.route("/stats")
@blueprint.route("/stats.<any(json, csv):form>")
def statistics(form: str = "html") -> str | Response:
    """The alliance's public statistics: published records and images of every library."""
    scope = _scope(request.args)
    return _statistics(stats.report(scope), form, "public.statistics", {})


@blueprint.route("/libraries")
def libraries_page() -> str:
    return render_template(
        "public/libraries.html", libraries=libraries.member_libraries(), text=TEXT
    )


@blueprint.route("/libraries/<code>")
def library(code: str) -> str:
    found = libraries.public_library(code)
    report = stats.report(stats.Scope(library_id=found.id))
    return render_template(
        "public/library.html",
        library=found,
        contributions=libraries.contributions(found),
        coordinated=libraries.coordinated(found),
        report=report,
        document=report_document(report),
        stats_tables=stats.TABLES,
        member=libraries.is_member(current_user, found),
        chart_script=chart_script(),
        text=TEXT,
    )


@blueprint.route("/libraries/<code>/stats")
@blueprint.route("/libraries/<code>/stats.<any(json, csv):form>")
def library_statistics(code: str, form: str = "html") -> str | Response:
    """A library's own statistics, drafts and contributors included: for its members only."""
    found = libraries.public_library(code)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    libraries.require_member(current_user, found)
    scope = _scope(request.args, library_id=found.id, private=True)
    return _statistics(
        stats.report(scope), form, "public.library_statistics", {"code": code}, library=found
    )


def _scope(args, library_id: int | None = None, private: bool = False) -> stats.Scope:
    """The month range asked for; a malformed or reversed one is a 400 naming what is wrong."""
    months: dict[str, str | None] = {}
    for name in ("from", "to"):
        value = (args.get(name) or "").strip() or None
        if value is not None and not _is_month(value):
            raise BadInput(
                Message("{name}: {value!r} is not a month; write YYYY-MM, e.g. 2026-03").format(
                    name=name, value=value[:40]
                )
            )
        months[name] = value
    if months["from"] and months["to"] and months["from"] > months["to"]:
        raise BadInput(
            Message("from ({start}) is after to ({end}): the range is empty").format(
                start=months["from"], end=months["to"]
            )
        )
    return stats.Scope(library_id, private, months["from"], months["to"])


def _is_month(value: str) -> bool:
    return bool(MONTH.fullmatch(value)) and 1 <= int(value[5:]) <= 12


def _statistics(
    report: stats.Report, form: str, endpoint: str, values: dict, library=None
) -> str | Response:
    """The same figures as a page, as JSON or as CSV."""
    document = report_document(report)
    if form == "json":
        return jsonify(document)
    if form == "csv":
        filename = f"huiku-statistics{'-' + library.code if library else ''}.csv"
        return Response(
            report_csv(document),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    links = {
        name: url_for(endpoint, form=name, **values, **_range_args(report.scope))
        for name in ("json", "csv")
    }
    return render_template(
        "stats/page.html",
        report=report,
        document=document,
        stats_tables=stats.TABLES,
        library=library,
        links=links,
        action=url_for(endpoint, **values),
        chart_script=chart_script(),
        text=TEXT,
    )


def _range_args(scope: stats.Scope) -> dict[str, str]:
    return {k: v for k, v in (("from", scope.start), ("to", scope.end)) if v}


def report_document(report: stats.Report) -> dict:
    """Statistics as JSON: labels in both languages, counts exact at ``generated``."""
    library = report.scope.library_id
    return {
        "generated": utcnow().isoformat(),
        "scope": {
            "library": db.session.get(Library, library).code if library else None,
            "private": report.scope.private,
            "from": report.scope.start,
            "to": report.scope.end,
        },
        "totals": {"records": report.records, "images": report.images},
        "tables": {
            name: [
                {
                    "key": row.key,
                    "label": {"zh": row.label.zh, "en": str(row.label)},
                    "records": row.records,
                    "images": row.images,
                    **({"cumulative": row.cumulative} if row.cumulative is not None else {}),
                }
                for row in rows
            ]
            for name, rows in report.tables.items()
        },
        # Records harvested from other repositories: counted apart, never in the totals above.
        "harvested": {
            "records": sum(row.records for row in report.harvested),
            "sources": [
                {
                    "key": row.key,
                    "name": row.name,
                    "library": row.library,
                    "library_label": {"zh": row.library_label.zh, "en": str(row.library_label)},
                    "records": row.records,
                }
                for row in report.harvested
            ],
        },
    }


def report_csv(document: dict) -> str:
    """One line per row of every table, then one per harvest source (table ``harvested``, the
    source's slug as key, its library in the labels); a BOM so spreadsheet programs read the
    Chinese."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["table", "key", "label_zh", "label_en", "records", "images", "cumulative"])
    totals = document["totals"]
    writer.writerow(["total", "", "合计", "total", totals["records"], totals["images"], ""])
    for name, rows in document["tables"].items():
        for row in rows:
            label, cumulative = row["label"], row.get("cumulative", "")
            counts = [row["records"], row["images"], cumulative]
            writer.writerow([name, row["key"], label["zh"], label["en"], *counts])
    for row in document["harvested"]["sources"]:  # a source's name is not translated
        library = row["library_label"]
        label_zh, label_en = f"{row['name']}（{library['zh']}）", f"{row['name']} ({library['en']})"
        writer.writerow(["harvested", row["key"], label_zh, label_en, row["records"], "", ""])
    return "\ufeff" + out.getvalue()


def chart_script() -> str | None:
    """URL of ECharts when scripts/chart-assets installed it; None: the pages show tables."""
    stamp = Path(current_app.static_folder or "") / ECHARTS_STAMP
    try:
        version = json.loads(stamp.read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return url_for("static", filename=ECHARTS_SCRIPT, v=version)
