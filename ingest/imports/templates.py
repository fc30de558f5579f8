"""Spreadsheet templates for a collection, generated from its profile (nothing written by hand).

The CSV has the field keys in row 1 and a hint row 2 starting with ``#``, which the importer
skips; it is UTF-8 with a byte-order mark so Excel opens the Chinese text correctly. The XLSX
has the keys in row 1 of its first sheet, a comment on each header, drop-down lists for
vocabulary fields, and a second sheet that explains every column.
"""

from __future__ import annotations

import csv
import io

from repository.models import Collection
from repository.profiles import Field, Kind, Profile

HINT_MARK = "#"
TEMPLATE_ROWS = 5000  # how far down the XLSX drop-down lists reach


def template_headers(profile: Profile) -> list[str]:
    """The header row: the profile's columns (``Profile.columns``, which exports share)."""
    return list(profile.columns)


def hint_text(field: Field, collection: Collection | None = None) -> str:
    """One cell's worth of guidance, Chinese first, then English."""
    parts = [f"{field.label_zh} {field.label_en}"]
    parts.append("必填 required" if field.required else "选填 optional")
    if field.vocabulary:
        parts.append("可选值 one of: " + " / ".join(term.value for term in field.vocabulary))
    if field.repeatable:
        parts.append("多个值用 ; 或 ； 分隔 separate several with ;")
    if field.kind is Kind.IMAGES:
        parts.append("ZIP 或文件夹中的文件名 file names in the ZIP or folder")
    if field.kind is Kind.RIGHTS and collection is not None and collection.default_rights:
        parts.append(f"留空则为 blank means {collection.default_rights}")
    if field.hint_zh:
        parts.append(field.hint_zh)
    if field.example:
        parts.append(f"例 e.g. {field.example}")
    return " | ".join(parts)


def template_csv(collection: Collection) -> bytes:
    """Header row of field keys, then the hint row (skipped on import)."""
    profile = collection.profile
    hints = [hint_text(field, collection) for field in profile.fields]
    hints[0] = f"{HINT_MARK} {hints[0]}"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(template_headers(profile))
    writer.writerow(hints)
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def template_xlsx(collection: Collection) -> bytes:
    """A workbook: the records sheet to fill in, and a guide to every column."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    profile = collection.profile
    workbook = Workbook()
    records = workbook.active
    records.title = "records 记录"
    records.append(template_headers(profile))
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for index, field in enumerate(profile.fields, start=1):
        letter = get_column_letter(index)
        cell = records.cell(row=1, column=index)
        cell.font = Font(bold=True)
        if field.required:
            cell.fill = required_fill
        comment = Comment(hint_text(field, collection).replace(" | ", "\n"), "Huiku")
        comment.width, comment.height = 320, 160
        cell.comment = comment
        records.column_dimensions[letter].width = 30 if field.kind is Kind.LONG_TEXT else 16
        if field.vocabulary and not field.repeatable:
            choices = ",".join(term.value for term in field.vocabulary)
            validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
            validation.error = "请从列表中选择 Choose a value from the list"
            validation.showErrorMessage = False  # pasted English labels are accepted too
            validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS}")
            records.add_data_validation(validation)
    records.freeze_panes = "B2"

    guide = workbook.create_sheet("guide 说明")
    guide.append([f"{collection.title_zh} {collection.title_en}".strip()])
    guide.append([f"模板 Profile: {profile.label_zh} {profile.label_en} ({profile.name})"])
    for line in _GUIDE_NOTES:
        guide.append([line])
    guide.append([])
    header_row = guide.max_row + 1
    guide.append(_GUIDE_COLUMNS)
    for cell in guide[header_row]:
        cell.font = Font(bold=True)
    for field in profile.fields:
        guide.append(
            [
                field.key,
                field.label_zh,
                field.label_en,
                "必填 required" if field.required else "选填 optional",
                "是 yes" if field.repeatable else "",
                " / ".join(term.value for term in field.vocabulary),
                field.example,
                field.hint_zh,
                field.hint_en,
            ]
        )
    for letter, width in zip("ABCDEFGHI", (18, 14, 20, 14, 8, 40, 28, 40, 40), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=header_row):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_GUIDE_COLUMNS = [
    "列名 column",
    "中文标签",
    "English label",
    "必填 required",
    "多值 repeatable",
    "可选值 allowed values",
    "示例 example",
    "说明",
    "Notes",
]

_GUIDE_NOTES = (
    "第 1 行是列名，可写字段名、中文标签或英文标签；从第 2 行起每行一条记录。"
    " Row 1 holds the headers (field key, Chinese or English label); one record per row below.",
    "本馆标识（local_id）在本馆内唯一：再次导入同一标识会更新该记录，内容相同则不作改动。"
    " local_id is unique within your library: importing it again updates that record, "
    "or changes nothing when the row is the same.",
    "图片列填写 ZIP 压缩包或文件夹中的文件名，按显示顺序，用 ; 或 ； 分隔，不区分大小写；"
    "留空则保留记录现有图片。"
    " The images column names files in the ZIP or folder, in display order, separated by ; "
    "(case does not matter); an empty cell keeps the record's images.",
    "音视频（MP3、M4A/AAC、WAV、FLAC、MP4、WebM、MOV）也填在图片列，"
    "与图片放在同一个 ZIP 或文件夹中。"
    " Recordings (MP3, M4A/AAC, WAV, FLAC, MP4, WebM, MOV) go in the images column too, "
    "in the same ZIP or folder.",
    "列名以 # 开头的列为备注列，导入时忽略。 Columns whose header starts with # are notes and "
    "are ignored.",
    "保存为 CSV 时可选 UTF-8 或 GBK 编码。 CSV files may be saved as UTF-8 or GBK.",
)
