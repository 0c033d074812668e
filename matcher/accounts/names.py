"""Company names and domains folded to comparable keys: legal forms, case, accents dropped."""

from __future__ import annotations

import re

import tldextract
from cleanco.termdata import terms_by_type

from core.text import fold

# German spellings without umlauts are the usual ASCII form ("Müller" is "Mueller").
_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae"})
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def name_words(text: str) -> str:
    """The folded words of a name: umlauts transliterated (ä -> ae), punctuation to spaces."""
    folded = fold(text.casefold().translate(_TRANSLITERATION))
    without_dots = re.sub(r"[.'\u2019]", "", folded)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", without_dots).split())


# Legal forms as word sequences ("S.A." -> ("sa",), "Pty. Ltd." -> ("pty", "ltd")): cleanco's
# list by country, maintained upstream, plus German and European forms it lacks.
LEGAL_FORMS = frozenset(
    words
    for words in (
        *(tuple(name_words(term).split()) for terms in terms_by_type.values() for term in terms),
        ("se",), ("ug",), ("ohg",), ("mbh",),
    )
    if words
)  # fmt: skip
_LONGEST_FORM = max(map(len, LEGAL_FORMS))


def normalise_company_name(name: str) -> str:
    """The comparable key of a company name: folded, trailing legal forms removed, repeatedly,
    so "Foo GmbH & Co. KG" becomes "foo"."""
    tokens = name_words(name).split()
    core = list(tokens)
    while stripped := _without_trailing_form(core):
        core = stripped
    # A name made only of legal-form words ("AG") keeps them, or it would match everything.
    return " ".join(core or tokens)


def _without_trailing_form(tokens: list[str]) -> list[str] | None:
    """`tokens` without the longest legal form at its end; None when it ends in none."""
    for size in range(min(_LONGEST_FORM, len(tokens)), 0, -1):
        if tuple(tokens[-size:]) in LEGAL_FORMS:
            return tokens[:-size]
    return None


def normalise_domain(value: str) -> str:
    """A bare lower-case host ("https://www.Acme.com/x" -> "acme.com"); ValueError if none."""
    host = value.strip().casefold()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", host)
    host = host.split("/", 1)[0].split("?", 1)[0].split("@")[-1].split(":", 1)[0].rstrip(".")
    host = host.removeprefix("www.")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError("must be a domain name such as acme.com") from exc
    if not _DOMAIN.match(host):
        raise ValueError("must be a domain name such as acme.com")
    return host


# The public suffix list bundled with tldextract; never fetched at run time.
_SUFFIXES = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def parent_domains(domain: str) -> list[str]:
    """The domain and its parents down to the registrable domain, most specific first:
    "sales.acme.co.uk" gives itself and "acme.co.uk", never the public suffix "co.uk"."""
    registrable = _SUFFIXES(domain).top_domain_under_public_suffix or domain
    labels = domain.split(".")
    depth = len(registrable.split("."))
    return [".".join(labels[i:]) for i in range(max(1, len(labels) - depth + 1))]
