"""The protocol: which commands and structs travel on the wire, and how.

Built from the registry plus the project's data files:
  venus_commands.tsv   Venus command ids (wire format 0)
  private_commands.tsv loopback-private command ids
  extensions.tsv       the extensions whose commands and structs are carried
  special_commands.tsv commands whose semantics are not the generated default

Every struct reachable from a carried command is classified here, with the
mode(s) it travels in: "in" (encoded in full by the guest, decoded into
temporary storage by the renderer) and/or "out" (sent in partial form by the
guest, filled by the host, returned in full in the reply).
"""

import re

PRIVATE_BASE = 0x564C0000
CORE_FEATURES = ("VK_VERSION_1_0", "VK_VERSION_1_1", "VK_VERSION_1_2", "VK_VERSION_1_3")
MAX_CHAIN = 128  # longest pNext chain either side accepts

# extensions.tsv origin -> the wire formats that carry the extension
ORIGIN_FORMATS = {"venus": {"0", "1"}, "venus1": {"1"}, "loopback": {"private"}}

# Types whose value is a pointer or id of the application's window system.
# They cross only the in-process transport, where the host side shares the
# address space; they travel as a u64.
PLATFORM_PTR_TYPES = {"Display", "xcb_connection_t", "wl_display", "wl_surface"}
PLATFORM_SCALAR_TYPES = {
    "Window": ("u64", "Window"),
    "VisualID": ("u64", "VisualID"),
    "xcb_window_t": ("u32", "xcb_window_t"),
    "xcb_visualid_t": ("u32", "xcb_visualid_t"),
}

SCALARS = {
    # C type: wire primitive (vl_enc_<prim>/vl_dec_<prim>) and wire size
    "uint8_t": ("u8", 4), "int8_t": ("u8", 4),
    "uint16_t": ("u16", 4), "int16_t": ("u16", 4),
    "uint32_t": ("u32", 4), "int32_t": ("u32", 4),
    "uint64_t": ("u64", 8), "int64_t": ("u64", 8),
    "float": ("f32", 4), "double": ("f64", 8),
    "size_t": ("size", 8),
    "int": ("u32", 4),
    "VkBool32": ("u32", 4), "VkFlags": ("u32", 4), "VkFlags64": ("u64", 8),
    "VkSampleMask": ("u32", 4), "VkDeviceSize": ("u64", 8),
    "VkDeviceAddress": ("u64", 8),
}


class GenError(Exception):
    pass


# ProtoCommand.stream_local: the object-lifetime commands, less those whose
# objects the world outside the stream sees (windows, devices, instances,
# debug callbacks).
STREAM_LOCAL = re.compile(r"^vk(Create|Destroy|Allocate|Free)[A-Z]|"
                          r"^vkUpdateDescriptorSet(s|WithTemplate)|^vkBind(Buffer|Image)Memory")
STREAM_GLOBAL = re.compile(r"Swapchain|Surface|Display|Debug(Utils|Report)|(Device|Instance)$")


