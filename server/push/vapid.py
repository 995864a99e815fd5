"""Create, store and load the VAPID key pair that signs Web Push requests.

The key is a P-256 (prime256v1) private key, stored as unencrypted PKCS#8 PEM in a
folder the caller chooses, normally the Flask instance folder, so it stays out of
the repository. Browsers take the public half as ``applicationServerKey``.
"""

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from server.push import PushError

# File name of the private key inside the key folder.
PRIVATE_KEY_FILENAME = "vapid_private_key.pem"


class VapidKeyError(PushError):
    """Raised when the VAPID key file is missing, unreadable or already exists."""


def private_key_path(folder: str | os.PathLike[str]) -> Path:
    """Return the path of the VAPID private key file inside ``folder``."""
    return Path(folder) / PRIVATE_KEY_FILENAME


def create_vapid_key(folder: str | os.PathLike[str]) -> Path:
    """Generate a P-256 key pair and write the private key to ``folder`` as PEM.

    The file is created with mode 0600 and never overwritten, because replacing the
    key invalidates every existing browser subscription. Returns the file's path.
    """
    path = private_key_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)

    private_key = ec.generate_private_key(ec.SECP256R1())
    pem = private_key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )

    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise VapidKeyError(
            f"A VAPID private key already exists at {path}. Replacing it would"
            " invalidate every push subscription; delete the file first if that"
            " is intended."
        ) from None

    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)

    return path


def load_vapid_key(folder: str | os.PathLike[str]) -> ec.EllipticCurvePrivateKey:
    """Read the VAPID private key from ``folder`` and check that it is P-256."""
    path = private_key_path(folder)
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise VapidKeyError(
            f"No VAPID private key found at {path}. Create one with"
            " create_vapid_key() before sending push messages."
        ) from None

    try:
        private_key = serialization.load_pem_private_key(pem, password=None)
    except ValueError as error:
        raise VapidKeyError(
            f"The VAPID private key at {path} is not a valid PEM key: {error}"
        ) from error

    if not isinstance(private_key, ec.EllipticCurvePrivateKey) or not isinstance(
        private_key.curve, ec.SECP256R1
    ):
        raise VapidKeyError(
            f"The VAPID private key at {path} is not a P-256 key, but VAPID"
            " (RFC 8292) signs with ES256, which needs P-256."
        )

    return private_key


def application_server_key(private_key: ec.EllipticCurvePrivateKey) -> str:
    """Encode the public key as unpadded base64url of the uncompressed point.

    This 65-byte form (0x04, X, Y) is what ``PushManager.subscribe()`` expects as
    ``applicationServerKey`` and what VAPID sends as ``k``.
    """
    point = private_key.public_key().public_bytes(
        encoding=serialization.Encoding.X962,
        format=serialization.PublicFormat.UncompressedPoint,
    )
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode("ascii")
