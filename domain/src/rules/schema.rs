//! The typed feature schema (特征 / 指标) that rules are written against, the
//! [`Value`]s a feature can take, and [`Features`], one application's input record
//! laid out by slot so that evaluation reads by index and never hashes a name.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::date::Date;
use crate::error_code::ErrorCode;
use crate::identity::IdNumber;
use crate::money::Fen;

/// The type of a feature, and of every expression over features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureType {
    /// Whole number (`i64`): counts, ages, days, basis points.
    Int,
    /// Amount in fen ([`Fen`]).
    Money,
    /// Fixed point with four decimals ([`Decimal`]); never a float.
    Decimal,
    Bool,
    Text,
    Date,
}

impl FeatureType {
    pub fn as_str(self) -> &'static str {
        match self {
            FeatureType::Int => "int",
            FeatureType::Money => "money",
            FeatureType::Decimal => "decimal",
            FeatureType::Bool => "bool",
            FeatureType::Text => "text",
            FeatureType::Date => "date",
        }
    }

    /// The Chinese name of the type, for messages to risk managers.
    pub fn label_zh(self) -> &'static str {
        match self {
            FeatureType::Int => "整数",
            FeatureType::Money => "金额",
            FeatureType::Decimal => "小数",
            FeatureType::Bool => "是/否",
            FeatureType::Text => "文本",
            FeatureType::Date => "日期",
        }
    }
}

impl fmt::Display for FeatureType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A fixed-point number with four decimals: `Decimal(49_000)` is 4.9.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Decimal(pub i64);

impl Decimal {
    /// Units per 1: four decimals.
    pub const SCALE: i64 = 10_000;

    pub const fn from_int(i: i64) -> Option<Decimal> {
        match i.checked_mul(Self::SCALE) {
            Some(v) => Some(Decimal(v)),
            None => None,
        }
    }

    /// "4.90", "-0.5", "12": at most four decimals, a digit on both sides of the point.
    pub fn parse(s: &str) -> Option<Decimal> {
        let (neg, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || (body.contains('.') && !digits(frac)) || frac.len() > 4 {
            return None;
        }
        let mut v: i64 = 0;
        for b in whole.bytes().chain(frac.bytes()) {
            v = v.checked_mul(10)?.checked_sub(i64::from(b - b'0'))?;
        }
        for _ in frac.len()..4 {
            v = v.checked_mul(10)?;
        }
        // Accumulated negatively so that i64::MIN parses.
        if neg {
            Some(Decimal(v))
        } else {
            v.checked_neg().map(Decimal)
        }
    }
}

impl fmt::Display for Decimal {
    /// Shortest exact form: 4.9, 12, -0.0125.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, frac) = (abs / 10_000, abs % 10_000);
        if frac == 0 {
            return write!(f, "{sign}{whole}");
        }
        let frac = format!("{frac:04}");
        write!(f, "{sign}{whole}.{}", frac.trim_end_matches('0'))
    }
}

/// One feature of the schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureDef {
    /// Identifier used in expressions: ASCII or Chinese letters, digits and `_`.
    pub name: String,
    pub ty: FeatureType,
    pub label_zh: String,
    pub label_en: String,
    /// Personal financial information (e.g. an ID number): traces show it masked.
    #[serde(default)]
    pub pfi: bool,
}

impl FeatureDef {
    pub fn new(name: &str, ty: FeatureType, label_zh: &str, label_en: &str) -> FeatureDef {
        FeatureDef {
            name: name.to_owned(),
            ty,
            label_zh: label_zh.to_owned(),
            label_en: label_en.to_owned(),
            pfi: false,
        }
    }

    /// Marks the feature as personal financial information.
    pub fn pfi(mut self) -> FeatureDef {
        self.pfi = true;
        self
    }
}

/// The position of a feature in a [`Features`] record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Slot(pub u32);

