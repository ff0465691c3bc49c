# ruff: noqa: E501  (data: one template pattern per line reads better unwrapped)
"""Templates for the ES rows (see build_es_pt.py): {a|b} alternatives, <ORD> = {{Order Number}}."""

from __future__ import annotations

NUM = "{|<ORD>|#4471|nro 10293|numero 5582|12876}"
TEMPLATES = [
    (
        "info",
        "opening_hours",
        45,
        [
            "{abren|están abiertos|estan abiertos|atienden|trabajan|abrís} {el domingo|los domingos|los sábados|el sabado|hoy|mañana|en feriados|el 24|el 31|este finde|el lunes festivo}{?|??| porfa?}",
            "{hola|buenas|hola buenas}{,|} a qué hora {abren|cierran} {hoy|mañana|el sábado|los domingos|entre semana}{?|}",
            "{cuál es|cual es|me pasas|me dices} el horario {de atención|del local|de la tienda|de hoy|del fin de semana}{?|}",
        ],
    ),
    (
        "info",
        "location",
        30,
        [
            "{tienen|hay} {sucursal|tienda|local} en {Guadalajara|Puebla|Rosario|Mendoza|Valencia|Sevilla|Cali|Arequipa|Quito|Montevideo|Santiago}?",
            "{dónde|donde} {queda|está|esta} {la tienda|el local|la sucursal|su oficina} {de|en} {Polanco|Palermo|Miraflores|Chapinero|el centro|Providencia}?",
        ],
    ),
    (
        "info",
        "shipping_options",
        45,
        [
            "{hacen envíos|hacen envios|envían|envian|llegan|hacen delivery|mandan} a {Lima|Cusco|Bogotá|Barranquilla|Cancún|Tijuana|Mar del Plata|Salta|Bilbao|Mallorca|Canarias|Guayaquil|Asunción|todo el país|provincias|mi zona}{?|??| porfa?}",
            "{cuánto|cuanto} {cuesta|sale|cobran por|vale} el envío a {Lima|Bogotá|Córdoba|Madrid|Puebla|Concepción|Valparaíso}?",
            "{cuánto|cuanto} {tarda|demora} {el envío|un envío|el delivery} a {Cali|Monterrey|Barcelona|La Plata|Trujillo|Antofagasta}?",
        ],
    ),
    (
        "info",
        "payment_methods",
        45,
        [
            "{aceptan|reciben|se puede pagar con|puedo pagar con|trabajan con} {tarjeta|tarjeta de crédito|débito|efectivo|paypal|mercado pago|transferencia|bizum|yape|plin|nequi|oxxo|amex|apple pay|cuotas|QR}{?|??| o solo efectivo?}",
            "{quería saber|quisiera saber|me gustaría saber|una pregunta,} {qué|cuáles} {formas|métodos|medios} de pago {aceptan|tienen|manejan}",
        ],
    ),
    (
        "info",
        "refund_policy",
        25,
        [
            "{cuántos días|cuanto tiempo|qué plazo} tengo para {devolver|cambiar|hacer una devolución de} {un producto|la ropa|un celular|lo que compre|un artículo}?",
            "{cuál es|cual es|me explican|quiero saber} {la política|la politica|las condiciones} de {devolución|devoluciones|reembolso|cambios|garantía}",
        ],
    ),
    (
        "info",
        "cancellation_fee",
        12,
        [
            "{hay|cobran|tiene} {algún cargo|penalización|comisión|multa} {por|si} {cancelar|cancelo} {un pedido|una compra|la reserva|el plan}?",
        ],
    ),
    (
        "info",
        "contact_info",
        12,
        [
            "{cuál es|cual es|me pasan|me dan} {el teléfono|el número|el correo|el email|el whatsapp} de {atención al cliente|servicio al cliente|soporte|facturación|ventas}?",
        ],
    ),
    (
        "commerce",
        "cancel_order",
        40,
        [
            "{quiero|kiero|necesito|quisiera|me gustaría} {cancelar|anular} {mi pedido|la orden|mi compra|el pedido|mi orden} "
            + NUM,
            "{cómo|como} {cancelo|puedo cancelar|anulo} {mi pedido|la orden|la compra} "
            + NUM
            + "{?|}",
        ],
    ),
    (
        "commerce",
        "track_order",
        55,
        [
            "{dónde|donde} {está|esta|anda|va} mi {pedido|paquete|compra|orden|envío} "
            + NUM
            + "{?|??|}",
            "{cuándo|cuando} {llega|me llega|entregan|sale} {mi pedido|mi compra|el paquete|la orden} "
            + NUM
            + "{?|}",
            "{estado|status|seguimiento|rastreo} {de mi pedido|del pedido|de la orden|de mi envío} "
            + NUM,
            "{hola|buenas|buen día}{,|} {quisiera|quiero|me gustaría} saber {el estado|dónde está|cuándo llega} {de mi pedido|mi pedido|mi compra} "
            + NUM,
        ],
    ),
    (
        "commerce",
        "product_price",
        45,
        [
            "{cuánto|cuanto|qto} {cuesta|sale|vale|está|esta} {la pizza grande|el combo 2|la hamburguesa|el iphone 13|el samsung a15|las zapatillas nike|la camiseta blanca|el kilo de queso|la docena|el plan básico|la funda|el perfume|el café grande|el audífono}{?|??| porfa}",
            "{precio|valor} {de|del} {la mochila|el teclado|el vestido azul|la cafetera|el colchón|la crema|el balón|el monitor de 24}{?|}",
        ],
    ),
    (
        "commerce",
        "stock_availability",
        40,
        [
            "{tienen|hay|tenés|tienes|les queda} {la mochila negra|el iphone 14|zapatillas talla 40|la camisa en L|pizza de jamón|el perfume chico|el monitor de 27|cargadores de iphone|la crema de 500ml|el vestido en rojo} {disponible|en stock|todavía|}{?|}",
        ],
    ),
    (
        "commerce",
        "place_order",
        50,
        [
            "{quiero|me das|mandame|me mandas|dame|quisiera|necesito} {1|una|2|dos|3|tres|media docena de} {pizzas|empanadas|hamburguesas|cocas|cajas de agua|tacos|arepas|sushi rolls|cafés} {para llevar|a domicilio|porfa|por favor|}",
            "{quiero|quisiera|me gustaría} {comprar|pedir|encargar} {el iphone 15|la cafetera|unas zapatillas|el combo familiar|un pastel|la funda negra|el plan de 30 gigas}",
        ],
    ),
    (
        "commerce",
        "invoice",
        15,
        [
            "{necesito|quiero|me mandan|me pasan} la {factura|boleta|comprobante} de {mi pedido|mi compra|la orden} "
            + NUM,
        ],
    ),
    (
        "commerce",
        "change_order",
        15,
        [
            "{quiero|necesito|puedo} {cambiar|modificar|editar} {mi pedido|la orden|mi compra} "
            + NUM
            + "{?|}",
        ],
    ),
    (
        "commerce",
        "shipping_address",
        12,
        [
            "{quiero|necesito|puedo} cambiar la dirección de {entrega|envío} de {mi pedido|la orden|mi compra} "
            + NUM
            + "{?|}",
        ],
    ),
    (
        "support",
        "late_order",
        45,
        [
            "{mi pedido|mi paquete|mi compra|la orden|el pedido} "
            + NUM
            + " {no ha llegado|no llega|no llegó|no me llegó|está atrasado|sigue sin llegar|nunca llegó}{|!|!!| 😡| y ya pasó la fecha}",
            "{hace|llevo} {una hora|2 horas|una semana|10 días|un mes} esperando {mi pedido|el paquete|la comida|mi compra}{| y nada| y nadie me dice nada}",
        ],
    ),
    (
        "support",
        "damaged_item",
        30,
        [
            "{el producto|mi pedido|el paquete|la licuadora|el celular|la tele|la silla|el perfume} {llegó|vino|me llegó} {roto|dañado|golpeado|defectuoso|abierto|sin funcionar}",
        ],
    ),
    (
        "support",
        "wrong_item",
        20,
        [
            "{me llegó|me mandaron|me enviaron|recibí} {otro producto|la talla equivocada|otro color|el modelo equivocado|un pedido incompleto|algo que no pedí}",
        ],
    ),
    (
        "support",
        "request_refund",
        40,
        [
            "{quiero|necesito|quisiera|exijo} {un reembolso|el reembolso|que me devuelvan el dinero|la devolución de mi dinero|mi plata de vuelta} {de|por|del} {mi pedido|la compra|la orden|el producto} "
            + NUM,
            "{cómo|como} {pido|solicito|obtengo|tramito} {un reembolso|el reembolso|la devolución del dinero}{?|}",
        ],
    ),
    (
        "support",
        "payment_issue",
        30,
        [
            "me {cobraron|descontaron|debitaron} {dos veces|doble|de más|sin hacer pedido|el envío} {en mi tarjeta|en la cuenta|el pedido|}{|!!|?}",
            "{no me deja|no puedo|me da error al} pagar con {tarjeta|mercado pago|paypal|transferencia|la app}",
        ],
    ),
    (
        "support",
        "login_problem",
        35,
        [
            "{no puedo|no logro|no me deja} {entrar a|acceder a|iniciar sesión en|ingresar a} {mi cuenta|la app|la página|la web}{| desde ayer| ayuda}",
            "{olvidé|olvide|perdí} {mi contraseña|la clave|mi usuario|el acceso a mi cuenta}{| ayuda| qué hago?}",
        ],
    ),
    (
        "support",
        "human_agent",
        40,
        [
            "{quiero|necesito|puedo} hablar con {una persona|un asesor|un humano|alguien|un agente|un operador|una persona real}{| por favor| ya| urgente|, no con un bot}",
            "{pásame|pasame|comunícame|comunicame} con {un asesor|una persona|un humano|alguien de soporte|un agente}{| porfa}",
        ],
    ),
    (
        "support",
        "complaint",
        25,
        [
            "{quiero|necesito|voy a} {poner|hacer|presentar|dejar} {una queja|un reclamo|una reclamación|una denuncia} {por el mal servicio|contra el repartidor|por mi pedido|}",
        ],
    ),
]

