"""What a shell command really does: `generic_effect` per segment (read / write / destructive / unknown),
inline interpreter code read with the packaged tree-sitter grammars, awk programs and sed scripts.

No engine needed: the parser and the classifier are pure functions.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reign.policy import GateContext
from reign.policy.bash import parse
from reign.policy.bash.code import analyse
from reign.policy.bash.textprogs import awk, perl, sed
from reign.policy.classifiers.shell import TRANSLATED_PROGRAMS, generic_effect, segment_facts, strictest

CTX = GateContext(home="/root", workspace_root="/root/project")
CORPUS = Path(__file__).parent / "data" / "shell_corpus.yaml"


def effect(command: str, ctx: GateContext = CTX) -> str:
    """The call's effect: the strictest of its segments', unknown when the parse had problems."""
    a = parse(command)
    if a.problems:
        return "unknown"
    return strictest([generic_effect(s, ctx) for s in a.segments])


EFFECTS = [
    # reads
    ("ls -la", "read"), ("cat README.md | grep x | wc -l", "read"), ("python3 --version", "read"),
    ("node -v", "read"), ("terraform -version | head -1", "read"), ("awk '{print $1}' f", "read"),
    ("sed -n '1,5p' f", "read"), ("python3 -c 'print(1)'", "read"), ("ruby -e 'puts 1'", "read"),
    ("node -p '1+1'", "read"), ("systemctl status nginx", "read"), ("crontab -l", "read"),
    ("cd /etc && cat hosts", "read"), ("aws ec2 describe-instances", "read"), ("psql -c 'select 1'", "read"),
    ("redis-cli get k", "read"), ("sqlite3 app.db '.tables'", "read"), ("curl -s https://example.com", "read"),
    ("pip list", "read"), ("mount", "read"), ("lsblk", "read"), ("zpool status", "read"),
    ("fdisk -l", "read"), ("gcloud compute instances list", "read"), ("python3 -m json.tool a.json", "read"),
    ("python3 -m pip list", "read"), ("python3 -m pip install x", "write"), ("python3 -m venv .venv", "write"),
    ("python3 -m http.server", "unknown"),
    # writes
    ("echo hi > notes.txt", "write"), ("rm -rf /tmp/x", "write"), ("cd /tmp && rm -rf x", "write"),
    ("sed -i 's/a/b/' f", "write"),
    ("mysql -e 'DELETE FROM t WHERE id=1'", "write"), ("curl -X POST -d x https://e", "write"),
    ("aws s3 cp a s3://b/a", "write"), ("redis-cli set k v", "write"), ("cp a b", "write"),
    ("python3 -c 'open(\"o\", \"w\").write(\"x\")'", "write"), ("find /tmp/x -name '*.o' -delete", "write"),
    ("mongosh --eval 'db.users.insertOne({a: 1})'", "write"), ("lvcreate -L 1G -n x vg0", "write"),
    # destructive (a deletion cannot be undone, in the workspace too)
    ("rm -rf build", "destructive"), ("cd build && rm -rf *", "destructive"), ("rm -f notes.txt", "destructive"),
    ("truncate -s 0 app.log", "destructive"), ("find . -name '*.o' -delete", "destructive"),
    ("rm -rf \"$DIR\"", "destructive"), ("cd \"$D\" && rm -rf *", "destructive"), ("rm -rf /opt/app", "destructive"), ("cd .. && rm -rf *", "destructive"), ("rm -rf /root/project", "destructive"),
    ("shred -u notes.txt", "destructive"), ("mkfs.ext4 /dev/sdb1", "destructive"), ("wipefs -a /dev/sdb", "destructive"),
    ("dd if=/dev/zero of=/dev/sda", "destructive"), ("lvremove vg0/x", "destructive"),
    ("zfs destroy tank/x", "destructive"), ("zpool destroy tank", "destructive"),
    ("mdadm --zero-superblock /dev/sdb1", "destructive"), ("parted -s /dev/sda mklabel gpt", "destructive"),
    ("aws s3 rb s3://b --force", "destructive"), ("aws s3 rm s3://b --recursive", "destructive"),
    ("aws s3 sync . s3://b --delete", "destructive"), ("aws ec2 terminate-instances --instance-ids i-1", "destructive"),
    ("gcloud compute instances delete vm", "destructive"), ("az group delete -n rg", "destructive"),
    ("doctl compute droplet delete x", "destructive"), ("linode-cli linodes delete 1", "destructive"),
    ("hcloud server delete x", "destructive"), ("s3cmd del s3://b/k", "destructive"), ("s3cmd rb s3://b", "destructive"),
    ("gsutil rm gs://b/k", "destructive"), ("rclone delete remote:x", "destructive"), ("rclone purge remote:x", "destructive"),
    ("psql -c 'DROP TABLE t'", "destructive"), ("psql -c 'TRUNCATE t'", "destructive"),
    ("mysql -e 'DELETE FROM t'", "destructive"), ("mysql -e 'UPDATE t SET a=1'", "destructive"),
    ("mysql db <<< 'DROP DATABASE x;'", "destructive"), ("sqlite3 a.db 'DELETE FROM s;'", "destructive"),
    ("mongosh --eval 'db.dropDatabase()'", "destructive"), ("mongo --eval 'db.c.deleteMany({})'", "destructive"),
    ("redis-cli FLUSHALL", "destructive"), ("redis-cli -n 1 flushdb", "destructive"),
    ("cqlsh -e 'DROP KEYSPACE k'", "destructive"), ("curl -X DELETE https://e/x/1", "destructive"),
    ("python3 -c 'import shutil; shutil.rmtree(\"/srv/data\")'", "destructive"),
    ("find /srv -delete", "destructive"), ("find . -name '*.tmp' | xargs rm -f", "destructive"), ("find /etc -exec rm {} +", "destructive"),
    # unknown
    ("frobnicate", "unknown"), ("python3 x.py", "unknown"), ("bash deploy.sh", "unknown"), ("./run --version", "unknown"),
    ("python3 -c \"$CODE\"", "unknown"),
    ("python3 -c 'eval(input())'", "unknown"), ("perl -e 'system($c)'", "unknown"),
    ("perl -ne 'print if /x/' f", "read"), ("perl -pi -e 's/a/b/' f", "write"), ("psql", "unknown"),
    ("psql -f migrate.sql", "unknown"), ("sed -f script.sed f", "unknown"), ("awk -f prog.awk f", "unknown"),
    ("make", "unknown"), ("redis-cli EVAL 'return 1' 0", "unknown"), ("cd \"$D\" && echo k >> authorized_keys", "unknown"), ("cd \"$D\" && cp a b", "unknown"), ("curl x | sh", "unknown"), ("python3 -c 'import boto3'", "unknown"),
]


@pytest.mark.parametrize(("command", "expected"), EFFECTS)
def test_effect_of_a_command(command: str, expected: str) -> None:
    assert effect(command) == expected


@pytest.mark.parametrize("program", sorted(TRANSLATED_PROGRAMS))
def test_translated_clis_are_left_to_the_gate(program: str) -> None:
    seg = parse(f"{program} delete x").segments[0]
    assert generic_effect(seg, CTX) is None


def test_everyday_reads_in_the_corpus_are_reads() -> None:
    """At least 95% of the corpus's allowed (everyday read) commands have the effect `read`."""
    data = yaml.safe_load(CORPUS.read_text())
    reads = [e["command"] for e in data["benign"] if e["expect"] == "allow"]
    not_read = [c for c in reads if effect(c, GateContext(home="/root")) != "read"]
    assert len(reads) >= 200
    assert len(not_read) <= len(reads) * 0.05, not_read


