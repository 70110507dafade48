"""`rb-lint rules`, `rb-lint rule CODE` and `rb-lint schema KIND`: what rb-lint checks, and how."""

from __future__ import annotations

import click

from rb_lint.cli.common import KindChoice, fail
from rb_lint.models.kind_names import KIND_ALIASES, KINDS

# The rules and the schemas (pydantic models) are imported by the commands that use them, when they run.


@click.command("rules")
def list_rules() -> None:
    """List every rule: code, name, default severity and summary."""
    from rb_lint.rules import indexed_rules  # the index: no family is imported

    for rule in indexed_rules():
        click.echo(f"{rule.code}  {rule.name:<36} {rule.severity!s:<8} {rule.summary}")


@click.command("rule")
@click.argument("code")
def show_rule(code: str) -> None:
    """Print the documentation of one rule (by code or name)."""
    from rb_lint.rules import find_rule

    rule = find_rule(code)
    if rule is None:
        hint = _did_you_mean(code)
        listed = f"{hint} (`rb-lint rules` lists them)" if hint else "`rb-lint rules` lists them"
        fail(f"unknown rule `{code}`: {listed}")
    click.echo(f"{rule.code} {rule.name} [{rule.severity}]\n\n{rule.summary}\n\n{rule.doc}")


def _did_you_mean(word: str) -> str:
    """`did you mean `RB201` (duplicate-task-name)?` for the nearest code or name; the rules a
    prefix (`RB20`) stands for; or nothing."""
    from rb_lint.core.suggest import closest_name
    from rb_lint.rules import indexed_rules

    every = indexed_rules()

    word = word.strip()
    if word[:2].upper() == "RB" and word[2:].isdigit():
        below = [r.code for r in every if r.code.startswith(word.upper())]
        if below:
            listed = ", ".join(below[:3]) + (", ..." if len(below) > 3 else "")
            return f"`{word}` is a prefix: did you mean one of {listed}?"
    codes = {r.code: r for r in every}
    names = {r.name: r for r in every}
    near = closest_name(word.upper(), list(codes)) or closest_name(word.lower(), list(names))
    rule = codes.get(near or "") or names.get(near or "")
    return f"did you mean `{rule.code}` ({rule.name})?" if rule is not None else ""


@click.command("schema")
@click.argument("kind", metavar="KIND", type=KindChoice(sorted(KINDS), KIND_ALIASES))
def show_schema(kind: str) -> None:
    """Print the JSON Schema of a document KIND, generated from rb-lint's models."""
    from rb_lint.models.schemas import SCHEMAS, render

    click.echo(render(SCHEMAS[kind]), nl=False)
