//! The same table as a GoRules JDM decision graph (input node → decision table
//! node → output node), translated cell by cell from the [`TableDef`], and an
//! applicant as the JSON context zen reads, with native JSON numbers.

use domain::rules::schema::{FeatureSchema, Features, Value as V};
use domain::rules::table::TableDef;
use serde_json::{json, Map, Value};

use crate::table::AGE;

/// `age(id_number, application_date)` in zen's expression language: whole
/// years between the birth date in the ID number (characters 7–14) and the
/// application date, one less before the birthday, as the domain counts them.
/// Zen's string slices include their end index. Unlike the domain, it does not
/// validate the ID number's check digit; every applicant here has a valid one.
const ZEN_AGE: &str = "number(application_date[0:3]) - number(id_number[6:9]) \
     - (number(application_date[5:6] + application_date[8:9]) < number(id_number[10:13]) ? 1 : 0)";

/// The decision table node's id, for reading its trace.
pub const TABLE_NODE: &str = "dt";

/// One input cell in zen's unary syntax. The domain's cells are written almost
/// alike; the differences are the 元 suffix (zen numbers carry no unit), open
/// interval bounds (`[600..]`, which zen writes `>= 600`), `not` (zen's
/// `not in [...]`) and `-` for any value (an empty cell in zen).
fn input_cell(cell: &str) -> String {
    let c = cell.trim().replace('元', "");
    if c.is_empty() || c == "-" {
        return String::new();
    }
    if let Some(list) = c.strip_prefix("not ") {
        return format!("not in [{list}]");
    }
    let open_upper = c.strip_suffix("..]").or_else(|| c.strip_suffix("..)"));
    if let Some(lo) = open_upper {
        return match lo.split_at(1) {
            ("[", lo) => format!(">= {lo}"),
            (_, lo) => format!("> {lo}"),
        };
    }
    let open_lower = c.strip_prefix("[..").or_else(|| c.strip_prefix("(.."));
    if let Some(hi) = open_lower {
        return match hi.split_at(hi.len() - 1) {
            (hi, "]") => format!("<= {hi}"),
            (hi, _) => format!("< {hi}"),
        };
    }
    // Comparisons, closed intervals, literals and lists of literals.
    c
}

/// One output cell as a zen expression; `-` (no value) is an empty cell, which
/// leaves the output out.
fn output_cell(cell: &str) -> String {
    let c = cell.trim();
    if c == "-" {
        return String::new();
    }
    c.replace('元', "")
}

/// The JDM graph of `def`, hit policy First.
pub fn graph(def: &TableDef) -> Value {
    let inputs: Vec<Value> = def
        .inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let field = if input.expr == AGE {
                ZEN_AGE
            } else {
                input.expr.as_str()
            };
            json!({ "id": format!("i{i}"), "name": input.expr, "field": field })
        })
        .collect();
    let outputs: Vec<Value> = def
        .outputs
        .iter()
        .enumerate()
        .map(|(i, o)| json!({ "id": format!("o{i}"), "name": o.name, "field": o.name }))
        .collect();
    let rules: Vec<Value> = def
        .rows
        .iter()
        .enumerate()
        .map(|(r, row)| {
            let mut rule = Map::new();
            rule.insert("_id".into(), json!(format!("r{r}")));
            for (i, cell) in row.inputs.iter().enumerate() {
                rule.insert(format!("i{i}"), json!(input_cell(cell)));
            }
            for (i, cell) in row.outputs.iter().enumerate() {
                rule.insert(format!("o{i}"), json!(output_cell(cell)));
            }
            Value::Object(rule)
        })
        .collect();
    json!({
        "nodes": [
            { "id": "in", "name": "request", "type": "inputNode", "content": {} },
            {
                "id": TABLE_NODE,
                "name": def.name_en,
                "type": "decisionTableNode",
                "content": {
                    "hitPolicy": "first",
                    "inputs": inputs,
                    "outputs": outputs,
                    "rules": rules,
                    "passThrough": false
                }
            },
            { "id": "out", "name": "response", "type": "outputNode", "content": {} }
        ],
        "edges": [
            { "id": "e1", "sourceId": "in", "targetId": TABLE_NODE },
            { "id": "e2", "sourceId": TABLE_NODE, "targetId": "out" }
        ]
    })
}

/// The features zen's table reads, as plain JSON: money in yuan and decimals
/// as JSON numbers, dates as `YYYY-MM-DD` strings.
pub fn context(s: &FeatureSchema, f: &Features) -> Value {
    let mut ctx = Map::new();
    for name in [
        "id_number",
        "application_date",
        "household_income",
        "bureau_score",
        "multi_lending_count",
        "occupation",
        "loan_amount",
        "debt_ratio",
        "product",
    ] {
        let slot = s.slot(name).unwrap_or_else(|| panic!("no feature {name}"));
        ctx.insert(name.to_owned(), json_value(f.get(slot)));
    }
    Value::Object(ctx)
}

/// A domain value as zen would be given it: whole yuan as JSON integers, other
/// amounts and decimals as JSON floats (what a JSON API carries).
pub fn json_value(v: &V) -> Value {
    match v {
        V::Missing => Value::Null,
        V::Int(i) => json!(i),
        V::Money(f) if f.0 % 100 == 0 => json!(f.0 / 100),
        V::Money(f) => json!(f.0 as f64 / 100.0),
        V::Decimal(d) if d.0 % 10_000 == 0 => json!(d.0 / 10_000),
        V::Decimal(d) => json!(d.0 as f64 / 10_000.0),
        V::Bool(b) => json!(b),
        V::Text(t) => json!(t),
        V::Date(d) => json!(d.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::input_cell;

    #[test]
    fn cells_translate_to_zen_unary_tests() {
        for (ours, zen) in [
            ("-", ""),
            ("[18..65]", "[18..65]"),
            (">= 10000元", ">= 10000"),
            ("[600..]", ">= 600"),
            ("(3..]", "> 3"),
            ("[..60)", "< 60"),
            ("[..60]", "<= 60"),
            ("(0元..200000元]", "(0..200000]"),
            ("[0..0.75)", "[0..0.75)"),
            ("\"农户\", \"个体户\"", "\"农户\", \"个体户\""),
            ("not \"农户\"", "not in [\"农户\"]"),
        ] {
            assert_eq!(input_cell(ours), zen, "{ours}");
        }
    }
}
