"""Ruby (ruby -e): system/exec/spawn/backticks, FileUtils and File deletions and writes, open('|cmd'), ENV."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reign.policy.bash.code.base import COMPUTED, Language, node_source

if TYPE_CHECKING:
    from tree_sitter import Node


class Ruby(Language):
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
                self.report.spawns.append("".join(node_source(c) for c in node.children if c.type == "string_content"))
        elif node.type == "call":
            receiver = node.child_by_field_name("receiver")
            method = node_source(node.child_by_field_name("method"))
            arglist = node.child_by_field_name("arguments")
            args = [c for c in (arglist.named_children if arglist else [])
                    if c.type not in ("pair", "comment", "hash")]
            name = f"{node_source(receiver)}.{method}" if receiver is not None else method
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
        elif node.type == "constant" and node_source(node) == "ENV":
            parent = node.parent
            if parent is None or parent.type not in ("element_reference", "call") or \
                    (parent.type == "call" and node_source(parent.child_by_field_name("method")) in
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
