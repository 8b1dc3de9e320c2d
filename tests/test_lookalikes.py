"""Identifiers that could pass for others are refused; honest ids in any one script are kept.

One table of look-alikes (mixed scripts, whole-script confusables, compatibility forms,
non-ASCII punctuation and digits, marks that belong to no script) and one of legitimate
ids in single scripts and the mixes UTS #39 allows. Every refusal is a `ValueError` that
names the rule, and where a character is to blame, the character.
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from tests.hostile import LyingStr
from trust import InvalidTypeError, InvalidValueError, PostureStateMachine, TrustPosture
from trust._validators import identifier
from trust.postures import PostureTransitionRequest

MIXED = "written in one script, not in"
LOOKS_ASCII = "more than letters that look like ASCII"
NFKC = "in Unicode NFKC form"
NOT_A_LETTER = "made of ASCII and the letters and marks of a script, not"

REFUSED = [
    # Mixed scripts: one look-alike letter inside a Latin id.
    ("\N{CYRILLIC SMALL LETTER A}gent-001", MIXED + " CYRILLIC, LATIN"),
    ("agent-0\N{GREEK SMALL LETTER OMICRON}1", MIXED + " GREEK, LATIN"),
    ("agent-\N{ARMENIAN SMALL LETTER OH}ne", MIXED + " ARMENIAN, LATIN"),
    ("p\N{CYRILLIC SMALL LETTER A}yp\N{CYRILLIC SMALL LETTER A}l", MIXED + " CYRILLIC, LATIN"),
    # Two non-Latin scripts together, whatever they look like.
    ("\N{CYRILLIC SMALL LETTER GHE}\N{GREEK SMALL LETTER LAMDA}", MIXED + " CYRILLIC, GREEK"),
    ("\N{CJK UNIFIED IDEOGRAPH-6771}\N{CYRILLIC SMALL LETTER ZHE}", MIXED + " CYRILLIC, HAN"),
    # Whole-script confusables: every non-ASCII letter prints like an ASCII one.
    (
        "".join(
            unicodedata.lookup(f"CYRILLIC SMALL LETTER {n}")
            for n in ("A", "IE", "O", "ER", "ES", "U", "HA")
        ),
        LOOKS_ASCII + " (it prints like 'aeopcyx')",
    ),
    (
        "\N{CYRILLIC CAPITAL LETTER TE}\N{CYRILLIC CAPITAL LETTER O}"
        "\N{CYRILLIC CAPITAL LETTER KA}\N{CYRILLIC CAPITAL LETTER U}"
        "\N{CYRILLIC CAPITAL LETTER O}-1",
        LOOKS_ASCII + " (it prints like 'TOKYO-1')",
    ),
    (
        "\N{GREEK CAPITAL LETTER TAU}\N{GREEK CAPITAL LETTER OMICRON}"
        "\N{GREEK CAPITAL LETTER KAPPA}\N{GREEK CAPITAL LETTER UPSILON}"
        "\N{GREEK CAPITAL LETTER OMICRON}",
        LOOKS_ASCII + " (it prints like 'TOKYO')",
    ),
    (
        "\N{ARMENIAN SMALL LETTER HO}\N{ARMENIAN SMALL LETTER OH}"
        "\N{ARMENIAN SMALL LETTER SEH}\N{ARMENIAN SMALL LETTER VO}",
        LOOKS_ASCII + " (it prints like 'houn')",
    ),
    ("adm\N{LATIN SMALL LETTER DOTLESS I}n", LOOKS_ASCII + " (it prints like 'admin')"),
    (
        "\N{LATIN LETTER SMALL CAPITAL A}\N{LATIN LETTER SMALL CAPITAL D}"
        "\N{LATIN LETTER SMALL CAPITAL M}\N{LATIN LETTER SMALL CAPITAL I}"
        "\N{LATIN LETTER SMALL CAPITAL N}",
        LOOKS_ASCII + " (it prints like 'ADMIN')",
    ),
    (
        "\N{CHEROKEE LETTER GO}\N{CHEROKEE LETTER YV}\N{CHEROKEE LETTER TLI}-7",
        LOOKS_ASCII + " (it prints like 'ABC-7')",
    ),
    (
        "\N{LISU LETTER A}\N{LISU LETTER DA}\N{LISU LETTER MA}\N{LISU LETTER I}\N{LISU LETTER NA}",
        LOOKS_ASCII + " (it prints like 'ADMIN')",
    ),
    # Compatibility forms: fullwidth, mathematical alphanumerics, ligatures, signs.
    (
        "\N{FULLWIDTH LATIN SMALL LETTER A}\N{FULLWIDTH LATIN SMALL LETTER G}"
        "\N{FULLWIDTH LATIN SMALL LETTER E}\N{FULLWIDTH LATIN SMALL LETTER N}"
        "\N{FULLWIDTH LATIN SMALL LETTER T}",
        NFKC + " (it would print like 'agent')",
    ),
    ("agent-\N{FULLWIDTH DIGIT ZERO}01", NFKC + " (it would print like 'agent-001')"),
    ("agent\N{FULLWIDTH HYPHEN-MINUS}001", NFKC + " (it would print like 'agent-001')"),
    (
        "\N{MATHEMATICAL BOLD SMALL A}\N{MATHEMATICAL BOLD SMALL G}ent",
        NFKC + " (it would print like 'agent')",
    ),
    ("\N{MATHEMATICAL FRAKTUR SMALL A}gent", NFKC + " (it would print like 'agent')"),
    ("\N{KELVIN SIGN}ey", NFKC + " (it would print like 'Key')"),
    ("\N{LATIN SMALL LIGATURE FI}le-store", NFKC + " (it would print like 'file-store')"),
    ("agent\N{SUPERSCRIPT TWO}", NFKC + " (it would print like 'agent2')"),
    ("cafe\N{COMBINING ACUTE ACCENT}", NFKC + " (it would print like 'caf\u00e9')"),
    ("\N{ROMAN NUMERAL ONE}\N{ROMAN NUMERAL FIVE}", NFKC + " (it would print like 'IV')"),
    # Non-ASCII punctuation, digits and symbols.
    ("agent\N{HYPHEN}001", NOT_A_LETTER + " U+2010 HYPHEN (category Pd)"),
    ("agent\N{MINUS SIGN}001", NOT_A_LETTER + " U+2212 MINUS SIGN (category Sm)"),
    ("agent\N{ONE DOT LEADER}1", NFKC + " (it would print like 'agent.1')"),
    ("agent-\N{ARABIC-INDIC DIGIT ONE}", NOT_A_LETTER + " U+0661 ARABIC-INDIC DIGIT ONE"),
    ("agent-\N{DEVANAGARI DIGIT ZERO}", NOT_A_LETTER + " U+0966 DEVANAGARI DIGIT ZERO"),
    ("agent-\N{ROBOT FACE}", NOT_A_LETTER + " U+1F916 ROBOT FACE (category So)"),
    # Marks and letters of no script.
    ("admi\N{COMBINING DOT ABOVE}n", NOT_A_LETTER + " U+0307 COMBINING DOT ABOVE"),
    ("agent\N{MODIFIER LETTER APOSTROPHE}s", NOT_A_LETTER + " U+02BC MODIFIER LETTER APOSTROPHE"),
    ("agent\N{VARIATION SELECTOR-16}", NOT_A_LETTER + " U+FE0F VARIATION SELECTOR-16"),
]

ACCEPTED = [
    "agent-001",
    "caf\u00e9",  # precomposed: NFKC already
    "M\u00fcller-7",
    "stra\u00dfe",
    # Cyrillic "agent-001": EN and TE look like no ASCII letter.
    "\N{CYRILLIC SMALL LETTER A}\N{CYRILLIC SMALL LETTER GHE}\N{CYRILLIC SMALL LETTER IE}"
    "\N{CYRILLIC SMALL LETTER EN}\N{CYRILLIC SMALL LETTER TE}-001",
    # Greek "logos", Armenian "agent", Hebrew "ivrit", Arabic "al-arabiya".
    "\N{GREEK SMALL LETTER LAMDA}\N{GREEK SMALL LETTER OMICRON WITH TONOS}"
    "\N{GREEK SMALL LETTER GAMMA}\N{GREEK SMALL LETTER OMICRON}\N{GREEK SMALL LETTER FINAL SIGMA}",
    "\N{ARMENIAN SMALL LETTER AYB}\N{ARMENIAN SMALL LETTER GIM}\N{ARMENIAN SMALL LETTER ECH}"
    "\N{ARMENIAN SMALL LETTER NOW}\N{ARMENIAN SMALL LETTER TIWN}",
    "\N{HEBREW LETTER AYIN}\N{HEBREW LETTER BET}\N{HEBREW LETTER RESH}"
    "\N{HEBREW LETTER YOD}\N{HEBREW LETTER TAV}",
    "\N{ARABIC LETTER ALEF}\N{ARABIC LETTER LAM}\N{ARABIC LETTER AIN}\N{ARABIC LETTER REH}"
    "\N{ARABIC LETTER BEH}\N{ARABIC LETTER YEH}\N{ARABIC LETTER TEH MARBUTA}",
    # Devanagari "hindi", with its vowel signs and virama (marks of its own script).
    "\N{DEVANAGARI LETTER HA}\N{DEVANAGARI VOWEL SIGN I}\N{DEVANAGARI LETTER NA}"
    "\N{DEVANAGARI SIGN VIRAMA}\N{DEVANAGARI LETTER DA}\N{DEVANAGARI VOWEL SIGN II}",
    # Han alone, Han with Latin, Japanese (Han, Hiragana, Katakana), Korean (Hangul).
    "\N{CJK UNIFIED IDEOGRAPH-4EE3}\N{CJK UNIFIED IDEOGRAPH-7406}\N{CJK UNIFIED IDEOGRAPH-4EBA}",
    "\N{CJK UNIFIED IDEOGRAPH-6771}\N{CJK UNIFIED IDEOGRAPH-4EAC}-agent-1",
    "\N{KATAKANA LETTER E}\N{KATAKANA-HIRAGANA PROLONGED SOUND MARK}"
    "\N{KATAKANA LETTER ZI}\N{KATAKANA LETTER SMALL E}\N{KATAKANA LETTER N}\N{KATAKANA LETTER TO}",
    "\N{HIRAGANA LETTER HI}\N{HIRAGANA LETTER RA}\N{KATAKANA LETTER KA}"
    "\N{CJK UNIFIED IDEOGRAPH-6F22}\N{CJK UNIFIED IDEOGRAPH-5B57}",
    "\N{HANGUL SYLLABLE E}\N{HANGUL SYLLABLE I}\N{HANGUL SYLLABLE JEON}\N{HANGUL SYLLABLE TEU}-7",
]


@pytest.mark.parametrize(("agent_id", "rule"), REFUSED)
def test_an_id_that_could_pass_for_another_is_refused_naming_the_rule(
    agent_id: str, rule: str
) -> None:
    with pytest.raises(InvalidValueError) as refused:
        identifier(agent_id)
    assert str(refused.value).startswith(f"agent_id must be {rule}")
    assert str(refused.value).endswith(f"got {agent_id!r}")


@pytest.mark.parametrize("agent_id", ACCEPTED)
def test_an_honest_id_in_one_script_or_an_allowed_mix_is_kept(agent_id: str) -> None:
    assert identifier(agent_id) is agent_id
    machine = PostureStateMachine()
    machine.set_posture(agent_id, TrustPosture.ASSISTED)
    assert machine.get_posture(agent_id) is TrustPosture.ASSISTED


@pytest.mark.parametrize(("agent_id", "rule"), REFUSED[:3] + REFUSED[6:7] + REFUSED[14:15])
def test_every_entry_point_refuses_a_look_alike(agent_id: str, rule: str) -> None:
    machine = PostureStateMachine()
    machine.set_posture("agent-001", TrustPosture.BLOCKED)
    with pytest.raises(ValueError, match=re.escape(rule)):
        machine.get_posture(agent_id)
    with pytest.raises(ValueError, match=re.escape(rule)):
        machine.set_posture(agent_id, TrustPosture.FULL_AUTONOMY)
    with pytest.raises(ValueError, match=re.escape(rule)):
        PostureTransitionRequest(
            agent_id=agent_id,
            from_posture=TrustPosture.SUPERVISED,
            to_posture=TrustPosture.ASSISTED,
        )
    assert machine.tracked_agents() == 1


def test_ascii_ids_take_the_fast_path_and_are_returned_as_they_are() -> None:
    for agent_id in ("agent-001", "a", "x" * 256, "team/agent:7 (eu)"):
        assert identifier(agent_id) is agent_id


def test_a_str_subclass_is_refused_by_what_it_is() -> None:
    with pytest.raises(InvalidTypeError, match=r"^agent_id must be a str, not a subclass of it"):
        identifier(LyingStr("agent-001"))
    with pytest.raises(InvalidTypeError, match=r"^guard_name must be a str, not a subclass"):
        identifier(LyingStr("\N{CYRILLIC SMALL LETTER ZHE}"), "guard_name")
