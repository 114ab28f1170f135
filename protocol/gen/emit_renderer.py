"""Emits the renderer's generated part (renderer target).

  vlr_gen.h  host dispatch tables, handler prototypes, dispatch entry
  vlr_gen.c  table loaders, one executor per command, the dispatch
                     switch, and host destruction of any object by type

An executor decodes the arguments (handles become host handles through the
object table), calls the host driver through the table of the object that owns
the command, registers or forgets objects it creates or destroys, and encodes
the reply when one was asked for.  Commands marked "handler" in
special_commands.tsv call vlr_handle_<command>() instead, written by hand in
renderer/; "fatal" ones poison the context; "blocking" ones drop the context
lock around the host call.
"""

import os

from emit_files import HEADER, indent
from protocol import PRIVATE_BASE

DEVICE_OWNERS = ("VkDevice", "VkQueue", "VkCommandBuffer")

# Blocking commands that wait for GPU work or a guest's signal, and when
# they do.  On an application's own thread (inline streams) they block in the
# host driver; on a ring or transport thread they wait in slices, so that a
# context being torn down can stop them (vlr_exec_wait_sliced), or, in
# contexts that ask for it (fuzzing), are refused (vlr_exec_may_block).
# Each: the condition, and how one slice is made: the timeout parameter to
# shorten, or the flag to drop so that the call polls.
BLOCKING_WAITS = {
    "vkWaitForFences": ("args->timeout != 0", "timeout", None),
    "vkWaitSemaphores": ("args->timeout != 0", "timeout", None),
    "vkGetQueryPoolResults": ("(args->flags & VK_QUERY_RESULT_WAIT_BIT) != 0", None,
                              "VK_QUERY_RESULT_WAIT_BIT"),
}
INSTANCE_OWNERS = ("VkInstance", "VkPhysicalDevice")


