"""What inline Python, JavaScript and Ruby code does, read off its tree-sitter syntax tree.

`analyse(language, source)` lists the processes it spawns (with their literal command text, which
the shell parser then reads like any other command), the paths it deletes, writes and reads, whether
it talks to the network or dumps the environment, and anything it cannot see through: dynamic
evaluation (`eval`, `exec`, `__import__`, `getattr`, `send`, `Function`, `vm`), computed commands,
modules it does not know, parse errors. Those make the effect "unknown". Grammars load lazily, once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reign.policy.bash.code.base import COMPUTED, Report

if TYPE_CHECKING:
    from tree_sitter import Parser

__all__ = ["COMPUTED", "LANGUAGES", "Report", "analyse"]

LANGUAGES = ("python", "javascript", "ruby")
_PARSERS: dict[str, Parser] = {}


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
    from reign.policy.bash.code.javascript import JavaScript
    from reign.policy.bash.code.python import Python
    from reign.policy.bash.code.ruby import Ruby

    {"python": Python, "javascript": JavaScript, "ruby": Ruby}[language](report).walk(root)
    return report
