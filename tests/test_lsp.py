"""The language server (`rb-lint lsp`, issue 16), spoken to end to end over stdio: a real `python -m
rb_lint lsp` process driven by pygls's LanguageClient. Every wait is bounded (`TIMEOUT`); each test
ends with shutdown and exit, and checks that the process is gone."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar, Union

import nibabel as nib
import numpy as np
import pytest
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.protocol import default_converter
from pygls.uris import from_fs_path

from rb_lint.core.fixes import Edit, apply_edits
from rb_lint.lsp.ignores import IgnoreError, ignore_pattern, with_pointer_ignore
from rb_lint.lsp.positions import LineMap, finding_offset, token_end

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

TIMEOUT = 30.0  # seconds for any one exchange (a loaded CI machine); each is far quicker
T = TypeVar("T")

# Planted mistakes: task 1 repeats task 0's name (RB201 at the value of /1/name) and has an unknown
# key (RB103 at the key /1/seriez); an emoji (two UTF-16 code units) precedes both on their line.
ITEMS = (
    "[\n"
    '  {"name": "😀-a", "series": [{"items": "a.nii.gz"}]},\n'
    '  {"name": "😀-a", "seriez": [], "series": [{"items": "b.nii.gz"}]}\n'
    "]\n"
)
# A series whose mask (written by the test) holds 2, which segmentMap does not map (RB305), and not
# 1, which it does (RB304): mask checks, which run in the background.
MASKED = json.dumps(
    [
        {
            "name": "t",
            "series": [{"items": "ct.nii.gz", "segmentations": "seg.nii.gz", "segmentMap": {"1": "liver"}}],
        }
    ]
)
# RB103 with a safe fix: rename `seriez` to `series`.
FIXABLE = '[\n  {"name": "c", "seriez": [{"items": "c.nii.gz"}]}\n]\n'


def _converter() -> Any:
    """pygls's converter, reading a code action that carries a command as a `CodeAction`:
    lsprotocol 2025.0.0 takes any object with a `command` key for a bare `Command`."""
    converter = default_converter()

    def command_or_action(value: Any, _: type) -> lsp.Command | lsp.CodeAction:
        bare = isinstance(value.get("command"), str)
        return converter.structure(value, lsp.Command if bare else lsp.CodeAction)

    converter.register_structure_hook(Union[lsp.Command, lsp.CodeAction], command_or_action)  # noqa: UP007
    return converter


def _run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), timeout=4 * TIMEOUT))


async def _bounded(awaitable: Awaitable[T]) -> T:
    return await asyncio.wait_for(awaitable, timeout=TIMEOUT)


class Session:
    """A client connected to a fresh server process, recording what the server publishes."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self.client = LanguageClient("rb-lint-tests", "1", converter_factory=_converter)
        self.published: dict[str, list[lsp.Diagnostic]] = {}
        self.history: dict[str, list[set[str]]] = {}  # the codes of every publication, in order
        self.logs: list[str] = []
        self.changed = asyncio.Event()
        self.versions: dict[str, int] = {}

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            self.published[params.uri] = list(params.diagnostics)
            self.history.setdefault(params.uri, []).append(_codes(self.published[params.uri]))
            self.changed.set()

        @self.client.feature(lsp.WINDOW_LOG_MESSAGE)
        def log_message(params: lsp.LogMessageParams) -> None:
            self.logs.append(params.message)

    async def start(self) -> None:
        await self.client.start_io(sys.executable, "-m", "rb_lint", "lsp", cwd=str(self.workspace))
        root = from_fs_path(str(self.workspace))
        params = lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(),
            root_uri=root,
            workspace_folders=[lsp.WorkspaceFolder(uri=root, name="workspace")],
        )
        result = await _bounded(self.client.initialize_async(params))
        assert result.capabilities.hover_provider
        self.client.initialized(lsp.InitializedParams())

    async def stop(self) -> None:
        await _bounded(self.client.shutdown_async(None))
        self.client.exit(None)
        process = self.client._server
        assert process is not None
        assert await _bounded(process.wait()) == 0  # `exit` after `shutdown`: a clean end
        await _bounded(self.client.stop())

    def open(self, path: Path, text: str) -> str:
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        uri = from_fs_path(str(path))
        self.versions[uri] = 1
        document = lsp.TextDocumentItem(uri=uri, language_id="json", version=1, text=text)
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=document))
        return uri

    def replace(self, uri: str, text: str) -> None:
        """The whole buffer replaced (unsaved), as an editor sends a full change."""
        self.versions[uri] += 1
        document = lsp.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri])
        change = lsp.TextDocumentContentChangeWholeDocument(text=text)
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(text_document=document, content_changes=[change])
        )

    async def diagnostics(
        self, uri: str, done: Callable[[list[lsp.Diagnostic]], bool]
    ) -> list[lsp.Diagnostic]:
        """The diagnostics published for `uri` once they satisfy `done` (bounded wait)."""

        async def wait() -> list[lsp.Diagnostic]:
            while uri not in self.published or not done(self.published[uri]):
                self.changed.clear()
                await self.changed.wait()
            return self.published[uri]

        return await _bounded(wait())

    async def code_actions(
        self, uri: str, diagnostic: lsp.Diagnostic, only: list[str] | None = None
    ) -> list[lsp.CodeAction]:
        params = lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=lsp.CodeActionContext(diagnostics=[diagnostic], only=only),
        )
        actions = await _bounded(self.client.text_document_code_action_async(params))
        return [action for action in actions or [] if isinstance(action, lsp.CodeAction)]


