"""RB401 legacy-taxonomy."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.taxonomy import first_labelling_document, labels_anything
from rb_lint.formats.taxonomy_index import is_legacy_taxonomy, taxonomy_for
from rb_lint.io.document import Document
from rb_lint.models.kinds import TASK_KINDS, TAXONOMY


@rule(
    "RB401",
    "legacy-taxonomy",
    Severity.INFO,
    "A Taxonomy V1 is read for category names only.",
    kinds=(TAXONOMY, *TASK_KINDS),
    scope="project",
    needs=(labels_anything,),
)
def legacy_taxonomy(docs: list[Document], ctx: Context) -> Iterator[Hit]:
    """
    What: A Taxonomy V1 (the legacy `categories` tree, `isNew: false`). rb-lint reads its category
    names, paths and classIds, so unknown and ambiguous categories are still found (RB402,
    RB403); label types, attributes and semantic ids (RB405-RB409) and the taxonomy's own checks
    (RB420-RB426, RB101-RB104) need Taxonomy V2 and are skipped. Reported on each linted V1 file,
    or at the first task document when the V1 taxonomy comes from `--taxonomy` or configuration.

    Why: RedBrick's semantic export refuses V1 taxonomies, and V2 is what new projects use.

    Failing:
        {"name": "Brain", "isNew": false, "categories": [{"name": "object", "children": [...]}]}
    Fixed:
        {"name": "Brain", "isNew": true, "objectTypes": [{"category": "Glioma", "classId": 0,
         "labelType": "SEGMENTATION"}]}
    """
    linted_v1 = [d for d in docs if d.parsed and d.kind == TAXONOMY and is_legacy_taxonomy(d.data)]
    for doc in linted_v1:
        yield Hit(
            "Taxonomy V1 (legacy `categories` tree): category names are checked, but label "
            "types, attributes, semantic ids and this file's own V2 checks are skipped; "
            "migrate it to Taxonomy V2 (`objectTypes`)",
            "/categories",
            at="key",
            doc=doc,
            key="legacy-taxonomy",
        )
    first = first_labelling_document(docs)
    if first is None:
        return
    index = taxonomy_for(ctx)
    if index is None or index.version != 1 or index.document in linted_v1:
        return
    yield Hit(
        f"the taxonomy {index.source} is a Taxonomy V1 (legacy `categories` tree): "
        "category names are checked, but label types, attributes and semantic ids are not",
        "",
        doc=first,
        key="legacy-taxonomy",
    )
