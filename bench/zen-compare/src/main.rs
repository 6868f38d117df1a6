//! Puhui's decision table against GoRules zen-engine, on the approval table of
//! `domain/benches/rules.rs` (3,000 rows, 8 input columns, hit policy First,
//! only the last row matches the benchmark applicant).
//!
//! First an agreement check: both engines must pick the same row and give the
//! same outputs for the benchmark applicant and for 500 generated applicants
//! (half random, half the benchmark applicant with one or two features
//! changed, which makes early rows match); any difference fails the run.
//! Then single-thread timing of single evaluations, in alternating rounds so
//! that load from other processes falls on both engines alike.
//!
//! Fair to zen: the decision is created and precompiled once
//! (`Decision::compile`: expression bytecode and the table index) and reused;
//! the context is built once from native JSON numbers (a shallow clone per
//! call, checked not to be changed by zen); zen's `evaluate` is awaited in a
//! loop inside one `block_on` of a current-thread tokio runtime, so no runtime
//! entry is timed. Ours is `Table::evaluate`, which always records the trace;
//! zen is timed with its trace off (its default, fastest) and on.
//!
//! Run with `cargo run --release` in this directory (`-- --check-only` for the
//! agreement check alone).

mod jdm;
mod table;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::date::Date;
use domain::identity::IdNumber;
use domain::money::Fen;
use domain::rules::schema::{Decimal, FeatureSchema, Features, Value as V};
use domain::rules::table::Table;
use serde_json::{Map, Value};
use tokio::runtime::Runtime;
use zen_engine::model::DecisionContent;
use zen_engine::{Decision, DecisionEngine, EvaluationOptions, Variable};

use table::{Lcg, TABLE_ROWS};

/// Generated applicants for the agreement check.
const APPLICANTS: usize = 500;
/// Timing: rounds, each timing this many single evaluations of each engine.
const ROUNDS: usize = 5;
const PER_ROUND: usize = 2_000;
const WARM_UP: usize = 500;
/// The target: ours at least this many times zen's throughput.
const TARGET_RATIO: f64 = 3.0;

/// Which row matched (from 0) and the outputs, as JSON.
#[derive(Debug, PartialEq)]
struct Outcome {
    row: Option<usize>,
    outputs: Value,
}

fn ours(t: &Table, f: &Features) -> Outcome {
    let (result, _trace) = t.evaluate(f);
    let row = result.rows.first().copied();
    let outputs = match row.and_then(|r| t.row_outputs(r)) {
        None => Value::Null,
        Some(values) => {
            let names = ["verdict", "limit", "rate_adjust_bp", "reason_code"];
            let mut out = Map::new();
            for (name, v) in names.iter().zip(values) {
                if !v.is_missing() {
                    out.insert((*name).to_owned(), jdm::json_value(v));
                }
            }
            Value::Object(out)
        }
    };
    Outcome { row, outputs }
}

fn zen(rt: &Runtime, d: &Decision, ctx: &Variable) -> Outcome {
    let traced = EvaluationOptions {
        trace: true,
        ..EvaluationOptions::default()
    };
    let (with, without) = rt.block_on(async {
        let with = d.evaluate_with_opts(ctx.clone(), traced).await;
        let without = d.evaluate(ctx.clone()).await;
        (with, without)
    });
    let with = with.unwrap_or_else(|e| panic!("zen: {e:?}"));
    let without = without.unwrap_or_else(|e| panic!("zen: {e:?}"));
    let outputs = normalise(to_json(&with.result));
    assert_eq!(
        outputs,
        normalise(to_json(&without.result)),
        "zen's output depends on its trace"
    );
    let row = with
        .trace
        .as_ref()
        .and_then(|t| t.as_graph())
        .and_then(|g| g.get(jdm::TABLE_NODE))
        .and_then(|n| n.trace_data.as_ref())
        .and_then(|d| to_json(d).get("index").and_then(Value::as_u64))
        .map(|i| i as usize);
    Outcome { row, outputs }
}

fn to_json(v: &Variable) -> Value {
    serde_json::to_value(v).unwrap_or_else(|e| panic!("zen variable: {e}"))
}

/// No match (`null` or `{}`) as `null`, and every number as an `f64`, so that
/// zen's decimals and our integers compare by value.
fn normalise(v: Value) -> Value {
    match v {
        Value::Object(m) if m.is_empty() => Value::Null,
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, normalise(v))).collect()),
        Value::Number(n) => n.as_f64().map_or(Value::Null, |x| serde_json::json!(x)),
        other => other,
    }
}

