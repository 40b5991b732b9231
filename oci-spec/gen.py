#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generate C structs, a yajl-based parser, a serializer and free functions
from a JSON document description (*.ospec).

The description language (see oci-spec/README.md):

    prefix hako_spec                 # C prefix for every symbol of this file
    root config = runtime_spec       # a top-level document: <name> = <struct>
    struct runtime_spec {
      ociVersion  string  required
      mounts      []mount
      annotations map<string>
      uid         u32     required min=0 max=4294967295
      action      string  enum=SCMP_ACT_KILL|SCMP_ACT_ALLOW
      default     any     c=default_value
    }

Types: bool string i8 i16 i32 i64 u8 u16 u32 u64 double any <struct>,
[]T (array of T) and map<T> (an object with free keys, values of type T).
Attributes: required, min=N, max=N, enum=a|b, nonempty, c=<C name>.
"""
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
}
INTS = {k for k in SCALARS if k[0] in "iu" and k != "any"}
C_KEYWORDS = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch",
    "typedef", "union", "unsigned", "void", "volatile", "while", "bool", "len",
}


class Err(Exception):
    pass


def snake(name):
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"[^A-Za-z0-9]", "_", s).lower()
    if s[0].isdigit():
        s = "_" + s
    if s in C_KEYWORDS:
        s += "_"
    return s


class Type:
    def __init__(self, text):
        self.text = text
        if text.startswith("[]"):
            self.kind = "array"
            self.elem = Type(text[2:])
        elif text.startswith("map<") and text.endswith(">"):
            self.kind = "map"
            self.elem = Type(text[4:-1])
            if self.elem.kind in ("array", "map"):
                raise Err("map values may not be arrays or maps: %s" % text)
        elif text in SCALARS:
            self.kind = "scalar"
            self.name = text
        else:
            self.kind = "struct"
            self.name = text


class Field:
    def __init__(self, json, typ, attrs, lineno):
        self.json = json
        self.type = Type(typ)
        self.required = False
        self.nonempty = False
        self.min = None
        self.max = None
        self.enum = None
        self.c = snake(json)
        for a in attrs:
            if a == "required":
                self.required = True
            elif a == "nonempty":
                self.nonempty = True
            elif a.startswith("min="):
                self.min = int(a[4:], 0)
            elif a.startswith("max="):
                self.max = int(a[4:], 0)
            elif a.startswith("enum="):
                self.enum = a[5:].split("|")
            elif a.startswith("c="):
                self.c = a[2:]
            else:
                raise Err("line %d: unknown attribute %s" % (lineno, a))


class Struct:
    def __init__(self, name):
        self.name = name
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
            m = re.match(r"prefix\s+(\w+)$", line)
            if m:
                prefix = m.group(1)
                continue
            m = re.match(r"root\s+(\w+)\s*=\s*(\w+)$", line)
            if m:
                roots.append((m.group(1), m.group(2)))
                continue
            m = re.match(r"struct\s+(\w+)\s*\{$", line)
            if m:
                cur = Struct(m.group(1))
                if cur.name in structs:
                    raise Err("line %d: struct %s defined twice" % (lineno, cur.name))
                structs[cur.name] = cur
                order.append(cur)
                continue
            raise Err("line %d: cannot parse: %s" % (lineno, raw))
        if line == "}":
            cur = None
            continue
        parts = line.split()
        if len(parts) < 2:
            raise Err("line %d: field needs a name and a type" % lineno)
        cur.fields.append(Field(parts[0], parts[1], parts[2:], lineno))
    if cur is not None:
        raise Err("unterminated struct %s" % cur.name)
    if prefix is None:
        raise Err("missing prefix")
    for s in order:
        for f in s.fields:
            t = f.type
            while t.kind in ("array", "map"):
                t = t.elem
            if t.kind == "struct" and t.name not in structs:
                raise Err("struct %s field %s: unknown type %s" % (s.name, f.json, t.name))
    for _, sname in roots:
        if sname not in structs:
            raise Err("root names unknown struct %s" % sname)
    return prefix, roots, structs, order


def cstr(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Gen:
    def __init__(self, prefix, roots, structs, order, base):
        self.p = prefix
        self.roots = roots
        self.structs = structs
        self.order = order
        self.base = base
        self.maps = {}  # elem type text -> C name of the map type

    def sname(self, s):
        return "%s_%s" % (self.p, s)

    def elem_ctype(self, t):
        if t.kind == "scalar":
            return SCALARS[t.name][0]
        if t.kind == "struct":
            return "%s *" % self.sname(t.name)
        raise Err("bad element")

    def map_name(self, t):
        key = t.elem.text
        if key not in self.maps:
            self.maps[key] = "%s_map_%s" % (self.p, snake(key.replace("[]", "array_")))
        return self.maps[key]

    def decl(self, ctype, name):
        return ctype + name if ctype.endswith("*") else ctype + " " + name

    # ---------------------------------------------------------------- header
    def header(self):
        o = []
        guard = "HAKO_GEN_%s_H" % re.sub(r"\W", "_", self.base).upper()
        o.append("/* Generated by oci-spec/gen.py from %s.ospec; do not edit. */" % self.base)
        o.append("#ifndef %s\n#define %s\n" % (guard, guard))
        o.append("#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>")
        o.append("#include <yajl/yajl_gen.h>\n#include <yajl/yajl_tree.h>")
        o.append('#include "json-support.h"\n')
        for s in self.order:
            o.append("typedef struct %s %s;" % (self.sname(s.name), self.sname(s.name)))
        o.append("")
        # map types
        for s in self.order:
            for f in s.fields:
                if f.type.kind == "map":
                    self.map_name(f.type)
        for key, mname in self.maps.items():
            et = Type(key)
            o.append("typedef struct %s\n{\n  char **keys;\n  %s;\n  size_t len;\n} %s;\n"
                     % (mname, self.decl(self.elem_ctype(et), "*values"), mname))
        for s in self.order:
            o.append("struct %s\n{" % self.sname(s.name))
            for f in s.fields:
                t = f.type
                if t.kind == "scalar":
                    o.append("  %s;" % self.decl(SCALARS[t.name][0], f.c))
                    if not f.required and t.name not in ("string", "any"):
                        o.append("  bool has_%s;" % f.c)
                elif t.kind == "struct":
                    o.append("  %s *%s;" % (self.sname(t.name), f.c))
                elif t.kind == "array":
                    et = t.elem
                    if et.kind == "array":
                        inner = self.elem_ctype(et.elem)
                        o.append("  %s;" % self.decl(inner, "**" + f.c))
                        o.append("  size_t *%s_lens;" % f.c)
                    else:
                        o.append("  %s;" % self.decl(self.elem_ctype(et), "*" + f.c))
                    o.append("  size_t %s_len;" % f.c)
                    if not f.required:
                        o.append("  bool has_%s;" % f.c)
                elif t.kind == "map":
                    o.append("  %s *%s;" % (self.map_name(t), f.c))
            o.append("};\n")
        for s in self.order:
            n = self.sname(s.name)
            o.append("void %s_free (%s *v);" % (n, n))
            o.append("int %s_parse (yajl_val tree, const hako_jpath_t *path, %s **out, hako_error_t **err);" % (n, n))
            o.append("int %s_gen (yajl_gen g, const %s *v);" % (n, n))
        for key, mname in self.maps.items():
            o.append("void %s_free (%s *m);" % (mname, mname))
        for rname, sname in self.roots:
            n = self.sname(sname)
            o.append("")
            o.append("/* %s: parse a whole document.  DATA must be NUL-terminated; SOURCE names it in errors. */" % rname)
            o.append("%s *%s_%s_parse_data (const char *data, size_t len, const char *source, hako_error_t **err);" % (n, self.p, rname))
            o.append("%s *%s_%s_parse_file (const char *file, hako_error_t **err);" % (n, self.p, rname))
            o.append("/* Serialize; FLAGS is HAKO_JSON_PRETTY or 0.  Returns a malloc'd NUL-terminated string. */")
            o.append("char *%s_%s_to_json (const %s *v, int flags, size_t *len, hako_error_t **err);" % (self.p, rname, n))
        o.append("\n#endif")
        return "\n".join(o) + "\n"

    # ---------------------------------------------------------------- parse
    def parse_scalar(self, t, f, src, dst, pathexpr, ind):
        """Code that parses yajl_val SRC into lvalue DST; on error returns -1."""
        o = []
        n = t.name
        if n == "bool":
            o.append("if (hako_json_get_bool (%s, %s, &%s, err) < 0)" % (src, pathexpr, dst))
        elif n == "string":
            o.append("if (hako_json_get_string (%s, %s, &%s, err) < 0)" % (src, pathexpr, dst))
        elif n == "double":
            o.append("if (hako_json_get_double (%s, %s, &%s, err) < 0)" % (src, pathexpr, dst))
        elif n == "any":
            o.append("%s = hako_json_take (%s);" % (dst, src))
            return [ind + l for l in o]
        elif n in INTS:
            lo, hi = SCALARS[n][1]
            if f is not None and f.min is not None:
                lo = max(lo, f.min)
            if f is not None and f.max is not None:
                hi = min(hi, f.max)
            if n[0] == "u":
                o.append("{\n  uint64_t tmp_;")
                o.append("  if (hako_json_get_u64 (%s, %s, %dULL, %dULL, &tmp_, err) < 0)\n    return -1;" % (src, pathexpr, lo, hi))
                o.append("  %s = (%s) tmp_;\n}" % (dst, SCALARS[n][0]))
            else:
                lo_s = "(-%dLL - 1)" % (-lo - 1) if lo < 0 else "%dLL" % lo
                o.append("{\n  int64_t tmp_;")
                o.append("  if (hako_json_get_i64 (%s, %s, %s, %dLL, &tmp_, err) < 0)\n    return -1;" % (src, pathexpr, lo_s, hi))
                o.append("  %s = (%s) tmp_;\n}" % (dst, SCALARS[n][0]))
            return [ind + l for line in o for l in line.split("\n")]
        o.append("  return -1;")
        if n == "string" and f is not None:
            if f.enum:
                arr = "(const char *const[]){ %s, NULL }" % ", ".join(cstr(e) for e in f.enum)
                o.append("if (hako_json_check_enum (%s, %s, %s, err) < 0)\n  return -1;" % (dst, pathexpr, arr))
            if f.nonempty:
                o.append("if (%s[0] == '\\0')\n  return hako_json_error (err, %s, \"must not be empty\");" % (dst, pathexpr))
        return [ind + l for line in o for l in line.split("\n")]

    def parse_value(self, t, f, src, dst, pathexpr, ind):
        if t.kind == "scalar":
            return self.parse_scalar(t, f, src, dst, pathexpr, ind)
        if t.kind == "struct":
            return [ind + "if (%s_parse (%s, %s, &%s, err) < 0)" % (self.sname(t.name), src, pathexpr, dst),
                    ind + "  return -1;"]
        raise Err("unsupported nesting")

    def parse_field(self, s, f):
        o = []
        t = f.type
        o.append("    {")
        o.append("      hako_jpath_t fp_ = { path, %s, (size_t) -1 };" % cstr(f.json))
        o.append("      yajl_val *slot_ = &tree->u.object.values[i];")
        o.append("      if (*slot_ == NULL || YAJL_IS_NULL (*slot_))")
        o.append("        continue;")
        o.append("      if (parse_%s_%s (slot_, &fp_, v, err) < 0)" % (s.name, f.c))
        o.append("        return -1;")
        if not (t.kind == "scalar" and t.name in ("string", "any")) and t.kind in ("scalar", "array") and not f.required:
            o.append("      v->has_%s = true;" % f.c)
        if f.required:
            o.append("      seen_%s = true;" % f.c)
        o.append("    }")
        return o

    def field_parser(self, s, f):
        """A static function parsing one field's value into V."""
        n = self.sname(s.name)
        t = f.type
        o = ["static int\nparse_%s_%s (yajl_val *slot, const hako_jpath_t *path, %s *v, hako_error_t **err)\n{" % (s.name, f.c, n)]
        o.append("  yajl_val fv = *slot;")
        if t.kind in ("scalar", "struct"):
            if t.kind == "scalar" and t.name == "any":
                o.append("  (void) fv;\n  (void) path;\n  (void) err;")
                o.append("  hako_json_free (v->%s);" % f.c)
                o.append("  v->%s = hako_json_take (slot);" % f.c)
                o.append("  return 0;\n}\n")
                return o
            if t.kind == "scalar" and t.name == "string":
                o.append("  free (v->%s);\n  v->%s = NULL;" % (f.c, f.c))
            elif t.kind == "struct":
                o.append("  %s_free (v->%s);\n  v->%s = NULL;" % (self.sname(t.name), f.c, f.c))
            o += self.parse_value(t, f, "fv", "v->" + f.c, "path", "  ")
        elif t.kind == "array":
            et = t.elem
            o.append("  if (! YAJL_IS_ARRAY (fv))\n    return hako_json_type_error (err, path, \"array\", fv);")
            o.append("  size_t n_ = fv->u.array.len;")
            if f.nonempty:
                o.append("  if (n_ == 0)\n    return hako_json_error (err, path, \"must not be empty\");")
            o.append("  free_%s_%s (v);" % (s.name, f.c))
            if et.kind == "array":
                inner = self.elem_ctype(et.elem)
                o.append("  v->%s = hako_xcalloc (n_ + 1, sizeof (*v->%s));" % (f.c, f.c))
                o.append("  v->%s_lens = hako_xcalloc (n_ + 1, sizeof (size_t));" % f.c)
                o.append("  for (size_t j = 0; j < n_; j++)\n    {")
                o.append("      hako_jpath_t ep_ = { path, NULL, j };")
                o.append("      yajl_val ev_ = fv->u.array.values[j];")
                o.append("      if (! YAJL_IS_ARRAY (ev_))\n        return hako_json_type_error (err, &ep_, \"array\", ev_);")
                o.append("      size_t m_ = ev_->u.array.len;")
                o.append("      v->%s[j] = hako_xcalloc (m_ + 1, sizeof (*v->%s[j]));" % (f.c, f.c))
                o.append("      v->%s_len = j + 1;" % f.c)
                o.append("      for (size_t k = 0; k < m_; k++)\n        {")
                o.append("          hako_jpath_t ip_ = { &ep_, NULL, k };")
                o.append("          yajl_val iv_ = ev_->u.array.values[k];")
                o.append("          if (iv_ == NULL || YAJL_IS_NULL (iv_))\n            return hako_json_type_error (err, &ip_, \"a value\", iv_);")
                o.append("          v->%s_lens[j] = k + 1;" % f.c)
                o += self.parse_value(et.elem, None, "iv_", "v->%s[j][k]" % f.c, "&ip_", "          ")
                o.append("        }\n    }")
            else:
                o.append("  v->%s = hako_xcalloc (n_ + 1, sizeof (*v->%s));" % (f.c, f.c))
                o.append("  for (size_t j = 0; j < n_; j++)\n    {")
                o.append("      hako_jpath_t ep_ = { path, NULL, j };")
                if et.kind == "scalar" and et.name == "any":
                    o.append("      v->%s[j] = hako_json_take (&fv->u.array.values[j]);" % f.c)
                else:
                    o.append("      yajl_val ev_ = fv->u.array.values[j];")
                    o.append("      if (ev_ == NULL || YAJL_IS_NULL (ev_))\n        return hako_json_type_error (err, &ep_, \"a value\", ev_);")
                    o.append("      v->%s_len = j + 1;" % f.c)
                    o += self.parse_value(et, f if et.kind == "scalar" else None, "ev_", "v->%s[j]" % f.c, "&ep_", "      ")
                if et.kind == "scalar" and et.name == "any":
                    o.append("      v->%s_len = j + 1;" % f.c)
                o.append("    }")
        elif t.kind == "map":
            et = t.elem
            mn = self.map_name(t)
            o.append("  if (! YAJL_IS_OBJECT (fv))\n    return hako_json_type_error (err, path, \"object\", fv);")
            o.append("  size_t n_ = fv->u.object.len;")
            o.append("  %s_free (v->%s);" % (mn, f.c))
            o.append("  %s *m_ = v->%s = hako_xcalloc (1, sizeof (*m_));" % (mn, f.c))
            o.append("  m_->keys = hako_xcalloc (n_ + 1, sizeof (char *));")
            o.append("  m_->values = hako_xcalloc (n_ + 1, sizeof (*m_->values));")
            o.append("  for (size_t j = 0; j < n_; j++)\n    {")
            o.append("      hako_jpath_t ep_ = { path, fv->u.object.keys[j], (size_t) -1 };")
            o.append("      m_->keys[j] = hako_xstrdup (fv->u.object.keys[j]);")
            o.append("      m_->len = j + 1;")
            if et.kind == "scalar" and et.name == "any":
                o.append("      m_->values[j] = hako_json_take (&fv->u.object.values[j]);")
            else:
                o.append("      yajl_val ev_ = fv->u.object.values[j];")
                o.append("      if (ev_ == NULL || YAJL_IS_NULL (ev_))\n        return hako_json_type_error (err, &ep_, \"a value\", ev_);")
                o += self.parse_value(et, None, "ev_", "m_->values[j]", "&ep_", "      ")
            o.append("    }")
        o.append("  return 0;\n}\n")
        return o

    def free_elem(self, t, expr):
        if t.kind == "scalar":
            if t.name == "string":
                return "free (%s);" % expr
            if t.name == "any":
                return "hako_json_free (%s);" % expr
            return None
        if t.kind == "struct":
            return "%s_free (%s);" % (self.sname(t.name), expr)
        raise Err("bad free")

    def field_free(self, s, f):
        n = self.sname(s.name)
        t = f.type
        o = ["static void\nfree_%s_%s (%s *v)\n{" % (s.name, f.c, n)]
        if t.kind == "array":
            et = t.elem
            if et.kind == "array":
                inner = self.free_elem(et.elem, "v->%s[j][k]" % f.c)
                o.append("  for (size_t j = 0; v->%s && j < v->%s_len; j++)\n    {" % (f.c, f.c))
                if inner:
                    o.append("      for (size_t k = 0; k < v->%s_lens[j]; k++)\n        %s" % (f.c, inner))
                o.append("      free (v->%s[j]);\n    }" % f.c)
                o.append("  free (v->%s_lens);\n  v->%s_lens = NULL;" % (f.c, f.c))
            else:
                fe = self.free_elem(et, "v->%s[j]" % f.c)
                if fe:
                    o.append("  for (size_t j = 0; v->%s && j < v->%s_len; j++)\n    %s" % (f.c, f.c, fe))
            o.append("  free (v->%s);\n  v->%s = NULL;\n  v->%s_len = 0;" % (f.c, f.c, f.c))
        o.append("}\n")
        return o

    def struct_parse(self, s):
        n = self.sname(s.name)
        o = []
        for f in s.fields:
            if f.type.kind == "array":
                o += self.field_free(s, f)
        for f in s.fields:
            o += self.field_parser(s, f)
        o.append("int\n%s_parse (yajl_val tree, const hako_jpath_t *path, %s **out, hako_error_t **err)\n{" % (n, n))
        o.append("  if (! YAJL_IS_OBJECT (tree))\n    return hako_json_type_error (err, path, \"object\", tree);")
        o.append("  %s *v = hako_xcalloc (1, sizeof (*v));" % n)
        o.append("  *out = v;  /* owned by the caller even on error, which frees it */")
        req = [f for f in s.fields if f.required]
        for f in req:
            o.append("  bool seen_%s = false;" % f.c)
        o.append("  for (size_t i = 0; i < tree->u.object.len; i++)\n    {")
        o.append("      const char *k = tree->u.object.keys[i];")
        first = True
        for f in s.fields:
            o.append("      %sif (strcmp (k, %s) == 0)" % ("" if first else "else ", cstr(f.json)))
            first = False
            o += ["  " + l for l in self.parse_field(s, f)]
        o.append("    }")
        for f in req:
            o.append("  if (! seen_%s)" % f.c)
            o.append("    {\n      hako_jpath_t mp_ = { path, %s, (size_t) -1 };" % cstr(f.json))
            o.append("      return hako_json_error (err, &mp_, \"required property is missing\");\n    }")
        o.append("  return 0;\n}\n")
        return o

    # ---------------------------------------------------------------- free
    def struct_free(self, s):
        n = self.sname(s.name)
        o = ["void\n%s_free (%s *v)\n{\n  if (v == NULL)\n    return;" % (n, n)]
        for f in s.fields:
            t = f.type
            if t.kind == "scalar":
                fe = self.free_elem(t, "v->" + f.c)
                if fe:
                    o.append("  " + fe)
            elif t.kind == "struct":
                o.append("  %s_free (v->%s);" % (self.sname(t.name), f.c))
            elif t.kind == "array":
                o.append("  free_%s_%s (v);" % (s.name, f.c))
            elif t.kind == "map":
                o.append("  %s_free (v->%s);" % (self.map_name(t), f.c))
        o.append("  free (v);\n}\n")
        return o

    def map_free(self, key, mname):
        et = Type(key)
        o = ["void\n%s_free (%s *m)\n{\n  if (m == NULL)\n    return;" % (mname, mname)]
        o.append("  for (size_t i = 0; i < m->len; i++)\n    {\n      free (m->keys[i]);")
        fe = self.free_elem(et, "m->values[i]")
        if fe:
            o.append("      " + fe)
        o.append("    }\n  free (m->keys);\n  free (m->values);\n  free (m);\n}\n")
        return o

    # ---------------------------------------------------------------- gen
    def gen_value(self, t, expr, ind):
        if t.kind == "struct":
            return [ind + "if (%s_gen (g, %s) < 0)" % (self.sname(t.name), expr), ind + "  return -1;"]
        n = t.name
        if n == "bool":
            c = "yajl_gen_bool (g, %s)" % expr
        elif n == "string":
            c = "hako_json_gen_string (g, %s)" % expr
        elif n == "double":
            c = "yajl_gen_double (g, %s)" % expr
        elif n == "any":
            c = "hako_json_gen_tree (g, %s)" % expr
        elif n[0] == "u":
            c = "hako_json_gen_u64 (g, %s)" % expr
        else:
            c = "yajl_gen_integer (g, (long long) %s)" % expr
        return [ind + "if (%s != yajl_gen_status_ok)" % c, ind + "  return -1;"]

    def struct_gen(self, s):
        n = self.sname(s.name)
        o = ["int\n%s_gen (yajl_gen g, const %s *v)\n{" % (n, n)]
        o.append("  if (yajl_gen_map_open (g) != yajl_gen_status_ok)\n    return -1;")
        for f in s.fields:
            t = f.type
            key = "  if (hako_json_gen_key (g, %s) != yajl_gen_status_ok)\n    return -1;" % cstr(f.json)
            if t.kind == "scalar":
                if t.name in ("string", "any"):
                    cond = "v->%s != NULL" % f.c
                elif f.required:
                    cond = None
                else:
                    # A value set in code without its has_ flag still counts.
                    cond = "v->has_%s || v->%s != 0" % (f.c, f.c)
                body = [key] + self.gen_value(t, "v->" + f.c, "  ")
            elif t.kind == "struct":
                cond = "v->%s != NULL" % f.c
                body = [key] + self.gen_value(t, "v->" + f.c, "  ")
            elif t.kind == "array":
                cond = None if f.required else "v->has_%s || v->%s_len > 0" % (f.c, f.c)
                body = [key, "  if (yajl_gen_array_open (g) != yajl_gen_status_ok)\n    return -1;"]
                body.append("  for (size_t j = 0; j < v->%s_len; j++)\n    {" % f.c)
                if t.elem.kind == "array":
                    body.append("      if (yajl_gen_array_open (g) != yajl_gen_status_ok)\n        return -1;")
                    body.append("      for (size_t k = 0; k < v->%s_lens[j]; k++)\n        {" % f.c)
                    body += self.gen_value(t.elem.elem, "v->%s[j][k]" % f.c, "          ")
                    body.append("        }")
                    body.append("      if (yajl_gen_array_close (g) != yajl_gen_status_ok)\n        return -1;")
                else:
                    body += self.gen_value(t.elem, "v->%s[j]" % f.c, "      ")
                body.append("    }\n  if (yajl_gen_array_close (g) != yajl_gen_status_ok)\n    return -1;")
            elif t.kind == "map":
                cond = "v->%s != NULL" % f.c
                body = [key, "  if (yajl_gen_map_open (g) != yajl_gen_status_ok)\n    return -1;"]
                body.append("  for (size_t j = 0; j < v->%s->len; j++)\n    {" % f.c)
                body.append("      if (hako_json_gen_key (g, v->%s->keys[j]) != yajl_gen_status_ok)\n        return -1;" % f.c)
                body += self.gen_value(t.elem, "v->%s->values[j]" % f.c, "      ")
                body.append("    }\n  if (yajl_gen_map_close (g) != yajl_gen_status_ok)\n    return -1;")
            if cond is None:
                o += body
            else:
                o.append("  if (%s)\n    {" % cond)
                o += ["  " + l for b in body for l in b.split("\n")]
                o.append("    }")
        o.append("  if (yajl_gen_map_close (g) != yajl_gen_status_ok)\n    return -1;")
        o.append("  return 0;\n}\n")
        return o

    def roots_code(self):
        o = []
        for rname, sname in self.roots:
            n = self.sname(sname)
            fn = "%s_%s" % (self.p, rname)
            o.append("%s *\n%s_parse_data (const char *data, size_t len, const char *source, hako_error_t **err)\n{" % (n, fn))
            o.append("  yajl_val tree = hako_json_parse_tree (data, len, source, err);")
            o.append("  if (tree == NULL)\n    return NULL;")
            o.append("  hako_jpath_t root_ = { NULL, NULL, (size_t) -1 };")
            o.append("  %s *v = NULL;" % n)
            o.append("  int r = %s_parse (tree, &root_, &v, err);" % n)
            o.append("  hako_json_free (tree);")
            o.append("  if (r < 0)\n    {\n      %s_free (v);" % n)
            o.append("      hako_error_prefix (err, \"%s\", source);\n      return NULL;\n    }")
            o.append("  return v;\n}\n")
            o.append("%s *\n%s_parse_file (const char *file, hako_error_t **err)\n{" % (n, fn))
            o.append("  size_t len = 0;")
            o.append("  char *data = hako_json_read_file (file, &len, err);")
            o.append("  if (data == NULL)\n    return NULL;")
            o.append("  %s *v = %s_parse_data (data, len, file, err);" % (n, fn))
            o.append("  free (data);\n  return v;\n}\n")
            o.append("char *\n%s_to_json (const %s *v, int flags, size_t *len, hako_error_t **err)\n{" % (fn, n))
            o.append("  yajl_gen g = hako_json_gen_new (flags);")
            o.append("  if (%s_gen (g, v) < 0)" % n)
            o.append("    {\n      yajl_gen_free (g);")
            o.append("      hako_error_set (err, 0, \"cannot serialize %s\");" % rname)
            o.append("      return NULL;\n    }")
            o.append("  return hako_json_gen_finish (g, len);\n}\n")
        return o

    def source(self):
        o = ["/* Generated by oci-spec/gen.py from %s.ospec; do not edit. */" % self.base]
        o.append("#include <config.h>\n#include <stdlib.h>\n#include <string.h>")
        o.append('#include "%s.h"\n' % self.base)
        for s in self.order:
            o += self.struct_parse(s)
            o += self.struct_free(s)
            o += self.struct_gen(s)
        for key, mname in self.maps.items():
            o += self.map_free(key, mname)
        o += self.roots_code()
        return "\n".join(o) + "\n"


def main():
    if len(sys.argv) != 4:
        sys.stderr.write("usage: gen.py DESC.ospec OUT.h OUT.c\n")
        return 2
    desc, out_h, out_c = sys.argv[1:]
    base = re.sub(r"\.ospec$", "", desc.rsplit("/", 1)[-1])
    try:
        with open(desc) as fp:
            prefix, roots, structs, order = parse_desc(fp.read())
        g = Gen(prefix, roots, structs, order, base)
        h = g.header()
        c = g.source()
    except Err as e:
        sys.stderr.write("%s: %s\n" % (desc, e))
        return 1
    for path, text in ((out_h, h), (out_c, c)):
        tmp = path + ".tmp"
        with open(tmp, "w") as fp:
            fp.write(text)
        import os
        os.replace(tmp, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
