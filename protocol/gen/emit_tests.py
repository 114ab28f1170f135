"""Emits the generated round-trip tests (tests target).

For every struct and every command with a wire form, the generated test fills
every field with pseudo-random values (fixed seed; arrays of several lengths;
optional pointers both NULL and set; pNext chains of 0 to 3 allowed structs),
encodes, checks that the bytes written equal the computed size, decodes with
the other side's decoder, and compares field by field with comparators
generated from the same registry walk -- not with output of the code under
test.  Outputs are checked in both directions: the partial form the guest
sends, and the full reply the host returns.

Also emitted for tools and the corpus test: a switch that decodes any command
into its argument struct, and one that re-encodes it with the guest encoder.
"""

import os
import re

from emit_codec import Ctx
from emit_files import HEADER, indent

FILL_ITERATIONS = 6


class TestEmitter:
    def __init__(self, proto, files):
        self.p = proto
        self.f = files
        self.e = files.e
        self.reg = proto.reg
        self.n = 0

    def v(self, base):
        self.n += 1
        return "%s%d" % (base, self.n)

    # ------------------------------------------------------------------
    # count bookkeeping: which member/param an array length comes from

    def len_target(self, expr):
        """Parses a generated len expression.  Returns (kind, lvalue-template, k, a)
        where the array length L relates to the target t by L = (t + a) / k."""
        m = re.fullmatch(r"\$(\w+)", expr)
        if m:
            return ("direct", "$" + m.group(1), 1, 0)
        m = re.fullmatch(r"\(\$(\w+) \? \*\$(\w+) : 0\)", expr)
        if m:
            return ("deref", "$" + m.group(1), 1, 0)
        m = re.fullmatch(r"\(\$(\w+) \? \$(\w+)->(\w+) : 0\)", expr)
        if m:
            return ("member", "$%s->%s" % (m.group(1), m.group(3)), 1, 0, "$" + m.group(1))
        m = re.fullmatch(r"\$(\w+) / (\d+)", expr)
        if m:
            return ("direct", "$" + m.group(1), int(m.group(2)), 0)
        m = re.fullmatch(r"\(\$(\w+) \+ (\d+)\) / (\d+)", expr)
        if m:
            return ("direct", "$" + m.group(1), int(m.group(3)), int(m.group(2)))
        raise ValueError("cannot invert len expression %s" % expr)

    def set_len_lines(self, expr, ctx, L):
        t = self.len_target(expr)
        lv = ctx.expr(t[1])
        k, a = t[2], t[3]
        if k == 1 and a == 0:
            val = L
        elif a == 0:
            val = "(%s) * %d" % (L, k)
        else:
            val = "((%s) ? (%s) * %d - %d : 0)" % (L, L, k, a)
        if t[0] == "deref":
            return ["if (%s) *%s = (uint32_t)(%s);" % (lv, lv, val)]
        if t[0] == "member":
            # A count inside an input struct (pAllocateInfo->descriptorSetCount)
            # may already size that struct's own arrays: then it is kept.
            base = ctx.expr(t[4])
            field = t[1].split("->")[1]
            ptype = None
            for m in getattr(self, "cur_members", []):
                if "$" + m.name == t[4]:
                    ptype = self.reg.canonical_type(m.type)
            s = self.reg.structs[ptype]
            if any(om.len_list and om.len_list[0] == field for om in s.members):
                return ["(void)%s;" % L]
            return ["if (%s) *(uint32_t *)&%s = %s;" % (base, lv, L)]
        return ["%s = (__typeof__(%s))(%s);" % (lv, lv, val)]

    # ------------------------------------------------------------------
    # fill: random full values (inputs, and host outputs)

    def fill_value(self, sh, lv, ctx, counts, out=False):
        k = sh.kind
        if k == "scalar":
            if getattr(sh, "stride_of", None):
                # an application's stride: the element's size and up to 12
                # bytes more (the array is filled at it, below)
                r = self.v("r")
                return ["{", "    uint8_t %s;" % r, "    rnd_bytes(t, &%s, 1);" % r,
                        "    %s = (%s)(sizeof(%s) + 4u * (%s %% 4u));" % (lv, sh.ctype, sh.stride_of, r), "}"]
            if sh.ctype == "VkBool32":
                # the host decoder normalizes VkBool32 to VK_TRUE / VK_FALSE
                return ["rnd_bytes(t, &%s, sizeof(%s));" % (lv, lv), "%s &= 1;" % lv]
            return ["rnd_bytes(t, &%s, sizeof(%s));" % (lv, lv)]
        if k in ("handle", "rawptr"):
            return ["%s = (%s)(uintptr_t)rnd_id(t);" % (lv, sh.ctype)]
        if k == "struct":
            return ["fill_%s(t, &%s);" % (sh.name, lv)]
        if k == "union":
            return ["fill_%s(t, &%s);" % (sh.name, lv)]
        if k == "fixed":
            if sh.elem.kind == "char":
                return ["rnd_string_into(t, %s, %s);" % (lv, sh.count_expr)]
            i = self.v("i")
            return ["for (uint32_t %s = 0; %s < %s; %s++) {" % (i, i, sh.count_expr, i)] + \
                indent(self.fill_value(sh.elem, "%s[%s]" % (lv, i), ctx, counts)) + ["}"]
        if k == "string":
            opt = getattr(sh, "optional", False)
            return ["%s = %s;" % (lv, "rnd_maybe(t) ? NULL : rnd_string(t)" if opt else "rnd_string(t)")]
        if k == "strings":
            L = counts[sh.count]
            t = self.v("s")
            i = self.v("i")
            return ["{", "    const char **%s = talloc(t, sizeof(char *) * (%s));" % (t, L),
                    "    for (uint32_t %s = 0; %s < %s; %s++) %s[%s] = rnd_string(t);" % (i, i, L, i, t, i),
                    "    %s = %s;" % (lv, t), "}"]
        if k == "blob":
            L = counts[sh.count]
            t = self.v("b")
            return ["{", "    uint8_t *%s = talloc(t, %s);" % (t, L),
                    "    rnd_bytes(t, %s, %s);" % (t, L),
                    "    %s = %s;" % (lv, t), "}"]
        if k == "array":
            L = counts[sh.count]
            t = self.v("a")
            i = self.v("i")
            et = self.e.elem_ctype(sh.elem)
            null = "(%s) && rnd_maybe(t)" % ("true" if sh.optional else "false")
            if getattr(sh, "stride", None):
                # elements stride bytes apart (filled before: a scalar)
                stride = ctx.expr(sh.stride)
                elem = "(*(%s *)((uint8_t *)%s + (size_t)%s * (%s)))" % (et, t, i, stride)
                body = ["{",
                        "    uint8_t *%s = (%s) ? NULL : talloc(t, (size_t)(%s) * (%s) + 1);" % (t, null, stride, L),
                        "    if (%s) {" % t,
                        "        for (uint32_t %s = 0; %s < (uint32_t)(%s); %s++) {" % (i, i, L, i)]
                body += indent(self.fill_value(sh.elem, elem, ctx, counts), 3)
                body += ["        }", "    }", "    %s = (const %s *)%s;" % (lv, et, t), "}"]
                return body
            body = ["{",
                    "    %s *%s = (%s) ? NULL : talloc(t, sizeof(%s) * (%s) + 1);" % (et, t, null, et, L),
                    "    if (%s) {" % t,
                    "        for (uint32_t %s = 0; %s < (uint32_t)(%s); %s++) {" % (i, i, L, i)]
            body += indent(self.fill_value(sh.elem, "%s[%s]" % (t, i), ctx, counts), 3)
            body += ["        }", "    }", "    %s = %s;" % (lv, t), "}"]
            return body
        if k == "ptr":
            t = self.v("p")
            et = self.e.elem_ctype(sh.elem)
            null = "rnd_maybe(t)" if sh.optional else "false"
            return ["{", "    %s *%s = %s ? NULL : talloc(t, sizeof(%s));" % (et, t, null, et),
                    "    if (%s) {" % t] + indent(self.fill_value(sh.elem, "(*%s)" % t, ctx, counts), 2) + \
                ["    }", "    %s = %s;" % (lv, t), "}"]
        if k == "allocator":
            return ["%s = NULL;" % lv]
        raise ValueError(k)

    def count_setup(self, members, ctx):
        """Chooses a length for every array's count and assigns the count.
        Returns (lines, counts) where counts maps len expression -> C variable."""
        lines, counts, by_target = [], {}, {}
        for m, sh in members:
            if sh.kind in ("array", "blob", "strings"):
                expr = sh.count
                tgt = self.len_target(expr)
                key = tgt[1]
                if key not in by_target:
                    var = self.v("L")
                    by_target[key] = var
                    lines.append("const uint32_t %s = rnd_len(t);" % var)
                    lines += self.set_len_lines(expr, ctx, var)
                    if tgt[2] != 1 or tgt[3] != 0:
                        # The length actually encoded is the expression's value.
                        lines.append("(void)%s;" % var)
                counts[expr] = "(uint32_t)(%s)" % ctx.expr(expr)
        return lines, counts

    # ------------------------------------------------------------------
    # compare

    def cmp_value(self, sh, a, b, ctx_a, path, partial=False):
        k = sh.kind
        if partial and self.e.partial_skipped(sh):
            return []
        if k == "scalar":
            if getattr(sh, "stride_of", None):
                # the decoded array is packed: its stride is the element's size
                e = self.v("e")
                return ["{", "    const %s %s = sizeof(%s);" % (sh.ctype, e, sh.stride_of),
                        "    CMP_BYTES(&%s, &%s, sizeof(%s), \"%s\");" % (e, b, e, path), "}"]
            return ["CMP_BYTES(&%s, &%s, sizeof(%s), \"%s\");" % (a, b, a, path)]
        if k in ("handle", "rawptr"):
            return ["CMP_BYTES(&%s, &%s, sizeof(%s), \"%s\");" % (a, b, a, path)]
        if k in ("struct", "union"):
            return ["cmp_%s%s(c, &%s, &%s);" % (sh.name, "_partial" if partial else "", a, b)]
        if k == "fixed":
            if sh.elem.kind == "char":
                return ["CMP_STR(%s, %s, \"%s\");" % (a, b, path)]
            i = self.v("i")
            return ["for (uint32_t %s = 0; %s < %s; %s++) {" % (i, i, sh.count_expr, i)] + \
                indent(self.cmp_value(sh.elem, "%s[%s]" % (a, i), "%s[%s]" % (b, i), ctx_a, path, partial)) + ["}"]
        if k == "string":
            return ["CMP_STR(%s, %s, \"%s\");" % (a, b, path)]
        if k == "strings":
            n = ctx_a.expr(sh.count)
            i = self.v("i")
            return ["if (%s && %s) {" % (a, b),
                    "    for (uint32_t %s = 0; %s < (uint32_t)(%s); %s++) CMP_STR(%s[%s], %s[%s], \"%s\");" %
                    (i, i, n, i, a, i, b, i, path),
                    "} else {", "    CMP_EMPTY(%s, %s, %s, \"%s\");" % (a, b, n, path), "}"]
        if k == "blob":
            n = ctx_a.expr(sh.count)
            if partial:
                return ["CMP_PRESENT(%s, %s, %s, \"%s\");" % (a, b, n, path)]
            return ["if (%s && %s) CMP_BYTES(%s, %s, %s, \"%s\");" % (a, b, a, b, n, path),
                    "else CMP_EMPTY(%s, %s, %s, \"%s\");" % (a, b, n, path)]
        if k == "array":
            n = ctx_a.expr(sh.count)
            i = self.v("i")
            if partial and sh.elem.kind in ("scalar", "char"):
                return ["CMP_PRESENT(%s, %s, %s, \"%s\");" % (a, b, n, path)]
            ea = "%s[%s]" % (a, i)
            if getattr(sh, "stride", None) and ctx_a:
                # the application's array at its stride, the decoded one packed
                ea = self.e.element(sh.elem, a, i, ctx_a.expr(sh.stride))
            return ["if (%s && %s) {" % (a, b),
                    "    for (uint32_t %s = 0; %s < (uint32_t)(%s); %s++) {" % (i, i, n, i)] + \
                indent(self.cmp_value(sh.elem, ea, "%s[%s]" % (b, i), None, path, partial), 2) + \
                ["    }", "} else {", "    CMP_EMPTY(%s, %s, %s, \"%s\");" % (a, b, n, path), "}"]
        if k == "ptr":
            return ["if (%s && %s) {" % (a, b)] + \
                indent(self.cmp_value(sh.elem, "(*%s)" % a, "(*%s)" % b, ctx_a, path, partial)) + \
                ["} else {", "    CMP_EMPTY(%s, %s, 1, \"%s\");" % (a, b, path), "}"]
        if k == "allocator":
            return []
        raise ValueError(k)

    # ------------------------------------------------------------------
    # per struct

    def struct_funcs(self, ps):
        n = ps.name
        f = self.f
        ctx = Ctx("val->")
        out = []
        if ps.s.union:
            tag = f.union_tag(ps)
            m = ps.s.members[tag]
            sh = self.p.shape(m, ps.s.members, False)
            out += ["static void", "fill_%s(struct tctx *t, %s *val)" % (n, n), "{"] + \
                indent(self.fill_value(sh, "val->" + m.name, ctx, {})) + ["}", ""]
            out += ["static void", "cmp_%s(struct cmp *c, const %s *a, const %s *b)" % (n, n, n), "{"] + \
                indent(self.cmp_value(sh, "a->" + m.name, "b->" + m.name, Ctx("a->"), n + "." + m.name)) + ["}", ""]
            return out
        chained = f.chained(ps)
        own = f.own_members(ps)
        # fill (self part)
        body = []
        for m, sh in own:
            if sh.kind in ("scalar", "handle", "rawptr", "struct", "union", "fixed", "allocator"):
                body += self.fill_value(sh, "val->" + m.name, ctx, {})
        cl, counts = self.count_setup(own, ctx)
        body += cl
        for m, sh in own:
            if sh.kind in ("string", "strings", "blob", "array", "ptr"):
                body += self.fill_value(sh, "val->" + m.name, ctx, counts)
        body += ["(void)t;", "(void)val;"]
        sfx = "_self" if chained else ""
        out += ["static void", "fill_%s%s(struct tctx *t, %s *val)" % (n, sfx, n), "{"] + indent(body) + ["}", ""]
        if chained:
            out += ["static void", "fill_%s(struct tctx *t, %s *val)" % (n, n), "{",
                    "    val->sType = %s;" % ps.s.stype,
                    "    val->pNext = %s;" % (("fill_chain(t, chain_%s, %d)" % (n, len(ps.chain))) if ps.chain else "NULL"),
                    "    fill_%s_self(t, val);" % n, "}", ""]
        # compare (full)
        cctx = Ctx("a->")
        body = []
        for m, sh in own:
            body += self.cmp_value(sh, "a->" + m.name, "b->" + m.name, cctx, "%s.%s" % (n, m.name))
        body += ["(void)c;", "(void)a;", "(void)b;"]
        out += ["static void", "cmp_%s%s(struct cmp *c, const %s *a, const %s *b)" % (n, sfx, n, n), "{"] + \
            indent(body) + ["}", ""]
        if chained:
            out += ["static void", "cmp_%s(struct cmp *c, const %s *a, const %s *b)" % (n, n, n), "{",
                    "    CMP_BYTES(&a->sType, &b->sType, sizeof(a->sType), \"%s.sType\");" % n,
                    "    cmp_chain(c, a->pNext, b->pNext, false);",
                    "    cmp_%s_self(c, a, b);" % n, "}", ""]
        if "out" in ps.modes:
            out += self.out_struct_funcs(ps)
        return out

    def out_struct_funcs(self, ps):
        """skel_: an application-side output struct shaped like src;
        cmp_..._partial: compares what the partial form carries."""
        n = ps.name
        f = self.f
        chained = f.chained(ps)
        own = f.own_members(ps)
        sfx = "_self" if chained else ""
        out = []
        body = []
        for m, sh in own:
            lv, src = "dst->" + m.name, "src->" + m.name
            body += self.skel_value(sh, lv, src, Ctx("src->"))
        for m, sh in own:
            if f.is_wa1_count(ps, m):
                body += ["dst->%s = src->%s;" % (m.name, m.name)]
        body += ["(void)t;", "(void)dst;", "(void)src;"]
        out += ["static void", "skel_%s%s(struct tctx *t, %s *dst, const %s *src)" % (n, sfx, n, n), "{"] + \
            indent(body) + ["}", ""]
        if chained:
            out += ["static void", "skel_%s(struct tctx *t, %s *dst, const %s *src)" % (n, n, n), "{",
                    "    dst->sType = src->sType;",
                    "    dst->pNext = skel_chain(t, src->pNext);",
                    "    skel_%s_self(t, dst, src);" % n, "}", ""]
        cctx = Ctx("a->")
        body = []
        for m, sh in own:
            if f.is_wa1_count(ps, m):
                continue
            body += self.cmp_value(sh, "a->" + m.name, "b->" + m.name, cctx, "%s.%s" % (n, m.name), partial=True)
        body += ["(void)c;", "(void)a;", "(void)b;"]
        out += ["static void", "cmp_%s%s_partial(struct cmp *c, const %s *a, const %s *b)" % (n, sfx, n, n), "{"] + \
            indent(body) + ["}", ""]
        if chained:
            out += ["static void", "cmp_%s_partial(struct cmp *c, const %s *a, const %s *b)" % (n, n, n), "{",
                    "    CMP_BYTES(&a->sType, &b->sType, sizeof(a->sType), \"%s.sType\");" % n,
                    "    cmp_chain(c, a->pNext, b->pNext, true);",
                    "    cmp_%s_self_partial(c, a, b);" % n, "}", ""]
        return out

    def skel_value(self, sh, lv, src, ctx):
        """Output storage the application would pass: same chain, same array
        capacities, no values."""
        k = sh.kind
        if k == "struct":
            return ["skel_%s(t, &%s, &%s);" % (sh.name, lv, src)]
        if k == "fixed" and sh.elem.kind == "struct":
            i = self.v("i")
            return ["for (uint32_t %s = 0; %s < %s; %s++)" % (i, i, sh.count_expr, i),
                    "    skel_%s(t, &%s[%s], &%s[%s]);" % (sh.elem.name, lv, i, src, i)]
        if k in ("array", "blob"):
            n = ctx.expr(sh.count)
            t = self.v("a")
            et = "uint8_t" if k == "blob" else self.e.elem_ctype(sh.elem)
            lines = ["if (%s) {" % src,
                     "    %s *%s = talloc(t, sizeof(%s) * (%s) + 1);" % (et, t, et, n)]
            if k == "array" and sh.elem.kind == "struct":
                i = self.v("i")
                lines += ["    for (uint32_t %s = 0; %s < (uint32_t)(%s); %s++)" % (i, i, n, i),
                          "        skel_%s(t, &%s[%s], &%s[%s]);" % (sh.elem.name, t, i, src, i)]
            lines += ["    %s = %s;" % (lv, t), "}"]
            return lines
        return []

    # ------------------------------------------------------------------
    # the per-struct test body

    def struct_test(self, ps):
        n = ps.name
        lines = ["static void", "test_struct_%s(struct tctx *t)" % n, "{"]
        body = []
        if "in" in ps.modes:
            body += ["for (int iter = 0; iter < %d; iter++) {" % FILL_ITERATIONS,
                     "    %s *src = talloc(t, sizeof(*src));" % n,
                     "    fill_%s(t, src);" % n,
                     "    const size_t size = vl_sizeof_%s(src);" % n,
                     "    uint8_t *buf = talloc(t, size + 16);",
                     "    struct vl_encoder enc;",
                     "    vl_enc_init(&enc, buf, size + 16);",
                     "    vl_encode_%s(&enc, src);" % n,
                     "    CHECK_SIZE(\"%s\", (size_t)(enc.cur - buf), size);" % n,
                     "    struct vl_decoder dec;",
                     "    vl_dec_init(&dec, buf, size, &t->arena, NULL);",
                     "    %s *dst = talloc(t, sizeof(*dst));" % n,
                     "    vl_decode_%s_temp(&dec, dst);" % n,
                     "    CHECK_DECODED(\"%s\", &dec);" % n,
                     "    struct cmp c = { .what = \"%s\" };" % n,
                     "    cmp_%s(&c, src, dst);" % n,
                     "    CHECK_CMP(&c);",
                     "}"]
        if "out" in ps.modes:
            body += ["for (int iter = 0; iter < %d; iter++) {" % FILL_ITERATIONS,
                     "    /* the host's answer, in full */",
                     "    %s *src = talloc(t, sizeof(*src));" % n,
                     "    fill_%s(t, src);" % n,
                     "    const size_t size = vl_sizeof_%s(src);" % n,
                     "    uint8_t *buf = talloc(t, size + 16);",
                     "    struct vl_encoder enc;",
                     "    vl_enc_init(&enc, buf, size + 16);",
                     "    vl_encode_%s(&enc, src);" % n,
                     "    CHECK_SIZE(\"%s reply\", (size_t)(enc.cur - buf), size);" % n,
                     "    /* decoded into application storage of the same shape */",
                     "    %s *app = talloc(t, sizeof(*app));" % n,
                     "    skel_%s(t, app, src);" % n,
                     "    struct vl_decoder dec;",
                     "    vl_dec_init(&dec, buf, size, NULL, NULL);",
                     "    vl_decode_%s_reply(&dec, app);" % n,
                     "    CHECK_DECODED(\"%s reply\", &dec);" % n,
                     "    struct cmp c = { .what = \"%s reply\" };" % n,
                     "    cmp_%s(&c, src, app);" % n,
                     "    CHECK_CMP(&c);",
                     "    /* the partial form the guest sends for it */",
                     "    %s *req = talloc(t, sizeof(*req));" % n,
                     "    skel_%s(t, req, src);" % n,
                     "    const size_t psize = vl_sizeof_%s_partial(req);" % n,
                     "    uint8_t *pbuf = talloc(t, psize + 16);",
                     "    vl_enc_init(&enc, pbuf, psize + 16);",
                     "    vl_encode_%s_partial(&enc, req);" % n,
                     "    CHECK_SIZE(\"%s partial\", (size_t)(enc.cur - pbuf), psize);" % n,
                     "    vl_dec_init(&dec, pbuf, psize, &t->arena, NULL);",
                     "    %s *host = talloc(t, sizeof(*host));" % n,
                     "    vl_decode_%s_partial_temp(&dec, host);" % n,
                     "    CHECK_DECODED(\"%s partial\", &dec);" % n,
                     "    struct cmp pc = { .what = \"%s partial\" };" % n,
                     "    cmp_%s_partial(&pc, req, host);" % n,
                     "    CHECK_CMP(&pc);",
                     "}"]
        return lines + indent(body) + ["}", ""]

    # ------------------------------------------------------------------
    # commands

    def command_test(self, c):
        f = self.f
        params = f.classify_params(c)
        gctx = Ctx("")
        hctx = Ctx("args->")
        body = []
        # declarations
        for p, sh, role in params:
            if p.fixed is not None:
                body.append("%s;" % f.param_decl(p, storage=True))
            else:
                body.append("%s = 0;" % f.param_decl(p).replace("const %s* const*" % p.type, "const %s**" % p.type)
                            if sh.kind == "strings" else "%s = 0;" % f.param_decl(p))
        body = [self.strip_const_decl(l) for l in body]
        # inputs first
        members = [(p, sh) for p, sh, _ in params]
        for p, sh, role in params:
            if role in ("in", "dispatch") and sh.kind in ("scalar", "handle", "rawptr", "struct", "union",
                                                          "fixed", "allocator"):
                body += self.fill_value(sh, p.name, gctx, {})
        for p, sh, role in params:
            if role in ("in", "dispatch") and sh.kind == "ptr":
                body += self.fill_value(sh, p.name, gctx, {})
        # lengths (input arrays, output capacities, in/out counts)
        cl, counts = [], {}
        outs = [(p, sh) for p, sh, role in params if role == "out_count"]
        for p, sh in outs:
            t = self.v("cnt")
            body += ["%s %s;" % (sh.elem.ctype, t), "%s = &%s;" % (p.name, t)]
        self.cur_members = [p for p, _, _ in params]
        lines, counts = self.count_setup([(p, sh) for p, sh, role in params
                                          if role in ("in", "out") and sh.kind in ("array", "blob", "strings")],
                                         gctx)
        body += lines
        for p, sh, role in params:
            if role == "in" and sh.kind in ("string", "strings", "blob", "array"):
                body += self.fill_value(sh, p.name, gctx, counts)
        # outputs, as the application passes them
        for p, sh, role in params:
            if role != "out":
                continue
            body += self.out_param_setup(sh, p.name, gctx, counts)
        args_list = ", ".join(p.name for p, _, _ in params)
        sep = ", " if params else ""
        body += ["const size_t cmd_size = vl_sizeof_%s(%s);" % (c.name, args_list),
                 "uint8_t *cmd_buf = talloc(t, cmd_size + 16);",
                 "struct vl_encoder enc;",
                 "vl_enc_init(&enc, cmd_buf, cmd_size + 16);",
                 "vl_encode_%s(&enc, VK_COMMAND_GENERATE_REPLY_BIT_EXT%s%s);" % (c.name, sep, args_list),
                 "CHECK_SIZE(\"%s\", (size_t)(enc.cur - cmd_buf), cmd_size);" % c.name,
                 "struct vl_decoder dec;",
                 "vl_dec_init(&dec, cmd_buf, cmd_size, &t->arena, NULL);",
                 "CHECK_TRUE(\"%s type\", vl_dec_u32(&dec) == (uint32_t)VL_CMD_%s);" % (c.name, c.name),
                 "CHECK_TRUE(\"%s flags\", vl_dec_u32(&dec) == VK_COMMAND_GENERATE_REPLY_BIT_EXT);" % c.name,
                 "struct vl_args_%s *args = talloc(t, sizeof(*args));" % c.name,
                 "vl_decode_%s_args(&dec, args);" % c.name,
                 "CHECK_DECODED(\"%s\", &dec);" % c.name,
                 "struct cmp cmpv = { .what = \"%s\" };" % c.name,
                 "struct cmp *c = &cmpv;"]
        actx = Ctx("")
        for p, sh, role in params:
            path = "%s.%s" % (c.name, p.name)
            if role in ("in", "dispatch"):
                body += self.cmp_value(sh, p.name, "args->" + p.name, actx, path)
            elif role == "out_count":
                body += ["CMP_BYTES(%s, args->%s, sizeof(*%s), \"%s\");" % (p.name, p.name, p.name, path)]
            else:
                body += self.cmp_out_partial(sh, p.name, "args->" + p.name, actx, path)
        body += ["CHECK_CMP(c);"]
        # the host answers
        for p, sh, role in params:
            if role in ("out", "out_count"):
                body += self.host_answer(sh, "args->" + p.name, hctx, role)
        rs = f.ret_shape(c)
        if rs:
            body += ["rnd_bytes(t, &args->ret, sizeof(args->ret));"]
        body += ["const size_t reply_size = vl_sizeof_%s_reply_args(args);" % c.name,
                 "CHECK_TRUE(\"%s reply fits the guest's reservation\", reply_size <= vl_sizeof_%s_reply(%s));" %
                 (c.name, c.name, args_list),
                 "uint8_t *reply_buf = talloc(t, reply_size + 16);",
                 "vl_enc_init(&enc, reply_buf, reply_size + 16);",
                 "vl_encode_%s_reply_args(&enc, args);" % c.name,
                 "CHECK_SIZE(\"%s reply\", (size_t)(enc.cur - reply_buf), reply_size);" % c.name,
                 "vl_dec_init(&dec, reply_buf, reply_size, NULL, NULL);"]
        call = "vl_decode_%s_reply(&dec%s%s);" % (c.name, sep, args_list)
        if rs:
            body += ["const %s ret = %s" % (c.ret, call),
                     "CHECK_TRUE(\"%s ret\", memcmp(&ret, &args->ret, sizeof(ret)) == 0);" % c.name]
        else:
            body += [call]
        body += ["CHECK_DECODED(\"%s reply\", &dec);" % c.name,
                 "struct cmp rcmpv = { .what = \"%s reply\" };" % c.name,
                 "c = &rcmpv;"]
        hcmp = Ctx("args->")
        for p, sh, role in params:
            path = "%s reply %s" % (c.name, p.name)
            if role == "out_count":
                body += ["CMP_BYTES(%s, args->%s, sizeof(*%s), \"%s\");" % (p.name, p.name, p.name, path)]
            elif role == "out":
                body += self.cmp_value(sh, "args->" + p.name, p.name, hcmp, path)
        body += ["CHECK_CMP(c);"]
        out_lines = body
        return ["static void", "test_cmd_%s(struct tctx *t)" % c.name, "{",
                "    for (int iter = 0; iter < %d; iter++) {" % FILL_ITERATIONS] + indent(out_lines, 2) + \
            ["    }", "}", ""]

    @staticmethod
    def strip_const_decl(l):
        # Parameters are filled by the test, so drop const from the pointee
        # where the test writes through it.
        return l

    def out_param_setup(self, sh, name, ctx, counts):
        """Application-side output storage with random shape."""
        if sh.kind == "ptr":
            et = self.e.elem_ctype(sh.elem)
            t = self.v("o")
            lines = ["%s *%s = talloc(t, sizeof(%s));" % (et, t, et)]
            if sh.elem.kind == "struct":
                src = self.v("s")
                lines += ["%s *%s = talloc(t, sizeof(%s));" % (et, src, et),
                          "fill_%s(t, %s);" % (sh.elem.name, src),
                          "skel_%s(t, %s, %s);" % (sh.elem.name, t, src)]
            elif sh.elem.kind == "handle":
                lines += ["*%s = (%s)(uintptr_t)rnd_id(t);" % (t, et)]
            lines += ["%s = %s;" % (name, t)]
            return lines
        L = counts[sh.count]
        t = self.v("o")
        et = "uint8_t" if sh.kind == "blob" else self.e.elem_ctype(sh.elem)
        null = "rnd_maybe(t)" if sh.optional else "false"
        lines = ["%s *%s = %s ? NULL : talloc(t, sizeof(%s) * (%s) + 1);" % (et, t, null, et, L)]
        if sh.kind == "array" and sh.elem.kind == "struct":
            i = self.v("i")
            src = self.v("s")
            lines += ["if (%s) {" % t,
                      "    for (uint32_t %s = 0; %s < (uint32_t)(%s); %s++) {" % (i, i, L, i),
                      "        %s *%s = talloc(t, sizeof(%s));" % (et, src, et),
                      "        fill_%s(t, %s);" % (sh.elem.name, src),
                      "        skel_%s(t, &%s[%s], %s);" % (sh.elem.name, t, i, src),
                      "    }", "}"]
        elif sh.kind == "array" and sh.elem.kind == "handle":
            i = self.v("i")
            lines += ["if (%s)" % t,
                      "    for (uint32_t %s = 0; %s < (uint32_t)(%s); %s++) %s[%s] = (%s)(uintptr_t)rnd_id(t);" %
                      (i, i, L, i, t, i, et)]
        lines += ["%s = %s;" % (name, t)]
        return lines

    def cmp_out_partial(self, sh, a, b, ctx, path):
        if sh.kind == "ptr":
            if sh.elem.kind == "struct":
                return ["if (%s && %s) cmp_%s_partial(c, %s, %s);" % (a, b, sh.elem.name, a, b),
                        "else CMP_EMPTY(%s, %s, 1, \"%s\");" % (a, b, path)]
            if sh.elem.kind == "handle":
                return ["if (%s && %s) CMP_BYTES(%s, %s, 8, \"%s\");" % (a, b, a, b, path),
                        "else CMP_EMPTY(%s, %s, 1, \"%s\");" % (a, b, path)]
            return ["CMP_PRESENT(%s, %s, 1, \"%s\");" % (a, b, path)]
        return self.cmp_value(sh, a, b, ctx, path, partial=True)

    def host_answer(self, sh, lv, ctx, role):
        """Fills the host's output storage with values, keeping its shape."""
        if role == "out_count":
            # The host may report fewer elements than the capacity.
            return ["if (%s) *%s = (%s)(rnd_id(t) %% ((uint64_t)*%s + 1));" % (lv, lv, sh.elem.ctype, lv)]
        if sh.kind == "ptr":
            if sh.elem.kind == "struct":
                return ["if (%s) refill_%s(t, %s);" % (lv, sh.elem.name, lv)]
            return ["if (%s) rnd_bytes(t, %s, sizeof(*%s));" % (lv, lv, lv)]
        n = ctx.expr(sh.count)
        et = "uint8_t" if sh.kind == "blob" else self.e.elem_ctype(sh.elem)
        i = self.v("i")
        if sh.kind == "array" and sh.elem.kind == "struct":
            return ["if (%s) for (uint32_t %s = 0; %s < (uint32_t)(%s); %s++) refill_%s(t, &%s[%s]);" %
                    (lv, i, i, n, i, sh.elem.name, lv, i)]
        return ["if (%s) rnd_bytes(t, %s, sizeof(%s) * (%s));" % (lv, lv, et, n)]

    def refill_funcs(self, ps):
        """refill_S: new values in host output storage, same shape."""
        n = ps.name
        f = self.f
        own = f.own_members(ps)
        ctx = Ctx("val->")
        body = []
        for m, sh in own:
            lv = "val->" + m.name
            if f.is_wa1_count(ps, m):
                continue
            if sh.kind in ("scalar", "handle", "rawptr", "fixed") and not (sh.kind == "fixed" and sh.elem.kind == "struct"):
                body += self.fill_value(sh, lv, ctx, {})
            elif sh.kind == "fixed":
                i = self.v("i")
                body += ["for (uint32_t %s = 0; %s < %s; %s++) refill_%s(t, &%s[%s]);" %
                         (i, i, sh.count_expr, i, sh.elem.name, lv, i)]
            elif sh.kind == "struct":
                body += ["refill_%s(t, &%s);" % (sh.name, lv)]
            elif sh.kind in ("array", "blob"):
                body += self.host_answer(sh, lv, ctx, "out")
        if f.chained(ps):
            body += ["for (VkBaseOutStructure *s = (VkBaseOutStructure *)val->pNext; s; s = s->pNext) refill_chained(t, s);"]
            sfx = "_self"
            body_self = [l for l in body if not l.startswith("for (VkBaseOutStructure")]
            out = ["static void", "refill_%s_self(struct tctx *t, %s *val)" % (n, n), "{"] + \
                indent(body_self + ["(void)t;", "(void)val;"]) + ["}", ""]
            out += ["static void", "refill_%s(struct tctx *t, %s *val)" % (n, n), "{",
                    "    for (VkBaseOutStructure *s = (VkBaseOutStructure *)val->pNext; s; s = s->pNext) refill_chained(t, s);",
                    "    refill_%s_self(t, val);" % n, "}", ""]
            return out
        return ["static void", "refill_%s(struct tctx *t, %s *val)" % (n, n), "{"] + \
            indent(body + ["(void)t;", "(void)val;"]) + ["}", ""]

    # ------------------------------------------------------------------

    def generate(self, outdir):
        f = self.f
        structs = f.structs
        lines = [HEADER, '#include "vl_test_roundtrip_support.h"', ""]
        # prototypes
        for ps in structs:
            n = ps.name
            lines.append("static void fill_%s(struct tctx *t, %s *val);" % (n, n))
            lines.append("static void cmp_%s(struct cmp *c, const %s *a, const %s *b);" % (n, n, n))
            if f.chained(ps):
                lines.append("static void fill_%s_self(struct tctx *t, %s *val);" % (n, n))
                lines.append("static void cmp_%s_self(struct cmp *c, const %s *a, const %s *b);" % (n, n, n))
            if "out" in ps.modes:
                lines.append("static void skel_%s(struct tctx *t, %s *dst, const %s *src);" % (n, n, n))
                lines.append("static void cmp_%s_partial(struct cmp *c, const %s *a, const %s *b);" % (n, n, n))
                lines.append("static void refill_%s(struct tctx *t, %s *val);" % (n, n))
                if f.chained(ps):
                    lines.append("static void skel_%s_self(struct tctx *t, %s *dst, const %s *src);" % (n, n, n))
                    lines.append("static void cmp_%s_self_partial(struct cmp *c, const %s *a, const %s *b);" % (n, n, n))
                    lines.append("static void refill_%s_self(struct tctx *t, %s *val);" % (n, n))
        lines.append("")
        # chain tables
        for ps in structs:
            if ps.chain:
                lines.append("static const int32_t chain_%s[] = { %s };" %
                             (ps.name, ", ".join(self.reg.structs[a].stype for a in ps.chain)))
        lines.append("")
        # chained switches used by the support code
        chain_all = sorted(self.e.chainable)
        lines += ["size_t", "chained_size(int32_t stype)", "{", "    switch (stype) {"]
        for a in chain_all:
            lines += ["    case %s: return sizeof(%s);" % (self.reg.structs[a].stype, a)]
        lines += ["    default: return 0;", "    }", "}", ""]
        lines += ["void", "fill_chained_self(struct tctx *t, VkBaseOutStructure *s)", "{",
                  "    switch ((int32_t)s->sType) {"]
        for a in chain_all:
            lines += ["    case %s: fill_%s_self(t, (%s *)s); break;" % (self.reg.structs[a].stype, a, a)]
        lines += ["    default: break;", "    }", "}", ""]
        lines += ["void", "cmp_chained_self(struct cmp *c, const VkBaseOutStructure *a, const VkBaseOutStructure *b, bool partial)",
                  "{", "    switch ((int32_t)a->sType) {"]
        for a in chain_all:
            ps = self.p.structs[a]
            st = self.reg.structs[a].stype
            if "out" in ps.modes:
                lines += ["    case %s:" % st,
                          "        if (partial) cmp_%s_self_partial(c, (const %s *)a, (const %s *)b);" % (a, a, a),
                          "        else cmp_%s_self(c, (const %s *)a, (const %s *)b);" % (a, a, a),
                          "        break;"]
            else:
                lines += ["    case %s: cmp_%s_self(c, (const %s *)a, (const %s *)b); break;" % (st, a, a, a)]
        lines += ["    default: c->failed = true; c->path = \"unknown chained struct\"; break;", "    }", "}", ""]
        lines += ["void", "skel_chained_self(struct tctx *t, VkBaseOutStructure *dst, const VkBaseOutStructure *src)",
                  "{", "    switch ((int32_t)src->sType) {"]
        for a in self.e.chainable_out:
            lines += ["    case %s: skel_%s_self(t, (%s *)dst, (const %s *)src); break;" %
                      (self.reg.structs[a].stype, a, a, a)]
        lines += ["    default: break;", "    }", "}", ""]
        lines += ["void", "refill_chained(struct tctx *t, VkBaseOutStructure *s)", "{",
                  "    switch ((int32_t)s->sType) {"]
        for a in self.e.chainable_out:
            lines += ["    case %s: refill_%s_self(t, (%s *)s); break;" % (self.reg.structs[a].stype, a, a)]
        lines += ["    default: break;", "    }", "}", ""]
        # struct functions and tests
        for ps in structs:
            lines += self.struct_funcs(ps)
            if "out" in ps.modes and not ps.s.union:
                lines += self.refill_funcs(ps)
        for ps in structs:
            if ps.s.union and "in" not in ps.modes:
                continue
            lines += self.struct_test(ps)
        for c in f.commands:
            lines += self.command_test(c)
        # tables
        lines += ["const struct rt_case rt_struct_cases[] = {"]
        for ps in structs:
            lines.append('    { "%s", test_struct_%s },' % (ps.name, ps.name))
        lines += ["};", "const size_t rt_struct_case_count = %d;" % len(structs), ""]
        lines += ["const struct rt_case rt_command_cases[] = {"]
        for c in f.commands:
            lines.append('    { "%s", test_cmd_%s },' % (c.name, c.name))
        lines += ["};", "const size_t rt_command_case_count = %d;" % len(f.commands), ""]
        lines += ["const size_t rt_table_command_count = %d; /* commands in the protocol tables */" %
                  len(f.all_commands),
                  "const char *const rt_commands_without_wire_form[] = {"]
        for c in f.all_commands:
            if not c.wire:
                lines.append('    "%s (%s)",' % (c.name, c.no_wire_why))
        lines += ["    NULL,", "};", ""]
        with open(os.path.join(outdir, "vl_test_roundtrip.c"), "w") as fh:
            fh.write("\n".join(lines) + "\n")



