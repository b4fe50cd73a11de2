"""Benchmark of the offline engine: speed and memory on long recordings, WER and DER on the eval clips.

    python bench/engine.py [EVAL_AUDIO_DIR]

- RTF (processing time / audio duration) and peak RSS of `Engine.process` on a ≥ 10-minute and a 60-minute
  recording, each measured in a fresh subprocess (`resource.getrusage(RUSAGE_SELF).ru_maxrss`) so peaks of
  different runs never mix. The recordings are built in a temporary folder: the five eval clips and
  examples/standup.mp3 decoded, joined with 1 s of silence between them, and repeated until long enough.
- WER per clip and pooled on every clip of ../shared/eval/audio, normalised as eval/README.md says, for the
  engine and, in the same run, the bare faster-whisper baseline (same packaged model, int8, beam 5,
  vad_filter=True), so the figures compare like with like on this (shared, noisy) machine.
- DER of `bot.engine.diarize` on the AMI clips against their .rttm, with and without the speaker count.

Writes the tables into bench/README.md under "## Engine (bench/engine.py)".
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
os.environ["HF_HUB_OFFLINE"] = "1"

from metrics import Segment, diarization_error, normalise, read_rttm, word_errors

DEFAULT_AUDIO = REPO.parent / "shared" / "eval" / "audio"
SAMPLE = REPO / "examples" / "standup.mp3"
README = REPO / "bench" / "README.md"
SECTION = "## Engine (bench/engine.py)"
LONG_MINUTES = (10, 60)
COLLAR = 0.25
MAX_DURATION = 4 * 3600.0


# --- measurements, each run in its own process ----------------------------------------------------------


def _seed() -> None:
    """faster-whisper falls back to sampling (temperature > 0) on doubtful segments: without a fixed seed the
    same clip's WER moves by several words between runs (EN2002a: 52–64 errors for the bare model)."""
    import ctranslate2

    if not os.environ.get("BENCH_NO_SEED"):  # --choices' repeatability check runs unseeded, as users do
        ctranslate2.set_random_seed(0)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def worker_engine(media: str, diarize: str) -> dict:
    from bot.engine.core import Engine
    from bot.engine.options import ProcessOptions

    _seed()
    engine = Engine(os.environ.get("SYMBL_ENGINE_MODEL") or None)  # --model, passed to workers by env
    engine.check_ready()  # model load is a one-off per process, not part of a recording's processing
    if os.environ.get("BENCH_DECODING") == "fallback":  # the decoding before issue 10, for --choices
        engine.transcriber.temperature = FALLBACK_TEMPERATURES
        engine.transcriber.no_repeat_ngram_size = 0
    options = ProcessOptions(enable_speaker_diarization=diarize == "1")
    started = time.perf_counter()
    messages = engine.process(
        Path(media),
        options,
        conversation_id="bench",
        start_time=datetime(2024, 1, 1, tzinfo=UTC),
        max_duration_seconds=MAX_DURATION,
    )
    elapsed = time.perf_counter() - started
    speakers = {m.get("from", {}).get("name") for m in messages} - {None}
    text = " ".join(m["text"] for m in messages)
    return {"seconds": elapsed, "text": text, "speakers": len(speakers), "rss_mb": _peak_rss_mb()}


def worker_baseline(media: str) -> dict:
    from faster_whisper import WhisperModel
    from faster_whisper.audio import decode_audio

    from bot.engine.model import resolve_model

    _seed()
    model = WhisperModel(
        str(resolve_model("tiny.en").path), device="cpu", compute_type="int8", cpu_threads=os.cpu_count() or 1
    )
    audio = decode_audio(media)
    started = time.perf_counter()
    segments, _ = model.transcribe(audio, language="en", beam_size=5, vad_filter=True)
    text = " ".join(s.text for s in segments)
    return {"seconds": time.perf_counter() - started, "text": text, "rss_mb": _peak_rss_mb()}


