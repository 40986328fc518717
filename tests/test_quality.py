"""What the user reads is judged by its words: the scorer and the caption checks the accuracy tests use."""

from __future__ import annotations

import pytest

from echotui.quality import caption_defects, repeats_phrase, strip_markers, word_errors, words


def test_punctuation_capitals_and_digits_are_not_errors() -> None:
    errors = word_errors("He worked there for forty years.", "he worked there for 40 years")
    assert errors.wer == 0.0
    assert words("At 7, the 115 ships!") == ["at", "seven", "the", "one", "hundred", "fifteen", "ships"]


def test_each_kind_of_error_is_counted() -> None:
    errors = word_errors("ask not what your country can do", "ask what your county can do for you")
    assert (errors.substitutions, errors.deletions, errors.insertions) == (1, 1, 2)
    assert errors.wer == pytest.approx(4 / 7)
    assert word_errors("three words here", "").wer == 1.0


@pytest.mark.parametrize(
    ("caption", "defect"),
    [
        ("[BLANK_AUDIO]", "non-speech marker"),
        ('" Ask not! [BL]', "non-speech marker"),
        ("(music)", "non-speech marker"),
        ("you you you you you", "repetition loop"),
        ("Ask not. Ask not. Ask not. Ask not.", "repetition loop"),
        ("!", "punctuation alone"),
    ],
)
def test_captions_a_user_must_never_see(caption: str, defect: str) -> None:
    assert defect in caption_defects(caption)


def test_ordinary_speech_is_not_a_defect() -> None:
    text = "And so my fellow Americans, ask not what your country can do for you; ask what you can do."
    assert caption_defects(text) == []
    assert caption_defects("no, no, no") == []  # a word said three times is speech, not a loop


def test_markers_are_removed_and_the_words_kept() -> None:
    assert strip_markers("[BLANK_AUDIO] Ask not! [BL") == "Ask not!"
    assert strip_markers("(music) thank you *laughs*") == "thank you"


def test_a_phrase_said_twice_in_one_decode_is_a_sign_of_a_loop() -> None:
    assert repeats_phrase("We should plant more trees along the main road. More trees along the main road.")
    assert not repeats_phrase("We should plant more trees along the main road. The brother plays the piano.")