/// Applicant `i` of the agreement check.
fn generated(s: &FeatureSchema, base: &Features, i: usize, g: &mut Lcg) -> Features {
    let date = |t: &str| Date::parse(t).unwrap_or_else(|e| panic!("{t}: {e}"));
    let set = |f: &mut Features, name: &str, v: V| {
        s.set(f, name, v).unwrap_or_else(|e| panic!("{name}: {e}"));
    };
    let pick = |g: &mut Lcg, xs: &[&str]| xs[g.next(xs.len() as u64) as usize].to_owned();
    let occupations = ["农户", "个体户", "工薪", "无业", "学生"];
    let products = [
        "farmer_credit",
        "consumer_0",
        "consumer_1",
        "consumer_2",
        "consumer_3",
        "consumer_4",
        "consumer_5",
        "consumer_6",
    ];
    let mut f = base.clone();
    // Half fully random, half the benchmark applicant with one or two changes.
    let all = i.is_multiple_of(2);
    let changes = [g.next(8), g.next(8)];
    let change = |c: u64| all || changes.contains(&c);
    if change(0) {
        let on = date(&pick(
            g,
            &["2026-01-31", "2025-02-28", "2024-02-29", "2026-06-15"],
        ));
        // Birthdays on, just before and just after the application day too.
        let year = 1950 + g.next(60) as i32;
        let birth = match g.next(4) {
            0 => Date::new(year, on.month(), on.day().min(28)),
            1 => Date::new(year, on.month(), on.day().min(28)).map(|d| d.add_days(1)),
            2 => Date::new(year, on.month(), on.day().min(28)).map(|d| d.add_days(-1)),
            _ => Date::new(year, 1 + g.next(12) as u8, 1 + g.next(28) as u8),
        }
        .unwrap_or_else(|e| panic!("birth: {e}"));
        let id = IdNumber::from_parts("330682", birth, g.next(999) as u16)
            .unwrap_or_else(|e| panic!("id: {e}"));
        set(&mut f, "id_number", id.into());
        set(&mut f, "application_date", on.into());
    }
    let yuan = |g: &mut Lcg, max: u64| -> V {
        let fen = match g.next(3) {
            0 => g.next(max / 1_000 + 1) * 100_000,
            1 => g.next(max + 1) * 100,
            _ => g.next(max * 100 + 1),
        };
        Fen(fen as i64).into()
    };
    if change(1) {
        set(&mut f, "household_income", yuan(g, 300_000));
    }
    if change(2) {
        set(&mut f, "bureau_score", (500 + g.next(350) as i64).into());
    }
    if change(3) {
        set(&mut f, "multi_lending_count", (g.next(9) as i64).into());
    }
    if change(4) {
        set(&mut f, "occupation", pick(g, &occupations).into());
    }
    if change(5) {
        set(&mut f, "loan_amount", yuan(g, 400_000));
    }
    if change(6) {
        // Two decimal places, 0.00 to 1.20.
        set(
            &mut f,
            "debt_ratio",
            Decimal(g.next(121) as i64 * 100).into(),
        );
    }
    if change(7) {
        set(&mut f, "product", pick(g, &products).into());
    }
    f
}

struct Stats {
    mean: Duration,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

impl Stats {
    fn of(mut times: Vec<Duration>) -> Stats {
        times.sort_unstable();
        let at = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
        let total: Duration = times.iter().sum();
        Stats {
            mean: total / times.len() as u32,
            p50: at(0.50),
            p99: at(0.99),
            max: times[times.len() - 1],
        }
    }

