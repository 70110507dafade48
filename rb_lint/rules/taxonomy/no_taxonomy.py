"""RB400 no-taxonomy."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.taxonomy import first_labelling_document, labels_anything
from rb_lint.formats.taxonomy_index import taxonomy_setup
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS, TAXONOMY

ENABLE_HINT = 'pass `--taxonomy FILE` or set `taxonomy = "FILE"` in `[tool.rb-lint]` (`rb-lint init` does)'
NAMED = 4  # taxonomy files a message names


@rule(
    "RB400",
    "no-taxonomy",
    Severity.WARNING,
    "No taxonomy is available, so categories and attributes are not checked.",
    kinds=TASK_KINDS,
    scope="project",
    needs=(labels_anything,),
)
def no_taxonomy(docs: list[Document], ctx: Context) -> Iterator[Hit]:
    """
    What: Tasks name categories and attributes, but rb-lint has no taxonomy to check them against,
    so RB402-RB409 are skipped. Reported once per run, at the first task document that labels
    anything. The taxonomy comes from `--taxonomy FILE`, from `taxonomy = "FILE"` in
    `[tool.rb-lint]` (relative to the configuration file; used whatever files are linted, so the
    pre-commit hooks check staged items lists against an unstaged taxonomy), or is the one taxonomy
    file among the linted files; with several linted taxonomies none is guessed, and the finding
    names them.

    Why: "the category must exist in your project's taxonomy", yet nothing on the client checks
    it for NIfTI uploads; a misspelt category only shows up as broken work in the annotation tool.
    A warning, not a note: a run without a taxonomy looks clean while checking no category.

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
        names = [d.display_path for d in ctx.documents if d.parsed and d.kind == TAXONOMY]
        shown = ", ".join(f"`{name}`" for name in names[:NAMED]) + (", ..." if len(names) > NAMED else "")
        message = (
            f"{setup.linted_count} taxonomies are linted together ({shown}), so none is used to "
            f"check categories and attributes (RB402-RB409): choose one, {ENABLE_HINT}"
        )
    else:
        message = (
            "no taxonomy given: categories, label types, attributes and semantic ids "
            f"(RB402-RB409) are not checked; {ENABLE_HINT}"
        )
    yield Hit(message, "", doc=first, key="no-taxonomy")
