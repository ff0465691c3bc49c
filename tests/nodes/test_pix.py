"""The Pix "copia e cola" code sent in WhatsApp Payments' order_details."""

from __future__ import annotations

from nodes.commerce.pix import crc16, static_code

BCB_EXAMPLE = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
    "5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)
"""The static BR Code example of Banco Central's "Manual de Padrões para Iniciação do Pix"."""


def test_the_code_matches_banco_centrals_published_example() -> None:
    code = static_code("123e4567-e12b-12d1-a456-426655440000", "Fulano de Tal", "BRASILIA",
                       amount_minor=None, txid="***")  # fmt: skip
    assert code == BCB_EXAMPLE


def test_amount_and_reference_are_in_the_code_and_the_crc_covers_them() -> None:
    code = static_code("12345678000199", "Padaria São João", "São Paulo",
                       amount_minor=3150, txid="P-501")  # fmt: skip
    assert "540531.50" in code  # field 54, length 05: "31.50"
    assert "5916Padaria Sao Joao" in code and "6009Sao Paulo" in code  # plain ASCII
    assert "62080504P501" in code  # txid without the dash
    assert code[-8:-4] == "6304" and code[-4:] == crc16(code[:-4])
