"""Cost of crafted inputs against ordinary inputs of the same size (issue 21's probe figures, as a bench).

    python bench/poison.py [--messages 4000] [--txt-bytes 1280000]

Each row runs a crafted input and an ordinary one of (about) the same size through the same code and
prints the CPU time of each (`time.process_time`, this process only) and their ratio; the goal is a ratio
of at most 2×. Each side runs in a fresh child process, so caches warmed by one never help the other.

- `.txt` continuation: "Ann: hi" then one long utterance of wrapped lines, against "Name: text" lines of
  alternating speakers (`bot.transcript_import.parse_transcript`);
- all-new-speakers Text API body: every message from a different person, against four people taking turns,
  the same words (`process_text`: parsing, speakers and every insight);
- many short sentences: messages of 2,000 characters of "Ok. Ok. …", against messages of ordinary
  sentences of the same length (`process_text`);
- long title: a 4,096-character name of `&` (5 × as long escaped; a link's last path segment can be that
  long) stored as recordings store names, then a `/symbl topics` answer and a summary rendered under it,
  against a name of letters, 2,000 times. (Before the fix the crafted side never ended.)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NAMES = ("Priya Patel", "Marco Rossi", "Sam Lee", "Ann Chen")
SENTENCE = "Marco, can you send the release notes to the team by Friday? I think we should ship then."


def txt(kind: str, size: int) -> str:
    if kind == "crafted":
        return "Ann: hi\n" + "and then the next point of the long wrapped paragraph\n" * (size // 54)
    lines = [
        f"{NAMES[i % 4].split()[0]}: and then the next point of the paragraph" for i in range(size // 54)
    ]
    return "\n".join(lines)


def speakers_body(kind: str, n: int) -> list[dict]:
    return [
        {
            "payload": {"content": SENTENCE},
            "from": {"name": f"Person{i:05d} Lastname" if kind == "crafted" else NAMES[i % 4]},
        }
        for i in range(n)
    ]


def sentences_body(kind: str, n: int) -> list[dict]:
    """n / 10 messages of 2,000 characters: ~150 sentences of two or three words each, or ~22 ordinary
    ones."""
    unit = "We ship. Sam agrees. Fine. Notes late. " if kind == "crafted" else SENTENCE + " "
    content = (unit * (2000 // len(unit) + 1))[:2000].strip()
    return [{"payload": {"content": content}, "from": {"name": NAMES[i % 4]}} for i in range(max(1, n // 10))]


def run(case: str, kind: str, args: argparse.Namespace) -> dict:
    """One side of one row, in this process: its size and CPU seconds."""
    if case == "txt":
        from bot.transcript_import import parse_transcript

        text = txt(kind, args.txt_bytes)
        began = time.process_time()
        parse_transcript(text, "txt", start_time=START)
        return {"size": f"{len(text.encode()):,} B", "cpu": time.process_time() - began}
    if case in ("speakers", "sentences"):
        from bot.engine.options import ProcessOptions
        from bot.engine.text_messages import parse_text_messages, process_text

        body = (speakers_body if case == "speakers" else sentences_body)(kind, args.messages)
        size = len(json.dumps({"messages": body}).encode())
        began = time.process_time()
        process_text(parse_text_messages(body), ProcessOptions(), conversation_id="1", start_time=START)
        return {"size": f"{size:,} B", "cpu": time.process_time() - began}
    if case == "title":
        from bot.slack.render.summary import escape, render_summary
        from bot.slack.replies import answer
        from storage.recordings import clip_name
        from tests.support.symbl import INSIGHTS

        name = "&" * 4096 if kind == "crafted" else "x" * 4096
        lines = ["• " + str(t["text"]) for t in INSIGHTS["topics"]]
        began = time.process_time()
        for _ in range(2000):
            title = clip_name(name) or ""  # as a recording's name is stored
            answer(f"Topics — {escape(title)}", lines)
            render_summary(INSIGHTS, title=title, recording_id=1, conversation_id="c1")
        return {"size": f"{len(name):,} chars", "cpu": time.process_time() - began}
    raise ValueError(case)


CASES = {
    "txt": ".txt continuation lines",
    "speakers": "Text API: every message a new speaker",
    "sentences": "Text API: many short sentences",
    "title": "long title (stored, topics answer + summary) ×2000",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=4000, help="messages per Text API body")
    parser.add_argument("--txt-bytes", type=int, default=1_280_000, help="size of the .txt transcripts")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "KIND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(*args.child, args)))
        return
    print("| input | size (crafted) | crafted CPU s | ordinary CPU s | ratio | goal ≤ 2× |")
    print("|---|---|---|---|---|---|")
    for case, label in CASES.items():
        sides = {}
        for kind in ("crafted", "ordinary"):
            command = [sys.executable, __file__, "--child", case, kind]
            command += ["--messages", str(args.messages), "--txt-bytes", str(args.txt_bytes)]
            out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO)
            sides[kind] = json.loads(out.stdout.strip().splitlines()[-1])
        ratio = sides["crafted"]["cpu"] / max(sides["ordinary"]["cpu"], 1e-9)
        print(
            f"| {label} | {sides['crafted']['size']} | {sides['crafted']['cpu']:.2f} | "
            f"{sides['ordinary']['cpu']:.2f} | {ratio:.2f}× | {'yes' if ratio <= 2 else 'NO'} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