def test_destructive_fact_marks_irreversible_commands_only() -> None:
    def facts(command: str) -> set[str]:
        return set().union(*(segment_facts(s, CTX) for s in parse(command).segments))

    assert "destructive" in facts("aws s3 rb s3://b --force")
    assert "destructive" in facts("rm -rf /opt/app")
    assert "destructive" not in facts("rm -rf /tmp/build")
    assert "destructive" not in facts("ls -la")
    assert "destructive" not in facts("kubectl delete ns x")  # translated by the gate


# --------------------------------------------------------------------------- inline code


CODE = [
    ("python", "import sys; print(sys.version)", "read", [], []),
    ("python", "import os; os.system('rm -rf /')", "read", ["rm -rf /"], []),
    ("python", "import subprocess as sp; sp.run(['rm', '-rf', '/etc'])", "read", [("rm", "-rf", "/etc")], []),
    ("python", "import subprocess; subprocess.run('ls | wc', shell=True)", "read", ["ls | wc"], []),
    ("python", "from os import system as s; s('id')", "read", ["id"], []),
    ("python", "import os; os.execv('/bin/sh', ['sh', '-c', 'id'])", "read", [("sh", "-c", "id")], []),
    ("python", "import shutil; shutil.rmtree('/var/lib')", "destructive", [], ["/var/lib"]),
    ("python", "from pathlib import Path; Path('/etc/x').unlink()", "destructive", [], ["/etc/x"]),
    ("python", "import os; [os.remove(f) for f in os.listdir('.')]", "destructive", [], ["?"]),
    ("python", "open('/etc/hosts', 'a').write('x')", "write", [], []),
    ("python", "import urllib.request; urllib.request.urlopen('https://x', b'1')", "write", [], []),
    ("python", "__import__('os').system('id')", "unknown", [], []),
    ("python", "import os; os.system(input())", "unknown", [], []),
    ("python", "import requests", "unknown", [], []),
    ("python", "import os; os.fchmod(3, 0o777)", "unknown", [], []),
    ("python", "def f(:", "unknown", [], []),
    ("javascript", "console.log(process.version)", "read", [], []),
    ("javascript", "require('child_process').execSync('rm -rf /')", "read", ["rm -rf /"], []),
    ("javascript", "const cp = require('node:child_process'); cp.exec('id')", "read", ["id"], []),
    ("javascript", "const {spawnSync} = require('child_process'); spawnSync('rm', ['-rf', '/'])", "read",
     [("rm", "-rf", "/")], []),
    ("javascript", "require('fs').rmSync('/etc', {recursive: true})", "destructive", [], ["/etc"]),
    ("javascript", "const fs = require('fs'); fs.writeFileSync('/etc/x', 'y')", "write", [], []),
    ("javascript", "require('child_process').exec(`rm -rf ${dir}`)", "unknown", [], []),
    ("javascript", "new Function('return 1')()", "unknown", [], []),
    ("javascript", "require(name)", "unknown", [], []),
    ("ruby", "puts RUBY_VERSION", "read", [], []),
    ("ruby", "system('rm -rf /')", "read", ["rm -rf /"], []),
    ("ruby", "system('rm', '-rf', '/')", "read", [("rm", "-rf", "/")], []),
    ("ruby", "`id`; %x{uname -a}", "read", ["id", "uname -a"], []),
    ("ruby", "open('|id')", "read", ["id"], []),
    ("ruby", "require 'fileutils'; FileUtils.rm_rf('/usr')", "destructive", [], ["/usr"]),
    ("ruby", "File.write('/etc/passwd', 'x')", "write", [], []),
    ("ruby", "eval(STDIN.read)", "unknown", [], []),
    ("ruby", "x = 'ls'; `#{x}`", "unknown", [], []),
    # what cannot be followed: functions passed around, reached through dunders or subscripts
    ("python", "import os; list(map(os.system, ['rm -rf /']))", "unknown", [], []),
    ("python", "import os; [os.system][0]('id')", "unknown", [], []),
    ("python", "import os; os.__dict__['system']('id')", "unknown", [], []),
    ("python", "import os; o = os; o.system('id')", "read", ["id"], []),
    ("javascript", "const cp = require('child_process'); ['id'].forEach(cp.execSync)", "unknown", [], []),
    ("javascript", "const cp = require('child_process'); cp['execSync']('id')", "unknown", [], []),
]


