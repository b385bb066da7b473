"""feed import with a public key: a bundle without its .sig is refused (exit 4), never
installed and never recorded as signed; with a good .sig it is installed and recorded signed;
without a key it is installed and recorded unsigned."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import TEST_FEED_DIR
from vcaudit.cli import main
from vcaudit.feed import store
from vcaudit.feed.load import bundle_bytes

_BUNDLED_AT = store.bundled_generated_at()
assert _BUNDLED_AT is not None
WHEN = _BUNDLED_AT + dt.timedelta(minutes=5)


@pytest.fixture
def signed_setup(tmp_path: Path) -> tuple[Path, Path, Ed25519PrivateKey]:
    """A bundle with its .sha256 (no .sig yet), and the PEM public key of `key`."""
    key = Ed25519PrivateKey.generate()
    public = tmp_path / "pub.pem"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    data = bundle_bytes(TEST_FEED_DIR, WHEN)
    bundle = tmp_path / "feed.json"
    bundle.write_bytes(data)
    Path(f"{bundle}.sha256").write_text(f"{store.sha256_hex(data)}  feed.json\n", "utf-8")
    return bundle, public, key


def feed_import(
    capsys: pytest.CaptureFixture[str], bundle: Path, cache: Path, *extra: str
) -> tuple[int, str]:
    code = main(["feed", "import", str(bundle), "--cache-dir", str(cache), *extra])
    return code, capsys.readouterr().err


def test_a_public_key_and_no_signature_is_refused(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    signed_setup: tuple[Path, Path, Ed25519PrivateKey],
) -> None:
    bundle, public, _key = signed_setup
    cache = tmp_path / "cache"
    code, err = feed_import(capsys, bundle, cache, "--public-key", str(public))
    assert code == 4, err
    assert "unsigned: a public key is configured but no signature found" in err
    assert store.State.read(cache) is None  # nothing installed, nothing recorded
    assert store.feed_in_use(cache).origin == "bundled"


@pytest.mark.slow
def test_a_good_signature_is_installed_and_recorded_as_signed(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    signed_setup: tuple[Path, Path, Ed25519PrivateKey],
) -> None:
    bundle, public, key = signed_setup
    Path(f"{bundle}.sig").write_bytes(base64.b64encode(key.sign(bundle.read_bytes())))
    cache = tmp_path / "cache"
    code, err = feed_import(capsys, bundle, cache, "--public-key", str(public))
    assert code == 0, err
    state = store.State.read(cache)
    assert state is not None
    assert state.signed is True
    assert state.sha256 == store.sha256_hex(bundle.read_bytes())
    assert store.feed_in_use(cache).feed.info.generated_at == WHEN


def test_without_a_key_the_feed_is_recorded_unsigned(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    signed_setup: tuple[Path, Path, Ed25519PrivateKey],
) -> None:
    bundle, _public, key = signed_setup
    Path(f"{bundle}.sig").write_bytes(base64.b64encode(key.sign(bundle.read_bytes())))
    cache = tmp_path / "cache"
    code, err = feed_import(capsys, bundle, cache)
    assert code == 0, err
    state = store.State.read(cache)
    assert state is not None
    assert state.signed is False


@pytest.mark.slow
def test_a_missing_signature_keeps_the_signed_feed_in_use(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    signed_setup: tuple[Path, Path, Ed25519PrivateKey],
) -> None:
    bundle, public, key = signed_setup
    sig = Path(f"{bundle}.sig")
    sig.write_bytes(base64.b64encode(key.sign(bundle.read_bytes())))
    cache = tmp_path / "cache"
    assert feed_import(capsys, bundle, cache, "--public-key", str(public))[0] == 0
    before = (cache / store.STATE_NAME).read_bytes()
    # A newer bundle arrives without its .sig: refused, the signed one stays in use.
    newer = bundle_bytes(TEST_FEED_DIR, WHEN + dt.timedelta(minutes=1))
    bundle.write_bytes(newer)
    Path(f"{bundle}.sha256").write_text(f"{store.sha256_hex(newer)}  feed.json\n", "utf-8")
    sig.unlink()
    code, err = feed_import(capsys, bundle, cache, "--public-key", str(public))
    assert code == 4, err
    assert "unsigned" in err
    assert (cache / store.STATE_NAME).read_bytes() == before
    assert store.feed_in_use(cache).feed.info.generated_at == WHEN
