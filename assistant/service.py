"""The assistant: question in, grounded answer with verified citations out.

Loads the plan, the embedding model and the index once; each ``ask`` validates the input,
understands the question (resolving follow-ups against the history), routes it, retrieves
where needed and composes the answer. The optional LLM composer is tried first when
configured and falls back to the default composer on any failure.
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, replace

from .answer import Answer, DefaultComposer, citations_in, states_quantity
from .text import split_questions
from .answer_type import PARTIAL_KINDS
from .config import Settings, get_settings
from .conversation import Turn, in_speakers_words, resolve
from .index import PlanIndex
from .inputs import InputProblem, clean_question
from .lexicon import tokenizer_for
from .plan import load_plan
from .query import Asks, Intent, Query, plan_terms_in, understand
from .retrieval import TRANSLATED_WEIGHTS, DenseSearch, Hit, HybridSearch, LexicalSearch
from .scope import UNANSWERABLE, ScopeGuard
from .slots import MENTION_RE, QUOTED, document_frequency
from .text import fold_for_match

log = logging.getLogger(__name__)
STREAM_LINES = 4          # lines per streamed chunk of an offline answer
# How sure the classifier must be that the plan cannot hold the answer; chosen by 5-fold
# cross-validation on the utterance set (precision 0.83-0.96 between 0.3 and 0.4).
ANSWERABILITY_MIN = 0.35


@dataclass
class Status:
    embedding_model: str
    composer: str
    index_built_at: str
    index_reused: bool
    index_count: int
    index_build_seconds: float


class Assistant:
    def __init__(self, settings: Settings | None = None, progress: bool = True, llm=None):
        from .embeddings import load_embedder
        self.settings = settings or get_settings()
        self.plan = load_plan(self.settings.corpus_path)
        self.embedder = load_embedder(self.settings)
        self.index = PlanIndex(self.settings, self.embedder, self.plan)
        self.index_info = self.index.ensure(progress=progress)
        self.tokenizer = tokenizer_for(self.plan)
        self.dense = DenseSearch(self.index, self.embedder)
        self.lexical = LexicalSearch(self.plan, self.tokenizer)
        from .paraphrases import ParaphraseSearch
        self.paraphrases = ParaphraseSearch.build(self.embedder.embed_queries, self.settings.model_cache_dir,
                                                  self.embedder.model_id, progress=progress,
                                                  tokenizer=self.tokenizer)
        self.hybrid = HybridSearch(self.dense, self.lexical, paraphrases=self.paraphrases)
        from .catalog import default_catalog
        from .slots import english_lexicon_for
        self.scope = ScopeGuard(self.plan, self.tokenizer,
                                english_reader=english_lexicon_for(self.plan, self.tokenizer, default_catalog()))
        self.composer = DefaultComposer(self.plan, self.settings.prompts_dir)
        from .answer_type import build_classifiers
        from .slots import link, slots_version
        self.answer_types = build_classifiers(self.embedder.embed_queries, self.settings.model_cache_dir,
                                              self.embedder.model_id,
                                              link_slots=lambda text: link(text, self.plan, self.tokenizer),
                                              slots_key=self.plan.source_sha256 + slots_version())
        from .followup import build_followup_classifier
        self.followups = build_followup_classifier(lambda text: link(text, self.plan, self.tokenizer),
                                                   self.embedder.embed_queries, self.settings.model_cache_dir,
                                                   self.embedder.model_id,
                                                   key=self.plan.source_sha256 + slots_version())
        self.llm = llm if llm is not None else _llm_from_settings(self.settings, self.plan, self.embedder)

    @property
    def status(self) -> Status:
        return Status(self.embedder.model_id, self.llm.name if self.llm else "default（离线，无LLM）",
                      self.index_info.built_at, self.index_info.reused, self.index_info.count,
                      self.index_info.build_seconds)

    # ------------------------------------------------------------ public API
    def ask(self, question, history: list[str] | None = None) -> Answer:
        """Answer `question` (any value: validated by `assistant.inputs`, never raises for bad
        input). `history`: the earlier questions (a list, or a JSON string of one); of another
        type it is ignored with a notice; only its last few turns are used."""
        started = time.perf_counter()
        checked = check_input(question, history, self.settings.max_question_chars, self.plan, self.composer)
        if isinstance(checked, Answer):
            checked.latency_ms = (time.perf_counter() - started) * 1000
            return checked
        text = checked.text
        if self.llm is not None and checked.history:
            text = self.llm.rewrite(text, checked.history)
        previous = self._replay(checked.history)
        return _finish(self._answer(text, previous), checked, started)

    def stream(self, question, history: list[str] | None = None):
        """Yield partial answer texts (LLM tokens when configured), then the final Answer."""
        if self.llm is None:
            # the offline answer is ready at once; it is still shown line by line, so a long
            # duty list starts appearing immediately
            answer = self.ask(question, history)
            lines = answer.answer.split("\n")
            for end in range(1, len(lines), STREAM_LINES):
                yield "\n".join(lines[:end])
            yield answer
            return
        started = time.perf_counter()
        checked = check_input(question, history, self.settings.max_question_chars, self.plan, self.composer)
        if isinstance(checked, Answer):
            checked.latency_ms = (time.perf_counter() - started) * 1000
            yield checked
            return
        previous = self._replay(checked.history)
        default = self._answer(checked.text, previous, use_llm=False)
        if default.refused or default.intent != Intent.SEARCH.value:
            yield _finish(default, checked, started)
            return
        for item in self.llm.stream(checked.text, default, self.plan):
            yield _finish(item, checked, started) if isinstance(item, Answer) else item

    def retrieve(self, query: Query, k: int = 5, numbers: set[int] | None = None, phrases: tuple[str, ...] = ()):
        """Hybrid search for an understood question (English uses its glossary terms)."""
        quoted = () if query.english else tuple(q for q in QUOTED.findall(query.text) if len(q) >= 2)
        quoted = tuple(dict.fromkeys((*quoted, *phrases)))
        # English words are never the plan's (the e5 model matches them to the Chinese questions)
        everyday = query.english or self.scope.coverage(query.text)[0] < 1.0
        return self.hybrid.search(query.search_text, k=k, numbers=numbers,
                                  weights=TRANSLATED_WEIGHTS if query.english else None, phrases=quoted,
                                  everyday=everyday)

    # ------------------------------------------------------------ internals
    def _replay(self, history: list[str]) -> Turn | None:
        turn = None
        for earlier in history[-4:]:
            try:
                text, _ = clean_question(earlier, self.settings.max_question_chars)
            except InputProblem:
                continue
            query = self._understand(text, turn)
            answer, _ = self._route(query)
            turn = Turn.after(query, answer.measures, answer.units, citations_in(answer.answer), turn)
        return turn

    def _understand(self, text: str, previous: Turn | None) -> Query:
        """Understanding with the conversation: the user's own unit, then follow-ups."""
        query = understand(text, self.plan, self.tokenizer, answer_types=self.answer_types)
        if previous is not None and previous.speaker and not query.units:
            rewritten = in_speakers_words(text, previous.speaker, bool(query.units))
            if rewritten != text:
                query = understand(rewritten, self.plan, self.tokenizer, answer_types=self.answer_types)
        return resolve(query, previous, self.tokenizer, self.plan, self.followups)

    def _answer(self, text: str, previous: Turn | None, use_llm: bool = True) -> Answer:
        pieces = split_questions(text)
        # each question names its own subject (a term of the plan's of three characters or more);
        # "…一套多少钱？采购单价是多少？" asks one thing twice
        # (a date is no subject: "…是X牵头的吧？要求2023年底前实现？" asks about one thing)
        if len(pieces) > 1 and all(any(len(t) >= 3 for t in plan_terms_in(_DATE_SPAN.sub(" ", piece), self.plan,
                                                                           self.tokenizer))
                                   for piece in pieces):
            # several questions at once: each answered in turn, a later one reading the earlier
            # as its context ("…什么时候成立？这个由哪个单位牵头？")
            answers, turn = [], previous
            for piece in pieces:
                answer, query = self._answer_one(piece, turn, use_llm)
                answers.append(answer)
                turn = Turn.after(query, answer.measures, answer.units, answer.citations, turn)
            return _merge(text, answers)
        return self._answer_one(text, previous, use_llm)[0]

    def _answer_one(self, text: str, previous: Turn | None, use_llm: bool = True) -> tuple[Answer, Query]:
        query = self._understand(text, previous)
        answer, context = self._route(query)
        if use_llm and self.llm is not None and context and not answer.refused:
            answer = self.llm.compose(text, answer, context, self.plan)
        answer.citations = citations_in(answer.answer)
        return answer, query

    def _route(self, query: Query) -> tuple[Answer, list[int]]:
        """Answer from records for structured intents; retrieval for free questions.

        Returns the answer and the measures given as context (for the optional LLM)."""
        c = self.composer

        def make(text: str, measures: list[int], refused: bool = False, **extra) -> Answer:
            if query.excluded and query.intent in (Intent.UNIT, Intent.DEADLINES, Intent.LIST):
                text = (c.t(query, "excluded_units_note", units="、".join(query.excluded_units)) if query.excluded_units
                        else c.t(query, "excluded_note", numbers="、".join(f"第{n}项" for n in query.excluded))) + text
            return Answer(question=query.original, answer=text, citations=citations_in(text), refused=refused,
                          intent=query.intent.value, measures=measures, units=list(query.units), **extra)

        if query.intent == Intent.OUT_OF_RANGE:
            return make(c.out_of_range(query), [], refused=True), []
        if self.scope.other_region(query.text):
            # another region's plan ("浙江的方案分几部分"): not this plan's facts, whatever
            # is asked; the scope check refuses it
            return self._search(query.but(intent=Intent.SEARCH, scope=()))
        if query.intent == Intent.MEASURE:
            numbers = list(query.measures)
            holder = self._premise_holder(query)
            if holder is not None:
                # the question says the measure is about something it does not contain: the
                # measure that does is shown beside it, and the mismatch said first
                missing = [w for w in query.premise if not any(fold_for_match(w) in fold_for_match(self.plan.measure(n).body)
                                                               for n in numbers)]
                note = c.t(query, "premise_mismatch", named="、".join(f"第{n}项" for n in numbers),
                           what="、".join(missing), found=holder)
                return make(note + "\n\n" + c.measure_details(numbers + [holder], query), numbers + [holder]), numbers
            return make(c.measure_details(numbers, query), numbers), numbers
        if query.intent == Intent.DOCUMENT:
            return make(c.document(query), []), []
        if query.intent == Intent.STRUCTURE:
            text, numbers = c.structure(query)
            return make(text, numbers), []
        if query.intent == Intent.DEADLINES:
            text, numbers = c.deadlines(query)
            return make(text, numbers), []
        if query.intent == Intent.TARGETS:
            text, numbers = c.targets(query)
            return make(text, numbers), []
        if query.intent in (Intent.LIST, Intent.UNIT) and self._asks_beyond_plan(query):
            # a unit's name or a term does not make a question answerable ("X的厅长是谁")
            return self._search(query.but(intent=Intent.SEARCH))     # the scope checks decide
        if query.intent == Intent.LIST:
            related = [h.number for h in self.retrieve(query, k=5)]
            text, numbers = c.term_list(query, related)
            return make(text, numbers), []
        if query.intent == Intent.UNIT:
            texts, per_unit = [], []
            for unit in query.units:
                text, duties = c.unit_duties(unit, query)
                texts.append(text)
                per_unit.append(duties)
            all_named = sorted({n for d in per_unit for n in d["all_named"]})
            duties = {**per_unit[0], "all_named": all_named, "per_unit": per_unit} if len(per_unit) > 1 else per_unit[0]
            return make("\n\n".join(texts), all_named, duties=duties), []
        return self._search(query)

    def _holds_both(self, numbers: list[int], sides: tuple[str, ...]) -> bool:
        """The best measure uses words that only one side names, for each side ("监管是统一
        标准，还是看风险大小来定": measure 11 speaks of both): one measure answers."""
        if not numbers:
            return False
        body = fold_for_match(self.plan.measure(numbers[0]).body)
        words = [{w for w in self.tokenizer.content_words(side) if len(w) >= 2} for side in sides]
        distinct = [words[0] - words[1], words[1] - words[0]]
        # most of the words each side alone uses are in the measure
        return all(terms and sum(fold_for_match(w) in body for w in terms) * 2 > len(terms) for terms in distinct)

    def _subject_terms(self, text: str) -> list[str]:
        """The plan's words in the text that can name what it is about: not plain verbs or
        place names, which measures on any subject share."""
        flags = dict(self.tokenizer.tagged(text)) if self.tokenizer is not None else {}
        return [t for t in plan_terms_in(text, self.plan, self.tokenizer) if flags.get(t) not in _NOT_SUBJECT_FLAGS]

    def _premise_holder(self, query: Query) -> int | None:
        """The measure that holds what the question says the named measures are about, when
        none of them uses any of its subject words, or one of them lacks the value it names."""
        if not query.premise:
            return None
        bodies = [fold_for_match(self.plan.measure(n).body) for n in query.measures]
        words = [fold_for_match(w) for w in query.premise]
        values = [w for w in words if re.match(r"\d", w)]
        subjects = [w for w in words if w not in values]
        none_used = subjects and not any(w in b for w in subjects for b in bodies)
        # "第70条讲的是行政执法案例指导": the named measure uses some of the subject's words; another
        # uses them all, and that one is what the question describes
        some_missing = len(subjects) >= 2 and not any(all(w in b for w in subjects) for b in bodies)
        if not (none_used or some_missing or values and not any(v in b for v in values for b in bodies)):
            return None
        hits = self.retrieve(query.but(text=_MEASURE_NAMED.sub(" ", query.text)), k=10)
        for hit in hits:
            body = fold_for_match(self.plan.measure(hit.number).body)
            if hit.number not in query.measures and all(v in body for v in values) \
                    and (not subjects or (all(w in body for w in subjects) if some_missing and not none_used
                                          else any(w in body for w in subjects))):
                return hit.number
        return None

    def _asks_beyond_plan(self, query: Query) -> bool:
        """The question asks for what the plan never holds (another region is refused earlier)."""
        # "那参加的呢" redoing the previous operation is too short to be judged by its wording
        if query.english:
            # the classifier reads Chinese; English asks for a person or a price in so many words
            return bool(UNANSWERABLE.search(query.text))
        if self.scope.quotes_plan(query.text) and MENTION_RE.search(query.text) and not _STATE_CUE.search(query.text):
            return False        # "“一网通办”出现在哪几条": where the plan's own words occur
        return not query.carried \
            and self.answer_types["asks_for"].not_in_plan(query.text).probability >= ANSWERABILITY_MIN \
            and _states_a_request(query.text)

    def _search(self, query: Query) -> tuple[Answer, list[int]]:
        scope = set(query.scope) if query.scope else None
        held: tuple[str, ...] = ()
        if query.units and scope is None:
            # A unit plus a topic: search within the measures that name the unit, unless none
            # of them uses the topic's own terms ("复议委员会是公安厅牵头建的吧" names the wrong unit)
            named = {m.number for m in self.plan.measures if set(query.units) & set(m.unit_names)}
            specific = [fold_for_match(t) for t in plan_terms_in(query.text, self.plan, self.tokenizer) if len(t) >= 4]
            bodies = [fold_for_match(self.plan.measure(n).body) for n in named]
            # (a phrase only one measure uses, when the unit's measures lack it, names the measure
            # the question is about: "X是财政厅牵头的吧" about a measure 财政厅 does not lead)
            unique = [t for t in specific if document_frequency(t, self.plan) == 1]
            if specific and not any(t in b for t in specific for b in bodies):
                named = set()
            elif any(not any(t in b for b in bodies) for t in unique):
                # ...and that phrase says which measure is meant
                named, held = set(), tuple(t for t in unique if not any(t in b for b in bodies))
            scope = named or None
        hits = self.retrieve(query, k=5, numbers=scope, phrases=held)
        dense_top = max((h.sources.get("dense", (0, 0.0))[1] for h in hits), default=0.0)
        lexical_top = max((h.sources.get("bm25", (0, 0.0))[1] for h in hits), default=0.0)
        # a sure everyday-question match (assistant.paraphrases) vouches for the question
        paraphrased = self.paraphrases.sure_match(query.search_text) is not None
        outside_kind = query.outside_kind
        verdict = self.scope.judge(query.text, dense_top, names_units=bool(query.units), lexical_top=lexical_top,
                                   outside_kind=outside_kind, english=query.english,
                                   paraphrased=paraphrased)
        asked = self.answer_types["asks_for"].not_in_plan(query.text)
        if (asked.label == "money" and Asks.TARGET not in query.asks and not _SUM_CUE.search(query.text)) or \
                (asked.label == "progress" and not _STATE_CUE.search(query.text)):
            # a sum is asked with 多少/几 ("经费从哪出" asks the source); progress with a word for
            # the state things are in now ("建好了吗", "目前", "进展")
            asked = replace(asked, probability=0.0)
        if query.beyond_year is not None and asked.probability >= ANSWERABILITY_MIN and asked.label in PARTIAL_KINDS:
            # "今年给了多少经费" after the plan period: a sum or a state of that year, which the plan
            # could not hold even for its own years; said as the period it does not reach
            text = self.composer.out_of_range(query.but(year=query.beyond_year))
            return Answer(question=query.original, answer=text, citations=[], refused=True,
                          intent=Intent.OUT_OF_RANGE.value, measures=[], units=list(query.units), coverage="none"), []
        if asked.probability >= ANSWERABILITY_MIN and not query.scope and _states_a_request(query.text):
            # the question wants something the plan never holds (a sum, progress, another law …)
            if verdict.reason == "unanswerable" and asked.label != "person":
                verdict = self.scope.judge_topic(query.text, dense_top, bool(query.units), lexical_top, outside_kind)
            # partial only with a measure among the best that uses the question's own terms (for
            # the text of a law: that law's name), so that it is about the same thing
            evidence = _law_names(query.text) if asked.label == "law_text" else \
                [*self._subject_terms(query.text), *re.findall(r"《([^》]{2,40})》", query.text)]
            about = [h.number for h in hits[:3] if any(t in self.plan.measure(h.number).body for t in evidence)]
            # how to use a thing the plan names in quotes ("“X”小程序怎么登录"): the plan asks for
            # the thing and gives no instructions
            howto = asked.label == "other_domain" and self.scope.quotes_plan(query.text)
            if howto and about:
                verdict = replace(verdict, covered=True)
            if (asked.label in PARTIAL_KINDS or howto) and verdict.covered and about:
                number = about[0]
                text = self.composer.partial(number, query, asked.label)
                return Answer(question=query.original, answer=text, citations=citations_in(text), refused=False,
                              intent=query.intent.value, measures=[number], units=list(query.units),
                              coverage="partial"), []
            text = self.composer.refusal(query, asked.label)
            return Answer(question=query.original, answer=text, citations=[], refused=True,
                          intent=query.intent.value, measures=[], units=list(query.units), coverage="none"), []
        if not verdict.covered and verdict.reason == "unanswerable" and not query.scope and not query.english:
            # a practical detail ("报名", "电话", "多少钱") about a thing only the plan names in
            # so many words ("行政执法人员资格考试", five characters or more): the plan asks
            # for the thing and holds no such detail
            named = [t for t in plan_terms_in(query.text, self.plan, self.tokenizer) if len(t) >= 5]
            about = [h.number for h in hits[:3] if any(fold_for_match(t) in fold_for_match(self.plan.measure(h.number).body)
                                                      for t in named)]
            if about:
                label = "money" if _MONEY_WORDS.search(query.text) else "other_domain"
                text = self.composer.partial(about[0], query, label)
                return Answer(question=query.original, answer=text, citations=citations_in(text), refused=False,
                              intent=query.intent.value, measures=about[:1], units=list(query.units),
                              coverage="partial"), []
        if not verdict.covered and not query.scope:
            text = self.composer.refusal(query, verdict.reason, region=verdict.region)
            return Answer(question=query.original, answer=text, citations=[], refused=True,
                          intent=query.intent.value, measures=[], units=list(query.units)), []
        specific_english = query.english and any(len(t) >= 3 for t in query.english_terms)
        if not query.units and not query.scope and not specific_english \
                and not plan_terms_in(query.text, self.plan, self.tokenizer):
            # a question with none of the plan's specific terms may be about the plan as a
            # whole: the document's own paragraphs (指导思想, 总体目标, 前言, 结语) answer questions about
            # the plan as a whole better than any single measure
            chunk, score = self.dense.document_match(query.search_text)
            field = _DOCUMENT_FIELDS.get(chunk)
            if field and score > dense_top + DOCUMENT_MARGIN:
                text = self.composer.document(query.but(doc_field=field))
                return Answer(question=query.original, answer=text, citations=[], refused=False,
                              intent=Intent.DOCUMENT.value, measures=[], units=[]), []
        if query.quantity_word:
            # "每年培训多少小时": among the best few, the measure that states a number in the asked
            # measure word answers it; the others only touch the topic
            stating = [h for h in hits[:3] if states_quantity(self.plan.measure(h.number).text, query.quantity_word)]
            if stating and stating[0] is not hits[0]:
                hits = [stating[0]] + [h for h in hits if h is not stating[0]]
        if Asks.DEADLINE in query.asks and len(hits) > 1 and not _sets_a_time(self.plan.measure(hits[0].number)) \
                and self.plan.measure(hits[1].number).deadlines and not query.alternatives:
            # "到什么时候要建成X": of the two best, the one that sets a date answers a question
            # asking for one; the other only shares its subject
            hits = [hits[1], hits[0], *hits[2:]]
        if query.members_in is not None and not query.scope and hits and hits[0].number != query.members_in:
            # "X具体是哪些": the measure that lists X's members answers it
            listing = next((h for h in hits if h.number == query.members_in), Hit(query.members_in, 0.0, {}))
            hits = [listing] + [h for h in hits if h is not listing]
        numbers = _select(hits)
        if query.contents and numbers and not query.scope:
            # the plan names the list or document but does not reproduce what it holds; the
            # measure that names it is the one to point to, when search ranked another first
            thing = max((t for t in plan_terms_in(query.text, self.plan, self.tokenizer) if query.contents in t),
                        key=len, default=query.contents)       # "清单" asked as "负面清单里…"
            naming = [n for n in [h.number for h in hits] + [m.number for m in self.plan.measures]
                      if fold_for_match(thing) in fold_for_match(self.plan.measure(n).body)]
            if len(thing) >= 4 and naming and naming[0] not in numbers[:1]:
                numbers = [naming[0]]
            text = self.composer.partial(numbers[0], query, "contents")
            return Answer(question=query.original, answer=text, citations=citations_in(text), refused=False,
                          intent=query.intent.value, measures=numbers[:1], units=list(query.units),
                          coverage="partial"), [h.number for h in hits[:5]]
        if query.alternatives and not query.units and not self._holds_both(numbers[:1], query.alternatives):
            # "A和B，哪个…": the best measure for each of the two, when they differ
            compared = list(dict.fromkeys(h[0].number for h in (self.retrieve(query.but(text=side), k=1)
                                                                 for side in query.alternatives) if h))
            if len(compared) == 2:
                numbers = compared
        if query.beyond_year is not None and numbers:
            # "今年" after the plan period: what the plan asked during its period, said as such
            text = self.composer.partial(numbers[0], query, "period")
            return Answer(question=query.original, answer=text, citations=citations_in(text), refused=False,
                          intent=query.intent.value, measures=numbers[:1], units=list(query.units),
                          coverage="partial"), [h.number for h in hits[:5]]
        text = self.composer.search_answer(numbers, query)
        about = numbers + [h.number for h in hits if h.number not in numbers]
        lacking = bool(numbers) and self.composer.lacks_asked(self.plan.measure(numbers[0]), query)
        answer = Answer(question=query.original, answer=text, citations=citations_in(text), refused=False,
                        intent=query.intent.value, measures=about, units=list(query.units),
                        coverage="partial" if lacking else "full")
        return answer, [h.number for h in hits[:5]]