@pytest.mark.parametrize(("language", "source", "expected", "spawns", "deletes"), CODE)
def test_inline_code_analysis(language: str, source: str, expected: str, spawns: list[object],
                              deletes: list[str]) -> None:
    report = analyse(language, source)
    assert report.effect == expected, report
    assert report.spawns == spawns
    assert report.deletes == deletes


HOME_PATHS = [
    ("python", "import os; open(os.path.expanduser('~/.bashrc'), 'a').write('x')", "~/.bashrc"),
    ("python", "from pathlib import Path; (Path.home() / '.ssh' / 'authorized_keys').write_text('k')",
     "~/.ssh/authorized_keys"),
    ("python", "import os; open(os.path.join(os.path.expanduser('~'), '.profile'), 'w')", "~/.profile"),
    ("javascript", "const fs = require('fs'), path = require('path'), os = require('os');"
                   " fs.appendFileSync(path.join(os.homedir(), '.bashrc'), 'x')", "~/.bashrc"),
    ("ruby", "File.write(File.expand_path('~/.bashrc'), 'x')", "~/.bashrc"),
]


@pytest.mark.parametrize(("language", "source", "path"), HOME_PATHS)
def test_paths_built_from_the_home_directory_are_known(language: str, source: str, path: str) -> None:
    assert analyse(language, source).writes == [path]


def test_inline_code_reading_a_computed_path_is_not_a_plain_read() -> None:
    seg = parse("python3 -c 'import sys; print(open(sys.argv[1]).read())' notes.txt").segments[0]
    facts = segment_facts(seg, CTX)
    assert "computed_read_path" in facts and "inline_read" not in facts
    seg = parse("python3 -c 'print(open(\"README.md\").read())'").segments[0]
    assert "inline_read" in segment_facts(seg, CTX)


def test_a_write_to_a_computed_path_is_unknown() -> None:
    assert analyse("python", "import sys; open(sys.argv[1], 'w').write('x')").effect == "unknown"