def worker_diarize(media: str, count: str) -> dict:
    from faster_whisper.audio import decode_audio

    from bot.engine.diarize import diarize

    audio = decode_audio(media)
    started = time.perf_counter()
    turns = diarize(audio, num_speakers=int(count) or None)
    return {
        "seconds": time.perf_counter() - started,
        "turns": [[t.start, t.end, t.speaker] for t in turns],
        "rss_mb": _peak_rss_mb(),
    }


WORKERS = {"engine": worker_engine, "baseline": worker_baseline, "diarize": worker_diarize}


def measure(kind: str, *args: str) -> dict:
    """Run one measurement in a fresh interpreter: its peak RSS is its own."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- inputs -------------------------------------------------------------------------------------------


def decode(path: Path) -> np.ndarray:
    from faster_whisper.audio import decode_audio

    return decode_audio(str(path))


def build_long_recording(sources: list[Path], minutes: int, folder: Path) -> tuple[Path, float]:
    """Join the sources (1 s of silence between) and repeat the sequence until `minutes` are reached.

    Written as 16-bit 16 kHz WAV through `wave`, one piece at a time, so building it takes little memory.
    """
    pieces = [(decode(p) * 32767).clip(-32768, 32767).astype(np.int16) for p in sources]
    gap = np.zeros(16000, dtype=np.int16)
    target, written = minutes * 60 * 16000, 0
    path = folder / f"long_{minutes}min.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        while written < target:
            for piece in pieces:
                out.writeframes(piece.tobytes() + gap.tobytes())
                written += len(piece) + len(gap)
    return path, written / 16000


# --- scoring ------------------------------------------------------------------------------------------


def reference_text(clip: Path) -> str:
    """eval/README.md: AMI clips join `utterances_in_time_order`; the others use `reference_text`."""
    meta = json.loads(clip.with_suffix(".json").read_text())
    if "utterances_in_time_order" in meta:
        return " ".join(u["text"] for u in meta["utterances_in_time_order"])
    return meta["reference_text"]


@dataclass
class WerRow:
    clip: str
    reference_words: int
    engine_errors: int
    baseline_errors: int
    engine_seconds: float
    baseline_seconds: float


def wer_rows(clips: list[Path]) -> list[WerRow]:
    rows = []
    for clip in clips:
        reference = normalise(reference_text(clip))
        engine = measure("engine", str(clip), "0")
        baseline = measure("baseline", str(clip))
        rows.append(
            WerRow(
                clip.stem,
                len(reference),
                word_errors(reference, normalise(engine["text"])),
                word_errors(reference, normalise(baseline["text"])),
                engine["seconds"],
                baseline["seconds"],
            )
        )
        print(
            f"  WER {clip.stem}: engine {rows[-1].engine_errors}/{len(reference)}, "
            f"baseline {rows[-1].baseline_errors}/{len(reference)}",
            file=sys.stderr,
        )
    return rows


@dataclass
class DerRow:
    clip: str
    reference_speakers: int
    found_blind: int
    der_blind: float
    der_told: float
    der_told_no_collar: float
    breakdown_told: str
    seconds: float


def der_rows(clips: list[Path]) -> list[DerRow]:
    rows = []
    for clip in clips:
        reference = read_rttm(clip.with_suffix(".rttm"))
        count = len({s.speaker for s in reference})
        blind = measure("diarize", str(clip), "0")
        told = measure("diarize", str(clip), str(count))
        blind_hyp, told_hyp = _segments(blind["turns"]), _segments(told["turns"])
        scored = diarization_error(reference, told_hyp, collar=COLLAR)
        rows.append(
            DerRow(
                clip.stem,
                count,
                len({s.speaker for s in blind_hyp}),
                diarization_error(reference, blind_hyp, collar=COLLAR).der,
                scored.der,
                diarization_error(reference, told_hyp, collar=0.0).der,
                f"{scored.missed / scored.reference_speech:.2f} / "
                f"{scored.false_alarm / scored.reference_speech:.2f} / "
                f"{scored.confusion / scored.reference_speech:.2f}",
                blind["seconds"],
            )
        )
    return rows


def _segments(turns: list[list]) -> list[Segment]:
    return [Segment(start, end, str(speaker)) for start, end, speaker in turns]


# --- long recordings ----------------------------------------------------------------------------------


@dataclass
class SpeedRow:
    recording: str
    duration: float
    what: str
    seconds: float
    rss_mb: float

    @property
    def rtf(self) -> float:
        return self.seconds / self.duration


def speed_rows(clips: list[Path], folder: Path) -> list[SpeedRow]:
    rows = []
    for minutes in LONG_MINUTES:
        path, duration = build_long_recording([*clips, SAMPLE], minutes, folder)
        label = f"{duration / 60:.1f} min"
        runs = [
            ("engine, diarization on", "engine", str(path), "1"),
            ("diarize() alone", "diarize", str(path), "0"),
        ]
        if minutes == LONG_MINUTES[0]:
            runs.insert(0, ("engine, no diarization", "engine", str(path), "0"))
            runs.append(("bare faster-whisper", "baseline", str(path)))
        for what, kind, *args in runs:
            result = measure(kind, *args)
            rows.append(SpeedRow(label, duration, what, result["seconds"], result["rss_mb"]))
            print(
                f"  {label} {what}: RTF {rows[-1].rtf:.3f}, peak RSS {result['rss_mb']:.0f} MB",
                file=sys.stderr,
            )
        path.unlink()
    return rows


# --- report -------------------------------------------------------------------------------------------


def render(speed: list[SpeedRow], wer: list[WerRow], der: list[DerRow]) -> str:
    lines = [
        SECTION,
        "",
        *_targets(speed, wer),
        "",
        *_speed_table(speed),
        "",
        *_wer_table(wer),
        "",
        *_der_table(der),
        "",
        *_notes(),
    ]
    return "\n".join(lines) + "\n"


def _targets(speed: list[SpeedRow], wer: list[WerRow]) -> list[str]:
    engine_runs = [r for r in speed if r.what.startswith("engine")]
    worst_rtf = max(r.rtf for r in engine_runs)
    hour_rss = max(r.rss_mb for r in engine_runs if r.duration >= 3600)
    pooled = sum(r.engine_errors for r in wer) / sum(r.reference_words for r in wer)
    verdict = {True: "met", False: "**missed**"}
    return [
        (
            f"Targets (issue 2): RTF ≤ 0.15 — worst engine run {worst_rtf:.3f}, "
            f"{verdict[worst_rtf <= 0.15]}; peak RSS ≤ 1.5 GB on 60 minutes — {hour_rss / 1024:.2f} GB, "
            f"{verdict[hour_rss <= 1536]}; pooled WER ≤ 0.22 on the eval clips — {pooled:.3f}, "
            f"{verdict[pooled <= 0.22]}."
        )
    ]


def _speed_table(rows: list[SpeedRow]) -> list[str]:
    out = ["| recording | run | seconds | RTF | peak RSS |", "|---|---|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r.recording} | {r.what} | {r.seconds:.1f} | {r.rtf:.3f} | {r.rss_mb:.0f} MB |")
    return out


def _wer_table(rows: list[WerRow]) -> list[str]:
    out = [
        "| clip | ref. words | engine WER | baseline WER | engine s | baseline s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r.clip} | {r.reference_words} | {r.engine_errors / r.reference_words:.3f} | "
            f"{r.baseline_errors / r.reference_words:.3f} | {r.engine_seconds:.1f} | "
            f"{r.baseline_seconds:.1f} |"
        )
    words = sum(r.reference_words for r in rows)
    engine, baseline = sum(r.engine_errors for r in rows), sum(r.baseline_errors for r in rows)
    ratio = f"{engine / baseline:.2f}" if baseline else "–"
    out.append(f"| **pooled** | {words} | **{engine / words:.3f}** | {baseline / words:.3f} | | |")
    out.append("")
    out.append(
        f"Pooled WER: engine {engine / words:.3f}, bare baseline {baseline / words:.3f} "
        f"(engine / baseline = {ratio}). Target ≤ 0.22."
    )
    return out


def _der_table(rows: list[DerRow]) -> list[str]:
    out = [
        (
            "| AMI clip | ref. speakers | found (count not given) | DER, count not given | DER, count given "
            "| same, no collar | miss / FA / confusion (given) | diarize s |"
        ),
        "|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r.clip} | {r.reference_speakers} | {r.found_blind} | {r.der_blind:.3f} | {r.der_told:.3f} | "
            f"{r.der_told_no_collar:.3f} | {r.breakdown_told} | {r.seconds:.2f} |"
        )
    return out


def _notes() -> list[str]:
    return [
        (
            f"RTF = processing seconds / audio seconds, model already loaded; peak RSS = the measuring "
            f"process's `ru_maxrss` (fresh process per row, model included). Long recordings: the 5 eval "
            f"clips and examples/standup.mp3, decoded and joined with 1 s of silence, repeated to ≥ 10 and ≥ "
            f"60 minutes (16 kHz WAV built by the script). WER: eval/README.md normalisation, pooled over "
            f"all reference words; baseline = bare faster-whisper, same packaged tiny.en, int8, beam 5, "
            f"vad_filter=True, same run; CTranslate2's random seed fixed at 0 in both (its temperature "
            f"fallback samples). DER = (missed + false alarm + confusion) / reference speech, 10 ms grid, "
            f"optimal one-to-one speaker mapping (Hungarian), overlapped reference speech counted per "
            f"speaker (our turns never overlap, so overlap is always partly missed), {COLLAR} s collar "
            f"around reference boundaries unless said. 2 CPU cores shared with other engineers' jobs: "
            f"timings are noisy (±20 % between runs is usual)."
        ),
    ]


def write_section(section: str, title: str = SECTION) -> None:
    """Replace (or append) bench/README.md's section headed `title` with `section`."""
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    start = text.find(title)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        following = text.find("\n## ", start + len(title))
        text = text[:start] + section + (text[following + 1 :] if following >= 0 else "")
    README.write_text(text)


