"""NIfTI-1 and NIfTI-2 headers, parsed by nibabel from the first bytes of the (decompressed) stream.

The platform reads masks with nibabel, so nibabel reads the headers here too: the fields in either
byte order, the extensions, the affine (`get_best_affine` after the fixes `nib.load` applies) and
its verdict on what `nib.load` refuses. What stays here is what nibabel does not offer: naming what
a file is when it is not a single-file NIfTI, refusing the few absurd headers nibabel lets through,
and `Header`, the plain record the scanner, the cache and the rules share. nibabel is imported on
first use (a lint without masks does not pay for it) and only ever sees bytes already read.
"""

from __future__ import annotations

import copy
import functools
import io
import math
import struct
import sys
import warnings
from dataclasses import dataclass, field, fields
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging

NIFTI1_SIZE = 348
NIFTI2_SIZE = 540
EXTENSION_FLAG_SIZE = 4
CIFTI_EXTENSION_CODE = 32
CIFTI_INTENTS = range(3000, 3100)
NIFTI2_EOL_CHECK = (13, 10, 26, 10)
MAX_OFFSET = 2**53  # a vox_offset beyond this is past the end of any file (and not exact as a float)
RESAVE = "save the mask again with a NIfTI writer (nibabel's `nib.save`, SimpleITK)"

# The datatypes the scanner reads, and how the others are named in findings. (nibabel's datatype
# table cannot serve: it maps float128, complex256 and 1-bit data to a 0-byte void on many
# platforms, and these sizes and names are part of the findings.)
SCANNABLE = {
    2: ("u1", "uint8"), 256: ("i1", "int8"), 4: ("i2", "int16"), 512: ("u2", "uint16"),
    8: ("i4", "int32"), 768: ("u4", "uint32"), 1024: ("i8", "int64"), 1280: ("u8", "uint64"),
    16: ("f4", "float32"), 64: ("f8", "float64"),
}  # fmt: skip
UNSCANNABLE = {
    0: "unknown (DT_UNKNOWN)", 1: "1-bit binary", 32: "complex64", 1792: "complex128",
    2048: "complex256", 128: "RGB24", 2304: "RGBA32", 1536: "float128",
}  # fmt: skip
FLOAT_CODES = frozenset({16, 64, 1536})
COMPLEX_OR_RGB = frozenset({32, 1792, 2048, 128, 2304})
# Bytes per voxel of each datatype (for the size check, scannable or not).
ITEMSIZE = {2: 1, 256: 1, 4: 2, 512: 2, 8: 4, 768: 4, 16: 4, 1024: 8, 1280: 8, 64: 8,
            32: 8, 1792: 16, 2048: 32, 128: 3, 2304: 4, 1536: 16, 1: 1, 0: 0}  # fmt: skip


class NotNifti(Exception):
    """The bytes are not a NIfTI-1/2 single-file volume; the message says what they are."""


@dataclass
class Header:
    version: int  # 1 or 2
    byteorder: str  # "<" or ">"
    shape: tuple[int, ...]
    datatype: int
    vox_offset: int
    scl_slope: float
    scl_inter: float
    qform_code: int
    sform_code: int
    affine: list[list[float]]
    intent_code: int
    extension_codes: list[int] = field(default_factory=list)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def voxels(self) -> int:
        return math.prod(self.shape)

    @property
    def itemsize(self) -> int:
        return ITEMSIZE.get(self.datatype, 0)

    @property
    def nbytes(self) -> int:
        return self.voxels * self.itemsize

    @property
    def dtype_name(self) -> str:
        if self.datatype in SCANNABLE:
            return SCANNABLE[self.datatype][1]
        return UNSCANNABLE.get(self.datatype, f"unknown datatype code {self.datatype}")

    @property
    def numpy_dtype(self) -> str | None:
        """The dtype string with byte order (`<i2`), or None when the scanner cannot read it."""
        code = SCANNABLE.get(self.datatype)
        return None if code is None else self.byteorder + code[0]

    @property
    def is_float(self) -> bool:
        return self.datatype in FLOAT_CODES

    @property
    def scaled(self) -> bool:
        """nibabel applies scl_slope/scl_inter unless the slope is 0 or not finite."""
        if self.scl_slope == 0 or not math.isfinite(self.scl_slope):
            return False
        return not (self.scl_slope == 1 and self.scl_inter == 0)

    def spatial_shape(self) -> tuple[int, int, int]:
        padded = (*self.shape[:3], 1, 1, 1)
        return padded[0], padded[1], padded[2]

    def to_dict(self) -> dict[str, object]:
        """The fields as JSON values (field by field: `dataclasses.asdict` deep-copies, which
        cost more than the rest of a cache entry)."""
        data = {name: getattr(self, name) for name in _FIELDS}
        data.update(
            shape=list(self.shape),
            affine=[list(row) for row in self.affine],
            extension_codes=list(self.extension_codes),
            scl_slope=_json_float(self.scl_slope),
            scl_inter=_json_float(self.scl_inter),
        )
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Header:
        affine = data["affine"]
        if not (
            isinstance(affine, list)
            and len(affine) == 4
            and all(isinstance(row, list) and len(row) == 4 for row in affine)
        ):
            raise ValueError("bad affine")
        return cls(
            version=_int(data["version"]),
            byteorder=str(data["byteorder"]),
            shape=tuple(_int(n) for n in _list(data["shape"])),
            datatype=_int(data["datatype"]),
            vox_offset=_int(data["vox_offset"]),
            scl_slope=_float(data["scl_slope"]),
            scl_inter=_float(data["scl_inter"]),
            qform_code=_int(data["qform_code"]),
            sform_code=_int(data["sform_code"]),
            affine=[[float(v) for v in row] for row in affine],
            intent_code=_int(data["intent_code"]),
            extension_codes=[_int(c) for c in _list(data["extension_codes"])],
        )


