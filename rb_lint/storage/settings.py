"""How to reach remote storage: endpoint, anonymity, timeouts and retries (hashable, from config/CLI)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
BLOCK_SIZE = 1 << 20  # bytes fetched per ranged read when streaming an object


@dataclass(frozen=True)
class StorageSettings:
    """Built by the integration from `[tool.rb-lint.storage]` and the command line.

    Credentials are never part of the settings: each backend takes them from its provider's
    standard chain and environment (botocore's chain, google.auth, Azure's connection string or
    DefaultAzureCredential)."""

    endpoint_url: str | None = None  # S3-compatible endpoint (MinIO, moto); else AWS_ENDPOINT_URL(_S3)
    anonymous: bool = False  # unsigned requests (public buckets)
    timeout: float = DEFAULT_TIMEOUT  # seconds, per request (connect and each read)
    retries: int = DEFAULT_RETRIES  # bounded retries with exponential backoff on 5xx/throttling/reset/timeout
    http_scheme: str | None = None  # tests only: "http" rewrites https:// to http:// (a loopback server)
    block_size: int = BLOCK_SIZE  # read-ahead of a streamed object
    concurrency: int = 16  # listings/HEADs/reads in flight at once
    backoff: float = 0.2  # seconds before the first retry; doubled each time, capped at `backoff_cap`
    backoff_cap: float = 5.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based): bounded exponential backoff."""
        return float(min(self.backoff_cap, self.backoff * (2 ** max(0, attempt - 1))))
