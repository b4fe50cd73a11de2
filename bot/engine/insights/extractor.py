"""`extract_insights`: messages in, Symbl-shaped topics, questions, action items, decisions and follow-ups
out."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime

from . import actions, sentiment, speech_text
from .action_model import ActionModel
from .decisions import find_decisions, says_decided
from .parked import find_parked
from .people import People
from .questions import WH_START, find_questions
from .summary import summarize
from .text import remove_fillers
from .topic_ranking import TopicRanker
from .topics import find_topics

FOLLOW_UPS_PER_HOUR = 6
MIN_FOLLOW_UPS = 3


@dataclass
class Insights:
    """Everything the engine derives from a transcript, in the contract's JSON shapes (§5.2–5.6)."""

    message_sentiment: dict[str, dict] = field(default_factory=dict)
    message_phrases: dict[str, list[dict]] = field(default_factory=dict)
    topics: list[dict] = field(default_factory=list)
    questions: list[dict] = field(default_factory=list)
    action_items: list[dict] = field(default_factory=list)
    decisions: list[dict] = field(default_factory=list)
    follow_ups: list[dict] = field(default_factory=list)
    summary: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Response bodies keyed as the Conversation API names them."""
        return {
            "topics": self.topics,
            "questions": self.questions,
            "actionItems": self.action_items,
            "decisions": self.decisions,
            "followUps": self.follow_ups,
            "summary": self.summary,
        }

    def annotate_messages(self, messages: list[dict], *, with_sentiment: bool = True) -> list[dict]:
        """Copies of `messages` with `phrases` (and `sentiment`) merged in, as `GET …/messages` returns
        them."""
        annotated = []
        for message in messages:
            copy_ = copy.deepcopy(message)
            message_id = str(message.get("id"))
            copy_["phrases"] = self.message_phrases.get(message_id, [])
            if with_sentiment and message_id in self.message_sentiment:
                copy_["sentiment"] = self.message_sentiment[message_id]
            annotated.append(copy_)
        return annotated


def extract_insights(
    messages: list[dict],
    *,
    reference_time: datetime,
    members: list[dict] | None = None,
    confidence_threshold: float = 0.5,
    detect_phrases: bool = False,
    action_model: ActionModel | None = None,
    decision_model: ActionModel | None = None,
    topic_ranker: TopicRanker | None = None,
) -> Insights:
    """Insights of one English conversation.

    `messages` are Symbl message dicts in time order (unknown keys are ignored); `reference_time` is the
    conversation's start, against which "by Friday" or "next week" are resolved; `members` ({id, name,
    email}) let "Priya, please…" resolve to a person. Items scoring below `confidence_threshold` are
    dropped. Unknown people are `{}` in `from`/`assignee`; `dueBy` is present only when a date was said.
    """
    messages = speech_text.normalise_messages(messages, members)
    people = People(members, messages)
    scores = {
        str(m.get("id")): sentiment.polarity(remove_fillers(str(m.get("text") or ""))) for m in messages
    }
    hours = conversation_hours(messages)
    conversation = actions.Conversation(messages, people, reference_time, hours, action_model)
    candidates = actions.find_candidates(conversation)
    # No cap: a meeting note lists every action item the model is confident of (the model's threshold,
    # chosen by cross-validation); a long list is folded by whoever renders it, never cut here.
    action_items = actions.ranked(candidates, actions.ACTION_ITEM, None, confidence_threshold)
    follow_ups = actions.ranked(
        candidates, actions.FOLLOW_UP, _cap(hours, FOLLOW_UPS_PER_HOUR, MIN_FOLLOW_UPS), confidence_threshold
    )
    topics = find_topics(messages, scores, hours, confidence_threshold, people.first_names(), topic_ranker)
    symbl_action_items = [actions.to_symbl(c) for c in action_items]
    symbl_follow_ups = _at_least(
        confidence_threshold,
        _follow_ups([actions.to_symbl(c) for c in follow_ups], messages, people, reference_time),
    )
    decisions = _at_least(confidence_threshold, find_decisions(messages, people, decision_model))
    return Insights(
        message_sentiment={mid: sentiment.sentiment(score) for mid, score in scores.items()},
        message_phrases=_message_phrases(messages, candidates, topics) if detect_phrases else {},
        topics=topics,
        questions=_not_handed_out(find_questions(messages, people, confidence_threshold), symbl_action_items),
        action_items=symbl_action_items,
        decisions=_not_tasks(decisions, action_items, symbl_follow_ups),
        follow_ups=symbl_follow_ups,
        summary=summarize(messages, people, minutes=hours * 60, action_items=symbl_action_items),
    )


def _follow_ups(
    promised: list[dict], messages: list[dict], people: People, reference_time: datetime
) -> list[dict]:
    """Promised replies and meetings, and the topics parked for later, in the order they were said."""
    taken = {mid for item in promised for mid in item["messageIds"]}
    position = {str(m.get("id")): index for index, m in enumerate(messages)}
    found = promised + find_parked(messages, people, taken, reference_time)
    return sorted(found, key=lambda item: position.get(item["messageIds"][0], 0))


def _not_handed_out(questions: list[dict], action_items: list[dict]) -> list[dict]:
    """Questions less the requests the note lists as action items ("Can you comp breakfast for the three
    rooms?" / "Sure."): asked to hand out work, not to learn something."""
    cited = {mid for item in action_items for mid in item["messageIds"]}
    # "When could you have the schedule?" / "By Thursday.": both an item and a question, the date asked for.
    return [q for q in questions if not set(q["messageIds"]) & cited or WH_START.match(q["text"])]


def _not_tasks(
    decisions: list[dict], action_items: list[actions.Candidate], follow_ups: list[dict]
) -> list[dict]:
    """Decisions less the turns the note lists as work ("You'll have a draft FAQ Monday.") or as a topic put
    off ("Let's give that its own review session next week"): each is said once, where it belongs. Only the
    turn an item is written from counts: a decision an item merely cites ("yeah lets do that only renew
    titles with active holds" / "ill pull the list…") stays, as does one said in so many words."""
    written_from = {c.phrase_message_id for c in action_items}
    written_from |= {mid for item in follow_ups for mid in item["messageIds"]}
    # "Okay, let's go with that, staged rollout at ten percent. I'll set the percentage on Thursday.": a turn
    # that says it decides is both.
    return [d for d in decisions if d["messageIds"][-1] not in written_from or says_decided(d["text"])]


def _at_least(confidence_threshold: float, items: list[dict]) -> list[dict]:
    """The request's confidenceThreshold holds for the rule-scored and separately-thresholded kinds too."""
    return [item for item in items if item["score"] >= confidence_threshold]


def conversation_hours(messages: list[dict]) -> float:
    """Length of the conversation from the messages' own times (offsets, else absolute times)."""
    if not messages:
        return 0.0
    first, last = messages[0], messages[-1]
    if "timeOffset" in first and "timeOffset" in last:
        end = float(last["timeOffset"]) + float(last.get("duration") or 0.0)
        return max(0.0, end - float(first["timeOffset"])) / 3600
    try:
        start = datetime.fromisoformat(str(first["startTime"]).replace("Z", "+00:00"))
        end_time = datetime.fromisoformat(
            str(last.get("endTime") or last["startTime"]).replace("Z", "+00:00")
        )
    except (KeyError, ValueError):
        return 0.0
    return max(0.0, (end_time - start).total_seconds()) / 3600


def _cap(hours: float, per_hour: int, minimum: int) -> int:
    return max(minimum, round(per_hour * hours))


def _message_phrases(messages: list[dict], candidates: list[actions.Candidate], topics: list[dict]) -> dict:
    """Phrases per message: the action phrase of each commitment, and topic phrases said in it."""
    phrases: dict[str, list[dict]] = {str(m.get("id")): [] for m in messages}
    for candidate in candidates:
        if candidate.action_phrase and candidate.phrase_message_id in phrases:
            phrases[candidate.phrase_message_id].append(
                {"type": "action_phrase", "text": candidate.action_phrase}
            )
    for topic in topics:
        for message_id in topic["messageIds"]:
            if message_id in phrases:
                phrases[message_id].append({"type": "noun_phrase", "text": topic["text"]})
    return phrases
