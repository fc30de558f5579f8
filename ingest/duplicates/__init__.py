"""Duplicates across libraries: flag records that probably describe the same thing, let reviewers
merge them or keep both.

The record form calls ``flag_possible_duplicates`` after saving a record; the import engine
calls ``flag_new_records`` for each batch of new records (and the former for changed ones).
"""

from ingest.duplicates.decisions import keep_both, merge_pair, merged_into
from ingest.duplicates.flagging import (
    flag_in_transaction,
    flag_new_records,
    flag_possible_duplicates,
)
from ingest.duplicates.keys import match_keys, normalized_text, taxon_key

__all__ = [
    "flag_in_transaction",
    "flag_new_records",
    "flag_possible_duplicates",
    "keep_both",
    "match_keys",
    "merge_pair",
    "merged_into",
    "normalized_text",
    "taxon_key",
]
