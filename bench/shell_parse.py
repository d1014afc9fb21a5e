"""Issue 17's parser choice: bashlex against tree-sitter-bash, measured the way `enforcer command` pays.

    python3 bench/shell_parse.py    # needs bashlex and tree-sitter-bash installed (pip); prints the table

Three figures per parser: the cost of importing it (and building its parser) in a process started as
enforcer's hooks start Python (`python3 -S -P`, sys.path set by hand; median of interleaved runs, each
in a fresh process); the time to parse a typical agent command line and a large one (in process,
best of repeated runs); and correctness: on CORPUS below, the top-level simple commands (argv after
quote removal, joined with spaces) each parser finds, against what bash runs.
"""
from __future__ import annotations

import site
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RUNS = 21

# (line, the simple commands bash runs at the line's own level, as argv joined with spaces)
CORPUS: list[tuple[str, list[str]]] = [
    ("git status", ["git status"]),
    ("cd /repo && git status && python3 -m pytest -q tests/ 2>&1 | tail -20",
     ["cd /repo", "git status", "python3 -m pytest -q tests/", "tail -20"]),
    ("ls; rm -rf build & wait", ["ls", "rm -rf build", "wait"]),
    ("a || b\nc", ["a", "b", "c"]),
    ("(cd x && make) | tee log", ["cd x", "make", "tee log"]),
    ("{ echo a; echo b; } > out", ["echo a", "echo b"]),
    ("cat <<EOF > f\nhello $HOME\nEOF\necho done", ["cat", "echo done"]),
    ("cat <<'EOF' | sh\nrm -rf /\nEOF", ["cat", "sh"]),
    ("cat <<-EOF\n\tx\n\tEOF\nls", ["cat", "ls"]),
    ("echo \"it's \\\"quoted\\\"\"", ["echo it's \"quoted\""]),
    ("echo 'a \"b\" c'", ["echo a \"b\" c"]),
    ("echo $'a\\tb\\x72m'", ["echo a\tbrm"]),
    ("$'\\x72\\x6d' -rf x", ["rm -rf x"]),
    ("echo hi # rm -rf /", ["echo hi"]),
    ("echo a#b; rm c", ["echo a#b", "rm c"]),
    ("git commit \\\n  -m msg", ["git commit -m msg"]),
    ("case $x in a|b) rm x;; *) ls;; esac", ["rm x", "ls"]),
    ("case $x in (a) echo a;; esac", ["echo a"]),
    ("if true; then rm a; else rm b; fi", ["true", "rm a", "rm b"]),
    ("while read l; do echo \"$l\"; done < f", ["read l", "echo $l"]),
    ("for f in *.py; do black \"$f\"; done", ["black $f"]),
    ("for ((i=0; i<3; i++)); do echo $i; done", ["echo $i"]),
    ("f() { rm -rf /; }; f", ["rm -rf /", "f"]),
    ("function g { ls; }", ["ls"]),
    ("FOO=1 BAR=2 make", ["make"]),
    ("\\rm x; \"rm\" y; r''m z", ["rm x", "rm y", "rm z"]),
    ("[[ -f x && $a == b* ]] && echo yes", ["[[ -f x && $a == b* ]]", "echo yes"]),
    ("echo $(( 1 + 2 ))", ["echo $(( 1 + 2 ))"]),
    ("ls |& cat", ["ls", "cat"]),
    ("echo x &> /dev/null; echo y 2>>err", ["echo x", "echo y"]),
    ("time ls -l", ["time ls -l"]),
    ("! grep -q x f", ["grep -q x f"]),
    ("export A=1 B; unset C", ["export A=1 B", "unset C"]),
    ("echo {a,b}c", ["echo {a,b}c"]),
    ("until false; do break; done", ["false", "break"]),
    ("select x in a b; do echo $x; done", ["echo $x"]),
    ("a=(1 2 3); echo ${a[@]}", ["echo ${a[@]}"]),
    ("echo ${x:-default} ${#y} ${z/a/b}", ["echo ${x:-default} ${#y} ${z/a/b}"]),
    ("x=$(git rev-parse HEAD) && echo $x", ["echo $x"]),
    ("diff <(ls a) <(ls b)", ["diff <(ls a) <(ls b)"]),
]

