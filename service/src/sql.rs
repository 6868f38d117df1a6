//! Small helpers shared by the repositories: decoding columns into domain
//! types, the scope prefix of an organisation path, and batched multi-row
//! inserts with `$n` placeholders (sqlx's `QueryBuilder<Any>` writes `?`,
//! which PostgreSQL refuses).

use domain::application::{ApplicationStatus, Decision};
use domain::date::Date;
use domain::identity::Gender;
use domain::money::Fen;
use domain::rate::AnnualRate;
use domain::schedule::RepaymentMethod;
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use crate::error::ServiceError;

/// `LIKE` pattern matching every organisation path under `path`. Paths hold
/// only UUIDs and slashes, so nothing needs escaping.
pub(crate) fn under(path: &str) -> String {
    format!("{path}%")
}

pub(crate) fn text(row: &AnyRow, col: &str) -> Result<String, ServiceError> {
    row.try_get::<String, _>(col)
        .map_err(|e| ServiceError::internal(col, e))
}

pub(crate) fn opt_text(row: &AnyRow, col: &str) -> Result<Option<String>, ServiceError> {
    row.try_get::<Option<String>, _>(col)
        .map_err(|e| ServiceError::internal(col, e))
}

pub(crate) fn int(row: &AnyRow, col: &str) -> Result<i64, ServiceError> {
    row.try_get::<i64, _>(col)
        .map_err(|e| ServiceError::internal(col, e))
}

pub(crate) fn opt_int(row: &AnyRow, col: &str) -> Result<Option<i64>, ServiceError> {
    row.try_get::<Option<i64>, _>(col)
        .map_err(|e| ServiceError::internal(col, e))
}

pub(crate) fn fen(row: &AnyRow, col: &str) -> Result<Fen, ServiceError> {
    Ok(Fen(int(row, col)?))
}

pub(crate) fn uint(row: &AnyRow, col: &str) -> Result<u32, ServiceError> {
    let v = int(row, col)?;
    u32::try_from(v).map_err(|e| ServiceError::internal(col, e))
}

pub(crate) fn date(row: &AnyRow, col: &str) -> Result<Date, ServiceError> {
    let raw = text(row, col)?;
    Date::parse(&raw).map_err(|e| ServiceError::internal(col, e.code()))
}

pub(crate) fn rate(row: &AnyRow, col: &str) -> Result<AnnualRate, ServiceError> {
    let bp = uint(row, col)?;
    AnnualRate::from_bp(bp).map_err(|e| ServiceError::internal(col, e.code()))
}

pub(crate) fn method(row: &AnyRow, col: &str) -> Result<RepaymentMethod, ServiceError> {
    let raw = text(row, col)?;
    RepaymentMethod::parse(&raw).ok_or_else(|| ServiceError::internal(col, raw))
}

pub(crate) fn status(row: &AnyRow, col: &str) -> Result<ApplicationStatus, ServiceError> {
    let raw = text(row, col)?;
    parse_status(&raw).ok_or_else(|| ServiceError::internal(col, raw))
}

pub(crate) fn parse_status(raw: &str) -> Option<ApplicationStatus> {
    ApplicationStatus::ALL
        .into_iter()
        .find(|s| s.as_str() == raw)
}

pub(crate) fn decision(row: &AnyRow, col: &str) -> Result<Decision, ServiceError> {
    let raw = text(row, col)?;
    [Decision::Approve, Decision::Reject]
        .into_iter()
        .find(|d| d.as_str() == raw)
        .ok_or_else(|| ServiceError::internal(col, raw))
}

pub(crate) fn gender(row: &AnyRow, col: &str) -> Result<Gender, ServiceError> {
    let raw = text(row, col)?;
    [Gender::Male, Gender::Female]
        .into_iter()
        .find(|g| g.as_str() == raw)
        .ok_or_else(|| ServiceError::internal(col, raw))
}

/// Whole years from `birth` to `on`.
pub(crate) fn age(birth: Date, on: Date) -> u32 {
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years.max(0)).unwrap_or(0)
}

/// One value of a batched insert. Nulls carry their column's type, because
/// PostgreSQL will not put a text-typed NULL into a BIGINT column.
#[derive(Debug, Clone)]
pub(crate) enum Val {
    Text(String),
    Int(i64),
    NullText,
    NullInt,
}

impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(v)
    }
}

impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(v.to_string())
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}

impl From<u32> for Val {
    fn from(v: u32) -> Self {
        Val::Int(i64::from(v))
    }
}

impl From<Fen> for Val {
    fn from(v: Fen) -> Self {
        Val::Int(v.get())
    }
}

impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        v.map_or(Val::NullText, Val::Text)
    }
}

impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Val::NullInt, Val::Int)
    }
}

