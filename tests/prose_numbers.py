"""Every number the prose states is backed: computed by a code cell, or quoted from a cited source (issue 28).

This module is plain Python (``nbformat`` only, no ``lessons_lib``). It reads a notebook's markdown cells, finds the
numbers they *state*, and decides for each whether it is backed. ``check_notebook(nb, executed=[...])`` returns one
``Finding`` per stated number; ``unbacked(...)`` keeps those that are not backed; ``report(...)`` words them as
``cell 17: '24 k' (… about 24 k parameters …)``.

What counts as a stated number
------------------------------
A run of digits with an optional sign, decimal part and thousands separators (``7,996``, ``7 996`` with a thin space),
read together with what qualifies it:

* a percent sign or word (``99 %``, ``99%``, ``99 percent``): the value is a percentage;
* a multiplier (``24 k``, ``24k``, ``24K``, ``1.6 M``, ``1.6M``, ``6 billion``, ``3 million``): the value is scaled
  (a spaced capital K, B or G is not a multiplier: those letters name things in the lessons, "5 K noise words", "G");
* a power of ten (``5·10⁻⁴``, ``5 × 10⁻⁴``, ``10⁻⁴``, ``1e-4`` outside code): the value is scaled;
* a factor (``5×`` followed by a space, ``2x faster``): a plain value.

The precision of a stated number is half a unit of its last written digit, in its own scale: ``0.1`` is 0.05 to 0.15,
``28 %`` is 27.5 % to 28.5 %, ``24 k`` is 23,500 to 24,500, ``5·10⁻⁴`` is 4.5·10⁻⁴ to 5.5·10⁻⁴. An integer ending in
zeros after an approximation word (about, around, roughly, nearly, almost, some, ≈, ~) is precise to its last non-zero
digit: "about 30,000" is 25,000 to 35,000; without the word, "30,000" is exact.

What is not a stated number (the rule set, in the order applied; masking keeps every other character in place)
-----------------------------------------------------------------------------------------------------------------
1. Generated spans ``<!-- name -->…<!-- /name -->`` (the timing line, peak memory): their generator's tests keep them
   true. Any other HTML comment, and HTML tags themselves (``<em>``, attributes).
2. Code: fenced blocks, ``inline code``, ``<code>…</code>``. Math: ``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``.
3. Addresses and identifiers: link targets ``](…)``, bare URLs, ``arXiv:1703.08581``, ``doi:…``, ISO dates
   ``2026-12-02``, dotted versions ``2.13.0``, numbered references ``[10]``, licences ``CC BY-SA 4.0``.
4. Numbering: a heading's leading number (``# 04 —``, ``## 3.2 Title``), an ordered list's item number (``1. ``), and
   references — a number after table, figure, fig., section, §, chapter, step, lesson, exercise, question, part, cell,
   line, appendix, page, p., pp., issue, eq., equation, item, row, column, block, stage, seed, version or a software name
   (Python, Keras, PyTorch, TensorFlow, NumPy, CUDA), with the list or range that follows it ("sections 2 and 3").
5. Names: a number glued to letters before it, with or without a hyphen (``LeNet-5``, ``CIFAR-10``, ``C3``, ``conv1``,
   ``Inception-v3``, ``word2vec``, ``A1``), or to letters after it that are not a unit or multiplier (``03b``, ``2D``),
   ``2-D``/``3-D``, a number glued under a letter as an exponent (``C²``), and compact shapes joined by × or x without
   spaces (``1×1``, ``3×3``, ``28×28``, ``3×3×3×64``, ``3x3``). Spaced products (``T × 80 × 3``) are read number by number.
6. Years: 1900–2099 written without a separator, ending an element of a parenthesis ("(Goodfellow et al., 2014)",
   "(2014, *Generative Adversarial Nets*)"), after "et al." ("LeCun et al. (1998)", "Weiss et al. 2017"), or after
   "in", "since", "from", "until", "by", "of" ("In 2013 Mikolov …"). "(CIFAR-10, 2000 images)" states a number.
7. Single digits: a bare integer 0–9 (no decimal part, no percent, multiplier or power): small counts read as words and
   digit labels ("the digit 7", "two 3×3 layers", "3 epochs"). The trade-off: "3 epochs" is not checked.

When a stated number is backed
------------------------------
(a) **Computed.** Its value, within its precision, is among the values of the notebook's code:

    * the numeric constants in the source of any code cell (not comments, not string literals), including each mode's
      value of ``full_or_quick(full, quick)``;
    * every sub-expression the source computes from constants alone, and from names that every assignment in the
      notebook binds to such an expression (``C = 64`` … ``25 * C**2`` gives 102,400; ``math.sqrt``, ``log``, ``exp``,
      ``abs``, ``round``, ``min``, ``max`` are evaluated; a ``for`` over a literal tuple binds each element);
    * and, given the executed notebook(s), every number in a text output (stream, ``text/plain``, ``text/markdown``,
      ``text/html``), read with its percent sign or multiplier as in the prose.

    A percentage matches either its fraction or its percent (``99 %`` is backed by 0.99 or by 99); a fraction in the
    prose (0.99) is backed by 0.99, or by an output that prints "99%"; a unit converts (``25 ms`` is also backed by
    0.025, ``3 min`` by 180); a sign is ignored (a drop of 0.36 is backed by ``-0.36``).
    Full-mode numbers are backed by passing the full-mode executed copy too.
    The match is by value anywhere in the notebook, so a coincidental constant can back a number: the check catches a
    number that nothing computes, not a number computed for something else.

(b) **Quoted.** It is marked as quoted from a cited source, visibly, in the prose the reader reads:

    * **a citation in the same sentence** (a list item or table row counts as a sentence): an author–year citation
      "(Weiss et al., 2017)", "(Radford et al. 2015, arXiv:…)", "(GoogLeNet, 2014)", "Weiss et al. (2017)",
      "*MobileNets* (2017)"; or a **source tag** in parentheses naming the course's seed material:
      "(seed text)", "(the question)", "(the blog)", "(the paper)", optionally with a locator: "(the paper, Table 3)";
      or "(recorded …)" for a benchmark's recorded output: "(recorded output of ``benchmarks/gan_quality.py``)";
    * **inside a quotation** — “…”, "…" or a ``>`` block quote — whose paragraph (or the paragraph just before a block
      quote) carries such a citation: *A paper (Weiss et al. 2017) says: "We use 80 channel … features"*;
    * **in a table** whose header row, or the paragraph just before it, carries such a citation or tag (a recorded
      benchmark table under "What the benchmark printed (recorded output of the script):");
    * **in the question paragraph**: a paragraph that opens with ``**The question.**`` restates the seed text, the
      course's one standing source, and its numbers count as quoted from it;
    * **repeating a quoted number**: once a number is quoted with its citation, the same value (within the precision
      of the repeat: 76 s repeats a recorded 75.7) is backed anywhere else in the notebook without citing it again.

(c) **Given.** It states no fact, so there is nothing to back:

    * **in a question**: a sentence (list item, table row) that ends with a question mark asks; its numbers set the
      question ("What does a 40 dB floor do to a value 60 dB below the loudest?", a questionnaire, further research);
    * **in an exercise's statement**: a paragraph that opens with ``**Exercise N.**`` or ``**qN.**`` sets the
      exercise's inputs ("images arrive as uint8 values from 0 to 255"); its check, tested on its own, keeps the
      exercise honest. A fact the statement borrows from a paper still deserves its citation for the reader;
    * **in a task section**: under a ``## Questionnaire`` or ``## Further research`` heading (in the same cell), the
      items are tasks for the reader ("Compute the parameters of a 1×1 conv 512 → 128 on a 14×14 map").

Everything else is unbacked: "about 24 k parameters" with nothing computing 24 k fails, naming the cell and number.
"""
from __future__ import annotations

