"""NIfTI-1 and NIfTI-2 headers parsed from the first bytes of the (decompressed) stream.

Both byte orders; the affine follows nibabel (sform, else qform, else the Analyze-style base
affine), because the platform reads masks with nibabel. Nothing here reads voxel data.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

NIFTI1_SIZE = 348
NIFTI2_SIZE = 540
EXTENSION_FLAG_SIZE = 4
CIFTI_EXTENSION_CODE = 32
CIFTI_INTENTS = range(3000, 3100)

# datatype code -> (numpy dtype character code, name) for the types a mask may hold.
SCANNABLE = {
    2: ("u1", "uint8"), 256: ("i1", "int8"), 4: ("i2", "int16"), 512: ("u2", "uint16"),
    8: ("i4", "int32"), 768: ("u4", "uint32"), 1024: ("i8", "int64"), 1280: ("u8", "uint64"),
    16: ("f4", "float32"), 64: ("f8", "float64"),
}
UNSCANNABLE = {
    0: "unknown (DT_UNKNOWN)", 1: "1-bit binary", 32: "complex64", 1792: "complex128",
    2048: "complex256", 128: "RGB24", 2304: "RGBA32", 1536: "float128",
}
FLOAT_CODES = frozenset({16, 64, 1536})
COMPLEX_OR_RGB = frozenset({32, 1792, 2048, 128, 2304})
# Bytes per voxel of each datatype (for the size check, scannable or not).
ITEMSIZE = {2: 1, 256: 1, 4: 2, 512: 2, 8: 4, 768: 4, 16: 4, 1024: 8, 1280: 8, 64: 8,
            32: 8, 1792: 16, 2048: 32, 128: 3, 2304: 4, 1536: 16, 1: 1, 0: 0}


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
        return {
            "version": self.version, "byteorder": self.byteorder, "shape": list(self.shape),
            "datatype": self.datatype, "vox_offset": self.vox_offset,
            "scl_slope": _json_float(self.scl_slope), "scl_inter": _json_float(self.scl_inter),
            "qform_code": self.qform_code, "sform_code": self.sform_code, "affine": self.affine,
            "intent_code": self.intent_code, "extension_codes": self.extension_codes,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Header:
        affine = data["affine"]
        if not (isinstance(affine, list) and len(affine) == 4
                and all(isinstance(row, list) and len(row) == 4 for row in affine)):
            raise ValueError("bad affine")
        return cls(
            version=_int(data["version"]), byteorder=str(data["byteorder"]),
            shape=tuple(_int(n) for n in _list(data["shape"])), datatype=_int(data["datatype"]),
            vox_offset=_int(data["vox_offset"]), scl_slope=_float(data["scl_slope"]),
            scl_inter=_float(data["scl_inter"]), qform_code=_int(data["qform_code"]),
            sform_code=_int(data["sform_code"]),
            affine=[[float(v) for v in row] for row in affine],
            intent_code=_int(data["intent_code"]),
            extension_codes=[_int(c) for c in _list(data["extension_codes"])],
        )


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
    for order in "<>":
        (size,) = struct.unpack(order + "i", prefix[:4])
        if size in (NIFTI1_SIZE, NIFTI2_SIZE):
            return int(size)
    raise NotNifti(describe_foreign(prefix))


def parse_header(block: bytes) -> Header:
    """Parse a header (and its extension list, when `block` reaches that far)."""
    size = header_size(block)
    if len(block) < size:
        raise NotNifti(f"it ends after {len(block)} bytes, inside its {size}-byte header")
    order = "<" if struct.unpack("<i", block[:4])[0] == size else ">"
    header = _parse_nifti1(block, order) if size == NIFTI1_SIZE else _parse_nifti2(block, order)
    header.extension_codes = _extension_codes(block, size, header.vox_offset, order)
    return header


def _parse_nifti1(block: bytes, order: str) -> Header:
    magic = block[344:348]
    if magic == b"ni1\x00":
        raise NotNifti("it is the header of a two-file NIfTI pair (.hdr/.img), whose data is in "
                       "another file; save the mask as a single-file .nii.gz")
    if magic != b"n+1\x00":
        raise NotNifti("it is an Analyze 7.5 file (its header lacks the NIfTI magic `n+1`); "
                       "convert it to NIfTI")
    dim = struct.unpack(order + "8h", block[40:56])
    datatype, _bitpix = struct.unpack(order + "2h", block[70:74])
    pixdim = struct.unpack(order + "8f", block[76:108])
    vox_offset, slope, inter = struct.unpack(order + "3f", block[108:120])
    qform_code, sform_code = struct.unpack(order + "2h", block[252:256])
    quatern = struct.unpack(order + "6f", block[256:280])
    srows = struct.unpack(order + "12f", block[280:328])
    (intent_code,) = struct.unpack(order + "h", block[68:70])
    offset = int(vox_offset) if math.isfinite(vox_offset) else 0
    return _build(1, order, dim, datatype, pixdim, max(offset, NIFTI1_SIZE + EXTENSION_FLAG_SIZE),
                  slope, inter, qform_code, sform_code, quatern, srows, intent_code)


def _parse_nifti2(block: bytes, order: str) -> Header:
    if block[4:12] != b"n+2\x00\r\n\x1a\n":
        if block[4:8] in (b"ni2\x00", b"n+2\x00"):
            raise NotNifti("its NIfTI-2 magic is damaged or belongs to a two-file pair; save "
                           "the mask as a single-file .nii.gz")
        raise NotNifti("its 540-byte header lacks the NIfTI-2 magic `n+2`")
    datatype, _bitpix = struct.unpack(order + "2h", block[12:16])
    dim = struct.unpack(order + "8q", block[16:80])
    pixdim = struct.unpack(order + "8d", block[104:168])
    (vox_offset,) = struct.unpack(order + "q", block[168:176])
    slope, inter = struct.unpack(order + "2d", block[176:192])
    qform_code, sform_code = struct.unpack(order + "2i", block[344:352])
    quatern = struct.unpack(order + "6d", block[352:400])
    srows = struct.unpack(order + "12d", block[400:496])
    (intent_code,) = struct.unpack(order + "i", block[504:508])
    return _build(2, order, dim, datatype, pixdim,
                  max(vox_offset, NIFTI2_SIZE + EXTENSION_FLAG_SIZE), slope, inter, qform_code,
                  sform_code, quatern, srows, intent_code)


def _build(version: int, order: str, dim: tuple[int, ...], datatype: int,
           pixdim: tuple[float, ...], vox_offset: int, slope: float, inter: float,
           qform_code: int, sform_code: int, quatern: tuple[float, ...],
           srows: tuple[float, ...], intent_code: int) -> Header:
    ndim = dim[0]
    if not 1 <= ndim <= 7:
        raise NotNifti(f"its header is invalid: dim[0] (the number of dimensions) is {ndim}, "
                       "not 1 to 7")
    shape = tuple(int(n) for n in dim[1:ndim + 1])
    if any(n < 0 for n in shape):
        raise NotNifti(f"its header is invalid: shape {shape} has a negative dimension")
    if slope != 0 and math.isfinite(slope) and not math.isfinite(inter):
        raise NotNifti(f"nibabel refuses its header: scl_slope is {slope:g} but scl_inter is "
                       f"{inter}")
    header = Header(version, order, shape, datatype, vox_offset, slope, inter, qform_code,
                    sform_code, [], intent_code)
    header.affine = best_affine(header, pixdim, quatern, srows)
    return header


def best_affine(header: Header, pixdim: tuple[float, ...], quatern: tuple[float, ...],
                srows: tuple[float, ...]) -> list[list[float]]:
    """As nibabel's `get_best_affine`: sform if coded, else qform if coded, else the base affine."""
    if header.sform_code > 0:
        rows = [list(srows[0:4]), list(srows[4:8]), list(srows[8:12])]
    elif header.qform_code > 0:
        rows = _qform_rows(pixdim, quatern)
    else:
        rows = _base_rows(header.spatial_shape(), pixdim, header.ndim)
    return [[float(v) for v in row] for row in rows] + [[0.0, 0.0, 0.0, 1.0]]


