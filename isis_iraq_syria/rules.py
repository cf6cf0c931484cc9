"""The package's rules, each a named record: id, one-line reason, tolerance, and a check.

A check takes the typed frames of the whole package and returns every failure
it finds (never only the first). The relations it checks (which geographies
add up to which, which indicator is part of which, which statistic is derived
from which) are data in the tables, so a new indicator, period or country
needs no change here.

Rules in the "file" and "schema" stages are carried out while reading the CSVs
and by the Pandera schema derived from each Table Schema (validate.py); they
are listed here so that every rule id has one definition.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pycountry

from .report import Failure, fmt
from .schema import Package
from .tables import NUMBER, row_keys, to_arrow


@dataclass
class Context:
    package: Package
    frames: dict[str, pd.DataFrame]
    archive: dict[str, str] | None = None  # sha256 of a document's bytes -> its text

    def __post_init__(self) -> None:
        self._keys: dict[str, pd.Series] = {}

    def keys(self, name: str) -> pd.Series:
        if name not in self._keys:
            self._keys[name] = row_keys(self.package.tables[name], self.frames[name])
        return self._keys[name]

    def flag(self, name: str, mask: pd.Series | np.ndarray, column: str, rule: Rule,
             values: Callable[[pd.Series], str], message: Callable[[pd.Series], str]) -> list[Failure]:
        """A failure for every row of `name` where `mask` is true."""
        frame = self.frames[name]
        mask = np.asarray(pd.Series(mask, index=frame.index).fillna(False), dtype=bool)
        keys = self.keys(name)
        return [Failure(name, keys.iat[i], column, int(i) + 2, rule.id, values(frame.iloc[i]), message(frame.iloc[i]))
                for i in np.flatnonzero(mask)]


@dataclass(frozen=True)
class Rule:
    id: str
    reason: str
    check: Callable[[Context, Rule], list[Failure]] | None = None
    tolerance: float = 0.0
    stage: str = "rules"  # file | schema | rules | archive | parity
    tables: tuple[str, ...] = ()  # the tables the check reads

    def run(self, ctx: Context) -> list[Failure]:
        return self.check(ctx, self) if self.check else []


# --- arithmetic ------------------------------------------------------------------------------

def _with_indicators(ctx: Context) -> pd.DataFrame:
    stats = ctx.frames["statistics"].reset_index(names="row_")
    return stats.merge(ctx.frames["indicators"], on="indicator_id", how="left")


PERIOD = ["period_start", "period_end"]


def check_parts_sum_to_total(ctx: Context, rule: Rule) -> list[Failure]:
    stats = _with_indicators(ctx)
    stats = stats[stats["value"].notna() & (stats["figure_kind"] != "derived")]
    parts_of = ctx.frames["geography_parts"]
    failures: list[Failure] = []
    # By geography: the parts of an aggregate, same indicator, period and kind of figure.
    geo = stats[stats["additive_over_geography"].fillna(False).astype(bool)]
    need = parts_of.groupby("aggregate_geography_id").size().rename("parts_needed")
    parts = geo.merge(parts_of, left_on="geography_id", right_on="part_geography_id")
    by = ["indicator_id", "aggregate_geography_id", *PERIOD, "figure_kind"]
    sums = parts.groupby(by, dropna=False).agg(parts_sum=("value", "sum"), parts_found=("part_geography_id", "nunique"),
                                               parts_rows=("value", "size"), parts_ids=("statistic_id", lambda s: "+".join(sorted(s))))
    sums = sums.reset_index().merge(need, left_on="aggregate_geography_id", right_index=True)
    complete = sums[(sums["parts_found"] == sums["parts_needed"]) & (sums["parts_rows"] == sums["parts_needed"])]
    wholes = geo.merge(complete, left_on=["indicator_id", "geography_id", *PERIOD, "figure_kind"], right_on=by)
    bad = wholes[(wholes["value"].astype(float) - wholes["parts_sum"].astype(float)).abs() > rule.tolerance]
    for row in bad.itertuples():
        failures.append(Failure("statistics", row.statistic_id, "value", int(row.row_) + 2, rule.id,
                                f"{fmt(row.value)} != {fmt(row.parts_sum)} ({row.parts_ids})",
                                f"The total for {row.geography_id} is {fmt(row.value)} but its parts {row.parts_ids} sum to {fmt(row.parts_sum)}."))
    # By sub-period: periods that tile the whole's period exactly, same indicator, geography and kind.
    timed = stats[stats["additive_over_time"].fillna(False).astype(bool) & stats["period_start"].notna() & stats["period_end"].notna()]
    groups = timed.groupby(["indicator_id", "geography_id", "figure_kind"], dropna=False)
    for _, group in groups:
        if group[PERIOD].drop_duplicates().shape[0] < 2:
            continue
        for whole in group.itertuples():
            inside = group[(group["period_start"] >= whole.period_start) & (group["period_end"] <= whole.period_end)
                           & ~((group["period_start"] == whole.period_start) & (group["period_end"] == whole.period_end))]
            if inside.empty:
                continue
            inside = inside.sort_values("period_start")
            starts, ends = inside["period_start"].to_numpy(), inside["period_end"].to_numpy()
            tiles = (starts[0] == np.datetime64(whole.period_start) and ends[-1] == np.datetime64(whole.period_end)
                     and all(starts[i + 1] == ends[i] + np.timedelta64(1, "D") for i in range(len(starts) - 1)))
            total = float(inside["value"].sum())
            if tiles and abs(float(whole.value) - total) > rule.tolerance:
                ids = "+".join(inside["statistic_id"])
                failures.append(Failure("statistics", whole.statistic_id, "value", int(whole.row_) + 2, rule.id,
                                        f"{fmt(whole.value)} != {fmt(total)} ({ids})",
                                        f"The total for {fmt(whole.period_start)} to {fmt(whole.period_end)} is {fmt(whole.value)} but its sub-periods {ids} sum to {fmt(total)}."))
    return failures


def check_part_not_above_whole(ctx: Context, rule: Rule) -> list[Failure]:
    stats = _with_indicators(ctx)
    parts = stats[stats["part_of_indicator_id"].notna()]
    wholes = stats[["statistic_id", "indicator_id", "geography_id", *PERIOD, "value", "upper_bound"]]
    pairs = parts.merge(wholes, left_on=["part_of_indicator_id", "geography_id", *PERIOD],
                        right_on=["indicator_id", "geography_id", *PERIOD], suffixes=("", "_whole"))
    part = pairs["value"].fillna(pairs["lower_bound"]).astype(float)
    whole = pairs["value_whole"].fillna(pairs["upper_bound_whole"]).astype(float)
    bad = pairs[(part - whole > rule.tolerance).fillna(False).to_numpy()]
    return [Failure("statistics", r.statistic_id, "value", int(r.row_) + 2, rule.id,
                    f"{fmt(p)} > {fmt(w)} ({r.statistic_id_whole})",
                    f"{r.indicator_id} ({fmt(p)}) exceeds the figure of the indicator it is part of, {r.part_of_indicator_id} ({fmt(w)}, {r.statistic_id_whole}).")
            for r, p, w in zip(bad.itertuples(), part[bad.index], whole[bad.index])]


def _implied_bounds(stats: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    rule_, band, mag = stats["bound_rule"], stats["band"].astype(float), stats["magnitude"].astype(float)
    value = stats["value"].astype(float)
    lower = pd.Series(np.nan, index=stats.index)
    upper = pd.Series(np.nan, index=stats.index)
    exact = rule_ == "exact"
    lower[exact], upper[exact] = value[exact], value[exact]
    b = rule_ == "band"
    lower[b], upper[b] = value[b] * (1 - band[b]), value[b] * (1 + band[b])
    above = rule_.isin(["above", "at_least"])
    lower[above] = value[above]
    below = rule_ == "below"
    lower[below], upper[below] = value[below] * (1 - band[below]), value[below]
    m = rule_ == "magnitude"
    lower[m], upper[m] = 2 * mag[m], 10 * mag[m] - 1
    return lower, upper


def check_qualifier_bounds(ctx: Context, rule: Rule) -> list[Failure]:
    stats = ctx.frames["statistics"]
    merged = stats.merge(ctx.frames["qualifiers"], on="qualifier_id", how="left").set_axis(stats.index)
    known = merged["bound_rule"].notna()
    lower, upper = _implied_bounds(merged)
    tol = rule.tolerance

    def differs(stored: pd.Series, implied: pd.Series) -> pd.Series:
        stored = stored.astype(float)
        both = stored.notna() & implied.notna()
        return (stored.isna() != implied.isna()) | (both & ((stored - implied).abs() > tol * implied.abs().clip(lower=1)))

    value = stats["value"].astype(float)
    no_value = known & merged["value"].isna() & (merged["bound_rule"] != "magnitude")
    has_value = known & merged["value"].notna() & (merged["bound_rule"] == "magnitude")
    lo_bad = known & ~no_value & ~has_value & differs(stats["lower_bound"], lower)
    hi_bad = known & ~no_value & ~has_value & differs(stats["upper_bound"], upper)
    outside = (stats["lower_bound"].astype(float) > value) | (value > stats["upper_bound"].astype(float))
    q = merged["qualifier_id"]
    out = ctx.flag("statistics", no_value, "value", rule, lambda r: "",
                   lambda r: f"Qualifier {r.qualifier_id!r} qualifies a number, but value is empty.")
    out += ctx.flag("statistics", has_value, "value", rule, lambda r: fmt(r.value),
                    lambda r: f"Qualifier {r.qualifier_id!r} is a magnitude word with no number, but value is {fmt(r.value)}.")
    out += ctx.flag("statistics", lo_bad, "lower_bound", rule, lambda r: f"{fmt(r.lower_bound)} (implied {fmt(lower[r.name])})",
                    lambda r: f"'{q[r.name]}' {fmt(r.value)} implies lower_bound {fmt(lower[r.name]) or 'empty'}, not {fmt(r.lower_bound) or 'empty'}.")
    out += ctx.flag("statistics", hi_bad, "upper_bound", rule, lambda r: f"{fmt(r.upper_bound)} (implied {fmt(upper[r.name])})",
                    lambda r: f"'{q[r.name]}' {fmt(r.value)} implies upper_bound {fmt(upper[r.name]) or 'empty'}, not {fmt(r.upper_bound) or 'empty'}.")
    out += ctx.flag("statistics", outside, "value", rule, lambda r: f"{fmt(r.lower_bound)} <= {fmt(r.value)} <= {fmt(r.upper_bound)}",
                    lambda r: "The value lies outside its own lower and upper bounds.")
    return out


FORMULAS: dict[str, tuple[tuple[str, ...], Callable[[dict[str, pd.DataFrame]], pd.Series]]] = {
    # derivation -> (input roles, function of the inputs' rows, aligned on the derived statistic)
    "annualise": (("part_period",), lambda i: i["part_period"]["value"] * 12 / (
        (i["part_period"]["period_end"].dt.year - i["part_period"]["period_start"].dt.year) * 12
        + i["part_period"]["period_end"].dt.month - i["part_period"]["period_start"].dt.month + 1)),
    "ratio": (("numerator", "denominator"), lambda i: (i["numerator"]["value"] / i["denominator"]["value"]).round(3)),
    "difference": (("minuend", "subtrahend"), lambda i: i["minuend"]["value"] - i["subtrahend"]["value"]),
    "anniversary_year": (("anniversary",), lambda i: i["anniversary"]["period_end"].dt.year - i["anniversary"]["value"]),
}


def check_derivations(ctx: Context, rule: Rule) -> list[Failure]:
    stats = ctx.frames["statistics"]
    derived = stats["figure_kind"] == "derived"
    out = ctx.flag("statistics", derived & stats["derivation"].isna(), "derivation", rule, lambda r: "",
                   lambda r: "A derived statistic needs a derivation formula.")
    out += ctx.flag("statistics", ~derived & stats["derivation"].notna(), "derivation", rule, lambda r: r.derivation,
                    lambda r: f"Only derived statistics have a derivation; this one's figure_kind is {r.figure_kind}.")
    inputs = ctx.frames["derivation_inputs"].merge(
        stats[["statistic_id", "value", *PERIOD]], left_on="input_statistic_id", right_on="statistic_id",
        how="left", suffixes=("", "_input")).drop(columns="statistic_id_input")
    by_role = {role: grp.set_index("statistic_id") for role, grp in inputs.groupby("input_role")}
    frame = stats.reset_index(names="row_").set_index("statistic_id")
    for formula, (roles, compute) in FORMULAS.items():
        rows = frame[frame["derivation"] == formula]
        if rows.empty:
            continue
        present = {role: by_role.get(role, pd.DataFrame(columns=["value", *PERIOD])).reindex(rows.index) for role in roles}
        missing = np.zeros(len(rows), dtype=bool)
        for role in roles:
            missing |= present[role]["value"].isna().to_numpy()
        for sid in rows.index[missing]:
            out.append(Failure("statistics", sid, "derivation", int(rows.at[sid, "row_"]) + 2, rule.id, formula,
                               f"Formula {formula} needs inputs with roles {', '.join(roles)} and a value for each in derivation_inputs."))
        computed = compute(present).astype(float)
        stored = rows["value"].astype(float)
        bad = ~missing & ((stored - computed).abs() > rule.tolerance).fillna(True).to_numpy()
        for sid in rows.index[bad]:
            out.append(Failure("statistics", sid, "value", int(rows.at[sid, "row_"]) + 2, rule.id,
                               f"{fmt(stored[sid])} != {fmt(round(computed[sid], 6))}",
                               f"Recomputing {formula} from its inputs gives {fmt(round(computed[sid], 6))}, not {fmt(stored[sid])}."))
    return out


def check_words_match_numbers(ctx: Context, rule: Rule) -> list[Failure]:
    claims = ctx.frames["claims"]
    value = claims["statistic_id"].map(ctx.frames["statistics"].set_index("statistic_id")["value"]).astype(float)
    bands = ctx.frames["qualifiers"].set_index("qualifier_id")["band"].astype(float)
    claimed = claims["claimed_value"].astype(float)
    comparison = claims["comparison"]
    band = comparison.map(bands).astype(float).fillna(0.0)
    tol = rule.tolerance
    holds = pd.Series(True, index=claims.index)
    holds[comparison == "at_least"] = value >= claimed - tol
    holds[comparison == "nearly"] = (value >= claimed * (1 - band) - tol) & (value < claimed)
    holds[comparison == "around"] = (value - claimed).abs() <= claimed * band + tol
    known = claims["claim_id"].isin(ctx.frames["discrepancies"]["claim_id"].dropna())
    bad = ~holds.fillna(False).astype(bool) & ~known
    return ctx.flag("claims", bad, "claimed_value", rule,
                    lambda r: f"{r.statistic_id} = {fmt(value[r.name])}; {r.comparison} {fmt(r.claimed_value)}",
                    lambda r: f"The words claim {r.comparison} {fmt(r.claimed_value)} but {r.statistic_id} is {fmt(value[r.name])}, and no discrepancy records it.")


# --- referential -----------------------------------------------------------------------------

def check_statistic_has_evidence(ctx: Context, rule: Rule) -> list[Failure]:
    stats = ctx.frames["statistics"]
    derived = stats["figure_kind"] == "derived"
    has_evidence = stats["statistic_id"].isin(ctx.frames["statistic_evidence"]["statistic_id"])
    has_inputs = stats["statistic_id"].isin(ctx.frames["derivation_inputs"]["statistic_id"])
    out = ctx.flag("statistics", ~derived & ~has_evidence, "statistic_id", rule, lambda r: r.statistic_id,
                   lambda r: "No statistic_evidence row links this statistic to a document.")
    out += ctx.flag("statistics", derived & ~has_inputs, "statistic_id", rule, lambda r: r.statistic_id,
                    lambda r: "This derived statistic has no derivation_inputs row.")
    return out


def check_event_has_evidence(ctx: Context, rule: Rule) -> list[Failure]:
    events = ctx.frames["events"]
    bad = ~events["event_id"].isin(ctx.frames["event_evidence"]["event_id"])
    return ctx.flag("events", bad, "event_id", rule, lambda r: r.event_id,
                    lambda r: "No event_evidence row links this event to a document.")


EVIDENCE = [  # (table, column naming the archived document, quote column)
    ("statistic_evidence", "source_id", "quote"),
    ("event_evidence", "source_id", "quote"),
    ("claims", "source_id", "quote"),
    ("citations", "citing_source_id", "quote"),
]


def check_evidence_from_document(ctx: Context, rule: Rule) -> list[Failure]:
    sources = ctx.frames["sources"]
    documents = set(sources.loc[sources["text_sha256"].notna(), "source_id"])
    known = set(sources["source_id"])
    out = []
    for table, column, _ in EVIDENCE:
        frame = ctx.frames[table]
        bad = frame[column].isin(known) & ~frame[column].isin(documents)
        out += ctx.flag(table, bad, column, rule, lambda r, c=column: r[c],
                        lambda r, c=column: f"{r[c]} is not an archived document (it has no text_sha256), so its quote cannot be checked.")
    return out


# --- temporal --------------------------------------------------------------------------------

DATED = [  # (table, start column, end column, precision column, basis column)
    ("statistics", "period_start", "period_end", "period_precision", "period_basis"),
    ("events", "date_start", "date_end", "date_precision", "date_basis"),
    ("sources", "published_start", "published_end", "date_precision", "date_basis"),
]


def check_period_order(ctx: Context, rule: Rule) -> list[Failure]:
    out = []
    for table, start, end, _, _ in DATED:
        frame = ctx.frames[table]
        out += ctx.flag(table, frame[start] > frame[end], end, rule, lambda r, s=start, e=end: f"{fmt(r[s])} > {fmt(r[e])}",
                        lambda r, s=start, e=end: f"{e} {fmt(r[e])} is before {s} {fmt(r[s])}.")
    return out


UNIT_MONTHS = {"day": 0, "month": 1, "quarter": 3, "half_year": 6, "year": 12}


def _unit_start(dates: pd.Series, precision: pd.Series) -> pd.Series:
    """First day of the day, month, quarter, half-year or year that contains each date."""
    months = precision.map(UNIT_MONTHS)
    out = dates.copy()
    sel = dates.notna() & (months > 0)
    first_month = ((dates[sel].dt.month - 1) // months[sel]) * months[sel] + 1
    out[sel] = pd.to_datetime(pd.DataFrame({"year": dates[sel].dt.year, "month": first_month, "day": 1}))
    out[dates.notna() & months.isna()] = pd.NaT
    return out


def _unit_end(dates: pd.Series, precision: pd.Series) -> pd.Series:
    """Last day of the unit that contains each date."""
    starts = _unit_start(dates, precision)
    months = precision.map(UNIT_MONTHS)
    out = dates.copy()
    for n in (1, 3, 6, 12):
        sel = (months == n) & dates.notna()
        out[sel] = starts[sel] + pd.DateOffset(months=n) - pd.Timedelta(days=1)
    out[dates.notna() & months.isna()] = pd.NaT
    return out


def check_precision_matches_dates(ctx: Context, rule: Rule) -> list[Failure]:
    out = []
    for table, start, end, precision, basis in DATED:
        frame = ctx.frames[table]
        unknown = frame[precision] == "unknown"
        not_stated = frame[basis] == "not_stated"
        unit_start, unit_end = _unit_start(frame[start], frame[precision]), _unit_end(frame[end], frame[precision])
        open_end = frame[end].isna() & (frame["status"] == "ongoing") if "status" in frame else pd.Series(False, index=frame.index)
        bad = (
            (unknown != not_stated)
            | (unknown & (frame[start].notna() | frame[end].notna()))
            | (~unknown & frame[start].isna())
            | (~unknown & frame[start].notna() & (frame[start] != unit_start))
            | (~unknown & ~open_end & (frame[end] != unit_end))
        )
        out += ctx.flag(table, bad, precision, rule,
                        lambda r, s=start, e=end, p=precision, b=basis: f"{fmt(r[s])}..{fmt(r[e])} {r[p]} {r[b]}",
                        lambda r, s=start, e=end, p=precision, b=basis: (
                            f"{s} must be the first day and {e} the last day of a {r[p]}" if r[p] != "unknown" else f"with precision unknown, {s} and {e} must be empty"
                        ) + f", and precision is unknown exactly when {b} is not_stated.")
    return out


def _published(ctx: Context) -> pd.DataFrame:
    return ctx.frames["sources"].set_index("source_id")[["published_start", "published_end"]]


def _after_report(ctx: Context, rule: Rule, table: str, subject: str, subject_table: str, date_column: str, exempt: pd.Series | None) -> list[Failure]:
    evidence = ctx.frames[table]
    dates = evidence[subject].map(ctx.frames[subject_table].set_index(subject)[date_column])
    published = _published(ctx)["published_end"]
    out = []
    for column in ("source_id", "cited_source_id"):
        report_end = evidence[column].map(published)
        bad = (dates > report_end)
        if exempt is not None:
            bad &= ~evidence[subject].map(exempt).fillna(False).astype(bool)
        out += ctx.flag(table, bad, column, rule,
                        lambda r, c=column: f"{fmt(dates[r.name])} > {fmt(published.get(r[c]))}",
                        lambda r, c=column: f"{r[subject]} is dated {fmt(dates[r.name])}, after {r[c]} was published ({fmt(published.get(r[c]))}).")
    return out


def check_period_before_report(ctx: Context, rule: Rule) -> list[Failure]:
    return _after_report(ctx, rule, "statistic_evidence", "statistic_id", "statistics", "period_end", None)


def check_event_before_report(ctx: Context, rule: Rule) -> list[Failure]:
    events = ctx.frames["events"]
    exempt = events.set_index("event_id")["status"].isin(["planned", "announced"])
    return _after_report(ctx, rule, "event_evidence", "event_id", "events", "date_start", exempt)


def check_citation_order(ctx: Context, rule: Rule) -> list[Failure]:
    citations = ctx.frames["citations"]
    published = _published(ctx)
    cited = citations["cited_source_id"].map(published["published_start"])
    citing = citations["citing_source_id"].map(published["published_end"])
    return ctx.flag("citations", cited > citing, "cited_source_id", rule,
                    lambda r: f"{fmt(cited[r.name])} > {fmt(citing[r.name])}",
                    lambda r: f"{r.citing_source_id} cites {r.cited_source_id}, published after it ({fmt(cited[r.name])}).")


# --- provenance ------------------------------------------------------------------------------

NUMBER_WORDS = {"once": 1, "one": 1, "single": 1, "double": 2, "twice": 2, "two": 2, "three": 3, "triple": 3, "four": 4,
                "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "dozen": 12, "hundred": 100, "thousand": 1000}
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_NUMBERS = re.compile(r"\d+(?:\.\d+)?")
_WORDS = re.compile(r"[a-z]+")


def numbers_in(text: str) -> set[float]:
    """Every number a quote states, with thousands separators and number words ('double' is 2)."""
    plain = _THOUSANDS.sub("", text)
    found = {float(n) for n in _NUMBERS.findall(plain)}
    found.update(float(NUMBER_WORDS[w]) for w in _WORDS.findall(text.lower()) if w in NUMBER_WORDS)
    return found


def _quotes_by_statistic(ctx: Context) -> pd.Series:
    return ctx.frames["statistic_evidence"].groupby("statistic_id")["quote"].agg(list)


def check_value_in_quote(ctx: Context, rule: Rule) -> list[Failure]:
    stats = ctx.frames["statistics"]
    quotes = _quotes_by_statistic(ctx)
    cache: dict[str, set[float]] = {}

    def stated(sid: str, value: float) -> bool:
        return any(value in cache.setdefault(q, numbers_in(q)) for q in quotes.get(sid, []))

    check = stats["value"].notna() & (stats["figure_kind"] != "derived") & stats["statistic_id"].isin(quotes.index)
    bad = pd.Series(False, index=stats.index)
    for i, sid, value in zip(stats.index[check], stats.loc[check, "statistic_id"], stats.loc[check, "value"].astype(float)):
        bad[i] = not stated(sid, value)
    return ctx.flag("statistics", bad, "value", rule, lambda r: fmt(r.value),
                    lambda r: f"The value {fmt(r.value)} appears in none of the statistic's quotes.")


def check_qualifier_in_quote(ctx: Context, rule: Rule) -> list[Failure]:
    stats = ctx.frames["statistics"]
    phrases = ctx.frames["qualifiers"].set_index("qualifier_id")["phrase"]
    quotes = _quotes_by_statistic(ctx)
    phrase = stats["qualifier_id"].map(phrases)
    check = phrase.notna() & stats["statistic_id"].isin(quotes.index)
    bad = pd.Series(False, index=stats.index)
    for i in stats.index[check]:
        pattern = re.compile(rf"\b{re.escape(phrase[i])}\b", re.IGNORECASE)
        bad[i] = not any(pattern.search(q) for q in quotes[stats.at[i, "statistic_id"]])
    return ctx.flag("statistics", bad, "qualifier_id", rule, lambda r: f"{r.qualifier_id} ({phrases.get(r.qualifier_id)!r})",
                    lambda r: f"The qualifier's words {phrases.get(r.qualifier_id)!r} appear in none of the statistic's quotes.")


def load_archive(folder: Path) -> dict[str, str]:
    """Each file in the archive folder by the sha256 of its bytes."""
    import hashlib
    docs = {}
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        raw = path.read_bytes()
        docs[hashlib.sha256(raw).hexdigest()] = raw.decode("utf-8", errors="replace")
    return docs


def check_document_in_archive(ctx: Context, rule: Rule) -> list[Failure]:
    sources = ctx.frames["sources"]
    bad = sources["text_sha256"].notna() & ~sources["text_sha256"].isin(list(ctx.archive or {}))
    return ctx.flag("sources", bad, "text_sha256", rule, lambda r: r.text_sha256,
                    lambda r: "No file in the archive has this sha256: the document is missing or was changed.")


def check_quote_in_archive(ctx: Context, rule: Rule) -> list[Failure]:
    texts = ctx.frames["sources"].dropna(subset=["text_sha256"]).set_index("source_id")["text_sha256"].map(ctx.archive or {})
    out = []
    for table, column, quote in EVIDENCE:
        frame = ctx.frames[table]
        doc = frame[column].map(texts)
        bad = [isinstance(d, str) and isinstance(q, str) and q not in d for d, q in zip(doc, frame[quote])]
        out += ctx.flag(table, np.array(bad, dtype=bool), quote, rule, lambda r, q=quote: r[q][:60],
                        lambda r, c=column: f"The quote is not found verbatim in the archived text of {r[c]}.")
    return out


# --- agreement -------------------------------------------------------------------------------

def check_cross_source(ctx: Context, rule: Rule) -> list[Failure]:
    stats = ctx.frames["statistics"].reset_index(names="row_")
    stats = stats[stats["figure_kind"] != "derived"]
    key = ["indicator_id", "geography_id", *PERIOD]
    multi = stats[stats.duplicated(key, keep=False)]
    if multi.empty:
        return []
    disc = ctx.frames["discrepancies"]
    known = set(zip(disc["statistic_id"], disc["other_statistic_id"])) | set(zip(disc["other_statistic_id"], disc["statistic_id"]))
    out = []
    figure = ["value", "qualifier_id", "lower_bound", "upper_bound"]
    for _, group in multi.groupby(key, dropna=False):
        rows = list(group.itertuples())
        for i, a in enumerate(rows):
            for b in rows[i + 1:]:
                if (a.statistic_id, b.statistic_id) in known:
                    continue
                same = all(fmt(getattr(a, c)) == fmt(getattr(b, c)) for c in figure)
                message = (f"{a.statistic_id} and {b.statistic_id} state the same figure for the same indicator, geography and period: make them one statistic with two evidence rows."
                           if same else
                           f"{a.statistic_id} and {b.statistic_id} disagree for the same indicator, geography and period, and no discrepancy records it.")
                out.append(Failure("statistics", b.statistic_id, "value", int(b.row_) + 2, rule.id,
                                   f"{a.statistic_id}: {fmt(a.qualifier_id)} {fmt(a.value)}; {b.statistic_id}: {fmt(b.qualifier_id)} {fmt(b.value)}", message))
    return out


# --- hygiene ---------------------------------------------------------------------------------

def _text_columns(ctx: Context) -> Iterable[tuple[str, str, pd.Series]]:
    for name, table in ctx.package.tables.items():
        for field in table.fields:
            if field.type == "string":
                yield name, field.name, ctx.frames[name][field.name]


def _text_rule(test: Callable[[pd.Series], pd.Series], message: str) -> Callable[[Context, Rule], list[Failure]]:
    def check(ctx: Context, rule: Rule) -> list[Failure]:
        out = []
        for name, column, series in _text_columns(ctx):
            present = series.notna()
            if not present.any():
                continue
            bad = pd.Series(False, index=series.index)
            bad[present] = test(series[present].astype(str)).to_numpy(dtype=bool)
            out += ctx.flag(name, bad, column, rule, lambda r, c=column: repr(r[c][:60]), lambda r: message)
        return out
    return check


check_formula_injection = _text_rule(lambda s: s.str.match(r"[=+\-@]") & ~s.str.fullmatch(NUMBER.pattern),
                                     "The text starts with =, +, - or @ and is not a number: a spreadsheet would run it as a formula.")
check_whitespace = _text_rule(lambda s: s != s.str.strip(), "The text has leading or trailing whitespace.")
check_control_chars = _text_rule(lambda s: s.str.contains(r"[\x00-\x1f\x7f-\x9f]", regex=True), "The text holds a control character (tab, newline or other).")
check_nfc = _text_rule(lambda s: s != s.str.normalize("NFC"), "The text is not in Unicode normal form NFC.")


def check_iso3166(ctx: Context, rule: Rule) -> list[Failure]:
    geo = ctx.frames["geographies"]
    alpha3 = geo["iso3166_1_alpha3"]
    sub = geo["iso3166_2"]
    parent_alpha3 = geo["parent_geography_id"].map(geo.set_index("geography_id")["iso3166_1_alpha3"])

    def country(code: str):
        return pycountry.countries.get(alpha_3=code)

    def subdivision(code: str):
        return pycountry.subdivisions.get(code=code)

    bad_alpha3 = alpha3.notna() & ~alpha3.map(lambda c: c is not None and isinstance(c, str) and country(c) is not None)
    sub_country = sub.map(lambda c: subdivision(c).country_code if isinstance(c, str) and subdivision(c) else None)
    parent_alpha2 = parent_alpha3.map(lambda c: country(c).alpha_2 if isinstance(c, str) and country(c) else None)
    bad_sub = sub.notna() & (sub_country.isna() | (sub_country != parent_alpha2))
    level = geo["level"]
    bad_level = ((level == "country") & (alpha3.isna() | (alpha3 != geo["geography_id"]) | sub.notna())) \
        | ((level == "province") & (sub.isna() | (sub != geo["geography_id"]) | alpha3.notna())) \
        | (level.isin(["region", "site", "aggregate"]) & (alpha3.notna() | sub.notna()))
    out = ctx.flag("geographies", bad_alpha3, "iso3166_1_alpha3", rule, lambda r: r.iso3166_1_alpha3,
                   lambda r: f"{r.iso3166_1_alpha3} is not an ISO 3166-1 alpha-3 code.")
    out += ctx.flag("geographies", bad_sub, "iso3166_2", rule, lambda r: r.iso3166_2,
                    lambda r: f"{r.iso3166_2} is not an ISO 3166-2 code of the parent country {fmt(r.parent_geography_id)}.")
    out += ctx.flag("geographies", bad_level, "level", rule, lambda r: r.level,
                    lambda r: "A country's id is its ISO 3166-1 alpha-3 code, a province's its ISO 3166-2 code; other levels carry neither.")
    return out


def check_aggregate_parts(ctx: Context, rule: Rule) -> list[Failure]:
    geo = ctx.frames["geographies"]
    parts = ctx.frames["geography_parts"]["aggregate_geography_id"].value_counts()
    aggregate = geo["level"] == "aggregate"
    count = geo["geography_id"].map(parts).fillna(0)
    out = ctx.flag("geographies", aggregate & (count < 2), "geography_id", rule, lambda r: r.geography_id,
                   lambda r: "An aggregate needs at least two parts in geography_parts.")
    gp = ctx.frames["geography_parts"]
    not_aggregate = ~gp["aggregate_geography_id"].map(geo.set_index("geography_id")["level"]).isin(["aggregate"]) & gp["aggregate_geography_id"].isin(geo["geography_id"])
    out += ctx.flag("geography_parts", not_aggregate, "aggregate_geography_id", rule, lambda r: r.aggregate_geography_id,
                    lambda r: f"{r.aggregate_geography_id} is not a geography of level aggregate.")
    return out


def check_key_order(ctx: Context, rule: Rule) -> list[Failure]:
    out = []
    for name, table in ctx.package.tables.items():
        frame = ctx.frames[name]
        if len(frame) < 2 or not table.primary_key:
            continue
        keys = frame[table.primary_key].astype(str)
        prev = keys.shift(1)
        # row i is out of order when its key tuple sorts before the previous row's
        less = pd.Series(False, index=frame.index)
        equal_so_far = pd.Series(True, index=frame.index)
        for column in table.primary_key:
            less |= equal_so_far & (keys[column] < prev[column])
            equal_so_far &= keys[column] == prev[column]
        less.iloc[0] = False
        out += ctx.flag(name, less, table.primary_key[0], rule, lambda r: "",
                        lambda r: "This row's primary key sorts before the previous row's: keep rows in primary-key order.")
    return out


# --- parity ----------------------------------------------------------------------------------

def _nullable(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f.with_nullable(True) for f in schema], metadata=schema.metadata)


def check_parity(ctx: Context, rule: Rule) -> list[Failure]:
    out = []
    for name, table in ctx.package.tables.items():
        def fail(message: str, key: str = "", column: str = "", line: int | None = None, values: str = "") -> None:
            out.append(Failure(name, key, column, line, rule.id, values, message))
        try:
            got = pq.read_table(table.parquet_path)
        except FileNotFoundError:
            fail(f"data/{name}.parquet is missing: run make to build it.")
            continue
        except (OSError, pa.ArrowException) as err:
            fail(f"data/{name}.parquet cannot be read ({err}).")
            continue
        want = to_arrow(table, ctx.frames[name])
        if got.schema.metadata != want.schema.metadata:
            fail(f"data/{name}.parquet stores a different Table Schema than {table.schema_path}: run make.")
        # nullability is not compared: a twin of a CSV with an empty required cell cannot be non-nullable
        if not _nullable(got.schema).equals(_nullable(want.schema)):
            diff = [f"{f.name}: {f.type}" for f in got.schema if f.name not in want.schema.names or want.schema.field(f.name).type != f.type]
            missing = [n for n in want.schema.names if n not in got.schema.names]
            fail(f"data/{name}.parquet has other columns or types than its schema ({'; '.join(diff + [m + ': missing' for m in missing])}): run make.")
            continue
        if got.num_rows != want.num_rows:
            fail(f"data/{name}.parquet has {got.num_rows} rows, the CSV {want.num_rows}: run make.")
            continue
        if got.cast(_nullable(got.schema)).equals(want.cast(_nullable(want.schema))):
            continue
        keys = ctx.keys(name)
        for column in want.schema.names:
            a, b = got.column(column).to_pylist(), want.column(column).to_pylist()
            for i in [i for i in range(len(a)) if a[i] != b[i]][:20]:
                fail(f"The Parquet cell differs from the CSV cell: run make.", keys.iat[i], column, i + 2, f"{a[i]!r} != {b[i]!r}")
    return out


RULES: list[Rule] = [
    Rule("file.empty", "A CSV has at least its header row.", stage="file"),
    Rule("file.encoding", "A CSV is UTF-8 without a byte-order mark.", stage="file"),
    Rule("file.line_endings", "A CSV uses LF line endings.", stage="file"),
    Rule("file.header", "A CSV's header names its schema's fields, in order.", stage="file"),
    Rule("file.ragged_row", "Every row has as many cells as the header.", stage="file"),
    Rule("schema.type", "Every cell parses as its field's type (integer, number, boolean, YYYY-MM-DD date).", stage="schema"),
    Rule("schema.required", "Required fields are not empty.", stage="schema"),
    Rule("schema.enum", "A field with allowed values holds one of them.", stage="schema"),
    Rule("schema.pattern", "A field with a pattern matches it.", stage="schema"),
    Rule("schema.length", "Text respects its field's minimum and maximum length (quotes at most 300 characters).", stage="schema"),
    Rule("schema.range", "Numbers respect their field's minimum and maximum.", stage="schema"),
    Rule("schema.unique", "Primary keys, unique keys and unique fields have no duplicates.", stage="schema"),
    Rule("ref.foreign_key", "Every foreign key resolves to a row of the table it references.", stage="schema"),
    Rule("arith.parts_sum_to_total", "The parts of an aggregate geography, or sub-periods tiling a period, sum to the total.", check_parts_sum_to_total, 0.0, tables=("statistics", "indicators", "geography_parts")),
    Rule("arith.part_not_above_whole", "A figure never exceeds the figure of the indicator it is part of, for the same geography and period.", check_part_not_above_whole, 0.0, tables=("statistics", "indicators")),
    Rule("arith.qualifier_bounds", "Bounds are those the qualifier implies ('around' a band, 'over' a lower bound) and lower <= value <= upper.", check_qualifier_bounds, 1e-9, tables=("statistics", "qualifiers")),
    Rule("arith.derivation_recomputes", "A derived figure equals its declared formula recomputed from its inputs.", check_derivations, 0.0005, tables=("statistics", "derivation_inputs")),
    Rule("arith.words_match_numbers", "A claim in words ('on pace to double') holds for its statistic, or a discrepancy records that it does not.", check_words_match_numbers, 1e-9, tables=("claims", "statistics", "qualifiers", "discrepancies")),
    Rule("ref.statistic_has_evidence", "Every statistic has evidence from a document, or inputs if it is derived.", check_statistic_has_evidence, tables=("statistics", "statistic_evidence", "derivation_inputs")),
    Rule("ref.event_has_evidence", "Every event has evidence from a document.", check_event_has_evidence, tables=("events", "event_evidence")),
    Rule("ref.evidence_from_document", "Quotes come from archived documents (sources with a text_sha256).", check_evidence_from_document, tables=("sources",) + tuple(t for t, _, _ in EVIDENCE)),
    Rule("time.period_order", "A period or date range does not end before it starts.", check_period_order, tables=("statistics", "events", "sources")),
    Rule("time.precision_matches_dates", "Start and end span exactly one unit of the stated precision; unknown precision means no dates and basis not_stated.", check_precision_matches_dates, tables=("statistics", "events", "sources")),
    Rule("time.period_before_report", "A reported period ends on or before the publication of each source that reports it.", check_period_before_report, tables=("statistic_evidence", "statistics", "sources")),
    Rule("time.event_before_report", "An event starts on or before the publication of each source that reports it, unless planned or announced.", check_event_before_report, tables=("event_evidence", "events", "sources")),
    Rule("time.citation_order", "No document cites a source published after it.", check_citation_order, tables=("citations", "sources")),
    Rule("prov.value_in_quote", "The value of a statistic appears in at least one of its quotes (thousands separators and number words allowed).", check_value_in_quote, tables=("statistics", "statistic_evidence")),
    Rule("prov.qualifier_in_quote", "The words of a statistic's qualifier appear in at least one of its quotes.", check_qualifier_in_quote, tables=("statistics", "statistic_evidence", "qualifiers")),
    Rule("prov.document_in_archive", "With --archive: every archived document's sha256 matches a file in the archive.", check_document_in_archive, stage="archive", tables=("sources",)),
    Rule("prov.quote_in_archive", "With --archive: every quote is found verbatim in its document's archived text.", check_quote_in_archive, stage="archive", tables=("sources",) + tuple(t for t, _, _ in EVIDENCE)),
    Rule("agree.cross_source", "Figures for the same indicator, geography and period agree, or a discrepancy records the difference.", check_cross_source, tables=("statistics", "discrepancies")),
    Rule("hygiene.formula_injection", "No text starts with =, +, - or @ unless it is a number.", check_formula_injection),
    Rule("hygiene.whitespace", "No text has leading or trailing whitespace.", check_whitespace),
    Rule("hygiene.control_chars", "No text holds control characters.", check_control_chars),
    Rule("hygiene.unicode_nfc", "All text is in Unicode NFC.", check_nfc),
    Rule("hygiene.iso3166", "Country and province codes exist in ISO 3166 (pycountry) and match their level and parent.", check_iso3166, tables=("geographies",)),
    Rule("hygiene.aggregate_parts", "An aggregate geography has at least two parts, and only aggregates have parts.", check_aggregate_parts, tables=("geographies", "geography_parts")),
    Rule("hygiene.key_order", "Rows are in primary-key order.", check_key_order),
    Rule("parity.parquet_matches_csv", "Each Parquet twin holds exactly its CSV's rows, types and Table Schema.", check_parity, stage="parity"),
]

RULES_BY_ID = {rule.id: rule for rule in RULES}
