"""Suppressions: rule id + resource pattern (+ resource type) + a written reason + an expiry date.

A suppressed finding is still reported everywhere, marked suppressed with its reason; an expired
suppression no longer applies (and is itself reported, failing the gate); an unknown rule id is an error.

What keeps a suppression from switching the gate off (the same rules hold for checkov skips,
glz/checkov_runner.py):

- `expires` is required, a real date, at most one year after today (`max_expiry`). A past date is
  accepted and reported as expired, so an old entry fails the gate instead of failing to load.
- A resource pattern that would match every resource (`*`, `**`, `urn:pulumi:*`, `*::*`, ... see
  `matches_every_resource`) needs a `type:` (a Pulumi resource type token such as
  `aws:s3/bucket:Bucket`) that restricts it, and is a *blanket* suppression, listed in every report's
  summary.
- A reason is a sentence in its own words (`reason_problem`), and one reason is not copied to
  another rule.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glz.errors import UserInputError, load_yaml
from glz.state import urn_type

REASON_MIN_WORDS = 8
REASON_MIN_DISTINCT_WORDS = 6
REASON_MIN_CHARS = 40
EXPIRY_HORIZON = "one year"
TYPE_TOKEN = re.compile(r"^[A-Za-z][\w.-]*:[\w./-]*:[A-Za-z_]\w*$")
"""A Pulumi resource type: package:module:Type (aws:s3/bucket:Bucket, pulumi:providers:aws). No wildcards."""
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Phrases that say nothing about why a finding is acceptable. They may appear inside a reason, but the
# reason must still be REASON_MIN_WORDS words long without them.
FILLER = (
    "n/a",
    "n.a.",
    "not applicable",
    "not relevant",
    "false positive",
    "false-positive",
    "accepted risk",
    "risk accepted",
    "risk acceptance",
    "temporary",
    "temporarily",
    "for now",
    "see ticket",
    "see the ticket",
    "see jira",
    "see issue",
    "see link",
    "see above",
    "see below",
    "as discussed",
    "per discussion",
    "will fix later",
    "fix later",
    "to be fixed",
    "known issue",
    "wontfix",
    "won't fix",
    "by design",
    "approved by security",
    "approved",
)
PLACEHOLDER = re.compile(r"\b(?:todo|tbd|fixme|xxx|lorem ipsum)\b", re.IGNORECASE)
TICKET = re.compile(r"https?://\S+|\b[A-Z][A-Z0-9]+-\d+\b|#\d+\b")
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
REASON_RULES = (
    f"a reason is a full sentence of at least {REASON_MIN_WORDS} words and {REASON_MIN_CHARS} characters that starts "
    "with a capital letter, ends with a period and says why in its own words (filler such as 'n/a', "
    "'false positive', 'accepted risk', 'temporary' or 'see ticket' does not count, nor do TODO or TBD)"
)


class SuppressionError(UserInputError):
    """The suppressions file is malformed; the message names the file, the entry, the key, the value and
    what is allowed (exit 2)."""


def max_expiry(today: dt.date) -> dt.date:
    """The latest allowed expiry: the same day next year (28 February for a 29 February today)."""
    try:
        return today.replace(year=today.year + 1)
    except ValueError:
        return today.replace(year=today.year + 1, day=28)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def reason_problem(reason: Any) -> str | None:
    """What is wrong with a reason, or None when it is a real sentence."""
    if not isinstance(reason, str):
        return "required, a string"
    text = " ".join(reason.split())
    if PLACEHOLDER.search(text):
        return f"holds a placeholder ({PLACEHOLDER.search(text).group(0)})"
    if len(text) < REASON_MIN_CHARS:
        return f"{len(text)} characters, fewer than {REASON_MIN_CHARS}"
    if not re.match(r"[A-Z0-9]", text):
        return "does not start with a capital letter"
    if not text.endswith("."):
        return "does not end with a period"
    words = WORD.findall(text)
    if len(words) < REASON_MIN_WORDS:
        return f"{len(words)} words, fewer than {REASON_MIN_WORDS}"
    if len({w.lower() for w in words}) < REASON_MIN_DISTINCT_WORDS:
        return f"fewer than {REASON_MIN_DISTINCT_WORDS} different words"
    stripped = TICKET.sub(" ", text.lower())
    for phrase in sorted(FILLER, key=len, reverse=True):
        stripped = re.sub(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", " ", stripped)
    own = WORD.findall(stripped)
    if len(own) < REASON_MIN_WORDS:
        return f"only {len(own)} words once filler and ticket references are left out, fewer than {REASON_MIN_WORDS}"
    return None


def reason_key(reason: str) -> str:
    """Reasons compared for copies: case and whitespace do not matter."""
    return " ".join(reason.lower().split())


def check_expires(value: Any, today: dt.date) -> tuple[dt.date | None, str | None]:
    """(the date, None) or (None, what is wrong and what is allowed)."""
    latest = max_expiry(today)
    allowed = f"a date (YYYY-MM-DD) no later than {latest.isoformat()}, {EXPIRY_HORIZON} from today"
    if value is None:
        return None, f"required, {allowed}"
    if isinstance(value, dt.datetime):
        return None, f"a timestamp; {allowed}"
    if isinstance(value, dt.date):
        date = value
    elif isinstance(value, str) and DATE.match(value.strip()):
        try:
            date = dt.date.fromisoformat(value.strip())
        except ValueError:
            return None, f"not a real date; {allowed}"
    else:
        return None, f"not a date; {allowed}"
    if date > latest:
        return None, f"more than {EXPIRY_HORIZON} ahead; {allowed} (renew it when it expires)"
    return date, None


def _example(glob: str) -> str:
    """A short string the fnmatch pattern matches: `*` empty, `?` one letter, a class its first member."""
    out: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if char == "*":
            pass
        elif char == "?":
            out.append("x")
        elif char == "[" and (end := glob.find("]", i + 2)) != -1:
            body = glob[i + 1 : end]
            out.append(next(c for c in "0x_" if c not in body) if body.startswith("!") else body[0])
            i = end
        else:
            out.append(char)
        i += 1
    return "".join(out)


def matches_every_resource(patterns: Iterable[str], covers: Callable[[str, str, str], bool]) -> bool:
    """Whether resource patterns amount to 'every resource'. `covers(urn, name, address)` is the entry's
    matcher. The patterns are tried on two made-up resources (a top-level one and a component's child,
    one-character names, invented types, Terraform addresses) in stacks named 's' or what a
    part of the patterns before a `::` spells, of a project named 'p', this project or the project an
    anchored pattern (urn:pulumi:<stack>::<project>::...) names: patterns that match
    both in some stack would match every resource of a real one (`*`, `**`, `?*`, `urn:*`,
    `urn:pulumi:prod::*`, `*::*`, `*-*` in this hyphenated project, `*_*` on Terraform addresses),
    while a pattern that names part of a type or a name (`data-*`, `*Bucket*`) does not."""
    patterns = list(patterns)
    stacks, projects = {"s"}, {"p", "genomics-landing-zone"}
    for pattern in patterns:
        anchored = pattern.startswith("urn:pulumi:")
        parts = [_example(part) for part in pattern.removeprefix("urn:pulumi:").split("::")]
        # a stack name is followed by '::', so the part after the last '::' cannot spell one
        named = parts[:-1] + parts[:1] if anchored else parts[:-1]
        stacks |= {part for part in named if part and ":" not in part}
        if anchored and len(parts) > 1 and parts[1] and ":" not in parts[1]:
            projects.add(parts[1])
    for stack in stacks:
        for project in projects:
            probes = (
                (f"urn:pulumi:{stack}::{project}::x:y/z:W::0", "0", "x_w.r_0"),
                (f"urn:pulumi:{stack}::{project}::x:m/n:Y$q:r/t:V::_", "_", "q_v.r__"),
            )
            if all(covers(*probe) for probe in probes):
                return True
    return False


@dataclass(frozen=True)
class BlanketSuppression:
    """A suppression or checkov skip on every resource of a type: what every report's summary lists."""

    source: str  # suppressions | checkov-skips
    rule: str
    type: str
    resource: str
    reason: str
    expires: dt.date | None

    def describe(self) -> str:
        return f"{self.rule} on every {self.type} (resource {self.resource!r}), expires {self.expires}: {self.reason}"

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rule": self.rule,
            "type": self.type,
            "resource": self.resource,
            "reason": self.reason,
            "expires": str(self.expires),
        }


