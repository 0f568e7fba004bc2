"""The prose-numbers check (tests/prose_numbers.py, issue 28) on tiny hand-made notebooks: a number the code computes
passes, "about 24 k parameters" that nothing computes fails naming its cell, a cited quote passes, and math, code,
headings, names and years are not read as numbers. The last test runs the check on executed copies of the lessons when
asked to (PROSE_NUMBERS_EXECUTED=<folder of executed notebooks>): .ci/run does, on the copies its full-mode step
executed (build/executed)."""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("prose_numbers", Path(__file__).with_name("prose_numbers.py"))
pn = sys.modules.setdefault("prose_numbers", importlib.util.module_from_spec(_spec))
if not hasattr(pn, "check_notebook"):
    _spec.loader.exec_module(pn)


def notebook(*cells) -> nbformat.NotebookNode:
    """Cells given as strings: '```' first marks a code cell (its source follows), anything else is markdown."""
    made = []
    for cell in cells:
        if isinstance(cell, str) and cell.startswith("```"):
            made.append(new_code_cell(cell[3:]))
        elif isinstance(cell, str):
            made.append(new_markdown_cell(cell))
        else:
            made.append(cell)
    return new_notebook(cells=made)


def executed_code(source: str, printed: str) -> nbformat.NotebookNode:
    return new_code_cell(source, outputs=[new_output("stream", name="stdout", text=printed)])


def texts(markdown: str) -> list[str]:
    return [number.text for number in pn.stated_numbers(markdown)]


def unbacked_texts(nb, **kwargs) -> list[str]:
    return [finding.number.text for finding in pn.unbacked(nb, **kwargs)]


# --- what counts as a stated number ----------------------------------------------------------------------------------

def test_numbers_are_read_with_separators_percent_multipliers_and_powers():
    assert texts("It saw 7,996 digits, 99 % of them right, 0.25 of the time, about 24 k parameters.") == \
        ["7,996", "99 %", "0.25", "24 k"]
    stated = {n.text: n for n in pn.stated_numbers("σ = 10⁻⁴ shrinks it to 5·10⁻⁴; 1.6 M multiply-adds; 24k; 6 billion words")}
    assert stated["10⁻⁴"].value == pytest.approx(1e-4) and stated["5·10⁻⁴"].value == pytest.approx(5e-4)
    assert stated["1.6 M"].value == pytest.approx(1.6e6) and stated["1.6 M"].tolerance == pytest.approx(0.05e6)
    assert stated["24k"].value == 24_000 and stated["6 billion"].value == 6e9
    assert stated["5·10⁻⁴"].tolerance == pytest.approx(0.5e-4)


def test_math_code_urls_comments_and_generated_spans_are_not_read():
    markdown = ("The size is $\\lfloor (W - 5)/2 \\rfloor + 17$ and `x.shape == (64, 128)`; see "
                "[the data](https://example.org/data/2048/v12) or https://arxiv.org/abs/1703.08581, the \"[10]\" it builds on, "
                "licensed CC BY-SA 4.0.\n"
                "<!-- a note: 4711 -->\n<!-- timing --><em>quick mode ≈ 25 s</em><!-- /timing -->\n"
                "```python\nn = 123\n```\nThen <code>314</code> and $$\\sum_{i=1}^{99} i$$.")
    assert texts(markdown) == []


def test_headings_list_numbers_and_references_are_numbering_not_numbers():
    markdown = ("# 04 — Inception-style factorization\n\n## 3.2 Why\n\n1. first\n2. second\n\n"
                "Read Section 4, Table 12 and Figures 3 and 14 of the paper; lesson 03b and exercise 12; issue 28; "
                "Python 3.11 with torch==2.13.0.")
    assert texts(markdown) == []


def test_a_number_inside_a_paragraph_that_starts_a_line_is_not_a_list_number():
    assert texts("conv1 (5, stride\n12) gives r = 15") == ["12", "15"]


def test_names_shapes_years_dates_and_single_digits_are_not_numbers():
    markdown = ("LeNet-5's C3 table, CIFAR-10, Inception-v3, word2vec, conv1, lesson 03b, a 1×1 or 3×3 or 28×28 or "
                "3x3 kernel, a 3×3×3×64 weight, 2-D points, 32-bit floats, float32, C² weights, k-means "
                "(Goodfellow et al., 2014), LeNet et al. 1998, Weiss et al. (2017), in 2013 Mikolov, measured "
                "on 2026-12-02; the digit 7, two 3×3 layers, 3 epochs.")
    assert texts(markdown) == []