def _sets_a_time(measure) -> bool:
    """A date, or a time limit ("24小时内", "30日"), answers a question asking when."""
    return bool(measure.deadlines) or any(t.is_time_limit for t in measure.targets)

_DATE_SPAN = re.compile(r"20\d\d\s*年\s*(?:\d{1,2}\s*月(?:份)?)?\s*(?:底|末|初|中)?\s*(?:前|以前|之前|之内|内)?")
_MONEY_WORDS = re.compile(r"钱|价|金额|费用|工资|薪")
_NOT_SUBJECT_FLAGS = frozenset({"v", "ns"})   # a plain verb ("增长") or the place ("宁夏") is no subject


_MEASURE_NAMED = re.compile(r"第\s*[0-9一二三四五六七八九十百两]{1,5}\s*[条项]")
_DOCUMENT_FIELDS = {"doc-guiding-thought": "guiding_thought", "doc-overall-goals": "overall_goals",
                    "doc-preamble": "preamble", "doc-closing": "closing", "doc-header": "title"}
DOCUMENT_MARGIN = 0.003   # a document paragraph must match better than every measure


# Words that ask for a sum ("多少" is an ask of its own, Asks.TARGET).
_SUM_CUE = re.compile(r"金额|数额|价格|价钱|单价|标准是|\b(price|cost|amount|how much|sum)\b", re.I)
# Words that ask how things stand now, which a plan written in 2021 cannot say.
_STATE_CUE = re.compile(r"现在|目前|如今|眼下|已经|已|进展|进度|截至|截止目前|至今|到底.{0,4}(完成|落实|建)|"
                        r"了吗|了没|了没有|没有完成|完成得|落实得|怎么样了|如何了|成效|效果|成果|结果|排名|第一|"
                        r"去年|今年|前年|上一年|上年|评上|评为|获评|获得|入选|通过|出台|颁布|施行|生效|召开|"
                        r"了[吗呢没？?]?$|\b(now|so far|yet|already|progress|achieved|result|passed|won|awarded)", re.I)