def _codes(diagnostics: list[lsp.Diagnostic]) -> set[str]:
    return {str(d.code) for d in diagnostics}


def _at(diagnostics: list[lsp.Diagnostic], code: str) -> lsp.Diagnostic:
    (found,) = [d for d in diagnostics if d.code == code]
    return found


def _span(diagnostic: lsp.Diagnostic) -> tuple[int, int, int, int]:
    r = diagnostic.range
    return (r.start.line, r.start.character, r.end.line, r.end.character)


def _apply(text: str, edit: lsp.WorkspaceEdit, uri: str) -> str:
    """Apply the text edits of a workspace edit, as an editor does (positions in UTF-16 units)."""
    assert edit.changes is not None and set(edit.changes) == {uri}
    lines = LineMap(text)
    edits = [
        Edit(
            lines.offset(e.range.start.line, e.range.start.character),
            lines.offset(e.range.end.line, e.range.end.character),
            e.new_text,
        )
        for e in edit.changes[uri]
        if isinstance(e, lsp.TextEdit)
    ]
    return apply_edits(text, edits)


def test_diagnostics_hover_ignore_action_and_config_change(tmp_path: Path) -> None:
    async def scenario() -> None:
        session = Session(tmp_path)
        await session.start()
        try:
            uri = session.open(tmp_path / "items.json", ITEMS)
            shown = await session.diagnostics(uri, lambda ds: {"RB201", "RB103"} <= _codes(ds))
            duplicate, unknown = _at(shown, "RB201"), _at(shown, "RB103")
            # Line 2 (0-based); `  {"name": ` is 11 units, the value `"😀-a"` 6 (the emoji is a pair).
            assert _span(duplicate) == (2, 11, 2, 17)
            assert _span(unknown) == (2, 19, 2, 27)  # the key `"seriez"`, after `"😀-a", `
            assert duplicate.severity == lsp.DiagnosticSeverity.Error
            assert unknown.severity == lsp.DiagnosticSeverity.Warning
            assert duplicate.source == "rb-lint" and "already used" in duplicate.message
            assert duplicate.code_description is not None
            assert duplicate.code_description.href == (
                "https://github.com/rb-lint/rb-lint/blob/main/docs/rules/RB201.md"
            )

            hover = await _bounded(
                session.client.text_document_hover_async(
                    lsp.HoverParams(
                        text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(2, 13)
                    )
                )
            )
            assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
            assert hover.contents.kind == lsp.MarkupKind.Markdown
            assert "# RB201 `duplicate-task-name`" in hover.contents.value
            assert (
                "## Why it matters" in hover.contents.value and "Skipping duplicate" in hover.contents.value
            )

            actions = await session.code_actions(uri, duplicate)
            (ignore,) = [a for a in actions if a.title.startswith("Ignore RB201")]
            assert ignore.command is not None and ignore.edit is None
            await _bounded(
                session.client.workspace_execute_command_async(
                    lsp.ExecuteCommandParams(
                        command=ignore.command.command, arguments=ignore.command.arguments
                    )
                )
            )
            config = (tmp_path / "rb-lint.toml").read_text(encoding="utf-8")
            assert config == '[pointer-ignores]\n"/items.json#/1/name" = ["RB201"]\n'
            after = await session.diagnostics(uri, lambda ds: "RB201" not in _codes(ds))
            assert "RB103" in _codes(after)  # only the ignored finding went

            # The config changes on disk (another program, a `git pull`): the client says so.
            (tmp_path / "rb-lint.toml").write_text('ignore = ["RB103"]\n' + config, encoding="utf-8")
            change = lsp.FileEvent(
                uri=from_fs_path(str(tmp_path / "rb-lint.toml")), type=lsp.FileChangeType.Changed
            )
            session.client.workspace_did_change_watched_files(
                lsp.DidChangeWatchedFilesParams(changes=[change])
            )
            await session.diagnostics(uri, lambda ds: not {"RB103", "RB201"} & _codes(ds))
        finally:
            await session.stop()

    _run(scenario)


