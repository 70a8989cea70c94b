import numpy as np

from adcheck.explain import char_contributions, phrases


def test_char_contributions_spread_and_sum():
    values, offsets = char_contributions(
        doc=np.array([0, 0, 1]), start=np.array([0, 2, 1]), end=np.array([2, 4, 3]),
        weight=np.array([1.0, -2.0, 3.0]), doc_lengths=np.array([5, 4]),
    )
    assert offsets.tolist() == [0, 5, 9]
    assert np.allclose(values[:5], [0.5, 0.5, -1.0, -1.0, 0.0])
    assert np.allclose(values[5:], [0.0, 1.5, 1.5, 0.0])


def test_phrases_are_word_aligned_and_split_at_clause_ends():
    text = "오늘만 특가, 100% 효과 보장"
    contributions = np.zeros(len(text))
    contributions[text.index("오늘만")] = 0.8
    contributions[text.index("100%") : text.index("100%") + 4] = 0.5
    contributions[text.index("효과")] = 0.1
    contributions[text.index("보장")] = 0.6
    found = phrases(text, contributions, 5)
    assert [e.text for e in found] == ["100% 효과 보장", "오늘만"]
    assert all(text[e.start : e.end] == e.text for e in found)


def test_explanation_points_at_the_right_words(tiny_model):
    text = "정품 보장! 이 크림은 아토피를 완치합니다"
    result = tiny_model.score([text], explain=5)[0]
    assert result.evidence, "a clearly misleading text has evidence"
    top = result.evidence[0]
    assert text[top.start : top.end] == top.text
    english = "This supplement cures diabetes, guaranteed."
    result = tiny_model.score([english], explain=3)[0]
    assert any("cure" in e.text.lower() or "guarantee" in e.text.lower() for e in result.evidence)


def test_contributions_add_up_to_the_logit(tiny_model):
    text = "Clinically proven to cure eczema in 7 days. No side effects!"
    model = tiny_model
    from adcheck.features import extract_occurrences

    occ = extract_occurrences([text], model.spec)
    columns = model.vocabulary.columns(occ)
    matrix, norms = model.vocabulary.transform_with_norms(occ, columns)
    values, _ = model._char_contributions([text], occ, columns, norms)
    logit = float(model.risk_head.decision(matrix)[0])
    assert abs(values.sum() + model.risk_head.intercept - logit) < 1e-9
