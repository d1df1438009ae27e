"""The catalogue's LaTeX statements in two readable forms: MathML for the HTML certificate, Unicode for a terminal.

``to_mathml(latex)`` converts at build time with latex2mathml (a pure-Python converter), so the certificate needs
nothing from the network when it is opened: current browsers render MathML natively.
``to_unicode(latex)`` is a small translator for ``vanishing show``: Greek letters, ‖·‖, ≤, ⊙, ∂, sub- and
superscripts where Unicode has the characters (``W_{hh}`` → W_hh, ``h_t`` → hₜ, ``x^2`` → x², ``W^\\top`` → Wᵀ),
``\\frac{a}{b}`` → a/b. It never raises on LaTeX it does not know: an unknown command is shown by name.
"""

import html
import re
import unicodedata

__all__ = ["MathMLUnavailable", "inline_to_html", "prose_html", "quote_to_html", "title_html", "title_text", "to_html_flow", "to_mathml",
           "to_unicode"]


class MathMLUnavailable(RuntimeError):
    """latex2mathml is not installed (the HTML then shows the LaTeX source)."""


def to_mathml(latex, display="block"):
    """The MathML ``<math>`` element for ``latex`` (``display`` "block" or "inline"); raises MathMLUnavailable without latex2mathml."""
    try:
        from latex2mathml.converter import convert
    except ImportError:
        raise MathMLUnavailable("latex2mathml is not installed: pip install latex2mathml") from None
    out = _RAW_DELIM.sub(lambda m: ">" + html.escape(_DELIMS.get(m.group(1), m.group(1))) + "</mo>", convert(latex, display=display))
    # a command latex2mathml does not know comes out as its name (<mi>\\nrightarrow</mi>): show its symbol or its word
    return _RAW_CMD.sub(lambda m: ">" + html.escape(_SYMBOLS.get(m.group(1), m.group(1))) + "<", out)


# latex2mathml writes a sized delimiter given as a command (\Big\|, \bigg\{) as its LaTeX text: put the character in
_RAW_DELIM = re.compile(r">\\([A-Za-z]+|[|{}])</mo>")
_DELIMS = {"|": "‖", "Vert": "‖", "lVert": "‖", "rVert": "‖", "vert": "|", "lvert": "|", "rvert": "|", "{": "{", "}": "}",
           "langle": "⟨", "rangle": "⟩", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉"}


_RAW_CMD = re.compile(r">\\([A-Za-z]+)<")
_INLINE = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$")


def inline_to_html(text):
    """Escape ``text`` for HTML, rendering each ``$…$`` inside it as inline MathML (or as Unicode without latex2mathml)."""
    out, pos = [], 0
    for m in _INLINE.finditer(text):
        out.append(html.escape(text[pos:m.start()]))
        try:
            out.append(to_mathml(m.group(1), display="inline"))
        except MathMLUnavailable:
            out.append(html.escape(to_unicode(m.group(1))))
        except Exception:  # noqa: BLE001 (a converter failure on one fragment shows its readable form instead)
            out.append(html.escape(to_unicode(m.group(1))))
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


# ---------------------------------------------------------------- Unicode tables
_SYMBOLS = {
    # Greek
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε", "zeta": "ζ", "eta": "η",
    "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π",
    "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "ϕ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ",
    "Omega": "Ω",
    # relations and arrows
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈", "sim": "∼", "equiv": "≡",
    "to": "→", "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "implies": "⇒", "Leftarrow": "⇐", "iff": "⇔",
    "Leftrightarrow": "⇔", "mapsto": "↦", "in": "∈", "notin": "∉", "subset": "⊂", "subseteq": "⊆", "ll": "≪", "gg": "≫",
    "propto": "∝", "mid": "|", "perp": "⊥",
    # operators
    "partial": "∂", "nabla": "∇", "odot": "⊙", "otimes": "⊗", "oplus": "⊕", "cdot": "·", "times": "×", "circ": "∘",
    "pm": "±", "mp": "∓", "sum": "Σ", "prod": "∏", "int": "∫", "infty": "∞", "forall": "∀", "exists": "∃", "neg": "¬",
    "land": "∧", "lor": "∨", "cap": "∩", "cup": "∪", "emptyset": "∅", "top": "⊤", "dagger": "†", "ast": "∗", "star": "⋆",
    "cdots": "⋯", "ldots": "…", "dots": "…", "vdots": "⋮", "ddots": "⋱", "prime": "′", "setminus": "∖",
    "langle": "⟨", "rangle": "⟩", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "|": "‖", "Vert": "‖",
    "vert": "|", "{": "{", "}": "}", "%": "%", "#": "#", "&": "&", "_": "_", "$": "$", "angle": "∠", "\\": "; ",
    # spacing
    ",": " ", ";": " ", ":": " ", "!": "", " ": " ", "quad": "  ", "qquad": "    ",
}
_RELATIONS = {"sim", "le", "leq", "ge", "geq", "ne", "neq", "approx", "equiv", "to", "rightarrow", "Rightarrow", "implies", "iff",
              "Leftrightarrow", "Leftarrow", "leftarrow", "mapsto", "in", "notin", "subset", "subseteq", "propto"}
_FUNCTIONS = {"sin", "cos", "tan", "tanh", "sinh", "cosh", "arctan", "log", "ln", "exp", "max", "min", "sup", "inf",
              "lim", "det", "tr", "diag", "sign", "erf", "arccos", "arcsin", "coth", "sech", "rank", "argmax", "argmin"}
_DROP = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "displaystyle",
         "textstyle", "scriptstyle", "limits", "nolimits", "middle"}