def test_typing_fixing_and_no_input_crashes_the_server(tmp_path: Path) -> None:
    async def scenario() -> None:
        session = Session(tmp_path)
        await session.start()
        try:
            uri = session.open(tmp_path / "items.json", ITEMS)
            await session.diagnostics(uri, lambda ds: "RB201" in _codes(ds))
            # Typing breaks the JSON: a recognised document shows the syntax error.
            session.replace(uri, ITEMS[:-3])
            broken = await session.diagnostics(uri, lambda ds: _codes(ds) == {"RB001"})
            assert broken[0].severity == lsp.DiagnosticSeverity.Error
            # JSON rb-lint does not lint (a package.json), a non-JSON file, lone surrogates, a huge
            # buffer: no diagnostics, no crash; the huge one is named once in the log.
            other = session.open(tmp_path / "package.json", '{"name": "x", "version": "1.0.0"}')
            text = session.open(tmp_path / "notes.txt", "not json at all [")
            odd = session.open(tmp_path / "odd.json", '[{"name": "\ud800", "series": [{"items": 1}]}]')
            huge = session.open(tmp_path / "huge.json", "[" + " " * (11 * 1024 * 1024) + "]")
            for quiet in (other, text, huge):
                assert await session.diagnostics(quiet, lambda ds: True) == []
            await session.diagnostics(odd, lambda ds: bool(ds))
            assert sum("huge.json" in line for line in session.logs) == 1
            # Mask checks run after the document's own diagnostics are shown, with the scan cache.
            mask = np.zeros((4, 4, 4), dtype=np.uint8)
            mask[0, 0, 0] = 2
            nib.save(nib.Nifti1Image(mask, np.eye(4)), tmp_path / "seg.nii.gz")
            masked = session.open(tmp_path / "masked.json", MASKED)
            await session.diagnostics(masked, lambda ds: {"RB304", "RB305"} <= _codes(ds))
            first = session.history[masked][0]
            assert "RB400" in first and not any(code.startswith("RB3") for code in first)
            assert (tmp_path / ".rb_lint_cache").is_dir()
            # The server still answers: a fix action applied makes its diagnostic disappear.
            fixable = session.open(tmp_path / "fixable.json", FIXABLE)
            shown = await session.diagnostics(fixable, lambda ds: "RB103" in _codes(ds))
            actions = await session.code_actions(fixable, _at(shown, "RB103"))
            (fix,) = [a for a in actions if a.kind == lsp.CodeActionKind.QuickFix and a.edit is not None]
            assert fix.title == "Rename `seriez` to `series`" and fix.is_preferred
            (fix_all,) = [a for a in actions if a.title == "Fix all safe rb-lint problems"]
            assert fix_all.edit is not None
            assert fix.edit is not None
            fixed = _apply(FIXABLE, fix.edit, fixable)
            assert fixed == FIXABLE.replace('"seriez"', '"series"')  # only the key's span changed
            assert _apply(FIXABLE, fix_all.edit, fixable) == fixed
            fix_all_only = await session.code_actions(fixable, _at(shown, "RB103"), only=["source.fixAll"])
            assert [a.title for a in fix_all_only] == [fix_all.title]  # the kind asked for, no other
            session.replace(fixable, fixed)
            await session.diagnostics(fixable, lambda ds: "RB103" not in _codes(ds))
        finally:
            await session.stop()

    _run(scenario)


