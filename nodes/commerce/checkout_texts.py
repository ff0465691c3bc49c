# ruff: noqa: E501  (a table of sentences reads better unwrapped)
"""What the checkout and the order lookups say, in EN, ES and PT (merged into `texts.TEXTS`).

Keys starting with `button.` are reply-button or list-row titles: at most 20 characters.
"""

from __future__ import annotations

from graph.session.contract import Language

CHECKOUT_TEXTS: dict[str, dict[Language, str]] = {
    "checkout.empty": {
        "en": "Your cart is empty, so there is nothing to check out yet. Want to see our products?",
        "es": "Tu carrito está vacío, así que todavía no hay nada que pagar. ¿Quieres ver nuestros productos?",
        "pt": "Seu carrinho está vazio, então ainda não há nada para finalizar. Quer ver nossos produtos?",
    },
    "checkout.fulfilment": {
        "en": "Let's finish your order. How would you like to get it?",
        "es": "Terminemos tu pedido. ¿Cómo quieres recibirlo?",
        "pt": "Vamos finalizar seu pedido. Como você quer receber?",
    },
    "checkout.zone": {
        "en": "Which area should we deliver to?",
        "es": "¿A qué zona lo enviamos?",
        "pt": "Para qual região devemos entregar?",
    },
    "checkout.zone_row": {
        "en": "Delivery {fee}",
        "es": "Envío {fee}",
        "pt": "Entrega {fee}",
    },
    "checkout.pickup": {
        "en": "Where would you like to pick it up?",
        "es": "¿Dónde quieres retirarlo?",
        "pt": "Onde você quer retirar?",
    },
    "checkout.address": {
        "en": "What is the delivery address? Write it here (street, number, apartment) or share your location 📍.",
        "es": "¿Cuál es la dirección de entrega? Escríbela aquí (calle, número, depto.) o comparte tu ubicación 📍.",
        "pt": "Qual é o endereço de entrega? Escreva aqui (rua, número, apto.) ou compartilhe sua localização 📍.",
    },
    "checkout.name_confirm": {
        "en": "Shall I put the order under the name {name}?",
        "es": "¿Pongo el pedido a nombre de {name}?",
        "pt": "Coloco o pedido no nome de {name}?",
    },
    "checkout.name_ask": {
        "en": "What name should the order be under?",
        "es": "¿A nombre de quién va el pedido?",
        "pt": "Em nome de quem fica o pedido?",
    },
    "checkout.payment": {
        "en": "How would you like to pay?",
        "es": "¿Cómo quieres pagar?",
        "pt": "Como você quer pagar?",
    },
    "checkout.summary": {
        "en": "Please check your order:",
        "es": "Revisa tu pedido:",
        "pt": "Confira seu pedido:",
    },
    "checkout.subtotal": {
        "en": "Subtotal: {amount}",
        "es": "Subtotal: {amount}",
        "pt": "Subtotal: {amount}",
    },
    "checkout.shipping": {
        "en": "Delivery ({zone}): {amount}",
        "es": "Envío ({zone}): {amount}",
        "pt": "Entrega ({zone}): {amount}",
    },
    "checkout.free": {"en": "free", "es": "gratis", "pt": "grátis"},
    "checkout.total": {"en": "Total: {amount}", "es": "Total: {amount}", "pt": "Total: {amount}"},
    "checkout.deliver_to": {
        "en": "Delivery to: {address}",
        "es": "Entrega en: {address}",
        "pt": "Entrega em: {address}",
    },
    "checkout.pickup_at": {
        "en": "Pickup at: {location}",
        "es": "Retiro en: {location}",
        "pt": "Retirada em: {location}",
    },
    "checkout.name": {"en": "Name: {name}", "es": "Nombre: {name}", "pt": "Nome: {name}"},
    "checkout.pay_with": {
        "en": "Payment: {method}",
        "es": "Pago: {method}",
        "pt": "Pagamento: {method}",
    },
    "checkout.change": {
        "en": "What would you like to change?",
        "es": "¿Qué quieres cambiar?",
        "pt": "O que você quer alterar?",
    },
    "checkout.change_items": {
        "en": 'Write what to change, for example "remove the first one" or "change the second one to 2", or add more products. Then tap Continue.',
        "es": 'Escribe qué cambiar, por ejemplo "quita el primero" o "cambia el segundo a 2", o agrega más productos. Luego toca Continuar.',
        "pt": 'Escreva o que mudar, por exemplo "tira o primeiro" ou "muda o segundo para 2", ou adicione mais produtos. Depois toque em Continuar.',
    },
    "checkout.items_title": {"en": "Your cart:", "es": "Tu carrito:", "pt": "Seu carrinho:"},
    "checkout.cancelled": {
        "en": "Checkout cancelled: nothing was ordered. Your cart is still saved.",
        "es": "Compra cancelada: no se hizo ningún pedido. Tu carrito sigue guardado.",
        "pt": "Compra cancelada: nenhum pedido foi feito. Seu carrinho continua salvo.",
    },
    "checkout.waiting": {
        "en": 'Your order is still waiting: write "continue" to finish it, or "cancel" to drop it.',
        "es": 'Tu pedido sigue esperando: escribe "continuar" para terminarlo o "cancelar" para descartarlo.',
        "pt": 'Seu pedido continua esperando: escreva "continuar" para finalizar ou "cancelar" para desistir.',
    },
    "checkout.not_understood": {
        "en": "Sorry, I didn't get that.",
        "es": "Perdón, no te entendí.",
        "pt": "Desculpe, não entendi.",
    },
    "checkout.stale": {
        "en": "That summary is no longer current (something changed since). Nothing was ordered.",
        "es": "Ese resumen ya no está vigente (algo cambió desde entonces). No se hizo ningún pedido.",
        "pt": "Esse resumo não vale mais (algo mudou desde então). Nenhum pedido foi feito.",
    },
    "checkout.placed": {
        "en": "Thank you! Order {number} is placed. Total: {total}.",
        "es": "¡Gracias! Tu pedido {number} está hecho. Total: {total}.",
        "pt": "Obrigado! O pedido {number} foi feito. Total: {total}.",
    },
    "checkout.already_placed": {
        "en": "Order {number} is already placed (nothing was ordered twice). Status: {status}.",
        "es": "El pedido {number} ya está hecho (no se pidió dos veces). Estado: {status}.",
        "pt": "O pedido {number} já foi feito (nada foi pedido duas vezes). Status: {status}.",
    },
    "checkout.sold_out": {
        "en": "Sorry: {name} has only {available} left (you asked for {requested}).",
        "es": "Lo siento: de {name} quedan solo {available} (pediste {requested}).",
        "pt": "Desculpe: de {name} restam só {available} (você pediu {requested}).",
    },
    "checkout.cart_updated": {
        "en": "Nothing was ordered yet; I updated your cart to what is available.",
        "es": "Todavía no se hizo ningún pedido; ajusté tu carrito a lo disponible.",
        "pt": "Nenhum pedido foi feito ainda; ajustei seu carrinho ao que está disponível.",
    },
    "checkout.price_changed": {
        "en": "Prices changed since you added these items: the total is now {total}. Nothing was ordered yet; please check again.",
        "es": "Los precios cambiaron desde que agregaste los productos: el total ahora es {total}. No se hizo ningún pedido; revísalo de nuevo.",
        "pt": "Os preços mudaram desde que você adicionou os itens: o total agora é {total}. Nenhum pedido foi feito; confira de novo.",
    },
    "checkout.no_method": {
        "en": "I can't take payment for this order here right now. A person from our team can help you finish it.",
        "es": "Ahora no puedo cobrar este pedido por aquí. Una persona de nuestro equipo puede ayudarte a terminarlo.",
        "pt": "Agora não consigo cobrar este pedido por aqui. Uma pessoa da nossa equipe pode ajudar você a finalizar.",
    },
    # How to pay, after the order is placed.
    "pay.card_link": {
        "en": "Pay {total} securely here: {url}\nI'll tell you here as soon as the payment arrives.",
        "es": "Paga {total} de forma segura aquí: {url}\nTe aviso por aquí apenas llegue el pago.",
        "pt": "Pague {total} com segurança aqui: {url}\nAviso você por aqui assim que o pagamento chegar.",
    },
    "pay.unavailable": {
        "en": "I couldn't create the payment link just now. Order {number} is saved: write \"pay\" in a few minutes and I'll send it.",
        "es": 'No pude crear el enlace de pago ahora. El pedido {number} quedó guardado: escribe "pagar" en unos minutos y te lo envío.',
        "pt": 'Não consegui criar o link de pagamento agora. O pedido {number} está salvo: escreva "pagar" daqui a alguns minutos e eu envio.',
    },
    "pay.bank_transfer": {
        "en": "{instructions}\nAmount: {total}. Reference: {number}. We'll confirm here when it arrives.",
        "es": "{instructions}\nMonto: {total}. Referencia: {number}. Te confirmamos por aquí cuando llegue.",
        "pt": "{instructions}\nValor: {total}. Referência: {number}. Confirmamos por aqui quando chegar.",
    },
    "pay.pix": {
        "en": "Pay {total} by Pix to the key {pix_key} ({merchant}), quoting order {number}. We'll confirm here when it arrives.",
        "es": "Paga {total} por Pix a la clave {pix_key} ({merchant}), indicando el pedido {number}. Te confirmamos por aquí cuando llegue.",
        "pt": "Pague {total} por Pix na chave {pix_key} ({merchant}), informando o pedido {number}. Confirmamos por aqui quando chegar.",
    },
    "pay.cash_on_delivery": {
        "en": "You pay {total} in cash when it is delivered.",
        "es": "Pagas {total} en efectivo cuando lo recibas.",
        "pt": "Você paga {total} em dinheiro na entrega.",
    },
    "pay.pay_in_store": {
        "en": "You pay {total} when you pick it up at {location}.",
        "es": "Pagas {total} al retirarlo en {location}.",
        "pt": "Você paga {total} ao retirar em {location}.",
    },
    "pay.order_details": {
        "en": "Order {number}: review it and pay right here in WhatsApp. We'll confirm here when the payment arrives.",
        "es": "Pedido {number}: revísalo y págalo aquí mismo en WhatsApp. Te confirmamos por aquí cuando llegue el pago.",
        "pt": "Pedido {number}: confira e pague aqui mesmo no WhatsApp. Confirmamos por aqui quando o pagamento chegar.",
    },
    "pay.paid": {
        "en": "Order {number} is already paid.",
        "es": "El pedido {number} ya está pagado.",
        "pt": "O pedido {number} já está pago.",
    },
    # Order lookups and cancellation.
    "orders.none": {
        "en": "I don't see any orders from this WhatsApp number yet.",
        "es": "Todavía no veo pedidos de este número de WhatsApp.",
        "pt": "Ainda não vejo pedidos deste número de WhatsApp.",
    },
    "orders.not_found": {
        "en": "I can't find an order {number} for this WhatsApp number. Please check the number.",
        "es": "No encuentro un pedido {number} para este número de WhatsApp. Revisa el número, por favor.",
        "pt": "Não encontro um pedido {number} para este número de WhatsApp. Confira o número, por favor.",
    },
    "orders.status": {
        "en": "Order {number}: {status}. Total {total}.",
        "es": "Pedido {number}: {status}. Total {total}.",
        "pt": "Pedido {number}: {status}. Total {total}.",
    },
    "orders.pay_here": {
        "en": "You can pay here: {url}",
        "es": "Puedes pagar aquí: {url}",
        "pt": "Você pode pagar aqui: {url}",
    },
    "orders.pick": {
        "en": "These are your latest orders. Which one?",
        "es": "Estos son tus últimos pedidos. ¿Cuál?",
        "pt": "Estes são seus últimos pedidos. Qual?",
    },
    "orders.cancel_confirm": {
        "en": "Cancel order {number} ({total})? This can't be undone.",
        "es": "¿Cancelo el pedido {number} ({total})? No se puede deshacer.",
        "pt": "Cancelo o pedido {number} ({total})? Não dá para desfazer.",
    },
    "orders.cancelled": {
        "en": "Order {number} is cancelled.",
        "es": "El pedido {number} está cancelado.",
        "pt": "O pedido {number} está cancelado.",
    },
    "orders.refund": {
        "en": "You had already paid: we will refund {total}.",
        "es": "Ya habías pagado: te devolveremos {total}.",
        "pt": "Você já tinha pago: vamos devolver {total}.",
    },
    "orders.cancel_refused": {
        "en": "Order {number} is {status}, so it can no longer be cancelled here. A person from our team can help you.",
        "es": "El pedido {number} está {status}, así que ya no se puede cancelar por aquí. Una persona de nuestro equipo puede ayudarte.",
        "pt": "O pedido {number} está {status}, então não dá mais para cancelar por aqui. Uma pessoa da nossa equipe pode ajudar.",
    },
    "orders.nothing_to_cancel": {
        "en": "You have no order that can still be cancelled.",
        "es": "No tienes pedidos que todavía se puedan cancelar.",
        "pt": "Você não tem pedidos que ainda possam ser cancelados.",
    },
    "orders.kept": {
        "en": "Alright, order {number} stays as it is.",
        "es": "De acuerdo, el pedido {number} sigue como está.",
        "pt": "Certo, o pedido {number} continua como está.",
    },
    "orders.change_cart": {
        "en": "You haven't placed an order yet, so there is no address to change: I'll ask where to deliver when you check out.",
        "es": "Todavía no hiciste un pedido, así que no hay dirección que cambiar: te la pido cuando pases a pagar.",
        "pt": "Você ainda não fez um pedido, então não há endereço para mudar: eu pergunto onde entregar quando você finalizar a compra.",
    },
    "orders.change": {
        "en": "A placed order can't be changed here. While it's allowed I can cancel it so you can order again, or a person from our team can help.",
        "es": "Un pedido hecho no se puede cambiar por aquí. Mientras se pueda, puedo cancelarlo para que pidas de nuevo, o una persona de nuestro equipo puede ayudarte.",
        "pt": "Um pedido feito não pode ser alterado por aqui. Enquanto for possível, posso cancelá-lo para você pedir de novo, ou uma pessoa da nossa equipe pode ajudar.",
    },
    # Button and list-row titles (at most 20 characters).
    "button.delivery": {"en": "Delivery", "es": "Envío a domicilio", "pt": "Entrega"},
    "button.pickup": {"en": "Pick up in store", "es": "Retiro en tienda", "pt": "Retirar na loja"},
    "button.choose": {"en": "Choose", "es": "Elegir", "pt": "Escolher"},
    "button.name_yes": {"en": "Yes, that's me", "es": "Sí, a mi nombre", "pt": "Sim, no meu nome"},
    "button.name_other": {"en": "Another name", "es": "Otro nombre", "pt": "Outro nome"},
    "button.confirm": {"en": "Confirm", "es": "Confirmar", "pt": "Confirmar"},
    "button.change": {"en": "Change", "es": "Cambiar", "pt": "Alterar"},
    "button.continue": {"en": "Continue", "es": "Continuar", "pt": "Continuar"},
    "button.checkout": {"en": "Check out", "es": "Pagar", "pt": "Finalizar compra"},
    "button.cancel": {"en": "Cancel", "es": "Cancelar", "pt": "Cancelar"},
    "button.edit_fulfilment": {
        "en": "Delivery or pickup",
        "es": "Envío o retiro",
        "pt": "Entrega ou retirada",
    },
    "button.edit_zone": {"en": "Delivery area", "es": "Zona de envío", "pt": "Região de entrega"},
    "button.edit_pickup": {"en": "Pickup shop", "es": "Tienda de retiro", "pt": "Loja de retirada"},
    "button.edit_address": {"en": "Address", "es": "Dirección", "pt": "Endereço"},
    "button.edit_name": {"en": "Name", "es": "Nombre", "pt": "Nome"},
    "button.edit_payment": {"en": "Payment method", "es": "Forma de pago", "pt": "Pagamento"},
    "button.edit_items": {"en": "Items", "es": "Productos", "pt": "Itens"},
    "button.my_orders": {"en": "My orders", "es": "Mis pedidos", "pt": "Meus pedidos"},
    "button.cancel_yes": {"en": "Yes, cancel it", "es": "Sí, cancelarlo", "pt": "Sim, cancelar"},
    "button.cancel_no": {"en": "Keep it", "es": "No, mantenerlo", "pt": "Não, manter"},
    "button.cancel_order": {"en": "Cancel order", "es": "Cancelar pedido", "pt": "Cancelar pedido"},
    "button.human": {
        "en": "Talk to a person",
        "es": "Hablar con alguien",
        "pt": "Falar com alguém",
    },
    "button.catalog": {"en": "See products", "es": "Ver productos", "pt": "Ver produtos"},
    "method.card_link": {"en": "Card (pay link)", "es": "Tarjeta (enlace)", "pt": "Cartão (link)"},
    "method.pix": {"en": "Pix", "es": "Pix", "pt": "Pix"},
    "method.bank_transfer": {"en": "Bank transfer", "es": "Transferencia", "pt": "Transferência"},
    "method.cash_on_delivery": {
        "en": "Cash on delivery",
        "es": "Efectivo al recibir",
        "pt": "Dinheiro na entrega",
    },
    "method.pay_in_store": {"en": "Pay in store", "es": "Pago en tienda", "pt": "Pagar na loja"},
}