# faster-whisper's default: retry a doubtful segment by sampling at rising temperatures.
FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
CHOICES_SECTION = "## Engine: model and decoding choices (bench/engine.py --choices)"
CHOICES = (
    ("tiny.en", "fallback"),
    ("tiny.en", "deterministic"),
    ("base", "fallback"),
    ("base", "deterministic"),
)


def choice_rows(clips: list[Path]) -> list[tuple[str, str, int, int, float, float]]:
    """(model, decoding, reference words, errors, seconds, audio seconds) pooled over the clips, per
    choice."""
    references = {clip: normalise(reference_text(clip)) for clip in clips}
    audio_seconds = sum(len(decode(clip)) / 16000 for clip in clips)
    rows = []
    for model, decoding in CHOICES:
        errors = seconds = 0.0
        for clip in clips:
            os.environ["SYMBL_ENGINE_MODEL"], os.environ["BENCH_DECODING"] = model, decoding
            result = measure("engine", str(clip), "0")
            errors += word_errors(references[clip], normalise(result["text"]))
            seconds += result["seconds"]
        words = sum(len(r) for r in references.values())
        rows.append((model, decoding, words, int(errors), seconds, audio_seconds))
        print(f"  {model} {decoding}: WER {errors / words:.3f}, {seconds:.1f} s", file=sys.stderr)
    return rows


