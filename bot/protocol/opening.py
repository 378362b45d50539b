"""What an opening asks for: a check, practice, or neither (pure: regular expressions only).

"Can I share a tenant's details with a debt advice charity?", "am I allowed to tell the GP…",
"I was asked to share some info", "the police have asked for her address": each of these starts
a check, whatever else the message also resembles (an FAQ, a greeting, a trainer's scenario).
Questions to the assistant ("can you tell me what consent means?") do not.

Practice (trainer scenarios) starts only when asked for in so many words: "training", "practise
a scenario", "scenario 7", "start training", "join cohort ABC123". A message that asks whether
something can be shared is a check whatever training words it contains ("can I share the case
study notes with the virtual school?"). :func:`classify_opening` decides, once: the intent model's
guess is put right by it (``bot/nlp/commands.py``), the rules start a check on it
(``asks_to_share``, ``actions/check.py``) and at a question only practice asked for in so many
words is a command (``bot.protocol.reading``, through :func:`asks_to_practise`).
"""

from __future__ import annotations

import re
from enum import Enum

from bot.protocol.commands import command

# The intent (and start button) of practice mode: a contract with the domain and the rules
# (bot/protocol/commands.yml, with the words that ask for practice).
TRAINING_INTENT = command("practise").intent

CHECK_INTENT = "start_check"


class Opening(Enum):
    CHECK = "check"  # asks whether something can be shared
    PRACTICE = "practice"  # asks to practise a trainer's scenario, in so many words
    OTHER = "other"  # anything else: the intent model decides


