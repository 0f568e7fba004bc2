"""Build the course website: every lesson with its full-mode outputs, figures and math, readable without running
anything. Sphinx + MyST-NB + sphinx-book-theme (the engine of Jupyter Book 1) turn executed notebooks into ``site/``.

    python scripts/build_site.py              # from the executed copies in build/executed (what .ci/run keeps)
    python scripts/build_site.py --execute    # run the lessons that have no executed copy yet (full mode), then build
    python -m http.server -d site 8000        # read it at http://127.0.0.1:8000

Steps: each lesson's executed copy (``build/executed/NAME.full.ipynb``, written by ``benchmarks/notebooks.py
--save-executed``; ``--execute`` makes the missing ones with the same runner) gets its question and its Binder, Colab
and download links under its title, and its widgets replaced by a static picture of their state with a line saying
what they do; the home page is the README's lessons table; MathJax is copied from the npm package ``mathjax`` into
the site (no CDN); then ``sphinx-build`` writes ``site/`` (``nb_execution_mode = "off"``: nothing runs twice).
The committed Sphinx files live in ``site_src/``; the filled-in copy is ``build/site_src/`` (git-ignored).
Needs ``pip install -e ".[site]"`` and ``npm`` (once, to fetch MathJax into ``build/npm``).
"""
from __future__ import annotations

import argparse
import base64
import copy
import html
import importlib.util
import io
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SITE_CONFIG = ROOT / "site_src"
SOURCE = ROOT / "build" / "site_src"
EXECUTED = ROOT / "build" / "executed"
SITE = ROOT / "site"
NPM_PREFIX = ROOT / "build" / "npm"
MATHJAX_VERSION = "3.2.2"
# what a page needs of the npm package: the script Sphinx loads, its fonts, the TeX extensions it loads on demand
MATHJAX_FILES = ["tex-mml-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions", "ui", "a11y"]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# what each interactive widget does, found by the call in the cell that displays it
WIDGET_DESCRIPTIONS = {
    "conv_explorer(": "The convolution explorer: sliders for the input size, channels, kernel, stride, padding and "
                      "number of filters give the output shape, the parameter count and a picture of the kernel "
                      "window sliding over the padded input.",
    "LayerInspector(": "The layer inspector: draw a digit on the pad and see what every layer of the network computes "
                       "from it; click a unit of a feature map to see which input pixels and maps feed it and how its "
                       "value is computed.",
    "DrawingPad(": "A drawing pad: draw a digit with the mouse; the notebook reads it as a 28×28 image.",
    "TicTacToeBoard(": "A tic-tac-toe board: click a cell and the lesson's trained agent answers, showing its search's "
                       "visit counts on the cells and its value estimate; the result when the game ends, and New game.",
}
DEFAULT_DESCRIPTION = "An interactive widget."


# ---------------------------------------------------------------------------------------------- the lessons
@dataclass(frozen=True)
class Lesson:
    """One row of the README's lessons table."""
    lesson_id: str      # '03b'
    title: str          # 'A voice it has never heard'
    notebook: str       # '03b_unseen_speakers.ipynb'
    question: str       # the question it answers
    binder_url: str
    colab_url: str

    @property
    def page(self) -> str:
        """The page's name in the site: the notebook's stem ('03b_unseen_speakers')."""
        return Path(self.notebook).stem


def lessons_table(readme: str) -> str:
    """The Markdown table between ``<!-- lessons-table -->`` and ``<!-- /lessons-table -->`` in the README."""
    match = re.search(r"<!-- lessons-table -->\n(.*?)<!-- /lessons-table -->", readme, re.S)
    if not match:
        raise ValueError("README.md has no <!-- lessons-table --> … <!-- /lessons-table --> block")
    return match.group(1).strip()


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def read_lessons(readme: str) -> list[Lesson]:
    """Every lesson of the README's table, in the table's order."""
    lessons = []
    for row in lessons_table(readme).splitlines()[2:]:
        lesson_id, notebook_link, question, *_, links = _cells(row)
        title, notebook = re.fullmatch(r"\[(.+)\]\(notebooks/(.+\.ipynb)\)", notebook_link).groups()
        binder, colab = (re.search(rf"\]\((https://{host}[^)]+)\)", links).group(1)
                         for host in (r"mybinder\.org/v2/gh/", r"colab\.research\.google\.com/github/"))
        lessons.append(Lesson(lesson_id, title, notebook, question, binder, colab))
    return lessons


