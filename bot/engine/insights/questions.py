"""Information-seeking questions, without the tags and backchannels that end in a question mark.

Which sentences are questions is decided by a small logistic model (`question_weights`, fitted by
`bench/fit_questions.py` on the elicit dialogue acts of the AMI/ICSI training meetings) over the cues below:
a question mark alone is not enough (AMI/ICSI annotators call a quarter of "?" units statements).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from . import question_weights
from .people import TITLE, People
from .text import (
    as_sentence,
    capitalise_first,
    content_words,
    insight_id,
    remove_fillers,
    split_sentences,
    stem,
    words,
)
from .vocabulary import CALENDAR_WORDS, STOPWORDS

WH_START = re.compile(
    r"^(?:so |and |but |okay |ok |well |now |then )*(?:what|why|how|when|where|who|whom|whose|which)\b",
    re.IGNORECASE,
)
AUX_START = re.compile(
    r"^(?:so |and |but |okay |ok |well |now |then )*(?:do|does|did|is|are|was|were|can|could|should|shall|"
    r"would|will|have|has|had|may|might|am|isn't|aren't|don't|doesn't|didn't|won't|can't|shouldn't)\s+(?:i|"
    r"you|we|they|he|she|it|there|this|that|these|those|the|a|an|anyone|anybody|everyone|somebody|someone)\b",
    re.IGNORECASE,
)
# Tags that turn a statement into a question only in form ("…, right?"); the speaker is not asking.
TAG_ONLY = re.compile(
    r"^(?:right|okay|ok|yeah|yes|no|you know|isn't it|is it|don't you think|really|sorry|pardon|what|huh|"
    r"correct|alright|all right|see|true|sure|yeah right|or not|hello|anyone|anybody|you see|are you|am i|"
    r"innit)\W*$",
    re.IGNORECASE,
)
TRAILING_TAG = re.compile(
    r",\s*(?:right|okay|ok|yeah|you know|isn't it|don't you think|no|correct|yes|huh|innit|aren't they|"
    r"isn't that right)\s*\?$",
    re.IGNORECASE,
)
INNER_WH = re.compile(r"\b(?:what|how|why|which|who|where|when)\b", re.IGNORECASE)
_TOKEN = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class Context:
    """What the turn-taking says about a sentence: does someone else speak next, was the turn before a
    question."""

    other_speaks_next: bool = False
    after_question: bool = False


# A note lists what was asked: "Okay?", "Sorry?" or "How?" ask for a reply but name no question.
MIN_WORDS = 3
# Words a one- or two-word question can hold and still name nothing ("Really?", "Seriously?", "Tomorrow?").
NAMES_NOTHING = CALENDAR_WORDS | frozenset(
    [
        "okay",
        "ok",
        "sorry",
        "really",
        "seriously",
        "pardon",
        "right",
        "yeah",
        "yes",
        "no",
        "sure",
        "true",
        "honestly",
        "anyone",
        "anything",
        "else",
        "more",
        "thoughts",
        "questions",
        "everyone",
        "everybody",
    ]
)
# A wh-word, an inverted auxiliary (or "'s") and a subject: the syntax of a question.
INTERROGATIVE = re.compile(
    r"^(?:(?:so|and|but|okay|ok|well|now|then|yes|yeah|sorry|also)\b[,.]?\s+)*(?:what|who|how|when|where|why|"
    r"which)(?:'s|s|\s+(?:is|are|was|were|do|does|did|can|could|should|shall|will|would|have|has))\s+\w+",
    re.IGNORECASE,
)
# Elliptical follow-ups ("How long?", "How many?", "Which one?") ask about what was just said: listed with
# what they ask about, they are questions a note can carry.
ELLIPTICAL = re.compile(
    r"^(?:(?:so|and|okay|ok|sorry|wait)\b[,.]?\s+)?(?:how (?:long|many|much|often|soon|quickly|fast|far|big|"
    r"bad|late|early|expensive|dark|old|close)|which ones?|what time|what date|what day|by when)\s*\??$",
    re.IGNORECASE,
)


# Taking the floor or tending the call, not asking: "Can I raise something?", "Priya, you want to start?",
# "Can you hear me?", "Am I on mute?", "Hey, how's it going?".
TAKES_THE_FLOOR = re.compile(
    r"^(?:(?:so|and|but|okay|ok|well|now|then|also|oh|hey|hi|hello)\b[,.]?\s+)*(?:\w[\w'-]*,\s+)?(?:"
    r"(?:can|could|may) i (?:raise|add|start|jump in|be blunt|be honest|talk about|say something|just)\b|"
    r"(?:do )?you want to (?:start|go first|kick off|take us through)\b|"
    r"(?:can|could) (?:you|everyone|everybody|you all) (?:hear|see) (?:me|us|my screen)\b|am i (?:on )?mute|"
    r"how are you(?: doing)?\W*$|how(?:'s| is) it going|how was your (?:weekend|week|holiday|break|trip)|"
    r"you know what i mean)",
    re.IGNORECASE,
)


def is_candidate(sentence: str) -> bool:
    """Sentences the model judges: a question mark, or an interrogative opening (speech-to-text drops "?"),
    of at least MIN_WORDS words and not a bare tag ("right?", "you know?")."""
    if len(sentence.split()) < MIN_WORDS or TAG_ONLY.match(sentence):
        return False
    return sentence.rstrip().endswith("?") or bool(WH_START.match(sentence) or AUX_START.match(sentence))


def features(raw: str, context: Context = Context()) -> dict[str, float]:
    """The question model's features of one sentence as said (`raw`, fillers and all)."""
    raw = raw.strip()
    cleaned = remove_fillers(raw)
    tokens = _TOKEN.findall(cleaned.lower())
    found = {
        "qmark": raw.endswith("?"),
        "length=" + _length_bin(len(tokens)): True,
        "first=" + (tokens[0] if tokens else ""): True,
        "last=" + (tokens[-1] if tokens else ""): True,
        "wh": bool(WH_START.match(cleaned)),
        "aux": bool(AUX_START.match(cleaned)),
        "tag_only": bool(TAG_ONLY.match(cleaned)),
        "trailing_tag": bool(TRAILING_TAG.search(cleaned)),
        "inner_wh": bool(INNER_WH.search(cleaned)),
        "filler": raw.lower() != cleaned.lower(),
        "you": "you" in tokens,
        "other_speaks_next": context.other_speaks_next,
        "after_question": context.after_question,
    }
    if len(tokens) > 1:
        found[f"first2={tokens[0]} {tokens[1]}"] = True
    return {name: 1.0 for name, on in found.items() if on}


