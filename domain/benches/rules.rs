//! The decision engine at bank size: 100 admission rules, 1,500 pre-approval
//! rules and a 3,000-row approval decision table (hit policy First) that matches
//! the application only at its last row.
//!
//! Target: p99 ≤ 1 ms per application on one core. Criterion reports the mean
//! and its confidence interval; the p50 / p99 / max figures come from a plain
//! timing loop of single evaluations printed before the criterion groups.
//! Everything runs on the calling thread. Run with
//! `cargo bench -p puhui-domain --bench rules`; figures are recorded in
//! `docs/benchmarks.md`, never asserted in tests.
//!
//! The rule sets and the table are generated deterministically from templates
//! (comparisons, `between`, `in` lists, `and` / `or` / `not`, arithmetic over
//! money, functions such as `age(id, date)`, `max`, `starts_with`): a handful of
//! rules fire for the benchmark applicant (flags and a score), none rejects.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use domain::date::Date;
use domain::identity::IdNumber;
use domain::money::Fen;
use domain::rules::rule::{Action, RuleDef, RuleSet, RuleSetDef, Verdict};
use domain::rules::schema::{Decimal, FeatureDef, FeatureSchema, FeatureType, Features, Value};
use domain::rules::strategy::{StageBodyDef, StageDef, StageKind, Strategy, StrategyDef};
use domain::rules::table::{HitPolicy, InputDef, OutputDef, RowDef, Table, TableDef};

const ADMISSION_RULES: usize = 100;
const PRE_APPROVAL_RULES: usize = 1_500;
const TABLE_ROWS: usize = 3_000;
/// Single evaluations timed for the percentiles.
const SAMPLES: usize = 20_000;

const AGE: &str = "age(id_number, application_date)";

fn schema() -> FeatureSchema {
    use FeatureType as T;
    let f = FeatureDef::new;
    FeatureSchema::new(vec![
        f("id_number", T::Text, "身份证号", "ID number").pfi(),
        f("application_date", T::Date, "申请日期", "application date"),
        f("age", T::Int, "年龄", "age"),
        f(
            "household_income",
            T::Money,
            "家庭年收入",
            "household income",
        ),
        f("existing_debt", T::Money, "现有负债", "existing debt"),
        f("loan_amount", T::Money, "申请金额", "loan amount"),
        f("term_months", T::Int, "期限（月）", "term in months"),
        f(
            "debt_ratio",
            T::Decimal,
            "负债收入比",
            "debt-to-income ratio",
        ),
        f("bureau_score", T::Int, "征信评分", "bureau score"),
        f(
            "bureau_overdue_count",
            T::Int,
            "征信逾期次数",
            "bureau overdue count",
        ),
        f(
            "bureau_max_overdue_days",
            T::Int,
            "最长逾期天数",
            "longest overdue days",
        ),
        f(
            "multi_lending_count",
            T::Int,
            "多头借贷数",
            "multi-lending count",
        ),
        f(
            "device_shared_count",
            T::Int,
            "同设备申请人数",
            "applicants on the device",
        ),
        f("blacklisted", T::Bool, "黑名单", "blacklisted"),
        f("related_party", T::Bool, "关联方", "related party"),
        f("guarantor", T::Bool, "有担保人", "has a guarantor"),
        f("village_code", T::Text, "村代码", "village code"),
        f("occupation", T::Text, "职业", "occupation"),
        f("product", T::Text, "产品", "product"),
        f(
            "years_in_village",
            T::Int,
            "居住年限",
            "years in the village",
        ),
        f(
            "land_area_mu",
            T::Decimal,
            "承包地面积（亩）",
            "land area (mu)",
        ),
    ])
    .unwrap_or_else(|e| panic!("schema: {e}"))
}