import ast
import bisect
import html
import math
import re
from dataclasses import dataclass, field
from itertools import product
from typing import Iterable

import nbformat

__all__ = ["Stated", "Finding", "Values", "stated_numbers", "code_values", "output_values", "check_notebook",
           "unbacked", "report"]

# ---------------------------------------------------------------------------------------------------------------------
# vocabulary (change here, and the docstring above)

REFERENCE_WORDS = ("tables?", "figures?", r"figs?\.", "sections?", "§", "chapters?", "steps?", "lessons?", "exercises?",
                   "questions?", "parts?", "cells?", "lines?", "appendix", "appendices", "pages?", r"pp?\.", "issues?",
                   r"eqs?\.", "equations?", "items?", "rows?", "columns?", "blocks?", "stages?", "seeds?", "versions?",
                   "Python", "Keras", "PyTorch", "torch", "TensorFlow", "NumPy", "CUDA", "JupyterLab", "Jupyter Book")
YEAR_WORDS = ("in", "since", "from", "until", "by", "of")
APPROXIMATE_WORDS = ("about", "around", "roughly", "nearly", "almost", "some", "approximately", "≈", "~", "∼")
SOURCE_TAGS = ("seed text", "the question", "the blog", "the paper", "the learner's question", "the learner’s question",
               "recorded")
# a unit after a number: the value in the unit the code most likely uses ("25 ms" is also 0.025 s)
UNIT_SCALES = {"ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9, "kHz": 1e3, "min": 60.0, "minute": 60.0, "minutes": 60.0,
               "h": 3600.0, "hour": 3600.0, "hours": 3600.0, "KB": 1024.0, "KiB": 1024.0, "MB": 2.0 ** 20,
               "MiB": 2.0 ** 20, "GB": 1e9, "GiB": 2.0 ** 30}
