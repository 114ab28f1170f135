"""Reads the Vulkan registry (vk.xml) into a small model.

Only what the wire format needs is kept: structs and unions with their members,
commands with their parameters, handles, enums and bitmasks (for their sizes),
struct-extension lists, sType values, and which feature or extension provides
each command and type.  Aliases are resolved to the canonical name.
"""

import re
import xml.etree.ElementTree as ET


class Member:
    """A struct member or a command parameter, as declared in vk.xml."""

    def __init__(self, elem, is_param):
        self.is_param = is_param
        self.name = elem.find("name").text
        self.type = elem.find("type").text
        # Split the declaration into what precedes the name ("const T*") and
        # what follows it ("[N]"), ignoring <comment> children.
        before, after, seen_name = [elem.text or ""], [], False
        for child in elem:
            if child.tag == "comment":
                (after if seen_name else before).append(child.tail or "")
                continue
            if child.tag == "name":
                seen_name = True
                after.append(child.tail or "")
                continue
            text = (child.text or "") + (child.tail or "")
            (after if seen_name else before).append(text)
        decl, after = "".join(before), "".join(after)
        self.decl = " ".join(decl.split())  # the C type, e.g. "const char* const*"
        self.decl_after = " ".join(after.split())
        self.ptr = decl.count("*")
        # "const T*" makes the pointee const; "const char* const*" too.
        self.const = decl.strip().startswith("const")
        self.struct_kw = decl.strip().startswith("struct ")
        self.fixed = None  # fixed array size: int or enum name
        self.fixed2 = after.count("[") > 1
        m = re.search(r"\[([^\]]+)\]", after)
        if m:
            enum = elem.find("enum")
            self.fixed = enum.text if enum is not None else int(m.group(1))
        self.bitfield = ":" in after
        self.len = elem.get("len")
        # the byte distance between array elements, when not their size
        # (vkCmdDrawMultiEXT's pVertexInfo: stride="stride")
        self.stride = elem.get("stride")
        self.altlen = elem.get("altlen")
        opt = elem.get("optional")
        self.optional = [o == "true" for o in opt.split(",")] if opt else []
        self.noautovalidity = elem.get("noautovalidity") == "true"
        self.values = elem.get("values")
        self.selector = elem.get("selector")
        self.api = elem.get("api")

    @property
    def len_list(self):
        return self.len.split(",") if self.len else []

    def is_optional_ptr(self):
        return bool(self.optional and self.optional[0])

    def __repr__(self):
        return "Member(%s %s%s)" % (self.type, "*" * self.ptr, self.name)


class Struct:
    def __init__(self, elem):
        self.name = elem.get("name")
        self.union = elem.get("category") == "union"
        self.returnedonly = elem.get("returnedonly") == "true"
        ext = elem.get("structextends")
        self.structextends = ext.split(",") if ext else []
        self.allowduplicate = elem.get("allowduplicate") == "true"
        self.members = [Member(m, False) for m in elem.findall("member")
                        if m.get("api") in (None, "vulkan")]
        self.stype = None
        for m in self.members:
            if m.name == "sType" and m.values:
                self.stype = m.values
        self.extended_by = []  # filled in by Registry
        self.provider = None   # feature or extension name

    def has_chain(self):
        return bool(self.members) and self.members[0].name == "sType" and \
            len(self.members) > 1 and self.members[1].name == "pNext"

    def __repr__(self):
        return "Struct(%s)" % self.name


class Command:
    def __init__(self, elem):
        proto = elem.find("proto")
        self.name = proto.find("name").text
        self.ret = proto.find("type").text
        self.params = [Member(p, True) for p in elem.findall("param")
                       if p.get("api") in (None, "vulkan")]
        self.errorcodes = [e for e in (elem.get("errorcodes") or "").split(",") if e]
        self.provider = None
        self.aliases = []
        self.own = False  # defined by our XML (venus_mesa.xml, loopback.xml), not vk.xml

    def __repr__(self):
        return "Command(%s)" % self.name


