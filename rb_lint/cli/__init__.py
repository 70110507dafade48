"""The `rb-lint` command: check, init, rules, rule, schema. Exit 0 clean, 1 findings, 2 usage/internal."""

from __future__ import annotations

import click

from rb_lint import __version__
from rb_lint.models import FORMAT_SDK_VERSION


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__,
    prog_name="rb-lint",
    message=f"%(prog)s, version %(version)s (RedBrick format of redbrick-sdk {FORMAT_SDK_VERSION})",
)
def main() -> None:
    """Lint RedBrick AI items lists, tasks.json exports, taxonomies, NIfTI masks and DataGym
    exports before they go near the platform."""


def _register() -> None:
    from rb_lint.cli.check import check
    from rb_lint.cli.init import init
    from rb_lint.cli.rules import list_rules, show_rule, show_schema

    for command in (check, init, list_rules, show_rule, show_schema):
        main.add_command(command)


_register()