/// The benchmark applicant: a 37-year-old farmer with a clean record.
fn applicant(s: &FeatureSchema) -> Features {
    let date = |t: &str| Date::parse(t).unwrap_or_else(|e| panic!("{t}: {e}"));
    let dec = |t: &str| Decimal::parse(t).unwrap_or_else(|| panic!("{t}"));
    let id = IdNumber::from_parts("330682", date("1988-05-20"), 123)
        .unwrap_or_else(|e| panic!("id: {e}"));
    let mut f = s.record();
    let set = |f: &mut Features, name: &str, v: Value| {
        s.set(f, name, v).unwrap_or_else(|e| panic!("{name}: {e}"));
    };
    set(&mut f, "id_number", id.into());
    set(&mut f, "application_date", date("2026-01-31").into());
    set(&mut f, "age", 37_i64.into());
    set(&mut f, "household_income", Fen::from_yuan(86_000).into());
    set(&mut f, "existing_debt", Fen::from_yuan(40_000).into());
    set(&mut f, "loan_amount", Fen::from_yuan(150_000).into());
    set(&mut f, "term_months", 36_i64.into());
    set(&mut f, "debt_ratio", dec("0.35").into());
    set(&mut f, "bureau_score", 690_i64.into());
    set(&mut f, "bureau_overdue_count", 1_i64.into());
    set(&mut f, "bureau_max_overdue_days", 12_i64.into());
    set(&mut f, "multi_lending_count", 2_i64.into());
    set(&mut f, "device_shared_count", 1_i64.into());
    set(&mut f, "blacklisted", false.into());
    set(&mut f, "related_party", false.into());
    set(&mut f, "guarantor", true.into());
    set(&mut f, "village_code", "330682104201".into());
    set(&mut f, "occupation", "农户".into());
    set(&mut f, "product", "farmer_credit".into());
    set(&mut f, "years_in_village", 20_i64.into());
    set(&mut f, "land_area_mu", dec("12.5").into());
    f
}

/// A small deterministic generator (64-bit LCG), so every run builds the same rules.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// A condition that is false for the applicant, from one of 16 templates.
fn quiet_condition(i: usize, g: &mut Lcg) -> String {
    let k = g.next(1_000);
    match i % 16 {
        0 => format!("bureau_overdue_count > {}", 2 + k % 5),
        1 => format!(
            "multi_lending_count between {} and {}",
            5 + k % 3,
            9 + k % 4
        ),
        2 => format!(
            "village_code in [\"5{:011}\", \"5{:011}\", \"4401{:08}\"]",
            k,
            k * 7 + i as u64,
            i
        ),
        3 => format!("{AGE} < {} or {AGE} > {}", 18 + k % 3, 60 + k % 6),
        4 => format!(
            "household_income < {}元 and loan_amount > {}元",
            20_000 + (k % 10) * 1_000,
            50_000 + (k % 7) * 10_000
        ),
        5 => format!("loan_amount / household_income > {}", 3 + k % 4),
        6 => format!(
            "(existing_debt + loan_amount) / {} > household_income",
            8 + k % 4
        ),
        7 => format!(
            "blacklisted or related_party and bureau_score < {}",
            500 + k % 50
        ),
        8 => format!(
            "occupation not in [\"农户\", \"个体户\", \"工薪\", \"职业{}\"] and term_months > 12",
            k
        ),
        9 => format!("debt_ratio >= 0.{}", 60 + k % 30),
        10 => format!(
            "bureau_max_overdue_days > {} and not guarantor",
            30 + k % 60
        ),
        11 => format!(
            "starts_with(village_code, \"4401{:02}\") and land_area_mu < {}",
            k % 100,
            1 + k % 5
        ),
        12 => format!(
            "max(bureau_overdue_count, multi_lending_count) * 2 + device_shared_count >= {}",
            7 + k % 4
        ),
        13 => "is_missing(household_income) or is_missing(bureau_score)".to_owned(),
        14 => format!(
            "years_in_village < {} and land_area_mu between 0 and {}",
            1 + k % 2,
            2 + k % 3
        ),
        _ => format!(
            "contains(occupation, \"{}\") or bureau_score - {} < {}",
            ["无业", "学生", "退休", "自由职业"][(k % 4) as usize],
            k % 200,
            300 + k % 100
        ),
    }
}

fn quiet_action(i: usize) -> Action {
    match i % 5 {
        0 => Action::Reject,
        1 => Action::Refer,
        2 => Action::CapLimit(Fen::from_yuan(50_000 + (i as i64 % 10) * 5_000)),
        3 => Action::AdjustRateBp(25 + (i as i32 % 4) * 25),
        _ => Action::AddScore(-(10 + i as i32 % 20)),
    }
}

/// `count` rules, of which those whose index is in `firing` fire for the applicant
/// (a flag or a score, never a rejection).
fn rule_set(id: &str, zh: &str, count: usize, firing: &[usize], seed: u64) -> RuleSetDef {
    let mut g = Lcg(seed);
    let rules = (0..count)
        .map(|i| {
            let (condition, action) = if firing.contains(&i) {
                let c = match i % 3 {
                    0 => "term_months >= 36 and guarantor".to_owned(),
                    1 => format!("{AGE} between 30 and 45 and occupation == \"农户\""),
                    _ => "land_area_mu >= 10 and years_in_village > 10".to_owned(),
                };
                let a = if i % 2 == 0 {
                    Action::Flag(format!("tag_{id}_{i}"))
                } else {
                    Action::AddScore(5)
                };
                (c, a)
            } else {
                (quiet_condition(i, &mut g), quiet_action(i))
            };
            RuleDef {
                id: format!("{id}_{i:04}"),
                name_zh: format!("{zh}规则 {i}"),
                name_en: format!("{id} rule {i}"),
                condition,
                action,
                reason_code: format!("{id}_reason_{}", i % 40),
            }
        })
        .collect();
    RuleSetDef {
        id: id.into(),
        name_zh: zh.into(),
        name_en: id.into(),
        rules,
    }
}

