#!/usr/bin/env python3
"""systemd_cmdline.py — read unit files and Exec*= command lines the way systemd does.

Written from systemd.syntax(7) and systemd.service(5) ("Command lines"), and
checked against the behaviour of systemd 252 and 257:

  * unit files: whitespace around lines and values is dropped; lines starting
    with '#' or ';' are comments (also inside a continuation); a line ending in
    an unescaped backslash continues on the next line, the backslash becoming a
    space;
  * command lines: words are split at whitespace; "double" and 'single' quotes
    group; C escapes (\\a \\b \\f \\n \\r \\t \\v \\\\ \\" \\' \\s \\xNN \\NNN
    \\uNNNN \\UNNNNNNNN) are decoded inside and outside quotes, any other escape
    is an error; an unquoted lone ';' separates commands, '\\;' is a literal ';';
    the first word may carry the prefixes @ - : + ! !!;
  * specifiers are resolved per word, after unquoting: '%%' is '%', those the
    caller knows (from the unit's name: unit_specifiers()) are filled in, any
    other known specifier becomes an opaque marker (so it can never compare equal
    to the literal text), an unknown one is an error;
  * at execution, unless the ':' prefix is given: a word that starts with '$'
    (not '${' or '$$') is replaced by the split value of that variable, '${NAME}'
    inside a word by the exact value, '$$' by '$'. Variables become markers too.

Bytes that are not UTF-8 (from \\xNN or octal escapes) are kept with
surrogateescape, so a comparison sees them exactly.

Run with --self-test to check the parser itself.
"""

import sys

WHITESPACE = " \t\n\r"
# Service-unit specifiers known to systemd 252..257 (systemd.unit(5) "Specifiers").
SPECIFIERS = set("aAbBCdEfgGhHiIjJlLmMnNopPqsStTuUvVwWyY")

MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"


class ParseError(ValueError):
    pass


def marker(text):
    """An opaque token standing for something systemd substitutes at run time."""
    return MARK_OPEN + text + MARK_CLOSE


# --- unit files --------------------------------------------------------------

def parse_unit_text(text):
    """Returns [(section, key, value)] in file order, values unstripped of nothing
    but surrounding whitespace, continuation lines joined as systemd does."""
    out = []
    section = None
    continuation = None
    for lineno, line in enumerate(text.split("\n"), 1):
        if line.lstrip(WHITESPACE)[:1] in ("#", ";"):
            continue  # comments are dropped, also within a continuation
        joined = line if continuation is None else continuation + line
        escaped = False
        for ch in joined:
            escaped = (not escaped) and ch == "\\"
        if escaped:
            continuation = joined[:-1] + " "
            continue
        continuation = None
        s = joined.strip(WHITESPACE)
        if not s:
            continue
        if s.startswith("["):
            if not s.endswith("]"):
                raise ParseError("line %d: bad section header %r" % (lineno, s))
            section = s[1:-1]
            continue
        if "=" not in s:
            raise ParseError("line %d: not an assignment: %r" % (lineno, s))
        if section is None:
            raise ParseError("line %d: assignment outside of a section" % lineno)
        k, v = s.split("=", 1)
        out.append((section, k.strip(WHITESPACE), v.strip(WHITESPACE)))
    if continuation is not None:
        s = continuation.strip(WHITESPACE)
        if s:
            raise ParseError("file ends inside a continuation line")
    return out


def parse_unit_file(path):
    with open(path, "rb") as f:
        return parse_unit_text(f.read().decode("utf-8", "surrogateescape"))


def unit_values(entries, section, key):
    return [v for (s, k, v) in entries if s == section and k == key]


# --- C escapes and words -----------------------------------------------------

def _hexval(s):
    try:
        return int(s, 16)
    except ValueError:
        return None


def _cunescape_one(p, i):
    """Decodes the escape whose letter is p[i] (the backslash is p[i-1]).
    Returns (bytes, number of characters consumed after the backslash)."""
    c = p[i]
    simple = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
              "v": "\v", "\\": "\\", '"': '"', "'": "'", "s": " "}
    if c in simple:
        return simple[c].encode(), 1
    if c == "x":
        h = p[i + 1:i + 3]
        v = _hexval(h) if len(h) == 2 and all(x in "0123456789abcdefABCDEF" for x in h) else None
        if v is None or v == 0:
            raise ParseError("bad \\x escape")
        return bytes([v]), 3
    if c in "uU":
        n = 4 if c == "u" else 8
        h = p[i + 1:i + 1 + n]
        if len(h) != n or not all(x in "0123456789abcdefABCDEF" for x in h):
            raise ParseError("bad \\%s escape" % c)
        v = int(h, 16)
        if v == 0 or v > 0x10FFFF:
            raise ParseError("bad \\%s escape" % c)
        return chr(v).encode("utf-8", "surrogatepass"), n + 1
    if c in "01234567":
        o = p[i:i + 3]
        if len(o) != 3 or not all(x in "01234567" for x in o):
            raise ParseError("bad octal escape")
        v = int(o, 8)
        if v == 0 or v > 255:
            raise ParseError("bad octal escape")
        return bytes([v]), 3
    raise ParseError("unknown escape \\%s" % c)


