"""evals.familiarity: which test rows count as "unfamiliar" (no near-copy in train)."""

from __future__ import annotations

from evals.familiarity import UNFAMILIAR_BELOW, is_unfamiliar, nearest_similarity

TRAIN = [
    "where is my order?",
    "I want to return the blue mug",
    "¿a qué hora abren mañana?",
    "meu pacote chegou quebrado",
]


def test_a_copy_is_familiar_and_a_rephrasing_is_not() -> None:
    exact, decorated, rephrased, other_language = nearest_similarity(
        [
            "where is my order?",
            "hello! where is my order pls",
            "has my parcel shipped yet",
            "o pedido ainda não saiu",
        ],
        TRAIN,
    )
    assert exact == 1.0
    assert not is_unfamiliar(decorated), decorated
    assert is_unfamiliar(rephrased), rephrased
    assert is_unfamiliar(other_language), other_language


def test_accents_and_case_do_not_make_a_row_unfamiliar() -> None:
    [similarity] = nearest_similarity(["A QUE HORA ABREN MANANA"], TRAIN)
    assert similarity >= UNFAMILIAR_BELOW


def test_no_training_rows_means_everything_is_unfamiliar() -> None:
    assert nearest_similarity(["hi"], []) == [0.0]
    assert nearest_similarity([], TRAIN) == []