# Verbs of sharing, and the words between a modal and the verb ("can I just quickly share").
_VERB = (
    r"(share|sharing|tell|telling|pass|passing|send|sending|disclose|disclosing|give|giving|"
    r"forward|forwarding|inform|informing|let (?!me\b)\w+(?: [\w'-]+){0,3} "
    r"(know|see|have|read|view|look)|report|refer|release|hand over|provide|show|discuss|"
    r"mention|talk to|speak to|email|e-mail|ring|phone|call|contact|notify|alert|update|copy|"
    r"copying|cc|raise|showing|emailing|releasing|referring|reporting|handing over|providing|"
    r"flag|flagging|hand|handing|escalate|escalating|text|texting|fwd|forwrd|shar|"
    r"let (?!me\b)\w+(?: [\w'-]+){0,6} (know|see|have|read|view|look))"
)
# The same, done: "what if I disclosed…".
_DONE = (
    r"(shared|told|passed|sent|disclosed|gave|given|forwarded|informed|showed|shown|copied|"
    r"emailed|released|reported|referred|handed over|provided|mentioned)"
)
_FINE = (
    r"(ok|okay|alright|all right|fine|allowed|lawful|legal|right|wrong|appropriate|acceptable|safe)"
)
_ADVERBS = r"((just|also|still|legally|lawfully|really|actually|even|now|then|quickly|ever) )*"
_SUBJECT = r"(i|we|me|us|staff|practitioners|someone|one|you|my (team|service|agency|school))"
_PERMISSION = (
    r"((be |am |are |is )?(allowed|able|permitted|ok|okay|alright|fine|right|lawful|legal|safe|"
    r"appropriate|acceptable|obliged|required|expected|meant|supposed) (to|if|for)|have to|need to|"
    r"got to|ought to|must)"
)
_PATTERNS = (
    # "can I share…", "should we tell…", "am I allowed to pass on…", "do I have to tell…"
    rf"\b(can|could|may|might|should|shall|must|would|will|do|does|did|am|are|is|ought|cn|cud|"
    rf"shud|shld|can't|cant)\b(?: \w+){{0,2}}? {_SUBJECT} {_ADVERBS}({_PERMISSION} )?{_ADVERBS}"
    rf"{_VERB}\b",
    # "is it ok to share…", "would it be alright if I told…", "is sharing … allowed"
    r"\b(is|would|will|was) (it|that|this|sharing|telling|passing|sending|forwarding|"
    r"disclosing|giving|showing|emailing|copying|releasing|handing)\b.{0,40}?\b"
    r"(ok|okay|alright|fine|allowed|lawful|legal|right|appropriate|acceptable|a breach|wrong|"
    r"a problem|an issue|good practice|best practice|bad practice)\b",
    # "ok to email the school her address?", "am I ok sharing…", "are we right to tell…"
    rf"^\W*(is it |it's |its )?{_FINE} (for (me|us) )?to {_VERB}\b",
    rf"\b(am|are|is) (i|we|it) (\w+ ){{0,2}}?{_FINE} (to |in |by )?{_VERB}\b",
    # "thinking of forwarding…", "need advice re sharing…", "what if I disclosed…"
    rf"\b(thinking (of|about)|considering|planning on) {_VERB}\b",
    rf"\b(advice|question|query|help) (re|on|about|with) {_VERB}\b.{{1,80}}\b(with|to)\b",
    rf"\bwhat if (i|we) (\w+ )?{_DONE}\b",
    # "the police want to know where she lives", "the school asked if they can have the report"
    rf"\b(asked|asking|asks|want|wants|wanted) (to know\b|(whether|if) (i|we|they|he|she|you) "
    rf"(can|could|may|might|would|will) (\w+ ){{0,2}}?(have|see|get|confirm|{_VERB})\b)",
    # "ring the school and tell them about the injunction?"
    rf"^(re:?\s*)?{_VERB}\b.{{0,80}}\b(about|that)\b.*(\?|\b(ok|okay|advise|allowed)\b)",
    # "I want to share…", "I was asked to share…", "we've been asked to pass on…"
    rf"\b(i|we|i'm|im|i've|ive|we've|we're)\b(?: \w+){{0,3}}? (want|wanted|need|needed|would like|"
    rf"'d like|wish|plan|intend|thinking|think|was asked|were asked|been asked|am asked|got asked|"
    rf"being asked|asked|told|have|has|had|wondering|wonder)\b(?: \w+){{0,3}}? "
    rf"(to |about |of |whether |if )"
    rf"(?:\w+ ){{0,3}}?{_VERB}\b",
    # "the police have asked for…", "housing want her address", "a request for information"
    r"\b(asked|asking|requested|requesting|request|requests|want|wants|wanted|need|needs) "
    r"(me |us |for |to see |to have |a copy|copies|details|info|information|records?|the |her |his "
    r"|their |a |an |all |any |our |my )",
    # "sharing info with social care?", "passing on concerns to the school"
    rf"^(re:?\s*)?{_VERB}\b.{{0,80}}\b(with|to)\b",
    r"\binformation sharing (question|query|request|decision|check)\b",
    # "need to update the IRO on…", "teacher here, want to give the SENCO the notes…"
    rf"\b(need|needing|want|wanting|have|got|going) to {_VERB}\b",
    # "wondering if i can share…", "how do i know if i can pass on…"
    rf"\b(wondering|wondered|wonder|unsure|not sure|checking|check|know|no) (if|whether) "
    rf"(i|we) (can|could|should|may|might|am allowed to|are allowed to) (\w+ ){{0,2}}?{_VERB}\b",
    # "would I be breaching confidentiality if I disclosed…"
    rf"\b(breach|breaching|break|breaking) (\w+ )?(confidentiality|confidence|gdpr|data "
    rf"protection)\b.{{0,40}}\b(if|by) (i|we) (\w+ )?({_DONE}|{_VERB})\b",
    # "I'd like to make a referral to CAMHS and include what mum told me"
    r"\b(make|making|do|send|sending) (a |an )?referral\b.{0,60}\b(include|including|with "
    r"(her|his|their|the|details)|and (mention|include|tell))\b",
    # "is her status something I can discuss with…", "can her history go to the new school"
    rf"\b(something|anything) (that )?(i|we) (can|could|should|may) {_VERB}\b",
    r"\b(can|could|should|may) (go|be passed|be sent|be given) (to|on to|over to)\b",
    # "can the probation officer have his new address?"
    r"\b(can|could|may|should|shall)\b (the|a|an|her|his|their|my|our) (\w+ ){0,4}?(have|see|get|"
    r"know|access|read|view) (a copy of |copies of )?(her|his|their|the|a|an|my|our|\w+'s)\b",
    # "is there a problem sharing…", "any issue with telling…"
    r"\b(is there|are there|any) (a |an |any )?(problem|issue|reason not|harm|objection)s? "
    r"(with |in |to |about )?(sharing|telling|passing|sending|giving|forwarding|disclosing|"
    r"showing|emailing|copying|releasing|handing)\b",
    # "do I need consent before I share…"
    r"\b(do|does|would|will) (i|we) need (consent|permission|agreement|to ask)\b.{0,40}\b"
    r"(share|sharing|tell|telling|pass|passing|send|sending|disclose|disclosing|give|giving)\b",
    # "… and share it with the new starters", "hand them over to the police"
    rf"\b{_VERB} (it|them|this|that|these|those) (\w+ )?(with|to|on to|over to|over)\b",
    # "a scenario I need help with — a real family, not a training one"
    r"\b(real|actual|live) (case|family|child|person|situation|scenario|boy|girl)\b.{0,40}?"
    r"\bnot (a |an )?(training|practice|made[- ]up|pretend)\b",
    # "I'd like to share…"
    rf"\b(i|we)'?d (like|love|prefer|rather) (to )?(?:\w+ ){{0,3}}?{_VERB}\b",
    # "can the landlord be told about…", "should her diagnosis be shared with…"
    r"\b(can|could|may|might|should|shall|must|would|will|is|are)\b"
    r"(?! (?:consent|permission|agreement)\b)(?: [\w'-]+){1,6}? be (told|informed|shared|"
    r"passed|sent|given|shown|copied|cc'd|forwarded|disclosed|notified|made aware|emailed|"
    r"released|provided)\b",
    # "can I put her diagnosis on the referral to housing?"
    rf"\b(can|could|may|might|should|shall|must|would|do|am|is)\b(?: \w+){{0,2}}? {_SUBJECT} "
    rf"{_ADVERBS}({_PERMISSION} )?{_ADVERBS}(put|putting|include|including|add|adding|write|"
    r"mention)\b.{1,80}?\b(on|in|into|onto) (the|a|an|my|our|his|her|their) (\w+ ){0,2}?"
    r"(referral|report|email|e-mail|letter|form|application|message|minutes|request|plan|drive|"
    r"calendar|system|record|file|notes|portal|chat|group|board|ehcp|cin plan|database)\b",
    # "can I use a real family's case as a case study in a training session?": shown to others
    rf"\b(can|could|may|might|should|shall|would|do|am|is)\b(?: \w+){{0,2}}? {_SUBJECT} "
    rf"{_ADVERBS}({_PERMISSION} )?{_ADVERBS}(use|using)\b.{{1,80}}?\b(in|for|as) (a|an|the|our|my|"
    r"this|next|some) (\w+ ){0,2}?(training|case study|case studies|presentation|teaching|"
    r"session|course|lecture|newsletter|article|research|exercise|scenario|social media)\b",
)
_OPENING = re.compile("|".join(f"(?:{p})" for p in _PATTERNS))
# Questions to the assistant, not about sharing: "can you tell me…", "could you explain…".
_TO_ASSISTANT = re.compile(
    r"^\W*(can|could|would|will) you (please )?(tell|show|explain|give|send) (me|us)\b|"
    r"\btell me (about|what|how|why|more)\b"
)