def _enc(ch):
    return ch.encode("utf-8", "surrogateescape")


def extract_first_word(p, pos):
    """systemd's extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE) on p from
    pos. Returns (word or None at the end, new position)."""
    n = len(p)
    while pos < n and p[pos] in WHITESPACE:
        pos += 1
    if pos >= n:
        return None, pos
    buf = bytearray()
    quote = None
    while pos < n:
        c = p[pos]
        if quote:
            if c == quote:
                quote = None
                pos += 1
            elif c == "\\":
                if pos + 1 >= n:
                    raise ParseError("unbalanced escape")
                b, used = _cunescape_one(p, pos + 1)
                buf += b
                pos += 1 + used
            else:
                buf += _enc(c)
                pos += 1
        else:
            if c in "'\"":
                quote = c
                pos += 1
            elif c == "\\":
                if pos + 1 >= n:
                    raise ParseError("unbalanced escape")
                b, used = _cunescape_one(p, pos + 1)
                buf += b
                pos += 1 + used
            elif c in WHITESPACE:
                break
            else:
                buf += _enc(c)
                pos += 1
    if quote:
        raise ParseError("unbalanced quotes")
    while pos < n and p[pos] in WHITESPACE:
        pos += 1
    return bytes(buf).decode("utf-8", "surrogateescape"), pos


