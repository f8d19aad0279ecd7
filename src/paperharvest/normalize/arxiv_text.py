"""How arXiv and OpenReview write titles and names: LaTeX resolved, accents and compatibility forms folded.

Shared by query building (arxiv_query) and matching (arxiv_match), so a title is searched for and compared
in the same spelling. Pure.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_GREEK = (
    "alpha:α beta:β gamma:γ delta:δ epsilon:ε varepsilon:ε zeta:ζ eta:η theta:θ vartheta:θ iota:ι kappa:κ "
    "lambda:λ mu:μ nu:ν xi:ξ pi:π varpi:π rho:ρ varrho:ρ sigma:σ varsigma:σ tau:τ upsilon:υ phi:φ varphi:φ "
    "chi:χ psi:ψ omega:ω Gamma:Γ Delta:Δ Theta:Θ Lambda:Λ Xi:Ξ Pi:Π Sigma:Σ Upsilon:Υ Phi:Φ Psi:Ψ Omega:Ω"
)
# LaTeX commands that stand for a character: written as that character, so "$\lambda$-Rank" and "λ-Rank"
# normalise alike. \ell becomes "l" because NFKD folds the Unicode ℓ to "l" too.
# fmt: off
_LATEX_CHARS: dict[str, str] = dict(pair.split(":") for pair in _GREEK.split()) | {
    "ell": "l", "nabla": "∇", "infty": "∞", "star": "⋆", "partial": "∂",
    "ss": "ss", "ae": "ae", "AE": "AE", "oe": "oe", "OE": "OE", "o": "o", "O": "O", "l": "l", "L": "L",
    "i": "i", "j": "j", "aa": "a", "AA": "A",
}
# Letters NFKD leaves alone although readers (and arXiv's search) treat them as Latin ones.
_FOLD_EXTRA = str.maketrans({
    "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "ı": "i", "ð": "d", "Ð": "D",
    "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th",
})
# fmt: on
_ACCENT_SYMBOL = re.compile(r"\\['\"^`~=.]\s*(?:\{\s*\\?([A-Za-z])\s*\}|\\?([A-Za-z]))")
_ACCENT_LETTER = re.compile(r"\\[cuvHkrbdt]\s*\{\s*\\?([A-Za-z])\s*\}")
_ESCAPED = re.compile(r"\\[&%$#_{}]")
_COMMAND = re.compile(r"\\([A-Za-z]+)\*?")
_MATH = re.compile(r"\$\$?(.+?)\$\$?|\\\((.+?)\\\)", re.DOTALL)
APOSTROPHES = "'’ʼ‘`´"


def latex_to_text(title: str, *, math: str | None = None) -> str:
    """Resolve LaTeX markup to plain characters. `math`, when given, replaces each $...$ span instead."""
    text = _ACCENT_SYMBOL.sub(lambda m: m.group(1) or m.group(2), title)
    text = _ACCENT_LETTER.sub(lambda m: m.group(1), text)
    text = _ESCAPED.sub(" ", text)
    if math is not None:
        text = _MATH.sub(math, text)
    text = _COMMAND.sub(lambda m: _LATEX_CHARS.get(m.group(1), ""), text)
    if math is not None:
        # Outside math, ^ _ { } are literal characters, which a search tokenizer splits words at.
        return text
    # Sub/superscripts and groups join what they hold to the word before: $D^2$GAN -> D2GAN, like Unicode D²GAN.
    return re.sub(r"[$^_{}]", "", text)


def fold(text: str) -> str:
    """Accents off (NFKD, combining marks dropped), compatibility forms folded (² -> 2, ﬁ -> fi), case folded.

    Letters with no Latin decomposition (Greek, CJK) are kept: dropping them would turn a CJK title into "".
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_EXTRA))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


# Cached: a batch of ~20 titles compares every paper with every hit, so the same strings come back often.
@lru_cache(maxsize=1 << 16)
def normalize_title(title: str) -> str:
    """A title reduced to what survives every way of writing it: LaTeX, Unicode, case and punctuation.

    LaTeX commands are resolved or dropped and math delimiters removed (the math itself stays), accents
    are folded, apostrophes dropped (doesn't -> doesnt), any other non-alphanumeric becomes a space.
    """
    text = latex_to_text(title)
    text = "".join(ch for ch in text if ch not in APOSTROPHES)
    text = fold(text)
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())