def _law_names(text: str) -> list[str]:
    """Every way the text may name a law or document: each run of three to fourteen characters
    ending in a law's suffix ("民法典", "行政复议条例", "自治区行政复议条例"). A measure that
    uses one of them is about that law."""
    names = re.findall(r"《([^》]{2,40})》", text)     # a title in book-title marks, whatever it ends in
    for suffix in re.finditer(r"(?:条例|办法|细则|法|典)(?!规|治|律|院|定|人)", text):
        end = suffix.end()
        for size in range(3, 15):
            piece = text[max(0, end - size):end]
            if len(piece) < size or not re.fullmatch(r"[\u4e00-\u9fff]+", piece):
                break
            names.append(piece)
    return names


def _states_a_request(text: str) -> bool:
    """A bare topic ("民法典") names no kind of information, so it cannot ask for one the plan
    lacks; the scope guard alone judges it."""
    return len(re.findall(r"[\u4e00-\u9fff]|[A-Za-z]+", text)) >= 5


def _select(hits) -> list[int]:
    """A single-answer question gets the best measure; a runner-up only when both retrievers
    rank it above the winner's second place (they agree it answers as well)."""
    if not hits:
        return []
    chosen = [hits[0].number]
    for hit in hits[1:2]:
        ranks = [hit.sources[name][0] for name in ("dense", "bm25") if name in hit.sources]
        if len(ranks) == 2 and max(ranks) == 1:
            chosen.append(hit.number)
    return chosen


