"""Fixtures of the recording tests: real files made by FFmpeg, an ICH collection, a record
saved with recordings through the same service the form and the API use."""

from __future__ import annotations

import io
import itertools
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.services import save_new_record
from ingest.uploads import ImageUpload
from repository.models import Record
from repository.services import records
from tests.conftest import REQUIRE_SERVICES
from tests.factories import SAMPLE_METADATA
from tests.media.samples import make_sample

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def sample_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("ffmpeg") is None:
        message = "FFmpeg is not installed (scripts/services/ffmpeg.sh ensure)"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    return tmp_path_factory.mktemp("recordings")


@pytest.fixture
def sample(sample_folder: Path) -> Callable[..., Path]:
    def make(name: str, seconds: float = 2) -> Path:
        return make_sample(sample_folder, name, seconds)

    return make


@pytest.fixture
def ich(make_collection):
    return make_collection("ich", slug="ich")


@pytest.fixture
def record_with(make_user, ich):
    """A record of the ICH collection saved with these files (images or recordings), through
    the service the form and the API use; published unless ``publish=False``."""

    def make(*files: Path | tuple[str, bytes], publish: bool = True) -> Record:
        contributor = make_user("contributor")
        uploads = []
        for item in files:
            if isinstance(item, Path):
                uploads.append(ImageUpload(item, item.name.split("-", 1)[-1], item.stem))
            else:
                uploads.append(ImageUpload(io.BytesIO(item[1]), item[0], item[0]))
        data = {**SAMPLE_METADATA["ich"], "local_id": f"ICH-{next(_numbers)}"}
        record = save_new_record(contributor, ich, data, uploads)
        if publish:
            records.submit_record(contributor, record)
            records.publish_record(make_user("admin", library=contributor.library), record)
        return record

    return make
