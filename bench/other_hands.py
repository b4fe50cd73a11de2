"""The note on meetings written by other hands, scored like the workplace set by the shipped models.

    python bench/other_hands.py [--no-readme]

bench/other_hands/ holds meetings in the workplace set's format, written for this project by writers who
never saw shared/eval/workplace, the code or each other's meetings (its README says how they are used). The
folders differ in how far they were used: `tuned/` was read while fixing rules, `regressions/` only to find
what a change made worse, `untouched/` never: its figures are the ones on meetings nobody tuned for. The
shipped models are fitted on none of them (shared/eval alone). The
table goes into bench/README.md under "## Meetings written by other hands (bench/other_hands.py)".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import workplace  # noqa: E402
import workplace_eval as wev  # noqa: E402

from bot.engine.insights import extract_insights  # noqa: E402

FOLDERS = REPO / "bench" / "other_hands"
SECTION = "## Meetings written by other hands (bench/other_hands.py)"
HOW_READ = {
    "tuned": "read while fixing rules",
    "regressions": "read only to find what a change made worse",
    "untouched": "never read",
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-readme", action="store_true", help="print only; leave bench/README.md alone")
    args = parser.parse_args(argv[1:])
    extract_insights([], reference_time=wev.REFERENCE_TIME)  # warm-up
    rows, seconds, hours = [], 0.0, 0.0
    for name in HOW_READ:
        folder = FOLDERS / name
        if not folder.is_dir():
            continue
        results, spent = workplace.score_all(workplace.HeldOut(), folder=folder)
        seconds += spent
        hours += sum(r.meeting.hours for r in results)
        clean = [r for r in results if not r.meeting.speech_style]
        speech = [r for r in results if r.meeting.speech_style]
        rows += workplace.rows(results, f"{name}/ ({HOW_READ[name]})")
        rows += workplace.rows(clean, f"{name}/ clean (typed)") + workplace.rows(
            speech, f"{name}/ speech style"
        )
    text = (
        "Meetings written for this project by other writers (bench/other_hands/README.md), scored by the "
        "shipped models, which were fitted on none of them. "
        "`python bench/other_hands.py`:\n\n"
        + "\n".join([workplace.HEADER, *rows])
        + f"\n\nExtraction: {seconds / max(hours, 1e-9):.2f} s per hour of transcript at 6 s a line (these "
        "writers' turns are longer than the workplace set's, so the hour is underestimated). Columns as in "
        "the workplace table above."
    )
    print(text)
    if not args.no_readme:
        import insights as bench_insights

        bench_insights.write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
