"""The language server: diagnostics as the buffer is typed, the rule's page on hover, fixes as code actions.

Each change of a buffer is linted after a pause in typing (`DEBOUNCE`): first the document's own
rules, published at once, then in a worker thread every rule, mask scans (with their cache)
included, published when done unless the buffer changed meanwhile (the run is then stopped at its
next document or mask). Nothing blocks the protocol's event loop but reading the configuration.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from rb_lint import __version__
from rb_lint.core.config import ConfigError, LoadedConfig
from rb_lint.core.findings import Finding, Severity
from rb_lint.core.fixes import Edit, Fix, compatible
from rb_lint.lsp import ignores
from rb_lint.lsp.linting import (
    MAX_CHARS,
    Configs,
    Linted,
    display_name,
    is_config_file,
    lint_buffer,
    may_lint,
    skipped,
)
from rb_lint.lsp.linting import recognised as looks_recognised
from rb_lint.lsp.positions import UTF16, LineMap, finding_offset, token_end

DEBOUNCE = 0.3  # seconds of quiet typing before a buffer is linted
SOURCE = "rb-lint"
IGNORE_COMMAND = "rb-lint.ignoreAtPointer"
FIX_ALL_KIND = "source.fixAll.rb-lint"
DEFAULT_HOMEPAGE = "https://github.com/rb-lint/rb-lint"
_SEVERITIES = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFO: lsp.DiagnosticSeverity.Information,
}
T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass
class Buffer:
    """What the server knows of one open document."""

    uri: str
    language: str
    generation: int = 0  # bumped on every change and reload: a run of an older one is stale
    recognised: bool = False
    linted: Linted | None = None
    shown: list[tuple[lsp.Diagnostic, Finding]] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None
    task: asyncio.Task[None] | None = None
    told_too_large: bool = False


class RbLintServer(LanguageServer):
    """The server's state: open buffers, configurations, the worker threads that lint."""

    def __init__(self) -> None:
        super().__init__("rb-lint", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.buffers: dict[str, Buffer] = {}
        self.configs = Configs()
        self.workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="rb-lint-lsp")
        self.stopping = False

    # -- scheduling -----------------------------------------------------------------------------

    def schedule(self, buffer: Buffer, delay: float) -> None:
        """Lint the buffer after `delay` seconds, dropping any run of an older generation."""
        if buffer.timer is not None:
            buffer.timer.cancel()
        if buffer.task is not None:
            buffer.task.cancel()
        loop = asyncio.get_running_loop()
        buffer.timer = loop.call_later(delay, self._start, buffer)

    def _start(self, buffer: Buffer) -> None:
        buffer.timer = None
        if self.buffers.get(buffer.uri) is buffer and not self.stopping:
            buffer.task = asyncio.ensure_future(self._lint(buffer, buffer.generation))

    def relint_all(self) -> None:
        """The configuration changed: read it again and lint every open buffer."""
        self.configs.clear()
        for buffer in self.buffers.values():
            buffer.generation += 1
            self.schedule(buffer, 0)

    async def in_worker(self, function: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.workers, function)

    # -- linting --------------------------------------------------------------------------------

    async def _lint(self, buffer: Buffer, generation: int) -> None:
        def stale() -> bool:
            return (
                self.stopping or buffer.generation != generation or self.buffers.get(buffer.uri) is not buffer
            )

        try:
            text = self.workspace.get_text_document(buffer.uri).source
            path = _path_of(buffer.uri)
            loaded = await self._lintable(buffer, text, path)
            if loaded is None or path is None:
                return self._publish(buffer, Linted(text, (), True))
            for background in (False, True):
                run = functools.partial(lint_buffer, text, path, loaded, background=background, stale=stale)
                linted = await self.in_worker(run)
                if linted is None or stale():
                    return
                for error in linted.errors if background else ():  # the first pass's come again
                    self._log(lsp.MessageType.Error, f"rb-lint: {error}")
                self._publish(buffer, linted)
        except ConfigError as error:
            if not stale():
                self._publish_config_error(buffer, text, str(error))
        except Exception as error:  # a bug must not end the server: say so, keep serving
            log.exception("linting %s", buffer.uri)
            self._log(lsp.MessageType.Error, f"rb-lint: internal error linting {buffer.uri}: {error!r}")

    async def _lintable(self, buffer: Buffer, text: str, path: Path | None) -> LoadedConfig | None:
        """The configuration to lint the buffer with, or None when it is not linted."""
        if path is None or not may_lint(path, buffer.language):
            return None
        if len(text) > MAX_CHARS:
            if not buffer.told_too_large:
                buffer.told_too_large = True
                self._log(
                    lsp.MessageType.Info, f"rb-lint: {path.name} is over {MAX_CHARS} characters: not linted"
                )
            return None
        before = buffer.recognised  # parsing a large buffer must not hold up the protocol
        buffer.recognised = await self.in_worker(functools.partial(looks_recognised, text, before))
        if not buffer.recognised:
            return None
        loaded = self.configs.for_file(path, self._workspace_roots())
        return None if skipped(path, loaded) else loaded

    def _workspace_roots(self) -> list[Path]:
        uris = [folder.uri for folder in self.workspace.folders.values()]
        uris += [self.workspace.root_uri] if self.workspace.root_uri else []
        return [path for path in map(_path_of, uris) if path is not None]

    def _publish(self, buffer: Buffer, linted: Linted) -> None:
        encoding = self._encoding()
        lines = LineMap(linted.text)
        base = _docs_base()
        shown = [(diagnostic(finding, lines, encoding, base), finding) for finding in linted.findings]
        buffer.linted, buffer.shown = linted, shown
        params = lsp.PublishDiagnosticsParams(uri=buffer.uri, diagnostics=[d for d, _ in shown])
        self.text_document_publish_diagnostics(params)

    def _publish_config_error(self, buffer: Buffer, text: str, message: str) -> None:
        buffer.linted, buffer.shown = Linted(text, (), True), []
        problem = lsp.Diagnostic(
            range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)),
            message=f"rb-lint cannot lint this file: {message}",
            severity=lsp.DiagnosticSeverity.Error,
            source=SOURCE,
        )
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=buffer.uri, diagnostics=[problem])
        )

    def _encoding(self) -> str:
        encoding = self.workspace.position_encoding
        return str(getattr(encoding, "value", encoding) or UTF16)

    def _log(self, kind: lsp.MessageType, message: str) -> None:
        self.window_log_message(lsp.LogMessageParams(type=kind, message=message))

    # -- hover and code actions -----------------------------------------------------------------

    def hover(self, uri: str, position: lsp.Position) -> lsp.Hover | None:
        from rb_lint.docs import rule_page
        from rb_lint.rules import BY_CODE

        buffer = self.buffers.get(uri)
        if buffer is None:
            return None
        pages = []
        for shown, finding in buffer.shown:
            rule = BY_CODE.get(finding.code)
            if rule is not None and _contains(shown.range, position):
                pages.append(
                    f"**{finding.code}** ({finding.severity}): {finding.message}\n\n{rule_page(rule)}"
                )
        if not pages:
            return None
        return lsp.Hover(
            contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value="\n\n---\n\n".join(pages))
        )

    def code_actions(self, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        buffer = self.buffers.get(params.text_document.uri)
        if buffer is None or buffer.linted is None:
            return []
        current = self.workspace.get_text_document(buffer.uri).source == buffer.linted.text
        lines, encoding = LineMap(buffer.linted.text), self._encoding()
        actions = []
        for shown, finding in buffer.shown:
            if not _overlaps(shown.range, params.range):
                continue
            fix = getattr(finding, "fix", None)
            if current and isinstance(fix, Fix):
                actions.append(self._fix_action(buffer.uri, fix, [shown], lines, encoding))
            actions.append(_ignore_action(buffer.uri, finding, shown))
        if current:
            actions += self._fix_all(buffer, lines, encoding)
        wanted = params.context.only
        return [a for a in actions if not wanted or any(_kind(a.kind).startswith(_kind(k)) for k in wanted)]

    def _fix_action(
        self, uri: str, fix: Fix, shown: list[lsp.Diagnostic], lines: LineMap, encoding: str
    ) -> lsp.CodeAction:
        return lsp.CodeAction(
            title=fix.title if fix.safe else f"{fix.title} (unsafe: changes what is uploaded)",
            kind=lsp.CodeActionKind.QuickFix,
            diagnostics=shown,
            is_preferred=fix.safe,
            edit=_workspace_edit(uri, fix.edits, lines, encoding),
        )

    def _fix_all(self, buffer: Buffer, lines: LineMap, encoding: str) -> list[lsp.CodeAction]:
        fixes = [f.fix for _, f in buffer.shown if isinstance(getattr(f, "fix", None), Fix)]
        safe = [fix for fix in fixes if fix is not None and fix.safe]
        taken, _waiting = compatible(safe)
        if not taken:
            return []
        edits = tuple(edit for fix in taken for edit in fix.edits)
        return [
            lsp.CodeAction(
                title="Fix all safe rb-lint problems",
                kind=FIX_ALL_KIND,
                edit=_workspace_edit(buffer.uri, edits, lines, encoding),
            )
        ]

    def ignore_at_pointer(self, uri: str, code: str, pointer: str) -> str:
        """Write the `pointer-ignores` entry, re-lint, and return the config file written."""
        path = _path_of(uri)
        if path is None:
            raise ignores.IgnoreError(f"not a file: {uri}")
        loaded = self.configs.for_file(path, self._workspace_roots())
        pattern = ignores.ignore_pattern(display_name(path, loaded.root), pointer)
        if pattern is None:
            raise ignores.IgnoreError(f"no pointer-ignores pattern can name {path.name} (a `#` in its name?)")
        written = ignores.add_pointer_ignore(loaded.source, loaded.root, pattern, code)
        self._log(lsp.MessageType.Info, f"rb-lint: {code} ignored at {pointer or '(root)'} in {written}")
        self.relint_all()
        return str(written)

    def stop(self) -> None:
        self.stopping = True
        for buffer in self.buffers.values():
            if buffer.timer is not None:
                buffer.timer.cancel()
            if buffer.task is not None:
                buffer.task.cancel()
        self.workers.shutdown(wait=False, cancel_futures=True)


def diagnostic(finding: Finding, lines: LineMap, encoding: str, docs_base: str) -> lsp.Diagnostic:
    """The protocol's form of a finding: from its line and column to the end of the token there."""
    start = finding_offset(lines, finding.line, finding.column)
    end = token_end(lines.text, start)
    return lsp.Diagnostic(
        range=_range(lines, start, end, encoding),
        message=finding.message,
        severity=_SEVERITIES[finding.severity],
        code=finding.code,
        code_description=lsp.CodeDescription(href=f"{docs_base}/{finding.code}.md"),
        source=SOURCE,
        data={"pointer": finding.pointer, "name": finding.name},
    )


def _range(lines: LineMap, start: int, end: int, encoding: str) -> lsp.Range:
    return lsp.Range(
        lsp.Position(*lines.position(start, encoding)), lsp.Position(*lines.position(end, encoding))
    )


def _workspace_edit(uri: str, edits: tuple[Edit, ...], lines: LineMap, encoding: str) -> lsp.WorkspaceEdit:
    text_edits = [
        lsp.TextEdit(range=_range(lines, e.start, e.end, encoding), new_text=e.content) for e in edits
    ]
    return lsp.WorkspaceEdit(changes={uri: text_edits})


def _ignore_action(uri: str, finding: Finding, shown: lsp.Diagnostic) -> lsp.CodeAction:
    title = (
        f"Ignore {finding.code} at this pointer ({finding.pointer or 'the document'}) in the rb-lint config"
    )
    return lsp.CodeAction(
        title=title,
        kind=lsp.CodeActionKind.QuickFix,
        diagnostics=[shown],
        command=lsp.Command(
            title=title, command=IGNORE_COMMAND, arguments=[uri, finding.code, finding.pointer]
        ),
    )


@functools.cache
def _docs_base() -> str:
    """Where the rule pages are published: the project's `Homepage` URL + /blob/main/docs/rules."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        urls = metadata("rb-lint").get_all("Project-URL") or []
    except PackageNotFoundError:
        urls = []
    homepage = next(
        (url.split(",", 1)[1].strip() for url in urls if url.lower().startswith("homepage,")), None
    )
    return f"{(homepage or DEFAULT_HOMEPAGE).rstrip('/')}/blob/main/docs/rules"


def _kind(kind: object) -> str:
    """A code action kind as the protocol spells it (`quickfix`), from an enum member or a string."""
    return str(getattr(kind, "value", kind))


def _path_of(uri: str) -> Path | None:
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return Path(path) if path else None


def _before(a: lsp.Position, b: lsp.Position) -> bool:
    return (a.line, a.character) <= (b.line, b.character)


def _contains(span: lsp.Range, position: lsp.Position) -> bool:
    return _before(span.start, position) and _before(position, span.end)


def _overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    return _before(a.start, b.end) and _before(b.start, a.end)


def build_server() -> RbLintServer:
    """The server with its features registered."""
    server = RbLintServer()

    @server.feature(lsp.INITIALIZED)
    async def initialized(ls: RbLintServer, params: lsp.InitializedParams) -> None:
        await _watch_config_files(ls)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RbLintServer, params: lsp.DidOpenTextDocumentParams) -> None:
        document = params.text_document
        buffer = ls.buffers[document.uri] = Buffer(document.uri, document.language_id)
        ls.schedule(buffer, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: RbLintServer, params: lsp.DidChangeTextDocumentParams) -> None:
        buffer = ls.buffers.get(params.text_document.uri)
        if buffer is not None:
            buffer.generation += 1
            ls.schedule(buffer, DEBOUNCE)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RbLintServer, params: lsp.DidSaveTextDocumentParams) -> None:
        path = _path_of(params.text_document.uri)
        if path is not None and is_config_file(path):
            ls.relint_all()
            return
        buffer = ls.buffers.get(params.text_document.uri)
        if buffer is not None:
            buffer.generation += 1
            ls.schedule(buffer, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RbLintServer, params: lsp.DidCloseTextDocumentParams) -> None:
        buffer = ls.buffers.pop(params.text_document.uri, None)
        if buffer is not None:
            buffer.generation += 1
            if buffer.timer is not None:
                buffer.timer.cancel()
            ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=buffer.uri, diagnostics=[]))

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files_changed(ls: RbLintServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        paths = [_path_of(change.uri) for change in params.changes]
        if any(path is not None and is_config_file(path) for path in paths):
            ls.relint_all()

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: RbLintServer, params: lsp.HoverParams) -> lsp.Hover | None:
        return ls.hover(params.text_document.uri, params.position)

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(
            code_action_kinds=[lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.SourceFixAll]
        ),
    )
    def code_action(ls: RbLintServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        return ls.code_actions(params)

    @server.command(IGNORE_COMMAND)
    def ignore_at_pointer(ls: RbLintServer, *arguments: Any) -> str:
        uri, code, pointer = (str(argument) for argument in arguments)
        try:
            return ls.ignore_at_pointer(uri, code, pointer)
        except (ignores.IgnoreError, ConfigError) as error:
            ls.window_show_message(
                lsp.ShowMessageParams(type=lsp.MessageType.Error, message=f"rb-lint: {error}")
            )
            raise

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: RbLintServer, params: None) -> None:
        ls.stop()

    return server


async def _watch_config_files(server: RbLintServer) -> None:
    """Ask the client to report changes of config files, when it can be asked."""
    workspace = server.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace is not None else None
    if watched is None or not watched.dynamic_registration:
        return
    watchers = [
        lsp.FileSystemWatcher(glob_pattern=f"**/{name}") for name in ("rb-lint.toml", "pyproject.toml")
    ]
    registration = lsp.Registration(
        id="rb-lint-config-files",
        method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
    )
    try:
        await server.client_register_capability_async(lsp.RegistrationParams(registrations=[registration]))
    except Exception as error:  # the client refused: config changes are then seen on save only
        server.window_log_message(
            lsp.LogMessageParams(
                type=lsp.MessageType.Warning, message=f"rb-lint: cannot watch config files: {error}"
            )
        )


def serve() -> None:
    """Serve over standard input and output until the client says `exit`."""
    logging.basicConfig(level=logging.WARNING, format="rb-lint lsp: %(levelname)s: %(message)s")
    build_server().start_io()


def file_uri(path: Path) -> str:
    return str(from_fs_path(str(path)))
