//! What both targets share: the schema the fuzzed expressions compile
//! against, fixed feature records to evaluate them on, and the checks on an
//! [`ExprError`] and on a tree's spans.

use domain::date::Date;
use domain::identity::IdNumber;
use domain::money::Fen;
use domain::rules::expr::{Expr, ExprError, ExprKind, Position, Span};
use domain::rules::schema::{
    Decimal, FeatureDef, FeatureSchema, FeatureType as T, Features, Value,
};

/// The production feature catalogue (`service/src/risk/features.rs`, copied:
/// the domain crate cannot depend on the service), then the names the seed
/// expressions of `domain/src/rules/expr/tests.rs` and `domain/benches/rules.rs`
/// use, so that seeds type-check and the fuzzer starts deep in the compiler.
const FEATURES: &[(&str, T)] = &[
    ("id_number", T::Text),
    ("application_date", T::Date),
    ("age", T::Int),
    ("gender", T::Text),
    ("occupation", T::Text),
    ("household_members", T::Int),
    ("declared_income", T::Money),
    ("land_area_mu", T::Decimal),
    ("main_business", T::Text),
    ("product_code", T::Text),
    ("guarantee_type", T::Text),
    ("amount", T::Money),
    ("term_months", T::Int),
    ("purpose", T::Text),
    ("open_applications", T::Int),
    ("loan_count", T::Int),
    ("loan_outstanding", T::Money),
    ("max_dpd", T::Int),
    ("has_overdue", T::Bool),
    ("bureau_available", T::Bool),
    ("bureau_score", T::Int),
    ("bureau_lenders", T::Int),
    ("bureau_inquiries_3m", T::Int),
    ("bureau_worst_delinquency", T::Int),
    ("bureau_total_debt", T::Money),
    ("blacklisted", T::Bool),
    ("investigated", T::Bool),
    ("verified_income", T::Money),
    ("household_assets", T::Money),
    ("household_debts", T::Money),
    ("investigation_recommendation", T::Text),
    ("recommended_amount", T::Money),
    ("income", T::Money),
    ("score", T::Int),
    ("grade", T::Text),
    // The unit tests' schema.
    ("i1", T::Int),
    ("i2", T::Int),
    ("d1", T::Decimal),
    ("m1", T::Money),
    ("m2", T::Money),
    ("b1", T::Bool),
    ("t1", T::Text),
    ("dt1", T::Date),
    ("dt2", T::Date),
    ("id", T::Text),
    ("年龄", T::Int),
    // The benchmark's schema, where it differs.
    ("household_income", T::Money),
    ("existing_debt", T::Money),
    ("loan_amount", T::Money),
    ("debt_ratio", T::Decimal),
    ("bureau_overdue_count", T::Int),
    ("bureau_max_overdue_days", T::Int),
    ("multi_lending_count", T::Int),
    ("device_shared_count", T::Int),
    ("related_party", T::Bool),
    ("guarantor", T::Bool),
    ("village_code", T::Text),
    ("product", T::Text),
    ("years_in_village", T::Int),
];

pub fn schema() -> FeatureSchema {
    let defs = FEATURES
        .iter()
        .map(|&(name, ty)| {
            let def = FeatureDef::new(name, ty, name, name);
            if matches!(name, "id_number" | "id") {
                def.pfi()
            } else {
                def
            }
        })
        .collect();
    FeatureSchema::new(defs).unwrap_or_else(|e| panic!("schema: {e}"))
}