impl Slot {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Why a schema or a feature value was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum SchemaError {
    #[error("feature name {0:?} is not an identifier")]
    BadName(String),
    #[error("feature {0:?} is declared twice")]
    Duplicate(String),
    #[error("feature {0:?} is reserved or a keyword")]
    Reserved(String),
    #[error("no feature named {0:?}")]
    UnknownFeature(String),
    #[error("feature {name:?} is {expected}, the value is {found}")]
    WrongType {
        name: String,
        expected: FeatureType,
        found: FeatureType,
    },
    #[error("the record was not made for this schema")]
    WrongSchema,
}

impl SchemaError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            SchemaError::BadName(_) => ErrorCode::SchemaBadName,
            SchemaError::Duplicate(_) => ErrorCode::SchemaDuplicate,
            SchemaError::Reserved(_) => ErrorCode::SchemaReserved,
            SchemaError::UnknownFeature(_) => ErrorCode::SchemaUnknownFeature,
            SchemaError::WrongType { .. } => ErrorCode::SchemaWrongType,
            SchemaError::WrongSchema => ErrorCode::SchemaWrongRecord,
        }
    }
}

/// Words of the expression language that cannot name a feature.
pub(crate) const KEYWORDS: &[&str] = &["and", "or", "not", "between", "in", "true", "false"];

pub(crate) fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic() || (!c.is_ascii() && c.is_alphabetic() && c != '元')
}

pub(crate) fn is_ident_continue(c: char) -> bool {
    is_ident_start(c) || c.is_ascii_digit() || (!c.is_ascii() && c.is_alphanumeric() && c != '元')
}

/// The features rules may read, in slot order. Serialised as the list of
/// [`FeatureDef`]s; the name index is rebuilt on load.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "Vec<FeatureDef>", into = "Vec<FeatureDef>")]
pub struct FeatureSchema {
    defs: Vec<FeatureDef>,
    types: Arc<[FeatureType]>,
    index: BTreeMap<String, Slot>,
}

impl PartialEq for FeatureSchema {
    fn eq(&self, other: &Self) -> bool {
        self.defs == other.defs
    }
}

impl FeatureSchema {
    /// Checks every name is an identifier (not a keyword, not `d` which starts a
    /// date literal) and unique.
    pub fn new(defs: Vec<FeatureDef>) -> Result<FeatureSchema, SchemaError> {
        let mut index = BTreeMap::new();
        for (i, def) in defs.iter().enumerate() {
            let mut chars = def.name.chars();
            let ok = chars.next().is_some_and(is_ident_start) && chars.all(is_ident_continue);
            if !ok {
                return Err(SchemaError::BadName(def.name.clone()));
            }
            if KEYWORDS.contains(&def.name.as_str()) || def.name == "d" {
                return Err(SchemaError::Reserved(def.name.clone()));
            }
            let slot = Slot(u32::try_from(i).map_err(|_| SchemaError::BadName(def.name.clone()))?);
            if index.insert(def.name.clone(), slot).is_some() {
                return Err(SchemaError::Duplicate(def.name.clone()));
            }
        }
        let types = defs.iter().map(|d| d.ty).collect();
        Ok(FeatureSchema { defs, types, index })
    }

    pub fn slot(&self, name: &str) -> Option<Slot> {
        self.index.get(name).copied()
    }

    /// The definition at `slot`; `None` for a slot of another schema.
    pub fn def(&self, slot: Slot) -> Option<&FeatureDef> {
        self.defs.get(slot.index())
    }

    pub fn defs(&self) -> &[FeatureDef] {
        &self.defs
    }

    pub fn len(&self) -> usize {
        self.defs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// An empty record for this schema: every feature missing.
    pub fn record(&self) -> Features {
        Features {
            types: Arc::clone(&self.types),
            values: vec![Value::Missing; self.defs.len()],
        }
    }

    /// Sets a feature by name, checking its type.
    pub fn set(
        &self,
        features: &mut Features,
        name: &str,
        value: impl Into<Value>,
    ) -> Result<(), SchemaError> {
        let slot = self
            .slot(name)
            .ok_or_else(|| SchemaError::UnknownFeature(name.to_owned()))?;
        if !features.is_for(&self.types) {
            return Err(SchemaError::WrongSchema);
        }
        features.set_slot(slot, value).map_err(|e| match e {
            SchemaError::WrongType {
                expected, found, ..
            } => SchemaError::WrongType {
                name: name.to_owned(),
                expected,
                found,
            },
            other => other,
        })
    }

    pub(crate) fn types(&self) -> &Arc<[FeatureType]> {
        &self.types
    }
}

impl TryFrom<Vec<FeatureDef>> for FeatureSchema {
    type Error = SchemaError;
    fn try_from(defs: Vec<FeatureDef>) -> Result<Self, Self::Error> {
        FeatureSchema::new(defs)
    }
}

impl From<FeatureSchema> for Vec<FeatureDef> {
    fn from(s: FeatureSchema) -> Vec<FeatureDef> {
        s.defs
    }
}

/// A feature value. [`Value::Missing`] is a first-class value: the feature was not
/// supplied (no bureau report, field left empty).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Value {
    #[default]
    Missing,
    Int(i64),
    Money(Fen),
    Decimal(Decimal),
    Bool(bool),
    Text(String),
    Date(Date),
}

