"""The HTML control matrix works in a real browser, offline: framework switch, filters, counter, screenshot.

The page is opened from a file in headless Chromium (Debian's chromium + chromedriver, driven by selenium) with
networking features off. Expected rows are computed from the Matrix, never typed in, so a renderer or script
that drops, duplicates or mis-filters a row fails. Missing Chromium is a failure with the install command, not
a skip: an untested auditor deliverable is not a pass.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from controls import catalog
from controls.catalog import HIPAA, R2, R3
from controls.model import (
    CUSTOMER,
    IMPLEMENTED,
    INHERITED,
    NOT_APPLICABLE,
    NOT_IMPLEMENTED,
    PARTIAL,
    STATUSES,
    AccountVerification,
    Matrix,
    ProbeResult,
    Row,
    RuleOutcome,
    SprsScore,
    StackInfo,
)
from controls.render.html import render_html

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "build" / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
VIEWPORT = (1366, 768)  # a common laptop screen (issue 18)
HOSTILE = '<script>alert("x")</script> & <img src=x onerror="alert(1)">'

# ------------------------------------------------------------------------------------------ a matrix to render

_RESPONSIBILITY_STATUS = [
    ("landing-zone", IMPLEMENTED),
    ("shared", PARTIAL),
    ("customer", CUSTOMER),
    ("landing-zone", IMPLEMENTED),
    ("inherited", INHERITED),
    ("shared", IMPLEMENTED),
    ("customer", CUSTOMER),
    ("landing-zone", NOT_IMPLEMENTED),
    ("not-applicable", NOT_APPLICABLE),
]


def _row(req: catalog.Requirement, i: int, verified: bool) -> Row:
    """A plausible row for one catalog requirement; the status pattern varies with the position."""
    responsibility, status = _RESPONSIBILITY_STATUS[i % len(_RESPONSIBILITY_STATUS)]
    technical = responsibility in ("landing-zone", "shared")
    probes = (
        [
            ProbeResult(
                name="bucket_encryption",
                description="SSE-KMS on every bucket",
                satisfied=status != NOT_IMPLEMENTED,
                summary="8 buckets default-encrypt with SSE-KMS (key alias/glz-demo-data), bucket keys on.",
                names=(f"glz-demo-bcl-111122223333-us-east-1-{i}", "glz-demo-audit-111122223333-us-east-1"),
            )
        ]
        if technical
        else []
    )
    rules = (
        [
            RuleOutcome("GLZ-S3-001", "Buckets encrypt with a customer key", "passed", 8, 0),
            RuleOutcome(
                "GLZ-S3-004",
                "Buckets deny plain HTTP",
                "failed" if status == NOT_IMPLEMENTED else "suppressed",
                8,
                1,
                ("glz-demo-results: no TLS-only statement",),
                ("Accepted: scratch bucket, ticket SEC-12",),
            ),
        ]
        if technical
        else []
    )
    return Row(
        framework=req.framework,
        id=req.id,
        family_id=req.family_id,
        family=req.family,
        title=req.title,
        text=req.text,
        kind=req.kind,
        responsibility=responsibility,
        status=status,
        statement=(
            f"The stack implements {req.id} with KMS-encrypted buckets." if technical else "The organization does it."
        ),
        customer_actions="Review access quarterly; keep the signed review for 6 years." if not technical else "",
        justification="AWS operates the data centers (AWS SOC 2 report)." if responsibility == "inherited" else "",
        probes=probes,
        rules=rules,
        config_rules=["S3_DEFAULT_ENCRYPTION_KMS"] if technical else [],
        gaps=["glz-demo-results does not deny plain HTTP"] if status == NOT_IMPLEMENTED else [],
        deviations=["GLZ-S3-004 suppressed for the scratch bucket"] if status == PARTIAL else [],
        verified=(
            AccountVerification("verified" if i % 2 else "not-verifiable", "Observed in the account.", ("s3.sse",))
            if verified and technical
            else None
        ),
        dod_points=req.extra.get("dod_points") if req.framework == R2 else None,
        hipaa_status=req.extra.get("status") if req.framework == HIPAA else None,
    )


def _matrix(verified: bool = True) -> Matrix:
    """A matrix over the full catalogs (110 / 97 / 68 rows) with every status, account evidence and rule outcome."""
    loaders = {R2: catalog.load_r2, R3: catalog.load_r3, HIPAA: catalog.load_hipaa}
    return Matrix(
        info=StackInfo(
            stack="demo",
            project="genomics-landing-zone",
            account="111122223333",
            region="us-east-1",
            classification="phi",
            state_source="build/demo/state.json",
            state_sha256="ab" * 32,
            generated_at="2026-11-23T19:40:00Z",
            tool_version="0.1.0",
            gate_passed=True,
            gate_summary="54 rules, 0 failed, 2 suppressed",
            evidence_source="build/demo/evidence.json",
        ),
        rows={fw: [_row(req, i, verified) for i, req in enumerate(load())] for fw, load in loaders.items()},
        resources=[],
        findings=[],
        sprs=SprsScore(110, 97, (("3.13.8", 3, "Not met"),), None),
        config_rules=["S3_DEFAULT_ENCRYPTION_KMS"],
    )


@pytest.fixture(scope="module")
def matrix(demo_matrix: Matrix) -> Matrix:
    """The browser tests run on the demo stack's real matrix; `_matrix()` serves the hand-made edge cases."""
    return demo_matrix


