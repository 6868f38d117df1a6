//! A realistic rural-loan strategy end to end, with Chinese feature labels.

use super::*;
use crate::date::Date;
use crate::identity::IdNumber;
use crate::rules::rule::RuleDef;
use crate::rules::schema::{Decimal, FeatureDef};
use crate::rules::scorecard::{BinDef, CharacteristicDef, GradeDef};
use crate::rules::table::{HitPolicy, InputDef, OutputDef, RowDef};

use FeatureType as T;

fn schema() -> FeatureSchema {
    FeatureSchema::new(vec![
        FeatureDef::new("id_number", T::Text, "身份证号", "ID number").pfi(),
        FeatureDef::new("application_date", T::Date, "申请日期", "application date"),
        FeatureDef::new(
            "household_income",
            T::Money,
            "家庭年收入",
            "household income",
        ),
        FeatureDef::new(
            "bureau_overdue_count",
            T::Int,
            "征信逾期次数",
            "bureau overdue count",
        ),
        FeatureDef::new(
            "multi_lending_count",
            T::Int,
            "多头借贷机构数",
            "multi-lending count",
        ),
        FeatureDef::new("blacklisted", T::Bool, "黑名单", "blacklisted"),
        FeatureDef::new("related_party", T::Bool, "关联方", "related party"),
        FeatureDef::new(
            "device_shared_count",
            T::Int,
            "同设备申请数",
            "applications on device",
        ),
        FeatureDef::new("occupation", T::Text, "职业", "occupation"),
        FeatureDef::new("land_area_mu", T::Decimal, "承包地面积（亩）", "land (mu)"),
        FeatureDef::new("score", T::Int, "评分", "score"),
        FeatureDef::new("grade", T::Text, "评分等级", "grade"),
    ])
    .unwrap_or_else(|e| panic!("{e}"))
}

fn rule(id: &str, zh: &str, cond: &str, action: Action, code: &str) -> RuleDef {
    RuleDef {
        id: id.into(),
        name_zh: zh.into(),
        name_en: id.replace('_', " "),
        condition: cond.into(),
        action,
        reason_code: code.into(),
    }
}

fn rules(kind: StageKind, id: &str, zh: &str, rules: Vec<RuleDef>) -> StageDef {
    StageDef {
        kind,
        body: StageBodyDef::Rules(RuleSetDef {
            id: id.into(),
            name_zh: zh.into(),
            name_en: id.into(),
            rules,
        }),
    }
}

fn input(expr: &str) -> InputDef {
    InputDef {
        expr: expr.into(),
        label_zh: None,
        label_en: None,
    }
}

fn output(name: &str, ty: T, zh: &str) -> OutputDef {
    OutputDef {
        name: name.into(),
        ty,
        label_zh: zh.into(),
        label_en: name.into(),
        priority: Vec::new(),
    }
}

