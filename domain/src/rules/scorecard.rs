//! Scorecards (评分卡): each characteristic (an expression, usually a feature)
//! falls into the first bin that matches it (cells as in decision tables) and
//! earns that bin's points; the total is base points plus all of them and maps
//! to a grade by cut-offs.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::error_code::ErrorCode;

use super::cell::{parse_cell, Cell};
use super::expr::{Compiled, EvalError, ExprError};
use super::rule::Outcome;
use super::schema::{FeatureSchema, FeatureType, Features};
use super::strategy::StageKind;
use super::trace::{Event, Source, Trace};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BinDef {
    /// A cell, e.g. `[18..30)`, `>= 60`, `"农户", "个体户"`.
    pub cell: String,
    pub points: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CharacteristicDef {
    pub expr: String,
    #[serde(default)]
    pub label_zh: Option<String>,
    #[serde(default)]
    pub label_en: Option<String>,
    pub bins: Vec<BinDef>,
    /// Points when the value is missing or cannot be computed.
    #[serde(default)]
    pub missing_points: i32,
    /// Points when a present value falls in no bin.
    #[serde(default)]
    pub other_points: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradeDef {
    pub grade: String,
    pub min_score: i64,
}

/// A scorecard as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScorecardDef {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub base_points: i32,
    pub characteristics: Vec<CharacteristicDef>,
    /// Highest first, `min_score` strictly decreasing; a total below every
    /// cut-off gets the last grade.
    pub grades: Vec<GradeDef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScorecardErrorKind {
    NoGrades,
    GradeOrder,
    NoBins,
    Expr,
}

/// Why a scorecard was refused; indices count from 0.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("scorecard characteristic {characteristic:?} bin {bin:?}: {message}")]
pub struct ScorecardError {
    pub kind: ScorecardErrorKind,
    pub characteristic: Option<usize>,
    pub bin: Option<usize>,
    pub message: String,
    pub expr: Option<ExprError>,
}

impl ScorecardError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self.kind {
            ScorecardErrorKind::NoGrades => ErrorCode::ScorecardNoGrades,
            ScorecardErrorKind::GradeOrder => ErrorCode::ScorecardGradeOrder,
            ScorecardErrorKind::NoBins => ErrorCode::ScorecardNoBins,
            ScorecardErrorKind::Expr => self
                .expr
                .as_ref()
                .map_or(ErrorCode::ExprSyntax, ExprError::code),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Characteristic {
    def: CharacteristicDef,
    expr: Compiled,
    label_zh: String,
    label_en: String,
    bins: Vec<(Cell, i32)>,
}

/// A compiled scorecard.
#[derive(Debug, Clone, PartialEq)]
pub struct Scorecard {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    base_points: i32,
    characteristics: Vec<Characteristic>,
    grades: Vec<GradeDef>,
    types: Arc<[FeatureType]>,
}

/// The total, its grade and each characteristic's points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreResult {
    pub total: i64,
    pub grade: String,
    pub points: Vec<i32>,
}

impl Scorecard {
    pub fn compile(
        def: &ScorecardDef,
        schema: &FeatureSchema,
    ) -> Result<Scorecard, ScorecardError> {
        let err = |kind, characteristic, bin, message: &str, expr| ScorecardError {
            kind,
            characteristic,
            bin,
            message: message.to_owned(),
            expr,
        };
        use ScorecardErrorKind as K;
        if def.grades.is_empty() {
            return Err(err(
                K::NoGrades,
                None,
                None,
                "a scorecard needs grades",
                None,
            ));
        }
        if def
            .grades
            .windows(2)
            .any(|w| w[0].min_score <= w[1].min_score)
        {
            return Err(err(
                K::GradeOrder,
                None,
                None,
                "grade cut-offs must be strictly decreasing",
                None,
            ));
        }
        let mut characteristics = Vec::with_capacity(def.characteristics.len());
        for (i, c) in def.characteristics.iter().enumerate() {
            let expr = Compiled::new(&c.expr, schema)
                .map_err(|e| err(K::Expr, Some(i), None, &e.message.clone(), Some(e)))?;
            if c.bins.is_empty() {
                return Err(err(
                    K::NoBins,
                    Some(i),
                    None,
                    "a characteristic needs bins",
                    None,
                ));
            }
            let mut bins = Vec::with_capacity(c.bins.len());
            for (b, bin) in c.bins.iter().enumerate() {
                let cell = parse_cell(&bin.cell, expr.ty())
                    .map_err(|e| err(K::Expr, Some(i), Some(b), &e.message.clone(), Some(e)))?;
                bins.push((cell, bin.points));
            }
            characteristics.push(Characteristic {
                label_zh: c
                    .label_zh
                    .clone()
                    .unwrap_or_else(|| expr.text_zh().to_owned()),
                label_en: c
                    .label_en
                    .clone()
                    .unwrap_or_else(|| expr.text_en().to_owned()),
                def: c.clone(),
                expr,
                bins,
            });
        }
        Ok(Scorecard {
            id: def.id.clone(),
            name_zh: def.name_zh.clone(),
            name_en: def.name_en.clone(),
            base_points: def.base_points,
            characteristics,
            grades: def.grades.clone(),
            types: Arc::clone(schema.types()),
        })
    }

    pub fn to_def(&self) -> ScorecardDef {
        ScorecardDef {
            id: self.id.clone(),
            name_zh: self.name_zh.clone(),
            name_en: self.name_en.clone(),
            base_points: self.base_points,
            characteristics: self.characteristics.iter().map(|c| c.def.clone()).collect(),
            grades: self.grades.clone(),
        }
    }

    /// The grade of a total: the first whose cut-off it reaches, else the last.
    pub fn grade_for(&self, total: i64) -> &str {
        self.grades
            .iter()
            .find(|g| total >= g.min_score)
            .or(self.grades.last())
            .map_or("", |g| g.grade.as_str())
    }

    pub fn evaluate(&self, f: &Features) -> (ScoreResult, Outcome, Trace) {
        let mut outcome = Outcome::default();
        let mut trace = Trace::default();
        let r = self.evaluate_into(f, None, &mut outcome, &mut trace);
        (r, outcome, trace)
    }

    pub(crate) fn evaluate_into(
        &self,
        f: &Features,
        stage: Option<StageKind>,
        outcome: &mut Outcome,
        trace: &mut Trace,
    ) -> ScoreResult {
        let source = || Source {
            id: self.id.clone(),
            name_zh: self.name_zh.clone(),
            name_en: self.name_en.clone(),
        };
        let schema_ok = f.is_for(&self.types);
        if !schema_ok {
            outcome.error();
            trace.push(
                stage,
                Event::EngineError {
                    error: EvalError::WrongSchema,
                },
            );
        }
        let mut total = i64::from(self.base_points);
        let mut points = Vec::with_capacity(self.characteristics.len());
        for c in &self.characteristics {
            let mut missing = false;
            let v = if schema_ok {
                c.expr.eval_raw(f, &mut missing)
            } else {
                Err(EvalError::WrongSchema)
            };
            let (value, bin, p) = match v {
                Ok(super::expr::compile::V::Missing) => (
                    super::schema::Value::Missing,
                    "缺失".to_owned(),
                    c.def.missing_points,
                ),
                Ok(v) => {
                    let value = v.to_value(c.expr.ty());
                    match c.bins.iter().find(|(cell, _)| cell.test.matches(v)) {
                        Some((cell, p)) => (value, cell.text.clone(), *p),
                        None => (value, "其他".to_owned(), c.def.other_points),
                    }
                }
                Err(error) => {
                    if error != EvalError::WrongSchema {
                        outcome.error();
                    }
                    (
                        super::schema::Value::Missing,
                        format!("无法计算：{}", error.label_zh()),
                        c.def.missing_points,
                    )
                }
            };
            total += i64::from(p);
            points.push(p);
            trace.push(
                stage,
                Event::ScoreBin {
                    scorecard: source(),
                    feature_zh: c.label_zh.clone(),
                    feature_en: c.label_en.clone(),
                    value,
                    bin,
                    points: p,
                },
            );
        }
        let grade = self.grade_for(total).to_owned();
        trace.push(
            stage,
            Event::ScoreTotal {
                scorecard: source(),
                base: self.base_points,
                total,
                grade: grade.clone(),
            },
        );
        ScoreResult {
            total,
            grade,
            points,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Fen;
    use crate::rules::schema::{FeatureDef, Value};

    fn schema() -> FeatureSchema {
        FeatureSchema::new(vec![
            FeatureDef::new("age", FeatureType::Int, "年龄", "age"),
            FeatureDef::new("income", FeatureType::Money, "年收入", "income"),
            FeatureDef::new("occupation", FeatureType::Text, "职业", "occupation"),
        ])
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn def() -> ScorecardDef {
        let bin = |cell: &str, points| BinDef {
            cell: cell.into(),
            points,
        };
        let grade = |g: &str, min_score| GradeDef {
            grade: g.into(),
            min_score,
        };
        ScorecardDef {
            id: "farmer".into(),
            name_zh: "农户评分卡".into(),
            name_en: "farmer scorecard".into(),
            base_points: 500,
            characteristics: vec![
                CharacteristicDef {
                    expr: "age".into(),
                    label_zh: None,
                    label_en: None,
                    bins: vec![
                        bin("[18..30)", 10),
                        bin("[30..50)", 40),
                        bin("[50..65]", 20),
                    ],
                    missing_points: -30,
                    other_points: -50,
                },
                CharacteristicDef {
                    expr: "income / 12".into(),
                    label_zh: Some("月收入".into()),
                    label_en: Some("monthly income".into()),
                    bins: vec![
                        bin("< 3000元", 0),
                        bin("[3000元..8000元)", 30),
                        bin(">= 8000元", 60),
                    ],
                    missing_points: -20,
                    other_points: 0,
                },
                CharacteristicDef {
                    expr: "occupation".into(),
                    label_zh: None,
                    label_en: None,
                    bins: vec![bin("\"种植户\", \"养殖户\"", 25), bin("-", 5)],
                    missing_points: 0,
                    other_points: 0,
                },
            ],
            grades: vec![
                grade("A", 600),
                grade("B", 560),
                grade("C", 520),
                grade("D", 480),
                grade("E", i64::MIN),
            ],
        }
    }

    #[test]
    fn scores_bins_and_grades() {
        let s = schema();
        let card = Scorecard::compile(&def(), &s).unwrap_or_else(|e| panic!("{e}"));
        let mut f = s.record();
        let ok = s.set(&mut f, "age", 42i64).is_ok()
            && s.set(&mut f, "income", Fen::from_yuan(120_000)).is_ok()
            && s.set(&mut f, "occupation", "种植户").is_ok();
        assert!(ok);
        let (r, outcome, trace) = card.evaluate(&f);
        assert_eq!(r.points, [40, 60, 25]);
        assert_eq!(r.total, 625);
        assert_eq!(r.grade, "A");
        assert_eq!(outcome, Outcome::default());
        let lines = trace.explain_zh();
        assert_eq!(
            lines[0],
            "评分卡「农户评分卡」：年龄 = 42，分箱 [30..50) → +40 分"
        );
        assert_eq!(
            lines[1],
            "评分卡「农户评分卡」：月收入 = 10,000.00元，分箱 >= 8000元 → +60 分"
        );
        assert_eq!(
            lines[3],
            "评分卡「农户评分卡」：基础分 500，总分 625，等级 A"
        );

        // Missing age, an age outside every bin, another occupation.
        let _ = s.set(&mut f, "age", Value::Missing);
        let _ = s.set(&mut f, "occupation", "个体户");
        let (r, _, _) = card.evaluate(&f);
        assert_eq!(
            (r.points.clone(), r.total, r.grade.as_str()),
            (vec![-30, 60, 5], 535, "C")
        );
        let _ = s.set(&mut f, "age", 70i64);
        let _ = s.set(&mut f, "income", Value::Missing);
        let (r, _, trace) = card.evaluate(&f);
        assert_eq!(
            (r.points, r.total, r.grade.as_str()),
            (vec![-50, -20, 5], 435, "E")
        );
        assert!(trace.explain_zh()[0].contains("分箱 其他 → -50 分"));
        assert_eq!(card.grade_for(560), "B");
        assert_eq!(card.grade_for(559), "C");
    }

    #[test]
    fn refuses_bad_scorecards_with_place() {
        let s = schema();
        let mut d = def();
        d.characteristics[1].bins[2].cell = ">= 8000".into();
        let e = Scorecard::compile(&d, &s).err();
        assert_eq!(
            e.as_ref().map(|e| (e.code(), e.characteristic, e.bin)),
            Some((ErrorCode::ExprTypeMismatch, Some(1), Some(2)))
        );
        let mut d = def();
        d.grades.swap(0, 1);
        assert_eq!(
            Scorecard::compile(&d, &s).err().map(|e| e.code()),
            Some(ErrorCode::ScorecardGradeOrder)
        );
        let mut d = def();
        d.characteristics[0].expr = "agee".into();
        assert_eq!(
            Scorecard::compile(&d, &s).err().map(|e| e.code()),
            Some(ErrorCode::ExprUnknownFeature)
        );
        let d = def();
        let card = Scorecard::compile(&d, &s).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(card.to_def(), d);
    }
}