def read_tsv(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            rows.append(line.split("\t"))
    return rows


class Shape:
    """How one value (member, parameter or array element) is laid out."""

    def __init__(self, kind, **kw):
        self.kind = kind
        self.__dict__.update(kw)

    def __repr__(self):
        return "Shape(%s %s)" % (self.kind, {k: v for k, v in self.__dict__.items() if k != "kind"})


class ProtoCommand:
    def __init__(self, cmd, cid, names, origin):
        self.cmd = cmd
        self.name = cmd.name
        self.id = cid
        self.names = names          # every enumerator name of this id
        self.origin = origin        # "venus" or "loopback"
        self.params = cmd.params
        self.ret = cmd.ret
        self.special = {}
        # Venus's MESA commands and the loopback's own: no host driver has them
        self.own = cmd.own
        self.errorcodes = cmd.errorcodes

    @property
    def stream_local(self):
        """Whether the command only makes, destroys, binds or fills objects
        of the stream: nothing outside the stream (the device, the window
        system, another process) sees its effect before a later command uses
        those objects, so a transport may hold it back until a command that
        is not, a call or a wait (the in-process ring publishes bursts of
        these in batches).  Everything else (host event and semaphore
        signals, WSI objects, devices and instances) goes out at once."""
        n = self.name
        if not STREAM_LOCAL.match(n) or STREAM_GLOBAL.search(n):
            return False
        return self.origin == "venus"


class ProtoStruct:
    def __init__(self, s):
        self.s = s
        self.name = s.name
        self.modes = set()
        self.chain = []             # allowed pNext structs (ProtoStruct names)
        self.members = s.members


class Protocol:
    def __init__(self, reg, datadir):
        self.reg = reg
        self.datadir = datadir
        self._load_extensions()
        self._load_commands()
        self._load_special()
        self.structs = {}
        self._collect_structs()

    # -- data files ---------------------------------------------------------

    def _load_extensions(self):
        self.extensions = {}
        self.absent_extensions = []  # in the table, not in this vk.xml
        for row in read_tsv(self.datadir + "/extensions.tsv"):
            name, number, origin = row[:3]
            offer = row[3] if len(row) > 3 else "-"
            if origin not in ORIGIN_FORMATS:
                raise GenError("extensions.tsv: %s: unknown origin %s" % (name, origin))
            if offer not in ("-", "inproc", "guest"):
                raise GenError("extensions.tsv: %s: unknown offer %s" % (name, offer))
            # The two Venus extensions are ours to define; everything else must
            # exist in vk.xml, or is left out of this build.
            if name not in ("VK_EXT_command_serialization", "VK_MESA_venus_protocol"):
                if name not in self.reg.extensions:
                    self.absent_extensions.append(name)
                    continue
                if self.reg.extensions[name]["number"] != int(number):
                    raise GenError("extensions.tsv: %s has number %d in vk.xml" %
                                   (name, self.reg.extensions[name]["number"]))
            self.extensions[name] = {"number": int(number), "origin": origin,
                                     "formats": ORIGIN_FORMATS[origin], "offer": offer}

    def provider_origin(self, provider):
        """None if the provider is outside the protocol, else venus/loopback."""
        if provider is None:
            return "venus"  # our own MESA definitions
        if provider in CORE_FEATURES:
            return "venus"
        ext = self.extensions.get(provider)
        if not ext:
            return None
        return "loopback" if ext["origin"] == "loopback" else "venus"

    def _load_commands(self):
        self.commands = {}
        self.absent_commands = []  # (id, name): in the table, not in this vk.xml
        by_id = {}
        formats = {}
        for cid, name, fmt in read_tsv(self.datadir + "/venus_commands.tsv"):
            cid = int(cid)
            by_id.setdefault(cid, []).append(name)
            f = set(fmt.split(","))
            if not f or f - {"0", "1"} or formats.get(cid, f) != f:
                raise GenError("venus_commands.tsv: id %d: wire formats %s" % (cid, fmt))
            formats[cid] = f
        for row in read_tsv(self.datadir + "/private_commands.tsv"):
            offset, name = row[0], row[1]
            cid = PRIVATE_BASE + int(offset)
            if cid in by_id:
                raise GenError("private id %d used twice" % cid)
            if len(row) > 2:
                if row[2] != "retired":
                    raise GenError("private_commands.tsv: %s: unknown mark %s" % (name, row[2]))
                continue  # its offset stays reserved
            by_id[cid] = [name]
            formats[cid] = {"private"}
        for cid, names in sorted(by_id.items()):
            canon = self.reg.canonical_command(names[0])
            if canon not in self.reg.commands:
                if cid < PRIVATE_BASE:
                    self.absent_commands.append((cid, names[0]))
                    continue
                raise GenError("command %s (id %d) is not defined" % (names[0], cid))
            for n in names[1:]:
                if self.reg.canonical_command(n) != canon:
                    raise GenError("id %d: %s is not an alias of %s" % (cid, n, names[0]))
            cmd = self.reg.commands[canon]
            origin = "loopback" if cid >= PRIVATE_BASE else "venus"
            pc = ProtoCommand(cmd, cid, names, origin)
            pc.name = names[0]  # the table's canonical spelling
            pc.formats = formats[cid]
            if pc.name in self.commands:
                raise GenError("%s has two ids" % pc.name)
            self.commands[pc.name] = pc
        self.by_id = {c.id: c for c in self.commands.values()}

    def guest_only_extras(self):
        """Guest-only commands listed in special_commands.tsv without an id."""
        return [self.reg.commands[self.reg.canonical_command(n)]
                for n, sp in sorted(self.special.items())
                if n not in self.commands and sp["guest"] == "only"]

    def _load_special(self):
        """special_commands.tsv: name guest renderer sync hooks why."""
        self.special = {}
        for row in read_tsv(self.datadir + "/special_commands.tsv"):
            if len(row) < 6:
                raise GenError("special_commands.tsv: %s: 6 columns expected" % row[0])
            name, guest, renderer, sync, hooks = row[:5]
            if name not in self.commands and self.reg.canonical_command(name) not in self.reg.commands:
                raise GenError("special_commands.tsv: unknown command %s" % name)
            hook_set = set() if hooks == "-" else set(hooks.split(","))
            if hook_set - {"check", "record", "forget"}:
                raise GenError("special_commands.tsv: %s: unknown hooks %s" % (name, hooks))
            if name in self.special:
                raise GenError("special_commands.tsv: %s is listed twice" % name)
            self.special[name] = {"guest": guest, "renderer": renderer, "sync": sync,
                                  "hooks": hook_set}
            if name in self.commands:
                self.commands[name].special = self.special[name]
            elif guest != "only":
                raise GenError("special_commands.tsv: %s has no id; only guest-only commands "
                               "may be listed without one" % name)

    # -- type classification ---------------------------------------------------

    def struct_formats(self, name):
        """The wire formats that carry struct name: those of the features and
        extensions that provide it (any one way of requiring it)."""
        s = self.reg.structs[name]
        if not s.requires:  # our own MESA definitions
            return {"0", "1", "private"}
        out = set()
        for needs in s.requires:
            f = {"0", "1", "private"}
            for n in needs:
                if n in CORE_FEATURES or n is None:
                    continue
                ext = self.extensions.get(n)
                f &= ext["formats"] if ext else set()
            out |= f
        return out

    def struct_available(self, name):
        s = self.reg.structs[name]
        if not s.requires:  # our own MESA definitions
            return True
        return any(all(self.provider_origin(n) is not None for n in needs)
                   for needs in s.requires)

    def shape(self, m, owner_members, out):
        """Wire shape of member/param m; owner_members resolves len names."""
        reg = self.reg
        t = reg.canonical_type(m.type)
        if m.bitfield or getattr(m, "fixed2", False):
            return Shape("unsupported", why="bitfield or 2D array")
        if m.name == "pNext" and t == "void":
            return Shape("pnext")
        strided = [om for om in owner_members if getattr(om, "stride", None) == m.name]
        if strided and t in SCALARS and m.ptr == 0:
            # The stride of an array: the guest encodes the array packed and
            # this as the element's size; the renderer hands the host that
            # size with the packed array it decoded, whatever the wire says.
            prim, size = SCALARS[t]
            elem_type = self.reg.canonical_type(strided[0].type)
            return Shape("scalar", ctype=t, prim=prim, size=size, stride_of=elem_type)
        if m.name == "sType" and t == "VkStructureType" and not m.is_param:
            return Shape("stype")
        if t == "VkAllocationCallbacks":
            return Shape("allocator")
        if t in reg.funcpointers:
            return Shape("unsupported", why="function pointer")

        if t in PLATFORM_PTR_TYPES and m.ptr == 1:
            return Shape("rawptr", ctype=("struct " if m.struct_kw else "") + t + "*")
        if t == "void" and m.ptr == 2 and not m.const:
            # void** ppData of vkMapMemory: the address is a guest matter
            return Shape("ptr", elem=Shape("rawptr", ctype="void*"), output=True,
                         optional=False)

        elem = self._elem_shape(t)
        if elem is None:
            return Shape("unsupported", why="type %s" % t)
        if getattr(elem, "enum", False) and m.noautovalidity:
            # vk.xml leaves its validity to the spec's prose: a value ignored
            # in some states (a sampler's borderColor without a border
            # address mode) may be anything there, and is no refusal
            elem.enum_ignorable = True

        if m.fixed is not None:
            n = m.fixed if isinstance(m.fixed, int) else reg.constant(m.fixed)
            nexpr = str(m.fixed)
            if m.ptr:
                return Shape("unsupported", why="array of pointers")
            return Shape("fixed", elem=elem, count=n, count_expr=nexpr)

        if m.ptr == 0:
            if elem.kind == "void":
                return Shape("unsupported", why="void value")
            if elem.kind == "handle":
                return Shape("handle", ctype=elem.ctype, objtype=elem.objtype,
                             dispatchable=elem.dispatchable,
                             optional=m.is_optional_ptr() or m.noautovalidity)
            return elem

        lens = m.len_list
        if t == "char" and m.ptr == 1:
            if lens and lens[0] == "null-terminated":
                return Shape("string", optional=m.is_optional_ptr())
            return Shape("unsupported", why="char pointer without null-termination")
        if t == "char" and m.ptr == 2:
            if len(lens) == 2 and lens[1] == "null-terminated":
                return Shape("strings", count=self._len_expr(lens[0], m, owner_members))
            return Shape("unsupported", why="char**")
        if m.ptr != 1:
            return Shape("unsupported", why="pointer depth %d" % m.ptr)

        if t == "void":
            if not lens:
                if m.name == "pHostPointer":
                    return Shape("rawptr", ctype="void*")
                return Shape("unsupported", why="void* without length")
            length = self._len_expr(m.altlen or lens[0], m, owner_members)
            opt = m.is_optional_ptr() or m.noautovalidity or self._len_is_ptr(lens[0], owner_members)
            return Shape("blob", count=length, output=not m.const,
                         optional=opt, check_zero=not opt)

        if lens and elem.kind == "handle":
            # element optionality is the second entry of optional="x,y"
            elem = Shape("handle", ctype=elem.ctype, objtype=elem.objtype,
                         dispatchable=elem.dispatchable,
                         optional=(len(m.optional) > 1 and m.optional[1]) or m.noautovalidity or
                         not m.const)
        if lens:
            length = self._len_expr(m.altlen or lens[0], m, owner_members)
            # A count that is itself a pointer parameter is an in/out count
            # (pPropertyCount): a NULL array is then a count query.
            opt = m.is_optional_ptr() or m.noautovalidity or self._len_is_ptr(lens[0], owner_members)
            stride = self._len_expr(m.stride, m, owner_members) if m.stride else None
            return Shape("array", elem=elem, count=length, output=not m.const,
                         optional=opt, check_zero=not opt, stride=stride)
        return Shape("ptr", elem=elem, output=not m.const,
                     optional=m.is_optional_ptr())

    def _elem_shape(self, t):
        reg = self.reg
        if t in SCALARS:
            prim, size = SCALARS[t]
            return Shape("scalar", ctype=t, prim=prim, size=size)
        if t in PLATFORM_SCALAR_TYPES:
            prim, ctype = PLATFORM_SCALAR_TYPES[t]
            return Shape("scalar", ctype=ctype, prim=prim, size=8 if prim == "u64" else 4)
        if t in reg.enums:
            return Shape("scalar", ctype=t, prim="u32", size=4, enum=True)
        if t in reg.bitmasks:
            w = reg.bitmasks[t]
            return Shape("scalar", ctype=t, prim="u64" if w == 64 else "u32",
                         size=8 if w == 64 else 4)
        if t in reg.basetypes and reg.basetypes[t] in SCALARS:
            prim, size = SCALARS[reg.basetypes[t]]
            return Shape("scalar", ctype=t, prim=prim, size=size)
        if t in reg.handles:
            h = reg.handles[t]
            return Shape("handle", ctype=t, objtype=h["objtypeenum"],
                         dispatchable=h["dispatchable"])
        if t in reg.structs:
            s = reg.structs[t]
            return Shape("union" if s.union else "struct", ctype=t, name=t)
        if t == "char":
            return Shape("char", ctype="char")
        if t == "void":
            return Shape("void")
        return None

    @staticmethod
    def _len_is_ptr(text, owner_members):
        for om in owner_members:
            if om.name == text:
                return bool(om.ptr)
        return False

    def _len_expr(self, text, m, owner_members):
        """Turns a vk.xml len/altlen into a C expression over "$" (the owner).

        "$" is replaced by the owner prefix by the emitter: "val->" for struct
        members, "args->" or "" for parameters.  A parameter that is itself a
        pointer (an in/out count) is dereferenced.
        """
        names = {om.name: om for om in owner_members}

        def repl(mo):
            ident = mo.group(0)
            if ident in names:
                om = names[ident]
                if om.ptr and om.is_param:
                    return "(%s ? *%s : 0)" % ("$" + ident, "$" + ident)
                return "$" + ident
            return ident

        if "->" in text:
            base, field = text.split("->", 1)
            if base not in names:
                raise GenError("len %s of %s: unknown %s" % (text, m.name, base))
            return "($%s ? $%s->%s : 0)" % (base, base, field)
        if text.startswith("latexmath"):
            raise GenError("len %s of %s has no altlen" % (text, m.name))
        expr = re.sub(r"[A-Za-z_][A-Za-z_0-9]*", repl, text)
        return expr

    # -- struct universe ------------------------------------------------------

    def _collect_structs(self):
        todo = []

        def need(name, mode, why):
            name = self.reg.canonical_type(name)
            if name not in self.reg.structs:
                return
            if not self.struct_available(name):
                raise GenError("struct %s (needed by %s) is outside the protocol" % (name, why))
            ps = self.structs.get(name)
            if ps is None:
                ps = self.structs[name] = ProtoStruct(self.reg.structs[name])
            if mode not in ps.modes:
                ps.modes.add(mode)
                todo.append((ps, mode))

        for c in self.commands.values():
            c.wire = True
            for p in c.params:
                sh = self.shape(p, c.params, False)
                if sh.kind == "unsupported":
                    if c.special.get("guest") == "only":
                        # Guest-only and not serializable (template data whose
                        # layout only the template knows): no codec at all.
                        c.wire = False
                        c.no_wire_why = "%s: %s" % (p.name, sh.why)
                        continue
                    raise GenError("%s.%s: %s" % (c.name, p.name, sh.why))
            if not c.wire:
                continue
            for p in c.params:
                sh = self.shape(p, c.params, False)
                inner = self._inner_struct(sh)
                if inner:
                    out = sh.kind in ("ptr", "array") and sh.output
                    need(inner, "out" if out else "in", c.name)

        while todo:
            ps, mode = todo.pop()
            s = ps.s
            for m in s.members:
                sh = self.shape(m, s.members, mode == "out")
                if sh.kind == "unsupported":
                    raise GenError("%s.%s: %s" % (s.name, m.name, sh.why))
                inner = self._inner_struct(sh)
                if inner:
                    need(inner, mode, s.name)
            if s.has_chain():
                chain = []
                for ext in sorted(set(s.extended_by)):
                    ext = self.reg.canonical_type(ext)
                    if not self.struct_available(ext):
                        continue
                    if not self._supported(ext):
                        continue
                    chain.append(ext)
                    need(ext, mode, s.name)
                ps.chain = sorted(set(chain))

    def _supported(self, name, seen=None):
        """False for structs the wire format cannot carry (callbacks, user data)."""
        seen = seen or set()
        if name in seen:
            return True
        seen.add(name)
        s = self.reg.structs[name]
        for m in s.members:
            sh = self.shape(m, s.members, False)
            if sh.kind == "unsupported":
                return False
            inner = self._inner_struct(sh)
            if inner and (not self.struct_available(inner) or not self._supported(inner, seen)):
                return False
        return True

    @staticmethod
    def _inner_struct(sh):
        if sh.kind in ("struct", "union"):
            return sh.name
        if sh.kind in ("ptr", "array", "fixed") and sh.elem.kind in ("struct", "union"):
            return sh.elem.name
        return None