impl Value {
    /// The type of a present value.
    pub fn ty(&self) -> Option<FeatureType> {
        Some(match self {
            Value::Missing => return None,
            Value::Int(_) => FeatureType::Int,
            Value::Money(_) => FeatureType::Money,
            Value::Decimal(_) => FeatureType::Decimal,
            Value::Bool(_) => FeatureType::Bool,
            Value::Text(_) => FeatureType::Text,
            Value::Date(_) => FeatureType::Date,
        })
    }

    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing)
    }

    /// For officers: 67, 3,000.00元, 4.9, 是, "农户", 2026-01-31, 缺失.
    pub fn display_zh(&self) -> String {
        match self {
            Value::Missing => "缺失".to_owned(),
            Value::Bool(true) => "是".to_owned(),
            Value::Bool(false) => "否".to_owned(),
            Value::Money(f) => format!("{f}元"),
            other => other.display_common(),
        }
    }

    /// For officers in the `en` locale: 67, CNY 3,000.00, 4.9, true, "farmer".
    pub fn display_en(&self) -> String {
        match self {
            Value::Missing => "missing".to_owned(),
            Value::Bool(b) => b.to_string(),
            Value::Money(f) => format!("CNY {f}"),
            other => other.display_common(),
        }
    }

    fn display_common(&self) -> String {
        match self {
            Value::Int(i) => i.to_string(),
            Value::Decimal(d) => d.to_string(),
            Value::Text(s) => format!("\"{s}\""),
            Value::Date(d) => d.to_string(),
            Value::Missing | Value::Bool(_) | Value::Money(_) => String::new(),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}
impl From<Fen> for Value {
    fn from(v: Fen) -> Value {
        Value::Money(v)
    }
}
impl From<Decimal> for Value {
    fn from(v: Decimal) -> Value {
        Value::Decimal(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<Date> for Value {
    fn from(v: Date) -> Value {
        Value::Date(v)
    }
}
impl From<IdNumber> for Value {
    fn from(v: IdNumber) -> Value {
        Value::Text(v.into())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Missing, Into::into)
    }
}

/// One application's features, addressed by [`Slot`]. Made by
/// [`FeatureSchema::record`]; every value has its feature's type or is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    types: Arc<[FeatureType]>,
    values: Vec<Value>,
}

impl Features {
    /// Sets the value at `slot`, checking its type; [`Value::Missing`] is always accepted.
    pub fn set_slot(&mut self, slot: Slot, value: impl Into<Value>) -> Result<(), SchemaError> {
        let value = value.into();
        let expected = *self
            .types
            .get(slot.index())
            .ok_or(SchemaError::WrongSchema)?;
        if let Some(found) = value.ty() {
            if found != expected {
                return Err(SchemaError::WrongType {
                    name: format!("#{}", slot.0),
                    expected,
                    found,
                });
            }
        }
        self.values[slot.index()] = value;
        Ok(())
    }

    pub fn get(&self, slot: Slot) -> &Value {
        self.values.get(slot.index()).unwrap_or(&Value::Missing)
    }

    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// Marks every feature missing, keeping the allocation for the next application.
    pub fn clear(&mut self) {
        self.values.iter_mut().for_each(|v| *v = Value::Missing);
    }

    /// Whether the record's layout matches a schema's: same types in the same
    /// slots. Cheap when both come from the same schema value (pointer equality).
    pub(crate) fn is_for(&self, types: &Arc<[FeatureType]>) -> bool {
        Arc::ptr_eq(&self.types, types) || *self.types == **types
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn schema() -> FeatureSchema {
        FeatureSchema::new(vec![
            FeatureDef::new("age", FeatureType::Int, "年龄", "age"),
            FeatureDef::new("收入", FeatureType::Money, "年收入", "income"),
        ])
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[rstest]
    #[case("4.90", Some(49_000))]
    #[case("12", Some(120_000))]
    #[case("-0.0125", Some(-125))]
    #[case("0.00001", None)]
    #[case("1.", None)]
    #[case(".5", None)]
    #[case("", None)]
    #[case("-922337203685477.5808", Some(i64::MIN))]
    #[case("922337203685477.5808", None)]
    fn parses_decimals(#[case] s: &str, #[case] v: Option<i64>) {
        assert_eq!(Decimal::parse(s), v.map(Decimal));
    }

    #[rstest]
    #[case(49_000, "4.9")]
    #[case(120_000, "12")]
    #[case(-125, "-0.0125")]
    #[case(i64::MIN, "-922337203685477.5808")]
    fn formats_decimals(#[case] v: i64, #[case] s: &str) {
        assert_eq!(Decimal(v).to_string(), s);
        assert_eq!(Decimal::parse(s), Some(Decimal(v)));
    }

    #[rstest]
    #[case("1abc", SchemaError::BadName("1abc".into()))]
    #[case("a-b", SchemaError::BadName("a-b".into()))]
    #[case("and", SchemaError::Reserved("and".into()))]
    #[case("d", SchemaError::Reserved("d".into()))]
    #[case("age", SchemaError::Duplicate("age".into()))]
    fn refuses_bad_schemas(#[case] name: &str, #[case] err: SchemaError) {
        let defs = vec![
            FeatureDef::new("age", FeatureType::Int, "年龄", "age"),
            FeatureDef::new(name, FeatureType::Int, "x", "x"),
        ];
        assert_eq!(FeatureSchema::new(defs).err(), Some(err));
    }

    #[test]
    fn records_check_types() {
        let s = schema();
        let mut f = s.record();
        assert_eq!(f.get(Slot(0)), &Value::Missing);
        assert_eq!(s.set(&mut f, "age", 30i64), Ok(()));
        assert_eq!(f.get(Slot(0)), &Value::Int(30));
        assert_eq!(
            s.set(&mut f, "收入", 30i64),
            Err(SchemaError::WrongType {
                name: "收入".into(),
                expected: FeatureType::Money,
                found: FeatureType::Int
            })
        );
        assert_eq!(
            s.set(&mut f, "nope", 1i64),
            Err(SchemaError::UnknownFeature("nope".into()))
        );
        assert_eq!(s.set(&mut f, "收入", Fen(5)), Ok(()));
        assert_eq!(s.set(&mut f, "收入", Value::Missing), Ok(()));
        f.clear();
        assert!(f.values().iter().all(Value::is_missing));
        let other = FeatureSchema::new(vec![FeatureDef::new("x", FeatureType::Text, "x", "x")])
            .unwrap_or_else(|e| panic!("{e}"));
        let mut g = other.record();
        assert_eq!(s.set(&mut g, "age", 1i64), Err(SchemaError::WrongSchema));
    }

    #[test]
    fn schema_serde_round_trips() {
        let s = schema();
        let json = serde_json::to_string(&s).unwrap_or_default();
        let back: FeatureSchema = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, s);
        assert_eq!(back.slot("收入"), Some(Slot(1)));
        assert!(serde_json::from_str::<FeatureSchema>(
            r#"[{"name":"or","ty":"int","label_zh":"x","label_en":"x"}]"#
        )
        .is_err());
        // A record made from an equal schema loaded separately is accepted.
        let mut f = back.record();
        assert_eq!(s.set(&mut f, "age", 3i64), Ok(()));
    }

    #[test]
    fn values_display_for_officers() {
        assert_eq!(Value::Money(Fen(300_000)).display_zh(), "3,000.00元");
        assert_eq!(Value::Money(Fen(300_000)).display_en(), "CNY 3,000.00");
        assert_eq!(Value::Bool(true).display_zh(), "是");
        assert_eq!(Value::Missing.display_zh(), "缺失");
        assert_eq!(Value::Missing.display_en(), "missing");
        assert_eq!(Value::Text("农户".into()).display_zh(), "\"农户\"");
        assert_eq!(Value::from(None::<i64>), Value::Missing);
    }
}
