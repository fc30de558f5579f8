"""The viewer on record pages, and the script that installs it from the npm registry."""

from __future__ import annotations

import gzip
import importlib.util
import io
import os
import subprocess
import sys
import tarfile
from importlib.machinery import SourceFileLoader
from pathlib import Path

import pytest

from repository.models import RecordStatus

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "viewer-assets"


@pytest.fixture
def changbaishan(make_collection):
    return make_collection("natural_history", slug="changbaishan")


@pytest.fixture
def installed_viewer(app, tmp_path, monkeypatch) -> Path:
    """A stand-in Mirador bundle where an installed one would be (the page only links it)."""
    root = tmp_path / "vendor"
    (root / "mirador").mkdir(parents=True)
    (root / "mirador" / "mirador.min.js").write_text("window.Mirador = {viewer() {}};\n")
    (root / "mirador" / "INSTALLED.json").write_text('{"package": "mirador", "version": "4.0.0"}')
    monkeypatch.setitem(app.config, "IIIF_VIEWER_VENDOR", str(root))
    return root


@pytest.fixture
def missing_viewer(app, tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "IIIF_VIEWER_VENDOR", str(tmp_path / "not-installed"))


def test_a_record_page_opens_its_manifest_in_the_viewer(
    client, changbaishan, make_record, installed_viewer
):
    record = make_record(changbaishan, images=2)
    page = client.get(f"/records/{record.public_id}").get_data(as_text=True)
    manifest = f"http://huiku.test/iiif/3/manifests/{record.public_id}"
    assert 'id="iiif-viewer"' in page
    assert f'data-manifest="{manifest}"' in page
    assert 'data-language="zh-CN"' in page
    assert 'data-canvases="2"' in page
    assert "/iiif/viewer/vendor/mirador/mirador.min.js?v=" in page
    assert "/iiif/viewer/static/viewer.js" in page
    # The plain images stay in the page for when the viewer cannot start.
    assert 'id="record-images"' in page
    assert page.count("/thumb-600.jpg") >= 2

    english = client.get(f"/records/{record.public_id}?lang=en").get_data(as_text=True)
    assert 'data-language="en"' in english
    assert "IIIF manifest" in english


def test_the_viewer_files_are_served_by_huiku(client, installed_viewer):
    bundle = client.get("/iiif/viewer/vendor/mirador/mirador.min.js")
    assert bundle.status_code == 200
    assert bundle.mimetype in ("text/javascript", "application/javascript")
    assert b"Mirador" in bundle.data
    for name in ("viewer.js", "viewer.css", "iiif.svg"):
        assert client.get(f"/iiif/viewer/static/{name}").status_code == 200, name
    assert client.get("/iiif/viewer/vendor/../../viewer.py").status_code == 404


def test_without_the_viewer_installed_the_page_shows_its_images(
    client, changbaishan, make_record, missing_viewer
):
    record = make_record(changbaishan, images=2)
    response = client.get(f"/records/{record.public_id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="iiif-viewer"' not in page
    assert "mirador" not in page
    assert page.count("/thumb-600.jpg") >= 2
    # The manifest can still be opened elsewhere.
    assert f"/iiif/3/manifests/{record.public_id}?manifest=" in page
    assert client.get("/iiif/viewer/vendor/mirador/mirador.min.js").status_code == 404


def test_a_record_without_images_has_no_viewer(client, changbaishan, make_record, installed_viewer):
    record = make_record(changbaishan)
    page = client.get(f"/records/{record.public_id}").get_data(as_text=True)
    assert 'id="iiif-viewer"' not in page
    assert "mirador" not in page


def test_a_draft_shown_to_its_library_has_no_viewer(
    login, changbaishan, make_user, make_record, installed_viewer
):
    contributor = make_user("contributor")
    record = make_record(changbaishan, contributor, status=RecordStatus.DRAFT, images=1)
    page = login(contributor).get(f"/records/{record.public_id}").get_data(as_text=True)
    assert 'id="iiif-viewer"' not in page
    assert "/thumb-600.jpg" in page


# scripts/viewer-assets -------------------------------------------------------------------------


def run_script(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        check=False,
    )


def fake_tarball(path: Path) -> Path:
    """A tarball shaped like the npm package but with other bytes than the pinned release."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in (
            ("package/dist/mirador.min.js", b"alert('not the real Mirador')"),
            ("package/LICENSE", b"licence"),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    path.write_bytes(gzip.compress(buffer.getvalue()))
    return path


def test_the_install_script_refuses_a_tarball_that_is_not_the_pinned_release(tmp_path):
    target = tmp_path / "vendor"
    result = run_script(
        "--tarball", str(fake_tarball(tmp_path / "mirador.tgz")), "--target", str(target)
    )
    assert result.returncode == 1
    assert "refusing to install it" in result.stderr
    assert not (target / "mirador").exists()


def test_the_install_script_reports_a_download_that_fails(tmp_path):
    result = run_script(
        "--target", str(tmp_path / "vendor"), HUIKU_NPM_REGISTRY="http://127.0.0.1:9"
    )
    assert result.returncode == 1
    assert "could not download http://127.0.0.1:9/mirador/-/mirador-" in result.stderr


def test_the_install_script_does_nothing_when_the_release_is_there(tmp_path):
    loader = SourceFileLoader("viewer_assets", str(SCRIPT))
    script = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(script)  # for its pins
    folder = tmp_path / "vendor" / "mirador"
    folder.mkdir(parents=True)
    for name in script.FILES.values():
        (folder / name).write_text("installed before")
    (folder / "INSTALLED.json").write_text(script.stamp_text())
    # An unreachable registry proves that nothing is downloaded.
    result = run_script(
        "--target", str(tmp_path / "vendor"), HUIKU_NPM_REGISTRY="http://127.0.0.1:9"
    )
    assert result.returncode == 0, result.stderr
    assert (folder / "mirador.min.js").read_text() == "installed before"
