//! Reading a whitelist file: the limits a file must keep (checked on the
//! archive before anything is unpacked), the first sheet's rows, the
//! columns by their headers, and the text and limit of a cell.

use domain::error_code::ErrorCode;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use domain::money::Fen;

use crate::error::ServiceError;

/// The most rows one file may hold.
pub const MAX_ROWS: usize = 50_000;
/// The largest file accepted, in bytes.
pub const MAX_BYTES: usize = 20 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Col {
    IdNumber,
    Name,
    Phone,
    Village,
    Limit,
    /// Optional: the number of the person's signed 征信查询授权书; without
    /// it, pre-credit decides them without asking the bureau.
    Authorisation,
}

impl Col {
    pub(super) const ALL: [Col; 5] = [
        Col::IdNumber,
        Col::Name,
        Col::Phone,
        Col::Village,
        Col::Limit,
    ];

    /// The header the error names when the column is missing.
    pub(super) fn header(self) -> &'static str {
        match self {
            Col::IdNumber => "身份证号",
            Col::Name => "姓名",
            Col::Phone => "手机号",
            Col::Village => "村",
            Col::Limit => "建议额度",
            Col::Authorisation => "征信授权书编号",
        }
    }

    /// Headers accepted for the column, normalised (see [`normalise`]).
    pub(super) fn accepts(self, h: &str) -> bool {
        let names: &[&str] = match self {
            Col::IdNumber => &[
                "身份证号",
                "身份证号码",
                "证件号码",
                "idnumber",
                "id_number",
                "id",
            ],
            Col::Name => &["姓名", "客户姓名", "户主姓名", "name"],
            Col::Phone => &["手机号", "手机号码", "联系电话", "电话", "phone", "mobile"],
            Col::Village => &["村", "村庄", "所属村", "村名", "行政村", "village"],
            Col::Limit => &[
                "建议额度",
                "预授信额度",
                "额度",
                "suggestedlimit",
                "suggested_limit",
                "limit",
            ],
            Col::Authorisation => &[
                "征信授权书编号",
                "授权书编号",
                "征信授权",
                "征信授权编号",
                "authorisation",
                "authorization",
            ],
        };
        names.contains(&h)
    }
}

/// A header without spaces, in lower case, without a "(元)" / "(yuan)" unit.
pub(super) fn normalise(h: &str) -> String {
    let mut s: String = h
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    for unit in ["（元）", "(元)", "(yuan)", "（yuan）"] {
        if let Some(stripped) = s.strip_suffix(unit) {
            s = stripped.to_string();
        }
    }
    s
}

/// A cell as the text a person typed. Whole numbers print without ".0"
/// (a phone typed as a number); an 18-digit ID number typed as a number has
/// lost its last digits in Excel already and fails its checksum, as it should.
/// The most columns a whitelist sheet may use (it needs five).
pub const MAX_COLUMNS: u32 = 64;
/// The most parts an .xlsx archive may hold, and their total size unpacked.
const MAX_PARTS: usize = 200;
const MAX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024;
/// The most a part may shrink to when packed: far above what real sheets
/// reach (≈ 10×), far below a zip bomb's.
const MAX_PACK_RATIO: u64 = 200;

fn too_large() -> ServiceError {
    ServiceError::Validation {
        code: ErrorCode::WhitelistTooLarge,
        params: vec![("max_mb", (MAX_BYTES / 1024 / 1024).to_string())],
    }
}

fn too_many_rows() -> ServiceError {
    ServiceError::Validation {
        code: ErrorCode::WhitelistTooManyRows,
        params: vec![("max", MAX_ROWS.to_string())],
    }
}

/// Refuses an archive whose parts would unpack too large (counted from its
/// directory, before anything is inflated).
fn check_archive(bytes: &[u8]) -> Result<(), ServiceError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|_| ServiceError::invalid(ErrorCode::WhitelistUnreadable))?;
    if zip.len() > MAX_PARTS {
        return Err(too_large());
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let part = zip
            .by_index_raw(i)
            .map_err(|_| ServiceError::invalid(ErrorCode::WhitelistUnreadable))?;
        let (size, packed) = (part.size(), part.compressed_size());
        total = total.saturating_add(size);
        if total > MAX_UNPACKED_BYTES
            || (size > 1024 * 1024 && size / packed.max(1) > MAX_PACK_RATIO)
        {
            return Err(too_large());
        }
    }
    Ok(())
}