# ------------------------------------------------------------------------------------------ expectations


def _haystack(row: Row) -> str:
    """The fields the search box is specified to look at (id, title, text, statement, resources, rule ids)."""
    parts = [row.id, row.title, row.text, row.statement, *row.resources, *(r.rule_id for r in row.rules)]
    return "\n".join([*parts, *row.config_rules]).lower()


def _expected(matrix: Matrix, framework: str, status: str = "", text: str = "") -> list[str]:
    terms = text.lower().split()
    return [
        row.id
        for row in matrix.rows[framework]
        if (not status or row.status == status) and all(t in _haystack(row) for t in terms)
    ]


# ------------------------------------------------------------------------------------------ static checks


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(document: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(document)
    return parser.tags


def test_no_external_resources(matrix: Matrix) -> None:
    document = render_html(matrix)
    tags = _tags(document)
    assert [t for t, _ in tags].count("script") == 1
    assert [a for t, a in tags if t == "script" and "src" in a] == []
    assert [t for t, _ in tags if t in ("link", "iframe", "img", "object", "embed", "base")] == []
    remote = [
        (tag, key, value)
        for tag, attrs in tags
        for key, value in attrs.items()
        if value and re.match(r"\s*(https?:)?//", value) and not (tag == "a" and key == "href")
    ]
    assert remote == []
    style = document.split("<style>", 1)[1].split("</style>", 1)[0]
    script = document.split("<script>", 1)[1].split("</script>", 1)[0]
    for code in (style, script):
        assert not re.search(r"https?://|@import|url\(|fetch\(|XMLHttpRequest|import\(", code)
    # the reference links are there, as plain anchors
    assert 'href="https://csrc.nist.gov/' in document and 'href="https://www.ecfr.gov/' in document


def test_text_is_escaped() -> None:
    base = _matrix()
    row = base.rows[R2][0]
    base.rows[R2][0] = replace(
        row,
        title=HOSTILE,
        statement=HOSTILE,
        customer_actions=HOSTILE,
        gaps=[HOSTILE],
        probes=[replace(row.probes[0], names=(HOSTILE,), summary=HOSTILE)],
        rules=[replace(row.rules[0], rule_id=HOSTILE, messages=(HOSTILE,))],
        config_rules=[HOSTILE],
    )
    base.info = replace(base.info, stack=HOSTILE, gate_summary=HOSTILE, evidence_notes=(HOSTILE,))
    document = render_html(base)
    assert HOSTILE not in document
    assert 'id="evidence-notes"' in document
    assert "<img" not in document and 'alert("x")</script>' not in document
    assert document.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") >= 8
    assert [t for t, _ in _tags(document)].count("script") == 1


def test_long_resource_lists_fold_but_stay_searchable() -> None:
    base = _matrix()
    row = base.rows[R2][0]
    names = tuple(f"glz-demo-bucket-{n:02d}" for n in range(20))
    base.rows[R2][0] = replace(row, probes=[replace(row.probes[0], names=names)])
    document = render_html(base)
    cell = document.split('id="req-nist-800-171-r2-3.1.1"', 1)[1].split('<details class="fold c-rules"', 1)[0]
    cell = cell.split('<details class="fold c-resources">', 1)[1]
    shown, folded = cell.split('<details class="more">', 1)
    assert shown.count("<code>") + folded.count("<code>") == 20 and "12 more" in folded
    assert all(name in cell for name in names)
    search = document.split('id="req-nist-800-171-r2-3.1.1"', 1)[1].split('data-search="', 1)[1].split('"', 1)[0]
    assert all(name in search for name in names)


def test_every_form_control_has_a_label(matrix: Matrix) -> None:
    tags = _tags(render_html(matrix))
    labelled = {a.get("for") for t, a in tags if t == "label"}
    controls = [a.get("id") for t, a in tags if t in ("input", "select", "textarea")]
    assert len(controls) == len(matrix.rows) + 5  # one radio per framework, 4 selects, the search box
    live = _tags(render_html(_matrix(verified=True)))
    live_controls = [a.get("id") for t, a in live if t in ("input", "select", "textarea")]
    assert "filter-verified" in live_controls  # the Live evidence filter, only with live evidence
    assert [c for c in live_controls if c not in {a.get("for") for t, a in live if t == "label"}] == []
    assert [c for c in controls if c not in labelled] == []


def test_verified_column_only_with_account_evidence() -> None:
    with_evidence = render_html(_matrix(verified=True))
    without = render_html(_matrix(verified=False))
    assert 'id="col-verified"' in with_evidence and 'data-verified="verified"' in with_evidence
    assert (
        'id="col-verified"' not in without
        and 'data-verified="' not in without
        and 'id="filter-verified"' not in without
    )


# ------------------------------------------------------------------------------------------ the browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium from Debian's packages, no Selenium Manager, no network features."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"headless browser test needs {', '.join(missing)}; install Chromium and its driver with "
            "`make browser` (as root: apt-get install -y chromium chromium-driver)",
            pytrace=False,
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    mp = pytest.MonkeyPatch()
    mp.setenv("SE_OFFLINE", "true")
    profile = tmp_path_factory.mktemp("chromium-profile")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--window-size={VIEWPORT[0]},{VIEWPORT[1] + 200}",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    width, height = VIEWPORT
    driver.execute_cdp_cmd(  # the window size includes browser chrome; the viewport is what a screenshot covers
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        yield driver
    finally:
        driver.quit()
        mp.undo()


@pytest.fixture(scope="module")
def page(browser, matrix: Matrix, tmp_path_factory):
    path = tmp_path_factory.mktemp("matrix-html") / "control-matrix.html"
    path.write_text(render_html(matrix), encoding="utf-8")
    browser.get(path.as_uri())
    return browser


def _reset(driver, framework: str = R2) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, f'label[for="framework-{framework}"]').click()
    driver.find_element(By.ID, "filter-reset").click()


def _visible_ids(driver) -> list[str]:
    """Ids of the requirement rows the browser actually lays out (hidden rows have no client rects)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#matrix-table tr.req'))"
        ".filter(function (r) { return r.getClientRects().length > 0; })"
        ".map(function (r) { return r.getAttribute('data-id'); });"
    )


def _counter(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, "shown-count").text


def test_unfiltered_shows_every_requirement_of_the_framework(page, matrix: Matrix) -> None:
    _reset(page)
    expected = [row.id for row in matrix.rows[R2]]
    assert len(expected) == 110
    assert _counter(page) == "110 of 110 requirements shown"
    assert _visible_ids(page) == expected
    assert page.execute_script("return performance.getEntriesByType('resource').length") == 0


def test_text_filter_shows_exactly_the_matching_rows(page, matrix: Matrix) -> None:
    from selenium.webdriver.common.by import By

    _reset(page)
    page.find_element(By.ID, "filter-text").send_keys("3.3.1")
    expected = _expected(matrix, R2, text="3.3.1")
    assert 0 < len(expected) < len(matrix.rows[R2])
    assert _visible_ids(page) == expected
    assert _counter(page) == f"{len(expected)} of 110 requirements shown"


def test_search_finds_rows_by_resource_name(page, matrix: Matrix) -> None:
    from selenium.webdriver.common.by import By

    _reset(page)
    names = sorted({name for row in matrix.rows[R2] for name in row.resources})
    assert names, "no r2 row names a resource"
    name = min(names, key=lambda n: (len(_expected(matrix, R2, text=n)), n))
    page.find_element(By.ID, "filter-text").send_keys(name)
    expected = _expected(matrix, R2, text=name)
    assert expected and all(name not in row_id for row_id in expected)
    assert _visible_ids(page) == expected
    assert _counter(page) == f"{len(expected)} of 110 requirements shown"


def test_status_filter_shows_exactly_the_customer_rows(page, matrix: Matrix) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _reset(page)
    Select(page.find_element(By.ID, "filter-status")).select_by_visible_text(CUSTOMER)
    expected = _expected(matrix, R2, status=CUSTOMER)
    assert 0 < len(expected) < len(matrix.rows[R2])
    assert _visible_ids(page) == expected
    assert _counter(page) == f"{len(expected)} of 110 requirements shown"
    statuses = page.execute_script(
        "return Array.from(document.querySelectorAll('#matrix-table tr.req'))"
        ".filter(function (r) { return !r.hidden; }).map(function (r) { return r.dataset.status; });"
    )
    assert set(statuses) == {CUSTOMER}


def test_determination_filter_shows_exactly_the_rows_so_determined(page, matrix: Matrix) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _reset(page)
    Select(page.find_element(By.ID, "filter-determination")).select_by_visible_text("Not assessed")
    expected = [row.id for row in matrix.rows[R2] if row.determination.result == "Not assessed"]
    assert 0 < len(expected) < len(matrix.rows[R2])
    assert _visible_ids(page) == expected
    assert _counter(page) == f"{len(expected)} of 110 requirements shown"
    assert "determination: Not assessed" in page.find_element(By.ID, "filter-summary").text
    Select(page.find_element(By.ID, "filter-determination")).select_by_visible_text("Not met")
    assert _visible_ids(page) == [row.id for row in matrix.rows[R2] if row.determination.result == "Not met"]


def test_switching_to_hipaa_shows_its_68_requirements(page, matrix: Matrix) -> None:
    _reset(page, HIPAA)
    expected = [row.id for row in matrix.rows[HIPAA]]
    assert len(expected) == len(catalog.load_hipaa()) == 68
    assert _counter(page) == "68 of 68 requirements shown"
    assert _visible_ids(page) == expected
    assert page.execute_script("return document.body.dataset.framework") == HIPAA
    families = page.execute_script(
        "return Array.from(document.getElementById('filter-family').options).slice(1).map(o => o.value);"
    )
    assert families == [f.id for f in catalog.families(catalog.load_hipaa())]


def test_status_badges_have_distinct_colours(page, matrix: Matrix) -> None:
    _reset(page)
    colours = page.execute_script(
        "var out = {}; document.querySelectorAll('#matrix-table tr.req .badge').forEach(function (b) {"
        " var s = getComputedStyle(b); out[b.textContent] = s.backgroundColor + '/' + s.color; }); return out;"
    )
    present = {row.status for row in matrix.all_rows()}
    assert set(colours) == present
    assert len(set(colours.values())) == len(present)
    assert set(STATUSES) >= present


def test_verified_column_is_shown(page, matrix: Matrix) -> None:
    from selenium.webdriver.common.by import By

    has_verified = any(row.verified is not None for row in matrix.all_rows())
    headers = [th.text for th in page.find_elements(By.CSS_SELECTOR, "#matrix-table thead th")]
    assert ("VERIFIED IN ACCOUNT" in [h.upper() for h in headers]) is has_verified


def test_live_evidence_filter_shows_exactly_those_rows_and_goes_into_the_link(
    page, demo_state_document, tmp_path: Path
) -> None:
    """Issue 18: with `glz audit` evidence the matrix has a Live evidence filter; it shows exactly the rows so
    observed, says so in the summary, and lives in the link like the other filters."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from controls.evidence import load_evidence
    from tests.conftest import matrix_of
    from tests.test_matrix import KEY_ROTATION_CHECK, TRAIL_NOT_LOGGING, evidence_file

    evidence = load_evidence(evidence_file(tmp_path, [TRAIL_NOT_LOGGING, KEY_ROTATION_CHECK]), "111122223333")
    live = matrix_of(demo_state_document, evidence=evidence)
    path = tmp_path / "live.html"
    path.write_text(render_html(live), encoding="utf-8")
    original = page.current_url
    try:
        page.get(path.as_uri())
        _reset(page)
        Select(page.find_element(By.ID, "filter-verified")).select_by_value("failed")
        failed = [row.id for row in live.rows[R2] if row.verified.result == "failed"]
        assert 0 < len(failed) < len(live.rows[R2])
        assert _visible_ids(page) == failed
        assert "live evidence: failed" in page.find_element(By.ID, "filter-summary").text
        assert page.execute_script("return new URLSearchParams(location.hash.slice(1)).get('live')") == "failed"
        page.get(path.as_uri() + "#live=verified")
        page.refresh()
        verified = [row.id for row in live.rows[R2] if row.verified.result == "verified"]
        assert Select(page.find_element(By.ID, "filter-verified")).first_selected_option.get_attribute("value") == (
            "verified"
        )
        assert verified and _visible_ids(page) == verified
    finally:
        page.get(original)
        page.refresh()


def test_filtered_screenshot_is_a_real_picture(page, matrix: Matrix, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    _reset(page)
    page.execute_script("window.scrollTo(0, 0);")
    unfiltered = page.get_screenshot_as_png()
    page.find_element(By.ID, "filter-text").send_keys("3.3.1")
    assert _counter(page).startswith(f"{len(_expected(matrix, R2, text='3.3.1'))} of ")
    filtered = page.get_screenshot_as_png()

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for folder in (ARTIFACTS, tmp_path):
        (folder / "control-matrix-filter.png").write_bytes(filtered)
        (folder / "control-matrix-unfiltered.png").write_bytes(unfiltered)

    inner = page.execute_script("return [window.innerWidth, window.innerHeight, window.devicePixelRatio];")
    assert inner == [*VIEWPORT, 1]
    width, height, pixels = _decode_png(filtered)
    assert (width, height) == VIEWPORT
    assert len(set(pixels[i : i + 3] for i in range(0, len(pixels), 3))) > 50  # text, badges, header: not blank
    uw, uh, upixels = _decode_png(unfiltered)
    assert (uw, uh) == (width, height)
    assert upixels != pixels


def test_table_header_stays_below_the_sticky_filters(page) -> None:
    """Scrolled to the end, the table's column headers are still visible under the sticky filter bar."""
    _reset(page)
    page.execute_script("window.scrollTo(0, document.documentElement.scrollHeight);")
    bar, head, wrap = page.execute_script(
        "var r = function (s) { var b = document.querySelector(s).getBoundingClientRect(); return [b.top, b.bottom]; };"
        "return [r('.controls'), r('#matrix-table thead'), r('.table-wrap')];"
    )
    assert page.execute_script("return window.scrollY") > 0
    assert bar[0] == 0  # the filter bar stuck to the top
    assert head[0] >= bar[1] and wrap[1] <= VIEWPORT[1]
    page.execute_script("window.scrollTo(0, 0);")


def test_print_produces_a_pdf(page) -> None:
    import base64

    _reset(page)
    pdf = base64.b64decode(page.print_page())
    assert pdf.startswith(b"%PDF-") and pdf.count(b"/Type /Page") + pdf.count(b"/Type/Page") > 2


def _layout(driver) -> dict:
    return driver.execute_script(
        "var t = document.querySelector('#matrix-table').getBoundingClientRect();"
        "var heads = Array.from(document.querySelectorAll('#matrix-table thead th')).map(function (h) {"
        "  var b = h.getBoundingClientRect(); return [h.id, Math.round(b.left), Math.round(b.right)]; });"
        "return {page: document.documentElement.scrollWidth, inner: window.innerWidth, right: t.right,"
        " table: document.querySelector('#matrix-table').scrollWidth,"
        " wrap: document.querySelector('.table-wrap').clientWidth, heads: heads};"
    )


def test_main_columns_fit_a_laptop_screen_without_horizontal_scrolling(page) -> None:
    """At 1366x768 every column, customer actions included, is on screen: no page or table scrolling sideways."""
    _reset(page)
    page.execute_script("document.querySelector('#matrix-table').scrollIntoView();")
    layout = _layout(page)
    assert layout["inner"] == VIEWPORT[0]
    assert layout["page"] <= layout["inner"], "the page scrolls sideways"
    assert layout["table"] <= layout["wrap"], "the table scrolls sideways inside its box"
    heads = {name: (left, right) for name, left, right in layout["heads"]}
    assert {"col-actions", "col-evidence", "col-statement"} <= set(heads)
    assert all(0 <= left < right <= VIEWPORT[0] for left, right in heads.values()), heads
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "control-matrix-1366x768.png").write_bytes(page.get_screenshot_as_png())
    page.execute_script("window.scrollTo(0, 0);")


def test_evidence_opens_in_place(page) -> None:
    """A row's policy rules fold into the Evidence column and open inside the row, without widening the table."""
    from selenium.webdriver.common.by import By

    _reset(page)
    row = page.find_element(By.ID, "req-nist-800-171-r2-3.1.1")
    fold = row.find_element(By.CSS_SELECTOR, "details.c-rules")
    rules = fold.find_elements(By.CSS_SELECTOR, "li[data-rule]")
    assert rules and fold.find_element(By.TAG_NAME, "summary").text.startswith("Policy rules (")
    height, width = row.size["height"], _layout(page)["table"]
    if not fold.get_attribute("open"):
        assert not rules[0].is_displayed()
        page.execute_script("arguments[0].scrollIntoView({block: 'center'});", fold)
        fold.find_element(By.TAG_NAME, "summary").click()
    assert rules[0].is_displayed()
    assert row.size["height"] > height or fold.get_attribute("open")
    assert _layout(page)["table"] == width
    page.execute_script("arguments[0].open = false; window.scrollTo(0, 0);", fold)


def test_filters_live_in_the_url(page, matrix: Matrix) -> None:
    """A filtered view is a link: the filters write the URL's fragment, and a page opened on it applies them."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _reset(page)
    page.find_element(By.CSS_SELECTOR, 'label[for="framework-hipaa"]').click()
    Select(page.find_element(By.ID, "filter-status")).select_by_visible_text(CUSTOMER)
    fragment = page.execute_script(
        "var p = new URLSearchParams(location.hash.slice(1)); return [p.get('fw'), p.get('status')];"
    )
    assert fragment == ["hipaa", CUSTOMER]
    expected = _expected(matrix, HIPAA, status=CUSTOMER)
    url = page.current_url
    page.get("about:blank")
    page.get(url)  # a fresh load of the shared link
    assert sorted(_visible_ids(page)) == sorted(expected)
    assert page.find_element(By.ID, "filter-status").get_attribute("value") == CUSTOMER
    page.execute_script("location.hash = 'fw=nist-800-171-r2&q=3.3.1';")
    assert _counter(page).startswith(f"{len(_expected(matrix, R2, text='3.3.1'))} of ")
    page.execute_script("location.hash = '';")
    _reset(page)
    assert page.execute_script("return location.hash") == ""


def test_print_layout_keeps_every_column_on_the_page(page) -> None:
    """In print, every column stays inside an A4 landscape page (277 mm at 96 dpi is 1047 px): none is cut."""
    import base64

    _reset(page)
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    page.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 1047, "height": 740, "deviceScaleFactor": 1, "mobile": False}
    )
    try:
        layout = _layout(page)
        assert layout["table"] <= layout["inner"] == 1047
        assert all(right <= 1047 for _, _, right in layout["heads"]), layout["heads"]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "control-matrix-print.png").write_bytes(page.get_screenshot_as_png())
    finally:
        page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        width, height = VIEWPORT
        page.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
    from selenium.webdriver.common.print_page_options import PrintOptions

    options = PrintOptions()
    options.orientation = "landscape"  # as the page's @page rule asks
    pdf = base64.b64decode(page.print_page(options))
    assert pdf.startswith(b"%PDF-")
    (ARTIFACTS / "control-matrix.pdf").write_bytes(pdf)


# ------------------------------------------------------------------------------------------ PNG decoding


def _decode_png(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and RGB bytes of an 8-bit RGB/RGBA PNG, with the standard library only."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, bytearray(), b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(bytes(idat))
    stride = width * bpp
    assert len(raw) == height * (stride + 1)
    prev = bytearray(stride)
    out = bytearray()
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        else:
            assert kind == 0, f"unknown PNG filter {kind}"
        out += line if bpp == 3 else bytes(v for i, v in enumerate(line) if i % 4 != 3)
        prev = line
    return width, height, bytes(out)