UNIT_AFTER = re.compile(r"[ \t\u00a0\u202f]?(" + "|".join(sorted(map(re.escape, UNIT_SCALES), key=len, reverse=True)) + r")\b")
QUESTION_LEAD = "**The question.**"
# an exercise's statement: "**Exercise 3.** …", "**q2.** …" — its numbers are the exercise's inputs, not claims
# sections of tasks for the reader: their numbers set the task ("Compute the parameters of a 1×1 conv 512 → 128")
TASK_SECTION = re.compile(r"^#+\s*(?:Questionnaire|Further research)\b", re.I)
EXERCISE_LEAD = re.compile(r"\*\*(?:Exercise\s+\d+[a-z]?|q\d+)\.?\*\*")
UNITS = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "thousand": 1e3, "million": 1e6, "billion": 1e9,
         "x": 1.0, "×": 1.0}
# letters glued after a number that make it a quantity, not a name: units of time, size and rate
PLAIN_UNITS = ("s", "ms", "µs", "us", "ns", "min", "h", "px", "kHz", "Hz", "GB", "MB", "kB", "KB", "GiB", "MiB", "KiB",
               "TB", "st", "nd", "rd", "th", "dB", "bit", "bits")
SMALL = 9                       # bare integers 0..SMALL are read as words and labels
MODE_CHOICE_FUNCTIONS = ("full_or_quick",)
MATH_FUNCTIONS = {"sqrt": math.sqrt, "log": math.log, "log2": math.log2, "log10": math.log10, "exp": math.exp,
                  "abs": abs, "round": round, "min": min, "max": max, "ceil": math.ceil, "floor": math.floor,
                  "int": int, "float": float, "pow": pow}
COMBINATIONS = 64               # at most this many values per evaluated expression

SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"


# ---------------------------------------------------------------------------------------------------------------------
# masking: every ignored character becomes a space (newlines stay), so positions and line structure survive

def _mask(text: str, start: int, end: int) -> str:
    return text[:start] + "".join("\n" if c == "\n" else " " for c in text[start:end]) + text[end:]


def _mask_all(text: str, pattern: re.Pattern, group: int = 0) -> str:
    for match in reversed(list(pattern.finditer(text))):
        if match.group(group) is not None:
            text = _mask(text, match.start(group), match.end(group))
    return text