TYPICAL = "cd /work/repo && git status --short && python3 -m pytest -q tests/test_x.py 2>&1 | tail -20"
LARGE = " && ".join(f"echo \"line {i}: $HOME\" >> out.txt" for i in range(1500))  # ~45 KB


# --- bashlex ------------------------------------------------------------------------------------

def bashlex_commands(line: str) -> list[str]:
    import bashlex

    found: list[str] = []

    class Visitor(bashlex.ast.nodevisitor):  # type: ignore[misc]
        def visitcommand(self, node, parts):  # noqa: ANN001 - bashlex's own protocol
            words = [p.word for p in parts if p.kind == "word"]
            if words:
                found.append(" ".join(words))
            return False  # the line's own level only

        def visitfunction(self, node, name, body, parts):  # noqa: ANN001
            return True  # into its body

    for tree in bashlex.parse(line):
        Visitor().visit(tree)
    return found


# --- tree-sitter (through enforcer.shell) -------------------------------------------------------

def tree_sitter_commands(line: str) -> list[str]:
    from enforcer.shell import parse

    return [" ".join([w for wrapper in c.wrappers for w in wrapper] + list(c.argv))
            for c in parse(line).commands if c.nested_from is None and c.argv]


PARSERS = {"bashlex": bashlex_commands, "tree-sitter-bash": tree_sitter_commands}
IMPORTS = {
    "nothing (floor)": "pass",
    "enforcer.tuples (what enforcer.shell itself needs)": "import enforcer.tuples",
    "bashlex": "import bashlex; bashlex.parse('git status')",
    "tree-sitter-bash": "from enforcer.shell import parse; parse('git status')",
}


def import_cost() -> dict[str, float]:
    """Median wall time of a fresh `python3 -S -P` process that imports each parser and parses one line."""
    paths = [str(ROOT)] + site.getsitepackages()
    times: dict[str, list[float]] = {name: [] for name in IMPORTS}
    for _ in range(RUNS):
        for name, code in IMPORTS.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-S", "-P", "-c", f"import sys; sys.path += {paths!r}; {code}"],
                           check=True)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) * 1000 for name, t in times.items()}


def parse_time(fn, line: str, repeat: int) -> float:  # noqa: ANN001
    fn(line)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            fn(line)
        best = min(best, (time.perf_counter() - start) / repeat)
    return best * 1000


def correctness(fn) -> tuple[int, list[str]]:  # noqa: ANN001
    right, wrong = 0, []
    for line, expected in CORPUS:
        try:
            got = fn(line)
        except Exception as exc:  # a parser that refuses a line bash runs
            wrong.append(f"{line!r}: {type(exc).__name__}")
            continue
        if got == expected:
            right += 1
        else:
            wrong.append(f"{line!r}: {got}")
    return right, wrong


def main() -> None:
    sys.path.insert(0, str(ROOT))
    imports = import_cost()
    floor = imports["nothing (floor)"]
    rows = []
    for name, fn in PARSERS.items():
        right, wrong = correctness(fn)
        try:
            typical, large = f"{parse_time(fn, TYPICAL, 200):.2f} ms", f"{parse_time(fn, LARGE, 3):.1f} ms"
        except Exception as exc:
            typical = large = f"fails ({type(exc).__name__})"
        rows.append((name, f"{imports[name]:.0f} ms (+{imports[name] - floor:.0f} ms)", typical, large,
                     f"{right}/{len(CORPUS)}"))
        for line in wrong:
            print(f"  {name} wrong: {line}")
    header = ("| parser | process: import + parse one line (`python3 -S -P`; floor "
              f"{floor:.0f} ms) | parse a typical line ({len(TYPICAL)} chars) | parse a large line "
              f"({len(LARGE) // 1024} KiB) | corpus right |\n|---|---|---|---|---|\n")
    table = header + "\n".join(f"| {' | '.join(row)} |" for row in rows) + "\n"
    print(table)
    package = imports["enforcer.tuples (what enforcer.shell itself needs)"]
    print(f"enforcer.tuples alone: {package:.0f} ms; tree-sitter-bash's own share: "
          f"{imports['tree-sitter-bash'] - package:.0f} ms")
    sys.path.insert(0, str(HERE))
    from run import machine

    print(f"measured on {machine()}")


if __name__ == "__main__":
    main()