def course_order(lessons: list[Lesson], notebooks: Path = ROOT / "notebooks") -> list[Lesson]:
    """The lessons in course order (the notebooks' names sorted: 00 … 03, 03b, 04 … 08, A1); every notebook in
    ``notebooks`` must have a row in the README's table."""
    by_name = {lesson.notebook: lesson for lesson in lessons}
    names = sorted(p.name for p in notebooks.glob("*.ipynb") if not p.name.startswith(("_", ".")))
    missing = [name for name in names if name not in by_name]
    if missing:
        raise ValueError(f"notebooks without a row in README.md's lessons table: {missing}")
    return [by_name[name] for name in names]


# ------------------------------------------------------------------------------------------- the home page
def home_page(readme: str, lessons: list[Lesson]) -> str:
    """The site's index.md: the README's title and opening paragraph, its lessons table (links to the lesson pages,
    badges as plain links: the site loads no image from elsewhere) and the table of contents in course order."""
    title, opening = readme.split("\n\n")[:2]
    table = lessons_table(readme).replace("](notebooks/", "](")
    table = re.sub(r"\[!\[(\w+)\]\([^)]*\)\]\(([^)]*)\)", r"[\1](\2)", table)
    toctree = "\n".join(lesson.page for lesson in lessons)
    return (f"{title}\n\n{opening}\n\n## The lessons\n\n{table}\n\n"
            "Every page shows the lesson as it runs in full mode (the default), executed once by the course's CI; "
            "run it yourself on Binder or Colab, or download the notebook.\n\n"
            f"```{{toctree}}\n:hidden:\n:maxdepth: 1\n:caption: Lessons\n\n{toctree}\n```\n")


def lesson_header(lesson: Lesson) -> str:
    """The Markdown cell under a lesson's title: its question, and where to run or download it."""
    return (f"{{.lesson-question}}\n*{lesson.question}*\n\n"
            f"{{.lesson-links}}\n[Run it on Binder]({lesson.binder_url}) · [Open it in Colab]({lesson.colab_url}) · "
            f"{{download}}`Download the notebook (.ipynb) <download/{lesson.notebook}>`\n")


# --------------------------------------------------------------------------------------- widgets made static
def widget_models(nb) -> dict:
    """{model id: {"model_name", "state", "buffers"?}} from the widget state saved in the notebook's metadata."""
    return nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def _buffer(model: dict, name: str) -> bytes:
    for buffer in model.get("buffers", []):
        if buffer["path"] == [name]:
            return base64.b64decode(buffer["data"])
    value = model["state"].get(name)
    return base64.b64decode(value) if isinstance(value, str) else b""


def _children(model: dict, models: dict) -> list[dict]:
    ids = [child.removeprefix("IPY_MODEL_") for child in model["state"].get("children", [])]
    return [models[i] for i in ids if i in models]


def _png(image, cmap: str = "gray") -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    plt.imsave(buffer, image, cmap=cmap, format="png")
    return base64.b64encode(buffer.getvalue()).decode()


def _picture(png_base64: str) -> dict:
    return {"output_type": "display_data", "metadata": {}, "data": {"image/png": png_base64}}


def _html(html: str) -> dict:
    return {"output_type": "display_data", "metadata": {}, "data": {"text/html": html}}


def _text(text: str) -> dict:
    return {"output_type": "display_data", "metadata": {}, "data": {"text/plain": text}}


