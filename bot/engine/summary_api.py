"""`GET …/summary?refresh=true`: the summary of a stored conversation, made again from its transcript."""

from __future__ import annotations

from bot.engine.insights.extractor import conversation_hours
from bot.engine.insights.people import People
from bot.engine.insights.summary import summarize
from bot.language import is_english


def regenerate_summary(conversation: dict) -> list[dict]:
    """The Summary API items of `conversation` (the store's dict: messages, members, actionItems …)."""
    messages = conversation["messages"]
    if not is_english(messages):
        return []  # the summary is English-only, like the other insights (bot.language)
    return summarize(
        messages,
        People(conversation.get("members"), messages),
        minutes=conversation_hours(messages) * 60,
        action_items=conversation.get("actionItems"),
    )


def refresh_summary(conversation: dict) -> None:
    """After an edit of who said what (`PUT …/members`, `PUT …/speakers`): the stored summary labels its
    lines with speakers' names, so it is made again from the edited conversation, in place. An empty one
    stays empty: the analysis made none (another language, nothing quotable) and an edit does not change
    that."""
    if conversation.get("summary"):
        conversation["summary"] = regenerate_summary(conversation)
