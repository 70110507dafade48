"""The `rb-lint` command: check, init, rules, rule, schema, serve, lsp. Exit 0 clean, 1 findings, 2 usage.

A pre-commit hook pays the start-up on every commit: importing this package loads neither click nor
any command. `main` (the click group, `rb_lint.cli.group`) is imported when it is first used; a
command's module is imported when the command is looked up (`--help` lists them all: their
declarations import nothing heavy either), and each command imports what it needs (the API,
pydantic models, the rules, numpy) when it runs. `run` answers `rb-lint --version` without click.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from rb_lint import __version__
from rb_lint.models import FORMAT_SDK_VERSION

if TYPE_CHECKING:
    import click

# Command name -> (module of rb_lint.cli, the click command's name in it), in the order of `--help`.
COMMANDS = {
    "check": ("check", "check"),
    "init": ("init", "init"),
    "rules": ("rules", "list_rules"),
    "rule": ("rules", "show_rule"),
    "schema": ("rules", "show_schema"),
    "serve": ("serve", "serve"),
    "lsp": ("lsp", "lsp"),
}


def version_line() -> str:
    """What `rb-lint --version` prints."""
    return f"rb-lint, version {__version__} (RedBrick format of redbrick-sdk {FORMAT_SDK_VERSION})"


def run() -> None:
    """The console script: `rb-lint --version` is answered without importing click (about a
    fifth of an idle interpreter's start-up); everything else is the click group's."""
    if sys.argv[1:] == ["--version"]:
        sys.stdout.write(version_line() + "\n")
        return
    from rb_lint.cli.group import main

    main()


def __getattr__(name: str) -> click.Group:
    """`main`, the click group, imported on first use (PEP 562)."""
    if name == "main":
        from rb_lint.cli.group import main

        return main
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
