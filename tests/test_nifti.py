"""The streaming NIfTI scanner, checked against nibabel and numpy on real files."""

from __future__ import annotations

import gzip
import io
import json
import os
import struct
import warnings
import zlib
from pathlib import Path
from typing import Any, cast

import nibabel as nib
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from nibabel.arrayproxy import ArrayProxy
from test_nifti_support import (
    ROTATED,
    ByteOrder,
    alter_cache_entry,
    cache_entries,
    nifti_bytes,
    save,
    write_nifti,
)

from rb_lint.nifti import (
    COMPRESSION,
    CORRUPT,
    NOT_NIFTI,
    TOO_LARGE,
    UNSUPPORTED,
    ValueCollector,
    read_header,
    scan_file,
)
from rb_lint.nifti.batch import BatchSettings, Progress, scan_masks
from rb_lint.nifti.cache import CACHEDIR_TAG, MaskCache, content_digest, file_digest
from rb_lint.nifti.header import CIFTI_EXTENSION_CODE, NIFTI1_SIZE, NIFTI2_SIZE, NotNifti, parse_header
from rb_lint.nifti.scan import EXTENSION_LIMIT
from rb_lint.nifti.stream import BACKEND, CorruptStream, chunks

CORPUS = Path(__file__).parent / "data" / "corpus"
LIBRARIES = ["zlib", *(["isal"] if BACKEND == "isal" else [])]
INTEGER_DTYPES = ["u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8"]
FLOAT_DTYPES = ["f4", "f8"]


def expected_present(array: np.ndarray) -> list[int]:
    """What the platform would see, computed the slow, obvious way: np.unique."""
    values = np.unique(array.astype(array.dtype.newbyteorder("=")))
    if values.dtype.kind == "f":
        values = np.rint(values[np.isfinite(values)])
    return sorted({int(v) for v in values if 0 <= v <= 65535})


# -- headers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("codes", [(0, 2), (1, 0), (0, 0), (2, 1)])
def test_header_matches_nibabel(
    tmp_path: Path, version: int, order: ByteOrder, codes: tuple[int, int]
) -> None:
    qform_code, sform_code = codes
    path = write_nifti(
        tmp_path / "m.nii.gz",
        np.zeros((5, 6, 7), np.int16),
        version=version,
        order=order,
        affine=ROTATED,
        qform_code=qform_code,
        sform_code=sform_code,
        slope=2.0,
        inter=-1.0,
    )
    result = read_header(path)
    image = cast(nib.Nifti1Image, nib.load(path))
    header = result.header
    assert header is not None and not result.problems
    assert (header.version, header.byteorder, header.shape) == (version, order, (5, 6, 7))
    assert header.numpy_dtype == order + "i2"
    assert (header.qform_code, header.sform_code) == codes
    assert (header.scl_slope, header.scl_inter) == (2.0, -1.0) and header.scaled
    np.testing.assert_allclose(header.affine, image.affine, atol=1e-5)


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.nii*") if "dconn" not in p.name))
def test_corpus_headers_and_values_match_nibabel(name: str) -> None:
    image = cast(nib.Nifti1Image, nib.load(CORPUS / name))
    result = scan_file(CORPUS / name)
    assert result.header is not None and result.complete
    assert result.header.shape == image.shape
    np.testing.assert_allclose(result.header.affine, image.affine, atol=1e-4)
    raw = np.asanyarray(cast(ArrayProxy, image.dataobj).get_unscaled())
    assert result.values is not None and result.values.present == expected_present(raw)


def test_cifti_file_is_not_a_volume() -> None:
    result = scan_file(CORPUS / "row_major.dconn.nii")
    problem = result.problem(NOT_NIFTI)
    assert problem is not None and "CIFTI-2" in problem.message and result.values is None


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"label,value\n1,liver\n" * 30, "a text file (it starts with `label,value`)"),
        (b"NRRD0004\n# Complete NRRD file format specification\n" + bytes(400), "an NRRD file"),
        (b"\x00" * 128 + b"DICM" + bytes(300), "a DICOM file"),
        (b"\x01\x02", "only 2 bytes long"),
        (bytes(600), "neither 348 (NIfTI-1) nor 540 (NIfTI-2)"),
    ],
)
def test_foreign_files_are_named(tmp_path: Path, content: bytes, said: str) -> None:
    path = tmp_path / "seg.nii"
    path.write_bytes(content)
    problem = scan_file(path).problem(NOT_NIFTI)
    assert problem is not None and said in problem.message


def test_analyze_and_pair_headers_are_not_single_file_nifti(tmp_path: Path) -> None:
    good = write_nifti(tmp_path / "m.nii", np.zeros((2, 2, 2), np.uint8)).read_bytes()
    analyze = good[:344] + b"\x00" * 4 + good[348:]
    pair = good[:344] + b"ni1\x00" + good[348:]
    with pytest.raises(NotNifti, match=r"Analyze 7\.5"):
        parse_header(analyze)
    with pytest.raises(NotNifti, match="two-file NIfTI pair"):
        parse_header(pair)


# -- headers nibabel refuses or misreads: never clean, never a traceback ----------------------------

CUBE = np.arange(1, 9, dtype=np.uint8).reshape(2, 2, 2)
VOX_OFFSET_FIELD = {1: (108, "<f"), 2: (168, "<q")}  # byte position and format in each version


def platform_fails_or_misreads(path: Path) -> bool:
    """What `nib.load` (the platform) makes of the file: an error, or other voxels than CUBE's."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = np.asanyarray(cast(nib.Nifti1Image, nib.load(path)).dataobj)
    except Exception:
        return True
    return data.shape != CUBE.shape or not np.array_equal(data, CUBE)


@pytest.mark.parametrize(
    ("version", "vox_offset", "said"),
    [
        (1, 100.0, "vox_offset (where the voxel data starts) is 100, before the end of the 348-byte header"),
        (1, -16.0, "vox_offset (where the voxel data starts) is -16, before the end of the 348-byte header"),
        (1, -1e30, "is -1e+30, before the end of the 348-byte header"),
        (1, 1e30, "is 1e+30, past the end of any file"),
        (1, float("nan"), "its header is invalid: vox_offset (where the voxel data starts) is nan"),
        (1, float("inf"), "its header is invalid: vox_offset (where the voxel data starts) is inf"),
        (1, -float("inf"), "its header is invalid: vox_offset (where the voxel data starts) is -inf"),
        (1, 0.0, "vox_offset is 0, so nibabel reads the header itself as voxel data"),
        (2, 100, "vox_offset (where the voxel data starts) is 100, before the end of the 540-byte header"),
        (2, -544, "is -544, before the end of the 540-byte header"),
        (2, 0, "vox_offset is 0"),
    ],
)
@pytest.mark.parametrize("suffix", [".nii", ".nii.gz"])
def test_vox_offset_inside_the_header_or_not_a_number_is_not_nifti(
    tmp_path: Path, version: int, vox_offset: float, said: str, suffix: str
) -> None:
    raw = bytearray(nifti_bytes(CUBE, version=version))
    position, layout = VOX_OFFSET_FIELD[version]
    struct.pack_into(layout, raw, position, vox_offset)
    path = tmp_path / f"m{suffix}"
    path.write_bytes(gzip.compress(bytes(raw)) if suffix == ".nii.gz" else bytes(raw))
    result = scan_file(path)
    problem = result.problem(NOT_NIFTI)
    assert problem is not None and said in problem.message, result.problems
    assert result.header is None and result.values is None
    assert platform_fails_or_misreads(path)


def with_extension(path: Path, esize: int, room: int, code: int = 6) -> Path:
    """A NIfTI-1 file whose one header extension claims `esize` bytes where the header leaves
    `room` bytes between itself and vox_offset, then CUBE's voxels."""
    raw = bytearray(nifti_bytes(CUBE))
    struct.pack_into("<f", raw, 108, NIFTI1_SIZE + 4 + room)
    extension = struct.pack("<ii", esize, code) + b"x" * (room - 8)
    path.write_bytes(bytes(raw[:NIFTI1_SIZE]) + b"\x01\x00\x00\x00" + extension + CUBE.tobytes(order="F"))
    return path


