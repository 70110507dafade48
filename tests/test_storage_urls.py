"""Object URLs (pure string work), fault classification and the settings: no server needed."""

from __future__ import annotations

import errno
import itertools
import sys

import pytest

from rb_lint.storage.access import Stores
from rb_lint.storage.faults import Fault, MissingExtra, StorageError, StorageProblem, classify, from_code
from rb_lint.storage.settings import StorageSettings
from rb_lint.storage.urls import ObjectUrl, is_url, join_prefix, normalise, parse_url, unsigned


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("s3://bucket/root/f.nii.gz", ObjectUrl("s3", "bucket", "root/f.nii.gz")),
        ("S3://bucket//root/f", ObjectUrl("s3", "bucket", "root/f")),
        ("gcs://bucket/k", ObjectUrl("gs", "bucket", "k")),
        ("gs://bucket", ObjectUrl("gs", "bucket", "")),
        ("az://container/p/q", ObjectUrl("az", "container", "p/q")),
        ("abfss://container@acct.dfs.core.windows.net/p", ObjectUrl("az", "container", "p")),
        ("az://", ObjectUrl("az", "", "")),
        (
            "https://Host.example:8443/a/b.nii?x=1#frag",
            ObjectUrl("https", "host.example:8443", "a/b.nii?x=1"),
        ),
        ("http://user:pw@host/a", ObjectUrl("http", "host", "a")),
    ],
)
def test_parse_url(text: str, expected: ObjectUrl) -> None:
    assert parse_url(text) == expected
    assert is_url(text)


@pytest.mark.parametrize(
    "text", ["root/f.nii.gz", "/abs/path", "C:\\x", "ftp://h/x", "s3:///key", "https://", ""]
)
def test_not_urls(text: str) -> None:
    assert parse_url(text) is None and not is_url(text)


def test_canonical_text() -> None:
    assert str(ObjectUrl("s3", "b", "k/x")) == "s3://b/k/x"
    assert str(ObjectUrl("s3", "b", "")) == "s3://b"
    assert str(ObjectUrl("az", "", "")) == "az://"
    assert normalise("gcs://b/x") == "gs://b/x" and normalise("not a url") == "not a url"


@pytest.mark.parametrize(
    ("prefix", "key", "joined"),
    [
        ("s3://b/p", "root/f.nii.gz", "s3://b/p/root/f.nii.gz"),
        ("s3://b/p/", "/root/f.nii.gz", "s3://b/p/root/f.nii.gz"),
        ("s3://b", "f", "s3://b/f"),
        ("gcs://b/", "f", "gs://b/f"),
        ("az://", "container/path", "az://container/path"),
        ("az://container", "path", "az://container/path"),
        ("https://host/data/", "a/b.nii", "https://host/data/a/b.nii"),
    ],
)
def test_join_prefix(prefix: str, key: str, joined: str) -> None:
    assert join_prefix(prefix, key) == joined


def test_signed_query_strings_are_left_out_of_keys_and_shown_urls() -> None:
    signed = (
        "https://h/a.nii.gz?versionId=3&X-Amz-Signature=abc&X-Amz-Credential=AKIA&sig=z&X-Goog-Signature=q"
    )
    assert unsigned(signed) == "https://h/a.nii.gz?versionId=3"
    assert unsigned("https://h/a?sv=1&se=2&sig=3") == "https://h/a"
    parsed = parse_url(signed)
    assert parsed is not None and "abc" not in parsed.shown and parsed.shown.startswith("https://h/a.nii.gz")
    assert unsigned("s3://b/k") == "s3://b/k"


