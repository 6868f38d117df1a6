//! The default strategies a bank starts from (and the demo bank runs): a
//! pre-screen of anti-fraud, blacklist and admission rules, and a full
//! decision that adds the investigation, a farmer scorecard, limit and
//! pricing. Written in the rule language against the feature catalogue, so
//! they are ordinary rule sets a risk manager can copy, change and publish.

use domain::money::Fen;
use domain::rules::lifecycle::DecisionStage;
use domain::rules::rule::{Action, RuleDef, RuleSetDef};
use domain::rules::schema::FeatureType as T;
use domain::rules::scorecard::{BinDef, CharacteristicDef, GradeDef, ScorecardDef};
use domain::rules::strategy::{StageBodyDef, StageDef, StageKind, StrategyDef};
use domain::rules::table::{HitPolicy, InputDef, OutputDef, RowDef, TableDef};

/// What the default strategy of a product depends on.
#[derive(Debug, Clone, Copy)]
pub struct ProductRisk<'a> {
    pub code: &'a str,
    pub name_zh: &'a str,
    pub name_en: &'a str,
    /// The product's listed rate: the base of pricing.
    pub rate_bp: u32,
    pub max_amount: Fen,
    /// "credit", "guarantor", "mortgage" or "pledge".
    pub guarantee: &'a str,
}

fn rule(id: &str, zh: &str, en: &str, cond: &str, action: Action, code: &str) -> RuleDef {
    RuleDef {
        id: id.to_string(),
        name_zh: zh.to_string(),
        name_en: en.to_string(),
        condition: cond.to_string(),
        action,
        reason_code: code.to_string(),
    }
}

fn rules(kind: StageKind, id: &str, zh: &str, en: &str, rules: Vec<RuleDef>) -> StageDef {
    StageDef {
        kind,
        body: StageBodyDef::Rules(RuleSetDef {
            id: id.to_string(),
            name_zh: zh.to_string(),
            name_en: en.to_string(),
            rules,
        }),
    }
}

fn input(expr: &str) -> InputDef {
    InputDef {
        expr: expr.to_string(),
        label_zh: None,
        label_en: None,
    }
}

fn output(name: &str, ty: T, zh: &str, en: &str) -> OutputDef {
    OutputDef {
        name: name.to_string(),
        ty,
        label_zh: zh.to_string(),
        label_en: en.to_string(),
        priority: Vec::new(),
    }
}

fn row(i: &[&str], o: &[String]) -> RowDef {
    RowDef {
        inputs: i.iter().map(|s| (*s).to_string()).collect(),
        outputs: o.to_vec(),
    }
}

fn characteristic(expr: &str, bins: &[(&str, i32)], missing: i32, other: i32) -> CharacteristicDef {
    CharacteristicDef {
        expr: expr.to_string(),
        label_zh: None,
        label_en: None,
        bins: bins
            .iter()
            .map(|(c, p)| BinDef {
                cell: (*c).to_string(),
                points: *p,
            })
            .collect(),
        missing_points: missing,
        other_points: other,
    }
}

/// A money literal of the rule language, in whole yuan.
fn yuan(f: Fen) -> String {
    format!("{}元", f.get() / 100)
}

/// `share` per mille of `max`, rounded down to 10,000 yuan, at least 10,000.
fn share_of(max: Fen, per_mille: i64) -> Fen {
    let y = max.get() / 100 * per_mille / 1000;
    Fen::from_yuan((y / 10_000 * 10_000).max(10_000))
}

/// The oldest age admitted: lower for long mortgage loans.
fn max_age(p: &ProductRisk<'_>) -> i64 {
    if p.guarantee == "mortgage" {
        60
    } else {
        65
    }
}

