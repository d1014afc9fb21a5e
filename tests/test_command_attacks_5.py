"""Bypasses of the command check (issue 17) found by a fifth adversarial review: curl's URL
globbing names the output file (`-o "#1"`), SSLKEYLOGFILE makes curl write, and listing commands
that change refs. Each failed before its fix; lines are only ever judged here, never run."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.attacks import MATH, W1, scratch_clone, verdict


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scratch_clone(tmp_path_factory.mktemp("attacks5"))


@pytest.mark.parametrize("line", [
    'curl "https://example.com/{.git/hooks/pre-push,x}" --head -o "#1"',
    'curl "https://example.com/{policy.yaml,x}" --head -o "#1"',
    f'curl "https://example.com/{{{MATH}/lesson.py,x}}" --head -o "#1" --create-dirs',
    "SSLKEYLOGFILE=.git/config curl https://example.com --head",
])
def test_curl_writes_a_file_the_text_does_not_fix(clone: Path, line: str) -> None:
    assert verdict(clone, W1, line) != "allow"


@pytest.mark.parametrize("line", ["git branch -f main HEAD", "git branch -D main", "git branch -m main",
                                  "git branch --set-upstream-to=origin/main", "git branch --edit-description",
                                  "python3 -m pytest --pastebin=all"])
def test_listing_commands_that_change_refs_or_upload_ask(clone: Path, line: str) -> None:
    """Round 5 (low): `git branch` moving, deleting or renaming refs, writing .git/config or starting
    an editor, and pytest uploading its output, came under the allowed prefixes."""
    assert verdict(clone, W1, line) == "ask"