class RendererEmitter:
    def __init__(self, proto, files):
        self.p = proto
        self.f = files
        self.reg = proto.reg

    def owner_type(self, c):
        if not c.params:
            return None
        t = self.reg.canonical_type(c.params[0].type)
        if t in self.reg.handles and self.reg.handles[t]["dispatchable"] and c.params[0].ptr == 0:
            return t
        return None

    def level(self, c):
        t = self.owner_type(c)
        if t in DEVICE_OWNERS:
            return "device"
        if t in INSTANCE_OWNERS:
            return "instance"
        return None

    def host_commands(self):
        """Commands the renderer may call on the host driver: every command
        below the instance, guest-only ones included (the renderer maps memory
        and waits for idle on the host itself)."""
        out = []
        extras = []
        for cmd in self.p.guest_only_extras():
            # not in the protocol's tables, but the renderer may call them
            # (host-side validation messengers)
            pc = type("Extra", (), {})()
            pc.name, pc.params, pc.ret, pc.special = cmd.name, cmd.params, cmd.ret, {"renderer": "fatal"}
            pc.own = cmd.own
            extras.append(pc)
        for c in list(self.f.all_commands) + extras:
            if c.own:
                continue
            if self.level(c) is None:
                continue  # global commands: the handlers call the host loader entry points
            out.append(c)
        return out

    def fn_name(self, c):
        return c.name[2:]  # table member name: vkCreateBuffer -> CreateBuffer

    def pfn(self, c):
        return "PFN_" + self.reg.canonical_command(c.name)

    # ------------------------------------------------------------------

    def kind(self, c):
        r = c.special.get("renderer", "gen")
        return r

    def created(self, c):
        """(param, shape) of a single created handle, or None."""
        params = self.f.classify_params(c)
        outs = [(p, sh) for p, sh, role in params if role == "out" and sh.kind == "ptr" and
                sh.elem.kind == "handle"]
        return outs[0] if len(outs) == 1 else None

    def destroyed(self, c):
        """The handle parameter a vkDestroy* command destroys."""
        if not c.name.startswith("vkDestroy") or len(c.params) < 2:
            return None
        params = self.f.classify_params(c)
        p, sh, role = params[1]
        if sh.kind != "handle" or sh.dispatchable:
            return None
        # It must be the last handle decoded, for dec->last_object.
        for q, qsh, _ in params[2:]:
            if qsh.kind == "handle":
                return None
        return p, sh

    def call_args(self, c, created=None):
        args = []
        for p in c.params:
            t = self.reg.canonical_type(p.type)
            if t == "VkAllocationCallbacks":
                args.append("NULL")
            elif created and p.name == created[0].name:
                args.append("&host")
            else:
                args.append("args->" + p.name)
        return ", ".join(args)

    def executor(self, c):
        """Body lines of the generated executor (after decoding)."""
        lvl = self.level(c)
        table = "vlr_object_device_table(args->owner)" if lvl == "device" else \
            "vlr_object_instance_table(args->owner)"
        fn = self.fn_name(c)
        ret = "args->ret = " if c.ret != "void" else ""
        lines = ["const struct vlr_host_%s_table *vk = %s;" % (lvl, table),
                 "if (!vk->%s) {" % fn,
                 "    vlr_exec_fail(x, \"the host driver does not provide %s\");" % c.name,
                 "    return;",
                 "}"]
        blocking = self.kind(c) == "blocking"
        created = self.created(c)
        destroyed = self.destroyed(c)
        if created:
            p, sh = created
            lines += ["const uint64_t id = (uint64_t)(uintptr_t)*args->%s;" % p.name,
                      "if (!vlr_exec_check_new_id(x, id))",
                      "    return;",
                      "%s host = VK_NULL_HANDLE;" % sh.elem.ctype]
            lines += ["%svk->%s(%s);" % (ret, fn, self.call_args(c, created))]
            ok = "args->ret == VK_SUCCESS" if c.ret == "VkResult" else "host != VK_NULL_HANDLE"
            lines += ["if (%s)" % ok,
                      "    vlr_exec_add_object(x, id, %s, (uint64_t)(uintptr_t)host, args->owner);" % sh.elem.objtype]
            if c.ret == "VkResult":
                lines += ["else",
                          "    vlr_exec_create_failed(x, args->ret, id);"]
            return lines
        if destroyed:
            lines += ["struct vl_object *obj = x->destroyed;",
                      "%svk->%s(%s);" % (ret, fn, self.call_args(c)),
                      "if (obj)",
                      "    vlr_exec_remove_object(x, obj);"]
            return lines
        call = "%svk->%s(%s);" % (ret, fn, self.call_args(c))
        if blocking:
            waits = BLOCKING_WAITS.get(self.reg.canonical_command(c.name))
            if waits:
                cond, timeout, flag = waits
                lines += ["if (!vlr_exec_may_block(x, %s))" % cond, "    return;",
                          "if (vlr_exec_wait_sliced(x, %s)) {" % cond,
                          "    vlr_exec_unlock(x);"]
                if timeout:
                    lines += ["    const uint64_t vl_timeout = args->%s;" % timeout,
                              "    const uint64_t vl_deadline = vlr_wait_deadline(vl_timeout);",
                              "    do {",
                              "        args->%s = vlr_wait_slice(vl_deadline);" % timeout,
                              "        " + call,
                              "    } while (args->ret == VK_TIMEOUT && !vlr_exec_wait_over(x, vl_deadline));",
                              "    args->%s = vl_timeout;" % timeout]
                else:
                    lines += ["    const VkQueryResultFlags vl_flags = args->flags;",
                              "    args->flags &= ~(VkQueryResultFlags)%s;" % flag,
                              "    for (;;) {",
                              "        " + call,
                              "        if (args->ret != VK_NOT_READY || vlr_exec_wait_over(x, UINT64_MAX))",
                              "            break;",
                              "        vlr_wait_nap();",
                              "    }",
                              "    args->flags = vl_flags;"]
                lines += ["    vlr_exec_lock(x);", "    return;", "}"]
            lines += ["vlr_exec_unlock(x);", call, "vlr_exec_lock(x);"]
        else:
            lines += [call]
        return lines

    # Work in flight (renderer/vlr_inflight.c): commands that may destroy,
    # free or re-record what pending work uses, and commands that submit
    # work or prove it complete.
    QUEUE_SEMAPHORES = ("vkQueueSubmit", "vkQueueSubmit2", "vkQueueBindSparse", "vkQueuePresentKHR")

    def inflight_before(self, c):
        n = self.reg.canonical_command(c.name)
        if n in self.QUEUE_SEMAPHORES:
            return True
        if self.level(c) != "device" or self.owner_type(c) == "VkQueue":
            return False
        if n in ("vkDestroyDevice", "vkResetFences", "vkResetEvent"):
            return False
        return n.startswith(("vkDestroy", "vkFree", "vkReset", "vkCmd")) or \
            n in ("vkBeginCommandBuffer", "vkEndCommandBuffer")

    def inflight_after(self, c):
        return self.reg.canonical_command(c.name) in (
            "vkQueueSubmit", "vkQueueSubmit2", "vkQueueBindSparse", "vkCmdExecuteCommands",
            "vkWaitForFences", "vkGetFenceStatus", "vkCreateSemaphore", "vkSignalSemaphore",
            "vkQueuePresentKHR",
            "vkAcquireNextImageKHR", "vkAcquireNextImage2KHR")

    def dispatch_fn(self, c):
        n = c.name
        k = self.kind(c)
        lines = ["static void", "dispatch_%s(struct vlr_exec *x, uint32_t flags)" % n, "{"]
        if k == "fatal":
            return lines + ["    (void)flags;",
                            "    vlr_exec_fail(x, \"%s is guest-side only and never valid on the wire\");" % n,
                            "}", ""]
        # The arguments live in the frame (no arena work per command); what
        # they point to is decoded into the executor's arena.
        body = ["struct vl_args_%s args_storage = {0};" % n,
                "struct vl_args_%s *args = &args_storage;" % n,
                "vl_decode_%s_args(&x->dec, args);" % n]
        if self.destroyed(c) and k != "handler":
            body += ["x->destroyed = x->dec.last_object;"]
        body += ["if (x->dec.error) {", "    vlr_exec_decode_failed(x);", "    return;", "}"]
        if self.inflight_before(c):
            body += ["if (!vlr_inflight_before(x, VL_CMD_%s, args->owner, args))" % n, "    return;"]
        hooks = c.special.get("hooks", set())
        if "check" in hooks:
            body += ["if (!vlr_check_%s(x, args))" % n, "    return;"]
        if "forget" in hooks:
            body += ["vlr_forget_%s(x, args);" % n]
        if k == "handler":
            body += ["vlr_handle_%s(x, args);" % n]
        else:
            body += ["{"] + indent(self.executor(c)) + ["}"]
        if "record" in hooks:
            ok = "args->ret == VK_SUCCESS" if c.ret == "VkResult" else "true"
            body += ["if (%s)" % ok, "    vlr_record_%s(x, args);" % n]
        if self.inflight_after(c):
            body += ["vlr_inflight_after(x, VL_CMD_%s, args->owner, args);" % n]
        body += ["if (flags & VK_COMMAND_GENERATE_REPLY_BIT_EXT) {",
                 "    struct vl_encoder *enc = vlr_exec_reply(x, vl_sizeof_%s_reply_args(args));" % n,
                 "    if (enc)",
                 "        vl_encode_%s_reply_args(enc, args);" % n,
                 "}"]
        return lines + indent(body) + ["}", ""]

    # ------------------------------------------------------------------

    def format_functions(self):
        """Texel block sizes and planes of every format vk.xml describes."""
        fmts = sorted(self.reg.formats.items())
        s = ["bool", "vlr_format_block(VkFormat format, uint32_t *size, uint32_t *width, uint32_t *height,",
             "                 uint32_t *depth)", "{", "    uint32_t b[4];", "    switch (format) {"]
        by = {}
        for n, f in fmts:
            by.setdefault((f["block_size"],) + f["block_extent"], []).append(n)
        for key, names in sorted(by.items()):
            s += ["    case %s:" % n for n in names]
            s += ["        b[0] = %d, b[1] = %d, b[2] = %d, b[3] = %d;" % key, "        break;"]
        s += ["    default:", "        return false;", "    }",
              "    *size = b[0], *width = b[1], *height = b[2], *depth = b[3];", "    return true;", "}", "",
              "VkFormat", "vlr_format_plane(VkFormat format, uint32_t plane, uint32_t *width_divisor,",
              "                 uint32_t *height_divisor)", "{", "    switch (format) {"]
        for n, f in fmts:
            if not f["planes"]:
                continue
            s += ["    case %s:" % n, "        switch (plane) {"]
            for idx, wd, hd, compat in f["planes"]:
                s += ["        case %d:" % idx,
                      "            *width_divisor = %d, *height_divisor = %d;" % (wd, hd),
                      "            return %s;" % compat]
            s += ["        default:", "            return VK_FORMAT_UNDEFINED;", "        }"]
        s += ["    default:", "        return VK_FORMAT_UNDEFINED;", "    }", "}", ""]
        return s

    def destroy_table(self):
        """Host destruction of a leftover object, by type (vkDestroyDevice)."""
        cases = []
        for c in self.host_commands():
            d = self.destroyed(c)
            if not d or self.level(c) != "device" or c.name == "vkDestroyDevice":
                continue
            p, sh = d
            cases.append((sh.objtype, self.fn_name(c), sh.ctype))
        if "vkFreeMemory" in self.p.commands:
            cases.append(("VK_OBJECT_TYPE_DEVICE_MEMORY", "FreeMemory", "VkDeviceMemory"))
        lines = ["bool", "vlr_host_destroy_object(const struct vlr_host_device_table *vk, VkDevice device,",
                 "                       struct vl_object *obj)", "{", "    switch (obj->type) {"]
        seen = set()
        for objtype, fn, ctype in cases:
            if objtype in seen:
                continue
            seen.add(objtype)
            lines += ["    case %s:" % objtype,
                      "        if (vk->%s)" % fn,
                      "            vk->%s(device, (%s)(uintptr_t)obj->host, NULL);" % (fn, ctype),
                      "        return true;"]
        lines += ["    default:", "        return false;", "    }", "}", ""]
        return lines

    def generate(self, outdir):
        cmds = self.host_commands()
        inst = [c for c in cmds if self.level(c) == "instance"]
        dev = [c for c in cmds if self.level(c) == "device"]
        h = [HEADER, "#ifndef VL_RENDERER_GEN_H", "#define VL_RENDERER_GEN_H", "",
             '#include "vl_protocol_host.h"', "", "struct vlr_exec;", ""]
        h += ["/* Host entry points below the instance (instance and physical-device level). */",
              "struct vlr_host_instance_table {"]
        for c in inst:
            h.append("    %s %s;" % (self.pfn(c), self.fn_name(c)))
        h += ["};", "", "/* Host entry points of one device (device, queue, command buffer level). */",
              "struct vlr_host_device_table {"]
        for c in dev:
            h.append("    %s %s;" % (self.pfn(c), self.fn_name(c)))
        h += ["};", "",
              "void vlr_host_instance_table_load(struct vlr_host_instance_table *t, PFN_vkGetInstanceProcAddr gipa,",
              "                                 VkInstance instance);",
              "void vlr_host_device_table_load(struct vlr_host_device_table *t, PFN_vkGetDeviceProcAddr gdpa,",
              "                               VkDevice device);",
              "/* Destroys a leftover device child on the host; false for types it does not know. */",
              "bool vlr_host_destroy_object(const struct vlr_host_device_table *vk, VkDevice device,",
              "                            struct vl_object *obj);",
              "/* Decodes and executes the command with this id (header already read). */",
              "void vlr_dispatch_command(struct vlr_exec *x, int32_t id, uint32_t flags);",
              "", "/* Hand-written executors (renderer/), one per \"handler\" command. */"]
        for c in self.f.commands:
            if self.kind(c) == "handler":
                h.append("void vlr_handle_%s(struct vlr_exec *x, struct vl_args_%s *args);" % (c.name, c.name))
        h += ["", "/* Hooks around the host call (renderer/check/; the \"hooks\" column of",
              " * special_commands.tsv).  check: before it; false when the context's policy",
              " * refused the command (then it does not run).  forget: before a destroy.",
              " * record: after a successful host call. */"]
        for c in self.f.commands:
            for hook, ret in (("check", "bool"), ("forget", "void"), ("record", "void")):
                if hook in c.special.get("hooks", set()):
                    h.append("%s vlr_%s_%s(struct vlr_exec *x, const struct vl_args_%s *args);" %
                             (ret, hook, c.name, c.name))
        h += ["", "/* Texel blocks of a format (vk.xml <formats>): bytes per block and the",
              " * block's extent; false for a format the registry does not describe. */",
              "bool vlr_format_block(VkFormat format, uint32_t *size, uint32_t *width, uint32_t *height,",
              "                      uint32_t *depth);",
              "/* Plane `plane` of a multi-planar format: the format a copy of that plane",
              " * uses and the divisors of its extent; VK_FORMAT_UNDEFINED if there is no",
              " * such plane. */",
              "VkFormat vlr_format_plane(VkFormat format, uint32_t plane, uint32_t *width_divisor,",
              "                          uint32_t *height_divisor);", ""]
        h += ["", "#endif", ""]
        with open(os.path.join(outdir, "vlr_gen.h"), "w") as fh:
            fh.write("\n".join(h) + "\n")

        s = [HEADER, '#include "vlr_gen.h"', '#include "vlr_exec.h"', '#include "vlr_inflight.h"', "",
             "#include <stddef.h>", ""]
        for name, lst, gpa, obj in (("instance", inst, "gipa", "instance"), ("device", dev, "gdpa", "device")):
            ptype = "PFN_vkGetInstanceProcAddr" if name == "instance" else "PFN_vkGetDeviceProcAddr"
            otype = "VkInstance" if name == "instance" else "VkDevice"
            s += ["void",
                  "vlr_host_%s_table_load(struct vlr_host_%s_table *t, %s %s, %s %s)" %
                  (name, name, ptype, gpa, otype, obj), "{"]
            for c in lst:
                names = [self.reg.canonical_command(c.name)] + \
                    [a for a in self.reg.commands[self.reg.canonical_command(c.name)].aliases]
                s.append("    t->%s = (%s)%s(%s, \"%s\");" % (self.fn_name(c), self.pfn(c), gpa, obj, names[0]))
                for a in names[1:]:
                    s.append("    if (!t->%s)" % self.fn_name(c))
                    s.append("        t->%s = (%s)%s(%s, \"%s\");" % (self.fn_name(c), self.pfn(c), gpa, obj, a))
            s += ["}", ""]
        s += self.destroy_table()
        for c in self.f.commands:
            s += self.dispatch_fn(c)
        # Two tables indexed by id (Venus ids are dense from 0, private ones
        # from VL_PRIVATE_COMMAND_BASE): one load and an indirect call per
        # command.  An id outside its table fails to compile.
        fmt = {"0": "VL_WIRE_FORMAT_0", "1": "VL_WIRE_FORMAT_1", "private": "VL_WIRE_PRIVATE"}

        def entry(c):
            return "{ dispatch_%s, %s }" % (c.name, " | ".join(fmt[f] for f in sorted(c.formats)))

        s += ["typedef void (*vlr_dispatch_fn)(struct vlr_exec *x, uint32_t flags);", "",
              "/* A command's executor and the wire formats that may send it. */",
              "struct vlr_dispatch_entry {",
              "    vlr_dispatch_fn fn;",
              "    uint8_t formats;",
              "};", "",
              "static const struct vlr_dispatch_entry venus_dispatch[VL_VENUS_COMMAND_COUNT] = {"]
        private = []
        for c in self.f.commands:
            if c.id >= PRIVATE_BASE:
                private.append(c)
            else:
                s.append("    [VL_CMD_%s] = %s," % (c.name, entry(c)))
        s += ["};", "",
              "static const struct vlr_dispatch_entry private_dispatch[VL_PRIVATE_COMMAND_COUNT] = {"]
        for c in private:
            s.append("    [VL_CMD_%s - VL_PRIVATE_COMMAND_BASE] = %s," % (c.name, entry(c)))
        s += ["};", "",
              "/* Why an id has no executor here, for the context's one message. */",
              "static void",
              "unknown_command(struct vlr_exec *x, int32_t id, const struct vlr_dispatch_entry *e)",
              "{",
              "    if (e && e->fn) {",
              "        vlr_exec_failf(x, \"command type %d is not part of the context's wire format\", id);",
              "        return;",
              "    }",
              "    for (const struct vl_absent_command *a = vl_absent_commands; a->name; a++) {",
              "        if (a->id == id) {",
              "            vlr_exec_failf(x, \"command type %d (%s) is not in this build's protocol: its \"",
              "                              \"vk.xml (Vulkan-Headers 1.3.%d) does not define it\", id, a->name,",
              "                           VK_API_VERSION_PATCH(VL_PROTOCOL_VK_XML_VERSION));",
              "            return;",
              "        }",
              "    }",
              "    vlr_exec_failf(x, \"unknown command type %d\", id);",
              "}", "",
              "void", "vlr_dispatch_command(struct vlr_exec *x, int32_t id, uint32_t flags)", "{",
              "    const struct vlr_dispatch_entry *e = NULL;",
              "    if ((uint32_t)id < VL_VENUS_COMMAND_COUNT)",
              "        e = &venus_dispatch[id];",
              "    else if ((uint32_t)id - VL_PRIVATE_COMMAND_BASE < VL_PRIVATE_COMMAND_COUNT)",
              "        e = &private_dispatch[(uint32_t)id - VL_PRIVATE_COMMAND_BASE];",
              "    if (e && e->fn && (e->formats & x->wire_formats))",
              "        e->fn(x, flags);",
              "    else",
              "        unknown_command(x, id, e);",
              "}", ""]
        s += self.format_functions()
        with open(os.path.join(outdir, "vlr_gen.c"), "w") as fh:
            fh.write("\n".join(s) + "\n")


def generate(proto, files, outdir):
    RendererEmitter(proto, files).generate(outdir)
