//! The approval decision table of `domain/benches/rules.rs` and its benchmark
//! applicant, copied (a bench's functions cannot be imported): the schema, the
//! applicant, the generator and the table must stay as they are there, so the
//! figures here describe the same table. 3,000 rows, 8 input columns, hit
//! policy First; row `i` (not the last) fails at column `i % 8`, and only the
//! last row matches the benchmark applicant.

use domain::date::Date;
use domain::identity::IdNumber;
use domain::money::Fen;
use domain::rules::schema::{Decimal, FeatureDef, FeatureSchema, FeatureType, Features, Value};
use domain::rules::table::{HitPolicy, InputDef, OutputDef, RowDef, TableDef};

pub const TABLE_ROWS: usize = 3_000;

pub const AGE: &str = "age(id_number, application_date)";

pub fn schema() -> FeatureSchema {
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
pub fn applicant(s: &FeatureSchema) -> Features {
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
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
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

pub fn approval_table() -> TableDef {
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
