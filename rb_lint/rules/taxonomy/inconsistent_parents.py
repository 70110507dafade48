"""RB425 inconsistent-parents."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.taxonomy_file import taxonomy_file
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TAXONOMY


@rule(
    "RB425",
    "inconsistent-parents",
    Severity.ERROR,
    "A `parents` chain has a blank, repeated or differently spelled tier.",
    kinds=[TAXONOMY],
)
def inconsistent_parents(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: `parents` lists the tiers an object type (or classification) is nested under, left to
    right. A chain is consistent when every tier is a non-empty name without surrounding spaces;
    when no tier repeats within one chain (`["Brain", "Brain"]`); and when tiers under the same
    prefix are spelled the same way everywhere. Object types and each classify list are separate
    trees.

    Why: The SDK documents tiers as expansion panels ("objects with parent ["Type A"] will be
    visually nested under an expansion panel Type A"): they are labels, not object types, so a
    tier need not be a category itself, and the platform checks nothing about them.
    `["Brain", "Tumor"]` and `["Brain", "tumor"]` make two panels in the annotation tool, and
    tasks must then spell the path exactly right.

    Failing:
        {"category": "Glioma", "parents": ["Brain", "Tumor"]}, {"category": "Edema",
         "parents": ["Brain", "tumor "]}
    Fixed:
        {"category": "Glioma", "parents": ["Brain", "Tumor"]}, {"category": "Edema",
         "parents": ["Brain", "Tumor"]}
    """
    taxonomy = taxonomy_file(doc)
    if taxonomy is None:
        return
    for group in (taxonomy.object_types, *taxonomy.classify.values()):
        spelled: dict[tuple[str, ...], str] = {}  # normalised prefix + tier -> first spelling
        for pointer, entry in group:
            parents = entry.get("parents")
            if isinstance(parents, list):
                yield from _chain_problems(join_pointer(pointer, "parents"), parents, spelled)


def _chain_problems(pointer: str, parents: list[Any], spelled: dict[tuple[str, ...], str]) -> Iterator[Hit]:
    prefix: tuple[str, ...] = ()
    for index, tier in enumerate(parents):
        if not isinstance(tier, str):
            return  # RB102 reports it
        where = join_pointer(pointer, index)
        if not tier.strip():
            yield Hit("a blank parent tier names no panel: remove it or name it", where)
            return
        if tier != tier.strip():
            yield Hit(
                f"parent `{tier}` has surrounding spaces, so it is a different panel from "
                f"`{tier.strip()}`: remove them",
                where,
            )
        if tier in parents[:index]:
            yield Hit(
                f"parent `{tier}` repeats within its own chain: a panel cannot be nested "
                "in itself; remove the repeat",
                where,
            )
        key = (*prefix, " ".join(tier.split()).casefold())
        first = spelled.setdefault(key, tier)
        if first != tier and first.strip() == first and tier.strip() == tier:
            yield Hit(
                f"parent `{tier}` is spelled `{first}` elsewhere under the same panels: the "
                f"annotation tool shows two panels; spell it `{first}`",
                where,
            )
        prefix = key
