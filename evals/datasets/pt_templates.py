# ruff: noqa: E501  (data: one template pattern per line reads better unwrapped)
"""Templates for the PT rows (see build_es_pt.py): {a|b} alternatives, <ORD> = {{Order Number}}."""

from __future__ import annotations

NUM = "{|<ORD>|#4471|nº 10293|numero 5582|12876}"
TEMPLATES = [
    (
        "info",
        "opening_hours",
        45,
        [
            "{abre|vcs abrem|vocês abrem|estão abertos|funciona|atendem|abrem} {domingo|no domingo|aos sábados|sábado|hoje|hj|amanhã|no feriado|dia 24|dia 31|esse fds|segunda de carnaval|ao domingo}{?|??| pf?}",
            "{oi|olá|boa tarde|bom dia}{,|} que horas {vcs abrem|vocês fecham|abre|fecha} {hoje|amanhã|no sábado|domingo|durante a semana}{?|}",
            "{qual|me passa|qual é} o horário {de atendimento|de funcionamento|da loja|de hoje|do fim de semana}{?|}",
        ],
    ),
    (
        "info",
        "location",
        30,
        [
            "{tem|vocês têm|vcs tem|têm} {loja|unidade|filial} {em|no|na} {Campinas|Belo Horizonte|Porto Alegre|Fortaleza|Manaus|Goiânia|Braga|Coimbra|Faro|Florianópolis|Brasília|Santos}?",
            "{onde|aonde} {fica|é} a {loja|unidade|filial} {do centro|da zona sul|do shopping|de Pinheiros|de Copacabana|do Chiado}?",
        ],
    ),
    (
        "info",
        "shipping_options",
        45,
        [
            "{vocês entregam|vcs entregam|entregam|fazem entrega|enviam|mandam} {em|para|pra} {Curitiba|Recife|Salvador|Belém|Natal|Manaus|o interior|todo o Brasil|Lisboa|Porto|Madeira|minha cidade|Angola}{?|??| pf?}",
            "{quanto|qto|qual o valor do} {é o frete|custa o frete|frete|fica o frete} {pra|para} {São Paulo|Rio|BH|Porto Alegre|Lisboa|Brasília|o Paraná}?",
            "{quanto tempo|quantos dias} {demora|leva} {a entrega|o envio|pra chegar} {em|pra|para} {Goiânia|Fortaleza|Campinas|Braga|Vitória|Maceió}?",
        ],
    ),
    (
        "info",
        "payment_methods",
        45,
        [
            "{aceitam|aceita|vcs aceitam|posso pagar com|dá pra pagar com|pode ser no} {cartão|crédito|débito|pix|boleto|dinheiro|vale refeição|paypal|mercado pago|picpay|MB Way|multibanco|elo|apple pay}{?|??| ou só pix?}",
            "{gostaria de saber|queria saber|uma dúvida,|me diz} {quais|que} {formas|meios|métodos} de pagamento {vocês aceitam|vcs aceitam|tem|aceitam}",
        ],
    ),
    (
        "info",
        "refund_policy",
        25,
        [
            "{quantos dias|quanto tempo|qual o prazo que} tenho {pra|para} {devolver|trocar|pedir devolução de} {um produto|roupa|um celular|o que comprei|um artigo}?",
            "{qual é|qual|me explica|queria saber} {a política|a politica|as regras|as condições} de {troca|devolução|reembolso|garantia}",
        ],
    ),
    (
        "info",
        "cancellation_fee",
        12,
        [
            "{tem|cobram|há} {alguma taxa|multa|taxa|custo} {pra|para|se eu} {cancelar|cancelo} {um pedido|a compra|a reserva|o plano|a encomenda}?",
        ],
    ),
    (
        "info",
        "contact_info",
        12,
        [
            "{qual é|qual|me passa|me dá} {o telefone|o número|o email|o whatsapp|o contato} {do SAC|do atendimento|do suporte|do financeiro|de vendas|do apoio ao cliente}?",
        ],
    ),
    (
        "commerce",
        "cancel_order",
        40,
        [
            "{quero|preciso|queria|gostaria de} cancelar {meu pedido|o pedido|minha compra|a compra|a encomenda|minha encomenda} "
            + NUM,
            "{como cancelo|como faço pra cancelar|como posso cancelar} {meu pedido|o pedido|a compra|a encomenda} "
            + NUM
            + "{?|}",
        ],
    ),
    (
        "commerce",
        "track_order",
        55,
        [
            "{cadê|cade|onde está|onde tá|onde anda} {meu pedido|minha compra|minha encomenda|o pacote} "
            + NUM
            + "{?|??|}",
            "{quando|qnd|qdo} {chega|vai chegar|entregam|sai} {meu pedido|minha compra|a encomenda|o pedido} "
            + NUM
            + "{?|}",
            "{status|situação|rastreio|acompanhamento} {do meu pedido|do pedido|da encomenda|da compra} "
            + NUM,
            "{oi|olá|bom dia}{,|} {queria|quero|gostaria de} saber {o status|onde está|quando chega} {do meu pedido|meu pedido|minha compra} "
            + NUM,
        ],
    ),
    (
        "commerce",
        "product_price",
        45,
        [
            "{quanto|qto|quanto que} {custa|tá|é|sai} {a pizza grande|o combo 2|o x-salada|o iphone 13|o samsung a15|o tênis nike|a camiseta branca|o kg do queijo|a dúzia|o plano básico|a capinha|o perfume|o açaí de 500|o fone}{?|??| pf}",
            "{preço|valor} {da|do} {mochila|teclado|vestido azul|cafeteira|colchão|creme|bola|monitor de 24}{?|}",
        ],
    ),
    (
        "commerce",
        "stock_availability",
        40,
        [
            "{tem|vocês têm|vcs tem|ainda tem|ainda há} {a mochila preta|o iphone 14|tênis 40|a camisa no G|pizza de frango|o perfume pequeno|o monitor de 27|carregador de iphone|o creme de 500ml|o vestido vermelho} {disponível|em estoque|ainda|}{?|}",
        ],
    ),
    (
        "commerce",
        "place_order",
        50,
        [
            "{quero|me vê|me manda|manda|queria|vou querer} {1|uma|2|duas|3|três|meia dúzia de} {pizzas|esfihas|x-burguers|cocas|caixas de água|coxinhas|pastéis|temakis|cafés} {pra viagem|pra entrega|pf|por favor|}",
            "{quero|queria|gostaria de} {comprar|pedir|encomendar} {o iphone 15|a cafeteira|um tênis|o combo família|um bolo|a capinha preta|o plano de 30 giga}",
        ],
    ),
    (
        "commerce",
        "invoice",
        15,
        [
            "{preciso da|quero a|me manda a|me envia a} {nota fiscal|fatura|segunda via|nota} {do meu pedido|da minha compra|da encomenda} "
            + NUM,
        ],
    ),
    (
        "commerce",
        "change_order",
        15,
        [
            "{quero|preciso|posso} {mudar|alterar|editar} {meu pedido|o pedido|minha compra|a encomenda} "
            + NUM
            + "{?|}",
        ],
    ),
    (
        "commerce",
        "shipping_address",
        12,
        [
            "{quero|preciso|posso} {mudar|trocar|alterar} o endereço de entrega {do meu pedido|do pedido|da compra} "
            + NUM
            + "{?|}",
        ],
    ),
    (
        "support",
        "late_order",
        45,
        [
            "{meu pedido|minha compra|minha encomenda|o pedido} "
            + NUM
            + " {não chegou|nao chegou|ainda não chegou|tá atrasado|está atrasado|nunca chegou|não foi entregue}{|!|!!| 😡| e o prazo já passou}",
            "{faz|tô esperando faz|já faz} {uma hora|2 horas|uma semana|10 dias|um mês} {e nada do meu pedido|que pedi e nada|esperando a entrega|e não chegou}",
        ],
    ),
    (
        "support",
        "damaged_item",
        30,
        [
            "{o produto|meu pedido|a encomenda|o liquidificador|o celular|a tv|a cadeira|o perfume} {chegou|veio} {quebrado|danificado|amassado|com defeito|aberto|sem funcionar}",
        ],
    ),
    (
        "support",
        "wrong_item",
        20,
        [
            "{veio|recebi|mandaram|me enviaram} {outro produto|o tamanho errado|a cor errada|o modelo errado|o pedido incompleto|uma coisa que não pedi}",
        ],
    ),
    (
        "support",
        "request_refund",
        40,
        [
            "{quero|preciso|gostaria de|exijo} {reembolso|o reembolso|meu dinheiro de volta|o estorno|a devolução do dinheiro} {do|da} {meu pedido|compra|encomenda|produto} "
            + NUM,
            "{como|como faço pra} {pedir|solicitar|receber|conseguir} {reembolso|o reembolso|o estorno|meu dinheiro de volta}{?|}",
        ],
    ),
    (
        "support",
        "payment_issue",
        30,
        [
            "{fui cobrado|me cobraram|cobraram} {duas vezes|em dobro|a mais|sem eu pedir|o frete} {no cartão|na fatura|no pedido|}{|!!|?}",
            "{não consigo|não dá pra|dá erro pra} pagar {no cartão|no pix|com boleto|no app|com paypal}",
        ],
    ),
    (
        "support",
        "login_problem",
        35,
        [
            "{não consigo|nao consigo|não dá pra} {entrar na|acessar a|logar na|fazer login na} {minha conta|conta|app|no site}{| desde ontem| me ajuda}",
            "{esqueci|perdi} {minha senha|a senha|meu usuário|o acesso da conta|a palavra-passe}{| me ajuda| e agora?}",
        ],
    ),
    (
        "support",
        "human_agent",
        40,
        [
            "{quero|preciso|posso} falar com {uma pessoa|um atendente|um humano|alguém|um operador|uma pessoa de verdade|um atendente humano}{| por favor| agora| urgente|, não com robô}",
            "{me passa|me transfere|me encaminha} {pra|para} {um atendente|uma pessoa|um humano|o suporte|o SAC}{| pf}",
        ],
    ),
    (
        "support",
        "complaint",
        25,
        [
            "{quero|preciso|vou} {fazer|registrar|abrir|deixar} {uma reclamação|uma queixa|uma denúncia} {pelo péssimo atendimento|contra o entregador|sobre meu pedido|}",
        ],
    ),
]

