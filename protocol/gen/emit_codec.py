"""Emits the wire codecs: per struct and per command, for both sides.

Function families (S = a struct, C = a command):

  guest and host   vl_sizeof_S / vl_encode_S             full form (inputs; replies)
  host             vl_decode_S_temp                      full form into temporary storage
  guest            vl_sizeof_S_partial / vl_encode_S_partial   partial form of an output
  host             vl_decode_S_partial_temp              partial form into temporary storage
  guest            vl_decode_S_reply                     full form into the caller's struct

  guest            vl_sizeof_C, vl_encode_C, vl_sizeof_C_reply, vl_decode_C_reply
  host             struct vl_args_C, vl_decode_C_args, vl_sizeof_C_reply_args,
                   vl_encode_C_reply_args

A struct with sType/pNext is split into "_self" functions (its own members)
and a chain part.  A chain is encoded as all its headers first (presence, sType,
presence, sType, ..., 0) and then the members of each chained struct in reverse
order, which is exactly Venus's depth-first recursion, written as loops so that
depth is bounded and no recursion is needed.
"""

from protocol import MAX_CHAIN, PRIVATE_BASE


def c_ident(s):
    return s.replace("->", "_").replace(".", "_").replace("[", "_").replace("]", "")


class Ctx:
    """Where len expressions of the values being emitted are found."""

    def __init__(self, prefix):
        self.prefix = prefix

    def expr(self, e):
        return e.replace("$", self.prefix)


