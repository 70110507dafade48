"""The page of `rb-lint serve` in a real headless Chromium (Debian's, driven by Selenium): files picked
through the file inputs are linted by the real server, the findings are listed by severity and rule, a
click shows the finding's line in the source, filters hide the rest, the SARIF and JSON downloads are
real reports, and a screenshot shows a rendered page. Without chromium or chromedriver the tests are
skipped, except in CI (`CI=true` or `RB_LINT_NO_SKIPS=1`), where they fail (.ci/run installs both).
"""

from __future__ import annotations

import json
import os
import re
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import httpx
import numpy as np
import pytest
from conftest import position, write
from sarif_validation import validated
from serve_server import Server, running_server
from test_nifti_support import save

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
STATIC = Path(__file__).parents[1] / "rb_lint" / "service" / "static"
WAIT = 60  # seconds a page may take to show what the server answered (a loaded CI machine)
HOSTILE = '<img src=x onerror="window.rbXss=1">'  # a task name: must show as text, never as markup

TAXONOMY = {
    "name": "Abdomen",
    "objectTypes": [
        {"category": "Liver", "classId": 0, "labelType": "SEGMENTATION"},
        {"category": "Spleen", "classId": 1, "labelType": "SEGMENTATION"},
    ],
}
ITEMS = [
    {
        "name": "patient-001",
        "series": [
            {
                "items": "s3://bucket/ct1.nii.gz",
                "segmentations": "p1.nii.gz",
                "segmentMap": {"1": "Liver", "2": "Spleen", "3": "Kidney"},
            }
        ],
    },
    {"name": "patient-001", "priority": 5, "series": [{"items": "s3://bucket/ct2.nii.gz"}]},
    {"name": HOSTILE, "series": [{"items": "s3://bucket/ct3.nii.gz"}]},
    {"name": HOSTILE, "series": [{"items": "s3://bucket/ct4.nii.gz"}]},
]
# RB112 priority, RB201 duplicate names, RB304 ids missing from the mask, RB305 a value the map misses,
# RB402 a category the taxonomy does not have.
EXPECTED_CODES = {"RB112", "RB201", "RB304", "RB305", "RB402"}


def _missing(message: str) -> NoReturn:
    """Fail in CI (a skip there proves nothing), skip elsewhere."""
    if os.environ.get("CI", "").lower() in ("true", "1", "yes") or os.environ.get("RB_LINT_NO_SKIPS") == "1":
        pytest.fail(message)
    pytest.skip(message)


# -- the server, the browser and the files ---------------------------------------------------------


@pytest.fixture(scope="module")
def served() -> Iterator[Server]:
    """The real `rb-lint serve` on a free loopback port."""
    with running_server() as running:
        yield running


@pytest.fixture
def server(served: Server) -> Iterator[str]:
    """Its base URL; a test that fails shows what the server logged meanwhile (captured output)."""
    logged = len(served.lines)
    yield served.url
    print("rb-lint serve logged:\n" + "".join(served.lines[logged:])[-4000:])


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory, downloads: Path) -> Iterator[WebDriver]:
    """Debian's headless Chromium with a private profile, downloading into `downloads` unasked."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            _missing(f"{path} is missing: `apt-get install chromium chromium-driver` (.ci/run installs them)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium is not installed: `pip install -e '.[test]'`")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1440,900",
        "--no-first-run",
        "--disable-extensions",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The driver's path given: Selenium Manager never runs (it would download a browser and driver).
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT)
    driver.set_script_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An items list with planted mistakes, its taxonomy and a mask written by nibabel (flat: the
    file input sends names without folders)."""
    folder = tmp_path_factory.mktemp("bundle")
    write(folder / "batch.json", ITEMS)
    write(folder / "taxonomy.json", TAXONOMY)
    mask = np.zeros((6, 6, 6), dtype=np.uint8)
    mask[1, 1, 1], mask[2, 2, 2] = 1, 4
    save(folder / "p1.nii.gz", mask)
    return folder


def wait_for(driver: WebDriver, condition: Callable[[WebDriver], Any], what: str) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT, poll_frequency=0.1).until(condition, f"timed out waiting for {what}")


