"""Vectorised MinHash signatures over code shingles, identical to datasketch's.

Shingles are word n-grams (default 5) over ``[A-Za-z_0-9]+`` tokens, lowercased (BigCode's
choice for code). A document with fewer than ``n`` tokens is one shingle of all its tokens; a
document with no token has no signature (null).

Hashing, in two layers:

1. a token's hash is ``xxh3_64`` of its lowercased UTF-8 bytes;
2. a shingle's 32-bit hash is a fixed polynomial mix of its token hashes (:func:`shingle_hash32`).

The pipeline's path (:func:`shingle_sets`, :func:`signatures`) runs both layers, the
per-document distinct set and the permutation minimum in compiled kernels
(``curate.dedup.minhash_kernels``); :func:`shingle_hashes` / :func:`distinct_shingles` are the
readable numpy versions the tests compare them with.

The permutation family is datasketch 2.x's default (``scheme="affine32"``, seed 1): the shingle
hash is pre-mixed with the MurmurHash3 32-bit finaliser and permuted as ``a*h + b mod 2**32``.
So ``datasketch.MinHash(num_perm=256, hashfunc=shingle_hash32)`` fed the same shingles gives
bit-identical hash values (checked by tests and ``benchmarks/bench_dedup.py``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from curate.dedup import minhash_kernels as kernels
from curate.dedup.minhash_kernels import _MIX1, _MIX2, _SHINGLE_MULT, _SHINGLE_SEED
from curate.dedup.ts_tokens import IDENT_MARK, tree_sitter_tokens
from curate.engine.jit import readonly, unaligned_u64

TOKEN_PATTERN = r"[A-Za-z_0-9]+"
_WORD_RE = re.compile(TOKEN_PATTERN)
DEFAULT_PARSE_TIMEOUT_S = 2.0
DEFAULT_PARSE_MAX_BYTES = 1 << 20
_M64 = (1 << 64) - 1
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))


def token_hash64(token: str) -> int:
    return xxhash.xxh3_64_intdigest(token.lower().encode("utf-8"))


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (a bijection on uint64), element-wise, wrapping."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _combine(token_hashes: Sequence[np.ndarray]) -> np.ndarray:
    """Polynomial mix of aligned token-hash arrays (one array per n-gram position)."""
    h = np.full(len(token_hashes[0]), _SHINGLE_SEED, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for t in token_hashes:
            h ^= t
            h *= _SHINGLE_MULT
        return (_mix64(h) >> np.uint64(32)).astype(np.uint32)


def shingle_hash32(shingle: str) -> int:
    """Reference hash of one shingle (tokens joined by single spaces), for datasketch's
    ``hashfunc``. The batch path computes exactly this, vectorised."""
    hashes = [np.array([token_hash64(t)], dtype=np.uint64) for t in shingle.split(" ")]
    return int(_combine(hashes)[0])


def shingles(
    text: str,
    ngram: int = 5,
    tokenizer: str = "words",
    language: str | None = None,
    parse_timeout_s: float = DEFAULT_PARSE_TIMEOUT_S,
    parse_max_bytes: int = DEFAULT_PARSE_MAX_BYTES,
) -> list[str]:
    """Reference shingling of one document (what the batch path hashes): tokens joined by
    single spaces; with ``tree_sitter``, identifiers are ``<idK>``, K = the position of the
    name's first occurrence inside the shingle."""
    tokens = document_tokens(text, tokenizer, language, parse_timeout_s, parse_max_bytes)[0]
    tokens = [t.lower() for t in tokens]
    if not tokens:
        return []
    windows = (
        [tokens]
        if len(tokens) < ngram
        else [tokens[i : i + ngram] for i in range(len(tokens) - ngram + 1)]
    )
    out = []
    for w in windows:
        first: dict[str, int] = {}
        out.append(
            " ".join(
                f"<id{first.setdefault(t, k)}>" if t.startswith(IDENT_MARK) else t
                for k, t in enumerate(w)
            )
        )
    return out


