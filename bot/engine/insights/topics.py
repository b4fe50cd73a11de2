"""Topics: keyphrases of the whole conversation (YAKE), merged, ranked, and tied back to the messages."""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field

# yake 0.7.3's metadata disagrees with itself: `License: LGPLv3` but the classifier says GPLv3. We use it
# unmodified as a separate installed package, which either licence permits; revisit before redistributing
# a bundled build.
import yake

from . import sentiment as sentiment_
from .text import insight_id, remove_fillers, rough_sentences, stem, words
from .topic_ranking import MeetingFacts, RankedPhrase, TopicRanker, candidate_features, shipped_ranker
from .vocabulary import (
    CALENDAR_WORDS,
    CLAUSE_WORDS,
    CONVERSATIONAL,
    FUNCTION_WORDS,
    GENERIC_NOUNS,
    NOT_IN_TOPICS,
    STOPWORDS,
    VAGUE_MODIFIERS,
)

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'\-]*")
# Words and what separates phrases (punctuation): a run of topic words stops at either.
_PHRASE_TOKEN = re.compile(r"[A-Za-z][A-Za-z'\-]*|[^\sA-Za-z]+")

# Backchannels ("yeah, okay") add nothing to keyphrases but cost YAKE time on an hour of talk.
MIN_WORDS_FOR_TOPICS = 4
# YAKE's candidates: more than we keep, since merging variants and dropping single words thins them out.
CANDIDATES = 100
# A single word is a topic only as a named thing: an acronym ("LCD"), or a word the transcript writes
# capitalised inside sentences at least this often ("Kubernetes", "Symbl"). Other single words are what a
# participant would not write as a topic ("cause", "little", "wondering").
NAMED_CAPITALISED_SHARE = 0.7
# A single word said in this many messages, that no kept phrase holds, is a topic of its own.
RECURRING_WORD_MESSAGES = 2
# Topics listed for a meeting of half an hour or less; longer meetings get more (`topic_limit`). This and
# RECURRING_WORD_MESSAGES were chosen by leave-one-meeting-out cross-validation on shared/eval/workplace
# (`python bench/topic_cv.py`: grid 6–30 topics × 2–4 messages, each meeting ranked by a topic ranking
# fitted without it): the fewest listed topics whose training meetings reach 0.70 of their gold topic terms;
# every fold chose 18 and 2, as did the best F1 of terms found against listed topics naming one. A short
# meeting names 6–10 specific terms, mostly said once or twice, and ten topics hold half of them.
SHORT_MEETING_TOPICS = 18
# A noun phrase opens with a determiner ("the load balancer", "our churn forecast"): the words after one, up
# to a word that cannot be in a topic, are a candidate even when said once, as YAKE's scores favour words
# said often. At most this many words, as YAKE's phrases.
DETERMINERS = frozenset(
    ["the", "a", "an", "our", "your", "their", "his", "her", "its", "this", "that", "these", "those"]
    + ["any", "some", "no", "my", "each", "every"]
)
NOUN_PHRASE_WORDS = 3
_NOT_TOPIC_WORDS = STOPWORDS | CALENDAR_WORDS | NOT_IN_TOPICS | CLAUSE_WORDS


@dataclass
class TopicCandidate:
    text: str
    key: str  # stemmed words joined by spaces, for matching variants ("release note" ~ "release notes")
    rank: int
    message_ids: list[str]
    variants: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)

    @property
    def stems(self) -> frozenset[str]:
        return frozenset(self.key.split())


def topic_limit(hours: float) -> int:
    """SHORT_MEETING_TOPICS for a short meeting, growing slowly with length (8 more for two hours)."""
    extra = round(8 * math.log2(1 + max(0.0, hours - 0.5)) / math.log2(2.5)) if hours > 0.5 else 0
    return SHORT_MEETING_TOPICS + extra


def find_topics(
    messages: list[dict],
    message_scores: dict[str, float],
    hours: float,
    threshold: float,
    names: frozenset[str] = frozenset(),
    ranker: TopicRanker | None = None,
) -> list[dict]:
    """Topics of the conversation, the ones a participant would list first (`topic_ranking`); `names`
    (lower-case first names) are never topics.

    Variants of one phrase ("remote control", "new remote control", "remote controls") are one topic citing
    all their messages; topics that share a word ("LCD screen", "LCD display") carry it in `parentRefs`.
    """
    kept = best_first(topic_candidates(messages, names), ranker or shipped_ranker())[: topic_limit(hours)]
    topics = [_topic(t, position, len(kept), kept, message_scores) for position, t in enumerate(kept)]
    return [t for t in topics if t["score"] >= threshold]


@dataclass
class Candidates:
    """A meeting's topic candidates before ranking, and the same as the ranking reads them."""

    groups: list[TopicCandidate]
    phrases: list[RankedPhrase]
    meeting: MeetingFacts


