"""RB203 series-file-name-collision."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.names import series_groups
from rb_lint.formats import walk
from rb_lint.io.document import Document
from rb_lint.io.jsonpos import join_pointer
from rb_lint.models.kinds import TASK_KINDS


@rule(
    "RB203",
    "series-file-name-collision",
    Severity.ERROR,
    "Different series names that export to the same file name.",
    kinds=TASK_KINDS,
)
def series_file_name_collision(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: Two series of one task export to the same file. The exporter (redbrick-sdk 2.35.4) names
    a series' file after its name with every run of characters other than letters, digits,
    whitespace, `_ . # @ + ( ) , = [ ] { } ! ~ -` replaced by `-`, trailing spaces and dots removed
    and Windows device names (`CON`, `NUL`, `COM1`, ...) prefixed with `_`; an unnamed series, or one
    whose name sanitises to nothing, is `A`, `B`, ... by position. So distinct names such as `T1:post`
    and `T1-post`, or an unnamed first series beside one named `A`, map to the same file. Names that
    differ only in case collide on macOS and Windows.

    Why: One series' masks overwrite the other's in the export, and nothing says so.

    Failing:
        "series": [{"name": "T1:post", ...}, {"name": "T1-post", ...}]
    Fixed:
        "series": [{"name": "T1 (post)", ...}, {"name": "T1 (pre)", ...}]
    """
    stem_of: dict[str, str] = {}  # `walk.export_file_stem`, once per name (names repeat)
    for group in series_groups(doc):
        if len(group.series) < 2:
            continue  # one series collides with nothing
        stems: dict[str, tuple[int, str]] = {}
        for index, (pointer, series) in enumerate(group.series):
            name = walk.series_export_name(series, index)
            stem = stem_of.get(name)
            if stem is None:
                stem = stem_of[name] = walk.export_file_stem(name)
            stem = stem or walk.series_letter(index)  # `walk.series_export_stem`
            earlier = stems.setdefault(stem.lower(), (index, name))
            if earlier[0] == index or (earlier[1] == name and "name" in group.series[earlier[0]][1]):
                continue  # the same explicit name twice is RB202's business
            target = join_pointer(pointer, "name") if "name" in series else pointer
            yield Hit(
                f"series `{name}` exports to `{stem}.nii.gz`, the same file as series "
                f"{earlier[0]} (`{earlier[1]}`): rename one so their masks do not "
                "overwrite each other",
                target,
                key=f"series-file:{group.owner_name}:{name}",
            )
