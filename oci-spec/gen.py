#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generate C structs, a yajl-based parser, a serializer and free functions
from a JSON document description (*.ospec).  The language is documented in
oci-spec/README.md; in short:

    prefix hako_spec                 # C prefix for every symbol of this file
    root config = config             # a top-level document: <name> = <struct>
    struct config {
      ociVersion  string  required
      mounts      []mount
      annotations map<string>
      uid         u32     required min=0 max=4294967295
      action      string  enum=SCMP_ACT_KILL|SCMP_ACT_ALLOW
      default     any     c=default_value
    }

Types: bool string i8 i16 i32 i64 u8 u16 u32 u64 double any object
<struct>, []T (array of T) and map<T> (an object with free keys, values
of type T), nested freely.
Attributes: required, nonempty, min=N, max=N, enum=a|b, c=<C name>.

    gen.py DESC.ospec OUT.h OUT.c     generate the code
    gen.py --dict DESC.ospec...       print a libFuzzer dictionary
"""
import os
import re
import sys

SCALARS = {
    "bool": ("bool", None),
    "string": ("char *", None),
    "i8": ("int8_t", (-(2**7), 2**7 - 1)),
    "i16": ("int16_t", (-(2**15), 2**15 - 1)),
    "i32": ("int32_t", (-(2**31), 2**31 - 1)),
    "i64": ("int64_t", (-(2**63), 2**63 - 1)),
    "u8": ("uint8_t", (0, 2**8 - 1)),
    "u16": ("uint16_t", (0, 2**16 - 1)),
    "u32": ("uint32_t", (0, 2**32 - 1)),
    "u64": ("uint64_t", (0, 2**64 - 1)),
    "double": ("double", None),
    "any": ("yajl_val", None),
    "object": ("yajl_val", None),
}
INTS = {k for k, v in SCALARS.items() if v[1] is not None}
RAW = {"any", "object"}  # kept as yajl trees
C_KEYWORDS = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch",
    "typedef", "union", "unsigned", "void", "volatile", "while", "bool", "true", "false",
    "_Bool", "_Alignas", "_Alignof", "_Atomic", "_Generic", "_Noreturn", "_Static_assert",
    "_Thread_local", "unix", "i386",  # linux: json-support.h #undefs it
}
# What a parse error says was expected, by kind.
EXPECTED = {"bool": "boolean", "string": "string", "double": "number", "object": "object"}


class Err(Exception):
    pass


def snake(name):
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"[^A-Za-z0-9]", "_", s).lower()
    if not s or s[0].isdigit():
        s = "_" + s
    if s in C_KEYWORDS:
        s += "_"
    return s


def cstr(s):
    out = []
    for ch in s:
        if ch in '\\"':
            out.append("\\" + ch)
        elif 0x20 <= ord(ch) < 0x7f:
            out.append(ch)
        else:
            out.extend("\\%03o" % b for b in ch.encode("utf-8"))
    return '"' + "".join(out) + '"'


def c_int(n, unsigned):
    if unsigned:
        return "UINT64_C (%d)" % n
    if n == -(2**63):
        return "INT64_MIN"
    return "INT64_C (%d)" % n


class Type:
    """A parsed type expression."""

    def __init__(self, text, lineno):
        self.text = text
        if text.startswith("[]"):
            self.kind = "array"
            self.elem = Type(text[2:], lineno)
        elif text.startswith("map<") and text.endswith(">"):
            self.kind = "map"
            self.elem = Type(text[4:-1], lineno)
        elif text in SCALARS:
            self.kind = "scalar"
            self.name = text
        elif re.fullmatch(r"[A-Za-z_]\w*", text):
            self.kind = "struct"
            self.name = text
        else:
            raise Err("line %d: cannot parse type %s" % (lineno, text))

    def innermost(self):
        t = self
        while t.kind in ("array", "map"):
            t = t.elem
        return t

    def mangle(self):
        if self.kind == "array":
            return "array_" + self.elem.mangle()
        if self.kind == "map":
            return "map_" + self.elem.mangle()
        return snake(self.name)

    def expected(self):
        if self.kind == "array":
            return "array"
        if self.kind in ("map", "struct"):
            return "object"
        if self.name in INTS:
            return "integer"
        return EXPECTED.get(self.name, "a value")


class Attrs:
    """Constraints; min, max and enum apply to the innermost scalar."""

    def __init__(self):
        self.required = False
        self.nonempty = False
        self.min = None
        self.max = None
        self.enum = None


class Field:
    def __init__(self, json, typ, attrs, lineno):
        self.json = json
        self.lineno = lineno
        self.type = Type(typ, lineno)
        self.a = Attrs()
        self.c = snake(json)
        for a in attrs:
            if a == "required":
                self.a.required = True
            elif a == "nonempty":
                self.a.nonempty = True
            elif a.startswith("min=") or a.startswith("max="):
                try:
                    n = int(a[4:], 0)
                except ValueError:
                    raise Err("line %d: %s: not an integer" % (lineno, a))
                setattr(self.a, a[:3], n)
            elif a.startswith("enum="):
                self.a.enum = a[5:].split("|")
                if "" in self.a.enum:
                    raise Err("line %d: empty enum value" % lineno)
            elif a.startswith("c="):
                self.c = a[2:]
                if not re.fullmatch(r"[A-Za-z_]\w*", self.c) or self.c in C_KEYWORDS:
                    raise Err("line %d: %s is not a usable C name" % (lineno, a))
            else:
                raise Err("line %d: unknown attribute %s" % (lineno, a))
        inner = self.type.innermost()
        constrained = self.a.min is not None or self.a.max is not None or self.a.enum
        t = self.type
        if t.kind == "array":
            t = t.elem.elem if t.elem.kind == "array" else t.elem
        if constrained and t.kind != "scalar":
            # Maps and deeper arrays share one parser per type, which
            # cannot carry a field's constraints.
            raise Err("line %d: min=, max= and enum= apply to T, []T and [][]T only" % lineno)
        if (self.a.min is not None or self.a.max is not None):
            if inner.kind != "scalar" or inner.name not in INTS:
                raise Err("line %d: min= and max= need an integer type" % lineno)
            lo, hi = SCALARS[inner.name][1]
            for n in (self.a.min, self.a.max):
                if n is not None and not lo <= n <= hi:
                    raise Err("line %d: %d is outside the range of %s" % (lineno, n, inner.name))
            if self.a.min is not None and self.a.max is not None and self.a.min > self.a.max:
                raise Err("line %d: min= is above max=" % lineno)
        if self.a.enum and (inner.kind != "scalar" or inner.name != "string"):
            raise Err("line %d: enum= needs a string type" % lineno)
        if self.a.nonempty and not (self.type.kind in ("array", "map")
                                    or (self.type.kind == "scalar" and self.type.name == "string")):
            raise Err("line %d: nonempty needs a string, an array or a map" % lineno)

    def has_flag(self):
        """Whether the struct records presence in has_<c>."""
        t = self.type
        if self.a.required:
            return False
        if t.kind == "array":
            return True
        return t.kind == "scalar" and t.name not in ("string",) and t.name not in RAW


class Struct:
    def __init__(self, name, lineno):
        self.name = name
        self.lineno = lineno
        self.fields = []


def parse_desc(text):
    prefix = None
    roots = []
    structs = {}
    order = []
    cur = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if cur is None:
            m = re.match(r"prefix\s+([A-Za-z_]\w*)$", line)
            if m:
                if prefix is not None:
                    raise Err("line %d: prefix given twice" % lineno)
                prefix = m.group(1)
                continue
            m = re.match(r"root\s+(\w+)\s*=\s*(\w+)$", line)
            if m:
                if any(r[0] == m.group(1) for r in roots):
                    raise Err("line %d: root %s defined twice" % (lineno, m.group(1)))
                roots.append((m.group(1), m.group(2), lineno))
                continue
            m = re.match(r"struct\s+([A-Za-z_]\w*)\s*\{$", line)
            if m:
                cur = Struct(m.group(1), lineno)
                if cur.name in structs:
                    raise Err("line %d: struct %s defined twice" % (lineno, cur.name))
                structs[cur.name] = cur
                order.append(cur)
                continue
            raise Err("line %d: cannot parse: %s" % (lineno, raw.strip()))
        if line == "}":
            cur = None
            continue
        parts = line.split()
        if len(parts) < 2:
            raise Err("line %d: a field needs a name and a type" % lineno)
        if any(f.json == parts[0] for f in cur.fields):
            raise Err("line %d: field %s given twice" % (lineno, parts[0]))
        cur.fields.append(Field(parts[0], parts[1], parts[2:], lineno))
    if cur is not None:
        raise Err("line %d: struct %s is not closed" % (cur.lineno, cur.name))
    if prefix is None:
        raise Err("missing prefix")
    for s in order:
        names = {}
        for f in s.fields:
            t = f.type.innermost()
            if t.kind == "struct" and t.name not in structs:
                raise Err("line %d: unknown type %s" % (f.lineno, t.name))
            members = [f.c]
            if f.has_flag():
                members.append("has_" + f.c)
            if f.type.kind == "array":
                members.append(f.c + "_len")
                if f.type.elem.kind == "array":
                    members.append(f.c + "_lens")
            for m in members:
                if m in names:
                    raise Err("line %d: C member %s of struct %s clashes with field %s (use c=)"
                              % (f.lineno, m, s.name, names[m]))
                names[m] = f.json
    for rname, sname, lineno in roots:
        if sname not in structs:
            raise Err("line %d: root %s names unknown struct %s" % (lineno, rname, sname))
    return prefix, [(r, s) for r, s, _ in roots], structs, order


def tidy(lines, params=("path", "err")):
    """Drop element path declarations nothing uses and mark unused
    parameters, so that the generated code is warning-free."""
    text = "\n".join(lines)
    out = []
    for l in lines:
        m = re.match(r"\s*hako_jpath_t (\w+) = ", l)
        if m and len(re.findall(r"\b%s\b" % m.group(1), text)) == 1:
            continue
        out.append(l)
    text = "\n".join(out)
    unused = ["(void) %s;" % p for p in params if not re.search(r"\b%s\b" % p, text)]
    return unused + out


def indent(lines, n):
    pad = " " * n
    return [(pad + l) if l else l for l in lines]


class Gen:
    def __init__(self, prefix, roots, structs, order, base):
        self.p = prefix
        self.roots = roots
        self.structs = structs
        self.order = order
        self.base = base
        # Composite types that need a C type of their own, in dependency
        # order: type text -> Type.  Maps always; arrays only when they are
        # not a struct field's own array (those are inlined).
        self.boxes = {}
        for s in order:
            for f in s.fields:
                t = f.type
                if t.kind == "array":
                    # The field holds T *f or, for [][]U, U **f with f_lens.
                    t = t.elem.elem if t.elem.kind == "array" else t.elem
                    self.collect(t)
                else:
                    self.collect(t)

        # Every symbol the generated code defines must be unique.
        seen = {}

        def claim(sym, what):
            if sym in seen:
                raise Err("generated name %s of %s clashes with %s" % (sym, what, seen[sym]))
            seen[sym] = what
        for s in order:
            claim(self.sname(s.name), "struct " + s.name)
            for fn in ("parse", "free", "gen"):
                claim("%s_%s" % (self.sname(s.name), fn), "struct " + s.name)
            for f in s.fields:
                claim("parse_%s_%s" % (s.name, f.c), "%s.%s" % (s.name, f.json))
                if f.type.kind == "array":
                    claim("free_%s_%s" % (s.name, f.c), "%s.%s" % (s.name, f.json))
        for t in self.boxes.values():
            claim(self.box_name(t), "type " + t.text)
            for fn in ("parse", "free", "gen"):
                claim("%s_%s" % (self.box_name(t), fn), "type " + t.text)
        for rname, _ in roots:
            for fn in ("parse_data", "parse_file", "to_json"):
                claim("%s_%s_%s" % (self.p, rname, fn), "root " + rname)

    def collect(self, t):
        if t.kind in ("array", "map"):
            self.collect(t.elem)
            if t.text not in self.boxes:
                self.boxes[t.text] = t

    def sname(self, s):
        return "%s_%s" % (self.p, s)

    def box_name(self, t):
        return "%s_%s" % (self.p, t.mangle())

    def elem_ctype(self, t):
        """The C type of one value of type T held in an array or map."""
        if t.kind == "scalar":
            return SCALARS[t.name][0]
        if t.kind == "struct":
            return "%s *" % self.sname(t.name)
        return "%s *" % self.box_name(t)

    @staticmethod
    def decl(ctype, name):
        return ctype + name if ctype.endswith("*") else ctype + " " + name

    # ---------------------------------------------------------------- header
    def header(self):
        o = []
        guard = "HAKO_GEN_%s_H" % re.sub(r"\W", "_", self.base).upper()
        o.append("/* Generated by oci-spec/gen.py from %s.ospec; do not edit. */" % self.base)
        o.append("#ifndef %s\n#define %s\n" % (guard, guard))
        o.append("#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>")
        o.append("#include <yajl/yajl_gen.h>\n#include <yajl/yajl_tree.h>\n")
        o.append('#include "json-support.h"\n')
        for s in self.order:
            o.append("typedef struct %s %s;" % (self.sname(s.name), self.sname(s.name)))
        for t in self.boxes.values():
            o.append("typedef struct %s %s;" % (self.box_name(t), self.box_name(t)))
        o.append("")
        for t in self.boxes.values():
            n = self.box_name(t)
            if t.kind == "map":
                o.append("/* %s: keys in document order, each once (the last one given wins). */" % t.text)
                o.append("struct %s\n{\n  char **keys;\n  %s;\n  size_t len;\n};\n"
                         % (n, self.decl(self.elem_ctype(t.elem), "*values")))
            else:
                o.append("/* %s */" % t.text)
                o.append("struct %s\n{\n  %s;\n  size_t len;\n};\n"
                         % (n, self.decl(self.elem_ctype(t.elem), "*items")))
        for s in self.order:
            o.append("struct %s\n{" % self.sname(s.name))
            for f in s.fields:
                t = f.type
                note = "  /* %s%s */" % (f.json, ", required" if f.a.required else "")
                if t.kind == "scalar":
                    o.append("  %s;%s" % (self.decl(SCALARS[t.name][0], f.c), note))
                elif t.kind == "struct":
                    o.append("  %s *%s;%s" % (self.sname(t.name), f.c, note))
                elif t.kind == "map":
                    o.append("  %s *%s;%s" % (self.box_name(t), f.c, note))
                elif t.kind == "array":
                    if t.elem.kind == "array":
                        o.append("  %s;%s" % (self.decl(self.elem_ctype(t.elem.elem), "**" + f.c), note))
                        o.append("  size_t *%s_lens;" % f.c)
                    else:
                        o.append("  %s;%s" % (self.decl(self.elem_ctype(t.elem), "*" + f.c), note))
                    o.append("  size_t %s_len;" % f.c)
                if f.has_flag():
                    o.append("  bool has_%s;" % f.c)
            o.append("};\n")
        o.append("/* X_parse: parse TREE (not consumed) into a new *OUT, which belongs to the")
        o.append("   caller even on failure.  PATH names TREE in error messages.  X_gen: add V")
        o.append("   to G.  X_free: release V and everything it holds (NULL is fine).  */")
        for s in self.order:
            n = self.sname(s.name)
            o.append("void %s_free (%s *v);" % (n, n))
            o.append("int %s_parse (yajl_val tree, const hako_jpath_t *path, %s **out, hako_error_t **err);" % (n, n))
            o.append("int %s_gen (yajl_gen g, const %s *v);" % (n, n))
        for t in self.boxes.values():
            n = self.box_name(t)
            o.append("void %s_free (%s *v);" % (n, n))
            o.append("int %s_parse (yajl_val tree, const hako_jpath_t *path, %s **out, hako_error_t **err);" % (n, n))
            o.append("int %s_gen (yajl_gen g, const %s *v);" % (n, n))
        for rname, sname in self.roots:
            n = self.sname(sname)
            o.append("")
            o.append("/* The %s document.  DATA must be NUL-terminated at DATA[LEN]; SOURCE names" % rname)
            o.append("   it in errors (\"SOURCE: path: what was expected\").  */")
            o.append("%s *%s_%s_parse_data (const char *data, size_t len, const char *source, hako_error_t **err);" % (n, self.p, rname))
            o.append("%s *%s_%s_parse_file (const char *file, hako_error_t **err);" % (n, self.p, rname))
            o.append("/* Serialize; FLAGS: 0 or HAKO_JSON_PRETTY (| HAKO_JSON_TABS).  Returns a")
            o.append("   malloc'd NUL-terminated string, its length in *LEN when LEN is not NULL.  */")
            o.append("char *%s_%s_to_json (const %s *v, int flags, size_t *len, hako_error_t **err);" % (self.p, rname, n))
        o.append("\n#endif")
        return "\n".join(o) + "\n"

    # ---------------------------------------------------------------- parse
    # What a loop over elements does when one fails: stop, or (collecting
    # every problem, see hako_jpath_collecting) note it and go on.
    LOOP_FAIL = ["{", "  if (! hako_jpath_collecting (path))", "    return -1;", "  failed_ = true;", "  continue;", "}"]

    def parse_value(self, t, a, src, dst, path, fail=("return -1;",)):
        """Statements parsing yajl_val SRC into lvalue DST (which is empty);
        on error (with the problem reported) they run FAIL, lines that must
        leave the statements."""
        fail = list(fail)
        if t.kind == "struct":
            fn = self.sname(t.name)
        elif t.kind in ("array", "map"):
            fn = self.box_name(t)
        else:
            fn = None
        if fn:
            return ["if (%s_parse (%s, %s, &%s, err) < 0)" % (fn, src, path, dst)] + indent(fail, 2)
        n = t.name
        o = []
        if n == "any":
            return ["%s = hako_json_copy (%s);" % (dst, src)]
        if n == "object":
            return (["if (! YAJL_IS_OBJECT (%s))" % src, "  {",
                     "    hako_json_type_error (err, %s, \"object\", %s);" % (path, src)]
                    + indent(fail, 4) + ["  }", "%s = hako_json_copy (%s);" % (dst, src)])
        if n in ("bool", "string", "double"):
            o += ["if (hako_json_get_%s (%s, %s, &%s, err) < 0)" % (n, src, path, dst)] + indent(fail, 2)
            if n == "string" and a is not None and a.enum:
                arr = "(const char *const[]){ %s, NULL }" % ", ".join(cstr(e) for e in a.enum)
                o += ["if (hako_json_check_enum (%s, %s, %s, err) < 0)" % (dst, path, arr)] + indent(fail, 2)
            return o
        lo, hi = SCALARS[n][1]
        if a is not None and a.min is not None:
            lo = max(lo, a.min)
        if a is not None and a.max is not None:
            hi = min(hi, a.max)
        if n[0] == "u":
            get = "hako_json_get_u64 (%s, %s, %s, %s, &tmp_, err)" % (src, path, c_int(lo, True), c_int(hi, True))
            tmp = "uint64_t tmp_;"
        else:
            get = "hako_json_get_i64 (%s, %s, %s, %s, &tmp_, err)" % (src, path, c_int(lo, False), c_int(hi, False))
            tmp = "int64_t tmp_;"
        # FAIL may be `continue`: the assignment must not be reached.
        o += ["{", "  " + tmp, "  if (%s < 0)" % get] + indent(fail, 4)
        o += ["  %s = (%s) tmp_;" % (dst, SCALARS[n][0]), "}"]
        return o

    def free_value(self, t, expr):
        """A statement releasing one value of type T, or None."""
        if t.kind == "scalar":
            if t.name == "string":
                return "free (%s);" % expr
            if t.name in RAW:
                return "hako_json_free (%s);" % expr
            return None
        if t.kind == "struct":
            return "%s_free (%s);" % (self.sname(t.name), expr)
        return "%s_free (%s);" % (self.box_name(t), expr)

    def field_reset(self, s, f):
        """Statements making field F of V absent."""
        t = f.type
        o = []
        if t.kind == "array":
            o.append("free_%s_%s (v);" % (s.name, f.c))
        else:
            fr = self.free_value(t, "v->" + f.c)
            if fr:
                o.append(fr)
            if t.kind != "scalar" or t.name in ("string",) or t.name in RAW:
                o.append("v->%s = NULL;" % f.c)
            else:
                o.append("v->%s = 0;" % f.c)
        if f.has_flag():
            o.append("v->has_%s = false;" % f.c)
        return o

    def field_parser(self, s, f):
        """A static function parsing the value in *SLOT into field F of V.
        SLOT is not NULL and not a JSON null."""
        n = self.sname(s.name)
        t = f.type
        o = ["static int",
             "parse_%s_%s (yajl_val *slot, const hako_jpath_t *path, %s *v, hako_error_t **err)" % (s.name, f.c, n),
             "{"]
        body = self.field_reset(s, f)
        if t.kind == "array":
            et = t.elem
            body += ["yajl_val fv = *slot;",
                     "if (! YAJL_IS_ARRAY (fv))",
                     "  return hako_json_type_error (err, path, \"array\", fv);",
                     "size_t n_ = fv->u.array.len;"]
            if f.a.nonempty:
                body += ["if (n_ == 0)", "  return hako_json_error (err, path, \"must not be empty\");"]
            body.append("v->%s = hako_xcalloc (n_ + 1, sizeof (*v->%s));" % (f.c, f.c))
            if et.kind == "array":
                body.append("v->%s_lens = hako_xcalloc (n_ + 1, sizeof (size_t));" % f.c)
            body += ["bool failed_ = false;",
                     "for (size_t j = 0; j < n_; j++)", "  {",
                     "    hako_jpath_t ep_ = { path, NULL, j };"]
            inner = []
            if et.kind == "array":
                inner += ["yajl_val ev_ = fv->u.array.values[j];",
                          "if (! YAJL_IS_ARRAY (ev_))", "  {",
                          "    hako_json_type_error (err, &ep_, \"array\", ev_);"]
                inner += indent(self.LOOP_FAIL, 4) + ["  }"]
                inner += ["size_t m_ = ev_->u.array.len;",
                          "v->%s[j] = hako_xcalloc (m_ + 1, sizeof (*v->%s[j]));" % (f.c, f.c),
                          "v->%s_len = j + 1;" % f.c,
                          "for (size_t k = 0; k < m_; k++)", "  {",
                          "    hako_jpath_t ip_ = { &ep_, NULL, k };",
                          "    v->%s_lens[j] = k + 1;" % f.c]
                inner += indent(self.parse_value(et.elem, f.a, "ev_->u.array.values[k]", "v->%s[j][k]" % f.c, "&ip_",
                                                 self.LOOP_FAIL), 4)
                inner.append("  }")
            else:
                inner.append("v->%s_len = j + 1;" % f.c)
                inner += self.parse_value(et, f.a, "fv->u.array.values[j]", "v->%s[j]" % f.c, "&ep_", self.LOOP_FAIL)
            body += indent(inner, 4)
            body += ["  }", "if (failed_)", "  return -1;"]
        elif t.kind == "map":
            body += ["if (%s_parse (*slot, path, &v->%s, err) < 0)" % (self.box_name(t), f.c), "  return -1;"]
            if f.a.nonempty:
                body += ["if (v->%s->len == 0)" % f.c,
                         "  return hako_json_error (err, path, \"must not be empty\");"]
        else:
            body += self.parse_value(t, f.a, "*slot", "v->" + f.c, "path")
            if t.kind == "scalar" and t.name == "string" and f.a.nonempty:
                body += ["if (v->%s[0] == '\\0')" % f.c,
                         "  return hako_json_error (err, path, \"must not be empty\");"]
        if f.has_flag():
            body.append("v->has_%s = true;" % f.c)
        body.append("return 0;")
        o += indent(tidy(body), 2)
        o += ["}", ""]
        return o

    def field_free(self, s, f):
        """free_<struct>_<field>: release an array field and zero it."""
        n = self.sname(s.name)
        t = f.type
        o = ["static void", "free_%s_%s (%s *v)" % (s.name, f.c, n), "{"]
        et = t.elem
        if et.kind == "array":
            fe = self.free_value(et.elem, "v->%s[j][k]" % f.c)
            o += ["  for (size_t j = 0; v->%s != NULL && j < v->%s_len; j++)" % (f.c, f.c), "    {"]
            if fe:
                o += ["      for (size_t k = 0; k < v->%s_lens[j]; k++)" % f.c, "        " + fe]
            o += ["      free (v->%s[j]);" % f.c, "    }"]
            o += ["  free (v->%s_lens);" % f.c, "  v->%s_lens = NULL;" % f.c]
        else:
            fe = self.free_value(et, "v->%s[j]" % f.c)
            if fe:
                o += ["  for (size_t j = 0; v->%s != NULL && j < v->%s_len; j++)" % (f.c, f.c), "    " + fe]
        o += ["  free (v->%s);" % f.c, "  v->%s = NULL;" % f.c, "  v->%s_len = 0;" % f.c, "}", ""]
        return o

    def struct_parse(self, s):
        n = self.sname(s.name)
        o = []
        for f in s.fields:
            if f.type.kind == "array":
                o += self.field_free(s, f)
        for f in s.fields:
            o += self.field_parser(s, f)
        o += ["int", "%s_parse (yajl_val tree, const hako_jpath_t *path, %s **out, hako_error_t **err)" % (n, n), "{"]
        b = ["*out = NULL;",
             "if (! YAJL_IS_OBJECT (tree))",
             "  return hako_json_type_error (err, path, \"object\", tree);",
             "%s *v = hako_xcalloc (1, sizeof (*v));" % n,
             "*out = v;"]
        req = [f for f in s.fields if f.a.required]
        b.append("bool failed_ = false;")
        for f in req:
            b.append("bool seen_%s = false;" % f.c)
        if s.fields:
            b += ["for (size_t i = 0; i < tree->u.object.len; i++)", "  {",
                  "    const char *k = tree->u.object.keys[i];",
                  "    yajl_val *slot = &tree->u.object.values[i];",
                  "    hako_jpath_t fp_ = { path, k, (size_t) -1 };"]
            first = True
            for f in s.fields:
                b.append("    %sif (strcmp (k, %s) == 0)" % ("" if first else "else ", cstr(f.json)))
                first = False
                fb = []
                if f.a.required:
                    fb.append("seen_%s = true;" % f.c)
                if not (f.type.kind == "scalar" and f.type.name == "any"):
                    # null: as if the key were not there, which a required
                    # property cannot be (for `any`, null is a value).
                    # Duplicate keys are gone: see hako_json_parse_tree.
                    fb += ["if (YAJL_IS_NULL (*slot))"]
                    if f.a.required:
                        fb += ["  {", "    hako_json_type_error (err, &fp_, \"%s\", *slot);" % f.type.expected()]
                        fb += indent(self.LOOP_FAIL, 4) + ["  }"]
                    else:
                        fb.append("  continue;")
                fb += ["if (parse_%s_%s (slot, &fp_, v, err) < 0)" % (s.name, f.c)] + indent(self.LOOP_FAIL, 2)
                b += indent(["{"] + indent(fb, 2) + ["}"], 6)
            b.append("  }")
        for f in req:
            b += ["if (! seen_%s)" % f.c, "  {",
                  "    hako_jpath_t mp_ = { path, %s, (size_t) -1 };" % cstr(f.json),
                  "    hako_json_error (err, &mp_, \"required property is missing\");",
                  "    if (! hako_jpath_collecting (path))", "      return -1;",
                  "    failed_ = true;", "  }"]
        b.append("return failed_ ? -1 : 0;")
        o += indent(tidy(b), 2) + ["}", ""]
        return o

    def box_parse(self, t):
        n = self.box_name(t)
        et = t.elem
        o = ["int", "%s_parse (yajl_val tree, const hako_jpath_t *path, %s **out, hako_error_t **err)" % (n, n), "{"]
        b = ["*out = NULL;", "bool failed_ = false;"]
        if t.kind == "map":
            b += ["if (! YAJL_IS_OBJECT (tree))",
                  "  return hako_json_type_error (err, path, \"object\", tree);",
                  "size_t n_ = tree->u.object.len;",
                  "%s *m = *out = hako_xcalloc (1, sizeof (*m));" % n,
                  "m->keys = hako_xcalloc (n_ + 1, sizeof (char *));",
                  "m->values = hako_xcalloc (n_ + 1, sizeof (*m->values));",
                  "for (size_t j = 0; j < n_; j++)", "  {",
                  "    hako_jpath_t ep_ = { path, tree->u.object.keys[j], (size_t) -1 };",
                  "    m->keys[j] = hako_xstrdup (tree->u.object.keys[j]);",
                  "    m->len = j + 1;"]
            b += indent(self.parse_value(et, None, "tree->u.object.values[j]", "m->values[j]", "&ep_", self.LOOP_FAIL), 4)
        else:
            b += ["if (! YAJL_IS_ARRAY (tree))",
                  "  return hako_json_type_error (err, path, \"array\", tree);",
                  "size_t n_ = tree->u.array.len;",
                  "%s *a = *out = hako_xcalloc (1, sizeof (*a));" % n,
                  "a->items = hako_xcalloc (n_ + 1, sizeof (*a->items));",
                  "for (size_t j = 0; j < n_; j++)", "  {",
                  "    hako_jpath_t ep_ = { path, NULL, j };",
                  "    a->len = j + 1;"]
            b += indent(self.parse_value(et, None, "tree->u.array.values[j]", "a->items[j]", "&ep_", self.LOOP_FAIL), 4)
        b += ["  }", "return failed_ ? -1 : 0;"]
        o += indent(tidy(b), 2) + ["}", ""]
        return o

    # ---------------------------------------------------------------- free
    def struct_free(self, s):
        n = self.sname(s.name)
        o = ["void", "%s_free (%s *v)" % (n, n), "{", "  if (v == NULL)", "    return;"]
        for f in s.fields:
            if f.type.kind == "array":
                o.append("  free_%s_%s (v);" % (s.name, f.c))
            else:
                fe = self.free_value(f.type, "v->" + f.c)
                if fe:
                    o.append("  " + fe)
        o += ["  free (v);", "}", ""]
        return o

    def box_free(self, t):
        n = self.box_name(t)
        o = ["void", "%s_free (%s *v)" % (n, n), "{", "  if (v == NULL)", "    return;"]
        items = "values" if t.kind == "map" else "items"
        fe = self.free_value(t.elem, "v->%s[i]" % items)
        if t.kind == "map" or fe:
            o += ["  for (size_t i = 0; i < v->len; i++)", "    {"]
            if t.kind == "map":
                o.append("      free (v->keys[i]);")
                o.append("      " + fe if fe else "")
            else:
                o.append("      " + fe)
            o = [l for l in o if l != ""]
            o.append("    }")
        if t.kind == "map":
            o.append("  free (v->keys);")
        o += ["  free (v->%s);" % items, "  free (v);", "}", ""]
        return o

    # ---------------------------------------------------------------- gen
    def gen_value(self, t, expr):
        """Statements adding the value EXPR of type T to g."""
        if t.kind == "struct":
            return ["if (%s_gen (g, %s) < 0)" % (self.sname(t.name), expr), "  return -1;"]
        if t.kind in ("array", "map"):
            return ["if (%s_gen (g, %s) < 0)" % (self.box_name(t), expr), "  return -1;"]
        n = t.name
        if n == "bool":
            c = "yajl_gen_bool (g, %s)" % expr
        elif n == "string":
            c = "hako_json_gen_string (g, %s)" % expr
        elif n == "double":
            c = "yajl_gen_double (g, %s)" % expr
        elif n in RAW:
            c = "hako_json_gen_tree (g, %s)" % expr
        elif n[0] == "u":
            c = "hako_json_gen_u64 (g, %s)" % expr
        else:
            c = "yajl_gen_integer (g, (long long) %s)" % expr
        return ["if (%s != yajl_gen_status_ok)" % c, "  return -1;"]

    def struct_gen(self, s):
        n = self.sname(s.name)
        o = ["int", "%s_gen (yajl_gen g, const %s *v)" % (n, n), "{"]
        b = ["if (yajl_gen_map_open (g) != yajl_gen_status_ok)", "  return -1;"]
        for f in s.fields:
            t = f.type
            key = ["if (hako_json_gen_key (g, %s) != yajl_gen_status_ok)" % cstr(f.json), "  return -1;"]
            if t.kind == "scalar":
                if t.name == "string" or t.name in RAW:
                    cond = "v->%s != NULL" % f.c
                elif f.a.required:
                    cond = None
                else:
                    # A value set in code without its has_ flag still counts.
                    cond = "v->has_%s || v->%s != 0" % (f.c, f.c)
                body = key + self.gen_value(t, "v->" + f.c)
            elif t.kind in ("struct", "map"):
                cond = "v->%s != NULL" % f.c
                body = key + self.gen_value(t, "v->" + f.c)
            else:
                cond = None if f.a.required else "v->has_%s || v->%s_len > 0" % (f.c, f.c)
                body = key + ["if (yajl_gen_array_open (g) != yajl_gen_status_ok)", "  return -1;",
                              "for (size_t j = 0; j < v->%s_len; j++)" % f.c, "  {"]
                if t.elem.kind == "array":
                    inner = ["if (yajl_gen_array_open (g) != yajl_gen_status_ok)", "  return -1;",
                             "for (size_t k = 0; k < v->%s_lens[j]; k++)" % f.c, "  {"]
                    inner += indent(self.gen_value(t.elem.elem, "v->%s[j][k]" % f.c), 4)
                    inner += ["  }", "if (yajl_gen_array_close (g) != yajl_gen_status_ok)", "  return -1;"]
                else:
                    inner = self.gen_value(t.elem, "v->%s[j]" % f.c)
                body += indent(inner, 4)
                body += ["  }", "if (yajl_gen_array_close (g) != yajl_gen_status_ok)", "  return -1;"]
            if cond is None:
                b += body
            else:
                b += ["if (%s)" % cond, "  {"] + indent(body, 4) + ["  }"]
        b += ["if (yajl_gen_map_close (g) != yajl_gen_status_ok)", "  return -1;", "return 0;"]
        o += indent(b, 2) + ["}", ""]
        return o

    def box_gen(self, t):
        n = self.box_name(t)
        o = ["int", "%s_gen (yajl_gen g, const %s *v)" % (n, n), "{"]
        if t.kind == "map":
            b = ["if (yajl_gen_map_open (g) != yajl_gen_status_ok)", "  return -1;",
                 "for (size_t i = 0; i < v->len; i++)", "  {",
                 "    if (hako_json_gen_key (g, v->keys[i]) != yajl_gen_status_ok)", "      return -1;"]
            b += indent(self.gen_value(t.elem, "v->values[i]"), 4)
            b += ["  }", "if (yajl_gen_map_close (g) != yajl_gen_status_ok)", "  return -1;", "return 0;"]
        else:
            b = ["if (yajl_gen_array_open (g) != yajl_gen_status_ok)", "  return -1;",
                 "for (size_t i = 0; i < v->len; i++)", "  {"]
            b += indent(self.gen_value(t.elem, "v->items[i]"), 4)
            b += ["  }", "if (yajl_gen_array_close (g) != yajl_gen_status_ok)", "  return -1;", "return 0;"]
        o += indent(b, 2) + ["}", ""]
        return o

    def roots_code(self):
        o = []
        for rname, sname in self.roots:
            n = self.sname(sname)
            fn = "%s_%s" % (self.p, rname)
            o += ["%s *" % n, "%s_parse_data (const char *data, size_t len, const char *source, hako_error_t **err)" % fn,
                  "{",
                  "  yajl_val tree = hako_json_parse_tree (data, len, source, err);",
                  "  if (tree == NULL)", "    return NULL;",
                  "  hako_jpath_t root_ = { NULL, NULL, (size_t) -1 };",
                  "  %s *v = NULL;" % n,
                  "  int r = %s_parse (tree, &root_, &v, err);" % n,
                  "  hako_json_free (tree);",
                  "  if (r < 0)", "    {",
                  "      %s_free (v);" % n,
                  "      hako_error_prefix (err, \"%s\", source);",
                  "      return NULL;", "    }",
                  "  return v;", "}", ""]
            o += ["%s *" % n, "%s_parse_file (const char *file, hako_error_t **err)" % fn, "{",
                  "  size_t len = 0;",
                  "  char *data = hako_json_read_file (file, &len, err);",
                  "  if (data == NULL)", "    return NULL;",
                  "  %s *v = %s_parse_data (data, len, file, err);" % (n, fn),
                  "  free (data);", "  return v;", "}", ""]
            o += ["char *", "%s_to_json (const %s *v, int flags, size_t *len, hako_error_t **err)" % (fn, n), "{",
                  "  yajl_gen g = hako_json_gen_new (flags);",
                  "  if (%s_gen (g, v) < 0)" % n, "    {",
                  "      yajl_gen_free (g);",
                  "      hako_error_set (err, 0, \"cannot serialize the %s document\");" % rname,
                  "      return NULL;", "    }",
                  "  return hako_json_gen_finish (g, len);", "}", ""]
        return o

    def source(self):
        o = ["/* Generated by oci-spec/gen.py from %s.ospec; do not edit. */" % self.base,
             "#include <config.h>\n\n#include <stdlib.h>\n#include <string.h>\n",
             '#include "%s.h"\n' % self.base]
        for s in self.order:
            o += self.struct_parse(s)
            o += self.struct_free(s)
            o += self.struct_gen(s)
        for t in self.boxes.values():
            o += self.box_parse(t)
            o += self.box_free(t)
            o += self.box_gen(t)
        o += self.roots_code()
        while o and o[-1] == "":
            o.pop()
        return "\n".join(o) + "\n"


def dictionary(descs):
    """libFuzzer dictionary: every property name and enum value, quoted."""
    words = set()
    for path in descs:
        with open(path) as fp:
            _, _, _, order = parse_desc(fp.read())
        for s in order:
            for f in s.fields:
                words.add(f.json)
                for e in f.a.enum or []:
                    words.add(e)
    out = []
    for w in sorted(words):
        q = '"' + w + '"'
        out.append('"%s"' % q.replace("\\", "\\\\").replace('"', '\\"'))
    return "\n".join(out) + "\n"


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as fp:
        fp.write(text)
    os.replace(tmp, path)


def main():
    try:
        if len(sys.argv) >= 3 and sys.argv[1] == "--dict":
            sys.stdout.write(dictionary(sys.argv[2:]))
            return 0
        if len(sys.argv) != 4:
            sys.stderr.write("usage: gen.py DESC.ospec OUT.h OUT.c | gen.py --dict DESC.ospec...\n")
            return 2
        desc, out_h, out_c = sys.argv[1:]
        base = re.sub(r"\.ospec$", "", os.path.basename(desc))
        with open(desc) as fp:
            prefix, roots, structs, order = parse_desc(fp.read())
        g = Gen(prefix, roots, structs, order, base)
        h = g.header()
        c = g.source()
    except Err as e:
        sys.stderr.write("%s: %s\n" % (sys.argv[-1] if sys.argv[1] == "--dict" else sys.argv[1], e))
        return 1
    write_atomic(out_h, h)
    write_atomic(out_c, c)
    return 0


if __name__ == "__main__":
    sys.exit(main())
