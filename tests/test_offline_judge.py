"""The offline judge's parts: model assembly from PyPI chunks, mismatch checks, calibration, stance."""

from __future__ import annotations

import hashlib
import math
import importlib
import os
from pathlib import Path

import numpy as np
import pytest

from verify import offline_model, replycache
from verify.calibration import LABELS, Calibrator, auc, balanced_accuracy, decide, ece, fit, fit_tempered
from verify.errors import ConfigError
from verify.mismatch import mismatches, numbers, overlap
from verify.offline_model import PartedModel, model_path
from verify.stance import (
    FEATURES,
    StancePrompts,
    candidate_sentences,
    claim_features,
    judge,
)

# --- Assembly from part packages ----------------------------------------------------------------

CHUNKS = [b"GGUF" + b"a" * 96, b"b" * 100, b"c" * 37]


def install_fake_parts(site: Path, chunks=CHUNKS, prefix="fakemodel-part", version="0.2.0") -> None:
    """Wheel-shaped installs: <pkg>/data/partNN.bin plus a dist-info whose RECORD lists it."""
    for i, data in enumerate(chunks, 1):
        pkg = f"{prefix.replace('-', '_')}{i}"
        (site / pkg / "data").mkdir(parents=True)
        (site / pkg / "data" / f"part{i:02d}.bin").write_bytes(data)
        info = site / f"{pkg}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {prefix}{i}\nVersion: {version}\n")
        (info / "RECORD").write_text(f"{pkg}/data/part{i:02d}.bin,,{len(data)}\n{info.name}/METADATA,,\n")


def spec_for(chunks=CHUNKS, n_parts=None, sha=None) -> PartedModel:
    whole = b"".join(chunks)
    return PartedModel(name="Fake model", filename="fake.gguf", dist_prefix="fakemodel-part",
                       n_parts=n_parts or len(chunks), version="0.2.0", size=len(whole),
                       sha256=sha or hashlib.sha256(whole).hexdigest())


@pytest.fixture
def site(tmp_path, monkeypatch):
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    importlib.invalidate_caches()
    return folder


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.tmp")) if folder.exists() else []


def test_parts_are_joined_in_order_into_the_cache(site, tmp_path):
    install_fake_parts(site)
    path = model_path(spec_for(), tmp_path / "cache")
    assert path == tmp_path / "cache" / "models" / "fake.gguf"
    assert path.read_bytes() == b"".join(CHUNKS)
    assert leftovers(path.parent) == []


def test_a_hash_mismatch_is_refused_and_leaves_no_file(site, tmp_path):
    install_fake_parts(site)
    with pytest.raises(ConfigError, match=r"SHA-256 .* expected 0{64}.*pip install"):
        model_path(spec_for(sha="0" * 64), tmp_path / "cache")
    models = tmp_path / "cache" / "models"
    assert not (models / "fake.gguf").exists() and leftovers(models) == []


def test_missing_and_wrong_version_parts_are_named_with_the_install_command(site, tmp_path):
    install_fake_parts(site)
    install_fake_parts(site, chunks=[b"x"], prefix="othermodel-part", version="0.1.0")
    with pytest.raises(ConfigError, match=r"fakemodel-part4 missing.*reinstall it \(pip install -e \. in its folder\)"):
        model_path(spec_for(n_parts=4), tmp_path / "cache")
    other = PartedModel(name="Other", filename="o.gguf", dist_prefix="othermodel-part", n_parts=1,
                        version="0.2.0", size=1, sha256="0" * 64)
    with pytest.raises(ConfigError, match="othermodel-part1 is 0.1.0, needs 0.2.0"):
        model_path(other, tmp_path / "cache")


