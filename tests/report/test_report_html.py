"""The HTML report a person reads: numbers for people, a summary and a table of contents whose links land,
one block per topic with its prose in it, Markdown rendered, Chinese marked for a CJK font, information rows
that never read as failures; and the real page opened in headless Chromium (marked ``browser``)."""

import base64
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mlcanon.report import render
from mlcanon.report.core import Figure, Note, Row, Table, first_sentence

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.mark.parametrize(("x", "text"), [
    (2.220446049250313e-16, "2.2e-16"), (1e-12, "1e-12"), (0.0, "0"), (0.845123, "0.8451"), (356.41, "356.4"),
    (12345.6, "12,346"), (9999.6, "10,000"), (5452, "5,452"), (-3.5e-5, "-3.5e-5"), ("identical", "identical"),
    (None, ""), (True, "True"), (float("nan"), "nan"),
])
def test_numbers_for_people(x, text):
    assert render.fmt(x) == text


def test_seconds_carry_units_and_ratios_a_times_sign():
    assert [render.fmt_seconds(s) for s in (4.5e-5, 0.01234, 1.2345, 200.0)] == ["45 µs", "12.3 ms", "1.23 s",
                                                                              "3 min 20 s"]
    assert render.fmt_ratio(0.6321) == "0.63×"
    row = Row("fit", 0.0063, 0.01, "sklearn", tolerance=1.5, kind="speed")
    assert render.row_cells(row)[1:6] == ["6.3 ms", "10 ms", "sklearn", "0.63×", "≤ 1.50×"]
    better = Row("F1", 0.86, 0.845, "crfsuite", tolerance=0.005, kind="quality")
    assert render.row_cells(better)[4] == "+0.015"


def test_first_sentence_of_a_docstring():
    doc = """Information theory beside scipy, e.g. the entropy of 1.5 bits. Then ``more``.

    A second paragraph."""
    assert first_sentence(doc) == "Information theory beside scipy, e.g. the entropy of 1.5 bits."
    assert first_sentence("Run ``mlcanon report`` on real data.") == "Run `mlcanon report` on real data."


def test_title_splits_into_chinese_and_english():
    assert render.split_title("熵与互信息 entropy and mutual information") == ("熵与互信息", "entropy and mutual information")
    assert render.split_title("BERT 与 WordPiece — BERT and WordPiece")[0] == "与"


class _Page(HTMLParser):
    """What the tests look at: ids, links, <details>, images, the title and text with its lang."""

    def __init__(self):
        super().__init__()
        self.ids, self.links, self.tags, self.zh, self.title, self._stack = set(), [], [], [], "", []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and a.get("href", "").startswith("#"):
            self.links.append(a["href"][1:])
        self._stack.append((tag, a))

    def handle_endtag(self, tag):
        while self._stack and self._stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if self._stack and self._stack[-1][0] == "title":
            self.title += data
        if re.search(r"[\u4e00-\u9fff]", data) and not any(a.get("lang") == "zh" for _, a in self._stack):
            self.zh.append(data)  # Chinese outside any lang="zh" element


def _items():
    def at(check, *items):
        for item in items:
            item.check, item.section = check, "foundations"
        return list(items)

    return {
        "foundations": at("熵与互信息 entropy and mutual information",
                          Row("H(label), bits", 1.0, 1.0 + 2.220446049250313e-16, "scipy", tolerance=1e-12),
                          Row("vocabulary size", 5452, "—", "info only", passed=None),
                          Figure("binary entropy", PNG, "H(p) peaks at `p = 0.5`"),
                          Note("The **answer**: `entropy` matches.\n\n```\nH = 1 bit\n```"))
        + at("支持向量机 SVM support vector classifier",
             Row("fit time", 0.0063, 0.01, "libsvm", tolerance=2.0, kind="speed"),
             Row("dual coefficients max |diff|", 0.5, 0.0, "libsvm", tolerance=1e-8),
             Note("SVC prose belongs here"),
             Table("top words", ["topic", "words"], [[0, "**a** b"]])),
        "classic": [],
    }


def test_page_has_summary_toc_one_block_per_topic_and_rendered_markdown(tmp_path):
    items = _items()
    text = render.write_html(items, tmp_path, {"machine": "x86_64, 2 cores", "date": "2026-01-01"}).read_text()
    page = _Page()
    page.feed(text)
    # the title and the summary: the run's totals (2 pass, 1 fail, 1 info; a speed goal met counts as a pass)
    assert page.title == "mlcanon report — 4 rows, 2 pass, 1 fail, 1 info"
    total = re.search(r"<tr class='total'.*?</tr>", text).group(0)
    assert re.findall(r"data-k='(\w+)'>(\d+)<", total) == [("rows", "4"), ("pass", "2"), ("fail", "1"),
                                                           ("info", "1"), ("missed", "0")]
    # every link lands; the contents list both topics in order, after the summary
    assert page.links and set(page.links) <= page.ids
    assert {"foundations", "classic", "contents", "summary"} <= page.ids
    topics = [i for i in page.ids if i.startswith("foundations-")]
    assert sorted(topics) == ["foundations-1-entropy-and-mutual-information", "foundations-2-svm-support-vector-classifier"]
    assert text.index("id='summary'") < text.index("id='contents'") < text.index("<section id='foundations'>")
    # one block per topic: the SVC prose sits in the SVC block, after the entropy block's figure
    svm = text[text.index("id='foundations-2-"):]
    entropy = text[text.index("id='foundations-1-"):text.index("id='foundations-2-")]
    assert "SVC prose belongs here" in svm and "SVC prose" not in entropy and "<img" in entropy
    assert entropy.count("<details") == 1 and "All 2 rows of this topic" in entropy
    # Markdown rendered by markdown-it-py, not shown raw
    assert "<strong>answer</strong>" in text and "<code>entropy</code>" in text and "<pre><code>H = 1 bit" in text
    assert "**" not in text and "```" not in text and "`p = 0.5`" not in text
    # information rows look different and never say FAIL; the failure does
    assert "<tr class='info'>" in text and "<span class='status info'>info</span>" in text
    assert svm.count("<span class='status fail'>FAIL</span>") == 2  # key figures and the full table
    # numbers for people
    assert "2.2e-16" in text and "0.63×" in text and "6.3 ms" in text and "5,452" in text
    assert "Nothing in this section yet." in text  # the empty section says so