@pytest.mark.parametrize(("esize", "room"), [(64, 16), (32, 16), (0, 16), (-16, 16), (4, 16), (16, 32)])
def test_extension_running_past_vox_offset_is_not_nifti(tmp_path: Path, esize: int, room: int) -> None:
    path = with_extension(tmp_path / "m.nii", esize, room)
    problem = scan_file(path).problem(NOT_NIFTI)
    assert problem is not None, scan_file(path).problems
    said = f"its header extensions are damaged: they do not fit before vox_offset ({NIFTI1_SIZE + 4 + room})"
    assert said in problem.message
    assert platform_fails_or_misreads(path)


def test_well_formed_extensions_are_read(tmp_path: Path) -> None:
    for esize, room in ((16, 16), (32, 40)):  # 40: 8 unused bytes after the extension (< 16: allowed)
        path = with_extension(tmp_path / "m.nii", esize, room)
        result = scan_file(path, chunk_size=7)
        assert result.header is not None and result.header.extension_codes == [6] and not result.problems
        assert result.values is not None and result.values.present == list(range(1, 9))
        assert not platform_fails_or_misreads(path)


def test_extensions_beyond_the_read_limit_are_not_checked(tmp_path: Path) -> None:
    room = EXTENSION_LIMIT + (1 << 16)  # never read: the header's bytes stay bounded
    path = with_extension(tmp_path / "m.nii.gz", room, room)
    path.write_bytes(gzip.compress(path.read_bytes(), compresslevel=1))
    result = scan_file(path)
    assert result.header is not None and result.header.extension_codes == [] and not result.problems
    assert result.complete and result.values is not None and result.values.present == list(range(1, 9))


def test_cifti_extension_is_found_whatever_the_chunking(tmp_path: Path) -> None:
    path = with_extension(tmp_path / "m.nii", 64, 64, code=CIFTI_EXTENSION_CODE)
    for chunk_size in (7, 400, 1 << 20):
        problem = scan_file(path, chunk_size=chunk_size).problem(NOT_NIFTI)
        assert problem is not None and "CIFTI-2" in problem.message


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        (
            {"qform_code": 1, "sform_code": 0, "quatern_b": 2.0},
            "nibabel (which the platform uses) refuses its header: w2 should be positive",
        ),
        (
            {"slope": 2.0, "inter": float("inf")},
            "nibabel (which the platform uses) refuses its header: scl_slope is 2 but scl_inter is inf",
        ),
        ({"dim": [0, 2, 2, 2, 1, 1, 1, 1]}, "dim[0] (the number of dimensions) is 0, not 1 to 7"),
        ({"dim": [3, 2, -2, 2, 1, 1, 1, 1]}, "shape (2, -2, 2) has a negative dimension"),
    ],
)
def test_other_headers_nibabel_refuses_are_not_nifti(
    tmp_path: Path, fields: dict[str, Any], said: str
) -> None:
    path = write_nifti(tmp_path / "m.nii", CUBE, **fields)
    problem = scan_file(path).problem(NOT_NIFTI)
    assert problem is not None and said in problem.message, scan_file(path).problems
    assert platform_fails_or_misreads(path)


def test_headers_nib_load_repairs_give_nib_load_affine(tmp_path: Path) -> None:
    """Zero and negative voxel sizes, a bad qfac and an unknown xform code: nibabel repairs them
    on load (and so does the scanner), the rest of the header is read as it is."""
    raw = bytearray(nifti_bytes(CUBE, affine=ROTATED, qform_code=1, pixdim=[3, 0, -2, 0, 1, 1, 1, 1]))
    struct.pack_into("<h", raw, 254, 9)  # sform_code
    path = tmp_path / "m.nii"
    path.write_bytes(bytes(raw))
    result = scan_file(path)
    assert result.header is not None and not result.problems and result.header.sform_code == 9
    np.testing.assert_allclose(result.header.affine, cast(nib.Nifti1Image, nib.load(path)).affine)


def test_a_vox_offset_header_is_reported_by_the_mask_rules(tmp_path: Path, lint_files: Any) -> None:
    raw = bytearray(nifti_bytes(CUBE))
    struct.pack_into("<f", raw, 108, 100.0)
    (tmp_path / "seg.nii").write_bytes(bytes(raw))
    task = {
        "name": "p",
        "series": [{"items": "ct.nii.gz", "segmentations": "seg.nii", "segmentMap": {"1": "A"}}],
    }
    report = lint_files({"items.json": [task]}, select=["RB3"])
    found = [f for f in report.findings if f.code == "RB312"]
    assert len(found) == 1 and found[0].message == (
        "`seg.nii` is not a NIfTI-1/2 volume: its header is invalid: vox_offset (where the voxel data "
        "starts) is 100, before the end of the 348-byte header and its 4-byte extension flag (in a "
        "single-file NIfTI the data starts at byte 352 or later), and nibabel (which the platform uses) "
        "refuses it; save the mask again with a NIfTI writer (nibabel's `nib.save`, SimpleITK)"
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([1, 2]),
    st.sampled_from("<>"),
    st.lists(st.tuples(st.integers(0, 640), st.integers(0, 255)), max_size=10),
    st.integers(0, 700),
)
def test_any_damaged_header_is_a_header_or_not_nifti(
    version: int, order: ByteOrder, edits: list[tuple[int, int]], length: int
) -> None:
    raw = bytearray(nifti_bytes(CUBE, version=version, order=order) + bytes(120))
    raw[NIFTI1_SIZE if version == 1 else NIFTI2_SIZE] = 1  # with an extension flag, to parse them too
    for position, value in edits:
        raw[position % len(raw)] = value
    try:
        header = parse_header(bytes(raw[:length]))
    except NotNifti as error:
        assert str(error)
    else:
        assert header.vox_offset >= (NIFTI1_SIZE if version == 1 else NIFTI2_SIZE) + 4
        assert len(header.affine) == 4


# -- values: the property test -------------------------------------------------------------------


@st.composite
def arrays_and_splits(draw: st.DrawFn) -> tuple[np.ndarray, list[int]]:
    kind = draw(st.sampled_from(INTEGER_DTYPES + FLOAT_DTYPES))
    order = draw(st.sampled_from("<>"))
    dtype = np.dtype(order + kind)
    # Runs of repeated values, like masks, mixed with noise; floats include NaN, inf, fractions.
    if kind.startswith("f"):
        elements = st.sampled_from(
            [
                0.0,
                -0.0,
                1.0,
                2.0,
                2.5,
                -3.0,
                70000.0,
                1e-3,
                float("nan"),
                float("inf"),
                -float("inf"),
                65535.4,
            ]
        )
    else:
        elements = None
    base = draw(hnp.arrays(dtype, st.integers(0, 40), elements=elements))
    repeats = draw(hnp.arrays(np.int64, len(base), elements=st.integers(1, 9)))
    array = np.repeat(base, repeats).astype(dtype)
    size = array.nbytes
    cuts = sorted(draw(st.lists(st.integers(0, size), max_size=12)))
    return array, cuts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays_and_splits())
