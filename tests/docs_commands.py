"""The shell lines of README.md and docs/*.md, and the rule that says which ones a test may run.

Why a rule and not a list of lines: other pages get added; a new command must be classified
here (run, or skipped with a reason) before the docs test passes, so nothing is shown that no
test has looked at.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib.metadata
import io
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parent.parent

# Fenced blocks with these info strings hold commands. Other fences (text, ini, toml, none)
# hold file contents or output and are not run; a block whose first line is `#!` is a script.
SHELL_FENCES = {"sh", "bash", "shell", "console", "shell-session"}

# A line ending in this comment is checked (tracker commands still parse) but not run.
NOT_RUN = "# not run by tests"

# Programs whose commands the test runs in a scratch folder (tracker and kiosk-agent have their
# own rules below). Anything not here and not in SKIP fails the test: classify it.
RUN = {"tracker", "kiosk-agent", "lint-imports", "cp", "ls", "cat", "head", "mkdir"}

# Programs never run, with the reason. Their lines are shown in the docs for people to type.
SKIP = {
    "sudo": "changes the machine (installs, system files)",
    "sudoedit": "edits system files",
    "apt": "installs packages",
    "apt-get": "installs packages",
    "useradd": "changes the machine's accounts",
    "ssh": "reaches a kiosk",
    "ssh-keygen": "makes or reads keys in the user's ~/.ssh",
    "ssh-add": "talks to the user's ssh-agent",
    "systemctl": "changes the machine's services",
    "export": "sets the user's environment",
    ".": "changes the user's shell",
    "source": "changes the user's shell",
    "py": "Windows",
    "ip": "changes the machine's network",
}

# `python3 -m MODULE ...` (or a .venv/bin program): runnable modules, and skipped ones.
RUN_MODULES = {"kiosk_agent", "kiosk_agent.build", "tracker"}
SKIP_MODULES = {
    "pip": "installs packages",
    "venv": "makes a virtual environment (the set-up commands)",
    "pytest": "the test suite itself",
    "ruff": "CI runs it (.ci/run); a style slip should fail there, not here",
}

# tracker commands that reach kiosks over SSH (`kiosks list` only reads the database). A bare
# `tracker` and `tracker scan` without a CODE open the terminal app: not run either.
TRACKER_SSH = {("kiosks", "trust"), ("kiosks", "deploy"), ("kiosks", "check"), ("kiosks", "watch")}
# `tracker network check` runs the agent's staff checks from this machine: traffic to the
# configured targets, so only inside a namespace a test made (tests/test_kiosk_staff.py).
TRACKER_AGENT = {("network", "check")}
# kiosk-agent subcommands that are safe: `check` sends traffic to the configured targets and
# must run only inside a network namespace a test made.
AGENT_SAFE = {"--help", "-h", "--version", "sample-config"}

_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")


@dataclass
class Line:
    """One command line from a fenced shell block."""

    file: Path
    lineno: int
    text: str  # without a console prompt, continuations joined
    marked: bool = False  # ends with NOT_RUN

    def where(self) -> str:
        return f"{self.file.relative_to(REPO)}:{self.lineno}: {self.text}"


@dataclass
class Verdict:
    """What the test does with a line: run it, or not and why; and its tracker argv lists."""

    run: bool
    reason: str = ""
    unknown: list[str] = field(default_factory=list)  # programs nobody classified
    tracker_argvs: list[list[str]] = field(default_factory=list)
    agent_argvs: list[list[str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # repo files the line needs


def doc_files() -> list[Path]:
    """README.md and every page under docs/ (new pages are picked up by themselves)."""
    return [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


def shell_lines(path: Path) -> list[Line]:
    """The command lines of the shell blocks in one Markdown file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Line] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = len(m.group(1)), m.group(2), m.group(3).lower()
        body_start = i + 1
        j = body_start
        while j < len(lines) and not lines[j].strip().startswith(fence[0] * len(fence)):
            j += 1
        body = [(k + 1, lines[k][indent:]) for k in range(body_start, j)]
        if info in SHELL_FENCES and not (body and body[0][1].startswith("#!")):
            found += _commands(path, body, console=info in ("console", "shell-session"))
        i = j + 1
    return found


def _commands(path: Path, body: list[tuple[int, str]], console: bool) -> list[Line]:
    out: list[Line] = []
    pending: tuple[int, str] | None = None
    for lineno, raw in body:
        text = raw.strip()
        if pending is None:
            if console:
                if not text.startswith("$ "):
                    continue  # output
                text = text[2:]
            if not text or text.startswith("#"):
                continue
            pending = (lineno, text)
        else:
            pending = (pending[0], pending[1] + " " + text)
        if pending[1].endswith("\\"):
            pending = (pending[0], pending[1][:-1].rstrip())
            continue
        first, joined = pending
        out.append(Line(path, first, joined, marked=joined.endswith(NOT_RUN)))
        pending = None
    return out


def split_commands(text: str) -> list[list[str]]:
    """The simple commands of a line: split at &&, ||, ;, | and redirections; comments dropped."""
    lex = shlex.shlex(text, posix=True, punctuation_chars=";&|<>")
    lex.whitespace_split = True
    lex.commenters = "#"
    commands: list[list[str]] = [[]]
    redirect = False
    for tok in lex:
        if tok and set(tok) <= set(";&|"):
            commands.append([])
        elif tok and set(tok) <= set("<>"):
            redirect = True
        elif redirect:
            redirect = False  # the redirection's file name is not an argument
        else:
            commands[-1].append(tok)
    return [c for c in commands if c]


