"""Object URLs of the supported stores: pure string work, no I/O.

`s3://bucket/key`, `gs://bucket/key` (`gcs://` accepted), `az://container/path` (`abfs://` and
`abfss://`, also `abfs://container@account.dfs.core.windows.net/path`, accepted), and
`http(s)://host[:port]/path[?query]`."""

from __future__ import annotations

from dataclasses import dataclass

SCHEMES = ("s3", "gs", "az", "http", "https")
ALIASES = {
    "s3": "s3",
    "s3a": "s3",
    "gs": "gs",
    "gcs": "gs",
    "az": "az",
    "abfs": "az",
    "abfss": "az",
    "http": "http",
    "https": "https",
}


@dataclass(frozen=True, slots=True)
class ObjectUrl:
    scheme: str  # "s3" | "gs" | "az" | "http" | "https"
    bucket: str  # bucket / container / "host[:port]" for http(s)
    key: str  # object key without a leading "/" (http: the path without its "/", plus "?query")

    def __str__(self) -> str:
        if not self.key and self.scheme not in ("http", "https"):
            return f"{self.scheme}://{self.bucket}"  # a bucket (or "az://" alone)
        return f"{self.scheme}://{self.bucket}/{self.key}"

    @property
    def directory(self) -> str:
        """The key's "folder" ("" at the top): objects are listed per folder."""
        path = self.key.split("?", 1)[0] if self.scheme in ("http", "https") else self.key
        return path.rpartition("/")[0]

    @property
    def shown(self) -> str:
        """The URL for a message: an http(s) query string (a signed URL's signature) is left out."""
        if self.scheme in ("http", "https") and "?" in self.key:
            return f"{self.scheme}://{self.bucket}/{self.key.split('?', 1)[0]}?…"
        return str(self)


def _split_scheme(text: str) -> tuple[str, str] | None:
    head, sep, rest = text.partition("://")
    if not sep:
        return None
    scheme = ALIASES.get(head.lower())
    return None if scheme is None else (scheme, rest)


def parse_url(text: str) -> ObjectUrl | None:
    """The URL's parts, or None when `text` is not a URL of a supported scheme.

    `az://` alone (no container) parses with an empty bucket: Azure items name their container."""
    if not isinstance(text, str):
        return None
    split = _split_scheme(text.strip())
    if split is None:
        return None
    scheme, rest = split
    if scheme in ("http", "https"):
        rest = rest.split("#", 1)[0]
        netloc, _, path = rest.partition("/")
        if "?" in netloc:  # "https://host?query"
            netloc, _, query = netloc.partition("?")
            path = "?" + query
        netloc = netloc.rpartition("@")[2]  # never keep user:password@
        if not netloc:
            return None
        return ObjectUrl(scheme, netloc.lower(), path.lstrip("/"))
    bucket, _, key = rest.partition("/")
    if scheme == "az" and "@" in bucket:  # abfs://container@account.dfs.core.windows.net/path
        bucket = bucket.partition("@")[0]
    if not bucket and scheme != "az":
        return None
    if any(c.isspace() for c in bucket):
        return None
    return ObjectUrl(scheme, bucket, key.lstrip("/"))


def is_url(text: str) -> bool:
    return parse_url(text) is not None


def normalise(text: str) -> str:
    """The canonical form of a URL (`gcs://` → `gs://`, ...); `text` itself when not a URL."""
    parsed = parse_url(text)
    return text if parsed is None else str(parsed)


def join_prefix(prefix: str, key: str) -> str:
    """`prefix/key` with exactly one "/" between them: "s3://b/p" + "root/f.nii.gz" →
    "s3://b/p/root/f.nii.gz"; "az://" + "container/path" → "az://container/path"."""
    parsed = parse_url(prefix)
    base = prefix if parsed is None else str(parsed)
    base = base.rstrip("/")
    if base.endswith(":"):  # "az:/" after stripping: the scheme alone
        base += "/"
    tail = key.lstrip("/")
    if base.endswith("://"):
        return base + tail
    return f"{base}/{tail}" if tail else base


# Query parameters that sign a URL or carry a credential (AWS SigV2/SigV4, GCS V2/V4, Azure SAS,
# CloudFront, bearer tokens): never part of a cache key, a message or a log line.
SIGNING_PARAMETERS = frozenset(
    {
        "awsaccesskeyid",
        "signature",
        "expires",
        "googleaccessid",
        "policy",
        "key-pair-id",
        "sv",
        "ss",
        "srt",
        "sp",
        "se",
        "st",
        "spr",
        "sig",
        "sr",
        "si",
        "skoid",
        "sktid",
        "skt",
        "ske",
        "sks",
        "skv",
        "sdd",
        "ses",
        "token",
        "access_token",
        "code",
        "key",
        "apikey",
        "api_key",
    }
)


def unsigned(text: str) -> str:
    """The URL without the query parameters that sign it or carry a credential (http(s) only):
    what identifies the object, fit for a cache key."""
    parsed = parse_url(text)
    if parsed is None or parsed.scheme not in ("http", "https") or "?" not in parsed.key:
        return text if parsed is None else str(parsed)
    path, _, query = parsed.key.partition("?")
    kept = [
        part
        for part in query.split("&")
        if part
        and not (name := part.split("=", 1)[0].lower()).startswith(("x-amz-", "x-goog-"))
        and name not in SIGNING_PARAMETERS
    ]
    return str(ObjectUrl(parsed.scheme, parsed.bucket, path + ("?" + "&".join(kept) if kept else "")))