GENERATED = re.compile(r"<!--\s*([\w-]+)\s*-->.*?<!--\s*/\1\s*-->", re.S)
COMMENT = re.compile(r"<!--.*?-->", re.S)
FENCE = re.compile(r"^([ \t]*)(```|~~~).*?^\1\2[^\n]*$", re.S | re.M)
INLINE_CODE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
HTML_CODE = re.compile(r"<(code|pre|kbd|samp)\b[^>]*>.*?</\1>", re.S | re.I)
DISPLAY_MATH = re.compile(r"\$\$.+?\$\$|\\\[.+?\\\]", re.S)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\s)[^$\n]+?(?<![\s\\])\$(?!\d)|\\\(.+?\\\)")
HTML_TAG = re.compile(r"</?[A-Za-z][^>\n]*>")
LINK_TARGET = re.compile(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
URL = re.compile(r"<?\b(?:https?|ftp)://[^\s)>\]]+>?|\bwww\.[^\s)>\]]+")
IDENTIFIER = re.compile(r"\b(?:arXiv|doi|DOI|ISBN|PMID):\s?[\w./-]+|\b\d{4}-\d{2}-\d{2}\b|\b\d+(?:\.\d+){2,}\b"
                        r"|\[\d+(?:\s*[,–-]\s*\d+)*\]|\bCC[ \u00a0]BY(?:-[A-Z]{2})*[ \u00a0]\d+(?:\.\d+)?")
HEADING_NUMBER = re.compile(r"^#{1,6}[ \t]+([A-Z]?\d+[a-z]?(?:\.\d+)*\.?)(?=\s)", re.M)
LIST_NUMBER = re.compile(r"^[ \t]*(?:>[ \t]*)*(\d+[.)])(?=[ \t])")
BULLET = re.compile(r"^[ \t]*(?:>[ \t]*)*[-*+](?=[ \t])")


def list_lines(markdown: str) -> list[bool]:
    """For each line: does it open a list item? An ordered marker ("2. ", "2) ") inside a paragraph is prose, as in
    CommonMark: it opens an item only at the start, after a blank line, inside a list, or as "1."."""
    opens, in_list, blank_before = [], False, True
    for line in markdown.split("\n"):
        ordered = LIST_NUMBER.match(line)
        item = bool(BULLET.match(line)) or bool(ordered and (blank_before or in_list or ordered.group(1)[:-1] == "1"))
        opens.append(item)
        if item:
            in_list = True
        elif not line.strip():
            pass
        elif blank_before and not line.startswith((" ", "\t")):
            in_list = False
        blank_before = not line.strip()
    return opens


def _mask_list_numbers(text: str) -> str:
    position = 0
    for line, opens in zip(text.split("\n"), list_lines(text)):
        match = LIST_NUMBER.match(line)
        if opens and match:
            text = _mask(text, position + match.start(1), position + match.end(1))
        position += len(line) + 1
    return text
_REF = "|".join(REFERENCE_WORDS)
_NUM = r"[A-Z]?\d+(?:\.\d+)*[a-z]?"
REFERENCE = re.compile(rf"(?<![\w-])(?:{_REF})[ \u00a0]+({_NUM}(?:\s*(?:,|–|—|-|and|to|or|&)\s*{_NUM})*)(?![\w.]\d)",
                       re.I)


def mask(markdown: str) -> str:
    """The markdown with everything that is not prose blanked (rules 1–4 of the module docstring)."""
    text = markdown
    for pattern in (GENERATED, COMMENT, FENCE, HTML_CODE, INLINE_CODE, DISPLAY_MATH, INLINE_MATH, LINK_TARGET, URL,
                    HTML_TAG, IDENTIFIER):
        text = _mask_all(text, pattern)
    for pattern in (HEADING_NUMBER, REFERENCE):
        text = _mask_all(text, pattern, 1)
    return _mask_list_numbers(text)


# ---------------------------------------------------------------------------------------------------------------------
# the units of prose: paragraphs, list items, table rows, headings, block quotes; and their sentences

@dataclass(frozen=True)
class Unit:
    start: int
    end: int
    kind: str                     # "paragraph", "item", "row", "heading", "quote"


def units(markdown: str) -> list[Unit]:
    found: list[Unit] = []
    position, current = 0, None
    for line, opens in zip(markdown.splitlines(keepends=True), list_lines(markdown)):
        stripped = line.strip()
        if not stripped:
            kind = None
        elif stripped.startswith("#"):
            kind = "heading"
        elif stripped.startswith("|"):
            kind = "row"
        elif stripped.startswith(">"):
            kind = "quote"
        elif opens:
            kind = "item"
        else:
            kind = "continuation"
        new = kind in ("heading", "row", "item") or (kind == "quote" and (current is None or current.kind != "quote")) \
            or (kind == "continuation" and current is None)
        if kind is None or new:
            if current is not None:
                found.append(current)
            current = None
        if kind is not None:
            if current is None:
                current = Unit(position, position + len(line), "paragraph" if kind == "continuation" else kind)
            else:
                current = Unit(current.start, position + len(line), current.kind)
            if kind in ("heading", "row"):
                found.append(current)
                current = None
        position += len(line)
    if current is not None:
        found.append(current)
    return found


ABBREVIATIONS = re.compile(r"(?:\bet al|\be\.g|\bi\.e|\bcf|\bFig|\bfig|\bvs|\bEq|\bNo|\bp|\bpp|\bapprox|\b[A-Z])$")
SENTENCE_END = re.compile(r"[.!?](?:[*_)\]”\"’']*)\s+(?=[A-Z*_(\[“\"‘'0-9])")


def sentences(text: str, unit: Unit) -> list[tuple[int, int]]:
    spans, start = [], unit.start
    for match in SENTENCE_END.finditer(text, unit.start, unit.end):
        if ABBREVIATIONS.search(text[max(unit.start, match.start() - 8):match.start()]):
            continue
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, unit.end))
    return spans


# ---------------------------------------------------------------------------------------------------------------------
# citations

YEAR = r"(?:19|20)\d\d[a-z]?"
CITED_YEAR = YEAR + r"(?=\s*[),;:])"                  # a year that ends an element of a citation: "2015)", "2013,"
CITATIONS = [
    re.compile(rf"\bet al\.?(?:['’]s)?,?[ \t\n]*\(?[ \t]*{YEAR}\b"),                       # Weiss et al. (2017)
    re.compile(rf"\([^()]*?[A-Z][^()]*?[,;]?\s{CITED_YEAR}[^()]*\)"),                         # (Radford et al., 2015)
    re.compile(rf"\(\s*{CITED_YEAR}[^()]*?[A-Z][^()]*\)"),                              # (2014, *Generative …*)
    re.compile(rf"[A-Z][\w’'-]*[*_]*\s+\({YEAR}\)"),                                        # *MobileNets* (2017)
    re.compile(r"\((?:from |as in |quoted from |see )?(?:" + "|".join(re.escape(t) for t in SOURCE_TAGS)
               + r")\b[^()]*\)", re.I),                                                     # (seed text), (the blog)
]


def citation_in(text: str) -> str | None:
    for pattern in CITATIONS:
        match = pattern.search(text)
        if match:
            return " ".join(match.group(0).split())
    return None


QUOTATION = re.compile(r"“[^”]*”|(?<![\w])\"[^\"\n]*(?:\n[^\"\n]*)*\"")


# ---------------------------------------------------------------------------------------------------------------------
# stated numbers

