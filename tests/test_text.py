from verify.text import passages, split_sentences

TEXT = ("M. Trump a parlé vendredi. Le Kremlin a répondu samedi !\n\n"
        "Selon M. Peskov, la réunion était longue. Elle a duré trois heures.")


def test_sentence_offsets_point_at_the_exact_text():
    spans = split_sentences(TEXT, "fr")
    sentences = [TEXT[s:e] for s, e in spans]
    assert sentences == ["M. Trump a parlé vendredi.", "Le Kremlin a répondu samedi !",
                         "Selon M. Peskov, la réunion était longue.", "Elle a duré trois heures."]


def test_passages_hold_whole_sentences_and_follow_paragraphs():
    groups = list(passages(TEXT, "fr", target_chars=40))
    assert all(len(g) >= 1 for g in groups)
    flat = [span for group in groups for span in group]
    assert flat == split_sentences(TEXT, "fr")
    # a passage never spans the paragraph break once it has half the target
    assert all("\n\n" not in TEXT[g[0][0]:g[-1][1]] for g in groups)


def test_extraction_windows_and_sentences_break_paragraphs_at_the_same_lines():
    """One paragraph rule: a whitespace-only line ends a paragraph for extraction windows as it does for
    sentences (extraction used to need a truly empty line, so its windows could cut elsewhere)."""
    from verify.extract import windows
    from verify.text import paragraphs

    text = "First paragraph, first sentence. Second sentence.\n   \nSecond paragraph starts here."
    blocks = [(start, start + len(block)) for start, block in paragraphs(text)]
    assert len(blocks) == 2
    assert [w.start for w in windows(text, size=60, overlap=0)] == [start for start, _ in blocks]


def test_a_title_after_an_opening_quote_stays_with_its_sentence():
    # pysbd cuts '"M.' off "Poutine a déclaré..." (the seed article's own sentence): a 3-character "claim".
    text = '"Il y a des raisons", a déclaré M. Peskov. "M. Poutine a déclaré qu\'il soutenait la position. Non. Oui.'
    assert [text[s:e] for s, e in split_sentences(text, "fr")] == [
        '"Il y a des raisons", a déclaré M. Peskov.', '"M. Poutine a déclaré qu\'il soutenait la position.',
        "Non.", "Oui."]
