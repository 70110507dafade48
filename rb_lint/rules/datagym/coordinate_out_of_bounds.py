"""RB618 coordinate-out-of-bounds."""

from __future__ import annotations

from collections.abc import Iterator

from rb_lint.core.context import Context
from rb_lint.core.findings import Hit, Severity
from rb_lint.core.rule import rule
from rb_lint.facts.datagym import Geometry, coordinate_objects, export, is_number, show_number
from rb_lint.io.document import Document
from rb_lint.models.kinds import DATAGYM

_SIZES = {"x": ("w", "width"), "y": ("h", "height")}


@rule(
    "RB618",
    "coordinate-out-of-bounds",
    Severity.ERROR,
    "A coordinate lies outside the configured image size.",
    kinds=(DATAGYM,),
)
def coordinate_out_of_bounds(doc: Document, ctx: Context) -> Iterator[Hit]:
    """
    What: With `image-width` / `image-height` set in `[tool.rb-lint.datagym]` (the export carries
    no image size), every coordinate must lie within the image: 0 <= x <= width,
    0 <= y <= height, and a rectangle's `x + w` / `y + h` too. Reported once per object, at its
    first offending value.

    Why: Points outside the image are usually a mix-up of images or a scaled copy of the labels:
    the labels do not mark what they seem to, and converters clip or reject them.

    Failing:
        [tool.rb-lint.datagym] image-width = 1920
        "bus": [{"rectangle": [{"x": 1900, "y": 80, "w": 64, "h": 45}], "classifications": {}}]
    Fixed:
        "bus": [{"rectangle": [{"x": 1850, "y": 80, "w": 64, "h": 45}], "classifications": {}}]
    """
    settings = ctx.config.datagym
    limits = {"x": settings.image_width, "y": settings.image_height}
    if limits["x"] is None and limits["y"] is None:
        return
    for geometry in export(doc).geometries:
        bad = list(_outside(geometry, limits))
        if bad:
            pointer, message = bad[0]
            more = f" ({len(bad)} values of this object are outside)" if len(bad) > 1 else ""
            yield Hit(
                f"{message}{more}: the coordinates do not belong to this image size; "
                "check the image or the configured size",
                pointer,
            )


def _outside(geometry: Geometry, limits: dict[str, int | None]) -> Iterator[tuple[str, str]]:
    """Every value outside the image: its pointer and what is wrong with it."""
    for path, point in coordinate_objects(geometry.coords):
        for axis, (size_key, word) in _SIZES.items():
            limit, raw = limits[axis], point.get(axis)
            if limit is None or not is_number(raw):
                continue
            value, extent = float(raw), point.get(size_key)
            end = value + extent if is_number(extent) else value
            if value < 0 or value > limit:
                yield (
                    geometry.at(path, axis),
                    f"`{axis}` = {raw} is outside the image {word} {limit} (class `{geometry.class_name}`)",
                )
            elif end > limit:
                yield (
                    geometry.at(path, size_key),
                    f"`{axis}` + `{size_key}` = {show_number(str(end))} is beyond the image "
                    f"{word} {limit} (class `{geometry.class_name}`)",
                )