def drawing_pad_picture(model: dict) -> list[dict]:
    """The pad's drawing (``pixels``: resolution² bytes) as a picture; nothing when it is empty."""
    import numpy as np

    pixels = np.frombuffer(_buffer(model, "pixels"), np.uint8)
    side = int(model["state"].get("resolution", 0))
    if not pixels.any() or pixels.size != side * side:
        return []
    return [_picture(_png(pixels.reshape(side, side)))]


def tictactoe_board_html(model: dict) -> list[dict]:
    """``TicTacToeBoard``'s board (``board``: 9 cells, 1 X, -1 O) as an HTML table, each cell with its search visits,
    and its message under it."""
    state = model["state"]
    board, visits = state.get("board", []), state.get("visits", [0] * 9)
    if len(board) != 9:
        return []
    cell = ('<td style="width:2.2em;height:2.2em;border:1px solid #888;text-align:center;font-size:1.4em">{}'
            '<sub style="font-size:0.5em;color:#666">{}</sub></td>')
    rows = ["<tr>" + "".join(cell.format({1: "X", -1: "O"}.get(board[i], ""), f"{visits[i]:g}" if visits[i] else "")
                             for i in range(row, row + 3)) + "</tr>" for row in (0, 3, 6)]
    message = html.escape(state.get("message", ""))
    return [_html(f'<table style="border-collapse:collapse">{"".join(rows)}</table><p>{message}</p>')]


def _strip(layer: dict, data):
    """One layer of ``FeatureMapStrips`` as a 2-D array of codes 0…255: its maps side by side (a dark column between
    them), or its units in rows of ``width``."""
    import numpy as np

    count, height, width = layer["channels"], layer["height"], layer["width"]
    if layer["kind"] == "maps":
        maps = data[layer["offset"]: layer["offset"] + count * height * width].reshape(count, height, width)
        return np.concatenate([np.pad(m, ((0, 0), (0, 1))) for m in maps], axis=1)
    units = data[layer["offset"]: layer["offset"] + count]
    return np.pad(units, (0, height * width - count)).reshape(height, width)


def feature_map_strips_picture(model: dict) -> list[dict]:
    """``FeatureMapStrips``' maps (``layers`` + ``data``, see lessons_lib/widgets/layer_inspector.py) as one picture:
    a row per layer, its channels side by side in viridis, labelled as in the widget."""
    import matplotlib.pyplot as plt
    import numpy as np

    data = np.frombuffer(_buffer(model, "data"), np.uint8)
    layers = model["state"].get("layers", [])
    if not layers or not data.size:
        return []
    figure, axes = plt.subplots(len(layers), 1, figsize=(10, 0.9 * len(layers)), squeeze=False)
    for ax, layer in zip(axes[:, 0], layers):
        ax.imshow(_strip(layer, data), cmap="viridis", vmin=0, vmax=255, interpolation="nearest")
        ax.set_title(f"{layer['label']}  ({layer['vmin']} … {layer['vmax']})", fontsize=8, loc="left")
        ax.axis("off")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    return [_picture(base64.b64encode(buffer.getvalue()).decode())]


def _control_line(model: dict) -> str | None:
    state = model["state"]
    if "_options_labels" in state and state.get("index") is not None:
        return f"{state.get('description', '')}: {state['_options_labels'][state['index']]}"
    if model["model_name"].endswith("SliderModel"):
        return f"{state.get('description', '')} = {state.get('value')}"
    return None


