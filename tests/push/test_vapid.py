import base64
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from server.push.vapid import (
    PRIVATE_KEY_FILENAME,
    VapidKeyError,
    application_server_key,
    create_vapid_key,
    load_vapid_key,
)


def test_create_then_load_same_key(tmp_path):
    path = create_vapid_key(tmp_path / "instance")
    loaded = load_vapid_key(tmp_path / "instance")

    assert path == tmp_path / "instance" / PRIVATE_KEY_FILENAME
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert isinstance(loaded.curve, ec.SECP256R1)
    assert application_server_key(loaded) == application_server_key(
        load_vapid_key(tmp_path / "instance")
    )


def test_create_writes_owner_only_file(tmp_path):
    path = create_vapid_key(tmp_path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_create_never_overwrites_key(tmp_path):
    path = create_vapid_key(tmp_path)
    original = path.read_bytes()

    with pytest.raises(VapidKeyError, match="already exists"):
        create_vapid_key(tmp_path)

    assert path.read_bytes() == original


def test_load_missing_key_names_path(tmp_path):
    with pytest.raises(VapidKeyError) as raised:
        load_vapid_key(tmp_path)

    assert str(tmp_path / PRIVATE_KEY_FILENAME) in str(raised.value)


def test_load_rejects_non_pem(tmp_path):
    (tmp_path / PRIVATE_KEY_FILENAME).write_text("not a key")

    with pytest.raises(VapidKeyError, match="not a valid PEM key"):
        load_vapid_key(tmp_path)


def test_load_rejects_other_curve(tmp_path):
    other = ec.generate_private_key(ec.SECP384R1())
    pem = other.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / PRIVATE_KEY_FILENAME).write_bytes(pem)

    with pytest.raises(VapidKeyError, match="not a P-256 key"):
        load_vapid_key(tmp_path)


def test_application_server_key_is_uncompressed_point(tmp_path):
    create_vapid_key(tmp_path)
    private_key = load_vapid_key(tmp_path)

    encoded = application_server_key(private_key)
    point = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))

    assert "=" not in encoded
    assert len(point) == 65
    assert point[0] == 0x04
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    assert public.public_numbers() == private_key.public_key().public_numbers()
