"""Feed signatures: keys as PEM or raw base64, signatures raw or base64; every way a key,
a signature or a signing key can be wrong is one FeedError naming the file and the reason."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vcaudit.errors import FeedError
from vcaudit.feed import store

DATA = b'{"a feed": true}\n'


def pem_public(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def raw_public(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def pem_private(key: Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def clean_signer() -> Ed25519PrivateKey:
    """A key whose signature of DATA neither starts nor ends with a whitespace byte, so the
    same signature can also be written as base64 text with whitespace around it."""
    while True:
        key = Ed25519PrivateKey.generate()
        raw = key.sign(DATA)
        if raw.strip() == raw:
            return key


@pytest.mark.parametrize("form", [pem_public, raw_public])
@pytest.mark.parametrize("encoded", [True, False])
def test_a_good_signature_verifies(form: Callable[[Ed25519PrivateKey], str], encoded: bool) -> None:
    key = clean_signer()
    public = store.load_public_key(f"\n  {form(key)}  \n", "pub.pem")
    raw = key.sign(DATA)
    signature = base64.b64encode(raw) + b"\n" if encoded else raw
    store.verify_signature(DATA, signature, public, "feed.json")


def test_sign_makes_what_verify_accepts() -> None:
    key = Ed25519PrivateKey.generate()
    signature = store.sign(DATA, pem_private(key), "key.pem")
    assert signature.endswith(b"\n")
    public = store.load_public_key(pem_public(key), "pub.pem")
    store.verify_signature(DATA, signature, public, "feed.json")
    with pytest.raises(FeedError, match="bad signature: the feed was not signed by the"):
        store.verify_signature(DATA + b" ", signature, public, "feed.json")


def test_another_key_is_a_bad_signature() -> None:
    signer, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    public = store.load_public_key(raw_public(other), "pub.key")
    with pytest.raises(FeedError) as caught:
        store.verify_signature(DATA, base64.b64encode(signer.sign(DATA)), public, "feed.json")
    assert str(caught.value) == (
        "feed.json: bad signature: the feed was not signed by the configured key"
    )


@pytest.mark.parametrize("signature", [b"not base64!", b"QUJD=x", b"\xff" * 10])
def test_a_signature_that_is_not_base64(signature: bytes) -> None:
    public = store.load_public_key(raw_public(Ed25519PrivateKey.generate()), "pub.key")
    with pytest.raises(FeedError) as caught:
        store.verify_signature(DATA, signature, public, "feed.json")
    assert str(caught.value) == "feed.json: the signature is not valid base64"


def test_a_base64_signature_of_the_wrong_length_is_bad() -> None:
    public = store.load_public_key(raw_public(Ed25519PrivateKey.generate()), "pub.key")
    with pytest.raises(FeedError, match="bad signature"):
        store.verify_signature(DATA, base64.b64encode(b"x" * 63), public, "feed.json")


@pytest.mark.parametrize(
    "text", ["", "not a key", base64.b64encode(b"short").decode(), "-----BEGIN junk"]
)
def test_what_is_not_a_key_is_refused(text: str) -> None:
    with pytest.raises(FeedError) as caught:
        store.load_public_key(text, "pub.key")
    assert str(caught.value).startswith("pub.key: not an Ed25519 public key: ")


def test_a_key_of_another_kind_is_refused() -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    pem = (
        other.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with pytest.raises(FeedError) as caught:
        store.load_public_key(pem, "pub.pem")
    assert str(caught.value) == "pub.pem: the public key is not an Ed25519 key"


def test_a_signing_key_that_is_wrong_is_refused() -> None:
    with pytest.raises(FeedError) as caught:
        store.sign(DATA, b"not a key", "key.pem")
    assert str(caught.value).startswith("key.pem: not a PEM private key: ")
    with pytest.raises(FeedError) as caught:
        store.sign(DATA, pem_private(ec.generate_private_key(ec.SECP256R1())), "key.pem")
    assert str(caught.value) == "key.pem: the signing key is not an Ed25519 key"


def test_a_raw_signature_with_whitespace_bytes_at_its_ends_verifies() -> None:
    # About one raw signature in twenty starts or ends with a byte that is whitespace in
    # ASCII: it is 64 bytes of binary, taken as it is, never stripped like base64 text.
    while True:
        key = Ed25519PrivateKey.generate()
        raw = key.sign(DATA)
        if raw.strip() != raw:
            break
    public = store.load_public_key(raw_public(key), "pub.key")
    store.verify_signature(DATA, raw, public, "feed.json.sig")  # no error