def resolve_specifiers(word, known=None):
    """'%%' -> '%'; '%X' -> known['X'] when given, else an opaque marker."""
    out = []
    i = 0
    while i < len(word):
        c = word[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(word):
            out.append("%")  # a lone trailing '%' is kept
            break
        s = word[i + 1]
        if s == "%":
            out.append("%")
        elif s in SPECIFIERS:
            out.append(known[s] if known and s in known else marker("%" + s))
        else:
            raise ParseError("unknown specifier %%%s in %r" % (s, word))
        i += 2
    return "".join(out)


def _replace_env(word):
    """'$$' -> '$', '${NAME}' -> marker; anything else stays literal."""
    out = []
    i = 0
    n = len(word)
    while i < n:
        c = word[i]
        if c == "$" and i + 1 < n and word[i + 1] == "$":
            out.append("$")
            i += 2
        elif c == "$" and i + 1 < n and word[i + 1] == "{":
            end = word.find("}", i + 2)
            if end < 0:
                out.append(word[i:])
                break
            out.append(marker("${" + word[i + 2:end] + "}"))
            i = end + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def substitute_env(argv):
    out = []
    for w in argv:
        if w.startswith("$") and w[1:2] not in ("{", "$"):
            out.append(marker("$" + w[1:]))  # split value of the variable (0..n words)
        else:
            out.append(_replace_env(w))
    return out


class Command:
    def __init__(self, prefixes, path, argv):
        self.prefixes = prefixes
        self.path = path
        self.argv = argv

    def __repr__(self):
        return "Command(%r, %r, %r)" % (self.prefixes, self.path, self.argv)


def parse_exec(value, specifiers=None):
    """An Exec*= value -> [Command] with argv as the executed process sees it.
    specifiers: values for some specifier letters ({"i": ""}); others stay markers."""
    cmds = []
    p = value
    pos = 0
    while True:
        first, pos = extract_first_word(p, pos)
        if first is None:
            break
        prefixes = ""
        while first[:2] == "!!" or first[:1] in ("-", "@", ":", "+", "!"):
            k = 2 if first[:2] == "!!" else 1
            prefixes += first[:k]
            first = first[k:]
        path = resolve_specifiers(first, specifiers)
        words = []
        if "@" in prefixes:
            argv0, pos = extract_first_word(p, pos)
            if argv0 is None:
                raise ParseError("'@' prefix without argv[0]")
            words.append(resolve_specifiers(argv0, specifiers))
        else:
            words.append(path)
        semicolon = False
        while pos < len(p):
            if p[pos] == ";" and (pos + 1 == len(p) or p[pos + 1] in WHITESPACE):
                pos += 1
                semicolon = True
                break
            if p[pos:pos + 2] == "\\;" and (pos + 2 == len(p) or p[pos + 2] in WHITESPACE):
                words.append(";")
                pos += 2
                while pos < len(p) and p[pos] in WHITESPACE:
                    pos += 1
                continue
            w, pos = extract_first_word(p, pos)
            if w is None:
                break
            words.append(resolve_specifiers(w, specifiers))
        if ":" not in prefixes:
            words = substitute_env(words)
        cmds.append(Command(prefixes, path, words))
        if not semicolon:
            break
    return cmds


def unit_specifiers(unit_name):
    """The specifiers systemd derives from a unit's name alone (systemd.unit(5))."""
    base, _, _suffix = unit_name.rpartition(".")
    prefix, at, instance = base.partition("@")
    return {"n": unit_name, "N": base, "p": prefix, "i": instance if at else ""}


def exec_argv(entries, section, key, specifiers=None):
    """The argv of the single command of the last non-empty KEY= in SECTION."""
    vals = [v for v in unit_values(entries, section, key) if v]
    if not vals:
        raise ParseError("no %s= in [%s]" % (key, section))
    cmds = parse_exec(vals[-1], specifiers)
    if len(cmds) != 1:
        raise ParseError("%s= has %d commands, expected one" % (key, len(cmds)))
    return cmds[0].argv


# --- self-test ---------------------------------------------------------------

def _self_test():
    fails = 0

    def eq(what, got, want):
        nonlocal fails
        if got != want:
            fails += 1
            print("FAIL %s:\n  got  %r\n  want %r" % (what, got, want))

    def err(what, fn):
        nonlocal fails
        try:
            fn()
        except ParseError:
            return
        fails += 1
        print("FAIL %s: no error" % what)

    def argv(v):
        return parse_exec(v)[0].argv

    eq("plain", argv("/bin/echo a  b\tc"), ["/bin/echo", "a", "b", "c"])
    eq("quotes", argv("/bin/echo \"a b\" 'c d' e\"f g\"h"), ["/bin/echo", "a b", "c d", "ef gh"])
    eq("empty word", argv('/bin/echo "" x \'\''), ["/bin/echo", "", "x", ""])
    eq("escapes in quotes", argv(r'/bin/echo "a\"b\\c\td" ' + r"'it\'s'"), ["/bin/echo", 'a"b\\c\td', "it's"])
    eq("escapes bare", argv(r"/bin/echo a\sb \x41\101\u00e9\U0001F600"), ["/bin/echo", "a b", "AAé\U0001F600"])
    eq("8-bit byte", argv(r"/bin/echo \xff"), ["/bin/echo", b"\xff".decode("utf-8", "surrogateescape")])
    eq("single quote keeps double", argv("/bin/echo 'say \"hi\"'"), ["/bin/echo", 'say "hi"'])
    eq("percent", argv("/bin/echo 100%% %%n \"%%%%\""), ["/bin/echo", "100%", "%n", "%%"])
    eq("specifier", argv("/bin/echo %n x%ty"), ["/bin/echo", marker("%n"), "x" + marker("%t") + "y"])
    eq("escaped percent is a specifier", argv(r"/bin/echo \x25n"), ["/bin/echo", marker("%n")])
    err("unknown specifier", lambda: argv("/bin/echo %Q"))
    eq("known specifiers", parse_exec("/bin/echo %i x%iy %n %t", unit_specifiers("a-b.service"))[0].argv,
       ["/bin/echo", "", "xy", "a-b.service", marker("%t")])
    eq("instance", unit_specifiers("x@inst.service")["i"], "inst")
    eq("dollar", argv("/bin/echo $$HOME \"$${PATH}\" a$$ $$$$"), ["/bin/echo", "$HOME", "${PATH}", "a$", "$$"])
    eq("variables", argv("/bin/echo $HOME ${PATH} x${A}y a$B"),
       ["/bin/echo", marker("$HOME"), marker("${PATH}"), "x" + marker("${A}") + "y", "a$B"])
    eq("no expansion with ':'", argv(":/bin/echo $HOME $$"), ["/bin/echo", "$HOME", "$$"])
    eq("prefixes", parse_exec("-+/bin/true x")[0].prefixes, "-+")
    eq("argv0", argv("@/bin/busybox sh -c x"), ["sh", "-c", "x"])
    eq("semicolon", [c.argv for c in parse_exec("/bin/a x ; /bin/b \\; \";\"")],
       [["/bin/a", "x"], ["/bin/b", ";", ";"]])
    eq("semicolon glued", argv("/bin/a x;"), ["/bin/a", "x;"])
    err("unbalanced quote", lambda: argv('/bin/echo "abc'))
    err("unknown escape", lambda: argv(r"/bin/echo \q"))
    err("trailing backslash", lambda: argv("/bin/echo a\\"))
    err("NUL escape", lambda: argv(r"/bin/echo \x00"))

    unit = ("# c\n[Service]\n  ExecStart = /bin/echo a \\\n"
            "# comment inside\n"
            "        \"b c\" \\\n        d\n"
            "Environment=X=1\\\\\n"
            "Description=  spaced  \n")
    e = parse_unit_text(unit)
    eq("continuation", exec_argv(e, "Service", "ExecStart"), ["/bin/echo", "a", "b c", "d"])
    eq("escaped backslash at end is no continuation", unit_values(e, "Service", "Environment"), ["X=1\\\\"])
    eq("value stripped", unit_values(e, "Service", "Description"), ["spaced"])
    eq("last non-empty ExecStart", exec_argv(parse_unit_text("[S]\nExecStart=/a\nExecStart=\nExecStart=/b 1\n"), "S", "ExecStart"), ["/b", "1"])
    if fails:
        print("systemd_cmdline self-test: %d failure(s)" % fails)
        return 1
    print("systemd_cmdline self-test: ok")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(_self_test())
    print("usage: systemd_cmdline.py --self-test", file=sys.stderr)
    sys.exit(2)