def client_error(code: str, status: int) -> Exception:
    from botocore.exceptions import ClientError

    return ClientError(
        {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op"
    )


@pytest.mark.parametrize(
    ("code", "status", "fault"),
    [
        ("NoSuchBucket", 404, Fault.NOT_FOUND_BUCKET),
        ("AccessDenied", 403, Fault.DENIED),
        ("InvalidAccessKeyId", 403, Fault.CREDENTIALS),
        ("SignatureDoesNotMatch", 403, Fault.CREDENTIALS),
        ("SlowDown", 503, Fault.THROTTLED),
        ("RequestTimeout", 400, Fault.TIMEOUT),
        ("InternalError", 500, Fault.ERROR),
    ],
)
def test_provider_codes(code: str, status: int, fault: Fault) -> None:
    wrapped = FileNotFoundError("s3://bucket/key?X-Amz-Signature=leak")
    wrapped.__cause__ = client_error(code, status)
    found = classify(wrapped)
    assert found.fault is fault
    assert "leak" not in found.reason and code in found.reason


def test_exception_types_and_their_texts_never_reach_the_reason() -> None:
    assert classify(TimeoutError("https://h/x?sig=leak")).fault is Fault.TIMEOUT
    assert classify(ConnectionResetError(errno.ECONNRESET, "leak")).fault is Fault.RESET
    assert classify(PermissionError("leak")).fault is Fault.DENIED
    weird = classify(ValueError("token=leak"))
    assert weird.fault is Fault.ERROR and "leak" not in weird.reason
    assert from_code("<script>", 418).reason == "storage error (HTTP 418)"


def test_storage_error_is_an_oserror_with_the_safe_reason() -> None:
    error = StorageError(StorageProblem(Fault.RESET, "connection reset"))
    assert (
        isinstance(error, OSError)
        and error.strerror == "connection reset"
        and str(error) == "connection reset"
    )


def test_backoff_is_exponential_and_bounded() -> None:
    settings = StorageSettings(backoff=0.5, backoff_cap=3.0)
    assert [settings.delay(n) for n in (1, 2, 3, 4, 10)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert hash(settings) == hash(StorageSettings(backoff=0.5, backoff_cap=3.0))


def test_a_missing_extra_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "s3fs", None)
    stores = Stores(StorageSettings())
    with pytest.raises(MissingExtra) as raised:
        stores.exist(["s3://bucket/key"])
    assert str(raised.value) == 's3:// storage needs the s3 extra: pip install "rb-lint[s3]"'


class FakeListing:
    """A backend whose `list_page` answers as ListObjectsV2 does, from sorted keys in memory."""

    def __init__(self, keys: list[str]) -> None:
        import bisect

        self.keys = sorted(keys)
        self.bisect = bisect
        self.calls = 0

    def list_page(
        self, fs: object, bucket: str, prefix: str, start_after: str, limit: int, **extra: object
    ) -> tuple[list[tuple[str, int, str]], bool]:
        self.calls += 1
        start = self.bisect.bisect_right(self.keys, start_after)
        page: list[tuple[str, int, str]] = []
        for key in itertools.islice(self.keys, start, None):
            if not key.startswith(prefix):
                if key > prefix:
                    break
                continue
            if len(page) == limit:
                return page, True
            page.append((key, 1, "etag"))
        return page, False

    def version_of(self, info: object) -> str:
        return "etag"


def fake_stores(backend: FakeListing) -> Stores:
    import types

    from rb_lint.storage.access import Store

    module = types.ModuleType("fake")
    module.list_page = backend.list_page  # type: ignore[attr-defined]
    module.version_of = backend.version_of  # type: ignore[attr-defined]
    stores = Stores(StorageSettings())
    stores._stores[("s3", "bucket")] = Store("s3", "bucket", object(), module, False)
    return stores


def test_30000_dense_keys_cost_30_listing_requests() -> None:
    keys = [f"items/study-{n // 100:04d}/image-{n:06d}.dcm" for n in range(30_000)]
    backend = FakeListing([*keys, "items/zz-unrelated", "aaa"])
    stores = fake_stores(backend)
    wanted = keys[:15_000] + [key.replace(".dcm", ".missing") for key in keys[15_000:15_010]] + keys[15_010:]
    found = stores.exist([f"s3://bucket/{key}" for key in wanted])
    assert sum(item.exists for item in found.values()) == 29_990
    assert backend.calls == stores.requests("list") <= 30


def test_sparse_keys_cost_at_most_one_request_each_and_never_a_full_listing() -> None:
    backend = FakeListing([f"k/{n:06d}" for n in range(200_000)])  # never listed whole
    stores = fake_stores(backend)
    wanted = [f"k/{n:06d}" for n in (5, 77_777, 150_000, 199_999)] + ["k/1x", "k/zzz"]
    found = stores.exist([f"s3://bucket/{key}" for key in wanted])
    assert [found[f"s3://bucket/{key}"].exists for key in wanted] == [True] * 4 + [False] * 2
    assert backend.calls <= len(wanted)


def test_start_after_is_just_below_the_key() -> None:
    from rb_lint.storage.listing import before

    assert "a/b0zzz" < before("a/b1") < "a/b1"
    assert before("a/\x00") == "a/"