def test_without_the_lsp_extra_the_command_says_so_in_one_line() -> None:
    blocked = (  # pygls cannot be imported, as when the extra is not installed
        "import sys\nsys.modules['pygls'] = None\nsys.argv = ['rb-lint', 'lsp']\n"
        "from rb_lint.cli import main\nmain()"
    )
    run = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, timeout=TIMEOUT)
    assert run.returncode == 2
    assert (
        run.stderr
        == "rb-lint: error: the language server needs the `lsp` extra: pip install 'rb-lint[lsp]'\n"
    )


# -- the pieces, without a process ---------------------------------------------------------------


def test_positions_count_utf16_units_and_skip_a_bom() -> None:
    text = '\ufeff[{"a": "😀", "b": 12}]'
    lines = LineMap(text)
    start = finding_offset(lines, 1, 18)  # rb-lint's column counts code points without the BOM
    assert text[start : token_end(text, start)] == "12"
    assert lines.position(start) == (0, 19)  # BOM (1) + 17 code points, the emoji being 2 units
    assert lines.position(start, "utf-32") == (0, 18)
    assert LineMap("a\r\nb\rc\nd").starts == [0, 3, 5, 7]


def test_token_ends() -> None:
    text = '{"k": [1, 2], "long": [\n1]}'
    assert token_end(text, text.index("[")) == text.index("]") + 1  # fits on its line: all of it
    assert token_end(text, text.index("[\n")) == text.index("[\n") + 1  # does not: the bracket only
    assert token_end('{"a": tru', 6) == 9  # not a token: the run of letters


def test_the_ignore_entry_is_a_minimal_edit() -> None:
    pattern = ignore_pattern("data/items [1].json", "/0/se*ries/~1x")
    assert pattern == "/data/items \\[1\\].json#/0/se\\*ries/~1x"
    assert ignore_pattern("a#b.json", "/0") is None
    table = ("pointer-ignores",)
    original = (
        '# keep me\nselect = ["RB"]\n\n[pointer-ignores]\r\n"/x" = ["RB103"]  # [why]\r\n\n[severity]\n'
    )
    added = with_pointer_ignore(original, table, "/x", "RB201")
    assert added == original.replace('["RB103"]', '["RB103", "RB201"]')
    new_key = with_pointer_ignore(original, table, "/y", "RB201")
    assert new_key == original.replace("  # [why]\r\n", '  # [why]\r\n"/y" = ["RB201"]\r\n')
    assert with_pointer_ignore(added, table, "/x", "RB201") == added  # already there: unchanged
    pyproject = '[project]\nname = "x"\n[tool.rb-lint]\nselect = ["RB"]'
    assert with_pointer_ignore(pyproject, ("tool", "rb-lint", "pointer-ignores"), "/z", "RB2") == (
        pyproject + '\n\n[tool.rb-lint.pointer-ignores]\n"/z" = ["RB2"]\n'
    )
    with pytest.raises(IgnoreError, match="add it by hand"):
        with_pointer_ignore('pointer-ignores = { "/x" = ["RB103"] }\n', table, "/y", "RB201")
    odd = '\x01"\\\x7f😀'  # control characters, a quote, a backslash: escaped as TOML needs
    assert tomllib.loads(with_pointer_ignore("", table, odd, "RB2")) == {"pointer-ignores": {odd: ["RB2"]}}
