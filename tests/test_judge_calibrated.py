"""`local:qwen`: judging with calibrated stance probabilities (verify/judge_calibrated.py), wired in
through the backend registry, the judge and the pipeline.

The unit tests use a scripted stance scorer (no model): they check how its probabilities become a
stored Verdict, that every probe is in the call log and served from its cache, and that the
pipeline translates claims before retrieval. The last test runs the real Qwen model (real_models)
and skips, naming the install command, when its parts are not installed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.fakes import register_fake, scripted, selection_reply, ScriptedChat
from verify import offline_model
from verify.backends import build_backend, llamacpp
from verify.backends.qwen import MODEL_ID, CalibratedLlamaChat
from verify.calibration import Calibrator
from verify.config import Settings
from verify.errors import ConfigError
from verify.judge import default_judge_prompt, judge_claim
from verify.judge_calibrated import judge_calibrated, with_english_forms
from verify.model_signals import confidence_kind, verdict_confidence
from verify.models import Chunk, Claim, Evidence, Sentence, SourceMeta, Span
from verify.stance import FEATURES, claim_features, load_calibrator
from verify.store import Store
from verify.structured import StructuredLLM

CLAIM_FR = "Steve Witkoff a rencontré Vladimir Poutine jeudi à Moscou en 2025."
CLAIM_EN = "Steve Witkoff met Vladimir Putin on Thursday in Moscow in 2025."
MEETING = "Steve Witkoff met Vladimir Putin in Moscow on Thursday in 2025."
MUSEUM = "The museum reopened in March after a long renovation."
OTHER_YEAR = "Witkoff met Putin in Moscow in 2023."


class ScriptedProbe:
    """P(Yes) by (prompt id, sentence); records every call, so a test sees what the model was asked."""

    identity = "scripted-probe"

    def __init__(self, table: dict[tuple[str, str], float], translation: str = CLAIM_EN, fail: bool = False):
        self.table, self.translation, self.fail, self.calls = table, translation, fail, []

    def p_yes(self, prompt, **values):
        self.calls.append((prompt.ref.id, values.get("sentence")))
        if self.fail:
            raise RuntimeError("llama_decode returned -3")
        return self.table.get((prompt.ref.id, values["sentence"]), 0.05)

    def p_choices(self, prompt, answers, **values):
        self.calls.append((prompt.ref.id, values.get("sentence")))
        if self.fail:
            raise RuntimeError("llama_decode returned -3")
        return list(self.table.get((prompt.ref.id, values["sentence"]), (0.1, 0.1, 0.8)))

    def complete(self, prompt, max_tokens, **values):
        self.calls.append((prompt.ref.id, values.get("claim")))
        return self.translation


class StanceChat(ScriptedChat):
    """A scripted chat model that is also a stance scorer, as CalibratedLlamaChat is."""

    probe: object = None

    def stance_probe(self):
        return self.probe


STRONG = {("stance_support", MEETING): 0.99, ("stance_support", MUSEUM): 0.02,
          ("stance_nli", MEETING): (0.9, 0.05, 0.05), ("stance_nli", MUSEUM): (0.02, 0.03, 0.95)}


def evidence(*sentences: str) -> list[Evidence]:
    text, spans = "", []
    for sentence in sentences:
        spans.append((len(text), len(text) + len(sentence)))
        text += sentence + " "
    source = SourceMeta(source_id="reuters", title="Reuters")
    chunk = Chunk(id="reuters:0", source=source, n=0, text=text.strip(), start=0, end=len(text.strip()),
                  sentences=[Sentence(index=i, text=s, start=a, end=b) for i, (s, (a, b)) in enumerate(zip(sentences, spans))])
    return [Evidence(chunk=chunk, rank=1, fused_score=1.0)]


def claim(text: str = CLAIM_FR, text_en: str | None = None) -> Claim:
    return Claim(id="r1-c000", run_id="r1", article_id="a", index=0, text=text, text_en=text_en or text, quote=text,
                 span=Span(start=0, end=len(text)), anchor="exact")


def llm_with(probe: ScriptedProbe, store: Store) -> StructuredLLM:
    return StructuredLLM(StanceChat(messages=iter([]), probe=probe), "fake-qwen", Settings(model="fake"),
                         calls=store.call_log())


def uniform_calibrator() -> Calibrator:
    """Every label at 1/3: below any threshold over 1/3, so it always abstains."""
    return Calibrator(feature_names=FEATURES, mean=[0.0] * len(FEATURES), scale=[1.0] * len(FEATURES),
                      weights=[[0.0] * len(FEATURES)] * 3, bias=[0.0, 0.0, 0.0], abstain_below=0.48)


def test_a_stance_scorer_is_judged_with_calibrated_probabilities_and_sentence_stances(tmp_path):
    store = Store(tmp_path / "v.db")
    probe = ScriptedProbe(STRONG)
    ev = evidence(MUSEUM, MEETING)
    verdict = judge_claim(claim(), ev, llm_with(probe, store), default_judge_prompt(), "fr")

    # Asked: one translation, then Yes/No and yes/no/maybe for the two sentences closest to the claim;
    # never the JSON prompt, nor the "shows it false" probe the calibrator no longer reads.
    assert probe.calls[0] == ("translate_claim", CLAIM_FR)
    assert sorted(probe.calls[1:]) == sorted([("stance_support", MEETING), ("stance_nli", MEETING),
                                              ("stance_support", MUSEUM), ("stance_nli", MUSEUM)])
    calibrator = load_calibrator()
    scored = verdict.model_validate_json(verdict.model_dump_json())  # what the store keeps, read back
    assert scored.status == "ok" and scored.label.value == "SUPPORTED"
    # The confidence is the fitted calibrator's probability of the label, shown as a measured one.
    features = json.loads(verdict.raw_output)["features"]
    p = calibrator.proba([features[n] for n in calibrator.feature_names])[0]
    assert verdict.confidence == pytest.approx(round(float(p[0]), 4))
    assert verdict.prompt.id == "stance_support" and verdict.model == "fake-qwen"
    assert confidence_kind(verdict.model, "stance_support/v1", verdict.confidence) == "calibrated"
    assert verdict_confidence(verdict) == f"{verdict.confidence:.2f}"
    # The supporting sentence cited with its own stance and exact offsets; the unrelated one scored, not cited.
    [cite] = verdict.citations
    assert (cite.text, cite.stance, ev[0].chunk.text[cite.start:cite.end]) == (MEETING, "supports", MEETING)
    assert "(unrelated): P(states the claim)=0.02" in verdict.rationale
    assert "Calibrated probabilities: SUPPORTED" in verdict.rationale
    assert f"Checked in English as: {CLAIM_EN}" in verdict.rationale
    assert "(supports): P(states the claim)=0.99" in verdict.rationale
    assert "P(contradicts)=0.05" in verdict.rationale
    assert "shows it false" not in verdict.rationale and "p_refute" not in verdict.raw_output
    assert verdict.usage.calls == 5


def test_every_probe_is_in_the_call_log_and_a_second_judgement_comes_from_the_cache(tmp_path):
    store = Store(tmp_path / "v.db")
    first = judge_claim(claim(), evidence(MEETING), llm_with(ScriptedProbe(STRONG), store), default_judge_prompt(), "fr")
    logged = store.llm_calls("r1")
    assert [c.purpose for c in logged] == ["translate", "stance", "stance"]
    assert [c.prompt.id for c in logged] == ["translate_claim", "stance_support", "stance_nli"]
    assert all(c.model == "fake-qwen" and c.claim_id == "r1-c000" and not c.cached for c in logged)
    assert logged[0].response == CLAIM_EN and float(logged[1].response) == pytest.approx(0.99)
    assert json.loads(logged[2].response) == pytest.approx([0.9, 0.05, 0.05])

    again_probe = ScriptedProbe({})  # would answer 0.05 everywhere: the cache must answer instead
    again = judge_claim(claim(), evidence(MEETING), llm_with(again_probe, store), default_judge_prompt(), "fr")
    assert again_probe.calls == [] and again.usage.cached_calls == 3 and again.usage.calls == 0
    assert (again.label, again.confidence) == (first.label, first.confidence)
    assert store.call_usage("r1").calls == 3


def test_below_the_threshold_it_abstains_as_not_enough_info_and_says_why(tmp_path):
    verdict = judge_calibrated(claim(CLAIM_EN), evidence(OTHER_YEAR), llm_with(ScriptedProbe({}), Store(tmp_path / "v.db")),
                               "en", calibrator=uniform_calibrator())
    assert verdict.status == "ok" and verdict.label.value == "NOT_ENOUGH_INFO"
    assert verdict.confidence == pytest.approx(1 / 3, abs=1e-3)
    assert "Abstained: most likely SUPPORTED but only at p=0.33 (threshold 0.48)." in verdict.rationale
    assert "claim says 2025, the sentence says 2023" in verdict.rationale  # the differences, readable
    assert [(c.text, c.stance) for c in verdict.citations] == [(OTHER_YEAR, "unrelated")]  # what was checked
    assert "Checked in English" not in verdict.rationale  # an English claim is not translated


def test_a_model_failure_is_a_failed_verdict_with_the_error_logged(tmp_path):
    store = Store(tmp_path / "v.db")
    verdict = judge_calibrated(claim(CLAIM_EN), evidence(MEETING), llm_with(ScriptedProbe({}, fail=True), store), "en")
    assert verdict.status == "error" and verdict.label is None and "llama_decode returned -3" in verdict.error
    assert [c.error for c in store.llm_calls("r1")] == ["RuntimeError: llama_decode returned -3"]


def test_sentence_stances_follow_the_calibrator_on_each_sentence_alone():
    from verify.judge_calibrated import sentence_stance
    from verify.stance import SentenceStance

    # SUPPORTED rises with support_best, REFUTED with contradict_max (the entailment probe's "no").
    refuted = [4.0 if name == "contradict_max" else 0.0 for name in FEATURES]
    weights = [[4.0] + [0.0] * (len(FEATURES) - 1), refuted, [0.0] * len(FEATURES)]
    calibrator = Calibrator(feature_names=FEATURES, mean=[0.0] * len(FEATURES), scale=[1.0] * len(FEATURES),
                            weights=weights, bias=[0.0, 0.0, 0.0])

    def stance(p_support, p_contradict):
        return sentence_stance(SentenceStance(index=0, text="s", overlap=0.5, p_support=p_support,
                                              p_entail=0.0, p_contradict=p_contradict, p_neutral=1.0 - p_contradict,
                                              mismatches=[]), calibrator)

    assert (stance(0.95, 0.05), stance(0.05, 0.95), stance(0.5, 0.5)) == ("supports", "refutes", "unrelated")
    assert claim_features([])["support_best"] < -5


def test_english_forms_are_added_only_for_a_stance_scorer_and_only_where_missing(tmp_path):
    store = Store(tmp_path / "v.db")
    probe = ScriptedProbe({})
    llm = llm_with(probe, store)
    french, given = claim(), claim(text_en="Already translated.")
    done = with_english_forms([french, given], "fr", llm)
    assert [c.text_en for c in done] == [CLAIM_EN, "Already translated."]
    assert with_english_forms([claim(CLAIM_EN)], "en", llm)[0].text_en == CLAIM_EN and len(probe.calls) == 1
    plain = StructuredLLM(scripted(), "fake", Settings(model="fake"))
    assert with_english_forms([french], "fr", plain)[0].text_en == CLAIM_FR


def test_local_is_qwen_on_one_thread_and_local_gemma_the_bundled_demo_model(monkeypatch, tmp_path):
    monkeypatch.setattr(offline_model, "model_path", lambda spec, cache_dir=None: tmp_path / "qwen.gguf")
    for spec in ("local", "local:qwen"):  # the offline default is the model that measured best (issue 12)
        backend = build_backend(Settings(model=spec))
        assert isinstance(backend.chat, CalibratedLlamaChat) and backend.model_id == MODEL_ID
        assert (backend.chat.n_threads, backend.chat.n_threads_batch) == (1, 1)
        assert Settings(model=spec).extractive and Settings(model=spec).is_local
    assert Settings().model == "local"
    monkeypatch.setattr(llamacpp, "bundled_gguf_path", lambda cache_dir: tmp_path / "gemma.gguf")
    gemma = build_backend(Settings(model="local:gemma"))
    assert not isinstance(gemma.chat, CalibratedLlamaChat) and gemma.model_id == llamacpp.BUNDLED_ID
    assert gemma.chat.model_path == str(tmp_path / "gemma.gguf") and Settings(model="local:gemma").extractive
    gguf = tmp_path / "other.gguf"
    gguf.write_bytes(b"GGUF")  # never loaded: the chat model opens its file on first use
    plain = build_backend(Settings(model=f"local:{gguf}")).chat
    assert not isinstance(plain, CalibratedLlamaChat) and plain.n_threads_batch is None


def test_local_qwen_without_its_parts_names_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setattr(offline_model.md, "distribution", _missing)
    with pytest.raises(ConfigError, match=r"not installed .*reinstall it \(pip install -e \. in its folder\)"):
        build_backend(Settings(model="local:qwen", cache_dir=tmp_path))


def _missing(name):
    raise offline_model.md.PackageNotFoundError(name)


def test_a_run_with_a_stance_scorer_translates_retrieves_judges_and_records_the_stance_prompt(tmp_path):
    from verify.pipeline import Pipeline

    article = tmp_path / "a.fr.txt"
    article.write_text(f"{CLAIM_FR} Il faisait beau ce jour-là à Paris selon les habitants.\n", encoding="utf-8")
    source = tmp_path / "reuters.md"
    source.write_text(f"# Talks\n\n{MEETING} {MUSEUM}\n", encoding="utf-8")
    probe = ScriptedProbe(STRONG)
    chat = StanceChat(messages=iter([selection_reply("S1")]), probe=probe)
    register_fake(chat, "fake-qwen")
    pipeline = Pipeline(Settings.from_env(model="fake", extract_mode="extractive", embedder="hash"))
    outcome = pipeline.run(str(article), [str(source)])

    [stored] = pipeline.store.get_claims(outcome.run.id)
    assert stored.text == CLAIM_FR and stored.text_en == CLAIM_EN  # the translation is kept with the claim
    verdict = pipeline.store.get_verdicts(outcome.run.id)[stored.id]
    assert verdict.label.value == "SUPPORTED" and verdict.prompt.id == "stance_support"
    assert any(c.text == MEETING and c.stance == "supports" for c in verdict.citations)
    assert outcome.run.settings.judge_prompt == "stance_support/v1"
    assert outcome.run.summary["usage"]["calls"] == 1 + 5  # the extraction call, the translation, four probes


# --- The real model ---------------------------------------------------------------------------------


@pytest.mark.real_models
def test_qwen_verifies_a_two_claim_article_end_to_end(tmp_path, monkeypatch):
    try:
        offline_model.part_paths(offline_model.QWEN_1_5B)
    except ConfigError as exc:  # a base dependency: missing means a broken install, not a reason to skip
        pytest.fail(f"the offline default model is not installed: {exc}")
    monkeypatch.setenv("VERIFY_CACHE_DIR", str(Path.home() / ".cache" / "verify"))  # assemble the 1.1 GB file once
    from verify.cli import app

    article = tmp_path / "article.fr.txt"
    article.write_text("Steve Witkoff a rencontré Vladimir Poutine jeudi soir à Moscou. "
                       "Le musée du Louvre a rouvert en mars après une longue rénovation.\n", encoding="utf-8")
    library = tmp_path / "library"
    library.mkdir()
    (library / "talks.md").write_text(
        "# Talks in Moscow\n\nUS envoy Steve Witkoff met Vladimir Putin in Moscow on Thursday evening. "
        "The Kremlin said the talks lasted several hours.\n", encoding="utf-8")
    (library / "louvre.md").write_text(
        "# Louvre\n\nThe Louvre museum reopened in March after a long renovation, its director said.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(article), "--sources", str(library),  # the default model
                                      "--embedder", "hash"])
    assert result.exit_code == 0, result.output
    store = Store(tmp_path / "verify.db")
    [run] = store.list_runs()
    verdicts = store.get_verdicts(run.id)
    assert verdicts, "no claim was judged"
    for verdict in verdicts.values():
        assert verdict.model == MODEL_ID and verdict.prompt.id == "stance_support"
        assert verdict.status == "ok" and 0.0 < verdict.confidence < 1.0
        assert verdict.citations and all(c.stance in ("supports", "refutes", "unrelated") for c in verdict.citations)
        assert "Calibrated probabilities:" in verdict.rationale
    claims = store.get_claims(run.id)
    assert any(c.text_en != c.text for c in claims), "no claim got an English form"


class TranslationFails(ScriptedProbe):
    def complete(self, prompt, max_tokens, **values):
        self.calls.append((prompt.ref.id, values.get("claim")))
        raise RuntimeError("llama_decode returned -3")


def test_a_failed_translation_keeps_the_claims_own_wording_and_is_logged(tmp_path):
    """README: 'A failed translation alone keeps the claim's own wording for retrieval' (call log keeps it)."""
    store = Store(tmp_path / "v.db")
    probe = TranslationFails({})
    [kept] = with_english_forms([claim()], "fr", llm_with(probe, store))
    assert kept.text == CLAIM_FR and kept.text_en == CLAIM_FR
    assert probe.calls == [("translate_claim", CLAIM_FR)]
    [logged] = store.llm_calls("r1")
    assert logged.purpose == "translate" and "llama_decode returned -3" in (logged.error or "")