def test_spaced_products_and_factors_are_read_number_by_number():
    assert texts("a T × 80 × 3 tensor, 5× fewer, 2x faster, 12×") == ["80", "5×", "2x", "12×"]
    assert texts("on 50 k-means clusters") == ["50"]


def test_a_range_is_two_numbers_and_a_sign_is_kept():
    assert texts("from 10–20 steps, a drop of −0.36") == ["10", "20", "−0.36"]


# --- backed by code ---------------------------------------------------------------------------------------------------

def test_a_number_the_code_asserts_passes():
    nb = notebook("The sample has 7,996 training digits.", "```assert len(x_train) == 7996")
    assert unbacked_texts(nb) == []


def test_about_24k_parameters_that_nothing_computes_fails_naming_the_cell_and_number():
    nb = notebook("```model = make_net()\nprint(count_parameters(model))",
                  "## The net\n\nA smaller net: about 24 k parameters instead of 1 M.")
    findings = pn.unbacked(nb)
    assert [(f.cell, f.number.text) for f in findings] == [(1, "24 k"), (1, "1 M")]
    message = pn.report(findings, "07_mnist_end_to_end.ipynb")
    assert "07_mnist_end_to_end.ipynb: cell 1: '24 k' is neither computed nor cited" in message
    assert "about [24 k] parameters" in message


def test_an_executed_output_backs_a_number_within_its_stated_precision():
    prose = "A smaller net: about 24 k parameters."
    printed = executed_code("print(f'{count_parameters(model):,}')", "24,118\n")
    assert unbacked_texts(notebook(printed, prose)) == []
    wrong = executed_code("print(f'{count_parameters(model):,}')", "25,018\n")
    assert unbacked_texts(notebook(wrong, prose)) == ["24 k"]
    # the executed copy may be a separate notebook (the committed one has no outputs)
    assert unbacked_texts(notebook("```print(count_parameters(model))", prose),
                          executed=[notebook(printed, prose)]) == []


def test_rounding_percent_and_fraction():
    code = "```saving = 1 - 18 / 25\nassert math.isclose(saving, 0.28)\naccuracy = 0.123"
    assert unbacked_texts(notebook(code, "28 % fewer weights; accuracy 0.1; 12 %; 12.3 %")) == []
    assert unbacked_texts(notebook(code, "accuracy 0.2; 13 %; 12.4 %")) == ["0.2", "13 %", "12.4 %"]
    printed = executed_code("print(f'{share:.1%}')", "share 28.4%\n")
    assert unbacked_texts(notebook(printed, "28 % of them; 0.28 of them")) == []


def test_an_approximate_round_number_is_precise_to_its_last_nonzero_digit():
    code = "```n_words = 29_871"
    assert unbacked_texts(notebook(code, "about 30,000 words")) == []
    assert unbacked_texts(notebook(code, "exactly 30,000 words")) == ["30,000"]


def test_values_computed_from_constants_back_a_number():
    code = "```C = 64\nweights = 25 * C**2\nshrink = 1e-4 * math.sqrt(3 * 3 * 3)"
    assert unbacked_texts(notebook(code, "A 5×5 layer has 102,400 weights; fan-in 27; a shrink of about 5·10⁻⁴.")) == []


def test_both_modes_of_full_or_quick_back_a_number_and_units_convert():
    code = "```per_class = full_or_quick(500, 100)\nframe = int(0.025 * sample_rate)"
    assert unbacked_texts(notebook(code, "500 images per class (100 in quick mode), 25 ms frames")) == []


def test_comments_and_strings_do_not_back_a_number():
    code = "```# about 24000 parameters\nprint('24000 parameters')"
    assert unbacked_texts(notebook(code, "about 24 k parameters")) == ["24 k"]


def test_a_sign_is_ignored_when_matching():
    assert unbacked_texts(notebook("```at_least('gain', gain, -0.36)", "a drop of 0.36")) == []


# --- quoted from a cited source ---------------------------------------------------------------------------------------

def test_a_citation_in_the_same_sentence_backs_a_quoted_number():
    assert unbacked_texts(notebook("The paper used 80 mel bands (Weiss et al., 2017).")) == []
    assert unbacked_texts(notebook("Weiss et al. (2017) used 80 mel bands.")) == []
    assert unbacked_texts(notebook("GoogLeNet's Table 1 lists 159K parameters (Szegedy et al. 2014, Table 1).")) == []
    assert unbacked_texts(notebook("The blog trained 250 epochs (the blog). Hours, on 12 GPUs (seed text).")) == []


