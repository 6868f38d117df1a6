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

/// A column holding a stable code, read with the enum's `parse`
/// (`sql::coded(r, "status", SmsStatus::parse)`); an unknown code is an
/// internal error, never shown.
pub(crate) fn coded<T>(
    row: &AnyRow,
    col: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, ServiceError> {
    let raw = text(row, col)?;
    parse(&raw).ok_or_else(|| ServiceError::internal(col, raw))
}

/// A list of codes kept in one column, separated by commas (a product's
/// methods and guarantee types); `or` when the column is NULL (a row from
/// before the list was kept).
pub(crate) fn coded_list<T>(
    row: &AnyRow,
    col: &str,
    parse: fn(&str) -> Option<T>,
    or: T,
) -> Result<Vec<T>, ServiceError> {
    match opt_text(row, col)? {
        None => Ok(vec![or]),
        Some(raw) => raw
            .split(',')
            .map(|c| parse(c).ok_or_else(|| ServiceError::internal(col, raw.clone())))
            .collect(),
    }
}

/// The column form of a list of codes (see [`coded_list`]).
pub(crate) fn code_list<T: Copy>(items: &[T], as_str: fn(T) -> &'static str) -> String {
    items
        .iter()
        .map(|i| as_str(*i))
        .collect::<Vec<_>>()
        .join(",")
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

/// Inserts `rows` (each as long as `columns`): on PostgreSQL in one
/// statement per [`ARRAY_ROWS`] rows with one array parameter per column
/// ([`unnest_source`]), on SQLite in multi-row `VALUES` statements.
pub(crate) async fn insert_rows(
    tx: &mut Transaction<'_, Any>,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Val>],
) -> Result<(), ServiceError> {
    let style = Placeholders::of(tx);
    if style == Placeholders::Dollar {
        for chunk in rows.chunks(ARRAY_ROWS) {
            let (source, arrays) = unnest_source(columns.len(), chunk, 1);
            let sql = format!(
                "INSERT INTO {table} ({}) SELECT * FROM {source}",
                columns.join(", ")
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for a in arrays {
                q = q.bind(a);
            }
            q.execute(&mut **tx).await?;
        }
        return Ok(());
    }
    let per = rows_per_statement(columns.len());
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
    let style = Placeholders::of(tx);
    if style == Placeholders::Dollar {
        // Array literals are built from borrowed values anyway.
        return insert_rows(tx, table, columns, &rows).await;
    }
    let per = rows_per_statement(columns.len());
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

/// Rows per PostgreSQL array statement.
pub(crate) const ARRAY_ROWS: usize = 10_000;

/// PostgreSQL only: `UNNEST($first::text[], $…::bigint[], …) AS
/// v(column1, …)` over `rows`, and the array literals to bind in order, one
/// per column. Binding a whole column as one text parameter (cast to the
/// array type on the server) replaces thousands of scalar parameters per
/// statement: PostgreSQL parses, binds and plans one small statement, and
/// the columns come out named like those of a `VALUES` list. A column's
/// type is that of its first non-null value (text when all are null).
pub(crate) fn unnest_source<R: AsRef<[Val]>>(
    width: usize,
    rows: &[R],
    first: usize,
) -> (String, Vec<String>) {
    let mut arrays: Vec<String> = vec![String::from("{"); width];
    let mut is_int = vec![None::<bool>; width];
    for (r, row) in rows.iter().enumerate() {
        let row = row.as_ref();
        debug_assert_eq!(row.len(), width, "row width");
        for (c, v) in row.iter().enumerate() {
            let a = &mut arrays[c];
            if r > 0 {
                a.push(',');
            }
            match v {
                Val::Text(s) => {
                    is_int[c].get_or_insert(false);
                    a.push('"');
                    for ch in s.chars() {
                        if ch == '"' || ch == '\\' {
                            a.push('\\');
                        }
                        a.push(ch);
                    }
                    a.push('"');
                }
                Val::Int(i) => {
                    is_int[c].get_or_insert(true);
                    a.push_str(&i.to_string());
                }
                Val::NullText | Val::NullInt => {
                    if is_int[c].is_none() {
                        is_int[c] = Some(matches!(v, Val::NullInt));
                    }
                    a.push_str("NULL");
                }
            }
        }
    }
    let mut params = Vec::with_capacity(width);
    let mut names = Vec::with_capacity(width);
    for (c, a) in arrays.iter_mut().enumerate() {
        a.push('}');
        let ty = if is_int[c] == Some(true) {
            "bigint"
        } else {
            "text"
        };
        params.push(format!("${}::{ty}[]", first + c));
        names.push(format!("column{}", c + 1));
    }
    (
        format!("UNNEST({}) AS v({})", params.join(", "), names.join(", ")),
        arrays,
    )
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
    fn unnests_columns_as_array_literals() {
        let rows = vec![
            vec![Val::from("a\"b\\c"), Val::Int(1), Val::NullText],
            vec![Val::from("d"), Val::NullInt, Val::NullText],
        ];
        let (source, arrays) = unnest_source(3, &rows, 2);
        assert_eq!(
            source,
            "UNNEST($2::text[], $3::bigint[], $4::text[]) AS v(column1, column2, column3)"
        );
        assert_eq!(
            arrays,
            vec![r#"{"a\"b\\c","d"}"#, "{1,NULL}", "{NULL,NULL}"]
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