def _length_bin(count: int) -> str:
    for limit, name in ((1, "1"), (2, "2"), (4, "3-4"), (8, "5-8"), (15, "9-15")):
        if count <= limit:
            return name
    return "16+"


def question_probability(raw: str, context: Context = Context()) -> float:
    """P(a person asks something here) by the logistic model in `question_weights` (0 for non-candidates)."""
    if not is_candidate(remove_fillers(raw.strip())):
        return 0.0
    weights = question_weights.WEIGHTS
    logit = question_weights.INTERCEPT + sum(
        weights.get(name, 0.0) * value for name, value in features(raw, context).items()
    )
    return 1.0 / (1.0 + math.exp(-logit))


def question_score(raw: str, context: Context = Context()) -> float:
    """The probability rescaled so that the model's chosen threshold is 0.5, the API's default confidence.

    A wh-word with an inverted auxiliary and a subject, asked with a "?" ("When could you have it?", "Who's
    the exec sponsor?"), is a question by its syntax; the model, fitted on design role-plays where "when"
    opened mostly statements, scores some of these low, so they get at least the threshold."""
    p, threshold = question_probability(raw, context), question_weights.THRESHOLD
    score = 0.5 * p / threshold if p < threshold else 0.5 + 0.5 * (p - threshold) / (1.0 - threshold)
    sentence = remove_fillers(raw.strip())
    if p > 0 and sentence.endswith("?") and INTERROGATIVE.match(sentence):
        return max(score, 0.5)
    return score


