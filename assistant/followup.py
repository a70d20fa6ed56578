"""What a follow-up question does with the previous answer, learned from labelled utterances.

Two parts, kept apart as the rest of understanding is:

* ``link_references`` finds the discourse references in a question: ordinals ("第二条"), a
  neighbour ("下一项"), a pronoun for one measure ("这条", "它") or several ("这两条", "它们"),
  words that point into the previous answer ("其中", "这些"), a deadline extreme ("最晚"), the
  same section, the rest of a list, what lies beyond it, an addition ("也列一下"), an ellipsis
  that names only what changes ("那公安厅呢"). These are closed classes of function words,
  linked like measure numbers, not phrases of any question.
* ``FollowUpClassifier`` decides the operation (``OPERATIONS``) from the question's words, its
  references, the slots it fills and the shape of the previous answer: a logistic regression
  trained on ``assistant/data/followup_ops.jsonl`` (written for the purpose by a helper who saw
  no evaluation set, and kept apart from every evaluation question by ``tests/test_followup.py``;
  each row keeps the follow-up, the shape of the previous answer and the label, not the previous
  question the writer had in mind, which the model never reads). Its cross-validated accuracy is reported by
  ``python -m assistant.followup``.

``assistant.conversation`` applies the likeliest operation that the question's references
and the previous answer allow.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .text import chinese_to_int

DATA_PATH = Path(__file__).resolve().parent / "data" / "followup_ops.jsonl"

# What a follow-up does with the previous answer.
OPERATIONS = (
    "new",        # an independent question: the previous answer plays no part
    "same",       # another field or detail of the measure(s) the previous answer was about
    "pick",       # one measure of the previous list, by position or description
    "filter",     # the previous list's measures that meet a new condition
    "rank",       # the previous list ordered by deadline, its extreme asked for
    "swap",       # the previous question again with one constraint replaced
    "neighbour",  # the measure before or after the one discussed
    "others",     # the rest of the previous list or section besides the one discussed
    "exclude",    # the previous answer's measures set aside
    "add",        # more of the same kind added to the previous answer
)
# The shape of the previous answer, as the training data names it.
SHAPES = ("one", "several", "unit", "none")


# --- references ---------------------------------------------------------------------------

_ANAPHORA = re.compile(r"^(那|那么|这|该|它|其|上述|上面|刚才|以上)|这(条|项|个|些)|那(条|项|个|些)|它|其中|上述|上面|刚才|以上|呢|"
                       r"\b(it|its|that|this|those|these|them|the first|the second)\b", re.I)
_UNIT_PRONOUN = re.compile(r"它|他们|该单位|这个单位|这家单位|\b(?:it|they)\b", re.I)
_EXTREME = re.compile(r"最(?:早|先|晚|迟)|最后(?:到期|截止|完成)|最(?:紧急|急|紧迫)|"
                      r"\b(?:earliest|latest|soonest|most urgent)\b|\bdue (?:first|last|soonest)\b|"
                      r"\b(?:first|last) (?:to be )?due\b", re.I)
# "最迟几天内" asks how long, not which measure comes due last
_DURATION_AFTER = re.compile(r"(?:要|得|在)?(?:多长|多久|几|多少)")
_ORDINAL = re.compile(r"第\s*([0-9]{1,2}|[一二两三四五六七八九十]{1,3})\s*(条|项|个)")
_EN_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_WHICH_ONE = re.compile(r"哪一条|哪一项|哪条|哪项|哪个|哪几|哪些|\bwhich\b", re.I)
# words that point back at a whole previous answer ("哪条" alone may start a new question)
_AMONG = re.compile(r"其中|这些|那些|上述|以上|里面|里头|当中|之中|which of (them|these|those)|\bamong\b", re.I)
_PLURAL = re.compile(r"(?:这|那)([两二三四五六七八九几]|些)(?:条|项|个)?|它们|\bthey\b|\bthem\b|\bboth\b", re.I)
_SINGULAR = re.compile(r"(那|这|该|此)(条|项|个措施|一条|一项|件事|事)|^(那|那么)?它(?!们)|它的|\b(it|its|that one|this one)\b", re.I)
_SAME_SECTION = re.compile(r"(?:同一|这一|本|这个|那一|该|它那|它所在的?)(?:节|小节)|\b(?:same|that) section\b", re.I)
_REST = re.compile(r"另一(?:条|项|个)|另外(?:那|一|几)(?:条|项|个)?|其他|其余|别的|剩下|\bthe other\b|\bthe rest\b", re.I)
_BEYOND = re.compile(r"(?:这|那|上述|以上|前面|刚才)(?:一)?(?:节|部分|些|几条|几项)(?:以外|之外|外)|"
                     r"(?:除了?|除去)(?:这|那|上述|以上|前面|刚才)(?:一)?(?:节|部分|些|几条|几项)|\bbesides (?:these|those)\b",
                     re.I)
_ADDITIVE = re.compile(r"还有呢|也(?:列|说|给|查|看|算|加)|另外(?:再|还)|再(?:列|给|查|加)|\balso (?:list|show|give)\b", re.I)
_PERCENT = re.compile(r"百分比|百分之|百分率|%|percentage", re.I)
# an elliptical follow-up ("那公安厅呢", "2023年的呢", "换成牵头的", "如果是乡镇呢") names only what changes
_ELLIPSIS = re.compile(r"呢[？?！!。]*$|^(?:那|那么|还有|换成|换作|如果是|要是)|\b(?:what about|and|how about)\b", re.I)
# several units the conversation named ("这两个单位", "这几个部门", "这俩单位")
_UNITS_NAMED_BEFORE = re.compile(r"(?:这|那|上述|以上|前面|刚才)(?:说的)?([两二俩几三四])(?:个|家)?(?:单位|部门|厅局|机关)|这俩")
_JOINTLY = re.compile(r"一起|共同|同时|都|联合|together|jointly|both", re.I)
# "这条前边的一条", "它后头那项": the neighbour of the measure a pronoun points at
_NEIGHBOUR = r"(?:它|这条|这项|该条|该项|此条|此项)的?(?:{})(?:紧挨着|紧跟着|挨着|紧接着)?(?:的)?(?:那一|那|一)?(?:条|项)"
_NEXT = re.compile(r"下一(项|条|个)|后一(项|条)|" + _NEIGHBOUR.format("后面|后边|之后|紧接着") + r"|\bnext\b|\bfollowing one\b", re.I)
_PREVIOUS = re.compile(r"上一(项|条|个)|前一(项|条)|" + _NEIGHBOUR.format("前面|前边|之前")
                       + r"|\bprevious\b|\bpreceding\b|\bthe one before\b", re.I)
_COUNTS = {"两": 2, "二": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


@dataclass(frozen=True)
class References:
    """The discourse references a question makes."""
    anaphora: bool = False        # any word that leans on what came before
    among: bool = False           # points into the previous answer as a whole ("其中")
    which: bool = False           # asks which one(s) ("哪条")
    singular: bool = False        # one measure ("这条", "它")
    plural: int | None = None     # several (the count when given, 0 for "这些")
    ordinal: int | None = None    # "第二条": a position in the previous list
    step: int = 0                 # +1 next, -1 previous
    extreme: str | None = None    # "earliest" / "latest"
    same_section: bool = False
    rest: bool = False            # the rest of a list ("另外那项", "其余")
    beyond: bool = False          # outside the previous answer ("这些之外")
    additive: bool = False        # adds to the previous answer ("也列一下")
    ellipsis: bool = False        # names only what changes ("那公安厅呢")
    unit_pronoun: bool = False    # "它/该单位" may stand for the unit asked about before
    percent: bool = False
    units_named_before: int | None = None   # "这两个单位": how many (0: not said)
    jointly: bool = False
    length: int = 0

    def indicators(self) -> dict[str, float]:
        return {"ref_anaphora": float(self.anaphora), "ref_among": float(self.among),
                "ref_which": float(self.which), "ref_singular": float(self.singular),
                "ref_plural": float(self.plural is not None), "ref_ordinal": float(self.ordinal is not None),
                "ref_step": float(self.step != 0), "ref_extreme": float(self.extreme is not None),
                "ref_section": float(self.same_section), "ref_rest": float(self.rest),
                "ref_beyond": float(self.beyond), "ref_additive": float(self.additive),
                "ref_ellipsis": float(self.ellipsis), "ref_unit_pronoun": float(self.unit_pronoun),
                "ref_percent": float(self.percent), "ref_units_before": float(self.units_named_before is not None),
                "len_short": float(self.length <= 10), "len_medium": float(10 < self.length <= 24),
                "len_long": float(self.length > 24)}


def link_references(text: str) -> References:
    """The discourse references in `text` (pure function of the text)."""
    extreme = _EXTREME.search(text)
    if extreme and _DURATION_AFTER.match(text[extreme.end():]):
        extreme = None
    plural = _PLURAL.search(text)
    several = _UNITS_NAMED_BEFORE.search(text)
    return References(
        anaphora=bool(_ANAPHORA.search(text)), among=bool(_AMONG.search(text)), which=bool(_WHICH_ONE.search(text)),
        singular=bool(_SINGULAR.search(text)),
        plural=None if plural is None else (_COUNTS.get(plural.group(1) or "", 0)),
        ordinal=_ordinal(text), step=1 if _NEXT.search(text) else -1 if _PREVIOUS.search(text) else 0,
        extreme=None if extreme is None else
        ("latest" if re.search(r"晚|迟|后|latest|last", extreme.group(0), re.I) else "earliest"),
        same_section=bool(_SAME_SECTION.search(text)), rest=bool(_REST.search(text)), beyond=bool(_BEYOND.search(text)),
        additive=bool(_ADDITIVE.search(text)), ellipsis=bool(_ELLIPSIS.search(text)),
        unit_pronoun=bool(_UNIT_PRONOUN.search(text)), percent=bool(_PERCENT.search(text)),
        units_named_before=None if several is None else _COUNTS.get(several.group(1) or "", 0),
        jointly=bool(_JOINTLY.search(text)), length=len(text))


def _ordinal(text: str) -> int | None:
    match = _ORDINAL.search(text)
    if match:
        token = match.group(1)
        return int(token) if token.isdigit() else chinese_to_int(token)
    for word, value in _EN_ORDINAL.items():
        if re.search(rf"\bthe {word}\b", text, re.I):
            return value
    return None


# --- the classifier -----------------------------------------------------------------------

def load_examples(path: Path = DATA_PATH) -> list[dict]:
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [{**r, "text": r["question"]} for r in rows]


@dataclass(frozen=True)
class Signals:
    """Everything but the words the classifier reads: references, slots and previous shape."""
    references: References
    slots: dict
    shape: str

    def indicators(self) -> dict[str, float]:
        return {**self.references.indicators(), **{f"slot_{k}": v for k, v in self.slots.items()},
                **{f"previous_{s}": float(self.shape == s) for s in SHAPES}}


class FollowUpClassifier:
    """The follow-up operation: a logistic regression over character n-grams and the signals
    (``assistant.answer_type.AnswerTypeClassifier`` with field ``op``)."""

    def __init__(self, examples: list[dict], link_slots, vectors=None, embed=None):
        from .answer_type import AnswerTypeClassifier
        self.link_slots = link_slots
        texts = [r["text"] for r in examples]
        signals = [self.signals(r["text"], r["previous_answer"]).indicators() for r in examples]
        self.model = AnswerTypeClassifier("op", examples, vectors, embed, slots=signals)
        self.model.make_portable(texts, vectors, signals)

    def __getstate__(self):
        # the slot linker holds the plan; the loader passes it in again
        return {k: v for k, v in self.__dict__.items() if k != "link_slots"}

    def signals(self, text: str, shape: str) -> Signals:
        return Signals(link_references(text), self.link_slots(text).indicators(), shape)

    def ranked(self, text: str, shape: str) -> list[tuple[str, float]]:
        """Operations, likeliest first, with their probabilities."""
        probabilities = self.model.probabilities(text, slots=self.signals(text, shape))
        return sorted(probabilities.items(), key=lambda item: -item[1])


def build_followup_classifier(link_slots, embed=None, cache_dir: Path | None = None, model_id: str = "",
                              key: str = "") -> FollowUpClassifier:
    """The classifier (with the questions' e5 vectors when `embed` is given), read from the disk
    cache when the data, code, model and ``key`` (plan and slot linking) are unchanged."""
    import hashlib
    import pickle
    examples = load_examples()
    vectors = None
    if embed is not None:
        from .embeddings import cached_vectors
        vectors = cached_vectors(embed, [r["text"] for r in examples], cache_dir, "followups", model_id)
    digest = hashlib.sha256(json.dumps(examples, ensure_ascii=False, sort_keys=True).encode()
                            + Path(__file__).read_bytes() + key.encode() + model_id.encode()
                            + (b"e5" if embed is not None else b"words")).hexdigest()[:20]
    cached = Path(cache_dir) / f"followup-{digest}.pkl" if cache_dir and key else None
    if cached is not None and cached.is_file():
        try:
            with open(cached, "rb") as f:
                model = pickle.load(f)
            if isinstance(model, FollowUpClassifier):
                model.link_slots = link_slots
                model.model.embed = embed if model.model.__dict__.pop("_had_embed", False) else None
                return model
        except Exception:     # a truncated or stale file: refit
            pass
    model = FollowUpClassifier(examples, link_slots, vectors, embed)
    from .answer_type import save_cached_model
    save_cached_model(cached, model)
    return model


def cross_validated_accuracy(link_slots, vectors=None, embed=None, folds: int = 5, seed: int = 0
                             ) -> tuple[float, dict]:
    """Stratified k-fold accuracy over the labelled follow-ups, and per-label recall."""
    from sklearn.model_selection import StratifiedKFold
    examples = load_examples()
    labels = [r["op"] for r in examples]
    hits: dict[str, list[int]] = {}
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(examples, labels):
        model = FollowUpClassifier([examples[i] for i in train], link_slots,
                                   None if vectors is None else vectors[train], embed)
        for i in test:
            vector = None if vectors is None else vectors[i]
            best = max(model.model.probabilities(examples[i]["text"], vector, model.signals(
                examples[i]["text"], examples[i]["previous_answer"])).items(), key=lambda item: item[1])[0]
            hits.setdefault(labels[i], []).append(int(best == labels[i]))
    total = sum(sum(h) for h in hits.values()) / len(examples)
    return total, {label: sum(h) / len(h) for label, h in sorted(hits.items())}


def main() -> int:
    from .config import get_settings
    from .lexicon import tokenizer_for
    from .plan import load_plan
    from .slots import link
    from .embeddings import cached_vectors, load_embedder
    settings = get_settings()
    plan = load_plan(settings.corpus_path)
    tokenizer = tokenizer_for(plan)
    embedder = load_embedder(settings)
    examples = load_examples()
    vectors = cached_vectors(embedder.embed_queries, [r["text"] for r in examples], settings.model_cache_dir,
                             "followups", embedder.model_id)
    link_slots = lambda text: link(text, plan, tokenizer)  # noqa: E731
    words, _ = cross_validated_accuracy(link_slots)
    accuracy, per_label = cross_validated_accuracy(link_slots, vectors, embedder.embed_queries)
    print(f"follow-up operation: 5-fold cross-validated accuracy {accuracy:.3f} (n-grams + e5 + references, "
          f"slots, previous answer), {words:.3f} without e5, over {len(examples)} utterances; per label: "
          + ", ".join(f"{k} {v:.2f}" for k, v in per_label.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