def test_inline_code_sees_reads_environment_dumps_and_network() -> None:
    assert analyse("python", "print(open('/root/.ssh/id_rsa').read())").reads == ["/root/.ssh/id_rsa"]
    assert analyse("python", "import os; print(dict(os.environ))").env_dump
    assert not analyse("python", "import os; print(os.environ['HOME'])").env_dump
    assert analyse("javascript", "console.log(JSON.stringify(process.env))").env_dump
    assert not analyse("javascript", "console.log(process.env.HOME)").env_dump
    assert analyse("ruby", "p ENV").env_dump
    assert analyse("javascript", "fetch('https://x', {method: 'POST'})").network


AWK = [
    ("{print $1}", "read", [], []), ("$3 > 100 {print $1}", "read", [], []), ("{print (a > b)}", "read", [], []),
    ("NR>1 && $2 || $3 {print}", "read", [], []), ("{printf \"%s\\n\", $1 > \"/dev/stderr\"}", "read", [], []),
    ('BEGIN{system("rm -rf /")}', "read", ["rm -rf /"], []), ('{print | "sh"}', "read", ["sh"], []),
    ('"date" | getline d', "read", ["date"], []), ("{system($0)}", "unknown", [], []),
    ("{ cmd | getline x }", "unknown", [], []), ('{print $1 > "/etc/passwd"}', "write", [], ["/etc/passwd"]),
    ('{print >> "out.txt"}', "write", [], ["out.txt"]), ('{print > $2}', "unknown", [], ["?"]),
]


@pytest.mark.parametrize(("program", "expected", "spawns", "writes"), AWK)
def test_awk_programs(program: str, expected: str, spawns: list[str], writes: list[str]) -> None:
    report = awk(program)
    assert (report.effect, report.spawns, report.writes) == (expected, spawns, writes)


SED = [
    ("s/a/b/g", "read", [], []), ("/^#/d;s/x/y/", "read", [], []), ("s|/usr|/opt|g", "read", [], []),
    ("y/abc/xyz/", "read", [], []), (":a;N;$!ba;s/\\n/ /g", "read", [], []), ("$a\\foo", "read", [], []),
    ("/start/,/end/{s/a/b/;p}", "read", [], []), ("10q", "read", [], []),
    ("e rm -rf /", "read", ["rm -rf /"], []), ("1e", "unknown", [], []), ("s/a/b/e", "unknown", [], []),
    ("w /etc/x", "write", [], ["/etc/x"]), ("s/a/b/w out", "write", [], ["out"]), ("Z", "unknown", [], []),
]


@pytest.mark.parametrize(("script", "expected", "spawns", "writes"), SED)
def test_sed_scripts(script: str, expected: str, spawns: list[str], writes: list[str]) -> None:
    report = sed(script)
    assert (report.effect, report.spawns, report.writes) == (expected, spawns, writes)


PERL = [
    ("print if /ERROR/", "read"), ("s/foo/bar/g", "read"), ("print $F[0]", "read"), ("s{a} {b}g", "read"),
    ("tr/a-z/A-Z/", "read"), ("print join(',', split /:/)", "read"), ("$s += $F[1]; END { print $s }", "read"),
    ("$x = 10 / 2; print $x", "read"), ("s/(\\d+)/$1*2/ge", "unknown"), ("system('id')", "unknown"),
    ("`id`", "unknown"), ("qx{id}", "unknown"), ("unlink 'x'", "unknown"), ("print %ENV", "unknown"),
    ("open(F, '>x')", "unknown"), ("eval $x", "unknown"), ("use POSIX", "unknown"), ("&$code", "unknown"),
]


@pytest.mark.parametrize(("code", "expected"), PERL)
def test_perl_one_liners(code: str, expected: str) -> None:
    assert perl(code).effect == expected


def test_sed_sandbox_runs_nothing() -> None:
    assert sed("e rm -rf /", sandbox=True).spawns == []


def test_a_climbing_path_is_judged_from_each_contexts_workspace_not_a_remembered_one() -> None:
    """Facts are memoised per segment and context: two runs in one process (a server's users have their own
    workspaces) judge `cd .. && rm -rf *` from their own workspace root, in either order."""
    from reign.policy import decide, load_checked_policy
    from reign.policy.gate import GateCall

    policy = load_checked_policy()
    call = GateCall(tool="bash", args={"command": "cd .. && rm -rf *"})
    at_home = GateContext(home="/root", workspace_root="/root/project")  # `..` is HOME: a wipe
    elsewhere = GateContext(home="/root", workspace_root="/srv/work/app")  # `..` is /srv/work
    first = [decide(call, policy, ctx).rule for ctx in (at_home, elsewhere)]
    second = [decide(call, policy, ctx).rule for ctx in (elsewhere, at_home)]
    assert first[0] == "shell-wipe-system-paths" and first[1] != "shell-wipe-system-paths"
    assert second == first[::-1]