@dataclass(frozen=True)
class Suppression:
    rule: str
    resource: str  # fnmatch pattern on the URN (or the resource name)
    reason: str
    expires: dt.date | None = None
    type: str | None = None  # a Pulumi resource type: the suppression covers only resources of that type
    blanket: bool = False  # the resource pattern matches every resource (then `type` is set)

    def matches(self, rule_id: str, urn: str) -> bool:
        if rule_id != self.rule:
            return False
        if self.type is not None and urn_type(urn) != self.type:
            return False
        name = urn.rsplit("::", 1)[-1]
        return fnmatch.fnmatchcase(urn, self.resource) or fnmatch.fnmatchcase(name, self.resource)

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today

    def as_blanket(self) -> BlanketSuppression:
        return BlanketSuppression("suppressions", self.rule, self.type or "*", self.resource, self.reason, self.expires)


def _pattern_covers(pattern: str) -> Callable[[str, str, str], bool]:
    return lambda urn, name, _address: fnmatch.fnmatchcase(urn, pattern) or fnmatch.fnmatchcase(name, pattern)


def check_type(value: Any) -> str | None:
    """None when `value` is a Pulumi resource type token, else what is allowed."""
    if isinstance(value, str) and TYPE_TOKEN.match(value):
        return None
    return "a Pulumi resource type such as aws:s3/bucket:Bucket or pulumi:pulumi:Stack (no wildcards)"


