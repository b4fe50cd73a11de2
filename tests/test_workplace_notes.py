"""Notes on everyday workplace meetings (issue 20): commitments, assignments, decisions, speech-style text.

Short transcripts written for these tests (the eval meetings are for bench/, not tests). Each failure quoted
in the issue has a test: dropped first-person commitments with dates, pleasantries listed as tasks, a cap
that hid most of a short meeting's assignments, and speech-recogniser text that yielded nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.engine.insights import extract_insights
from bot.engine.insights.action_model import ActionModel
from bot.engine.insights.speech_text import normalise
from bot.insight_kinds import BY_KEY, KEYS

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # "by Friday" is 2026-03-06


def meeting(turns: list[tuple[str, str]], start: datetime = MONDAY) -> list[dict]:
    """Messages of named speakers, one turn every six seconds, as the Text API stores them."""
    return [
        {
            "id": f"m{index}",
            "text": text,
            "from": {"id": speaker.lower(), "name": speaker, "email": ""},
            "startTime": (start + timedelta(seconds=6 * index)).isoformat().replace("+00:00", "Z"),
            "endTime": (start + timedelta(seconds=6 * index + 5)).isoformat().replace("+00:00", "Z"),
            "timeOffset": 6.0 * index,
            "duration": 5.0,
        }
        for index, (speaker, text) in enumerate(turns)
    ]


def items_of(turns: list[tuple[str, str]]) -> list[dict]:
    return extract_insights(meeting(turns), reference_time=MONDAY).action_items


def the_item(items: list[dict], *words: str) -> dict:
    matches = [i for i in items if all(w in i["text"].lower() for w in words)]
    assert len(matches) == 1, f"one item about {words} expected in {[i['text'] for i in items]}"
    return matches[0]


INCIDENT_REVIEW = [
    ("Noor", "Okay, the outage on Saturday. The database failover took forty minutes instead of five."),
    ("Tariq", "Which is on us, the runbook was out of date."),
    ("Noor", "Right. So who writes this up?"),
    ("Tariq", "Sure, I'll have the postmortem draft ready by Friday."),
    ("Noor", "Good. And the vendor side?"),
    ("Emma", "I will open the vendor ticket this afternoon and share the ticket number in the channel."),
    ("Noor", "Staffing for the night shift is the other gap."),
    ("Emma", "I will ask finance to approve the night shift budget before Friday."),
    ("Noor", "Thanks everyone, good progress today."),
    ("Tariq", "The team will pick this up again next Tuesday."),
]


def test_first_person_commitments_with_dates_are_listed_with_owner_and_due_date():
    items = items_of(INCIDENT_REVIEW)

    postmortem = the_item(items, "postmortem")
    assert postmortem["assignee"]["name"] == "Tariq"
    assert postmortem["dueBy"].startswith("2026-03-06")
    ticket = the_item(items, "vendor ticket")
    assert ticket["assignee"]["name"] == "Emma"
    assert ticket["dueBy"].startswith("2026-03-02")
    budget = the_item(items, "night shift budget")
    assert budget["assignee"]["name"] == "Emma"
    assert budget["dueBy"].startswith("2026-03-06")


def test_pleasantries_and_a_vague_next_meeting_are_not_action_items():
    insights = extract_insights(meeting(INCIDENT_REVIEW), reference_time=MONDAY)

    listed = " ".join(i["text"].lower() for i in insights.action_items)
    assert "good progress" not in listed
    assert "pick this up" not in listed
    next_steps = " ".join(s["text"] for s in insights.summary if s["text"].startswith("Next steps"))
    assert "good progress" not in next_steps.lower() and "pick this up" not in next_steps.lower()


SPRINT_PLANNING = [
    ("Lina", "Quick planning, two minutes. Bruno, can you take the login timeout bug?"),
    ("Bruno", "Yes, I'll fix the login timeout bug by Wednesday."),
    ("Lina", "Chen, the release notes?"),
    ("Chen", "Tomorrow morning, I'll write the release notes."),
    ("Lina", "I will book the demo room for Thursday."),
    ("Sofia", "I'll update the pricing page copy today."),
    ("Bruno", "And I'll review Sofia's pull request this afternoon."),
    ("Chen", "Leave the customer survey with me, I'll send it out on Friday."),
    ("Lina", "Great, that's everything."),
]


def test_a_short_meeting_with_six_clear_commitments_lists_all_six():
    items = items_of(SPRINT_PLANNING)

    owners = {
        ("login timeout", "Bruno"),
        ("release notes", "Chen"),
        ("demo room", "Lina"),
        ("pricing page", "Sofia"),
        ("pull request", "Bruno"),
        ("customer survey", "Chen"),
    }
    for words, owner in owners:
        assert the_item(items, words)["assignee"]["name"] == owner
    assert len(items) == 6


SPEECH_STYLE = [
    ("Grace", "ok so the contract renewal for the warehouse lease whos on that"),
    ("Omar", "ill chase legal on the template today ill just walk over there after lunch"),
    ("Grace", "and the fire inspection"),
    ("Dan", "yeah im booking the fire inspection for next week"),
    ("Grace", "dan can you also order the replacement badges"),
    ("Dan", "yep leave it with me"),
    ("Grace", "great thanks all"),
]


def test_a_speech_recogniser_style_transcript_lists_its_commitments():
    items = items_of(SPEECH_STYLE)

    assert the_item(items, "legal")["assignee"]["name"] == "Omar"
    assert the_item(items, "fire inspection")["assignee"]["name"] == "Dan"
    badges = the_item(items, "badges")
    assert badges["assignee"]["name"] == "Dan"
    assert "thanks all" not in " ".join(i["text"].lower() for i in items)


@pytest.mark.parametrize(
    ("said", "read"),
    [
        ("ill chase legal today", "I'll chase legal today"),
        ("she was ill yesterday", "she was ill yesterday"),
        ("im on it dont worry", "I'm on it don't worry"),
        ("id like the report", "I'd like the report"),
        ("the id is wrong", "the id is wrong"),
        ("can you ping omar", "can you ping Omar"),
        ("we will see", "we will see"),
        # The "'ll" Whisper drops from a plan is put back; what people feel, did or do regularly is left.
        ("Yes, I update the build checklist by Monday.", "Yes, I'll update the build checklist by Monday."),
        ("i swap the alarm tomorrow", "I'll swap the alarm tomorrow"),
        ("I spoke to them on Monday.", "I spoke to them on Monday."),
        ("I logged that with IT today.", "I logged that with IT today."),
        ("I genuinely appreciate the honesty today.", "I genuinely appreciate the honesty today."),
        ("I send the report every Monday.", "I send the report every Monday."),
        ("I run the agency at seven.", "I run the agency at seven."),
        ("I don't want to wait till Tuesday.", "I don't want to wait till Tuesday."),
        ("I fly out tomorrow?", "I fly out tomorrow?"),
        # "well"/"were" opening a clause before a task verb or an -ing are the "we'll"/"we're" they sound as.
        ("yeah well send the contract over", "yeah we'll send the contract over"),
        ("were renegotiating with the carriers", "we're renegotiating with the carriers"),
        ("well done everyone", "well done everyone"),
        ("they were going home", "they were going home"),
    ],
)
def test_speech_text_is_read_with_contractions_and_names_restored(said, read):
    assert normalise(said, {"omar", "will"}) == read


def test_a_plan_whose_will_the_recogniser_dropped_is_an_item_with_owner_and_date():
    items = items_of(
        [
            ("Grace", "The loading dock alarm failed twice last week."),
            ("Ravi", "Okay, I swap the alarm on truck twelve tomorrow."),
            ("Grace", "And the checklist?"),
            ("Ravi", "Yes, I update the build checklist by Friday."),
            ("Grace", "Did the courier call back?"),
            ("Ravi", "I spoke to them on Monday, they're fine."),
        ]
    )

    alarm, checklist = the_item(items, "alarm"), the_item(items, "checklist")
    assert alarm["assignee"]["name"] == checklist["assignee"]["name"] == "Ravi"
    assert checklist["dueBy"].startswith("2026-03-06")
    assert len(items) == 2, [i["text"] for i in items]


DESIGN_REVIEW = [
    ("Ines", "We have two options for the onboarding flow: the wizard or the checklist."),
    ("Paul", "The checklist tested better with the pilot customers."),
    ("Ines", "Okay, decision: we go with the checklist for onboarding and drop the wizard."),
    ("Paul", "Good, the pilot customers will like that."),
    ("Ines", "Agreed. And the dark theme stays behind the feature flag until March."),
    ("Ines", "Paul, can you update the design spec by Thursday?"),
    ("Paul", "Yes, I'll update the design spec by Thursday."),
]


def test_decisions_are_listed_with_what_was_decided():
    insights = extract_insights(meeting(DESIGN_REVIEW), reference_time=MONDAY)

    texts = [d["text"].lower() for d in insights.decisions]
    assert any("checklist" in t for t in texts), texts
    assert all(d["type"] == "decision" and d["messageIds"] for d in insights.decisions)
    assert not any("design spec" in t for t in texts)
    assert insights.to_dict()["decisions"] == insights.decisions


def test_answers_that_report_what_was_done_are_no_items_but_an_accepted_request_is():
    items = items_of(
        [
            ("Lena", "Did the replacement labels arrive?"),
            ("Omar", "Yes, they arrived Tuesday, and the credit note's already been processed."),
            ("Lena", "Have we confirmed the courier for Friday?"),
            ("Omar", "I spoke to them on Monday, they're fine with Friday."),
            ("Lena", "And the old scanners, are they being collected?"),
            ("Omar", "The vendor picks them up Wednesday afternoon."),
            ("Lena", "Omar, can you send the pick list to the warehouse by Thursday?"),
            ("Omar", "Thursday works."),
        ]
    )

    assert [i["assignee"]["name"] for i in items] == ["Omar"], [i["text"] for i in items]
    assert "pick list" in the_item(items, "pick list")["text"].lower()


# A model that picks every turn: what is listed is then decided by the extractor's own rules alone.
EVERY_TURN = ActionModel({}, 10.0, 0.5, 0)


def test_a_task_taken_and_turned_down_at_once_or_a_compliment_taken_is_no_item():
    turns = [
        ("Maya", "Idris, could you run the supplier workshop again this year?"),
        ("Idris", "I'm happy to in principle, but I'm out the whole of March on parental leave."),
        ("Maya", "Nice work, Idris, moving the freight tender was the right call."),
        ("Idris", "Ha, I'll take that."),
        ("Maya", "Can you draft the tender summary for the board by Friday?"),
        ("Idris", "Sure, I can, but not before Thursday."),
    ]

    items = extract_insights(meeting(turns), reference_time=MONDAY, action_model=EVERY_TURN).action_items

    assert [i["text"] for i in items] == ["Idris will draft the tender summary for the board by Friday."]


def test_replies_that_tell_how_things_stand_take_nothing_on_whatever_the_model_picks():
    turns = [
        ("Lena", "Did the replacement labels arrive?"),
        ("Omar", "Yes, they arrived Tuesday, and the credit note's already been processed."),
        ("Lena", "And the loading bay lights, what is the long-term fix?"),
        ("Omar", "New fittings. It's on the capital list for next spring."),
        ("Lena", "Omar, can you send the pick list to the warehouse by Thursday?"),
        ("Omar", "Thursday works."),
    ]

    items = extract_insights(meeting(turns), reference_time=MONDAY, action_model=EVERY_TURN).action_items

    assert [i["assignee"]["name"] for i in items] == ["Omar"], [i["text"] for i in items]
    assert "pick list" in items[0]["text"]


def test_a_decision_said_as_one_is_listed_and_a_recap_or_a_found_thing_is_not():
    turns = [
        ("Ana", "For the vendor review we could meet weekly or every other week."),
        ("Ben", "Every other week is plenty, honestly."),
        ("Ana", "Biweekly it is."),
        ("Ben", "Where did I put the rota? There it is."),
        ("Ana", "Okay, so that's the decision: night shifts rotate every month from May."),
        ("Ben", "Last quarter we decided to freeze hiring, remember."),
        ("Ana", "And let's make that the rule: no deploys on Fridays."),
    ]

    texts = [d["text"].lower() for d in extract_insights(meeting(turns), reference_time=MONDAY).decisions]

    for decided in ("biweekly", "night shifts rotate", "no deploys on fridays"):
        assert any(decided in t for t in texts), (decided, texts)
    assert not any("there it is" in t or "freeze hiring" in t for t in texts), texts


def test_the_kinds_table_names_every_insight_list_once():
    assert len(set(KEYS)) == len(KEYS)
    assert BY_KEY["decisions"].path == "decisions" and not BY_KEY["decisions"].symbl
    assert set(KEYS) <= set(extract_insights([], reference_time=MONDAY).to_dict())


def test_due_dates_said_as_words_resolve():
    items = items_of(
        [
            ("Ravi", "I'll export the string table by the twenty-fifth."),
            ("Kim", "I will send the audit pack by noon."),
        ]
    )
    assert the_item(items, "string table")["dueBy"].startswith(date(2026, 3, 25).isoformat())
    assert the_item(items, "audit pack")["dueBy"].startswith("2026-03-02")


def test_each_summary_sentence_carries_its_own_speakers_label():
    turns = [
        ("Priya", "The login bug is fixed and the payment screen crash is the main release blocker now."),
        ("Speaker 1", "The payment screen crash happens on older phones during the release checkout flow."),
        (
            "Speaker 1",
            "The checkout flow crash also hits the payment screen on tablets with the old release.",
        ),
        ("Priya", "The release checkout flow needs the payment screen crash fixed before the release."),
    ]
    messages = meeting(turns)
    summary = extract_insights(messages, reference_time=MONDAY).summary

    speaker_of = {m["id"]: m["from"]["name"] for m in messages}
    quoted = [item for item in summary if not item["text"].startswith("Next steps")]
    assert len(quoted) >= 2
    for item in quoted:
        speakers = {speaker_of[ref["id"]] for ref in item["messageRefs"]}
        assert len(speakers) == 1, item
        assert item["text"].startswith(f"{speakers.pop()}: ")
        assert item["text"].count(": ") == 1  # one label per run of one speaker's sentences
    labels = [item["text"].split(":")[0] for item in quoted]
    assert all(a != b for a, b in zip(labels, labels[1:], strict=False))


def test_questions_by_their_syntax_and_elliptical_follow_ups_with_what_they_ask_about():
    turns = [
        ("Lena", "The supplier says the replacement parts are delayed again."),
        ("Omar", "How long?"),
        ("Lena", "Two weeks at least, maybe three."),
        ("Omar", "Okay. When could you have a revised schedule for the install crew?"),
        ("Lena", "By Thursday."),
        ("Omar", "Good."),
    ]
    asked = [q["text"] for q in extract_insights(meeting(turns), reference_time=MONDAY).questions]
    assert any(
        q.startswith("How long? (re: The supplier says the replacement parts are delayed") for q in asked
    )
    assert any("When could you have a revised schedule" in q for q in asked)
    assert not any(q.startswith("Good") or q.startswith("By Thursday") for q in asked)


# Work given to a team, a role or someone absent by a capitalised subject, and to "you two" / "you guys":
# chosen by the model but dropped for want of an owner form until the extractor read these forms.
HANDOFF_SYNC = [
    ("Amara", "Okay, last thing is the partner launch."),
    ("Amara", "So Marketing will email the partner list before Friday."),
    ("Felix", "And the Security Team needs to review the new login flow before we ship."),
    ("Amara", "Right, and you two are going to work on the pricing page mockups for next week."),
    ("Felix", "This will be fine."),
    ("Amara", "Legal will probably say no to the discount anyway."),
]


def test_work_given_to_a_team_a_role_or_you_two_is_listed_in_their_words():
    items = items_of(HANDOFF_SYNC)
    marketing = the_item(items, "partner list")
    assert marketing["text"].startswith("Marketing will email the partner list")
    assert marketing["dueBy"].startswith("2026-03-06")
    assert the_item(items, "login flow")["text"].startswith("The Security Team needs to review")
    the_item(items, "pricing page")
    listed = " ".join(i["text"].lower() for i in items)
    assert "fine" not in listed and "discount" not in listed


def test_an_offer_put_as_a_question_and_taken_up_is_the_offerers_item():
    items = items_of(
        [
            ("Ines", "If we had the budget we could hire a second driver, but we don't."),
            ("Kemal", "Shall I draft a business case for the extra driver anyway?"),
            ("Ines", "Yes please, by the end of the month."),
        ]
    )

    item = the_item(items, "business case")
    assert item["assignee"]["name"] == "Kemal"
    assert item["text"].startswith("Kemal will draft a business case")
    assert item["dueBy"].startswith("2026-03-31")


def test_a_request_put_to_someone_and_accepted_is_listed_even_in_few_words():
    turns = [
        ("Ines", "Kemal, please keep negotiating with the landlord and report back in April."),
        ("Kemal", "Will do."),
        ("Ines", "Can you get the two stock discrepancies reconciled before month end?"),
        ("Bea", "Consider it done."),
        ("Ines", "Bea, can you program a test infusion on this one?"),
        ("Bea", "Okay."),
    ]

    items = items_of(turns)

    assert the_item(items, "keep negotiating")["assignee"]["name"] == "Kemal"
    reconciled = the_item(items, "reconciled")
    assert reconciled["assignee"]["name"] == "Bea"
    assert reconciled["dueBy"].startswith("2026-03-31")
    assert not any("infusion" in i["text"] for i in items), "work done in the room is no item"


def test_a_pronoun_is_not_read_as_a_request_someone_else_answered():
    turns = [
        ("Ines", "Can you get the stock discrepancies reconciled before month end?"),
        ("Bea", "Consider it done."),
        ("Ines", "The new shift rota needs signing off by HR."),
        ("Kemal", "I'm on the hook for the rota, I'll get it over to HR by Wednesday."),
    ]

    items = extract_insights(meeting(turns), reference_time=MONDAY, action_model=EVERY_TURN).action_items

    rota = the_item(items, "hr")
    assert rota["assignee"]["name"] == "Kemal"
    assert "reconciled" not in rota["text"]


@pytest.mark.parametrize(
    ("said", "due"),
    [
        ("I'll move the alerts by end of day tomorrow.", "2026-03-03"),
        ("I'll send the contract by close of business Friday.", "2026-03-06"),
        ("I'll have the survey results by mid-April.", "2026-04-15"),
        ("I'll close the books before month end.", "2026-03-31"),
        ("I'll finish the forecast by the end of the quarter.", "2026-03-31"),
        ("I'll get the new rota out within a fortnight.", "2026-03-16"),
        ("I'll have the shortlist by the end of January.", "2027-01-31"),
        ("I'll sign the lease by May.", "2026-05-01"),
    ],
)
def test_deadlines_said_around_a_day_or_a_month_resolve(said, due):
    [item] = items_of([("Ravi", said)])
    assert item["dueBy"].startswith(due), item


def test_a_commitment_is_written_in_the_third_person_without_its_run_on_or_emphasis():
    turns = [
        ("Nadia", "the design team hasnt sent the mockups"),
        ("Sam", "ok ill chase them today i know their lead"),
        ("Nadia", "Nobody wants the report? Okay, I'll write it myself and send it to support by Monday."),
        ("Sam", "Can you send me a list of what you still need?"),
        ("Nadia", "Yeah, I'll send that over after this."),
    ]

    items = extract_insights(meeting(turns), reference_time=MONDAY, action_model=EVERY_TURN).action_items
    texts = [i["text"] for i in items]

    assert any(t.startswith("Sam will chase them today") and "know" not in t for t in texts), texts
    assert any(t.startswith("Nadia will write it and send it to support") for t in texts), texts
    assert "Nadia will send Sam a list of what Nadia still needs." in texts, texts


def test_a_point_raised_when_the_chair_asks_for_other_business_is_no_ones_task():
    turns = [
        ("Helen", "Thank you Olga. Any other business?"),
        (
            "Marcus",
            "Just that the annual report goes to print on the fifteenth, so comments to me before then.",
        ),
    ]

    items = extract_insights(meeting(turns), reference_time=MONDAY, action_model=EVERY_TURN).action_items

    assert not any(i["assignee"].get("name") == "Marcus" for i in items), [i["text"] for i in items]


def test_a_motion_adopted_or_a_point_agreed_is_a_decision():
    turns = [
        ("Helen", "The auditors recommend two signatures on anything over ten thousand."),
        ("Helen", "Any objections to adopting that? No? Then it's adopted from next quarter."),
        ("Marcus", "I will update the finance policy accordingly."),
        ("Helen", "OK, we're agreed the Saturday shift moves to Sunday from January."),
    ]

    texts = [d["text"].lower() for d in extract_insights(meeting(turns), reference_time=MONDAY).decisions]

    assert any("adopted" in t for t in texts), texts
    assert any("saturday shift" in t for t in texts), texts


def test_screen_sharing_and_goodbyes_are_no_items_whatever_the_model_picks():
    turns = [
        ("Omari", "No worries. I'll share my screen."),
        ("Greta", "Sure. I'll see you both at the offsite on Thursday."),
        ("Greta", "Ha, deal. I'll let you go."),
        ("Pavel", "I'll send the offsite agenda to everyone tomorrow."),
    ]

    items = extract_insights(meeting(turns), reference_time=MONDAY, action_model=EVERY_TURN).action_items

    assert [i["text"] for i in items] == ["Pavel will send the offsite agenda to everyone tomorrow."]


def test_a_task_asked_for_by_naming_a_person_and_a_thing_is_theirs_when_they_give_a_time():
    items = items_of(
        [
            ("Wen", "Okay, launch checklist. Priya, the slides?"),
            ("Priya", "Tomorrow morning."),
            ("Wen", "And Arjun, the venue deposit?"),
            ("Arjun", "Paid it last week."),
        ]
    )

    assert [(i["text"], i["assignee"]["name"]) for i in items] == [
        ("Priya will handle the slides tomorrow.", "Priya")
    ]


def test_work_put_off_to_some_point_is_a_follow_up_without_a_due_date():
    turns = [
        ("Tom", "ok so thanks everyone lets go through the q4 roadmap"),
        ("Kenji", "yeah ill get the sdk upgrade done by friday no problem"),
        ("Tom", "ok we should probably look at the hiring plan at some point too but not today"),
    ]

    insights = extract_insights(meeting(turns), reference_time=MONDAY, action_model=EVERY_TURN)

    assert [i["text"] for i in insights.action_items] == ["Kenji will get the sdk upgrade done by Friday."]
    [parked] = insights.follow_ups
    assert "hiring plan" in parked["text"] and "dueBy" not in parked


def test_what_a_named_person_can_do_answered_with_okay_is_no_item_and_breaks_nothing():
    turns = [
        ("Anna", "So Anna can select which colour she prefers, so."),
        ("Ben", "Okay."),
        ("Ben", "So Anna can pick the colour and Ben can sign it off."),
    ]

    # Whatever the model picks, a speaker's own name as the subject of "can" is written, not a crash.
    extract_insights(meeting(turns), reference_time=MONDAY, action_model=EVERY_TURN)
    items = items_of(turns)

    assert not any("select" in i["text"] for i in items), [i["text"] for i in items]


def test_work_handed_to_someone_by_name_is_theirs_in_the_meeting_or_not():
    turns = [
        ("Wen", "The contract clause on liability still worries me."),
        ("Arjun", "Let's ask Tom from legal to check the clause before we sign."),
        ("Wen", "Agreed. Let's get Mei to sign off the budget too."),
        ("Priya", "I'll ping her after this."),
    ]

    items = items_of(turns)

    clause = the_item(items, "clause", "tom")
    assert clause["text"] == "Tom from legal will check the clause before we sign."
    assert clause["assignee"]["name"] == "Tom"
    assert the_item(items, "mei will")["assignee"]["name"] == "Mei"
    assert the_item(items, "ping")["assignee"]["name"] == "Priya"


def test_asking_for_a_thing_from_someone_is_their_item_to_provide():
    items = items_of(
        [
            ("Marta", "okay so for the audit prep i need the access logs from you by thursday jakub"),
            ("Jakub", "yeah should be able to get those to you"),
        ]
    )

    item = the_item(items, "access logs")
    assert item["text"] == "Jakub will provide the access logs by Thursday."
    assert item["assignee"]["name"] == "Jakub"


def test_agreeing_to_catch_up_later_is_a_follow_up():
    insights = extract_insights(
        meeting([("Rachel", "Please take Friday off. Let's catch up again in two weeks.")]),
        reference_time=MONDAY,
    )

    assert any("catch up again" in f["text"] for f in insights.follow_ups), insights.follow_ups


def test_assignments_in_the_minutes_shorthand_or_the_present_tense_are_the_named_persons():
    items = items_of(
        [
            (
                "Leah",
                "Okay, wrapping up. Action items. Sara to update the runbook with the new failover steps.",
            ),
            ("Sara", "Yep."),
            ("Leah", "Ben, you own the alert thresholds review, due end of next week."),
            ("Ben", "Got it."),
        ]
    )

    runbook = the_item(items, "runbook")
    assert (runbook["text"], runbook["assignee"]["name"]) == (
        "Sara will update the runbook with the new failover steps.",
        "Sara",
    )
    assert the_item(items, "thresholds")["text"].startswith("Ben will own the alert thresholds review")


def test_the_due_date_is_the_tasks_not_the_conditions():
    items = items_of(
        [("Hugo", "If legal signs off this week, I'll migrate the billing accounts next Monday.")]
    )

    assert the_item(items, "billing accounts")["dueBy"].startswith("2026-03-09")


def test_questions_leave_out_requests_listed_as_items_bids_for_the_floor_and_call_check_ins():
    turns = [
        ("Ola", "Hi all, can you hear me okay? Am I on mute?"),
        ("Ben", "All good. Hey, how's it going?"),
        ("Ola", "Fine. What's the deadline for the budget submissions?"),
        ("Ben", "The fifteenth. Can I raise something about the forms?"),
        ("Ola", "Ben, can you send the template to finance by Friday?"),
        ("Ben", "Sure, will do."),
    ]

    insights = extract_insights(meeting(turns), reference_time=MONDAY)

    assert [q["text"] for q in insights.questions] == ["What's the deadline for the budget submissions?"]
    assert the_item(insights.action_items, "template")["assignee"]["name"] == "Ben"


def test_a_noun_and_the_verb_after_it_are_no_topic():
    turns = [
        ("Harriet", "Next, the stock count. Amara, where are we?"),
        ("Amara", "We finished the count on Friday, two discrepancies left."),
        ("Harriet", "The forklift repair sounds expensive, the repair company went quiet."),
        ("Amara", "The stock count discrepancies are small, the forklift repair is the real worry."),
    ]

    topics = [t["text"] for t in extract_insights(meeting(turns), reference_time=MONDAY).topics]

    assert "stock count" in topics
    assert not any(t.endswith((" left", " sounds", " went")) for t in topics), topics


def test_an_adverb_is_no_topic():
    turns = [
        ("Mei", "unlock failures mostly at the station plaza dock this week"),
        ("Dana", "the unlock failures are mostly the old docks, partly the app"),
        ("Mei", "and since the firmware update the unlock failures dropped a bit"),
        ("Dana", "meantime the station plaza dock stays on the list, mostly for the unlock failures"),
    ]

    topics = [t["text"] for t in extract_insights(meeting(turns), reference_time=MONDAY).topics]

    assert any("unlock failures" in t for t in topics), topics
    assert not any(w in t.split() for t in topics for w in ("mostly", "partly", "since", "meantime")), topics


def test_each_commitment_of_a_turn_with_its_own_date_is_an_item_and_a_put_off_topic_a_follow_up():
    turns = [
        (
            "Kofi",
            "right so the supplier audit is next tuesday ill send the checklist to everyone tonight and "
            "then im going to call the auditor tomorrow to confirm the scope oh and ill need someone to "
            "cover the desk",
        ),
        ("Lina", "I'll print the badges on Monday. I'm also going to book the parking on Friday."),
        ("Kofi", "perfect also lets push the returns policy to the next meeting"),
    ]

    insights = extract_insights(meeting(turns), reference_time=MONDAY, action_model=EVERY_TURN)
    texts = [i["text"] for i in insights.action_items]

    assert "Kofi will send the checklist to everyone tonight." in texts, texts
    assert "Kofi will call the auditor tomorrow to confirm the scope." in texts, texts
    assert any(t.startswith("Lina will book the parking") for t in texts), texts
    assert not any("cover the desk" in t for t in texts), texts
    assert any("returns policy" in f["text"] for f in insights.follow_ups), insights.follow_ups


def test_a_topic_parked_by_a_pronoun_says_what_it_is():
    turns = [
        ("Kwabena", "Last year I wanted to go to the distributed systems conference, and it got cut."),
        ("Hannah", "If you submit a talk and it gets accepted, we'll cover it."),
        ("Kwabena", "I might. I'm not sure I have a talk in me yet."),
        ("Hannah", "Let's come back to that next month, once the design work's going."),
    ]

    [parked] = extract_insights(meeting(turns), reference_time=MONDAY).follow_ups

    assert parked["text"].startswith("Let's come back to that next month")
    assert "(re: " in parked["text"] and "talk" in parked["text"], parked["text"]


def test_a_date_given_to_by_when_is_the_items_and_where_one_will_be_is_no_item():
    turns = [
        ("Naledi", "I'll write the storm trigger into the emergency plan."),
        ("Gareth", "Thanks. By when?"),
        ("Naledi", "Before the winter readiness review, so by the end of October."),
        ("Margaret", "I'll be on the ward all next week, so grab me anytime."),
    ]

    items = extract_insights(meeting(turns), reference_time=MONDAY, action_model=EVERY_TURN).action_items

    [item] = items
    assert item["text"].startswith("Naledi will write the storm trigger into the emergency plan")
    assert item["dueBy"].startswith("2026-10-31")


def test_a_task_named_after_the_form_needs_no_context_from_around_it():
    turns = [
        ("Marcus", "ill explain the pto rule at the all hands"),
        ("Themba", "and ill scan the handwritten pages so theyre searchable ill do that tomorrow"),
    ]

    items = extract_insights(meeting(turns), reference_time=MONDAY, action_model=EVERY_TURN).action_items

    assert (
        the_item(items, "handwritten")["text"]
        == "Themba will scan the handwritten pages so they're searchable tomorrow."
    )


def test_a_volunteers_that_is_the_task_put_to_nobody_in_particular():
    turns = [
        ("Patricia", "And somebody needs to talk to the Westview principal before anything goes out."),
        ("Patricia", "I'll do that one myself."),
    ]

    items = extract_insights(meeting(turns), reference_time=MONDAY, action_model=EVERY_TURN).action_items

    assert [i["text"] for i in items] == [
        "Patricia will talk to the Westview principal before anything goes out."
    ]


def test_a_turn_listed_as_work_or_put_off_is_not_also_a_decision():
    turns = [
        ("Beatriz", "We don't have the budget for all forty titles."),
        ("Harriet", "Could we just renew the ones with holds on them?"),
        ("Beatriz", "Yeah, let's do that: only renew titles with active holds."),
        ("Wei", "I'll pull the list of expiring titles with holds and renew those by the twentieth."),
        ("Beatriz", "The layout is a big project. Let's give that its own review session next week."),
    ]

    insights = extract_insights(meeting(turns), reference_time=MONDAY, decision_model=EVERY_TURN)
    decided = [d["text"] for d in insights.decisions]

    assert any("active holds" in t for t in decided), decided
    assert not any("review session" in t or "pull the list" in t for t in decided), decided
    assert any("review session" in f["text"] for f in insights.follow_ups)
