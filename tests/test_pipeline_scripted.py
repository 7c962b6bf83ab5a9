from tests.conftest import SEED_CLAIMS


def test_scripted_run_stores_claims_verdicts_and_citations(seeded_run):
    store = seeded_run.store
    claims = store.get_claims(seeded_run.run.id)
    assert [c.text for c in claims] == [text for _, text, _, _ in SEED_CLAIMS]
    assert all(c.anchor == "exact" for c in claims)
    for claim in claims:
        assert seeded_run.article.text[claim.span.start:claim.span.end] == claim.quote
    verdicts = store.get_verdicts(seeded_run.run.id)
    assert [verdicts[c.id].label.value for c in claims] == [label for *_, label in SEED_CLAIMS]
    assert seeded_run.run.status == "done"
    assert seeded_run.run.summary["verdicts"]["failed"] == 0


class Notes:
    def __init__(self):
        self.notes = []

    def start(self, stage, total):
        pass

    def advance(self, stage, n=1):
        pass

    def note(self, message):
        self.notes.append(message)


def test_resuming_with_other_settings_says_so(seeded_run):
    from tests.conftest import make_pipeline
    from tests.fakes import scripted

    pipeline = make_pipeline(scripted(), top_k=3)
    pipeline.progress = notes = Notes()
    outcome = pipeline.resume(seeded_run.run.id)
    assert outcome.run.status == "done"
    assert any("used top_k 5" in n for n in notes.notes)