def parse(
    entries: Any, known_rules: set[str], source: str = "suppressions", today: dt.date | None = None
) -> list[Suppression]:
    """Suppressions from the file's `suppressions:` list; every problem of every entry in one error."""
    today = today or dt.date.today()
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise SuppressionError(f"{source}: expected a list of suppressions, got {type(entries).__name__}")
    problems: list[str] = []
    result: list[Suppression] = []
    reasons: dict[str, tuple[str, str]] = {}  # reason -> (first entry, its rule)
    for index, entry in enumerate(entries):
        where = f"{source}[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected a mapping with rule, resource, reason, expires (and optional type)")
            continue
        before = len(problems)
        unknown = sorted(set(map(str, entry)) - {"rule", "resource", "type", "reason", "expires"})
        if unknown:
            problems.append(f"{where}: unknown key(s) {unknown}; allowed: rule, resource, type, reason, expires")
        rule = entry.get("rule")
        if not isinstance(rule, str) or rule not in known_rules:
            problems.append(f"{where}.rule = {_short(rule)}: unknown rule id; allowed: an id `glz rules` lists")
        resource = entry.get("resource")
        if not isinstance(resource, str) or not resource.strip():
            problems.append(f"{where}.resource = {_short(resource)}: required, a URN or name pattern (fnmatch)")
            resource = None
        typ = entry.get("type")
        if typ is not None and check_type(typ):
            problems.append(f"{where}.type = {_short(typ)}: allowed: {check_type(typ)}")
            typ = None
        blanket = resource is not None and matches_every_resource([resource], _pattern_covers(resource))
        if blanket and "type" not in entry:
            problems.append(
                f"{where}.resource = {resource!r}: matches every resource; allowed only together with "
                "`type:` (a Pulumi resource type such as aws:s3/bucket:Bucket) that restricts it"
            )
        reason = entry.get("reason")
        problem = reason_problem(reason)
        if problem:
            problems.append(f"{where}.reason = {_short(reason)}: {problem}; {REASON_RULES}")
        elif isinstance(rule, str):
            first = reasons.setdefault(reason_key(reason), (where, rule))
            if first[1] != rule:
                problems.append(
                    f"{where}.reason: the same reason as {first[0]} (rule {first[1]}); each rule needs a reason "
                    "of its own"
                )
        expires, expiry_problem = check_expires(entry.get("expires"), today)
        if expiry_problem:
            problems.append(f"{where}.expires = {_short(entry.get('expires'))}: {expiry_problem}")
        if len(problems) == before:
            result.append(Suppression(rule, resource, " ".join(reason.split()), expires, typ, blanket))
    if problems:
        raise SuppressionError("\n".join(problems))
    return result


def load(path: Path, known_rules: set[str], today: dt.date | None = None, required: bool = False) -> list[Suppression]:
    """The suppressions file (bounded YAML, see glz.errors.load_yaml). A missing file means no
    suppressions unless `required` (a file named on the command line must exist)."""
    path = Path(path)
    if not required and not path.exists():
        return []
    try:
        document = load_yaml(path, "suppressions file")
    except SuppressionError:
        raise
    except UserInputError as error:
        raise SuppressionError(str(error)) from None
    if document is None:
        return []
    if not isinstance(document, dict) or set(map(str, document)) - {"suppressions"}:
        raise SuppressionError(f"{path}: expected a mapping with one key, 'suppressions:', holding a list")
    return parse(document.get("suppressions"), known_rules, f"{path}: suppressions", today)
