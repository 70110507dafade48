"""What every `rb-lint` command shares: exit codes, one-line errors, Ctrl-C and bug handling."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

import click

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command ended by Ctrl-C


def fail(message: str) -> NoReturn:
    click.echo(f"rb-lint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def warn(message: str) -> None:
    click.echo(f"rb-lint: warning: {message}", err=True)


class KindChoice(click.Choice[str]):
    """A document kind, spelled as `--kind` and `rb-lint schema` both spell it. Old spellings
    (`aliases`: `tasks` for `tasks-export`) still work, unlisted, with a deprecation note on stderr."""

    def __init__(self, choices: Sequence[str], aliases: Mapping[str, str]) -> None:
        super().__init__(choices)
        self.aliases = dict(aliases)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if isinstance(value, str) and value in self.aliases:
            canonical = self.aliases[value]
            warn(f"`{value}` is deprecated, use `{canonical}` (the same document kind)")
            return canonical
        return str(super().convert(value, param, ctx))


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Usage and config problems, and any bug, end as one line on stderr and exit code 2."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from rb_lint.core.config import ConfigError  # pydantic: when a command runs, not at start-up

        try:
            return command(*args, **kwargs)
        except ConfigError as error:
            fail(str(error))
        except KeyboardInterrupt:  # Ctrl-C: no traceback, no "Aborted!" with the findings code 1
            click.echo("rb-lint: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except (SystemExit, click.exceptions.Exit):
            raise
        except click.ClickException:
            raise
        except Exception as error:
            if kwargs.get("verbose"):
                import traceback  # only for a bug: not at every start-up

                traceback.print_exc()
            fail(f"internal error: {type(error).__name__}: {error} (run with -v for details)")

    wrapper.__name__ = command.__name__
    wrapper.__doc__ = command.__doc__
    return wrapper