fn anti_fraud() -> StageDef {
    use Action::*;
    rules(
        StageKind::AntiFraud,
        "anti_fraud",
        "反欺诈",
        "anti-fraud",
        vec![
            rule(
                "repeat_applications",
                "多笔在途申请",
                "several open applications",
                "open_applications >= 2",
                Refer,
                "repeat_applications",
            ),
            rule(
                "multi_lending_excessive",
                "多头借贷过多",
                "too many lenders",
                "bureau_lenders >= 6",
                Reject,
                "multi_lending_excessive",
            ),
            rule(
                "multi_lending_review",
                "多头借贷复核",
                "many lenders: review",
                "bureau_lenders between 4 and 5",
                Refer,
                "multi_lending_review",
            ),
            rule(
                "inquiries_excessive",
                "近期查询过多",
                "many recent inquiries",
                "bureau_inquiries_3m >= 6",
                Refer,
                "bureau_inquiries_excessive",
            ),
        ],
    )
}

fn blacklist() -> StageDef {
    rules(
        StageKind::Blacklist,
        "blacklist",
        "黑名单",
        "blacklist",
        vec![rule(
            "blacklisted",
            "黑名单客户",
            "blacklisted",
            "blacklisted",
            Action::Reject,
            "blacklisted",
        )],
    )
}

/// Refuses an applicant outside the product's age range.
fn age_limit(p: &ProductRisk<'_>) -> RuleDef {
    rule(
        "age_limit",
        "年龄不在准入范围",
        "age out of range",
        &format!("age < 18 or age > {}", max_age(p)),
        Action::Reject,
        "age_out_of_range",
    )
}

fn grade(g: &str, min_score: i64) -> GradeDef {
    GradeDef {
        grade: g.to_string(),
        min_score,
    }
}

/// Admission rules; `income` is the registered income at pre-screen and the
/// verified one (when investigated) in the full decision.
fn admission(p: &ProductRisk<'_>, income: &str, full: bool) -> StageDef {
    use Action::*;
    let mut list = vec![
        age_limit(p),
        rule(
            "bureau_overdue_serious",
            "征信严重逾期",
            "serious delinquency",
            "bureau_worst_delinquency >= 3",
            Reject,
            "bureau_overdue_serious",
        ),
        rule(
            "bureau_overdue_review",
            "征信有逾期",
            "past delinquency: review",
            "bureau_worst_delinquency between 1 and 2",
            Refer,
            "bureau_overdue_review",
        ),
        rule(
            "bureau_score_low",
            "征信评分过低",
            "bureau score too low",
            "bureau_score < 500",
            Reject,
            "bureau_score_low",
        ),
        rule(
            "internal_overdue_serious",
            "本行贷款逾期超90天",
            "overdue with us over 90 days",
            "max_dpd > 90",
            Reject,
            "internal_overdue_serious",
        ),
        rule(
            "internal_overdue",
            "本行贷款逾期",
            "overdue with us",
            "has_overdue",
            Refer,
            "internal_overdue",
        ),
        rule(
            "income_unverified",
            "收入无法确认",
            "income unknown",
            &format!("is_missing({income})"),
            Refer,
            "income_unverified",
        ),
        rule(
            "income_too_low",
            "家庭收入过低",
            "income too low",
            &format!("{income} < 20000元"),
            Reject,
            "income_too_low",
        ),
        rule(
            "debt_to_income",
            "负债收入比过高",
            "debt to income too high",
            &format!("(bureau_total_debt + amount) / {income} > 6"),
            Refer,
            "debt_to_income_high",
        ),
    ];
    if full {
        list.push(rule(
            "investigation_negative",
            "调查建议拒绝",
            "investigator recommends rejection",
            "investigation_recommendation == \"reject\"",
            Refer,
            "investigation_review",
        ));
        list.push(rule(
            "above_recommendation",
            "申请金额超过调查建议",
            "amount above the recommendation",
            "amount > recommended_amount",
            Refer,
            "amount_above_limit",
        ));
    }
    rules(StageKind::Admission, "admission", "准入", "admission", list)
}

