"""Utterances tile the timeline: every sample is in one utterance or counted as skipped silence."""

import itertools
from pathlib import Path

import numpy as np

from echotui.pipeline.queue import AudioBlock
from echotui.pipeline.segmenter import Segmenter, Utterance
from echotui.pipeline.vad import FRAME_SAMPLES

SR = 16000


class LoudIsSpeech:
    """Frame classifier double: speech = RMS above a threshold."""

    def is_speech(self, frame: np.ndarray) -> bool:
        return float(np.sqrt(np.mean(frame**2))) > 0.05


def tone(seconds: float, amp: float = 0.3) -> np.ndarray:
    t = np.arange(round(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SR), dtype=np.float32)


def feed(segmenter: Segmenter, audio: np.ndarray, block: int = 333) -> list[Utterance]:
    out = []
    for start in range(0, len(audio), block):
        out += segmenter.push(AudioBlock(start, audio[start : start + block], float(start)))
    return out + segmenter.flush()


def assert_tiles(audio: np.ndarray, utterances: list[Utterance], segmenter: Segmenter) -> None:
    covered = sum(len(u.audio) for u in utterances)
    assert covered + segmenter.skipped == len(audio)
    assert segmenter.pending == 0
    for a, b in itertools.pairwise(utterances):
        assert a.end <= b.start
    for u in utterances:
        np.testing.assert_array_equal(u.audio, audio[u.start : u.end])


def test_pauses_end_utterances_and_silence_is_skipped() -> None:
    audio = np.concatenate([silence(1.0), tone(1.5), silence(1.0), tone(0.8), silence(2.0)])
    segmenter = Segmenter(LoudIsSpeech(), min_silence_s=0.5, max_utterance_s=10, preroll_s=0.2)
    utterances = feed(segmenter, audio)
    assert len(utterances) == 2
    assert_tiles(audio, utterances, segmenter)
    first, second = utterances
    # pre-roll before the speech, the pause that ended it after
    assert abs(first.start / SR - 0.8) < 0.04
    assert abs(first.end / SR - 3.0) < 0.04
    assert abs(second.start / SR - 3.3) < 0.04


def test_long_speech_is_cut_at_the_quietest_point() -> None:
    # 7 s of speech with one short dip at 4.0 s (too short to end an utterance), max length 5 s
    audio = np.concatenate([tone(4.0), tone(0.12, amp=0.01), tone(2.88)])
    segmenter = Segmenter(LoudIsSpeech(), min_silence_s=0.5, max_utterance_s=5.0, cut_search_s=2.0)
    utterances = feed(segmenter, audio)
    assert len(utterances) == 2
    assert_tiles(audio, utterances, segmenter)
    assert 4.0 <= utterances[0].end / SR <= 4.12 + FRAME_SAMPLES / SR
    assert utterances[1].start == utterances[0].end


def test_a_click_is_not_an_utterance() -> None:
    audio = np.concatenate([silence(1.0), tone(0.06), silence(1.0)])
    segmenter = Segmenter(LoudIsSpeech(), min_speech_s=0.12)
    assert feed(segmenter, audio) == []
    assert segmenter.skipped == len(audio)


def test_a_gap_in_the_timeline_closes_the_open_utterance() -> None:
    segmenter = Segmenter(LoudIsSpeech(), min_silence_s=0.5)
    speech = tone(1.0)
    out = segmenter.push(AudioBlock(0, speech, 0.0))
    assert out == [] and segmenter.is_open
    after_gap = SR * 5
    out = segmenter.push(AudioBlock(after_gap, tone(0.3), 5.0))
    assert len(out) == 1 and out[0].start == 0 and out[0].end == len(speech)
    rest = segmenter.flush()
    assert len(rest) == 1 and rest[0].start == after_gap


def test_pauses_in_a_hissy_recording_still_end_utterances(tmp_path: Path) -> None:
    """Real recordings have a noise floor; the pauses between phrases must still be found (webrtcvad
    alone hears this hiss as speech and makes one utterance of all three phrases)."""
    from echotui.pipeline.vad import CombinedVad, FrameVad
    from tests.support.speech import read_wav, synthesize_text

    phrases = []
    for i, text in enumerate(["ask not what your country can do", "ask what you can do", "for your country"]):
        synthesize_text(text, tmp_path / f"p{i}.wav")
        phrases.append(read_wav(tmp_path / f"p{i}.wav"))
    gap = silence(0.9)
    clean = np.concatenate([gap, phrases[0], gap, phrases[1], gap, phrases[2], gap])
    hiss = np.random.default_rng(3).standard_normal(len(clean)).astype(np.float32) * 0.04
    audio = clean + hiss
    assert len(feed(Segmenter(FrameVad(aggressiveness=2), min_silence_s=0.5), audio, block=480)) == 1
    segmenter = Segmenter(CombinedVad(aggressiveness=2), min_silence_s=0.5)
    utterances = feed(segmenter, audio, block=480)
    assert len(utterances) == 3
    assert_tiles(audio, utterances, segmenter)
