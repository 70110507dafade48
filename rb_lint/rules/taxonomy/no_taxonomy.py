"""RB400 no-taxonomy."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.taxonomy import first_labelling_document
from rb_lint.formats.taxonomy_index import taxonomy_setup
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS

ENABLE_HINT = 'pass `--taxonomy FILE` or set `taxonomy = "FILE"` in `[tool.rb-lint]`'


@rule(
    "RB400",
    "no-taxonomy",
    Severity.INFO,
    "No taxonomy is available, so categories and attributes are not checked.",
    kinds=TASK_KINDS,
    scope="project",
)
def no_taxonomy(docs: list[Document], ctx: Context) -> Iterator[Hit]:
    """
    What: Tasks name categories and attributes, but rb-lint has no taxonomy to check them against,
    so RB402-RB409 are skipped. Reported once per run, at the first task document that labels
    anything. The taxonomy comes from `--taxonomy FILE`, from `taxonomy = "FILE"` in
    `[tool.rb-lint]` (relative to the configuration file), or is the one taxonomy file among the
    linted files; with several linted taxonomies none is guessed.

    Why: "the category must exist in your project's taxonomy", yet nothing on the client checks
    it for NIfTI uploads; a typo only shows up as broken work in the annotation tool.

    Failing:
        rb-lint check items.json
    Fixed:
        rb-lint check --taxonomy taxonomy.json items.json
    """
    first = first_labelling_document(docs)
    if first is None:
        return
    setup = taxonomy_setup(ctx)
    if setup.index is not None:
        return
    if setup.linted_count > 1:
        message = (
            f"{setup.linted_count} taxonomies are linted together, so none is used to "
            "check categories and attributes (RB402-RB409): choose one, "
            f"{ENABLE_HINT}"
        )
    else:
        message = (
            "no taxonomy given: categories, label types, attributes and semantic ids "
            f"(RB402-RB409) are not checked; {ENABLE_HINT}"
        )
    yield Hit(message, "", doc=first, key="no-taxonomy")
