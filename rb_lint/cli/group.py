"""The click group behind `rb-lint`: commands are imported when they are looked up."""

from __future__ import annotations

from importlib import import_module

import click

from rb_lint.cli import COMMANDS, version_line


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
    click.echo(version_line())
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
