"""Python: imports and aliases, subprocess/os spawns, os/shutil/pathlib deletions and writes, open() modes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reign.policy.bash.code.base import COMPUTED, DUNDER, Language, node_source

if TYPE_CHECKING:
    from tree_sitter import Node


class Python(Language):
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
                self.aliases[node_source(left)] = self.name(right)  # `s = os.system`, `o = os`
            return
        if node.type == "import_statement":
            for c in node.named_children:
                if c.type == "aliased_import":
                    self.module(node_source(c.child_by_field_name("name")), node_source(c.child_by_field_name("alias")))
                else:
                    self.module(node_source(c), node_source(c).split(".")[0], whole=True)
        elif node.type == "import_from_statement":
            mod = node_source(node.child_by_field_name("module_name"))
            self.module(mod, None)
            for c in node.named_children[1:]:
                if c.type == "aliased_import":
                    name = node_source(c.child_by_field_name("name"))
                    self.aliases[node_source(c.child_by_field_name("alias"))] = f"{mod}.{name}"
                elif c.type == "dotted_name":
                    self.aliases[node_source(c)] = f"{mod}.{node_source(c)}"
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
            keywords = {node_source(c.child_by_field_name("name")): c.child_by_field_name("value")
                        for c in (arglist.named_children if arglist else []) if c.type == "keyword_argument"}
            name = self.name(fn)
            if name == "open" or name == "io.open":
                self.open_call(args, {k: v for k, v in keywords.items() if v})
            else:
                self.call(name, [a for a in args if a is not None], {k: v for k, v in keywords.items() if v}, node)
        elif node.type == "identifier" and DUNDER.match(node_source(node)):
            self.report.unknown.append(f"reaches into {node_source(node)}")
        elif node.type in ("attribute", "identifier") and (node.parent is None or node.parent.type != "attribute"
                                                           or node.parent.child_by_field_name("object") == node):
            if node.type == "identifier" and node.parent is not None and node.parent.type in (
                    "dotted_name", "aliased_import", "keyword_argument", "import_from_statement"):
                return
            self.as_value(node, self.name(node))
            if node.type == "attribute" and node_source(node) == "os.environ":
                self.env_use(node)

    def env_use(self, node: Node) -> None:
        """`os.environ` printed or passed whole (not `os.environ["X"]` / `.get("X")`)."""
        parent = node.parent
        if parent is None or parent.type not in ("subscript", "attribute") or \
                (parent.type == "attribute" and node_source(parent.child_by_field_name("attribute")) in
                 ("items", "copy", "keys", "values")):
            self.report.env_dump = True

    def name(self, fn: Node | None) -> str:
        if fn is None:
            return "?"
        if fn.type == "identifier":
            return self.module_of(node_source(fn))
        if fn.type == "parenthesized_expression" and fn.named_child_count == 1:
            return self.name(fn.named_children[0])
        if fn.type == "attribute":
            obj = fn.child_by_field_name("object")
            attr = node_source(fn.child_by_field_name("attribute"))
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
