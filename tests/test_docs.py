"""Every command shown in README.md and docs/*.md works as written.

Each fenced shell line is classified by tests/docs_commands.py (run it, or skip it for a named
reason); the runnable ones run through the real `tracker` and `kiosk-agent` in a scratch copy
of the checkout with its own database. Every `tracker` and `kiosk-agent` command shown, run or
not, must be accepted by the real argument parser; in running text every subcommand and option
named must exist. Links, repository paths and module names in the docs must resolve too.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import tracker_exe
from docs_commands import (
    NOT_RUN,
    REPO,
    classify,
    doc_files,
    entry_point_parser,
    parse_problem,
    shell_lines,
    walk,
)

DOCS = doc_files()
LINES = [line for f in DOCS for line in shell_lines(f)]
_CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_FENCED = re.compile(r"^\s*(`{3,}|~{3,}).*?^\s*\1", re.S | re.M)


def _prose(path: Path) -> str:
    """The file without its fenced blocks (code spans and links live in the prose)."""
    return _FENCED.sub("", path.read_text(encoding="utf-8"))


def _spans(prefix: str) -> list[tuple[Path, str]]:
    return [
        (f, span.strip())
        for f in DOCS
        for span in _CODE_SPAN.findall(_prose(f))
        if span.strip().startswith(prefix)
    ]


def test_docs_have_commands() -> None:
    assert (REPO / "docs" / "README.md").is_file()
    assert len(LINES) > 30, "the extractor found too few shell lines: is it broken?"


def test_every_shell_line_is_classified() -> None:
    """A program nobody classified fails: decide in docs_commands.py whether tests run it."""
    unknown = [f"{line.where()} -> {classify(line).unknown}" for line in LINES]
    unknown = [u for u in unknown if not u.endswith("-> []")]
    assert not unknown, "classify in tests/docs_commands.py (RUN or SKIP):\n" + "\n".join(unknown)


@pytest.mark.parametrize("script", ["tracker", "kiosk-agent"])
def test_every_command_shown_parses(script: str) -> None:
    """Run or not, each `tracker ...` / `kiosk-agent ...` line is accepted by the real parser."""
    parser = entry_point_parser(script)
    problems = []
    for line in LINES:
        v = classify(line)
        for argv in v.tracker_argvs if script == "tracker" else v.agent_argvs:
            problem = parse_problem(parser, argv)
            if problem:
                problems.append(f"{line.where()}\n    {problem}")
    assert not problems, "\n".join(problems)


def test_every_subcommand_shown_has_help() -> None:
    """`tracker SUB [ACTION] --help` exits 0 through the installed console script."""
    parser = entry_point_parser("tracker")
    paths = set()
    for line in LINES:
        for argv in classify(line).tracker_argvs:
            path, _, _ = walk(parser, argv)
            paths.add(tuple(path))
    for _, span in _spans("tracker "):
        path, _, _ = walk(parser, _tokens(span)[1:])
        paths.add(tuple(path))
    for path in sorted(paths):
        r = subprocess.run([*tracker_exe(), *path, "--help"], capture_output=True, text=True)
        assert r.returncode == 0 and "usage: tracker" in r.stdout, (path, r.stderr)


@pytest.mark.parametrize("script", ["tracker", "kiosk-agent"])
def test_commands_in_running_text_exist(script: str) -> None:
    """`tracker kiosks check --all` in a sentence: the command and its options exist."""
    parser = entry_point_parser(script)
    problems = []
    for f, span in _spans(script + " "):
        _, _, found = walk(parser, _tokens(span)[1:])
        problems += [f"{f.relative_to(REPO)}: `{span}`: {p}" for p in found]
    assert not problems, "\n".join(problems)


def _tokens(span: str) -> list[str]:
    return span.split()


def test_runnable_lines_are_marked_visibly() -> None:
    """The opt-out comment is spelled exactly, so a search for it finds every exception."""
    for line in LINES:
        if "not run" in line.text and not line.marked:
            pytest.fail(f"{line.where()}: write the comment as '{NOT_RUN}' at the end")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_runnable_lines_run(doc: Path, tmp_path: Path) -> None:
    """The page's runnable lines, in page order, in a scratch checkout with a fresh database."""
    lines = [line for line in LINES if line.file == doc and classify(line).run]
    if not lines:
        return  # nothing on this page runs; its commands were checked above
    work = _scratch_checkout(tmp_path)
    env = _env(tmp_path)
    # The database the README's first `tracker` makes (the app: not runnable here): created and
    # seeded from assets.csv the same way, since no other command creates one (issue 10).
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from tracker.cli.common import Context; import os;"
            " Context(os.environ['TRACKER_DB'], None, seed=True, create=True).db",
        ],
        cwd=work,
        env=env,
        check=True,
        timeout=120,
    )
    for line in lines:
        r = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", line.text],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, f"{line.where()}\nexit {r.returncode}\n{r.stdout}{r.stderr}"


