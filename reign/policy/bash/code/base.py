"""What the three grammars share: the report of what code does, and a walk that names every call
(`module.function`, `<call>.method`) and looks it up in each language's tables."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node

    from reign.policy.bash.segment import Effect

COMPUTED = "?"  # a path or command that is only known at run time
@dataclass
class Report:
    spawns: list[str | tuple[str, ...]] = field(default_factory=list)  # shell text, or an argv
    deletes: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)
    network: bool = False
    env_dump: bool = False
    unknown: list[str] = field(default_factory=list)  # why the code cannot be understood

    @property
    def effect(self) -> Effect:
        if self.deletes:
            return "destructive"
        if self.unknown or COMPUTED in self.writes:  # a write to a computed path could land anywhere
            return "unknown"
        if self.writes or self.network:
            return "write"
        return "read"


def node_source(node: Node | None) -> str:
    return (node.text or b"").decode("utf-8", "replace") if node is not None else ""


def all_nodes(root: Node) -> list[Node]:
    out, stack = [], [root]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(reversed(n.children))
    return out


class Language:
    """Shared walk: every call is named (`module.function`, `<call>.method`) and looked up in tables."""

    string_types: frozenset[str] = frozenset()
    safe_modules: frozenset[str] = frozenset()
    shell: frozenset[str] = frozenset()  # calls whose first argument is shell text
    argv: frozenset[str] = frozenset()  # calls whose arguments are a program and its arguments
    deletes: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()
    reads: frozenset[str] = frozenset()
    dynamic: frozenset[str] = frozenset()
    network_prefixes: tuple[str, ...] = ()
    delete_methods: frozenset[str] = frozenset()  # on any receiver (`Path("x").unlink()`)
    write_methods: frozenset[str] = frozenset()
    guarded: tuple[str, ...] = ()  # modules whose other functions are not known to be harmless
    guarded_reads: frozenset[str] = frozenset()  # ... except these

    def __init__(self, report: Report) -> None:
        self.report = report
        self.aliases: dict[str, str] = {}

    def walk(self, root: Node) -> None:
        found = all_nodes(root)
        for n in found:
            self.binding(n)
        for n in found:
            self.visit(n)

    def binding(self, node: Node) -> None:  # imports and aliases
        pass

    def visit(self, node: Node) -> None:
        pass

    def literal(self, node: Node | None) -> str | None:
        """The value of a string literal with no interpolation, else None."""
        if node is None or node.type not in self.string_types:
            return None
        if any(c.type in ("interpolation", "template_substitution") for c in node.children):
            return None
        body = [c for c in node.children if c.type in ("string_content", "string_fragment", "escape_sequence")]
        return "".join(unescape(node_source(c)) if c.type == "escape_sequence" else node_source(c) for c in body)

    def module_of(self, name: str) -> str:
        head, _, rest = name.partition(".")
        full = self.aliases.get(head, head)
        return f"{full}.{rest}" if rest else full

    def dangerous(self, name: str) -> bool:
        return name in self.shell or name in self.argv or name in self.deletes or name in self.writes or \
            name in self.dynamic

    def as_value(self, node: Node, name: str) -> None:
        """A dangerous function referenced but not called right there (`map(os.system, cmds)`,
        `f = os.system`): what it will run cannot be followed."""
        parent = node.parent
        called = parent is not None and parent.type in ("call", "call_expression") and \
            parent.child_by_field_name("function") == node
        inner = parent is not None and parent.type in ("attribute", "member_expression") and \
            parent.child_by_field_name("object") == node
        if not called and not inner and self.dangerous(name):
            self.report.unknown.append(f"{name} used as a value")

    def call(self, name: str, args: list[Node], keywords: dict[str, Node], node: Node) -> None:
        r = self.report
        last = name.rsplit(".", 1)[-1]
        if name == "<expr>" or (name.startswith(("<expr>.", "<call>.")) and last in RISKY_METHODS):
            r.unknown.append(f"a call that cannot be followed ({node_source(node)[:40]})")
        elif name in self.dynamic or last in self.dynamic:
            r.unknown.append(f"dynamic code ({name})")
        elif name in self.shell or (name in self.argv and self.is_true(keywords.get("shell"))):
            text = self.literal(args[0]) if args else None
            if text is None:
                r.unknown.append(f"{name} runs a computed command")
            else:
                r.spawns.append(text)
        elif name in self.argv:
            words = self.argv_of(args)
            if words is None:
                r.unknown.append(f"{name} runs a computed command")
            else:
                r.spawns.append(words)
        elif name in self.deletes or (last in self.delete_methods and "." in name):
            r.deletes.append(self.path_arg(name, args, node))
        elif name in self.writes or (last in self.write_methods and "." in name):
            r.writes.append(self.path_arg(name, args, node))
        elif name in self.reads:
            r.reads.append(self.path_arg(name, args, node))
        elif self.network_prefixes and name.startswith(self.network_prefixes):
            r.network = True
        elif self.guarded and name.startswith(self.guarded) and name not in self.guarded_reads:
            r.unknown.append(f"{name} is not known to be harmless")

    def is_true(self, node: Node | None) -> bool:
        return node is not None and node.type == "true"

    def argv_of(self, args: list[Node]) -> tuple[str, ...] | None:
        """A literal argv: a list of literal strings (first argument), else literal string arguments."""
        if not args:
            return None
        lists = [a for a in args if a.type in ("list", "array", "tuple")]
        if lists:
            items = [c for c in lists[0].named_children if c.type != "comment"]
            values = [self.literal(c) for c in items]
            if not values or None in values:
                return None
            words = tuple(v for v in values if v is not None)
            program = self.literal(args[0]) if args[0] is not lists[0] else None
            if program is not None and program.rsplit("/", 1)[-1] != words[0]:
                words = (program, *words)  # `spawn("rm", ["-rf", "/"])`: the program, then its arguments
            return words
        values = [self.literal(a) for a in args]
        return tuple(v for v in values if v is not None) if None not in values else None

    def path_arg(self, name: str, args: list[Node], node: Node) -> str:
        """The literal path a call works on: its first argument, or the `Path("x")` it is called on."""
        receiver = self.receiver(node)
        method = name.rsplit(".", 1)[-1]
        on_receiver = receiver is not None and (method in self.write_methods or method in self.delete_methods)
        for candidate in ([receiver] if on_receiver else []) + args[:1] + ([receiver] if not on_receiver else []):
            value = self.path_value(candidate)
            if value is not None:
                return value
        return COMPUTED

    def receiver(self, node: Node) -> Node | None:
        return None

    def path_value(self, node: Node | None) -> str | None:
        """A path known before run time: a literal, or the home directory and literals joined
        (`os.path.expanduser("~/x")`, `os.path.join(os.path.expanduser("~"), "x")`, `Path.home() / "x"`,
        `Path("x")`, `path.join(os.homedir(), "x")`, `File.expand_path("~/x")`, `Dir.home`)."""
        if node is None:
            return None
        value = self.literal(node)
        if value is not None:
            return value
        text = re.sub(r"\s+", "", node_source(node))
        if text in HOME_CALLS:
            return "~"
        if node.type in ("parenthesized_expression", "parenthesized_statements"):
            inner = node.named_children
            return self.path_value(inner[0]) if len(inner) == 1 else None
        if node.type in ("call", "call_expression"):
            fn = node.child_by_field_name("function") or node.child_by_field_name("method")
            name = re.sub(r"\s+", "", node_source(fn)).split(".")[-1] if fn is not None else ""
            receiver = node.child_by_field_name("receiver")
            arglist = node.child_by_field_name("arguments")
            parts = [self.path_value(c) for c in (arglist.named_children if arglist is not None else [])]
            if not parts and fn is not None and fn.type == "attribute" and name in ("expanduser", "resolve",
                                                                                     "absolute"):
                return self.path_value(fn.child_by_field_name("object"))  # `Path("~/x").expanduser()`
            if name in PATH_BUILDERS and parts and None not in parts:
                return "/".join(p for p in parts if p is not None)
            if receiver is not None and node_source(receiver) == "File" and name == "join" and parts and \
                    None not in parts:
                return "/".join(p for p in parts if p is not None)
        if node.type == "binary_operator" and node_source(node.child_by_field_name("operator")) == "/":
            left = self.path_value(node.child_by_field_name("left"))
            right = self.path_value(node.child_by_field_name("right"))
            return f"{left}/{right}" if left is not None and right is not None else None
        return None


RISKY_METHODS = frozenset({"system", "popen", "spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync",
                            "run", "call", "check_call", "check_output", "Popen", "getoutput", "remove", "unlink",
                            "unlinkSync", "rmtree", "rmdir", "rmdirSync", "rm", "rmSync", "fork", "eval"})
DUNDER = re.compile(r"^__(dict|globals|builtins|class|subclasses|getattribute|code|closure|import__|loader__|"
                     r"spec__|base__|bases__|mro__)__$")
HOME_CALLS = frozenset({"Path.home()", "pathlib.Path.home()", "os.homedir()", "require('os').homedir()",
                         'require("os").homedir()', "Dir.home", "ENV['HOME']", 'ENV["HOME"]', "os.environ['HOME']",
                         'os.environ["HOME"]', "process.env.HOME"})
PATH_BUILDERS = frozenset({"expanduser", "join", "Path", "PurePath", "abspath", "realpath", "resolve",
                            "expand_path", "normpath"})
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"', "0": "\0", "r": "\r", "`": "`", "$": "$"}


def unescape(seq: str) -> str:
    return _ESCAPES.get(seq[1:2], seq) if seq.startswith("\\") else seq


