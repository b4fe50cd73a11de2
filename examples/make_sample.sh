#!/usr/bin/env bash
# Regenerates examples/standup.mp3, the sample meeting the README runs on.
# Needs espeak-ng, sox and ffmpeg (Debian packages). Two synthetic voices take turns, with short pauses.
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
say en-us+f2 "Yes. I will fix the payment crash by Friday."
say en-us+m3 "Great. Priya, please send the release notes to the design team by Thursday."
say en-us+f2 "Sure. How big is the marketing budget for the launch?"
say en-us+m3 "I will check the marketing budget with finance and get back to you next week."
say en-us+f2 "Should we schedule a follow up meeting with the sales team?"
say en-us+m3 "Yes, let's meet with the sales team on Monday to discuss the launch plan."
say en-us+f2 "Sounds good. I am happy with the progress on the release."
sox "$tmp"/*p.wav "$tmp/standup.wav"
ffmpeg -loglevel error -y -i "$tmp/standup.wav" -b:a 48k standup.mp3
