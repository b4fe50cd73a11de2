"""The words of commitments, requests and meeting talk: the patterns the action-item model sees.

These patterns are evidence, not scores: `action_features` turns each into a binary feature and the model
(fitted by bench/train_actions.py) decides what each is worth. `actions` also uses the commitment forms
(`CUES`) to find who owes the work and to rewrite an item in the third person. The order and number of
`CUES` and the patterns' meaning are part of the shipped model: after changing any of them, re-run
`python bench/train_actions.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ACTION_ITEM = "action_item"
FOLLOW_UP = "follow_up"

SPEAKER, ADDRESSEE, GROUP, NAMED, ROLE = "speaker", "addressee", "group", "named", "role"
# Meetings end with a round of next steps ("for next time…", "before the next meeting…"), found from the
# words that frame it: next-step cues in the second half of the meeting, plus this many messages either side.
NEXT_STEPS_REACH = 12


@dataclass(frozen=True)
class Cue:
    pattern: re.Pattern
    owner: str
    modal: str  # how the normalised sentence phrases the obligation: "will", "needs to", "should"


def _cue(regex: str, owner: str, modal: str = "will") -> Cue:
    return Cue(re.compile(r"(?:" + regex + r")\s+(?P<rest>\S.*)", re.IGNORECASE), owner, modal)


WANT_YOU_TO_CUE = _cue(
    r"\bi(?:'d| would) like you to|\bi (?:want|need) you to|"
    # "What I would like is for you to sit in on a donor call with me."
    r"\bwhat i(?:'d| would) (?:like|love|want) is for you to",
    ADDRESSEE,
)
PLEASE_CUE = _cue(r"\b(?:please|pls)", ADDRESSEE)
REQUEST_CUE = _cue(r"\b(?:can|could|would|will) you(?: please)?", ADDRESSEE)
REMINDER_CUE = _cue(r"\b(?:don't|do not) forget to|\bremember to|\bmake sure (?:to|you|that you)", ADDRESSEE)
# "You'll have the full RCA by Friday", "Sure thing, you'll have them this afternoon": what the hearer will
# receive after "you'll" (YOU_WILL_CUE) is the speaker's to deliver, not the hearer's task.
RECEIVED = re.compile(r"^(?:have|get|receive)\s+(?!to\b)", re.IGNORECASE)
YOU_WILL_CUE = _cue(r"\byou(?:'ll| will)", ADDRESSEE)
# The forms that put a request to someone, as against stating what "you" must do ("you have to choose").
REQUEST_CUES = (WANT_YOU_TO_CUE, PLEASE_CUE, REQUEST_CUE, REMINDER_CUE)
# Ordered from the most specific to the most general: the first that matches decides owner and modal.
CUES: tuple[Cue, ...] = (
    *REQUEST_CUES,
    _cue(
        r"\byou(?:'ll| will)? (?:have to|need to|must|(?:'ve|have) got to)|\byou(?:'re| are) (?:going to|"
        r"gonna) have to",
        ADDRESSEE,
        "needs to",
    ),
    _cue(r"\byou should", ADDRESSEE, "should"),
    YOU_WILL_CUE,
    _cue(r"\bi(?:'d| would) like to (?:see|receive|have|get)", ADDRESSEE),
    _cue(r"\bi(?:'ll| will| shall)(?: have to)?|\bi(?:'m| am) (?:going to|gonna)", SPEAKER),
    _cue(r"\bi (?:have to|need to|must)|\bi(?:'ve| have) got to", SPEAKER, "needs to"),
    _cue(r"\blet me", SPEAKER),
    _cue(r"\bi can(?!'t| not)(?: also| just)?", SPEAKER),
    # "So I'm on the autosave corruption first": taking a task on.
    # Not where the speaker will be ("I'm on leave from Wednesday", "on call", "on the train").
    _cue(
        r"\bi(?:'m| am)(?= on (?!it\b|(?:the|a) (?:phone|call|line|train|bus|road|way|flight|plane)\b|"
        r"(?:annual |parental |sick |maternity |paternity |study )?leave\b|holiday|vacation|call\b|site\b|"
        r"my way|nights|days\b|shift|"
        r"a course|secondment|duty|furlough))",
        SPEAKER,
        "is",
    ),
    # "I'm booking the fire inspection for next week": the present progressive of a plan.
    _cue(
        r"\bi(?:'m| am)(?= \w+ing\b)(?! (?:thinking|wondering|guessing|hoping|worried|going|getting at))",
        SPEAKER,
        "is",
    ),
    _cue(
        r"\bwe(?:'ll| will)? (?:need to|have to|must)|\bwe(?:'ve| have) got to|\bwe(?:'re| are) (?:going to|"
        r"gonna) have to",
        GROUP,
        "needs to",
    ),
    _cue(r"\bwe should", GROUP, "should"),
    _cue(r"\blet(?:'s| us)", GROUP),
    _cue(r"\bwe(?:'ll| will| shall)|\bwe(?:'re| are) (?:going to|gonna)", GROUP),
    _cue(
        r"\b(?:everyone|everybody|each of you|all of you|each (?:one|person)) (?:will|should|needs to|has to|"
        r"must)",
        GROUP,
    ),
)

# "<Name> will/should … " about a known person; matched case-sensitively because names are capitalised.
NAMED_SUBJECT = re.compile(
    r"\b(?P<name>[A-Z][a-z]+)(?P<modal>'ll| will| should| needs to| has to| is going to| is gonna| can|"
    r" could)\s+(?!you\b)(?P<rest>\S.*)"
)
# Someone not speaking whose promise is passed on: "Oksana couldn't make it, but she's already told me she'll
# size the Kafka work by the 3rd", "Brendan has agreed by email that he'll set up the samples", "Dmitri is
# sending the price list on Monday". Theirs (`reported_person` finds whose); used, like NAMED_SUBJECT, only to
# word and own an item, not as a model feature.
REPORTED_PROMISE = re.compile(
    r"\b(?:he|she|(?-i:(?P<who>[A-Z][a-z]+)),?)(?:'s| has| had)? (?:already |also )?"
    r"(?:said|says|told (?:me|us)|emailed (?:me |us )?to say|messaged (?:me |us )?to say|confirmed|"
    r"agreed(?: by email| on email)?|promised)(?: (?:me|us))?"
    r"(?: (?:yesterday|today|this morning|last night|earlier|just now))?(?: that)?"
    # "she's already said yes — she'll do the audio script"
    r"(?:,? yes)?[\s,:;\u2014\u2013-]+"
    r"(?:he|she)(?:'ll|'d| will| would| can| could)\s+(?P<rest>\S.*)|"
    # "he's promised to send the signed sheets over by Wednesday", "Nikhil has agreed to review it"
    r"\b(?:he|she|(?-i:(?P<who_to>[A-Z][a-z]+)))(?:'s| has)? (?:already |also |now )?"
    r"(?:promised|agreed|offered|volunteered) to\s+(?P<to>\S.*)|"
    # Work handed on through the speaker: "Dennis runs the contact centre, and I've asked him to train them"
    r"\bi(?:'ve| have) (?:already )?(?:asked|told) (?:him|her|(?-i:(?P<who_asked>[A-Z][a-z]+))) to\s+"
    r"(?P<asked>\S.*)|"
    r"\b(?:he|she)(?:'ll| will|'s going to| is going to)\s+"
    r"(?!(?:be|have to|need|want|probably|not|never)\b)(?P<also>\S.*)",
    re.IGNORECASE,
)
# "Dmitri is sending the updated price list on Monday": a named person's plan, said in the present.
NAMED_PLAN = re.compile(r"\b(?P<name>[A-Z][a-z]+(?:-[A-Z][a-z]+)?) is (?P<rest>[a-z]+ing\b.*)")
# Assignments the model's features do not name as forms ("you're gonna be working on…", "I need you guys
# to…", "you two have to…"): used, like ROLE_SUBJECT, only to word and own an item the model chose.
ASSIGNED_TO_YOU = _cue(
    r"\byou(?: two| guys| all| both)?(?:'re| are) (?:going to|gonna)(?: be)?|"
    r"\bi (?:need|want) you (?:guys |two |all |both )?to|"
    r"\byou (?:guys|two|all|both) (?:have to|need to|will|should)|"
    # "Ben, you own the alert thresholds review": handed over in the present tense.
    r"(?:^|,\s*)you(?= (?:own|lead|handle|run|take|drive)\b)",
    ADDRESSEE,
)
# The minutes' shorthand for an assignment: "Action items. Sara to update the runbook…".
# "Put me down for the playground quotes", "sign me up for the rota": the speaker takes the thing named.
PUT_ME_DOWN = re.compile(
    r"\b(?:put|sign) me (?:down |up )?for\s+(?P<rest>(?:the|a|an|this|that|those|these|our)\s+\S.*)",
    re.IGNORECASE,
)
MINUTED = re.compile(r"(?:^|[.:;]\s+)(?P<name>[A-Z][\w'-]+) to (?P<rest>[a-z]+\b.*\S)")
# "The Industrial Designer will…", "Marketing will…", "Legal needs to…": work given to a role, a team or
# someone not in the meeting, by a capitalised subject (case-sensitive for that reason; pronouns and
# determiners are not subjects of this kind). Used to word and own an item the model chose, not as a model
# feature.
ROLE_SUBJECT = re.compile(
    r"^(?:(?:[Ss]o|[Aa]nd|[Tt]hen|[Oo]kay|[Nn]ow|[Aa]lso|[Bb]ut|[Ww]ell|[Yy]eah),?\s+)*"
    r"(?P<role>(?:[Tt]he\s+)?"
    r"(?!(?:I|We|You|They|He|She|It|This|That|These|Those|There|Here|Everyone|Everybody|Someone|Somebody|"
    r"Nobody|Who|What|Which|Each|All|Both|One|Nothing|Something|Anything|Everything)\b)"
    r"[A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,3}(?:\s+and\s+(?:the\s+)?[A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,3})?)"
    r"\s+(?P<modal>will|is going to|are going to|is gonna|are gonna|has to|have to|needs to|need to|"
    r"should)\s+"
    r"(?:(?P=modal)\s+)?(?!not\b|never\b|probably\b|be\s+(?:fine|ok|okay|happy|glad|able)\b)(?P<rest>\S.*)"
)
# Addressing someone: "Priya, …", "…, Priya?", and without commas (speech-to-text drops them) "Priya please…".
VOCATIVE = (
    r"(?:^|,\s*){name}\s*,|,\s*{name}\s*[?.!]?$|"
    r"\b{name},?\s+(?:please|can you|could you|would you|will you|you need|you have|you should)\b"
)

# Work the speakers do during the meeting itself ("let me show you", "we'll go to the next slide"); it is
# not an action item unless something in the sentence points past the meeting.
IN_MEETING = re.compile(
    r"^(?:just |quickly |now |first |briefly )*(?:see|show|say|tell|talk|explain|present|go|start|begin|move|"
    r"pass|open|close|stop|wait|sit|be|skip|repeat|read|hear|continue|introduce|summari[sz]e|recap|turn|"
    r"switch|plug|try|leave|keep|call it|use|hold|paint|speak|input|give (?:me|us|you)|pass|hand|show (?:me|"
    r"us)|tell (?:me|us)|have a look at (?:this|these|that|it)|look at (?:this|these|that|it)|think|guess|"
    r"suppose|mean|know|imagine|hope|ask you|do (?:this|that|it) now|get started|put (?:this|it) on|"
    # The meeting's own logistics and the presenter narrating what comes next.
    r"have (?:a |our |some |the )?(?:lunch|break|coffee|tea|rest)|take (?:a |the |our )?(?:lunch|break|rest)|"
    r"(?:finish|end|close|wrap up) (?:the|this) meeting|break (?:it )?up|take (?:this|that|the) one|"
    r"take you (?:over|through)|walk you through|go (?:over|through)|let \w+\b(?! know)|draw (?:something|it|"
    r"this|that)|(?:write|note|jot) (?:it|that|this|them) down|have a look\b(?! (?:into|at (?:the|what|how|"
    r"whether|if)))|do an? (?:opening|intro))\b",
    re.IGNORECASE,
)
_SOFTENERS = r"^(?:also |just |then |definitely |first |quickly |go and |try to |each |all |actually )*"
# Verbs of work that happens after a meeting; the generic ones ("make", "put", "get") are also how people
# talk about the design in front of them, so they count for less.
TASK_VERB = re.compile(
    _SOFTENERS
    + r"(?:send|e-?mail|mail|forward|share|post|upload|write|draft|prepare|finish|complete|fill|fix|"
    r"update|check|look (?:into|at|up|for)|have a look|take a look|find out|research|investigate|review|test|"
    r"call|contact|ask|talk to|organi[sz]e|schedule|set up|arrange|book|work (?:\w+ ){0,2}on|come up with|"
    r"figure out|think about|think of|collect|gather|sort out|follow up|order|buy|deliver|present|submit|"
    r"draw up|sketch|report|document|implement|clean up|plan|read|do some|find|bring|send)\b",
    re.IGNORECASE,
)
WEAK_TASK_VERB = re.compile(
    _SOFTENERS + r"(?:make|put|get|do|decide|take|add|change|design|build|create|draw|give)\b", re.IGNORECASE
)
RIGHT_NOW = re.compile(
    r"\b(?:now|here|right now|at the moment|on the (?:white)?board|this slide|next slide|over there|"
    r"in a (?:minute|moment|sec(?:ond)?)|at the end(?: of (?:the|this) meeting)?$|later (?:on )?in (?:the|"
    r"this) meeting)\b",
    re.IGNORECASE,
)
AFTER_MEETING = re.compile(
    r"\b(?:next (?:meeting|time|session|week|month)|for next|before (?:the )?next|after (?:the|this) meeting|"
    r"tomorrow|later on|afterwards|until then|in the meantime|meanwhile|individual work|homework|offline|"
    r"deadline|asap|as soon as|by (?:then|the end))\b",
    re.IGNORECASE,
)
HEDGE = re.compile(
    r"\b(?:maybe|perhaps|might|i think|i guess|probably|i suppose|possibly|not sure|kind of|sort of|"
    r"if we|if you|if i|whether)\b",
    re.IGNORECASE,
)
NEGATED_OR_PAST = re.compile(
    r"^(?:not|never|n't)\b|\b(?:won't|wouldn't|shouldn't|don't need to|do not need to|didn't|was going to|"
    r"were going to|should have|would have|had to|needed to|"
    # "I don't think that's something we have to…", "they're not gonna…", "you don't have to…": the
    # obligation is denied, so nobody is committing to anything.
    r"(?:don't|do not|doesn't|does not) (?:think|have to|want to)|(?:not|n't) (?:gonna|going to)|"
    r"no need to)\b",
    re.IGNORECASE,
)
# A "you have to…" inside a subordinate clause ("because you have to press…", "once you've learned it you
# can…", "what you have to do is…") explains how something works; the "you" is anyone, not a person
# being given a task. Habitual words ("every time", "always") say the same.
GENERIC_YOU = re.compile(
    r"\b(?:because|since|if|when|whenever|once|unless|until|where|which|what|how|that|then|but|"
    r"as)\s+(?:\w+\s+)?you(?:'ll|'d)?\s+(?:have|need|must|should|will|can|could|got)\b",
    re.IGNORECASE,
)
# "I will do so after every meeting": a habit, not a task with an end.
HABITUAL = re.compile(
    r"\b(?:every (?:time|meeting|week|day|morning)|each time|always|usually|everytime)\b", re.IGNORECASE
)
# "Would you like to…?", "would you prefer…": asking for an opinion or a turn, not handing out work.
OPINION_REQUEST = re.compile(
    r"\b(?:would|will|do) you (?:like|prefer|care|mind|rather|agree|say|pay|want|think|buy|use)\b",
    re.IGNORECASE,
)
# "Do I need to…?", "do you have to…?", "what can you do to…?": questions about what is required or
# possible, asked to understand the task, not to set one.
ASKS_ABOUT_OBLIGATION = re.compile(
    r"\b(?:do|does|did|shall|should) (?:i|you|we) (?:have to|need to|must)\b|^(?:(?:so|but|and|because|"
    r"'cause) )?(?:what|how|why|which) (?:\w+ )?(?:can|could|would|should|do|will) (?:you|we|i)\b",
    re.IGNORECASE,
)
# Design talk: "we need to make it…", "we have to build in a microphone". A group or "you" obligation whose
# verb shapes the product being discussed reads as a requirement, not as someone's task.
DESIGN_VERB = re.compile(
    _SOFTENERS
    + r"(?:make|put|have|build|design|add|change|use|get|give|go for|keep|include|incorporate|stick)\b",
    re.IGNORECASE,
)
# Words that frame a round of next steps, wherever they are said.
NEXT_STEPS_CUE = re.compile(
    r"\b(?:next (?:meeting|time|session|week)|for next|before (?:the )?next|until (?:the )?next|homework|"
    r"action items?|next steps?|to-?do list|individual work|wrap (?:it )?up|that's it for today|"
    r"(?:close|end) (?:the|this) meeting|after (?:the|this) meeting|minutes)\b",
    re.IGNORECASE,
)
FOLLOW_UP_CUE = re.compile(
    r"\b(?:get back to|follow(?:-| )?up|circle back|check (?:in )?with|check back|touch base|reconvene|"
    r"meet (?:again|up|with)|catch up (?:with|on|later|again)|let (?:you|them|him|her|everyone|us) know|"
    r"keep (?:you|everyone|us) (?:posted|updated|informed)|(?:schedule|set up|arrange|organi[sz]e|book|plan|"
    r"have)\s+(?:a|an|another|the)?\s*(?:follow(?:-| )?up\s+)?(?:meeting|call|sync|session|check-in|"
    r"catch-up)\b|talk (?:again|later)|loop (?:in|back))",
    re.IGNORECASE,
)
ACCEPTANCE = re.compile(
    r"^(?:yes|yeah|yep|sure|ok|okay|will do|no problem|of course|i will|i'll|absolutely|definitely|fine|"
    r"alright|leave it with me|on it|consider it done|happy to|i can do that|i(?:'ve| have) got (?:it|this)|"
    r"that's mine|put me down)\b",
    re.IGNORECASE,
)
# The yes of someone given an order ("Got it.", "Understood.", "I'd love that."): not in ACCEPTANCE, which
# is a feature of the model, fitted on the words it had.
ORDER_TAKEN = re.compile(
    r"^(?:got it|understood|copy that|roger|can do|i'd love (?:to|that))\b", re.IGNORECASE
)
# Taking a task on without naming it: "leave it with me", "I'll grab that", "on it". The task is what the
# turns before it asked for or offered.
TAKES_IT_ON = re.compile(
    r"\b(?:leave (?:it|that|this) with me|(?:i'm|i am) on it|on it\b|consider it done|"
    r"i(?:'ll| will) (?:grab|take|own|handle|do|sort|cover|chase|get) "
    r"(?:it|that|this|them|those|that one|this one|both)\b|i can do (?:it|that|both)|"
    r"that's mine|put me down for (?:it|that)|i(?:'ve| have) got (?:it|this|that))",
    re.IGNORECASE,
)
# A question about how things stand ("Did you get them?", "Have we confirmed the fire rating?", "How do I
# know it works now?", "Carla, how is the data collection?", "Where are we with the lease?"): its answer
# reports, it takes nothing on.
STATE_QUESTION = re.compile(
    r"^(?:[\w-]+,\s+)?(?:(?:and|so|oh|okay|ok|also|but|right)\W+)*"
    # "And the old scanners, are they being collected?": the thing asked about said first
    r"(?:(?:the|our|your|their|that|this|those|these)\s[\w' -]{1,40}?,\s+)?"
    r"(?:did|have|has|had|is|are|was|were|does|"
    r"how do (?:i|we) know|what about|why|how(?:'s| is| are| was| were| did| does| has| have)|"
    r"where (?:are|is) (?:we|it|things|that)|what(?:'s| is) the (?:status|latest)|any (?:news|updates?))\b",
    re.IGNORECASE,
)
# The chair going round the table ("Any other business?", "Anything else?", "Who's next?"): a turn that
# answers it without a commitment form of its own raises a point; it takes nothing on.
ROUND_QUESTION = re.compile(
    r"\b(?:any other business|anything else|any (?:more )?(?:questions|updates|blockers|comments|objections)|"
    r"anyone else|who's next|who is next|what else)\b",
    re.IGNORECASE,
)
# A reply that tells what was done ("We corrected the configuration on Sunday.", "they arrived Monday",
# "I spoke to them"): a report, whatever date it names.
REPORTED_PAST = re.compile(
    # "-ed", but not "need", "proceed" or "feed", which are no past; "won", but not "won't".
    r"\b(?:i|we|they|he|she|it)\s+(?:already\s+|just\s+|also\s+)?(?:\w+(?<!e)ed|spoke|sent|did|had|was|were|went|"
    r"took|made|got|gave|told|said|wrote|met|found|came|saw|heard|left|brought|bought|ran|paid|sold|"
    r"built|fixed|caught|kept|held|won|lost)\b(?!')|\balready\s+(?:been|done|gone)\b",
    re.IGNORECASE,
)
# Taking a task on and turning it down in one breath: "I'm happy to in principle, but I'm out the whole of
# November", "I'd love to, but I can't this month". Not "I can, but not before Wednesday", which sets a date,
# nor "I'll send the draft, but I can't do the slides", which keeps one task.
DECLINED = re.compile(
    r"\bbut\W+(?:(?:honestly|really|unfortunately|sadly|actually)\W+)?(?:i'm|i am|i'll be|i will be)\s+"
    r"(?:out|away|off|on (?:leave|holiday|vacation|sabbatical|(?:paternity|maternity|parental|annual|sick) "
    r"leave))\b|\bbut\W+i\s+(?:can't|cannot|won't|couldn't)(?:\s+(?:(?:this|that|next) (?:week|month|time)|"
    r"today|tomorrow|then))?\W*$|"
    # "I'd love to tell you I'll get to it today, but … so no, it's not happening today"
    r"\bi'd love to (?:tell you|say)\b|\b(?:it's|that's) not (?:happening|going to happen)\b|"
    # An obligation denied: "I don't think we have to send the report to finance."
    r"\b(?:don't|do not) (?:think|believe|reckon) (?:we|you|i|they) (?:have|need|'ll need|will need) to\b",
    re.IGNORECASE,
)
# A request answered no: "Not this sprint, sorry.", "A free pilot isn't something I'm able to do, I'm afraid."
TURNED_DOWN = re.compile(
    r"^\W*(?:(?:oh|um|uh|honestly|sorry)\W+)*(?:not (?:this|that|today|now|me|right now)\b(?:\s+\w+)?\W*"
    r"(?:sorry|i'm afraid)|no,? sorry|sorry,? (?:no|i can't)|no can do|i'll have to pass|i have to pass)|"
    r"\b(?:isn't|is not|not) something (?:i'm|we're|i am|we are|i|we) (?:able to|can)\b|"
    r"\b(?:i'm|we're|i am|we are) (?:not able|unable) to (?:do|take|commit)",
    re.IGNORECASE,
)
# Praise ("Nice work, Kofi"): no task itself, and the "I'll take that" after it takes the compliment.
PRAISE = re.compile(
    r"\b(?:nice|great|good|excellent|brilliant|fantastic|amazing|superb|lovely) (?:work|job|call|catch|"
    r"stuff|effort|update|presentation|progress|write-up)\b|\bwell done\b|\bkudos\b|\bcongrat",
    re.IGNORECASE,
)
# A reply about a thing or someone else ("It's on the bond list for next summer.", "They're due Friday."):
# it tells how things stand, the speaker takes nothing on.
ABOUT_SOMETHING_ELSE = re.compile(
    r"^(?:(?:yes|yeah|no|well|so|oh|okay|ok|right|honestly)\W+)*"
    r"(?:it's|it is|that's|that is|there's|there is|they're|they are|he's|he is|she's|she is)\b",
    re.IGNORECASE,
)
# What is still to come: a reply with it may report and promise at once ("I sent it, and I'll chase them").
FUTURE = re.compile(
    r"\b(?:will|'ll|shall|going to|gonna|tomorrow|tonight|next|later|can|could)\b", re.IGNORECASE
)
# Work handed to someone by name, in the meeting or not ("Let's have Seo-yeon do two renders", "let's ask Tom
# from legal to check the clause", "let's get Dev in traffic management to draft…"): theirs. Case-sensitive,
# as names are capitalised; used, like ASSIGNED_TO_YOU, only to word and own an item, not as a model feature.
DELEGATION = re.compile(
    r"\b[Ll]et(?:'s| us)\s+(?:have|get|ask)\s+(?P<name>[A-Z][\w'-]+)"
    r"(?P<team>\s+from\s+(?:the\s+)?[\w-]+(?:\s+team)?|"
    r"\s+(?:from|in|at|over in|over at)\s+(?:the\s+)?[\w-]+(?:\s+[\w-]+){0,2}?(?=\s+to\s))?"
    r"\s+(?:to\s+)?(?P<rest>[a-z]\S*\s+\S.*)"
)
# Asking for a thing rather than a deed ("I need the access logs from you by Thursday", "can I get the vendor
# contracts from you"): the one asked will provide it. Used only to word and own an item the model chose.
NEED_FROM_YOU = re.compile(
    r"\b(?:(?:i|we)(?: really| also| just)? (?:need|want|'d like|would like)|"
    r"can (?:i|we) (?:get|have|grab))\s+"
    r"(?P<thing>(?:the|those|that|your|some|a|an|all)\b.+?)\s+from you\b(?P<tail>.*)",
    re.IGNORECASE,
)
# A task asked for by naming a person and a thing ("Priya, the slides?"): the answer ("Tomorrow
# morning.") takes it on. Used, like ASSIGNED_TO_YOU, only to word and own an item, not as a model feature.
ELLIPTICAL_ASK = re.compile(
    r"^(?:(?:and|so|okay|ok|right|then|also|now)\W+)*(?P<name>[A-Z][\w'-]+),\s+"
    r"(?P<rest>(?:the|your|our|that|those|this|these)\s+[^?]*?)\s*(?:\?|,\s*please\W*)$"
)
# A commitment said softly ("I should be able to get the rest done by Friday", "I can probably send it
# tonight"): the speaker's, when the model chose the turn. Not one of CUES, whose order names features.
SOFT_COMMITMENT = _cue(r"\bi should be able to|\bi can probably|\bi should (?:manage|get) to", SPEAKER)
# A task put as an order ("Send them an invite.", "Dylan, get the civil engineer on site this week.", "Until
# then, move the fish to the reach-in fridges."): whoever it is said to owes it, so it is an item only when
# the talk says who that is (a name before it, the next speaker's "Will do.", a call of two). Like
# ELLIPTICAL_ASK, used to word and own an item, not as a model feature.
IMPERATIVE = re.compile(
    r"^(?:(?:okay|ok|so|and|then|right|good|great|fine|also|now|until then|meanwhile|in the meantime)\W+)*"
    r"(?:(?P<name>[A-Z][\w'-]+),\s+)?(?:please\s+)?(?P<rest>(?:"
    + TASK_VERB.pattern.removeprefix(_SOFTENERS)
    + r"|confirm|move|get|tell|brief|invite|chase|ring|phone|escalate|renew|sign|print|pick up|hire|cancel|"
    r"install|replace|prep|clear|let \w+ know|make sure|ensure)\b[^?]*)$",
    re.IGNORECASE,
)
# An offer put as a question ("Shall I draft a business case?", "Do you want me to call them?"): work the
# speaker takes on once someone else says yes. Not one of `CUES`: asked alone, nothing is taken on yet.
OFFER_QUESTION = _cue(
    r"^(?:(?:so|and|okay|ok|well|or|then),?\s+)*(?:shall i|should i|(?:do you )?want me to|"
    r"would you like me to|would it help if i|how about i)",
    SPEAKER,
)
# An offer said as a wish: "I'd like to bring a proper action plan to the next meeting", "I'm happy to run the
# batch refund"; the speaker's once someone says yes to it (not a commitment form by itself).
OFFERED_WISH = _cue(
    r"\bi(?:'d| would) (?:like|love|be happy|be glad) to|\bi(?:'m| am) (?:happy|glad|keen) to", SPEAKER
)
# What such a wish settles rather than does: "I'd like to keep it behind the flag" is a decision, "I'd like to
# do timeline, cause, then actions" the running of the meeting.
WISHED_STATE = re.compile(
    r"^(?:keep|leave|hold|stay|wait|not|do|go|start|move|see|hear|say|talk|think)\b", re.I
)
# Saying yes to such an offer: "Yes please, by the end of the month.", "Please.", "Go ahead."
YES_TO_OFFER = re.compile(
    r"^(?:yes|yeah|yep|yup|sure|please|ok|okay|go ahead|go for it|that would|that'd|"
    r"if you (?:could|can|would)|would you|could you|great|perfect|lovely|absolutely|definitely)\b"
    r"(?![\s,.!]*(?:but|no|not|don't)\b)",
    re.IGNORECASE,
)
FIRST_PERSON = re.compile(r"\b(?:i|me|my|mine|myself|i'm|i've|i'd)\b", re.IGNORECASE)
TRAILING_TAG = re.compile(
    # a word of its own: "the runbook" keeps its "ok", "copyright" its "right"
    r"[,\s]*(?:\b(?:please|okay|ok|right|yeah|then|alright|all right|as well|no problem|no worries|"
    r"for sure))?\s*[?.!]*$",
    re.IGNORECASE,
)
LEADING_SOFTENER = re.compile(
    r"^(?:just|also|then|definitely|actually|maybe|perhaps|probably|please|go ahead and)\s+", re.IGNORECASE
)


def next_steps_round(messages: list[dict]) -> set[int]:
    """Messages of the rounds of next steps: those within NEXT_STEPS_REACH messages of a next-step cue
    ("next meeting", "homework", "individual work"…) said in the second half of the meeting. Early cues are
    the agenda ("the next meeting will be about…"), not assignments. Empty for a meeting too short to have
    a round of its own."""
    total = len(messages)
    if total < 20:
        return set()
    closing: set[int] = set()
    for index in range(total // 2, total):
        if NEXT_STEPS_CUE.search(str(messages[index].get("text") or "")):
            closing.update(range(max(0, index - NEXT_STEPS_REACH), min(total, index + NEXT_STEPS_REACH + 1)))
    return closing
