"""detect_language on the short, informal messages WhatsApp users actually send."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.split import TEST
from nodes.language import detect_language
from nodes.router.offline import load_examples


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi", "en"),
        ("hello", "en"),
        ("thanks", "en"),
        ("where is my order?", "en"),
        ("i cant remember my password help", "en"),
        ("hola", "es"),
        ("gracias", "es"),
        ("buenas tardes", "es"),
        ("¿dónde está mi pedido?", "es"),
        ("quiero hablar con una persona", "es"),
        ("necesito cambiar la dirección de envío", "es"),
        ("oi", "pt"),
        ("olá", "pt"),
        ("obrigado", "pt"),
        ("obrigada!", "pt"),
        ("valeu", "pt"),
        ("cadê meu pedido?", "pt"),
        ("quero falar com um atendente", "pt"),
        ("não consigo entrar na minha conta", "pt"),
        ("vocês aceitam pix?", "pt"),
        ("bom dia", "pt"),
    ],
)
def test_short_messages_get_the_right_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_undecidable_text_falls_back_to_the_default() -> None:
    assert detect_language("12345", default="es") == "es"
    assert detect_language("👍", default="pt") == "pt"
    assert detect_language("ok", default="pt") == "pt"
    assert detect_language("OK!!", default="es") == "es"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi, I placed an order last week and it still hasn't arrived, can you check?", "en"),
        ("Buenas tardes, quisiera saber si tienen envíos a Guadalajara y cuánto tardan", "es"),
        ("Boa tarde, gostaria de saber se vocês entregam em Curitiba e quanto custa o frete", "pt"),
        ("@AmazonHelp my package never came 😡 https://t.co/x", "en"),
        ("me cobraron dos veces el mismo pedido", "es"),
        ("a página de pagamento fica carregando", "pt"),
    ],
)
def test_longer_messages_get_the_right_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_held_out_rows_are_almost_all_detected_right() -> None:
    rows = load_examples(TEST)
    correct = sum(detect_language(row.text) == row.lang for row in rows)
    assert correct / len(rows) >= 0.97


def test_portuguese_and_spanish_near_twins_are_told_apart() -> None:
    assert detect_language("quiero cancelar mi pedido") == "es"
    assert detect_language("quero cancelar meu pedido") == "pt"


def test_the_character_model_predicts_what_scikit_learn_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Read back from the model cache (plain arrays), the character model gives the
    numbers of the fitted `CountVectorizer` + `MultinomialNB`, without scikit-learn."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB

    from nodes import language
    from nodes.router import embeddings

    monkeypatch.setattr(embeddings, "_cache_dir", tmp_path)
    texts = ["hola quiero una caneca", "oi quero uma caneca", "hi i want a mug", "gracias"]
    langs = ["es", "pt", "en", "es"]
    vectorizer = CountVectorizer(analyzer="char_wb", ngram_range=language.CHAR_NGRAMS)
    model = MultinomialNB(alpha=language.NB_ALPHA).fit(vectorizer.fit_transform(texts), langs)
    ours = language._CharModel(language._CharModel.fit(texts, langs))
    for text in ["hola", "obrigado pela ajuda", "where is  my order", "zzz", "", "¿qué?"]:
        expected = model.predict_log_proba(vectorizer.transform([text]))[0]
        got = ours.log_probabilities(text)
        assert [got[name] for name in model.classes_] == pytest.approx(expected, abs=1e-9)

    language._char_model.cache_clear()
    try:
        language.warm_up()  # fitted on the train split and stored
        (entry,) = tmp_path.glob(f"{language.CHAR_MODEL_CACHE}-*.npz")
        stored = entry.stat().st_mtime_ns
        language._char_model.cache_clear()
        assert language.detect_language("quiero comprar una caneca azul") == "es"
        assert entry.stat().st_mtime_ns == stored, "read from the cache, not fitted again"
    finally:
        language._char_model.cache_clear()