def test_an_interrupted_assembly_leaves_neither_target_nor_temp_file(site, tmp_path, monkeypatch):
    install_fake_parts(site)

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(offline_model.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        model_path(spec_for(), tmp_path / "cache")
    models = tmp_path / "cache" / "models"
    assert not (models / "fake.gguf").exists() and leftovers(models) == []


def test_a_changed_cached_file_is_rehashed_and_reassembled(site, tmp_path, monkeypatch):
    install_fake_parts(site)
    spec = spec_for()
    path = model_path(spec, tmp_path / "cache")
    # Same size, other bytes, newer mtime: the recorded hash no longer vouches for it.
    path.write_bytes(b"z" * spec.size)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert model_path(spec, tmp_path / "cache").read_bytes() == b"".join(CHUNKS)
    # Unchanged since verified: not read again (the memo is trusted), neither here nor by the reply
    # cache's model identity, which reads the same memo.
    monkeypatch.setattr(replycache.hashlib, "sha256", lambda *a: pytest.fail("re-hashed a verified file"))
    assert model_path(spec, tmp_path / "cache") == path
    assert replycache.file_sha256(path, tmp_path / "cache") == spec.sha256


# --- Mismatch checks -------------------------------------------------------------------------------


def test_numbers_are_normalised_before_comparison():
    assert numbers("5,000 troops, 5 000 more, 3,5 km and 2.5 m in 2024") == {"5000", "3.5", "2.5", "2024"}


def test_mismatches_name_differing_years_missing_names_and_negation():
    found = {m.kind: m.detail for m in mismatches(
        "Steve Witkoff met Putin in Moscow in 2024 and did not sign.",
        "Witkoff met Vladimir Putin in Saint Petersburg in 2025 and signed.")}
    assert found == {"year": "claim says 2024, the sentence says 2025",
                     "name": "the sentence does not mention Moscow",
                     "negation": "negation differs: the claim says 'not'"}
    assert mismatches("The Ukrainian troops left Kursk.", "Troops from Ukraine left the Kursk region.") == []


def test_overlap_counts_claim_content_words_found_in_the_sentence():
    assert overlap("Trump urged Putin", "Putin was urged by Trump") == 1.0
    assert overlap("Trump urged Putin", "The weather was fine") == 0.0


# --- Calibration math ------------------------------------------------------------------------------


def test_fit_learns_labels_and_gives_probabilities_that_sum_to_one():
    rng = np.random.default_rng(0)
    centres = {"SUPPORTED": [2, 0], "REFUTED": [-2, 0], "NOT_ENOUGH_INFO": [0, 2]}
    gold = [g for g in centres for _ in range(20)]
    x = np.array([centres[g] for g in gold]) + rng.normal(0, 0.3, (60, 2))
    model = fit(x, gold, ["a", "b"], fitted_on="test split")
    p = model.proba(x)
    assert np.allclose(p.sum(axis=1), 1)
    assert [model.labels[i] for i in p.argmax(axis=1)] == gold
    assert Calibrator.model_validate_json(model.model_dump_json()).proba(x[:1]).tolist() == p[:1].tolist()


def test_partial_labels_move_mass_to_the_allowed_set():
    # NOT_REFUTED means SUPPORTED or NOT_ENOUGH_INFO: the fit must push P(REFUTED) down for them.
    x = np.array([[1.0]] * 10 + [[-1.0]] * 10)
    model = fit(x, ["NOT_REFUTED"] * 10 + ["REFUTED"] * 10, ["f"])
    p_pos, p_neg = model.proba([[1.0]])[0], model.proba([[-1.0]])[0]
    assert p_pos[1] < 0.2 < 0.8 < p_neg[1]
    # Nothing tells SUPPORTED from NOT_ENOUGH_INFO here, so the allowed mass is shared, not given to one.
    assert p_pos[0] > 0.3 and p_pos[2] > 0.3


def test_fit_tempered_undoes_the_l2_shrinkage_with_a_temperature_chosen_by_cross_validation():
    # Well-separated labels under a strong L2 penalty: the plain fit is underconfident (its
    # probabilities shrunk towards 1/3); the temperature chosen inside the training data sharpens them.
    rng = np.random.default_rng(1)
    centres = {"SUPPORTED": [1.5, 0], "REFUTED": [-1.5, 0], "NOT_ENOUGH_INFO": [0, 1.5]}

    def draw(n):
        gold = [g for g in centres for _ in range(n)]
        return np.array([centres[g] for g in gold]) + rng.normal(0, 0.7, (len(gold), 2)), gold

    x, gold = draw(30)
    plain, tempered = fit(x, gold, ["a", "b"], l2=1.0), fit_tempered(x, gold, ["a", "b"], l2=1.0, fitted_on="train")
    held_out, truth = draw(200)
    p_plain, p_tempered = plain.proba(held_out), tempered.proba(held_out)
    log_loss = lambda p: -np.mean(np.log(p[np.arange(len(truth)), [LABELS.index(g) for g in truth]]))
    assert log_loss(p_tempered) < log_loss(p_plain) - 0.05
    assert (p_tempered.argmax(axis=1) == p_plain.argmax(axis=1)).all()  # a temperature never changes the label
    assert p_tempered.max(axis=1).mean() > p_plain.max(axis=1).mean() + 0.05
    assert tempered.fitted_on.startswith("train; ") and "temperature 0." in tempered.fitted_on
    assert (tempered.mean, tempered.scale, tempered.feature_names) == (plain.mean, plain.scale, plain.feature_names)


def test_decide_abstains_to_not_enough_info_below_the_threshold():
    assert decide(np.array([0.45, 0.35, 0.20]), 0.5) == ("NOT_ENOUGH_INFO", True)
    assert decide(np.array([0.55, 0.25, 0.20]), 0.5) == ("SUPPORTED", False)
    assert decide(np.array([0.20, 0.35, 0.45]), 0.5) == ("NOT_ENOUGH_INFO", False)


def test_metrics_on_hand_computed_examples():
    assert auc([0.9, 0.8, 0.3, 0.1], [True, False, True, False]) == 0.75
    assert auc([0.5, 0.5], [True, False]) == 0.5
    assert balanced_accuracy(["SUPPORTED", "SUPPORTED", "REFUTED", "NOT_REFUTED"],
                             ["SUPPORTED", "REFUTED", "REFUTED", "NOT_ENOUGH_INFO"]) == pytest.approx((0.5 + 1 + 1) / 3)
    # Binary sets: a NOT_REFUTED prediction is right for a NOT_REFUTED claim.
    assert balanced_accuracy(["NOT_REFUTED", "REFUTED"], ["NOT_REFUTED", "NOT_REFUTED"]) == 0.5
    # Two claims at confidence 0.9, one right: |0.5 - 0.9| = 0.4.
    assert ece([0.9, 0.9], [True, False]) == pytest.approx(0.4)


# --- The stance judge, with a scripted probe model -------------------------------------------------


class ScriptedProbe:
    """P(Yes) by (question, sentence); records every call so tests see what the model was asked."""

    identity = "scripted"

    def __init__(self, translation: str, p_yes: dict[tuple[str, str], float]):
        self.translation, self.table, self.calls = translation, p_yes, []

    def p_yes(self, prompt, **values):
        self.calls.append((prompt.ref.id, values))
        return self.table[(prompt.ref.id, values["sentence"])]

    def p_choices(self, prompt, answers, **values):
        self.calls.append((prompt.ref.id, values))
        return list(self.table[(prompt.ref.id, values["sentence"])])

    def complete(self, prompt, max_tokens, **values):
        self.calls.append((prompt.ref.id, values))
        return self.translation


def test_candidate_sentences_prefer_word_overlap_then_retrieval_order():
    evidence = ["The sky is blue. Trump met Putin in Moscow.", "Putin met Trump in Moscow on Friday."]
    picked = candidate_sentences(["Trump met Putin in Moscow"], evidence, top=2)
    assert [(i, s) for i, s, _ in picked] == [(0, "Trump met Putin in Moscow."), (1, "Putin met Trump in Moscow on Friday.")]


def test_judge_translates_probes_top_sentences_and_calibrates():
    sentence = "Steve Witkoff met Vladimir Putin in Moscow on Thursday."
    probe = ScriptedProbe("Steve Witkoff met Putin in Moscow on Thursday.",
                          {("stance_support", sentence): 0.9, ("stance_nli", sentence): (0.8, 0.1, 0.1),
                           ("stance_support", "Il pleuvait."): 0.2,
                           ("stance_nli", "Il pleuvait."): (0.1, 0.1, 0.8)})
    # A calibrator that maps "support_best" straight to SUPPORTED.
    weights = [[3.0] + [0.0] * (len(FEATURES) - 1), [-3.0] + [0.0] * (len(FEATURES) - 1), [0.0] * len(FEATURES)]
    calibrator = Calibrator(feature_names=FEATURES, mean=[0.0] * len(FEATURES), scale=[1.0] * len(FEATURES),
                            weights=weights, bias=[0.0, 0.0, 0.0])
    v = judge("Steve Witkoff a rencontré Poutine jeudi à Moscou.", "fr", [sentence, "Il pleuvait."], probe, calibrator)
    assert probe.calls[0] == ("translate_claim", {"claim": "Steve Witkoff a rencontré Poutine jeudi à Moscou."})
    # Per sentence: "states the claim" Yes/No, then the entailment probe (no "shows it false" probe).
    asked = [(pid, vals["sentence"]) for pid, vals in probe.calls[1:]]
    assert asked == [("stance_support", sentence), ("stance_nli", sentence),
                     ("stance_support", "Il pleuvait."), ("stance_nli", "Il pleuvait.")]
    assert v.label == "SUPPORTED" and not v.abstained and v.confidence > 0.9
    assert v.claim_en == probe.translation and v.sentences[0].p_support == 0.9
    assert (v.sentences[0].p_entail, v.sentences[0].p_contradict, v.sentences[0].p_neutral) == (0.8, 0.1, 0.1)
    assert v.features["contradict_at_best"] == pytest.approx(math.log(0.1 / 0.9))
    assert "P(states claim)=0.90" in v.reason and "false" not in v.reason
    assert sorted(v.features) == sorted(FEATURES)  # what the calibrator reads, nothing it ignores


def test_english_claims_are_not_translated_and_no_evidence_gives_low_support():
    probe = ScriptedProbe("unused", {})
    calibrator = Calibrator(feature_names=FEATURES, mean=[0.0] * len(FEATURES), scale=[1.0] * len(FEATURES),
                            weights=[[1.0] + [0.0] * (len(FEATURES) - 1)] + [[0.0] * len(FEATURES)] * 2,
                            bias=[0.0, 0.0, 0.0])
    v = judge("Paris is in France.", "en", [], probe, calibrator)
    assert probe.calls == [] and v.sentences == []
    assert claim_features([])["support_best"] < -5 and v.label == "NOT_ENOUGH_INFO"


def test_stance_prompts_render_claim_and_sentence():
    prompts = StancePrompts.load()
    system, user = prompts.support.render(claim="C {x}", sentence="S")
    assert "Yes or No" in system and "Claim: C {x}\nSentence: S" in user


class PieceTokenizer:
    """A stand-in for llama.cpp's tokenizer: whole words it knows are one token, others split per letter."""

    def __init__(self, words: list[str]):
        self.pieces = words + [chr(c) for c in range(32, 127)] + ["\n"]

    def tokenize(self, text: bytes, add_bos=False, special=False):
        text = text.decode()
        if text in self.pieces:
            return [self.pieces.index(text)]
        return [self.pieces.index(ch) for ch in text]

    def detokenize(self, ids):
        return "".join(self.pieces[i] for i in ids).encode()


def test_answer_probabilities_sum_every_variant_and_leave_out_a_shared_first_letter(monkeypatch):
    from verify.stance import LlamaProbe

    words = ["no", "No", " no", " No", "neither", " neither", "true", " True"]
    probe = LlamaProbe.__new__(LlamaProbe)
    probe._llama = PieceTokenizer(words)
    logits = np.full(len(probe._llama.pieces), -50.0)
    for word, logit in {"no": 0.0, " No": 0.0, "neither": math.log(2), "true": math.log(4)}.items():
        logits[words.index(word)] = logit
    logits[probe._llama.pieces.index("N")] = 5.0   # "NO" and "NEITHER" both begin with "N": counted for neither
    monkeypatch.setattr(probe, "_next_logits", lambda tokens: logits)
    monkeypatch.setattr(probe, "chat", lambda system, user: user)

    prompt = StancePrompts.load().nli
    p_no, p_neither, p_true = probe.p_choices(prompt, ("no", "neither", "true"), claim="c", sentence="s")
    assert (p_no, p_neither, p_true) == pytest.approx((2 / 8, 2 / 8, 4 / 8), abs=1e-6)


# --- The real model: one short check ---------------------------------------------------------------


@pytest.mark.real_models
def test_qwen_gives_a_supporting_sentence_a_higher_yes_than_an_unrelated_one():
    from verify.stance import LlamaProbe

    try:
        path = model_path(offline_model.QWEN_1_5B, Path.home() / ".cache" / "verify")
    except ConfigError as exc:  # a base dependency: missing means a broken install, not a reason to skip
        pytest.fail(str(exc))
    probe, prompts = LlamaProbe(path, n_threads=1), StancePrompts.load()
    claim = "Trump asked Putin on Friday to spare Ukrainian soldiers in Kursk."
    yes = probe.p_yes(prompts.support, claim=claim, sentence="On Friday Trump asked Putin to spare the lives of Ukrainian soldiers in Russia's Kursk region.")
    no = probe.p_yes(prompts.support, claim=claim, sentence="The museum reopened in March after a long renovation.")
    assert 0 <= no < 0.5 < yes <= 1