def document_tokens(
    text: str,
    tokenizer: str = "words",
    language: str | None = None,
    parse_timeout_s: float = DEFAULT_PARSE_TIMEOUT_S,
    parse_max_bytes: int = DEFAULT_PARSE_MAX_BYTES,
) -> tuple[list[str], str]:
    """``(tokens, tokenizer used)`` of one document. ``tree_sitter`` falls back to ``words``
    without a grammar, for non-programming languages, over ``parse_max_bytes`` or when the parse
    fails or times out; the second item says which (``tree_sitter``, ``words:no_grammar``,
    ``words:not_code``, ``words:too_large``, ``words:parse_timeout``, ``words:parse_failed``)."""
    if tokenizer == "code":
        return code_tokens(text), "code"
    if tokenizer == "tree_sitter":
        tokens, status = tree_sitter_tokens(text, language, parse_timeout_s, parse_max_bytes)
        if tokens is not None:
            return tokens, status
        return _WORD_RE.findall(text), status
    return _WORD_RE.findall(text), "words"


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``(a, b)`` uint32 arrays of datasketch's affine32 scheme for ``seed``."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix32(h: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2 = _FMIX32
    h = h ^ (h >> s1)
    h = h * m1
    h = h ^ (h >> s2)
    h = h * m2
    return h ^ (h >> s1)


def code_tokens(text: str) -> list[str]:
    """The ``tokenizer = "code"`` option: a code lexer's tokens with comments and docstrings
    dropped, identifiers replaced by ``ID`` (keywords, builtins and attribute names kept) and
    string/number literals by ``S``/``N``, so renamed-variable clones share shingles."""
    from curate.dedup.decontam import normalized_tokens

    return [
        "S" if t.startswith("S:") else "N" if t[0].isdigit() else t for t in normalized_tokens(text)
    ]


def tokenize_batch(
    texts: pa.Array | Sequence[str],
    tokenizer: str = "words",
    languages: Sequence[str | None] | None = None,
    parse_timeout_s: float = DEFAULT_PARSE_TIMEOUT_S,
    parse_max_bytes: int = DEFAULT_PARSE_MAX_BYTES,
) -> tuple[pl.Series, list[str]]:
    """Tokens of every text as a ``List(String)`` series, and the tokenizer used per text."""
    if tokenizer == "words":
        series = (
            pl.Series("t", texts, dtype=pl.String) if not isinstance(texts, pl.Series) else texts
        )
        return series.str.extract_all(TOKEN_PATTERN).fill_null([]), ["words"] * len(series)
    langs = list(languages) if languages is not None else [None] * len(texts)
    per_doc = [
        document_tokens(t or "", tokenizer, lang, parse_timeout_s, parse_max_bytes)
        for t, lang in zip(texts, langs, strict=True)
    ]
    tokens = pl.Series("t", [toks for toks, _ in per_doc], dtype=pl.List(pl.String))
    return tokens, [status for _, status in per_doc]


@lru_cache(maxsize=8)
def _ident_hashes(ngram: int) -> np.ndarray:
    """Hash of ``<idK>``, the placeholder of an identifier first seen at shingle position K."""
    return np.array([token_hash64(f"<id{k}>") for k in range(ngram)], dtype=np.uint64)


def _position_hashes(
    th: np.ndarray, ident: np.ndarray, idx: np.ndarray, start: int, n: int
) -> list[np.ndarray]:
    """Token hashes at shingle positions 0..n-1 for shingles starting at ``start + i``, with
    identifiers replaced by ``<idK>`` (K = first position of the same name in the shingle).
    ``th``, ``ident`` and ``idx`` (token id) are padded by ``n`` past the end."""
    length = len(th) - n - start
    ids = _ident_hashes(n)
    out = []
    for k in range(n):
        at = slice(start + k, start + k + length)
        if not ident[at].any():
            out.append(th[at])
            continue
        label = np.full(length, k, np.int64)
        for j in range(k - 1, -1, -1):  # downwards: the smallest matching j wins
            prev = slice(start + j, start + j + length)
            label[ident[prev] & (idx[prev] == idx[at])] = j
        out.append(np.where(ident[at], ids[label], th[at]))
    return out


def shingle_hashes(
    texts: pa.Array | Sequence[str],
    ngram: int = 5,
    tokenizer: str = "words",
    languages: Sequence[str | None] | None = None,
    parse_timeout_s: float = DEFAULT_PARSE_TIMEOUT_S,
) -> tuple[np.ndarray, np.ndarray]:
    """Hash every shingle of every text: ``(hashes uint32, offsets int64)`` where the shingles of
    text ``i`` are ``hashes[offsets[i]:offsets[i+1]]``."""
    tokens, _ = tokenize_batch(texts, tokenizer, languages, parse_timeout_s)
    return hash_tokens(tokens, ngram)