fn scorecard() -> StageDef {
    StageDef {
        kind: StageKind::Score,
        body: StageBodyDef::Scorecard(ScorecardDef {
            id: "farmer_card".to_string(),
            name_zh: "农户评分卡".to_string(),
            name_en: "farmer scorecard".to_string(),
            base_points: 500,
            characteristics: vec![
                characteristic(
                    "age",
                    &[
                        ("[18..25)", 10),
                        ("[25..35)", 30),
                        ("[35..50)", 45),
                        ("[50..60)", 30),
                        (">= 60", 10),
                    ],
                    -20,
                    0,
                ),
                characteristic(
                    "income",
                    &[
                        ("< 50000元", 0),
                        ("[50000元..100000元)", 30),
                        ("[100000元..200000元)", 55),
                        (">= 200000元", 70),
                    ],
                    -20,
                    0,
                ),
                characteristic(
                    "bureau_score",
                    &[
                        ("< 550", -40),
                        ("[550..650)", 0),
                        ("[650..750)", 35),
                        (">= 750", 60),
                    ],
                    // No credit history (白户) is common in villages: neutral-plus.
                    10,
                    0,
                ),
                characteristic(
                    "bureau_lenders",
                    &[("0", 20), ("[1..2]", 15), ("3", -10), (">= 4", -35)],
                    0,
                    0,
                ),
                characteristic(
                    "bureau_worst_delinquency",
                    &[("0", 30), ("1", -10), ("2", -40), (">= 3", -80)],
                    0,
                    0,
                ),
                characteristic(
                    "land_area_mu",
                    &[("< 5", 0), ("[5..20)", 15), (">= 20", 25)],
                    0,
                    0,
                ),
                characteristic(
                    "occupation",
                    &[
                        ("\"种植户\", \"养殖户\", \"务农\"", 20),
                        ("\"个体户\", \"个体工商户\"", 15),
                    ],
                    0,
                    5,
                ),
            ],
            grades: vec![
                grade("A", 680),
                grade("B", 620),
                grade("C", 560),
                grade("D", 500),
                grade("E", 0),
            ],
        }),
    }
}

fn limit(p: &ProductRisk<'_>) -> Vec<StageDef> {
    let q = |s: &str| format!("\"{s}\"");
    let dash = "-".to_string();
    let table = TableDef {
        id: "limit_by_grade".to_string(),
        name_zh: "等级额度表".to_string(),
        name_en: "limit by grade".to_string(),
        hit_policy: HitPolicy::First,
        inputs: vec![input("grade")],
        outputs: vec![
            output("limit", T::Money, "额度", "limit"),
            output("verdict", T::Text, "结论", "verdict"),
            output("reason_code", T::Text, "原因", "reason"),
        ],
        rows: vec![
            row(
                &["\"A\""],
                &[yuan(p.max_amount), q("approve"), dash.clone()],
            ),
            row(
                &["\"B\""],
                &[
                    yuan(share_of(p.max_amount, 600)),
                    q("approve"),
                    dash.clone(),
                ],
            ),
            row(
                &["\"C\""],
                &[
                    yuan(share_of(p.max_amount, 300)),
                    q("approve"),
                    dash.clone(),
                ],
            ),
            row(
                &["\"D\""],
                &[
                    yuan(share_of(p.max_amount, 100)),
                    q("refer"),
                    q("low_score_review"),
                ],
            ),
            row(
                &["-"],
                &[
                    yuan(Fen::from_yuan(10_000)),
                    q("reject"),
                    q("low_score_review"),
                ],
            ),
        ],
    };
    use Action::*;
    vec![
        StageDef {
            kind: StageKind::Limit,
            body: StageBodyDef::Table(table),
        },
        rules(
            StageKind::Limit,
            "limit_caps",
            "额度限制",
            "limit caps",
            vec![
                rule(
                    "low_income_cap",
                    "低收入限额",
                    "low income cap",
                    "income < 50000元",
                    CapLimit(share_of(p.max_amount, 100).min(Fen::from_yuan(50_000))),
                    "income_cap",
                ),
                rule(
                    "multi_lending_cap",
                    "多头借贷限额",
                    "multi-lending cap",
                    "bureau_lenders >= 3",
                    CapLimit(share_of(p.max_amount, 200)),
                    "multi_lending_cap",
                ),
            ],
        ),
    ]
}