def test_chinese_is_marked_for_a_cjk_font(tmp_path):
    text = render.write_html(_items(), tmp_path, {}).read_text()
    page = _Page()
    page.feed(text)
    assert page.zh == [] or all(chunk in page.title for chunk in page.zh)  # only <title> may hold bare Chinese
    for font in ("Noto Sans CJK SC", "WenQuanYi Zen Hei", "PingFang SC", "Microsoft YaHei"):
        assert font in text
    assert ":lang(zh){font-family:\"Noto Sans CJK SC\"" in text and "<html lang='en'>" in text


def test_no_internal_jargon_in_the_checks_user_facing_text():
    """Strings a check puts on the page (row text, notes, captions; docstrings' first sentences) never
    speak of "the issue" or "issue 5": a reader of the report has not read our tracker."""
    import ast
    import importlib

    from mlcanon.report.core import registered
    from mlcanon.report.sections import SECTIONS, load_section

    root = Path(__file__).parents[2] / "src" / "mlcanon" / "report"
    offenders = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text())
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                if re.search(r"\bissues?\b", node.value, re.IGNORECASE):
                    offenders.append(f"{path.relative_to(root)}:{node.lineno}: {node.value!r}")
    for section in SECTIONS:
        load_section(section.key)
    offenders += [f"{c.title}: {c.about}" for c in registered() if re.search(r"\bissues?\b", c.about, re.I)]
    assert offenders == []
    importlib.invalidate_caches()


# ------------------------------------------------------------------------------------------ a real browser

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,900"]


def _browser():
    if not CHROMIUM.exists() or not DRIVER.exists():
        pytest.skip("needs Chromium: apt-get install -y chromium chromium-driver (Debian)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("needs selenium: pip install selenium")
    options = webdriver.ChromeOptions()
    for flag in FLAGS:
        options.add_argument(flag)
    options.binary_location = str(CHROMIUM)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(str(DRIVER)), options=options)


@pytest.mark.browser
def test_the_report_in_headless_chromium(tmp_path):
    driver = _browser()
    try:
        out = tmp_path / "report"
        mlcanon = Path(sys.executable).with_name("mlcanon")
        done = subprocess.run([str(mlcanon), "report", "--only", "foundations", "--out", str(out)],
                              capture_output=True, text=True, timeout=600, env={"OMP_NUM_THREADS": "1",
                                                                                "PATH": "/usr/bin:/bin"})
        assert done.returncode == 0, done.stderr
        # not a terminal: the CLI prints one totals line a section, the figures the page must show
        line = re.search(r"基础 Foundations: (\d+) rows, (\d+) pass, (\d+) fail, (\d+) info", done.stdout)
        assert line, done.stdout
        rows, passed, failed, info = line.groups()
        driver.get((out / "index.html").as_uri())
        assert driver.title == f"mlcanon report — {rows} rows, {passed} pass, {failed} fail, {info} info"
        cells = driver.execute_script(
            "return [...document.querySelectorAll(\"tr[data-section='foundations'] td[data-k]\")]"
            ".map(td => [td.dataset.k, td.textContent])")
        assert cells[:4] == [["rows", rows], ["pass", passed], ["fail", failed], ["info", info]]
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
        images = driver.execute_script(
            "return [...document.images].map(i => [i.alt, i.complete, i.naturalWidth])")
        assert len(images) >= 2 and all(complete and width > 0 for _, complete, width in images), images
        missing = driver.execute_script(
            "return [...document.querySelectorAll(\"nav.toc a[href^='#']\")]"
            ".map(a => a.getAttribute('href').slice(1)).filter(id => !document.getElementById(id))")
        n_links = driver.execute_script("return document.querySelectorAll(\"nav.toc a[href^='#']\").length")
        assert missing == [] and n_links >= 7  # the section and its six topics
        # Chinese headings are drawn with a CJK font where one is installed (never a row of boxes)
        lang = driver.execute_script("return document.querySelector('h2 [lang=zh]').textContent")
        assert lang == "基础"
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(1280, min(height, 4000))
        shot = out / "screenshot.png"
        assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
        shutil.copy(shot, tmp_path / "screenshot-kept.png")
    finally:
        driver.quit()