_ONE_ARG_TEXT = {"text", "mathrm", "textrm", "operatorname", "mathit", "textit", "mathbf", "textbf", "boldsymbol",
                 "mathsf", "texttt", "mathtt", "mbox", "underline", "overline", "bm"}
_ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303", "widetilde": "\u0303", "bar": "\u0304",
            "vec": "\u20d7", "dot": "\u0307", "ddot": "\u0308"}
_BB = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ", "1": "𝟙"}
_CAL = {"N": "𝒩", "L": "ℒ", "O": "𝒪", "U": "𝒰", "D": "𝒟", "E": "ℰ", "F": "ℱ", "H": "ℋ"}
_SUB = dict(zip("0123456789+-=()aehijklmnoprstuvxβγρφχ−", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ₋"))
_SUP = dict(zip("0123456789+-=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWβγδθφχ−⊤′∗*",
                "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵝᵞᵟᶿᵠᵡ⁻ᵀ′**"))
_VULGAR = {("1", "2"): "½", ("1", "4"): "¼", ("3", "4"): "¾", ("1", "3"): "⅓", ("2", "3"): "⅔", ("1", "8"): "⅛"}


# ---------------------------------------------------------------- a small LaTeX reader
def _tokens(s):
    """Commands (``\\name`` or ``\\`` + one symbol), braces, ^, _, and single characters."""
    i, out = 0, []
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            m = re.match(r"[A-Za-z]+", s[i + 1:])
            if m:
                out.append(("cmd", m.group(0)))
                i += 1 + len(m.group(0))
                while i < len(s) and s[i] == " ":           # TeX ignores spaces after a command word
                    i += 1
            else:
                out.append(("cmd", s[i + 1]))
                i += 2
        else:
            out.append(("ch", c))
            i += 1
    return out


class _Reader:
    def __init__(self, latex):
        self.t, self.i = _tokens(latex), 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else None

    def next(self):
        tok = self.peek()
        self.i += 1
        return tok

    def skip_spaces(self):
        while self.peek() == ("ch", " "):
            self.i += 1

    def group(self):
        """One argument: a {…} group, a command, or one character; returns its rendering."""
        self.skip_spaces()
        tok = self.next()
        if tok is None:
            return ""
        if tok == ("ch", "{"):
            return self.until("}")
        if tok[0] == "cmd":
            return self.command(tok[1])
        return tok[1]

    def raw_group(self):
        """One argument's literal characters (for \\text{…}: no maths inside)."""
        self.skip_spaces()
        tok = self.next()
        if tok != ("ch", "{"):
            return "" if tok is None else (tok[1] if tok[0] == "ch" else _SYMBOLS.get(tok[1], tok[1]))
        depth, out = 1, []
        while self.peek() is not None:
            tok = self.next()
            if tok == ("ch", "{"):
                depth += 1
            elif tok == ("ch", "}"):
                depth -= 1
                if depth == 0:
                    break
            out.append(tok[1] if tok[0] == "ch" else (_SYMBOLS.get(tok[1], "\\" + tok[1]) if len(tok[1]) > 1 or tok[1] in _SYMBOLS else tok[1]))
        return "".join(out)

    def optional(self):
        """A [..] argument, if present."""
        if self.peek() != ("ch", "["):
            return None
        self.next()
        return self.until("]")

    def until(self, end):
        out = []
        while self.peek() is not None and self.peek() != ("ch", end):
            out.append(self.atom())
        self.next()
        return "".join(out)

    def atom(self):
        tok = self.next()
        if tok[0] == "ch":
            c = tok[1]
            if c == "{":
                return self.until("}")
            if c in "^_":
                return _script(self.group(), sup=c == "^")
            if c == "~":
                return " "
            if c == "&":
                return " "
            if c == "'":
                return "′"
            if c in "=<>":
                return f" {c} "
            return c
        return self.command(tok[1])

    def command(self, name):
        if name in ("frac", "tfrac", "dfrac", "cfrac"):
            a, b = self.group(), self.group()
            if (a, b) in _VULGAR:
                return _VULGAR[(a, b)]
            return f"{_wrap(a)}/{_wrap(b)}"
        if name == "sqrt":
            n = self.optional()
            a = self.group()
            root = {"3": "∛", "4": "∜"}.get(n, "√") if n else "√"
            return root + (a if len(a.strip()) == 1 else f"({a.strip()})")
        if name == "binom":
            a, b = self.group(), self.group()
            return f"C({a}, {b})"
        if name in _ONE_ARG_TEXT:
            return self.raw_group() if name in ("text", "textrm", "mbox", "textit", "textbf", "texttt") else self.group()
        if name in ("mathbb", "mathds", "mathbbm"):
            a = self.group()
            return "".join(_BB.get(c, c) for c in a)
        if name in ("mathcal", "mathscr"):
            a = self.group()
            return "".join(_CAL.get(c, c) for c in a)
        if name in _ACCENTS:
            a = self.group()
            return a + _ACCENTS[name] if len(a) == 1 else f"{name}({a})"
        if name == "underbrace":
            a = self.group()
            self.skip_spaces()
            if self.peek() == ("ch", "_"):
                self.next()
                return f"{a} (=: {self.group()})"
            return a
        if name in ("overset", "stackrel"):
            top, base = self.group(), self.group()
            return f"{base}^({top})" if len(top) > 1 else base + _script(top, True)
        if name in ("xrightarrow", "xleftarrow"):
            below = self.optional()
            above = self.group()
            label = ", ".join(x for x in (above, below) if x)
            return f" —{label}→ " if name == "xrightarrow" else f" ←{label}— "
        if name == "not":
            nxt = self.group().strip()
            return {"⇒": "⇏", "=": "≠", "∈": "∉", "⊂": "⊄", "≤": "≰", "≥": "≱", "∼": "≁"}.get(nxt, nxt + "\u0338")
        if name in _DROP:
            if name in ("left", "right", "middle"):
                self.skip_spaces()
                tok = self.next()
                if tok is None or tok == ("ch", "."):
                    return ""
                return tok[1] if tok[0] == "ch" else _SYMBOLS.get(tok[1], tok[1])
            return ""
        if name in ("begin", "end"):
            env = self.raw_group()
            if env in ("cases", "dcases"):
                return "{ " if name == "begin" else " }"
            return "[" if name == "begin" else "]"
        if name in _FUNCTIONS:
            nxt = self.peek()
            return name + (" " if nxt is not None and nxt[0] == "ch" and nxt[1].isalnum() else "")
        if name in _RELATIONS:
            return f" {_SYMBOLS[name]} "
        if name in _SYMBOLS:
            return _SYMBOLS[name]
        return name                                             # unknown: show its name, never raise


_SCRIPT_CHARS = re.escape("".join(sorted(set(_SUB.values()) | set(_SUP.values()))))


def _wrap(s):
    """Parenthesise a fraction's part unless it is a single symbol or number."""
    s = s.strip()
    return s if re.fullmatch(rf"[\w.′∂{_SCRIPT_CHARS}]+|[^\s]", s) or (s.startswith("(") and s.endswith(")") and s.count("(") == 1) else f"({s})"


def _script(s, sup):
    table = _SUP if sup else _SUB
    s = re.sub(r"\s*([=<>≤≥])\s*", r"\1", s.strip())
    if s and all(c in table for c in s):
        return "".join(table[c] for c in s)
    mark = "^" if sup else "_"
    if len(s) == 1:
        return mark + s
    return f"{mark}{s} " if re.fullmatch(r"\w+", s) else f"{mark}({s})"     # "W_rec c" stays apart


def to_unicode(latex):
    """A readable one-line Unicode form of a LaTeX formula (for terminals); see the module docstring."""
    r = _Reader(str(latex))
    out = []
    while r.peek() is not None:
        tok = r.peek()
        if tok == ("ch", "}"):                                  # an unbalanced brace: skip it
            r.next()
            continue
        out.append(r.atom())
    text = unicodedata.normalize("NFC", "".join(out))
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r" ([),;:\]])", r"\1", re.sub(r"\( ", "(", text))
    return text.strip()


_TEXT_CMDS = ("text", "textrm", "mbox", "textit", "mathrm")
_SPACING = re.compile(r"^(?:\s|\\[ ,;:!]|\\q?quad\b)*$")


def _split_text(latex):
    """[(kind, content)]: the statement cut at its top-level \\text{…} groups into "math" and "text" pieces."""
    out, buf, i, depth = [], [], 0, 0
    while i < len(latex):
        c = latex[i]
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+)\s*\{", latex[i:])
            if depth == 0 and m and m.group(1) in ("text", "textrm", "mbox", "textit"):
                j, d = i + m.end(), 1
                while j < len(latex) and d:
                    d += {"{": 1, "}": -1}.get(latex[j], 0)
                    j += 1
                if d:
                    raise ValueError("unbalanced braces in \\text{…}")
                out.append(("math", "".join(buf)))
                out.append(("text", latex[i + m.end():j - 1]))
                buf, i = [], j
                continue
            buf.append(latex[i:i + 2])
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(c, 0)
        buf.append(c)
        i += 1
    out.append(("math", "".join(buf)))
    return out


def to_html_flow(latex):
    """The statement as flowing HTML: its words as text (so long statements wrap) and its formulas as inline MathML.

    Raises (ValueError, MathMLUnavailable, or the converter's error) when a piece cannot be converted; the caller
    then shows the whole statement another way.
    """
    parts = []
    for kind, piece in _split_text(latex):
        if kind == "text":                      # words; maths written inside \text{…} (\{0, 10^{-6}\}) read as Unicode
            if re.search(r"[\\^_]", piece):
                lead, trail = piece[:len(piece) - len(piece.lstrip())], piece[len(piece.rstrip()):]
                piece = lead + to_unicode(piece) + trail
            parts.append(html.escape(piece))
        elif _SPACING.match(piece):
            parts.append(" " if piece else "")
        else:
            # TeX spacing at a piece's ends ("D_t;\\ " before \\text) is the space beside the words: strip it whole,
            # or a lone backslash is left to the converter
            edge = r"(?:\s|\\[ ,;:!]|\\q?quad\b)+"
            parts.append(" " + to_mathml(re.sub(rf"^{edge}|{edge}$", "", piece), display="inline") + " ")
    return "".join(parts)


# ---------------------------------------------------------------- titles: Unicode prose with TeX-style scripts
def _title_pieces(title):
    """[(text, "")] and [(script, "^" or "_")] pieces of a title such as ``(γ_v γ_g')^{t−k}`` or ``h_{t−1}``.

    ``^`` is always a superscript; ``_`` is a subscript only after a single letter or a closing symbol
    (``c_t``, ``‖_F``), so identifiers such as ``max_norm`` or ``init_params`` stay as they are.
    """
    out, buf, i = [], [], 0
    while i < len(title):
        c = title[i]
        word = re.search(r"[^\W_]*$", "".join(buf)).group(0)
        base_ok = c == "^" or (buf and (len(word) == 1 and not word.isdigit() or (not word and buf[-1] in ")]‖|'′∏Σ∑∫")))
        nxt = title[i + 1:i + 2]
        if c in "^_" and base_ok and (nxt in "{(" and nxt or nxt.isalnum()):
            if nxt in "{(":                             # x^{t−k}, and the plain-text x^(t−k)
                j, depth, close = i + 2, 1, "}" if nxt == "{" else ")"
                while j < len(title) and depth:
                    depth += {nxt: 1, close: -1}.get(title[j], 0)
                    j += 1
                arg, i = title[i + 2:j - 1], j
            else:
                arg = re.match(r"[A-Za-z0-9]+|[^\W_]" if c == "_" else r"[^\W_]", title[i + 1:]).group(0)   # γ_vγ_g: v
                i += 1 + len(arg)
            out += [("".join(buf), ""), (arg, c)]
            buf = []
            continue
        buf.append(c)
        i += 1
    out.append(("".join(buf), ""))
    return [p for p in out if p[0]]


def title_html(title):
    """A claim's title as HTML: its scripts as <sub>/<sup> (nested scripts too), everything else escaped."""
    return "".join(html.escape(t) if not k else f"<{'sup' if k == '^' else 'sub'}>{title_html(t)}</{'sup' if k == '^' else 'sub'}>"
                   for t, k in _title_pieces(str(title)))


def prose_html(text):
    """Prose with ``$…$`` formulas and plain-text scripts (``η^{t−1}``, ``W_hh``): MathML and <sub>/<sup>."""
    out, pos = [], 0
    for m in _INLINE.finditer(str(text)):
        out.append(title_html(text[pos:m.start()]))
        out.append(_formula(m.group(1), "inline"))
        pos = m.end()
    out.append(title_html(str(text)[pos:]))
    return "".join(out)


def title_text(title):
    """A claim's title as plain Unicode (for BibTeX and terminals): ``h_{t−1}`` → hₜ₋₁, ``x^{ab+c}`` → x^(ab+c)."""
    return "".join(t if not k else _script(title_text(t), sup=k == "^") for t, k in _title_pieces(str(title)))


# ---------------------------------------------------------------- a source's quote: prose, $…$ and $$…$$, or bare LaTeX
_DISPLAY = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$", re.S)
_BARE_WORD = re.compile(r"(?<![\\A-Za-z])([A-Za-z]{2,})(?![A-Za-z])")


def _tidy_tex(tex):
    """A quote's formula made readable to the converter: typographic quotes, alignment marks, \\tag, line breaks."""
    tex = tex.replace("’", "'").replace("‘", "'").replace("&", " ")
    tex = re.sub(r"\\tag\{([^}]*)\}", r"\\qquad (\1)", tex)
    return re.sub(r"\\\\", " ", tex).strip()


def _formula(tex, display):
    try:
        return to_mathml(_tidy_tex(tex), display=display)
    except Exception:  # noqa: BLE001 (no converter, or one it cannot read: its Unicode reading, never raw LaTeX)
        return html.escape(to_unicode(_tidy_tex(tex)))


def quote_to_html(text):
    """A verbatim quote from a source as HTML, its LaTeX as MathML.

    Three shapes occur: prose with ``$…$`` and ``$$…$$`` formulas; a fragment cut from a display formula, so one
    ``$$`` is unmatched (it is closed at the quote's end or opened at its start); and bare LaTeX with no dollar
    at all (pseudocode such as ``if \\|\\hat g\\|\\ge threshold then …``), whose words are set as words.
    """
    text = str(text)
    if text.count("$$") % 2:
        text = text + "$$" if text.lstrip().startswith("$$") else "$$" + text
    if "$" not in text:
        if not re.search(r"\\[A-Za-z|]|[\^_]\{", text):
            return title_html(text)
        return _bare_quote(text)
    out, pos = [], 0
    for m in _DISPLAY.finditer(text):
        out.append(_inline_quote(text[pos:m.start()]))   # a display formula in its own line, set flush with the quote
        out.append(f"<span class='display'>{_formula(chr(92) + 'displaystyle ' + m.group(1), 'inline')}</span>")
        pos = m.end()
    out.append(_inline_quote(text[pos:]))
    return "".join(out)


def _bare_quote(text):
    """LaTeX written without dollars, as pseudocode or prose: its words at brace depth 0 as text (so the line can
    wrap between them), the pieces between them as formulas; words inside a group (\\frac{threshold}{…}) as \\text."""
    pieces, buf, depth, i = [], [], 0, 0
    while i < len(text):
        m = _BARE_WORD.match(text, i) if depth == 0 and (i == 0 or text[i - 1] in " ,.;:(") else None
        if m and (m.end() == len(text) or text[m.end()] in " ,.;:)"):
            pieces.append(("math", "".join(buf)))
            pieces.append(("text", m.group(1)))
            buf, i = [], m.end()
            continue
        c = text[i]
        depth += {"{": 1, "}": -1}.get(c, 0) if text[i - 1:i] != "\\" else 0
        buf.append(c)
        i += 1
    pieces.append(("math", "".join(buf)))
    out = []
    for kind, p in pieces:
        if kind == "text" or not p.strip():
            out.append(html.escape(p))
        else:
            lead, trail = p[:len(p) - len(p.lstrip())], p[len(p.rstrip()):]
            out.append(html.escape(lead) + _formula(_BARE_WORD.sub(r"\\text{\1}", p), "inline") + html.escape(trail))
    return "".join(out)


def _inline_quote(text):
    out, pos = [], 0
    for m in _INLINE.finditer(text):
        out.append(title_html(text[pos:m.start()]))
        out.append(_formula(m.group(1), "inline"))
        pos = m.end()
    out.append(title_html(text[pos:].replace("$", "")))      # a lone dollar is a delimiter the quote cut off
    return "".join(out)
