"""Batch import: a spreadsheet of records and their images, checked row by row, then imported.

The service API, used by the web pages, the JSON API and the ``huiku import`` command:

- ``start_import`` checks options, permissions and files, keeps the files in the job's folder
  and commits a queued ``IngestJob`` (``start_import_again`` does so on the files a dry run
  kept); ``queue_import`` enqueues it for a worker (``run_import_task``); ``run_import`` runs it
  in this process. ``cancel_import`` and ``retry_import`` stop and resume it;
  ``prune_import_files`` deletes the uploads of jobs that finished long ago.
- ``report_as_csv`` / ``report_as_xlsx`` render a job's row-level report;
  ``template_csv`` / ``template_xlsx`` generate a collection's spreadsheet templates.

See docs/import.md for the behaviour a cataloguer sees.
"""

from __future__ import annotations

from ingest.imports.files import job_folder
from ingest.imports.jobs import cancel_import, find_job, prune_import_files, retry_import
from ingest.imports.problems import ImportRejected
from ingest.imports.report import report_as_csv, report_as_xlsx
from ingest.imports.services import start_import, start_import_again
from ingest.imports.tasks import queue_import, run_import, run_import_task
from ingest.imports.templates import template_csv, template_xlsx

__all__ = [
    "ImportRejected",
    "cancel_import",
    "find_job",
    "job_folder",
    "prune_import_files",
    "queue_import",
    "report_as_csv",
    "report_as_xlsx",
    "retry_import",
    "run_import",
    "run_import_task",
    "start_import",
    "start_import_again",
    "template_csv",
    "template_xlsx",
]
