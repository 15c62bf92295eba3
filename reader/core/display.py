"""Making imported text pleasant to read without changing what is stored.

Not pylatexenc here (the BibTeX and snapshot importers use it on LaTeX sources): most text
shown is plain text from Daily Papers pages, where pylatexenc cuts "by 5% over the baseline"
to "by 5" (a comment), drops "C:\\data\\new" and joins "$5 and $10" into math. Only the
fragments below are LaTeX-ish enough to turn into Unicode safely."""

from __future__ import annotations

import re

_SUPERSCRIPTS = str.maketrans("0123456789+-n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻ⁿ")
_SUBSCRIPTS = str.maketrans("0123456789+-", "₀₁₂₃₄₅₆₇₈₉₊₋")
_TEXT_COMMAND = re.compile(
    r"\\(?:text\w*|emph|underline|mathrm|mathbf|mathit|mathcal|mathsf|texttt)\{([^{}]*)\}"
)
_SUPER = re.compile(r"\^\{([0-9+\-n]+)\}|\^([0-9])")
_SUB = re.compile(r"_\{([0-9+\-]+)\}")
_ESCAPED = re.compile(r"\\([%&$#_])")
_INLINE_MATH = re.compile(r"\$([^$]{1,80})\$")
_SYMBOLS = {
    r"\times": "×",
    r"\approx": "≈",
    r"\sim": "~",
    r"\leq": "≤",
    r"\geq": "≥",
    r"\le": "≤",
    r"\ge": "≥",
    r"\pm": "±",
    r"\alpha": "α",
    r"\beta": "β",
    r"\gamma": "γ",
    r"\delta": "δ",
    r"\epsilon": "ε",
    r"\lambda": "λ",
    r"\mu": "μ",
    r"\pi": "π",
    r"\sigma": "σ",
    r"\tau": "τ",
    r"\rightarrow": "→",
    r"\to": "→",
    r"\infty": "∞",
    r"\cdot": "·",
    r"\%": "%",
}
_SYMBOL = re.compile(
    "|".join(re.escape(k) + r"(?![A-Za-z])" for k in sorted(_SYMBOLS, key=len)[::-1])
)


def readable(text: str) -> str:
    """LaTeX-ish fragments common in arXiv titles and abstracts, turned into plain text.

    ``$\\textit{Trans-LoRA}$`` -> ``Trans-LoRA``; ``D^{2}MoE`` -> ``D²MoE``; ``50\\%`` -> ``50%``.
    """
    if not any(marker in text for marker in ("\\", "$", "^", "_{", "``")):
        return text
    for _ in range(2):  # nested commands
        text = _TEXT_COMMAND.sub(r"\1", text)
    text = _SYMBOL.sub(lambda m: _SYMBOLS[m.group(0)], text)
    text = _SUPER.sub(lambda m: (m.group(1) or m.group(2)).translate(_SUPERSCRIPTS), text)
    text = _SUB.sub(lambda m: m.group(1).translate(_SUBSCRIPTS), text)
    text = _INLINE_MATH.sub(r"\1", text)
    text = text.replace("``", "“").replace("''", "”")
    return _ESCAPED.sub(r"\1", text)


BREAK_AFTER = 40  # characters of a word without a place to wrap
ZERO_WIDTH_SPACE = "\u200b"
_LONG_WORD = re.compile(rf"\S{{{BREAK_AFTER + 1},}}")


def breakable(text: str) -> str:
    """``text`` with a zero-width space after every ``BREAK_AFTER`` characters of a longer
    word. Text layout is quadratic in a word's length (Qt took 0.9 s to lay out a
    100k-character word, 37 ms with these places to wrap); a word that long is never prose.
    """
    if len(text) <= BREAK_AFTER:
        return text
    return _LONG_WORD.sub(lambda m: _split(m.group(0)), text)


def _split(word: str) -> str:
    pieces = (word[i : i + BREAK_AFTER] for i in range(0, len(word), BREAK_AFTER))
    return ZERO_WIDTH_SPACE.join(pieces)
