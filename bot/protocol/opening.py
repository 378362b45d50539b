"""Does a message ask whether something can be shared? (pure: regular expressions only)

"Can I share a tenant's details with a debt advice charity?", "am I allowed to tell the GP…",
"I was asked to share some info", "the police have asked for her address": each of these starts
a check, whatever else the message also resembles (an FAQ, a greeting). Questions to the assistant
("can you tell me what consent means?") do not.
"""

from __future__ import annotations

import re

# Verbs of sharing, and the words between a modal and the verb ("can I just quickly share").
_VERB = (
    r"(share|sharing|tell|telling|pass|passing|send|sending|disclose|disclosing|give|giving|"
    r"forward|forwarding|inform|informing|let (?!me\b)\w+(?: \w+)? know|report|refer|release|"
    r"hand over|provide|show|discuss|mention|talk to|speak to|email|e-mail|ring|phone|call|"
    r"contact|notify|alert|update|copy (in|to)|cc|raise)"
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
    rf"\b(can|could|may|might|should|shall|must|would|will|do|does|did|am|are|is|ought)\b"
    rf"(?: \w+){{0,2}}? {_SUBJECT} {_ADVERBS}({_PERMISSION} )?{_ADVERBS}{_VERB}\b",
    # "is it ok to share…", "would it be alright if I told…", "is sharing … allowed"
    r"\b(is|would|will|was) (it|that|this|sharing|telling|passing)\b.{0,40}?\b"
    r"(ok|okay|alright|fine|allowed|lawful|legal|right|appropriate|acceptable)\b",
    # "I want to share…", "I was asked to share…", "we've been asked to pass on…"
    rf"\b(i|we|i'm|im|i've|ive|we've|we're)\b(?: \w+){{0,3}}? (want|wanted|need|needed|would like|"
    rf"'d like|wish|plan|intend|thinking|think|was asked|were asked|been asked|am asked|got asked|"
    rf"being asked|asked|told|have|has|had|wondering|wonder)\b(?: \w+){{0,3}}? "
    rf"(to |about |of |whether |if )"
    rf"(?:\w+ ){{0,3}}?{_VERB}\b",
    # "the police have asked for…", "housing want her address", "a request for information"
    r"\b(asked|asking|requested|requesting|request|requests|want|wants|wanted|need|needs) "
    r"(me |us |for |to see |to have |a copy|copies|details|info|information|records?|the |her |his "
    r"|their )",
    # "sharing info with social care?", "passing on concerns to the school"
    rf"^(re:?\s*)?{_VERB}\b.{{0,80}}\b(with|to)\b",
    r"\binformation sharing (question|query|request|decision|check)\b",
)
_OPENING = re.compile("|".join(f"(?:{p})" for p in _PATTERNS))
# Questions to the assistant, not about sharing: "can you tell me…", "could you explain…".
_TO_ASSISTANT = re.compile(
    r"^\W*(can|could|would|will) you (please )?(tell|show|explain|give|send) (me|us)\b|"
    r"\btell me (about|what|how|why|more)\b"
)


def asks_to_share(text: str | None) -> bool:
    """The message asks whether something can be shared, told, passed on, sent or disclosed."""
    value = " ".join(str(text or "").lower().replace("’", "'").split())
    if not value or value.startswith("/"):
        return False
    if _TO_ASSISTANT.search(value):
        return False
    return bool(_OPENING.search(value))
