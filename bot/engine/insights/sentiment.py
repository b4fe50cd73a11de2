"""Sentiment of messages and topics with VADER (rule-based, ships its own lexicon, English only)."""

from __future__ import annotations

from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# VADER's authors recommend compound ≥ 0.05 for positive and ≤ -0.05 for negative; we keep a slightly
# wider neutral band because meeting talk is mostly neutral and small scores come from single mild words
# ("great", "problem") that a reader would not call a sentiment.
POSITIVE_AT = 0.25
NEGATIVE_AT = -0.25


# Words VADER scores as sentiment that meeting talk mostly uses as discourse markers: "Honestly, this is
# getting ridiculous", "it's like pulling teeth", "well, we missed it". Scored, they turn complaints positive.
DISCOURSE_MARKERS = ("honestly", "like", "well")
# Common words of workplace complaint that VADER's lexicon lacks, scored on its scale (-4 … 4).
ADDED_WORDS = {"nightmare": -2.5}


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    for word in DISCOURSE_MARKERS:
        analyzer.lexicon.pop(word, None)
    analyzer.lexicon.update(ADDED_WORDS)
    return analyzer


def polarity(text: str) -> float:
    """VADER compound score in [-1, 1]."""
    return float(_analyzer().polarity_scores(text)["compound"]) if text.strip() else 0.0


def label(score: float) -> str:
    if score >= POSITIVE_AT:
        return "positive"
    if score <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def sentiment(score: float) -> dict:
    """`Sentiment` object of the contract: {"polarity": {"score"}, "suggested"}."""
    return {"polarity": {"score": round(score, 3)}, "suggested": label(score)}
