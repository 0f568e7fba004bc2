"""The course website's build (scripts/build_site.py), piece by piece on tiny notebooks: the lessons in course order
with their questions and links from the README's table, the home page, the header under each lesson's title, and
widget outputs made static. The built site itself is checked in Chromium by tests/site/check_site.py (.ci/run)."""
from __future__ import annotations

import base64
import importlib.util
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def load_build_site():
    spec = importlib.util.spec_from_file_location("build_site", ROOT / "scripts" / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


site = load_build_site()
LESSONS = site.course_order(site.read_lessons(README))
BINDER = "https://mybinder.org/v2/gh/o/r/main?urlpath=lab/tree/notebooks/x.ipynb"


# ------------------------------------------------------------------------------------------------ the lessons
def test_every_notebook_is_a_lesson_in_course_order_with_its_question():
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert [lesson.notebook for lesson in LESSONS] == notebooks
    ids = [lesson.lesson_id for lesson in LESSONS]
    assert ids[0] == "00" and ids.index("03") + 1 == ids.index("03b") == ids.index("04") - 1 and ids[-1] == "A1"
    lesson = LESSONS[ids.index("02")]
    assert (lesson.title, lesson.page) == ("1×1 convolution", "02_one_by_one_convolution")
    assert lesson.question == "Why is a 1×1 convolution the same as a fully-connected layer?"
    assert all("?" in lesson.question for lesson in LESSONS)


def test_each_lesson_links_binder_and_colab_as_the_readme_does():
    for lesson in LESSONS:
        assert lesson.binder_url.startswith("https://mybinder.org/v2/gh/")
        assert lesson.binder_url.endswith(f"?urlpath=lab/tree/notebooks/{lesson.notebook}")
        assert lesson.colab_url.startswith("https://colab.research.google.com/github/")
        assert lesson.colab_url.endswith(f"/blob/main/notebooks/{lesson.notebook}")


def test_a_notebook_missing_from_the_readme_table_is_an_error(tmp_path):
    for lesson in LESSONS:
        (tmp_path / lesson.notebook).write_text("{}")
    (tmp_path / "09_new_lesson.ipynb").write_text("{}")
    with pytest.raises(ValueError, match="09_new_lesson.ipynb"):
        site.course_order(LESSONS, tmp_path)


def test_the_home_page_is_the_readme_table_linking_the_pages_with_a_toc_in_course_order():
    page = site.home_page(README, LESSONS)
    assert page.startswith("# Layer by Layer\n\n**Executable deep-learning lessons")
    assert "[Filters have depth](01_filter_depth.ipynb)" in page and "](notebooks/" not in page
    assert "badge" not in page, "the site loads no image from elsewhere: badges become plain links"
    assert f"[Binder]({LESSONS[1].binder_url})" in page and f"[Colab]({LESSONS[1].colab_url})" in page
    toctree = page.split("```{toctree}")[1].split("```")[0]
    assert [line for line in toctree.splitlines() if line and not line.startswith(":")] == \
        [lesson.page for lesson in LESSONS]


def test_a_lesson_page_has_its_question_and_three_links_under_the_title_and_no_timing_markers(tmp_path):
    lesson = LESSONS[1]
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 01 · Filters have depth\n\n<!-- timing -->*Running time: ≈ 1 min*"
                                      "<!-- /timing -->\n\n**The question.** Why?"),
        nbformat.v4.new_code_cell("1 + 1")])
    nbformat.write(nb, tmp_path / "executed.ipynb")
    first = site.page_notebook(tmp_path / "executed.ipynb", lesson).cells[0].source
    title, header = first.split("\n\n")[:2]
    assert title == "# 01 · Filters have depth" and header == f"{{.lesson-question}}\n*{lesson.question}*"
    assert f"[Run it on Binder]({lesson.binder_url})" in first and f"[Open it in Colab]({lesson.colab_url})" in first
    assert f"{{download}}`Download the notebook (.ipynb) <download/{lesson.notebook}>`" in first
    assert "<!--" not in first and "*Running time: ≈ 1 min*" in first


# ----------------------------------------------------------------------------------------------------- widgets
def model(name: str, module: str = "@jupyter-widgets/controls", **state) -> dict:
    return {"model_name": name, "model_module": module, "state": dict(state, _model_name=name)}


def widget_output(model_id: str, text: str = "VBox(...)") -> dict:
    return nbformat.v4.new_output("display_data", data={
        site.WIDGET_VIEW: {"model_id": model_id, "version_major": 2, "version_minor": 0}, "text/plain": text})