def hash_tokens(tokens: pl.Series, ngram: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Shingle hashes of tokenised documents (see :func:`shingle_hashes`): the readable numpy
    reference of ``minhash_kernels.shingle_sets`` (which also drops repeats)."""
    th, counts, ident, idx = token_arrays(tokens)
    n_docs = len(counts)
    if len(th) == 0:
        return np.empty(0, np.uint32), np.zeros(n_docs + 1, np.int64)
    starts = np.zeros(n_docs + 1, np.int64)
    np.cumsum(counts, out=starts[1:])
    total = len(th)
    # Long documents: shingle i of the flat stream starts at token i, valid when it stays inside
    # its document (not among its last n - 1 tokens). Short documents (fewer than n tokens, at
    # least one): one shingle of all tokens.
    valid = np.ones(total, bool)
    tail = (starts[1:, None] - np.arange(1, ngram, dtype=np.int64)[None, :]).ravel()
    tail = tail[tail >= np.repeat(starts[:-1], ngram - 1)]
    valid[tail] = False
    pad_th = np.concatenate([th, np.zeros(ngram, np.uint64)])
    if ident.any():
        pad_ident = np.concatenate([ident, np.zeros(ngram, bool)])
        pad_idx = np.concatenate([idx, np.full(ngram, -1, np.int64)])
        positions = _position_hashes(pad_th, pad_ident, pad_idx, 0, ngram)
    else:  # no identifier placeholders (words, code): the token hashes as they are
        positions = [pad_th[k : k + total] for k in range(ngram)]
    long_hash = _combine(positions)
    n_shingles = np.where(counts >= ngram, counts - ngram + 1, (counts > 0).astype(np.int64))
    offsets = np.zeros(n_docs + 1, np.int64)
    np.cumsum(n_shingles, out=offsets[1:])
    short = np.nonzero((counts > 0) & (counts < ngram))[0]
    if len(short) == 0:
        return long_hash[valid], offsets
    out = np.empty(offsets[-1], np.uint32)
    long_docs = counts >= ngram
    out[np.repeat(long_docs, n_shingles)] = long_hash[valid]
    for i in short:  # rare: tiny documents, hashed with the same mix over fewer positions
        lo, c = starts[i], counts[i]
        one = _position_hashes(
            np.r_[th[lo : lo + c], np.zeros(c, np.uint64)],
            np.r_[ident[lo : lo + c], np.zeros(c, bool)],
            np.r_[idx[lo : lo + c], np.full(c, -1, np.int64)],
            0,
            int(c),
        )
        out[offsets[i]] = _combine([h[:1] for h in one])[0]
    return out, offsets


def token_arrays(tokens: pl.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(token hashes uint64, tokens per document int64, is identifier bool, name id int64)``
    of the flattened token lists. ``token_hash64`` once per distinct token of the batch."""
    counts = tokens.list.len().fill_null(0).to_numpy().astype(np.int64)
    flat = tokens.explode().drop_nulls().to_arrow()
    if isinstance(flat, pa.ChunkedArray):
        flat = flat.combine_chunks()
    if len(flat) == 0:
        return np.empty(0, np.uint64), counts, np.empty(0, bool), np.empty(0, np.int64)
    # Lowercase the distinct tokens, not every token: tokens that differ only in case share
    # one id (``idx`` is the identity of a name for the tree_sitter numbering).
    encoded = pc.dictionary_encode(flat)
    lowered = pc.dictionary_encode(_lower(encoded.dictionary))
    remap = lowered.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    vocab = lowered.dictionary
    vocab_ident = pc.starts_with(vocab, IDENT_MARK).to_numpy(zero_copy_only=False)
    idx = remap[encoded.indices.to_numpy(zero_copy_only=False)]
    return _vocab_hashes(vocab)[idx], counts, vocab_ident[idx], idx


def _lower(tokens: pa.Array) -> pa.Array:
    """``str.lower`` of every token, in Arrow: ASCII tokens (all of ``words``) with
    ``ascii_lower``; the rare others with Python's ``str.lower`` (Unicode special cases such as
    final sigma, which Arrow's per-code-point lowering does not match)."""
    out = pc.ascii_lower(tokens)
    other = pc.invert(pc.string_is_ascii(tokens))
    if not pc.any(other).as_py():
        return out
    special = [t.lower() for t in tokens.filter(other).to_pylist()]
    return pc.replace_with_mask(out, other, pa.array(special, out.type))


def _vocab_hashes(vocab: pa.Array) -> np.ndarray:
    """``token_hash64`` of each (already lowercased) token: ``xxh3_64`` of its UTF-8 bytes."""
    raw = vocab.cast(pa.large_binary()).to_pylist()
    return np.fromiter(map(xxhash.xxh3_64_intdigest, raw), np.uint64, len(raw))


def distinct_shingles(hashes: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each document's distinct shingle hashes in ascending order, as ``(hashes, offsets)``
    (duplicates inside a document do not change a MinHash or a Jaccard): one sort of
    ``document << 32 | hash`` for the whole batch."""
    n_docs = len(offsets) - 1
    if len(hashes) == 0:
        return np.empty(0, np.uint32), np.zeros(n_docs + 1, np.int64)
    doc_of = np.repeat(np.arange(n_docs, dtype=np.uint64), np.diff(offsets))
    key = (doc_of << np.uint64(32)) | hashes.astype(np.uint64)
    key.sort()
    key = key[np.r_[True, key[1:] != key[:-1]]]
    counts = np.bincount((key >> np.uint64(32)).astype(np.int64), minlength=n_docs)
    out = np.zeros(n_docs + 1, np.int64)
    np.cumsum(counts, out=out[1:])
    return (key & np.uint64(0xFFFFFFFF)).astype(np.uint32), out


def shingle_sets(
    texts: pa.Array | Sequence[str] | pl.Series,
    ngram: int = 5,
    tokenizer: str = "words",
    languages: Sequence[str | None] | None = None,
    parse_timeout_s: float = DEFAULT_PARSE_TIMEOUT_S,
    parse_max_bytes: int = DEFAULT_PARSE_MAX_BYTES,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Each text's distinct shingle hashes in ascending order as ``(hashes uint32, offsets
    int64)``, and the tokenizer used per text: ``distinct_shingles(*shingle_hashes(...))``,
    computed by the compiled kernels. ``words`` reads the texts' UTF-8 bytes directly (no token
    becomes a Python string); the other tokenizers hash their token lists' vocabulary here."""
    if tokenizer == "words":
        th, counts = word_token_hashes(texts)
        ident, idx = np.empty(0, bool), np.empty(0, np.int64)
        used = ["words"] * len(counts)
    else:
        tokens, used = tokenize_batch(texts, tokenizer, languages, parse_timeout_s, parse_max_bytes)
        th, counts, ident, idx = token_arrays(tokens)
        if not ident.any():
            ident = np.empty(0, bool)
    hashes, offsets = kernels.shingle_sets(th, counts, ngram, ident, idx, _ident_hashes(ngram))
    return hashes, offsets, used


def word_token_hashes(texts: pa.Array | Sequence[str] | pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """``(token_hash64 of every words token, tokens per text)``: ASCII-lowercased in Arrow (the
    tokens are ASCII, so this is their ``str.lower``), then tokenised and hashed in one pass
    over the bytes by ``minhash_kernels.word_token_hashes``. Null texts have no tokens."""
    if isinstance(texts, pl.Series):
        arr = texts.to_arrow()
    elif isinstance(texts, pa.Array | pa.ChunkedArray):
        arr = texts
    else:
        arr = pa.array(texts, pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = pc.ascii_lower(arr.cast(pa.large_string()))
    if arr.null_count:
        arr = pc.fill_null(arr, "")
    offsets = np.frombuffer(arr.buffers()[1], np.int64)[arr.offset : arr.offset + len(arr) + 1]
    buf = arr.buffers()[2]
    data = np.frombuffer(buf, np.uint8) if buf is not None else np.empty(0, np.uint8)
    lo = int(offsets[0]) if len(offsets) else 0
    data = data[lo : int(offsets[-1])] if len(offsets) else data[:0]
    return kernels.word_token_hashes(readonly(unaligned_u64(data)), readonly(offsets - lo))


def signatures(
    hashes: np.ndarray, offsets: np.ndarray, num_perm: int = 256, seed: int = 1
) -> np.ndarray:
    """MinHash signatures ``(n_docs, num_perm) uint32``; documents without shingles get the
    all-ones sentinel (callers treat them as "no signature"). Repeated shingles and their
    order do not matter (a minimum), so ``hashes`` need not be :func:`distinct_shingles`.
    One compiled pass per shingle over the permutations (``minhash_kernels.min_hashes``): no
    ``(num_perm x shingles)`` temporaries."""
    a, b = permutations(num_perm, seed)
    n_docs = len(offsets) - 1
    sig = np.full((n_docs, num_perm), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    if len(hashes):
        kernels.min_hashes(
            readonly(np.ascontiguousarray(hashes, np.uint32)),
            readonly(np.ascontiguousarray(offsets, np.int64)),
            a,
            b,
            sig,
        )
    return sig


def warm_up() -> None:
    """Compile (or load from numba's cache) the kernels, so a batch never pays the JIT."""
    hashes, offsets, _ = shingle_sets(["warm Up the kernels a b c", "x", ""])
    signatures(hashes, offsets)


@lru_cache(maxsize=32)
def optimal_bands(
    threshold: float, num_perm: int, fp_weight: float = 0.5, fn_weight: float = 0.5
) -> tuple[int, int]:
    """``(bands, rows)`` with ``bands * rows <= num_perm`` minimising the weighted integrated
    false-positive and false-negative probability of the LSH S-curve around ``threshold``."""
    best, best_err = (1, num_perm), math.inf
    grid = 2001
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            s_fp = np.linspace(0.0, threshold, grid)
            s_fn = np.linspace(threshold, 1.0, grid)
            fp = np.trapezoid(1 - (1 - s_fp**rows) ** bands, s_fp)
            fn = np.trapezoid((1 - s_fn**rows) ** bands, s_fn)
            err = fp_weight * fp + fn_weight * fn
            if err < best_err - 1e-12:
                best, best_err = (bands, rows), err
    return best


def recall_bands(threshold: float, num_perm: int, min_recall: float) -> tuple[int, int]:
    """``(bands, rows)`` with the most rows (fewest false candidates) such that a pair of
    Jaccard ``threshold`` becomes a candidate with probability >= ``min_recall``; bands =
    ``num_perm // rows``. False candidates are then removed by verification, so the S-curve
    is placed left of the threshold rather than centred on it (docs/dedup.md)."""
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if candidate_probability(threshold, bands, rows) >= min_recall:
            return bands, rows
    return num_perm, 1


BAND_BLOCK_ROWS = 8192
"""Signatures per block of ``band_hashes``: its ``(block, bands)`` uint64 temporaries stay in
cache (~3 MB at 42 bands) instead of costing ~100 MB of memory traffic each per shard."""


def band_hashes(sig: np.ndarray, bands: int, rows: int, first: int = 0) -> np.ndarray:
    """``(n_docs, bands) uint64``: one 64-bit hash per band of ``rows`` signature values.
    The band index is mixed in, so equal values in different bands never collide. All bands
    at once (``rows`` steps over ``(block, bands)`` arrays, not ``bands x rows`` over
    columns), in blocks of ``BAND_BLOCK_ROWS`` signatures. ``first``: the index of the band
    ``sig``'s first ``rows`` columns belong to (a slice of the bands hashes as the whole would)."""
    n = sig.shape[0]
    out = np.empty((n, bands), np.uint64)
    seeds = np.arange(first + 1, first + bands + 1, dtype=np.uint64) * _SHINGLE_MULT
    tmp = np.empty((min(n, BAND_BLOCK_ROWS), bands), np.uint64)
    for lo in range(0, n, BAND_BLOCK_ROWS):
        block = sig[lo : lo + BAND_BLOCK_ROWS, : bands * rows].reshape(-1, bands, rows)
        h, t = out[lo : lo + BAND_BLOCK_ROWS], tmp[: block.shape[0]]
        h[:] = seeds
        for k in range(rows):
            np.bitwise_xor(h, block[:, :, k], out=h)
            _mix64_into(h, t)
    return out


def _mix64_into(x: np.ndarray, tmp: np.ndarray) -> None:
    """``_mix64`` in place (``tmp``: scratch of ``x``'s shape): no temporaries per step."""
    for shift, mult in ((30, _MIX1), (27, _MIX2)):
        np.right_shift(x, np.uint64(shift), out=tmp)
        np.bitwise_xor(x, tmp, out=x)
        np.multiply(x, mult, out=x)
    np.right_shift(x, np.uint64(31), out=tmp)
    np.bitwise_xor(x, tmp, out=x)


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that two documents of Jaccard ``similarity`` share at least one LSH band:
    ``1 - (1 - s**rows) ** bands`` (the S-curve documented in docs/dedup.md)."""
    return float(1.0 - (1.0 - similarity**rows) ** bands)
