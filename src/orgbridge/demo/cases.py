"""Realistic support-desk Cases for the demo and the benchmarks.

The generator is seeded, so a given seed always yields the same Cases. It mixes
languages and scripts (Latin with accents, Cyrillic, Greek, Japanese, Chinese, Arabic
and Hebrew written right to left), emoji and descriptions of several kilobytes,
because those are what break naive integrations.
"""

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

_PRODUCTS = (
    "router X200",
    "billing portal",
    "mobile app",
    "label printer",
    "VPN client",
    "smart thermostat",
    "payroll export",
    "warehouse scanner",
)

# (subject template, description template), per language.
_TEMPLATES: tuple[tuple[str, str], ...] = (
    (
        "Cannot log in to the {product}",
        "Since this morning every login to the {product} fails with 'invalid "
        "session'. We cleared cookies and tried two browsers. Ticket raised by the "
        "night shift; {count} users are affected.",
    ),
    (
        "{product} drops connection every few minutes",
        "The {product} loses its connection roughly every 5 minutes. Logs attached "
        "below. Firmware is current. Please advise before Friday's rollout.",
    ),
    (
        "Rechnung doppelt verbucht – {product}",
        "Die Rechnung für März wurde zweimal abgebucht. Bitte die zweite Buchung "
        "stornieren und eine Gutschrift über {count} € ausstellen. Grüße aus Köln.",
    ),
    (
        "Le {product} affiche une erreur au démarrage",
        "Après la mise à jour, le {product} affiche « erreur 0x{count} » à chaque "
        "démarrage. Nous avons déjà réinstallé le pilote. Merci de votre aide !",
    ),
    (
        "No puedo exportar informes desde el {product}",
        "Al exportar el informe mensual, el {product} se queda en «procesando» "
        "durante horas. Necesitamos el informe para la auditoría del día {count}.",
    ),
    (
        "{product} не печатает этикетки",
        "После обновления {product} перестал печатать этикетки. Очередь печати "
        "пустая, ошибок нет. Склад стоит, просим срочно помочь. Заказов: {count}.",
    ),
    (
        "Πρόβλημα συγχρονισμού στο {product}",
        "Το {product} δεν συγχρονίζει τα δεδομένα από χθες. Χρήστες: {count}.",
    ),
    (
        "{product}にログインできません",
        "今朝から{product}にログインできません。パスワードを再設定しましたが、"
        "同じエラーが表示されます。影響を受けているユーザーは{count}人です。",
    ),
    (
        "{product} 无法同步订单",
        "自昨天起，{product} 无法同步新订单。错误代码 {count}。请尽快处理，谢谢。",
    ),
    (
        "لا يمكن الوصول إلى {product}",
        "منذ صباح اليوم لا يمكننا الوصول إلى {product}. عدد المستخدمين المتأثرين "
        "{count}. نرجو المساعدة في أسرع وقت.",
    ),
    (
        "בעיה בהתחברות ל-{product}",
        "המשתמשים לא מצליחים להתחבר ל-{product} מאז העדכון. מספר פניות: {count}.",
    ),
    (
        "🔥 {product} is down for the whole office 🔥",
        "Everything was fine yesterday 👍 and today the {product} shows a blank "
        "screen 😱. {count} people are waiting. Please call back asap 🙏",
    ),
)

_NAMES = (
    "Ada Lovelace",
    "José Núñez",
    "Zoë Müller",
    "Ørjan Ødegård",
    "山田 太郎",
    "Fatima Al-Sayed",
    "Ivan Petrov",
    "Chloé Dubois",
)


@dataclass(frozen=True)
class CasePicklists:
    """Picklist values to spread over the generated Cases."""

    status: Sequence[str]
    origin: Sequence[str]
    priority: Sequence[str]
    case_type: Sequence[str] = ("Mechanical", "Electrical", "Electronic", "Other")
    reason: Sequence[str] = ("Installation", "Performance", "Breakdown", "Feedback")


def generate_cases(
    count: int, picklists: CasePicklists, *, seed: int = 7, start: int = 0
) -> Iterator[dict[str, Any]]:
    """Yield ``count`` Case field maps, ready to create in a source org.

    Every picklist value appears: the first Cases walk through each list in turn
    before values are drawn at random. About one Case in twenty has a description of
    several kilobytes.
    """
    rng = random.Random(seed + start)
    for index in range(start, start + count):
        subject, description = _TEMPLATES[index % len(_TEMPLATES)]
        product = rng.choice(_PRODUCTS)
        number = rng.randint(2, 950)
        body = description.format(product=product, count=number)
        if index % 20 == 7:
            body = _long_description(body, rng)

        yield {
            "Subject": subject.format(product=product, count=number)[:255],
            "Description": body,
            "Status": _spread(picklists.status, index, rng),
            "Origin": _spread(picklists.origin, index, rng),
            "Priority": _spread(picklists.priority, index, rng),
            "Type": _spread(picklists.case_type, index, rng),
            "Reason": _spread(picklists.reason, index, rng),
            "SuppliedName": _NAMES[index % len(_NAMES)],
            "SuppliedEmail": f"customer{index}@example.com",
            "SuppliedCompany": f"Customer {index % 37} Ltd",
        }


def _spread(values: Sequence[str], index: int, rng: random.Random) -> str:
    if index < len(values) * 3:
        return values[index % len(values)]
    return rng.choice(values)


def _long_description(opening: str, rng: random.Random) -> str:
    lines = [opening, "", "Log excerpt:"]
    for second in range(120):
        level = rng.choice(("INFO", "WARN", "ERROR"))
        stamp = f"2024-05-06T10:{second // 60:02d}:{second % 60:02d}Z"
        request = f"worker-{rng.randint(1, 9)} request {rng.getrandbits(32):08x}"
        lines.append(f"{stamp} {level} {request} finished with status 502 after retry")
    return "\n".join(lines)[:32000]