def notebook_with_widgets() -> nbformat.NotebookNode:
    figure = nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
    pixels = np.zeros((4, 4), np.uint8)
    pixels[1:3, 1:3] = 255
    models = {
        "explorer": model("VBoxModel", children=["IPY_MODEL_slider", "IPY_MODEL_table", "IPY_MODEL_picture"]),
        "slider": model("IntSliderModel", description="kernel", value=3),
        "table": model("HTMLModel", value="<table><tr><td>parameters</td></tr></table>"),
        "picture": model("OutputModel", "@jupyter-widgets/output", outputs=[figure]),
        "bar": model("HBoxModel", children=["IPY_MODEL_left", "IPY_MODEL_progress", "IPY_MODEL_right"]),
        "left": model("HTMLModel", value="training: 100%"),
        "progress": model("FloatProgressModel", value=157, max=157),
        "right": model("HTMLModel", value="&nbsp;157/157 [00:01&lt;00:00]"),
        "pad": {**model("AnyModel", "anywidget", resolution=4, strokes=1),
                "buffers": [{"path": ["pixels"], "encoding": "base64",
                             "data": base64.b64encode(pixels.tobytes()).decode()}]},
    }
    cells = [nbformat.v4.new_code_cell("conv_explorer(size=7)", outputs=[widget_output("explorer")]),
             nbformat.v4.new_code_cell("fit(model)", outputs=[widget_output("bar", "training:   0%|"),
                                                               nbformat.v4.new_output("stream", text="done\n"),
                                                               nbformat.v4.new_output("stream", text="\n")]),
             nbformat.v4.new_code_cell("pad = DrawingPad()\npad", outputs=[widget_output("pad")]),
             nbformat.v4.new_code_cell("something_else()", outputs=[widget_output("gone")])]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["widgets"] = {site.WIDGET_STATE: {"state": models, "version_major": 2, "version_minor": 0}}
    return nb


def kinds(outputs) -> list[str]:
    return [next(iter(o["data"])) if o["output_type"] == "display_data" else o["output_type"] for o in outputs]


def test_widgets_become_a_static_picture_of_their_state_with_a_line_saying_what_they_do():
    nb = site.static_widget_outputs(notebook_with_widgets(), BINDER)
    explorer, bar, pad, unknown = (cell.outputs for cell in nb.cells)
    assert kinds(explorer) == ["text/plain", "text/html", "image/png", "text/markdown"]
    assert explorer[0]["data"]["text/plain"] == "kernel = 3" and "parameters" in explorer[1]["data"]["text/html"]
    note = explorer[-1]["data"]["text/markdown"]
    assert note.startswith("*The convolution explorer: sliders") and f"[run it on Binder]({BINDER})" in note
    assert [o["data"]["text/plain"] for o in bar if o["output_type"] == "display_data"] == \
        ["training: 100% 157/157 [00:01<00:00]"] and kinds(bar) == ["text/plain", "stream"]
    assert kinds(pad) == ["image/png", "text/markdown"] and "A drawing pad" in pad[1]["data"]["text/markdown"]
    assert kinds(unknown) == ["text/markdown"] and site.DEFAULT_DESCRIPTION in unknown[0]["data"]["text/markdown"]
    assert "widgets" not in nb.metadata
    nbformat.validate(nb)


def test_an_empty_drawing_pad_leaves_only_its_line():
    nb = notebook_with_widgets()
    nb.metadata["widgets"][site.WIDGET_STATE]["state"]["pad"]["buffers"][0]["data"] = base64.b64encode(
        bytes(16)).decode()
    assert kinds(site.static_widget_outputs(nb, BINDER).cells[2].outputs) == ["text/markdown"]


def test_the_tictactoe_board_becomes_a_table_of_its_marks_and_visits_with_its_line():
    board = model("AnyModel", "anywidget", board=[1, 0, 0, 0, -1, 0, 0, 0, 0], visits=[0, 3, 0, 0, 40, 0, 0, 5, 2],
                  value=0.1, outcome="", message="The agent played row 2, column 2 <its visits>. Your move.")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("game = TicTacToeBoard(agent_move, result)\ngame",
                                                                   outputs=[widget_output("board")])])
    nb.metadata["widgets"] = {site.WIDGET_STATE: {"state": {"board": board}, "version_major": 2, "version_minor": 0}}
    outputs = site.static_widget_outputs(nb, BINDER).cells[0].outputs
    assert kinds(outputs) == ["text/html", "text/markdown"]
    table = outputs[0]["data"]["text/html"]
    assert table.count("<td") == 9 and ">X<sub" in table and ">O<sub" in table and ">40</sub>" in table
    assert "&lt;its visits&gt;" in table and "tic-tac-toe board" in outputs[1]["data"]["text/markdown"]


