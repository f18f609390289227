"""Crisis language: the labelled corpus, the issue's examples, figures of speech, and any text at all."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from course.safety import crisis_language
from course.safety.crisis import CRISIS_RULES, QUIET_RULES, WORDS, crisis_category

CORPUS_PATH = Path(__file__).parent / "crisis_corpus.yaml"
# Most serious first (C-SSRS): the order of the rules, so crisis_category names the most serious match.
ALERT_CATEGORIES = (
    "preparatory",
    "plan",
    "method",
    "intent",
    "self-injury",
    "nonspecific-thoughts",
    "wish-to-be-dead",
    "direct",
)
NO_ALERT_CATEGORIES = (
    "pain-talk",
    "program-language",
    "figure-of-speech",
    "others-death",
    "medication-normal",
    "everyday",
)
MIN_RECALL = 0.98
MAX_FALSE_ALARMS = 0.02


def _load() -> dict[str, list[dict[str, str]]]:
    loaded: Any = yaml.safe_load(CORPUS_PATH.read_text(encoding="utf-8"))
    return {
        side: [{"category": item["category"], "text": item["text"]} for item in loaded[side]]
        for side in ("alert", "no_alert")
    }


@pytest.fixture(scope="module")
def corpus() -> dict[str, list[dict[str, str]]]:
    return _load()


def _rate(hits: int, total: int) -> str:
    return f"{100 * hits / total:.1f}% ({hits}/{total})" if total else "n/a (0/0)"


def test_corpus_is_big_enough_complete_and_without_duplicates(
    corpus: dict[str, list[dict[str, str]]],
) -> None:
    assert len(corpus["alert"]) >= 200
    assert len(corpus["no_alert"]) >= 100
    assert {item["category"] for item in corpus["alert"]} == set(ALERT_CATEGORIES)
    assert {item["category"] for item in corpus["no_alert"]} == set(NO_ALERT_CATEGORIES)
    texts = Counter(" ".join(item["text"].casefold().split()) for side in corpus.values() for item in side)
    assert [text for text, count in texts.items() if count > 1] == []


def test_corpus_recall_and_false_alarms(
    corpus: dict[str, list[dict[str, str]]], capsys: pytest.CaptureFixture[str]
) -> None:
    missed = [item for item in corpus["alert"] if not crisis_language(item["text"])]
    alarmed = [item for item in corpus["no_alert"] if crisis_language(item["text"])]
    alerts, quiets = len(corpus["alert"]), len(corpus["no_alert"])
    recall = (alerts - len(missed)) / alerts
    false_alarms = len(alarmed) / quiets

    lines = [
        f"crisis corpus: recall {_rate(alerts - len(missed), alerts)}, "
        f"false alarms {_rate(len(alarmed), quiets)}"
    ]
    for category in ALERT_CATEGORIES:
        total = sum(item["category"] == category for item in corpus["alert"])
        caught = total - sum(item["category"] == category for item in missed)
        lines.append(f"  alert    {category:<22} recall       {_rate(caught, total)}")
    for category in NO_ALERT_CATEGORIES:
        total = sum(item["category"] == category for item in corpus["no_alert"])
        wrong = sum(item["category"] == category for item in alarmed)
        lines.append(f"  no_alert {category:<22} false alarms {_rate(wrong, total)}")
    lines += [f"  MISSED [{item['category']}] {item['text']}" for item in missed]
    lines += [f"  FALSE ALARM [{item['category']}] {item['text']}" for item in alarmed]
    with capsys.disabled():
        print("\n" + "\n".join(lines))

    assert recall >= MIN_RECALL
    assert false_alarms <= MAX_FALSE_ALARMS


def test_crisis_category_agrees_with_crisis_language(corpus: dict[str, list[dict[str, str]]]) -> None:
    for item in corpus["alert"] + corpus["no_alert"]:
        category = crisis_category(item["text"])
        assert crisis_language(item["text"]) == (category is not None), item["text"]
        assert category is None or category in ALERT_CATEGORIES


@pytest.mark.parametrize(
    "text",
    [
        # The examples from the issue: each was missed by the old list of phrases.
        "I keep thinking about hurting myself",
        "I don't want to be alive anymore",
        "I'd rather be dead",
        "I'm going to hang myself",
        "I've been saving up my pills",
        # Kept from the first version of the crisis tests.
        "Some days I want to die.",
        "I have been thinking about killing myself",
        "Everyone would be better off without me",
        "I feel suicidal tonight",
        "I don’t want to wake up anymore",
        "I keep thinking I should hurt myself",
        "I can't go on like this",
        "There is no reason to live with this pain",
        "I thought about an overdose",
        "I WANT TO END IT ALL",
        # Written the way people type: texting forms, misspellings, invisible characters, stretched letters.
        "id rather be dead tbh",
        "i wanna kms",
        "im thinking about sucide again",
        "i want to dieeee",
        "kill my self",
        "self\u00adharm urges are back",
        "I\u2019m going to end my life",
        "ｉ ｗａｎｔ ｔｏ ｄｉｅ",
        "su\u200bicide",
        "everyone would be better off if I wasn't here",
        "I wish I'd never been born",
        "i hope i dont wake up tomorrow",
        "I took all my pills at once",
        "wrote a goodbye letter to my kids",
        "this pain is killing me and I want to die",
    ],
)
def test_crisis_language_recognised(text: str) -> None:
    assert crisis_language(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'm dying to try this new recipe",
        "This commute is killing me",
        "My back pain is killing me today",
        "We were killing it at the quiz",
        "That cake was to die for",
        "The lecture bored me to death, ha",
        "My grandmother died last year and I miss her",
        "",
        "Sleep was short, pain 6, stress high at work.",
        # Pain talk and the program's own words.
        "I hurt my knee",
        "I was afraid moving would harm my back",
        "Hurt does not equal harm",
        "I'm dying to go hiking",
        "I could kill for a coffee",
        "My phone died halfway through the video",
        "The pain was so bad I thought I was going to die",
        "I hurt myself lifting the shopping",
        "I took all my pills this morning",
        "I overdid it yesterday and I'm overdoing it again today",
        "My ID card has expired",
        "I cut my finger chopping onions",
    ],
)
def test_crisis_language_figures_of_speech_do_not_alert(text: str) -> None:
    assert not crisis_language(text)


def test_crisis_language_errs_towards_help_on_the_word_suicide() -> None:
    # Mentioning suicide at all shows crisis information; we accept this false alarm on purpose.
    assert crisis_language("I watched a documentary about suicide prevention work")


# Crisis words, tricky characters (NUL, lone surrogates, right-to-left and zero-width marks), any character.
_CRISIS_WORDS = sorted(word for words in WORDS.values() for word in words)
_TRICKY = list("\x00\ud800\udfff\u200f\u202e\u200b\ufeff\u2019'.\n |&")
_PIECES = st.one_of(
    st.sampled_from(_CRISIS_WORDS),
    st.sampled_from(_TRICKY),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=20),
    st.text(st.characters(categories=["Cs"]), max_size=3),
)
_TEXTS = st.lists(st.tuples(_PIECES, st.sampled_from([" ", "", ". ", "\n"])), max_size=60).map(
    lambda pairs: "".join(piece + gap for piece, gap in pairs)
)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_crisis_language_never_raises(text: str) -> None:
    assert crisis_language(text) in (True, False)
    assert crisis_language(text * 50) in (True, False)  # long inputs too


def test_rule_tables_are_named_once_and_ordered_most_serious_first() -> None:
    names = [rule.name for rule in CRISIS_RULES] + [rule.name for rule in QUIET_RULES]
    assert len(names) == len(set(names))
    order = [ALERT_CATEGORIES.index(rule.category) for rule in CRISIS_RULES]
    assert order == sorted(order)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I've been saving up my pills", "preparatory"),
        ("I've decided how and when", "plan"),
        ("I'm going to hang myself", "method"),
        ("I'm going to kill myself tonight", "intent"),
        ("I keep thinking about hurting myself", "self-injury"),
        ("I keep thinking about killing myself", "nonspecific-thoughts"),
        ("I'd rather be dead", "wish-to-be-dead"),
        ("I feel suicidal", "direct"),
        ("My back is killing me", None),
    ],
)
def test_crisis_category_names_the_most_serious_rule(text: str, category: str | None) -> None:
    assert crisis_category(text) == category
