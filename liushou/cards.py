"""The convenience contact card (便民服务联系卡): its data, its QR code, its sheet."""

import base64
import io
from functools import lru_cache

from . import settings
from .queries import printouts as queries

CARDS_PER_SHEET = 10
# Long batches are laid out in chunks of this many A4 sheets, side by side in the PDF workers.
SHEETS_PER_CHUNK = 5


@lru_cache(maxsize=512)
def contact_qr(name, phone, org=""):
    """A PNG data: URI of a MECARD QR that saves the cadre as a phone contact.

    PNG rather than SVG: WeasyPrint writes PNGs several times faster, and one image per
    distinct cadre is reused across every card of his households.
    """
    import segno  # imported where used: the server starts without it

    fields = [f"N:{_escape(name)}", f"TEL:{_escape(phone)}"]
    if org:
        fields.append(f"NOTE:{_escape(org)}")
    payload = "MECARD:" + ";".join(fields) + ";;"
    qr = segno.make(payload, error="m", micro=False)
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=4, border=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _escape(text):
    """MECARD reserves \\ ; , : — escape them with a backslash."""
    out = str(text or "")
    for ch in "\\;,:":
        out = out.replace(ch, "\\" + ch)
    return out


def batch_township(cards):
    """The township name a batch's footer prints: its cards' township if they share one, else
    None (the requesting user's)."""
    names = {c["township"] for c in cards}
    return names.pop() if len(names) == 1 else None


def township_sheets(cards, per_sheet=CARDS_PER_SHEET):
    """[(township name, its sheets)]: a batch spanning townships (a county user's chosen
    households) laid out township by township, in the order first met, each on sheets of its
    own, so that every sheet's footer can name the township of all its cards."""
    groups = {}
    for c in cards:
        groups.setdefault(c["township"], []).append(c)
    return [(name, sheets(group, per_sheet)) for name, group in groups.items()]


def sheets(cards, per_sheet=CARDS_PER_SHEET):
    """Split cards into A4 sheets."""
    return [cards[i : i + per_sheet] for i in range(0, len(cards), per_sheet)]


def township_numbers(township=None):
    """The numbers every card prints, from settings (a county's instance: `township`'s own,
    default the requesting user's)."""
    return [
        (label, settings.get(key, township=township))
        for label, key in (
            ("医疗求助", "medical_phone"),
            ("应急求助", "emergency_phone"),
            ("派出所", "police_phone"),
            ("亲情热线", "family_hotline"),
        )
        if settings.get(key, township=township)
    ]


def cards_for(households):
    """Card data for households, with three queries: villages, posts per village, helpers per
    household. A card prints its village's township's name and numbers (a county's instance),
    else the requesting user's (settings: township None)."""
    households = list(households)
    villages = queries.card_villages({h.village_id for h in households})
    posts = queries.card_posts({h.village_id for h in households})
    paired = queries.card_helpers([h.id for h in households])
    towns = {}  # township id -> (name, numbers): read once per township of the batch
    layers = {}  # the village's part of a card, drawn once per batch (templates/print/cards.html)
    out = []
    for h in households:
        village_name, town = villages[h.village_id]
        if town not in towns:
            towns[town] = (settings.get("township_name", township=town), township_numbers(town))
        org, numbers = towns[town]
        vposts = posts.get(h.village_id, {})
        cadre = vposts.get("包片干部")
        cadre_id = cadre.id if cadre else None
        helpers = [v for k, v in paired.get(h.id, {}).items() if k != cadre_id][:2]
        contacts = [
            (label, vposts[post].name, vposts[post].phone)
            for post, label in (("村医", "村医"), ("民警", "民警"), ("法律顾问", "法律顾问"))
            if post in vposts
        ]
        cadre_key = (cadre.name, cadre.position, cadre.phone) if cadre else None
        layer = layers.setdefault((cadre_key, tuple(contacts), town), len(layers) + 1)
        out.append(
            {
                "layer": layer,
                "head": h.head_name,
                "address": f"{village_name}{h.address}",
                "cadre_name": cadre.name if cadre else "",
                "cadre_position": cadre.position if cadre else "",
                "cadre_phone": cadre.phone if cadre else "",
                "qr": contact_qr(cadre.name, cadre.phone, org) if cadre and cadre.phone else "",
                "helpers": helpers,
                "contacts": contacts,
                "numbers": numbers,
                "township": org,
            }
        )
    return out