def _as_text(question, max_chars: int | None = None) -> str:
    """The echo of a question: cleaned and bounded (never the raw input, never markup)."""
    from .inputs import DEFAULT_MAX_CHARS, display_text
    return display_text(question, max_chars or DEFAULT_MAX_CHARS)


@dataclass
class CheckedInput:
    """A question that passed validation: its cleaned text, the usable history, notices."""
    text: str
    history: list[str]
    notices: list[str]


def rejected_answer(question, problem, max_chars: int | None = None) -> Answer:
    """The answer to input that cannot be answered: the problem's message, nothing cited."""
    return Answer(question=_as_text(question, max_chars), answer=problem.message, citations=[],
                  refused=problem.code == "injection", intent="invalid", coverage="none", error=problem.code)


def check_input(question, history, max_chars: int, plan, composer) -> CheckedInput | Answer:
    """The one validation of a question and its history (`assistant.inputs`); returns the
    final Answer when the input is rejected or names a measure the plan does not have."""
    from types import SimpleNamespace

    from .inputs import InputProblem as Problem, clean_history, language_of, measure_out_of_range
    try:
        text, notice = clean_question(question, max_chars)
    except Problem as problem:
        return rejected_answer(question, problem, max_chars)
    lang = "en" if language_of(text) == "en" else "zh"
    turns, history_notice = clean_history(history, max_chars, lang)
    checked = CheckedInput(text, turns, [n for n in (notice, history_notice) if n])
    number = measure_out_of_range(text, len(plan.measures))
    if number is not None:
        # 第0项, 第1e9项 …: measures are numbered 1..N (N from the parsed plan)
        reply = composer.t(SimpleNamespace(english=lang == "en"), "out_of_range_measure",
                           number=number, total=len(plan.measures))
        return _finish(Answer(question=text, answer=reply, citations=[], refused=True,
                              intent=Intent.OUT_OF_RANGE.value, coverage="none"), checked, None)
    return checked