_FIELDS = tuple(f.name for f in fields(Header))


def _json_float(value: float) -> float | str:
    return value if math.isfinite(value) else repr(value)


def _float(value: object) -> float:
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"not a number: {value!r}")


def _int(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"not an integer: {value!r}")


def _list(value: object) -> list[object]:
    if isinstance(value, list):
        return value
    raise ValueError(f"not a list: {value!r}")


def header_size(prefix: bytes) -> int:
    """How many bytes the header occupies (348 or 540) from its first 4 bytes; NotNifti else."""
    if len(prefix) < 4:
        raise NotNifti(f"it is only {len(prefix)} bytes long, too short for a NIfTI header")
    for order in ("little", "big"):
        size = int.from_bytes(prefix[:4], order, signed=True)
        if size in (NIFTI1_SIZE, NIFTI2_SIZE):
            return size
    raise NotNifti(describe_foreign(prefix))


@functools.cache
def _nibabel() -> tuple[Any, Any, type[Exception]]:
    """nibabel's header classes and its error for a header it refuses, imported on first use."""
    nifti1, nifti2 = import_module("nibabel.nifti1"), import_module("nibabel.nifti2")
    return nifti1.Nifti1Header, nifti2.Nifti2Header, import_module("nibabel.spatialimages").HeaderDataError


@functools.cache
def _quiet() -> logging.Logger:
    """A logger for nibabel's fixes, which it would print to its own: these go nowhere (made on
    first use: logging is not imported by a run that parses no header)."""
    import logging

    quiet = logging.getLogger("rb_lint.nifti.header")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    return quiet


@functools.cache
def _numpy() -> Any:
    """numpy, imported on first use (nibabel needs it anyway)."""
    return import_module("numpy")


def preload() -> None:
    """Import nibabel now, so that forked workers share it instead of each importing it."""
    _nibabel()


def parse_header(block: bytes) -> Header:
    """Parse a header (and its extension list, when `block` reaches that far) with nibabel.
    NotNifti for anything that is not a single-file NIfTI or that `nib.load` refuses or misreads;
    no other exception escapes. Masks of one data set share their headers but for a
    description: a header parsed before is not parsed again (`_memo_key`)."""
    size = header_size(block)
    if len(block) < size:
        raise NotNifti(f"it ends after {len(block)} bytes, inside its {size}-byte header")
    order = "<" if int.from_bytes(block[:4], "little") == size else ">"
    key = _memo_key(block, size, order)
    known = _PARSED.get(key) if key is not None else None
    if known is not None:
        return _copy(known)
    try:
        with warnings.catch_warnings(), _numpy().errstate(all="ignore"):
            warnings.simplefilter("ignore")
            parsed = _parse(block, size, order)
    except NotNifti:
        raise
    except Exception as error:  # whatever nibabel raises when it refuses a header
        raise NotNifti(f"nibabel (which the platform uses) refuses its header: {error}; {RESAVE}") from None
    if key is not None:
        if len(_PARSED) >= PARSED_LIMIT:
            _PARSED.clear()
        _PARSED[key] = _copy(parsed)
    return parsed


