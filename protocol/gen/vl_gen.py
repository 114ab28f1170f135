#!/usr/bin/env python3
"""venus-loopback protocol generator.

Reads vk.xml (plus protocol/venus_mesa.xml) and the protocol data files, and
writes the wire codecs and tables into an output directory.  Standard library
only; Meson runs it at build time.

usage: vl_gen.py --xml vk.xml --data protocol/ --out DIR TARGET...
targets: protocol (codecs), renderer (executors), icd (entry points), tests,
         dump (the stream printer of tools/vl-dump)
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import registry  # noqa: E402
import protocol  # noqa: E402
from emit_files import Files, HEADER  # noqa: E402


def write(path, lines):
    text = "\n".join(lines) + "\n"
    # Leave unchanged files alone so that Ninja does not rebuild needlessly.
    if os.path.exists(path):
        with open(path) as f:
            if f.read() == text:
                return
    with open(path, "w") as f:
        f.write(text)


def mesa_types(reg):
    """C definitions of the Venus-specific types (not in vulkan_core.h)."""
    out = []
    for name, value in sorted(reg.enum_values.items(), key=lambda kv: kv[1]):
        if name.endswith("_MESA") and 1000384000 <= value < 1000386000:
            out.append("#define %s ((VkStructureType)%d)" % (name, value))
    out += ["",
            "typedef VkFlags VkCommandFlagsEXT;",
            "typedef VkFlags VkCommandStreamExecutionFlagsMESA;",
            "typedef VkFlags VkRingCreateFlagsMESA;",
            "typedef VkFlags VkRingNotifyFlagsMESA;",
            "#define VK_COMMAND_GENERATE_REPLY_BIT_EXT 0x00000001u", ""]
    for name in ("VkCommandStreamDescriptionMESA", "VkCommandStreamDependencyMESA",
                 "VkRingCreateInfoMESA", "VkMemoryResourcePropertiesMESA",
                 "VkImportMemoryResourceInfoMESA", "VkVenusExperimentalFeatures100000MESA",
                 "VkMemoryResourceAllocationSizePropertiesMESA",
                 "VkImportSemaphoreResourceInfoMESA", "VkDeviceQueueTimelineInfoMESA",
                 "VkRingMonitorInfoMESA", "VkRingPriorityInfoMESA"):
        s = reg.structs[name]
        out.append("typedef struct %s {" % name)
        for m in s.members:
            out.append("    %s %s;" % (m.decl, m.name))
        out.append("} %s;" % name)
        out.append("")
    return out


def gen_protocol(proto, files, outdir):
    reg = proto.reg
    cmds = files.all_commands

    # -- vl_protocol_defs.h
    d = [HEADER, "#ifndef VL_PROTOCOL_DEFS_H", "#define VL_PROTOCOL_DEFS_H", "",
         "/* Window-system types cross the in-process transport as values. */",
         "#ifndef VK_USE_PLATFORM_XCB_KHR", "#define VK_USE_PLATFORM_XCB_KHR 1", "#endif",
         "#ifndef VK_USE_PLATFORM_XLIB_KHR", "#define VK_USE_PLATFORM_XLIB_KHR 1", "#endif",
         "#ifndef VK_USE_PLATFORM_WAYLAND_KHR", "#define VK_USE_PLATFORM_WAYLAND_KHR 1", "#endif",
         "#include <vulkan/vulkan.h>", "#include <stdbool.h>", "#include <stdint.h>", ""]
    d += ["/* Ids of loopback-private commands start here (see protocol/private_commands.tsv). */",
          "#define VL_PRIVATE_COMMAND_BASE 0x%08X" % protocol.PRIVATE_BASE,
          "#define VL_VENUS_COMMAND_COUNT %d" % (max(c.id for c in cmds if c.id < protocol.PRIVATE_BASE) + 1),
          "#define VL_PRIVATE_COMMAND_COUNT %d" %
          (max([c.id - protocol.PRIVATE_BASE + 1 for c in cmds if c.id >= protocol.PRIVATE_BASE] or [0])),
          "#define VL_COMMAND_COUNT %d /* commands in the protocol, aliases not counted */" % len(cmds),
          "#define VL_STRUCT_COUNT %d /* structs and unions the codecs cover */" % len(files.structs),
          ""]
    d += mesa_types(reg)
    d += ["/* Venus command types, with Venus's names. */",
          "typedef enum VkCommandTypeEXT {"]
    for c in cmds:
        for n in c.names:
            d.append("    VK_COMMAND_TYPE_%s_EXT = %d," % (n, c.id))
    d += ["    VK_COMMAND_TYPE_MAX_ENUM_EXT = 0x7FFFFFFF", "} VkCommandTypeEXT;", ""]
    d += ["/* The same ids, one name per command, as the generated code spells them. */",
          "enum vl_command {"]
    for c in cmds:
        d.append("    VL_CMD_%s = %d," % (c.name, c.id))
    d += ["};", ""]
    d += ["/* How the renderer treats a command (protocol/special_commands.tsv). */",
          "enum vl_renderer_kind {",
          "    VL_RENDERER_GENERATED,",
          "    VL_RENDERER_HANDLER,",
          "    VL_RENDERER_BLOCKING,",
          "    VL_RENDERER_FATAL,",
          "};", "",
          "/* Who may send a command or use an extension: the Venus wire formats",
          " * (0: virglrenderer 0.10.4; 1: virglrenderer 1.0+ and Mesa 23+) and the",
          " * in-process transport's private ids. */",
          "#define VL_WIRE_FORMAT_0 0x1u",
          "#define VL_WIRE_FORMAT_1 0x2u",
          "#define VL_WIRE_PRIVATE  0x4u",
          "/* The newest wire format, what the in-process transport speaks. */",
          "#define VL_WIRE_FORMAT_CURRENT 1u",
          "/* The formats bit of wire format version v (0 or 1); 0 for others. */",
          "#define VL_WIRE_FORMAT_BIT(v) ((v) == 0 ? VL_WIRE_FORMAT_0 : (v) == 1 ? VL_WIRE_FORMAT_1 : 0u)",
          "",
          "struct vl_command_info {",
          "    int32_t id;",
          "    const char *name;",
          "    enum vl_renderer_kind renderer;",
          "    uint8_t formats;    /* VL_WIRE_*: who may send it */",
          "    bool has_wire_form; /* false: guest-only, no codec exists */",
          "};", "",
          "/* An extension the protocol carries (protocol/extensions.tsv). */",
          "struct vl_extension_info {",
          "    const char *name;",
          "    uint32_t number;",
          "    uint32_t spec_version; /* of the vk.xml the protocol was generated from */",
          "    bool instance;         /* an instance extension */",
          "    uint8_t formats;       /* VL_WIRE_*: who may use it */",
          "    /* extensions.tsv's offer column: its handles are process-local (fds),",
          "     * so the ICD offers it only in-process; or the ICD implements it and",
          "     * offers it whatever the host says */",
          "    bool inproc_only, guest;",
          "};", "",
          "/* A Venus command the table has and this build's vk.xml does not define:",
          " * its id is known, its layout is not. */",
          "struct vl_absent_command {",
          "    int32_t id;",
          "    const char *name;",
          "};",
          "#define VL_ABSENT_COMMAND_COUNT %d" % len(proto.absent_commands),
          "extern const struct vl_absent_command vl_absent_commands[VL_ABSENT_COMMAND_COUNT + 1];",
          "/* The Venus extensions of the table this build's vk.xml does not define. */",
          "#define VL_ABSENT_EXTENSION_COUNT %d" % len(proto.absent_extensions),
          "extern const char *const vl_absent_extensions[VL_ABSENT_EXTENSION_COUNT + 1];",
          "",
          "#define VL_EXTENSION_COUNT %d" % len(proto.extensions),
          "extern const struct vl_extension_info vl_extension_table[VL_EXTENSION_COUNT];",
          "/* The extension called name, or NULL when the protocol does not carry it. */",
          "const struct vl_extension_info *vl_extension_find(const char *name);",
          "/* vk.xml version the protocol was generated from */",
          "#define VL_PROTOCOL_VK_XML_VERSION VK_MAKE_API_VERSION(0, 1, 3, %d)" % reg.header_version,
          "",
          "/* The command with this id, or NULL for an id outside the protocol. */",
          "const struct vl_command_info *vl_command_info(int32_t id);",
          "/* Every command, ordered by id. */",
          "extern const struct vl_command_info vl_command_table[VL_COMMAND_COUNT];",
          "", "#endif", ""]
    write(os.path.join(outdir, "vl_protocol_defs.h"), d)

    # -- vl_protocol_info.c
    kinds = {"gen": "VL_RENDERER_GENERATED", "handler": "VL_RENDERER_HANDLER",
             "blocking": "VL_RENDERER_BLOCKING", "fatal": "VL_RENDERER_FATAL"}
    i = [HEADER, '#include "vl_protocol_defs.h"', "", "#include <stddef.h>", "#include <string.h>", "",
         "const struct vl_command_info vl_command_table[VL_COMMAND_COUNT] = {"]
    def fmt_bits(formats):
        bits = {"0": "VL_WIRE_FORMAT_0", "1": "VL_WIRE_FORMAT_1", "private": "VL_WIRE_PRIVATE"}
        return " | ".join(bits[f] for f in sorted(formats))

    for c in cmds:
        kind = kinds[c.special.get("renderer", "gen")]
        i.append('    { %d, "%s", %s, %s, %s },' % (c.id, c.name, kind, fmt_bits(c.formats),
                                                     "true" if c.wire else "false"))
    i += ["};", "",
          "const struct vl_absent_command vl_absent_commands[VL_ABSENT_COMMAND_COUNT + 1] = {"]
    i += ['    { %d, "%s" },' % (cid, name) for cid, name in proto.absent_commands]
    i += ["    { -1, NULL },", "};", "",
          "const char *const vl_absent_extensions[VL_ABSENT_EXTENSION_COUNT + 1] = {"]
    i += ['    "%s",' % name for name in proto.absent_extensions]
    i += ["    NULL,", "};", "",
          "static const struct vl_command_info *venus_index[VL_VENUS_COMMAND_COUNT];",
          "static const struct vl_command_info *private_index[VL_PRIVATE_COMMAND_COUNT + 1];",
          "",
          "static void",
          "build_index(void)",
          "{",
          "    for (size_t i = 0; i < VL_COMMAND_COUNT; i++) {",
          "        const struct vl_command_info *c = &vl_command_table[i];",
          "        if (c->id >= VL_PRIVATE_COMMAND_BASE)",
          "            private_index[c->id - VL_PRIVATE_COMMAND_BASE] = c;",
          "        else",
          "            venus_index[c->id] = c;",
          "    }",
          "}",
          "",
          "const struct vl_command_info *",
          "vl_command_info(int32_t id)",
          "{",
          "    static bool built;",
          "    if (!__atomic_load_n(&built, __ATOMIC_ACQUIRE)) {",
          "        build_index(); /* idempotent: racing threads write the same values */",
          "        __atomic_store_n(&built, true, __ATOMIC_RELEASE);",
          "    }",
          "    if (id >= 0 && id < VL_VENUS_COMMAND_COUNT)",
          "        return venus_index[id];",
          "    if (id >= VL_PRIVATE_COMMAND_BASE && id - VL_PRIVATE_COMMAND_BASE < VL_PRIVATE_COMMAND_COUNT)",
          "        return private_index[id - VL_PRIVATE_COMMAND_BASE];",
          "    return NULL;",
          "}", ""]
    i += ["const struct vl_extension_info vl_extension_table[VL_EXTENSION_COUNT] = {"]
    for name, ext in sorted(proto.extensions.items()):
        rext = reg.extensions.get(name, {})
        # The two Venus extensions at wire format 1's spec versions (wire
        # format 0 had 100000 and 0; renderer/ and transport/ say which).
        spec = rext.get("spec_version", {"VK_MESA_venus_protocol": 2,
                                         "VK_EXT_command_serialization": 1}.get(name, 0))
        inst = rext.get("type") == "instance"
        i.append('    { "%s", %d, %d, %s, %s, %s, %s },' % (
            name, ext["number"], spec, "true" if inst else "false", fmt_bits(ext["formats"]),
            "true" if ext["offer"] == "inproc" else "false",
            "true" if ext["offer"] == "guest" else "false"))
    i += ["};", "",
          "const struct vl_extension_info *",
          "vl_extension_find(const char *name)",
          "{",
          "    size_t lo = 0, hi = VL_EXTENSION_COUNT;",
          "    while (lo < hi) {",
          "        const size_t mid = (lo + hi) / 2;",
          "        const int c = strcmp(name, vl_extension_table[mid].name);",
          "        if (!c)",
          "            return &vl_extension_table[mid];",
          "        if (c < 0)",
          "            hi = mid;",
          "        else",
          "            lo = mid + 1;",
          "    }",
          "    return NULL;",
          "}", ""]
    write(os.path.join(outdir, "vl_protocol_info.c"), i)

    # -- vl_protocol_structs.h / .c
    h = [HEADER, "#ifndef VL_PROTOCOL_STRUCTS_H", "#define VL_PROTOCOL_STRUCTS_H", "",
         '#include "vl_protocol_defs.h"', '#include "vl_cs.h"', ""]
    for ps in files.structs:
        h += ["%s;" % p for p in files.struct_protos(ps)]
    # Enum validity (the renderer's refusing policy, emit_codec.py).
    checked_enums = sorted(t for t in reg.enums if reg.enum_members.get(t) and t != "VkStructureType")
    h += ["bool vl_enum_valid_%s(int32_t v);" % t for t in checked_enums]
    h += ["size_t vl_sizeof_chained(const VkBaseInStructure *s);",
          "void vl_encode_chained(struct vl_encoder *enc, const VkBaseInStructure *s);",
          "void vl_decode_chained_temp(struct vl_decoder *dec, VkBaseOutStructure *s);",
          "size_t vl_sizeof_chained_partial(const VkBaseInStructure *s);",
          "void vl_encode_chained_partial(struct vl_encoder *enc, const VkBaseInStructure *s);",
          "void vl_decode_chained_partial_temp(struct vl_decoder *dec, VkBaseOutStructure *s);",
          "void vl_decode_chained_reply(struct vl_decoder *dec, VkBaseOutStructure *s);",
          "", "#endif", ""]
    write(os.path.join(outdir, "vl_protocol_structs.h"), h)
    c = [HEADER, '#include "vl_protocol_structs.h"', "", "#include <stdbool.h>", ""]
    for ps in files.structs:
        c += files.struct_defs(ps)
    c += files.chained_switches()
    write(os.path.join(outdir, "vl_protocol_structs.c"), c)

    # -- vl_protocol_enums.c: whether a value is one vk.xml defines for its
    # enum type (any extension's, aliases included through their values)
    e = [HEADER, '#include "vl_protocol_structs.h"', "", "#include <stdbool.h>", ""]
    for t in checked_enums:
        e += ["bool", "vl_enum_valid_%s(int32_t v)" % t, "{", "    switch (v) {"]
        e += ["    case %d:" % v for v in sorted(reg.enum_members[t]) if -(1 << 31) <= v < (1 << 31)]
        e += ["        return true;", "    default:", "        return false;", "    }", "}", ""]
    write(os.path.join(outdir, "vl_protocol_enums.c"), e)

    # -- vl_protocol_guest.h
    g = [HEADER, "#ifndef VL_PROTOCOL_GUEST_H", "#define VL_PROTOCOL_GUEST_H", "",
         '#include "vl_protocol_structs.h"', ""]
    for cmd in files.commands:
        g += files.guest_cmd_defs(cmd)
    g += ["#endif", ""]
    write(os.path.join(outdir, "vl_protocol_guest.h"), g)

    # -- vl_protocol_host.h / .c
    hh = [HEADER, "#ifndef VL_PROTOCOL_HOST_H", "#define VL_PROTOCOL_HOST_H", "",
          '#include "vl_protocol_structs.h"', "", "struct vl_object;", ""]
    for cmd in files.commands:
        hh += files.args_struct(cmd)
        hh += ["void vl_decode_%s_args(struct vl_decoder *dec, struct vl_args_%s *args);" % (cmd.name, cmd.name),
               "size_t vl_sizeof_%s_reply_args(const struct vl_args_%s *args);" % (cmd.name, cmd.name),
               "void vl_encode_%s_reply_args(struct vl_encoder *enc, const struct vl_args_%s *args);" %
               (cmd.name, cmd.name), ""]
    hh += ["#endif", ""]
    write(os.path.join(outdir, "vl_protocol_host.h"), hh)
    hc = [HEADER, '#include "vl_protocol_host.h"', ""]
    for cmd in files.commands:
        hc += files.host_cmd_defs(cmd)
    write(os.path.join(outdir, "vl_protocol_host.c"), hc)

    import emit_tests
    emit_tests.generate_any(files, outdir)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--xml", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("targets", nargs="+")
    args = ap.parse_args()

    reg = registry.Registry([args.xml, os.path.join(args.data, "venus_mesa.xml"),
                             os.path.join(args.data, "loopback.xml")])
    proto = protocol.Protocol(reg, args.data)
    files = Files(proto)
    os.makedirs(args.out, exist_ok=True)
    for t in args.targets:
        if t == "protocol":
            gen_protocol(proto, files, args.out)
        elif t == "tests":
            import emit_tests
            emit_tests.generate(proto, files, args.out)
        elif t == "renderer":
            import emit_renderer
            emit_renderer.generate(proto, files, args.out)
        elif t == "icd":
            import emit_icd
            emit_icd.generate(proto, files, args.out)
        elif t == "dump":
            import emit_dump
            emit_dump.generate(proto, files, args.out)
        else:
            ap.error("unknown target %s" % t)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except protocol.GenError as e:
        print("vl_gen.py: error: %s" % e, file=sys.stderr)
        sys.exit(1)
