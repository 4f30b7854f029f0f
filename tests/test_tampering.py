"""The forging helper the refusal tests use: a forged value is never the value it forges."""

from __future__ import annotations

import string

from support.tampering import altered


def test_overwriting_with_a_fixed_character_can_leave_a_token_unchanged():
    # What test_a_wrong_or_missing_session_token_is_refused did: it failed whenever the token began with "x".
    token = "xQoDYXdzEJr"
    assert "x" + token[1:] == token


def test_altered_changes_every_character_at_the_start_the_end_and_in_between():
    for character in string.ascii_letters + string.digits + "+/=-_.":
        for text, at in ((character + "rest", 0), ("rest" + character, -1), ("re" + character + "st", 2)):
            forged = altered(text, at)
            assert forged != text and len(forged) == len(text), (text, at)
            index = at % len(text)
            assert forged[:index] + forged[index + 1:] == text[:index] + text[index + 1:]


def test_altered_keeps_the_kind_of_character_so_the_value_stays_well_formed():
    assert altered("0000", 1)[1].isdigit() and altered("abcd", -1)[-1].islower() and altered("ABCD")[0].isupper()