def _merge(question: str, answers: list[Answer]) -> Answer:
    """One answer to several questions: their texts in order, each under its question."""
    distinct = list({a.answer: a for a in answers}.values())
    if len(distinct) == 1:
        return distinct[0]
    text = "\n\n".join(f"**{a.question}**\n\n{a.answer}" for a in distinct)
    refused = all(a.refused for a in answers)
    coverages = {"none" if a.refused else a.coverage for a in answers}
    coverage = "none" if refused else ("full" if coverages == {"full"} else "partial")
    merged = Answer(question=question, answer=text, citations=citations_in(text), refused=refused,
                    intent=answers[0].intent, measures=list(dict.fromkeys(n for a in answers for n in a.measures)),
                    units=list(dict.fromkeys(u for a in answers for u in a.units)), coverage=coverage,
                    composer=answers[0].composer)
    duties = [a.duties for a in answers if a.duties]
    merged.duties = duties[0] if len(duties) == 1 else None
    return merged


def _finish(answer: Answer, checked: CheckedInput, started: float | None) -> Answer:
    """Echo the cleaned question, put the notices first, set the latency."""
    answer.question = checked.text
    if checked.notices:
        answer.notice = " ".join(checked.notices)
        answer.answer = "".join(f"_{n}_\n\n" for n in checked.notices) + answer.answer
    if started is not None:
        answer.latency_ms = (time.perf_counter() - started) * 1000
    return answer


def _llm_from_settings(settings: Settings, plan, embedder):
    if not settings.llm_base_url:
        return None
    from .grounding import FactChecker
    from .llm import LLMComposer
    return LLMComposer(settings, plan, checker=FactChecker(plan, embedder.embed_queries))


def status_line(assistant) -> str:
    """What users need to know about the running system, in plain words: the answering mode, the
    index and the plan's size (no model files, chunk counts or addresses)."""
    s, plan = assistant.status, assistant.plan
    mode = "离线模式" if str(s.composer).startswith("default") else "大模型辅助模式（逐句核对原文）"
    index = "索引已就绪" if s.index_count else "索引未就绪"
    return f"{mode} · {index} · {len(plan.measures)}项措施"
