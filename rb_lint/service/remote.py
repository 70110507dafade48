"""`{"paths": [...]}` under a configured remote root (`rb-lint serve --remote-root s3://bucket/data/`).

A path is a key relative to the remote root (when the server has exactly one root, and it is
remote) or a full URL that starts with a configured remote root. Anything else is refused before
anything is fetched: another bucket, container or host, another scheme, a `..`, `.` or empty
segment, a query or fragment, a control character (403 or 422, as for local roots).

The named objects (JSON documents, not folders) are fetched with the library's storage access
(the provider's standard credential chain and endpoint variables, bounded retries), at most
`max_files` of them and `max_body` bytes in all (413), into a private temporary folder that
mirrors their keys below the root; they are linted there, with the remote root as the storage
of their items and segmentations written as keys (`[tool.rb-lint.storage] default`), so the
findings are those of `rb-lint check` on the same files with that storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from rb_lint.service.problems import ProblemError
from rb_lint.service.settings import ServeSettings
from rb_lint.storage.urls import parse_url

if TYPE_CHECKING:
    from rb_lint.service.bundle import Bundle, PathsBody, Writer
    from rb_lint.storage.access import Stores

MAX_KEY_BYTES = 1024  # S3's and GCS's limit on a key


@dataclass(frozen=True)
class RemoteTarget:
    root: str  # the configured remote root, normalised, ending with "/"
    key: str  # the object's key relative to the root (checked: no `..`, `.` or empty segment)

    @property
    def url(self) -> str:
        return self.root + self.key


def normalised_root(text: str) -> str:
    """A `--remote-root` in canonical form, ending with "/" (so a prefix ends at a folder
    boundary: `s3://b/data/` does not admit `s3://b/database`). ValueError when it is not a URL of
    a supported store, names no bucket, or holds a query, fragment or `..` segment."""
    parsed = parse_url(text)
    if parsed is None or not parsed.bucket:
        raise ValueError(
            f"`{text}` is not a storage prefix (write s3://bucket/prefix, gs://bucket, az://container/path "
            "or https://host/path)"
        )
    if any(mark in parsed.key for mark in "?#") or _segment_problem(parsed.key.rstrip("/"), allow_empty=True):
        raise ValueError(f"`{text}`: a remote root has no query, fragment, `.` or `..` segment")
    return str(parsed).rstrip("/") + "/"


def is_remote_form(path: str) -> bool:
    """Whether a requested path is written as a URL (`scheme://...`)."""
    head, separator, _ = path.partition("://")
    return bool(separator) and head.replace("+", "").replace("-", "").replace(".", "").isalnum()


def remote_target(path: str, settings: ServeSettings) -> RemoteTarget:
    """Where a requested path leads among the remote roots. Raises `ProblemError`: 403 for a URL
    under no configured remote root or a path leaving its root, 422 for a malformed path or a
    relative one when it is ambiguous."""
    if "\x00" in path or not path.strip():
        raise ProblemError(422, "a path is empty or holds a NUL character")
    if is_remote_form(path):
        parsed = parse_url(path)
        canonical = str(parsed) if parsed is not None else ""
        for root in settings.remote_roots:
            if canonical.startswith(root):
                return RemoteTarget(root, _checked_key(canonical[len(root) :]))
        raise ProblemError(403, "a URL is not under a remote root of this server (`--remote-root`)")
    if len(settings.remote_roots) != 1 or settings.roots:
        raise ProblemError(422, "several roots are configured: write the full URL under a `--remote-root`")
    return RemoteTarget(settings.remote_roots[0], _checked_key(path))


def _checked_key(key: str) -> str:
    problem = _segment_problem(key, allow_empty=False)
    if problem == "leaves":
        raise ProblemError(403, "a path leaves its root")
    if problem is not None:
        raise ProblemError(422, f"a remote path {problem}")
    return key


def _segment_problem(key: str, *, allow_empty: bool) -> str | None:
    """Why `key` cannot name an object below a root (None when it can; "leaves" for `..` or an
    absolute key)."""
    if not key:
        return None if allow_empty else "is empty"
    if key.startswith("/") or ".." in key.split("/"):
        return "leaves"
    if any(ord(char) < 32 or ord(char) == 127 for char in key) or "\\" in key:
        return "holds a control character or a backslash"
    if any(mark in key for mark in "?#"):
        return "holds a query or a fragment"
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        return f"is longer than {MAX_KEY_BYTES} bytes"
    if any(part in ("", ".") for part in key.split("/")):
        return "has an empty or `.` segment (name an object, not a folder)"
    return None


def remote_targets(body: PathsBody, settings: ServeSettings) -> tuple[str, list[RemoteTarget]]:
    """The request's objects (all under one remote root) and that root; checked before any fetch."""
    if len(body.paths) + (body.taxonomy is not None) > settings.max_files:
        raise ProblemError(413, f"more than {settings.max_files} paths in one request")
    targets = [remote_target(path, settings) for path in body.paths]
    if body.taxonomy is not None:
        targets.append(remote_target(body.taxonomy, settings))
    roots = {target.root for target in targets}
    if len(roots) > 1:
        raise ProblemError(422, "every path of one request must be under the same root")
    return roots.pop(), targets


def fetch_bundle(body: PathsBody, settings: ServeSettings) -> Bundle:
    """Fetch the request's objects into a private folder and make the bundle that lints them
    (blocking: network I/O; call it from a worker thread). The folder is removed on any error."""
    from rb_lint.service.bundle import Writer, capped_masks
    from rb_lint.storage.access import Stores

    root, targets = remote_targets(body, settings)
    stores = Stores()
    with Writer(settings) as writer:
        for target in dict.fromkeys(targets):  # a path named twice is fetched once
            _fetch(stores, target, writer, settings)
        paths = [writer.names[PurePosixPath(target.key)] for target in targets[: len(body.paths)]]
        taxonomy = writer.names[PurePosixPath(targets[-1].key)] if body.taxonomy is not None else None
        return writer.bundle(
            paths=list(dict.fromkeys(paths)),
            config={"storage": {"default": root}, "masks": capped_masks({}, settings)},
            taxonomy=taxonomy,
            kind=body.kind,
            select=body.select,
            ignore=body.ignore,
        )


def _fetch(stores: Stores, target: RemoteTarget, writer: Writer, settings: ServeSettings) -> None:
    """One object into the bundle at its key: 404 when it is not there, 502 when its storage
    cannot be read (the reason is the library's safe one-liner: no credential, no signature),
    413 past `max_body` bytes in all."""
    from rb_lint.storage.faults import MissingExtra, StorageError

    try:
        found = stores.info(target.url)
        if found.problem is not None:
            raise ProblemError(502, f"the remote root cannot be read: {found.problem.reason}")
        if not found.exists:
            raise ProblemError(404, "a path does not exist under its root (name an object, not a folder)")
        if writer.bytes + found.size > settings.max_body:
            raise ProblemError(
                413, f"the named objects hold more than {settings.max_body} bytes (`--max-body`)"
            )
        with stores.open(target.url, size=found.size) as stream:
            writer.write_stream(target.key, stream, settings.max_body)
    except MissingExtra as error:
        raise ProblemError(502, f"the remote root cannot be read: {error}") from None
    except StorageError as error:
        raise ProblemError(502, f"the remote root cannot be read: {error.problem.reason}") from None
    except FileNotFoundError:
        raise ProblemError(404, "a path does not exist under its root") from None
