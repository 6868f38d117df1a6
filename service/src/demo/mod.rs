//! The demo bank: a provincial union with two rural commercial banks, their
//! branches and grids, villages and households, customers, products,
//! applications in every state and the loans booked from them.
//!
//! Everything comes from one ChaCha generator seeded with
//! [`DemoConfig::seed`], ids included (UUIDv7 built from the generator's
//! bytes), so one seed always gives the same bank. Rows go in as batched
//! multi-row inserts inside transactions, which loads a million customers
//! in minutes on either database. Each row is made by its table's owner
//! (`NewCustomer`, `NewApplicationRow`, `NewLoan`, …), the same writer the
//! use cases insert with; the generator only buffers them. What it makes is
//! split by kind: [`structure`] (banks, branches, staff, products),
//! [`households`] (villages, households, customers), [`applications`] and
//! [`loans`].

mod applications;
mod households;
mod loans;
mod names;
mod risk;
mod structure;

use domain::error_code::ErrorCode;
use std::collections::HashSet;

use domain::date::{Date, CHINA_UTC_OFFSET_MINUTES};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{AnyConnection, Connection};

use crate::applications::rows::{
    APPLICATION_COLUMNS, APPROVAL_COLUMNS, CONSENT_COLUMNS, INVESTIGATION_COLUMNS,
};
use crate::audit::{self, NewAuditEntry};
use crate::auth::hash_password;
use crate::customers;
use crate::db::{Db, SystemClock};
use crate::error::ServiceError;
use crate::pfi::PfiKeys;
use crate::products::rows as product_rows;
use crate::risk::authorisations;
use crate::servicing::lines::CREDIT_LINE_COLUMNS;
use crate::servicing::{
    ACCOUNT_COLUMNS, LINE_COLUMNS, LOAN_COLUMNS, PAID_SCHEDULE_COLUMNS, POSTING_COLUMNS,
};
use crate::sql::{self, Val};
use crate::staff::{ORGANISATION_COLUMNS, ROLE_COLUMNS, STAFF_COLUMNS};
use crate::Clock;
use households::{HOUSEHOLD_COLS, VILLAGE_COLS};
pub use structure::demo_logins;
use structure::{BranchStaff, Org, ProductRow};

/// The password of every demo staff account.
pub const DEMO_PASSWORD: &str = "puhui2026";

/// The demo customer with no open application (an end-to-end test applies as her).
pub const DEMO_CUSTOMER_PHONE: &str = "13800000001";
/// The demo customer with an approved loan.
pub const DEMO_BORROWER_PHONE: &str = "13800000002";

/// How big a bank to make, from which seed, as of which day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoConfig {
    pub seed: u64,
    pub customers: u32,
    /// 存量贷款组合: every customer holds one loan, started at any point of its
    /// term, taken over with its balances as of yesterday (all past instalments
    /// paid but for 3 % of loans one month overdue). For the end-of-day
    /// benchmark over a realistic book; off for the demo bank.
    pub portfolio: bool,
    /// Applications are spread over the 30 days before this day.
    pub today: Date,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            seed: 2026,
            customers: 300,
            today: Date::from_epoch_millis(SystemClock.now_millis(), CHINA_UTC_OFFSET_MINUTES),
            portfolio: false,
        }
    }
}

/// How many rows of each kind were made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoSummary {
    pub organisations: u64,
    pub staff: u64,
    pub products: u64,
    pub villages: u64,
    pub households: u64,
    pub customers: u64,
    pub applications: u64,
    pub loans: u64,
}

/// Customers per flush (each flush is one transaction).
const CHUNK_CUSTOMERS: usize = 2000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// Is the database still without an organisation tree?
pub async fn is_empty(db: &Db) -> Result<bool, ServiceError> {
    let r = sqlx::query("SELECT COUNT(*) AS n FROM organisations")
        .fetch_one(&db.pool)
        .await?;
    Ok(sql::int(&r, "n")? == 0)
}