/// The first sheet's non-empty rows, each with its spreadsheet row number
/// (from 1) and its cells by column. Streams the cells instead of building
/// the sheet's dense range, which a ~1 KB file with cells at A1 and
/// XFD1048576 makes 17 billion cells large; refuses more than
/// [`MAX_COLUMNS`] columns or [`MAX_ROWS`] rows as soon as it meets them.
pub(super) fn read_sheet(bytes: &[u8]) -> Result<Vec<(u32, Vec<Data>)>, ServiceError> {
    check_archive(bytes)?;
    let unreadable = |_| ServiceError::invalid(ErrorCode::WhitelistUnreadable);
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let first = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or(ServiceError::invalid(ErrorCode::WhitelistEmpty))?;
    let mut cells = book.worksheet_cells_reader(&first).map_err(unreadable)?;
    let mut rows: Vec<(u32, Vec<Data>)> = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        let (r, c) = cell.get_position();
        if c >= MAX_COLUMNS {
            return Err(ServiceError::Validation {
                code: ErrorCode::WhitelistTooManyColumns,
                params: vec![("max", MAX_COLUMNS.to_string())],
            });
        }
        let value = Data::from(cell.get_value().clone());
        if value == Data::Empty {
            continue;
        }
        let n = r.saturating_add(1);
        if rows.last().is_none_or(|(last, _)| *last != n) {
            // The header and MAX_ROWS rows under it, at most.
            if rows.len() > MAX_ROWS {
                return Err(too_many_rows());
            }
            rows.push((n, Vec::new()));
        }
        if let Some((_, row)) = rows.last_mut() {
            let c = usize::try_from(c).unwrap_or(usize::MAX);
            if row.len() <= c {
                row.resize(c + 1, Data::Empty);
            }
            row[c] = value;
        }
    }
    Ok(rows)
}

/// The reading a whitelist file gets before anything touches the database:
/// the archive's sizes, the first sheet's cells streamed, each cell's text
/// and limit. Returns the rows kept. For the importer's fuzz target
/// (`service/fuzz`): whatever the bytes, it must answer, not panic, hang or
/// allocate without bound.
#[doc(hidden)]
pub fn read_untrusted_file(bytes: &[u8]) -> Result<usize, ServiceError> {
    let rows = read_sheet(bytes)?;
    for (_, row) in &rows {
        for d in row {
            let _ = (cell_text(d), limit_of(d));
        }
    }
    Ok(rows.len())
}

pub(super) fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        other => other.to_string().trim().to_string(),
    }
}

/// A limit cell: a number of yuan (at most two decimals).
pub(super) fn limit_of(d: &Data) -> Option<Fen> {
    match d {
        Data::Int(i) => i.checked_mul(100).map(Fen),
        Data::Float(f) => {
            let fen = (f * 100.0).round();
            // Two decimals at most, and a sane size.
            ((f * 100.0 - fen).abs() < 1e-6 && fen.abs() < 1e15).then_some(Fen(fen as i64))
        }
        Data::String(s) => Fen::parse_yuan(s.trim_end_matches('元')).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_found_in_either_language_and_with_units() {
        assert!(Col::Limit.accepts(&normalise("建议额度（元）")));
        assert!(Col::Limit.accepts(&normalise("Suggested limit")));
        assert!(Col::IdNumber.accepts(&normalise(" 身份证号码 ")));
        assert!(!Col::Limit.accepts(&normalise("建议额度（万元）")));
    }

    #[test]
    fn limits_are_yuan_with_at_most_two_decimals() {
        assert_eq!(limit_of(&Data::Int(50_000)), Some(Fen::from_yuan(50_000)));
        assert_eq!(limit_of(&Data::Float(1234.5)), Some(Fen(123_450)));
        assert_eq!(limit_of(&Data::Float(1.005)), None);
        assert_eq!(
            limit_of(&Data::String("80,000元".into())),
            Some(Fen::from_yuan(80_000))
        );
        assert_eq!(limit_of(&Data::String("五万".into())), None);
        assert_eq!(limit_of(&Data::Empty), None);
    }

    #[test]
    fn numbers_typed_as_numbers_read_as_typed() {
        assert_eq!(cell_text(&Data::Float(13_912_345_678.0)), "13912345678");
        assert_eq!(cell_text(&Data::String(" 王五 ".into())), "王五");
    }
}
