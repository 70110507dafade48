"""What a mask holds (`Values`), as the scan reports it; `collector.ValueCollector` finds it.

numpy is not imported here: a lint that scans no mask does not load it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rb_lint.nifti.collector import ValueCollector

MAX_INSTANCE = 65535
ByteBuffer = bytes | bytearray | memoryview


@dataclass
class Values:
    """What a mask holds, in the platform's terms (floats are rounded as the SDK rounds them)."""

    present: list[int] = field(default_factory=list)  # distinct values in 0..65535, sorted
    negative: list[float] = field(default_factory=list)  # examples below 0
    above: list[float] = field(default_factory=list)  # examples above 65535
    non_integral: list[float] = field(default_factory=list)  # examples with a fraction
    non_finite: list[str] = field(default_factory=list)  # "nan", "inf", "-inf"

    @property
    def nonzero(self) -> list[float]:
        """Every distinct non-zero value known (present, then out-of-range examples)."""
        return [v for v in self.present if v] + self.negative + self.above

    @property
    def empty(self) -> bool:
        return not (any(self.present) or self.negative or self.above or self.non_integral or self.non_finite)

    def to_dict(self) -> dict[str, object]:
        return {
            "present": self.present,
            "negative": self.negative,
            "above": self.above,
            "non_integral": self.non_integral,
            "non_finite": self.non_finite,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Values:
        return cls(
            present=[_int(v) for v in _list(data["present"])],
            negative=[_number(v) for v in _list(data["negative"])],
            above=[_number(v) for v in _list(data["above"])],
            non_integral=[_number(v) for v in _list(data["non_integral"])],
            non_finite=[str(v) for v in _list(data["non_finite"])],
        )


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise ValueError(f"not a list: {value!r}")
    return value


def _int(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"not an integer: {value!r}")


def _number(value: object) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    raise ValueError(f"not a number: {value!r}")


def __getattr__(name: str) -> type[ValueCollector]:
    """`ValueCollector`, still importable from here, imported (with numpy) when asked for."""
    if name == "ValueCollector":
        from rb_lint.nifti.collector import ValueCollector

        return ValueCollector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
