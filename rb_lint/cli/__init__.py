"""The `rb-lint` command: check, init, rules, rule, schema, serve, lsp. Exit 0 clean, 1 findings, 2 usage.

A pre-commit hook pays the start-up on every commit: importing this package loads click and this
file only. A command's module is imported when the command is looked up (`--help` lists them all:
their declarations import nothing heavy either), and each command imports what it needs (the API,
pydantic models, the rules, numpy) when it runs.
"""

from __future__ import annotations

from importlib import import_module

import click

from rb_lint import __version__
from rb_lint.models import FORMAT_SDK_VERSION

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


class _LazyGroup(click.Group):
    """A group whose commands are imported on first use (as click's documentation suggests for
    fast start-up), not when the group is."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, name = COMMANDS[cmd_name]
            command = getattr(import_module(f"rb_lint.cli.{module}"), name)
            assert isinstance(command, click.Command) and command.name == cmd_name, cmd_name
            self.add_command(command)
        return self.commands.get(cmd_name)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(f"rb-lint, version {__version__} (RedBrick format of redbrick-sdk {FORMAT_SDK_VERSION})")
    ctx.exit()


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
def main() -> None:
    """Lint RedBrick AI items lists, tasks.json exports, taxonomies, NIfTI masks and DataGym
    exports before they go near the platform."""
