"""Emits the guest driver's generated part (icd target).

  vl_icd_gen.h  the prototype of every entry point (generated or hand-written)
  vl_icd_gen.c  the generated entry points, and the entry-point table the
                loader interface answers vkGet*ProcAddr from

A generated entry point encodes its command and either sends it one-way
(recorded into the command buffer for vkCmd*) or makes a call and decodes
the reply into the application's outputs.  A create gets its object's id
before it is encoded, so it needs no reply.  Hand-written entry points
(special_commands.tsv guest=icd/only) live in icd/.
"""

import os

from emit_files import HEADER, indent

LEVELS = {"VkInstance": "VL_LEVEL_INSTANCE", "VkPhysicalDevice": "VL_LEVEL_PHYSICAL_DEVICE",
          "VkDevice": "VL_LEVEL_DEVICE", "VkQueue": "VL_LEVEL_DEVICE",
          "VkCommandBuffer": "VL_LEVEL_DEVICE"}


class IcdEmitter:
    def __init__(self, proto, files):
        self.p = proto
        self.f = files
        self.reg = proto.reg

    def entry_name(self, name):
        return "vl_" + name[2:]

    def decl(self, cmd, params=None):
        params = cmd.params if params is None else params
        ps = ", ".join(self.f.param_decl(p) for p in params) or "void"
        return "VKAPI_ATTR %s VKAPI_CALL\n%s(%s)" % (cmd.ret, self.entry_name(cmd.name), ps)

    def first_type(self, c):
        if not c.params:
            return None
        t = self.reg.canonical_type(c.params[0].type)
        if t in LEVELS and c.params[0].ptr == 0:
            return t
        return None

    def is_recorded(self, c):
        return c.name.startswith("vkCmd") and self.first_type(c) == "VkCommandBuffer"

    def is_sync(self, c, params):
        mode = c.special.get("sync", "-")
        if mode == "sync":
            return True
        if mode == "async":
            return False
        if c.ret != "void":
            return True
        for p, sh, role in params:
            if role == "out_count":
                return True
            if role == "out" and not (sh.kind == "ptr" and sh.elem.kind == "handle"):
                return True
        return False

    def failure_value(self, c):
        if c.ret == "VkResult":
            return "VK_ERROR_DEVICE_LOST"
        if c.ret == "void":
            return None
        return "0"

    def ret(self, c, value):
        return "return;" if c.ret == "void" else "return %s;" % value

    @staticmethod
    def submit_expr(c):
        """One-way submission: a command of a queue travels on the queue's
        transport timeline (its ring index), everything else on the CPU's;
        a stream-local command (ProtoCommand.stream_local) says so."""
        if c.params and c.params[0].type == "VkQueue":
            return "vl_transport_submit_on(vl_t, vl_queue_timeline(%s), vl_buf, vl_size)" % \
                c.params[0].name
        if c.stream_local:
            return "vl_transport_submit_local(vl_t, vl_buf, vl_size)"
        return "vl_transport_submit(vl_t, vl_buf, vl_size)"

    def encode_request(self, c, flags, oom):
        """A command encoded into the scratch's own buffer when it fits, and
        sized (a second walk of its arguments) only when it does not: most
        commands are small.  Leaves vl_buf and vl_size; the scratch is the
        caller's to put back."""
        names = ", ".join(p.name for p in c.params)
        sep = ", " if c.params else ""
        return ["    struct vl_encoder vl_enc;",
                "    vl_s.data = vl_s.local;",
                "    vl_enc_init(&vl_enc, vl_s.local, sizeof(vl_s.local));",
                "    for (size_t vl_need = 0;;) {",
                "        vl_encode_%s(&vl_enc, %s%s%s);" % (c.name, flags, sep, names),
                "        if (!vl_enc.overflow)",
                "            break;",
                "        if (vl_need || !vl_scratch_get(&vl_s, vl_need = vl_sizeof_%s(%s))) {" % (c.name, names),
                "            vl_scratch_put(&vl_s);",
                "            return %s;" % oom,
                "        }",
                "        vl_enc_init(&vl_enc, vl_s.data, vl_need);",
                "    }",
                "    uint8_t *vl_buf = vl_s.data;",
                "    const size_t vl_size = (size_t)(vl_enc.cur - vl_buf);"]

    def helpers(self, c):
        """vl_send_<cmd> (one-way) and vl_call_<cmd> (with reply) for the
        hand-written and generated entry points alike."""
        params = self.f.classify_params(c)
        names = ", ".join(p.name for p in c.params)
        sep = ", " if c.params else ""
        pdecl = "".join(", " + self.f.param_decl(p) for p in c.params)
        out = []
        if c.ret == "void":
            out += ["static inline bool",
                    "vl_send_%s(struct vl_transport *vl_t%s)" % (c.name, pdecl), "{",
                    "    struct vl_scratch vl_s;",
                    "    vl_chain_formats = vl_t->wire_formats;"] + \
                   self.encode_request(c, "0", "false") + [
                    "    const bool vl_ok = %s;" % self.submit_expr(c),
                    "    vl_scratch_put(&vl_s);",
                    "    return vl_ok;", "}", ""]
        elif c.ret == "VkResult":
            out += ["static inline VkResult",
                    "vl_send_%s(struct vl_transport *vl_t%s)" % (c.name, pdecl), "{",
                    "    struct vl_scratch vl_s;",
                    "    vl_chain_formats = vl_t->wire_formats;"] + \
                   self.encode_request(c, "0", "VK_ERROR_OUT_OF_HOST_MEMORY") + [
                    "    const bool vl_ok = %s;" % self.submit_expr(c),
                    "    vl_scratch_put(&vl_s);",
                    "    return vl_ok ? VK_SUCCESS : VK_ERROR_DEVICE_LOST;", "}", ""]
        rtype = "bool" if c.ret == "void" else c.ret
        fail = {"void": "false", "VkResult": "VK_ERROR_DEVICE_LOST"}.get(c.ret, "0")
        oom = {"void": "false", "VkResult": "VK_ERROR_OUT_OF_HOST_MEMORY"}.get(c.ret, "0")
        out += ["static inline %s" % rtype,
                "vl_call_%s(struct vl_transport *vl_t%s)" % (c.name, pdecl), "{",
                "    struct vl_scratch vl_s, vl_rs;",
                "    vl_chain_formats = vl_t->wire_formats;"] + \
               self.encode_request(c, "VK_COMMAND_GENERATE_REPLY_BIT_EXT", oom) + [
                "    const size_t vl_rsize = vl_sizeof_%s_reply(%s);" % (c.name, names),
                "    uint8_t *vl_reply = vl_scratch_get(&vl_rs, vl_rsize);",
                "    if (!vl_reply) {", "        vl_scratch_put(&vl_s);", "        return %s;" % oom, "    }",
                "    %s vl_ret = %s;" % (rtype, fail),
                "    if (vl_transport_call(vl_t, vl_buf, vl_size, vl_reply, vl_rsize)) {",
                "        struct vl_decoder vl_dec;",
                "        vl_dec_init(&vl_dec, vl_reply, vl_rsize, NULL, NULL);"]
        if c.ret == "void":
            out += ["        vl_decode_%s_reply(&vl_dec%s%s);" % (c.name, sep, names),
                    "        vl_ret = true;"]
        else:
            out += ["        vl_ret = vl_decode_%s_reply(&vl_dec%s%s);" % (c.name, sep, names)]
        out += ["        if (vl_dec.error) {",
                "            vl_reply_error(vl_t, \"%s\", vl_dec.error);" % c.name,
                "            vl_ret = %s;" % fail,
                "        }",
                "    }",
                "    vl_scratch_put(&vl_s);",
                "    vl_scratch_put(&vl_rs);",
                "    return vl_ret;", "}", ""]
        return out

    def gen_entry(self, c):
        params = self.f.classify_params(c)
        names = ", ".join(p.name for p in c.params)
        sep = ", " if c.params else ""
        lines = [self.decl(c), "{"]
        body = []
        if self.is_recorded(c):
            body += ["struct vl_command_buffer *vl_cmd = vl_command_buffer(commandBuffer);"]
            if any(sh.kind in ("ptr", "array") and sh.elem.kind in ("struct", "union")
                   for _, sh, _ in params):
                # pNext structs are kept as the device's transport carries them
                body += ["vl_chain_formats = vl_cmd->device->transport->wire_formats;"]
            body += [
                     "struct vl_encoder *vl_enc = vl_cmd_reserve(vl_cmd, vl_sizeof_%s(%s));" % (c.name, names),
                     "if (!vl_enc)", "    return;",
                     "vl_encode_%s(vl_enc, 0%s%s);" % (c.name, sep, names)]
            if c.ret != "void":
                raise ValueError("recorded command %s returns a value" % c.name)
            return lines + indent(body) + ["}", ""]
        ft = self.first_type(c)
        if not ft:
            raise ValueError("%s has no dispatchable first parameter; it must be hand-written" % c.name)
        body += ["struct vl_transport *vl_t = vl_transport_of_%s(%s);" % (ft, c.params[0].name)]
        if c.formats != {"0", "1"}:
            bits = {"0": "VL_WIRE_FORMAT_0", "1": "VL_WIRE_FORMAT_1", "private": "VL_WIRE_PRIVATE"}
            unavailable = {"VkResult": "VK_ERROR_EXTENSION_NOT_PRESENT"}.get(c.ret, "0")
            body += ["if (!vl_transport_speaks(vl_t, %s))" % " | ".join(bits[f] for f in sorted(c.formats)),
                     "    " + self.ret(c, unavailable) + " /* not carried by this transport */"]
        if c.name.startswith("vkDestroy") and len(params) > 1 and params[1][1].kind == "handle":
            body += ["if (%s == VK_NULL_HANDLE)" % params[1][0].name, "    return;"]
        for p, sh, role in params:
            if role == "out" and sh.kind == "ptr" and sh.elem.kind == "handle":
                body += ["*%s = (%s)(uintptr_t)vl_new_id();" % (p.name, sh.elem.ctype)]
        sync = self.is_sync(c, params)
        call = "vl_%s_%s(vl_t%s%s)" % ("call" if sync else "send", c.name, sep, names)
        if c.ret == "void":
            body += ["%s;" % call]
        elif not sync and "VK_ERROR_DEVICE_LOST" not in c.errorcodes:
            # A one-way command the spec does not let fail with a lost device
            # (creates, resets): the loss surfaces at the next command that may
            # report it.
            body += ["const VkResult vl_r = %s;" % call,
                     "return vl_r == VK_ERROR_DEVICE_LOST ? VK_SUCCESS : vl_r;"]
        else:
            body += ["return %s;" % call]
        return lines + indent(body) + ["}", ""]

    # ------------------------------------------------------------------

    def requirements(self, name):
        """[(core_version, [extension names])...]: the alternatives under which
        the command (by this name) is available."""
        alts = []
        for needs in self.reg.command_requires.get(name, []):
            core, exts = 0, []
            for n in needs:
                if n in self.reg.features:
                    major, minor = self.reg.features[n]
                    core = max(core, (major << 22) | (minor << 12))
                else:
                    exts.append(n)
            alts.append((core, exts))
        if not alts:
            alts = [(0, [])]  # our own commands (MESA, VL): never looked up by name
        return alts

    def generate(self, outdir):
        f = self.f
        ext_index = {name: i for i, name in enumerate(sorted(self.p.extensions))}
        all_cmds = list(f.all_commands) + self.p.guest_only_extras()
        h = [HEADER, "#ifndef VL_ICD_GEN_H", "#define VL_ICD_GEN_H", "",
             '#include "vl_protocol_defs.h"', "",
             "enum vl_entry_level {",
             "    VL_LEVEL_GLOBAL,",
             "    VL_LEVEL_INSTANCE,",
             "    VL_LEVEL_PHYSICAL_DEVICE,",
             "    VL_LEVEL_DEVICE,",
             "};", "",
             "/* An entry point is available when one of its requirements holds: the",
             " * API version reaches core, and each listed extension is enabled. */",
             "struct vl_entry_requirement {",
             "    uint32_t core;",
             "    int16_t ext[3]; /* vl_extension_table indices; -1: none */",
             "};", "",
             "struct vl_entrypoint {",
             "    const char *name;",
             "    PFN_vkVoidFunction fn;",
             "    enum vl_entry_level level;",
             "    uint8_t requirement_count;",
             "    struct vl_entry_requirement requirements[4];",
             "};", "",
             "/* The entry point called name (aliases included), or NULL. */",
             "const struct vl_entrypoint *vl_entrypoint_find(const char *name);", "",
             "/* A struct that extends VkPhysicalDeviceProperties2 or ...Features2. */",
             "struct vl_chained_info {",
             "    VkStructureType sType;",
             "    size_t size;",
             "    uint8_t requirement_count;",
             "    struct vl_entry_requirement requirements[4];",
             "};",
             "extern const struct vl_chained_info vl_properties_chain[];",
             "extern const uint32_t vl_properties_chain_count;",
             "extern const struct vl_chained_info vl_features_chain[];",
             "extern const uint32_t vl_features_chain_count;", ""]
        for c in all_cmds:
            if c.own:
                continue
            h.append("%s;" % self.decl(c).replace("\n", " "))
        h += ["", "#endif", ""]
        with open(os.path.join(outdir, "vl_icd_gen.h"), "w") as fh:
            fh.write("\n".join(h) + "\n")

        calls = [HEADER, "#ifndef VL_ICD_CALLS_H", "#define VL_ICD_CALLS_H", "",
                 '#include "vl_icd.h"', ""]
        for c in f.commands:
            # the MESA commands belong to the transports; the loopback's own
            # private commands are sent by the ICD
            if not c.own or c.origin == "loopback":
                calls += self.helpers(c)
        calls += ["#endif", ""]
        with open(os.path.join(outdir, "vl_icd_calls.h"), "w") as fh:
            fh.write("\n".join(calls) + "\n")

        s = [HEADER, '#include "vl_icd_calls.h"', "", "#include <string.h>", ""]
        for c in f.commands:
            if c.special.get("guest", "gen") != "gen" or c.own:
                continue
            s += self.gen_entry(c)
        # the table, sorted by name
        entries = []
        for c in all_cmds:
            if c.own:
                continue
            ft = self.first_type(c)
            level = LEVELS.get(ft, "VL_LEVEL_GLOBAL")
            for name in [c.name] + sorted(c.aliases if hasattr(c, "aliases") else []):
                entries.append((name, self.entry_name(c.name), level, self.requirements(name)))
        # aliases of protocol commands come from the registry
        for c in list(f.all_commands):
            canon = self.reg.commands[self.reg.canonical_command(c.name)]
            for a in canon.aliases:
                if a not in [e[0] for e in entries]:
                    ft = self.first_type(c)
                    entries.append((a, self.entry_name(c.name), LEVELS.get(ft, "VL_LEVEL_GLOBAL"),
                                    self.requirements(a)))
        seen = set()
        uniq = []
        for e in sorted(entries):
            if e[0] not in seen:
                seen.add(e[0])
                uniq.append(e)
        s += ["static const struct vl_entrypoint entrypoints[] = {"]
        for name, fn, level, reqs in uniq:
            rs = []
            for core, exts in reqs[:4]:
                idx = [ext_index.get(x, -2) for x in exts][:3]
                if -2 in idx:
                    continue  # needs an extension the protocol does not carry
                idx += [-1] * (3 - len(idx))
                rs.append("{ 0x%x, { %d, %d, %d } }" % (core, idx[0], idx[1], idx[2]))
            if not rs:
                continue
            s.append('    { "%s", (PFN_vkVoidFunction)%s, %s, %d, { %s } },' %
                     (name, fn, level, len(rs), ", ".join(rs)))
        s += ["};", ""]
        # the structs a physical device's property and feature chains carry
        for parent, table in (("VkPhysicalDeviceProperties2", "vl_properties_chain"),
                              ("VkPhysicalDeviceFeatures2", "vl_features_chain")):
            ps = self.p.structs[parent]
            s += ["const struct vl_chained_info %s[] = {" % table]
            count = 0
            for name in ps.chain:
                st = self.reg.structs[name]
                rs = []
                for needs in st.requires or [[]]:
                    core, exts = 0, []
                    for n in needs:
                        if n in self.reg.features:
                            major, minor = self.reg.features[n]
                            core = max(core, (major << 22) | (minor << 12))
                        else:
                            exts.append(n)
                    idx = [ext_index.get(x, -2) for x in exts][:3]
                    if -2 in idx:
                        continue
                    idx += [-1] * (3 - len(idx))
                    rs.append("{ 0x%x, { %d, %d, %d } }" % (core, idx[0], idx[1], idx[2]))
                if not rs:
                    continue
                s.append("    { %s, sizeof(%s), %d, { %s } }," % (st.stype, name, len(rs[:4]), ", ".join(rs[:4])))
                count += 1
            s += ["};", "const uint32_t %s_count = %d;" % (table, count), ""]
        s += ["const struct vl_entrypoint *",
              "vl_entrypoint_find(const char *name)",
              "{",
              "    size_t lo = 0, hi = sizeof(entrypoints) / sizeof(entrypoints[0]);",
              "    while (lo < hi) {",
              "        const size_t mid = (lo + hi) / 2;",
              "        const int c = strcmp(name, entrypoints[mid].name);",
              "        if (!c)",
              "            return &entrypoints[mid];",
              "        if (c < 0)",
              "            hi = mid;",
              "        else",
              "            lo = mid + 1;",
              "    }",
              "    return NULL;",
              "}", ""]
        with open(os.path.join(outdir, "vl_icd_gen.c"), "w") as fh:
            fh.write("\n".join(s) + "\n")


def generate(proto, files, outdir):
    IcdEmitter(proto, files).generate(outdir)