def test_values_match_np_unique_whatever_the_chunking(case: tuple[np.ndarray, list[int]]) -> None:
    array, cuts = case
    raw = array.tobytes()
    collector = ValueCollector(array.dtype)
    for start, end in zip([0, *cuts], [*cuts, len(raw)], strict=True):
        collector.feed(raw[start:end])  # boundaries anywhere, mid-voxel included
    values = collector.finish()
    assert values.present == expected_present(array)
    native = array.astype(array.dtype.newbyteorder("="))
    finite = (native[np.isfinite(native)] if native.dtype.kind == "f" else native).astype(float)
    assert bool(values.negative) == bool((np.rint(finite) < 0).any() if len(finite) else False)
    assert bool(values.above) == bool((np.rint(finite) > 65535).any() if len(finite) else False)
    if native.dtype.kind == "f":
        assert bool(values.non_finite) == bool((~np.isfinite(native)).any())
        assert bool(values.non_integral) == bool((finite != np.rint(finite)).any())


@st.composite
def backgrounds_and_splits(draw: st.DrawFn) -> tuple[np.ndarray, list[int]]:
    """Masks as they are: long stretches of zeros (whole blocks, blocks with a few labels in
    them, at chunk ends or not) around runs and noise."""
    array, _cuts = draw(arrays_and_splits())
    pieces = [array]
    for _ in range(draw(st.integers(1, 4))):
        zeros = np.zeros(draw(st.integers(0, 300)), dtype=array.dtype)
        if len(zeros) and draw(st.booleans()):
            zeros[draw(st.integers(0, len(zeros) - 1))] = array[0] if len(array) else 7
        pieces.insert(draw(st.integers(0, len(pieces))), zeros)
    whole = np.concatenate(pieces)
    cuts = sorted(draw(st.lists(st.integers(0, whole.nbytes), max_size=8)))
    return whole, cuts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(backgrounds_and_splits(), st.sampled_from([8, 16, 64]))
def test_values_match_np_unique_when_background_is_skipped_in_blocks(
    case: tuple[np.ndarray, list[int]], block: int
) -> None:
    """The background skipping (`BLOCK`s compared with zeros at chunk ends) with tiny blocks,
    so that every boundary case occurs."""
    from rb_lint.nifti import collector

    array, cuts = case
    raw = array.tobytes()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(collector, "BLOCK", block)
        patch.setattr(collector, "_ZEROS", bytearray(block))
        collector_ = collector.ValueCollector(array.dtype)
        for start, end in zip([0, *cuts], [*cuts, len(raw)], strict=True):
            collector_.feed(memoryview(raw)[start:end])
        values = collector_.finish()
    assert values.present == expected_present(array)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(backgrounds_and_splits(), st.sampled_from([1, 2, 3]), st.sampled_from([0, 1, 7]))
def test_values_match_np_unique_when_stretches_are_cut_into_blocks(
    case: tuple[np.ndarray, list[int]], words: int, unsplit: int
) -> None:
    """Stretches cut into blocks of a few words, background blocks dropped (`_words`), every
    seam between the blocks kept, and stretches left whole after a busy one."""
    from rb_lint.nifti import collector

    array, cuts = case
    raw = array.tobytes()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(collector, "BLOCK", 16)
        patch.setattr(collector, "_ZEROS", bytearray(16))
        patch.setattr(collector, "SMALL_WORDS", words)
        patch.setattr(collector, "UNSPLIT", unsplit)
        collector_ = collector.ValueCollector(array.dtype)
        for start, end in zip([0, *cuts], [*cuts, len(raw)], strict=True):
            collector_.feed(memoryview(raw)[start:end])
        values = collector_.finish()
    assert values.present == expected_present(array)


LEARNT_LABELS = [*range(12), 22, 127, 255, 256, 257, 259, 512, 768, 0x1616, 0x0316, 0x1603, -1, -2, -256]
# Labels whose bytes are each other's (0x0103 holds 0x0301's bytes): searched bytes found elsewhere.
TANGLED_LABELS = [256, 257, 258, 259, 260, 0x0103, 0x0301, 0x0303, 0x0316, 0x1603]


@st.composite
def labels_learnt_over_chunks(draw: st.DrawFn) -> tuple[np.ndarray, list[int]]:
    """Masks whose labels the chunks learn little by little: long runs of a few labels (some
    above 255, some made of another label's bytes, some negative), so that later stretches
    hold few labels not seen before, gaps between known ones, or none new at all."""
    kind = draw(st.sampled_from(["u1", "i1", "u2", "i2", "u4", "f4"]))
    dtype = np.dtype(draw(st.sampled_from("<>")) + kind)
    if dtype.kind == "f":
        fits: list[float] = [*LEARNT_LABELS, 2.5, float("nan")]
    else:
        info = np.iinfo(dtype)
        families = [LEARNT_LABELS, TANGLED_LABELS] if dtype.itemsize > 1 else [LEARNT_LABELS]
        labels = [*draw(st.sampled_from(families)), int(info.max), int(info.min)]
        fits = [v for v in labels if info.min <= v <= info.max]
    pool = draw(st.lists(st.sampled_from(fits), min_size=3, max_size=10, unique=True))
    base = draw(st.lists(st.sampled_from(pool), min_size=8, max_size=60))
    repeats = draw(st.lists(st.integers(1, 400), min_size=len(base), max_size=len(base)))
    array = np.repeat(np.array(base, dtype=dtype), repeats)
    cuts = sorted(draw(st.lists(st.integers(0, array.nbytes), min_size=4, max_size=30)))
    return array, cuts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    labels_learnt_over_chunks(),
    st.sampled_from([0, 1, 2, 8]),
    st.sampled_from([1, 16]),
    st.sampled_from([(0, 0, 0), (8, 16, 16), (1, 2, 3)]),
    st.sampled_from([1, 1 << 13]),
    st.sampled_from([1, 2, 4, 8]),
    st.booleans(),
)
def test_values_match_np_unique_when_known_labels_are_skipped(
    case: tuple[np.ndarray, list[int]],
    few: int,
    false_hits: int,
    pauses: tuple[int, int, int],
    pending: int,
    group: int,
    shared: bool,
) -> None:
    """The shortcuts over labels known already (`_bounded`: a stretch's smallest and largest,
    the few unknown patterns between looked for byte by byte, giving up after false hits, the
    pauses after stretches it could not decide) and the run starts of wide voxels classified
    several chunks at once, their flags read by groups of any size, with chunks that are views
    into one buffer or copies."""
    from rb_lint.nifti import collector

    array, cuts = case
    raw = array.tobytes()
    buffer = bytearray(raw)
    patience, max_pause, floor_pause = pauses
    with pytest.MonkeyPatch.context() as patch:
        for name, value in [
            ("BLOCK", 16),
            ("_ZEROS", bytearray(16)),
            ("FEW", few),
            ("FALSE_HITS", false_hits),
            ("PATIENCE", patience),
            ("MAX_PAUSE", max_pause),
            ("FLOOR_PAUSE", floor_pause),
            ("PENDING_LIMIT", pending),
            ("GROUP", group),
        ]:
            patch.setattr(collector, name, value)
        collector_ = collector.ValueCollector(array.dtype)
        for start, end in zip([0, *cuts], [*cuts, len(raw)], strict=True):
            collector_.feed(memoryview(buffer)[start:end] if shared else raw[start:end])
        values = collector_.finish()
    assert values.present == expected_present(array)
    native = array.astype(array.dtype.newbyteorder("="))
    finite = (native[np.isfinite(native)] if native.dtype.kind == "f" else native).astype(float)
    assert bool(values.negative) == bool((np.rint(finite) < 0).any())
    assert bool(values.above) == bool((np.rint(finite) > 65535).any())


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("false_hits", [1, 16])
def test_labels_made_of_other_labels_bytes_are_neither_missed_nor_invented(
    order: ByteOrder, false_hits: int
) -> None:
    """Between known labels 256 and 259, 257 and 258 are looked for byte by byte: 257's bytes
    are in every 256 and 259 (at the wrong offset), 258 is there once, late."""
    from rb_lint.nifti import collector

    array = np.repeat(np.array([256, 259] * 40, dtype=order + "u2"), 997)
    array[-5000] = 258
    raw = array.tobytes()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(collector, "FALSE_HITS", false_hits)
        collector_ = collector.ValueCollector(array.dtype)
        for start in range(0, len(raw), 4099):
            collector_.feed(raw[start : start + 4099])
    assert collector_.finish().present == [256, 258, 259]


