"""Pure renderers: insights → Block Kit and text (`summary`), transcripts → text (`transcripts`). No I/O."""
