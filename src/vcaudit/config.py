"""The policy file `vcaudit.yaml`: read, validated and resolved into a frozen Policy.

Where it is looked for: `--config PATH`, else `VCAUDIT_CONFIG`, else `vcaudit.yaml` in the
working directory. Flags override what the file says. Unknown keys are errors: a typo must
never silently switch a rule off. Every error names file, line and key (exit 3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from vcaudit.errors import InputError
from vcaudit.fields import Fields
from vcaudit.linedata import LineList
from vcaudit.models import FactName, Risk
from vcaudit.notify.addresses import check_domain_pattern, parse_address
from vcaudit.notify.kinds import split_hook, webhook_url_problem
from vcaudit.policy import (
    DataProtectionRules,
    DeviceRules,
    IgnoreRule,
    LagRule,
    Policy,
    VersionSpec,
)

DEFAULT_NAME = "vcaudit.yaml"
MAX_BYTES = 1024 * 1024
MAX_SLA_DAYS = 3650

_TOP_KEYS = (
    "fail_on", "strict", "review", "max_feed_age_days", "ignore", "approved", "owners",
    "devices", "outdated", "sla", "feed", "email", "webhooks", "inventory", "data_protection",
)  # fmt: skip
INVENTORY_FIELDS = (
    "host", "platform", "product", "version", "publisher", "owner", "ownership", "user",
    "tags", "last_seen",
)  # fmt: skip
"""The fields of a native inventory row that `columns` can map (as vcaudit.inventory.records)."""


@dataclass(frozen=True, slots=True)
class MailConfig:
    """The policy file's `email:` and `webhooks:` sections (flags override each field)."""

    to: tuple[str, ...] = ()
    sender: str = ""
    smtp_host: str = ""
    smtp_port: int | None = None
    security: str = ""
    user: str = ""
    password_file: str = ""
    ca_file: str = ""
    timeout: float | None = None
    attach: tuple[str, ...] = ()
    route_to_owners: bool = True
    allowed_domains: tuple[str, ...] = ()
    """Domains owner mail may go to; empty: those of `from` and `to`."""
    webhooks: tuple[str, ...] = ()
    webhook_format: str = ""
    webhook_timeout: float | None = None


@dataclass(frozen=True, slots=True)
class InventoryConfig:
    """The policy file's `inventory:` section: how spreadsheets name their columns, and the
    platform of rows that give none (flags override both)."""

    columns: tuple[tuple[str, str], ...] = ()
    platform: str = ""
    allow_empty: bool = False
    encoding: str = ""
    """The text encoding of inventories that are neither UTF-8 nor UTF-16 (`--encoding`)."""


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """A policy file and what it set."""

    path: str
    policy: Policy
    explicit: frozenset[str] = field(default_factory=frozenset)
    """Top-level keys the file set (so flags know what they override)."""
    feed_url: str = ""
    """Where `vcaudit feed update` fetches the bundle (feed.url)."""
    feed_public_key: str = ""
    """The Ed25519 public key that must have signed the feed (feed.public_key[_file])."""
    mail: MailConfig = field(default_factory=MailConfig)
    inventory: InventoryConfig = field(default_factory=InventoryConfig)


def find_config(explicit: str | None, environ: Mapping[str, str], cwd: Path) -> Path | None:
    """The policy file to use, or None when there is none."""
    if explicit:
        return Path(explicit)
    from_env = environ.get("VCAUDIT_CONFIG", "").strip()
    if from_env:
        return Path(from_env)
    default = cwd / DEFAULT_NAME
    return default if default.is_file() else None


def _risk(fields: Fields, key: str) -> Risk | None:
    text = fields.text(key)
    if not text:
        return None
    try:
        return Risk.from_label(text)
    except ValueError:
        raise fields.fail(key, "expected none, low, medium, high or critical") from None


def _lag(fields: Fields | None) -> LagRule | None:
    if fields is None:
        return None
    fields.only("days", "releases")
    days = fields.integer("days", minimum=0)
    releases = fields.integer("releases", minimum=1)
    if days is None and releases is None:
        raise fields.fail("days", "give days, releases or both")
    return LagRule(days=days, releases=releases)


