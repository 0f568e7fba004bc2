"""Check the built course website in a real browser: Chromium opens every page of ``site/`` served on 127.0.0.1.

    python tests/site/check_site.py [--site site]       # after python scripts/build_site.py; .ci/run runs both

Each page must load with no console error and no failed request; every image (figures included) must load with a
non-zero natural size; every math element must be rendered by MathJax and no raw ``$…$`` be left in the text; every
link within the site must resolve (the page, and the anchor when it names one); no page may show a traceback, a
"kernel connection required" placeholder or an empty widget or output. Every lesson of the README's table must have a
page with its question, and Binder, Colab and download links. Exits non-zero listing every problem, page by page.
Needs Debian's Chromium (/usr/bin/chromium, or LESSONS_CHROMIUM) and the Python package playwright (never
``playwright install``).
"""
from __future__ import annotations

import argparse
import functools
import importlib.util
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("LESSONS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PAGE_TIMEOUT_MS = 60_000
FORBIDDEN_TEXT = ["Traceback (most recent call last)", "kernel connection is required", "Loading widget",
                  "Error displaying widget", "Cannot show widget", "No module named"]

# run in the page once it has loaded: the facts the checks judge (MathJax typesets asynchronously: wait for it)
PAGE_FACTS_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const images = [...document.images];
  images.forEach(image => { image.loading = "eager"; });
  await Promise.all(images.map(image => image.decode().catch(() => null)));
  const main = document.querySelector("article") || document.body;
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT, {acceptNode: node =>
      node.parentElement.closest("pre, code, mjx-container, script, style, .highlight")
        ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  const prose = [];
  while (walker.nextNode()) prose.push(walker.currentNode.nodeValue);
  return {
    brokenImages: images.filter(image => !(image.complete && image.naturalWidth > 0 && image.naturalHeight > 0))
                        .map(image => image.getAttribute("src").slice(0, 80)),
    imageCount: images.length,
    mathCount: document.querySelectorAll(".math").length,
    unrenderedMath: [...document.querySelectorAll(".math")].filter(m => !m.querySelector("mjx-container"))
                        .map(m => m.textContent.slice(0, 60)),
    prose: prose.join(" "),
    outputs: [...document.querySelectorAll(".cell_output")].map(o => o.innerText).join("\\n"),
    links: [...document.querySelectorAll("a[href]")].map(a => ({href: a.href, text: a.textContent.trim(),
                                                                 download: a.hasAttribute("download")})),
    widgets: document.querySelectorAll(".jupyter-widgets, script[type*='widget-view'], .widget-area").length,
    emptyOutputs: [...document.querySelectorAll(".cell_output > .output")]
                      .filter(o => !o.innerText.trim() && !o.querySelector("img, svg, iframe, audio, video")).length,
    question: (document.querySelector(".lesson-question") || {}).textContent || "",
  };
}"""


def skip_reason() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"the site check needs Chromium at {CHROMIUM}: apt-get install -y chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the site check needs the Python package playwright: pip install -e '.[dev]' (no `playwright install`)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(site: Path):
    """``python -m http.server`` on 127.0.0.1 serving ``site``; yields its base URL, stops it at the end."""
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", str(site)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base, timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def lessons():
    """The README's lessons (scripts/build_site.py reads them)."""
    spec = importlib.util.spec_from_file_location("build_site", ROOT / "scripts" / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.course_order(module.read_lessons((ROOT / "README.md").read_text()))


@functools.lru_cache(maxsize=None)
def fetch(url: str) -> str | None:
    """The body of a page of the site, or None when it does not load."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return None


def broken_internal_links(links: list[dict], base: str) -> list[str]:
    """The links within the site whose page does not load, or whose anchor is not on that page."""
    broken = []
    for link in links:
        url, _, anchor = link["href"].partition("#")
        if not url.startswith(base):
            continue
        body = fetch(url)
        if body is None:
            broken.append(link["href"])
        elif anchor and url.endswith(".html") and f'id="{urllib.parse.unquote(anchor)}"' not in body:
            broken.append(link["href"])
    return broken


def lesson_link_problems(facts: dict, lesson) -> list[str]:
    """A lesson page shows its question and links to Binder, Colab and its notebook to download."""
    hrefs = [link["href"] for link in facts["links"]]
    problems = []
    if lesson.question.replace("'", "’") not in facts["question"].replace("'", "’"):    # MyST's smart quotes
        problems.append(f"the lesson's question is not under its title: {lesson.question!r}")
    if lesson.binder_url not in hrefs:
        problems.append(f"no Binder link ({lesson.binder_url})")
    if lesson.colab_url not in hrefs:
        problems.append(f"no Colab link ({lesson.colab_url})")
    if not any(link["download"] and link["href"].endswith("/" + lesson.notebook) for link in facts["links"]):
        problems.append(f"no download link to {lesson.notebook}")
    return problems


def page_problems(facts: dict, errors: list[str], base: str) -> list[str]:
    """Everything wrong with one page, from what the browser saw (``facts``) and the errors it reported."""
    problems = [f"console: {error}" for error in errors]
    problems += [f"image did not load: {src}" for src in facts["brokenImages"]]
    problems += [f"math not rendered: {text!r}" for text in facts["unrenderedMath"]]
    raw_math = re.findall(r"\$[^$\s][^$\n]{0,80}?\$", facts["prose"])
    problems += [f"raw math left in the text: {text!r}" for text in raw_math[:5]]
    problems += [f"internal link does not resolve: {href}" for href in broken_internal_links(facts["links"], base)]
    # outputs only: the prose may quote these messages (lesson 00 explains "Error displaying widget")
    problems += [f"an output shows {text!r}" for text in FORBIDDEN_TEXT if text in facts["outputs"]]
    if facts["widgets"]:
        problems.append(f"{facts['widgets']} live widget area(s): widgets must be static pictures on the site")
    if facts["emptyOutputs"]:
        problems.append(f"{facts['emptyOutputs']} empty output(s)")
    return problems


def check_page(browser, url: str, base: str) -> tuple[dict, list[str]]:
    """Open ``url`` in a fresh context; return what it shows and its problems."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on("requestfailed", lambda request: errors.append(f"request failed: {request.url}"))
    page.on("response", lambda response: errors.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400 else None)
    try:
        page.goto(url, wait_until="load")
        facts = page.evaluate(PAGE_FACTS_JS)
        page.wait_for_timeout(200)     # late console errors
    finally:
        context.close()
    return facts, page_problems(facts, errors, base)


def check_site(site: Path) -> dict[str, list[str]]:
    """{page: problems} for every page of ``site`` (and a line per lesson without a page)."""
    from playwright.sync_api import sync_playwright

    pages = sorted(p.name for p in site.glob("*.html"))
    by_page = {lesson.page + ".html": lesson for lesson in lessons()}
    found: dict[str, list[str]] = {name: ["the lesson has no page"] for name in by_page if name not in pages}
    with served(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for name in pages:
                facts, problems = check_page(browser, base + name, base)
                if name in by_page:
                    problems += lesson_link_problems(facts, by_page[name])
                found[name] = problems
                print(f"{name}: {len(facts['links'])} links, {facts['imageCount']} images, {facts['mathCount']} math "
                      f"— {'ok' if not problems else f'{len(problems)} problem(s)'}", flush=True)
        finally:
            browser.close()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").exists():
        print(f"no site in {args.site}: build it first with python scripts/build_site.py", file=sys.stderr)
        return 1
    reason = skip_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    started = time.perf_counter()
    found = check_site(args.site)
    bad = {page: problems for page, problems in found.items() if problems}
    print(f"checked {len(found)} pages in Chromium in {time.perf_counter() - started:.0f} s", flush=True)
    for page, problems in bad.items():
        print(f"\n{page}:\n" + "\n".join(f"  - {p}" for p in problems[:20]), file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
