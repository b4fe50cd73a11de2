"""`symbl-bot`: the command line. Every failure ends as one `Error: …` line and exit status 1
(click.ClickException), never a traceback; `symbl-bot --verbose …` prints the traceback too."""

from __future__ import annotations

import traceback

import click
from dotenv import find_dotenv, load_dotenv

from bot import __version__
from bot.cli.jobs import jobs as jobs_group
from bot.errors import BotError

HELP_WIDTH = 100  # click's default of 80 cut the options' help into short ragged lines


class _Cli(click.Group):
    """The group, plus: whatever a subcommand raises is click's one `Error: …` line, exit status 1.

    A `BotError` says what went wrong in its `user_message` (a bad setting, a port in use, Slack refusing the
    token); anything else is a bug, named by its class so that it can be reported.
    """

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise  # click's own ends: already one line, or a clean exit / Ctrl-C
        except Exception as err:  # noqa: BLE001 — the CLI's promise: one line for any failure
            if ctx.meta.get("verbose"):
                traceback.print_exc()
            message = err.user_message if isinstance(err, BotError) else _unexpected(err)
            raise click.ClickException(message) from None


def _unexpected(err: Exception) -> str:
    return f"unexpected {type(err).__name__}: {err} (symbl-bot --verbose … shows where)"


@click.group(
    cls=_Cli,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": HELP_WIDTH},
)
@click.version_option(__version__, prog_name="symbl-bot")
@click.option("--verbose", "-v", is_flag=True, help="On an error, print its traceback too.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Meeting recordings → summaries: offline engine, Symbl-compatible API server and Slack bot."""
    ctx.meta["verbose"] = verbose
    # The working directory's .env (searched upwards from it). A bare load_dotenv() searches from this file's
    # folder instead, which only finds the checkout's .env after an editable install.
    load_dotenv(find_dotenv(usecwd=True))


@main.command(short_help="Transcribe and summarise one recording or transcript, offline.")
@click.argument("source")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the conversation as one Symbl-shaped JSON object."
)
@click.option("--name", help="Meeting name (default: the file name).")
@click.option("--diarize/--no-diarize", default=True, show_default=True, help="Tell speakers apart.")
@click.option("--speakers", type=click.IntRange(1, 20), help="Expected number of speakers (with --diarize).")
@click.option(
    "--member",
    "members",
    multiple=True,
    metavar="'NAME [<EMAIL>]'",
    help="Someone who may speak (repeat for each): voices are named from how people address each other, "
    "and a name the speech model mishears ('Matias' for Mateus) is still recognised. With an e-mail "
    "('Priya Shah <priya@example.com>'), the note's owners carry it.",
)
@click.option("--model", help="Packaged model name (tiny.en, base) or a local faster-whisper model folder.")
@click.option(
    "--language",
    default=None,
    help="BCP-47 code of the language spoken, e.g. de-DE (default: detected from the speech). A given "
    "language is forced on the transcription; when the speech clearly sounds like another one, the note says "
    "so first (the transcript is then garbled or empty). tiny.en knows English only.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def process(source, as_json, name, diarize, speakers, members, model, language, quiet):
    """Transcribe and summarise a recording (a file PATH or an http(s) URL) offline.

    Prints topics, action items, follow-ups, questions, speakers and overall sentiment. The language is
    detected unless --language gives it. Summary, topics, action items, questions and sentiment are made for
    English only: for another language the note says so and prints the transcript instead.
    """
    from bot.cli.process import run_process

    run_process(
        source,
        as_json=as_json,
        name=name,
        diarize=diarize,
        speakers=speakers,
        members=members,
        model=model,
        language=language,
        show_progress=not quiet,
    )


@main.command(short_help="Serve the offline engine as a Symbl-compatible API.")
@click.option("--host", default=None, help="Address to bind (default SYMBL_ENGINE_HOST or 127.0.0.1).")
@click.option(
    "--port", type=int, default=None, help="Port (default SYMBL_ENGINE_PORT or 8800; 0 picks a free one)."
)
@click.option(
    "--workers",
    type=click.IntRange(0, 64),
    default=None,
    help="Parallel jobs (default SYMBL_ENGINE_WORKERS or 1); 0: an API node only, its jobs run by "
    "`engine-worker` processes on the shared SYMBL_ENGINE_DATABASE_URL.",
)
def engine(host, port, workers):
    """Serve the offline engine as a Symbl-compatible Async API (token, process, append, job, conversations).

    Binding anything but loopback requires SYMBL_ENGINE_APP_ID and SYMBL_ENGINE_APP_SECRET.
    """
    from bot.cli.engine import run_engine

    run_engine(host=host, port=port, workers=workers)


@main.command("engine-worker", short_help="Run engine transcription workers alone, without the API.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Parallel jobs (default SYMBL_ENGINE_WORKERS or 1).",
)
@click.option(
    "--device",
    type=click.Choice(["cpu", "cuda"]),
    default="cpu",
    show_default=True,
    help="Where the speech model runs: cuda needs a GPU CTranslate2 can see.",
)
def engine_worker(workers, device):
    """Run only the engine's transcription workers: they claim jobs from SYMBL_ENGINE_DATABASE_URL
    (PostgreSQL, shared with the API nodes and other workers, on any machines) and need the same media
    (SYMBL_ENGINE_MEDIA_URL). Stops on SIGTERM or Ctrl-C, handing its running jobs back.
    """
    from bot.cli.engine import run_engine_worker

    run_engine_worker(workers=workers, device=device)


@main.command(short_help="Run the Slack bot (Socket Mode or HTTP).")
@click.option(
    "--port", type=int, default=None, help="HTTP port (default PORT or 3000); unused in Socket Mode."
)
@click.option(
    "--mode",
    type=click.Choice(["auto", "http", "socket"]),
    default="auto",
    show_default=True,
    help="auto: Socket Mode when SLACK_APP_TOKEN is set; http/socket force one (the Procfile's lines).",
)
def serve(port, mode):
    """Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP at /slack/events.

    Uses the Symbl API when SYMBL_APP_ID/SYMBL_APP_SECRET are set, else starts the offline engine on loopback.
    """
    from bot.cli.serve import run_serve

    run_serve(port=port, mode=mode)


@main.command(short_help="Run the background alone, without a web server.")
def worker():
    """Run the background alone, without a web server: claim recordings and step them, housekeeping.

    With SYMBL_BOT_DATABASE_URL (PostgreSQL) any number of workers, on any machines, share the work beside
    `serve`'s own; see the README's "Running on several machines". Stops on SIGTERM or Ctrl-C.
    """
    from bot.cli.serve import run_worker

    run_worker()


@main.command(short_help="Check tokens, scopes, speech model and database.")
def doctor():
    """Check the Slack tokens and scopes, the speech model (or Symbl host), and the database; say what to fix.

    Exit status 1 when something is wrong.
    """
    from bot.cli.doctor import run_doctor

    run_doctor()


main.add_command(jobs_group)