def best_first(found: Candidates, ranker: TopicRanker) -> list[TopicCandidate]:
    """The candidates as `ranker` orders them, YAKE's rank breaking ties."""
    scores = ranker.scores(
        [candidate_features(phrase, found.meeting, ranker.background) for phrase in found.phrases]
    )
    order = sorted(range(len(found.groups)), key=lambda i: (-scores[i], found.groups[i].rank))
    return [found.groups[i] for i in order]


def topic_candidates(messages: list[dict], names: frozenset[str] = frozenset()) -> Candidates:
    """Every phrase that could be a topic, variants merged, plus the words the meeting keeps coming back
    to; what `find_topics` ranks and `bench/train_topics.py` learns from."""
    stemmed = {
        str(m.get("id")): " " + " ".join(stem(w) for w in words(str(m.get("text") or ""))) + " "
        for m in messages
    }
    postings = _postings(stemmed)
    named = _named_words(messages)
    found: list[TopicCandidate] = []
    broad: list[
        TopicCandidate
    ] = []  # single words: no topic of their own, the parent of phrases holding them
    phrases, yake_phrases = _candidates(messages)
    for rank, phrase in enumerate(phrases):
        key = " ".join(stem(w) for w in words(phrase))
        if not _is_topic_like(phrase, names) or len(set(key.split())) < len(key.split()):
            continue  # the repeated word of "meeting recorder meeting" is a YAKE artefact
        # "David Jordan", "Industrial Designer" are people and roles, "ask Kofi" a task, "next slide" no
        # subject.
        if " " in key and (
            _is_named_phrase(phrase, named)
            or _contacts_someone(phrase, named)
            or words(phrase)[0] in VAGUE_MODIFIERS
        ):
            continue
        message_ids = _messages_saying(key, stemmed, postings)
        if not message_ids:
            continue
        candidate = TopicCandidate(_display(phrase), key, rank, message_ids)
        (found if " " in key or _is_acronym(phrase) else broad).append(candidate)
    groups = _merge_variants(found)
    _attach_broad_words(groups, broad)
    recurring = _recurring_words(groups, broad)
    order = {mid: i for i, mid in enumerate(stemmed)}
    for group in groups + recurring:
        group.message_ids.sort(key=order.__getitem__)
    meeting = MeetingFacts(
        order,
        {str(m.get("id")): str((m.get("from") or {}).get("id") or "") for m in messages},
        named,
        yake_phrases,
    )
    ranked = [
        RankedPhrase(
            g.text,
            g.rank,
            g.message_ids,
            len(g.variants),
            index >= len(groups),
            _is_acronym(g.text),
            any(w.lower() in GENERIC_NOUNS for w in g.text.split()),
        )
        for index, g in enumerate(groups + recurring)
    ]
    return Candidates(groups + recurring, ranked, meeting)


def _postings(stemmed: dict[str, str]) -> dict[str, list[str]]:
    """Stem → the messages saying it, in order: a phrase is looked for only where its rarest word is, so the
    noun phrases of an hour of talk (hundreds) are matched in linear time."""
    postings: dict[str, list[str]] = {}
    for mid, text in stemmed.items():
        for word in set(text.split()):
            postings.setdefault(word, []).append(mid)
    return postings


def _messages_saying(key: str, stemmed: dict[str, str], postings: dict[str, list[str]]) -> list[str]:
    rarest = min((postings.get(word, []) for word in key.split()), key=len)
    return [mid for mid in rarest if f" {key} " in stemmed[mid]]


def _named_words(messages: list[dict]) -> dict[str, float]:
    """Lower-case word → share of its sentence-internal occurrences written capitalised."""
    capitalised: dict[str, int] = {}
    total: dict[str, int] = {}
    for message in messages:
        for sentence in rough_sentences(str(message.get("text") or "")):
            for token in _TOKEN.findall(sentence)[1:]:
                key = token.lower()
                total[key] = total.get(key, 0) + 1
                if token[:1].isupper() and token != "I":
                    capitalised[key] = capitalised.get(key, 0) + 1
    return {key: capitalised.get(key, 0) / count for key, count in total.items()}


# "ask Kofi", "ping Kofi", "call Sarah": reaching a person, which the action items say.
CONTACT_VERBS = frozenset(
    re.findall(
        r"\w+", "ask ping call email mail text message tell ring phone chase remind contact invite thank meet"
    )
)


def _contacts_someone(phrase: str, named: dict[str, float]) -> bool:
    first, *rest = phrase.split()
    return first.lower() in CONTACT_VERBS and bool(rest) and _is_named_phrase(" ".join(rest), named)


def _is_acronym(phrase: str) -> bool:
    word = phrase.strip()
    return " " not in word and len(word) > 1 and word.isupper()


