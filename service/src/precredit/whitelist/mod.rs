//! Whitelists (白名单) imported from Excel: a bank's list of people to
//! pre-approve — ID number, name, phone, village, suggested limit — read
//! with `calamine`. Every row is either imported or reported with its row
//! number, column, value and reason; nothing is dropped silently (blank rows
//! only). The good rows become the subjects of a pre-credit job of kind
//! "whitelist", decided by the engine like a household head, their limit
//! capped at the suggested one. A person who is not yet a customer of the
//! bank becomes one (branch of the village, no household on file), so that
//! they can sign in with their phone and see the offer.
//!
//! Columns are found by their header (first non-empty row), in Chinese or
//! English: 身份证号 / ID number, 姓名 / name, 手机号 / phone, 村 / village
//! (the village name, or township + village name), 建议额度（元） /
//! suggested limit (yuan).
//!
//! Reading the file (its size, the archive, the sheet, headers and cells)
//! is in `sheet`; this file checks the rows and imports them.

mod sheet;

use std::collections::{HashMap, HashSet};

use calamine::Data;
use domain::error_code::ErrorCode;
use domain::identity::{mask_id_number, mask_phone, IdNumber, Phone};
use domain::money::Fen;
use domain::org::Role;
pub use domain::view::{WhitelistImportReport, WhitelistRowProblem};
use serde_json::json;
use sqlx::AssertSqlSafe;

use super::JOB_ROLES;
use crate::audit::{self, NewAuditEntry};
use crate::auth::StaffActor;
use crate::customers::{self, NewCustomer};
use crate::db::new_id;
use crate::error::ServiceError;
use crate::pfi::Field;
use crate::risk::authorisations::{self, Authorisation};
use crate::sql::{self, Placeholders, Val};
use sheet::{cell_text, limit_of, normalise, read_sheet, Col};
pub use sheet::{read_untrusted_file, MAX_BYTES, MAX_COLUMNS, MAX_ROWS};

/// A row that passed every check.
struct Good {
    row: u32,
    id_number: IdNumber,
    name: String,
    phone: Option<Phone>,
    village_id: String,
    branch_id: String,
    limit: Fen,
    /// The signed authorisation's number, when the file gives one.
    authorisation: Option<String>,
}

struct VillageRef {
    id: String,
    branch_id: String,
    path: String,
}

