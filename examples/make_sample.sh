#!/usr/bin/env bash
# Regenerates examples/standup.mp3, the sample meeting the README runs on.
# Needs espeak-ng and sox (Debian packages) and the project installed (PyAV encodes the MP3: Debian's sox has
# no MP3 writer and ffmpeg may be missing). Two synthetic voices take turns, with short pauses. The wording is
# paced so both the default Whisper base and tiny.en transcribe the action items cleanly: without the comma's
# pause base hears "crash by Friday" as "crash I Friday" (and "before Friday" as "for Friday").
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
i=0
say() {  # say VOICE TEXT
  i=$((i + 1))
  espeak-ng -v "$1" -s 150 -w "$tmp/$(printf %02d $i).wav" "$2"
  sox "$tmp/$(printf %02d $i).wav" -r 16000 -c 1 "$tmp/$(printf %02d $i)p.wav" pad 0 0.7
}
say en-us+m3 "Good morning everyone. This is the weekly planning meeting for the mobile app release."
say en-us+f2 "Thanks. The login bug is fixed, but the payment screen still crashes on older phones."
say en-us+m3 "Can you look into the payment crash before the release?"
say en-us+f2 "Yes. I will fix the payment crash, by Friday."
say en-us+m3 "Great. Priya, please send the release notes to the design team by Thursday."
say en-us+f2 "Sure. How big is the marketing budget for the launch?"
say en-us+m3 "I will check the marketing budget with finance and get back to you next week."
say en-us+f2 "Should we schedule a follow up meeting with the sales team?"
say en-us+m3 "Yes, let's meet with the sales team on Monday to discuss the launch plan."
say en-us+f2 "Sounds good. I am happy with the progress on the release."
sox "$tmp"/*p.wav "$tmp/standup.wav"
python3 - "$tmp/standup.wav" standup.mp3 <<'PY'
"""WAV → 48 kbit/s mono MP3 with PyAV (libmp3lame), the FFmpeg libraries the engine decodes with."""
import sys

import av

with av.open(sys.argv[1]) as source, av.open(sys.argv[2], mode="w", format="mp3") as target:
    stream = target.add_stream("libmp3lame", rate=16000, layout="mono")
    stream.bit_rate = 48000
    resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=16000)
    for frame in source.decode(audio=0):
        for out in resampler.resample(frame):
            target.mux(stream.encode(out))
    for out in resampler.resample(None):
        target.mux(stream.encode(out))
    target.mux(stream.encode(None))
PY