def _is_named_phrase(phrase: str, named: dict[str, float]) -> bool:
    """Every word written capitalised inside sentences: a person's name or a role, as transcripts write
    them."""
    tokens = phrase.split()
    return all(not t.isupper() and named.get(t.lower(), 0.0) >= NAMED_CAPITALISED_SHARE for t in tokens)


def _merge_variants(found: list[TopicCandidate]) -> list[TopicCandidate]:
    """One topic per phrase and its variants: the same words in any form or order, the phrase with words
    added ("remote control design" is a variant of "remote control"), or an overlapping piece said only
    where the phrase is ("planning meeting" of "weekly planning"). The group is shown as its best-ranked
    phrase holding the shortest one, and cites every variant's messages."""
    groups: list[TopicCandidate] = []
    for candidate in sorted(found, key=lambda t: (len(t.stems), t.rank)):
        home = next((g for g in groups if g.stems <= candidate.stems), None) or next(
            (
                g
                for g in groups
                if g.stems & candidate.stems and set(candidate.message_ids) <= set(g.message_ids)
            ),
            None,
        )
        if home is None:
            groups.append(
                TopicCandidate(candidate.text, candidate.key, candidate.rank, list(candidate.message_ids))
            )
            continue
        if candidate.rank < home.rank and candidate.stems >= home.stems:
            # Shown as the phrase YAKE ranks best ("mobile app release" over "app release").
            home.variants.append(home.text)
            home.text, home.rank = candidate.text, candidate.rank
        else:
            home.variants.append(candidate.text)
        home.message_ids.extend(m for m in candidate.message_ids if m not in home.message_ids)
    return groups


# Words said again and again that name no subject ("enough", "final", "properly", "agreed"): how things are,
# not what the meeting is about.
NOT_A_SUBJECT = VAGUE_MODIFIERS | frozenset(
    [
        "enough",
        "final",
        "better",
        "best",
        "whole",
        "agreed",
        "properly",
        "proper",
        "fine",
        "ready",
        "clear",
        "quick",
        "quickly",
        "easy",
        "hard",
        "grand",
        "great",
        "lovely",
        "brilliant",
        "worse",
        "worst",
        "bigger",
        "smaller",
        "earlier",
        "early",
        "later",
        "little",
        "large",
        "small",
        "different",
        "actual",
        "overall",
        "general",
        "obviously",
        "certainly",
        "probably",
        "definitely",
        "exactly",
        "totally",
        "absolutely",
    ]
)


def _recurring_words(groups: list[TopicCandidate], broad: list[TopicCandidate]) -> list[TopicCandidate]:
    """Single words no phrase holds that the meeting keeps coming back to ("boiler", "enrollment",
    "autosave"): a participant lists them as topics of their own."""
    held = {stem_ for g in groups for stem_ in g.stems}
    recurring: dict[str, TopicCandidate] = {}
    for word in broad:
        if word.key in NOT_A_SUBJECT:
            continue
        if word.key not in held and len(word.message_ids) >= RECURRING_WORD_MESSAGES and len(word.key) >= 5:
            recurring.setdefault(word.key, word)  # "patients" and "patient": one topic, YAKE's better rank
    return list(recurring.values())


def _attach_broad_words(groups: list[TopicCandidate], broad: list[TopicCandidate]) -> None:
    """A single word ("buttons") is not a topic, but what it covers is: its messages go to the best-ranked
    phrase holding it ("rubber buttons"), and every phrase it heads names it as parent."""
    for word in broad:
        holders = [g for g in groups if word.key in g.stems]
        if not holders:
            continue
        best = min(holders, key=lambda g: g.rank)
        best.message_ids.extend(m for m in word.message_ids if m not in best.message_ids)
        for holder in holders:
            # The head noun (last word) is the broader subject: "buttons" over "rubber buttons", while
            # "rubber" is only a kind of it. One parent per stem ("button"/"buttons").
            if holder.key.split()[-1] == word.key and not holder.parents:
                holder.parents.append(word.text)


def _candidates(messages: list[dict]) -> tuple[list[str], int]:
    """YAKE's keyphrases, best first, then the noun phrases YAKE did not rank, in the order said; and how
    many are YAKE's."""
    phrases = _keyphrases(messages)
    yake_phrases = len(phrases)
    seen = {phrase.lower() for phrase in phrases}
    for message in messages:
        for phrase in _noun_phrases(remove_fillers(str(message.get("text") or ""))):
            if phrase.lower() not in seen:
                seen.add(phrase.lower())
                phrases.append(phrase)
    return phrases, yake_phrases