    fn per_second(&self) -> f64 {
        1.0 / self.mean.as_secs_f64()
    }
}

fn time_ours(t: &Table, f: &Features, n: usize, out: &mut Vec<Duration>) {
    for _ in 0..n {
        let start = Instant::now();
        black_box(t.evaluate(black_box(f)));
        out.push(start.elapsed());
    }
}

fn time_zen(
    rt: &Runtime,
    d: &Decision,
    ctx: &Variable,
    trace: bool,
    n: usize,
    out: &mut Vec<Duration>,
) {
    let opts = EvaluationOptions {
        trace,
        ..EvaluationOptions::default()
    };
    rt.block_on(async {
        for _ in 0..n {
            let start = Instant::now();
            let r = d.evaluate_with_opts(black_box(ctx.clone()), opts).await;
            black_box(r.is_ok());
            out.push(start.elapsed());
        }
    });
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_owned())
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn main() {
    let s = table::schema();
    let def = table::approval_table();
    let ours_table = Table::compile(&def, &s).unwrap_or_else(|e| panic!("table: {e}"));
    let applicant = table::applicant(&s);

    let content: DecisionContent =
        serde_json::from_value(jdm::graph(&def)).unwrap_or_else(|e| panic!("JDM: {e}"));
    let engine = DecisionEngine::default();
    let mut decision = engine
        .create_decision(Arc::new(content))
        .unwrap_or_else(|e| panic!("zen: {e:?}"));
    decision.validate().unwrap_or_else(|e| panic!("zen: {e:?}"));
    decision.compile();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap_or_else(|e| panic!("tokio: {e}"));

    // Agreement.
    let ctx_json = jdm::context(&s, &applicant);
    let ctx = Variable::from(ctx_json.clone());
    let (a, b) = (ours(&ours_table, &applicant), zen(&rt, &decision, &ctx));
    assert_eq!(
        a.row,
        Some(TABLE_ROWS - 1),
        "ours: only the last row matches"
    );
    assert_eq!(
        (a.row, normalise(a.outputs)),
        (b.row, b.outputs),
        "the benchmark applicant"
    );
    let mut g = Lcg(0x5EED);
    let mut mismatches = Vec::new();
    let mut rows_hit = std::collections::BTreeMap::<Option<usize>, usize>::new();
    for i in 0..APPLICANTS {
        let f = generated(&s, &applicant, i, &mut g);
        let c = jdm::context(&s, &f);
        let a = ours(&ours_table, &f);
        let a = Outcome {
            row: a.row,
            outputs: normalise(a.outputs),
        };
        let b = zen(&rt, &decision, &Variable::from(c.clone()));
        *rows_hit.entry(a.row).or_default() += 1;
        if a != b {
            mismatches.push(format!("applicant {i} {c}: ours {a:?}, zen {b:?}"));
        }
    }
    let none = rows_hit
        .iter()
        .filter(|(r, _)| r.is_none())
        .map(|(_, n)| n)
        .sum::<usize>();
    let last = rows_hit
        .iter()
        .filter(|(r, _)| **r == Some(TABLE_ROWS - 1))
        .map(|(_, n)| n)
        .sum::<usize>();
    println!(
        "agreement: benchmark applicant and {APPLICANTS} generated applicants, {} mismatches; \
         {} matched the last row, {none} no row, the rest {} distinct earlier rows",
        mismatches.len(),
        last,
        rows_hit.len() - usize::from(none > 0) - usize::from(last > 0)
    );
    if !mismatches.is_empty() {
        for m in mismatches.iter().take(20) {
            eprintln!("  {m}");
        }
        eprintln!("FAILED: the engines disagree");
        std::process::exit(1);
    }

    if std::env::args().any(|a| a == "--check-only") {
        return;
    }

    // Timing, single thread, alternating rounds.
    for _ in 0..WARM_UP {
        black_box(ours_table.evaluate(&applicant));
    }
    let mut warm = Vec::new();
    time_zen(&rt, &decision, &ctx, false, WARM_UP, &mut warm);
    time_zen(&rt, &decision, &ctx, true, WARM_UP, &mut warm);
    let load_before = load();
    let (mut t_ours, mut t_zen, mut t_zen_traced) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        time_ours(&ours_table, &applicant, PER_ROUND, &mut t_ours);
        time_zen(&rt, &decision, &ctx, false, PER_ROUND, &mut t_zen);
        time_zen(&rt, &decision, &ctx, true, PER_ROUND, &mut t_zen_traced);
    }
    let load_after = load();
    assert_eq!(
        to_json(&ctx),
        ctx_json,
        "zen changed the context it was given"
    );

    let (o, z, zt) = (Stats::of(t_ours), Stats::of(t_zen), Stats::of(t_zen_traced));
    println!(
        "\ntiming: {ROUNDS} alternating rounds × {PER_ROUND} single evaluations per engine, one thread; \
         load average {load_before} before, {load_after} after"
    );
    println!("\n| engine | evaluations/s | mean | p50 | p99 | max |");
    println!("|---|---|---|---|---|---|");
    for (name, st) in [
        ("Puhui `Table::evaluate` (records its trace)", &o),
        ("zen-engine 2.1.6, trace off", &z),
        ("zen-engine 2.1.6, trace on", &zt),
    ] {
        println!(
            "| {name} | {:.0} | {} | {} | {} | {} |",
            st.per_second(),
            us(st.mean),
            us(st.p50),
            us(st.p99),
            us(st.max)
        );
    }
    let ratio = o.per_second() / z.per_second();
    println!(
        "\nthroughput ours / zen (trace off): {ratio:.1}× (target ≥ {TARGET_RATIO}×: {}); \
         ours / zen (trace on): {:.1}×",
        if ratio >= TARGET_RATIO {
            "met"
        } else {
            "MISSED"
        },
        o.per_second() / zt.per_second()
    );
}
