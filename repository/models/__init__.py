"""The relational model: the source of truth from which search and IIIF are derived."""

from repository.models.accounts import ApiToken, Library, User, UserRole
from repository.models.collections import Collection, collection_reviewers
from repository.models.duplicates import DuplicateCandidate, DuplicateKey, DuplicateState
from repository.models.exports import ExportJob
from repository.models.harvest import (
    HarvestedKey,
    HarvestedRecord,
    HarvestRun,
    HarvestSource,
    SourceCheck,
    SourceKind,
)
from repository.models.jobs import ImportReportEntry, IndexTask, IngestJob, JobState
from repository.models.records import (
    Asset,
    DerivativeState,
    Record,
    RecordContributor,
    RecordRevision,
    RecordStatus,
    Tombstone,
    TombstoneCredit,
)

__all__ = [
    "ApiToken",
    "Asset",
    "Collection",
    "DerivativeState",
    "DuplicateCandidate",
    "DuplicateKey",
    "DuplicateState",
    "ExportJob",
    "HarvestRun",
    "HarvestSource",
    "HarvestedKey",
    "HarvestedRecord",
    "ImportReportEntry",
    "IndexTask",
    "IngestJob",
    "JobState",
    "Library",
    "Record",
    "RecordContributor",
    "RecordRevision",
    "RecordStatus",
    "SourceCheck",
    "SourceKind",
    "Tombstone",
    "TombstoneCredit",
    "User",
    "UserRole",
    "collection_reviewers",
]
