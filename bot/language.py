"""Is a conversation in English? The insights (summary, topics, action items, questions, follow-ups) are
made by English rules and word lists, so on any other language they would be confident nonsense; the
engine leaves them out and every note says why (issue 10).

The test is the share of the words that are among English's most common function words: about 40 % of
running English, a few percent of German, Spanish or French text (their "in", "a", "so" …). It needs no
model, works the same on transcribed speech and on uploaded transcripts, and a `languageCode` the user
gave wins over it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# The commonest English words that are rare as words of other European languages.
ENGLISH_MARKERS = frozenset(
    [
        "the",
        "and",
        "to",
        "of",
        "is",
        "that",
        "it",
        "you",
        "we",
        "i",
        "this",
        "for",
        "be",
        "are",
        "was",
        "with",
        "have",
        "not",
        "they",
        "on",
        "at",
        "but",
        "what",
        "can",
        "will",
        "so",
        "if",
        "just",
        "do",
        "there",
        "about",
        "my",
        "your",
        "our",
        "would",
        "all",
        "one",
        "get",
        "know",
        "think",
        "yeah",
        "okay",
    ]
)
MIN_ENGLISH_SHARE = 0.12  # English meetings of shared/eval: 0.27–0.49; German, Spanish, French: ~0
MIN_WORDS = 8  # fewer words say nothing about the language: treated as English
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)

NOT_ENGLISH_NOTE = (
    "Summary, topics, action items and questions are made for English only, and this conversation is {what}, "
    "so none are listed. Its transcript stays in the language spoken."
)
# English names of the languages Whisper knows (its own codes: ISO 639-1, else 639-3), as a note names them.
_NAMES = """
af Afrikaans|am Amharic|ar Arabic|as Assamese|az Azerbaijani|ba Bashkir|be Belarusian|bg Bulgarian|
bn Bengali|bo Tibetan|br Breton|bs Bosnian|ca Catalan|cs Czech|cy Welsh|da Danish|de German|el Greek|
en English|es Spanish|et Estonian|eu Basque|fa Persian|fi Finnish|fo Faroese|fr French|gl Galician|
gu Gujarati|ha Hausa|haw Hawaiian|he Hebrew|hi Hindi|hr Croatian|ht Haitian Creole|hu Hungarian|
hy Armenian|id Indonesian|is Icelandic|it Italian|ja Japanese|jw Javanese|jv Javanese|ka Georgian|
kk Kazakh|km Khmer|kn Kannada|ko Korean|la Latin|lb Luxembourgish|ln Lingala|lo Lao|lt Lithuanian|
lv Latvian|mg Malagasy|mi Maori|mk Macedonian|ml Malayalam|mn Mongolian|mr Marathi|ms Malay|mt Maltese|
my Burmese|ne Nepali|nl Dutch|nn Nynorsk|no Norwegian|nb Norwegian|oc Occitan|pa Punjabi|pl Polish|
ps Pashto|pt Portuguese|ro Romanian|ru Russian|sa Sanskrit|sd Sindhi|si Sinhala|sk Slovak|sl Slovenian|
sn Shona|so Somali|sq Albanian|sr Serbian|su Sundanese|sv Swedish|sw Swahili|ta Tamil|te Telugu|tg Tajik|
th Thai|tk Turkmen|tl Tagalog|tr Turkish|tt Tatar|uk Ukrainian|ur Urdu|uz Uzbek|vi Vietnamese|yi Yiddish|
yo Yoruba|zh Chinese|yue Cantonese
"""
LANGUAGE_NAMES = dict(entry.strip().split(" ", 1) for entry in _NAMES.split("|"))


def english_share(texts: Iterable[str]) -> tuple[float, int]:
    """(share of words that are English markers, number of words) over `texts`."""
    words = [w.lower() for text in texts for w in _WORD.findall(text)]
    if not words:
        return 0.0, 0
    return sum(w in ENGLISH_MARKERS for w in words) / len(words), len(words)


def is_english(messages: list[dict], language_code: str | None = None) -> bool:
    """Whether English insights fit these messages: the given `languageCode` decides, else the words do."""
    if language_code:
        return primary_language(language_code) == "en"
    share, count = english_share(str(m.get("text") or "") for m in messages)
    return count < MIN_WORDS or share >= MIN_ENGLISH_SHARE


def primary_language(language_code: str) -> str:
    """The language of a BCP-47 code, lower case: "de-DE" → "de", "pt_BR" → "pt"."""
    return language_code.split("-")[0].split("_")[0].lower()


def language_name(language_code: str | None) -> str | None:
    """ "German" for "de-DE" or "de"; the code itself for a language not in the table; None for None."""
    if not language_code:
        return None
    return LANGUAGE_NAMES.get(primary_language(language_code), language_code)


def not_english_note(language_code: str | None = None) -> str:
    """Why a note on another language lists no insights (`language_code`: the conversation's, when known)."""
    what = f"in {language_name(language_code)}" if language_code else "not in English"
    return NOT_ENGLISH_NOTE.format(what=what)


def sentiment_not_measured(language_code: str | None = None) -> str:
    """What a note says instead of a sentiment: the sentiment lexicon is English, and elsewhere it would score
    every sentence 0 and call the meeting "neutral"."""
    name = language_name(language_code)
    return f"Sentiment is not measured for {name}" if name else "Sentiment is measured for English only"