def generate_any(files, outdir):
    """vl_protocol_any.c: any command by id, decoded or re-encoded (tools, tests)."""
    f = files
    d = [HEADER, '#include "vl_protocol_any.h"', '#include "vl_protocol_guest.h"', "",
         "#include <stdlib.h>", "",
         "size_t", "vl_args_size(int32_t id)", "{", "    switch (id) {"]
    for c in f.commands:
        d.append("    case VL_CMD_%s: return sizeof(struct vl_args_%s);" % (c.name, c.name))
    d += ["    default: return 0;", "    }", "}", "",
          "bool", "vl_decode_any_args(struct vl_decoder *dec, int32_t id, void *args)", "{",
          "    switch (id) {"]
    for c in f.commands:
        d.append("    case VL_CMD_%s: vl_decode_%s_args(dec, args); return true;" % (c.name, c.name))
    d += ["    default: return false;", "    }", "}", "",
          "bool", "vl_reencode_any(struct vl_encoder *enc, int32_t id, uint32_t flags, const void *vargs)", "{",
          "    switch (id) {"]
    for c in f.commands:
        params = f.classify_params(c)
        al = "".join(", a->%s" % p.name for p, _, _ in params)
        d += ["    case VL_CMD_%s: {" % c.name,
              "        const struct vl_args_%s *a = vargs;" % c.name,
              "        (void)a;",
              "        vl_encode_%s(enc, flags%s);" % (c.name, al),
              "        return true;", "    }"]
    d += ["    default: return false;", "    }", "}", ""]
    # replies: decoded into the args' output storage as the guest would, and
    # encoded from args as the renderer does
    d += ["bool", "vl_decode_any_reply(struct vl_decoder *dec, int32_t id, void *vargs)", "{",
          "    switch (id) {"]
    for c in f.commands:
        params = f.classify_params(c)
        al = "".join(", a->%s" % p.name for p, _, _ in params)
        call = "vl_decode_%s_reply(dec%s)" % (c.name, al)
        d += ["    case VL_CMD_%s: {" % c.name,
              "        struct vl_args_%s *a = vargs;" % c.name,
              "        (void)a;",
              ("        a->ret = %s;" % call) if c.ret != "void" else ("        %s;" % call),
              "        return true;", "    }"]
    d += ["    default: return false;", "    }", "}", "",
          "size_t", "vl_sizeof_any_reply_args(int32_t id, const void *args)", "{", "    switch (id) {"]
    for c in f.commands:
        d.append("    case VL_CMD_%s: return vl_sizeof_%s_reply_args(args);" % (c.name, c.name))
    d += ["    default: return 0;", "    }", "}", "",
          "bool", "vl_encode_any_reply_args(struct vl_encoder *enc, int32_t id, const void *args)", "{",
          "    switch (id) {"]
    for c in f.commands:
        d.append("    case VL_CMD_%s: vl_encode_%s_reply_args(enc, args); return true;" % (c.name, c.name))
    d += ["    default: return false;", "    }", "}", ""]
    with open(os.path.join(outdir, "vl_protocol_any.c"), "w") as fh:
        fh.write("\n".join(d) + "\n")




def generate(proto, files, outdir):
    TestEmitter(proto, files).generate(outdir)