def _ignore(fields: Fields, index: int) -> IgnoreRule:
    fields.only("id", "reason", "until", "product", "versions", "hosts", "tags")
    rule_id = fields.text("id", required=True)
    reason = fields.text("reason")
    if not reason:
        raise fields.fail("reason", "every ignore rule needs a reason")
    versions = fields.text("versions")
    product = fields.text("product")
    if versions and not product:
        raise fields.fail("versions", "a version range needs the product it applies to")
    spec = VersionSpec.parse(versions) if versions else None
    if versions and spec is None:
        shown = versions if len(versions) <= 60 else versions[:60] + "…"
        raise fields.fail(
            "versions", f"expected comparisons like '>=5.16.0, <5.17.0', got {shown!r}"
        )
    return IgnoreRule(
        id=rule_id,
        reason=reason,
        until=fields.date("until"),
        product=product,
        versions=spec,
        hosts=fields.texts("hosts"),
        tags=frozenset(fields.texts("tags")),
        where=f"{fields.file}, line {fields.line}",
        index=index,
    )


def _mapping_of_text(fields: Fields | None, what: str) -> tuple[tuple[str, str], ...]:
    if fields is None:
        return ()
    out: list[tuple[str, str]] = []
    for key, value, _line in fields.entries():
        if not isinstance(value, str) or not value.strip():
            raise fields.fail(key, f"expected the {what} as text")
        out.append((key, value.strip()))
    return tuple(out)


def parse_policy(text: str, name: str) -> LoadedConfig:
    """Parse the text of a policy file."""
    from vcaudit import yamlio  # PyYAML only when YAML is read

    try:
        data = yamlio.load(text)
    except yamlio.YamlProblem as exc:
        raise InputError(name, exc.message, line=exc.line) from None
    if data is None:
        return LoadedConfig(name, Policy())
    doc = Fields(data, name, "", InputError, 1)
    doc.only(*_TOP_KEYS)
    owners = doc.sub("owners")
    if owners is not None:
        owners.only("products", "tags")
    devices = doc.sub("devices")
    personal = None
    if devices is not None:
        devices.only("personal")
        section = devices.sub("personal")
        if section is not None:
            section.only("raise_risk", "outdated", "not_allowed")
            personal = DeviceRules(
                raise_risk=section.flag("raise_risk"),
                lag=_lag(section.sub("outdated")),
                not_allowed=frozenset(section.texts("not_allowed")),
            )
    outdated = doc.sub("outdated")
    lag_default = None
    lag_products: tuple[tuple[str, LagRule], ...] = ()
    if outdated is not None:
        outdated.only("default", "products")
        lag_default = _lag(outdated.sub("default"))
        products = outdated.sub("products")
        if products is not None:
            pairs = []
            for key, _value, _line in products.entries():
                rule = _lag(products.sub(key, required=True))
                assert rule is not None
                pairs.append((key, rule))
            lag_products = tuple(pairs)
    sla = doc.sub("sla")
    sla_days: list[tuple[Risk, int]] = []
    if sla is not None:
        sla.only("critical", "high", "medium", "low")
        for key in ("critical", "high", "medium", "low"):
            days = sla.integer(key, minimum=0)
            if days is not None and days > MAX_SLA_DAYS:
                # A due date must be a date: 999999999 days is past the year 9999.
                raise sla.fail(key, f"must be at most {MAX_SLA_DAYS} days (ten years)")
            if days is not None:
                sla_days.append((Risk.from_label(key), days))
    approved = doc.texts("approved") if doc.has("approved") else None
    fail_on = _risk(doc, "fail_on")
    review = doc.text("review", default="show")
    if review not in _REVIEW:
        raise doc.fail("review", "expected show (the default) or fail")
    policy = Policy(
        fail_on=fail_on if fail_on is not None else Risk.HIGH,
        strict=doc.flag("strict"),
        max_feed_age_days=doc.integer("max_feed_age_days", minimum=0),
        ignores=tuple(_ignore(item, i) for i, item in enumerate(doc.items("ignore"))),
        approved=frozenset(approved) if approved is not None else None,
        owners_by_product=_mapping_of_text(owners.sub("products") if owners else None, "owner"),
        owners_by_tag=_mapping_of_text(owners.sub("tags") if owners else None, "owner"),
        personal=personal,
        lag_default=lag_default,
        lag_by_product=lag_products,
        sla=tuple(sla_days),
        fail_on_review=review == "fail",
        data_protection=_data_protection(doc.sub("data_protection")),
    )
    feed_url, feed_key = _feed_section(doc.sub("feed"), name)
    return LoadedConfig(
        name,
        policy,
        frozenset(k for k in doc.data if doc.has(k)),
        feed_url,
        feed_key,
        _mail_section(doc.sub("email"), doc.sub("webhooks")),
        _inventory_section(doc.sub("inventory")),
    )


