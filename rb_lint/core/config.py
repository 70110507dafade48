"""Configuration: `[tool.rb-lint]` in pyproject.toml or an `rb-lint.toml`, found upward from a path.

Every key is kebab-case, as in ruff. An unknown key, a bad value or an unknown rule code is a
`ConfigError` (exit 2), naming what is wrong and the nearest known key or code.

The project root (what relative globs, the mask cache and "outside the linted root" are relative
to) is the folder of the config file; without one, the git work tree holding the first path;
else the current folder. Never the first path's own folder: `rb-lint check items/a.json` and
`rb-lint check .` must agree on where `../masks` and the cache are.
"""

# No `from __future__ import annotations`: pydantic evaluates every field's annotation when a model
# is defined, and strings would each be compiled first (start-up, issue 17).
import contextlib
import functools
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rb_lint.core import stored_schemas
from rb_lint.core.globs import GlobError, check_patterns, pointer_ignore
from rb_lint.core.suggest import closest_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

CONFIG_FILES = ("rb-lint.toml", "pyproject.toml")
CONFIG_CHECK = Path(__file__).resolve().with_name("config_check.json")  # see `_validated`
CACHE_DIR_ENV = "RB_LINT_CACHE_DIR"  # overrides `[tool.rb-lint.masks] cache-dir`; `--cache-dir` wins
DEFAULT_EXCLUDE = (
    ".git",
    ".hg",
    ".svn",
    ".dvc",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".rb_lint_cache",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".tox",
)
SeverityName = Literal["error", "warning", "info"]


class ConfigError(Exception):
    """A problem with the configuration or the command line: exit code 2."""


class _Section(BaseModel):
    # Validators are built when a config table is first validated: a run without a config file, or
    # with an empty one, builds none (issue 17, start-up).
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        alias_generator=lambda name: name.replace("_", "-"),
        defer_build=True,
    )


class MasksConfig(_Section):
    """`[tool.rb-lint.masks]`: NIfTI mask scanning."""

    # Voxel data a header may promise before the file is refused unread (about 4 GiB).
    max_uncompressed_bytes: int = Field(default=4 * 1024**3, ge=1)
    # Worker processes (the `--jobs` option wins; default: the CPU cores available).
    jobs: int | None = Field(default=None, ge=1)
    # Where masks are scanned: "local" (this machine's processes) or "dask" (a Dask cluster; the
    # `--executor` option wins; default: local, or dask when a scheduler is given).
    executor: Literal["local", "dask"] | None = None
    # Never from a file (refused below): a Dask client unpickles what the scheduler sends back, so a
    # committed address would let a commit run code where rb-lint runs (CI on pull requests). The
    # address comes from `--scheduler`, RB_LINT_SCHEDULER or the API; without one, `dask` starts a
    # LocalCluster of `jobs` processes on 127.0.0.1.
    scheduler: str | None = None

    @field_validator("scheduler")
    @classmethod
    def _no_scheduler_from_files(cls, value: str | None) -> str | None:
        if value is not None:
            raise ValueError(
                "a Dask scheduler is not taken from a config file (a commit could point rb-lint at a "
                "machine whose answers it unpickles): use --scheduler or RB_LINT_SCHEDULER"
            )
        return value

    # Where scan results are cached, relative to the project root (`--no-cache` disables it;
    # RB_LINT_CACHE_DIR, then --cache-dir, override it).
    cache_dir: str = ".rb_lint_cache"
    # Largest difference, in mm, between affine elements of masks (and images) on one grid.
    affine_tolerance: float = Field(default=1e-3, ge=0)


class ConsensusConfig(_Section):
    """`[tool.rb-lint.consensus]`: consensus score checks.

    `scale` is the range scores are written on: 100 (the platform's 0–100, the default) or 1 for
    files converted to 0–1. `pairwise-tolerance` is how far score(a, b) and score(b, a) may differ,
    in score units (default: 1% of the scale).
    """

    scale: Literal[1, 100] = 100
    pairwise_tolerance: float | None = Field(default=None, ge=0)