def classify(line: Line) -> Verdict:
    """Run the line or not, and why; collects what the parse checks need."""
    v = Verdict(run=not line.marked, reason=NOT_RUN if line.marked else "")
    for argv in split_commands(line.text):
        _classify_command(argv, v)
    if v.unknown:
        v.run = False
    return v


def _no(v: Verdict, reason: str) -> None:
    if v.run:
        v.run, v.reason = False, reason


def _classify_command(argv: list[str], v: Verdict) -> None:
    prog = Path(argv[0]).name if argv[0].startswith((".venv/", "/")) else argv[0]
    if prog in ("python", "python3") and argv[1:2] == ["-m"] and len(argv) > 2:
        module = argv[2]
        if module in SKIP_MODULES:
            _no(v, SKIP_MODULES[module])
            v.paths += [a for a in argv[3:] if a.startswith("tests/")]
        elif module in ("kiosk_agent",):
            _agent(argv[3:], v)
        elif module == "tracker":
            _tracker(argv[3:], v)
        elif module not in RUN_MODULES:
            v.unknown.append(f"python3 -m {module}")
        return
    if prog in ("python", "python3") and len(argv) > 1:
        script = argv[1]
        if script.endswith(".pyz"):
            _agent(argv[2:], v)
        elif script.startswith("bench/"):
            v.paths.append(script)
            _no(v, "a benchmark (minutes, needs root for some rows)")
        else:
            v.unknown.append(f"python3 {script}")
        return
    if prog in ("pip", "pip3"):
        _no(v, SKIP_MODULES["pip"])
    elif prog == "tracker":
        _tracker(argv[1:], v)
    elif prog == "kiosk-agent":
        _agent(argv[1:], v)
    elif prog in SKIP:
        _no(v, SKIP[prog])
    elif prog not in RUN:
        v.unknown.append(prog)


def _tracker(args: list[str], v: Verdict) -> None:
    v.tracker_argvs.append(args)
    path, positionals, _ = walk(entry_point_parser("tracker"), args)
    if not path:
        _no(v, "opens the terminal app")
    elif path == ["scan"] and not positionals:
        _no(v, "opens the scan screen (the terminal app)")
    elif tuple(path[:2]) in TRACKER_SSH:
        _no(v, "reaches kiosks over SSH")
    elif tuple(path[:2]) in TRACKER_AGENT:
        _no(v, "runs the agent's network checks from this machine")


def _agent(args: list[str], v: Verdict) -> None:
    v.agent_argvs.append(args)
    if not args or args[0] not in AGENT_SAFE:
        _no(v, "kiosk-agent check sends traffic to its targets (only inside a test's netns)")


@functools.cache
def entry_point_parser(script: str) -> argparse.ArgumentParser:
    """The argparse parser behind a console script, taken from its real main().

    main() is called with its parse_args intercepted, so nothing runs and the test does not
    depend on where the CLI builds its parser.
    """
    (ep,) = importlib.metadata.entry_points(group="console_scripts", name=script)
    main = ep.load()

    class Captured(Exception):
        pass

    def capture(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        raise Captured(self)

    with mock.patch.object(argparse.ArgumentParser, "parse_args", capture):
        try:
            main([])
        except Captured as c:
            return c.args[0]
    raise AssertionError(f"{script}: main() did not parse its arguments")


def parse_problem(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """What argparse says about argv, or None when it accepts it (as the command would)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            parser.parse_args(argv)
        except SystemExit as e:
            if e.code:
                return err.getvalue().strip().splitlines()[-1]
    return None


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    return next(
        (a for a in parser._actions if isinstance(a, argparse._SubParsersAction)),
        None,
    )


def walk(
    parser: argparse.ArgumentParser, tokens: list[str]
) -> tuple[list[str], list[str], list[str]]:
    """Follow tokens through a parser without running it: (subcommands, positionals, problems).

    Looser than parse_args: a fragment such as `tracker kiosks check` in running text passes
    without its required options, but every subcommand, option and choice must exist.
    """
    path: list[str] = []
    positionals: list[str] = []
    problems: list[str] = []
    slots = [a for a in parser._actions if not a.option_strings]
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok in ("...", "…"):
            continue
        where = " ".join([parser.prog.split()[0], *path])
        if tok.startswith("-") and tok != "-":
            name, eq, value = tok.partition("=")
            action = parser._option_string_actions.get(name)
            if action is None:
                problems.append(f"{where}: no option {name}")
            elif action.nargs != 0 and not eq and i < len(tokens):
                value = tokens[i]
                i += 1
            if action is not None and action.choices and value and value not in action.choices:
                problems.append(f"{where} {name}: {value!r} is not one of {action.choices}")
            continue
        sub = _subparsers(parser)
        if sub is not None:
            if re.fullmatch(r"[A-Z][A-Z_]*", tok):
                break  # a placeholder: `tracker SUBCOMMAND --help`
            missing = [t for t in tok.split("|") if t not in sub.choices]  # `trust|deploy`
            if missing:
                problems.append(f"{where}: no command {missing[0]!r}")
                break
            tok = tok.split("|")[0]
            path.append(tok)
            parser = sub.choices[tok]
            slots = [a for a in parser._actions if not a.option_strings]
            continue
        positionals.append(tok)
        if slots:
            slot = slots[0]
            if slot.choices and tok not in slot.choices:
                problems.append(f"{where}: {tok!r} is not one of {tuple(slot.choices)}")
            if slot.nargs in (None, "?"):
                slots.pop(0)
    return path, positionals, problems