def test_background_after_large_labels_is_found_while_the_shortcut_pauses() -> None:
    """Stretches of large labels with gaps between (the shortcut gives up, then pauses), then
    one of labels below 256 with single zeros between them (no block of background to tell),
    after every number of large ones: paused or not."""
    from rb_lint.nifti import collector

    small = np.tile(np.array([5, 5, 0, 7], dtype="<u2"), 125).tobytes()
    for count in range(1, 40):
        large = np.repeat(np.array([1000, 3000, 7000] * count, dtype="<u2"), 167)[: count * 500]
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(collector, "PATIENCE", 0)
            collector_ = collector.ValueCollector("<u2")
            raw = large.tobytes()
            for start in range(0, len(raw), 1000):
                collector_.feed(raw[start : start + 1000])
            collector_.feed(small)
        assert collector_.finish().present == [0, 5, 7, *sorted(set(large.tolist()))], count


def test_one_byte_labels_found_in_a_background_of_whole_blocks() -> None:
    """A label hiding in one 4 KiB block of a long background, in chunks of every alignment."""
    from rb_lint.nifti.collector import BLOCK, ValueCollector

    volume = np.zeros(5 * BLOCK + 12345, np.uint8)
    volume[3 * BLOCK + 4097] = 9
    volume[-1] = 3
    volume[17] = 200
    for size in (BLOCK, BLOCK + 1, 3 * BLOCK - 5, 1 << 19, 4096, 999):
        collector = ValueCollector("u1")
        raw = memoryview(volume.tobytes())
        for start in range(0, len(raw), size):
            collector.feed(raw[start : start + size])
        assert collector.finish().present == [0, 3, 9, 200], size


def _tumour(shape: tuple[int, int, int], seed: int) -> np.ndarray:
    """A BraTS-like segmentation: 1 inside 4 inside 2, with a ragged edge, in zeros."""
    rng = np.random.default_rng(seed)
    grid = np.ogrid[tuple(slice(0, n) for n in shape)]
    distance = sum(((g - n / 2) / (n / 4)) ** 2 for g, n in zip(grid, shape, strict=True))
    distance = distance + rng.random(shape) * 0.6
    data = np.zeros(shape, np.uint8)
    data[distance <= 1.0], data[distance <= 0.45], data[distance <= 0.2] = 2, 4, 1
    return data


def realistic_masks() -> dict[str, np.ndarray]:
    """Masks as they come, large enough for several default-sized chunks, with a value that
    appears once, late, among labels seen before (the case a shortcut over known labels misses)."""
    brats = _tumour((240, 240, 40), 1)
    brats[200, 130, 30] = 3  # 3 = 1|2: no OR or min/max shortcut may hide it
    wide = _tumour((256, 256, 24), 2).astype(np.int16) * 700
    wide[0, 0, 0], wide[-1, -1, -1], wide[100, 100, 12] = -32768, 32767, -1
    floats = _tumour((256, 256, 20), 3).astype(np.float32)
    floats[5, 5, 5], floats[6, 6, 6], floats[7, 7, 7] = np.nan, np.inf, 2.5
    floats[-1, -1, -1] = -0.0
    sparse = np.zeros((256, 256, 64), np.uint16)
    sparse[128, 128, 32], sparse[-1, -1, -1] = 65535, 9
    return {"brats-uint8": brats, "organs-int16": wide, "float32": floats, "sparse-uint16": sparse}


@pytest.mark.parametrize("name", sorted(realistic_masks()))
def test_realistic_masks_match_nibabel_and_np_unique(tmp_path: Path, name: str) -> None:
    """At the default chunk size (and a small one), as the benchmarks scan them."""
    array = realistic_masks()[name]
    path = save(tmp_path / f"{name}.nii.gz", array)
    raw = np.asanyarray(cast(ArrayProxy, cast(nib.Nifti1Image, nib.load(path)).dataobj).get_unscaled())
    for chunk_size in (None, 1 << 16):
        result = scan_file(path) if chunk_size is None else scan_file(path, chunk_size=chunk_size)
        assert result.complete and not result.problems
        assert result.values is not None and result.values.present == expected_present(raw)
        if name == "organs-int16":
            assert result.values.negative == [-32768, -1]
        if name == "float32":
            assert result.values.non_finite == ["inf", "nan"] and result.values.non_integral == [2.5]


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("kind", INTEGER_DTYPES + FLOAT_DTYPES)
@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("suffix", [".nii", ".nii.gz"])
def test_whole_files_with_tiny_chunks(
    tmp_path: Path, library: str, kind: str, order: ByteOrder, suffix: str
) -> None:
    rng = np.random.default_rng(len(kind) + ord(order))
    array = np.repeat(rng.integers(0, 300, 60), rng.integers(1, 30, 60))[:600]
    array = array.reshape(6, 10, 10).astype(order + kind)
    path = write_nifti(tmp_path / f"m{suffix}", array, order=order)
    for chunk_size in (3, 7, 4096):  # 3 and 7 bytes: every voxel of 2+ bytes gets cut
        result = scan_file(path, chunk_size=chunk_size, library=library)
        assert result.complete and not result.problems
        assert result.values is not None and result.values.present == expected_present(array)