/// Rows per statement: at most 500, and fewer than 32,767 bound values
/// (PostgreSQL's limit; SQLite allows 32,766).
fn rows_per_statement(columns: usize) -> usize {
    (32_000 / columns.max(1)).clamp(1, 500)
}

/// Placeholders in the bulk statements: `$n` for PostgreSQL, plain `?` for
/// SQLite, where sqlx looks each `$n` up by name in a list as long as the
/// statement's parameters (quadratic: it was 78 % of the end-of-day batch).
/// Plain `?` are numbered by position, so values must be bound in the order
/// they appear in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placeholders {
    Dollar,
    Question,
}

impl Placeholders {
    pub(crate) fn of(conn: &sqlx::AnyConnection) -> Placeholders {
        if conn.backend_name() == "SQLite" {
            Placeholders::Question
        } else {
            Placeholders::Dollar
        }
    }

    /// `rows` groups of `width` placeholders, numbered from `first`:
    /// `($1, $2), ($3, $4)`.
    pub(crate) fn tuples(self, rows: usize, width: usize, first: usize) -> String {
        let mut sql = String::with_capacity(rows * width * 5);
        let mut n = first;
        for r in 0..rows {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..width {
                if c > 0 {
                    sql.push_str(", ");
                }
                match self {
                    Placeholders::Dollar => {
                        sql.push('$');
                        sql.push_str(&n.to_string());
                    }
                    Placeholders::Question => sql.push('?'),
                }
                n += 1;
            }
            sql.push(')');
        }
        sql
    }
}

/// `INSERT INTO table (cols) VALUES ($1, …), (…)` for `rows` rows.
fn insert_sql(table: &str, columns: &[&str], rows: usize, style: Placeholders) -> String {
    format!(
        "INSERT INTO {table} ({}) VALUES {}",
        columns.join(", "),
        style.tuples(rows, columns.len(), 1)
    )
}

/// Binds one [`Val`] to the next placeholder.
pub(crate) fn bind_val<'q>(
    q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
    v: &Val,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    match v {
        Val::Text(s) => q.bind(s.clone()),
        Val::Int(i) => q.bind(*i),
        Val::NullText => q.bind(None::<String>),
        Val::NullInt => q.bind(None::<i64>),
    }
}

/// Inserts `rows` (each as long as `columns`) in multi-row statements.
pub(crate) async fn insert_rows(
    tx: &mut Transaction<'_, Any>,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Val>],
) -> Result<(), ServiceError> {
    let per = rows_per_statement(columns.len());
    let style = Placeholders::of(tx);
    let mut full_sql: Option<String> = None;
    for chunk in rows.chunks(per) {
        let sql = if chunk.len() == per {
            full_sql
                .get_or_insert_with(|| insert_sql(table, columns, per, style))
                .clone()
        } else {
            insert_sql(table, columns, chunk.len(), style)
        };
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for row in chunk {
            debug_assert_eq!(row.len(), columns.len(), "row width of {table}");
            for v in row {
                q = bind_val(q, v);
            }
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// [`insert_rows`] that moves the values into the statement instead of
/// copying them: for the million-row batches (pre-credit results), where
/// the copies were a good part of the time.
pub(crate) async fn insert_rows_owned(
    tx: &mut Transaction<'_, Any>,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Val>>,
) -> Result<(), ServiceError> {
    let per = rows_per_statement(columns.len());
    let style = Placeholders::of(tx);
    let full_sql = insert_sql(table, columns, per, style);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Val>> = rows.by_ref().take(per).collect();
        let sql = if chunk.len() == per {
            full_sql.clone()
        } else {
            insert_sql(table, columns, chunk.len(), style)
        };
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for row in chunk {
            debug_assert_eq!(row.len(), columns.len(), "row width of {table}");
            for v in row {
                q = match v {
                    Val::Text(s) => q.bind(s),
                    Val::Int(i) => q.bind(i),
                    Val::NullText => q.bind(None::<String>),
                    Val::NullInt => q.bind(None::<i64>),
                };
            }
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_placeholders_across_rows() {
        assert_eq!(
            insert_sql("t", &["a", "b"], 2, Placeholders::Dollar),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            insert_sql("t", &["a", "b"], 2, Placeholders::Question),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
    }

    #[test]
    fn keeps_bound_values_under_the_postgres_limit() {
        assert_eq!(rows_per_statement(7), 500);
        assert!(rows_per_statement(100) * 100 < 32_767);
    }

    #[test]
    fn counts_whole_years() {
        let birth = Date::new(1980, 6, 15).unwrap();
        assert_eq!(age(birth, Date::new(2026, 6, 14).unwrap()), 45);
        assert_eq!(age(birth, Date::new(2026, 6, 15).unwrap()), 46);
    }
}
