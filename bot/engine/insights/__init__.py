"""Insights of a transcript (contract §5.3–5.6): topics, questions, action items, follow-ups, sentiment.

English only, offline: rules for commitments and questions, YAKE for keyphrases, VADER for sentiment.
"""

from .extractor import Insights, conversation_hours, extract_insights

__all__ = ["Insights", "conversation_hours", "extract_insights"]
