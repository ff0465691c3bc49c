# ruff: noqa: E501  (a table of sentences reads better unwrapped)
"""Every sentence the lanes say, in English, Spanish and Portuguese.

`say("key", language, **values)` formats one; a missing language falls back to English.
Button titles stay within WhatsApp's 20 characters (checked by a test).
"""

from __future__ import annotations

from graph.session.contract import Language

TEXTS: dict[str, dict[Language, str]] = {
    "clarify": {
        "en": "Just to be sure I help with the right thing: is this about {offers}?",
        "es": "Para ayudarte mejor: ¿es sobre {offers}?",
        "pt": "Para ajudar melhor: é sobre {offers}?",
    },
    "menu": {
        "en": "I can help with {offers}. What do you need?",
        "es": "Puedo ayudarte con {offers}. ¿Qué necesitas?",
        "pt": "Posso ajudar com {offers}. Do que você precisa?",
    },
    "menu.section": {"en": "I can help with", "es": "Puedo ayudarte con", "pt": "Posso ajudar com"},
    "menu.button": {"en": "See options", "es": "Ver opciones", "pt": "Ver opções"},
    "word.or": {"en": "or", "es": "o", "pt": "ou"},
    "greeting": {
        "en": "Hi{name}! Welcome to {business}. I can tell you our hours and locations, help you shop, or sort out a problem.",
        "es": "¡Hola{name}! Bienvenido a {business}. Te cuento horarios y locales, te ayudo a comprar o a resolver un problema.",
        "pt": "Oi{name}! Bem-vindo à {business}. Posso informar horários e lojas, ajudar você a comprar ou resolver um problema.",
    },
    "thanks": {
        "en": "You're welcome! Anything else I can do for you?",
        "es": "¡De nada! ¿Algo más en lo que pueda ayudarte?",
        "pt": "De nada! Posso ajudar em mais alguma coisa?",
    },
    "declined": {
        "en": "No problem. Anything else I can do for you?",
        "es": "Sin problema. ¿Algo más en lo que pueda ayudarte?",
        "pt": "Sem problema. Posso ajudar em mais alguma coisa?",
    },
    "ack": {
        "en": "Okay! Anything else I can do for you?",
        "es": "¡Perfecto! ¿Algo más en lo que pueda ayudarte?",
        "pt": "Certo! Posso ajudar em mais alguma coisa?",
    },
    "goodbye": {
        "en": "Bye! Thanks for writing to {business}. If you need anything else, just send a message here.",
        "es": "¡Hasta luego! Gracias por escribir a {business}. Si necesitas algo más, escríbenos por aquí.",
        "pt": "Até logo! Obrigado pelo contato. Se precisar de mais alguma coisa, é só mandar uma mensagem aqui.",
    },
    "small_talk": {
        "en": "Good to hear from you! 😊 I can help with {offers}. What do you need?",
        "es": "¡Qué bueno saber de ti! 😊 Puedo ayudarte con {offers}. ¿Qué necesitas?",
        "pt": "Que bom falar com você! 😊 Posso ajudar com {offers}. Do que você precisa?",
    },
    "small_talk.how_are_you": {
        "en": "I'm doing well, thanks for asking! 😊 I can help with {offers}. What do you need?",
        "es": "¡Muy bien, gracias por preguntar! 😊 Puedo ayudarte con {offers}. ¿Qué necesitas?",
        "pt": "Tudo ótimo, obrigado por perguntar! 😊 Posso ajudar com {offers}. Do que você precisa?",
    },
    "capabilities": {
        "en": "Sure! I'm {business}'s virtual assistant. I can help with {offers}. What do you need?",
        "es": "¡Claro! Soy el asistente virtual de {business}. Puedo ayudarte con {offers}. ¿Qué necesitas?",
        "pt": "Claro! Sou o assistente virtual da {business}. Posso ajudar com {offers}. Do que você precisa?",
    },
    "bot_identity": {
        "en": "I'm {business}'s virtual assistant: an automated program, not a person.",
        "es": "Soy el asistente virtual de {business}: un programa automático, no una persona.",
        "pt": "Sou o assistente virtual da {business}: um programa automático, não uma pessoa.",
    },
    "bot_identity.offer": {
        "en": "Would you like to talk to a person from our team?",
        "es": "¿Quieres hablar con una persona de nuestro equipo?",
        "pt": "Quer falar com uma pessoa da nossa equipe?",
    },
    "bot_identity.alone": {
        "en": "I can help with {offers}.",
        "es": "Puedo ayudarte con {offers}.",
        "pt": "Posso ajudar com {offers}.",
    },
    "support.ack": {
        "en": "Okay. We'll follow up on ticket {number} right here. Anything else I can do for you?",
        "es": "Perfecto. Te daremos seguimiento del ticket {number} por aquí. ¿Algo más en lo que pueda ayudarte?",
        "pt": "Certo. Vamos acompanhar o chamado {number} por aqui. Posso ajudar em mais alguma coisa?",
    },
    "open.yes": {
        "en": "Yes, we're open now until {time} ({zone} time).",
        "es": "Sí, estamos abiertos ahora hasta las {time} (hora de {zone}).",
        "pt": "Sim, estamos abertos agora até as {time} (horário de {zone}).",
    },
    "open.no": {
        "en": "We're closed right now. We open again {day} at {time} ({zone} time).",
        "es": "Ahora estamos cerrados. Abrimos de nuevo {day} a las {time} (hora de {zone}).",
        "pt": "Estamos fechados agora. Abrimos de novo {day} às {time} (horário de {zone}).",
    },
    "open.today": {"en": "today", "es": "hoy", "pt": "hoje"},
    "open.tomorrow": {"en": "tomorrow", "es": "mañana", "pt": "amanhã"},
    "hours.title": {"en": "Our opening hours:", "es": "Nuestro horario:", "pt": "Nosso horário:"},
    "hours.closed": {"en": "closed", "es": "cerrado", "pt": "fechado"},
    "hours.day_open": {
        "en": "{day}{note} we're open {hours}.",
        "es": "{day}{note} abrimos {hours}.",
        "pt": "{day}{note} abrimos {hours}.",
    },
    "hours.day_closes": {
        "en": "{day}{note} we close at {time}.",
        "es": "{day}{note} cerramos a las {time}.",
        "pt": "{day}{note} fechamos às {time}.",
    },
    "hours.day_closed": {
        "en": "{day}{note} we're closed.",
        "es": "{day}{note} estamos cerrados.",
        "pt": "{day}{note} estamos fechados.",
    },
    "locations.no_detail": {
        "en": "I don't have information about parking or access at our shops, sorry.",
        "es": "No tengo información sobre estacionamiento o accesos en nuestras tiendas, disculpa.",
        "pt": "Não tenho informação sobre estacionamento ou acesso nas nossas lojas, desculpe.",
    },
    "locations.title": {
        "en": "You can find us at:",
        "es": "Nos encuentras en:",
        "pt": "Você nos encontra em:",
    },
    "info.unknown": {
        "en": "I don't have that information, sorry. I can tell you our hours, locations, shipping, payment and returns.",
        "es": "No tengo esa información, lo siento. Puedo contarte horarios, locales, envíos, pagos y devoluciones.",
        "pt": "Não tenho essa informação, desculpe. Posso informar horários, lojas, entregas, pagamentos e trocas.",
    },
    "info.unclear": {
        "en": "Sorry, I didn't understand that. I can help with {offers}. What do you need?",
        "es": "Perdona, no entendí. Puedo ayudarte con {offers}. ¿Qué necesitas?",
        "pt": "Desculpe, não entendi. Posso ajudar com {offers}. Do que você precisa?",
    },
    "catalog.body": {
        "en": "Here is what we have. Pick one to see details:",
        "es": "Esto es lo que tenemos. Elige uno para ver detalles:",
        "pt": "Veja o que temos. Escolha um para ver os detalhes:",
    },
    "catalog.button": {"en": "See products", "es": "Ver productos", "pt": "Ver produtos"},
    "catalog.section": {"en": "Products", "es": "Productos", "pt": "Produtos"},
    "catalog.empty": {
        "en": "We have no products to show right now.",
        "es": "Ahora no tenemos productos para mostrar.",
        "pt": "No momento não temos produtos para mostrar.",
    },
    "product.price": {"en": "{name}: {price}.", "es": "{name}: {price}.", "pt": "{name}: {price}."},
    "product.in_stock": {
        "en": "{stock} in stock.",
        "es": "Quedan {stock}.",
        "pt": "{stock} em estoque.",
    },
    "product.offer": {
        "en": "Shall I add it to your cart?",
        "es": "¿Lo agrego a tu carrito?",
        "pt": "Quer que eu adicione ao carrinho?",
    },
    "product.offer_quantity": {
        "en": "Shall I add {quantity} to your cart?",
        "es": "¿Agrego {quantity} a tu carrito?",
        "pt": "Quer que eu adicione {quantity} ao carrinho?",
    },
    "product.out_of_stock": {
        "en": "{name}: {price}, but it is out of stock right now.",
        "es": "{name}: {price}, pero ahora no nos queda stock.",
        "pt": "{name}: {price}, mas no momento está sem estoque.",
    },
    "button.add": {"en": "Add to cart", "es": "Agregar al carrito", "pt": "Adicionar"},
    "button.catalog": {"en": "See products", "es": "Ver productos", "pt": "Ver produtos"},
    "cart.added": {
        "en": "Added {quantity} × {name} to your cart.",
        "es": "Agregué {quantity} × {name} a tu carrito.",
        "pt": "Adicionei {quantity} × {name} ao seu carrinho.",
    },
    "cart.summary": {"en": "Your cart:", "es": "Tu carrito:", "pt": "Seu carrinho:"},
    "cart.total": {"en": "Total: {total}", "es": "Total: {total}", "pt": "Total: {total}"},
    "cart.empty": {
        "en": "Your cart is empty. Want to see our products?",
        "es": "Tu carrito está vacío. ¿Quieres ver nuestros productos?",
        "pt": "Seu carrinho está vazio. Quer ver nossos produtos?",
    },
    "cart.line": {
        "en": "• {quantity} × {name} ({unit} each): {total}",
        "es": "• {quantity} × {name} ({unit} c/u): {total}",
        "pt": "• {quantity} × {name} ({unit} cada): {total}",
    },
    "cart.next_step": {
        "en": "Ready to check out, or would you like to see more products?",
        "es": "¿Pasamos a pagar o quieres ver más productos?",
        "pt": "Vamos finalizar a compra ou quer ver mais produtos?",
    },
    "cart.limit_stock": {
        "en": "Only {available} of {name} left, so I added {added}.",
        "es": "Solo quedan {available} de {name}, así que agregué {added}.",
        "pt": "Só restam {available} de {name}, então adicionei {added}.",
    },
    "cart.limit_stock_set": {
        "en": "Only {available} left, so your cart has {available}.",
        "es": "Solo quedan {available}, así que tu carrito tiene {available}.",
        "pt": "Só restam {available}, então seu carrinho tem {available}.",
    },
    "cart.limit_stock_full": {
        "en": "You already have all {available} {name} we have in your cart; I couldn't add more.",
        "es": "Ya tienes en tu carrito las {available} unidades de {name} que nos quedan; no pude agregar más.",
        "pt": "Você já tem no carrinho as {available} unidades de {name} que temos; não consegui adicionar mais.",
    },
    "cart.limit_max": {
        "en": "One order can take at most {available} of a product, so I added {added} × {name}.",
        "es": "Un pedido puede llevar como máximo {available} de un producto, así que agregué {added} × {name}.",
        "pt": "Um pedido pode levar no máximo {available} de um produto, então adicionei {added} × {name}.",
    },
    "cart.limit_max_set": {
        "en": "One order can take at most {available} of a product, so your cart has {available}.",
        "es": "Un pedido puede llevar como máximo {available} de un producto, así que tu carrito tiene {available}.",
        "pt": "Um pedido pode levar no máximo {available} de um produto, então seu carrinho tem {available}.",
    },
    "cart.limit_max_full": {
        "en": "You already have {available} {name} in your cart, the most one order can take.",
        "es": "Ya tienes {available} de {name} en tu carrito, el máximo por pedido.",
        "pt": "Você já tem {available} de {name} no carrinho, o máximo por pedido.",
    },
    "cart.not_added": {
        "en": "Okay, I won't add {name}.",
        "es": "De acuerdo, no agrego {name}.",
        "pt": "Tudo bem, não vou adicionar {name}.",
    },
    "cart.not_added_held": {
        "en": "It is already in your cart ({quantity} ×). Shall I take it out?",
        "es": "Ya está en tu carrito ({quantity} ×). ¿Lo quito?",
        "pt": "Já está no seu carrinho ({quantity} ×). Quer que eu tire?",
    },
    "cart.zero_quantity": {
        "en": "Zero adds nothing, so your cart is unchanged. To add {name}, write how many, "
        'for example: "add 2 {name}".',
        "es": "Cero no agrega nada, así que tu carrito no cambió. Para agregar {name}, escribe "
        'cuántas unidades, por ejemplo: "agrega 2 {name}".',
        "pt": "Zero não adiciona nada, então seu carrinho não mudou. Para adicionar {name}, "
        'escreva quantas unidades, por exemplo: "adiciona 2 {name}".',
    },
    "cart.nothing_added": {
        "en": "Okay, I won't add anything.",
        "es": "De acuerdo, no agrego nada.",
        "pt": "Tudo bem, não vou adicionar nada.",
    },
    "cart.removed": {
        "en": "Removed {name} from your cart.",
        "es": "Quité {name} de tu carrito.",
        "pt": "Tirei {name} do seu carrinho.",
    },
    "cart.removed_some": {
        "en": "Took {quantity} × {name} out of your cart.",
        "es": "Quité {quantity} × {name} de tu carrito.",
        "pt": "Tirei {quantity} × {name} do seu carrinho.",
    },
    "cart.not_in_cart": {
        "en": "{name} is not in your cart.",
        "es": "{name} no está en tu carrito.",
        "pt": "{name} não está no seu carrinho.",
    },
    "cart.which_remove": {
        "en": "Which product should I take out of your cart?",
        "es": "¿Qué producto quito de tu carrito?",
        "pt": "Qual produto devo tirar do seu carrinho?",
    },
    "cart.which_change": {
        "en": "Which product should I change? Tell me the product and the new quantity.",
        "es": "¿Qué producto cambio? Dime el producto y la nueva cantidad.",
        "pt": "Qual produto devo alterar? Diga o produto e a nova quantidade.",
    },
    "cart.how_many": {
        "en": "How many {name} would you like in your cart?",
        "es": "¿Cuántas unidades de {name} quieres en tu carrito?",
        "pt": "Quantas unidades de {name} você quer no carrinho?",
    },
    "cart.quantity_set": {
        "en": "Done: {quantity} × {name} in your cart.",
        "es": "Listo: {quantity} × {name} en tu carrito.",
        "pt": "Pronto: {quantity} × {name} no seu carrinho.",
    },
    "cart.emptied": {
        "en": "Done, I emptied your cart.",
        "es": "Listo, vacié tu carrito.",
        "pt": "Pronto, esvaziei seu carrinho.",
    },
    "cart.already_empty": {
        "en": "Your cart is already empty.",
        "es": "Tu carrito ya está vacío.",
        "pt": "Seu carrinho já está vazio.",
    },
    "cart.expired": {
        "en": "Your earlier cart expired (carts are kept for {hours} hours), so it is empty now.",
        "es": "Tu carrito anterior venció (los carritos se guardan {hours} horas), así que ahora está vacío.",
        "pt": "Seu carrinho anterior expirou (os carrinhos ficam guardados por {hours} horas), então agora está vazio.",
    },
    "commerce.go_on": {
        "en": "Sure! What would you like? I can show you our products or your cart.",
        "es": "¡Claro! ¿Qué te gustaría? Puedo mostrarte nuestros productos o tu carrito.",
        "pt": "Claro! O que você gostaria? Posso mostrar nossos produtos ou seu carrinho.",
    },
    "cart.button": {"en": "Choose", "es": "Elegir", "pt": "Escolher"},
    "cart.section": {"en": "Your cart", "es": "Tu carrito", "pt": "Seu carrinho"},
    "button.remove": {"en": "Remove it", "es": "Quitarlo", "pt": "Tirar"},
    "button.cart": {"en": "See cart", "es": "Ver carrito", "pt": "Ver carrinho"},
    "support.ask": {
        "en": "Sorry you're having trouble. Tell me what happened (and your order number, if there is one), or talk to a person.",
        "es": "Lamento que tengas un problema. Cuéntame qué pasó (y tu número de pedido, si lo hay) o habla con una persona.",
        "pt": "Sinto muito pelo problema. Conte o que aconteceu (e o número do pedido, se houver) ou fale com uma pessoa.",
    },
    "support.ticket": {
        "en": "I'm sorry about that. I've opened ticket {number} so our team can look into it. Would you like to talk to a person?",
        "es": "Lamento lo ocurrido. Abrí el ticket {number} para que nuestro equipo lo revise. ¿Quieres hablar con una persona?",
        "pt": "Sinto muito. Abri o chamado {number} para nossa equipe analisar. Quer falar com uma pessoa?",
    },
    "support.no_human": {
        "en": "No problem. We'll follow up on ticket {number} right here.",
        "es": "Sin problema. Te daremos seguimiento del ticket {number} por aquí.",
        "pt": "Sem problema. Vamos acompanhar o chamado {number} por aqui.",
    },
    "support.noted": {
        "en": "Thanks, I've added that to ticket {number}.",
        "es": "Gracias, lo agregué al ticket {number}.",
        "pt": "Obrigado, adicionei isso ao chamado {number}.",
    },
    "button.human": {
        "en": "Talk to a person",
        "es": "Hablar con alguien",
        "pt": "Falar com alguém",
    },
    "button.no_thanks": {"en": "No, thanks", "es": "No, gracias", "pt": "Não, obrigado"},
}

WEEKDAY_ON: dict[Language, tuple[str, ...]] = {
    "en": tuple(
        f"on {day}"
        for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    ),
    "es": tuple(
        f"el {day}"
        for day in ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
    ),
    "pt": (
        "na segunda",
        "na terça",
        "na quarta",
        "na quinta",
        "na sexta",
        "no sábado",
        "no domingo",
    ),
}
"""A weekday as the complement of "we open again ..."."""

WEEKDAY_NAMES: dict[Language, tuple[str, ...]] = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    "pt": ("segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo"),
}


def say(key: str, language: Language, **values: object) -> str:
    """The sentence `key` in `language` (English when missing), formatted with `values`."""
    variants = TEXTS[key]
    template = variants.get(language) or variants["en"]
    return template.format(**values) if values else template
