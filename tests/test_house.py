"""Rules of the house that no other test would notice breaking.

- Every test asserts something: an ``assert``, a ``pytest.raises``/``pytest.warns``/``pytest.fail``,
  or a call to a helper that asserts (its name starts with ``assert``, ``check`` or ``expect``,
  or it is a function of the test suite that asserts itself, such as ``ok``).
- No file speaks of the project's history by issue number or commit hash.
- Every ``custify-api.md §N`` pointer names a section of docs/custify-api.md.
"""

from __future__ import annotations

import ast
import bisect
import functools
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
API_DOC = ROOT / "docs" / "custify-api.md"
HELPER_PREFIXES = ("assert", "check", "expect")
PYTEST_VERDICTS = {"raises", "warns", "fail", "deprecated_call"}


@functools.cache
def _tracked_files() -> list[Path]:
    """The repository's files (git's view where there is one; else every file on disk)."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True, text=True).stdout  # fmt: skip
        files = [ROOT / name for name in out.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        files = [p for p in ROOT.rglob("*") if p.is_file() and ".venv" not in p.parts]
    return [p for p in files if p.is_file()]


def _texts(files: list[Path]) -> Iterator[tuple[Path, str]]:
    for path in files:
        text = _text(path)
        if text is not None:
            yield path, text


@functools.cache
def _text(path: Path) -> str | None:
    if path.suffix in {".duckdb", ".sqlite3", ".png", ".gz", ".parquet"}:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None


# -- every test asserts ------------------------------------------------------------------------


def _called_name(call: ast.Call) -> str:
    """``f`` of ``f()``, ``x.f()`` and of a dispatch table's ``f[key]()``."""
    func = call.func
    if isinstance(func, ast.Subscript):
        func = func.value
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _callable_name(value: ast.expr) -> str:
    """The helper a dispatch table's value stands for: ``f``, ``f(...)``, ``**{k: f(...)}``."""
    if isinstance(value, ast.DictComp):
        return _callable_name(value.value)
    if isinstance(value, ast.Call):
        return _called_name(value)
    return value.id if isinstance(value, ast.Name) else ""


