"""How close a sentence is to a question: BM25 over content words (the candidates), then the cosine of
WordLlama embeddings (the order and the floor).

The embedding is WordLlama's `l2_supercat` at 256 dimensions, which the `wordllama` wheel ships. It is loaded
from the package's own files, never through `WordLlama.load`: in wordllama 0.4.0 that looks for the tokenizer
under `tokenizer/` while the wheel ships `tokenizers/`, so it would download it from Hugging Face at run time.
Both files' sha256 are checked first, so a changed package fails with one clear message instead of answering
differently.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from bot.ask.terms import content_terms
from bot.errors import ConfigError

MODEL_FILES = {
    "weights/l2_supercat_256.safetensors": "64b47a2dc493cb8e85944076601189739852d7b64e0e1eedcb1937a251cd9fd5",
    "tokenizers/l2_supercat_tokenizer_config.json": (
        "93248f2a9ec36c7b35f700a033d5f36228aae48db61aee31007fa49062cdeb68"
    ),
}
BM25_K1, BM25_B = 1.5, 0.75  # the usual constants; the ranking is decided by the embedding afterwards


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=1)
def model() -> Any:
    """The packaged WordLlama model, hash-checked; loaded once per process (about 0.2 s)."""
    import wordllama

    root = Path(wordllama.__file__).parent
    for name, expected in MODEL_FILES.items():
        path = root / name
        if not path.is_file() or _sha256(path) != expected:
            raise ConfigError(
                f"The question-answering model file {path} is missing or not the pinned one; "
                "reinstall the pinned wordllama package."
            )
    from safetensors import safe_open
    from wordllama.inference import WordLlamaInference
    from wordllama.wordllama import WordLlama

    tokenizer = WordLlama.load_tokenizer(root / "tokenizers/l2_supercat_tokenizer_config.json")
    with safe_open(root / "weights/l2_supercat_256.safetensors", framework="np", device="cpu") as f:
        weights = f.get_tensor("embedding.weight")
    return WordLlamaInference(weights, tokenizer)


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text."""
    if not texts:
        return np.zeros((0, 256), dtype=np.float32)
    return np.asarray(model().embed(texts, norm=True), dtype=np.float32)


def cosine(query: str, texts: list[str]) -> np.ndarray:
    if not texts:
        return np.zeros(0, dtype=np.float32)
    vectors = embed([query, *texts])
    return np.asarray(vectors[1:] @ vectors[0], dtype=np.float32)


def bm25(query: str, texts: list[str]) -> list[float]:
    """Okapi BM25 of each text for the query's content words (0 when they share none)."""
    docs = [Counter(content_terms(t)) for t in texts]
    terms = set(content_terms(query))
    if not docs or not terms:
        return [0.0] * len(texts)
    average = sum(sum(d.values()) for d in docs) / len(docs) or 1.0
    frequency = {t: sum(1 for d in docs if t in d) for t in terms}
    scores = []
    for doc in docs:
        length, score = sum(doc.values()), 0.0
        for t in terms:
            if doc[t]:
                idf = math.log(1 + (len(docs) - frequency[t] + 0.5) / (frequency[t] + 0.5))
                score += (
                    idf
                    * doc[t]
                    * (BM25_K1 + 1)
                    / (doc[t] + BM25_K1 * (1 - BM25_B + BM25_B * length / average))
                )
        scores.append(score)
    return scores
