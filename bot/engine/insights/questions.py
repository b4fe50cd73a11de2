"""Information-seeking questions, without the tags and backchannels that end in a question mark."""

from __future__ import annotations

import re

from .people import People
from .text import as_sentence, insight_id, remove_fillers, split_sentences

WH_START = re.compile(r"^(?:so |and |but |okay |ok |well |now |then )*(?:what|why|how|when|where|who|whom|whose|which)\b",
                      re.IGNORECASE)
AUX_START = re.compile(
    r"^(?:so |and |but |okay |ok |well |now |then )*(?:do|does|did|is|are|was|were|can|could|should|shall|would|will|"
    r"have|has|had|may|might|am|isn't|aren't|don't|doesn't|didn't|won't|can't|shouldn't)\s+"
    r"(?:i|you|we|they|he|she|it|there|this|that|these|those|the|a|an|anyone|anybody|everyone|somebody|someone)\b",
    re.IGNORECASE,
)
# Tags that turn a statement into a question only in form ("…, right?"); the speaker is not asking.
TAG_ONLY = re.compile(
    r"^(?:right|okay|ok|yeah|yes|no|you know|isn't it|is it|don't you think|really|sorry|pardon|what|huh|correct|"
    r"alright|all right|see|true|sure|yeah right|or not|hello|anyone|anybody|you see|are you|am i|innit)\W*$",
    re.IGNORECASE,
)
TRAILING_TAG = re.compile(
    r",\s*(?:right|okay|ok|yeah|you know|isn't it|don't you think|no|correct|yes|huh|innit|aren't they|isn't that right)\s*\?$",
    re.IGNORECASE,
)
MIN_WORDS = 3


def question_score(sentence: str) -> float:
    """0 for non-questions; higher for explicit interrogatives, lower for declarative or tag questions."""
    words = sentence.split()
    asks = sentence.rstrip().endswith("?")
    if TAG_ONLY.match(sentence) or len(words) < MIN_WORDS:
        return 0.0
    interrogative = WH_START.match(sentence) or AUX_START.match(sentence)
    if not asks:
        # Without a question mark (speech-to-text may drop it) only a long interrogative is trusted.
        return 0.55 if interrogative and len(words) >= 5 else 0.0
    if TRAILING_TAG.search(sentence):
        return 0.4
    score = 0.9 if interrogative else 0.6
    return score - (0.1 if len(words) == MIN_WORDS else 0.0)


def find_questions(messages: list[dict], people: People, threshold: float) -> list[dict]:
    questions = []
    for message in messages:
        for sentence in split_sentences(str(message.get("text") or "")):
            cleaned = remove_fillers(sentence)
            score = question_score(cleaned)
            if score > 0 and score >= threshold:
                questions.append(_question(message, people, _as_question(cleaned), score))
    return questions


def _as_question(sentence: str) -> str:
    return as_sentence(sentence.rstrip(" ,.;:!?") + "?")


def _question(message: dict, people: People, text: str, score: float) -> dict:
    message_ids = [str(message.get("id"))]
    speaker = people.speaker_of(message)
    return {
        "id": insight_id("question", text, message_ids),
        "text": text,
        "type": "question",
        "score": round(score, 3),
        "messageIds": message_ids,
        "from": speaker.from_payload() if speaker else {},
    }
