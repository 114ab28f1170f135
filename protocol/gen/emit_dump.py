"""Emits the stream printer (dump target): decoded arguments as text.

  vl_dump_gen.h  vl_dump_args(): prints the decoded argument struct of any
                 command (struct vl_args_<command>, from vl_decode_any_args)
  vl_dump_gen.c  one printer per command and per struct, the pNext-chain
                 printers, and name tables for every enum and flag type used

It walks the same shapes as the codec emitter, so it covers every command
and struct the codecs cover.  The hand-written primitives it calls (commas,
abbreviation of arrays, quoting) are in tools/vl_dump_print.h.

Inputs are printed in full: handles as typed ids, enums and flags by name,
structs in braces, pNext chains as a list of the chained structs, arrays up
to the printer's limit.  Outputs are printed in the partial form the guest
sends: what the command will fill ("<out>"), the ids it creates, and the
chained structs it asks for.

Counts are trusted only where the decoder checked them: an input array was
allocated with exactly the count its length expression gives; an output
array inside a partial struct may not have been, so only its presence is
printed.
"""

import os

from emit_codec import Ctx
from emit_files import HEADER, indent

SIGNED = {"int32_t", "int", "int8_t", "int16_t", "int64_t"}


class DumpEmitter:
    def __init__(self, proto, files):
        self.p = proto
        self.f = files
        self.e = files.e
        self.reg = proto.reg
        self.n = 0
        self.enums = set()  # enum types whose name tables are needed
        self.bits = set()   # FlagBits types whose bit tables are needed

    def var(self, base):
        self.n += 1
        return "%s%d" % (base, self.n)

    # ------------------------------------------------------------------
    # values

    def scalar(self, sh, v):
        t = sh.ctype
        if getattr(sh, "enum", False):
            self.enums.add(t)
            return ["vl_dump_enum(d, enum_%s((int32_t)%s), (int64_t)(int32_t)%s);" % (t, v, v)]
        if t in self.reg.bitmasks:
            bits = self.reg.bitmask_bits.get(t)
            if bits and self.reg.enum_members.get(bits):
                self.bits.add(bits)
                return ["vl_dump_flags(d, (uint64_t)%s, bits_%s, sizeof(bits_%s) / sizeof(bits_%s[0]));" %
                        (v, bits, bits, bits)]
            return ["vl_dump_hex(d, (uint64_t)%s);" % v]
        if t == "VkBool32":
            return ["vl_dump_bool(d, (uint32_t)%s);" % v]
        if t in ("float", "double"):
            return ["vl_dump_f64(d, (double)%s);" % v]
        if t in SIGNED:
            return ["vl_dump_i64(d, (int64_t)%s);" % v]
        return ["vl_dump_u64(d, (uint64_t)%s);" % v]

    def value(self, sh, v, ctx):
        """Lines printing the full (input) form of value v."""
        k = sh.kind
        if k == "scalar":
            return self.scalar(sh, v)
        if k == "handle":
            return ["vl_dump_handle(d, \"%s\", (uint64_t)(uintptr_t)%s);" % (sh.ctype, v)]
        if k == "rawptr":
            return ["vl_dump_pointer(d, (uint64_t)(uintptr_t)%s);" % v]
        if k in ("struct", "union"):
            return ["%s(d, &%s);" % (self.use("", sh.name), v)]
        if k == "fixed":
            return self.elems(sh.elem, v, str(sh.count_expr), ctx, fixed=True)
        if k == "string":
            return ["vl_dump_string(d, %s);" % v]
        if k == "strings":
            n = ctx.expr(sh.count)
            return ["if (!%s) {" % v, "    vl_dump_null(d);", "} else {"] + \
                indent(self.loop(n, lambda i: ["vl_dump_string(d, %s[%s]);" % (v, i)])) + ["}"]
        if k == "blob":
            n = ctx.expr(sh.count)
            if sh.output:
                return ["vl_dump_out(d, %s ? (uint64_t)(%s) : 0, %s != NULL);" % (v, n, v)]
            return ["if (!%s)" % v, "    vl_dump_null(d);", "else",
                    "    vl_dump_bytes(d, %s, (size_t)(%s));" % (v, n)]
        if k == "array":
            n = ctx.expr(sh.count)
            return ["if (!%s) {" % v, "    vl_dump_null(d);", "} else {"] + \
                indent(self.elems(sh.elem, v, n, ctx)) + ["}"]
        if k == "ptr":
            return ["if (!%s) {" % v, "    vl_dump_null(d);", "} else {", "    vl_dump_ref(d);"] + \
                indent(self.value(sh.elem, "(*%s)" % v, ctx)) + ["}"]
        if k == "allocator":
            return ["vl_dump_null(d);"]
        raise ValueError(k)

    def loop(self, n, body):
        """An abbreviated array: the first elements, then how many more."""
        i = self.var("i")
        c = self.var("n")
        return ["const uint64_t %s = (uint64_t)(%s);" % (c, n),
                "vl_dump_open(d, '[');",
                "for (uint64_t %s = 0; %s < %s; %s++) {" % (i, i, c, i),
                "    if (!vl_dump_elem(d, %s, %s))" % (i, c),
                "        break;"] + indent(body(i)) + ["}", "vl_dump_close(d, ']');"]

    def elems(self, elem, arr, n, ctx, fixed=False):
        if elem.kind == "char":
            return ["vl_dump_chars(d, %s, (size_t)(%s));" % (arr, n)]
        if elem.kind == "scalar" and elem.prim == "u8":
            return ["vl_dump_bytes(d, %s, (size_t)(%s));" % (arr, n)]
        return self.loop(n, lambda i: self.value(elem, "%s[%s]" % (arr, i), None))

    # partial form (outputs) -------------------------------------------------

    def partial(self, sh, v, ctx, top=False):
        """Lines printing the partial form of an output value.  top: a
        parameter, whose array counts the decoder checked."""
        k = sh.kind
        if k == "scalar":
            return ["vl_dump_out(d, 0, true);"]
        if k in ("handle", "rawptr"):
            return self.value(sh, v, ctx)
        if k == "struct":
            if not self.has_partial(sh.name):
                return ["vl_dump_out(d, 0, true);"]
            return ["%s(d, &%s);" % (self.use("_partial", sh.name), v)]
        if k == "ptr":
            return ["if (!%s) {" % v, "    vl_dump_null(d);", "} else {", "    vl_dump_ref(d);"] + \
                indent(self.partial(sh.elem, "(*%s)" % v, ctx, top)) + ["}"]
        if k == "fixed":
            # a fixed count is the declared size: always what was allocated
            if sh.elem.kind in ("handle", "rawptr"):
                return self.loop(sh.count_expr, lambda i: self.value(sh.elem, "%s[%s]" % (v, i), None))
            return self.loop(sh.count_expr, lambda i: self.partial(sh.elem, "%s[%s]" % (v, i), None))
        if k in ("array", "blob"):
            # A parameter's count was checked against the array size; inside
            # a struct only a plain count member was set from it (WA1).
            simple = ctx is not None and sh.count.startswith("$") and sh.count[1:].isidentifier()
            if not top and not simple:
                return ["vl_dump_out(d, 0, %s != NULL);" % v]
            n = ctx.expr(sh.count)
            if k == "blob" or sh.elem.kind in ("scalar", "char") or \
                    (sh.elem.kind == "struct" and not self.has_partial(sh.elem.name)):
                return ["vl_dump_out(d, %s ? (uint64_t)(%s) : 0, %s != NULL);" % (v, n, v)]
            return ["if (!%s) {" % v, "    vl_dump_out(d, (uint64_t)(%s), false);" % n, "} else {"] + \
                indent(self.loop(n, lambda i: self.partial(sh.elem, "%s[%s]" % (v, i), None))) + ["}"]
        raise ValueError("partial form of %s" % k)

    def has_partial(self, name):
        """Whether the partial form of a struct carries anything to print."""
        ps = self.p.structs[self.reg.canonical_type(name)]
        if self.f.chained(ps) and ps.chain:
            return True
        return any(self.partial_member(sh) for _, sh in self.f.own_members(ps))

    def partial_member(self, sh):
        if sh.kind == "fixed":
            return sh.elem.kind in ("handle", "rawptr") or \
                (sh.elem.kind == "struct" and self.has_partial(sh.elem.name))
        if sh.kind == "struct":
            return self.has_partial(sh.name)
        return sh.kind in ("handle", "rawptr", "ptr", "array", "blob")

    # ------------------------------------------------------------------
    # structs

    def use(self, kind, name):
        """Asks for printer kind ("", "_self", "_partial", "_self_partial")
        of struct name; only printers something calls are emitted."""
        key = (kind, self.reg.canonical_type(name))
        if key not in self.used:
            self.used.add(key)
            self.todo.append(key)
        return "dump_%s%s" % (key[1], kind)

    def struct_fn(self, kind, ps):
        """The definition of one printer of struct ps."""
        n = ps.name
        ctx = Ctx("val->")
        proto = "static void\ndump_%s%s(struct vl_dump *d, const %s *val)" % (n, kind, n)
        if ps.s.union:
            members = [(m, self.p.shape(m, ps.s.members, False)) for m in ps.s.members]
            tag = self.f.union_tag(ps)
            m, sh = members[tag]
            body = ["/* the decoded tag is not kept: the member that covers the union */",
                    "vl_dump_open(d, '{');", "vl_dump_field(d, \"%s\");" % m.name]
            body += self.value(sh, "val->" + m.name, ctx) + ["vl_dump_close(d, '}');"]
            return self.fn(proto, body)
        chained = self.f.chained(ps)
        own = self.f.own_members(ps)
        if kind in ("", "_self"):
            body = []
            for m, sh in own:
                if sh.kind == "allocator":
                    continue
                body += ["vl_dump_field(d, \"%s\");" % m.name] + self.value(sh, "val->" + m.name, ctx)
            chain = "dump_chain"
        else:
            body = []
            for m, sh in own:
                if self.f.is_wa1_count(ps, m) or not self.partial_member(sh):
                    continue
                body += ["vl_dump_field(d, \"%s\");" % m.name] + self.partial(sh, "val->" + m.name, ctx)
            chain = "dump_chain_partial"
        if kind.startswith("_self"):
            return self.fn(proto, body + ["(void)d;", "(void)val;"])
        if chained:
            return self.fn(proto, ["vl_dump_open(d, '{');",
                                   "if (val->pNext) {",
                                   "    vl_dump_field(d, \"pNext\");",
                                   "    %s(d, val->pNext);" % chain,
                                   "}",
                                   "%s(d, val);" % self.use(kind.replace("_", "_self_", 1) if kind else "_self", n),
                                   "vl_dump_close(d, '}');"])
        return self.fn(proto, ["vl_dump_open(d, '{');"] + body + ["vl_dump_close(d, '}');", "(void)val;"])

    def chain_fns(self):
        """A decoded chain is a linked list in temporary storage; the decoder
        bounded its length, and the walk is bounded again here."""
        out = []
        for sfx, names, self_sfx in (("", self.e.chainable_in, "_self"),
                                     ("_partial", self.e.chainable_out, "_self_partial")):
            cases = []
            for nm in names:
                cases += ["case %s:" % self.reg.structs[nm].stype,
                          "    vl_dump_text(d, \"%s\");" % nm,
                          "    vl_dump_open(d, '{');",
                          "    %s(d, (const %s *)s);" % (self.use(self_sfx, nm), nm),
                          "    vl_dump_close(d, '}');",
                          "    break;"]
            body = ["vl_dump_open(d, '[');",
                    "unsigned n = 0;",
                    "for (const VkBaseInStructure *s = pnext; s && n < VL_MAX_CHAIN; s = s->pNext, n++) {",
                    "    vl_dump_elem(d, 0, 1);",
                    "    switch ((int32_t)s->sType) {"] + indent(cases, 1) + [
                    "    default:",
                    "        vl_dump_enum(d, enum_VkStructureType((int32_t)s->sType), s->sType);",
                    "        break;",
                    "    }",
                    "}",
                    "vl_dump_close(d, ']');"]
            out += self.fn("static void\ndump_chain%s(struct vl_dump *d, const void *pnext)" % sfx, body)
        self.enums.add("VkStructureType")
        return out

    @staticmethod
    def fn(proto, body):
        return [proto, "{"] + indent(body) + ["}", ""]

    # ------------------------------------------------------------------
    # commands

    def command_fn(self, c):
        params = self.f.classify_params(c)
        ctx = Ctx("args->")
        body = []
        for p, sh, role in params:
            if sh.kind == "allocator":
                continue
            lv = "args->" + p.name
            body.append("vl_dump_field(d, \"%s\");" % p.name)
            if role in ("dispatch", "in"):
                body += self.value(sh, lv, ctx)
            elif role == "out_count":
                body += ["if (!%s) {" % lv, "    vl_dump_null(d);", "} else {", "    vl_dump_ref(d);"] + \
                    indent(self.scalar(sh.elem, "(*%s)" % lv)) + ["}"]
            else:
                body += self.partial(sh, lv, ctx, top=True)
        body += ["(void)args;"]
        return self.fn("static void\ndump_cmd_%s(struct vl_dump *d, const struct vl_args_%s *args)" %
                       (c.name, c.name), body)

    # ------------------------------------------------------------------
    # name tables

    def enum_fn(self, t):
        members = self.reg.enum_members.get(t, {})
        body = ["switch (v) {"]
        for val, name in sorted(members.items()):
            if -(1 << 31) <= val < (1 << 31):
                body.append("case %d: return \"%s\";" % (val, name))
        body += ["default: return NULL;", "}"]
        return self.fn("static const char *\nenum_%s(int32_t v)" % t, body)

    def bits_table(self, t):
        members = self.reg.enum_members.get(t, {})
        rows = ["    { 0x%xull, \"%s\" }," % (val, name) for val, name in sorted(members.items())
                if val > 0 and val & (val - 1) == 0]
        if not rows:
            rows = ["    { 0, NULL },"]
        return ["static const struct vl_dump_bit bits_%s[] = {" % t] + rows + ["};", ""]

    # ------------------------------------------------------------------

    def generate(self, outdir):
        self.used, self.todo = set(), []
        cmds = self.f.commands
        body = []
        for c in cmds:
            body += self.command_fn(c)
        body += ["void", "vl_dump_args(struct vl_dump *d, int32_t id, const void *args)", "{",
                 "    switch (id) {"]
        for c in cmds:
            body.append("    case VL_CMD_%s: dump_cmd_%s(d, args); break;" % (c.name, c.name))
        body += ["    default: break;", "    }", "}", ""]
        body += ["void", "vl_dump_result(struct vl_dump *d, int32_t id, const void *args)", "{",
                 "    switch (id) {"]
        for c in cmds:
            rs = self.f.ret_shape(c)
            if not rs:
                continue
            body += ["    case VL_CMD_%s: {" % c.name,
                     "        const struct vl_args_%s *a = args;" % c.name]
            body += indent(self.value(rs, "a->ret", None), 2)
            body += ["        break;", "    }"]
        body += ["    default:", "        vl_dump_text(d, \"void\");", "        break;", "    }", "}", ""]
        body += ["bool", "vl_args_vkresult(int32_t id, const void *args, int32_t *result)", "{",
                 "    switch (id) {"]
        for c in cmds:
            if c.ret == "VkResult":
                body.append("    case VL_CMD_%s: *result = ((const struct vl_args_%s *)args)->ret; return true;" %
                            (c.name, c.name))
        body += ["    default:", "        return false;", "    }", "}", ""]
        body += self.chain_fns()
        protos = ["static void dump_chain(struct vl_dump *d, const void *pnext);",
                  "static void dump_chain_partial(struct vl_dump *d, const void *pnext);"]
        while self.todo:
            kind, name = self.todo.pop()
            ps = self.p.structs[name]
            body += self.struct_fn(kind, ps)
            protos.append("static void dump_%s%s(struct vl_dump *d, const %s *val);" % (name, kind, name))

        # Name tables of the enum and flag types the printers above use.
        tables = []
        for t in sorted(self.enums):
            tables += self.enum_fn(t)
        for t in sorted(self.bits):
            tables += self.bits_table(t)

        h = [HEADER, "#ifndef VL_DUMP_GEN_H", "#define VL_DUMP_GEN_H", "",
             '#include "vl_protocol_host.h"', "", "struct vl_dump;", "",
             "/* Prints the decoded arguments of command id (a struct vl_args_<command>",
             " * filled by vl_decode_any_args) as \"name=value, ...\". */",
             "void vl_dump_args(struct vl_dump *d, int32_t id, const void *args);",
             "/* Prints what command id returned (args->ret, once its reply was decoded",
             " * with vl_decode_any_reply), or \"void\". */",
             "void vl_dump_result(struct vl_dump *d, int32_t id, const void *args);",
             "/* The VkResult in args->ret; false for commands that return none. */",
             "bool vl_args_vkresult(int32_t id, const void *args, int32_t *result);", "",
             "#endif", ""]
        s = [HEADER, '#include "vl_dump_gen.h"', "", "#include <stddef.h>", "",
             '#include "vl_dump_print.h"', ""] + tables + sorted(protos) + [""] + body
        write(os.path.join(outdir, "vl_dump_gen.h"), h)
        write(os.path.join(outdir, "vl_dump_gen.c"), s)


def write(path, lines):
    text = "\n".join(lines) + "\n"
    if os.path.exists(path):
        with open(path) as f:
            if f.read() == text:
                return
    with open(path, "w") as f:
        f.write(text)


def generate(proto, files, outdir):
    DumpEmitter(proto, files).generate(outdir)