/// Two records: every feature present (a valid ID number in `id_number`, an
/// invalid one in `id`, zeros where a division can hit them), and every
/// feature missing.
pub fn records(s: &FeatureSchema) -> [Features; 2] {
    let date = |t: &str| Date::parse(t).unwrap_or_else(|e| panic!("{t}: {e}"));
    let id = IdNumber::from_parts("330682", date("1988-05-20"), 123)
        .unwrap_or_else(|e| panic!("id: {e}"));
    let mut full = s.record();
    for (i, &(name, ty)) in FEATURES.iter().enumerate() {
        let k = i as i64;
        let v = match (name, ty) {
            ("id_number", _) => Value::from(id.clone()),
            ("id", _) => Value::from("not an id"),
            ("application_date" | "dt1", _) => date("2026-01-31").into(),
            (_, T::Date) => date("1999-12-31").into(),
            ("i2" | "loan_count", _) => Value::Int(0),
            ("m2", _) => Fen(0).into(),
            (_, T::Int) => Value::Int(k * 7 - 40),
            (_, T::Money) => Fen(k * 1_234_567).into(),
            (_, T::Decimal) => Decimal(k * 3_517 - 20_000).into(),
            (_, T::Bool) => (i % 2 == 0).into(),
            (_, T::Text) => ["农户", "", "farmer_credit", "3306"][i % 4].into(),
        };
        s.set(&mut full, name, v)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    [full, s.record()]
}

/// An error names a place inside the source: a span within it, on character
/// boundaries, and the line and column of the span's start.
pub fn check_error(src: &str, e: &ExprError) {
    check_span(src, e.span);
    assert_eq!(e.position, Position::of(src, e.span.start), "{src:?}: {e}");
    let lines = src.split('\n').count();
    assert!(
        e.position.line >= 1 && e.position.line as usize <= lines,
        "{src:?}: {e}"
    );
    let line = src
        .split('\n')
        .nth(e.position.line as usize - 1)
        .unwrap_or("");
    let col = e.position.column as usize;
    assert!(col >= 1 && col <= line.chars().count() + 1, "{src:?}: {e}");
    assert!(!e.message.is_empty(), "{src:?}: {e:?}");
    let _ = e.code();
}

pub fn check_span(src: &str, s: Span) {
    assert!(
        s.start <= s.end && s.end <= src.len(),
        "{src:?}: span {s:?} outside the source"
    );
    assert!(
        src.is_char_boundary(s.start) && src.is_char_boundary(s.end),
        "{src:?}: span {s:?} splits a character"
    );
}

/// Every node's span lies inside the source and inside its parent's.
pub fn check_tree(src: &str, e: &Expr) {
    check_span(src, e.span);
    let inside = |c: &Expr| {
        assert!(
            e.span.start <= c.span.start && c.span.end <= e.span.end,
            "{src:?}: child span {:?} outside parent {:?}",
            c.span,
            e.span
        );
        check_tree(src, c);
    };
    match &e.kind {
        ExprKind::Lit(_) | ExprKind::Feature(_) => {}
        ExprKind::Unary(_, x) => inside(x),
        ExprKind::Binary(_, l, r) => {
            inside(l);
            inside(r);
        }
        ExprKind::Between { value, lo, hi } => {
            inside(value);
            inside(lo);
            inside(hi);
        }
        ExprKind::In { value, items, .. } => {
            inside(value);
            items.iter().for_each(inside);
        }
        ExprKind::Call(_, args) => args.iter().for_each(inside),
    }
}

/// The tree without spans, to compare a reparse with the original.
pub fn strip(e: &Expr) -> Expr {
    let b = |x: &Expr| Box::new(strip(x));
    let kind = match &e.kind {
        ExprKind::Unary(op, x) => ExprKind::Unary(*op, b(x)),
        ExprKind::Binary(op, l, r) => ExprKind::Binary(*op, b(l), b(r)),
        ExprKind::Between { value, lo, hi } => ExprKind::Between {
            value: b(value),
            lo: b(lo),
            hi: b(hi),
        },
        ExprKind::In {
            value,
            items,
            negated,
        } => ExprKind::In {
            value: b(value),
            items: items.iter().map(strip).collect(),
            negated: *negated,
        },
        ExprKind::Call(f, args) => ExprKind::Call(*f, args.iter().map(strip).collect()),
        other => other.clone(),
    };
    Expr {
        kind,
        span: Span::default(),
    }
}