def test_a_citation_in_another_sentence_does_not():
    assert unbacked_texts(notebook("The paper used 80 mel bands. We read it (Weiss et al., 2017).")) == ["80"]
    assert unbacked_texts(notebook("It has 80 bands (CIFAR-10, 2000 images).")) == ["80", "2000"]


def test_a_quotation_in_a_paragraph_with_its_citation_is_quoted():
    markdown = ('A speech paper (Weiss et al. 2017) says:\n*"We use 80 channel log mel filterbank features extracted '
                'from 25 ms windows."* A reader asked why.')
    assert unbacked_texts(notebook(markdown)) == []
    block = "The blog (the blog, section 2) puts it so:\n\n> train it for 250 epochs"
    assert unbacked_texts(notebook(block)) == []


def test_the_question_paragraph_quotes_the_seed_text():
    markdown = "**The question.** A learner's net sat at about 0.1 after 30 epochs.\n\nWe train for 12 epochs."
    assert unbacked_texts(notebook(markdown)) == ["12"]


def test_a_table_under_a_cited_lead_is_quoted_and_its_numbers_may_be_repeated():
    markdown = ("What the benchmark printed (recorded output of the script, not recomputed here):\n\n"
                "| recipe | recognisable % |\n|---|---|\n| plain | 41.3 |\n| better | 90.7 |\n\n"
                "The better recipe reached 90.7 %.")
    findings = pn.check_notebook(notebook(markdown, "Later: 41.3 % again, and 77.7 % from nowhere."))
    assert [f.number.text for f in findings if not f.backed] == ["77.7 %"]
    assert "repeats cell 0" in next(f.backing for f in findings if f.cell == 1 and f.number.text == "41.3 %")
    assert unbacked_texts(notebook("What we measured:\n\n| recipe | % |\n|---|---|\n| plain | 41.3 |")) == ["41.3"]


def test_window_counts_only_nearby_cells():
    nb = notebook("```x = 4711", "```pass", "```pass", "It is 4711.")
    assert unbacked_texts(nb) == [] and unbacked_texts(nb, window=1) == ["4711"]


# --- the lessons ------------------------------------------------------------------------------------------------------

LESSONS = sorted((ROOT / "notebooks").glob("[0-9A]*.ipynb"))


@pytest.mark.skipif(not os.environ.get("PROSE_NUMBERS_EXECUTED"),
                    reason="set PROSE_NUMBERS_EXECUTED to a folder of executed lessons (quick and/or full mode)")
@pytest.mark.parametrize("path", LESSONS, ids=[path.stem for path in LESSONS])
def test_every_number_in_a_lesson_is_computed_or_cited(path):
    folder = Path(os.environ["PROSE_NUMBERS_EXECUTED"])
    executed = [pn.read(copy) for copy in sorted(folder.rglob(f"{path.stem}.*ipynb"))]   # NAME.ipynb, NAME.full.ipynb
    assert executed, (f"no executed copy of {path.name} under {folder} (benchmarks/notebooks.py --save-executed "
                      f"{folder} writes {path.stem}.full.ipynb)")
    findings = pn.unbacked(pn.read(path), executed=executed)
    assert not findings, "\n" + pn.report(findings, path.name)


def test_numbers_in_a_question_or_an_exercise_statement_are_given_not_claimed():
    nb = notebook("1. What does a 40 dB floor do to a value 60 dB below the loudest?",
                  "| 04 | Why did my net sit at 10 % accuracy? |\n|---|---|",
                  "**Exercise 3.** On a 28×28 map with 192 channels, a 1×1 conv reduces to 96 channels. Compute it.",
                  "**q2.** Images arrive as `uint8` values from 0 to 255. Write `to_unit_range(images)`.",
                  "The floor sits 45 dB below the loudest value. Is that enough?")
    findings = pn.check_notebook(nb)
    backing = {f.number.text: f.backing for f in findings}
    assert backing["40"] == backing["60"] == "given: a question"
    assert backing["10 %"] == "given: a question"
    assert backing["192"] == backing["96"] == backing["255"] == "given: an exercise's statement"
    assert backing["45"] is None, "a statement followed by a question is still a statement"
    tasks = pn.check_notebook(notebook("## Questionnaire\n\n1. Compute the parameters of a 1×1 conv 512 → 128.\n\n"
                                       "## Further research\n\n- Keep 13 coefficients and compare."))
    assert {f.number.text: f.backing for f in tasks} == {
        "512": "given: a task of the questionnaire or further research",
        "128": "given: a task of the questionnaire or further research",
        "13": "given: a task of the questionnaire or further research"}
    assert unbacked_texts(notebook("## Results\n\nWe kept 13 coefficients.")) == ["13"]
