"""Topics a participant would write: noun phrases, variants merged, ranked as a participant would list them,
grouped by parentRefs."""

from __future__ import annotations

from bot.engine.insights.topics import SHORT_MEETING_TOPICS, _is_topic_like, find_topics, topic_limit


def messages(*lines: str) -> list[dict]:
    return [{"id": f"m{i}", "text": line} for i, line in enumerate(lines)]


DESIGN_MEETING = messages(
    "So the remote control needs rubber buttons, because rubber buttons feel nice.",
    "I was wondering whether the remote control design could be a little smaller.",
    "The new remote control should work with the LCD screen we started on.",
    "Cause the LCD screen is expensive, much more than the rubber buttons.",
    "The remote controls we tested had buttons that broke after a week, which is wrong.",
    "Next, the solar charging: solar charging works only with light.",
    "The buttons again: the rubber buttons are cheaper than plastic buttons.",
)


def topic_texts(found: list[dict]) -> list[str]:
    return [t["text"] for t in found]


def test_no_single_word_topics_but_acronyms():
    found = find_topics(DESIGN_MEETING, {}, 0.1, 0.5)

    texts = topic_texts(found)
    assert texts and all(" " in t or t.isupper() for t in texts), texts
    for junk in ("cause", "little", "much", "wondering", "started", "next", "wrong", "buttons"):
        assert junk not in texts


def test_variants_of_one_phrase_are_one_topic_citing_all_their_messages():
    found = {t["text"]: t for t in find_topics(DESIGN_MEETING, {}, 0.1, 0.5)}

    remote = [t for t in found if "remote" in t]
    assert remote == ["remote control"], list(found)
    # "remote control design" (m1) and "remote controls" (m4) are the same subject
    assert {"m0", "m1", "m2", "m4"} <= set(found["remote control"]["messageIds"])


def test_the_subjects_the_meeting_keeps_coming_back_to_come_first():
    found = find_topics(DESIGN_MEETING, {}, 0.1, 0.5)

    assert {t["text"] for t in found[:2]} == {"remote control", "rubber buttons"}
    scores = [t["score"] for t in found]
    assert scores == sorted(scores, reverse=True)


def test_a_specific_term_said_once_outranks_an_everyday_word_said_often():
    # The learned ranking (topic_ranking): "agenda" is said in nearly every meeting, so saying it three
    # times does not make it the subject; a register other meetings never name is one, though said once.
    # Ranked by the messages saying them, "agenda" came first.
    said = messages(
        "Morning all. Is everyone happy with the agenda? It's a short one.",
        "Wards seven and nine are done, the controlled drugs register checks are left on eleven.",
        "Somebody logged the heparin near miss in Datix last night, so that's on the agenda too.",
        "Okay, and the agenda after that is the fridge temperature logs.",
    )
    texts = [t["text"].lower() for t in find_topics(said, {}, 0.1, 0.5)]

    assert texts[0] == "controlled drugs register", texts
    assert texts.index("agenda") > texts.index("temperature logs"), texts


def test_a_single_word_becomes_the_parent_of_the_phrases_it_heads():
    found = {t["text"]: t for t in find_topics(DESIGN_MEETING, {}, 0.1, 0.5)}

    assert {"type": "topic", "text": "buttons"} in found["rubber buttons"]["parentRefs"]
    # and what it covers counts for that phrase: m4 says only "buttons"
    assert "m4" in found["rubber buttons"]["messageIds"]


def test_people_and_vague_phrases_are_not_topics():
    said = messages(
        "David Jordan sent the David Jordan report on the pricing model.",
        "Different shape, next slide please, the pricing model again.",
        "Ten percent of the pricing model is the next slide.",
        "Priya asked about the pricing model and the different shape.",
    )

    texts = topic_texts(find_topics(said, {}, 0.1, 0.5, frozenset({"priya"})))

    assert "pricing model" in texts
    for junk in ("david jordan", "different shape", "next slide", "ten percent", "priya"):
        assert junk not in texts


def test_clauses_are_not_topics_but_adjectives_before_a_noun_are():
    clauses = ["orders instead", "design across teams", "nobody expects", "printer fixed", "team worked late"]
    things = ["revised budget", "damaged goods", "design review", "speed of light", "reserve estimate"]
    assert [p for p in clauses if _is_topic_like(p, frozenset())] == []
    assert [p for p in things if not _is_topic_like(p, frozenset())] == []


def test_a_noun_phrase_said_once_is_a_candidate():
    said = messages(
        "The rollout went fine on the staging servers and the staging servers look healthy.",
        "We still need the load balancer config before Friday, honestly.",
        "Staging servers again: they were slow this morning.",
    )

    assert "load balancer config" in topic_texts(find_topics(said, {}, 0.1, 0.5))


def test_a_short_meeting_lists_the_cross_validated_number_of_topics():
    assert topic_limit(0.1) == topic_limit(0.5) == SHORT_MEETING_TOPICS
    assert SHORT_MEETING_TOPICS < topic_limit(1.0) < topic_limit(2.0)


def test_clock_times_and_reaching_a_person_are_no_topics():
    incident = messages(
        "At 14:02 the payment service started returning errors from the connection pool.",
        "The alert fired at 14:05 and the connection pool was drained by 14:34.",
        "Do we need design for the audit logs? Let's ask Kofi to review the admin screens.",
        "I'll ping Kofi about the admin screens after this. The audit logs can wait.",
    )
    texts = [t.lower() for t in topic_texts(find_topics(incident, {}, 0.1, 0.5))]

    assert "connection pool" in texts and "admin screens" in texts, texts
    assert not any(":" in t or t.replace(" ", "").isdigit() for t in texts), texts
    assert "ask kofi" not in texts and "ping kofi" not in texts, texts


def test_a_word_said_again_and_again_that_names_no_subject_is_no_topic():
    said = messages(
        "The courier contract is good enough for now, and the final invoice is fine.",
        "Is the courier invoice final? I think it's good enough, properly checked.",
        "Yes, it's final, the courier signed it properly. Good enough for me.",
        "Then the courier invoice goes to finance. That's final.",
    )
    topics = [t["text"].lower() for t in find_topics(said, {}, 0.1, 0.5)]
    assert not {"enough", "final", "properly"} & set(topics), topics
    assert any("courier" in t for t in topics), topics
