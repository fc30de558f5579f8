"""The year histogram beside the results: hits counted by their first year, in bars a round
number of years wide, each bar a link narrowing the search to its years."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_BARS = 24
WIDTHS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000)


@dataclass(frozen=True)
class YearBar:
    start: int
    end: int
    count: int
    share: float  # of the highest bar, 0–1, for drawing

    @property
    def label(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}–{self.end}"


def year_bars(counts: Sequence[tuple[int, int]]) -> tuple[YearBar, ...]:
    """Bars from (year, count) pairs, empty bars between them kept, so gaps show as gaps."""
    if not counts:
        return ()
    first, last = min(year for year, _ in counts), max(year for year, _ in counts)
    width = next((w for w in WIDTHS if last // w - first // w < MAX_BARS), WIDTHS[-1])
    totals: dict[int, int] = {}
    for year, count in counts:
        totals[year // width] = totals.get(year // width, 0) + count
    highest = max(totals.values())
    return tuple(
        YearBar(
            slot * width,
            slot * width + width - 1,
            totals.get(slot, 0),
            totals.get(slot, 0) / highest,
        )
        for slot in range(first // width, last // width + 1)
    )
