"""records: rebuild the pinyin sort keys, now read word by word with the region's place names

长白松 was keyed as zhǎng bái sōng; it now sorts as cháng bái sōng, beside 长白山. The keys are
derived from the titles, so this recomputes every stored key with the current reading
(``repository.chinese.pinyin_sort_key``). Search indices carry the key too: run
``huiku search reindex`` after upgrading. Downgrading keeps the new keys (they are still keys).

Revision ID: e6a1c4f8b297
Revises: d3f7a9c2e815
Created: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from repository.chinese import pinyin_sort_key

revision = "e6a1c4f8b297"
down_revision = "d3f7a9c2e815"
branch_labels = None
depends_on = None

BATCH = 1000

record = sa.table(
    "record",
    sa.column("id", sa.Integer),
    sa.column("title", sa.String),
    sa.column("title_sort", sa.String),
)


def upgrade():
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(record.c.id, record.c.title, record.c.title_sort)
            .where(record.c.id > last)
            .order_by(record.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        changed = [
            {"key": row.id, "sort": key}
            for row in rows
            if (key := pinyin_sort_key(row.title or "")) != row.title_sort
        ]
        if changed:
            connection.execute(
                record.update()
                .where(record.c.id == sa.bindparam("key"))
                .values(title_sort=sa.bindparam("sort")),
                changed,
            )
        last = rows[-1].id


def downgrade():
    pass
