"""The dense half: the shipped ONNX MiniLM turning title + abstract into unit vectors."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from more_itertools import chunked

MODEL_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 256
BATCH = 32


class ModelMissing(RuntimeError):
    """The embedding model is not part of this installation."""


def paper_text(title: str, abstract: str) -> str:
    title = " ".join((title or "").split())
    abstract = " ".join((abstract or "").split())
    return f"{title}. {abstract}" if abstract else title


class Embedder:
    """Loads model.onnx + tokenizer.json on first use; ``embed`` gives (n, dim) unit rows."""

    dim = 384

    def __init__(self, model_dir: Path | None = None, threads: int | None = None) -> None:
        if model_dir is None:
            from reader.core.resources import resource

            model_dir = resource("models", MODEL_NAME)
        self.model_dir = model_dir
        self.threads = threads
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()
        self._name: str | None = None

    @property
    def name(self) -> str:
        """Model name + version (a digest of the weights): when it changes, every vector is
        re-made."""
        if self._name is None:
            model = self.model_dir / "model.onnx"
            if not model.exists():
                raise ModelMissing(f"the embedding model is missing ({model})")
            digest = hashlib.blake2b(digest_size=6)
            with open(model, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            self._name = f"{MODEL_NAME}/onnx/{digest.hexdigest()}"
        return self._name

    def available(self) -> bool:
        return (self.model_dir / "model.onnx").exists() and (
            self.model_dir / "tokenizer.json"
        ).exists()

    def _load(self) -> None:
        if self._session is not None:
            return
        if not self.available():
            raise ModelMissing(f"the embedding model is missing from {self.model_dir}")
        import onnxruntime as ort
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        tok.enable_truncation(MAX_TOKENS)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
        opts = ort.SessionOptions()
        if self.threads:
            opts.intra_op_num_threads = self.threads
        opts.log_severity_level = 3
        session = ort.InferenceSession(
            str(self.model_dir / "model.onnx"), opts, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in session.get_inputs()}
        self._tokenizer, self._session = tok, session

    def embed(self, texts: Sequence[str], batch: int = BATCH) -> np.ndarray:
        with self._lock:
            self._load()
            out = [self._embed_batch(chunk) for chunk in chunked(texts, batch)]
        if not out:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.concatenate(out)

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        enc = self._tokenizer.encode_batch(texts)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feeds = {
            "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
            "attention_mask": mask,
            "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
        }
        hidden = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        m = mask[..., None].astype(np.float32)
        vectors = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


__all__ = ["Embedder", "ModelMissing", "paper_text"]