def visible(driver: WebDriver, selector: str) -> list[WebElement]:
    from selenium.webdriver.common.by import By

    return [e for e in driver.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()]


def shown_codes(driver: WebDriver) -> set[str]:
    return {group.get_attribute("data-code") or "" for group in visible(driver, ".rule-group")}


def open_and_lint(driver: WebDriver, server: str, files: list[Path], input_id: str = "files") -> None:
    from selenium.webdriver.common.by import By

    driver.get(server + "/")
    driver.find_element(By.ID, input_id).send_keys("\n".join(str(f) for f in files))
    wait_for(driver, lambda d: d.find_element(By.ID, "lint").is_enabled(), "the files to be picked")
    driver.find_element(By.ID, "lint").click()
    wait_for(driver, lambda d: visible(d, ".finding") or visible(d, "#message"), "the findings")


def downloaded(folder: Path, name: str) -> str:
    """The text of a finished download (Chrome writes `name.crdownload` first), bounded in time."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if (folder / name).exists() and not list(folder.glob("*.crdownload")):
            return (folder / name).read_text(encoding="utf-8")
        time.sleep(0.1)
    raise AssertionError(f"{name} was not downloaded into {folder}: {sorted(os.listdir(folder))}")


def server_report(server: str, files: list[Path]) -> dict[str, Any]:
    """The report the API answers for the same files (what the page must show)."""
    parts = [("files", (f.name, f.read_bytes())) for f in files]
    response = httpx.post(server + "/v1/lint", files=parts, params={"format": "json"}, timeout=WAIT)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


# -- the page ----------------------------------------------------------------------------------------


def test_page_lists_findings_by_severity_and_rule_and_shows_each_at_its_line(
    server: str, browser: WebDriver, bundle: Path, downloads: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    files = sorted(bundle.iterdir())
    open_and_lint(browser, server, files)
    assert not visible(browser, "#message"), browser.find_element(By.ID, "message").text
    report = server_report(server, files)
    assert {f["code"] for f in report["findings"]} >= EXPECTED_CODES
    assert shown_codes(browser) == {f["code"] for f in report["findings"]}
    assert len(visible(browser, ".finding")) == len(report["findings"])
    errors = sum(f["severity"] == "error" for f in report["findings"])
    assert f"{errors} errors" in browser.find_element(By.ID, "summary").text
    severities = [s.get_attribute("data-severity") for s in visible(browser, ".severity-group")]
    assert severities == ["error", "warning"]

    # A finding's text is shown as text: a task name holding markup creates no element and runs nothing.
    assert any(HOSTILE in e.text for e in visible(browser, ".finding-message"))
    markup = "return [document.querySelectorAll('img').length, window.rbXss]"
    assert browser.execute_script(markup) == [0, None]

    # Click the second `patient-001`: its line, the name's token marked, the pointer shown, scrolled to.
    text = (bundle / "batch.json").read_text(encoding="utf-8")
    line, column = position(text, '"patient-001"', occurrence=2)
    where = f"batch.json:{line}:{column}"
    button = next(b for b in visible(browser, ".finding") if b.text.startswith(where))
    button.click()
    hit = wait_for(browser, lambda d: visible(d, "#source-view .line.hit"), "the source view")[0]
    assert hit.get_attribute("data-line") == str(line)
    assert hit.find_element(By.CSS_SELECTOR, "mark").text == '"patient-001"'
    assert "/1/name" in browser.find_element(By.ID, "source-pointer").text
    assert "RB201" in browser.find_element(By.ID, "source-message").text
    assert button.get_attribute("aria-current") == "true"
    assert len(visible(browser, "#source-view .line")) == text.count("\n") + 1
    in_view = "const v = document.getElementById('source-view'), h = v.querySelector('.hit');" + (
        "return h.offsetTop >= v.scrollTop && h.offsetTop + h.offsetHeight <= v.scrollTop + v.clientHeight;"
    )
    assert browser.execute_script(in_view)

    # The keyboard works too: each finding is a button.
    priority_line = position(text, '"priority": 5')[0]
    priority = next(
        b for b in visible(browser, ".finding") if b.text.startswith(f"batch.json:{priority_line}:")
    )
    priority.send_keys(Keys.ENTER)
    wait_for(
        browser, lambda d: visible(d, f'#source-view .line.hit[data-line="{priority_line}"]'), "the line"
    )
    assert browser.switch_to.active_element == priority

    # Filters: no errors -> only the warnings; one rule -> only its findings.
    errors_box = browser.find_element(By.CSS_SELECTOR, 'input[name="severity"][value="error"]')
    errors_box.click()
    assert shown_codes(browser) == {"RB305"}
    assert {s.get_attribute("data-severity") for s in visible(browser, ".severity-group")} == {"warning"}
    errors_box.click()
    Select(browser.find_element(By.ID, "rule-filter")).select_by_value("RB304")
    assert shown_codes(browser) == {"RB304"}
    assert len(visible(browser, ".finding")) == 2
    Select(browser.find_element(By.ID, "rule-filter")).select_by_value("")
    assert len(visible(browser, ".finding")) == len(report["findings"])

    # Downloads: SARIF asked of the server for the same files (valid against the official schema), and
    # the JSON report the page shows.
    browser.find_element(By.ID, "download-sarif").click()
    sarif = validated(downloaded(downloads, "rb-lint.sarif"))
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {f["code"] for f in report["findings"]}
    browser.find_element(By.ID, "download-json").click()
    saved = json.loads(downloaded(downloads, "rb-lint.json"))
    assert saved["findings"] == report["findings"]

    assert not visible(browser, "#message")
    problems = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not problems, problems  # no script error, no blocked or missing resource


def test_a_folder_keeps_its_relative_paths_and_leaves_hidden_files_out(
    server: str, browser: WebDriver, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    folder = tmp_path / "study"
    write(folder / "items" / "a.json", [{"name": "p-1", "series": [{"items": "s3://b/x.nii.gz"}]}])
    write(folder / "items" / "b.json", [{"name": "p-1", "series": [{"items": "s3://b/y.nii.gz"}]}])
    write(folder / ".git" / "config.json", {"not": "data"})
    open_and_lint(browser, server, [folder], input_id="folder")
    picked = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#picked .picked-name")]
    assert picked == ["study/items/a.json", "study/items/b.json"]
    wheres = [e.text for e in visible(browser, ".finding-where")]
    assert any(w.startswith("study/items/b.json:") for w in wheres), wheres
    assert "RB201" in shown_codes(browser)


def test_dropped_files_are_picked(server: str, browser: WebDriver) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server + "/")
    drop = """
        const files = new DataTransfer();
        files.items.add(new File(['[]'], 'dropped.json', {type: 'application/json'}));
        const zone = document.getElementById('dropzone');
        zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: files, bubbles: true, cancelable: true}));
        const over = zone.classList.contains('over');
        zone.dispatchEvent(new DragEvent('drop', {dataTransfer: files, bubbles: true, cancelable: true}));
        return over;
    """
    assert browser.execute_script(drop)
    wait_for(browser, lambda d: d.find_element(By.ID, "lint").is_enabled(), "the dropped file")
    assert [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#picked .picked-name")] == [
        "dropped.json"
    ]
    assert "over" not in (browser.find_element(By.ID, "dropzone").get_attribute("class") or "")


def test_screenshot_shows_a_rendered_page(server: str, browser: WebDriver, bundle: Path) -> None:
    from selenium.webdriver.common.by import By

    open_and_lint(browser, server, sorted(bundle.iterdir()))
    visible(browser, ".finding")[0].click()
    wait_for(browser, lambda d: visible(d, "#source-view .line.hit"), "the source view")
    png = browser.get_screenshot_as_png()
    width, height, pixels = decode_png(png)
    expected = browser.execute_script(
        "return [Math.round(innerWidth * devicePixelRatio), Math.round(innerHeight * devicePixelRatio)]"
    )
    assert [width, height] == expected
    assert width >= 1000 and height >= 600
    rgb = pixels[:, :, :3].astype(np.uint32)
    colours = len(np.unique((rgb[:, :, 0] << 16) | (rgb[:, :, 1] << 8) | rgb[:, :, 2]))
    assert colours >= 64, f"{colours} colours: the page did not render"
    not_white = np.any(pixels[:, :, :3] < 235, axis=2).mean()
    assert 0.03 < not_white < 0.9, f"{not_white:.1%} of the pixels are not white"
    assert browser.find_element(By.ID, "source-view").is_displayed()


def test_problems_are_shown_and_the_token_is_sent(browser: WebDriver, bundle: Path) -> None:
    from selenium.webdriver.common.by import By

    with running_server(token="page-s3cret") as running:
        open_and_lint(browser, running.url, [bundle / "batch.json"])
        message = wait_for(browser, lambda d: visible(d, "#message"), "the problem")[0]
        assert message.get_attribute("role") == "alert"
        assert message.find_element(By.TAG_NAME, "strong").text  # the problem's title
        assert "page-s3cret" not in browser.page_source
        token = browser.find_element(By.ID, "token")
        assert browser.switch_to.active_element == token  # 401: the token field is focused
        token.send_keys("page-s3cret")
        browser.find_element(By.ID, "lint").click()
        wait_for(browser, lambda d: visible(d, ".finding"), "the findings")
        assert not visible(browser, "#message")
        assert "RB201" in shown_codes(browser)
        assert "page-s3cret" not in running.log()
    browser.get_log("browser")  # the 401 logged as a failed resource is expected here: drop it


# -- static checks: strict CSP, no network, untrusted text never parsed as markup ---------------------


def test_page_works_under_a_strict_content_security_policy() -> None:
    """The page sets `default-src 'self'` itself (the browser tests then prove it works under it: a
    violation is a console error) and keeps to it: no inline code or style, nothing from elsewhere."""
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    assert re.search(r'http-equiv="Content-Security-Policy"\s+content="default-src \'self\';', html)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    assert not re.search(r"\sstyle\s*=", html), "inline style"
    for name in re.findall(r'(?:src|href)="/static/([^"]+)"', html):
        assert (STATIC / name).is_file(), name
    for path in STATIC.iterdir():
        source = path.read_text(encoding="utf-8").replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert not re.search(r"(?<![\w.])(?:https?:)?//[a-z0-9-]+\.[a-z0-9.-]+", source, re.I), path.name
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    sinks = (
        r"\.(?:inner|outer)HTML\b",
        r"insertAdjacentHTML",
        r"document\.write",
        r"\beval\(",
        r"\bFunction\(",
    )
    for sink in sinks:
        assert not re.search(sink, script), sink


# -- PNG decoding (no imaging library needed) ----------------------------------------------------------


def decode_png(data: bytes) -> tuple[int, int, np.ndarray]:
    """Width, height and the (height, width, channels) pixels of an 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, header, compressed = 8, b"", bytearray()
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            compressed += body
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    channels = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(bytes(compressed)), dtype=np.uint8)
    rows = raw.reshape(height, 1 + width * channels)
    return width, height, _unfiltered(rows, channels).reshape(height, width, channels)


