"""Key rotation: a new first key encrypts, old keys still decrypt, `rotate` moves fields to the new key."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from shouhou.claims.catalog import rotate_personal_fields
from shouhou.errors import BlobCorrupt
from shouhou.privacy.crypto import KeyRing, format_keys, new_key, parse_keys
from shouhou.runtime import Runtime
from tests.api.conftest import BUYER_PHONE, World, forged_rgb, jpeg


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_rotation_rewrites_fields_and_keeps_evidence_readable(world: World) -> None:
    w = world
    cid = w.file_claim("buyer1", "order1", jpeg(forged_rgb())).json()["id"]
    old_spec = w.rt.settings.field_keys
    assert old_spec is not None
    k2 = format_keys({"k2": new_key()})
    rotated = Runtime.open(
        w.rt.settings.model_copy(update={"field_keys": SecretStr(f"{k2},{old_spec.get_secret_value()}")}),
        clock=w.clock,
    )
    try:
        seen, rewritten = rotate_personal_fields(rotated)
        assert seen == 2 and rewritten == 6  # two buyers × name, phone, address
        assert rotate_personal_fields(rotated) == (2, 0)  # idempotent
        only_new = KeyRing(parse_keys(k2))
        with rotated.uow(write=False) as uow:
            buyer = uow.buyers.get_or_raise(id=w.ids["buyer_of_order1"])
            assert only_new.field_kid(buyer.phone_enc) == "k2"
            assert only_new.decrypt_field(buyer.phone_enc, context="buyers.phone") == BUYER_PHONE
            ev = uow.evidence.for_claim(claim_id=cid)[0]
        # Evidence files are never rewritten: they need the old key to stay in the ring.
        assert rotated.blobs.get(ev.blob_sha256)
        with pytest.raises(BlobCorrupt):
            only_new.decrypt_blob(rotated.blobs.path_for(ev.blob_sha256).read_bytes(), sha256=ev.blob_sha256)
    finally:
        rotated.close()