class DataGymConfig(_Section):
    """`[tool.rb-lint.datagym]`: DataGym export checks.

    The export carries no image size: give one to check coordinates against it (RB618). DataGym's
    label-configuration export omits the `required` flag, so required classifications are listed
    here by class name (RB620).
    """

    image_width: int | None = Field(default=None, gt=0)
    image_height: int | None = Field(default=None, gt=0)
    required_classes: list[str] = Field(default_factory=list)


STORAGE_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_BY_ID = "storage ids"  # where the storage-id keys of the table are gathered (not a key to write)


def storage_url_problem(value: str) -> str | None:
    """Why `value` cannot be a storage prefix, or None (the scheme is checked when it is used)."""
    if not _URL.match(value):
        return f"`{value}` is not a storage URL (write s3://bucket/prefix, gs://bucket, az://container or https://host/path)"
    return None


class StorageConfig(_Section):
    """`[tool.rb-lint.storage]`: where items and segmentations written as storage keys live.

    `default` is the items' storage, `labels` the segmentations' (defaults to `default`), and any
    storage id (the UUID an export's task carries in `storageId`) maps that task's items. Values are
    URL prefixes a key joins as `prefix/key`. A mapping (or `remote = true`, which fetches full URLs)
    is what allows network access; without one, nothing is fetched."""

    default: str | None = None
    labels: str | None = None
    endpoint_url: str | None = None  # an S3-compatible endpoint (MinIO, Ceph)
    anonymous: bool = False  # unsigned requests (public buckets)
    timeout: float = Field(default=30.0, gt=0, le=3600)  # seconds per request
    retries: int = Field(default=3, ge=0, le=20)  # after throttling, timeouts and resets
    remote: bool = False  # fetch full URLs (s3://, gs://, az://, https://) even without a mapping
    by_id: dict[str, str] = Field(default_factory=dict, alias=_BY_ID)

    @model_validator(mode="before")
    @classmethod
    def _gather_ids(cls, data: Any) -> Any:
        """Keys that are storage ids (UUIDs) map storages; the other keys are the table's own."""
        if not isinstance(data, dict):
            return data
        table = {key: value for key, value in data.items() if key != _BY_ID}
        ids = {key: table.pop(key) for key in list(table) if isinstance(key, str) and STORAGE_ID.match(key)}
        for key, value in ids.items():
            if not isinstance(value, str):
                raise ValueError(f"storage id `{key}` must map to a URL prefix string")
        table[_BY_ID] = {key.lower(): value for key, value in ids.items()}
        return table

    @field_validator("default", "labels", "endpoint_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        problem = None if value is None else storage_url_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("by_id")
    @classmethod
    def _urls(cls, value: dict[str, str]) -> dict[str, str]:
        for key, prefix in value.items():
            problem = storage_url_problem(prefix)
            if problem is not None:
                raise ValueError(f"storage id `{key}`: {problem}")
        return value

    @property
    def label_storage(self) -> str | None:
        return self.labels or self.default


class Config(_Section):
    select: list[str] | None = None
    extend_select: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = Field(default_factory=dict)
    pointer_ignores: dict[str, list[str]] = Field(default_factory=dict)
    severity: dict[str, SeverityName] = Field(default_factory=dict)
    exclude: list[str] | None = None
    extend_exclude: list[str] = Field(default_factory=list)
    taxonomy: str | None = None
    fail_on: SeverityName = "error"
    masks: MasksConfig = Field(default_factory=MasksConfig)
    consensus: ConsensusConfig = Field(default_factory=ConsensusConfig)
    datagym: DataGymConfig = Field(default_factory=DataGymConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)


@dataclass
class LoadedConfig:
    config: Config
    root: Path  # the project root: relative globs, paths and the cache are resolved against it
    source: Path | None = None

    @property
    def exclude_patterns(self) -> list[str]:
        base = list(DEFAULT_EXCLUDE) if self.config.exclude is None else self.config.exclude
        return base + self.config.extend_exclude


def find_config_file(start: Path) -> Path | None:
    directory = resolved(start)
    if not directory.is_dir():
        directory = directory.parent
    for candidate in (directory, *directory.parents):
        for name in CONFIG_FILES:
            path = candidate / name
            if path.is_file() and (name != "pyproject.toml" or _has_tool_table(path)):
                return path
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        return "rb-lint" in _read_toml(path).get("tool", {})
    except ConfigError:
        return False


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            table: dict[str, Any] = tomllib.load(handle)  # Any when mypy targets 3.10 (tomli)
            return table
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from None


def load_config(path: Path | None, start: Path | None = None) -> LoadedConfig:
    """Load an explicit config file, or find one upward from `start` (defaults when none).

    Without a config file the root is the git work tree holding `start`, else the current folder."""
    if path is None and start is not None:
        path = find_config_file(start)
    if path is None:
        return LoadedConfig(default_config(), project_root(start))
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    table = _read_toml(path)
    if path.name == "pyproject.toml":
        table = table.get("tool", {}).get("rb-lint", {})
    return LoadedConfig(parse_config(table, str(path)), path.resolve().parent, path)


def project_root(start: Path | None = None) -> Path:
    """The root when no config file was found: the git work tree holding `start` (a folder with
    a `.git` folder or file, found upward without running git), else the current folder, or, when
    `start` lies outside the current folder too, `start`'s own folder (else every path would be
    "outside the root")."""
    cwd = resolved(Path.cwd())
    directory = resolved(start) if start is not None else cwd
    if not directory.is_dir():
        directory = directory.parent
    for candidate in (directory, *directory.parents):
        if os.path.lexists(candidate / ".git"):
            return candidate
    return cwd if directory.is_relative_to(cwd) else directory


def cache_directory(loaded: LoadedConfig, override: Path | None = None) -> Path:
    """Where the mask scan cache lives: `override` (`--cache-dir`), else the RB_LINT_CACHE_DIR
    environment variable (both relative to the current folder, as command-line paths are), else
    `[tool.rb-lint.masks] cache-dir` relative to the project root. Absolute, symlinks kept (the
    cache refuses a symlinked folder itself)."""
    if override is not None:
        return Path(os.path.abspath(override))
    from_env = os.environ.get(CACHE_DIR_ENV)
    if from_env:
        return Path(os.path.abspath(from_env))
    return Path(os.path.abspath(loaded.root / loaded.config.masks.cache_dir))


def default_config() -> Config:
    """`Config()`, built without validating anything: the defaults are valid, and validating them
    would build every section's validator (tens of milliseconds at start-up). A copy of one built
    once: pydantic inspects each default factory's signature on every `model_construct`, which
    costs time and leaves garbage cycles (the service builds a config per request)."""
    return _default_config().model_copy(deep=True)


@functools.cache
def _default_config() -> Config:
    return Config.model_construct(
        _fields_set=set(),
        masks=MasksConfig.model_construct(_fields_set=set()),
        consensus=ConsensusConfig.model_construct(_fields_set=set()),
        datagym=DataGymConfig.model_construct(_fields_set=set()),
        storage=StorageConfig.model_construct(_fields_set=set()),
    )


def config_check_sources() -> list[Path]:
    """What `CONFIG_CHECK` is made from (see `core.stored_schemas`)."""
    return [Path(__file__).resolve(), Path(stored_schemas.__file__).resolve()]


@functools.cache
def _stored_validator() -> Callable[[Any], Any] | None:
    return stored_schemas.load(CONFIG_CHECK, config_check_sources())


def _validated(table: dict[str, Any]) -> "Config":
    """`Config.model_validate(table)`, by the stored validator when it is up to date: a valid
    config builds no model (see `core.stored_schemas`). The models word any error."""
    stored = _stored_validator()
    if stored is not None:
        with contextlib.suppress(ValidationError):
            config: Config = stored(table)
            return config
    return Config.model_validate(table)


def parse_config(table: dict[str, Any], source: str = "config") -> Config:
    if not table:  # no keys (a config file of comments, as `rb-lint init` may write)
        return default_config()
    try:
        config = _validated(table)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        if first["type"] == "extra_forbidden":
            raise ConfigError(
                f"{source}: unknown configuration key `{where}`{_key_hint(table, first['loc'])}"
            ) from None
        if first["type"] == "value_error":  # our validators' own one-line message
            where = ".".join(str(p) for p in first["loc"] if p != _BY_ID)
            raise ConfigError(f"{source}: `{where}`: {first['ctx']['error']}") from None
        raise ConfigError(f"{source}: `{where}`: {first['msg']}") from None
    _check_globs(config, source)
    return config


def _key_hint(table: dict[str, Any], location: tuple[int | str, ...]) -> str:
    """`[tool.rb-lint]` pasted into rb-lint.toml, or the nearest key of the same table."""
    tool = table.get("tool")
    if location[:1] == ("tool",) and isinstance(tool, dict) and "rb-lint" in tool:
        return ": in rb-lint.toml, write the keys at top level, without [tool.rb-lint]"
    model: type[BaseModel] = Config
    for part in location[:-1]:
        field_info = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        annotation = None if field_info is None else field_info.annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        model = annotation
    known = [f.alias or name for name, f in model.model_fields.items() if f.alias != _BY_ID]
    match = closest_name(str(location[-1]), known)
    return f" (did you mean `{match}`?)" if match is not None else ""


def _check_globs(config: Config, source: str) -> None:
    """Every glob must be able to match something: a broken pattern is exit 2, not silently inert."""
    checks: dict[str, Callable[[], object]] = {
        "exclude": lambda: check_patterns(config.exclude or [], negation=True),
        "extend-exclude": lambda: check_patterns(config.extend_exclude, negation=True),
        "per-file-ignores": lambda: check_patterns(list(config.per_file_ignores), negation=False),
        "pointer-ignores": lambda: [pointer_ignore(pattern) for pattern in config.pointer_ignores],
    }
    for key, check in checks.items():
        try:
            check()
        except GlobError as error:
            raise ConfigError(f"{source}: `{key}`: {error}") from None


def resolved(path: Path) -> Path:
    """`path.resolve()` that never raises: a symlink loop (RuntimeError on Python < 3.13, OSError
    after) or an unreadable component gives the absolute, normalised path instead. Reading such
    a file later reports RB008 for it; discovery must not end the run."""
    try:
        return path.resolve()
    except (RuntimeError, OSError, ValueError):
        return Path(os.path.abspath(path))


def relative_posix(path: Path, root: Path) -> str:
    """A path as globs and fingerprints see it: relative to the root, else absolute."""
    try:
        return resolved(path).relative_to(root).as_posix()
    except ValueError:
        return resolved(path).as_posix()


@dataclass
class Selection:
    """Which rules run, ruff-style: the longest matching prefix decides; ignore wins ties."""

    select: list[str] = field(default_factory=lambda: ["RB"])
    ignore: list[str] = field(default_factory=list)

    def enabled(self, code: str) -> bool:
        chosen = _longest(code, self.select)
        dropped = _longest(code, self.ignore)
        return chosen >= 0 and chosen > dropped


def _longest(code: str, prefixes: Iterable[str]) -> int:
    # A plain loop: asked for every rule on every run (a service runs many small ones).
    longest = -1
    for prefix in prefixes:
        if len(prefix) > longest and (prefix == "ALL" or code.startswith(prefix)):
            longest = len(prefix)
    return longest


def check_codes(codes: Iterable[str], known: Iterable[str], where: str, *, exact: bool = False) -> None:
    """Every code must name a rule (`exact`) or be a prefix of one; the error names the nearest."""
    known = list(known)
    for code in codes:
        if exact and code not in known:
            raise ConfigError(f"{where}: unknown rule code `{code}`{_code_hint(code, known)}")
        if not exact and code != "ALL" and not any(k.startswith(code) for k in known):
            raise ConfigError(f"{where}: unknown rule code or prefix `{code}`{_code_hint(code, known)}")


def _code_hint(code: str, known: list[str]) -> str:
    """The code meant: look-alike letters in the digits (`RB3O5`), another case, or the closest."""
    upper = code.upper()
    digits = upper[:2] + upper[2:].translate(str.maketrans("OIL", "011"))
    match = digits if digits in known else closest_name(upper, known, cutoff=0.5)
    return f" (did you mean `{match}`?)" if match is not None else ""
