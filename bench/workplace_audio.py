"""The workplace meetings spoken by espeak-ng, through `symbl-bot process --json`, scored like the text.

    python bench/workplace_audio.py [--meetings N] [--model tiny.en|base] [--shipped] [--members]

Each meeting of shared/eval/workplace is spoken line by line with the voice its file names (as
examples/make_sample.sh speaks the sample: espeak-ng at 150 words a minute, 0.7 s between turns, 16 kHz
mono), then transcribed, diarized (`--speakers` = the meeting's speaker count) and named by the real CLI, with
no speaker names given (`--members`: the meeting's people given as `--member`, as the Slack bot gives the
channel's members). Audio and the CLI's JSON are cached in bench/out/workplace_audio/ (delete it to redo).

The note's action items are then extracted again from the CLI's own messages with the models fitted without
that meeting (`--shipped`: the CLI's note as is, from the shipped models, which saw these meetings' text), and
scored by the workplace README's rule next to the naive regex on the same recognised text. Owners by name:
found items whose assignee is the gold owner (a "Speaker 2" owner never is).
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import metrics  # noqa: E402
import workplace_eval as wev  # noqa: E402

from bot.engine.insights import extract_insights, speech_text  # noqa: E402
from bot.engine.speaker_names import GENERIC_LABEL  # noqa: E402

OUT = REPO / "bench" / "out" / "workplace_audio"
SECTION = "## Workplace meetings from audio (bench/workplace_audio.py)"
MEMBERS_SECTION = (
    "## Workplace meetings from audio, people's names given (bench/workplace_audio.py --members)"
)


def speak(meeting_path: Path, wav: Path) -> None:
    """The meeting as one 16 kHz mono WAV: each line in its speaker's espeak-ng voice, 0.7 s apart.

    A line in speech-recogniser style is spoken as meant, with its contractions restored: read as written,
    espeak-ng says "ill ask the friends" with the adjective "ill", which Whisper writes "He'll ask the
    friends"; "im" takes the vowel of "him" and "wont" that of "want". Nobody in the meeting said them so."""
    raw = json.loads(meeting_path.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        parts = []
        for index, line in enumerate(raw["lines"]):
            said, padded = Path(tmp, f"{index:03d}.wav"), Path(tmp, f"{index:03d}p.wav")
            voice = raw["voices"][line["speaker"]]
            text = speech_text.normalise(line["text"])
            subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(said), text], check=True)
            subprocess.run(
                ["sox", str(said), "-r", "16000", "-c", "1", str(padded), "pad", "0", "0.7"], check=True
            )
            parts.append(str(padded))
        subprocess.run(["sox", *parts, str(wav)], check=True)


def transcribe(wav: Path, speakers: int, model: str, out: Path, members: list[str]) -> float:
    """`symbl-bot process WAV --json` into `out`; returns the seconds it took."""
    started = time.perf_counter()
    given = [arg for name in members for arg in ("--member", name)]
    result = subprocess.run(
        [str(Path(sys.executable).parent / "symbl-bot"), "process", str(wav), "--json",
         "--speakers", str(speakers), "--model", model, *given],
        check=True,
        capture_output=True,
        text=True,
    )  # fmt: skip
    out.write_text(result.stdout)
    return time.perf_counter() - started


def named_by_gold(messages: list[dict], lines: list[dict]) -> list[dict]:
    """`messages` with each voice named after the gold speaker of most of its words (the recognised words
    aligned to the script's): how far owners by name could go if every voice were named right."""

    def words(text: str) -> list[str]:
        return re.findall(r"[a-z0-9']+", wev.fold(text))

    said = [(word, line["speaker"]) for line in lines for word in words(line["text"])]
    heard = [(word, index) for index, m in enumerate(messages) for word in words(m["text"])]
    aligned = difflib.SequenceMatcher(None, [w for w, _ in said], [w for w, _ in heard], autojunk=False)
    by_voice: dict[str, Counter] = {}
    for a, b, size in aligned.get_matching_blocks():
        for k in range(size):
            voice = (messages[heard[b + k][1]].get("from") or {}).get("name")
            by_voice.setdefault(voice, Counter())[said[a + k][1]] += 1
    name = {voice: counts.most_common(1)[0][0] for voice, counts in by_voice.items()}
    return [{**m, "from": {"name": name.get((m.get("from") or {}).get("name"), "")}} for m in messages]


def keywords_heard(messages: list[dict], gold_items: list[dict]) -> int:
    """Gold items one of whose keywords the recogniser wrote somewhere in the meeting (apostrophes aside)."""

    def plain(text: str) -> str:
        return re.sub(r"[^a-z0-9 ]", "", wev.fold(text))

    heard = plain(" ".join(m["text"] for m in messages))
    return sum(1 for item in gold_items if any(plain(k) in heard for k in item["any"]))


