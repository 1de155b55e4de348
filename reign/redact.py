"""Secret redaction for anything that leaves a tool: the model's context, logs, the audit trail, cassettes.

`redact(text)` replaces secrets with ``[REDACTED:<kind>]`` (``[REDACTED:github_token]``), keeping the
surrounding text so that an operator can still read the log. Every marker starts with ``[REDACTED``
and the function is idempotent: redacting redacted text changes nothing.

What is recognised, in the order it is applied:

1. literal values handed in by the caller (``extra_values``; see `secret_env_values`), kind ``value``;
2. PEM private-key blocks, header to footer (or to the end of the text when the footer is missing);
3. Kubernetes Secret ``data``/``stringData`` values in YAML and JSON text (best effort, kind ``k8s_secret``);
4. tokens with a recognisable vendor format: AWS key ids, GitHub, GitLab, Slack, Stripe, Google, OpenAI,
   Anthropic, npm, PyPI, Vault, Docker Hub, SendGrid, DigitalOcean, Hugging Face, Terraform Cloud, JWTs;
   signed-URL signatures and chat webhooks;
5. credentials in URLs (``scheme://user:PASS@host``: the user is kept);
6. ``Authorization:`` / ``Bearer`` / ``Cookie:`` headers (the scheme word is kept); command lines whose
   short flags carry a password (``mysql -pX``, ``docker login -p X``, ``sshpass -p X``, ``curl -u u:X``,
   ``mongosh -p X``, ``redis-cli -a X``, ``openssl -passout pass:X``) or whose point is a secret
   (``kubectl create secret --from-literal=k=X``, ``gh secret set --body X``, ``aws configure set``);
7. values assigned to secret-looking names, in every syntax seen in logs and config: ``key=value``,
   ``key: value`` (YAML incl. ``|`` blocks, JSON incl. JSON escaped inside JSON, Python repr, HTTP
   headers), ``--flag value`` / ``--flag=value``, ``export NAME=value``, ``<password>..</password>``,
   and Kubernetes ``name: X`` / ``value: Y`` env pairs.

In the middle of prose (``key: value`` not at the start of a line or mapping entry) a value is only
redacted when it looks like a credential (a digit, a symbol or an inner capital), and code
(``password = os.environ["X"]``), placeholders (``${X}``, ``<password>``, ``****``, ``%s``,
``(sensitive value)``) and references (``existingSecret: name``) are left alone.

A name "looks secret" when its last word is password/passwd/passphrase/pass/pwd/secret/token/credentials,
or its last two words are api/access/secret/private/signing/... + key, or it ends in key-data (kubeconfig
``client-key-data``). Words are split on ``_ - .`` and camelCase, so ``clientSecret``, ``DB_PASSWORD``,
``aws_secret_access_key`` and ``spring.datasource.password`` all qualify while ``token_budget``,
``max_tokens``, ``secretName``, ``password_file`` and ``primary_key`` do not.

Deliberately left alone: git SHAs, UUIDs, ``sha256:`` digests, image tags, base64 outside a secret
context, ``password`` as a word in prose, port numbers, placeholders (``${VAR}``, ``<password>``, ``****``).
Known blind spots are listed in `BLIND_SPOTS`.

Standard library only; every pattern is compiled at import time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

__all__ = ["BLIND_SPOTS", "REDACTED", "redact", "redact_obj", "secret_env_values"]

REDACTED = "[REDACTED]"
_MARK = "[REDACTED"

BLIND_SPOTS = (
    "a bare secret with no vendor prefix and no secret-looking name next to it: an AWS secret key or a "
    "password printed alone, `kubectl get secret x -o jsonpath={.data.password}` (a lone base64 value), "
    "a pre-2021 40-hex GitHub token (indistinguishable from a git SHA); pass such values in extra_values",
    "an unquoted value containing spaces, or a bare value containing , ; & ` or a backslash: only the part "
    "before that character is redacted",
    "a plain lower-case word after a colon in the middle of prose (`login failed, password: hunter` is kept "
    "because `password: expired` must be), and `--password word` with a lower-case word of 8 letters or "
    "fewer (`Using --password via the CLI is insecure`)",
    "`-p`/`-a`/`-u user:pass` short flags of commands other than mysql, mongo, redis-cli, sshpass, curl "
    "and the container `login` commands (for most tools `-p` is a port)",
    "password hashes (htpasswd, /etc/shadow) and secrets inside other encodings (URL-encoded, hex)",
    "Kubernetes Secrets in YAML flow style (`data: {a: b}`) or other serialisations than YAML/JSON",
    "dict keys are never redacted, only values; bytes and arbitrary objects in redact_obj are returned "
    "unchanged (pydantic models are dumped first)",
)

# --------------------------------------------------------------------------------------------------------
# Names that look secret
# --------------------------------------------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")

# a single word that ends with one of these is secret (dbpassword, identitytoken, clientsecret, apikey)
_WORD_ENDINGS = ("password", "passwd", "passphrase", "secret", "token", "apikey", "accesskey", "secretkey",
                 "privatekey", "storepass", "keypass", "credentials", "credential")
_EXACT_LAST = {"pass": "password", "pwd": "password", "authorization": "auth", "requirepass": "password",
               "masterauth": "password"}
_KEY_QUALIFIERS = frozenset({"api", "access", "secret", "private", "signing", "encryption", "master",
                             "account", "auth", "session", "shared"})
# "<word> token" that are not credentials: pagination cursors, budgets
_NOT_SECRET_TOKENS = frozenset({"next", "page", "continuation", "pagination", "resume", "cancellation",
                                "cancel", "sync", "max", "num", "count"})
_NOT_SECRET_NAMES = frozenset({"pwd", "oldpwd"})  # the shell's working directory
_REFERENCE_QUALIFIERS = frozenset({"existing", "ref"})


def _key_parts(name: str) -> list[str]:
    name = name.strip().strip("\"'`\\ ").lstrip("-")
    return [p for p in _NON_WORD.split(_CAMEL.sub("_", name).lower()) if p]


@lru_cache(maxsize=4096)
def _classify_key(name: str) -> tuple[str, bool] | None:
    """(kind, weak) when `name` looks like it holds a secret, else None.

    A weak name ("auth") only counts when its value itself looks like a credential.
    """
    parts = _key_parts(name)
    if not parts or "".join(parts) in _NOT_SECRET_NAMES:
        return None
    last = parts[-1]
    if len(parts) >= 2 and parts[-2] in _REFERENCE_QUALIFIERS:
        return None  # `existingSecret: api-auth` names a Secret, it is not one
    if last in _EXACT_LAST:
        return _EXACT_LAST[last], False
    if last == "auth":
        return "auth", True
    if len(parts) >= 2 and last == "key" and parts[-2] in _KEY_QUALIFIERS:
        return ("api_key" if parts[-2] == "api" else "secret"), False
    if len(parts) >= 2 and last == "data" and parts[-2] == "key":
        return "secret", False
    for ending in _WORD_ENDINGS:
        if last.endswith(ending):
            if ending == "token":
                prefix = last[: -len(ending)] or (parts[-2] if len(parts) >= 2 else "")
                if prefix in _NOT_SECRET_TOKENS:
                    return None
                return "token", False
            if ending in ("password", "passwd", "passphrase", "storepass", "keypass"):
                return "password", False
            if ending == "apikey":
                return "api_key", False
            return "secret", False
    return None


_MASK_CHARS = frozenset("*xX•#.")
_PLACEHOLDER_WORDS = frozenset({"null", "none", "nil", "true", "false", "yes", "no", "on", "off", "~", "-",
                                "undefined", "redacted", "<none>", "n/a", "''", '""'})
_ENV_REF = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*")
_PRINTF = re.compile(r"%(?:\(\w+\))?[-+ #0-9.]*[sdifrxv]|%\w+%")  # %s, %(password)s, %v, %PASSWORD%


def _is_placeholder(value: str) -> bool:
    """Values that carry no secret: empty, null/booleans, masks, templates and references, structures."""
    v = value.strip()
    if not v or v.lower() in _PLACEHOLDER_WORDS or _MARK in v:
        return True
    if set(v) <= _MASK_CHARS:
        return True
    if v.startswith(("${", "$(", "{{", "%{", "<%", "#{", "{", "[", "(")) or _PRINTF.fullmatch(v):
        return True
    if v[0] == "<" and v[-1] == ">":
        return True
    return _ENV_REF.fullmatch(v) is not None


_CRED_SYMBOLS = frozenset("!@#$%^&*+=~|")


def _looks_credential(value: str) -> bool:
    """Heuristic for values found where prose is also likely: random-looking, not a word or a path."""
    v = value.strip()
    if len(v) < 6 or v.startswith(("/", "./", "~/", "http://", "https://")):
        return False
    return (any(c.isdigit() for c in v) or any(c in _CRED_SYMBOLS for c in v)
            or any(c.isupper() for c in v[1:]))


def _mark(kind: str) -> str:
    return f"[REDACTED:{kind}]"


# --------------------------------------------------------------------------------------------------------
# Patterns
# --------------------------------------------------------------------------------------------------------

_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_R = r"(?![A-Za-z0-9_\-])"

_PEM = re.compile(
    r"-----BEGIN (?P<label>[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----"
    r"(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
    # no footer (output cut short): the body lines and headers (Proc-Type, DEK-Info) that follow
    r"|(?:(?:\r?\n|\\n)[ \t]*(?=\r?\n|\\n)"
    r"|(?:\r?\n|\\n)[ \t]*(?:[A-Za-z0-9+/=]{8,}|[A-Za-z][A-Za-z-]*:[^\n\\]*)(?=[ \t]*(?:\r?\n|\\n|\"|$)))*)"
)


class _Spec:
    """One recognisable secret format.

    An expensive pattern (no literal prefix for the regex engine to search for) runs only when one of
    its needles occurs in the text (in the lower-cased text for a case-insensitive pattern); a pattern
    with no needles always runs. With a group named "s" only that group is redacted, else the whole match.
    `bounded`: the match must not start in the middle of a word (checked here rather than with a leading
    look-behind, which would cost the regex engine its literal-prefix search: 8 ms/MB instead of 0.3).
    """

    __slots__ = ("bounded", "kind", "needles", "pattern", "use_lower")

    def __init__(self, kind: str, pattern: str, needles: tuple[str, ...], bounded: bool = True) -> None:
        self.kind = kind
        self.pattern = re.compile(pattern)
        self.needles = needles
        self.bounded = bounded
        self.use_lower = bool(self.pattern.flags & re.IGNORECASE)


_AFTER_VALUE = r"(?P<s>'[^'\n]*'|\"[^\"\n]*\"|[^\s'\"\\]+)"
_SPECS: list[_Spec] = [
    _Spec("url_signature", r"(?i)[?&](?:x-amz-signature|x-goog-signature|signature|sig)="
          r"(?P<s>[^&\s\"'#<>\\]{16,})", ("sig",), False),
    _Spec("slack_webhook", r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9_/\-]{20,})",
          (), False),
    _Spec("discord_webhook", r"discord(?:app)?\.com/api/webhooks/(?P<s>[0-9]+/[A-Za-z0-9_\-]{20,})",
          (), False),
    _Spec("aws_access_key_id", rf"A(?:KIA|SIA|BIA|CCA)[A-Z0-9]{{16}}{_R}", ()),
    _Spec("aws_secret_key", r"(?i)secret_?access_?key(?:\\?[\"'])?[ \t]*(?:=|:)[ \t]*(?:\\?[\"'])?"
          r"(?P<s>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])", ("secret_access_key", "secretaccesskey"), False),
    _Spec("github_token", rf"gh[pousr]_[A-Za-z0-9]{{30,255}}{_R}", ()),
    _Spec("github_token", rf"github_pat_[A-Za-z0-9_]{{30,255}}{_R}", ()),
    _Spec("gitlab_token", r"gl(?:pat|rt|dt|ptt|ft|cbt|imt|soat|oas)-[A-Za-z0-9_\-]{20,}", ()),
    _Spec("slack_token", r"x(?:ox[abposr]|app)-[A-Za-z0-9\-]{10,}", ()),
    _Spec("stripe_key", r"[rs]k_(?:live|test)_[A-Za-z0-9]{16,}", ()),
    _Spec("stripe_key", r"whsec_[A-Za-z0-9]{24,}", ()),
    _Spec("google_api_key", rf"AIza[0-9A-Za-z_\-]{{35}}{_R}", ()),
    _Spec("anthropic_key", r"sk-ant-[A-Za-z0-9_\-]{20,}", ()),
    _Spec("openai_key", r"sk-(?:proj-|svcacct-|admin-)?(?=[A-Za-z0-9_\-]*[A-Z])(?=[A-Za-z0-9_\-]*[0-9])"
          r"[A-Za-z0-9_\-]{20,}", ()),
    _Spec("npm_token", rf"npm_[A-Za-z0-9]{{36}}{_R}", ()),
    _Spec("pypi_token", r"pypi-AgE[A-Za-z0-9_\-]{50,}", ()),
    _Spec("vault_token", r"hv[sbr]\.[A-Za-z0-9_\-]{24,}", ()),
    _Spec("docker_token", r"dckr_pat_[A-Za-z0-9_\-]{20,}", ()),
    _Spec("sendgrid_key", r"SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}", ()),
    _Spec("digitalocean_token", r"do[por]_v1_[a-f0-9]{64}", ()),
    _Spec("huggingface_token", rf"hf_(?=[A-Za-z0-9]*[A-Z])[A-Za-z0-9]{{30,}}{_R}", ()),
    _Spec("terraform_token", r"\.atlasv1\.(?P<s>[A-Za-z0-9_\-]{60,})", (), False),
    _Spec("google_oauth_token", r"ya29\.[A-Za-z0-9_\-]{20,}", ()),
    _Spec("jwt", r"eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]*", ()),
    _Spec("url_password", r"://(?P<u>[^\s:/@\"'<>\[\]\\]*):(?P<s>[^\s/@\"'<>?#\\]+)@", (), False),
    _Spec("authorization", r"(?i)authorization(?:\\?[\"'])?[ \t]*[:=][ \t]*(?:\\?[\"'])?"
          r"(?:(?:bearer|basic|token|bot|digest|negotiate|ntlm|apikey|sso-key|gssapi|aws4-hmac-sha256)"
          r"[ \t]+)?"
          r"(?P<s>[^\s\"'\\,]+)", ("authorization",)),
    _Spec("bearer_token", r"(?i)bearer[ \t]+(?P<s>(?=[A-Za-z0-9._~+/\-]*[0-9])[A-Za-z0-9._~+/\-]{12,}=*)",
          ("bearer",)),
    _Spec("cookie", r"(?i)cookie[ \t]*:[ \t]*(?P<s>[^\r\n\"'\\]+)", ("cookie",)),
    # mysql -pSECRET: only the attached form (`mysql -p dbname` prompts for the password)
    _Spec("password", rf"(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\b[^\n;|]*?[ \t]-p{_AFTER_VALUE}",
          ("mysql", "mariadb")),
    # openssl -passin pass:X / -passout pass:X
    _Spec("password", rf"-pass(?:in|out)?[ \t]+pass:{_AFTER_VALUE}", ("pass:",), False),
    # curl -u user:password / --user user:password (not `docker run -u 1000:1000`)
    _Spec("password", r"curl\b[^\n|;]*?[ \t](?:-u|--user)(?:[ \t]+|=)['\"]?[^:\s'\"]+:(?P<s>[^\s'\"\\]+)",
          ("curl",)),
    # mongosh -u admin -p X, redis-cli -a X
    _Spec("password", rf"mongo(?:sh|dump|restore|export|import)?\b[^\n;|]*?[ \t]-p(?:[ \t]+|=){_AFTER_VALUE}",
          ("mongo",)),
    _Spec("password", rf"redis-cli\b[^\n;|]*?[ \t]-a[ \t]+{_AFTER_VALUE}", ("redis-cli",)),
    # commands whose whole point is a secret value
    _Spec("k8s_secret", r"--from-literal[= ](?P<q>[\"'])[^=\"'\n]+=(?P<s>(?:(?!(?P=q))[^\n])+)(?P=q)",
          ("--from-literal",), False),
    _Spec("k8s_secret", rf"--from-literal[= ][^=\s'\"]+={_AFTER_VALUE}", ("--from-literal",), False),
    _Spec("secret", rf"secret[ \t]+set\b[^\n;|]*?[ \t](?:--body|-b)(?:[ \t]+|=){_AFTER_VALUE}", ("secret",)),
    _Spec("secret", rf"configure[ \t]+set[ \t]+\S*(?:secret_access_key|session_token)[ \t]+{_AFTER_VALUE}",
          ("configure",)),
    # docker login -p X, sshpass -p X
    _Spec("password", r"(?:(?:docker|podman|nerdctl|buildah|skopeo|oras|registry)[ \t]+login\b[^\n;|]*?[ \t]"
          r"|sshpass[ \t]+(?:-[a-oq-zA-Z]\S*[ \t]+)*)-p(?:[ \t]+|=)?"
          r"(?P<s>'[^'\n]*'|\"[^\"\n]*\"|[^\s'\"\\\-][^\s'\"\\]*)", ("login", "sshpass")),
]

# key/value assignments: candidates are found on the lower-cased text by the last word of the name
# (cheap, case-sensitive); the name, the separator and the value are then examined one by one.
_STEM_END = (r"(?:pass(?:word|wd|phrase)?|pwd|secret|token|credentials?|auth|key|data)"
             r"(?=\\?[\"']?[ \t]*[=:]|[ \t])")
_STEM_END_LOWER = re.compile(_STEM_END)
_STEM_END_ANYCASE = re.compile("(?i)" + _STEM_END)
_ASSIGN_NEEDLES = ("pass", "pwd", "secret", "token", "credential", "auth", "key")
_VALUE = r"(?P<val>\\\"(?:[^\"\\\n]|\\[^\"\n])*\\\"|\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|[^\s\"'`,;&\\]+)"
_TAIL = re.compile(r"(?P<q>\\?[\"'])?(?P<sep>[ \t]*(?:=>|:=|=(?!=)|:(?!:))[ \t]*|[ \t]+)" + _VALUE)
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_STRUCTURAL_BEFORE = frozenset("\n\r{,[(\"'")
_BLOCK_SCALAR = re.compile(r"[|>][+\-0-9]*")
_SHORT_WORD = re.compile(r"[a-z]{1,8}")
_CODE_VALUE = re.compile(
    r"(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*[(\[].*"  # a call or a subscript
    r"|(?:os|self|this|process|config|settings|ctx|env|params|args|request|props|secrets|vars)\.[\w.]+"
)

_XML = re.compile(
    r"<(?P<tag>[\w:.\-]*(?i:password|passwd|passphrase|secret|token|api[_\-]?key|access[_\-]?key"
    r"|secret[_\-]?key|private[_\-]?key))>(?P<s>[^<]{1,4096})</(?P=tag)>"
)
_NAME_VALUE = re.compile(  # Kubernetes / ECS env pairs: name: DB_PASSWORD \n value: s3cret
    r"(?P<pre>name\\?[\"']?[ \t]*:[ \t]*\\?[\"']?(?P<n>[A-Za-z0-9_.\-]+)\\?[\"']?"
    r"[ \t]*,?\s{0,200}?(?:-[ \t]+)?\\?[\"']?value\\?[\"']?[ \t]*:[ \t]*)"
    r"(?P<val>\\\"(?:[^\"\\\n]|\\[^\"\n])*\\\"|\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|[^\s,}\"'\\]+)"
)

# Kubernetes Secret objects in YAML / JSON text
_YAML_KIND_SECRET = re.compile(r"^[ \t]*(?:-[ \t]+)*kind:[ \t]*[\"']?Secret[\"']?[ \t]*\r?$")
_YAML_KIND_SECRET_ANY = re.compile(r"kind:[ \t]*[\"']?Secret\b")
_YAML_DATA = re.compile(r"^[ \t]*(?:-[ \t]+)*(?:data|stringData):[ \t]*\r?$")
_YAML_CHILD = re.compile(r"^(?P<k>[ \t]*[^:#\s][^:]*?:)(?P<sp>[ \t]*)(?P<v>.*?)(?P<cr>\r?)$")
_JSON_KIND_SECRET = re.compile(r"\\?\"kind\\?\"\s*:\s*\\?\"Secret\\?\"")
_JSON_DATA = re.compile(r"\\?\"(?:data|stringData)\\?\"\s*:\s*\{(?P<body>[^{}]*)\}")
_JSON_KV = re.compile(
    r"(?P<k>\\?\"(?:[^\"\\]|\\[^\"])*\\?\"\s*:\s*)(?P<q>\\?\")(?P<v>(?:[^\"\\]|\\[^\"])*)(?P=q)"
)


# --------------------------------------------------------------------------------------------------------
# Substitution helpers
# --------------------------------------------------------------------------------------------------------


def _span_repl(kind: str, bounded: bool) -> Callable[[re.Match[str]], str]:
    marker = _mark(kind)

    def repl(m: re.Match[str]) -> str:
        if bounded and m.start() > 0 and m.string[m.start() - 1] in _WORD_CHARS:
            return m.group(0)
        if "s" not in m.re.groupindex:
            return marker
        secret = m.group("s")
        if secret is None or _is_placeholder(secret.strip("'\"")):
            return m.group(0)
        whole, base = m.group(0), m.start()
        a, b = m.span("s")
        if len(secret) >= 2 and secret[0] == secret[-1] and secret[0] in "'\"":
            a, b = a + 1, b - 1  # keep the quotes
        return whole[: a - base] + marker + whole[b - base :]

    return repl


_SPEC_TABLE = [(spec.pattern, _span_repl(spec.kind, spec.bounded), spec.needles, spec.use_lower)
               for spec in _SPECS]

# Something every pattern needs: a long token-like run, a key word, a URL, a -p/-a/-b/-u flag. Strings up to
# _SHORT characters without any of these are returned at once (redact_obj sees thousands of them).
_SHORT = 512
_SUSPECT = re.compile(
    r"[A-Za-z0-9_+/=.\-]{12,}|(?i:pass|pwd|secret|token|credential|auth|key|cookie|bearer|private|literal)"
    r"|://|\s-[pabu]"
)
_PEM_REPL = _span_repl("private_key", False)


def _unquote(val: str) -> tuple[str, str, str]:
    for q in ('\\"', '"', "'"):
        if len(val) >= 2 * len(q) and val.startswith(q) and val.endswith(q):
            return q, val[len(q) : len(val) - len(q)], q
    return "", val, ""


def _structural(text: str, key_start: int) -> bool:
    """Is the key at the start of a line / mapping entry / quoted string (not in the middle of prose)?"""
    i = key_start - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    if i < 0 or text[i] in _STRUCTURAL_BEFORE:
        return True
    if text[i] == "-":  # YAML list item "- password: x"
        return i == 0 or text[i - 1] in " \t\n\r"
    return False


def _line_indent(text: str, pos: int) -> int:
    start = text.rfind("\n", 0, pos) + 1
    i = start
    while i < len(text) and text[i] in " \t-":
        i += 1
    return i - start


def _block_end(text: str, line_end: int, indent: int) -> int:
    """End (exclusive, before its final newline) of the YAML block scalar whose lines start after
    `line_end`, i.e. the following lines that are blank or indented deeper than `indent`."""
    pos = line_end
    while pos < len(text) and text[pos] in " \t\r":
        pos += 1
    end = line_end
    while pos < len(text) and text[pos] == "\n":
        nxt = text.find("\n", pos + 1)
        nxt = len(text) if nxt < 0 else nxt
        line = text[pos + 1 : nxt]
        stripped = line.lstrip(" \t")
        if stripped.strip():
            if len(line) - len(stripped) <= indent:
                break
            end = nxt
        pos = nxt
    return end


def _assignment(text: str, key_start: int, key: str, tail: re.Match[str]) -> tuple[str, int] | None:
    """The redacted value and where it ends, or None when this is not a secret assignment."""
    cls = _classify_key(key)
    if cls is None:
        return None
    kind, weak = cls
    sep = tail.group("sep")
    flag = not sep.strip()
    if flag and not key.startswith("-"):
        return None  # `password foo` is prose; `--password foo` is a flag
    val = tail.group("val")
    qo, inner, qc = _unquote(val)
    colon = ":" in sep and "=" not in sep
    if colon and not qo and _BLOCK_SCALAR.fullmatch(inner):  # YAML `password: |` + indented lines
        indent = _line_indent(text, key_start)
        end = _block_end(text, tail.end(), indent)
        if end == tail.end():
            return None
        return val + "\n" + " " * (indent + 2) + _mark(kind), end
    if _is_placeholder(inner) or (inner.startswith("--") and key.startswith("-")):
        return None  # `--token --other-flag`: no value
    if not qo and _CODE_VALUE.fullmatch(inner):
        return None  # `password = os.environ['DB_PASSWORD']`: code, not a value
    if inner.isdigit() and text.startswith(" bytes", tail.end()):
        return None  # kubectl describe secret: `password:  16 bytes`
    prose = colon and not tail.group("q") and not _structural(text, key_start)
    if prose and _key_parts(key) in (["pass"], ["pwd"]):
        return None  # `--- PASS: TestLogin (0.01s)`
    if flag and _SHORT_WORD.fullmatch(inner):
        return None  # `Using --password via the CLI is insecure`
    if (weak or prose) and not _looks_credential(inner):
        return None
    return qo + _mark(kind) + qc, tail.end()


def _redact_assignments(text: str, low: str) -> str:
    candidates = (_STEM_END_LOWER.finditer(low) if len(low) == len(text)
                  else _STEM_END_ANYCASE.finditer(text))
    out: list[str] = []
    last = 0
    for c in candidates:
        if c.start() < last:
            continue
        k = c.start()
        while k > 0 and text[k - 1] in _KEY_CHARS:
            k -= 1
        tail = _TAIL.match(text, c.end())
        if tail is None:
            continue
        found = _assignment(text, k, text[k : c.end()], tail)
        if found is None:
            continue
        out.append(text[last : tail.start("val")])
        out.append(found[0])
        last = found[1]
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _redact_name_values(text: str) -> str:
    out: list[str] = []
    last = pos = 0
    while (m := _NAME_VALUE.search(text, pos)) is not None:
        pos = m.start() + 1
        if m.start() > 0 and text[m.start() - 1] in _WORD_CHARS:
            continue
        cls = _classify_key(m.group("n"))
        qo, inner, qc = _unquote(m.group("val"))
        if cls is None or _is_placeholder(inner):
            continue
        out.append(text[last : m.start("val")])
        out.append(qo + _mark(cls[0]) + qc)
        last = pos = m.end()
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _xml_repl(m: re.Match[str]) -> str:
    cls = _classify_key(m.group("tag"))
    if cls is None or _is_placeholder(m.group("s")):
        return m.group(0)
    return f"<{m.group('tag')}>{_mark(cls[0])}</{m.group('tag')}>"


def _leading(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _key_indent(line: str) -> tuple[int, bool]:
    """Column of the first key on a YAML line, and whether the line starts a list item."""
    i = 0
    item = False
    while True:
        while i < len(line) and line[i] in " \t":
            i += 1
        if line.startswith("- ", i) or line.startswith("-\t", i):
            item = True
            i += 2
            continue
        return i, item


def _yaml_object_is_secret(lines: list[str], data_line: int, block_end: int, indent: int, item: bool) -> bool:
    def scan(rng: range, upward: bool) -> bool:
        for t in rng:
            line = lines[t]
            if not line.strip():
                continue
            if line.startswith(("---", "...")):
                return False
            col, starts_item = _key_indent(line)
            if starts_item and not upward and col <= indent:
                return False  # the next list item
            if col < indent:
                return False
            if col == indent and _YAML_KIND_SECRET.match(line):
                return True
            if upward and starts_item and col == indent:
                return False  # the first line of our list item
        return False

    above = not item and scan(range(data_line - 1, -1, -1), True)
    return above or scan(range(block_end, len(lines)), False)


def _redact_k8s_yaml(text: str) -> str:
    lines = text.split("\n")
    changed = False
    i = 0
    while i < len(lines):
        if not _YAML_DATA.match(lines[i]):
            i += 1
            continue
        indent, item = _key_indent(lines[i])
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or _leading(lines[j]) > indent):
            j += 1
        while j > i + 1 and not lines[j - 1].strip():
            j -= 1
        if j == i + 1 or not _yaml_object_is_secret(lines, i, j, indent, item):
            i = j
            continue
        child = min(_leading(ln) for ln in lines[i + 1 : j] if ln.strip())
        for t in range(i + 1, j):
            line = lines[t]
            if not line.strip() or _MARK in line:
                continue
            ws = _leading(line)
            cm = _YAML_CHILD.match(line) if ws == child else None
            if cm is not None:
                value = cm.group("v")
                if value and not _BLOCK_SCALAR.fullmatch(value) and not _is_placeholder(value.strip("'\"")):
                    lines[t] = cm.group("k") + (cm.group("sp") or " ") + _mark("k8s_secret") + cm.group("cr")
                    changed = True
            else:
                lines[t] = line[:ws] + _mark("k8s_secret") + ("\r" if line.endswith("\r") else "")
                changed = True
        i = j
    return "\n".join(lines) if changed else text


def _enclosing_object(text: str, pos: int) -> str:
    depth = 0
    a = pos - 1
    while a >= 0:
        c = text[a]
        if c == "}":
            depth += 1
        elif c == "{":
            if depth == 0:
                break
            depth -= 1
        a -= 1
    depth = 0
    for b in range(max(a, 0), len(text)):
        c = text[b]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return text[max(a, 0) : b + 1]
    return text[max(a, 0) :]


def _redact_k8s_json(text: str) -> str:
    marker = _mark("k8s_secret")

    def body_repl(m: re.Match[str]) -> str:
        if not _JSON_KIND_SECRET.search(_enclosing_object(text, m.start())):
            return m.group(0)
        body = _JSON_KV.sub(lambda kv: "".join((kv.group("k"), kv.group("q"), marker, kv.group("q"))),
                            m.group("body"))
        a, b = m.span("body")
        return m.group(0)[: a - m.start()] + body + m.group(0)[b - m.start() :]

    return _JSON_DATA.sub(body_repl, text)


@lru_cache(maxsize=32)
def _values_pattern(values: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(v) for v in values))


_MIN_EXTRA_LEN = 4  # shorter literals would shred ordinary text


def _prepare_values(values: Iterable[str]) -> tuple[str, ...]:
    uniq = {v for v in values if isinstance(v, str) and len(v.strip()) >= _MIN_EXTRA_LEN}
    return tuple(sorted(uniq, key=lambda v: (-len(v), v)))


# --------------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------------


def redact(text: str, extra_values: Iterable[str] = ()) -> str:
    """Replace every secret found in `text` with ``[REDACTED:<kind>]``.

    `extra_values` are literal secrets (typically `secret_env_values()`) removed wherever they occur;
    values shorter than 4 characters are ignored.
    """
    return _redact(text, _prepare_values(extra_values))


def _redact(text: str, values: tuple[str, ...]) -> str:
    if not text:
        return text
    if values:
        text = _values_pattern(values).sub(_mark("value"), text)
    if len(text) <= _SHORT and not _SUSPECT.search(text):
        return text  # most short strings (names, tags, addresses) have nothing a secret needs
    low = text.lower()
    if "private key" in low:
        text = _PEM.sub(_PEM_REPL, text)
    if "Secret" in text:
        if _YAML_KIND_SECRET_ANY.search(text):
            text = _redact_k8s_yaml(text)
        if _JSON_KIND_SECRET.search(text):
            text = _redact_k8s_json(text)
    for pattern, repl, needles, use_lower in _SPEC_TABLE:
        if needles:
            hay = low if use_lower else text
            if not any(n in hay for n in needles):
                continue
        text = pattern.sub(repl, text)
    if any(n in low for n in _ASSIGN_NEEDLES):
        text = _redact_assignments(text, text.lower())
        if "<" in text:
            text = _XML.sub(_xml_repl, text)
    if "value" in low and "name" in low:
        text = _redact_name_values(text)
    return text


def redact_obj(obj: Any, extra_values: Iterable[str] = ()) -> Any:
    """A redacted deep copy of a dict / list / tuple / str structure.

    Values under secret-looking keys are replaced whole with `REDACTED` (containers under password / token /
    credentials / auth keys are replaced leaf by leaf); every other string goes through `redact`. Kubernetes
    Secret objects lose their ``data`` / ``stringData`` values and their last-applied annotation, and
    ``{"name": "DB_PASSWORD", "value": ...}`` env pairs lose the value. Pydantic models are dumped to
    plain data first; other objects (numbers, None, bytes...) are returned as they are.
    """
    return _walk(obj, _prepare_values(extra_values), force=False)


_FORCE_KINDS = frozenset({"password", "token", "auth"})
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _walk(obj: Any, values: tuple[str, ...], force: bool) -> Any:
    if isinstance(obj, str):
        if force and not _is_placeholder(obj):
            return REDACTED
        return _redact(obj, values)
    if isinstance(obj, dict):
        return _walk_dict(obj, values, force)
    if isinstance(obj, list):
        return [_walk(v, values, force) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_walk(v, values, force) for v in obj)
    if isinstance(obj, set | frozenset):
        return type(obj)(_walk(v, values, force) for v in obj)
    if force and isinstance(obj, int | float) and not isinstance(obj, bool):
        return REDACTED
    dump = getattr(obj, "model_dump", None)
    if callable(dump) and not isinstance(obj, type):
        return _walk(dump(mode="json"), values, force)
    return obj


def _walk_dict(obj: dict[Any, Any], values: tuple[str, ...], force: bool) -> dict[Any, Any]:
    is_secret = obj.get("kind") == "Secret"
    name = obj.get("name")
    name = name if isinstance(name, str) else ""
    pair = _classify_key(name) if name and "value" in obj else None
    out: dict[Any, Any] = {}
    for k, v in obj.items():
        if is_secret and k in ("data", "stringData") and isinstance(v, dict):
            out[k] = {dk: (dv if dv is None else REDACTED) for dk, dv in v.items()}
            continue
        if pair is not None and k == "value":
            out[k] = _secret_value(name, v, pair, values)
            continue
        cls = _classify_key(k) if isinstance(k, str) else None
        out[k] = _walk(v, values, force) if cls is None else _secret_value(k, v, cls, values)
    if is_secret:
        meta = out.get("metadata")
        annotations = meta.get("annotations") if isinstance(meta, dict) else None
        if isinstance(annotations, dict) and annotations.get(_LAST_APPLIED):
            annotations[_LAST_APPLIED] = REDACTED
    return out


def _secret_value(key: str, v: Any, cls: tuple[str, bool], values: tuple[str, ...]) -> Any:
    kind, weak = cls
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, str):
        if _is_placeholder(v) or (weak and not _looks_credential(v)):
            return _redact(v, values)
        return REDACTED
    if isinstance(v, int | float):
        return v if weak else REDACTED
    force = kind in _FORCE_KINDS or _key_parts(key)[-1] in ("credentials", "credential")
    return _walk(v, values, force=force)


# environment ------------------------------------------------------------------------------------------

_ENV_EXCLUDED = frozenset({"PWD", "OLDPWD", "KUBECONFIG", "GOOGLE_APPLICATION_CREDENTIALS", "SSH_AUTH_SOCK",
                           "GPG_AGENT_INFO", "XAUTHORITY"})
_ENV_NOT_SECRET_SUFFIXES = ("_FILE", "_PATH", "_DIR", "_ID", "_URL", "_HOST", "_USER", "_USERNAME")
_ENV_SECRET_SUFFIXES = ("_TOKEN", "_KEY", "_SECRET", "_PASS", "_PASSWD", "_PWD", "_APIKEY", "_PASSPHRASE")
_ENV_SECRET_PARTS = ("PASSWORD", "CREDENTIAL", "SECRET")
_PATH_LIKE = re.compile(r"~?/[A-Za-z0-9._@+/\-]*")
_MIN_ENV_LEN = 8


def _is_secret_env_name(name: str) -> bool:
    upper = name.upper()
    if upper in _ENV_EXCLUDED or upper.endswith(_ENV_NOT_SECRET_SUFFIXES):
        return False
    return (upper.endswith(_ENV_SECRET_SUFFIXES) or any(p in upper for p in _ENV_SECRET_PARTS)
            or _classify_key(name) is not None)


def secret_env_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values (8 characters or more) of environment variables whose name looks secret, longest first.

    ``redact(text, secret_env_values())`` then removes them literally wherever they appear. Names ending in
    _FILE/_PATH/_DIR/_ID/_URL/_HOST/_USER, KUBECONFIG, GOOGLE_APPLICATION_CREDENTIALS and PWD are skipped,
    as are values that are plain filesystem paths.
    """
    env = os.environ if environ is None else environ
    found = {
        value
        for name, value in env.items()
        if len(value) >= _MIN_ENV_LEN and _is_secret_env_name(name) and not _PATH_LIKE.fullmatch(value)
    }
    return sorted(found, key=lambda v: (-len(v), v))