def _noun_phrases(text: str) -> list[str]:
    """Multi-word runs after a determiner of words that can be in a topic ("the [load balancer] failed")."""
    tokens = _PHRASE_TOKEN.findall(text)
    phrases = []
    for index, token in enumerate(tokens[:-1]):
        if token.lower() not in DETERMINERS:
            continue
        run = list(itertools.takewhile(_topic_word, tokens[index + 1 : index + 1 + NOUN_PHRASE_WORDS]))
        if len(run) > 1:
            phrases.append(" ".join(run))
    return phrases


def _topic_word(token: str) -> bool:
    return token[:1].isalpha() and token.lower() not in _NOT_TOPIC_WORDS


def _keyphrases(messages: list[dict]) -> list[str]:
    sentences = []
    for message in messages:
        cleaned = remove_fillers(str(message.get("text") or ""))
        if len(cleaned.split()) >= MIN_WORDS_FOR_TOPICS or (len(messages) < 50 and cleaned):
            sentences.append(cleaned.rstrip(" .,;:!?") + ".")
    if not sentences:
        return []
    extractor = yake.KeywordExtractor(lan="en", n=3, top=CANDIDATES, dedup_lim=0.8, stopwords=set(STOPWORDS))
    return [phrase for phrase, _ in extractor.extract_keywords(" ".join(sentences))]


def _is_topic_like(phrase: str, names: frozenset[str]) -> bool:
    tokens = words(phrase)
    if all(t.isdigit() for t in tokens):
        return False  # "14:02", "2024": a time or a number, said in passing
    if not tokens or any(
        t in CONVERSATIONAL or t in CALENDAR_WORDS or t in NOT_IN_TOPICS or t in names for t in tokens
    ):
        return False
    # A function word inside a phrase ("fix the payment", "bug is fixed") marks a clause, not a noun
    # phrase; "of" is the exception that names things ("speed of light").
    if any(t in FUNCTION_WORDS and t != "of" or t in CLAUSE_WORDS for t in tokens) or tokens[-1] == "of":
        return False
    # A past tense after the first word is a clause's verb ("printer fixed", "team worked late"); first, it
    # is an adjective ("revised budget", "damaged goods").
    if any(_past_tense(t) for t in tokens[1:]):
        return False
    # An adverb names nothing: "mostly", "partly", "unlock failures mostly"; nor do "since" or "meantime".
    if any(_adverb(t) for t in tokens):
        return False
    if len(tokens) == 1:
        return len(tokens[0]) >= 4 and not tokens[0].isdigit() and tokens[0] not in GENERIC_NOUNS
    return not all(t in GENERIC_NOUNS for t in tokens)


# Verbs whose past or third person does not end in "-ed" ("discrepancies left", "it sounds", "barely
# slept"), and which are rarely the head noun of a topic.
CLAUSE_VERBS = frozenset(
    re.findall(
        r"\w+",
        "left went came took made said got gave kept felt slept sent spent lost told thought brought bought "
        "began saw met found sold won broke wrote drove chose grew knew threw flew sounds seems looks "
        "goes happens means",
    )
)


# Nouns that end like an adverb.
_LY_NOUNS = frozenset(
    re.findall(
        r"\w+",
        "supply family assembly anomaly reply rally monopoly july italy belly jelly butterfly ally fly",
    )
)
_NOT_ADVERB_ENDINGS = ("ility", "ality")  # "availability", "functionality": nouns


def _adverb(token: str) -> bool:
    return token in ("since", "meantime", "meanwhile", "anyway", "anyhow") or (
        len(token) > 4
        and token.endswith("ly")
        and token not in _LY_NOUNS
        and not token.endswith(_NOT_ADVERB_ENDINGS)
    )


def _past_tense(token: str) -> bool:
    """A verb of a clause: a past tense ("printer fixed", "team left") or one of CLAUSE_VERBS."""
    return token in CLAUSE_VERBS or (len(token) >= 5 and token.endswith("ed") and not token.endswith("eed"))


def _display(phrase: str) -> str:
    # Keep acronyms ("LCD") as written; everything else lower case, as topic lists read.
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in phrase.split())


def _topic(
    candidate: TopicCandidate,
    position: int,
    count: int,
    kept: list[TopicCandidate],
    message_scores: dict[str, float],
) -> dict:
    scores = [message_scores.get(mid, 0.0) for mid in candidate.message_ids]
    mean = sum(scores) / len(scores) if scores else 0.0
    parents = [{"type": "topic", "text": word} for word in candidate.parents]
    return {
        "id": insight_id("topic", candidate.text, candidate.message_ids),
        "text": candidate.text,
        "type": "topic",
        # YAKE ranks but its raw scores are not comparable across transcripts, so the score is the rank
        # mapped into (0.5, 1]: every kept topic passes the default threshold, the best score highest.
        "score": round(0.98 - 0.45 * position / max(1, count), 3),
        "messageIds": candidate.message_ids,
        "entities": [],
        "sentiment": sentiment_.sentiment(mean),
        "parentRefs": parents,
    }