fn pricing() -> Vec<StageDef> {
    let table = TableDef {
        id: "price_by_grade".to_string(),
        name_zh: "等级定价表".to_string(),
        name_en: "pricing by grade".to_string(),
        hit_policy: HitPolicy::First,
        inputs: vec![input("grade")],
        outputs: vec![output(
            "rate_adjust_bp",
            T::Int,
            "利率调整（基点）",
            "rate adjustment (bp)",
        )],
        rows: vec![
            row(&["\"A\""], &["-30".to_string()]),
            row(&["\"B\""], &["0".to_string()]),
            row(&["\"C\""], &["40".to_string()]),
            row(&["-"], &["80".to_string()]),
        ],
    };
    use Action::*;
    vec![
        StageDef {
            kind: StageKind::Pricing,
            body: StageBodyDef::Table(table),
        },
        rules(
            StageKind::Pricing,
            "price_adjust",
            "定价调整",
            "price adjustments",
            vec![
                rule(
                    "multi_lending_price",
                    "多头借贷加价",
                    "multi-lending surcharge",
                    "bureau_lenders >= 3",
                    AdjustRateBp(50),
                    "multi_lending_price",
                ),
                rule(
                    "large_farm_discount",
                    "规模经营优惠",
                    "large farm discount",
                    "land_area_mu >= 30",
                    AdjustRateBp(-15),
                    "large_farm_discount",
                ),
            ],
        ),
    ]
}

/// 续授信: who keeps a revolving line at its expiry and with what limit.
/// Admission refuses a customer overdue now or often overdue in the term;
/// a behaviour scorecard grades how the line was used and repaid; the
/// grade gives the new limit as a share of the current one
/// (`limit_factor_pct`), the lowest grade goes to an officer.
fn renewal(p: &ProductRisk<'_>) -> Vec<StageDef> {
    use Action::*;
    let admission = rules(
        StageKind::Admission,
        "renewal_admission",
        "续授信准入",
        "renewal admission",
        vec![
            age_limit(p),
            rule(
                "overdue_now",
                "当前逾期",
                "overdue now",
                "has_overdue",
                Reject,
                "renewal_overdue_now",
            ),
            rule(
                "overdue_in_term",
                "期内逾期超过30天",
                "over 30 nights overdue in the term",
                "line_overdue_nights > 30",
                Reject,
                "renewal_overdue_history",
            ),
        ],
    );
    let card = StageDef {
        kind: StageKind::Score,
        body: StageBodyDef::Scorecard(ScorecardDef {
            id: "line_behaviour_card".to_string(),
            name_zh: "用信行为评分卡".to_string(),
            name_en: "line behaviour scorecard".to_string(),
            base_points: 500,
            characteristics: vec![
                characteristic(
                    "line_drawn_pct",
                    &[("0", -60), ("[1..30)", 0), ("[30..80)", 25), (">= 80", 40)],
                    -60,
                    0,
                ),
                characteristic(
                    "line_overdue_nights",
                    &[("0", 40), ("[1..7]", 0), (">= 8", -40)],
                    0,
                    0,
                ),
                characteristic(
                    "line_drawdowns",
                    &[("0", 0), ("[1..3)", 10), (">= 3", 20)],
                    0,
                    0,
                ),
                characteristic(
                    "income",
                    &[
                        ("< 50000元", 0),
                        ("[50000元..100000元)", 30),
                        (">= 100000元", 50),
                    ],
                    0,
                    0,
                ),
            ],
            grades: vec![
                grade("A", 600),
                grade("B", 560),
                grade("C", 520),
                grade("D", 0),
            ],
        }),
    };
    let q = |s: &str| format!("\"{s}\"");
    let dash = "-".to_string();
    let table = TableDef {
        id: "renewal_limit_by_grade".to_string(),
        name_zh: "续期额度系数表".to_string(),
        name_en: "renewal limit by grade".to_string(),
        hit_policy: HitPolicy::First,
        inputs: vec![input("grade")],
        outputs: vec![
            output(
                "limit_factor_pct",
                T::Int,
                "续期额度（原额度的%）",
                "new limit (% of the current)",
            ),
            output("verdict", T::Text, "结论", "verdict"),
            output("reason_code", T::Text, "原因", "reason"),
        ],
        rows: vec![
            row(&["\"A\""], &["120".into(), q("approve"), dash.clone()]),
            row(&["\"B\""], &["100".into(), q("approve"), dash.clone()]),
            row(
                &["\"C\""],
                &["80".into(), q("approve"), q("renewal_limit_lowered")],
            ),
            row(&["-"], &["0".into(), q("refer"), q("renewal_low_score")]),
        ],
    };
    vec![
        admission,
        card,
        StageDef {
            kind: StageKind::Limit,
            body: StageBodyDef::Table(table),
        },
    ]
}

