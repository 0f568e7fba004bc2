"""The lesson-06 exercises beyond the contract every lesson keeps (tests/test_exercises_all_lessons.py runs each
solution, blank and declared mistake): binding, and the known wrong answers that are not declared as mistakes."""

import re
import textwrap

import numpy as np
import torch

from lessons_lib.exercises.lesson06 import (DiscriminatorLoss, GeneratorParameters, MinimaxGradient,
                                            ModesMissing, bind)


def test_bind_creates_q1_to_q4_and_checking_leaves_random_state_alone():
    namespace = {}
    assert [q.label for q in bind(namespace)] == ["q1", "q2", "q3", "q4"]
    namespace["discriminator_loss"] = namespace["q1"].solution_value()
    torch.manual_seed(5)
    expected = torch.rand(2)
    torch.manual_seed(5)
    assert namespace["q1"].check().passed
    assert torch.equal(torch.rand(2), expected)


def test_discriminator_loss_other_mistakes():
    q = DiscriminatorLoss()
    q.assert_check_failed(3, "should be a function")
    q.assert_check_failed(lambda D, real, fake: 0.5, "scalar tensor")
    q.assert_check_failed(lambda D, real, fake: torch.tensor(1.0), "expected")

    def no_grad_loss(D, real, fake):
        with torch.no_grad():
            return q.solution_value()(D, real, fake)

    q.assert_check_failed(no_grad_loss, "no gradient")


def test_discriminator_loss_needs_D_gradient_from_the_fake_term_whatever_the_values():
    """`D(fake).detach()` and a fake pass under no_grad give the right value: only D's gradients tell them apart."""
    q = DiscriminatorLoss()
    bce = torch.nn.functional.binary_cross_entropy_with_logits

    def detached_scores_averaged(D, real, fake):        # the halved loss is accepted: its gradient is checked halved
        r, f = D(real), D(fake).detach()
        return (bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))) / 2

    def fake_pass_without_grad(D, real, fake):
        with torch.no_grad():
            f = D(fake.detach())
        r = D(real)
        return bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))

    def real_term_doubled_fake_term_dropped(D, real, fake):   # right value on no case: the generic message
        r = D(real)
        return 2 * bce(r, torch.ones_like(r))

    q.assert_check_failed(detached_scores_averaged, "D(fake).detach()")
    q.assert_check_failed(fake_pass_without_grad, "torch.no_grad()")
    q.assert_check_failed(real_term_doubled_fake_term_dropped, "expected")
    q.assert_check_passed(lambda D, real, fake: q.solution_value()(D, real, fake) / 2)


def test_number_questions_reject_other_wrong_answers():
    MinimaxGradient().assert_check_failed(-0.01 * 0.99, "divide")
    MinimaxGradient().assert_check_failed(-0.5, "hint")
    GeneratorParameters().assert_check_failed(240_320, "bias")
    GeneratorParameters().assert_check_failed("240321", "should be a number")
    assert GeneratorParameters().expected() == 240_321


def test_modes_missing_other_mistakes():
    q = ModesMissing()
    q.assert_check_failed(lambda counts, min_share=0.05: 7, "list of digits")
    q.assert_check_failed(lambda counts, min_share=0.05: [1], "expected")
    assert q.solution_value()(np.array([0, 5, 995]), 0.01) == [0, 1]


def test_modes_missing_is_checked_with_several_min_shares():
    q = ModesMissing()
    assert len({min_share for (_, min_share), _ in q.cases()}) >= 2
    q.assert_check_failed(lambda counts, min_share=0.05: modes_missing_at(counts, 0.05), "ignores its `min_share`")
    q.assert_check_failed(lambda counts, min_share=0.05: modes_missing_at(counts, 0.01), "expected")
    q.assert_check_passed(lambda counts, min_share=0.05: modes_missing_at(counts, min_share))


def modes_missing_at(counts, threshold):
    return [int(d) for d in np.flatnonzero(counts / counts.sum() < threshold)]


def test_generator_parameters_asks_about_the_notebooks_own_width():
    """Quick mode's notebook builds a width-16 G (111,969 parameters) while q3 asked for width 32 (240,321)."""
    from lessons_lib.conv import count_parameters
    from lessons_lib.gan import DCGANGenerator

    quick, full = GeneratorParameters({"z_dim": 64, "width": 16}), GeneratorParameters({"z_dim": 64, "width": 32})
    assert quick.expected() == count_parameters(DCGANGenerator(z_dim=64, width=16)) == 111_969
    assert full.expected() == GeneratorParameters().expected() == 240_321
    assert "width=16" in quick.prompt and "width=32" in full.prompt
    quick.assert_check_passed(111_969)
    quick.assert_check_failed(240_321, "count for width=32")
    full.assert_check_failed(111_969, "count for width=16")
    quick.assert_check_failed(64 * 1568 + 32 * 16 * 16 + 16 * 16 + 1, "BatchNorm")     # the width-16 mistakes too
    quick.assert_check_failed(64 * 1568 + 4 * 1568 + 32 * 16 * 16 + 4 * 16 + 16 * 16 + 1, "buffers")
    assert "111,969" in quick.evaluate(111_969).message
    namespace = dict(quick.solution_namespace(), width=16)
    exec(textwrap.dedent(GeneratorParameters.solution_code), namespace)
    assert namespace["n_generator_parameters"] == 111_969                      # the solution follows the width
    assert GeneratorParameters({"width": "16"}).expected() == 240_321          # no usable width: full mode's


def test_the_homework_notebook_keeps_the_cell_that_sets_z_dim_and_width():
    """q3's solution uses the notebook's `z_dim, width = 64, full_or_quick(32, 16)`: a tuple assignment."""
    from pathlib import Path

    from lessons_lib import homework

    notebook = Path(__file__).resolve().parent.parent / "notebooks" / "06_gan.ipynb"
    cells = homework.build_notebook(notebook, exercises_only=True).notebook.cells
    assert any(re.search(r"^z_dim, width =", cell.source, re.MULTILINE) for cell in cells)