# Where a question starts inside a run-on turn of speech-recogniser text ("ok so the lease whos on that",
# "this is ridiculous can you push them"): an inverted auxiliary, or a wh-word with its verb. A modal or
# "does"/"did" before "that"/"the" is inverted too ("if we switch vendors would that change the price"): in
# a statement the subject comes first ("that would change"). "Is that"/"is the" opens a question only after a
# discourse word ("right ok is that signed off"); after a noun it is a statement ("the risk is the data").
# "How" and a word before an inverted verb and its subject asks a degree ("the rollout how big is the
# risk"); in "how we do it" the subject comes first. The question starts at group "ask" when that matched,
# else at the match.
INNER_QUESTION = re.compile(
    r"\b(?:(?:can|could|would|will|do|does|did|is|are|should|shall)\s+(?:you|we|i|they|anyone|anybody|"
    r"someone|somebody|it|there)\b|(?:what|who|how|when|where|why|which)(?:'s|\s+(?:is|are|do|does|did|can|"
    r"could|should|will|would|was|were))\b|(?:can|could|would|will|does|did|should)\s+(?:that|this|the|"
    r"these|those)\b|how\s+(?!(?:i|you|we|they|it|he|she|the|this|that)\b)\w+\s+"
    r"(?:is|are|was|were|do|does|did|will|would|can)\s+(?:the|that|this|these|those|it|we|you|they|our|your|"
    r"their)\b|(?:ok|okay|so|also|wow|right|well|alright|now)\s+"
    r"(?P<ask>(?:is|are|was|were)\s+(?:that|this|the|these|those)\b))",
    re.IGNORECASE,
)
# Without punctuation these open statements, not questions: a relative "which" carrying on the sentence
# before ("…nine percent which is way over our threshold", unless it offers a choice: "which is better, A or
# B"), and "do it/that/this", an instruction ("do it when he's back").
NOT_ASKED_UNPUNCTUATED = re.compile(
    r"^(?:(?:so|and|but|okay|ok|well|now|then|also)\s+)*(?:which\s+(?:is|was|means|makes)\b(?!.*\bor\b)|"
    r"do\s+(?:it|that|this)\b)",
    re.IGNORECASE,
)
# A question reported rather than asked ("the team wants to know if any of these are from the recall",
# "everyone keeps asking whether they can book online"): still a question the meeting has to answer. Said
# of oneself ("I was wondering if we could…", "we need to know what…") it is a suggestion or a need instead,
# so a first-person subject just before it does not count (see _indirect).
INDIRECT_QUESTION = re.compile(
    r"\b(?:wants|wanted|needs|needed|would like|'d like) to know\s+(?:if|whether|when|what|how|who|why|"
    r"which)\b|\b(?:asking|asked(?: (?:me|us|him|her|them))?)\s+(?:if|whether)\b",
    re.IGNORECASE,
)
_FIRST_PERSON = frozenset(["i", "we", "i'm", "we're", "im", "were"])
# Below this share of turns with sentence punctuation, a transcript is speech-recogniser text: its missing
# "?" says nothing.
PUNCTUATED_SHARE = 0.2


def unpunctuated(messages: list[dict]) -> bool:
    """Speech-recogniser style: almost no turn carries sentence punctuation."""
    punctuated = sum(1 for m in messages if re.search(r"[.?!]", str(m.get("text") or "")))
    return bool(messages) and punctuated < PUNCTUATED_SHARE * len(messages)


def _clauses(sentences: list[str], speech_style: bool) -> list[list[str]]:
    """What may be a question in a turn, sentence by sentence: each sentence, and in speech-recogniser text
    also each stretch from an inner question opening to the sentence's end (shortest last), read with the "?"
    speech-to-text never writes. A sentence's list may be empty (nothing in it is asked)."""
    if not speech_style:
        return [[sentence] for sentence in sentences]
    opens = lambda s: bool(WH_START.match(s) or AUX_START.match(s))  # noqa: E731
    clauses = []
    for sentence in sentences:
        stretches = [sentence] + [sentence[start:].strip() for start in _inner_openings(sentence)]
        stretches = [s for s in stretches if not NOT_ASKED_UNPUNCTUATED.match(remove_fillers(s))]
        clauses.append([s + "?" if opens(s) and not s.endswith("?") else s for s in stretches])
    return clauses


# After its subject an auxiliary is the statement's verb ("that is how we do it every week").
_SUBJECTS = frozenset(["i", "you", "we", "they", "he", "she", "it", "that", "this", "who", "which"])


# "the headline is we hit the target": an auxiliary its next word does not agree with asks nothing.
_DISAGREEING = {
    **dict.fromkeys(
        ["is", "was", "does", "has", "isn't", "wasn't", "doesn't", "hasn't"], {"i", "we", "you", "they"}
    ),
    **dict.fromkeys(
        ["are", "were", "do", "have", "aren't", "weren't", "don't", "haven't"], {"he", "she", "it"}
    ),
}


def _inner_openings(sentence: str) -> list[int]:
    """Where inner questions start (not at the sentence's start: the sentence itself is a candidate)."""
    starts = (m.start("ask") if m.group("ask") else m.start() for m in INNER_QUESTION.finditer(sentence))
    return [
        s
        for s in starts
        if s > 0 and _word_before(sentence, s) not in _SUBJECTS and not _disagrees(sentence[s:])
    ]


def _disagrees(stretch: str) -> bool:
    tokens = _TOKEN.findall(stretch.lower())[:2]
    return len(tokens) == 2 and tokens[1] in _DISAGREEING.get(tokens[0], ())


def _word_before(sentence: str, start: int) -> str:
    before = _TOKEN.findall(sentence[:start].lower())
    return before[-1] if before else ""


