"""A lint request's input, made into a `Bundle`: files in a folder, and what to lint there.

Three bodies are accepted (`read_bundle`):
- `application/json` `{"documents": {...}}`: each document (text, or a JSON value written as
  `json.dumps(value, indent=2)`) is written to a private temporary folder, or, for a small
  synchronous lint that cannot tell the difference (`in_memory_allowed`), kept in memory;
- `multipart/form-data` with repeated `files` parts, each part's filename its path in the bundle;
- `application/json` `{"paths": [...]}`: files under a configured `--root`, never outside it, or
  objects under a `--remote-root`, fetched into a private folder (`rb_lint.service.remote`).

Names are checked before anything is written, and every file is created fresh (`O_EXCL`,
`O_NOFOLLOW`) inside the private folder, so no name a client picks reaches a file outside it.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from rb_lint.core.config import CONFIG_FILES, DEFAULT_EXCLUDE, Config
from rb_lint.models.kind_names import KINDS
from rb_lint.service.problems import ProblemError
from rb_lint.service.settings import ServeSettings
from rb_lint.service.stale import owned_prefix

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

TEMP_PREFIX = "rb-lint-serve-"
EMPTY_PREFIX = "rb-lint-empty-root-"  # the folder in-memory bundles are linted in (stays empty)
MAX_PART_BYTES = 255  # a path component, as most file systems allow
MAX_NAME_BYTES = 4096  # a whole bundle path
MAX_FIELD_BYTES = 1024 * 1024  # a non-file multipart field (the config)
TAXONOMY_NAME = "taxonomy.json"  # where a taxonomy given as content is written (when free)
REJECTED_CONFIG = {  # (table, key) a client may not set: server settings only
    ("", "storage"): "remote storage is a server setting (`rb-lint serve` options), never a client's",
    ("masks", "cache-dir"): "the service does not cache mask scans",
    ("masks", "cache_dir"): "the service does not cache mask scans",
    ("masks", "jobs"): "worker processes are a server setting",
    ("masks", "executor"): "where masks are scanned is a server setting",
}
_COPY_CHUNK = 1024 * 1024
# Linted in memory (`in_memory_allowed`) at most: documents, bytes each; config keys that send
# the run to the disk.
MEMORY_MAX_DOCUMENTS = 16
MEMORY_MAX_BYTES = 1024 * 1024
MEMORY_REFUSED_CONFIG = ("taxonomy", "exclude", "extend-exclude", "extend_exclude")
DocumentContent = str | dict[str, Any] | list[Any] | int | float | bool | None
Texts = dict[str, bytes]  # bundle name -> a document's bytes (`Bundle.bytes` shadows the type in it)


class DocumentsBody(BaseModel):
    """`POST /v1/lint` with documents: the files of a bundle, in the body."""

    model_config = ConfigDict(extra="forbid")
    documents: dict[str, DocumentContent] = Field(
        description="Bundle path (`items/a.json`) -> the document: a string is linted as it is (exact "
        "lines and columns); any other JSON value is linted as `json.dumps(value, indent=2)`, its "
        "canonical two-space-indented serialisation, so positions refer to that text."
    )
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="`[tool.rb-lint]` keys. `storage`, `masks.cache-dir`, `masks.jobs` and `masks.executor` "
        "are refused; `masks.max-uncompressed-bytes` is capped at the server's; `taxonomy` must name a "
        "bundle path.",
    )
    taxonomy: DocumentContent = Field(
        default=None,
        description="The taxonomy: a bundle path among `documents`, or the taxonomy itself (text or a "
        "JSON value), written as `taxonomy.json` in the bundle.",
    )
    kind: str | None = Field(default=None, description="Lint every document as this kind.")
    select: list[str] | None = Field(default=None, description="Rule codes or prefixes to run.")
    ignore: list[str] = Field(default_factory=list, description="Rule codes or prefixes to skip.")


class PathsBody(BaseModel):
    """`POST /v1/lint` with paths: files under a configured `--root` (`root-name:path` when several)."""

    model_config = ConfigDict(extra="forbid")
    paths: list[str] = Field(min_length=1, description="Files or folders relative to the root.")
    taxonomy: str | None = Field(default=None, description="The taxonomy, a path under the same root.")
    kind: str | None = None
    select: list[str] | None = None
    ignore: list[str] = Field(default_factory=list)


@dataclass
class Bundle:
    """What one request lints: files in `root`, and how."""

    root: Path  # the folder linted (a private temp dir, or a configured --root), real path
    paths: list[Path]  # what to lint (absolute, inside root)
    config: dict[str, Any]  # [tool.rb-lint] keys (a client's, already vetted; or the root's own)
    taxonomy: Path | None = None
    kind: str | None = None
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    temporary: bool = False  # root is ours: removed by `cleanup()`
    files: int = 0  # counts, for limits, metrics and job progress totals
    bytes: int = 0
    source: Path | None = None  # the root's config file, when it has one
    parsed: Config | None = None  # `config` parsed (when vetting did it already)
    # Linted in memory: bundle name -> the document's bytes. `root` is then an empty private
    # folder (what a reference to the bundle's folder finds), `paths` where the files would be.
    documents: Texts | None = None

    def cleanup(self) -> None:
        """Remove the private folder (nothing for a configured root). Safe to call twice."""
        if self.temporary:
            shutil.rmtree(self.root, ignore_errors=True)


async def read_bundle(request: Request, settings: ServeSettings, *, in_memory: bool = False) -> Bundle:
    """The bundle a `POST /v1/lint` (or `/v1/jobs`) request carries. Raises `ProblemError`:
    415 for another media type, 422 for a malformed body or a bad name, 403 for a path outside
    the configured roots, 413 for too many files. A temporary bundle is removed on any error.
    `in_memory`: small JSON documents may stay in memory (`in_memory_allowed`)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        return await _from_multipart(request, settings)
    if media == "application/json" or media.endswith("+json"):
        body = _json_body(await request.body())
        if isinstance(body, dict) and "paths" in body:
            return await _paths_bundle(_validated(PathsBody, body), settings)
        return bundle_from_documents(_validated(DocumentsBody, body), settings, in_memory=in_memory)
    raise ProblemError(415, "send application/json or multipart/form-data")


