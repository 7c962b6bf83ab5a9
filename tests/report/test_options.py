def test_verbatim_claims_do_not_pretend_to_have_an_english_form(seeded_run):
    from verify.report import render_report

    store = seeded_run.store
    claims = store.get_claims(seeded_run.run.id)
    store.save_claims([claims[0].model_copy(update={"text_en": claims[0].text})])
    for fmt in ("md", "html"):
        out = render_report(store, seeded_run.run.id, fmt).decode()
        assert out.count("no English form (claim taken verbatim from the article)") == 1
