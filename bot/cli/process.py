"""`symbl-bot process`: one recording through the offline engine, summary on stdout, progress on stderr."""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from bot.cli.report import render_text
from bot.config import Settings
from bot.data_dir import make_private
from bot.engine.core import Engine, process_recording
from bot.engine.decode import probe
from bot.engine.input_identity import conversation_id_for, start_time_of
from bot.engine.options import ProcessOptions
from bot.engine.speaker_names import KnownPerson
from bot.engine.text_messages import process_transcript_file
from bot.net import download
from bot.transcript_import import transcript_kind

NAME_AND_EMAIL = re.compile(r"^\s*(?P<name>\S.*?)\s*<(?P<email>[^<>@\s]+@[^<>@\s]+)>\s*$")
STAGE_SPAN = {"decoding": (0, 8), "transcribing": (8, 90), "diarizing": (90, 100)}


def run_process(
    source: str,
    *,
    as_json: bool,
    name: str | None,
    diarize: bool,
    speakers: int | None,
    members: tuple[str, ...],
    model: str | None,
    language: str | None,
    show_progress: bool,
) -> None:
    settings = Settings.from_env()
    make_private(settings.data_dir)  # the speech model and the engine's files are assembled there
    options = ProcessOptions(
        name=name or _default_name(source),
        language_code=language,
        enable_speaker_diarization=diarize,
        diarization_speaker_count=speakers,
        members=tuple(_known_person(member) for member in members if member.strip()),
    )
    engine = Engine(model or settings.engine_model, cache_dir=settings.model_cache_dir)
    # Failures end as one `Error:` line in the click group (bot.cli._Cli), BotErrors with their user_message.
    with tempfile.TemporaryDirectory(prefix="symbl-bot-") as tmp:
        path = _local_path(source, Path(tmp), settings)
        # Derived from the input, not drawn at random: the same file gives the same note (issue 10).
        conversation_id = conversation_id_for(path, options, model=model or settings.engine_model)
        start_time = start_time_of(path)
        kind = transcript_kind(path.name)
        duration = None
        if kind:  # a transcript goes the Text API's way: no speech-to-text
            conversation = process_transcript_file(
                path, kind, options, conversation_id=conversation_id, start_time=start_time
            )
        else:
            duration = probe(path, max_duration_seconds=settings.max_duration_seconds).duration  # fail fast
            with _progress_bar(show_progress) as progress:
                conversation = process_recording(
                    path,
                    options,
                    engine=engine,
                    max_duration_seconds=settings.max_duration_seconds,
                    progress=progress,
                    conversation_id=conversation_id,
                    start_time=start_time,
                )
    if as_json:
        click.echo(json.dumps(conversation, indent=2))
    else:
        click.echo(render_text(conversation, title=options.name, duration=duration))


def _known_person(member: str) -> KnownPerson:
    """'Priya Shah <priya@example.com>' (as an e-mail client writes an address) or 'Priya Shah'."""
    address = NAME_AND_EMAIL.match(member)
    if address is None:
        return KnownPerson(member.strip())
    return KnownPerson(address.group("name"), address.group("email"))


def _default_name(source: str) -> str:
    return Path(urlsplit(source).path).name or source


def _local_path(source: str, tmp: Path, settings: Settings) -> Path:
    if urlsplit(source).scheme in ("http", "https"):
        suffix = Path(urlsplit(source).path).suffix[:8]
        return download(
            source,
            tmp / f"download{suffix}",
            max_bytes=settings.max_file_bytes,
            deadline=settings.download_deadline_seconds,
            allow_private=settings.allow_private_urls,
        ).path
    if "://" in source:
        raise click.ClickException("Only local files and http(s) URLs can be processed.")
    path = Path(source)
    if path.is_dir():
        raise click.ClickException(f"{source} is a folder: give one recording or transcript file in it.")
    if not path.is_file():
        raise click.ClickException(f"{source}: no such file.")
    if path.stat().st_size > settings.max_file_bytes:
        raise click.ClickException(
            f"{path.name} is larger than the {settings.max_file_bytes / 1024**2:,.0f} MB limit."
        )
    return path


class _progress_bar:
    """A click progress bar on stderr driven by the engine's (stage, fraction) reports."""

    def __init__(self, enabled: bool):
        # A bar only makes sense on a terminal; in logs and pipes stderr keeps just the one-line errors.
        self.enabled = enabled and sys.stderr.isatty()
        self._bar: Any = None  # click's ProgressBar while shown
        self._shown = 0

    def __enter__(self):
        if self.enabled:
            self._bar = click.progressbar(
                length=100, label="decoding", file=sys.stderr, show_eta=False, width=30
            )
            self._bar.__enter__()
        return self

    def __call__(self, stage: str, fraction: float) -> None:
        if not self._bar:
            return
        lo, hi = STAGE_SPAN.get(stage, (0, 100))
        target = int(lo + (hi - lo) * max(0.0, min(1.0, fraction)))
        self._bar.label = stage
        if target > self._shown:
            self._bar.update(target - self._shown)
            self._shown = target

    def __exit__(self, *exc):
        if self._bar:
            if exc[0] is None:
                self(next(reversed(STAGE_SPAN)), 1.0)
            self._bar.__exit__(*exc)
        return False