/// Loads the demo bank into an empty, migrated database.
/// The customers' ID numbers and phones are sealed with `keys`.
pub async fn seed_demo(
    db: &Db,
    config: &crate::ServiceConfig,
    cfg: &DemoConfig,
) -> Result<DemoSummary, ServiceError> {
    if !is_empty(db).await? {
        return Err(ServiceError::invalid(ErrorCode::DatabaseNotEmpty));
    }
    let password = hash_password(DEMO_PASSWORD)?;
    // One connection for the whole load, one transaction per chunk.
    let mut conn = db.pool.acquire().await?;
    let mut g = Generator::new(cfg, config.pfi.clone(), config.audit_key.clone());
    g.structure(password.as_str());
    g.flush(&mut conn).await?;
    g.populate(&mut conn).await?;
    g.flush(&mut conn).await?;
    risk::seed(&mut g, &mut conn, password.as_str()).await?;
    crate::products::ensure_first_versions(&mut conn, g.at(38, 9)).await?;
    // Its applications run on their products' flows like any other: open
    // files get their tasks this morning.
    crate::workflow::adopt::adopt_flows(&mut conn, &g.audit_key, g.at(0, 8)).await?;

    let summary = g.summary.clone();
    let mut tx = conn.begin().await?;
    audit::append(
        &mut tx,
        &g.audit_key,
        NewAuditEntry::system(g.at(0, 7), "demo.seeded", "organisation", &g.union_id).after(
            json!({
                "seed": cfg.seed,
                "customers": summary.customers,
                "applications": summary.applications,
                "loans": summary.loans,
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    if db.backend == crate::db::Backend::Postgres {
        // Fresh statistics after a bulk load: without them PostgreSQL plans
        // the first batch jobs as if the tables were empty (84.5 s instead
        // of 5 s for a pre-credit job over 105k households).
        sqlx::query("ANALYZE").execute(&mut *conn).await?;
    }
    Ok(summary)
}

/// A table's name, its columns and the rows waiting for it.
type Table<'a> = (&'a str, &'a [&'a str], &'a [Vec<Val>]);

/// Rows waiting to be inserted, per table, in foreign-key order.
#[derive(Default)]
struct Buffers {
    organisations: Vec<Vec<Val>>,
    staff_users: Vec<Vec<Val>>,
    staff_roles: Vec<Vec<Val>>,
    referral_codes: Vec<Vec<Val>>,
    visit_slots: Vec<Vec<Val>>,
    products: Vec<Vec<Val>>,
    villages: Vec<Vec<Val>>,
    households: Vec<Vec<Val>>,
    customers: Vec<Vec<Val>>,
    bureau_authorisations: Vec<Vec<Val>>,
    applications: Vec<Vec<Val>>,
    bureau_consents: Vec<Vec<Val>>,
    investigations: Vec<Vec<Val>>,
    approvals: Vec<Vec<Val>>,
    loans: Vec<Vec<Val>>,
    loan_schedule: Vec<Vec<Val>>,
    credit_lines: Vec<Vec<Val>>,
    loan_accounts: Vec<Vec<Val>>,
    postings: Vec<Vec<Val>>,
    posting_lines: Vec<Vec<Val>>,
}

struct Generator {
    rng: ChaCha8Rng,
    keys: PfiKeys,
    /// Keys the demo's audit entries.
    audit_key: crate::audit::checkpoints::AuditKey,
    today: Date,
    customers_wanted: usize,
    portfolio: bool,
    id_clock: u64,
    phone_offset: u64,
    phone_index: u64,
    issued_ids: HashSet<String>,
    union_id: String,
    banks: Vec<Org>,
    /// [bank][branch]
    branches: Vec<Vec<Org>>,
    /// [bank][branch][grid]
    grids: Vec<Vec<Vec<Org>>>,
    staff_ids: Vec<String>,
    branch_staff: Vec<Vec<BranchStaff>>,
    products: Vec<Vec<ProductRow>>,
    buf: Buffers,
    summary: DemoSummary,
    applications_made: usize,
}

impl Generator {
    fn new(
        cfg: &DemoConfig,
        keys: PfiKeys,
        audit_key: crate::audit::checkpoints::AuditKey,
    ) -> Self {
        let today = cfg.today;
        // Ids carry timestamps from 60 days before `today`, one millisecond apart.
        let id_clock = u64::try_from((today.days_since_epoch() - 60) * DAY_MS).unwrap_or(0);
        Generator {
            rng: ChaCha8Rng::seed_from_u64(cfg.seed),
            keys,
            audit_key,
            today,
            customers_wanted: usize::try_from(cfg.customers).unwrap_or(usize::MAX),
            portfolio: cfg.portfolio,
            id_clock,
            phone_offset: cfg.seed % 100_000_000,
            phone_index: 0,
            issued_ids: HashSet::new(),
            union_id: String::new(),
            banks: Vec::new(),
            branches: Vec::new(),
            grids: Vec::new(),
            staff_ids: Vec::new(),
            branch_staff: Vec::new(),
            products: Vec::new(),
            buf: Buffers::default(),
            summary: DemoSummary::default(),
            applications_made: 0,
        }
    }

    /// A UUIDv7 from the generator: deterministic, and in creation order.
    fn id(&mut self) -> String {
        let mut bytes = [0u8; 10];
        self.rng.fill_bytes(&mut bytes);
        self.id_clock += 1;
        uuid::Builder::from_unix_timestamp_millis(self.id_clock, &bytes)
            .into_uuid()
            .to_string()
    }

    /// Epoch milliseconds of `days_ago` days before today at `hour` (China time).
    fn at(&self, days_ago: i64, hour: i64) -> i64 {
        let day = self.today.add_days(-days_ago);
        day.days_since_epoch() * DAY_MS - i64::from(CHINA_UTC_OFFSET_MINUTES) * 60_000
            + hour * HOUR_MS
    }

    /// A time during the working day `days_ago` days back.
    fn work_time(&mut self, days_ago: i64) -> i64 {
        let minutes = self.rng.random_range(0..10 * 60);
        self.at(days_ago, 8) + minutes * 60_000
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.random_range(0..items.len())]
    }

    /// Writes every waiting row in one transaction, parents before children.
    async fn flush(&mut self, db: &mut AnyConnection) -> Result<(), ServiceError> {
        let buf = std::mem::take(&mut self.buf);
        let mut tx = db.begin().await?;
        let tables: [Table<'_>; 20] = [
            ("organisations", &ORGANISATION_COLUMNS, &buf.organisations),
            ("staff_users", &STAFF_COLUMNS, &buf.staff_users),
            ("staff_roles", &ROLE_COLUMNS, &buf.staff_roles),
            (
                "referral_codes",
                &["code", "bank_id", "officer_id", "active", "created_at"],
                &buf.referral_codes,
            ),
            (
                "visit_slots",
                &["id", "bank_id", "officer_id", "starts_at", "created_at"],
                &buf.visit_slots,
            ),
            ("products", &product_rows::COLUMNS, &buf.products),
            ("villages", &VILLAGE_COLS, &buf.villages),
            ("households", &HOUSEHOLD_COLS, &buf.households),
            ("customers", &customers::COLUMNS, &buf.customers),
            (
                "bureau_authorisations",
                &authorisations::COLUMNS,
                &buf.bureau_authorisations,
            ),
            ("applications", &APPLICATION_COLUMNS, &buf.applications),
            ("bureau_consents", &CONSENT_COLUMNS, &buf.bureau_consents),
            (
                "investigations",
                &INVESTIGATION_COLUMNS,
                &buf.investigations,
            ),
            ("approvals", &APPROVAL_COLUMNS, &buf.approvals),
            ("credit_lines", &CREDIT_LINE_COLUMNS, &buf.credit_lines),
            ("loans", &LOAN_COLUMNS, &buf.loans),
            ("loan_schedule", &PAID_SCHEDULE_COLUMNS, &buf.loan_schedule),
            ("loan_accounts", &ACCOUNT_COLUMNS, &buf.loan_accounts),
            ("postings", &POSTING_COLUMNS, &buf.postings),
            ("posting_lines", &LINE_COLUMNS, &buf.posting_lines),
        ];
        for (table, cols, rows) in tables {
            if !rows.is_empty() {
                sql::insert_rows(&mut tx, table, cols, rows).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::structure::BANKS;
    use super::*;
    use domain::money::Fen;

    fn cfg() -> DemoConfig {
        DemoConfig {
            seed: 7,
            customers: 10,
            today: Date::new(2026, 11, 24).unwrap(),
            portfolio: false,
        }
    }

    #[test]
    fn phones_are_unique_and_mobile() {
        let mut g = Generator::new(
            &cfg(),
            PfiKeys::development(),
            crate::ServiceConfig::default().audit_key,
        );
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let p = g.phone();
            assert!(domain::identity::Phone::parse(&p).is_ok(), "{p}");
            assert!(p.starts_with("13"));
            assert!(seen.insert(p));
        }
    }

    #[test]
    fn ids_are_deterministic_and_ordered() {
        let mut a = Generator::new(
            &cfg(),
            PfiKeys::development(),
            crate::ServiceConfig::default().audit_key,
        );
        let mut b = Generator::new(
            &cfg(),
            PfiKeys::development(),
            crate::ServiceConfig::default().audit_key,
        );
        let (a1, a2) = (a.id(), a.id());
        assert_eq!(a1, b.id());
        assert!(a1 < a2);
    }

    #[test]
    fn every_login_is_listed_once() {
        let logins = demo_logins();
        let names: HashSet<_> = logins.iter().map(|(u, _)| *u).collect();
        assert_eq!(names.len(), logins.len());
        for u in [
            "admin",
            "head1",
            "officer1",
            "approver1",
            "risk1",
            "officer3",
            "approver3",
        ] {
            assert!(names.contains(u), "{u}");
        }
    }

    #[test]
    fn amounts_stay_in_the_product_range() {
        let mut g = Generator::new(
            &cfg(),
            PfiKeys::development(),
            crate::ServiceConfig::default().audit_key,
        );
        for bank in &BANKS {
            for p in &bank.products {
                for _ in 0..200 {
                    let (amount, term) = g.amount_and_term(p);
                    assert!(
                        amount >= Fen::from_yuan(p.min_yuan)
                            && amount <= Fen::from_yuan(p.max_yuan)
                    );
                    assert!((p.min_term..=p.max_term).contains(&term));
                }
            }
        }
    }
}
