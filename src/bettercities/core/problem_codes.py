"""The catalogue of problem codes: every :class:`~bettercities.core.problems.Problem` names one of these.

Codes are stable: scripts, the web upload and users match on them, so a code is added here (and in
``docs/problems.md``, which lists this catalogue) and never respelled. ``severity`` is the code's usual
severity; a few problems take theirs from elsewhere (a quality rule's own, for ``rule-violation``).
Tests check that the sources use no other code and that the documentation agrees with the catalogue.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from bettercities.core.problems import Severity


class ProblemCode(BaseModel):
    """One entry of the catalogue."""

    model_config = {"frozen": True}

    code: str = Field(pattern=r"^[a-z]+(-[a-z]+)*$")
    title: str
    description: str
    severity: Severity


def _entry(code: str, severity: str, title: str, description: str) -> tuple[str, ProblemCode]:
    return code, ProblemCode(code=code, title=title, description=description, severity=Severity(severity))


ERROR, WARNING = "error", "warning"

PROBLEM_CODES: dict[str, ProblemCode] = dict(
    [
        # reading a file
        _entry("unsupported-format", ERROR, "Unsupported format",
               "the file suffix (or export format) has no registered reader/writer"),
        _entry("empty-file", ERROR, "Empty file", "the file or sheet holds nothing"),
        _entry("unreadable-file", ERROR, "Unreadable file",
               "the file is damaged or not of the format its suffix says"),
        _entry("too-large", ERROR, "Too large",
               "a file (unpacked), a sheet's declared size, its columns or cells exceed the reader's budget"),
        _entry("encoding-error", ERROR, "Encoding error",
               "the text cannot be decoded with the given encoding"),
        _entry("missing-header", ERROR, "Missing header", "the first row does not name the columns"),
        _entry("missing-sheet", ERROR, "Missing sheet", "the Excel workbook has no sheet of that name"),
        _entry("missing-layer", ERROR, "Missing layer", "the geodata file has no layer of that name"),
        _entry("several-layers", WARNING, "Several layers",
               "the geodata file has several layers; the first was read"),
        _entry("missing-crs", WARNING, "Missing CRS",
               "the geodata file names no coordinate reference system; WGS84 assumed"),
        _entry("malformed-row", ERROR, "Malformed row", "a row has more or fewer fields than the header"),
        # columns and options
        _entry("missing-column", ERROR, "Missing column",
               "a column named by an option (or required) is not in the file"),
        _entry("duplicate-column", ERROR, "Duplicate column", "two columns have the same name"),
        _entry("unknown-column", WARNING, "Unknown column", "a column to ignore is not in the file"),
        _entry("invalid-option", ERROR, "Invalid option",
               "an option is invalid (e.g. both `--period` and `--period-column`)"),
        _entry("invalid-mapping", ERROR, "Invalid mapping",
               "a `--map` target is not valid for the layout, or a mapping line is not `SOURCE=CODE`"),
        _entry("missing-option", ERROR, "Missing option",
               "an export needs an option (a map needs `--indicator` and `--period`)"),
        _entry("no-data", ERROR, "No data", "the file holds no values to import"),
        # observation cells
        _entry("missing-value", ERROR, "Missing value",
               "a key cell (area id, indicator, period) is empty; areas: no id"),
        _entry("missing-period", ERROR, "Missing period",
               "no period for a column: no `--period`, period column or `CODE@PERIOD`"),
        _entry("invalid-period", ERROR, "Invalid period", "a period cell or option is not a period"),
        _entry("unknown-area", ERROR, "Unknown area",
               "no area of the level with this id is valid at the period"),
        _entry("unknown-indicator", ERROR, "Unknown indicator",
               "a column (wide) or indicator cell (long) is not a registered indicator"),
        _entry("type-error", ERROR, "Not a number", "text in a numeric cell (value, numerator, denominator)"),
        _entry("invalid-flag", ERROR, "Invalid flag",
               "a flag cell is not 1/0, x/empty, true/false, yes/no, ja/nein"),
        _entry("duplicate-key", ERROR, "Duplicate key",
               "the same area + indicator + period (areas: the same id) appears twice"),
        _entry("out-of-range", ERROR, "Out of range",
               "a value outside the indicator's `min_value` .. `max_value`"),
        _entry("numerator-exceeds-denominator", ERROR, "Numerator exceeds denominator",
               "a share whose numerator exceeds its denominator"),
        _entry("inconsistent-value", WARNING, "Inconsistent value",
               "a value differs from factor × numerator / denominator"),
        _entry("empty-value", WARNING, "Empty value", "long layout: a row without a value is skipped"),
        # quality rules and outlier screening (docs/quality.md)
        _entry("rule-violation", ERROR, "Rule violated",
               "a validation rule fails (its severity is the rule's: error or warning)"),
        _entry("rule-missing-value", ERROR, "Rule operand missing",
               "an operand of a rule with missing: fail has no value"),
        _entry("invalid-rule", ERROR, "Invalid rule",
               "a rule definition is invalid (unknown operator, bad expression)"),
        _entry("outlier", WARNING, "Outlier",
               "a value flagged by outlier screening; it waits in the follow-up queue"),
        _entry("undated-value", WARNING, "Undated value",
               "Urban Audit: a value without a reference year is left out"),
        # areas
        _entry("invalid-id", ERROR, "Invalid id", "an area id longer than 60 characters"),
        _entry("id-padded", WARNING, "Id padded",
               "numeric area ids were padded with leading zeros to the level's id width (`--pad-ids`)"),
        _entry("id-fixed", WARNING, "Id fixed", "an id was replaced by `--fix-id` (recorded for provenance)"),
        _entry("invalid-geometry", ERROR, "Invalid geometry",
               "not a (repairable) polygon in WGS84 longitude/latitude"),
        _entry("geometry-repaired", WARNING, "Geometry repaired",
               "an invalid polygon (e.g. self-intersecting) was repaired with make_valid; check its outline"),
        _entry("missing-geometry", WARNING, "Missing geometry",
               "a feature without geometry (the area is stored without one)"),
        _entry("unknown-parent", ERROR, "Unknown parent", "the parent id is not an area of the parent level"),
        _entry("no-parent-level", ERROR, "No parent level",
               "a parent id was given but the level has no parent level"),
        _entry("invalid-validity", ERROR, "Invalid validity", "`valid_to` is not after `valid_from`"),
        _entry("weights-not-one", ERROR, "Weights do not add up to one",
               "a crosswalk's weights of one source area do not add up to 1"),
        # definitions read from files (indicators, catalogue, index configurations)
        _entry("invalid-definition", ERROR, "Invalid indicator definition",
               "an entry of an indicator definitions file is invalid"),
        _entry("invalid-dataset", ERROR, "Invalid dataset", "an entry of a catalogue YAML file is invalid"),
        _entry("invalid-spec", ERROR, "Invalid microdata spec",
               "an entry of a microdata aggregation spec is invalid (YAML, condition, column, indicator)"),
        _entry("invalid-configuration", ERROR, "Invalid index configuration",
               "an entry of an index configuration is invalid"),
        _entry("unknown-method", ERROR, "Unknown index method",
               "the index configuration names no registered method"),
        # computing an index
        _entry("missing-population", ERROR, "Missing population",
               "the index configuration needs a population column the data lack"),
        _entry("missing-id", ERROR, "Missing area id", "a row of the index data has an empty area id"),
        _entry("nothing-to-score", WARNING, "Nothing to score", "no area is left to score"),
        # spatial statistics
        _entry("no-value", WARNING, "No value",
               "an area without a published value is left out of a spatial statistic or typology"),
        _entry("no-geometry", WARNING, "No geometry",
               "an area without a stored geometry is left out of the spatial statistics"),
        _entry("too-few-areas", ERROR, "Too few areas", "fewer than 3 areas with a value and a geometry"),
        _entry("islands", WARNING, "Islands", "areas without neighbours under the chosen weights"),
        # catalogue approval (docs/catalog.md)
        _entry("four-eyes", ERROR, "Four-eyes rule",
               "with the city's four-eyes rule on, whoever submitted a dataset may not approve it"),
        _entry("open-outlier-flags", WARNING, "Open outlier flags",
               "a dataset was approved while outlier flags on its indicators were open (recorded)"),
        # web
        _entry("import-failed", ERROR, "Import failed", "an import started from the web failed"),
        # action plans (docs/plans.md)
        _entry("unknown-goal", ERROR, "Unknown goal",
               "a goal linked to an objective or an action is not a goal of the plan's city"),
        _entry("invalid-timeline", ERROR, "Invalid timeline",
               "an end date (a plan's period, an action's timeline) before its start"),
        _entry("negative-budget", ERROR, "Negative budget", "an action's budget is below zero"),
        _entry("invalid-choice", ERROR, "Invalid choice",
               "a status, likelihood or impact that is not one of its allowed values"),
        _entry("invalid-text", ERROR, "Invalid text",
               "a title or text that is empty, too long, or holds a control character"),
        _entry("invalid-plan", ERROR, "Invalid plan entry",
               "another field of a plan, objective, action or risk (or of a plan's YAML file) is invalid"),
        # consultation rounds (docs/consultations.md)
        _entry("unknown-item", ERROR, "Unknown item",
               "a consultation item, or the priority area, goal, action or comment it names, does not exist "
               "or is not public"),
        _entry("invalid-ballot", ERROR, "Invalid ballot",
               "a ballot names unknown items, repeats or skips a rank, or gives more dots than allowed"),
        _entry("invalid-round", ERROR, "Invalid consultation entry",
               "another field of a consultation round, item, invitation, ballot, comment, proposal or "
               "moderation is invalid (e.g. dots out of range, a time without a time zone)"),
        # goals (docs/goals.md)
        _entry("unknown-level", ERROR, "Unknown level", "the city has no spatial level of that code"),
        _entry("unknown-priority-set", ERROR, "Unknown priority set",
               "the city has no saved priority set of that name (that the caller may see)"),
        _entry("mixed-levels", ERROR, "Mixed levels", "the areas of a goal belong to more than one level"),
        _entry("no-baseline-data", ERROR, "No baseline data",
               "the indicator has no value in every chosen area (in the baseline period, or in any period)"),
        _entry("invalid-target", ERROR, "Invalid target",
               "a goal needs exactly one of a target value and a target change"),
        _entry("deadline-before-baseline", ERROR, "Deadline before baseline",
               "a goal's deadline is not after the end of its baseline period"),
        _entry("target-wrong-side", WARNING, "Target on the wrong side",
               "the target does not improve on the baseline for the indicator's polarity (the goal is set)"),
        _entry("target-undetectable", WARNING, "Target not detectable",
               "the target change is smaller than the change detectable from year-to-year variation"),
        _entry("goal-invalid-areas", ERROR, "Invalid area selection",
               "a goal's area selection is not one of areas, level or priority_set, or has no value"),
        _entry("goal-invalid-measure", ERROR, "Invalid performance measure",
               "a performance measure lacks its kind, baseline value or baseline period, or a population "
               "goal is given them"),
        _entry("goal-invalid-entry", ERROR, "Invalid goal entry",
               "another field of a goal or of a measure's value is invalid (e.g. a target that is not a "
               "number, a deadline that is not a date, an unknown field)"),
        # impact evaluation (docs/impact.md)
        _entry("impact-missing-column", ERROR, "Missing panel column",
               "a column the evaluation needs (unit, time, outcome, treatment, cohort, covariate) is not in "
               "the panel"),
        _entry("impact-not-numeric", ERROR, "Not numeric",
               "a time, outcome, treatment, cohort or covariate value of the panel is not a number (or a "
               "treatment is not 0/1)"),
        _entry("impact-missing-value", ERROR, "Missing panel value",
               "a unit, time, outcome, treatment or covariate cell of the panel is empty"),
        _entry("impact-duplicate-row", ERROR, "Duplicate unit-period row",
               "the panel holds more than one row for the same unit and period"),
        _entry("impact-no-treated", ERROR, "No treated unit",
               "no unit of the panel receives the measure (or the named treated unit is not in it)"),
        _entry("impact-no-untreated", ERROR, "No untreated unit",
               "every unit of the panel receives the measure: the design needs comparison units"),
        _entry("impact-treatment-after-end", ERROR, "Treatment after the end",
               "the measure starts after the last period of the panel, so there is nothing after it to "
               "compare"),
        _entry("impact-too-few-pre-periods", ERROR, "Too few pre-periods",
               "the panel has fewer periods before the measure starts than the design needs"),
        _entry("impact-invalid-spec", ERROR, "Invalid evaluation options",
               "an option the design needs is missing or contradicts another (e.g. no treatment start)"),
        _entry("impact-design-unavailable", ERROR, "Design unavailable",
               "the design is not registered or a library it needs is not installed"),
        _entry("impact-estimation-failed", ERROR, "Estimation failed",
               "the design could not be estimated from this panel (e.g. the treatment is collinear with the "
               "fixed effects)"),
        _entry("impact-unbalanced-panel", WARNING, "Unbalanced panel",
               "some units lack some periods; the design uses the rows there are"),
        # city registry (docs/registry.md)
        _entry("registry-unreadable-file", ERROR, "Unreadable registry file",
               "a registry source file is not UTF-8 text, not CSV, or not a GeoJSON FeatureCollection"),
        _entry("registry-missing-column", ERROR, "Missing registry column",
               "a column the registry import needs (e.g. urau_code, geonameid, lat, lon) is not in the file"),
        _entry("registry-missing-value", ERROR, "Missing registry value",
               "a required cell (a code, a name, a coordinate) is empty"),
        _entry("registry-not-a-number", ERROR, "Not a number",
               "a coordinate, population, year or indicator value is not a (whole) number"),
        _entry("registry-out-of-range", ERROR, "Out of range",
               "a coordinate, population or year is outside its possible range (or URBN_TYPE is not 1, 2 or "
               "3)"),
        _entry("registry-duplicate-row", ERROR, "Duplicate registry row",
               "the file holds the same Urban Audit code or GeoNames id in more than one row"),
        _entry("registry-invalid-set", ERROR, "Invalid benchmark set",
               "a benchmark set is none of network:SLUG, programme:SLUG, size:CLASS, cities:SLUG,SLUG, or "
               "names a size class that does not exist"),
        # peer matching (docs/peers.md)
        _entry("peer-unknown-city", ERROR, "Unknown city",
               "the city to find peers for is neither a city of the platform nor a registry municipality"),
        _entry("peer-no-profile", WARNING, "No profile",
               "the city has fewer profile features (indicators, registry attributes) than the minimum "
               "overlap, so it cannot be compared: no peers"),
        _entry("peer-overlap-too-small", WARNING, "Overlap too small",
               "no municipality the constraints allow shares the minimum number of profile features with "
               "the city"),
        _entry("peer-invalid-constraint", ERROR, "Invalid constraint",
               "a size class, language or programme of a peer search that does not exist"),
        # city networks: the memberships import (docs/networks.md)
        _entry("network-missing-value", ERROR, "Missing membership value",
               "a required cell of a memberships file (programme, network, member, country, role) is empty"),
        _entry("network-invalid-name", ERROR, "Invalid programme or network name",
               "the programme's or network's name gives no slug of 2 to 80 letters or digits"),
        _entry("network-invalid-country", ERROR, "Invalid country code",
               "the country is not a two-letter Eurostat code (EL = Greece, UK)"),
        _entry("network-unknown-role", ERROR, "Unknown member role",
               "the role is none of lead partner, partner, observer, peer, applicant, tandem partner, "
               "member"),
        _entry("network-invalid-date", ERROR, "Invalid membership date",
               "a start or end is not a date (YYYY-MM-DD)"),
        _entry("network-end-before-start", ERROR, "Membership ends before it starts",
               "the end of a membership lies before its start"),
        _entry("network-unmatched-member", WARNING, "Unmatched network member",
               "no registry city of this name in this country and no known organisation: the member is kept "
               "as an unmatched organisation, to be linked later"),
        _entry("network-unlinked-organisation", WARNING, "Organisation without municipality",
               "the municipality a known organisation belongs to is not in the registry: kept without it"),
        # the knowledge hub and the guide builder (docs/hub.md, docs/guide.md)
        _entry("hub-unknown-reference", ERROR, "Unknown reference",
               "a practice or event names a city, network, programme, indicator or goal that does not exist, "
               "or a programme that is not its network's"),
        _entry("hub-goal-elsewhere", ERROR, "Goal of another city",
               "a practice links a goal that is not a goal of the practice's city"),
        _entry("hub-invalid-text", ERROR, "Invalid text",
               "a title, summary, topic, speaker or recommendation is blank or holds a control character"),
        _entry("hub-invalid-url", ERROR, "Invalid address",
               "a document's or recording's address is not an http or https URL"),
        _entry("guide-unknown-item", ERROR, "Unknown practice or event",
               "a guide selects a practice or event that does not exist"),
        _entry("guide-other-programme", ERROR, "Practice or event of another programme",
               "a guide selects a practice or event of another programme than the guide's"),
        _entry("guide-invalid-intro", ERROR, "Invalid chapter introduction",
               "a chapter's introduction is in a language other than de or en, or holds a control character"),
        _entry("guide-invalid-language", ERROR, "Invalid guide language",
               "a guide is built in de or en only"),
        # surveys (issue 16)
        _entry("survey-unknown-type", ERROR, "Unknown question type",
               "a row of an XLSForm's survey sheet has a type bettercities does not support (select_one, "
               "select_multiple, text, integer, decimal, date, note, begin_group, end_group)"),
        _entry("survey-unknown-choice-list", ERROR, "Unknown choice list",
               "a select_one or select_multiple names a list that is not in the choices sheet"),
        _entry("survey-invalid-expression", ERROR, "Invalid expression",
               "a relevant, constraint or required expression is outside the supported subset "
               "(docs/surveys.md) or refers to a question that does not exist"),
        _entry("survey-invalid-name", ERROR, "Invalid question or survey name",
               "a question's name is empty or not letters, digits and _, or a survey's slug is not 2 to "
               "80 lower-case letters, digits and hyphens"),
        _entry("survey-duplicate-name", ERROR, "Duplicate question name",
               "two rows of the survey sheet have the same name"),
        _entry("survey-unbalanced-group", ERROR, "Unbalanced group",
               "a begin_group without its end_group, or an end_group without a begin_group"),
        _entry("survey-invalid-form", ERROR, "Invalid form",
               "the workbook is no XLSForm bettercities can read (no survey sheet or column, or pyxform "
               "refuses it)"),
        _entry("survey-unknown-programme", ERROR, "Unknown programme",
               "the programme a survey is loaded for does not exist"),
        _entry("survey-invalid-answer", ERROR, "Invalid answer",
               "an answer is not of its question's type (a whole number, a number, a date, one of the "
               "choices)"),
        _entry("survey-required", ERROR, "Answer required",
               "a required question that applies was not answered"),
        _entry("survey-constraint", ERROR, "Answer not allowed",
               "an answer breaks its question's constraint"),
        _entry("survey-closed", ERROR, "Survey not open",
               "responses are given and changed only while the survey is open"),
        _entry("survey-invalid-grouping", ERROR, "Invalid grouping",
               "results are grouped by country, size_class, network, programme or network:<slug>"),
        # calls for participation and tandems (docs/calls.md, docs/tandems.md)
        _entry("call-invalid", ERROR, "Invalid call",
               "a call's time zone is no IANA name, its window does not end after it opens, a size class or "
               "country code is unknown, a form or criteria code repeats, or its name is taken"),
        _entry("call-not-open", ERROR, "Call not open",
               "the call is a draft, closed, or its window has not begun: it takes no applications"),
        _entry("call-late", ERROR, "Deadline passed",
               "the application came after the call's deadline (named in the call's and the applicant's time "
               "zone)"),
        _entry("call-invalid-answers", ERROR, "Invalid application",
               "an answer names no field of the call's form, is too long, a required one is missing, or the "
               "theme is none of the call's"),
        _entry("call-duplicate", ERROR, "Applied already",
               "the municipality has applied to this call already"),
        _entry("call-invalid-transition", ERROR, "Status change not allowed",
               "the status change breaks the order draft, submitted, eligible or rejected, shortlisted, "
               "selected or rejected, or a rejection has no reason"),
        _entry("call-not-eligible", ERROR, "Not eligible",
               "the application breaks the call's eligibility rules (country, size class, body type, theme)"),
        _entry("call-invalid-score", ERROR, "Invalid score",
               "a score names no criterion of the call, lies outside its scale, or the application is not "
               "eligible, shortlisted or selected"),
        _entry("tandem-invalid", ERROR, "Invalid tandem",
               "a tandem needs 2 or 3 selected applications of different municipalities to the programme's "
               "calls, none in a tandem already; a goal or output names a city that is not a member"),
        _entry("tandem-invalid-stage", ERROR, "Invalid stage",
               "the stage is unknown, entered already, or begins out of the order kick-off, visits, "
               "workshops, outputs, follow-up"),
        _entry("tandem-invalid-output", ERROR, "Invalid output",
               "an adopted output needs its adoption day (not before it was drafted); a drafted one has "
               "none"),
        # a programme's impact logic (docs/impact_logic.md)
        _entry("logic-duplicate-key", ERROR, "Key taken",
               "the programme's impact logic has a box or measure of this key already"),
        _entry("logic-backward-link", ERROR, "Link does not lead forward",
               "a link of the impact logic leads from a box to one of the same or an earlier stage (inputs, "
               "activities, outputs, outcomes, impact)"),
        _entry("logic-duplicate-link", ERROR, "Link exists",
               "the two boxes of the impact logic are linked already"),
        _entry("logic-unknown-code", ERROR, "Unknown automatic measure",
               "the code names no automatic measure (tandems_formed, municipalities_reached, "
               "applications_submitted, action_plans_adopted, activities_held, survey_respondents)"),
        _entry("logic-missing-label", ERROR, "Missing measure label",
               "a manual measure of the impact logic needs a German and an English label"),
        _entry("logic-automatic-value", ERROR, "Value of an automatic measure",
               "values are entered for manual measures only: an automatic measure is computed from the data"),
        _entry("logic-no-change", ERROR, "Nothing changed",
               "the change of a box or measure of the impact logic changes nothing"),
        _entry("logic-invalid-text", ERROR, "Invalid text",
               "a title, text, label or source of the impact logic contains a control character"),
    ]
)  # fmt: skip