# Headers parsed so far, keyed by the bytes the parse reads with the free-text fields blanked.
PARSED_LIMIT = 256
_PARSED: dict[bytes, Header] = {}
# (vox_offset format and offset, free text: descrip and aux_file), per header size.
_LAYOUT = {NIFTI1_SIZE: ("f", 108, 148, 252), NIFTI2_SIZE: ("q", 168, 240, 344)}


def _memo_key(block: bytes, size: int, order: str) -> bytes | None:
    """The bytes `_parse` reads (the header, then the extensions up to vox_offset, as far as the
    block goes) with `descrip` and `aux_file` (free text no check or transform reads) blanked;
    None when vox_offset is not a plain offset (the parse then says what is wrong)."""
    kind, offset, text_start, text_end = _LAYOUT[size]
    (vox_offset,) = struct.unpack_from(order + kind, block, offset)
    if not (math.isfinite(vox_offset) and size + EXTENSION_FLAG_SIZE <= vox_offset <= MAX_OFFSET):
        return None
    end = min(len(block), int(vox_offset))
    return b"%d:" % len(block[:end]) + block[:text_start] + block[text_end:end]


def _copy(header: Header) -> Header:
    """A copy whose lists are its own (`dataclasses.replace` costs ten times more)."""
    copied = copy.copy(header)
    copied.affine = [list(row) for row in header.affine]
    copied.extension_codes = list(header.extension_codes)
    return copied


def _parse(block: bytes, size: int, order: str) -> Header:
    nifti1_header, nifti2_header, refused = _nibabel()
    header: Any = (nifti1_header if size == NIFTI1_SIZE else nifti2_header)(block[:size], order, check=False)
    _check_magic(header, size)
    ndim = int(header["dim"][0])
    if not 1 <= ndim <= 7:
        raise NotNifti(f"its header is invalid: dim[0] (the number of dimensions) is {ndim}, not 1 to 7")
    dims = tuple(int(n) for n in header["dim"][1 : ndim + 1])
    if any(n < 0 for n in dims):
        raise NotNifti(f"its header is invalid: shape {dims} has a negative dimension")
    vox_offset = _vox_offset(header, size)
    found = Header(
        version=1 if size == NIFTI1_SIZE else 2,
        byteorder=order,
        shape=dims,
        datatype=int(header["datatype"]),
        vox_offset=vox_offset,
        scl_slope=float(header["scl_slope"]),
        scl_inter=float(header["scl_inter"]),
        qform_code=int(header["qform_code"]),
        sform_code=int(header["sform_code"]),
        affine=[],
        intent_code=int(header["intent_code"]),
    )
    _fix_as_loaded(header)  # from here on, `header` is what `nib.load` sees
    try:
        header.get_slope_inter()
    except refused:
        raise NotNifti(
            f"nibabel (which the platform uses) refuses its header: scl_slope is {found.scl_slope:g} "
            f"but scl_inter is {found.scl_inter}; {RESAVE}"
        ) from None
    found.shape = tuple(int(n) for n in header.get_data_shape())
    found.affine = [[float(v) for v in row] for row in header.get_best_affine()]
    found.extension_codes = _extension_codes(header, block, size, vox_offset, refused)
    return found


def _check_magic(header: Any, size: int) -> None:
    """Single-file NIfTI only; say what the file is instead (nibabel only says "not valid")."""
    magic = header["magic"].item()  # without its trailing NUL
    if size == NIFTI1_SIZE:
        if magic == header.pair_magic:
            raise NotNifti(
                "it is the header of a two-file NIfTI pair (.hdr/.img), whose data is in "
                "another file; save the mask as a single-file .nii.gz"
            )
        if magic != header.single_magic:
            raise NotNifti(
                "it is an Analyze 7.5 file (its header lacks the NIfTI magic `n+1`); convert it to NIfTI"
            )
    elif magic != header.single_magic or tuple(int(b) for b in header["eol_check"]) != NIFTI2_EOL_CHECK:
        if magic in (header.pair_magic, header.single_magic):
            raise NotNifti(
                "its NIfTI-2 magic is damaged or belongs to a two-file pair; save "
                "the mask as a single-file .nii.gz"
            )
        raise NotNifti("its 540-byte header lacks the NIfTI-2 magic `n+2`")