def _normalise(text: str | None) -> str:
    return " ".join(str(text or "").lower().replace("’", "'").split())


def asks_to_share(text: str | None) -> bool:
    """The message asks whether something can be shared, told, passed on, sent, given, shown,
    copied, forwarded or disclosed (training words or not: see :func:`classify_opening`)."""
    value = _normalise(text)
    if not value or value.startswith("/"):
        return False
    if _TO_ASSISTANT.search(value):
        return False
    return bool(_OPENING.search(value))


def asks_to_practise(text: str | None) -> bool:
    """ "training", "practise a scenario", "scenario 7", "case study 3", "join cohort ABC123"
    typed as the whole message, or the start button's payload."""
    raw = str(text or "")
    practise = command("practise")  # the words: bot/protocol/commands.yml
    if practise.pressed(raw):
        return True
    value = _normalise(raw)
    return bool(
        practise.pattern("whole").match(value)
        or practise.pattern("join_cohort").match(value)
        or practise.pattern("asked").search(value)
    )


def classify_opening(text: str | None) -> Opening:
    """Practice only when asked for in so many words; otherwise a message that asks whether
    something can be shared is a check, whatever training words it contains ("case study",
    "scenario", "training records", "exercise", "cohort")."""
    if asks_to_practise(text):
        return Opening.PRACTICE
    if asks_to_share(text):
        return Opening.CHECK
    return Opening.OTHER


def intent_for(text: str | None, predicted: str | None) -> str | None:
    """The intent a message is, where :func:`classify_opening` overrules the intent model: an
    ask to practise is practice; a check the model took for practice is a check (None: keep the
    model's guess)."""
    kind = classify_opening(text)
    if kind is Opening.PRACTICE:
        return TRAINING_INTENT
    if kind is Opening.CHECK and predicted == TRAINING_INTENT:
        return CHECK_INTENT
    return None
