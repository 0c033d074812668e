"""Company names, web addresses and descriptions of synthetic partners."""

from __future__ import annotations

import re
import unicodedata

DOMAIN_SUFFIXES = {
    "US": ".com",
    "GB": ".co.uk",
    "AU": ".com.au",
    "NZ": ".co.nz",
    "JP": ".co.jp",
    "BR": ".com.br",
    "IN": ".co.in",
    "ZA": ".co.za",
    "CN": ".com.cn",
    "MX": ".com.mx",
}
LEGAL_FORMS = {
    "DE": ("GmbH", "GmbH", "GmbH & Co. KG", "AG"),
    "AT": ("GmbH", "GmbH", "AG"),
    "CH": ("AG", "GmbH", "SA"),
    "GB": ("Ltd", "Ltd", "Limited"),
    "IE": ("Ltd", "Limited"),
    "US": ("Inc.", "Inc.", "LLC", "Corp."),
    "CA": ("Inc.", "Ltd."),
    "AU": ("Pty Ltd",),
    "NZ": ("Ltd",),
    "IN": ("Pvt. Ltd.",),
    "SG": ("Pte. Ltd.",),
    "ZA": ("(Pty) Ltd",),
    "FR": ("S.A.", "SAS", "SARL"),
    "ES": ("S.A.", "S.L."),
    "BE": ("BV", "SA", "SRL"),
    "NL": ("B.V.",),
    "IT": ("S.r.l.", "S.p.A."),
    "PT": ("Lda.",),
    "BR": ("Ltda.",),
    "MX": ("S.A. de C.V.",),
    "SE": ("AB",),
    "NO": ("AS",),
    "DK": ("ApS", "A/S"),
    "FI": ("Oy",),
    "PL": ("Sp. z o.o.",),
    "JP": ("K.K.",),
    "CN": ("Co., Ltd.",),
}
ENGLISH_LEGAL_FORMS = ("Ltd", "Limited")
GENERIC_LEGAL_FORMS = ("Ltd", "", "Group")
GERMANIC = frozenset({"DE", "AT", "CH", "LI", "LU", "NL", "SE", "NO", "DK", "FI", "IS"})
# Brand names join a first and a second syllable: "Nord" + "wind", "Blue" + "peak".
NAME_STEMS = {
    "germanic": (
        "Nord Süd Alpen Rhein Elb Berg Stern Blau Hoch Fels Licht Kraft Weit Klar Eichen Falken"
        " Adler Tannen Silber",
        "wind blick werk feld bach brück tal burg hof quell turm see sprung kamm stein",
    ),
    "english": (
        "Blue Bright Clear Iron Silver Red Green North High Swift True Open Sky Oak Cedar Summit"
        " Harbor River Bold Golden",
        "peak bridge field stone wave point path gate line well ford wood light mark vale haven"
        " rock view forge",
    ),
    "latin": (
        "Nova Vert Alta Lumi Orbi Axi Sol Terra Aqua Vita Zen Neo Cor Magna Opti Prisma Volta"
        " Astra",
        "tek lis ria sys via lumen data tiva core link nexa",
    ),
}
_NON_SLUG = re.compile(r"[^a-z0-9]+")
STEMS = {style: (heads.split(), tails.split()) for style, (heads, tails) in NAME_STEMS.items()}
SPECIALISM = {
    # category: (words used in company names, phrase used in descriptions, products)
    "cloud": (("Cloud", "Cloudworks"), "cloud platforms", ("Cloud Platform", "Edge Compute")),
    "infrastructure": (
        ("IT", "Infrastructure", "Datacenter"),
        "hybrid infrastructure and managed IT",
        ("Cloud Platform", "Backup & Recovery", "Observability"),
    ),
    "security": (
        ("Security", "Cyber", "SecOps"),
        "cybersecurity",
        ("Security Suite", "Identity Cloud", "Endpoint Protection"),
    ),
    "data_ai": (
        ("Data", "Analytics", "AI"),
        "data and AI",
        ("Analytics", "Data Platform", "AI Studio"),
    ),
    "erp": (
        ("ERP", "Business Applications"),
        "ERP and finance systems",
        ("ERP Connect", "Analytics"),
    ),
    "crm": (("CRM", "Customer Experience", "CX"), "CRM and customer experience", ("CRM Cloud",)),
    "networking": (("Networks", "Networking", "Connect"), "networking", ("Edge Networking",)),
    "modern_work": (
        ("Workplace", "Digital Workplace"),
        "the modern workplace",
        ("Collaboration", "Workplace Devices"),
    ),
    "development": (("Software", "Dev", "Code"), "software development", ("Developer Cloud",)),
    "industry": (
        ("Industry Solutions", "Industrial IT"),
        "industry-specific solutions",
        ("Industry Cloud", "IoT Hub"),
    ),
}
DESCRIPTORS = ("Consulting", "Systems", "Solutions", "Technologies", "Partners", "Services")
DESCRIPTORS_BY_FLAVOUR = {
    "germanic": (*DESCRIPTORS, "Systemhaus", "IT-Beratung"),
    "english": (*DESCRIPTORS, "Group", "Labs"),
    "latin": (*DESCRIPTORS, "Digital", "Integration"),
}


def flavour(country: str, *, english_speaking: bool) -> str:
    """Naming style of a company headquartered in `country`."""
    if country in GERMANIC:
        return "germanic"
    return "english" if english_speaking else "latin"


def company_name(
    picks: list[int], *, country: str, category: str, english_speaking: bool
) -> tuple[str, str]:
    """Company name and the brand part of it (without legal form), e.g. "Nordwind Cloud"."""
    style = flavour(country, english_speaking=english_speaking)
    heads, tails = STEMS[style]
    words = SPECIALISM[category][0]
    descriptors = DESCRIPTORS_BY_FLAVOUR[style]
    legal_forms = LEGAL_FORMS.get(country) or (
        ENGLISH_LEGAL_FORMS if style == "english" else GENERIC_LEGAL_FORMS
    )
    brand = heads[picks[0] % len(heads)] + tails[picks[1] % len(tails)]
    if picks[2] % 5 < 3:
        brand = f"{brand} {words[picks[3] % len(words)]}"
    descriptor = descriptors[picks[4] % len(descriptors)]
    legal_form = legal_forms[picks[5] % len(legal_forms)]
    return f"{brand} {descriptor} {legal_form}".strip(), brand


def website(brand: str, *, domain_suffix: str) -> str:
    """A plausible web address derived from the brand name, e.g. "https://www.nordwind.de"."""
    ascii_brand = unicodedata.normalize("NFKD", brand).encode("ascii", "ignore").decode()
    slug = _NON_SLUG.sub("-", ascii_brand.lower()).strip("-")
    return f"https://www.{slug}{domain_suffix}"


def description(
    brand: str, *, focus: str, highlights: list[str], industry: str, cities: list[str]
) -> str:
    """One or two sentences naming the partner's specialism and, if several, its offices."""
    text = (
        f"{brand} helps {industry.lower()} organisations with {focus}, "
        f"specialising in {' and '.join(highlights[:2])}."
    )
    if len(cities) > 1:
        text += f" Offices in {', '.join(cities[:-1])} and {cities[-1]}."
    return text