def _vox_offset(header: Any, size: int) -> int:
    """Where the voxel data starts; NotNifti for the values nibabel accepts but cannot use
    (not finite: `nib.load` fails on them later) or misreads (0: the header is read as data)."""
    value = header["vox_offset"].item()  # a float in NIfTI-1, an int in NIfTI-2
    first = size + EXTENSION_FLAG_SIZE
    if not math.isfinite(value):
        raise NotNifti(
            f"its header is invalid: vox_offset (where the voxel data starts) is {value}, not a byte "
            f"offset, and nibabel (which the platform uses) fails to load it; {RESAVE}"
        )
    if value == 0:
        raise NotNifti(
            "its header is invalid: vox_offset is 0, so nibabel reads the header itself as voxel "
            f"data (in a single-file NIfTI the data starts at byte {first} or later); {RESAVE}"
        )
    if value < first:
        raise NotNifti(
            f"its header is invalid: vox_offset (where the voxel data starts) is {value:g}, before the "
            f"end of the {size}-byte header and its 4-byte extension flag (in a single-file NIfTI the "
            f"data starts at byte {first} or later), and nibabel (which the platform uses) refuses it; "
            f"{RESAVE}"
        )
    if value > MAX_OFFSET:
        raise NotNifti(
            f"its header is invalid: vox_offset (where the voxel data starts) is {value:g}, past the "
            f"end of any file, and nibabel (which the platform uses) fails to load it; {RESAVE}"
        )
    return int(value)


def _fix_as_loaded(header: Any) -> None:
    """Fix the header as `nib.load` fixes it (zero or negative pixdims, qfac, unknown xform
    codes); HeaderDataError for what nibabel refuses (a vox_offset inside the header, ...). The
    datatype is the scanner's business (an unknown or unscannable one is reported as such, after
    the header has been read), so the header is given a valid one."""
    header.set_data_dtype(_numpy().uint8)
    header.check_fix(logger=_quiet())


def _extension_codes(
    header: Any, block: bytes, size: int, vox_offset: int, refused: type[Exception]
) -> list[int]:
    """The codes of the header extensions, read by nibabel from the bytes between the header and
    vox_offset; NotNifti when they run past vox_offset. When `block` stops before vox_offset (the
    scanner reads at most `EXTENSION_LIMIT` bytes), extensions that go on past it are not known."""
    flag = block[size : size + EXTENSION_FLAG_SIZE]
    if len(flag) < EXTENSION_FLAG_SIZE or flag[0] == 0:
        return []
    start, end = size + EXTENSION_FLAG_SIZE, min(vox_offset, len(block))
    native = "<" if sys.byteorder == "little" else ">"
    try:
        extensions = header.exts_klass.from_fileobj(
            io.BytesIO(block[start:end]), end - start, header.endianness != native
        )
    except refused as error:
        if end < vox_offset:
            return []
        raise NotNifti(
            f"its header extensions are damaged: they do not fit before vox_offset ({vox_offset}), "
            f"where the voxel data starts, and nibabel (which the platform uses) fails to load it "
            f"({error}); {RESAVE}"
        ) from None
    return [int(extension.get_code()) for extension in extensions]


# Signatures of files that are often mistaken for NIfTI masks, to name what a file is instead.
_SIGNATURES = (
    (b"NRRD", "an NRRD file"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"PK\x03\x04", "a ZIP archive"), (b"\x89HDF", "an HDF5 file"), (b"\x93NUMPY", "a NumPy .npy file"),
    (b"ObjectType", "a MetaImage (.mha/.mhd) file"), (b"BZh", "a bzip2 file"),
    (b"\xfd7zXZ", "an xz file"), (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"),
)  # fmt: skip


def describe_foreign(prefix: bytes) -> str:
    """What a file that is not NIfTI looks like, from its first bytes."""
    for signature, name in _SIGNATURES:
        if prefix.startswith(signature):
            return f"it is {name}"
    if prefix[128:132] == b"DICM":
        return "it is a DICOM file"
    sample = prefix[:512]
    if sample and all(32 <= byte < 127 or byte in b"\t\r\n" for byte in sample):
        snippet = sample[:24].decode("ascii").split("\n")[0]
        return f"it is a text file (it starts with `{snippet}`)"
    return "its header size field is neither 348 (NIfTI-1) nor 540 (NIfTI-2)"
