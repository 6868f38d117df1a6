use proptest::prelude::*;
use rstest::rstest;

use super::*;
use crate::rules::schema::FeatureDef;

fn schema() -> FeatureSchema {
    FeatureSchema::new(vec![
        FeatureDef::new("age", FeatureType::Int, "年龄", "age"),
        FeatureDef::new("income", FeatureType::Money, "年收入", "annual income"),
        FeatureDef::new("occupation", FeatureType::Text, "职业", "occupation"),
        FeatureDef::new("grade", FeatureType::Text, "等级", "grade"),
    ])
    .unwrap_or_else(|e| panic!("{e}"))
}

fn input(expr: &str) -> InputDef {
    InputDef {
        expr: expr.into(),
        label_zh: None,
        label_en: None,
    }
}

fn output(name: &str, ty: FeatureType, zh: &str) -> OutputDef {
    OutputDef {
        name: name.into(),
        ty,
        label_zh: zh.into(),
        label_en: name.into(),
        priority: Vec::new(),
    }
}

fn row(inputs: &[&str], outputs: &[&str]) -> RowDef {
    RowDef {
        inputs: inputs.iter().map(|s| (*s).to_owned()).collect(),
        outputs: outputs.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// Limit by grade and income.
fn limit_table(policy: HitPolicy) -> TableDef {
    TableDef {
        id: "limit".into(),
        name_zh: "额度表".into(),
        name_en: "limit table".into(),
        hit_policy: policy,
        inputs: vec![input("grade"), input("income")],
        outputs: vec![
            output("limit", FeatureType::Money, "额度"),
            output("reason_code", FeatureType::Text, "原因"),
        ],
        rows: vec![
            row(
                &["\"A\"", ">= 100000元"],
                &["300000元", "\"grade_a_high_income\""],
            ),
            row(&["\"A\"", "-"], &["200000元", "-"]),
            row(&["\"B\"", "[50000元..)"], &["100000元", "-"]),
            row(&["\"A\", \"B\"", "-"], &["50000元", "-"]),
        ],
    }
}

fn record(grade: Option<&str>, income_yuan: Option<i64>, age: Option<i64>) -> Features {
    let s = schema();
    let mut f = s.record();
    let ok = s.set(&mut f, "grade", grade).is_ok()
        && s.set(&mut f, "income", income_yuan.map(Fen::from_yuan))
            .is_ok()
        && s.set(&mut f, "age", age).is_ok();
    assert!(ok);
    f
}

fn compile(def: &TableDef) -> Table {
    Table::compile(def, &schema()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn first_hit_applies_outputs_and_traces() {
    let t = compile(&limit_table(HitPolicy::First));
    let (r, ev) = t.evaluate(&record(Some("A"), Some(150_000), None));
    assert_eq!(r.rows, [0]);
    assert_eq!(ev.outcome.limit_cap, Some(Fen::from_yuan(300_000)));
    // The best row is no adverse result: its code stays in the trace only.
    assert!(ev.outcome.reason_codes.is_empty());
    assert_eq!(
        ev.trace.explain_zh(),
        ["决策表「额度表」命中第 1 行：等级 = \"A\"，年收入 = 150,000.00元（条件：等级 \"A\"，年收入 >= 100000元）→ 额度 = 300,000.00元，原因 = \"grade_a_high_income\""]
    );
    let (r, ev) = t.evaluate(&record(Some("A"), Some(10_000), None));
    assert_eq!(r.rows, [1]);
    assert_eq!(ev.outcome.limit_cap, Some(Fen::from_yuan(200_000)));
    // Missing income only matches `-`.
    let (r, _) = t.evaluate(&record(Some("B"), None, None));
    assert_eq!(r.rows, [3]);
    let (r, ev) = t.evaluate(&record(Some("C"), Some(1), None));
    assert!(r.rows.is_empty());
    assert_eq!(ev.outcome, Outcome::default());
    assert_eq!(
        ev.trace.explain_en()[0],
        "Table \"limit table\" had no hit: grade = \"C\", annual income = CNY 1.00"
    );
}

#[test]
fn unique_policy_refers_on_overlap() {
    let t = compile(&limit_table(HitPolicy::Unique));
    let (r, ev) = t.evaluate(&record(Some("A"), Some(150_000), None));
    assert!(r.rows.is_empty());
    assert_eq!(ev.outcome.verdict, Verdict::Refer);
    assert_eq!(ev.outcome.limit_cap, None);
    assert_eq!(
        ev.trace.explain_zh(),
        ["决策表「额度表」第 1, 2, 4 行同时命中（唯一命中策略）→ 转人工审核"]
    );
    let (r, ev) = t.evaluate(&record(Some("B"), Some(10), None));
    assert_eq!(r.rows, [3]);
    assert_eq!(ev.outcome.verdict, Verdict::Approve);
}

#[test]
fn priority_policy_picks_the_highest_ranked_output() {
    let mut def = TableDef {
        id: "admit".into(),
        name_zh: "准入表".into(),
        name_en: "admission".into(),
        hit_policy: HitPolicy::Priority,
        inputs: vec![input("age"), input("occupation")],
        outputs: vec![
            output("verdict", FeatureType::Text, "结论"),
            output("reason_code", FeatureType::Text, "原因"),
        ],
        rows: vec![
            row(&["[18..65]", "-"], &["\"approve\"", "-"]),
            row(
                &["-", "\"赌博\""],
                &["\"reject\"", "\"occupation_excluded\""],
            ),
            row(&["> 60", "-"], &["\"refer\"", "\"age_review\""]),
        ],
    };
    assert_eq!(
        Table::compile(&def, &schema())
            .err()
            .map(|e| (e.code(), e.place)),
        Some((
            ErrorCode::TablePriority,
            TablePlace::OutputColumn { column: 0 }
        ))
    );
    def.outputs[0].priority = vec![
        "\"reject\"".into(),
        "\"refer\"".into(),
        "\"approve\"".into(),
    ];
    let t = compile(&def);
    let (r, ev) = t.evaluate(&record(None, None, Some(62)));
    assert_eq!(r.rows, [2]);
    assert_eq!(ev.outcome.verdict, Verdict::Refer);
    let mut f = record(None, None, Some(62));
    let _ = schema().set(&mut f, "occupation", "赌博");
    let (r, ev) = t.evaluate(&f);
    assert_eq!(r.rows, [1]);
    assert_eq!(ev.outcome.verdict, Verdict::Reject);
    assert_eq!(ev.outcome.reason_codes, ["occupation_excluded"]);
    let (r, _) = t.evaluate(&record(None, None, Some(30)));
    assert_eq!(r.rows, [0]);

    def.outputs[0].priority.pop();
    assert_eq!(
        Table::compile(&def, &schema())
            .err()
            .map(|e| (e.code(), e.place)),
        Some((
            ErrorCode::TablePriority,
            TablePlace::OutputCell { row: 0, column: 0 }
        ))
    );
}

#[rstest]
#[case(None, vec![0, 1, 3], None)]
#[case(Some(Aggregation::Sum), vec![0, 1, 3], Some(Value::Money(Fen::from_yuan(550_000))))]
#[case(Some(Aggregation::Min), vec![0, 1, 3], Some(Value::Money(Fen::from_yuan(50_000))))]
#[case(Some(Aggregation::Max), vec![0, 1, 3], Some(Value::Money(Fen::from_yuan(300_000))))]
#[case(Some(Aggregation::Count), vec![0, 1, 3], Some(Value::Int(3)))]
fn collect_policy_aggregates(
    #[case] aggregation: Option<Aggregation>,
    #[case] rows: Vec<usize>,
    #[case] aggregate: Option<Value>,
) {
    let t = compile(&limit_table(HitPolicy::Collect { aggregation }));
    let (r, ev) = t.evaluate(&record(Some("A"), Some(150_000), None));
    assert_eq!(r.rows, rows);
    assert_eq!(r.aggregate, aggregate);
    // Every hit row's cap applies: the lowest wins.
    assert_eq!(ev.outcome.limit_cap, Some(Fen::from_yuan(50_000)));
}

/// Pricing rows of a collect table: only the rows that work against the
/// applicant (a surcharge, lost points, a referral) give a customer reason.
#[test]
fn only_adverse_rows_give_customer_reasons() {
    let t = compile(&TableDef {
        id: "price".into(),
        name_zh: "定价调整".into(),
        name_en: "pricing".into(),
        hit_policy: HitPolicy::Collect { aggregation: None },
        inputs: vec![input("age"), input("occupation")],
        outputs: vec![
            output("rate_adjust_bp", FeatureType::Int, "利率调整"),
            output("score", FeatureType::Int, "评分调整"),
            output("verdict", FeatureType::Text, "结论"),
            output("reason_code", FeatureType::Text, "原因"),
        ],
        rows: vec![
            row(
                &["< 30", "-"],
                &["-30", "0", "\"approve\"", "\"young_discount\""],
            ),
            row(
                &["> 55", "-"],
                &["50", "0", "\"approve\"", "\"age_surcharge\""],
            ),
            row(
                &["-", "\"个体户\""],
                &["0", "-10", "\"approve\"", "\"occupation_points\""],
            ),
            row(&["> 60", "-"], &["0", "0", "\"refer\"", "\"age_review\""]),
            row(&["-", "-"], &["0", "5", "\"approve\"", "\"base_points\""]),
        ],
    });
    let mut f = record(None, None, Some(25));
    let _ = schema().set(&mut f, "occupation", "个体户");
    let (r, ev) = t.evaluate(&f);
    assert_eq!(r.rows, [0, 2, 4]);
    assert_eq!(ev.outcome.rate_adjust_bp, -30);
    assert_eq!(ev.outcome.reason_codes, ["occupation_points"]);
    let (r, ev) = t.evaluate(&record(None, None, Some(62)));
    assert_eq!(r.rows, [1, 3, 4]);
    assert_eq!(ev.outcome.verdict, Verdict::Refer);
    assert_eq!(ev.outcome.reason_codes, ["age_surcharge", "age_review"]);
    // The trace still shows every hit row with its code.
    assert_eq!(ev.trace.entries.len(), 3);
}

#[rstest]
#[case(2, true, 1, "[50000..)", "expr_type_mismatch", TablePlace::InputCell { row: 2, column: 1 })]
#[case(1, true, 0, "[\"A\"..]", "expr_type_mismatch", TablePlace::InputCell { row: 1, column: 0 })]
#[case(3, true, 1, "(5元..1元]", "expr_bad_literal", TablePlace::InputCell { row: 3, column: 1 })]
#[case(0, false, 0, "300000", "expr_type_mismatch", TablePlace::OutputCell { row: 0, column: 0 })]
#[case(0, false, 1, "\"Bad Code\"", "table_bad_output", TablePlace::OutputCell { row: 0, column: 1 })]
#[case(2, false, 0, "x", "expr_syntax", TablePlace::OutputCell { row: 2, column: 0 })]
fn refuses_bad_cells_with_their_position(
    #[case] r: usize,
    #[case] is_input: bool,
    #[case] c: usize,
    #[case] text: &str,
    #[case] code: &str,
    #[case] place: TablePlace,
) {
    let mut def = limit_table(HitPolicy::First);
    let cells = if is_input {
        &mut def.rows[r].inputs
    } else {
        &mut def.rows[r].outputs
    };
    cells[c] = text.into();
    let err = Table::compile(&def, &schema()).err();
    assert_eq!(
        err.as_ref().map(|e| (e.code().as_str(), e.place)),
        Some((code, place)),
        "{err:?}"
    );
}

/// A renewal's limit factor (续授信): the lowest factor of the rows that
/// count wins; under 100 it works against the customer, so its reason
/// counts; a factor outside 0 to 1000 per cent is refused where it is.
#[test]
fn limit_factors_take_the_lowest_and_lowering_is_adverse() {
    let def = TableDef {
        id: "renewal".into(),
        name_zh: "续期系数".into(),
        name_en: "renewal factor".into(),
        hit_policy: HitPolicy::Collect { aggregation: None },
        inputs: vec![input("grade")],
        outputs: vec![
            output("limit_factor_pct", FeatureType::Int, "系数"),
            output("reason_code", FeatureType::Text, "原因"),
        ],
        rows: vec![
            row(&["\"A\", \"B\""], &["120", "\"good_use\""]),
            row(&["\"B\""], &["80", "\"limit_lowered\""]),
        ],
    };
    let t = compile(&def);
    let (_, ev) = t.evaluate(&record(Some("A"), None, None));
    assert_eq!(ev.outcome.limit_factor_pct, Some(120));
    assert!(ev.outcome.reason_codes.is_empty());
    let (_, ev) = t.evaluate(&record(Some("B"), None, None));
    assert_eq!(ev.outcome.limit_factor_pct, Some(80));
    assert_eq!(ev.outcome.reason_codes, ["limit_lowered"]);
    let mut bad = def.clone();
    bad.rows[1].outputs[0] = "1001".into();
    assert_eq!(
        Table::compile(&bad, &schema())
            .err()
            .map(|e| (e.code(), e.place)),
        Some((
            ErrorCode::TableBadOutput,
            TablePlace::OutputCell { row: 1, column: 0 }
        ))
    );
    let mut bad = def;
    bad.outputs[0].ty = FeatureType::Money;
    assert_eq!(
        Table::compile(&bad, &schema()).err().map(|e| e.code()),
        Some(ErrorCode::TableBadOutput)
    );
}

#[test]
fn refuses_bad_columns() {
    let s = schema();
    let mut def = limit_table(HitPolicy::First);
    def.inputs[1].expr = "incom".into();
    let err = Table::compile(&def, &s).err();
    assert_eq!(
        err.as_ref().map(|e| (e.code(), e.place)),
        Some((
            ErrorCode::ExprUnknownFeature,
            TablePlace::InputColumn { column: 1 }
        ))
    );
    assert_eq!(err.and_then(|e| e.expr).map(|e| e.position.column), Some(1));
    let mut def = limit_table(HitPolicy::First);
    def.outputs[0].ty = FeatureType::Int;
    assert_eq!(
        Table::compile(&def, &s).err().map(|e| (e.code(), e.place)),
        Some((
            ErrorCode::TableBadOutput,
            TablePlace::OutputColumn { column: 0 }
        ))
    );
    let mut def = limit_table(HitPolicy::First);
    def.rows[1].inputs.pop();
    assert_eq!(
        Table::compile(&def, &s).err().map(|e| (e.code(), e.place)),
        Some((
            ErrorCode::TableRowWidth,
            TablePlace::InputCell { row: 1, column: 0 }
        ))
    );
    let mut def = limit_table(HitPolicy::Collect {
        aggregation: Some(Aggregation::Sum),
    });
    def.outputs.swap(0, 1);
    def.rows.iter_mut().for_each(|r| r.outputs.swap(0, 1));
    assert_eq!(
        Table::compile(&def, &s).err().map(|e| e.code()),
        Some(ErrorCode::TableAggregation)
    );
    let mut def = limit_table(HitPolicy::First);
    def.outputs.clear();
    assert_eq!(
        Table::compile(&def, &s).err().map(|e| e.code()),
        Some(ErrorCode::TableNoColumns)
    );
}

#[test]
fn definitions_round_trip() {
    let def = limit_table(HitPolicy::Collect {
        aggregation: Some(Aggregation::Min),
    });
    let t = compile(&def);
    assert_eq!(t.to_def(), def);
    let json = serde_json::to_string(&def).unwrap_or_default();
    assert!(json.contains(r#""hit_policy":{"policy":"collect","aggregation":"min"}"#));
    let back: TableDef = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, def);
    assert_eq!(t.rows(), 4);
    assert_eq!(
        t.row_outputs(3).map(|o| o[0].clone()),
        Some(Value::Money(Fen::from_yuan(50_000)))
    );
}

/// The benchmark's shape: 3,000 rows, matched at the last one.
#[test]
fn large_table_matches_the_last_row() {
    let mut rows: Vec<RowDef> = (0..2_999)
        .map(|i| {
            row(
                &[&format!("[{}..{})", 100 + i, 101 + i), "-", "\"农户\""],
                &[&format!("{}元", 1_000 + i)],
            )
        })
        .collect();
    rows.push(row(&["[18..60]", ">= 1元", "-"], &["88888元"]));
    let def = TableDef {
        id: "big".into(),
        name_zh: "大表".into(),
        name_en: "big".into(),
        hit_policy: HitPolicy::First,
        inputs: vec![input("age"), input("income"), input("occupation")],
        outputs: vec![output("limit", FeatureType::Money, "额度")],
        rows,
    };
    let t = compile(&def);
    let f = record(None, Some(50_000), Some(40));
    let (r, ev) = t.evaluate(&f);
    assert_eq!(r.rows, [2_999]);
    assert_eq!(ev.outcome.limit_cap, Some(Fen::from_yuan(88_888)));
}

proptest! {
    /// First and collect agree with checking every row's ranges by hand.
    #[test]
    fn matching_agrees_with_a_naive_scan(
        ranges in prop::collection::vec((prop::option::of((-20i64..20, 0i64..15)), prop::option::of((-20i64..20, 0i64..15))), 1..40),
        age in prop::option::of(-25i64..40),
        income in prop::option::of(-25i64..40),
    ) {
        let s = FeatureSchema::new(vec![
            FeatureDef::new("a", FeatureType::Int, "a", "a"),
            FeatureDef::new("b", FeatureType::Int, "b", "b"),
        ]).unwrap_or_else(|e| panic!("{e}"));
        let cell = |r: &Option<(i64, i64)>| r.map_or("-".to_owned(), |(lo, w)| format!("[{lo}..{}]", lo + w));
        let def = |policy| TableDef {
            id: "t".into(), name_zh: "t".into(), name_en: "t".into(), hit_policy: policy,
            inputs: vec![input("a"), input("b")],
            outputs: vec![output("n", FeatureType::Int, "n")],
            rows: ranges.iter().enumerate().map(|(i, (x, y))| RowDef {
                inputs: vec![cell(x), cell(y)], outputs: vec![i.to_string()],
            }).collect(),
        };
        let mut f = s.record();
        prop_assert!(s.set(&mut f, "a", age).is_ok() && s.set(&mut f, "b", income).is_ok());
        let hit = |r: &Option<(i64, i64)>, v: Option<i64>| match (r, v) {
            (None, _) => true,
            (Some((lo, w)), Some(v)) => *lo <= v && v <= lo + w,
            (Some(_), None) => false,
        };
        let expected: Vec<usize> = ranges.iter().enumerate()
            .filter(|(_, (x, y))| hit(x, age) && hit(y, income))
            .map(|(i, _)| i).collect();
        let first = Table::compile(&def(HitPolicy::First), &s).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(first.evaluate(&f).0.rows, expected.first().copied().into_iter().collect::<Vec<_>>());
        let all = Table::compile(&def(HitPolicy::Collect { aggregation: Some(Aggregation::Count) }), &s)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (r, _) = all.evaluate(&f);
        prop_assert_eq!(r.rows, expected.clone());
        prop_assert_eq!(r.aggregate, (!expected.is_empty()).then_some(Value::Int(expected.len() as i64)));
    }
}
