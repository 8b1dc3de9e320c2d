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
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.hostile import LyingStr
from trust import InvalidTypeError, InvalidValueError, PostureStateMachine, TrustPosture
from trust._generated import confusables
from trust._scripts import script
from trust._validators import identifier
from trust.postures import PostureTransitionRequest

MIXED = "written in one script, not in"
LOOKS = "free of look-alikes, not"
PROFILE = "made of characters recommended for identifiers (UTS #39), not"
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
        LOOKS + " U+0430 CYRILLIC SMALL LETTER A, which prints like U+0061 LATIN SMALL "
        "LETTER A (it prints like 'aeopcyx')",
    ),
    (
        "\N{CYRILLIC CAPITAL LETTER TE}\N{CYRILLIC CAPITAL LETTER O}"
        "\N{CYRILLIC CAPITAL LETTER KA}\N{CYRILLIC CAPITAL LETTER U}"
        "\N{CYRILLIC CAPITAL LETTER O}-1",
        LOOKS + " U+0422 CYRILLIC CAPITAL LETTER TE, which prints like U+0054 LATIN CAPITAL "
        "LETTER T (it prints like 'T0KY0-1')",
    ),
    (
        "\N{GREEK CAPITAL LETTER TAU}\N{GREEK CAPITAL LETTER OMICRON}"
        "\N{GREEK CAPITAL LETTER KAPPA}\N{GREEK CAPITAL LETTER UPSILON}"
        "\N{GREEK CAPITAL LETTER OMICRON}",
        LOOKS + " U+03A4 GREEK CAPITAL LETTER TAU, which prints like U+0054 LATIN CAPITAL "
        "LETTER T (it prints like 'T0KY0')",
    ),
    (
        "\N{ARMENIAN SMALL LETTER HO}\N{ARMENIAN SMALL LETTER OH}"
        "\N{ARMENIAN SMALL LETTER SEH}\N{ARMENIAN SMALL LETTER VO}",
        LOOKS + " U+0570 ARMENIAN SMALL LETTER HO, which prints like U+0068 LATIN SMALL "
        "LETTER H (it prints like 'houn')",
    ),
    (
        "adm\N{LATIN SMALL LETTER DOTLESS I}n",
        LOOKS + " U+0131 LATIN SMALL LETTER DOTLESS I, which prints like U+0069 LATIN SMALL "
        "LETTER I (it prints like 'admin')",
    ),
    (
        "\N{LATIN LETTER SMALL CAPITAL A}\N{LATIN LETTER SMALL CAPITAL D}"
        "\N{LATIN LETTER SMALL CAPITAL M}\N{LATIN LETTER SMALL CAPITAL I}"
        "\N{LATIN LETTER SMALL CAPITAL N}",
        PROFILE + " U+1D00 LATIN LETTER SMALL CAPITAL A",
    ),
    (
        "\N{CHEROKEE LETTER GO}\N{CHEROKEE LETTER YV}\N{CHEROKEE LETTER TLI}-7",
        PROFILE + " U+13AA CHEROKEE LETTER GO",
    ),
    (
        "\N{LISU LETTER A}\N{LISU LETTER DA}\N{LISU LETTER MA}\N{LISU LETTER I}\N{LISU LETTER NA}",
        PROFILE + " U+A4EE LISU LETTER A",
    ),
    # The second of each pair prints like the first, which is accepted (review 12).
    ("agent\N{LATIN LETTER RETROFLEX CLICK}", PROFILE + " U+01C3 LATIN LETTER RETROFLEX CLICK"),
    ("agent\N{LATIN SMALL LETTER SALTILLO}s", PROFILE + " U+A78C LATIN SMALL LETTER SALTILLO"),
    (
        "agent-\N{KATAKANA LETTER KA}",
        LOOKS + " U+30AB KATAKANA LETTER KA, which prints like U+529B CJK UNIFIED "
        "IDEOGRAPH-529B (it prints like 'agent-\u529b')",
    ),
    (
        "\N{CJK UNIFIED IDEOGRAPH-53E3}\N{KATAKANA LETTER BO}\N{KATAKANA LETTER SMALL TU}"
        "\N{KATAKANA LETTER TO}",
        LOOKS + " U+53E3 CJK UNIFIED IDEOGRAPH-53E3, which prints like U+30ED KATAKANA "
        "LETTER RO (it prints like '\u30ed\u30dc\u30c3\u30c8')",
    ),
    (
        "\N{CJK UNIFIED IDEOGRAPH-4EBA}\N{KATAKANA LETTER RO}",
        LOOKS + " U+30ED KATAKANA LETTER RO, which prints like U+53E3 CJK UNIFIED "
        "IDEOGRAPH-53E3 (it prints like '\u4eba\u53e3')",
    ),
    (
        "\N{LATIN LETTER SMALL CAPITAL F}\N{LATIN LETTER SMALL CAPITAL I}"
        "\N{LATIN LETTER SMALL CAPITAL L}\N{LATIN LETTER SMALL CAPITAL E}",
        PROFILE + " U+A730 LATIN LETTER SMALL CAPITAL F",
    ),
    ("\N{LATIN LETTER SMALL CAPITAL Q}", PROFILE + " U+A7AF LATIN LETTER SMALL CAPITAL Q"),
    (
        "\N{CYRILLIC CAPITAL LETTER ZE}\N{CYRILLIC CAPITAL LETTER DE}",
        LOOKS + " U+0417 CYRILLIC CAPITAL LETTER ZE, which prints like U+0033 DIGIT THREE "
        "(it prints like '3\u0414')",
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
    # Greek "Ellada", Armenian "agent".
    "\N{GREEK CAPITAL LETTER EPSILON}\N{GREEK SMALL LETTER LAMDA}\N{GREEK SMALL LETTER LAMDA}"
    "\N{GREEK SMALL LETTER ALPHA WITH TONOS}\N{GREEK SMALL LETTER DELTA}"
    "\N{GREEK SMALL LETTER ALPHA}",
    "\N{ARMENIAN SMALL LETTER AYB}\N{ARMENIAN SMALL LETTER GIM}\N{ARMENIAN SMALL LETTER ECH}"
    "\N{ARMENIAN SMALL LETTER NOW}\N{ARMENIAN SMALL LETTER TIWN}",
    # Devanagari "hindi", with its vowel signs and virama (marks of its own script).
    "\N{DEVANAGARI LETTER HA}\N{DEVANAGARI VOWEL SIGN I}\N{DEVANAGARI LETTER NA}"
    "\N{DEVANAGARI SIGN VIRAMA}\N{DEVANAGARI LETTER DA}\N{DEVANAGARI VOWEL SIGN II}",
    # Han alone, Han with Latin, Japanese (Han, Hiragana, Katakana), Korean (Hangul).
    "\N{CJK UNIFIED IDEOGRAPH-4EE3}\N{CJK UNIFIED IDEOGRAPH-7406}\N{CJK UNIFIED IDEOGRAPH-4EBA}",
    "\N{CJK UNIFIED IDEOGRAPH-6771}\N{CJK UNIFIED IDEOGRAPH-4EAC}-agent-1",
    "\N{KATAKANA LETTER E}\N{KATAKANA-HIRAGANA PROLONGED SOUND MARK}"
    "\N{KATAKANA LETTER ZI}\N{KATAKANA LETTER SMALL E}\N{KATAKANA LETTER N}\N{KATAKANA LETTER TO}",
    "\N{HIRAGANA LETTER HI}\N{HIRAGANA LETTER RA}\N{HIRAGANA LETTER GA}\N{HIRAGANA LETTER NA}"
    "\N{CJK UNIFIED IDEOGRAPH-6F22}\N{CJK UNIFIED IDEOGRAPH-5B57}",
    # Of Katakana and Han look-alikes, the one the id's other letters are written in.
    "\N{KATAKANA LETTER RO}\N{KATAKANA LETTER BO}\N{KATAKANA LETTER SMALL TU}"
    "\N{KATAKANA LETTER TO}",
    "\N{CJK UNIFIED IDEOGRAPH-4EBA}\N{CJK UNIFIED IDEOGRAPH-53E3}",
    "agent-\N{CJK UNIFIED IDEOGRAPH-529B}",
    "agent\u0021",
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


# What rule 5 and 6 cost: honest ids that print like another acceptable id, refused.
PRICE = [
    # U+00F3 prints like Arabic HEH with FATHA, an id of its own.
    ("canci\u00f3n", "U+00F3 LATIN SMALL LETTER O WITH ACUTE, which prints like"),
    # Letters that print like an ASCII digit or punctuation mark, wherever they stand.
    ("\N{ARABIC LETTER ALEF}\N{ARABIC LETTER LAM}", "U+0627 ARABIC LETTER ALEF"),
    ("\N{HEBREW LETTER YOD}\N{HEBREW LETTER BET}", "U+05D9 HEBREW LETTER YOD"),
    # Where nothing else decides, Han is preferred to Katakana (by name).
    ("\N{KATAKANA LETTER KA}", "U+30AB KATAKANA LETTER KA"),
]


@pytest.mark.parametrize(("agent_id", "culprit"), PRICE)
def test_the_price_honest_ids_that_print_like_another_acceptable_id(
    agent_id: str, culprit: str
) -> None:
    with pytest.raises(InvalidValueError, match=re.escape(f"{LOOKS} {culprit}")):
        identifier(agent_id)


def accepted(agent_id: str) -> bool:
    try:
        identifier(agent_id)
    except InvalidValueError:
        return False
    return True


# Letters of the scripts that share look-alikes, some that look like nothing else (they
# decide between look-alikes), ASCII letters, digits and punctuation.
_POOL = sorted(
    {c for c in confusables.CLASSES if script(c) in {None, "LATIN", "CYRILLIC", "GREEK"}}
    | {c for c in confusables.CLASSES if script(c) in {"HAN", "KATAKANA", "HIRAGANA"}}
    | set("\u0434\u043b\u03bb\u03b4\u30dc\u30c3\u6f22\u3072agent-01")
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(_POOL), min_size=1, max_size=6),
    st.lists(st.integers(min_value=0, max_value=30), min_size=6, max_size=6),
)
def test_no_two_accepted_ids_print_alike_unless_they_differ_only_in_ascii(
    letters: list[str], picks: list[int]
) -> None:
    x = "".join(letters)
    # y prints like x: each character swapped for one of its look-alikes, or kept.
    y = "".join(
        confusables.CLASSES.get(c, c)[pick % len(confusables.CLASSES.get(c, c))]
        for c, pick in zip(letters, picks, strict=False)
    )
    if x != y and accepted(x) and accepted(y):
        assert all(a.isascii() and b.isascii() for a, b in zip(x, y, strict=True) if a != b)


def test_the_pairs_of_the_review_are_never_both_accepted() -> None:
    pairs = [
        ("agent!", "agent\u01c3"),
        ("agent's", "agent\ua78cs"),
        ("agent-\u30ab", "agent-\u529b"),
        ("\u30ed\u30dc\u30c3\u30c8", "\u53e3\u30dc\u30c3\u30c8"),
        ("file", "\ua730\u026a\u029f\u1d07"),
    ]
    for a, b in pairs:
        assert accepted(a) != accepted(b), (a, b)


def test_the_table_names_its_source_and_every_class_holds_its_members() -> None:
    assert (confusables.ICU_VERSION, confusables.UNICODE_VERSION) == ("72.1", "15.0")
    for char, members in confusables.CLASSES.items():
        assert char in members
        assert all(confusables.CLASSES[member] == members for member in members)
    assert not set(confusables.SEQUENCES) & set(confusables.CLASSES)
    starts, ends = confusables.ALLOWED[::2], confusables.ALLOWED[1::2]
    assert all(a <= b for a, b in zip(starts, ends, strict=True))
    assert all(b < a for b, a in zip(ends, starts[1:], strict=False))