@dataclass(frozen=True)
class Stated:
    """One number as the prose states it."""
    text: str               # as written, with its qualifier: "24 k", "28 %", "7,996", "5·10⁻⁴"
    value: float            # in its own scale: 28 for "28 %", 24000 for "24 k"
    tolerance: float        # half a unit of its last stated digit, in the same scale
    percent: bool
    start: int              # position in the cell's source
    end: int
    unit_scale: float = 1.0  # the value once more in the unit the code likely uses: 1e-3 for "25 ms"


NUMBER = re.compile(r"""
    (?P<sign>[-−+])?
    (?P<digits>\d{1,3}(?:[,\u2009\u202f]\d{3})+(?!\d)|\d+)
    (?P<decimals>\.\d+)?
    (?P<power>(?:[ \t]?[·×x][ \t]?10[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)|(?:[eE][-+]?\d+))?
    (?P<after>[ \t\u00a0\u202f]?(?:%|percent\b|percentage\ points\b|pp\b|thousand\b|million\b|billion\b|[kM](?![\w-]))|
              [kKMBG×x](?=[^\w-]|$))?
""", re.X)
BARE_POWER = re.compile(r"(?<![\w.·×])10(?P<exp>[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)")


def _precision(digits: str, decimals: str | None, approximate: bool) -> float:
    if decimals:
        return 0.5 * 10 ** -(len(decimals) - 1)
    plain = re.sub(r"\D", "", digits)
    if approximate and plain.strip("0") and plain.endswith("0"):
        return 0.5 * 10 ** (len(plain) - len(plain.rstrip("0")))
    return 0.5


def _is_name(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 2):start]
    after = text[end:end + 12]
    if before[-1:].isalpha() or before[-1:] == "_":                                     # C3, conv1, A1
        return True
    if before[-1:] in ("-", "‑") and before[-2:-1].isalpha():                        # LeNet-5, CIFAR-10
        return True
    if re.match(r"[-‑](?:[A-Z](?![a-z])|bit\b)", after):                               # 2-D, 3-D, 32-bit
        return True
    if re.match(r"[×x]\d", after) or (before[-1:] in ("×", "x") and before[-2:-1].isdigit()):   # 3×3, 28×28
        return True
    glued = re.match(r"[A-Za-zµ]+", after)
    if glued and glued.group(0) not in PLAIN_UNITS and glued.group(0) not in UNITS:   # 03b, 2D
        return True
    if after[:1] in SUPERSCRIPTS and before[-1:].isalpha():
        return True
    return False


def _is_year(text: str, start: int, end: int, value: float) -> bool:
    if not (1900 <= value <= 2099) or not re.fullmatch(r"\d{4}[a-z]?", text[start:end].strip()):
        return False
    left = text[:start]
    if left.rfind("(") > left.rfind(")") and re.match(r"[a-z]?\s*[),;:]", text[end:]):
        return True
    if re.search(r"et al\.?(?:['’]s)?,?\s*$", left):
        return True
    return bool(re.search(r"\b(?:" + "|".join(YEAR_WORDS) + r")\s+$", left, re.I))


def stated_numbers(markdown: str) -> list[Stated]:
    """The numbers a markdown cell states (see the module docstring for what is skipped)."""
    text = mask(markdown)
    found: list[Stated] = []
    for match in NUMBER.finditer(text):
        start, end = match.start(), match.end()
        if start > 0 and (text[start - 1].isdigit() or text[start - 1] in ".,"):
            continue                                                     # the tail of a number read already
        digits, decimals, power, after = match["digits"], match["decimals"], match["power"], match["after"]
        number_end = match.end("decimals") if decimals else match.end("digits")
        if power is None and _is_name(text, match.start("digits"), number_end if not after else number_end):
            continue
        if power is None and not after and number_end < len(text) and text[number_end] in SUPERSCRIPTS + "⁻⁺":
            continue                                                     # 10⁻⁴ (read below) or an exponent
        mantissa = float(re.sub(r"[,\u2009\u202f]", "", digits) + (decimals or ""))
        left = text[max(0, start - 16):start].rstrip().lower()
        approximate = any(left.endswith(word) for word in APPROXIMATE_WORDS)
        tolerance = _precision(digits, decimals, approximate)
        percent, scale = False, 1.0
        if power:
            exponent = int(power.split("10", 1)[1].translate(SUPERSCRIPT)) if "10" in power and not power[0] in "eE" \
                else int(power[1:])
            scale = 10.0 ** exponent
        if after:
            word = after.strip()
            if word in ("%", "percent", "percentage points", "pp"):
                percent = True
            else:
                scale *= UNITS.get(word, 1.0)
        value = mantissa * scale
        if not power and not after and not decimals and "," not in digits and value <= SMALL:
            continue
        if not power and not after and not decimals and _is_year(text, match.start("digits"), number_end, value):
            continue
        if match["sign"] and match["sign"] in "-−" and start > 0 and text[start - 1].isalnum():
            start += 1                                                   # "5-10": a range, not a negative number
        written = markdown[start:end].strip()
        unit = UNIT_AFTER.match(text, start + len(written))
        unit_scale = UNIT_SCALES[unit.group(1)] if unit and not percent else 1.0
        found.append(Stated(written, value, tolerance * scale, percent, start, start + len(written), unit_scale))
    for match in BARE_POWER.finditer(text):                              # 10⁻⁴ on its own
        if any(s.start <= match.start() < s.end for s in found):
            continue
        exponent = int(match["exp"].translate(SUPERSCRIPT))
        found.append(Stated(match.group(0), 10.0 ** exponent, 0.5 * 10.0 ** exponent, False, match.start(), match.end()))
    found.sort(key=lambda s: s.start)
    return found