_REVIEW = ("show", "fail")
"""What an advisory to review (affected versions not published yet) does to a run."""


_FACTS = frozenset(name.value for name in FactName)
_REQUIRABLE = tuple(name.value for name in FactName if name.boolean)
_UNKNOWN = ("report", "fail")
"""What a required data-protection fact no source states does: reported, or unapproved."""


def _data_protection(fields: Fields | None) -> DataProtectionRules:
    """`data_protection: {require: [...], unknown: report|fail}`: the yes/no facts of a
    product's data-protection sheet the organisation requires."""
    if fields is None:
        return DataProtectionRules()
    fields.only("require", "unknown")
    names = fields.texts("require")
    raw = fields.data.get("require")
    required: list[FactName] = []
    for index, name in enumerate(names):
        if name not in _REQUIRABLE:
            line = raw.item_lines[index] if isinstance(raw, LineList) else fields.line_of("require")
            kind = (
                "is text, not a yes/no fact" if name in _FACTS else "is not a data-protection fact"
            )
            raise InputError(
                fields.file,
                f"{name!r} {kind} (expected one of: {', '.join(_REQUIRABLE)})",
                line=line,
                field=f"{fields.field('require')}[{index}]",
            )
        if FactName(name) not in required:
            required.append(FactName(name))
    unknown = fields.text("unknown", default="report")
    if unknown not in _UNKNOWN:
        raise fields.fail("unknown", "expected report (the default) or fail")
    return DataProtectionRules(tuple(required), unknown_fails=unknown == "fail")


def _inventory_section(fields: Fields | None) -> InventoryConfig:
    if fields is None:
        return InventoryConfig()
    fields.only("columns", "platform", "allow_empty", "encoding")
    columns = _mapping_of_text(fields.sub("columns"), "column's header")
    for key, _header in columns:
        if key not in INVENTORY_FIELDS:
            raise fields.fail(
                "columns", f"unknown field {key!r} (expected one of: {', '.join(INVENTORY_FIELDS)})"
            )
    platform = fields.text("platform")
    if platform and platform not in ("windows", "macos", "linux"):
        raise fields.fail("platform", "expected windows, macos or linux")
    encoding = fields.text("encoding")
    if encoding and codec_name(encoding) is None:
        raise fields.fail("encoding", f"not an encoding ({ENCODING_EXAMPLES})")
    return InventoryConfig(columns, platform, fields.flag("allow_empty"), encoding)


ENCODING_EXAMPLES = "try cp1252, cp1250, latin-1..."


def codec_name(name: str) -> str | None:
    """Python's own name for a text encoding (`windows-1252` is `cp1252`); None when no
    encoding has that name."""
    import codecs

    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


_SECURITY = ("starttls", "tls", "none")
_ATTACH = ("json", "csv")
_WEBHOOK_FORMATS = ("json", "slack", "teams")