fn row(i: &[&str], o: &[&str]) -> RowDef {
    RowDef {
        inputs: i.iter().map(|s| (*s).to_owned()).collect(),
        outputs: o.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn table(
    kind: StageKind,
    id: &str,
    zh: &str,
    inputs: Vec<InputDef>,
    outputs: Vec<OutputDef>,
    rows: Vec<RowDef>,
) -> StageDef {
    StageDef {
        kind,
        body: StageBodyDef::Table(TableDef {
            id: id.into(),
            name_zh: zh.into(),
            name_en: id.into(),
            hit_policy: HitPolicy::First,
            inputs,
            outputs,
            rows,
        }),
    }
}

fn characteristic(expr: &str, bins: &[(&str, i32)], missing_points: i32) -> CharacteristicDef {
    CharacteristicDef {
        expr: expr.into(),
        label_zh: None,
        label_en: None,
        bins: bins
            .iter()
            .map(|(c, p)| BinDef {
                cell: (*c).into(),
                points: *p,
            })
            .collect(),
        missing_points,
        other_points: -50,
    }
}

fn strategy_def() -> StrategyDef {
    use Action::*;
    use StageKind::*;
    let age = "age(id_number, application_date)";
    let grade = |g: &str, min_score| GradeDef {
        grade: g.into(),
        min_score,
    };
    StrategyDef {
        id: "farmer_credit".into(),
        name_zh: "农户信用贷款".into(),
        name_en: "farmer credit loan".into(),
        base_rate_bp: 520,
        rate_floor_bp: 435,
        rate_ceiling_bp: Some(1540),
        max_limit: Some(Fen::from_yuan(300_000)),
        score_feature: Some("score".into()),
        grade_feature: Some("grade".into()),
        stages: vec![
            rules(
                AntiFraud,
                "anti_fraud",
                "反欺诈",
                vec![
                    rule(
                        "device_shared",
                        "同设备多人申请",
                        "device_shared_count >= 5",
                        Reject,
                        "fraud_device_shared",
                    ),
                    rule(
                        "multi_lending_excessive",
                        "多头借贷过多",
                        "multi_lending_count >= 6",
                        Reject,
                        "multi_lending_excessive",
                    ),
                    rule(
                        "multi_lending_review",
                        "多头借贷复核",
                        "multi_lending_count between 3 and 5",
                        Refer,
                        "multi_lending_review",
                    ),
                ],
            ),
            rules(
                Blacklist,
                "blacklist",
                "黑名单与关联方",
                vec![
                    rule(
                        "blacklisted",
                        "黑名单客户",
                        "blacklisted",
                        Reject,
                        "blacklisted",
                    ),
                    rule(
                        "related_party",
                        "关联方",
                        "related_party == true",
                        Refer,
                        "related_party_review",
                    ),
                ],
            ),
            rules(
                Admission,
                "admission",
                "准入",
                vec![
                    rule(
                        "age_limit",
                        "年龄超限",
                        &format!("{age} < 18 or {age} > 65"),
                        Reject,
                        "age_out_of_range",
                    ),
                    rule(
                        "overdue",
                        "征信逾期过多",
                        "bureau_overdue_count > 3",
                        Reject,
                        "bureau_overdue_excessive",
                    ),
                    rule(
                        "income_unverified",
                        "收入未核实",
                        "is_missing(household_income)",
                        Refer,
                        "income_unverified",
                    ),
                    rule(
                        "income_low",
                        "收入过低",
                        "household_income < 20000元",
                        Reject,
                        "income_too_low",
                    ),
                ],
            ),
            StageDef {
                kind: Score,
                body: StageBodyDef::Scorecard(ScorecardDef {
                    id: "farmer_card".into(),
                    name_zh: "农户评分卡".into(),
                    name_en: "farmer scorecard".into(),
                    base_points: 500,
                    characteristics: vec![
                        characteristic(
                            age,
                            &[("[18..30)", 10), ("[30..50)", 40), ("[50..65]", 20)],
                            -30,
                        ),
                        characteristic(
                            "household_income",
                            &[
                                ("< 30000元", 0),
                                ("[30000元..80000元)", 30),
                                (">= 80000元", 60),
                            ],
                            -20,
                        ),
                        characteristic(
                            "bureau_overdue_count",
                            &[("0", 40), ("[1..2]", 10), (">= 3", -40)],
                            0,
                        ),
                        characteristic(
                            "occupation",
                            &[("\"种植户\", \"养殖户\"", 25), ("-", 5)],
                            5,
                        ),
                    ],
                    grades: vec![
                        grade("A", 600),
                        grade("B", 560),
                        grade("C", 520),
                        grade("D", 480),
                        grade("E", 0),
                    ],
                }),
            },
            rules(
                Score,
                "score_adjust",
                "评分调整",
                vec![rule(
                    "large_farm",
                    "种植大户",
                    "land_area_mu >= 10",
                    AddScore(20),
                    "large_farm",
                )],
            ),
            table(
                Limit,
                "limit_table",
                "额度测算表",
                vec![input("grade"), input("household_income")],
                vec![
                    output("limit", T::Money, "额度"),
                    output("verdict", T::Text, "结论"),
                    output("reason_code", T::Text, "原因"),
                ],
                vec![
                    row(&["\"A\"", ">= 100000元"], &["300000元", "\"approve\"", "-"]),
                    row(&["\"A\"", "-"], &["200000元", "\"approve\"", "-"]),
                    row(&["\"B\"", "-"], &["100000元", "\"approve\"", "-"]),
                    row(&["\"C\"", "-"], &["50000元", "\"approve\"", "-"]),
                    row(
                        &["-", "-"],
                        &["20000元", "\"refer\"", "\"low_score_review\""],
                    ),
                ],
            ),
            rules(
                Limit,
                "limit_caps",
                "额度限制",
                vec![rule(
                    "multi_lending_cap",
                    "多头借贷限额",
                    "multi_lending_count >= 3",
                    CapLimit(Fen::from_yuan(50_000)),
                    "multi_lending_cap",
                )],
            ),
            table(
                Pricing,
                "price_table",
                "定价表",
                vec![input("grade")],
                vec![output("rate_adjust_bp", T::Int, "利率调整（基点）")],
                vec![
                    row(&["\"A\""], &["-40"]),
                    row(&["\"B\""], &["-20"]),
                    row(&["\"C\""], &["0"]),
                    row(&["-"], &["60"]),
                ],
            ),
            rules(
                Pricing,
                "price_adjust",
                "定价调整",
                vec![
                    rule(
                        "multi_lending_price",
                        "多头借贷加价",
                        "multi_lending_count >= 3",
                        AdjustRateBp(50),
                        "multi_lending_price",
                    ),
                    rule(
                        "large_farm_discount",
                        "规模经营优惠",
                        "land_area_mu >= 50",
                        AdjustRateBp(-200),
                        "large_farm_discount",
                    ),
                ],
            ),
        ],
    }
}

struct Applicant {
    born: &'static str,
    income_yuan: Option<i64>,
    overdue: i64,
    multi: i64,
    blacklisted: bool,
    related: bool,
    occupation: &'static str,
    land_mu: Option<i64>,
}

const GOOD: Applicant = Applicant {
    born: "1984-03-10",
    income_yuan: Some(120_000),
    overdue: 0,
    multi: 1,
    blacklisted: false,
    related: false,
    occupation: "种植户",
    land_mu: Some(15),
};

fn features(s: &FeatureSchema, a: &Applicant) -> Features {
    let d = |t: &str| Date::parse(t).unwrap_or(Date::MIN);
    let id = IdNumber::from_parts("110101", d(a.born), 123).unwrap_or_else(|e| panic!("{e}"));
    let mut f = s.record();
    let results = [
        s.set(&mut f, "id_number", id),
        s.set(&mut f, "application_date", d("2026-01-31")),
        s.set(
            &mut f,
            "household_income",
            a.income_yuan.map(Fen::from_yuan),
        ),
        s.set(&mut f, "bureau_overdue_count", a.overdue),
        s.set(&mut f, "multi_lending_count", a.multi),
        s.set(&mut f, "blacklisted", a.blacklisted),
        s.set(&mut f, "related_party", a.related),
        s.set(&mut f, "device_shared_count", 1i64),
        s.set(&mut f, "occupation", a.occupation),
        s.set(
            &mut f,
            "land_area_mu",
            a.land_mu.and_then(Decimal::from_int),
        ),
    ];
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    f
}

fn decide(a: &Applicant) -> Decision {
    let s = schema();
    let strategy = Strategy::compile(&strategy_def(), &s).unwrap_or_else(|e| panic!("{e}"));
    strategy.evaluate(&features(&s, a))
}

#[test]
fn a_good_farmer_is_approved_with_limit_rate_and_grade() {
    let d = decide(&GOOD);
    assert_eq!(d.outcome, Verdict::Approve);
    // 500 + 40 (age 41) + 60 (income) + 40 (no overdue) + 25 (grower) + 20 (land).
    assert_eq!(d.score, Some(685));
    assert_eq!(d.grade.as_deref(), Some("A"));
    assert_eq!(d.limit, Some(Fen::from_yuan(300_000)));
    assert_eq!(d.rate_bp, Some(480));
    // The land bonus favours the applicant: nothing to tell the customer.
    assert!(d.reason_codes.is_empty(), "{:?}", d.reason_codes);
    assert_eq!(d.trace.fired_rules(), ["large_farm"]);
    let zh = d.trace.explain_zh();
    // A clean pass still says what each rules stage checked.
    assert_eq!(zh[0], "规则集「反欺诈」：3 条规则均未命中");
    assert_eq!(zh[1], "规则集「黑名单与关联方」：2 条规则均未命中");
    assert!(
        zh.contains(
            &"评分卡「农户评分卡」：周岁(身份证号, 申请日期) = 41，分箱 [30..50) → +40 分"
                .to_owned()
        ),
        "{zh:#?}"
    );
    assert!(
        zh.contains(&"评分卡「农户评分卡」：基础分 500，总分 665，等级 A".to_owned()),
        "{zh:#?}"
    );
    assert!(zh.contains(&"决策表「额度测算表」命中第 1 行：评分等级 = \"A\"，家庭年收入 = 120,000.00元（条件：评分等级 \"A\"，家庭年收入 >= 100000元）→ 额度 = 300,000.00元，结论 = \"approve\"，原因 = 缺失".to_owned()), "{zh:#?}");
    assert!(zh.contains(&"决策表「定价表」命中第 1 行：评分等级 = \"A\"（条件：评分等级 \"A\"）→ 利率调整（基点） = -40".to_owned()), "{zh:#?}");
    assert!(d.trace.entries.iter().all(|e| e.stage.is_some()));
}

#[test]
fn an_applicant_over_65_is_rejected_at_admission() {
    let d = decide(&Applicant {
        born: "1958-06-15",
        ..GOOD
    });
    assert_eq!(d.outcome, Verdict::Reject);
    assert_eq!(d.reason_codes, ["age_out_of_range"]);
    assert_eq!(
        (d.limit, d.rate_bp, d.score, d.grade.as_deref()),
        (None, None, None, None)
    );
    let zh = d.trace.explain_zh();
    let born = Date::parse("1958-06-15").unwrap_or(Date::MIN);
    let id = IdNumber::from_parts("110101", born, 123)
        .map(|i| i.masked())
        .unwrap_or_default();
    assert_eq!(
        zh,
        [
            // The stages before it passed, and say so.
            "规则集「反欺诈」：3 条规则均未命中".to_owned(),
            "规则集「黑名单与关联方」：2 条规则均未命中".to_owned(),
            format!("规则「年龄超限」命中：身份证号 = \"{id}\"，申请日期 = 2026-01-31，周岁(身份证号, 申请日期) = 67（条件：周岁(身份证号, 申请日期) < 18 或者 周岁(身份证号, 申请日期) > 65）→ 拒绝"),
            "准入阶段拒绝，后续阶段不再执行".to_owned(),
        ]
    );
    assert_eq!(d.trace.entries[0].stage, Some(StageKind::AntiFraud));
    assert_eq!(d.trace.entries[2].stage, Some(StageKind::Admission));
    let en = d.trace.explain_en();
    assert_eq!(en[0], "Rule set \"anti_fraud\": none of 3 rules fired");
    assert!(
        en[2].starts_with("Rule \"age limit\" fired: ID number = \"1101**********"),
        "{en:?}"
    );
    assert_eq!(en[3], "Rejected at admission; later stages not run");
}

#[test]
fn a_blacklisted_applicant_stops_at_the_blacklist_stage() {
    let d = decide(&Applicant {
        blacklisted: true,
        related: true,
        ..GOOD
    });
    assert_eq!(d.outcome, Verdict::Reject);
    // The whole stage runs, so both reasons are there.
    assert_eq!(d.reason_codes, ["blacklisted", "related_party_review"]);
    assert_eq!(
        d.trace.explain_zh(),
        [
            "规则集「反欺诈」：3 条规则均未命中",
            "规则「黑名单客户」命中：黑名单 = 是（条件：黑名单）→ 拒绝",
            "规则「关联方」命中：关联方 = 是（条件：关联方 = 是）→ 转人工审核",
            "黑名单与关联方阶段拒绝，后续阶段不再执行",
        ]
    );
}

#[test]
fn multi_lending_refers_caps_the_limit_and_prices_up() {
    let d = decide(&Applicant {
        income_yuan: Some(60_000),
        overdue: 2,
        multi: 4,
        related: true,
        occupation: "个体户",
        land_mu: None,
        ..GOOD
    });
    assert_eq!(d.outcome, Verdict::Refer);
    // 500 + 40 + 30 + 10 + 5; land missing, so no bonus.
    assert_eq!((d.score, d.grade.as_deref()), (Some(585), Some("B")));
    // Table says 100,000 for grade B; the multi-lending cap is lower.
    assert_eq!(d.limit, Some(Fen::from_yuan(50_000)));
    // 520 − 20 (grade B) + 50 (multi-lending).
    assert_eq!(d.rate_bp, Some(550));
    assert_eq!(
        d.reason_codes,
        [
            "multi_lending_review",
            "related_party_review",
            "multi_lending_cap",
            "multi_lending_price"
        ]
    );
    assert_eq!(
        d.trace.fired_rules(),
        [
            "multi_lending_review",
            "related_party",
            "multi_lending_cap",
            "multi_lending_price"
        ]
    );
    let zh = d.trace.explain_zh();
    assert!(
        zh.contains(&"规则「种植大户」未命中：承包地面积（亩）缺失，无法判断".to_owned()),
        "{zh:#?}"
    );
    assert!(zh.contains(&"规则「多头借贷复核」命中：多头借贷机构数 = 4（条件：多头借贷机构数 介于 3 与 5 之间）→ 转人工审核".to_owned()), "{zh:#?}");
}

#[test]
fn missing_income_refers_and_low_grades_refer_through_the_table() {
    let d = decide(&Applicant {
        income_yuan: None,
        overdue: 3,
        occupation: "务工",
        land_mu: Some(2),
        ..GOOD
    });
    // 500 + 40 − 20 (income missing) − 40 (3 overdue) + 5 = 485 → D.
    assert_eq!((d.score, d.grade.as_deref()), (Some(485), Some("D")));
    assert_eq!(d.outcome, Verdict::Refer);
    assert_eq!(d.limit, Some(Fen::from_yuan(20_000)));
    // 520 + 60 (grade D).
    assert_eq!(d.rate_bp, Some(580));
    assert_eq!(d.reason_codes, ["income_unverified", "low_score_review"]);
}

#[test]
fn the_rate_never_goes_below_the_floor() {
    let d = decide(&Applicant {
        land_mu: Some(60),
        ..GOOD
    });
    // 520 − 40 − 200 = 280, floored at 435.
    assert_eq!(d.rate_bp, Some(435));
    assert_eq!(d.outcome, Verdict::Approve);
    // Two favourable rules fired; the customer is given no adverse reason.
    assert_eq!(d.trace.fired_rules(), ["large_farm", "large_farm_discount"]);
    assert!(d.reason_codes.is_empty(), "{:?}", d.reason_codes);
}

#[test]
fn strategies_are_stored_as_json_and_compiled_on_load() {
    let def = strategy_def();
    let json = serde_json::to_string(&def).unwrap_or_default();
    let back: StrategyDef = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, def);
    let s = schema();
    let strategy = Strategy::compile(&back, &s).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(strategy.def(), &def);
    let d = strategy.evaluate(&features(&s, &GOOD));
    assert_eq!(d, decide(&GOOD));
    let json = serde_json::to_string(&d).unwrap_or_default();
    assert_eq!(serde_json::from_str::<Decision>(&json).ok(), Some(d));
}

#[test]
fn refuses_bad_strategies_at_save() {
    let s = schema();
    let code = |def: &StrategyDef| Strategy::compile(def, &s).err().map(|e| e.code());

    let mut def = strategy_def();
    def.stages.swap(0, 1);
    assert_eq!(code(&def), Some(ErrorCode::StrategyStageOrder));

    let mut def = strategy_def();
    if let StageBodyDef::Rules(rs) = &mut def.stages[2].body {
        rs.rules[1].condition = "bureau_overdue > 3".into();
    }
    let err = Strategy::compile(&def, &s).err();
    assert_eq!(
        err.as_ref().map(StrategyError::code),
        Some(ErrorCode::ExprUnknownFeature)
    );
    assert!(matches!(
        err,
        Some(StrategyError::Rules { stage: 2, error })
            if matches!(*error, RuleError::Expr { index: 1, .. })
    ));

    let mut def = strategy_def();
    if let StageBodyDef::Rules(rs) = &mut def.stages[8].body {
        rs.rules[0].action = Action::AddScore(5);
    }
    assert_eq!(code(&def), Some(ErrorCode::StrategyScoreAfterScoring));

    let mut def = strategy_def();
    def.stages[3].kind = StageKind::Admission;
    assert_eq!(code(&def), Some(ErrorCode::StrategyScorecardPlace));

    let mut def = strategy_def();
    def.rate_ceiling_bp = Some(400);
    assert_eq!(code(&def), Some(ErrorCode::StrategyRateBounds));

    let mut def = strategy_def();
    def.grade_feature = Some("score".into());
    assert_eq!(code(&def), Some(ErrorCode::StrategyOutputFeature));

    let mut def = strategy_def();
    if let StageBodyDef::Table(t) = &mut def.stages[5].body {
        t.rows[2].inputs[1] = "> 5".into();
    }
    let err = Strategy::compile(&def, &s).err();
    assert!(
        matches!(
            &err,
            Some(StrategyError::Table { stage: 5, error }) if error.place == crate::rules::table::TablePlace::InputCell { row: 2, column: 1 }
        ),
        "{err:?}"
    );
}

#[test]
fn a_division_by_zero_refers_instead_of_panicking() {
    let mut def = strategy_def();
    if let StageBodyDef::Rules(rs) = &mut def.stages[2].body {
        rs.rules.push(rule(
            "debt_service",
            "负债收入比",
            "household_income / bureau_overdue_count > 100000元",
            Action::Reject,
            "debt_service_high",
        ));
    }
    let s = schema();
    let strategy = Strategy::compile(&def, &s).unwrap_or_else(|e| panic!("{e}"));
    let d = strategy.evaluate(&features(&s, &GOOD));
    assert_eq!(d.outcome, Verdict::Refer);
    assert!(d
        .reason_codes
        .contains(&crate::rules::rule::EVAL_ERROR_REASON.to_owned()));
    assert!(d
        .trace
        .explain_zh()
        .contains(&"规则「负债收入比」无法计算（除数为零）→ 转人工审核".to_owned()));
}
