"""`bot.engine.insights.analytics`: talk, silence and overlap measured from messages' times (no server)."""

from __future__ import annotations

from bot.engine.insights.analytics import conversation_analytics, intersection, merged

START = "2026-03-02T09:00:00.000Z"


def _message(who: str, start: float, end: float, text: str = "one two three") -> dict:
    def at(seconds: float) -> str:
        return f"2026-03-02T09:00:{seconds:06.3f}Z"

    return {
        "id": f"{who}-{start}",
        "text": text,
        "from": {"id": f"u-{who}", "name": who.title(), "email": f"{who}@example.org"},
        "startTime": at(start),
        "endTime": at(end),
    }


def _metrics(body: dict) -> dict[str, tuple[float, float]]:
    return {m["type"]: (m["seconds"], m["percent"]) for m in body["metrics"]}


def test_talk_silence_and_overlap_come_from_the_union_and_intersections_of_intervals():
    messages = [
        _message("priya", 1, 5, "one two three four five six seven"),
        _message("marco", 4, 10),
        _message("priya", 12, 14),
        _message("priya", 12.5, 13.5),  # inside her own message: not counted twice
    ]
    body = conversation_analytics(messages, None, START)

    # The span starts at the conversation's start (0 s), one second before the first word, and ends at 14 s.
    assert _metrics(body) == {
        "total_talk_time": (11.0, 78.57),  # 1–10 and 12–14
        "total_silence": (3.0, 21.43),
        "total_overlap": (1.0, 7.14),  # 4–5
    }
    priya, marco = body["members"]
    assert (priya["id"], priya["name"], priya["userId"]) == ("u-priya", "Priya", "priya@example.org")
    assert priya["talkTime"] == {"percentage": 42.86, "seconds": 6.0}
    assert priya["listenTime"] == {"percentage": 57.14, "seconds": 8.0}
    assert priya["pace"] == {"wpm": round(13 * 60 / 6, 2)}
    assert priya["overlap"] == {
        "overlapDuration": 1.0,
        "overlappingMembers": [
            {
                "id": "u-marco",
                "name": "Marco",
                "userId": "marco@example.org",
                "percent": 16.67,
                "seconds": 1.0,
            }
        ],
    }
    assert marco["overlap"]["overlappingMembers"][0]["percent"] == round(100 / 6, 2)


def test_three_at_once_counts_the_overlap_once():
    messages = [_message("a", 0, 10), _message("b", 2, 8), _message("c", 4, 6)]
    body = conversation_analytics(messages)
    assert _metrics(body)["total_overlap"] == (6.0, 60.0)  # 2–8
    a = body["members"][0]
    assert a["overlap"]["overlapDuration"] == 6.0
    assert [m["seconds"] for m in a["overlap"]["overlappingMembers"]] == [6.0, 2.0]


def test_no_times_no_speakers_or_no_messages_answer_zeros_not_errors():
    untimed = [{"id": "1", "text": "hello there", "from": {"id": "u1", "name": "Ann"}}]
    anonymous = [{**_message("x", 0, 4), "from": {}}]
    zero_length = [_message("a", 3, 3)]
    for messages in ([], untimed, zero_length):
        body = conversation_analytics(messages, [{"id": "u1", "name": "Ann"}], "not a time")
        assert all(m["seconds"] == 0 and m["percent"] == 0 for m in body["metrics"])
        for member in body["members"]:
            assert member["pace"]["wpm"] == 0 and member["talkTime"]["percentage"] == 0
    body = conversation_analytics(anonymous)
    assert body["members"] == [] and _metrics(body)["total_talk_time"] == (4.0, 100.0)


def test_interval_helpers():
    assert merged([(5, 6), (1, 3), (2, 4), (4, 4.5)]) == [(1, 4.5), (5, 6)]
    assert intersection([(0, 5), (6, 9)], [(4, 7), (8, 10)]) == [(4, 5), (6, 7), (8, 9)]
    assert intersection([(0, 1)], [(1, 2)]) == []
