"""A bigger sibling with real words: the real tiny.en deepened with layers that cost like any other and change
nothing, so a model step (the governor's ladder) can be measured with real cost *and* real words.

Whisper's layers are pre-norm residual blocks, ``x + out(f(norm(x)))``: a layer whose output projections
(self-attention and cross-attention out, the feed-forward's second linear) are zero adds nothing to ``x``,
yet the engine computes every matrix product in it. Copies of tiny.en's last layer with those projections
zeroed, put into the encoder and the decoder, give a model that transcribes exactly as tiny.en does at the
cost of a deeper one: 9 encoder and 10 decoder layers of width 384 cost what base.en's 6 + 6 of width 512
do here (benchmarks.governor measured them side by side), and two of the decoder's put first make it read
as base.en (`echotui.models.naming` reads the size from the last alignment head's layer).

The CTranslate2 ``model.bin`` is rewritten variable by variable (raw bytes kept; the engine counts a stack's
layers by the ``layer_N`` names it finds)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from tests.support.ct2_file import Ct2File, Ct2Variable, read_ct2_file, write_ct2_file

# zeroed in an added layer: what each block adds to the residual stream
_OUTPUTS = ("self_attention/linear_1/", "attention/linear_2/", "ffn/linear_1/")
_LAYER = re.compile(r"^(encoder|decoder)/layer_(\d+)/(.*)$")


def deepen_ct2_model(
    source: Path, dest: Path, encoder_layers: int, decoder_layers: int, decoder_lead: int = 0
) -> Path:
    """Copy the CTranslate2 Whisper folder `source` to `dest` with its encoder and decoder deepened to
    `encoder_layers` and `decoder_layers` by layers that leave the output unchanged; return `dest`.
    `decoder_lead` of the decoder's added layers go before its own (the alignment heads in config.json move
    with them), the rest after: a model's size is read from the decoder layer of its last alignment head
    (`echotui.models.naming`), so tiny.en's heads in layer 3, moved to layer 5, make it a base.en."""
    model = read_ct2_file(source / "model.bin")
    depth = {"encoder": 0, "decoder": 0}
    for v in model.variables:
        if match := _LAYER.match(v.name):
            depth[match[1]] = max(depth[match[1]], int(match[2]) + 1)
    target = {"encoder": encoder_layers, "decoder": decoder_layers}
    lead = {"encoder": 0, "decoder": decoder_lead}
    for stack in depth:
        if target[stack] < depth[stack] + lead[stack]:
            raise ValueError(
                f"{stack}: {target[stack]} layers asked, it has {depth[stack]} and {lead[stack]} lead"
            )
    kept: list[Ct2Variable] = []
    template: dict[str, list[tuple[str, Ct2Variable]]] = {"encoder": [], "decoder": []}
    for v in model.variables:
        if not (match := _LAYER.match(v.name)):
            kept.append(v)
            continue
        stack, index, rest = match[1], int(match[2]), match[3]
        kept.append(Ct2Variable(f"{stack}/layer_{index + lead[stack]}/{rest}", v.dims, v.dtype, v.raw))
        if index == depth[stack] - 1:
            template[stack].append((rest, v))
    for stack, layer in template.items():
        own = range(lead[stack], lead[stack] + depth[stack])
        for index in (i for i in range(target[stack]) if i not in own):
            for rest, v in layer:
                raw = bytes(len(v.raw)) if rest.startswith(_OUTPUTS) else v.raw
                kept.append(Ct2Variable(f"{stack}/layer_{index}/{rest}", v.dims, v.dtype, raw))
    dest.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.is_file() and item.name not in {"model.bin", "config.json"}:
            shutil.copy2(item, dest / item.name)
    config = json.loads((source / "config.json").read_text())
    config["alignment_heads"] = [[layer + decoder_lead, head] for layer, head in config["alignment_heads"]]
    (dest / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    write_ct2_file(dest / "model.bin", Ct2File(model.header, kept, model.aliases))
    return dest
