"""The S3 fixtures (``tests.storage.s3_server``) for every test in this folder."""

from tests.storage.s3_server import (  # noqa: F401 (fixtures)
    s3_app,
    s3_credentials,
    s3_settings,
    s3_store,
    s3_url,
)