def _mail_section(email: Fields | None, hooks: Fields | None) -> MailConfig:
    mail = MailConfig()
    if email is not None:
        # Before the list of keys: a password gets its own sentence, not "unknown key".
        if "password" in email.data:
            raise email.fail("password", "never put the password here")
        email.only(
            "to", "from", "smtp_host", "smtp_port", "security", "user", "password_file",
            "ca_file", "timeout", "attach", "route_to_owners", "allowed_domains",
        )  # fmt: skip
        security = email.text("security")
        if security and security not in _SECURITY:
            raise email.fail("security", f"expected one of {', '.join(_SECURITY)}")
        attach = email.texts("attach")
        for kind in attach:
            if kind not in _ATTACH:
                raise email.fail("attach", f"expected json or csv, got {kind!r}")
        timeout = _seconds(email, "timeout")
        port = email.integer("smtp_port", minimum=1)
        if port is not None and port > 65535:
            raise email.fail("smtp_port", "expected a port from 1 to 65535")
        for key in ("to", "from"):
            for address in email.texts(key) if key == "to" else (email.text(key),):
                if address:
                    try:
                        parse_address(address)
                    except ValueError as exc:
                        raise email.fail(key, f"not a plain email address: {exc}") from None
        domains = []
        for pattern in email.texts("allowed_domains"):
            try:
                domains.append(check_domain_pattern(pattern))
            except ValueError as exc:
                raise email.fail("allowed_domains", str(exc)) from None
        mail = MailConfig(
            to=email.texts("to"),
            sender=email.text("from"),
            smtp_host=email.text("smtp_host"),
            smtp_port=port,
            security=security,
            user=email.text("user"),
            password_file=email.text("password_file"),
            ca_file=email.text("ca_file"),
            timeout=timeout,
            attach=attach,
            route_to_owners=email.flag("route_to_owners", default=True),
            allowed_domains=tuple(domains),
        )
    if hooks is not None:
        hooks.only("urls", "format", "timeout")
        fmt = hooks.text("format")
        if fmt and fmt not in _WEBHOOK_FORMATS:
            raise hooks.fail("format", f"expected one of {', '.join(_WEBHOOK_FORMATS)}")
        urls = hooks.texts("urls")
        for text in urls:
            problem = webhook_url_problem(split_hook(text)[1])  # `slack=https://...` names a kind
            if problem:
                raise hooks.fail("urls", problem)
        mail = replace(
            mail, webhooks=urls, webhook_format=fmt, webhook_timeout=_seconds(hooks, "timeout")
        )
    return mail


def _seconds(fields: Fields, key: str) -> float | None:
    """A deadline in seconds: above 0, at most a day."""
    try:
        value = fields.number(key)
    except OverflowError:  # an integer too large for a float
        value = float("inf")
    if value is not None and not 0 < value <= 86400:
        raise fields.fail(key, "expected a number of seconds above 0 and at most 86400")
    return value