def _scratch_checkout(tmp_path: Path) -> Path:
    """A folder that looks like the clone (its files linked) where commands write their output."""
    work = tmp_path / "clone"
    work.mkdir()
    for entry in REPO.iterdir():
        if entry.name not in (".git", ".venv") and not entry.name.endswith(("db", "-wal", "-shm")):
            (work / entry.name).symlink_to(entry)
    return work


def _env(tmp_path: Path) -> dict[str, str]:
    """The installed commands first on PATH, `python3` the test's interpreter, no SSH settings."""
    shims = tmp_path / "bin"
    shims.mkdir()
    for name in ("python", "python3"):
        (shims / name).symlink_to(sys.executable)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TRACKER_", "SSH_")) and k != "VIRTUAL_ENV"
    }
    env["PATH"] = os.pathsep.join([str(shims), str(Path(sys.executable).parent), env["PATH"]])
    env["HOME"] = str(tmp_path / "home")
    env["TRACKER_DB"] = str(tmp_path / "clone" / "tracker.db")
    env["TRACKER_STATION"] = "docs-test"
    env["TRACKER_OPERATOR"] = "docs-test"
    return env


def test_links_resolve() -> None:
    """Relative links point at files that exist, and #anchors at headings in them."""
    problems = []
    for f in DOCS:
        for target in _LINK.findall(_prose(f)):
            if re.match(r"^[a-z]+:", target):
                continue  # http:, https:, mailto:
            name, _, anchor = target.partition("#")
            dest = (f.parent / name).resolve() if name else f
            if not dest.exists():
                problems.append(f"{f.relative_to(REPO)}: ({target}): no such file")
            elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
                problems.append(f"{f.relative_to(REPO)}: ({target}): no such heading")
    assert not problems, "\n".join(problems)


def _anchors(path: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, -1 for repeats."""
    anchors: set[str] = set()
    counts: dict[str, int] = {}
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", _prose(path), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        n = counts.get(slug, 0)
        counts[slug] = n + 1
        anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


_PATH_PREFIXES = ("tracker/", "kiosk_agent/", "tests/", "bench/", "docs/", ".ci/")
_FILE_NAMES = re.compile(r"\.(db|prom|known_hosts|toml|pyz|json|html|csv|pdf|png|svg)$")


def test_paths_and_modules_named_exist() -> None:
    """`tracker/fleet/` and `tracker.fleet.check_kiosks` in the docs name real things."""
    problems = []
    for f in DOCS:
        for span in _CODE_SPAN.findall(_prose(f)):
            span = span.strip()
            if " " in span or "<" in span:
                continue
            if span.startswith(_PATH_PREFIXES) and not list(REPO.glob(span.rstrip("/"))):
                problems.append(f"{f.relative_to(REPO)}: `{span}`: no such path")
            elif _is_dotted_name(span) and not _resolves(span):
                problems.append(f"{f.relative_to(REPO)}: `{span}`: no such module or name")
    for line in LINES:
        for path in classify(line).paths:
            if not list(REPO.glob(path)):
                problems.append(f"{line.where()}: no such path {path}")
    assert not problems, "\n".join(problems)


def _is_dotted_name(span: str) -> bool:
    """`tracker.fleet.checks` is a name to resolve; `tracker.db` is a file name."""
    return bool(re.fullmatch(r"(tracker|kiosk_agent)(\.\w+)+", span)) and not _FILE_NAMES.search(
        span
    )


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def test_forced_command_is_the_one_the_sshd_tests_use() -> None:
    """The kiosk's forced command in the docs is the script tests/sshd.py installs, verbatim."""
    from sshd import DISPATCH_SH

    text = (REPO / "docs" / "kiosk-checks.md").read_text(encoding="utf-8")
    expected = DISPATCH_SH.replace("SFTP_SERVER", "/usr/lib/openssh/sftp-server")
    shown = "\n".join(line.strip() for line in text.splitlines())
    assert "\n".join(line.strip() for line in expected.splitlines()) in shown


def test_install_lines_name_real_extras() -> None:
    """`pip install -e '.[test]'` names an extra that pyproject.toml defines."""
    import tomllib

    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for line in LINES:
        for extra in re.findall(r"\.\[(\w+)\]", line.text):
            assert extra in extras, f"{line.where()}: no extra [{extra}] in pyproject.toml"