def test_uniform_and_speckled_chunks(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    speckle = rng.integers(0, 6, size=(64, 64, 40), dtype=np.uint8)
    speckle[10, 10, 10] = 9  # one voxel, deep inside a chunk full of changes
    zeros = np.zeros((64, 64, 40), np.int16)
    zeros[-1, -1, -1] = 300
    for array in (speckle, zeros):
        result = scan_file(save(tmp_path / "m.nii.gz", array), chunk_size=4096)
        assert result.values is not None and result.values.present == expected_present(array)


# -- damaged files ------------------------------------------------------------------------------


@pytest.mark.parametrize("library", LIBRARIES)
def test_truncated_gzip(tmp_path: Path, library: str) -> None:
    path = save(tmp_path / "m.nii.gz", np.arange(4000, dtype=np.int16).reshape(20, 20, 10))
    path.write_bytes(path.read_bytes()[:-100])
    result = scan_file(path, library=library)
    problem = result.problem(CORRUPT)
    assert problem is not None and "truncated" in problem.message and not result.complete


@pytest.mark.parametrize("library", LIBRARIES)
def test_bad_crc(tmp_path: Path, library: str) -> None:
    path = save(tmp_path / "m.nii.gz", np.ones((8, 8, 8), np.uint8))
    damaged = bytearray(path.read_bytes())
    damaged[-6] ^= 0xFF  # inside the CRC-32 trailer
    path.write_bytes(bytes(damaged))
    result = scan_file(path, library=library)
    problem = result.problem(CORRUPT)
    assert problem is not None and "checksum" in problem.message


def test_short_data(tmp_path: Path) -> None:
    array = np.ones((10, 10, 10), np.int16)
    path = write_nifti(tmp_path / "m.nii", array, payload=array.tobytes()[:1500])
    result = scan_file(path)
    problem = result.problem(CORRUPT)
    assert (
        problem is not None
        and "holds 1,500 bytes of voxel data where its header promises 2,000" in problem.message
    )
    assert result.values is not None and result.values.present == [1] and not result.complete


@pytest.mark.parametrize("library", LIBRARIES)
def test_concatenated_members_padding_and_trailing_bytes(tmp_path: Path, library: str) -> None:
    array = np.arange(1000, dtype=np.uint16).reshape(10, 10, 10)
    raw = write_nifti(tmp_path / "m.nii", array).read_bytes()
    path = tmp_path / "m.nii.gz"
    path.write_bytes(gzip.compress(raw[:1000]) + b"\x00" * 8 + gzip.compress(raw[1000:]) + b"not gzip")
    result = scan_file(path, library=library)
    assert result.complete and not result.problems
    assert result.values is not None and result.values.present == list(range(1000))


def test_stream_reports_corruption_inside_the_deflate_data(tmp_path: Path) -> None:
    data = gzip.compress(os.urandom(5000))
    damaged = data[:20] + bytes(b ^ 0x55 for b in data[20:60]) + data[60:]
    with pytest.raises(CorruptStream):
        for _chunk in chunks(io.BytesIO(damaged), True, 1024):
            pass


def test_size_limit_is_checked_before_reading_data(tmp_path: Path) -> None:
    # The header promises 10^12 bytes; the file holds none of them: no data is read.
    path = write_nifti(tmp_path / "m.nii.gz", np.zeros(1, np.uint8), shape=(10000, 10000, 10000), payload=b"")
    result = scan_file(path, max_bytes=4 * 1024**3)
    assert result.problem(TOO_LARGE) is not None and result.problem(CORRUPT) is None
    assert result.values is None and not result.cacheable


def test_unsupported_datatypes(tmp_path: Path) -> None:
    rgb = write_nifti(tmp_path / "rgb.nii", np.zeros((2, 2, 2), np.uint8), datatype=128, payload=bytes(24))
    complex_ = write_nifti(tmp_path / "c.nii", np.zeros((2, 2, 2), np.complex64))
    for path, name in ((rgb, "RGB24"), (complex_, "complex64")):
        problem = scan_file(path).problem(UNSUPPORTED)
        assert problem is not None and name in problem.message


def test_compression_must_match_the_name(tmp_path: Path) -> None:
    raw = write_nifti(tmp_path / "a.nii", np.ones((2, 2, 2), np.uint8))
    (tmp_path / "b.nii").write_bytes(gzip.compress(raw.read_bytes()))
    (tmp_path / "c.nii.gz").write_bytes(raw.read_bytes())
    for name, said in (("b.nii", "named `.nii`"), ("c.nii.gz", "not gzip-compressed")):
        result = scan_file(tmp_path / name)
        problem = result.problem(COMPRESSION)
        assert problem is not None and said in problem.message
        assert result.values is not None and result.values.present == [1]  # still checked


def test_unreadable_path_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    result = scan_file(tmp_path)  # a directory
    assert [p.kind for p in result.problems] == ["unreadable"]


# -- cache ---------------------------------------------------------------------------------------


def test_cache_round_trip_and_tag(tmp_path: Path) -> None:
    mask = save(tmp_path / "m.nii.gz", np.arange(8, dtype=np.uint8).reshape(2, 2, 2))
    cache_dir = tmp_path / ".rb_lint_cache"
    settings_ = BatchSettings(cache_dir=cache_dir)
    first = scan_masks([mask], settings_)[mask]
    assert (cache_dir / "CACHEDIR.TAG").read_text() == CACHEDIR_TAG
    digest = file_digest(mask)
    again = MaskCache(cache_dir).load(digest, str(mask))
    assert again is not None and again.values == first.values and again.header == first.header
    assert MaskCache(cache_dir, tool_version="9.9.9").load(digest, str(mask)) is None
    assert not list(cache_dir.rglob("*.part"))  # atomic writes leave no temporary files


def test_cached_result_is_used_without_decompressing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rb_lint.nifti import batch

    mask = save(tmp_path / "m.nii.gz", np.ones((4, 4, 4), np.uint8))
    cache_dir = tmp_path / "cache"
    first = scan_masks([mask], BatchSettings(cache_dir=cache_dir))[mask]

    def no_scan(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("scanned although the cache holds the result")

    monkeypatch.setattr(batch, "scan_file", no_scan)
    result = scan_masks([mask], BatchSettings(cache_dir=cache_dir))[mask]
    assert result.to_dict() == first.to_dict()


def test_stat_memo_skips_hashing_an_unchanged_file(tmp_path: Path) -> None:
    mask = save(tmp_path / "m.nii.gz", np.ones((4, 4, 4), np.uint8))
    os.utime(mask, ns=(10**18, 10**18))  # well before it is hashed: the memo may be trusted
    cache_dir = tmp_path / "cache"
    scan_masks([mask], BatchSettings(cache_dir=cache_dir))
    assert MaskCache(cache_dir).lookup(mask) is not None
    os.utime(mask, ns=(10**18, 10**18 + 1))  # touched: re-hash
    assert MaskCache(cache_dir).lookup(mask) is None


def test_fresh_files_are_not_trusted_from_the_memo(tmp_path: Path) -> None:
    mask = save(tmp_path / "m.nii.gz", np.ones((4, 4, 4), np.uint8))
    cache_dir = tmp_path / "cache"
    scan_masks([mask], BatchSettings(cache_dir=cache_dir))
    assert MaskCache(cache_dir).lookup(mask) is None  # written < 2 s before it was hashed


@pytest.mark.parametrize(
    "garbage", [b"", b"{not json", b"[]", b'{"digest": "x", "result": 1}', b"\xff\xfe\x00", "text", 7]
)
def test_corrupted_cache_entries_are_ignored(tmp_path: Path, garbage: object) -> None:
    mask = save(tmp_path / "m.nii.gz", np.full((4, 4, 4), 3, np.uint8))
    os.utime(mask, ns=(10**18, 10**18))
    cache_dir = tmp_path / "cache"
    scan_masks([mask], BatchSettings(cache_dir=cache_dir))
    for entry, _kind, _payload in cache_entries(cache_dir):
        alter_cache_entry(cache_dir, entry, garbage, mac=garbage)
    result = scan_masks([mask], BatchSettings(cache_dir=cache_dir))[mask]
    assert result.values is not None and result.values.present == [3]


def test_unwritable_cache_directory_only_means_no_cache(tmp_path: Path) -> None:
    mask = save(tmp_path / "m.nii.gz", np.full((4, 4, 4), 3, np.uint8))
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache directory should be")
    result = scan_masks([mask], BatchSettings(cache_dir=blocker))[mask]
    assert result.values is not None and result.values.present == [3]


def test_uncompressed_files_are_cached_by_what_the_scan_reads(tmp_path: Path) -> None:
    mask = write_nifti(tmp_path / "m.nii", np.full((4, 4, 4), 5, np.uint8))
    cache_dir = tmp_path / "cache"
    scan_masks([mask], BatchSettings(cache_dir=cache_dir))
    assert MaskCache(cache_dir).load(content_digest(mask), str(mask)) is not None
    with mask.open("ab") as handle:  # bytes after the voxel data: nothing the scan reads...
        handle.write(b"\0" * 100)
    assert MaskCache(cache_dir).load(content_digest(mask), str(mask)) is None  # ...but the size is keyed


# -- the pool and the progress bar ----------------------------------------------------------------


def test_process_pool_gives_the_same_results_as_in_process(tmp_path: Path) -> None:
    masks = [save(tmp_path / f"m{k}.nii.gz", np.full((8, 8, 8), k, np.uint8)) for k in range(4)]
    broken = tmp_path / "broken.nii.gz"
    broken.write_bytes(b"not a mask")
    inline = scan_masks([*masks, broken], BatchSettings(jobs=1))
    pooled = scan_masks([*masks, broken, masks[0]], BatchSettings(jobs=2, force_parallel=True))
    assert list(pooled) == [*masks, broken]  # each distinct file once, in the order given
    assert {p: r.to_dict() for p, r in pooled.items()} == {p: r.to_dict() for p, r in inline.items()}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        super().isatty()  # a closed stream raises ValueError, as a real one does
        return True


def test_progress_bar_on_a_terminal_once_the_delay_has_passed() -> None:
    shown = Terminal()
    bar = Progress(2, 2_000_000, enabled=True, stream=shown, delay=0.0)
    bar.advance(1_000_000)
    bar.close()
    text = shown.getvalue()
    assert "rb-lint: scanning masks" in text and "[############------------]" in text
    assert "50%" in text and "1/2 files, 1/2 MB" in text
    assert text.endswith("\n")  # click leaves the last state and gives the cursor back


@pytest.mark.parametrize(
    ("stream", "enabled", "delay"),
    [(Terminal(), False, 0.0), (Terminal(), True, 60.0), (io.StringIO(), True, 0.0)],
    ids=["disabled", "short-scan", "not-a-terminal"],
)
def test_progress_bar_silent_when_disabled_quick_or_not_on_a_terminal(
    stream: io.StringIO, enabled: bool, delay: float
) -> None:
    bar = Progress(2, 2_000_000, enabled=enabled, stream=stream, delay=delay)
    bar.advance(1_000_000)
    bar.refresh()
    bar.close()
    assert stream.getvalue() == ""


def test_progress_bar_survives_a_closed_or_missing_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = Terminal()
    closed.close()
    Progress(1, 10, enabled=True, stream=closed, delay=0.0).advance(10)
    closing = Terminal()
    bar = Progress(2, 10, enabled=True, stream=closing, delay=0.0)
    bar.advance(5)
    closing.close()  # gone while the scan runs
    bar.advance(5)
    bar.close()
    monkeypatch.setattr("sys.stderr", None)  # pythonw: no standard streams
    mask = save(tmp_path / "m.nii.gz", np.ones((2, 2, 2), np.uint8))
    result = scan_masks([mask], BatchSettings(progress=True))[mask]
    assert result.values is not None and result.values.present == [1]


def test_zlib_fallback_reads_what_isal_reads(tmp_path: Path) -> None:
    mask = save(tmp_path / "m.nii.gz", np.arange(1000, dtype=np.int16).reshape(10, 10, 10) - 3)
    results = [scan_file(mask, library=library).to_dict() for library in LIBRARIES]
    assert all(r == results[0] for r in results)
    assert zlib.crc32(b"") == 0  # the stdlib module the fallback uses is importable


# -- many small masks (issue 17) ----------------------------------------------------------------


def _labelled(shape: tuple[int, int, int], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    array = np.zeros(shape, np.uint8)
    array[2:5, 3:9, :] = rng.choice(np.array([1, 2, 4], np.uint8), size=(3, 6, shape[2]))
    return array


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("chunk_size", [64, 1000, 4096])
def test_chunks_are_whole_and_aligned_whatever_the_members(
    tmp_path: Path, library: str, chunk_size: int
) -> None:
    raw = write_nifti(tmp_path / "m.nii", _labelled((16, 16, 40), 1)).read_bytes()
    joined = gzip.compress(raw[:777]) + gzip.compress(raw[777:5000]) + gzip.compress(raw[5000:])
    for data in (gzip.compress(raw), joined):
        pieces = [bytes(c) for c in chunks(io.BytesIO(data), True, chunk_size, library=library)]
        assert b"".join(pieces) == raw
        assert all(len(p) == chunk_size for p in pieces[:-1]) and 0 < len(pieces[-1]) <= chunk_size


@pytest.mark.parametrize("damage", ["crc", "truncated"])
def test_damage_found_after_whole_chunks_were_delivered_is_exact(tmp_path: Path, damage: str) -> None:
    """ISA-L's reader decompresses into the reused buffer; when it fails late in the file, the
    exact path takes over after the chunks already given and says what the zlib path says."""
    array = _labelled((64, 64, 64), 2)
    path = save(tmp_path / "m.nii.gz", array)
    data = bytearray(path.read_bytes())
    if damage == "crc":
        data[-6] ^= 0xFF
    else:
        del data[-4:]
    path.write_bytes(bytes(data))
    results = [scan_file(path, library=library, chunk_size=4096) for library in LIBRARIES]
    for result in results:
        assert [p.kind for p in result.problems] == [CORRUPT] and result.values is not None
        assert result.values.present == expected_present(array)
    assert len({r.problems[0].message.split(" (")[0] for r in results}) == 1  # the library's own words differ


def test_scanning_bytes_already_read_gives_what_reading_the_file_gives(tmp_path: Path) -> None:
    from rb_lint.nifti.scan import read_small

    for name in ("m.nii.gz", "m.nii"):
        path = write_nifti(tmp_path / name, _labelled((20, 20, 30), 3))
        small = read_small(path, 1 << 20)
        assert small is not None and small[0] == path.read_bytes() and small[1].st_size == len(small[0])
        assert scan_file(path, content=small[0]).to_dict() == scan_file(path).to_dict()
        assert read_small(path, 10) is None  # larger than the limit: streamed from disk


def test_small_files_are_read_once_and_keyed_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rb_lint.nifti import batch
    from rb_lint.nifti.cache import bytes_digest

    mask = save(tmp_path / "m.nii.gz", _labelled((10, 10, 10), 4))
    assert bytes_digest(mask.read_bytes()) == file_digest(mask)  # old cache entries still hit

    def no_rehash(*_args: object) -> str:
        raise AssertionError("a small gzip file was read again to hash it")

    monkeypatch.setattr(batch, "content_digest", no_rehash)
    cache_dir = tmp_path / "cache"
    first = scan_masks([mask], BatchSettings(cache_dir=cache_dir))[mask]
    assert MaskCache(cache_dir).load(file_digest(mask), str(mask)) is not None
    assert first.values is not None and first.values.present == [0, 1, 2, 4]


def test_a_memo_that_could_never_be_trusted_is_not_written(tmp_path: Path) -> None:
    fresh = save(tmp_path / "fresh.nii.gz", np.ones((4, 4, 4), np.uint8))
    old = save(tmp_path / "old.nii.gz", np.full((4, 4, 4), 2, np.uint8))
    os.utime(old, ns=(10**18, 10**18))
    cache_dir = tmp_path / "cache"
    scan_masks([fresh, old], BatchSettings(cache_dir=cache_dir))
    kinds = sorted(kind for _entry, kind, _payload in cache_entries(cache_dir))
    assert kinds == ["scan", "stat"]  # the fresh file's result by content; only the old file's memo can hold
    assert MaskCache(cache_dir).lookup(old) is not None and MaskCache(cache_dir).lookup(fresh) is None
    assert not list(cache_dir.rglob("*.part"))


def test_pool_tasks_group_small_files_and_keep_every_file_once() -> None:
    from rb_lint.nifti.batch import TASK_BYTES, TASK_FILES, _tasks

    order = [Path(f"big{k}") for k in range(3)] + [Path(f"small{k}") for k in range(1000)]
    sizes = {path: (TASK_BYTES if path.name.startswith("big") else 50_000) for path in order}
    tasks = _tasks(order, sizes, jobs=2)
    assert [path for task in tasks for path in task] == order
    assert tasks[:3] == [[order[0]], [order[1]], [order[2]]]  # large files alone
    assert all(len(task) <= TASK_FILES for task in tasks) and len(tasks) < len(order) // 10


def test_pool_keeps_few_tasks_in_flight_and_gives_in_process_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No quadratic bookkeeping: the parent waits on at most `IN_FLIGHT` tasks per worker."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures import process as futures_process

    from rb_lint.nifti import batch

    outstanding, most = set(), [0]

    class Counting(ProcessPoolExecutor):
        def submit(self, *args: Any, **kwargs: Any) -> Any:
            future = super().submit(*args, **kwargs)
            outstanding.add(future)
            most[0] = max(most[0], len(outstanding))
            future.add_done_callback(outstanding.discard)
            return future

    monkeypatch.setattr(futures_process, "ProcessPoolExecutor", Counting)
    monkeypatch.setattr(batch, "TASK_FILES", 3)
    masks = [save(tmp_path / f"m{k}.nii.gz", _labelled((6, 10, 4), k)) for k in range(40)]
    pooled = scan_masks(masks, BatchSettings(jobs=2, force_parallel=True))
    inline = scan_masks(masks, BatchSettings(jobs=1))
    assert 0 < most[0] <= 2 * batch.IN_FLIGHT
    assert {p: r.to_dict() for p, r in pooled.items()} == {p: r.to_dict() for p, r in inline.items()}


# -- scanning an open stream (remote storage) ----------------------------------------------------


class ForwardOnly:
    """A network-like stream: `read(n)` only (no seek, no tell, no fileno), returning at most
    `most` bytes per call; it raises `failure` once `fail_after` bytes have been read."""

    def __init__(
        self, data: bytes, most: int = 1 << 20, fail_after: int | None = None, failure: str = "reset"
    ) -> None:
        self.data, self.position, self.most = data, 0, most
        self.fail_after, self.failure = fail_after, failure

    def read(self, size: int = -1, /) -> bytes:
        if self.fail_after is not None and self.position >= self.fail_after:
            raise OSError(self.failure)
        size = len(self.data) if size < 0 else size
        block = self.data[self.position : self.position + min(size, self.most)]
        self.position += len(block)
        return block


class ForwardOnlyInto(ForwardOnly):
    def readinto(self, buffer: Any, /) -> int:
        block = self.read(len(buffer))
        memoryview(buffer)[: len(block)] = block
        return len(block)


def _stream_cases(tmp_path: Path) -> list[Path]:
    corpus = [CORPUS / name for name in sorted(p.name for p in CORPUS.glob("*.nii*"))]
    made = [
        write_nifti(tmp_path / "labels.nii.gz", _labelled((40, 30, 20), 1)),
        write_nifti(tmp_path / "labels.nii", _labelled((40, 30, 20), 2)),
        write_nifti(tmp_path / "wide.nii.gz", np.arange(-5, 3000, dtype=np.int32).reshape(5, 601, 1)),
        write_nifti(tmp_path / "floats.nii", np.array([[[0.5, 2.0], [np.nan, 70000.0]]], np.float32)),
        write_nifti(tmp_path / "misnamed.nii", _labelled((8, 10, 8), 3), compress=True),
    ]
    return corpus + made


@pytest.mark.parametrize("kind", [ForwardOnly, ForwardOnlyInto])
@pytest.mark.parametrize("most", [1 << 20, 1, 777])
def test_a_stream_scans_as_the_file_does(tmp_path: Path, kind: type[ForwardOnly], most: int) -> None:
    from rb_lint.nifti.scan import scan_stream

    for path in _stream_cases(tmp_path):
        if most == 1 and path.stat().st_size > 200_000:
            continue  # byte by byte: small files only (time)
        data = path.read_bytes()
        expected = scan_file(path)
        for size in (len(data), None):
            result = scan_stream(str(path), kind(data, most=most), size, chunk_size=1 << 16)
            assert result.path == str(path)
            if size is None:  # the bytes read: all of a gzip file, what the scan needs of a raw one
                assert 0 < result.size <= len(data) and (result.size == len(data) or not result.gzip)
                result.size = len(data)
            assert result.to_dict() == expected.to_dict(), path.name
        header = scan_stream(str(path), kind(data, most=most), len(data), header_only=True)
        assert header.to_dict() == read_header(path).to_dict()


def test_a_stream_whose_size_is_unknown_reports_what_it_read(tmp_path: Path) -> None:
    from rb_lint.nifti.scan import scan_stream

    path = write_nifti(tmp_path / "m.nii.gz", _labelled((20, 20, 20), 5))
    assert scan_stream("m.nii.gz", ForwardOnly(path.read_bytes()), None).size == path.stat().st_size


@pytest.mark.parametrize("name", ["m.nii.gz", "m.nii"])
@pytest.mark.parametrize("fail_after", [0, 1, 400, 20_000])
def test_a_stream_failing_mid_read_is_unreadable_with_its_text(
    tmp_path: Path, name: str, fail_after: int
) -> None:
    from rb_lint.nifti.scan import UNREADABLE, scan_stream

    path = write_nifti(tmp_path / name, np.random.default_rng(0).integers(0, 9, (60, 60, 60), np.uint8))
    stream = ForwardOnly(
        path.read_bytes(), most=300, fail_after=fail_after, failure="connection reset by peer"
    )
    result = scan_stream(name, stream, path.stat().st_size)
    assert [p.kind for p in result.problems] == [UNREADABLE] and not result.complete
    assert result.problems[0].message == "reading it failed: connection reset by peer"
    assert not result.cacheable


def test_damaged_streams_give_the_problems_damaged_files_give(tmp_path: Path) -> None:
    from rb_lint.nifti.scan import scan_stream

    path = save(tmp_path / "m.nii.gz", np.arange(4000, dtype=np.int16).reshape(20, 20, 10))
    good = path.read_bytes()
    crc = bytearray(good)
    crc[-6] ^= 0xFF
    for index, damaged in enumerate((good[:-100], bytes(crc), b"not a nifti at all" * 40, b"", good[:100])):
        copy = tmp_path / f"d{index}.nii.gz"
        copy.write_bytes(damaged)
        expected = scan_file(copy).to_dict()
        assert scan_stream(str(copy), ForwardOnly(damaged, most=500), len(damaged)).to_dict() == expected
        assert expected["problems"]


def test_a_stream_handing_back_no_bytes_is_unreadable() -> None:
    from rb_lint.nifti.scan import UNREADABLE, scan_stream

    class NonBlocking:
        def read(self, size: int = -1, /) -> None:
            return None

    result = scan_stream("m.nii.gz", cast(Any, NonBlocking()), None)
    assert [p.kind for p in result.problems] == [UNREADABLE]


# -- the cache: one write per scan ----------------------------------------------------------------


def test_a_scan_costs_one_cache_entry_written_in_one_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One entry per scanned mask, memo or content entry; a run's entries go in batches (here
    one transaction), never one transaction per mask."""
    from rb_lint.nifti import cache as cache_module

    old = [save(tmp_path / f"old{k}.nii.gz", np.full((4, 4, 4), k, np.uint8)) for k in range(3)]
    for path in old:
        os.utime(path, ns=(10**18, 10**18))
    fresh = [save(tmp_path / f"fresh{k}.nii", np.full((4, 4, 4), k + 5, np.uint8)) for k in range(2)]
    cache_dir = tmp_path / "cache"
    MaskCache(cache_dir).open()
    transactions: list[list[Any]] = []
    real = cache_module._insert

    def recording(connection: Any, rows: list[Any], limit: int) -> None:
        transactions.append(rows)
        real(connection, rows, limit)

    monkeypatch.setattr(cache_module, "_insert", recording)
    scan_masks(old + fresh, BatchSettings(cache_dir=cache_dir))
    assert len(transactions) == 1
    assert sorted(row[1] for row in transactions[0]) == ["scan"] * 2 + ["stat"] * 3
    transactions.clear()
    again = scan_masks(old, BatchSettings(cache_dir=cache_dir))  # from the memos: no write, no scan
    assert transactions == [] and [again[p].values.present for p in old] == [[0], [1], [2]]  # type: ignore[union-attr]


def test_a_touched_but_unchanged_file_is_not_scanned_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rb_lint.nifti import batch

    mask = save(tmp_path / "m.nii.gz", _labelled((6, 10, 4), 1))
    os.utime(mask, ns=(10**18, 10**18))
    cache_dir = tmp_path / "cache"
    first = scan_masks([mask], BatchSettings(cache_dir=cache_dir))[mask]
    os.utime(mask, ns=(2 * 10**18, 2 * 10**18))  # touched: the memo no longer holds...
    assert MaskCache(cache_dir).lookup(mask) is None

    def no_scan(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("scanned although the memo holds the result for this content")

    monkeypatch.setattr(batch, "scan_file", no_scan)  # ...but the content is the same
    assert scan_masks([mask], BatchSettings(cache_dir=cache_dir))[mask].to_dict() == first.to_dict()
    mask.write_bytes(save(tmp_path / "other.nii.gz", _labelled((6, 10, 4), 2)).read_bytes())
    monkeypatch.undo()
    assert scan_masks([mask], BatchSettings(cache_dir=cache_dir))[mask].to_dict() != first.to_dict()


def test_a_memo_holding_a_result_is_signed(tmp_path: Path) -> None:
    mask = save(tmp_path / "m.nii.gz", np.full((4, 4, 4), 3, np.uint8))
    os.utime(mask, ns=(10**18, 10**18))
    cache_dir = tmp_path / "cache"
    scan_masks([mask], BatchSettings(cache_dir=cache_dir))
    ((memo, kind, payload),) = cache_entries(cache_dir)
    data = json.loads(payload)
    assert kind == "stat" and data["result"]["values"]["present"] == [3]
    data["result"]["values"]["present"] = [0]
    alter_cache_entry(cache_dir, memo, json.dumps(data, separators=(",", ":")).encode())
    assert MaskCache(cache_dir).lookup(mask) is None
    assert scan_masks([mask], BatchSettings(cache_dir=cache_dir))[mask].values.present == [3]  # type: ignore[union-attr]


@pytest.mark.parametrize("jobs", [1, 2])
def test_cache_writes_are_on_disk_when_the_scan_returns(tmp_path: Path, jobs: int) -> None:
    """Entries are written in batches while the scan goes on (in each worker too): all of them
    are there when `scan_masks` returns, and no transaction is left open."""
    masks = [save(tmp_path / f"m{k}.nii.gz", _labelled((6, 10, 4), k)) for k in range(40)]
    for path in masks[::2]:
        os.utime(path, ns=(10**18, 10**18))
    cache_dir = tmp_path / "cache"
    first = scan_masks(masks, BatchSettings(cache_dir=cache_dir, jobs=jobs, force_parallel=True))
    kinds = [kind for _entry, kind, _payload in cache_entries(cache_dir)]
    assert kinds.count("stat") == 20 and kinds.count("scan") == 20
    assert not list(cache_dir.rglob("*.part")) and not list(cache_dir.rglob("*-journal"))
    again = MaskCache(cache_dir)
    for path in masks:
        found = again.lookup(path) if path in masks[::2] else again.load(file_digest(path), str(path))
        assert found is not None and found.to_dict() == first[path].to_dict()


@pytest.mark.parametrize("version", [1, 2])
def test_headers_differing_only_in_their_description_are_parsed_once(version: int) -> None:
    from rb_lint.nifti import header as header_module

    array = np.zeros((3, 4, 5), np.uint8)
    blocks = [
        nifti_bytes(array, version=version, descrip=text, aux_file=text[:20]) for text in (b"a", b"b" * 79)
    ]
    other = nifti_bytes(array, version=version, affine=ROTATED, descrip=b"a")
    header_module._PARSED.clear()
    first = parse_header(blocks[0])
    first.affine[0][0] = 99.0  # the caller's copy: the memo keeps its own
    first.extension_codes.append(5)
    assert len(header_module._PARSED) == 1
    second = parse_header(blocks[1])
    assert len(header_module._PARSED) == 1  # the same header but for free text: not parsed again
    assert second == parse_header(blocks[0]) and second.affine[0][0] == 1.0 and second.extension_codes == []
    rotated = parse_header(other)
    assert len(header_module._PARSED) == 2
    np.testing.assert_allclose(rotated.affine, ROTATED, atol=1e-5)
    short = parse_header(blocks[0][: NIFTI1_SIZE if version == 1 else NIFTI2_SIZE])  # no extension flag
    assert short.extension_codes == [] and len(header_module._PARSED) == 3


@pytest.mark.parametrize("compressed", [True, False])
def test_streams_in_use_together_never_share_a_chunk_buffer(tmp_path: Path, compressed: bool) -> None:
    """Chunk buffers are used again by later streams, never by two streams at once (a scan
    interleaved with another, in threads or generators)."""
    raws = [nifti_bytes(np.full((40, 40, 40), k, np.uint8)) for k in (1, 2, 3)]
    datas = [gzip.compress(raw, 1) if compressed else raw for raw in raws]
    for _round in range(2):  # the second round takes buffers the first gave back
        streams = [chunks(io.BytesIO(data), compressed, 4096) for data in datas]
        got: list[bytearray] = [bytearray() for _ in datas]
        for _step in range(10_000):  # bounded: a stream that stopped early fails, never hangs
            for index, stream in list(enumerate(streams)):
                chunk = next(stream, None)
                if chunk is None:
                    streams[index] = iter(())
                    continue
                got[index] += chunk
            if all(len(g) == len(r) for g, r in zip(got, raws, strict=True)):
                break
        assert [bytes(g) for g in got] == raws
