"""No cleartext phone number, name or address (nor the EXIF owner name inside a photo) anywhere in the
database file or the evidence folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from shouhou.audit import service as audit_service
from tests.api.conftest import BUYER_ADDRESS, BUYER_NAME, BUYER_PHONE, EXIF_OWNER, World, forged_rgb, jpeg


def _needles() -> list[bytes]:
    out = []
    for text in (BUYER_PHONE, BUYER_NAME, BUYER_ADDRESS, "文三路", EXIF_OWNER, "Wang Xiaoming"):
        out += [text.encode("utf-8"), text.encode("utf-16-le")]
    return out


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_cleartext_personal_data_at_rest(world: World) -> None:
    w = world
    photo = jpeg(forged_rgb(), owner=EXIF_OWNER)
    assert (
        EXIF_OWNER.encode("utf-8") in photo or b"Wang Xiaoming" in photo
    )  # the needle is really in the photo
    cid = w.file_claim("buyer1", "order1", photo).json()["id"]
    w.run_jobs()
    w.get("rev1", f"/api/v1/claims/{cid}/contact", params={"reveal": "true"})
    w.get("admin", f"/api/v1/claims/{cid}/contact", params={"reveal": "true"})
    audit_service.checkpoint(w.rt.db, w.rt.keys.audit, w.rt.settings.audit_checkpoint_file, now=w.rt.now())
    # The original bytes come back exactly, to those allowed to see them.
    ev = w.claim("buyer1", cid)["evidence"][0]
    assert w.get("buyer1", f"/api/v1/claims/{cid}/evidence/{ev['id']}/file").content == photo
    w.rt.db.dispose()  # let SQLite fold the WAL back; the WAL file is searched too if it remains
    home: Path = w.rt.settings.home
    db_file = Path(make_url(w.rt.db.url).database or "")
    files = [p for p in home.rglob("*") if p.is_file() and "secrets" not in p.parts]
    files += [p for p in db_file.parent.glob(db_file.name + "*") if p.is_file()]
    assert any(p.name.startswith("shouhou.db") for p in files)
    assert any("evidence" in p.parts for p in files)
    for path in files:
        raw = path.read_bytes()
        for needle in _needles():
            assert needle not in raw, f"{needle!r} in {path}"
