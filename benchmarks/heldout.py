"""Held-out speech for the accuracy benchmark: longer than the test corpus, so one word is not 3-10 points.

The test corpus (tests/support/corpus.py) is what the suite tunes against; these texts are never used by a
test. Each is spoken with espeak-ng (different voices and rates from the corpus) and comes with its words:

- lecture: 41.6 s of continuous speech, no pause long enough to end an utterance (en-us, 165 wpm);
- story: 30.2 s of continuous speech in another voice (en-gb, 150 wpm);
- dialogue: 37.4 s, ten sentences with pauses of 0.3-2.5 s and low hiss throughout (en-us, 175 wpm).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.support.corpus import Speech, save_speech, silence
from tests.support.speech import _espeak

LECTURE = (
    "Today we will look at how rivers shape the land around them. A young river in the mountains runs fast "
    "and cuts a narrow valley with steep sides. As it reaches the plain it slows down, grows wider, and "
    "begins to carry sand and mud instead of stones. Over thousands of years the river bends from side to "
    "side, and each bend moves a little further downstream. When a flood comes, the water spreads across "
    "the fields and leaves a thin layer of rich soil behind. That is why so many old towns were built on "
    "the banks of large rivers, where farmers could grow food and boats could carry goods to the sea. "
    "Next week we will visit the river near the station and measure how fast the water moves."
)
STORY = (
    "Anna found the letter on a rainy Tuesday, hidden behind a loose brick in the garden wall. The paper "
    "was yellow and the ink had faded, but she could still read most of the words. It was written by her "
    "grandmother, who had lived in the same house before the war. The letter described a small wooden box "
    "buried under the apple tree, with a key tied to its lid. Anna put on her boots, took a shovel from the "
    "shed, and started to dig while the rain kept falling."
)
DIALOGUE = (
    ("Could you send me the report before lunch?", 0.8),
    ("I think the numbers for March are still missing.", 1.6),
    ("The printer on the second floor is broken again.", 0.4),
    ("Somebody called about the delivery this morning.", 2.5),
    ("Let us move the meeting to Friday afternoon.", 1.0),
    ("The new office chairs should arrive next week.", 0.6),
    ("Please remember to lock the door when you leave.", 1.8),
    ("My train was late because of the snow.", 0.3),
    ("We need two more people for the football team.", 1.2),
    ("Thank you for your help with the presentation.", 1.0),
)


def build_heldout(folder: Path) -> list[Speech]:
    folder.mkdir(parents=True, exist_ok=True)
    lecture = np.concatenate((silence(0.5), _espeak(LECTURE, "en-us", 165), silence(0.5)))
    story = np.concatenate((silence(0.5), _espeak(STORY, "en-gb", 150), silence(0.5)))
    pieces = [silence(1.0)]
    for sentence, pause in DIALOGUE:
        pieces += [_espeak(sentence, "en-us", 175), silence(pause)]
    dialogue = np.concatenate(pieces)
    rng = np.random.default_rng(5)
    dialogue = dialogue + (rng.standard_normal(len(dialogue)) * 0.01).astype(np.float32)
    return [
        save_speech(folder / "lecture.wav", lecture, "lecture", LECTURE),
        save_speech(folder / "story.wav", story, "story", STORY),
        save_speech(folder / "dialogue.wav", dialogue, "dialogue", " ".join(s for s, _ in DIALOGUE)),
    ]