def _tables(tree: ast.Module) -> dict[str, set[str]]:
    """Module-level dicts of callables: their names and the helpers their values name."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and node.value.values:
            names = {_callable_name(v) for v in node.value.values}
            found |= {t.id: names for t in node.targets if isinstance(t, ast.Name)}
    return found


def _summary(fn: ast.AST) -> tuple[bool, set[str]]:
    """Whether ``fn`` asserts by itself (an ``assert``, a pytest verdict, an ``assert*``/
    ``check*``/``expect*`` call), and the names it calls."""
    direct, calls = False, set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Assert):
            direct = True
        elif isinstance(node, ast.Call):
            name = _called_name(node)
            calls.add(name)
            verdict = (name in PYTEST_VERDICTS and isinstance(node.func, ast.Attribute)
                       and isinstance(node.func.value, ast.Name) and node.func.value.id == "pytest")  # fmt: skip
            direct = direct or verdict or name.startswith(HELPER_PREFIXES)
    return direct, calls


def _functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _suite() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(), str(path)) for path in sorted(TESTS.rglob("*.py"))}


def assertionless_tests(suite: dict[Path, ast.Module]) -> list[str]:
    """``path::name`` of every test function that asserts nothing.

    A helper of the suite counts as asserting when its body asserts, directly or through
    another such helper, and a dispatch table when all its values do (names are matched across
    the suite: a fixpoint over the call graph).
    """
    helpers = [(fn.name, *_summary(fn)) for tree in suite.values() for fn in _functions(tree)
               if not fn.name.startswith("test")]  # fmt: skip
    tables = {name: values for tree in suite.values() for name, values in _tables(tree).items()}
    asserting = {name for name, direct, _ in helpers if direct}
    while True:
        grown = {name for name, _, calls in helpers if calls & asserting}
        grown |= {name for name, values in tables.items() if values <= asserting}
        if grown <= asserting:
            break
        asserting |= grown
    found = []
    for path, tree in suite.items():
        if not path.name.startswith("test_"):
            continue
        for fn in _functions(tree):
            direct, calls = _summary(fn)
            if fn.name.startswith("test") and not (direct or calls & asserting):
                found.append(f"{path.relative_to(ROOT)}::{fn.name}")
    return found


def test_every_test_asserts_an_outcome() -> None:
    assert assertionless_tests(_suite()) == []


def test_the_assertion_check_sees_a_test_without_one() -> None:
    tree = ast.parse(
        "def helper(x):\n    assert x\n\n"
        "def wrapped(x):\n    helper(x)\n\n"
        "def test_silent():\n    print(1)\n\n"
        "def test_through_helpers():\n    wrapped(1)\n\n"
        "def test_raises():\n    with pytest.raises(ValueError):\n        int('x')\n\n"
        "def test_named():\n    assert_same(1, 1)\n\n"
        "CASES = {'a': helper}\n\n"
        "def test_table():\n    CASES['a'](1)\n"
    )
    assert assertionless_tests({TESTS / "test_example.py": tree}) == [
        "tests/test_example.py::test_silent"
    ]


# -- no history by issue number or commit hash ---------------------------------------------------

#: ``issue 12``, ``issue #12``, ``issues 3 and 4``, ``PR #7``, and a bare ``#12`` that is not an
#: HTML entity (``&#0;``), a colour or part of a word
ISSUE = re.compile(r"\b(?:issues?|pr|pull request)\s*#?\d+\b|(?<![&\w#])#\d+\b", re.IGNORECASE)
#: a hash introduced as one (``commit 3b24697``, ``in abc1234``-style is caught by the git check)
COMMIT_WORD = re.compile(r"\bcommit\s+[0-9a-f]{7,40}\b", re.IGNORECASE)
HEX = re.compile(r"(?<![0-9a-zA-Z_])[0-9a-f]{7,40}(?![0-9a-zA-Z_])")


def _commits() -> list[str]:
    try:
        out = subprocess.run(["git", "rev-list", "--all"], cwd=ROOT, capture_output=True,
                             check=True, text=True).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return []
    return sorted(out.split())


def _names_a_commit(token: str, commits: list[str]) -> bool:
    at = bisect.bisect_left(commits, token)
    return at < len(commits) and commits[at].startswith(token)


def _history_mentions() -> list[str]:
    commits = _commits()
    files = [p for p in _tracked_files() if p != Path(__file__).resolve()  # its own examples
             and not p.relative_to(ROOT).as_posix().startswith("bench/results/")]  # fmt: skip
    found = []
    for path, text in _texts(files):
        rel = path.relative_to(ROOT)
        for number, line in enumerate(text.splitlines(), 1):
            hits = ISSUE.findall(line) + COMMIT_WORD.findall(line)
            hits += [t for t in HEX.findall(line) if _names_a_commit(t, commits)]
            found += [f"{rel}:{number}: {hit}" for hit in hits]
    return found


def test_no_file_names_an_issue_or_a_commit() -> None:
    assert _history_mentions() == []


@pytest.mark.parametrize(
    ("line", "hit"),
    [("fixed in issue 12", True), ("see #345 for why", True), ("PR #7 moved it", True),
     ("'&amp;&lt;&#0;'", False), ("color: #fff", False), ("a 24-hex id 5b9f95d838ab5e09b8ed66cb",
     False), ("step 4 of §17", False)],
)  # fmt: skip
def test_the_issue_pattern(line: str, hit: bool) -> None:
    assert bool(ISSUE.search(line)) is hit


# -- pointers into docs/custify-api.md -------------------------------------------------------------

#: a pointer: the file's name, then the section references that follow it in the same phrase
POINTER = re.compile(r"custify-api\.md((?:[^)\n]|\n\s*[#*]*\s*){0,80})")
SECTION_REF = re.compile(r"§+\s*(\d+(?:\.\d+)?)")
#: the registry's own form: "DOC §2" / "INF §1.7" (models/facts.py)
TAGGED_REF = re.compile(r"\b(?:DOC|INF) §(\d+(?:\.\d+)?)")
HEADING = re.compile(r"^#{2,4}\s+§?(\d+(?:\.\d+)?)[.\s]", re.MULTILINE)


ITEM = re.compile(r"^(\d+)\. ")


def api_doc_sections() -> set[str]:
    """The headings' numbers, and ``N.k`` for item ``k`` of a numbered list in section N
    (the quirks of §18 are cited as §18.2)."""
    sections, current = set(), ""
    for line in API_DOC.read_text().splitlines():
        heading = HEADING.match(line + " ")
        if heading:
            current = heading.group(1).split(".")[0]
            sections.add(heading.group(1))
        elif current and (item := ITEM.match(line)):
            sections.add(f"{current}.{item.group(1)}")
    return sections


def _registry_doc_refs() -> list[tuple[str, str]]:
    """Sections the registry's ``doc=`` texts cite (shown as ``custify-api.md <doc>`` in dbt)."""
    found = []
    for path in sorted((ROOT / "models").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.keyword) and node.arg == "doc"):
                continue
            text = node.value.value if isinstance(node.value, ast.Constant) else None
            if isinstance(text, str):
                found += [(str(path.relative_to(ROOT)), ref) for ref in SECTION_REF.findall(text)]
    return found


def api_doc_pointers() -> list[tuple[str, str]]:
    """``(where, section)`` for every section a file names in docs/custify-api.md."""
    found = []
    for path, text in _texts(_tracked_files()):
        rel = path.relative_to(ROOT)
        if rel == API_DOC.relative_to(ROOT) or rel.as_posix().startswith("bench/results/"):
            continue
        refs = [m for p in POINTER.finditer(text) for m in SECTION_REF.findall(p.group(1))]
        refs += TAGGED_REF.findall(text)
        found += [(str(rel), ref) for ref in refs]
    return found + _registry_doc_refs()


def test_the_api_doc_has_its_sections() -> None:
    sections = api_doc_sections()
    assert {str(n) for n in range(20)} <= sections
    assert {f"1.{n}" for n in range(1, 10)} <= sections


def test_every_pointer_names_a_section_of_the_api_doc() -> None:
    pointers = api_doc_pointers()
    assert pointers, "the pattern found no pointer at all"
    sections = api_doc_sections()
    assert sorted({p for p in pointers if p[1] not in sections}) == []


@pytest.mark.parametrize(
    ("text", "refs"),
    [("see custify-api.md §1.7, §17 step 4.", ["1.7", "17"]),
     ("(custify-api.md §2–§6, §11)", ["2", "6", "11"]),
     ("compares (custify-api.md\n    §1.5) and more §9", ["1.5"])],
)  # fmt: skip
def test_the_pointer_pattern(text: str, refs: list[str]) -> None:
    assert [r for p in POINTER.finditer(text) for r in SECTION_REF.findall(p.group(1))] == refs


def test_the_api_facts_are_pointed_at_inside_the_repository() -> None:
    outside = re.compile(r"(?<![\w/])(?:\.\./)*shared/(?:custify-api|design)\.md")
    found = [f"{path.relative_to(ROOT)}:{n}" for path, text in _texts(_tracked_files())
             for n, line in enumerate(text.splitlines(), 1) if outside.search(line)]  # fmt: skip
    assert found == []
