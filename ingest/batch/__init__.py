"""Batch import: a spreadsheet of records and their images, checked row by row, then imported.

The public service API, used by the web pages, the JSON API and the ``huiku import`` command:

- ``start_import`` checks options, permissions and files, keeps the files in the job's folder
  and queues an ``IngestJob`` (``start_import_again`` queues another job on the files a dry
  run kept); ``run_import`` runs (or resumes) it in this thread;
  ``run_import_in_background`` in a daemon thread; ``resume_unfinished_imports`` picks up jobs
  a crash or restart left unfinished; ``prune_import_files`` deletes the uploads of jobs that
  finished more than ``IMPORT_KEEP_DAYS`` ago.
- ``report_as_csv`` / ``report_as_xlsx`` render a job's row-level report;
  ``template_csv`` / ``template_xlsx`` generate a collection's spreadsheet templates.

See docs/import.md for the behaviour a cataloguer sees.
"""

from __future__ import annotations

from ingest.batch.jobs import (
    find_job,
    job_folder,
    prune_import_files,
    resume_unfinished_imports,
    run_import,
    run_import_in_background,
    start_import,
    start_import_again,
)
from ingest.batch.problems import ImportRejected
from ingest.batch.report import report_as_csv, report_as_xlsx
from ingest.batch.templates import template_csv, template_xlsx

__all__ = [
    "ImportRejected",
    "find_job",
    "job_folder",
    "prune_import_files",
    "report_as_csv",
    "report_as_xlsx",
    "resume_unfinished_imports",
    "run_import",
    "run_import_in_background",
    "start_import",
    "start_import_again",
    "template_csv",
    "template_xlsx",
]
