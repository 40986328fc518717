"""whisper.cpp on a CPU runs a q8_0 copy of a float16 model (`models/ggml_quantize.py`): the copy is made
once, in the cache folder, and hears what the float16 file hears (real tiny.en weights, known speech). What
it saves in time is measured by `benchmarks.accuracy`, not timed here."""

from __future__ import annotations

import struct
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from echotui.models.choice import ModelChoice
from echotui.models.ggml_models import read_ggml_header
from echotui.models.ggml_quantize import cpu_copy
from echotui.pipeline.revision_engine import model_bytes
from echotui.providers.base import TranscribeRequest
from echotui.providers.whispercpp import WhisperCppProvider
from echotui.providers.whispercpp_abilities import runs_q8_0, whispercpp_on_cpu
from echotui.quality import word_errors
from tests.support.corpus import Speech
from tests.support.speech import read_wav

Q8_0_FTYPE_IN_HEADER = 2007  # ggml's quantization version 2, times 1000, plus GGML_FTYPE_MOSTLY_Q8_0 (7)


def _tensor_types(path: Path) -> dict[str, int]:
    """Each tensor's ggml type, read from the file on its own (not by the code under test)."""
    data = path.read_bytes()
    n_mel, n_fft = struct.unpack_from("<2i", data, 48)
    at = 56 + 4 * n_mel * n_fft
    (n_tokens,) = struct.unpack_from("<i", data, at)
    at += 4
    for _ in range(n_tokens):
        at += 4 + struct.unpack_from("<I", data, at)[0]
    sizes = {0: (1, 4), 1: (1, 2), 8: (32, 34)}
    types = {}
    while at < len(data):
        n_dims, name_len, ttype = struct.unpack_from("<3i", data, at)
        shape = struct.unpack_from(f"<{n_dims}i", data, at + 12)
        at += 12 + 4 * n_dims
        name = data[at : at + name_len].decode()
        at += name_len
        elements = 1
        for dim in shape:
            elements *= dim
        block, nbytes = sizes[ttype]
        at += elements // block * nbytes
        types[name] = ttype
    return types


def test_whisper_cpp_on_a_cpu_runs_a_q8_0_copy_made_once_that_hears_the_same_words(
    real_models: dict[str, Path], corpus: dict[str, Speech], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECHOTUI_CACHE_DIR", str(tmp_path / "cache"))
    source = real_models["whispercpp"]
    speech = corpus["continuous"]
    audio = read_wav(speech.path)

    texts = {}
    for compute in ("float16", "default"):
        choice = ModelChoice(path=source)
        provider = WhisperCppProvider(choice, threads=2, use_gpu=False, compute_type=compute)
        loaded = provider.load()
        runs = Path(provider._model.model_path)
        segments = provider.transcribe(TranscribeRequest(audio, 0.0, True, full_window=True))
        texts[compute] = " ".join(segment.text for segment in segments)
        provider.close()
        if compute == "float16":
            assert runs == source and loaded.runs == ""
            assert not (tmp_path / "cache").exists()  # asked for float16: no copy made
    copy = runs
    assert copy.parent == tmp_path / "cache" / "ggml-q8_0"
    assert read_ggml_header(copy).ftype == Q8_0_FTYPE_IN_HEADER
    types = _tensor_types(copy)
    assert types["encoder.blocks.0.mlp.0.weight"] == types["decoder.token_embedding.weight"] == 8  # q8_0
    assert types["encoder.conv1.weight"] == 1 and types["decoder.positional_embedding"] == 0  # kept
    assert sum(ttype == 8 for ttype in types.values()) == 65  # tiny.en's 64 matrices and its embedding
    assert copy.stat().st_size < 0.6 * source.stat().st_size
    assert loaded.path == str(source) and loaded.runs == str(copy), "the model named, and the copy it runs"
    assert model_bytes(loaded) == copy.stat().st_size, "a second copy for the revision: the memory it needs"

    # the same words as the float16 file, but for a slip or two; and both as right as each other
    assert word_errors(texts["float16"], texts["default"]).wer <= 0.05
    wer = {compute: word_errors(speech.text, text).wer for compute, text in texts.items()}
    assert wer["default"] <= wer["float16"] + 0.05

    made = copy.stat().st_mtime_ns
    assert cpu_copy(source) == copy and copy.stat().st_mtime_ns == made  # made once


def test_a_damaged_copy_is_made_again_and_a_copy_that_cannot_be_made_leaves_the_float16_file(
    real_models: dict[str, Path], tmp_path: Path
) -> None:
    source = real_models["whispercpp"]
    copy = cpu_copy(source, tmp_path / "copies")
    size = copy.stat().st_size
    with copy.open("r+b") as f:
        f.truncate(size // 2)
    assert cpu_copy(source, tmp_path / "copies") == copy and copy.stat().st_size == size

    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert cpu_copy(source, blocked) == source  # whisper.cpp runs the float16 file, slower
    assert cpu_copy(copy, tmp_path / "again") == copy  # a file already quantized is run as it is
    assert not (tmp_path / "again").exists()


def test_the_copy_is_for_the_cpu_unless_asked_for() -> None:
    assert whispercpp_on_cpu(use_gpu=False)
    assert runs_q8_0("default", on_cpu=True) and not runs_q8_0("default", on_cpu=False)
    assert not runs_q8_0("float16", on_cpu=True)
    assert runs_q8_0("q8_0", on_cpu=False) and runs_q8_0("int8", on_cpu=False)


def test_auto_selection_times_the_copy_that_will_run(
    real_models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The encoder pass that predicts whether a model keeps up is timed on the q8_0 copy a CPU runs."""
    monkeypatch.setenv("ECHOTUI_CACHE_DIR", str(tmp_path / "cache"))
    seconds = WhisperCppProvider.time_encoder("tiny.en", "cpu", real_models_dir, threads=2, runs=1)
    assert seconds is not None and seconds > 0
    copies = list((tmp_path / "cache" / "ggml-q8_0").iterdir())
    assert [read_ggml_header(copy).ftype for copy in copies] == [Q8_0_FTYPE_IN_HEADER]


def test_two_engines_loading_at_once_make_one_good_copy(real_models: dict[str, Path], tmp_path: Path) -> None:
    """The live engine and the revision's (or a hot-swap's) may load the same model in one process at once."""
    source, folder = real_models["whispercpp"], tmp_path / "copies"
    with ThreadPoolExecutor(2) as pool:
        copies = list(pool.map(lambda _: cpu_copy(source, folder), range(2)))
    assert copies[0] == copies[1] != source
    assert read_ggml_header(copies[0]).ftype == Q8_0_FTYPE_IN_HEADER
    assert _tensor_types(copies[0])["decoder.token_embedding.weight"] == 8
    assert [path.name for path in folder.iterdir()] == [copies[0].name]  # no pending file left
