"""Unseen speech for the accuracy benchmark: a third set, written to judge a change on words no earlier
change was tuned on (`--sets unseen`).

The corpus (tests/support/corpus.py) is what the suite tunes against, and the held-out set
(benchmarks/heldout.py) has been looked at closely by the changes measured on it since. These texts were
written afterwards and are only ever measured. Each is spoken with espeak-ng in voices and rates that
neither set uses:

- news: 33 s of continuous speech, read without a pause long enough to end an utterance (en-gb-x-rp,
  160 wpm);
- recipe: 36 s, eight instructions with pauses of 0.5-2.2 s (en-us, female variant, 170 wpm);
- call: 37 s, one side of a phone call, nine sentences with pauses of 0.4-1.8 s and hiss (en-gb-scotland,
  165 wpm).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.support.corpus import Speech, save_speech, silence
from tests.support.speech import _espeak

NEWS = (
    "The city council agreed last night to build a new bridge across the harbour. The old bridge was "
    "closed in the spring after engineers found cracks in two of its supports, and since then drivers "
    "have waited for almost an hour to cross at busy times. The new bridge will carry trains as well as "
    "cars, and it will have a wide path for people on foot and on bicycles. Work should begin early next "
    "year. Some shop owners near the water are worried that the building work will keep customers away, "
    "but the council says that most of it will happen at night."
)
RECIPE = (
    ("First, wash the potatoes and cut them into small pieces.", 1.2),
    ("Put them in a large pot of cold water with a little salt.", 0.8),
    ("Bring the water to the boil, then turn the heat down.", 2.2),
    ("While they cook, chop one onion and two cloves of garlic.", 0.5),
    ("Fry the onion in butter until it turns soft and golden.", 1.5),
    ("Drain the potatoes and mash them with a fork.", 0.9),
    ("Stir in the onion, the garlic and a cup of warm milk.", 1.1),
    ("Serve it hot with fresh bread and a green salad.", 1.0),
)
CALL = (
    ("Hello, it is me again, sorry to bother you so late.", 0.9),
    ("I wanted to ask whether the parcel has arrived yet.", 1.4),
    ("The tracking page says it was left at the front desk.", 0.4),
    ("Could you look for a brown box with my name on it?", 1.8),
    ("No, there is no need to open it tonight.", 0.6),
    ("I will come and collect it on my way home tomorrow.", 1.2),
    ("Yes, around six, if the buses are running on time.", 0.7),
    ("Thank you so much, that is very kind of you.", 1.0),
    ("Have a good evening, and say hello to your sister.", 1.0),
)


def _spoken(sentences: tuple[tuple[str, float], ...], voice: str, wpm: int) -> np.ndarray:
    pieces = [silence(0.8)]
    for sentence, pause in sentences:
        pieces += [_espeak(sentence, voice, wpm), silence(pause)]
    return np.concatenate(pieces)


def build_unseen(folder: Path) -> list[Speech]:
    folder.mkdir(parents=True, exist_ok=True)
    news = np.concatenate((silence(0.5), _espeak(NEWS, "en-gb-x-rp", 160), silence(0.5)))
    recipe = _spoken(RECIPE, "en-us+f3", 170)
    call = _spoken(CALL, "en-gb-scotland", 165)
    rng = np.random.default_rng(11)
    call = call + (rng.standard_normal(len(call)) * 0.008).astype(np.float32)
    return [
        save_speech(folder / "news.wav", news, "news", NEWS),
        save_speech(folder / "recipe.wav", recipe, "recipe", " ".join(s for s, _ in RECIPE)),
        save_speech(folder / "call.wav", call, "call", " ".join(s for s, _ in CALL)),
    ]
