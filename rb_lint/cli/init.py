"""`rb-lint init`: write a starter rb-lint.toml here and print the pre-commit set-up."""

from __future__ import annotations

from pathlib import Path

import click

from rb_lint.cli.common import fail, guarded


@click.command()
@click.option("--force", is_flag=True, help="Replace an existing rb-lint.toml.")  # starter.CONFIG_NAME
@guarded
def init(force: bool) -> None:
    """Write a starter rb-lint.toml in the current folder (taxonomy, excludes) and print the
    pre-commit configuration and the next steps."""
    from rb_lint.starter import CONFIG_NAME, precommit_snippet, starter_config, survey  # config: pydantic

    target = Path(CONFIG_NAME)
    if target.exists() and not force:
        fail(f"{CONFIG_NAME} already exists: edit it, or replace it with `rb-lint init --force`")
    found = survey(Path.cwd())
    text = starter_config(found)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        fail(f"cannot write {CONFIG_NAME}: {error.strerror or error}")
    if len(found.taxonomies) == 1:
        taxonomy = f"taxonomy `{found.taxonomies[0]}`"
    elif found.taxonomies:
        taxonomy = f"{len(found.taxonomies)} taxonomies found: uncomment the project's one"
    else:
        taxonomy = "no taxonomy found: name yours in it"
    excluded = f"{len(found.excludes)} exclude{'s' if len(found.excludes) != 1 else ''}"
    folders = ", ".join(sorted(found.data)) or "none"
    click.echo(f"Wrote {CONFIG_NAME}: {taxonomy}; data folders: {folders}; {excluded}.")
    click.echo("\nAdd to .pre-commit-config.yaml (https://pre-commit.com):\n")
    click.echo(precommit_snippet())
    click.echo("Next steps:")
    click.echo(f"  1. review {CONFIG_NAME}, then `rb-lint check` (lints every JSON file below this folder)")
    click.echo("  2. `pip install pre-commit && pre-commit install` (hooks on every commit)")
    click.echo(f"  3. `git add {CONFIG_NAME} .pre-commit-config.yaml` and commit")