/// Cells of the approval table's eight input columns. Row `i` (not the last)
/// fails at column `i % 8` and matches the applicant everywhere else, so the
/// scan stops at a different column in each row; the last row matches.
fn table_cell(column: usize, matching: bool, g: &mut Lcg) -> String {
    let k = g.next(1_000);
    match (column, matching) {
        (0, true) => "[18..65]".to_owned(),
        (0, false) => format!("[{}..{}]", 18 + k % 5, 25 + k % 10),
        (1, true) => format!(">= {}元", 10_000 + (k % 50) * 1_000),
        (1, false) => format!("< {}元", 20_000 + (k % 50) * 1_000),
        (2, true) => format!("[{}..]", 600 + k % 50),
        (2, false) => format!(">= {}", 700 + k % 100),
        (3, true) => format!("<= {}", 3 + k % 3),
        (3, false) => format!("[{}..]", 3 + k % 3),
        (4, true) => "\"农户\", \"个体户\"".to_owned(),
        (4, false) => {
            ["\"个体户\", \"工薪\"", "not \"农户\"", "\"无业\""][(k % 3) as usize].to_owned()
        }
        (5, true) => format!("(0元..{}元]", 200_000 + (k % 10) * 10_000),
        (5, false) => format!("> {}元", 160_000 + (k % 10) * 10_000),
        (6, true) => format!("[0..0.{})", 50 + k % 40),
        (6, false) => format!("[0.{}..1]", 40 + k % 50),
        (7, true) => "-".to_owned(),
        (_, _) => format!("\"consumer_{}\"", k % 7),
    }
}

fn approval_table() -> TableDef {
    let input = |expr: &str| InputDef {
        expr: expr.into(),
        label_zh: None,
        label_en: None,
    };
    let output = |name: &str, ty, zh: &str| OutputDef {
        name: name.into(),
        ty,
        label_zh: zh.into(),
        label_en: name.into(),
        priority: Vec::new(),
    };
    let mut g = Lcg(0x7AB1E);
    let rows = (0..TABLE_ROWS)
        .map(|i| {
            let last = i + 1 == TABLE_ROWS;
            let inputs = (0..8)
                .map(|c| table_cell(c, last || c != i % 8, &mut g))
                .collect();
            let outputs = if last {
                vec![
                    "\"approve\"".to_owned(),
                    "200000元".to_owned(),
                    "-10".to_owned(),
                    "-".to_owned(),
                ]
            } else {
                vec![
                    ["\"approve\"", "\"refer\"", "\"reject\""][i % 3].to_owned(),
                    format!("{}元", 50_000 + (i % 20) * 10_000),
                    format!("{}", (i % 9) as i64 * 10 - 40),
                    format!("\"approval_row_{}\"", i % 50),
                ]
            };
            RowDef { inputs, outputs }
        })
        .collect();
    TableDef {
        id: "approval".into(),
        name_zh: "审批决策表".into(),
        name_en: "approval decision table".into(),
        hit_policy: HitPolicy::First,
        inputs: vec![
            input(AGE),
            input("household_income"),
            input("bureau_score"),
            input("multi_lending_count"),
            input("occupation"),
            input("loan_amount"),
            input("debt_ratio"),
            input("product"),
        ],
        outputs: vec![
            output("verdict", FeatureType::Text, "结论"),
            output("limit", FeatureType::Money, "额度"),
            output("rate_adjust_bp", FeatureType::Int, "利率调整（基点）"),
            output("reason_code", FeatureType::Text, "原因"),
        ],
        rows,
    }
}

struct Engine {
    admission: RuleSet,
    pre_approval: RuleSet,
    table: Table,
    strategy: Strategy,
}