def _unfiltered(rows: np.ndarray, channels: int) -> np.ndarray:
    """Undo PNG's per-row filters (None, Sub, Up, Average, Paeth)."""
    height, stride = rows.shape[0], rows.shape[1] - 1
    out = np.zeros((height, stride), dtype=np.uint8)
    previous = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:]
        if kind == 0:
            current = line.copy()
        elif kind == 1:
            pixels = line.reshape(-1, channels).astype(np.uint32)
            current = (np.cumsum(pixels, axis=0) % 256).astype(np.uint8).reshape(-1)
        elif kind == 2:
            current = line + previous
        else:
            current = _sequential(line, previous, channels, int(kind))
        out[y] = current
        previous = current
    return out


def _sequential(line: np.ndarray, above: np.ndarray, channels: int, kind: int) -> np.ndarray:
    """Average (3) and Paeth (4): each byte depends on the one decoded before it."""
    result = bytearray(len(line))
    upper = above.tobytes()
    for i, value in enumerate(line.tobytes()):
        a = result[i - channels] if i >= channels else 0
        b = upper[i]
        if kind == 3:
            result[i] = (value + (a + b) // 2) & 0xFF
            continue
        c = upper[i - channels] if i >= channels else 0
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        predictor = a if pa <= pb and pa <= pc else b if pb <= pc else c
        result[i] = (value + predictor) & 0xFF
    return np.frombuffer(bytes(result), dtype=np.uint8)
