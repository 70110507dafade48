"""`rb-lint lsp`: the language server, over standard input and output (the `lsp` extra)."""

from __future__ import annotations

import click

from rb_lint.cli.common import fail


@click.command("lsp")
def lsp() -> None:
    """Run the language server on standard input and output (for editors)."""
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        fail("the language server needs the `lsp` extra: pip install 'rb-lint[lsp]'")
    from rb_lint.lsp.server import serve

    serve()
