"""Every problem code an import or export can report, with its meaning (documented in docs/importing.md).

Codes are stable: scripts and the web upload match on them. A test checks that the sources use no
other code and that the documentation lists every one.
"""

from __future__ import annotations

# code -> (severity, meaning)
PROBLEM_CODES: dict[str, tuple[str, str]] = {
    # reading a file
    "unsupported-format": ("error", "the file suffix (or export format) has no registered reader/writer"),
    "empty-file": ("error", "the file or sheet holds nothing"),
    "unreadable-file": ("error", "the file is damaged or not of the format its suffix says"),
    "encoding-error": ("error", "the text cannot be decoded with the given encoding"),
    "missing-header": ("error", "the first row does not name the columns"),
    "missing-sheet": ("error", "the Excel workbook has no sheet of that name"),
    "missing-layer": ("error", "the geodata file has no layer of that name"),
    "several-layers": ("warning", "the geodata file has several layers; the first was read"),
    "missing-crs": ("warning", "the geodata file names no coordinate reference system; WGS84 assumed"),
    "malformed-row": ("error", "a row has more or fewer fields than the header"),
    # columns and options
    "missing-column": ("error", "a column named by an option (or required) is not in the file"),
    "duplicate-column": ("error", "two columns have the same name"),
    "unknown-column": ("warning", "a column to ignore is not in the file"),
    "invalid-option": ("error", "an option is invalid (e.g. both --period and --period-column)"),
    "invalid-mapping": ("error", "a --map target is not valid for the layout"),
    "missing-option": ("error", "an export needs an option (a map needs --indicator and --period)"),
    "no-data": ("error", "the file holds no values to import"),
    # observation cells
    "missing-value": ("error", "a key cell (area id, indicator, period) is empty; areas: no id"),
    "missing-period": ("error", "no period for a column: no --period, period column or CODE@PERIOD"),
    "invalid-period": ("error", "a period cell or option is not a period"),
    "unknown-area": ("error", "no area of the level with this id is valid at the period"),
    "unknown-indicator": ("error", "a column (wide) or indicator cell (long) is not a registered indicator"),
    "type-error": ("error", "text in a numeric cell (value, numerator, denominator)"),
    "invalid-flag": ("error", "a flag cell is not 1/0, x/empty, true/false, yes/no, ja/nein"),
    "duplicate-key": ("error", "the same area + indicator + period (areas: the same id) appears twice"),
    "out-of-range": ("error", "a value outside the indicator's min_value .. max_value"),
    "numerator-exceeds-denominator": ("error", "a share whose numerator exceeds its denominator"),
    "inconsistent-value": ("warning", "a value differs from factor x numerator / denominator"),
    "empty-value": ("warning", "long layout: a row without a value is skipped"),
    # quality rules and outlier screening (docs/quality.md)
    "rule-violation": ("error", "a validation rule fails (its severity is the rule's: error or warning)"),
    "rule-missing-value": ("error", "an operand of a rule with missing: fail has no value"),
    "invalid-rule": ("error", "a rule definition is invalid (unknown operator, bad expression)"),
    "outlier": ("warning", "a value flagged by outlier screening; it waits in the follow-up queue"),
    "undated-value": ("warning", "Urban Audit: a value without a reference year is left out"),
    # areas
    "invalid-id": ("error", "an area id longer than 60 characters"),
    "id-fixed": ("warning", "an id was replaced by --fix-id (recorded for provenance)"),
    "invalid-geometry": ("error", "not a (repairable) polygon in WGS84 longitude/latitude"),
    "missing-geometry": ("warning", "a feature without geometry (the area is stored without one)"),
    "unknown-parent": ("error", "the parent id is not an area of the parent level"),
    "no-parent-level": ("error", "a parent id was given but the level has no parent level"),
    "invalid-validity": ("error", "valid_to is not after valid_from"),
}
