//! Sealing what is not sealed under the current key ([`crate::pfi`]): at
//! start-up, rows written before sealing existed (plain text); on
//! `puhui rotate-key`, everything a retired key sealed. Chunk by chunk, each
//! row written back only if nobody changed it meanwhile, so it can run while
//! the bank works and be run again after an interruption.

use serde::Serialize;
use serde_json::json;

use crate::audit::{self, NewAuditEntry};
use crate::error::ServiceError;
use crate::pfi::{is_sealed, Field, PfiKeys};
use crate::sql;
use crate::Services;
use sqlx::AssertSqlSafe;

/// What to re-seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reseal {
    /// Only plain text (the start-up step).
    PlainOnly,
    /// Everything not sealed under the current key (rotation).
    NotCurrent,
}

/// Rows re-sealed, per table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Resealed {
    pub customers: u64,
    pub credit_reports: u64,
    pub sms_outbox: u64,
    /// Staff second-factor (TOTP) secrets.
    pub staff_secrets: u64,
    /// Contract texts and signers' names.
    pub contracts: u64,
    /// Customers' bank account numbers.
    pub bank_accounts: u64,
    /// Photos of collateral.
    #[serde(default)]
    pub collateral_photos: u64,
}

impl Resealed {
    pub fn total(&self) -> u64 {
        self.customers
            + self.credit_reports
            + self.sms_outbox
            + self.staff_secrets
            + self.contracts
            + self.bank_accounts
            + self.collateral_photos
    }
}

const CHUNK: i64 = 500;

/// A sealed column, the kind of value it holds, and its blind index column.
type Column = (&'static str, Field, Option<&'static str>);

/// Every table with sealed columns. A new sealed column must be listed here,
/// or rotation leaves it under a retired key.
const TABLES: [(&str, &[Column]); 11] = [
    (
        "customers",
        &[
            ("id_number_sealed", Field::IdNumber, Some("id_number_idx")),
            ("phone_sealed", Field::Phone, Some("phone_idx")),
        ],
    ),
    (
        "bureau_inquiries",
        &[("report_sealed", Field::CreditReport, None)],
    ),
    (
        "sms_outbox",
        &[
            ("phone_sealed", Field::Phone, Some("phone_idx")),
            ("body_sealed", Field::SmsBody, None),
        ],
    ),
    (
        "staff_users",
        &[
            ("totp_sealed", Field::TotpSecret, None),
            ("totp_pending_sealed", Field::TotpSecret, None),
        ],
    ),
    ("contracts", &[("text_sealed", Field::ContractText, None)]),
    (
        "contract_signers",
        &[("name_sealed", Field::SignerName, None)],
    ),
    (
        "bank_accounts",
        &[("account_sealed", Field::BankAccount, Some("account_idx"))],
    ),
    (
        "settlement_certificates",
        &[("text_sealed", Field::ContractText, None)],
    ),
    (
        "collateral_photos",
        &[("data_sealed", Field::CollateralPhoto, None)],
    ),
    (
        "registrations",
        &[
            ("phone_sealed", Field::Phone, Some("phone_idx")),
            ("front_reading_sealed", Field::IdCardReading, None),
            ("back_reading_sealed", Field::IdCardReading, None),
            ("reading_sealed", Field::IdCardReading, None),
        ],
    ),
    (
        "guarantors",
        &[
            ("id_number_sealed", Field::IdNumber, Some("id_number_idx")),
            ("phone_sealed", Field::Phone, None),
            ("bureau_report_sealed", Field::CreditReport, None),
        ],
    ),
];

/// A stored value's plain text: it is plain already or it opens.
fn plain(keys: &PfiKeys, field: Field, stored: &str) -> Result<String, ServiceError> {
    if is_sealed(stored) {
        keys.open(field, stored)
    } else {
        Ok(stored.to_string())
    }
}