impl crate::precredit::Precredit<'_> {
    /// Imports a whitelist (.xlsx) for `product_code` of `s`'s bank: the good
    /// rows become a queued pre-credit job (run it like any job), the bad
    /// ones are reported — and stored with the job — each with its row
    /// number and reason. A file that cannot be read at all, or lacks a
    /// required column, is refused as a whole.
    pub async fn import_whitelist(
        self,
        s: &StaffActor,
        file_name: &str,
        bytes: &[u8],
        product_code: &str,
        use_bureau: bool,
    ) -> Result<WhitelistImportReport, ServiceError> {
        if !s.has_any(&JOB_ROLES) {
            return Err(ServiceError::Forbidden);
        }
        let bank_id = s
            .bank_id
            .clone()
            .ok_or(ServiceError::invalid(ErrorCode::WhitelistNeedsBank))?;
        if bytes.len() > MAX_BYTES {
            return Err(ServiceError::Validation {
                code: ErrorCode::WhitelistTooLarge,
                params: vec![("max_mb", (MAX_BYTES / 1024 / 1024).to_string())],
            });
        }
        let product = sqlx::query(
            "SELECT id, max_amount_fen FROM products WHERE bank_id = $1 AND code = $2 AND active = 1",
        )
        .bind(&bank_id)
        .bind(product_code.trim())
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or_else(|| ServiceError::Validation {
            code: ErrorCode::PrecreditProductUnknown,
            params: vec![("product", product_code.trim().to_string())],
        })?;
        let max_limit = sql::fen(&product, "max_amount_fen")?;

        // Parsed off the async workers, within caps checked before parsing.
        let owned = bytes.to_vec();
        let sheet = tokio::task::spawn_blocking(move || read_sheet(&owned))
            .await
            .map_err(|e| ServiceError::internal("whitelist parser", e.to_string()))??;
        let mut rows = sheet.iter();
        let (_, header) = rows
            .next()
            .ok_or(ServiceError::invalid(ErrorCode::WhitelistEmpty))?;
        let mut cols: HashMap<Col, (usize, String)> = HashMap::new();
        for (i, cell) in header.iter().enumerate() {
            let text = cell_text(cell);
            let norm = normalise(&text);
            let optional = [Col::Authorisation];
            if let Some(c) = Col::ALL
                .into_iter()
                .chain(optional)
                .find(|c| c.accepts(&norm))
            {
                cols.entry(c).or_insert((i, text));
            }
        }
        for c in Col::ALL {
            if !cols.contains_key(&c) {
                return Err(ServiceError::Validation {
                    code: ErrorCode::WhitelistMissingColumn,
                    params: vec![("column", c.header().to_string())],
                });
            }
        }
        let body: Vec<(u32, &[Data])> = rows
            .map(|(n, r)| (*n, r.as_slice()))
            .filter(|(_, r)| r.iter().any(|c| !cell_text(c).is_empty()))
            .collect();
        if body.len() > MAX_ROWS {
            return Err(ServiceError::Validation {
                code: ErrorCode::WhitelistTooManyRows,
                params: vec![("max", MAX_ROWS.to_string())],
            });
        }

        let villages = self.bank_villages(&bank_id).await?;
        let mut problems: Vec<WhitelistRowProblem> = Vec::new();
        let mut good: Vec<Good> = Vec::new();
        let mut seen_ids: HashMap<String, u32> = HashMap::new();
        let mut seen_phones: HashMap<String, u32> = HashMap::new();
        let get = |r: &[Data], c: Col| -> Data {
            cols.get(&c)
                .and_then(|(i, _)| r.get(*i))
                .cloned()
                .unwrap_or(Data::Empty)
        };
        let col_name = |c: Col| cols.get(&c).map(|(_, h)| h.clone());
        for (row, r) in &body {
            let mut mine: Vec<WhitelistRowProblem> = Vec::new();
            let mut bad = |code: ErrorCode, c: Col, value: String| {
                mine.push(WhitelistRowProblem {
                    row: *row,
                    code,
                    column: col_name(c),
                    value,
                })
            };
            let id_raw = cell_text(&get(r, Col::IdNumber)).to_uppercase();
            let id_number = match IdNumber::parse(&id_raw) {
                Ok(id) => Some(id),
                Err(e) => {
                    bad(e.code(), Col::IdNumber, mask_id_number(&id_raw));
                    None
                }
            };
            if let Some(id) = &id_number {
                if let Some(first) = seen_ids.get(id.as_str()) {
                    bad(
                        ErrorCode::WhitelistDuplicateRow,
                        Col::IdNumber,
                        format!("{} ({first})", id.masked()),
                    );
                }
            }
            let name = cell_text(&get(r, Col::Name));
            if name.is_empty() || name.chars().count() > 50 {
                bad(ErrorCode::WhitelistNameMissing, Col::Name, name.clone());
            }
            let phone_raw = cell_text(&get(r, Col::Phone));
            let phone = if phone_raw.is_empty() {
                None
            } else {
                match Phone::parse(&phone_raw) {
                    Ok(p) => {
                        if let Some(first) = seen_phones.get(p.as_str()) {
                            bad(
                                ErrorCode::WhitelistDuplicatePhone,
                                Col::Phone,
                                format!("{} ({first})", p.masked()),
                            );
                        }
                        Some(p)
                    }
                    Err(e) => {
                        bad(e.code(), Col::Phone, mask_phone(&phone_raw));
                        None
                    }
                }
            };
            let village_raw = cell_text(&get(r, Col::Village));
            let village = match villages.get(&normalise(&village_raw)).map(Vec::as_slice) {
                Some([v]) if s.covers(&v.path) => Some(v),
                Some([_]) => {
                    bad(
                        ErrorCode::WhitelistVillageOutOfScope,
                        Col::Village,
                        village_raw,
                    );
                    None
                }
                Some([]) | None => {
                    bad(
                        ErrorCode::WhitelistUnknownVillage,
                        Col::Village,
                        village_raw,
                    );
                    None
                }
                Some(_) => {
                    bad(
                        ErrorCode::WhitelistAmbiguousVillage,
                        Col::Village,
                        village_raw,
                    );
                    None
                }
            };
            let limit_cell = get(r, Col::Limit);
            let limit = match limit_of(&limit_cell) {
                None => {
                    bad(
                        ErrorCode::WhitelistLimitNotNumber,
                        Col::Limit,
                        cell_text(&limit_cell),
                    );
                    None
                }
                Some(l) if l <= Fen::ZERO => {
                    bad(
                        ErrorCode::WhitelistLimitNotPositive,
                        Col::Limit,
                        cell_text(&limit_cell),
                    );
                    None
                }
                Some(l) if l > max_limit => {
                    bad(
                        ErrorCode::WhitelistLimitAboveProductMax,
                        Col::Limit,
                        cell_text(&limit_cell),
                    );
                    None
                }
                Some(l) => Some(l),
            };
            let evidence_raw = cell_text(&get(r, Col::Authorisation));
            let authorisation = if evidence_raw.is_empty() {
                None
            } else {
                match authorisations::evidence(&evidence_raw) {
                    Ok(e) => Some(e),
                    Err(_) => {
                        let shown = evidence_raw.chars().take(20).collect();
                        bad(
                            ErrorCode::WhitelistAuthorisationInvalid,
                            Col::Authorisation,
                            shown,
                        );
                        None
                    }
                }
            };
            if let Some(id) = &id_number {
                seen_ids.entry(id.as_str().to_string()).or_insert(*row);
            }
            if let Some(p) = &phone {
                seen_phones.entry(p.as_str().to_string()).or_insert(*row);
            }
            if !mine.is_empty() {
                problems.extend(mine);
                continue;
            }
            if let (Some(id_number), Some(v), Some(limit)) = (id_number, village, limit) {
                good.push(Good {
                    row: *row,
                    id_number,
                    name,
                    phone,
                    village_id: v.id.clone(),
                    branch_id: v.branch_id.clone(),
                    limit,
                    authorisation,
                });
            }
        }

        // Who is a customer already, and whose phone is taken.
        let known = self.known_people(&bank_id, &good).await?;
        let keys = &self.config.pfi;
        let mut accepted: Vec<(Good, Option<String>)> = Vec::new();
        for g in good {
            let id_idx = keys.index(Field::IdNumber, g.id_number.as_str());
            let problem = match known.by_id.get(&id_idx) {
                Some(k) if k.name != g.name => Some((
                    ErrorCode::WhitelistNameMismatch,
                    Col::Name,
                    domain::identity::mask_name(&g.name),
                )),
                Some(k) if !s.covers(&k.branch_path) => Some((
                    ErrorCode::WhitelistCustomerOutOfScope,
                    Col::IdNumber,
                    g.id_number.masked(),
                )),
                Some(_) => None,
                None => match &g.phone {
                    None => Some((ErrorCode::WhitelistPhoneRequired, Col::Phone, String::new())),
                    Some(p) if known.phones.contains(&keys.index(Field::Phone, p.as_str())) => {
                        Some((ErrorCode::WhitelistPhoneTaken, Col::Phone, p.masked()))
                    }
                    Some(_) => None,
                },
            };
            match problem {
                Some((code, c, value)) => problems.push(WhitelistRowProblem {
                    row: g.row,
                    code,
                    column: col_name(c),
                    value,
                }),
                None => {
                    let existing = known.by_id.get(&id_idx).map(|k| k.id.clone());
                    accepted.push((g, existing));
                }
            }
        }
        problems.sort_by_key(|p| p.row);
        let bad_rows = {
            let mut rows: Vec<u32> = problems.iter().map(|p| p.row).collect();
            rows.dedup();
            u32::try_from(rows.len()).unwrap_or(u32::MAX)
        };

        // One transaction: the job, new customers, the rows, the problems.
        let now = self.now();
        let job_id = new_id();
        let officer = s.has(Role::Officer).then(|| s.user_id.clone());
        let mut customers = Vec::new();
        let mut subjects = Vec::new();
        let mut signed = Vec::new();
        let today = self.today();
        let mut new_customers = 0u32;
        for (g, existing) in &accepted {
            let customer_id = match existing {
                Some(id) => id.clone(),
                None => {
                    let id = new_id();
                    new_customers += 1;
                    customers.push(
                        NewCustomer {
                            id: &id,
                            bank_id: &bank_id,
                            branch_id: &g.branch_id,
                            household_id: None,
                            relation_to_head: "head",
                            name: &g.name,
                            id_number: &g.id_number,
                            phone: g.phone.as_ref().map(Phone::as_str),
                            occupation: "",
                            officer_id: officer.as_deref(),
                            created_at: now,
                        }
                        .row(&self.config.pfi),
                    );
                    id
                }
            };
            if let Some(evidence) = &g.authorisation {
                signed.push(
                    Authorisation {
                        customer_id: &customer_id,
                        bank_id: &bank_id,
                        evidence,
                        granted_on: today,
                        recorded_by: &s.user_id,
                        recorded_at: now,
                        source: &job_id,
                    }
                    .row(),
                );
            }
            subjects.push(vec![
                Val::from(job_id.as_str()),
                Val::from(customer_id),
                Val::from(g.row),
                Val::from(g.village_id.as_str()),
                Val::from(g.limit),
                Val::Int(i64::from(existing.is_none())),
            ]);
        }
        let imported = u32::try_from(accepted.len()).unwrap_or(u32::MAX);
        let rows_read = u32::try_from(body.len()).unwrap_or(u32::MAX);
        let errors: Vec<Vec<Val>> = problems
            .iter()
            .enumerate()
            .map(|(i, p)| {
                vec![
                    Val::from(job_id.as_str()),
                    Val::from(p.row),
                    Val::Int(i64::try_from(i).unwrap_or(0)),
                    Val::from(p.code.as_str()),
                    Val::from(p.column.clone()),
                    Val::from(p.value.as_str()),
                ]
            })
            .collect();
        let file = file_name.chars().take(200).collect::<String>();
        let mut tx = self.db.pool.begin().await?;
        sqlx::query(
            "INSERT INTO precredit_jobs (id, kind, bank_id, scope_org_id, scope_path, scope_name, \
               product_code, use_bureau, status, total, source_file, created_by, created_by_name, \
               created_at, updated_at) \
             VALUES ($1, 'whitelist', $2, $3, $4, $5, $6, $7, 'queued', $8, $9, $10, $11, $12, $12)",
        )
        .bind(&job_id)
        .bind(&bank_id)
        .bind(&s.org_id)
        .bind(&s.org_path)
        .bind(format!("{}（白名单）", s.org_name))
        .bind(product_code.trim())
        .bind(i64::from(use_bureau))
        .bind(i64::from(imported))
        .bind(&file)
        .bind(&s.user_id)
        .bind(&s.display_name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sql::insert_rows(&mut tx, "customers", &customers::COLUMNS, &customers).await?;
        sql::insert_rows(
            &mut tx,
            "bureau_authorisations",
            &authorisations::COLUMNS,
            &signed,
        )
        .await?;
        sql::insert_rows(
            &mut tx,
            "precredit_whitelist_rows",
            &[
                "job_id",
                "customer_id",
                "row_no",
                "village_id",
                "suggested_limit_fen",
                "new_customer",
            ],
            &subjects,
        )
        .await?;
        sql::insert_rows(
            &mut tx,
            "precredit_import_errors",
            &["job_id", "row_no", "seq", "code", "column_name", "value"],
            &errors,
        )
        .await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(
                s,
                now,
                "precredit.whitelist_imported",
                "precredit_job",
                &job_id,
            )
            .after(json!({
                "file": file, "product_code": product_code.trim(), "use_bureau": use_bureau,
                "rows_read": rows_read, "imported": imported, "new_customers": new_customers,
                "bad_rows": bad_rows,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(WhitelistImportReport {
            job_id,
            rows_read,
            imported,
            new_customers,
            bad_rows,
            problems,
        })
    }

    /// The problems stored with a whitelist job, by row.
    pub async fn whitelist_problems(
        self,
        s: &StaffActor,
        job_id: &str,
    ) -> Result<Vec<WhitelistRowProblem>, ServiceError> {
        self.precredit_job(s, job_id).await?;
        let rows = sqlx::query(
            "SELECT row_no, code, column_name, value FROM precredit_import_errors \
             WHERE job_id = $1 ORDER BY row_no, seq",
        )
        .bind(job_id)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(WhitelistRowProblem {
                    row: sql::uint(r, "row_no")?,
                    code: import_error_code(&sql::text(r, "code")?)?,
                    column: sql::opt_text(r, "column_name")?,
                    value: sql::text(r, "value")?,
                })
            })
            .collect()
    }

    /// The bank's villages by normalised name and by township + name.
    async fn bank_villages(
        self,
        bank_id: &str,
    ) -> Result<HashMap<String, Vec<VillageRef>>, ServiceError> {
        let rows = sqlx::query(
            "SELECT v.id, v.township, v.name, g.path, g.parent_id FROM villages v \
             JOIN organisations g ON g.id = v.grid_id \
             WHERE g.path LIKE (SELECT path FROM organisations WHERE id = $1) || '%'",
        )
        .bind(bank_id)
        .fetch_all(&self.db.pool)
        .await?;
        let mut out: HashMap<String, Vec<VillageRef>> = HashMap::new();
        for r in &rows {
            let name = sql::text(r, "name")?;
            let township = sql::text(r, "township")?;
            for key in [normalise(&name), normalise(&format!("{township}{name}"))] {
                out.entry(key).or_default().push(VillageRef {
                    id: sql::text(r, "id")?,
                    branch_id: sql::opt_text(r, "parent_id")?.unwrap_or_default(),
                    path: sql::text(r, "path")?,
                });
            }
        }
        Ok(out)
    }

    async fn known_people(self, bank_id: &str, good: &[Good]) -> Result<Known, ServiceError> {
        let keys = &self.config.pfi;
        let mut known = Known::default();
        let mut conn = self.db.pool.acquire().await?;
        let style = Placeholders::of(&conn);
        for part in good.chunks(500) {
            // The bank first: with plain `?` the values bind in text order.
            let q = format!(
                "SELECT c.id, c.id_number_idx, c.name, b.path FROM customers c \
                 JOIN organisations b ON b.id = c.branch_id \
                 WHERE c.bank_id = {} AND c.id_number_idx IN {}",
                match style {
                    Placeholders::Dollar => "$1",
                    Placeholders::Question => "?",
                },
                style.tuples(1, part.len(), 2)
            );
            let mut query = sqlx::query(AssertSqlSafe(q)).bind(bank_id);
            for g in part {
                query = query.bind(keys.index(Field::IdNumber, g.id_number.as_str()));
            }
            for r in query.fetch_all(&mut *conn).await? {
                known.by_id.insert(
                    sql::text(&r, "id_number_idx")?,
                    KnownCustomer {
                        id: sql::text(&r, "id")?,
                        name: sql::text(&r, "name")?,
                        branch_path: sql::text(&r, "path")?,
                    },
                );
            }
            let phones: Vec<String> = part
                .iter()
                .filter_map(|g| g.phone.as_ref())
                .map(|p| keys.index(Field::Phone, p.as_str()))
                .collect();
            if phones.is_empty() {
                continue;
            }
            let q = format!(
                "SELECT phone_idx FROM customers WHERE phone_idx IN {}",
                style.tuples(1, phones.len(), 1)
            );
            let mut query = sqlx::query(AssertSqlSafe(q));
            for p in phones {
                query = query.bind(p);
            }
            for r in query.fetch_all(&mut *conn).await? {
                known.phones.insert(sql::text(&r, "phone_idx")?);
            }
        }
        Ok(known)
    }
}

#[derive(Default)]
struct Known {
    /// By the ID number's blind index.
    by_id: HashMap<String, KnownCustomer>,
    /// The blind indexes of the phones customers already have.
    phones: HashSet<String>,
}

struct KnownCustomer {
    id: String,
    name: String,
    branch_path: String,
}

/// A stored row problem's code; every code stored was an [`ErrorCode`].
fn import_error_code(raw: &str) -> Result<ErrorCode, ServiceError> {
    ErrorCode::from_code(raw).ok_or_else(|| ServiceError::internal("import error code", raw))
}