/// The default strategy of a product at a stage.
pub fn default_strategy(stage: DecisionStage, p: &ProductRisk<'_>) -> StrategyDef {
    let (stages, suffix_zh, suffix_en) = match stage {
        DecisionStage::PreScreen => (
            vec![
                anti_fraud(),
                blacklist(),
                admission(p, "declared_income", false),
            ],
            "预审策略",
            "pre-screen",
        ),
        DecisionStage::Full => {
            let mut s = vec![
                anti_fraud(),
                blacklist(),
                admission(p, "income", true),
                scorecard(),
            ];
            s.extend(limit(p));
            s.extend(pricing());
            (s, "审批决策策略", "full decision")
        }
        DecisionStage::Renewal => (renewal(p), "续授信策略", "line renewal"),
    };
    StrategyDef {
        id: format!("{}_{}", p.code.to_lowercase(), stage.as_str()),
        name_zh: format!("{}{suffix_zh}", p.name_zh),
        name_en: format!("{} {suffix_en}", p.name_en),
        stages,
        base_rate_bp: p.rate_bp,
        rate_floor_bp: p.rate_bp.saturating_sub(100).max(300),
        rate_ceiling_bp: Some(p.rate_bp + 400),
        max_limit: Some(p.max_amount),
        score_feature: Some("score".to_string()),
        grade_feature: Some("grade".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::rule_sets::check_definition;

    /// A product of the demo bank's kind, secured as `guarantee` says.
    fn hned(guarantee: &str) -> ProductRisk<'_> {
        ProductRisk {
            code: "HNED",
            name_zh: "惠农e贷",
            name_en: "Huinong e-Loan",
            rate_bp: 560,
            max_amount: Fen::from_yuan(300_000),
            guarantee,
        }
    }

    #[test]
    fn the_defaults_compile_for_every_kind_of_product() {
        for guarantee in ["credit", "guarantor", "mortgage"] {
            let p = hned(guarantee);
            for stage in DecisionStage::ALL {
                let def = default_strategy(stage, &p);
                assert_eq!(check_definition(&def), None, "{guarantee} {stage:?}");
            }
        }
    }

    #[test]
    fn limits_are_shares_of_the_product_maximum() {
        assert_eq!(
            share_of(Fen::from_yuan(300_000), 600),
            Fen::from_yuan(180_000)
        );
        assert_eq!(
            share_of(Fen::from_yuan(200_000), 30),
            Fen::from_yuan(10_000)
        );
        assert_eq!(yuan(Fen::from_yuan(90_000)), "90000元");
    }

    /// Every reason code the default strategies can give reads in words to
    /// staff, so an officer never meets a bare code from the defaults.
    #[test]
    fn every_default_reason_code_has_words_for_staff() {
        use domain::rules::strategy::StageBodyDef;
        let p = hned("credit");
        let mut codes = Vec::new();
        for stage in DecisionStage::ALL {
            for s in default_strategy(stage, &p).stages {
                match s.body {
                    StageBodyDef::Rules(r) => {
                        codes.extend(r.rules.into_iter().map(|r| r.reason_code))
                    }
                    StageBodyDef::Table(t) => {
                        let Some(at) = t.outputs.iter().position(|o| o.name == "reason_code")
                        else {
                            continue;
                        };
                        for row in t.rows {
                            let code = row.outputs[at].trim_matches('"').to_string();
                            if code != "-" && !code.is_empty() {
                                codes.push(code);
                            }
                        }
                    }
                    StageBodyDef::Scorecard(_) => {}
                }
            }
        }
        assert!(codes.len() > 15, "{codes:?}");
        for code in codes {
            assert!(
                domain::rules::reasons::staff_text(&code).is_some(),
                "{code} has no words for staff"
            );
        }
    }
}