@pytest.mark.expected_seconds(20)
def test_the_real_widgets_saved_by_the_benchmark_runner_become_pictures(tmp_path):
    """The conv explorer and a tqdm bar, executed by benchmarks/notebooks.py's runner (what .ci/run keeps)."""
    spec = importlib.util.spec_from_file_location("benchmark_notebooks_for_site", ROOT / "benchmarks" / "notebooks.py")
    runner = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = runner
    spec.loader.exec_module(runner)
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from lessons_lib.widgets import conv_explorer\nconv_explorer(size=5, kernel=3)"),
        nbformat.v4.new_code_cell("from tqdm.auto import tqdm\nfor _ in tqdm(range(3), desc='training'): pass")])
    nbformat.write(nb, tmp_path / "tiny.ipynb")
    run = runner.run_notebook(tmp_path / "tiny.ipynb", "quick", save_executed=tmp_path / "executed")
    assert run["status"] == "ok", run["error"]
    executed = nbformat.read(tmp_path / "executed" / "tiny.quick.ipynb", as_version=4)
    explorer, bar = (cell.outputs for cell in site.static_widget_outputs(executed, BINDER).cells)
    assert "image/png" in kinds(explorer) and "input size = 5" in explorer[0]["data"]["text/plain"]
    assert any("training: 100%" in o["data"].get("text/plain", "") for o in bar if "data" in o)
    assert site.WIDGET_VIEW not in str([explorer, bar])


def test_the_committed_sphinx_configuration_serves_mathjax_itself_and_executes_nothing():
    conf = (ROOT / "site_src" / "conf.py").read_text()
    assert 'nb_execution_mode = "off"' in conf
    assert 'mathjax_path = "mathjax/tex-mml-chtml.js"' in conf and "http" not in conf.split("mathjax_path")[1][:40]
    assert "tex-mml-chtml.js" in site.MATHJAX_FILES


# --------------------------------------------------------------------------- the browser check's judgement
def load_site_check():
    spec = importlib.util.spec_from_file_location("check_site", ROOT / "tests" / "site" / "check_site.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def page_facts(**changes) -> dict:
    lesson = LESSONS[1]
    links = [{"href": lesson.binder_url, "text": "Run it on Binder", "download": False},
             {"href": lesson.colab_url, "text": "Open it in Colab", "download": False},
             {"href": f"http://127.0.0.1:1/_downloads/abc/{lesson.notebook}", "text": "Download", "download": True}]
    facts = {"brokenImages": [], "unrenderedMath": [], "prose": "the size ⌊(W − K + 2P)/S⌋ + 1", "outputs": "fine",
             "links": links, "widgets": 0, "emptyOutputs": 0, "question": lesson.question.replace("'", "’")}
    return dict(facts, **changes)


def test_the_site_check_passes_a_good_lesson_page_and_names_each_problem_of_a_bad_one():
    check, lesson = load_site_check(), LESSONS[1]
    assert check.page_problems(page_facts(), [], "http://site.invalid/") == []
    assert check.lesson_link_problems(page_facts(), lesson) == []
    bad = page_facts(brokenImages=["_images/a.png"], unrenderedMath=["\\(x\\)"], prose="costs $x + 1$ here",
                     outputs="Traceback (most recent call last)", widgets=1, emptyOutputs=2, links=[], question="")
    problems = check.page_problems(bad, ["console: boom"], "http://site.invalid/")
    for words in ["console: boom", "image did not load", "math not rendered", "raw math", "Traceback",
                  "live widget", "2 empty output"]:
        assert any(words in problem for problem in problems), words
    assert len(check.lesson_link_problems(bad, lesson)) == 4     # question, Binder, Colab, download


def test_the_site_check_lets_the_prose_quote_an_error_message_but_not_an_output_show_one():
    check = load_site_check()
    quoted = page_facts(prose="JupyterLab shows *Error displaying widget* after a restart")
    assert check.page_problems(quoted, [], "http://site.invalid/") == []
    shown = page_facts(outputs="Error displaying widget: model not found")
    assert check.page_problems(shown, [], "http://site.invalid/") == ["an output shows 'Error displaying widget'"]


def test_the_script_the_site_check_runs_in_each_page_is_valid_javascript():
    """The site check sends PAGE_FACTS_JS to Chromium; a Python escape such as a bare "\\n" turns into a line break
    inside a JavaScript string and the whole check dies with a SyntaxError, so parse it here with Node."""
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("parsing the page script needs Node.js (node)")
    script = load_site_check().PAGE_FACTS_JS
    result = subprocess.run([node, "-e", "new Function('return (' + require('fs').readFileSync(0, 'utf8') + ')')"],
                            input=script, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