def widget_snapshot(model: dict, models: dict) -> list[dict]:
    """A widget's state as plain outputs, depth first: pictures (Output widgets' figures, Image widgets, a drawing
    pad, feature-map strips), HTML widgets' text, and one line with the sliders' and menus' values."""
    name, state = model["model_name"], model["state"]
    if name in ("HBoxModel", "VBoxModel", "BoxModel", "GridBoxModel"):
        children = _children(model, models)
        controls = [line for line in map(_control_line, children) if line]
        outputs = [_text(" · ".join(controls))] if controls else []
        for child in children:
            outputs += widget_snapshot(child, models)
        return outputs
    if name == "OutputModel":
        return [dict(output) for output in state.get("outputs", [])]
    if name == "HTMLModel" and state.get("value"):
        return [_html(state["value"])]
    if name == "ImageModel" and _buffer(model, "value"):
        return [_picture(base64.b64encode(_buffer(model, "value")).decode())]
    fields = set(state) | {buffer["path"][0] for buffer in model.get("buffers", [])}
    if {"pixels", "resolution"} <= fields:            # lessons_lib.widgets.DrawingPad
        return drawing_pad_picture(model)
    if {"layers", "data"} <= fields:                  # lessons_lib.widgets.FeatureMapStrips
        return feature_map_strips_picture(model)
    if {"board", "visits", "outcome"} <= fields:     # lessons_lib.widgets.TicTacToeBoard
        return tictactoe_board_html(model)
    return []


def progress_bar_line(model: dict, models: dict) -> str | None:
    """A tqdm bar (an HBox of HTML, FloatProgress, HTML) as the line it ends on, e.g. 'training: 100% 469/469 …'."""
    children = _children(model, models)
    if not any(child["model_name"] == "FloatProgressModel" for child in children):
        return None
    texts = [html.unescape(re.sub(r"<[^>]+>", "", child["state"].get("value", ""))).strip()
             for child in children if child["model_name"] == "HTMLModel"]
    return " ".join(" ".join(texts).split())        # tqdm pads with figure spaces


def widget_note(cell_source: str, binder_url: str) -> dict:
    """The line under a widget's picture: what it does, and where to run it."""
    description = next((text for call, text in WIDGET_DESCRIPTIONS.items() if call in cell_source),
                       DEFAULT_DESCRIPTION)
    return {"output_type": "display_data", "metadata": {}, "data": {"text/markdown": (
        f"*{description} Interactive in JupyterLab: [run it on Binder]({binder_url}). "
        "Here, a picture of its state after the notebook ran.*")}}


def static_widget_outputs(nb, binder_url: str):
    """A copy of the executed notebook ``nb`` whose widget outputs are static: progress bars become their last line,
    other widgets a picture of their state and a note (``widget_note``); no output needs a kernel any more. Streams
    that print only blank lines are dropped."""
    import nbformat

    nb = copy.deepcopy(nb)
    models = widget_models(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if output.get("output_type") == "stream" and not output.get("text", "").strip():
                continue                                # a bare newline (Keras's progress) would be an empty box
            if view is None:
                outputs.append(output)
                continue
            model = models.get(view["model_id"])
            line = progress_bar_line(model, models) if model else None
            if line is not None:
                outputs.append(_text(line))
            else:
                outputs += (widget_snapshot(model, models) if model else []) + [widget_note(cell.source, binder_url)]
        cell.outputs = [nbformat.from_dict(output) for output in outputs]
    nb.metadata.pop("widgets", None)
    return nb


# ------------------------------------------------------------------------------------------ the source tree
def page_notebook(executed: Path, lesson: Lesson):
    """The notebook a lesson's page is built from: the executed copy, widgets made static, and its question and
    links under its title (the first line of the first cell)."""
    import nbformat

    nb = static_widget_outputs(nbformat.read(executed, as_version=4), lesson.binder_url)
    title, _, rest = nb.cells[0].source.partition("\n")
    nb.cells[0].source = f"{title}\n\n{lesson_header(lesson)}\n{without_timing_markers(rest)}"
    return nb


def without_timing_markers(markdown: str) -> str:
    """The timing line without its ``<!-- timing -->`` markers: a line that starts with an HTML comment is raw HTML
    to MyST, which would show its Markdown unrendered."""
    return re.sub(r"<!-- /?timing -->", "", markdown)


def vendor_mathjax(static: Path) -> None:
    """Copy MathJax (npm package ``mathjax``, fetched once into build/npm) into the site's ``_static/mathjax``."""
    package = NPM_PREFIX / "node_modules" / "mathjax"
    if not (package / "package.json").exists() or f'"version": "{MATHJAX_VERSION}"' not in (
            package / "package.json").read_text():
        subprocess.run(["npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(NPM_PREFIX),
                        f"mathjax@{MATHJAX_VERSION}"], check=True)
    for name in MATHJAX_FILES:
        source, target = package / "es5" / name, static / "mathjax" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, target)