def audio_seconds(wav: Path) -> float:
    info = subprocess.run(["soxi", "-D", str(wav)], check=True, capture_output=True, text=True)
    return float(info.stdout.strip())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=0, help="only the first N meetings (default: all)")
    parser.add_argument("--model", default="base", help="speech model for the CLI (default: base)")
    parser.add_argument("--shipped", action="store_true", help="score the CLI's own note (shipped models)")
    parser.add_argument("--members", action="store_true", help="give the CLI the meeting's people's names")
    parser.add_argument(
        "--oracle-names",
        action="store_true",
        help="print only: owners by name with every voice named after its gold speaker (most of its words)",
    )
    parser.add_argument("--no-readme", action="store_true", help="print only")
    args = parser.parse_args(argv[1:])
    args.no_readme = args.no_readme or args.oracle_names
    paths = wev.meeting_paths()[: args.meetings or None]
    OUT.mkdir(parents=True, exist_ok=True)
    models = {}
    if not args.shipped:
        import train_actions

        models = train_actions.workplace_held_out_models()
    totals, base, audio, spent = wev.Counts(), wev.Counts(), 0.0, 0.0
    kept, errors, words = 0, 0, 0
    rows = []
    for path in paths:
        meeting = wev.load(path)
        given = ".members" if args.members else ""
        wav, answer = OUT / f"{path.stem}.wav", OUT / f"{path.stem}.{args.model}{given}.json"
        if not wav.exists():
            speak(path, wav)
        people = list(json.loads(path.read_text())["voices"])
        if not answer.exists():
            spent += transcribe(wav, len(people), args.model, answer, people if args.members else [])
        audio += audio_seconds(wav)
        note = json.loads(answer.read_text())
        messages = note["messages"]
        if args.oracle_names:
            messages = named_by_gold(messages, json.loads(path.read_text())["lines"])
        if args.shipped:
            items = note["actionItems"]
        else:
            found = extract_insights(
                messages, reference_time=wev.REFERENCE_TIME, action_model=models[meeting.meeting_id]
            )
            items = found.action_items
        counts = wev.score_items(wev.listed_action_items(items), meeting.gold["action_items"])
        recognised = wev.WorkplaceMeeting(meeting.meeting_id, True, messages, meeting.gold, meeting.kind)
        base_counts = wev.score_items(wev.baseline_items(recognised), meeting.gold["action_items"])
        totals, base = totals + counts, base + base_counts
        kept += keywords_heard(messages, meeting.gold["action_items"])
        script = metrics.normalise(" ".join(line["text"] for line in json.loads(path.read_text())["lines"]))
        errors += metrics.word_errors(script, metrics.normalise(" ".join(m["text"] for m in messages)))
        words += len(script)
        voices = {(m.get("from") or {}).get("name") for m in messages} - {None}
        named = len([v for v in voices if not GENERIC_LABEL.match(v)])
        rows.append(
            f"| {meeting.meeting_id} | {counts.gold} | {counts.recall:.2f} | {counts.precision:.2f} "
            f"({counts.listed}) | {counts.owners_right}/{counts.found} | {base_counts.recall:.2f} | "
            f"{base_counts.precision:.2f} ({base_counts.listed}) | {named}/{len(voices)} |"
        )
    how = "the CLI's own note (shipped models)" if args.shipped else "models fitted without the meeting"
    table = "\n".join(
        [
            "| meeting | gold AI | recall | precision (listed) | owners by name | regex recall | regex prec. "
            "(listed) | voices named |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            f"| **all {len(paths)}** | {totals.gold} | **{totals.recall:.2f}** | **{totals.precision:.2f}** "
            f"({totals.listed}) | **{totals.owners_right / max(1, totals.found):.2f}** | {base.recall:.2f} | "
            f"{base.precision:.2f} ({base.listed}) | |",
        ]
    )
    text = (
        f"`python bench/workplace_audio.py --model {args.model}{' --members' if args.members else ''}`: "
        f"{len(paths)} workplace meetings spoken by espeak-ng ({audio / 60:.0f} min of audio), transcribed "
        f"and diarized by `symbl-bot process --json --speakers N --model {args.model}"
        f"{' --member NAME…' if args.members else ''}`, action items from {how}. Owners by name: found "
        f"items whose assignee is the gold owner; voices named: voices the CLI gave a name, of those it told "
        f"apart. Transcription this run: {spent:.0f} s (cached meetings excluded). Gold items with a keyword "
        f"still in the recognised text (the most any note of it can find by the scoring rule): {kept} of "
        f"{totals.gold} ({kept / max(1, totals.gold):.2f}); word error rate against the script "
        f"{errors / max(1, words):.2f}.\n\n"
        f"{table}"
    )
    print(text)
    if not args.no_readme:
        import insights as bench_insights

        bench_insights.write_section(MEMBERS_SECTION if args.members else SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
