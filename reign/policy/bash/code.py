"""What inline Python, JavaScript and Ruby code does, read off its tree-sitter syntax tree.

`analyse(language, source)` lists the processes it spawns (with their literal command text, which
the shell parser then reads like any other command), the paths it deletes, writes and reads, whether
it talks to the network or dumps the environment, and anything it cannot see through: dynamic
evaluation (`eval`, `exec`, `__import__`, `getattr`, `send`, `Function`, `vm`), computed commands,
modules it does not know, parse errors. Those make the effect "unknown". Grammars load lazily, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

    from reign.policy.bash.segment import Effect

LANGUAGES = ("python", "javascript", "ruby")
_PARSERS: dict[str, Parser] = {}
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


def _parser(language: str) -> Parser:
    parser = _PARSERS.get(language)
    if parser is None:
        from tree_sitter import Language, Parser

        if language == "python":
            import tree_sitter_python as grammar
        elif language == "javascript":
            import tree_sitter_javascript as grammar  # type: ignore[no-redef]
        else:
            import tree_sitter_ruby as grammar  # type: ignore[no-redef]
        parser = _PARSERS[language] = Parser(Language(grammar.language()))
    return parser


def analyse(language: str, source: str) -> Report:
    report = Report()
    root = _parser(language).parse(source.encode("utf-8", "surrogatepass")).root_node
    if root.has_error:
        report.unknown.append(f"the {language} code does not parse")
        return report
    {"python": _Python, "javascript": _JavaScript, "ruby": _Ruby}[language](report).walk(root)
    return report


def _text(node: Node | None) -> str:
    return (node.text or b"").decode("utf-8", "replace") if node is not None else ""


def _nodes(root: Node) -> list[Node]:
    out, stack = [], [root]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(reversed(n.children))
    return out


class _Language:
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
        nodes = _nodes(root)
        for n in nodes:
            self.binding(n)
        for n in nodes:
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
        return "".join(_unescape(_text(c)) if c.type == "escape_sequence" else _text(c) for c in body)

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
        if name == "<expr>" or (name.startswith(("<expr>.", "<call>.")) and last in _RISKY_METHODS):
            r.unknown.append(f"a call that cannot be followed ({_text(node)[:40]})")
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
        text = re.sub(r"\s+", "", _text(node))
        if text in _HOME_CALLS:
            return "~"
        if node.type in ("parenthesized_expression", "parenthesized_statements"):
            inner = node.named_children
            return self.path_value(inner[0]) if len(inner) == 1 else None
        if node.type in ("call", "call_expression"):
            fn = node.child_by_field_name("function") or node.child_by_field_name("method")
            name = re.sub(r"\s+", "", _text(fn)).split(".")[-1] if fn is not None else ""
            receiver = node.child_by_field_name("receiver")
            arglist = node.child_by_field_name("arguments")
            parts = [self.path_value(c) for c in (arglist.named_children if arglist is not None else [])]
            if not parts and fn is not None and fn.type == "attribute" and name in ("expanduser", "resolve",
                                                                                     "absolute"):
                return self.path_value(fn.child_by_field_name("object"))  # `Path("~/x").expanduser()`
            if name in _PATH_BUILDERS and parts and None not in parts:
                return "/".join(p for p in parts if p is not None)
            if receiver is not None and _text(receiver) == "File" and name == "join" and parts and None not in parts:
                return "/".join(p for p in parts if p is not None)
        if node.type == "binary_operator" and _text(node.child_by_field_name("operator")) == "/":
            left = self.path_value(node.child_by_field_name("left"))
            right = self.path_value(node.child_by_field_name("right"))
            return f"{left}/{right}" if left is not None and right is not None else None
        return None


_RISKY_METHODS = frozenset({"system", "popen", "spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync",
                            "run", "call", "check_call", "check_output", "Popen", "getoutput", "remove", "unlink",
                            "unlinkSync", "rmtree", "rmdir", "rmdirSync", "rm", "rmSync", "fork", "eval"})
_DUNDER = re.compile(r"^__(dict|globals|builtins|class|subclasses|getattribute|code|closure|import__|loader__|"
                     r"spec__|base__|bases__|mro__)__$")
_HOME_CALLS = frozenset({"Path.home()", "pathlib.Path.home()", "os.homedir()", "require('os').homedir()",
                         'require("os").homedir()', "Dir.home", "ENV['HOME']", 'ENV["HOME"]', "os.environ['HOME']",
                         'os.environ["HOME"]', "process.env.HOME"})
_PATH_BUILDERS = frozenset({"expanduser", "join", "Path", "PurePath", "abspath", "realpath", "resolve",
                            "expand_path", "normpath"})
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"', "0": "\0", "r": "\r", "`": "`", "$": "$"}


def _unescape(seq: str) -> str:
    return _ESCAPES.get(seq[1:2], seq) if seq.startswith("\\") else seq


class _Python(_Language):
    string_types = frozenset({"string"})
    safe_modules = frozenset({
        "os", "os.path", "sys", "json", "re", "math", "time", "datetime", "platform", "string", "collections",
        "itertools", "functools", "random", "hashlib", "base64", "binascii", "struct", "textwrap", "pprint",
        "decimal", "fractions", "statistics", "uuid", "shlex", "glob", "fnmatch", "pathlib", "shutil",
        "subprocess", "csv", "io", "locale", "getpass", "pwd", "grp", "typing", "dataclasses", "enum",
        "calendar", "zlib", "tomllib", "configparser", "importlib.metadata", "sysconfig", "ssl", "unicodedata",
        "keyword", "operator", "copy", "heapq", "bisect", "array", "contextlib", "abc", "numbers", "secrets",
        "hmac", "difflib", "html", "ipaddress", "logging", "argparse", "traceback", "inspect", "ast", "timeit",
        "signal", "errno", "stat", "threading", "queue", "types", "warnings", "codecs", "urllib.parse",
        "socket", "urllib.request", "urllib", "http.client", "http", "smtplib", "ftplib", "email", "asyncio",
        "tempfile", "yaml", "gzip", "bz2", "lzma", "zipfile", "tarfile", "sqlite3", "xml.etree.ElementTree",
        "__future__", "pty",
    }) - {"http"}
    shell = frozenset({"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput",
                       "commands.getoutput", "asyncio.create_subprocess_shell", "pty.spawn"})
    argv = frozenset({"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
                      "subprocess.Popen", "asyncio.create_subprocess_exec", "os.execv", "os.execve", "os.execvp",
                      "os.execvpe", "os.execl", "os.execlp", "os.execle", "os.execlpe", "os.spawnv", "os.spawnvp",
                      "os.spawnl", "os.spawnlp", "os.posix_spawn", "os.posix_spawnp"})
    deletes = frozenset({"os.remove", "os.unlink", "os.rmdir", "os.removedirs", "shutil.rmtree"})
    writes = frozenset({"shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copytree", "shutil.move",
                        "os.rename", "os.renames", "os.replace", "os.chmod", "os.chown", "os.lchown", "os.makedirs",
                        "os.mkdir", "os.symlink", "os.link", "os.truncate", "os.utime", "os.mkfifo", "os.kill",
                        "os.killpg", "os.setuid", "os.setgid", "os.chroot", "os.write", "os.open",
                        "shutil.chown", "shutil.make_archive", "shutil.unpack_archive", "shutil.copymode",
                        "shutil.copystat", "zipfile.ZipFile", "tarfile.open", "gzip.open", "bz2.open", "lzma.open",
                        "sqlite3.connect", "logging.FileHandler", "tempfile.mkstemp", "tempfile.mkdtemp",
                        "tempfile.NamedTemporaryFile", "tempfile.TemporaryDirectory"})
    reads = frozenset({"pathlib.Path.read_text"})
    guarded = ("os.", "shutil.", "subprocess.", "pty.", "signal.", "socket.", "asyncio.", "threading.", "ctypes.")
    guarded_reads = frozenset({f"os.{n}" for n in (
        "getcwd", "listdir", "scandir", "walk", "stat", "lstat", "getenv", "cpu_count", "uname", "getpid",
        "getppid", "getuid", "geteuid", "getgid", "getegid", "getlogin", "get_terminal_size", "access", "readlink",
        "fspath", "fsencode", "fsdecode", "urandom", "times", "getloadavg", "isatty", "strerror", "sysconf",
        "environ.get", "getgroups", "get_exec_path", "path.join", "path.exists", "path.isfile", "path.isdir",
        "path.expanduser", "path.expandvars", "path.abspath", "path.realpath", "path.basename", "path.dirname",
        "path.getsize", "path.getmtime", "path.splitext", "path.split", "path.relpath", "path.normpath",
        "path.islink", "path.isabs", "path.getctime", "path.getatime", "path.samefile", "path.commonpath")} |
        {"shutil.which", "shutil.disk_usage", "shutil.get_terminal_size", "signal.signal", "socket.gethostname",
         "socket.getfqdn", "socket.gethostbyname", "socket.getaddrinfo", "asyncio.run", "asyncio.sleep",
         "asyncio.gather", "asyncio.get_event_loop", "threading.Thread", "threading.Lock", "os.environ.items",
         "os.environ.copy", "os.environ.keys", "os.environ.values"})
    dynamic = frozenset({"eval", "exec", "compile", "__import__", "importlib.import_module", "getattr", "setattr",
                         "globals", "locals", "vars", "marshal.loads", "pickle.loads", "runpy.run_path",
                         "runpy.run_module", "code.interact", "breakpoint", "os.fork", "os.forkpty"})
    network_prefixes = ("socket.", "urllib.request.", "http.client.", "smtplib.", "ftplib.", "telnetlib.",
                        "requests.", "httpx.", "urllib3.", "aiohttp.")
    delete_methods = frozenset({"unlink", "rmdir", "rmtree"})
    write_methods = frozenset({"write_text", "write_bytes", "touch", "mkdir", "symlink_to", "hardlink_to",
                               "chmod", "rename", "extractall", "extract"})

    def binding(self, node: Node) -> None:
        if node.type == "assignment":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and left.type == "identifier" and right is not None and \
                    right.type in ("identifier", "attribute"):
                self.aliases[_text(left)] = self.name(right)  # `s = os.system`, `o = os`
            return
        if node.type == "import_statement":
            for c in node.named_children:
                if c.type == "aliased_import":
                    self.module(_text(c.child_by_field_name("name")), _text(c.child_by_field_name("alias")))
                else:
                    self.module(_text(c), _text(c).split(".")[0], whole=True)
        elif node.type == "import_from_statement":
            mod = _text(node.child_by_field_name("module_name"))
            self.module(mod, None)
            for c in node.named_children[1:]:
                if c.type == "aliased_import":
                    name = _text(c.child_by_field_name("name"))
                    self.aliases[_text(c.child_by_field_name("alias"))] = f"{mod}.{name}"
                elif c.type == "dotted_name":
                    self.aliases[_text(c)] = f"{mod}.{_text(c)}"
                elif c.type == "wildcard_import":
                    self.report.unknown.append(f"from {mod} import *")

    def module(self, name: str, alias: str | None, *, whole: bool = False) -> None:
        if name not in self.safe_modules and name.split(".")[0] not in self.safe_modules:
            self.report.unknown.append(f"uses the module {name}")
        if alias and not whole:
            self.aliases[alias] = name

    def visit(self, node: Node) -> None:
        if node.type == "call":
            fn = node.child_by_field_name("function")
            arglist = node.child_by_field_name("arguments")
            args = [c for c in (arglist.named_children if arglist else []) if c.type not in ("keyword_argument",
                                                                                            "comment")]
            keywords = {_text(c.child_by_field_name("name")): c.child_by_field_name("value")
                        for c in (arglist.named_children if arglist else []) if c.type == "keyword_argument"}
            name = self.name(fn)
            if name == "open" or name == "io.open":
                self.open_call(args, {k: v for k, v in keywords.items() if v})
            else:
                self.call(name, [a for a in args if a is not None], {k: v for k, v in keywords.items() if v}, node)
        elif node.type == "identifier" and _DUNDER.match(_text(node)):
            self.report.unknown.append(f"reaches into {_text(node)}")
        elif node.type in ("attribute", "identifier") and (node.parent is None or node.parent.type != "attribute"
                                                           or node.parent.child_by_field_name("object") == node):
            if node.type == "identifier" and node.parent is not None and node.parent.type in (
                    "dotted_name", "aliased_import", "keyword_argument", "import_from_statement"):
                return
            self.as_value(node, self.name(node))
            if node.type == "attribute" and _text(node) == "os.environ":
                self.env_use(node)

    def env_use(self, node: Node) -> None:
        """`os.environ` printed or passed whole (not `os.environ["X"]` / `.get("X")`)."""
        parent = node.parent
        if parent is None or parent.type not in ("subscript", "attribute") or \
                (parent.type == "attribute" and _text(parent.child_by_field_name("attribute")) in
                 ("items", "copy", "keys", "values")):
            self.report.env_dump = True

    def name(self, fn: Node | None) -> str:
        if fn is None:
            return "?"
        if fn.type == "identifier":
            return self.module_of(_text(fn))
        if fn.type == "parenthesized_expression" and fn.named_child_count == 1:
            return self.name(fn.named_children[0])
        if fn.type == "attribute":
            obj = fn.child_by_field_name("object")
            attr = _text(fn.child_by_field_name("attribute"))
            if obj is not None and obj.type == "call":
                inner = self.name(obj.child_by_field_name("function"))
                return f"{inner}.{attr}" if inner.endswith("Path") else f"<call>.{attr}"
            return f"{self.name(obj)}.{attr}" if obj is not None and obj.type in ("identifier", "attribute") \
                else f"<expr>.{attr}"
        return "<expr>"

    def open_call(self, args: list[Node], keywords: dict[str, Node]) -> None:
        mode_node = args[1] if len(args) > 1 else keywords.get("mode")
        mode = self.literal(mode_node) if mode_node is not None else "r"
        path = self.path_value(args[0]) if args else None
        if mode is None or any(ch in mode for ch in "wax+"):
            self.report.writes.append(path or COMPUTED)
        else:
            self.report.reads.append(path or COMPUTED)

    def receiver(self, node: Node) -> Node | None:
        fn = node.child_by_field_name("function")
        return fn.child_by_field_name("object") if fn is not None and fn.type == "attribute" else None


class _JavaScript(_Language):
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
                self.aliases[_text(target)] = self.name(value)  # `const e = cp.execSync`
                return
            mod = self.required(value)
            if mod is None or target is None:
                return
            if target.type == "identifier":
                self.aliases[_text(target)] = mod
            elif target.type == "object_pattern":
                for c in target.named_children:
                    if c.type == "shorthand_property_identifier_pattern":
                        self.aliases[_text(c)] = f"{mod}.{_text(c)}"
                    elif c.type == "pair_pattern":
                        key, val = c.child_by_field_name("key"), c.child_by_field_name("value")
                        self.aliases[_text(val)] = f"{mod}.{_text(key)}"

    def required(self, node: Node | None) -> str | None:
        """`require("fs")` -> "fs" (node: prefix dropped); a computed require is dynamic code."""
        if node is None or node.type != "call_expression" or _text(node.child_by_field_name("function")) != "require":
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
            if node.type == "member_expression" and _text(node) == "process.env":
                parent = node.parent
                if parent is None or parent.type not in ("member_expression", "subscript_expression"):
                    self.report.env_dump = True
        elif node.type == "member_expression" and _text(node) == "process.env":
            parent = node.parent
            if parent is None or parent.type not in ("member_expression", "subscript_expression"):
                self.report.env_dump = True

    def name(self, fn: Node | None) -> str:
        if fn is None:
            return "?"
        if fn.type == "identifier":
            return self.module_of(_text(fn))
        if fn.type == "member_expression":
            obj = fn.child_by_field_name("object")
            prop = _text(fn.child_by_field_name("property"))
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


class _Ruby(_Language):
    string_types = frozenset({"string"})
    safe_modules = frozenset({"json", "yaml", "fileutils", "open3", "net/http", "socket", "uri", "open-uri",
                              "pathname", "time", "date", "digest", "base64", "securerandom", "set", "pp", "etc",
                              "tmpdir", "tempfile", "csv", "erb", "optparse", "shellwords", "English",
                              "benchmark", "logger", "rbconfig", "zlib", "openssl", "io/console", "pty"})
    shell = frozenset({"system", "exec", "spawn", "Kernel.system", "Kernel.exec", "Kernel.spawn",
                       "Process.spawn", "Process.exec", "IO.popen", "Open3.popen3", "Open3.popen2",
                       "Open3.popen2e", "Open3.capture2", "Open3.capture2e", "Open3.capture3", "PTY.spawn"})
    deletes = frozenset({*(f"FileUtils.{n}" for n in (
        "rm", "rm_f", "rm_r", "rm_rf", "rmtree", "remove", "remove_dir", "remove_entry", "remove_entry_secure",
        "remove_file", "rmdir", "safe_unlink")), "File.delete", "File.unlink", "Dir.delete", "Dir.rmdir",
        "Dir.unlink"})
    writes = frozenset({*(f"FileUtils.{n}" for n in (
        "cp", "cp_r", "mv", "mkdir", "mkdir_p", "makedirs", "touch", "ln", "ln_s", "ln_sf", "chmod", "chmod_R",
        "chown", "chown_R", "install", "copy_entry", "copy_file", "move")), "File.write", "File.binwrite",
        "IO.write", "File.rename", "File.chmod", "File.chown", "File.symlink", "File.link", "File.truncate",
        "Dir.mkdir", "Process.kill"})
    reads = frozenset({"File.read", "File.readlines", "File.foreach", "IO.read", "IO.readlines", "File.binread"})
    dynamic = frozenset({"eval", "instance_eval", "class_eval", "module_eval", "instance_exec", "send",
                         "public_send", "__send__", "const_get", "define_method", "method", "binding", "load",
                         "Kernel.eval", "fork", "syscall"})
    network_prefixes = ("Net::HTTP", "TCPSocket", "UDPSocket", "Socket", "URI.open", "TCPServer")
    delete_methods = frozenset({"rmtree"})
    guarded = ("File.", "FileUtils.", "Dir.", "IO.", "Process.", "Kernel.", "ObjectSpace.", "Signal.")
    guarded_reads = frozenset({*(f"File.{n}" for n in (
        "exist?", "file?", "directory?", "size", "size?", "basename", "dirname", "join", "expand_path", "stat",
        "lstat", "extname", "readable?", "writable?", "executable?", "mtime", "ctime", "atime", "symlink?",
        "absolute_path", "realpath", "readlink", "split", "zero?", "empty?", "ftype", "identical?", "fnmatch",
        "fnmatch?")), "Dir.pwd", "Dir.glob", "Dir.entries", "Dir.children", "Dir.exist?", "Dir.home",
        "Dir.each_child", "Dir.[]", "Process.pid", "Process.ppid", "Process.uid", "Process.euid",
        "Process.clock_gettime", "FileUtils.pwd", "FileUtils.compare_file", "FileUtils.uptodate?", "IO.readlines",
        "IO.read", "IO.foreach", "Kernel.puts", "Kernel.print", "Kernel.format", "Kernel.sleep"})

    def visit(self, node: Node) -> None:
        if node.type == "subshell":  # `cmd` and %x{cmd}
            if any(c.type == "interpolation" for c in node.children):
                self.report.unknown.append("a backtick command with interpolation")
            else:
                self.report.spawns.append("".join(_text(c) for c in node.children if c.type == "string_content"))
        elif node.type == "call":
            receiver = node.child_by_field_name("receiver")
            method = _text(node.child_by_field_name("method"))
            arglist = node.child_by_field_name("arguments")
            args = [c for c in (arglist.named_children if arglist else [])
                    if c.type not in ("pair", "comment", "hash")]
            name = f"{_text(receiver)}.{method}" if receiver is not None else method
            if receiver is None and method in ("require", "require_relative"):
                mod = self.literal(args[0]) if args else None
                if mod is None or mod not in self.safe_modules:
                    self.report.unknown.append(f"requires {mod or 'a computed library'}")
            elif name in ("open", "Kernel.open", "File.open", "File.new", "IO.open"):
                self.open_call(name, args)
            elif name in self.shell and len(args) > 1 and name not in ("IO.popen",):
                words = self.argv_of(args)
                if words is None:
                    self.report.unknown.append(f"{name} runs a computed command")
                else:
                    self.report.spawns.append(words)
            else:
                self.call(name, args, {}, node)
        elif node.type == "constant" and _text(node) == "ENV":
            parent = node.parent
            if parent is None or parent.type not in ("element_reference", "call") or \
                    (parent.type == "call" and _text(parent.child_by_field_name("method")) in
                     ("to_h", "to_a", "each", "map", "inspect", "keys", "values", "to_s", "sort")):
                self.report.env_dump = True

    def open_call(self, name: str, args: list[Node]) -> None:
        path = self.path_value(args[0]) if args else None
        if path is not None and path.startswith("|") and name in ("open", "Kernel.open"):
            self.report.spawns.append(path[1:])
            return
        if path is not None and "://" in path:
            self.report.network = True
            return
        mode = self.literal(args[1]) if len(args) > 1 else "r"
        if mode is None or any(ch in mode for ch in "wa+"):
            self.report.writes.append(path or COMPUTED)
        elif path is not None:
            self.report.reads.append(path)
        elif name in ("open", "Kernel.open"):
            self.report.unknown.append("open of a computed path (it may run a command)")
        else:
            self.report.reads.append(COMPUTED)

    def is_true(self, node: Node | None) -> bool:
        return False