# Polite request frames x predicates (how people phrase requests to a support assistant).
FRAMES = [
    "necesito ayuda para {p}",
    "¿me ayudas a {p}?",
    "¿cómo puedo {p}?",
    "quiero {p}",
    "¿dónde puedo {p}?",
    "me gustaría {p}",
    "¿podrías decirme cómo {p}?",
    "no sé cómo {p}",
    "¿qué tengo que hacer para {p}?",
    "¿es posible {p}?",
    "ayúdame a {p}",
    "quisiera {p}",
    "hola, necesito {p}",
    "buenas, ¿me pueden ayudar a {p}?",
    "tengo que {p}",
]
PREDICATES = [
    (
        "commerce",
        "cancel_order",
        [
            "cancelar mi pedido {{Order Number}}",
            "anular la compra {{Order Number}}",
            "cancelar una orden que hice",
        ],
    ),
    (
        "commerce",
        "change_order",
        ["modificar mi pedido {{Order Number}}", "cambiar unos artículos de mi orden"],
    ),
    (
        "commerce",
        "place_order",
        ["hacer un pedido", "comprar algunos productos", "realizar una compra de {{Product}}"],
    ),
    (
        "commerce",
        "track_order",
        [
            "consultar el estado de mi pedido",
            "rastrear la orden {{Order Number}}",
            "saber cuándo llega mi compra",
        ],
    ),
    (
        "commerce",
        "invoice",
        [
            "descargar la factura {{Invoice Number}}",
            "ver mis facturas",
            "obtener la factura de mi compra",
        ],
    ),
    (
        "commerce",
        "shipping_address",
        ["cambiar la dirección de envío", "configurar una nueva dirección de entrega"],
    ),
    ("support", "login_problem", ["recuperar mi contraseña", "restablecer la clave de mi cuenta"]),
    (
        "support",
        "account",
        [
            "crear una cuenta",
            "eliminar mi cuenta",
            "editar los datos de mi cuenta",
            "cambiar a la cuenta {{Account Type}}",
        ],
    ),
    ("support", "request_refund", ["pedir un reembolso", "obtener la devolución de mi dinero"]),
    ("support", "track_refund", ["consultar el estado de mi reembolso"]),
    (
        "support",
        "complaint",
        ["presentar una queja", "dejar una reseña del servicio", "poner una reclamación"],
    ),
    ("support", "human_agent", ["hablar con un agente humano", "hablar con una persona"]),
    (
        "support",
        "payment_issue",
        ["reportar un problema con el pago", "resolver un cobro duplicado"],
    ),
    ("support", "account", ["notificar un error en el registro"]),
    (
        "info",
        "shipping_options",
        [
            "consultar las opciones de envío",
            "saber los plazos de entrega",
            "conocer los métodos de entrega",
        ],
    ),
    ("info", "payment_methods", ["ver los métodos de pago", "saber qué formas de pago aceptan"]),
    (
        "info",
        "refund_policy",
        ["conocer la política de reembolso", "consultar la política de devoluciones"],
    ),
    (
        "info",
        "cancellation_fee",
        ["saber la tarifa de cancelación", "consultar la penalización por cancelar"],
    ),
    (
        "info",
        "contact_info",
        ["contactar con atención al cliente", "encontrar el teléfono de servicio al cliente"],
    ),
    ("info", "newsletter", ["suscribirme al boletín", "darme de baja de la newsletter"]),
]
FRAME_SAMPLES = {"info": 60, "commerce": 80, "support": 80}
TYPO_SAMPLES = 110
OPENERS = ["hola, ", "hola buenas, ", "buenas ", "buen día, ", "@TiendaOficial ", "@soporte_ayuda ",
           "oye, ", "disculpa, ", "una consulta: ", "hola q tal, "]  # fmt: skip
