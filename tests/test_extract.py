from tests.fakes import extraction_reply, scripted, selection_reply
from verify.config import Settings
from verify.extract import Window, anchor, extract_abstractive, extract_extractive, windows
from verify.structured import StructuredLLM
from verify.models import Article
from verify.prompts import load_prompt

ARTICLE = Article.from_text(
    "Le Kremlin a déclaré vendredi que M. Poutine avait envoyé un message à M. Trump.\n\n"
    "Selon Dmitri Peskov, il y a des raisons d'être prudemment optimiste.",
    title="t", language="fr", source="a.txt")


def llm(chat):
    return StructuredLLM(chat, "fake", Settings(model="fake", max_attempts=2))


def test_exact_quote_is_anchored_verbatim():
    result = extract_abstractive(ARTICLE, llm(scripted(extraction_reply(
        ("M. Poutine avait envoyé un message à M. Trump", "Poutine a envoyé un message à Trump.",
         "Putin sent Trump a message.")))), load_prompt("extract_claims"), "r1")
    claim = result.claims[0]
    assert claim.anchor == "exact"
    assert ARTICLE.text[claim.span.start:claim.span.end] == "M. Poutine avait envoyé un message à M. Trump"
    assert claim.id == "r1-c000"


def test_paraphrased_quote_is_reanchored_by_fuzzy_match():
    span, kind, score = anchor("il y a des raisons d'etre prudemment optimistes", ARTICLE.text,
                               Window(0, ARTICLE.text))
    assert kind == "fuzzy" and score >= 85
    assert "prudemment optimiste" in ARTICLE.text[span.start:span.end]


def test_unlocatable_quote_is_flagged_not_given_a_span():
    result = extract_abstractive(ARTICLE, llm(scripted(extraction_reply(
        ("Zelensky a accusé Moscou de crimes de guerre", "Zelensky a accusé Moscou.", "Zelensky accused Moscow.")))),
        load_prompt("extract_claims"), "r1")
    claim = result.claims[0]
    assert claim.span is None and claim.anchor == "unlocated" and claim.flagged


def test_duplicates_from_overlapping_windows_are_merged():
    reply = extraction_reply(("Selon Dmitri Peskov", "Peskov est optimiste.", "Peskov is optimistic."))
    text = ("A" * 50 + ".\n\n") * 3 + "Selon Dmitri Peskov, tout va bien.\n\n" + ("B" * 50 + ".\n\n") * 3
    article = Article.from_text(text.strip(), title="t", language="fr", source="a")
    parts = windows(article.text, 200, 120)
    assert len(parts) >= 2 and sum("Peskov" in w.text for w in parts) >= 2
    result = extract_abstractive(article, llm(scripted(*[reply] * len(parts))), load_prompt("extract_claims"), "r",
                                 window_chars=200, overlap=120)
    assert len(result.claims) == 1


def test_windows_cover_the_whole_text_in_order():
    text = "\n\n".join(f"Paragraph {i} " + "x" * 80 for i in range(20))
    parts = windows(text, 500, 150)
    assert parts[0].start == 0 and parts[-1].start + len(parts[-1].text) == len(text)
    assert all(text[w.start:w.start + len(w.text)] == w.text for w in parts)
    assert all(a.start < b.start for a, b in zip(parts, parts[1:]))


def test_extractive_mode_turns_chosen_sentences_into_exact_claims():
    chat = scripted(selection_reply("S2"))
    result = extract_extractive(ARTICLE, llm(chat), load_prompt("select_claims"), "r")
    assert [c.text for c in result.claims] == ["Selon Dmitri Peskov, il y a des raisons d'être prudemment optimiste."]
    assert "S1: Le Kremlin a déclaré" in chat.prompts[0]


def test_failed_extraction_is_reported_not_hidden():
    result = extract_abstractive(ARTICLE, llm(scripted("not json", "{still not json")), load_prompt("extract_claims"), "r")
    assert result.claims == [] and len(result.failures) == 1