def find_questions(messages: list[dict], people: People, threshold: float) -> list[dict]:
    """One question per message at most, and a question already asked is not listed again."""
    questions: list[dict] = []
    asked: set[str] = set()
    previous_was_question = False
    speech_style = unpunctuated(messages)
    names = _name_words(people)
    for index, message in enumerate(messages):
        sentences = split_sentences(str(message.get("text") or ""))
        clauses = _clauses(sentences, speech_style)
        best: tuple[float, str] | None = None
        for position, stretches in enumerate(clauses):
            context = Context(
                other_speaks_next=position == len(clauses) - 1 and _other_speaks_next(messages, index),
                after_question=previous_was_question,
            )
            asked_here = _first_question(stretches, context, max(threshold, 0.5))
            if asked_here and (best is None or asked_here[0] > best[0]):
                best = asked_here
        previous_was_question = any(s.rstrip().endswith("?") for s in sentences)
        if best is None:
            best = _elliptical(messages, index, sentences) or _named_in_a_word(messages, index, sentences)
            best = best or _indirect(sentences)
        if best is None or TAKES_THE_FLOOR.match(best[1]) or _calls_on_someone(best[1], names):
            continue
        key = " ".join(stem(w) for w in words(best[1]))
        if key in asked:
            continue
        asked.add(key)
        questions.append(_question(message, people, _as_question(best[1]), best[0]))
    return questions


def _name_words(people: People) -> frozenset[str]:
    """Every word of the participants' names, lower case: "lindiwe", and "lowe" of "Councillor Lowe"."""
    # Read as the question is read (`words`): split on spaces, "Siobhán" never matched the question's words.
    return people.first_names().union(*(p.name_words for p in people.speakers))


def _calls_on_someone(question: str, names: frozenset[str]) -> bool:
    """ "Lindiwe?", "Councillor Lowe?" (titles as `people.TITLE` knows them): the chair passing the floor,
    which asks nothing a note could list."""
    said = [w for w in words(question) if not TITLE.match(w)]
    return 0 < len(said) <= 2 and all(w in names for w in said)


def _first_question(stretches: list[str], context: Context, threshold: float) -> tuple[float, str] | None:
    """The longest stretch of one sentence that reads as a question: the shorter ones are its tail ("who's the
    owner here is it still Dana" holds "is it still Dana"), so it loses nothing of what was asked."""
    for stretch in stretches:
        score = question_score(stretch, context)
        if score >= threshold:
            return score, remove_fillers(stretch)
    return None


def _elliptical(messages: list[dict], index: int, sentences: list[str]) -> tuple[float, str] | None:
    """ "How long?" after another speaker's statement, answered by someone else: the question with what it
    asks about ("How long? (re: The vendor needs a firmware update.)")."""
    said_by_another = index > 0 and _other_speaks_next(messages, index - 1)
    if not said_by_another or not _other_speaks_next(messages, index):
        return None
    asked = next((s for s in sentences if ELLIPTICAL.match(remove_fillers(s).strip())), None)
    about = split_sentences(str(messages[index - 1].get("text") or ""))
    if asked is None or not about or len(words(about[-1])) < MIN_WORDS:
        return None
    context = about[-1].rstrip(" ,;:")
    return 0.5, f"{remove_fillers(asked).rstrip(' ?.')}? (re: {context})"


def _named_in_a_word(messages: list[dict], index: int, sentences: list[str]) -> tuple[float, str] | None:
    """A question of a word or two that names its subject ("Variations?", "Which wholesaler?", "What's
    missing?"), answered by someone else: unlike "Okay?" or "How?", a note can list it."""
    if not _other_speaks_next(messages, index):
        return None
    for sentence in sentences:
        said = remove_fillers(sentence).strip()
        if not said.endswith("?") or not 1 <= len(said.split()) < MIN_WORDS or TAG_ONLY.match(said):
            continue
        if content_words(said, STOPWORDS) - NAMES_NOTHING:
            return 0.5, said
    return None


def _indirect(sentences: list[str]) -> tuple[float, str] | None:
    """A question reported in a statement, listed as said ("The sub rogation team wants to know if any of
    these are from the roofing defect?")."""
    for sentence in sentences:
        found = INDIRECT_QUESTION.search(sentence)
        if found is None or len(words(sentence)) < MIN_WORDS:
            continue
        if not _FIRST_PERSON & set(_TOKEN.findall(sentence[: found.start()].lower())[-2:]):
            return 0.5, remove_fillers(sentence)
    return None


def _other_speaks_next(messages: list[dict], index: int) -> bool:
    if index + 1 >= len(messages):
        return False
    this, following = (
        str((m.get("from") or {}).get("id") or (m.get("from") or {}).get("name") or "")
        for m in (messages[index], messages[index + 1])
    )
    return this != following


def _as_question(sentence: str) -> str:
    if ELLIPTICAL_WITH_CONTEXT.search(sentence):
        return capitalise_first(sentence)  # "How long? (re: …)": asked already, what it is about after it
    return as_sentence(sentence.rstrip(" ,.;:!?") + "?")


ELLIPTICAL_WITH_CONTEXT = re.compile(r"\? \(re: .*\)$")


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
