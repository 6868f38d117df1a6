//! `puhui schedule`: print a repayment schedule from the command line, as a
//! table or as JSON, straight from the domain rules (no database).

use domain::date::Date;
use domain::money::Fen;
use domain::rate::AnnualRate;
use domain::schedule::{build_schedule, totals, Instalment, RepaymentMethod};
use std::fmt::Write;

/// What the command line asked for, still as text.
#[derive(Debug, Clone)]
pub struct ScheduleArgs {
    pub principal: String,
    pub rate: String,
    pub months: u32,
    pub method: String,
    pub start: Option<String>,
}

/// The repayment methods by their command-line names.
pub const METHODS: [(&str, RepaymentMethod); 4] = [
    ("equal-instalment", RepaymentMethod::EqualInstalment),
    ("equal-principal", RepaymentMethod::EqualPrincipal),
    ("interest-only", RepaymentMethod::InterestOnly),
    ("bullet", RepaymentMethod::Bullet),
];

/// Builds the schedule, or says in plain words what is wrong with the input.
pub fn schedule(args: &ScheduleArgs, today: Date) -> Result<Vec<Instalment>, String> {
    let principal = Fen::parse_yuan(&args.principal).map_err(|e| {
        format!(
            "--principal {:?}: {} (e.g. 300000.00)",
            args.principal,
            e.code()
        )
    })?;
    let rate = AnnualRate::parse_percent(&args.rate).map_err(|e| {
        format!(
            "--rate {:?}: {} (a yearly percentage, e.g. 4.90)",
            args.rate,
            e.code()
        )
    })?;
    let method = METHODS
        .iter()
        .find(|(name, _)| *name == args.method)
        .map(|(_, m)| *m)
        .ok_or_else(|| {
            let names: Vec<&str> = METHODS.iter().map(|(n, _)| *n).collect();
            format!(
                "--method {:?}: use one of {}",
                args.method,
                names.join(", ")
            )
        })?;
    let start = match &args.start {
        Some(s) => {
            Date::parse(s).map_err(|e| format!("--start {s:?}: {} (YYYY-MM-DD)", e.code()))?
        }
        None => today,
    };
    build_schedule(method, principal, rate, args.months, start)
        .map_err(|e| format!("cannot build the schedule: {}", e.code()))
}

/// Amounts in yuan with two decimals, without thousands separators.
fn yuan(f: Fen) -> String {
    f.to_yuan_string()
}

/// A fixed-width table with a totals line.
pub fn table(schedule: &[Instalment]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>4}  {:<10}  {:>14}  {:>12}  {:>12}  {:>14}",
        "n", "due_date", "principal", "interest", "payment", "balance"
    );
    for i in schedule {
        let _ = writeln!(
            out,
            "{:>4}  {:<10}  {:>14}  {:>12}  {:>12}  {:>14}",
            i.n,
            i.due_date.to_string(),
            yuan(i.principal),
            yuan(i.interest),
            yuan(i.payment),
            yuan(i.balance)
        );
    }
    let t = totals(schedule);
    let _ = writeln!(
        out,
        "{:>4}  {:<10}  {:>14}  {:>12}  {:>12}",
        "",
        "total",
        yuan(t.principal),
        yuan(t.interest),
        yuan(t.payment)
    );
    out
}

/// JSON: an array of rows; amounts are strings in yuan with two decimals, so
/// no reader turns them into floating point.
pub fn json(schedule: &[Instalment]) -> String {
    /// One row, fields in the order of the table.
    #[derive(serde::Serialize)]
    struct Row {
        n: u32,
        due_date: String,
        principal: String,
        interest: String,
        payment: String,
        balance: String,
    }
    let rows: Vec<Row> = schedule
        .iter()
        .map(|i| Row {
            n: i.n,
            due_date: i.due_date.to_string(),
            principal: yuan(i.principal),
            interest: yuan(i.interest),
            payment: yuan(i.payment),
            balance: yuan(i.balance),
        })
        .collect();
    serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(
        principal: &str,
        rate: &str,
        months: u32,
        method: &str,
        start: Option<&str>,
    ) -> ScheduleArgs {
        ScheduleArgs {
            principal: principal.into(),
            rate: rate.into(),
            months,
            method: method.into(),
            start: start.map(str::to_string),
        }
    }

    fn today() -> Date {
        Date::new(2026, 11, 24).expect("date")
    }

    #[test]
    fn the_published_mortgage_figure() {
        let s = schedule(
            &args(
                "300000.00",
                "4.90",
                360,
                "equal-instalment",
                Some("2025-01-15"),
            ),
            today(),
        )
        .expect("schedule");
        assert_eq!(s.len(), 360);
        let t = table(&s);
        assert!(
            t.lines().nth(1).expect("first row").contains("1592.18"),
            "{t}"
        );
        assert!(t.contains("2025-02-15"));
        let j: serde_json::Value = serde_json::from_str(&json(&s)).expect("json");
        assert_eq!(j[0]["payment"], "1592.18");
        assert_eq!(j[359]["balance"], "0.00");
    }

    #[test]
    fn bad_input_says_what_is_wrong() {
        let cases = [
            (args("-5", "4.90", 12, "bullet", None), "--principal"),
            (args("1000", "120", 12, "bullet", None), "--rate"),
            (
                args("1000", "4.90", 0, "bullet", None),
                "schedule_zero_term",
            ),
            (args("1000", "4.90", 12, "balloon", None), "--method"),
            (
                args("1000", "4.90", 12, "bullet", Some("2025-02-30")),
                "--start",
            ),
        ];
        for (a, expected) in cases {
            let err = schedule(&a, today()).expect_err("refused");
            assert!(err.contains(expected), "{err} should mention {expected}");
        }
    }
}