fn engine(s: &FeatureSchema) -> Engine {
    let admission = rule_set("admission", "准入", ADMISSION_RULES, &[40, 77], 0xAD);
    let pre_approval = rule_set(
        "pre_approval",
        "预审批",
        PRE_APPROVAL_RULES,
        &[150, 451, 902, 1_203],
        0x9E,
    );
    let table = approval_table();
    let strategy = StrategyDef {
        id: "bank_sized".into(),
        name_zh: "银行规模策略".into(),
        name_en: "bank-sized strategy".into(),
        stages: vec![
            StageDef {
                kind: StageKind::Admission,
                body: StageBodyDef::Rules(admission.clone()),
            },
            StageDef {
                kind: StageKind::Admission,
                body: StageBodyDef::Rules(pre_approval.clone()),
            },
            StageDef {
                kind: StageKind::Limit,
                body: StageBodyDef::Table(table.clone()),
            },
        ],
        base_rate_bp: 490,
        rate_floor_bp: 435,
        rate_ceiling_bp: Some(1_540),
        max_limit: Some(Fen::from_yuan(300_000)),
        score_feature: None,
        grade_feature: None,
    };
    Engine {
        admission: RuleSet::compile(&admission, s).unwrap_or_else(|e| panic!("admission: {e}")),
        pre_approval: RuleSet::compile(&pre_approval, s)
            .unwrap_or_else(|e| panic!("pre-approval: {e}")),
        table: Table::compile(&table, s).unwrap_or_else(|e| panic!("table: {e}")),
        strategy: Strategy::compile(&strategy, s).unwrap_or_else(|e| panic!("strategy: {e}")),
    }
}

/// Checks, outside any timing, that the benchmark measures what it claims.
fn check(e: &Engine, f: &Features) {
    let a = e.admission.evaluate(f);
    assert_eq!(a.outcome.verdict, Verdict::Approve, "{:?}", a.outcome);
    assert_eq!(
        a.trace.fired_rules().len(),
        2,
        "{:?}",
        a.trace.fired_rules()
    );
    let p = e.pre_approval.evaluate(f);
    assert_eq!(p.outcome.verdict, Verdict::Approve, "{:?}", p.outcome);
    assert_eq!(
        p.trace.fired_rules().len(),
        4,
        "{:?}",
        p.trace.fired_rules()
    );
    let (r, t) = e.table.evaluate(f);
    assert_eq!(r.rows, [TABLE_ROWS - 1], "only the last row matches");
    assert_eq!(t.outcome.limit_cap, Some(Fen::from_yuan(200_000)));
    let d = e.strategy.evaluate(f);
    assert_eq!(d.outcome, Verdict::Approve, "{:?}", d.reason_codes);
    assert_eq!(d.limit, Some(Fen::from_yuan(200_000)));
    assert_eq!(d.rate_bp, Some(480));
    assert_eq!(d.flags.len(), 3, "{:?}", d.flags);
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// p50 / p99 / max of single evaluations, timed one by one on this thread.
fn print_percentiles(label: &str, mut run: impl FnMut()) {
    for _ in 0..1_000 {
        run();
    }
    let mut times = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let t = Instant::now();
        run();
        times.push(t.elapsed());
    }
    times.sort_unstable();
    println!(
        "{label}: {SAMPLES} single evaluations on one thread: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs (target p99 ≤ 1000 µs)",
        percentile(&times, 0.50).as_secs_f64() * 1e6,
        percentile(&times, 0.99).as_secs_f64() * 1e6,
        times[times.len() - 1].as_secs_f64() * 1e6,
    );
}

fn decision_engine(c: &mut Criterion) {
    let s = schema();
    let f = applicant(&s);
    let e = engine(&s);
    check(&e, &f);

    // `cargo bench` passes `--bench`; in test mode (`cargo test --benches`) each
    // benchmark runs once and the 40,000 timed evaluations are skipped.
    if std::env::args().any(|a| a == "--bench") {
        print_percentiles(
            "rules/per_application (strategy: 100 + 1,500 rules + 3,000-row table)",
            || {
                black_box(e.strategy.evaluate(black_box(&f)));
            },
        );
        print_percentiles(
            "rules/per_application_parts (rule set + rule set + table, called directly)",
            || {
                black_box(e.admission.evaluate(black_box(&f)));
                black_box(e.pre_approval.evaluate(black_box(&f)));
                black_box(e.table.evaluate(black_box(&f)));
            },
        );
    }
    run_groups(c, &e, &f);
}

fn run_groups(c: &mut Criterion, e: &Engine, f: &Features) {
    let mut group = c.benchmark_group("rules");
    group.bench_function("per_application_strategy", |b| {
        b.iter(|| e.strategy.evaluate(black_box(f)))
    });
    group.bench_function("admission_100_rules", |b| {
        b.iter(|| e.admission.evaluate(black_box(f)))
    });
    group.bench_function("pre_approval_1500_rules", |b| {
        b.iter(|| e.pre_approval.evaluate(black_box(f)))
    });
    group.bench_function("approval_table_3000_rows_last_matches", |b| {
        b.iter(|| e.table.evaluate(black_box(f)))
    });
    group.finish();
}

criterion_group!(benches, decision_engine);
criterion_main!(benches);