def executed_copy(lesson: Lesson, executed: Path, mode: str) -> Path:
    return executed / f"{lesson.page}.{mode}.ipynb"


def execute_missing(lessons: list[Lesson], executed: Path, mode: str) -> None:
    """Run, in ``mode``, every lesson without an executed copy, with the benchmark's runner (the one .ci/run uses)."""
    spec = importlib.util.spec_from_file_location("benchmark_notebooks", ROOT / "benchmarks" / "notebooks.py")
    runner = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = runner
    spec.loader.exec_module(runner)
    for lesson in lessons:
        if not executed_copy(lesson, executed, mode).exists():
            print(f"executing {lesson.notebook} in {mode} mode …", flush=True)
            run = runner.run_notebook(ROOT / "notebooks" / lesson.notebook, mode, save_executed=executed)
            if run["status"] != "ok":
                raise SystemExit(f"{lesson.notebook} failed in {mode} mode: {run['error']}")


def write_source(lessons: list[Lesson], executed: Path, mode: str) -> None:
    """Fill build/site_src: the committed Sphinx files, the home page, one page per lesson, the downloads, MathJax."""
    import nbformat

    missing = [lesson.notebook for lesson in lessons if not executed_copy(lesson, executed, mode).exists()]
    if missing:
        raise SystemExit(f"no executed copy ({mode} mode) in {executed} of: {', '.join(missing)}; run .ci/run's "
                         "full-mode step with --save-executed build/executed, or add --execute")
    shutil.rmtree(SOURCE, ignore_errors=True)
    shutil.copytree(SITE_CONFIG, SOURCE)
    (SOURCE / "index.md").write_text(home_page(README.read_text(), lessons))
    (SOURCE / "download").mkdir()
    for lesson in lessons:
        nbformat.write(page_notebook(executed_copy(lesson, executed, mode), lesson), SOURCE / lesson.notebook)
        shutil.copy2(ROOT / "notebooks" / lesson.notebook, SOURCE / "download" / lesson.notebook)
    vendor_mathjax(SOURCE / "_static")


def sphinx_build(output: Path, jobs: str = "auto") -> None:
    """sphinx-build build/site_src into ``output``, failing on any warning. It builds in build/sphinx (MyST-NB writes
    its ``jupyter_execute`` folder next to Sphinx's output folder), then moves the HTML to ``output``."""
    work = ROOT / "build" / "sphinx"
    shutil.rmtree(work, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-j", jobs, "-W", "--keep-going",
                    "-d", str(work / "doctrees"), str(SOURCE), str(work / "html")], check=True)
    shutil.rmtree(output, ignore_errors=True)
    shutil.move(work / "html", output)


def folder_megabytes(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executed", type=Path, default=EXECUTED, help="the executed notebooks, NAME.MODE.ipynb")
    parser.add_argument("--execute", action="store_true", help="run the lessons that have no executed copy first")
    parser.add_argument("--mode", choices=["full", "quick"], default="full",
                        help="which executed copies to show (quick: for trying the build out; the site shows full)")
    parser.add_argument("--output", type=Path, default=SITE)
    args = parser.parse_args(argv)
    lessons = course_order(read_lessons(README.read_text()))
    if args.execute:
        execute_missing(lessons, args.executed, args.mode)
    started = time.perf_counter()
    write_source(lessons, args.executed, args.mode)
    sphinx_build(args.output)
    print(f"site: {args.output} ({len(lessons)} lessons, {folder_megabytes(args.output):.1f} MB) built in "
          f"{time.perf_counter() - started:.0f} s from the {args.mode}-mode copies in {args.executed}; "
          f"serve it with: python -m http.server -d {args.output}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
