"""Remote data: object URLs, filesystems per bucket (fsspec, optional extras), bulk existence,
streamed mask scans.

Modules: `settings` (StorageSettings), `urls` (ObjectUrl, parse_url, join_prefix), `faults` (Fault,
StorageProblem, StorageError, classify), `access` (Stores: one filesystem per bucket, request
counting, retries), `listing` (bulk existence by paged listing), `scanning` (scan_remote), `cluster`
(the same scans by Dask workers, which open the URLs themselves), and one backend per scheme,
imported lazily: `s3`, `gcs`, `azure`, `http` (the interface and its optional hooks are described
in `access`). Nothing here imports fsspec or a provider package at module level:
they are optional extras."""