class CodecEmitter:
    def __init__(self, proto):
        self.p = proto
        self.reg = proto.reg
        self.tmp = 0
        # Every chainable struct, by sType (for the global switches).
        self.chainable = {}
        for ps in proto.structs.values():
            if ps.s.stype and ps.s.has_chain():
                self.chainable[ps.name] = ps
        self.chainable_in = sorted(n for n, ps in self.chainable.items() if "in" in ps.modes)
        self.chainable_out = sorted(n for n, ps in self.chainable.items() if "out" in ps.modes)

    def var(self, base="i"):
        self.tmp += 1
        return "%s%d" % (base, self.tmp)

    def stype(self, name):
        return self.reg.structs[name].stype

    # ------------------------------------------------------------------
    # minimum wire sizes (for count checks before allocation)

    def min_size(self, sh, partial=False):
        k = sh.kind
        if k == "scalar":
            return 0 if partial else sh.size
        if k in ("handle", "rawptr"):
            return 8
        if k in ("struct", "union"):
            return self.struct_min_size(sh.name, partial)
        if k == "fixed":
            if partial and sh.elem.kind in ("scalar", "char"):
                return 0
            return 8 + sh.count * self.min_size(sh.elem, partial) if sh.elem.kind not in ("char",) else 8
        if k in ("string", "strings", "blob", "array", "ptr", "allocator", "pnext"):
            return 8
        if k == "stype":
            return 4
        return 0

    def struct_min_size(self, name, partial=False):
        key = (name, partial)
        cache = self.__dict__.setdefault("_min", {})
        if key in cache:
            return cache[key]
        cache[key] = 0  # guards recursion
        s = self.reg.structs[name]
        if s.union:
            total = 4
        else:
            total = 0
            for m in s.members:
                sh = self.p.shape(m, s.members, partial)
                if partial and sh.kind == "scalar":
                    continue
                total += self.min_size(sh, partial)
        cache[key] = total
        return total

    # ------------------------------------------------------------------
    # scalar helpers

    @staticmethod
    def enc_scalar(sh, v):
        return "vl_enc_%s(enc, %s);" % (sh.prim, v if sh.prim not in ("u32", "u64") else
                                        "(%s)%s" % ("uint32_t" if sh.prim == "u32" else "uint64_t", v))

    @staticmethod
    def dec_scalar(sh, lv):
        return "%s = (%s)vl_dec_%s(dec);" % (lv, sh.ctype, sh.prim)

    # ------------------------------------------------------------------
    # family: full sizeof / encode (used by the guest for inputs and by the
    # host for replies)

    def sizeof_value(self, sh, v, ctx):
        """Lines adding the full size of value v (an lvalue of sh) to `size`."""
        k = sh.kind
        if k == "scalar":
            return ["size += %d;" % sh.size]
        if k in ("handle", "rawptr"):
            return ["size += 8;"]
        if k == "struct":
            return ["size += vl_sizeof_%s(&%s);" % (sh.name, v)]
        if k == "union":
            return ["size += vl_sizeof_%s(&%s);" % (sh.name, v)]
        if k == "fixed":
            return ["size += 8;"] + self._sizeof_elems(sh.elem, v, sh.count_expr)
        if k == "string":
            return ["size += vl_sizeof_string(%s);" % v]
        if k == "strings":
            n = ctx.expr(sh.count)
            i = self.var()
            return ["size += 8;",
                    "if (%s) {" % v,
                    "    for (uint32_t %s = 0; %s < %s; %s++)" % (i, i, n, i),
                    "        size += vl_sizeof_string(%s[%s]);" % (v, i),
                    "}"]
        if k == "blob":
            n = ctx.expr(sh.count)
            return ["size += 8;", "if (%s)" % v, "    size += vl_pad4(%s);" % n]
        if k == "array":
            n = ctx.expr(sh.count)
            return ["size += 8;", "if (%s) {" % v] + \
                ["    " + l for l in self._sizeof_elems(sh.elem, v, n, self.stride(sh, ctx))] + ["}"]
        if k == "ptr":
            return ["size += 8;", "if (%s) {" % v] + \
                ["    " + l for l in self.sizeof_value(sh.elem, "(*%s)" % v, ctx)] + ["}"]
        if k == "allocator":
            return ["size += 8;"]
        raise ValueError(k)

    @staticmethod
    def stride(sh, ctx):
        return ctx.expr(sh.stride) if getattr(sh, "stride", None) and ctx else None

    @staticmethod
    def element(elem, v, i, stride):
        """Element i of array v: at its index, or stride bytes apart."""
        if not stride:
            return "%s[%s]" % (v, i)
        return "(*(const %s *)((const uint8_t *)%s + (size_t)%s * (%s)))" % (elem.ctype, v, i, stride)

    def _sizeof_elems(self, elem, v, n, stride=None):
        if elem.kind == "scalar":
            return ["size += vl_pad4((size_t)(%s) * %d);" % (n, elem.size)] if elem.prim in ("u8",) and False else \
                   (["size += vl_pad4((size_t)(%s));" % n] if elem.prim == "u8" else
                    ["size += (size_t)(%s) * %d;" % (n, elem.size)])
        if elem.kind == "char":
            return ["size += vl_pad4((size_t)(%s));" % n]
        if elem.kind in ("handle", "rawptr"):
            return ["size += (size_t)(%s) * 8;" % n]
        i = self.var()
        return ["for (uint32_t %s = 0; %s < (uint32_t)(%s); %s++)" % (i, i, n, i),
                "    size += vl_sizeof_%s(&%s);" % (elem.name, self.element(elem, v, i, stride))]

    def encode_value(self, sh, v, ctx):
        k = sh.kind
        if k == "scalar":
            if getattr(sh, "stride_of", None):
                return [self.enc_scalar(sh, "sizeof(%s)" % sh.stride_of)]
            return [self.enc_scalar(sh, v)]
        if k == "handle":
            return ["vl_enc_u64(enc, (uint64_t)(uintptr_t)%s);" % v]
        if k == "rawptr":
            return ["vl_enc_u64(enc, (uint64_t)(uintptr_t)%s);" % v]
        if k in ("struct", "union"):
            return ["vl_encode_%s(enc, &%s);" % (sh.name, v)]
        if k == "fixed":
            return ["vl_enc_array_size(enc, %s);" % sh.count_expr] + \
                self._encode_elems(sh.elem, v, sh.count_expr)
        if k == "string":
            return ["vl_enc_string(enc, %s);" % v]
        if k == "strings":
            n = ctx.expr(sh.count)
            i = self.var()
            return ["if (%s) {" % v,
                    "    vl_enc_array_size(enc, %s);" % n,
                    "    for (uint32_t %s = 0; %s < %s; %s++)" % (i, i, n, i),
                    "        vl_enc_string(enc, %s[%s]);" % (v, i),
                    "} else {",
                    "    vl_enc_array_size(enc, 0);",
                    "}"]
        if k == "blob":
            n = ctx.expr(sh.count)
            return ["if (%s) {" % v,
                    "    vl_enc_array_size(enc, %s);" % n,
                    "    vl_enc_blob(enc, %s, %s);" % (v, n),
                    "} else {",
                    "    vl_enc_array_size(enc, 0);",
                    "}"]
        if k == "array":
            n = ctx.expr(sh.count)
            return ["if (%s) {" % v, "    vl_enc_array_size(enc, %s);" % n] + \
                ["    " + l for l in self._encode_elems(sh.elem, v, n, self.stride(sh, ctx))] + \
                ["} else {", "    vl_enc_array_size(enc, 0);", "}"]
        if k == "ptr":
            return ["if (vl_enc_ptr(enc, %s)) {" % v] + \
                ["    " + l for l in self.encode_value(sh.elem, "(*%s)" % v, ctx)] + ["}"]
        if k == "allocator":
            return ["vl_enc_u64(enc, 0); /* allocation callbacks never travel */"]
        raise ValueError(k)

    # ------------------------------------------------------------------
    # runs: consecutive fixed-size fields (32- and 64-bit scalars, raw
    # handles) are written and read with one bounds check for the run
    # instead of one per field (vl_enc_run, vl_dec_run)

    @staticmethod
    def enc_piece(sh, v):
        """(bits, value expression) when v is written as one fixed-size word."""
        if sh.kind == "scalar" and not getattr(sh, "stride_of", None) and sh.prim in ("u32", "u64"):
            bits = 32 if sh.prim == "u32" else 64
            return bits, "(uint%d_t)%s" % (bits, v)
        if sh.kind in ("handle", "rawptr"):
            return 64, "(uint64_t)(uintptr_t)%s" % v
        return None

    @staticmethod
    def enc_run(pieces):
        size = sum(bits // 8 for bits, _ in pieces)
        lines = ["{", "    uint8_t *vl_p = vl_enc_run(enc, %d);" % size, "    if (vl_p) {"]
        off = 0
        for bits, expr in pieces:
            lines.append("        vl_put_u%d(vl_p + %d, %s);" % (bits, off, expr))
            off += bits // 8
        return lines + ["    }", "}"]

    def encode_members(self, items, ctx, head=()):
        """Lines encoding items, a list of (shape, value), after head, a list
        of (bits, expression) words; runs of two or more words fused."""
        out, run = [], list(head)

        def flush():
            if len(run) >= 2:
                out.extend(self.enc_run(run))
            else:
                out.extend("vl_enc_u%d(enc, %s);" % piece for piece in run)
            run.clear()

        for sh, v in items:
            piece = self.enc_piece(sh, v)
            if piece:
                run.append(piece)
            else:
                flush()
                out.extend(self.encode_value(sh, v, ctx))
        flush()
        return out

    def dec_piece(self, sh, lv, lookup):
        """(bits, assignment with {p} for the word's address, lines to run
        after the run) when lv is read as one fixed-size word."""
        if sh.kind == "scalar" and not getattr(sh, "stride_of", None) and sh.prim in ("u32", "u64"):
            bits = 32 if sh.prim == "u32" else 64
            if sh.ctype == "VkBool32":  # normalized, as decode_value does
                return bits, "%s = vl_get_u32({p}) != 0;" % lv, []
            return bits, "%s = (%s)vl_get_u%d({p});" % (lv, sh.ctype, bits), self.enum_checks(sh, lv)
        if sh.kind == "rawptr" or (sh.kind == "handle" and not lookup):
            return 64, "%s = (%s)(uintptr_t)vl_get_u64({p});" % (lv, sh.ctype), []
        return None

    @staticmethod
    def dec_run(run):
        """run: (shape, lvalue, piece) entries; on a short stream every field
        is 0, as its own read would have made it."""
        size = sum(piece[0] // 8 for _, _, piece in run)
        lines = ["{", "    const uint8_t *vl_p = vl_dec_run(dec, %d);" % size, "    if (vl_p) {"]
        off = 0
        for _, _, (bits, assign, _) in run:
            lines.append("        " + assign.format(p="vl_p + %d" % off))
            off += bits // 8
        lines.append("    } else {")
        lines += ["        %s = (%s)0;" % (lv, sh.ctype) for sh, lv, _ in run]
        lines += ["    }"]
        for _, _, (_, _, after) in run:
            lines += ["    " + l for l in after]
        return lines + ["}"]

    def decode_members(self, items, ctx, lookup=True):
        """Lines decoding items, a list of (shape, lvalue); runs of two or
        more fixed-size fields fused."""
        out, run = [], []

        def flush():
            if len(run) >= 2:
                out.extend(self.dec_run(run))
            else:
                for sh, lv, _ in run:
                    out.extend(self.decode_value(sh, lv, ctx, lookup))
            run.clear()

        for sh, lv in items:
            piece = self.dec_piece(sh, lv, lookup)
            if piece:
                run.append((sh, lv, piece))
            else:
                flush()
                out.extend(self.decode_value(sh, lv, ctx, lookup))
        flush()
        return out

    def _encode_elems(self, elem, v, n, stride=None):
        if elem.kind == "scalar":
            if elem.prim == "u8":
                return ["vl_enc_blob(enc, %s, %s);" % (v, n)]
            if elem.prim in ("u32", "f32", "u64", "f64") or elem.prim == "size":
                return ["vl_enc_bytes(enc, %s, (size_t)(%s) * %d, (size_t)(%s) * %d);" %
                        (v, n, elem.size, n, elem.size)]
            i = self.var()
            return ["for (uint32_t %s = 0; %s < (uint32_t)(%s); %s++)" % (i, i, n, i),
                    "    " + self.enc_scalar(elem, "%s[%s]" % (v, i))]
        if elem.kind == "char":
            return ["vl_enc_blob(enc, %s, %s);" % (v, n)]
        i = self.var()
        return ["for (uint32_t %s = 0; %s < (uint32_t)(%s); %s++) {" % (i, i, n, i)] + \
            ["    " + l for l in self.encode_value(elem, self.element(elem, v, i, stride), None)] + ["}"]

    # ------------------------------------------------------------------
    # family: host decode of the full form into temporary storage

    def enum_checks(self, sh, lv):
        """Lines checking a decoded enum value (none for other scalars)."""
        members = self.reg.enum_members.get(sh.ctype) if getattr(sh, "enum", False) else None
        if not members or sh.ctype == "VkStructureType":
            return []
        test = "if (__builtin_expect(dec->strict_enums, 0) && !vl_enum_valid_%s((int32_t)%s))" % \
            (sh.ctype, lv)
        if getattr(sh, "enum_ignorable", False):
            # Valid Vulkan may leave garbage here (the field is ignored
            # in that state) and a host driver may still index a table
            # with it: under the refusing policy an undefined value
            # becomes a defined one, which valid usage cannot tell.
            first = min(v for v in members if v >= 0) if any(v >= 0 for v in members) else min(members)
            return [test, "    %s = (%s)%d;" % (lv, sh.ctype, first)]
        # A host driver may index a table with an enum value: under the
        # refusing policy, values vk.xml does not define fail
        # (vl_protocol_enums.c, generated from its <enums>).
        return [test, "    vl_dec_fail_value(dec, \"a %s value that Vulkan does not define:\", (uint32_t)%s);" %
                (sh.ctype, lv)]

    def decode_value(self, sh, lv, ctx, lookup=True, what="value"):
        """Lines decoding into lvalue lv.  lookup: handles are object ids to
        look up (input) rather than raw ids (created objects, outputs)."""
        k = sh.kind
        if k == "scalar":
            if sh.ctype == "VkBool32":
                # A host driver may take a VkBool32 other than VK_TRUE or
                # VK_FALSE as an index or a bit pattern (the renderer fuzzer
                # crashed lavapipe's pipeline compiler with one): normalized.
                return ["%s = vl_dec_u32(dec) != 0;" % lv]
            if getattr(sh, "stride_of", None):
                # the decoded array is packed, whatever stride the peer sent
                return ["(void)vl_dec_%s(dec);" % sh.prim, "%s = sizeof(%s);" % (lv, sh.stride_of)]
            return [self.dec_scalar(sh, lv)] + self.enum_checks(sh, lv)
        if k == "handle":
            if lookup and not getattr(sh, "optional", True):
                # vk.xml says it must be a valid handle: VK_NULL_HANDLE would
                # reach the host driver as a null pointer
                return ["%s = (%s)(uintptr_t)vl_dec_handle_required(dec, %s);" % (lv, sh.ctype, sh.objtype)]
            if lookup:
                return ["%s = (%s)(uintptr_t)vl_dec_handle(dec, %s);" % (lv, sh.ctype, sh.objtype)]
            return ["%s = (%s)(uintptr_t)vl_dec_u64(dec);" % (lv, sh.ctype)]
        if k == "rawptr":
            return ["%s = (%s)(uintptr_t)vl_dec_u64(dec);" % (lv, sh.ctype)]
        if k in ("struct", "union"):
            return ["vl_decode_%s_temp(dec, &%s);" % (sh.name, lv)]
        if k == "fixed":
            return ["if (vl_dec_array_size(dec, %s)) {" % sh.count_expr] + \
                ["    " + l for l in self._decode_elems(sh.elem, "%s" % lv, sh.count_expr, lookup,
                                                           fixed=True)] + ["}"]
        if k == "string":
            return ["%s = vl_dec_string(dec, %s);" % (lv, "true" if sh.__dict__.get("optional", True) else "false")]
        if k == "strings":
            n = ctx.expr(sh.count)
            i = self.var()
            t = self.var("a")
            return ["if (vl_dec_peek_u64(dec)) {",
                    "    if (!vl_dec_array_size(dec, %s) || !vl_dec_check_count(dec, %s, 8)) return;" % (n, n),
                    "    const char **%s = vl_dec_alloc(dec, sizeof(char *), %s);" % (t, n),
                    "    if (!%s) return;" % t,
                    "    for (uint32_t %s = 0; %s < %s; %s++)" % (i, i, n, i),
                    "        %s[%s] = vl_dec_string(dec, false);" % (t, i),
                    "    %s = %s;" % (lv, t),
                    "} else {",
                    "    vl_dec_u64(dec);",
                    "    if (%s) { vl_dec_fail(dec, \"NULL array with a non-zero count\"); return; }" % n,
                    "    %s = NULL;" % lv,
                    "}"]
        if k == "blob":
            n = ctx.expr(sh.count)
            t = self.var("b")
            lines = ["if (vl_dec_peek_u64(dec)) {",
                     "    if (!vl_dec_array_size(dec, %s)) return;" % n]
            if sh.output:
                lines += ["    void *%s = vl_dec_alloc(dec, 1, %s);" % (t, n),
                          "    if (!%s) return;" % t]
            else:
                lines += ["    if (!vl_dec_check_count(dec, %s, 1)) return;" % n,
                          "    void *%s = vl_dec_alloc(dec, 1, %s);" % (t, n),
                          "    if (!%s) return;" % t,
                          "    vl_dec_bytes(dec, %s, %s, vl_pad4(%s));" % (t, n, n)]
            lines += ["    %s = %s;" % (lv, t), "} else {", "    vl_dec_u64(dec);"]
            if sh.check_zero if hasattr(sh, "check_zero") else not sh.optional:
                lines += ["    if (%s) { vl_dec_fail(dec, \"NULL data with a non-zero size\"); return; }" % n]
            lines += ["    %s = NULL;" % lv, "}"]
            return lines
        if k == "array":
            n = ctx.expr(sh.count)
            t = self.var("a")
            et = self.elem_ctype(sh.elem)
            minsz = self.min_size(sh.elem)
            lines = ["if (vl_dec_peek_u64(dec)) {",
                     "    if (!vl_dec_array_size(dec, %s) || !vl_dec_check_count(dec, %s, %d)) return;" %
                     (n, n, minsz),
                     "    %s *%s = vl_dec_alloc(dec, sizeof(%s), %s);" % (et, t, et, n),
                     "    if (!%s) return;" % t]
            lines += ["    " + l for l in self._decode_elems(sh.elem, t, n, lookup)]
            lines += ["    %s = %s;" % (lv, t), "} else {", "    vl_dec_u64(dec);"]
            if sh.check_zero:
                lines += ["    if (%s) { vl_dec_fail(dec, \"NULL array with a non-zero count\"); return; }" % n]
            lines += ["    %s = NULL;" % lv, "}"]
            return lines
        if k == "ptr":
            t = self.var("p")
            et = self.elem_ctype(sh.elem)
            lines = ["if (vl_dec_u64(dec)) {",
                     "    %s *%s = vl_dec_alloc(dec, sizeof(%s), 1);" % (et, t, et),
                     "    if (!%s) return;" % t]
            lines += ["    " + l for l in self.decode_value(sh.elem, "(*%s)" % t, ctx, lookup)]
            lines += ["    %s = %s;" % (lv, t), "} else {"]
            if not sh.optional:
                lines += ["    vl_dec_fail(dec, \"NULL pointer where one is required\");"]
            lines += ["    %s = NULL;" % lv, "}"]
            return lines
        if k == "allocator":
            return ["if (vl_dec_u64(dec)) { vl_dec_fail(dec, \"allocation callbacks on the wire\"); return; }",
                    "%s = NULL;" % lv]
        raise ValueError(k)

    def _decode_elems(self, elem, arr, n, lookup, fixed=False):
        if elem.kind == "scalar":
            if elem.prim == "u8":
                return ["vl_dec_bytes(dec, (void *)%s, %s, vl_pad4(%s));" % (arr, n, n)]
            if elem.prim in ("u32", "f32", "u64", "f64", "size"):
                return ["vl_dec_bytes(dec, (void *)%s, (size_t)(%s) * %d, (size_t)(%s) * %d);" %
                        (arr, n, elem.size, n, elem.size)]
            i = self.var()
            return ["for (uint32_t %s = 0; %s < (uint32_t)(%s); %s++)" % (i, i, n, i),
                    "    " + self.dec_scalar(elem, "((%s *)%s)[%s]" % (elem.ctype, arr, i))]
        if elem.kind == "char":
            return ["vl_dec_char_array(dec, (char *)%s, %s);" % (arr, n)]
        i = self.var()
        et = self.elem_ctype(elem)
        body = self.decode_value(elem, "((%s *)%s)[%s]" % (et, arr, i), None, lookup)
        return ["for (uint32_t %s = 0; %s < (uint32_t)(%s) && !dec->error; %s++) {" % (i, i, n, i)] + \
            ["    " + l for l in body] + ["}"]

    def elem_ctype(self, elem):
        if elem.kind in ("struct", "union", "handle", "scalar"):
            return elem.ctype
        if elem.kind == "rawptr":
            return elem.ctype
        if elem.kind == "char":
            return "char"
        raise ValueError(elem.kind)

    # ------------------------------------------------------------------
    # family: partial form of outputs (guest encodes, host decodes)

    def partial_skipped(self, sh):
        return sh.kind == "scalar" or (sh.kind == "fixed" and sh.elem.kind in ("scalar", "char"))

    def sizeof_partial(self, sh, v, ctx):
        k = sh.kind
        if self.partial_skipped(sh):
            return []
        if k in ("handle", "rawptr"):
            return ["size += 8;"]
        if k == "struct":
            return ["size += vl_sizeof_%s_partial(&%s);" % (sh.name, v)]
        if k == "fixed":
            return self._sizeof_partial_elems(sh.elem, v, sh.count_expr, prefix=["size += 8;"])
        if k == "array":
            n = ctx.expr(sh.count)
            return ["size += 8;", "if (%s) {" % v] + \
                ["    " + l for l in self._sizeof_partial_elems(sh.elem, v, n)] + ["}"]
        if k == "blob":
            return ["size += 8;"]
        if k == "ptr":
            return ["size += 8;", "if (%s) {" % v] + \
                ["    " + l for l in self.sizeof_partial(sh.elem, "(*%s)" % v, ctx)] + ["}"]
        raise ValueError("partial form of %s" % k)

    def _sizeof_partial_elems(self, elem, v, n, prefix=None):
        lines = list(prefix or [])
        if elem.kind in ("scalar", "char"):
            return lines
        if elem.kind in ("handle", "rawptr"):
            return lines + ["size += (size_t)(%s) * 8;" % n]
        i = self.var()
        return lines + ["for (uint32_t %s = 0; %s < (uint32_t)(%s); %s++)" % (i, i, n, i),
                        "    size += vl_sizeof_%s_partial(&%s[%s]);" % (elem.name, v, i)]

    def encode_partial(self, sh, v, ctx):
        k = sh.kind
        if self.partial_skipped(sh):
            return []
        if k in ("handle", "rawptr"):
            return ["vl_enc_u64(enc, (uint64_t)(uintptr_t)%s);" % v]
        if k == "struct":
            return ["vl_encode_%s_partial(enc, &%s);" % (sh.name, v)]
        if k == "fixed":
            return ["vl_enc_array_size(enc, %s);" % sh.count_expr] + \
                self._encode_partial_elems(sh.elem, v, sh.count_expr)
        if k == "array":
            n = ctx.expr(sh.count)
            return ["if (%s) {" % v, "    vl_enc_array_size(enc, %s);" % n] + \
                ["    " + l for l in self._encode_partial_elems(sh.elem, v, n)] + \
                ["} else {", "    vl_enc_array_size(enc, 0);", "}"]
        if k == "blob":
            n = ctx.expr(sh.count)
            return ["vl_enc_array_size(enc, %s ? (uint64_t)(%s) : 0);" % (v, n)]
        if k == "ptr":
            return ["if (vl_enc_ptr(enc, %s)) {" % v] + \
                ["    " + l for l in self.encode_partial(sh.elem, "(*%s)" % v, ctx)] + ["}"]
        raise ValueError("partial form of %s" % k)

    def _encode_partial_elems(self, elem, v, n):
        if elem.kind in ("scalar", "char"):
            return []
        i = self.var()
        if elem.kind in ("handle", "rawptr"):
            return ["for (uint32_t %s = 0; %s < (uint32_t)(%s); %s++)" % (i, i, n, i),
                    "    vl_enc_u64(enc, (uint64_t)(uintptr_t)%s[%s]);" % (v, i)]
        return ["for (uint32_t %s = 0; %s < (uint32_t)(%s); %s++)" % (i, i, n, i),
                "    vl_encode_%s_partial(enc, &%s[%s]);" % (elem.name, v, i)]

    def decode_partial(self, sh, lv, ctx, member=None, owner_members=None):
        """Host: decode the partial form, allocating output storage."""
        k = sh.kind
        if self.partial_skipped(sh):
            return []
        if k in ("handle", "rawptr"):
            return ["%s = (%s)(uintptr_t)vl_dec_u64(dec);" % (lv, sh.ctype)]
        if k == "struct":
            return ["vl_decode_%s_partial_temp(dec, &%s);" % (sh.name, lv)]
        if k == "fixed":
            lines = ["if (vl_dec_array_size(dec, %s)) {" % sh.count_expr]
            lines += ["    " + l for l in self._decode_partial_elems(sh.elem, lv, sh.count_expr)]
            return lines + ["}"]
        if k in ("array", "blob"):
            # The count comes from the array size (Venus "WA1"); the storage is
            # allocated but nothing else follows for scalar elements.
            n = self.var("n")
            t = self.var("a")
            et = "uint8_t" if k == "blob" else self.elem_ctype(sh.elem)
            lines = ["{", "    const uint64_t %s = vl_dec_u64(dec);" % n]
            count_lv = None
            if ctx is not None and sh.count.startswith("$") and sh.count[1:].isidentifier():
                count_lv = ctx.expr(sh.count)
            if count_lv:
                lines += ["    if (%s > UINT32_MAX) { vl_dec_fail(dec, \"count too large\"); return; }" % n,
                          "    %s = (uint32_t)%s;" % (count_lv, n)]
            lines += ["    if (%s) {" % n]
            if k == "array":
                lines += ["        if (!vl_dec_check_count(dec, %s, %d)) return;" %
                          (n, self.min_size(sh.elem, partial=True))]
            lines += ["        %s *%s = vl_dec_alloc(dec, sizeof(%s), %s);" % (et, t, et, n),
                      "        if (!%s) return;" % t]
            if k == "array":
                lines += ["        " + l for l in self._decode_partial_elems(sh.elem, t, n)]
            lines += ["        %s = %s;" % (lv, t), "    } else {", "        %s = NULL;" % lv, "    }", "}"]
            return lines
        if k == "ptr":
            t = self.var("p")
            et = self.elem_ctype(sh.elem)
            lines = ["if (vl_dec_u64(dec)) {",
                     "    %s *%s = vl_dec_alloc(dec, sizeof(%s), 1);" % (et, t, et),
                     "    if (!%s) return;" % t]
            lines += ["    " + l for l in self.decode_partial(sh.elem, "(*%s)" % t, ctx)]
            lines += ["    %s = %s;" % (lv, t), "} else {"]
            if not sh.optional:
                lines += ["    vl_dec_fail(dec, \"NULL output pointer\");"]
            lines += ["    %s = NULL;" % lv, "}"]
            return lines
        raise ValueError("partial form of %s" % k)

    def _decode_partial_elems(self, elem, arr, n):
        if elem.kind in ("scalar", "char"):
            return []
        i = self.var()
        et = self.elem_ctype(elem)
        if elem.kind in ("handle", "rawptr"):
            return ["for (uint32_t %s = 0; %s < (uint32_t)(%s) && !dec->error; %s++)" % (i, i, n, i),
                    "    ((%s *)%s)[%s] = (%s)(uintptr_t)vl_dec_u64(dec);" % (et, arr, i, et)]
        return ["for (uint32_t %s = 0; %s < (uint32_t)(%s) && !dec->error; %s++)" % (i, i, n, i),
                "    vl_decode_%s_partial_temp(dec, &((%s *)%s)[%s]);" % (elem.name, et, arr, i)]

    # ------------------------------------------------------------------
    # family: guest decode of a reply into the caller's memory

    def decode_reply(self, sh, lv, ctx):
        """Guest: the full form, written into storage the application owns.
        Arrays are bounded by the capacity the application gave."""
        k = sh.kind
        if k == "scalar":
            return [self.dec_scalar(sh, lv)]
        if k in ("handle", "rawptr"):
            return ["%s = (%s)(uintptr_t)vl_dec_u64(dec);" % (lv, sh.ctype)]
        if k == "struct":
            return ["vl_decode_%s_reply(dec, &%s);" % (sh.name, lv)]
        if k == "union":
            return ["vl_decode_%s_reply(dec, &%s);" % (sh.name, lv)]
        if k == "fixed":
            return ["if (vl_dec_array_size(dec, %s)) {" % sh.count_expr] + \
                ["    " + l for l in self._decode_reply_elems(sh.elem, lv, sh.count_expr)] + ["}"]
        if k in ("array", "blob"):
            cap = ctx.expr(sh.count)
            n = self.var("n")
            lines = ["{", "    const uint64_t %s = vl_dec_u64(dec);" % n,
                     "    if (%s > (uint64_t)(%s) || (%s && !%s)) { vl_dec_fail(dec, \"reply array larger than the caller's\"); return; }" %
                     (n, cap if cap else 0, n, lv)]
            if k == "blob":
                lines += ["    vl_dec_bytes(dec, %s, %s, vl_pad4(%s));" % (lv, n, n)]
            else:
                lines += ["    " + l for l in self._decode_reply_elems(sh.elem, lv, n)]
            return lines + ["}"]
        if k == "ptr":
            return ["if (vl_dec_u64(dec)) {",
                    "    if (!%s) { vl_dec_fail(dec, \"reply has a value the caller did not ask for\"); return; }" % lv] + \
                ["    " + l for l in self.decode_reply(sh.elem, "(*%s)" % lv, ctx)] + ["}"]
        if k == "string":
            # Output strings do not occur; an input string is never returned.
            return ["vl_dec_fail(dec, \"string in a reply\");"]
        raise ValueError("reply form of %s" % k)

    def _decode_reply_elems(self, elem, arr, n):
        if elem.kind == "scalar":
            if elem.prim == "u8":
                return ["vl_dec_bytes(dec, %s, %s, vl_pad4(%s));" % (arr, n, n)]
            if elem.prim in ("u32", "f32", "u64", "f64", "size"):
                return ["vl_dec_bytes(dec, %s, (size_t)(%s) * %d, (size_t)(%s) * %d);" %
                        (arr, n, elem.size, n, elem.size)]
            i = self.var()
            return ["for (uint32_t %s = 0; %s < (uint32_t)(%s); %s++)" % (i, i, n, i),
                    "    " + self.dec_scalar(elem, "%s[%s]" % (arr, i))]
        if elem.kind == "char":
            return ["vl_dec_char_array(dec, %s, %s);" % (arr, n)]
        i = self.var()
        return ["for (uint32_t %s = 0; %s < (uint32_t)(%s) && !dec->error; %s++) {" % (i, i, n, i)] + \
            ["    " + l for l in self.decode_reply(elem, "%s[%s]" % (arr, i), None)] + ["}"]
