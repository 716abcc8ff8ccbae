"""SPF helpers: recognise, merge SendCloud's include into an existing record, count DNS lookups."""

from __future__ import annotations

from ansible.module_utils.mailops.errors import ValidationError

MAX_DNS_LOOKUPS = 10
# A merged record with this many lookups of its own is warned about: the lookups inside its
# includes (not counted here) very likely take it over the limit.
NEAR_LOOKUP_LIMIT = 9
LOOKUP_MECHANISMS = ("include", "a", "mx", "ptr", "exists")
QUALIFIERS = "+-~?"


def is_spf(value: str | None) -> bool:
    """RFC 7208 §4.5: the record starts with ``v=spf1`` followed by a space or the end."""
    if value is None:
        return False
    text = value.strip().lower()
    return text == "v=spf1" or text.startswith("v=spf1 ")


def spf_terms(value: str) -> list[str]:
    """The terms after ``v=spf1``."""
    return value.split()[1:]


def _mechanism_name(term: str) -> str:
    bare = term.lstrip(QUALIFIERS).lower()
    for separator in (":", "/", "="):
        bare = bare.split(separator, 1)[0]
    return bare


def count_dns_lookups(value: str) -> int:
    """Number of DNS-querying terms (include, a, mx, ptr, exists, redirect) of the record itself.

    RFC 7208 §4.6.4 also counts the lookups of the records an include or redirect brings in;
    those are not fetched here (a plan sends no DNS query), so the real count can be higher.
    """
    count = 0
    for term in spf_terms(value):
        name = _mechanism_name(term)
        if name in LOOKUP_MECHANISMS or (name == "redirect" and "=" in term):
            count += 1
    return count


def _comparable(term: str) -> str:
    """A mechanism as compared for presence: lower-case, without its qualifier, its domain
    without a trailing dot. The qualifier is ignored because evaluation stops at the first
    match (RFC 7208 §4.6.2): a second copy with another qualifier would never decide."""
    bare = term.lstrip(QUALIFIERS).lower()
    name, separator, target = bare.partition(":")
    if not separator:
        return bare
    domain, slash, cidr = target.partition("/")
    return f"{name}:{domain.rstrip('.')}{slash}{cidr}"


def _as_given(term: str) -> str:
    """A term without the pass qualifier ``+``, which is the default (RFC 7208 §4.6.2)."""
    return term[1:] if term.startswith("+") else term


def missing_terms(existing: str, desired: str) -> list[str]:
    """Desired mechanisms (other than ``all``) that the existing record lacks in the form
    SendCloud gives them, a ``+`` aside: the matching rule (docs/dns.md, "SPF include matching"),
    the one the SendCloud emulator's check applies too. The same mechanism written another way
    (other case, a trailing dot, another qualifier) is not present: see :func:`other_forms`."""
    have = {_as_given(term) for term in spf_terms(existing)}
    return [
        term
        for term in spf_terms(desired)
        if _mechanism_name(term) != "all" and _as_given(term) not in have
    ]


def contains_desired(existing: str, desired: str) -> bool:
    return not missing_terms(existing, desired)


def other_forms(existing: str, desired: str) -> dict[str, str]:
    """Terms of ``existing`` that stand for a desired mechanism written another way
    (``include:SPF.SendCloud.ORG.``, ``~include:spf.sendcloud.org``), each with the form
    SendCloud gives, to which a merge rewrites it."""
    wanted = {_comparable(term): _as_given(term) for term in spf_terms(desired)
              if _mechanism_name(term) != "all"}
    return {term: wanted[_comparable(term)] for term in spf_terms(existing)
            if _comparable(term) in wanted and _as_given(term) != wanted[_comparable(term)]}


def merge_spf(existing: str, desired: str, where: str = "") -> str:
    """Insert the desired mechanisms into ``existing`` before its ``all`` (or redirect), after
    rewriting those it holds in another form to SendCloud's (:func:`other_forms`).

    Keeps every other mechanism and the existing ``all`` qualifier. Raises ValidationError when
    the result would need more than 10 DNS lookups.
    """
    rewrites = other_forms(existing, desired)
    present = {_as_given(term) for term in spf_terms(existing) if term not in rewrites}
    terms: list[str] = []
    for term in spf_terms(existing):
        if term in rewrites:
            if rewrites[term] in present:
                continue   # also there in SendCloud's form: the other form goes
            term = rewrites[term]
            present.add(term)
        terms.append(term)
    to_add = missing_terms(" ".join(["v=spf1", *terms]), desired)
    insert_at = len(terms)
    for index, term in enumerate(terms):
        if _mechanism_name(term) in ("all", "redirect"):
            insert_at = index
            break
    merged_terms = terms[:insert_at] + to_add + terms[insert_at:]
    merged = " ".join(["v=spf1", *merged_terms])
    lookups = count_dns_lookups(merged)
    if lookups > MAX_DNS_LOOKUPS:
        raise ValidationError(
            f"merging {' '.join(to_add)} into the SPF record{' at ' + where if where else ''} "
            f"({existing!r}) would need {lookups} DNS lookups counting only the record's own "
            f"include/a/mx/ptr/exists/redirect terms (the lookups inside the records they "
            f"include come on top), over the limit of {MAX_DNS_LOOKUPS} (RFC 7208 §4.6.4); "
            "nothing was changed",
            hint="remove or flatten include/a/mx/ptr/exists mechanisms in the existing SPF "
            "record, or use a sending sub-domain without an SPF record",
        )
    return merged


def near_limit_warning(value: str, where: str) -> str | None:
    """A warning when ``value`` has nearly the maximum of lookups in its own terms alone."""
    lookups = count_dns_lookups(value)
    if lookups < NEAR_LOOKUP_LIMIT:
        return None
    return (
        f"the SPF record at {where} will have {lookups} DNS lookups in its own terms; with the "
        f"lookups inside the records it includes (not counted here) it likely exceeds the limit "
        f"of {MAX_DNS_LOOKUPS} (RFC 7208 §4.6.4), and receivers then treat SPF as failed "
        "(permerror): check the record with an SPF checker and flatten includes if needed"
    )


def remove_terms(existing: str, desired: str) -> str | None:
    """``existing`` without the mechanisms of ``desired`` (SendCloud's include): the SPF record
    to keep when a sending domain is retired, or None when nothing but ``all`` would remain."""
    ours = {_comparable(term) for term in spf_terms(desired) if _mechanism_name(term) != "all"}
    kept = [term for term in spf_terms(existing) if _comparable(term) not in ours]
    if all(_mechanism_name(term) in ("all", "redirect") for term in kept) and not any(
            _mechanism_name(term) == "redirect" for term in kept):
        return None
    return " ".join(["v=spf1", *kept])