def render_choices(rows, repeat_same: dict[str, bool]) -> str:
    tiny_greedy = next(r for r in rows if r[:2] == ("tiny.en", "deterministic"))
    out = [
        CHOICES_SECTION,
        "",
        "`python bench/engine.py --choices` — the engine (`Engine.process`, no diarization) on every clip of "
        "`shared/eval/audio`, each clip in a fresh process with the model loaded beforehand, all rows in one "
        "run on this shared 2-core machine. *fallback*: faster-whisper's default temperatures 0…1 (samples "
        "on doubtful segments; seeded here), as the engine decoded before issue 10; *deterministic*: "
        "temperature 0 (beam 5) with no fallback and no repeated 4-gram, what the engine now uses.",
        "",
        "| model | decoding | pooled WER | seconds (5 clips) | RTF | time vs tiny.en deterministic | same "
        "text twice |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for model, decoding, words, errors, seconds, audio in rows:
        same = repeat_same.get(f"{model} {decoding}")
        out.append(
            f"| {model} | {decoding} | {errors / words:.3f} | {seconds:.1f} | {seconds / audio:.3f} | "
            f"{seconds / tiny_greedy[4]:.2f}× | {'yes' if same else 'no' if same is not None else '–'} |"
        )
    out += [
        "",
        "'same text twice': the EN2002a clip transcribed twice in two fresh processes *without* the "
        "bench's fixed seed gives the same words. base runs without languageCode, so it detects the language "
        "as users get it. The machine is shared with other work while measured: compare rows of one run "
        "(the ratio column), not seconds across runs.",
        "",
    ]
    return "\n".join(out)


def repeatability(clip: Path) -> dict[str, bool]:
    same = {}
    for model, decoding in CHOICES:
        os.environ["SYMBL_ENGINE_MODEL"], os.environ["BENCH_DECODING"] = model, decoding
        os.environ["BENCH_NO_SEED"] = "1"
        texts = {measure("engine", str(clip), "0")["text"] for _ in range(2)}
        os.environ.pop("BENCH_NO_SEED")
        same[f"{model} {decoding}"] = len(texts) == 1
    return same


def main(argv: list[str]) -> None:
    if argv[:1] == ["--worker"]:  # internal: one measurement in a fresh process (see measure_in_subprocess)
        print(json.dumps(WORKERS[argv[1]](*argv[2:])))
        return
    parser = argparse.ArgumentParser(description="Engine speed, memory, WER and DER; writes bench/README.md.")
    parser.add_argument(
        "audio_dir",
        nargs="?",
        type=Path,
        default=DEFAULT_AUDIO,
        help="folder of eval clips (*.flac with .txt/.json/.rttm references)",
    )
    parser.add_argument(
        "--model", help="packaged model name (tiny.en, base) or a model folder for the engine rows"
    )
    parser.add_argument(
        "--choices",
        action="store_true",
        help="only WER and time of tiny.en vs base, sampling fallback vs deterministic decoding",
    )
    args = parser.parse_args(argv)
    if args.choices:
        clips = sorted(args.audio_dir.glob("*.flac"))
        rows = choice_rows(clips)
        ami = next(c for c in clips if "EN2002a" in c.name)
        section = render_choices(rows, repeatability(ami))
        print(section)
        write_section(section, CHOICES_SECTION)
        return
    if args.model:
        os.environ["SYMBL_ENGINE_MODEL"] = args.model
    clips = sorted(args.audio_dir.glob("*.flac"))
    if not clips:
        parser.error(f"no *.flac clips in {args.audio_dir}")
    print("WER …", file=sys.stderr)
    wer = wer_rows(clips)
    print("DER …", file=sys.stderr)
    der = der_rows([c for c in clips if c.with_suffix(".rttm").exists()])
    print("long recordings …", file=sys.stderr)
    with tempfile.TemporaryDirectory() as folder:
        speed = speed_rows(clips, Path(folder))
    section = render(speed, wer, der)
    print(section)
    write_section(section)


if __name__ == "__main__":
    main(sys.argv[1:])
