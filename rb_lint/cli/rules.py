"""`rb-lint rules`, `rb-lint rule CODE` and `rb-lint schema NAME`: what rb-lint checks, and how."""

from __future__ import annotations

import click

from rb_lint.cli.common import fail
from rb_lint.models.schemas import SCHEMAS, render
from rb_lint.rules import ALL_RULES, find_rule


@click.command("rules")
def list_rules() -> None:
    """List every rule: code, name, default severity and summary."""
    for rule in ALL_RULES:
        click.echo(f"{rule.code}  {rule.name:<36} {rule.severity!s:<8} {rule.summary}")


@click.command("rule")
@click.argument("code")
def show_rule(code: str) -> None:
    """Print the documentation of one rule (by code or name)."""
    rule = find_rule(code)
    if rule is None:
        fail(f"unknown rule `{code}`: `rb-lint rules` lists them")
    click.echo(f"{rule.code} {rule.name} [{rule.severity}]\n\n{rule.summary}\n\n{rule.doc}")


@click.command("schema")
@click.argument("name", type=click.Choice(sorted(SCHEMAS)))
def show_schema(name: str) -> None:
    """Print a JSON Schema generated from rb-lint's models."""
    click.echo(render(SCHEMAS[name]), nl=False)