def _qform_rows(pixdim: tuple[float, ...], quatern: tuple[float, ...]) -> list[list[float]]:
    b, c, d, qx, qy, qz = quatern
    w2 = 1.0 - (b * b + c * c + d * d)
    a = math.sqrt(w2) if w2 > 3 * 1.2e-7 else 0.0
    rotation = _quat2mat(a, b, c, d)
    qfac = pixdim[0] if pixdim[0] in (-1.0, 1.0) else 1.0
    zooms = [abs(pixdim[1]), abs(pixdim[2]), abs(pixdim[3]) * qfac]
    return [[rotation[i][0] * zooms[0], rotation[i][1] * zooms[1], rotation[i][2] * zooms[2],
             offset] for i, offset in enumerate((qx, qy, qz))]


def _quat2mat(w: float, x: float, y: float, z: float) -> list[list[float]]:
    norm = w * w + x * x + y * y + z * z
    if norm < 2.2e-16:
        return [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    s = 2.0 / norm
    xs, ys, zs = x * s, y * s, z * s
    wx, wy, wz = w * xs, w * ys, w * zs
    xx, xy, xz = x * xs, x * ys, x * zs
    yy, yz, zz = y * ys, y * zs, z * zs
    return [[1.0 - (yy + zz), xy - wz, xz + wy],
            [xy + wz, 1.0 - (xx + zz), yz - wx],
            [xz - wy, yz + wx, 1.0 - (xx + yy)]]


def _base_rows(shape: tuple[int, int, int], pixdim: tuple[float, ...],
               ndim: int) -> list[list[float]]:
    zooms = [abs(float(pixdim[i + 1])) if i < ndim else 1.0 for i in range(3)]
    zooms[0] = -zooms[0]
    rows = []
    for i in range(3):
        row = [0.0, 0.0, 0.0, -((shape[i] - 1) / 2.0) * zooms[i]]
        row[i] = zooms[i]
        rows.append(row)
    return rows


def _extension_codes(block: bytes, size: int, vox_offset: int, order: str) -> list[int]:
    """The codes of the header extensions found in `block` (which may stop before vox_offset)."""
    flag = block[size:size + EXTENSION_FLAG_SIZE]
    if len(flag) < EXTENSION_FLAG_SIZE or flag[0] == 0:
        return []
    codes = []
    position = size + EXTENSION_FLAG_SIZE
    end = min(vox_offset, len(block))
    while position + 8 <= end:
        esize, ecode = struct.unpack(order + "2i", block[position:position + 8])
        if esize < 8:
            break
        codes.append(int(ecode))
        position += esize
    return codes


# Signatures of files that are often mistaken for NIfTI masks, to name what a file is instead.
_SIGNATURES = (
    (b"NRRD", "an NRRD file"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"PK\x03\x04", "a ZIP archive"), (b"\x89HDF", "an HDF5 file"), (b"\x93NUMPY", "a NumPy .npy file"),
    (b"ObjectType", "a MetaImage (.mha/.mhd) file"), (b"BZh", "a bzip2 file"),
    (b"\xfd7zXZ", "an xz file"), (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"),
)


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