# ---------------------------------------------------------------------------------------------------------------------
# the values the notebook's code and outputs hold

@dataclass
class Values:
    """Absolute values, sorted, each with where it came from (a label for the report, and its cell's index)."""
    numbers: list[float] = field(default_factory=list)
    sources: list[tuple[str, int]] = field(default_factory=list)

    def add(self, value: float, source: str, cell: int) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return
        value = abs(float(value))
        at = bisect.bisect_left(self.numbers, value)
        self.numbers.insert(at, value)
        self.sources.insert(at, (source, cell))

    def extend(self, other: "Values") -> "Values":
        for value, (source, cell) in zip(other.numbers, other.sources):
            self.add(value, source, cell)
        return self

    def find(self, low: float, high: float, near: int = 0, window: int | None = None) -> tuple[str, int] | None:
        """The source of a value in [low, high] whose cell is nearest to ``near`` (within ``window`` cells if given)."""
        best = None
        at = bisect.bisect_left(self.numbers, low)
        while at < len(self.numbers) and self.numbers[at] <= high:
            source = self.sources[at]
            if (window is None or abs(source[1] - near) <= window) and (
                    best is None or abs(source[1] - near) < abs(best[1] - near)):
                best = source
            at += 1
        return best


MAGIC = re.compile(r"^[ \t]*[%!].*$", re.M)


class _Evaluator:
    """Values of constant expressions, with names bound (in every assignment of the notebook) to such expressions."""

    def __init__(self, trees: list[ast.AST]):
        self.env: dict[str, set[float]] = {}
        assignments: dict[str, list[ast.AST | tuple]] = {}
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        self._collect(target, node.value, assignments)
                elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
                    assignments.setdefault(node.target.id, []).append(
                        node.value if isinstance(node, ast.AnnAssign) and node.value is not None else None)
                elif isinstance(node, (ast.For, ast.comprehension)):
                    iterable = node.iter
                    if isinstance(node.target, ast.Name) and isinstance(iterable, (ast.Tuple, ast.List)):
                        for element in iterable.elts:
                            assignments.setdefault(node.target.id, []).append(element)
                    else:
                        for name in ast.walk(node.target):
                            if isinstance(name, ast.Name):
                                assignments.setdefault(name.id, []).append(None)
                elif isinstance(node, (ast.FunctionDef, ast.Lambda, ast.AsyncFunctionDef)):
                    for argument in ast.walk(node.args):
                        if isinstance(argument, ast.arg):
                            assignments.setdefault(argument.arg, []).append(None)
        for _ in range(3):                                               # names defined from names, a few levels deep
            for name, values in assignments.items():
                if any(value is None for value in values):
                    continue
                evaluated = [self.values(value) for value in values]
                if all(evaluated):
                    self.env[name] = set().union(*evaluated)

    @staticmethod
    def _collect(target, value, assignments) -> None:
        if isinstance(target, ast.Name):
            assignments.setdefault(target.id, []).append(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts):
                for sub_target, sub_value in zip(target.elts, value.elts):
                    _Evaluator._collect(sub_target, sub_value, assignments)
            else:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        assignments.setdefault(name.id, []).append(None)

    def values(self, node: ast.AST) -> set[float] | None:
        try:
            result = self._values(node)
        except (ArithmeticError, ValueError, TypeError, OverflowError, RecursionError):
            return None
        if result is None:
            return None
        result = {value for value in result if isinstance(value, (int, float)) and not isinstance(value, bool)}
        return result or None

    def _values(self, node: ast.AST) -> set | None:
        if isinstance(node, ast.Constant):
            return {node.value} if isinstance(node.value, (int, float)) and not isinstance(node.value, bool) else None
        if isinstance(node, ast.Name):
            return self.env.get(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self._values(node.operand)
            return None if operand is None else {-v if isinstance(node.op, ast.USub) else v for v in operand}
        if isinstance(node, ast.BinOp):
            left, right = self._values(node.left), self._values(node.right)
            if left is None or right is None or len(left) * len(right) > COMBINATIONS:
                return None
            operations = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
                          ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
                          ast.Pow: lambda a, b: a ** b if abs(b) < 64 else math.inf}
            operation = operations.get(type(node.op))
            return None if operation is None else {operation(a, b) for a, b in product(left, right)}
        if isinstance(node, ast.Call) and not node.keywords:
            function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            arguments = [self._values(argument) for argument in node.args]
            if any(argument is None for argument in arguments) or not arguments:
                return None
            if function in MODE_CHOICE_FUNCTIONS:
                return set().union(*arguments)
            if function in MATH_FUNCTIONS:
                combos = list(product(*arguments))
                if len(combos) > COMBINATIONS:
                    return None
                return {MATH_FUNCTIONS[function](*combo) for combo in combos}
        return None