def _json_body(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise ProblemError(422, "the body is not JSON") from None


def _validated(model: type[DocumentsBody] | type[PathsBody], body: Any) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        if model is DocumentsBody and first["loc"][:1] == ("documents",) and len(first["loc"]) > 1:
            where = "documents"  # never echo a client's file name back (nor its content)
        raise ProblemError(422, f"`{where}`: {first['msg']}") from None


# --- names ------------------------------------------------------------------------------------


def bundle_name(name: str) -> PurePosixPath:
    """A client's file name as a path in the bundle, or 422: relative POSIX, no `..`, `.` or empty
    part, no backslash, NUL or control character, parts of at most 255 bytes, 4096 in all."""
    problem = _name_problem(name)
    if problem is not None:
        raise ProblemError(422, f"a file name {problem}")
    return PurePosixPath(name)


def _name_problem(name: str) -> str | None:
    if not name:
        return "is empty"
    if any(ord(char) < 32 or ord(char) == 127 for char in name) or "\\" in name:
        return "holds a control character or a backslash"
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        return "is not valid Unicode"
    if size > MAX_NAME_BYTES:
        return f"is longer than {MAX_NAME_BYTES} bytes"
    if name.startswith("/"):
        return "is absolute (bundle paths are relative)"
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "has an empty, `.` or `..` part"
    if any(len(part.encode("utf-8")) > MAX_PART_BYTES for part in parts):
        return f"has a part longer than {MAX_PART_BYTES} bytes"
    return None


# --- temporary bundles ------------------------------------------------------------------------


class Writer:
    """Writes a temporary bundle: a private folder (0700), files created fresh inside it."""

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.root = Path(os.path.realpath(tempfile.mkdtemp(prefix=owned_prefix(TEMP_PREFIX))))
        os.chmod(self.root, 0o700)
        self.names: dict[PurePosixPath, Path] = {}
        self.bytes = 0

    def bundle(self, **fields: Any) -> Bundle:
        return Bundle(root=self.root, temporary=True, files=len(self.names), bytes=self.bytes, **fields)

    def discard(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, error: type[BaseException] | None, *_: object) -> None:
        if error is not None:  # the request is answered with a problem: nothing of it stays on disk
            self.discard()

    def claim(self, name: str) -> Path:
        """The file a bundle name becomes (its folders made); 422 for a duplicate or a clash."""
        relative = bundle_name(name)
        if relative in self.names:
            raise ProblemError(422, "two files have the same bundle path")
        if len(self.names) >= self.settings.max_files:
            raise ProblemError(413, f"more than {self.settings.max_files} files in one bundle")
        target = self.root.joinpath(*relative.parts)
        try:
            os.makedirs(target.parent, mode=0o700, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise ProblemError(422, "a bundle path is both a file and a folder") from None
        self.names[relative] = target
        return target

    def write_bytes(self, name: str, data: bytes) -> Path:
        target = self.claim(name)
        with self._create(target) as handle:
            handle.write(data)
        self.bytes += len(data)
        return target

    async def write_upload(self, name: str, upload: UploadFile) -> Path:
        target = self.claim(name)
        await upload.seek(0)
        with self._create(target) as handle:
            while chunk := await upload.read(_COPY_CHUNK):
                handle.write(chunk)
                self.bytes += len(chunk)
        return target

    def write_stream(self, name: str, stream: BinaryIO, limit: int) -> Path:
        """A stream's bytes as a bundle file; 413 once the bundle holds more than `limit` bytes."""
        target = self.claim(name)
        with self._create(target) as handle:
            while chunk := stream.read(_COPY_CHUNK):
                self.bytes += len(chunk)
                if self.bytes > limit:
                    raise ProblemError(413, f"the bundle holds more than {limit} bytes (`--max-body`)")
                handle.write(chunk)
        return target

    @staticmethod
    def _create(target: Path) -> BinaryIO:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        try:
            descriptor = os.open(target, flags, 0o600)
        except (FileExistsError, IsADirectoryError):
            raise ProblemError(422, "a bundle path is both a file and a folder") from None
        return os.fdopen(descriptor, "wb")


def bundle_from_documents(body: DocumentsBody, settings: ServeSettings, *, in_memory: bool = False) -> Bundle:
    """A JSON body's documents, written to a private folder (or kept in memory: `in_memory`
    and `in_memory_allowed`)."""
    _check_kind(body.kind)
    if len(body.documents) > settings.max_files:
        raise ProblemError(413, f"more than {settings.max_files} files in one bundle")
    if in_memory:
        texts = {str(bundle_name(name)): _document_bytes(text) for name, text in body.documents.items()}
        if in_memory_allowed(body, texts):
            return _memory_bundle(body, texts, settings)
    with Writer(settings) as writer:
        paths = [writer.write_bytes(name, _document_bytes(text)) for name, text in body.documents.items()]
        taxonomy = _taxonomy_from_body(body, writer)
        config, parsed = vet_client_config(body.config, set(writer.names), settings)
        return writer.bundle(
            paths=paths,
            config=config,
            parsed=parsed,
            taxonomy=taxonomy,
            kind=body.kind,
            select=body.select,
            ignore=body.ignore,
        )


def in_memory_allowed(body: DocumentsBody, texts: dict[str, bytes]) -> bool:
    """Whether linting `texts` in memory (`rb_lint.api.lint_documents`, in an empty folder) finds
    exactly what linting them written to a folder finds. The library then looks at the disk
    only for what documents reference (items, masks, the taxonomy, an export's folders), so
    nothing may make a difference: a few small top-level files (no folders to find), no
    taxonomy file, no exclude pattern (checked on the folder), and no document naming a bundle
    file (a reference that would find it)."""
    if body.taxonomy is not None or not texts or len(texts) > MEMORY_MAX_DOCUMENTS:
        return False
    if any(key in body.config for key in MEMORY_REFUSED_CONFIG):
        return False
    if any("/" in name or name in DEFAULT_EXCLUDE or name.startswith(".") for name in texts):
        return False
    if any(len(text) > MEMORY_MAX_BYTES for text in texts.values()):
        return False
    if any('"' in name for name in texts) or any(b"\\u" in text for text in texts.values()):
        return False  # a name a document could spell with escapes
    names = [name.encode("utf-8", "surrogatepass") for name in texts]
    return not any(name in text for name in names for text in texts.values())


def _memory_bundle(body: DocumentsBody, texts: dict[str, bytes], settings: ServeSettings) -> Bundle:
    """Documents linted in memory, in the process's empty folder (nothing is written)."""
    config, parsed = vet_client_config(body.config, {PurePosixPath(name) for name in texts}, settings)
    root = empty_root()
    return Bundle(
        root=root,
        paths=[root / name for name in texts],
        config=config,
        parsed=parsed,
        kind=body.kind,
        select=body.select,
        ignore=body.ignore,
        files=len(texts),
        bytes=sum(len(text) for text in texts.values()),
        documents=texts,
    )


_empty: tuple[int, Path] | None = None  # (the process that made it, the folder)
_empty_lock = threading.Lock()


def empty_root() -> Path:
    """An empty private folder (0700) of this process, made once, where in-memory bundles are
    linted: what a reference to the bundle's own folder finds. Nothing is ever written to it;
    it is removed when the process exits (`remove_empty_root`). Making and removing a folder
    per request would cost more than the lint on some file systems (ext4: ~4 ms a `rmdir`)."""
    global _empty
    with _empty_lock:
        if _empty is None or _empty[0] != os.getpid() or not os.path.isdir(_empty[1]):
            folder = Path(os.path.realpath(tempfile.mkdtemp(prefix=owned_prefix(EMPTY_PREFIX))))
            os.chmod(folder, 0o700)
            if _empty is None:
                atexit.register(remove_empty_root)
            _empty = (os.getpid(), folder)
        return _empty[1]


def remove_empty_root() -> None:
    """Remove this process's empty folder (if it made one); the next use makes another."""
    global _empty
    with _empty_lock:
        if _empty is not None and _empty[0] == os.getpid():
            shutil.rmtree(_empty[1], ignore_errors=True)
        _empty = None


def _document_bytes(content: DocumentContent) -> bytes:
    """A document as the file linted: a string as it is; a JSON value, indented by two spaces."""
    text = content if isinstance(content, str) else json.dumps(content, indent=2)
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate: the reader reports it


def _taxonomy_from_body(body: DocumentsBody, writer: Writer) -> Path | None:
    if body.taxonomy is None:
        return None
    if isinstance(body.taxonomy, str) and body.taxonomy in body.documents:
        return writer.names[PurePosixPath(body.taxonomy)]
    name = TAXONOMY_NAME
    if PurePosixPath(name) in writer.names:
        name = ".rb-lint-" + TAXONOMY_NAME
    return writer.write_bytes(name, _document_bytes(body.taxonomy))


async def _from_multipart(request: Request, settings: ServeSettings) -> Bundle:
    """Multipart parts: `files` (repeated; the filename is the bundle path), `config` (JSON text),
    `taxonomy` (a bundle path), `kind`, `select` and `ignore` (comma-separated codes)."""
    parser = MultiPartParser(
        request.headers,
        request.stream(),
        max_files=settings.max_files,
        max_fields=64,
        max_part_size=MAX_FIELD_BYTES,
    )
    try:
        form = await parser.parse()
    except MultiPartException as error:
        too_many = error.message.startswith("Too many files")
        raise ProblemError(413 if too_many else 400, _multipart_problem(error.message, settings)) from None
    try:
        with Writer(settings) as writer:
            fields: dict[str, str] = {}
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    if key != "files":
                        raise ProblemError(422, "files are sent in the form field `files`")
                    await writer.write_upload(value.filename or "", value)
                elif key in ("config", "taxonomy", "kind", "select", "ignore") and key not in fields:
                    fields[key] = value
                else:
                    raise ProblemError(
                        422, "form fields are `files`, `config`, `taxonomy`, `kind`, `select`, `ignore`"
                    )
            return _multipart_bundle(writer, fields, settings)
    finally:
        await form.close()


def _multipart_problem(message: str, settings: ServeSettings) -> str:
    if message.startswith("Too many files"):
        return f"more than {settings.max_files} files in one bundle"
    return f"the multipart body cannot be read: {message}"


def _multipart_bundle(writer: Writer, fields: dict[str, str], settings: ServeSettings) -> Bundle:
    kind = fields.get("kind") or None
    _check_kind(kind)
    config_text = fields.get("config", "").strip()
    config = _json_body(config_text.encode("utf-8", "surrogatepass")) if config_text else {}
    if not isinstance(config, dict):
        raise ProblemError(422, "`config` must be a JSON object of [tool.rb-lint] keys")
    taxonomy = None
    if fields.get("taxonomy"):
        taxonomy = _bundle_file(fields["taxonomy"], writer, "`taxonomy`")
    paths = sorted(path for path in writer.names.values() if path.name.lower().endswith(".json"))
    vetted, parsed = vet_client_config(config, set(writer.names), settings)
    return writer.bundle(
        paths=paths,
        config=vetted,
        parsed=parsed,
        taxonomy=taxonomy,
        kind=kind,
        select=_codes(fields["select"]) if "select" in fields else None,
        ignore=_codes(fields.get("ignore", "")),
    )


def _bundle_file(name: str, writer: Writer, what: str) -> Path:
    relative = bundle_name(name)
    if relative not in writer.names:
        raise ProblemError(422, f"{what} must name a file of the bundle")
    return writer.names[relative]


def _codes(text: str) -> list[str]:
    return [code.strip().upper() for code in text.split(",") if code.strip()]


def _check_kind(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        raise ProblemError(422, f"unknown kind: use one of {', '.join(KINDS)}")


# --- client configuration ---------------------------------------------------------------------


def vet_client_config(
    config: dict[str, Any], names: set[PurePosixPath], settings: ServeSettings
) -> tuple[dict[str, Any], Config]:
    """A client's `[tool.rb-lint]` keys, made safe: keys that would reach outside the bundle or
    choose server resources are refused (422); the mask size limit is capped at the server's;
    `taxonomy` must name a file of the bundle. Validated as a config file is: (the keys, the
    parsed configuration)."""
    from rb_lint.core.config import ConfigError, parse_config

    vetted = dict(config)
    masks = vetted.get("masks", {})
    if not isinstance(masks, dict):
        raise ProblemError(422, "config: `masks` must be a table")
    for (table, key), why in REJECTED_CONFIG.items():
        if key in (vetted if not table else masks):
            where = f"{table}.{key}" if table else key
            raise ProblemError(422, f"config: `{where}` is not accepted: {why}")
    vetted["masks"] = capped_masks(masks, settings)
    taxonomy = vetted.get("taxonomy")
    if taxonomy is not None and not (
        isinstance(taxonomy, str) and _name_problem(taxonomy) is None and PurePosixPath(taxonomy) in names
    ):
        raise ProblemError(422, "config: `taxonomy` must name a file of the bundle")
    try:
        return vetted, parse_config(vetted, "config")
    except ConfigError as error:
        raise ProblemError(422, str(error)) from None


def capped_masks(masks: dict[str, Any], settings: ServeSettings) -> dict[str, Any]:
    capped = {k: v for k, v in masks.items() if k not in ("max-uncompressed-bytes", "max_uncompressed_bytes")}
    asked = masks.get("max-uncompressed-bytes", masks.get("max_uncompressed_bytes"))
    limit = settings.max_uncompressed_bytes
    if isinstance(asked, int) and not isinstance(asked, bool) and asked < limit:
        limit = asked  # a smaller value is the client's to choose (below 1: refused by the config)
    elif asked is not None and not isinstance(asked, int):
        limit = asked  # not a number: let the config validation say so
    capped["max-uncompressed-bytes"] = limit
    return capped


# --- paths under a configured root -------------------------------------------------------------


async def _paths_bundle(body: PathsBody, settings: ServeSettings) -> Bundle:
    """Paths under a `--remote-root` (URLs, or keys when it is the only root: fetched in a worker
    thread) or a local `--root`."""
    from rb_lint.service.remote import fetch_bundle, is_remote_form

    named = [*body.paths, *([body.taxonomy] if body.taxonomy is not None else [])]
    if settings.remote_roots and (not settings.roots or any(is_remote_form(path) for path in named)):
        _check_kind(body.kind)
        return await run_in_threadpool(fetch_bundle, body, settings)
    if any(is_remote_form(path) for path in named):
        raise ProblemError(403, "a URL is not under a remote root of this server (`--remote-root`)")
    return bundle_from_paths(body, settings)


def bundle_from_paths(body: PathsBody, settings: ServeSettings) -> Bundle:
    """Files under a configured `--root`: each path's real path must stay inside the root (403)."""
    if not settings.roots:
        raise ProblemError(403, "this server has no --root or --remote-root: send the files instead")
    _check_kind(body.kind)
    if len(body.paths) > settings.max_files:
        raise ProblemError(413, f"more than {settings.max_files} paths in one request")
    named = [_split_root(path, settings) for path in body.paths]
    roots = {root for root, _ in named}
    if len(roots) > 1:
        raise ProblemError(422, "every path of one request must be under the same root")
    root = roots.pop()
    paths = [inside_root(root, relative) for _, relative in named]
    taxonomy = inside_root(root, _split_root(body.taxonomy, settings)[1]) if body.taxonomy else None
    source, config = root_config(root, settings)
    sizes = [path.stat().st_size for path in paths if path.is_file()]
    return Bundle(
        root=root,
        paths=paths,
        config=config,
        taxonomy=taxonomy,
        kind=body.kind,
        select=body.select,
        ignore=body.ignore,
        files=len(paths),
        bytes=sum(sizes),
        source=source,
    )


def root_names(roots: tuple[Path, ...]) -> dict[str, Path]:
    """The configured roots by folder name (real paths)."""
    return {Path(os.path.realpath(root)).name: Path(os.path.realpath(root)) for root in roots}


def _split_root(path: str, settings: ServeSettings) -> tuple[Path, str]:
    """(the root, the path relative to it): `name:path` when several roots are configured."""
    names = root_names(settings.roots)
    if len(names) == 1:
        return next(iter(names.values())), path
    name, colon, relative = path.partition(":")
    if not colon or name not in names:
        raise ProblemError(422, f"several roots are configured: write `root-name:path` ({', '.join(names)})")
    return names[name], relative


def inside_root(root: Path, relative: str) -> Path:
    """`root/relative`, whose real path must be inside `root` (403), and must exist (404)."""
    if "\x00" in relative or not relative:
        raise ProblemError(422, "a path is empty or holds a NUL character")
    if relative.startswith("/") or ".." in relative.replace("\\", "/").split("/"):
        raise ProblemError(403, "a path leaves its root")
    candidate = root / relative
    real = Path(os.path.realpath(candidate))
    if not real.is_relative_to(root):
        raise ProblemError(403, "a path leaves its root")
    if not os.path.lexists(candidate):
        raise ProblemError(404, "a path does not exist under its root")
    return real


def root_config(root: Path, settings: ServeSettings) -> tuple[Path | None, dict[str, Any]]:
    """The root's own `rb-lint.toml` or `pyproject.toml` `[tool.rb-lint]` (only at the root, never
    above it), its mask size limit capped at the server's."""
    for name in CONFIG_FILES:
        path = root / name
        if not path.is_file() or not Path(os.path.realpath(path)).is_relative_to(root):
            continue
        try:
            with path.open("rb") as handle:
                table = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError):
            raise ProblemError(500, f"the root's {name} cannot be read") from None
        if name == "pyproject.toml":
            tool = table.get("tool", {})
            if "rb-lint" not in tool:
                continue
            table = tool["rb-lint"]
        masks = table.get("masks", {})
        table["masks"] = capped_masks(masks if isinstance(masks, dict) else {}, settings)
        return path, table
    return None, {"masks": capped_masks({}, settings)}
