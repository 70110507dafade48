"""The language server (`rb-lint lsp`): diagnostics, hover and fixes in editors, over stdio."""