def _feed_section(fields: Fields | None, name: str) -> tuple[str, str]:
    if fields is None:
        return "", ""
    fields.only("url", "public_key", "public_key_file")
    url = fields.text("url")
    if url and not url.startswith(("https://", "http://")):
        raise fields.fail("url", "expected an https:// URL")
    key = fields.text("public_key")
    key_file = fields.text("public_key_file")
    if key and key_file:
        raise fields.fail("public_key_file", "give public_key or public_key_file, not both")
    if key_file:
        path = Path(key_file)
        if not path.is_absolute():
            path = Path(name).parent / path
        from vcaudit.feed.store import MAX_KEY_BYTES, read_regular

        try:
            # Bounded, and only a regular file: a link to /dev/zero or a FIFO must not hang.
            key = read_regular(path, MAX_KEY_BYTES).decode("utf-8")
        except OSError as exc:
            raise fields.fail("public_key_file", f"cannot read {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise fields.fail("public_key_file", f"cannot read {path}: not UTF-8 text") from None
        except ValueError as exc:
            raise fields.fail("public_key_file", f"cannot read {path}: {exc}") from None
    return url, key


def load_policy(path: Path) -> LoadedConfig:
    """Read and parse a policy file."""
    name = str(path)
    try:
        with path.open("rb") as handle:
            # What is read is bounded, whatever stat says: /dev/zero has size 0, a pipe
            # (`--config <(...)`) has none.
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError(name, "no such policy file") from None
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise InputError(name, "the policy file is larger than 1 MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(name, f"not UTF-8 text (byte {exc.start})") from None
    return parse_policy(text, name)


def check_known_products(loaded: LoadedConfig, product_ids: set[str]) -> list[str]:
    """Warnings for product ids the feed does not know (a typo disables a rule)."""
    policy = loaded.policy
    named: list[tuple[str, str]] = []
    named.extend(("approved", p) for p in sorted(policy.approved or ()))
    named.extend(("owners.products", p) for p, _ in policy.owners_by_product)
    named.extend(("outdated.products", p) for p, _ in policy.lag_by_product)
    if policy.personal is not None:
        named.extend(
            ("devices.personal.not_allowed", p) for p in sorted(policy.personal.not_allowed)
        )
    named.extend((f"ignore[{r.index}].product", r.product) for r in policy.ignores if r.product)
    return [
        f"{loaded.path}: {where}: {product!r} is not a product in the feed"
        for where, product in named
        if product not in product_ids
    ]


EXAMPLE = """\
# vcaudit policy file. vcaudit reads ./vcaudit.yaml, or --config PATH, or $VCAUDIT_CONFIG.
# Command-line flags override what this file says. Unknown keys are errors.

# Fail the run (exit 1) when a finding reaches this risk: none|low|medium|high|critical.
fail_on: high

# Unknown products and versions fail the run too.
strict: false

# Advisories whose affected versions are not published yet are 'review' items on every
# installation of their product and platform: shown in every report, never counted as a
# vulnerability. 'fail' makes one fail the run when its severity reaches fail_on.
review: show                    # show | fail

# Refuse a feed older than this many days (exit 4). Without it an old feed only warns.
max_feed_age_days: 30

# Suppress advisories you have assessed. Ignored findings stay visible in every report.
ignore:
  - id: CVE-2024-24691            # advisory id or any alias
    reason: "VDI hosts are isolated; replacement scheduled in CHG-1234"
    until: 2026-12-31             # after this date the rule stops suppressing, with a warning
    product: zoom-vdi             # optional scope: one product ...
    versions: ">=5.14.0, <5.17.0" # ... and a version range of it
    hosts: ["vdi-*"]              # optional host name patterns
    tags: [vdi]                   # optional: only rows with one of these tags

# Products the organisation allows. Anything else in the feed is an 'unapproved' finding.
approved: [zoom, teams, webex, slack]

# Who answers for each product (or each tag); an owner column in the inventory wins.
owners:
  products:
    zoom: it-workplace@example.com
    teams: collaboration@example.com
  tags:
    finance: finance-it@example.com

# Employees' own devices (rows with ownership: personal).
devices:
  personal:
    raise_risk: true              # one risk level higher than on company devices
    outdated: {days: 14}          # a stricter allowed lag
    not_allowed: [skype, bluejeans]

# How far behind the latest release a client may be before 'outdated' turns medium.
outdated:
  default: {days: 60}
  products:
    zoom: {days: 30, releases: 3}

# What a product's data-protection sheet (vcaudit product ID) must answer yes. A product
# that answers no is 'unapproved', with the unmet requirement as the reason. A required fact
# no source states is reported ('unknown: report', the default), or makes the product
# unapproved too ('unknown: fail'). Facts: eu_residency_option, e2ee_available,
# e2ee_default, self_hostable, dpa_available, local_recording, recording_location_selectable.
# data_protection:
#   require: [eu_residency_option, dpa_available]
#   unknown: report               # report | fail

# Days to fix, per risk level. Each finding gets a due date and an overdue flag.
sla:
  critical: 7
  high: 30
  medium: 90
  low: 180

# Where to fetch feed updates from (vcaudit feed update), and the key that must sign them.
# feed:
#   url: https://feeds.example.com/vcaudit/feed.json
#   public_key_file: vcaudit-feed.pub.pem

# Mail summaries (vcaudit scan ... with --email-to, or these settings). The password is read
# from $VCAUDIT_SMTP_PASSWORD or password_file, never from this file.
# email:
#   to: [it-security@example.com]
#   from: vcaudit@example.com
#   smtp_host: smtp.example.com
#   smtp_port: 587
#   security: starttls          # starttls | tls | none
#   user: vcaudit
#   password_file: /etc/vcaudit/smtp-password
#   attach: [csv]
#   timeout: 30                 # seconds for each whole SMTP session, however slow the server
#   route_to_owners: true       # owners with an email address get their own findings
#   allowed_domains: [example.com, "*.example.com"]  # only these get owner mail (default:
#                               # the domains of from and to); other owners go to `to`

# Chat webhooks.
# webhooks:
#   urls: [https://hooks.slack.com/services/..., teams=https://example.webhook.office.com/...]
#   format: slack               # json | slack | teams: the kind of URLs that name none
#                               # (default by host: Slack's slack, Microsoft's teams, else json)
#   timeout: 15                 # seconds for each whole request, reading the answer included
"""