def code_values(sources: Iterable[tuple[int, str]]) -> Values:
    """The constants of the code cells given as (cell index, source), and every value computed from constants alone
    (see the module docstring)."""
    values = Values()
    trees = []
    for index, source in sources:
        try:
            trees.append((index, ast.parse(MAGIC.sub("", source))))
        except SyntaxError:
            for match in re.finditer(r"(?<![\w.])\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", source):
                values.add(float(match.group(0)), f"code cell {index}", index)
    evaluator = _Evaluator([tree for _, tree in trees])
    for index, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                continue
            if isinstance(node, (ast.Constant, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name)):
                for value in evaluator.values(node) or ():
                    values.add(value, f"code cell {index}", index)
    return values


OUTPUT_NUMBER = re.compile(r"(?<![\w.])[-−]?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?"
                           r"(?P<after>\s?(?:%|k\b|K\b|M\b|G\b|B\b|thousand\b|million\b|billion\b))?")


def _output_text(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    parts = [data.get(kind, "") for kind in ("text/plain", "text/markdown")]
    if "text/html" in data:
        parts.append(html.unescape(re.sub(r"<[^>]+>", " ", "".join(data["text/html"]))))
    return "\n".join("".join(part) for part in parts)


def output_values(nb, label: str = "output") -> Values:
    """The numbers in the text outputs of an executed notebook, read with their percent signs and multipliers."""
    values = Values()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            for match in OUTPUT_NUMBER.finditer(_output_text(output)):
                number = match.group(0)[:match.start("after") - match.start()] if match["after"] else match.group(0)
                try:
                    value = float(number.replace(",", "").replace("−", "-"))
                except ValueError:
                    continue
                source = f"{label} of cell {index}"
                values.add(value, source, index)
                word = (match["after"] or "").strip()
                if word == "%":
                    values.add(value / 100, source, index)
                elif word in UNITS:
                    values.add(value * UNITS[word], source, index)
    return values


# ---------------------------------------------------------------------------------------------------------------------
# the check

@dataclass(frozen=True)
class Finding:
    cell: int
    number: Stated
    context: str
    backing: str | None      # "code cell 8", "output of cell 12", "cited: (Weiss et al., 2017)", or None
    backing_cell: int | None = None   # the cell whose code, output or citation backs it

    @property
    def backed(self) -> bool:
        return self.backing is not None


def _backing_value(number: Stated, values: Values, near: int = 0, window: int | None = None) -> tuple[str, int] | None:
    slack = 1e-9 * max(1.0, abs(number.value))
    intervals = [(number.value, number.tolerance)]
    if number.unit_scale != 1.0:
        intervals.append((number.value * number.unit_scale, number.tolerance * number.unit_scale))
    if number.percent:
        intervals.append((number.value / 100, number.tolerance / 100))
    found = [values.find(abs(centre) - tolerance - slack, abs(centre) + tolerance + slack, near, window)
             for centre, tolerance in intervals]
    found = [source for source in found if source is not None]
    return min(found, key=lambda source: abs(source[1] - near)) if found else None


def _context(markdown: str, number: Stated, width: int = 40) -> str:
    before = " ".join(markdown[max(0, number.start - width):number.start].split())
    after = " ".join(markdown[number.end:number.end + width].split())
    return f"…{before} [{number.text}] {after}…"


def _table_lead(masked: str, cell_units: list[Unit], position: int) -> str | None:
    """For a table row: a citation in the table's header row or in the prose unit just before the table."""
    first = position
    while first > 0 and cell_units[first - 1].kind == "row" and cell_units[first - 1].end >= cell_units[first].start - 1:
        first -= 1
    header = cell_units[first]
    cited = citation_in(masked[header.start:header.end])
    if cited is None and first > 0:
        before = cell_units[first - 1]
        cited = citation_in(masked[before.start:before.end])
    return cited


def _citation(markdown: str, masked: str, number: Stated, cell_units: list[Unit]) -> str | None:
    for position, unit in enumerate(cell_units):
        if not unit.start <= number.start < unit.end:
            continue
        if unit.kind == "paragraph" and markdown[unit.start:unit.end].lstrip().startswith(QUESTION_LEAD):
            return "quoted: the question paragraph (seed text)"
        if EXERCISE_LEAD.match(markdown[unit.start:unit.end].lstrip()):
            return "given: an exercise's statement"
        headings = [u for u in cell_units[:position] if u.kind == "heading"]
        if headings and TASK_SECTION.search(markdown[headings[-1].start:headings[-1].end]):
            return "given: a task of the questionnaire or further research"
        for start, end in sentences(masked, unit):
            if start <= number.start < end:
                if masked[start:end].rstrip(" \t\n|*_)\"”’'").endswith("?"):
                    return "given: a question"
                cited = citation_in(masked[start:end])
                if cited:
                    return f"cited: {cited}"
        if unit.kind == "row":
            cited = _table_lead(masked, cell_units, position)
            return f"quoted: table under {cited}" if cited else None
        paragraph = masked[unit.start:unit.end]
        inside_quotation = unit.kind == "quote" or any(
            m.start() <= number.start - unit.start < m.end() for m in QUOTATION.finditer(paragraph))
        if inside_quotation:
            cited = citation_in(paragraph)
            if cited is None and unit.kind == "quote" and position > 0:
                before = cell_units[position - 1]
                cited = citation_in(masked[before.start:before.end])
            if cited:
                return f"quoted: {cited}"
        return None
    return None


def check_notebook(nb, executed: Iterable = (), window: int | None = None) -> list[Finding]:
    """One Finding per number stated in a markdown cell of ``nb``, backed by its code cells' sources, by the text
    outputs of ``executed`` (executed copies of the same notebook: quick mode, full mode), by a citation, or by
    repeating a number quoted with a citation elsewhere in the notebook. With ``window``, code and outputs back a
    number only from cells at most that many cells away (a stricter reading, to measure coincidental matches)."""
    values = code_values((index, cell.source) for index, cell in enumerate(nb.cells) if cell.cell_type == "code")
    values.extend(output_values(nb))
    for number, copy in enumerate(executed):
        values.extend(output_values(copy, label=f"executed copy {number + 1}, output"))
    findings, quoted = [], Values()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        masked, cell_units = mask(cell.source), units(cell.source)
        for number in stated_numbers(cell.source):
            backing = _backing_value(number, values, index, window)
            if backing is None:
                cited = _citation(cell.source, masked, number, cell_units)
                if cited is not None:
                    backing = (cited, index)
                    quoted.add(number.value / 100 if number.percent else number.value, f"repeats cell {index}, {cited}",
                               index)
            findings.append(Finding(index, number, _context(cell.source, number), *(backing or (None, None))))
    return [finding if finding.backed else
            Finding(finding.cell, finding.number, finding.context,
                    *(_backing_value(finding.number, quoted, finding.cell) or (None, None)))
            for finding in findings]


def unbacked(nb, executed: Iterable = (), window: int | None = None) -> list[Finding]:
    return [finding for finding in check_notebook(nb, executed, window) if not finding.backed]


def report(findings: Iterable[Finding], name: str = "") -> str:
    prefix = f"{name}: " if name else ""
    return "\n".join(f"{prefix}cell {f.cell}: {f.number.text!r} is neither computed nor cited ({f.context})"
                     for f in findings)


def read(path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def survey(paths: Iterable, near: int = 3) -> str:
    """A markdown survey of the given notebooks: per notebook the numbers stated, how each is backed, and the list of
    unbacked ones; ``near``: how many cells away a backing code cell counts as near (farther ones may be coincidences)."""
    from pathlib import Path

    rows, details = [], []
    for path in paths:
        path = Path(path)
        findings = check_notebook(read(path))
        by_code = [f for f in findings if f.backing and f.backing.startswith(("code", "output", "executed"))]
        far = [f for f in by_code if abs(f.backing_cell - f.cell) > near]
        quoted = [f for f in findings if f.backing and f.backing.startswith(("cited", "quoted"))]
        repeats = [f for f in findings if f.backing and f.backing.startswith("repeats")]
        missing = [f for f in findings if not f.backed]
        rows.append(f"| {path.stem} | {len(findings)} | {len(by_code)} | {len(far)} | {len(quoted)} | {len(repeats)} "
                    f"| {len(missing)} |")
        details.append(f"\n### {path.stem}\n")
        details.extend(f"- cell {f.cell}: **{f.number.text}** — {f.context}" for f in missing)
        if not missing:
            details.append("- none")
    header = (f"| notebook | numbers | backed by code source | of which the nearest backing cell is > {near} cells away "
              "| cited or quoted | repeat a quoted number | unbacked |\n|---|---|---|---|---|---|---|")
    return header + "\n" + "\n".join(rows) + "\n" + "\n".join(details) + "\n"


if __name__ == "__main__":                                              # python tests/prose_numbers.py notebooks/*.ipynb
    import sys

    print(survey(sorted(sys.argv[1:])))
