"""Every tuned number of the streaming policies (`committing_policy`, `utterance_policy`), of the agreement
they commit words by (`commit`), and of what they send out (`captioning`), in one place. The benchmarks read
them from here too (`STREAMING`). Long-window decoding has its own (`longform.LongformTuning`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StreamingTuning:
    """The numbers of live streaming, in seconds unless named otherwise.

    Passes:
        min_pass_s: the shortest open utterance passed to the engine: whisper guesses wildly on less, and
            two wild guesses can agree.
        stuck_s: once the first tentative word has waited this long for two passes to agree on it, passes
            come every half `chunk_seconds`.
        force_margin_s: this far below the utterance limit a window is full: passed even with a backlog,
            and trimmed after whatever is committed, so the segmenter never has to cut blindly.
        force_keep_s: of a full window, the words in its last `force_keep_s` stay tentative (the rest is
            committed, agreed or not).

    The window (engines with word times):
        context_s: a window reaches back up to this far before the open utterance (what was said before a
            pause: the engine hears each sentence with the one before it, as it would offline).
        context_pause_s: after a longer pause the window starts with the utterance: silence is no context.
        thinned_context_s: `context_s` while the overload governor has thinned the passes: behind, an
            utterance's final call comes at once, back to back with the next, and the context (heard and
            decoded again on every call) is most of its window.
        max_window_s: the longest window.
        tail_s: of the pause that closed an utterance, what its final call hears.
        sentence_trim_s: a window longer than this is trimmed after its last committed sentence end.
        word_trim_s: a window longer than this is trimmed after any committed word (in a pause if any).
        front_slack_s: a committed word ending this close after the window's front is the one it was last
            trimmed after (and a cut this close to the front is none).
        min_gap_s: the shortest gap between two words that counts as a pause to trim in.

    Committing (`commit.LocalAgreement`):
        overlap_slack_s: a word that starts this much before the last committed end was committed already
            (engines' word times wander by a frame or two between passes).
        repeat_reach_s: a repeat of the last committed words is dropped only if it starts this close after
            the committed end.
        tail_words: how many of the last committed words a pass may repeat at its start.
        said_words: how many committed words are kept to recognise them, by their text, when a pass hears
            them again (as a window grows, whisper.cpp's word times drift by up to a few tenths of a second).
        match_drift_s: committed words heard again are looked for this far before the pass's first word;
            fewer than `run_words` of them in a row count as a repeat only within this drift.
        single_drift_s: one common word is a repeat only if heard within this of where it was said.
        run_words: this many words in a row are a repeat wherever the engine timed them.
        missed_words: a repeat may stop this many words short of the last committed one (misheard there).
        lead_words: a repeat may hold this many words (misheard committed words) more than the committed
            text before the words they share, never a phrase.
        letter_slack: committed words heard again spelled within this many letters are as many words.
        max_flip_words: two passes that disagree on at most this many words ...
        anchor_words: ... and then agree on this many in a row agree on everything up to there.
        prompt_slack_s: a committed word ending this little after the window's start is still prompt.

    Output:
        prompt_chars: how much of the text said before is the engine's prompt.
    """

    min_pass_s: float = 2.0
    stuck_s: float = 2.5
    force_margin_s: float = 2.0
    force_keep_s: float = 1.0
    context_s: float = 6.0
    context_pause_s: float = 2.0
    thinned_context_s: float = 0.0
    max_window_s: float = 15.0
    tail_s: float = 0.2
    sentence_trim_s: float = 8.0
    word_trim_s: float = 12.0
    front_slack_s: float = 0.1
    min_gap_s: float = 0.15
    overlap_slack_s: float = 0.1
    repeat_reach_s: float = 1.0
    tail_words: int = 5
    said_words: int = 60
    match_drift_s: float = 1.5
    single_drift_s: float = 0.5
    run_words: int = 3
    missed_words: int = 2
    lead_words: int = 2
    letter_slack: int = 2
    max_flip_words: int = 2
    anchor_words: int = 3
    prompt_slack_s: float = 0.01
    prompt_chars: int = 200

    @property
    def recent_s(self) -> float:
        """How much audio the ring of recent audio (`recent.RecentAudio`) holds: the longest window."""
        return self.max_window_s + 1.0


STREAMING = StreamingTuning()