impl Services {
    /// Re-seals `what` in every table holding sealed values and audits the
    /// counts (when there were any).
    pub async fn reseal(&self, what: Reseal) -> Result<Resealed, ServiceError> {
        let keys = &self.config.pfi;
        let pattern = match what {
            Reseal::PlainOnly => "pfi1.%".to_string(),
            Reseal::NotCurrent => format!("pfi1.{}.%", keys.current_id()),
        };
        let mut counts = [0u64; TABLES.len()];
        for (n, (table, columns)) in counts.iter_mut().zip(TABLES) {
            *n = self.reseal_table(keys, &pattern, table, columns).await?;
        }
        let [customers, credit_reports, sms_outbox, staff_secrets, texts, signers, bank_accounts, certificates, collateral_photos, registrations, guarantors] =
            counts;
        let done = Resealed {
            // Guarantors and people signing up are people too: their ID
            // numbers, phones, reports and ID card readings.
            customers: customers + registrations + guarantors,
            credit_reports,
            sms_outbox,
            staff_secrets,
            contracts: texts + signers + certificates,
            bank_accounts,
            collateral_photos,
        };
        if done.total() > 0 {
            let mut tx = self.db.begin_write().await?;
            audit::append(
                &mut tx,
                &self.config.audit_key,
                NewAuditEntry::system(self.now(), "pfi.resealed", "pfi_key", keys.current_id())
                    .after(json!({
                        "customers": done.customers,
                        "credit_reports": done.credit_reports,
                        "sms_outbox": done.sms_outbox,
                        "staff_secrets": done.staff_secrets,
                        "contracts": done.contracts,
                        "bank_accounts": done.bank_accounts,
                        "collateral_photos": done.collateral_photos,
                        "plain_only": what == Reseal::PlainOnly,
                    })),
            )
            .await?;
            tx.commit().await?;
        }
        Ok(done)
    }

    /// The keys (by id) that sealed what is stored, with how many values
    /// each: after a rotation only the current one is left, and a key this
    /// server does not hold means it was started with the wrong secrets.
    pub async fn sealing_keys_in_use(&self) -> Result<Vec<(String, i64)>, ServiceError> {
        let mut counts: std::collections::BTreeMap<String, i64> = Default::default();
        for (table, columns) in TABLES {
            for (col, _, _) in columns {
                let q = format!(
                    "SELECT substr({col}, 6, 8) AS kid, COUNT(*) AS n FROM {table} \
                     WHERE {col} LIKE 'pfi1.%' GROUP BY substr({col}, 6, 8)"
                );
                for r in sqlx::query(AssertSqlSafe(q))
                    .fetch_all(&self.db.pool)
                    .await?
                {
                    *counts.entry(sql::text(&r, "kid")?).or_default() += sql::int(&r, "n")?;
                }
            }
        }
        Ok(counts.into_iter().collect())
    }

    /// One table, in chunks by id; a row changed meanwhile is left to the
    /// next run (its writer sealed it under the current key anyway).
    async fn reseal_table(
        &self,
        keys: &PfiKeys,
        pattern: &str,
        table: &str,
        columns: &[Column],
    ) -> Result<u64, ServiceError> {
        let names: Vec<&str> = columns.iter().map(|c| c.0).collect();
        let stale = names
            .iter()
            .map(|c| format!("{c} NOT LIKE $2"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let select = format!(
            "SELECT id, {} FROM {table} WHERE id > $1 AND ({stale}) ORDER BY id LIMIT $3",
            names.join(", ")
        );
        let mut sets = Vec::new();
        let mut guards = vec!["id = $1".to_string()];
        let mut p = 1;
        for (col, _, idx) in columns {
            p += 1;
            sets.push(format!("{col} = ${p}"));
            if let Some(idx) = idx {
                p += 1;
                sets.push(format!("{idx} = ${p}"));
            }
            p += 1;
            // Unchanged since read (NULL stays NULL).
            guards.push(format!(
                "({col} = ${p} OR ({col} IS NULL AND ${p} IS NULL))"
            ));
        }
        let update = format!(
            "UPDATE {table} SET {} WHERE {}",
            sets.join(", "),
            guards.join(" AND ")
        );
        let mut after = String::new();
        let mut count = 0;
        loop {
            let rows = sqlx::query(AssertSqlSafe(select.clone()))
                .bind(&after)
                .bind(pattern)
                .bind(CHUNK)
                .fetch_all(&self.db.pool)
                .await?;
            let Some(last) = rows.last() else {
                return Ok(count);
            };
            after = sql::text(last, "id")?;
            let mut tx = self.db.begin_write().await?;
            for r in &rows {
                let mut q = sqlx::query(AssertSqlSafe(update.clone())).bind(sql::text(r, "id")?);
                for (col, field, idx) in columns {
                    let stored = sql::opt_text(r, col)?;
                    let value = stored
                        .as_deref()
                        .map(|s| plain(keys, *field, s))
                        .transpose()?;
                    q = q.bind(value.as_deref().map(|v| keys.seal(*field, v)));
                    if idx.is_some() {
                        let index = value.as_deref().filter(|v| !v.is_empty());
                        q = q.bind(index.map(|v| keys.index(*field, v)));
                    }
                    q = q.bind(stored);
                }
                count += q.execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
        }
    }
}
