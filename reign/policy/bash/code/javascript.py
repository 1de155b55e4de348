"""JavaScript (node -e/-p): require()d modules, child_process spawns, fs deletions and writes, process.env."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reign.policy.bash.code.base import Language, node_source

if TYPE_CHECKING:
    from tree_sitter import Node


class JavaScript(Language):
    string_types = frozenset({"string", "template_string"})
    safe_modules = frozenset({"child_process", "fs", "fs/promises", "path", "os", "util", "crypto", "url",
                              "querystring", "events", "stream", "buffer", "assert", "zlib", "readline",
                              "http", "https", "net", "tls", "dgram", "dns", "http2", "string_decoder",
                              "timers", "perf_hooks", "process", "console"})
    shell = frozenset({"child_process.exec", "child_process.execSync"})
    argv = frozenset({"child_process.spawn", "child_process.spawnSync", "child_process.execFile",
                      "child_process.execFileSync", "child_process.fork"})
    deletes = frozenset({f"fs.{n}" for n in ("rm", "rmSync", "rmdir", "rmdirSync", "unlink", "unlinkSync")} |
                        {f"fs.promises.{n}" for n in ("rm", "rmdir", "unlink")} |
                        {f"fs/promises.{n}" for n in ("rm", "rmdir", "unlink")})
    writes = frozenset({f"fs.{n}" for n in (
        "writeFile", "writeFileSync", "appendFile", "appendFileSync", "mkdir", "mkdirSync", "copyFile",
        "copyFileSync", "cp", "cpSync", "rename", "renameSync", "chmod", "chmodSync", "chown", "chownSync",
        "symlink", "symlinkSync", "link", "linkSync", "truncate", "truncateSync", "createWriteStream", "open",
        "openSync", "utimes", "utimesSync")} | {"process.kill"})
    reads = frozenset({"fs.readFileSync", "fs.readFile", "fs.createReadStream"})
    guarded = ("fs.", "child_process.", "fs/promises.", "net.", "dgram.")
    guarded_reads = frozenset({f"fs.{n}" for n in (
        "existsSync", "exists", "statSync", "stat", "lstatSync", "lstat", "readdirSync", "readdir", "realpathSync",
        "realpath", "accessSync", "access", "readlinkSync", "readlink", "readFileSync", "readFile",
        "createReadStream", "promises.readFile", "promises.readdir", "promises.stat")})
    dynamic = frozenset({"eval", "Function", "vm.runInNewContext", "vm.runInThisContext", "vm.Script",
                         "vm.runInContext", "process.binding", "process.dlopen", "import", "setTimeout",
                         "setInterval"})
    network_prefixes = ("http.", "https.", "net.", "tls.", "dgram.", "http2.", "fetch", "WebSocket",
                        "XMLHttpRequest")

    def binding(self, node: Node) -> None:
        if node.type == "variable_declarator":
            value = node.child_by_field_name("value")
            target = node.child_by_field_name("name")
            if target is not None and target.type == "identifier" and value is not None and \
                    value.type in ("identifier", "member_expression"):
                self.aliases[node_source(target)] = self.name(value)  # `const e = cp.execSync`
                return
            mod = self.required(value)
            if mod is None or target is None:
                return
            if target.type == "identifier":
                self.aliases[node_source(target)] = mod
            elif target.type == "object_pattern":
                for c in target.named_children:
                    if c.type == "shorthand_property_identifier_pattern":
                        self.aliases[node_source(c)] = f"{mod}.{node_source(c)}"
                    elif c.type == "pair_pattern":
                        key, val = c.child_by_field_name("key"), c.child_by_field_name("value")
                        self.aliases[node_source(val)] = f"{mod}.{node_source(key)}"

    def required(self, node: Node | None) -> str | None:
        """`require("fs")` -> "fs" (node: prefix dropped); a computed require is dynamic code."""
        if node is None or node.type != "call_expression" or \
                node_source(node.child_by_field_name("function")) != "require":
            return None
        args = node.child_by_field_name("arguments")
        first = args.named_children[0] if args is not None and args.named_child_count else None
        mod = self.literal(first)
        if mod is None:
            self.report.unknown.append("require of a computed module")
            return None
        mod = mod.removeprefix("node:")
        if mod not in self.safe_modules:
            self.report.unknown.append(f"uses the module {mod}")
        return mod

    def visit(self, node: Node) -> None:
        if node.type in ("call_expression", "new_expression"):
            fn = node.child_by_field_name("function") or node.child_by_field_name("constructor")
            arglist = node.child_by_field_name("arguments")
            args = [c for c in (arglist.named_children if arglist else []) if c.type != "comment"]
            name = self.name(fn)
            if name == "require":
                self.required(node)
            else:
                self.call(name, args, {}, node)
        elif node.type == "import_statement":
            source = node.child_by_field_name("source")
            mod = (self.literal(source) or "?").removeprefix("node:")
            if mod not in self.safe_modules:
                self.report.unknown.append(f"imports the module {mod}")
        elif node.type in ("member_expression", "identifier") and (
                node.parent is None or node.parent.type != "member_expression" or
                node.parent.child_by_field_name("object") == node):
            self.as_value(node, self.name(node))
            if node.type == "member_expression" and node_source(node) == "process.env":
                parent = node.parent
                if parent is None or parent.type not in ("member_expression", "subscript_expression"):
                    self.report.env_dump = True
        elif node.type == "member_expression" and node_source(node) == "process.env":
            parent = node.parent
            if parent is None or parent.type not in ("member_expression", "subscript_expression"):
                self.report.env_dump = True

    def name(self, fn: Node | None) -> str:
        if fn is None:
            return "?"
        if fn.type == "identifier":
            return self.module_of(node_source(fn))
        if fn.type == "member_expression":
            obj = fn.child_by_field_name("object")
            prop = node_source(fn.child_by_field_name("property"))
            mod = self.required(obj)
            if mod is not None:
                return f"{mod}.{prop}"
            if obj is not None and obj.type in ("identifier", "member_expression"):
                return f"{self.name(obj)}.{prop}"
            return f"<expr>.{prop}"
        if fn.type == "parenthesized_expression" and fn.named_child_count == 1:
            return self.name(fn.named_children[0])
        if fn.type == "import":
            return "import"
        return "<expr>"