class Registry:
    def __init__(self, paths):
        self.structs = {}
        self.commands = {}
        self.handles = {}        # name -> (dispatchable, parent list, objtypeenum)
        self.enums = set()       # enum type names
        self.bitmasks = {}       # name -> width in bits (32 or 64)
        self.basetypes = {}      # name -> underlying type
        self.funcpointers = set()
        self.platform_types = {} # name -> requires header
        self.constants = {}      # API constants (VK_UUID_SIZE ...)
        self.type_alias = {}
        self.cmd_alias = {}
        self.enum_values = {}    # enumerant name -> int (for VkStructureType)
        self.enum_members = {}   # enum type -> {int value: first enumerant name} (dumps)
        self.bitmask_bits = {}   # bitmask type -> its FlagBits enum type
        self.features = {}       # feature name -> (major, minor)
        self.extensions = {}     # ext name -> dict(number, type, provides...)
        self._provides = {}      # command name -> first feature/extension
        self._type_provides = {} # type name -> first feature/extension
        self.type_requires = {}  # type name -> [[feature/extension, ...], ...]
        self.command_requires = {}
        self.formats = {}        # VkFormat enumerant -> block size, extent, planes (<formats>)
        self.header_version = getattr(self, "header_version", 0)
        for i, path in enumerate(paths):
            self._load(ET.parse(path).getroot(), own=i > 0)
        self._resolve()

    # -- loading ---------------------------------------------------------

    def _load(self, root, own):
        for t in root.iter("type"):
            self._load_type(t)
        for cmds in root.findall("commands"):
            for c in cmds.findall("command"):
                if c.get("api") not in (None, "vulkan"):
                    continue
                if c.get("alias"):
                    self.cmd_alias[c.get("name")] = c.get("alias")
                    continue
                cmd = Command(c)
                cmd.own = own
                self.commands[cmd.name] = cmd
        for enums in root.findall("enums"):
            for e in enums.findall("enum"):
                self._load_enum(e, None)
                if enums.get("type") in ("enum", "bitmask"):
                    self._add_enum_member(enums.get("name"), e, None)
        for t in root.iter("type"):
            if t.get("category") == "define" and t.find("name") is not None and \
                    t.find("name").text == "VK_HEADER_VERSION":
                self.header_version = int("".join(t.itertext()).split()[-1])
        for formats in root.findall("formats"):
            for f in formats.findall("format"):
                extent = tuple(int(v) for v in (f.get("blockExtent") or "1,1,1").split(","))
                self.formats[f.get("name")] = {
                    "block_size": int(f.get("blockSize")),
                    "block_extent": extent,
                    "planes": [(int(pl.get("index")), int(pl.get("widthDivisor")),
                                int(pl.get("heightDivisor")), pl.get("compatible"))
                               for pl in f.findall("plane")],
                }
        for feat in root.findall("feature"):
            if "vulkan" not in (feat.get("api") or "vulkan").split(","):
                continue
            name = feat.get("name")
            major, minor = feat.get("number").split(".")
            self.features[name] = (int(major), int(minor))
            for req in feat.findall("require"):
                self._load_require(req, name, None)
        for exts in root.findall("extensions"):
            for ext in exts.findall("extension"):
                name = ext.get("name")
                number = int(ext.get("number"))
                self.extensions[name] = {
                    "number": number,
                    "type": ext.get("type"),
                    "supported": ext.get("supported"),
                    "requires": (ext.get("requires") or "").split(",") if ext.get("requires") else [],
                    "platform": ext.get("platform"),
                    "promotedto": ext.get("promotedto"),
                    "commands": [],
                    "spec_version": 0,
                }
                for req in ext.findall("require"):
                    self._load_require(req, name, number)
        # Our own extension enumerants (venus_mesa.xml) use <enums extnumber=...>.
        for enums in root.findall("enums"):
            if enums.get("extnumber"):
                for e in enums.findall("enum"):
                    self.enum_values[e.get("name")] = int(e.get("value"))
                    self._add_enum_member(enums.get("name"), e, None)

    def _load_type(self, t):
        cat = t.get("category")
        name = t.get("name") or (t.find("name").text if t.find("name") is not None else None)
        if t.get("api") not in (None, "vulkan"):
            return
        if t.get("alias"):
            self.type_alias[name] = t.get("alias")
            return
        if cat in ("struct", "union"):
            self.structs[name] = Struct(t)
        elif cat == "handle":
            disp = t.find("type").text == "VK_DEFINE_HANDLE"
            parent = t.get("parent")
            self.handles[name] = {"dispatchable": disp,
                                  "parent": parent.split(",") if parent else [],
                                  "objtypeenum": t.get("objtypeenum")}
        elif cat == "enum":
            self.enums.add(name)
        elif cat == "bitmask":
            ty = t.find("type")
            width = 64 if ty is not None and ty.text == "VkFlags64" else 32
            self.bitmasks[name] = width
            bits = t.get("requires") or t.get("bitvalues")
            if bits:
                self.bitmask_bits[name] = bits
        elif cat == "basetype":
            ty = t.find("type")
            self.basetypes[name] = ty.text if ty is not None else None
        elif cat == "funcpointer":
            self.funcpointers.add(name)
        elif cat is None and t.get("requires") and name:
            self.platform_types[name] = t.get("requires")

    def _load_enum(self, e, extnumber):
        name = e.get("name")
        if e.get("value") is not None:
            v = e.get("value")
            try:
                self.constants[name] = int(v, 0)
            except ValueError:
                self.constants[name] = v
        if e.get("value") is not None and name and name.startswith("VK_STRUCTURE_TYPE_"):
            self.enum_values[name] = int(e.get("value"), 0)

    def _add_enum_member(self, enum, e, extnumber):
        """Records one enumerant's value; aliases and later names of a value
        are skipped (a value keeps its first name)."""
        if e.get("alias") or not e.get("name"):
            return
        if e.get("bitpos") is not None:
            val = 1 << int(e.get("bitpos"))
        elif e.get("offset") is not None:
            num = int(e.get("extnumber") or extnumber or 0)
            val = 1000000000 + (num - 1) * 1000 + int(e.get("offset"))
            if e.get("dir") == "-":
                val = -val
        elif e.get("value") is not None:
            try:
                val = int(e.get("value"), 0)
            except ValueError:
                return
        else:
            return
        self.enum_members.setdefault(enum, {}).setdefault(val, e.get("name"))

    def _load_require(self, req, provider, extnumber):
        # A require block may be conditional on another feature or extension;
        # what it lists is then available only when both are.
        needs = [provider] + [x for x in (req.get("feature"), req.get("extension")) if x]
        for c in req.findall("command"):
            name = c.get("name")
            self._provides.setdefault(name, provider)
            self.command_requires.setdefault(name, []).append(needs)
            if extnumber is not None:
                self.extensions[provider]["commands"].append(name)
        for t in req.findall("type"):
            self._type_provides.setdefault(t.get("name"), provider)
            self.type_requires.setdefault(t.get("name"), []).append(needs)
        for e in req.findall("enum"):
            name = e.get("name")
            if e.get("extends"):
                self._add_enum_member(e.get("extends"), e, extnumber)
            if extnumber is not None and name and name.endswith("_SPEC_VERSION") and \
                    e.get("value") is not None and e.get("value").isdigit():
                self.extensions[provider]["spec_version"] = int(e.get("value"))
            if e.get("alias"):
                continue
            if e.get("extends") == "VkStructureType" or (name and name.startswith("VK_STRUCTURE_TYPE_")):
                if e.get("offset") is not None:
                    num = int(e.get("extnumber") or extnumber)
                    val = 1000000000 + (num - 1) * 1000 + int(e.get("offset"))
                    if e.get("dir") == "-":
                        val = -val
                    self.enum_values[name] = val
                elif e.get("value") is not None:
                    self.enum_values[name] = int(e.get("value"), 0)

    def _resolve(self):
        provides = self._provides
        tprovides = self._type_provides
        for name, cmd in self.commands.items():
            cmd.provider = provides.get(name)
        for alias, target in self.cmd_alias.items():
            while target in self.cmd_alias:
                target = self.cmd_alias[target]
            if target in self.commands:
                self.commands[target].aliases.append(alias)
        for name, s in self.structs.items():
            s.provider = tprovides.get(name)
            s.requires = list(self.type_requires.get(name, []))
            for parent in s.structextends:
                parent = self.canonical_type(parent)
                if parent in self.structs:
                    self.structs[parent].extended_by.append(name)
        # Aliased structs may be required under their alias name only.
        for alias, target in self.type_alias.items():
            target = self.canonical_type(target)
            if target in self.structs:
                if self.structs[target].provider is None:
                    self.structs[target].provider = tprovides.get(alias)
                self.structs[target].requires += self.type_requires.get(alias, [])

    # -- queries -----------------------------------------------------------

    def canonical_type(self, name):
        while name in self.type_alias:
            name = self.type_alias[name]
        return name

    def canonical_command(self, name):
        while name in self.cmd_alias:
            name = self.cmd_alias[name]
        return name

    def stype_value(self, enum_name):
        return self.enum_values[enum_name]

    def constant(self, name):
        v = self.constants[name]
        if isinstance(v, str):
            # e.g. "(~0U)" style values are never array sizes
            raise KeyError(name)
        return v
