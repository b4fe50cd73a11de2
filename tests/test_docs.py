"""The README documents every environment variable bot/config.py reads and every `symbl-bot` command."""

from __future__ import annotations

import re
from pathlib import Path

import click

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def configuration_table() -> str:
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("|"))


def test_every_environment_variable_is_in_the_configuration_table():
    source = (ROOT / "bot" / "config.py").read_text()
    names = set(re.findall(r"""(?:get\(|env\.get\(|_int\(env, )"([A-Z][A-Z0-9_]+)\"""", source))
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
    assert blocks[1].strip() == ("pip install -e '.[test]' && pip install --no-deps symbl==2.0.6 "
                                 "symbl-rest==1.0.14 && pytest")
