"""Word lists for spoken English: function words, and the conversational words that are frequent in every
meeting but never a topic ("thing", "yeah", "kind of")."""

from __future__ import annotations

from .text import FILLERS

FUNCTION_WORDS = frozenset(
    ["a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "aren't", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "can't", "cannot", "could", "couldn't", "did", "didn't", "do", "does", "doesn't", "doing", "don't", "down", "during", "each", "few", "for", "from", "further", "had", "hadn't", "has", "hasn't", "have", "haven't", "having", "he", "he'd", "he'll", "he's", "her", "here", "here's", "hers", "herself", "him", "himself", "his", "how", "how's", "i", "i'd", "i'll", "i'm", "i've", "if", "in", "into", "is", "isn't", "it", "it's", "its", "itself", "let's", "me", "more", "most", "mustn't", "my", "myself", "no", "nor", "not", "of", "off", "on", "once", "only", "or", "other", "ought", "our", "ours", "ourselves", "out", "over", "own", "same", "shan't", "she", "she'd", "she'll", "she's", "should", "shouldn't", "so", "some", "such", "than", "that", "that's", "the", "their", "theirs", "them", "themselves", "then", "there", "there's", "these", "they", "they'd", "they'll", "they're", "they've", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "wasn't", "we", "we'd", "we'll", "we're", "we've", "were", "weren't", "what", "what's", "when", "when's", "where", "where's", "which", "while", "who", "who's", "whom", "why", "why's", "with", "won't", "would", "wouldn't", "you", "you'd", "you'll", "you're", "you've", "your", "yours", "yourself", "yourselves", "will", "shall", "may", "might", "must", "just", "now", "even", "still", "ever", "yet", "though", "although", "unless", "whether", "either", "neither", "per", "via", "upon", "onto"]
)

CONVERSATIONAL = frozenset(
    ["yeah", "yes", "yep", "no", "nope", "okay", "ok", "right", "alright", "well", "oh", "so", "like", "really", "actually", "basically", "literally", "probably", "maybe", "perhaps", "sure", "fine", "good", "great", "nice", "cool", "thanks", "thank", "please", "sorry", "gonna", "wanna", "gotta", "kinda", "sorta", "thing", "things", "stuff", "something", "anything", "everything", "nothing", "someone", "anyone", "everyone", "somebody", "anybody", "everybody", "way", "ways", "lot", "lots", "bit", "kind", "sort", "sorts", "kinds", "type", "types", "guess", "think", "thought", "know", "knew", "mean", "means", "meant", "say", "said", "says", "saying", "see", "seen", "look", "looks", "looking", "get", "gets", "got", "getting", "go", "goes", "going", "went", "gone", "come", "comes", "came", "coming", "make", "makes", "made", "want", "wants", "wanted", "need", "needs", "needed", "put", "take", "takes", "took", "use", "used", "using", "try", "tried", "let", "lets", "doing", "done", "does", "did", "tell", "told", "talk", "talking", "bunch", "couple", "one", "two", "three", "four", "five", "first", "second", "third", "point", "points", "idea", "ideas", "question", "questions", "fact", "case", "part", "time", "times", "today", "tomorrow", "yesterday", "minute", "minutes", "moment", "second", "seconds", "people", "person", "guys", "guy", "everybody", "hmm", "huh", "uh", "um", "mm", "mhm", "laugh", "laughs", "laughter", "vocalsound", "disfmarker", "gap", "pause", "noise", "actually", "pretty", "quite", "rather", "sometimes", "always", "never", "often", "totally", "exactly", "certainly", "definitely", "obviously"]
)

# Nouns every meeting has; fine inside a phrase ("sales team"), never a topic on their own.
GENERIC_NOUNS = frozenset(
    ["meeting", "meetings", "team", "teams", "morning", "afternoon", "evening", "week", "weeks", "day", "days", "month", "months", "year", "years", "group", "everyone", "hour", "hours", "number", "numbers", "problem", "problems", "issue", "issues", "work", "job", "end", "start", "beginning", "slide", "slides"]
)

CALENDAR_WORDS = frozenset(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april", "june", "july", "august", "september", "october", "november", "december", "tonight", "weekend"]
)

STOPWORDS = FUNCTION_WORDS | CONVERSATIONAL | FILLERS

# Words that open a phrase without naming its subject ("different shape", "next slide", "ten percent"):
# comparisons, order, quantity and numbers. A topic starting with one is a fragment of talk, not a subject.
VAGUE_MODIFIERS = frozenset(
    ["different", "same", "other", "another", "last", "next", "previous", "following", "whole", "entire", "certain", "less", "more", "most", "few", "many", "much", "several", "various", "particular", "specific", "general", "similar", "actual", "real", "basic", "simple", "usual", "normal", "typical", "overall", "own", "little", "big", "small", "huge", "good", "bad", "nice", "great", "best", "better", "worse", "worst", "new", "old", "right", "wrong", "older", "newer", "bigger", "smaller", "larger", "higher", "lower", "longer", "shorter", "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "twenty", "thirty", "forty", "fifty", "hundred", "thousand", "million", "percent", "half"]
)