FRAMES = [
    "preciso de ajuda pra {p}",
    "pode me ajudar a {p}?",
    "como posso {p}?",
    "quero {p}",
    "onde eu consigo {p}?",
    "gostaria de {p}",
    "pode me dizer como {p}?",
    "não sei como {p}",
    "o que tenho que fazer pra {p}?",
    "é possível {p}?",
    "me ajuda a {p}",
    "queria {p}",
    "oi, preciso {p}",
    "boa tarde, podem me ajudar a {p}?",
    "tenho que {p}",
]
PREDICATES = [
    (
        "commerce",
        "cancel_order",
        [
            "cancelar meu pedido {{Order Number}}",
            "cancelar a compra {{Order Number}}",
            "cancelar uma encomenda que fiz",
        ],
    ),
    (
        "commerce",
        "change_order",
        ["alterar meu pedido {{Order Number}}", "trocar alguns itens do meu pedido"],
    ),
    (
        "commerce",
        "place_order",
        ["fazer um pedido", "comprar alguns produtos", "fazer uma compra de {{Product}}"],
    ),
    (
        "commerce",
        "track_order",
        [
            "consultar o status do meu pedido",
            "rastrear o pedido {{Order Number}}",
            "saber quando chega minha compra",
        ],
    ),
    (
        "commerce",
        "invoice",
        [
            "baixar a fatura {{Invoice Number}}",
            "ver minhas notas fiscais",
            "pegar a nota fiscal da minha compra",
        ],
    ),
    (
        "commerce",
        "shipping_address",
        ["mudar o endereço de entrega", "cadastrar um novo endereço de entrega"],
    ),
    ("support", "login_problem", ["recuperar minha senha", "redefinir a senha da minha conta"]),
    (
        "support",
        "account",
        [
            "criar uma conta",
            "excluir minha conta",
            "editar os dados da minha conta",
            "mudar pra conta {{Account Type}}",
        ],
    ),
    ("support", "request_refund", ["pedir um reembolso", "receber meu dinheiro de volta"]),
    ("support", "track_refund", ["consultar o status do meu reembolso"]),
    (
        "support",
        "complaint",
        ["registrar uma reclamação", "deixar uma avaliação do serviço", "fazer uma queixa"],
    ),
    ("support", "human_agent", ["falar com um atendente humano", "falar com uma pessoa"]),
    (
        "support",
        "payment_issue",
        ["reportar um problema no pagamento", "resolver uma cobrança duplicada"],
    ),
    ("support", "account", ["relatar um erro no cadastro"]),
    (
        "info",
        "shipping_options",
        [
            "consultar as opções de envio",
            "saber os prazos de entrega",
            "conhecer as formas de entrega",
        ],
    ),
    (
        "info",
        "payment_methods",
        ["ver as formas de pagamento", "saber quais meios de pagamento vocês aceitam"],
    ),
    (
        "info",
        "refund_policy",
        ["conhecer a política de reembolso", "consultar a política de trocas"],
    ),
    (
        "info",
        "cancellation_fee",
        ["saber a taxa de cancelamento", "consultar a multa por cancelamento"],
    ),
    (
        "info",
        "contact_info",
        ["entrar em contato com o SAC", "achar o telefone do atendimento ao cliente"],
    ),
    ("info", "newsletter", ["assinar a newsletter", "sair da lista de emails"]),
]
FRAME_SAMPLES = {"info": 60, "commerce": 80, "support": 80}
TYPO_SAMPLES = 110
OPENERS = ["oi, ", "olá, ", "boa tarde, ", "bom dia! ", "@LojaOficial ", "@ajuda_suporte ",
           "oi gente, ", "com licença, ", "uma dúvida: ", "eae, "]  # fmt: skip
