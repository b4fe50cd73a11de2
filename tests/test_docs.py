"""The README documents every environment variable bot/config.py reads and every `symbl-bot` command."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import click

from bot.cli import main
from bot.config import Settings
from tests.engine_api_support import ScriptedEngine, running_engine

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def configuration_table() -> str:
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("|"))


def test_every_environment_variable_is_in_the_configuration_table():
    source = (ROOT / "bot" / "config.py").read_text()
    names = set(re.findall(r"""(?:get\(|env\.get\(|_int\(env, |_float\(env, )"([A-Z][A-Z0-9_]+)\"""", source))
    assert {"SLACK_BOT_TOKEN", "SYMBL_BOT_RETENTION_DAYS", "PORT"} <= names  # the scan works
    table = configuration_table()
    missing = sorted(n for n in names if f"`{n}`" not in table)
    assert not missing, f"add these variables to README.md's configuration table: {missing}"


def test_every_command_is_in_the_readme():
    def commands(group: click.Group, prefix: str) -> list[str]:
        found = []
        for name, command in group.commands.items():
            found.append(f"{prefix} {name}")
            if isinstance(command, click.Group):
                found += commands(command, f"{prefix} {name}")
        return found

    missing = [c for c in commands(main, "symbl-bot") if c not in README]
    assert not missing, f"document these commands in README.md: {missing}"


def test_the_readme_starts_with_the_two_setup_commands():
    blocks = re.findall(r"```sh\n(.*?)```", README, re.DOTALL)
    assert blocks[0].strip() == "pip install . && symbl-bot process examples/standup.mp3"
    assert blocks[1].strip() == (
        "pip install -e '.[test]' && pip install --no-deps symbl==2.0.6 symbl-rest==1.0.14 && pytest"
    )


def test_the_engine_walk_through_runs_as_shown(tmp_path):
    """The README's curl block, pasted into bash from the checkout, against a running engine server: every id
    comes from a previous answer (a second run gets new ids and still works)."""
    block = README.split("Walk-through", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    with running_engine(Settings(data_dir=tmp_path / "data"), ScriptedEngine()) as server:
        script = block.replace("http://127.0.0.1:8800", server.url)
        runs = [
            subprocess.run(
                ["bash", "-euo", "pipefail", "-c", script],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
            )
            for _ in range(2)
        ]
    submitted = []
    for run in runs:
        assert run.returncode == 0, run.stderr
        lines = [line for line in run.stdout.splitlines() if line.strip()]
        assert len(lines) == 4, run.stdout
        submitted.append(json.loads(lines[0]))
        assert json.loads(lines[1])["id"] == submitted[-1]["jobId"]
        assert json.loads(lines[2])["topics"], lines[2]
        assert json.loads(lines[3])["message"].startswith("Missing x-api-key header")
    assert submitted[0]["conversationId"] != submitted[1]["conversationId"]


def test_the_text_api_block_runs_as_shown(tmp_path):
    """The Text API block after the walk-through, with the walk-through's TOKEN line before it: no hard-coded
    conversation id (a pasted id was a 404 for everyone else)."""
    walk_through = README.split("Walk-through", 1)[1].split("```sh\n", 1)[1]
    token_line = walk_through.split("\n\n", 1)[0]
    block = README.split("A transcript you already have goes to the Text API", 1)[1]
    block = block.split("```sh\n", 1)[1].split("```", 1)[0]
    with running_engine(Settings(data_dir=tmp_path / "data"), ScriptedEngine()) as server:
        script = f"{token_line}\n{block}".replace("http://127.0.0.1:8800", server.url)
        run = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
    assert run.returncode == 0, run.stderr
    submitted, summary = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    assert set(submitted) == {"conversationId", "jobId"}
    assert "Marco will send" in summary["summary"][0]["text"]


def test_every_relative_link_in_the_readme_resolves():
    """The README links only to files in the repository (the API contract was a link to ../shared/)."""
    targets = re.findall(r"\]\(([^)\s]+)\)", README)
    relative = [t.split("#", 1)[0] for t in targets if not re.match(r"[a-z]+:|#", t)]
    assert "docs/symbl-async-api.md" in relative  # the scan works
    missing = [
        t for t in relative if not (ROOT / t).resolve().is_relative_to(ROOT) or not (ROOT / t).exists()
    ]
    assert missing == [], missing
