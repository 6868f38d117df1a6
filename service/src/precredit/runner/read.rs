//! Reading a chunk: the job's products, the next subjects after the cursor
//! (households or whitelisted customers) and their loans, open
//! applications, recent reports and authorisations.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use domain::money::Fen;
use sqlx::any::AnyRow;
use sqlx::AssertSqlSafe;

use super::timings::Timings;
use crate::customers;
use crate::error::ServiceError;
use crate::pfi::PfiKeys;
use crate::precredit::{Job, PrecreditOptions};
use crate::risk::authorisations::authorised_among;
use crate::risk::bureau::{open_report, BureauReport};
use crate::risk::features::{HouseholdFacts, LoanFacts};
use crate::sql::{self, Placeholders};

/// The person decided: a household's head or a whitelisted customer.
#[derive(Debug, Clone)]
pub(super) struct Person {
    pub(super) id: String,
    pub(super) bank_id: String,
    pub(super) branch_id: String,
    pub(super) name: String,
    pub(super) id_number: String,
    pub(super) gender: String,
    pub(super) occupation: String,
}

#[derive(Debug, Clone)]
pub(super) struct Subject {
    pub(super) key: String,
    pub(super) household_id: Option<String>,
    pub(super) village_id: Option<String>,
    pub(super) household: Option<HouseholdFacts>,
    pub(super) person: Option<Person>,
    pub(super) suggested: Option<Fen>,
}

#[derive(Debug, Clone)]
pub(super) struct ProductFacts {
    pub(super) id: String,
    pub(super) code: String,
    pub(super) guarantee: String,
    pub(super) max_amount: Fen,
    pub(super) max_term: u32,
}

/// A chunk read, before its bulk bureau pull.
pub(super) struct Read {
    pub(super) subjects: Vec<Subject>,
    pub(super) loans: HashMap<String, LoanFacts>,
    pub(super) open: HashMap<String, i64>,
    pub(super) cached: HashMap<String, BureauReport>,
    /// Who holds a 征信查询授权 today: the bureau is asked about no one else.
    pub(super) authorised: HashSet<String>,
}

const SUBJECT_COLUMNS: &str = "h.id AS hid, h.village_id AS hvillage, h.members, \
     h.annual_income_fen, h.land_area_mu_x10, h.main_business, c.id AS cid, c.bank_id, \
     c.branch_id, c.name, c.id_number_sealed, c.gender, c.occupation";

fn subject_of(keys: &PfiKeys, r: &AnyRow, whitelist: bool) -> Result<Subject, ServiceError> {
    let hid = sql::opt_text(r, "hid")?;
    let household = match &hid {
        Some(_) => Some(HouseholdFacts {
            members: sql::int(r, "members")?,
            annual_income: sql::fen(r, "annual_income_fen")?,
            land_area_mu_x10: sql::int(r, "land_area_mu_x10")?,
            main_business: sql::text(r, "main_business")?,
        }),
        None => None,
    };
    let person = match sql::opt_text(r, "cid")? {
        Some(id) => Some(Person {
            id,
            bank_id: sql::text(r, "bank_id")?,
            branch_id: sql::text(r, "branch_id")?,
            name: sql::text(r, "name")?,
            id_number: customers::id_number_of(keys, r)?,
            gender: sql::text(r, "gender")?,
            occupation: sql::text(r, "occupation")?,
        }),
        None => None,
    };
    let (village_id, suggested) = if whitelist {
        (
            Some(sql::text(r, "wvillage")?),
            Some(sql::fen(r, "suggested_limit_fen")?),
        )
    } else {
        (sql::opt_text(r, "hvillage")?, None)
    };
    Ok(Subject {
        key: sql::text(r, "skey")?,
        household_id: hid,
        village_id,
        household,
        person,
        suggested,
    })
}

/// `IN (…)` over `n` placeholders from `first`, in the statement's style.
fn in_list(style: Placeholders, n: usize, first: usize) -> String {
    style.tuples(1, n, first)
}

impl crate::precredit::Precredit<'_> {
    /// The job's product in each bank that offers it.
    pub(super) async fn job_products(
        self,
        job: &Job,
    ) -> Result<HashMap<String, ProductFacts>, ServiceError> {
        let rows = sqlx::query(
            "SELECT id, bank_id, code, guarantee_type, max_amount_fen, max_term_months \
             FROM products WHERE code = $1 AND active = 1",
        )
        .bind(&job.product_code)
        .fetch_all(&self.db.pool)
        .await?;
        let mut out = HashMap::new();
        for r in &rows {
            out.insert(
                sql::text(r, "bank_id")?,
                ProductFacts {
                    id: sql::text(r, "id")?,
                    code: sql::text(r, "code")?,
                    guarantee: sql::text(r, "guarantee_type")?,
                    max_amount: sql::fen(r, "max_amount_fen")?,
                    max_term: sql::uint(r, "max_term_months")?,
                },
            );
        }
        // A whitelist belongs to one bank.
        if let Some(bank) = &job.bank_id {
            if job.kind == "whitelist" {
                out.retain(|b, _| b == bank);
            }
        }
        Ok(out)
    }

    /// The next `limit` subjects after `after`, in key order.
    async fn subjects(
        self,
        job: &Job,
        after: &str,
        limit: i64,
    ) -> Result<Vec<Subject>, ServiceError> {
        let whitelist = job.kind == "whitelist";
        let rows = if whitelist {
            let q = format!(
                "SELECT w.customer_id AS skey, w.suggested_limit_fen, w.village_id AS wvillage, \
                   {SUBJECT_COLUMNS} \
                 FROM precredit_whitelist_rows w JOIN customers c ON c.id = w.customer_id \
                 LEFT JOIN households h ON h.id = c.household_id \
                 WHERE w.job_id = $1 AND w.customer_id > $2 ORDER BY w.customer_id LIMIT $3"
            );
            sqlx::query(AssertSqlSafe(q))
                .bind(&job.id)
                .bind(after)
                .bind(limit)
                .fetch_all(&self.db.pool)
                .await?
        } else if let Some(village) = &job.village_id {
            let q = format!(
                "SELECT h.id AS skey, {SUBJECT_COLUMNS} FROM households h \
                 LEFT JOIN customers c ON c.household_id = h.id AND c.relation_to_head = 'head' \
                   AND c.household_id > $2 \
                 WHERE h.village_id = $1 AND h.id > $2 ORDER BY h.id LIMIT $3"
            );
            sqlx::query(AssertSqlSafe(q))
                .bind(village)
                .bind(after)
                .bind(limit)
                .fetch_all(&self.db.pool)
                .await?
        } else {
            // Households in key order, each checked against the scope: the
            // CROSS JOINs keep SQLite walking households by key (with a plain
            // join it may start from the organisations and sort every
            // household of the scope for each chunk). PostgreSQL plans it
            // as an inner join. The redundant `c.household_id > cursor` lets
            // PostgreSQL's merge join start the heads at the cursor instead
            // of at the first household (which made each chunk slower than
            // the last: 235 ms a chunk on average over a million households).
            let q = format!(
                "SELECT h.id AS skey, {SUBJECT_COLUMNS} FROM households h \
                 CROSS JOIN villages v CROSS JOIN organisations g \
                 LEFT JOIN customers c ON c.household_id = h.id AND c.relation_to_head = 'head' \
                   AND c.household_id > $2 \
                 WHERE v.id = h.village_id AND g.id = v.grid_id AND g.path LIKE $1 \
                   AND h.id > $2 ORDER BY h.id LIMIT $3"
            );
            sqlx::query(AssertSqlSafe(q))
                .bind(sql::under(&job.scope_path))
                .bind(after)
                .bind(limit)
                .fetch_all(&self.db.pool)
                .await?
        };
        let mut out: Vec<Subject> = Vec::with_capacity(rows.len());
        for r in &rows {
            let s = subject_of(&self.config.pfi, r, whitelist)?;
            // Two heads on file for one household: decide the first.
            if out.last().is_some_and(|p| p.key == s.key) {
                continue;
            }
            out.push(s);
        }
        Ok(out)
    }

    /// Loans with us, open applications and recent reports of the chunk's customers.
    async fn chunk_facts(
        self,
        ids: &[&str],
        reports_since: Option<i64>,
    ) -> Result<
        (
            HashMap<String, LoanFacts>,
            HashMap<String, i64>,
            HashMap<String, BureauReport>,
        ),
        ServiceError,
    > {
        let mut loans = HashMap::new();
        let mut open = HashMap::new();
        let mut reports: HashMap<String, (i64, BureauReport)> = HashMap::new();
        if ids.is_empty() {
            return Ok((loans, open, HashMap::new()));
        }
        let mut conn = self.db.pool.acquire().await?;
        let style = Placeholders::of(&conn);
        for part in ids.chunks(1000) {
            let list = in_list(style, part.len(), 1);
            let q = format!(
                "SELECT l.customer_id, CAST(COUNT(*) AS BIGINT) AS n, \
                   CAST(COALESCE(SUM(la.principal_outstanding_fen), 0) AS BIGINT) AS outstanding, \
                   CAST(COALESCE(MAX(la.dpd), 0) AS BIGINT) AS max_dpd, \
                   CAST(COALESCE(SUM(CASE WHEN la.status = 'overdue' OR la.dpd > 0 \
                     THEN 1 ELSE 0 END), 0) AS BIGINT) AS overdue \
                 FROM loans l JOIN loan_accounts la ON la.loan_id = l.id \
                 WHERE l.customer_id IN {list} AND la.status IN ('normal', 'overdue') \
                 GROUP BY l.customer_id"
            );
            let mut query = sqlx::query(AssertSqlSafe(q));
            for id in part {
                query = query.bind(*id);
            }
            for r in query.fetch_all(&mut *conn).await? {
                loans.insert(
                    sql::text(&r, "customer_id")?,
                    LoanFacts {
                        count: sql::int(&r, "n")?,
                        outstanding: sql::fen(&r, "outstanding")?,
                        max_dpd: sql::int(&r, "max_dpd")?,
                        overdue: sql::int(&r, "overdue")? > 0,
                    },
                );
            }
            let q = format!(
                "SELECT customer_id, CAST(COUNT(*) AS BIGINT) AS n FROM applications \
                 WHERE customer_id IN {list} AND status IN ('submitted', 'investigated') \
                 GROUP BY customer_id"
            );
            let mut query = sqlx::query(AssertSqlSafe(q));
            for id in part {
                query = query.bind(*id);
            }
            for r in query.fetch_all(&mut *conn).await? {
                open.insert(sql::text(&r, "customer_id")?, sql::int(&r, "n")?);
            }
            if let Some(since) = reports_since {
                let q = format!(
                    "SELECT customer_id, report_sealed, requested_at FROM bureau_inquiries \
                     WHERE customer_id IN {list} AND outcome = 'ok' AND report_sealed IS NOT NULL \
                       AND requested_at >= {}",
                    match style {
                        Placeholders::Dollar => format!("${}", part.len() + 1),
                        Placeholders::Question => "?".to_string(),
                    }
                );
                let mut query = sqlx::query(AssertSqlSafe(q));
                for id in part {
                    query = query.bind(*id);
                }
                for r in query.bind(since).fetch_all(&mut *conn).await? {
                    let at = sql::int(&r, "requested_at")?;
                    let report = open_report(&self.config.pfi, &sql::text(&r, "report_sealed")?)?;
                    let cid = sql::text(&r, "customer_id")?;
                    if reports.get(&cid).is_none_or(|(t, _)| *t < at) {
                        reports.insert(cid, (at, report));
                    }
                }
            }
        }
        Ok((
            loans,
            open,
            reports.into_iter().map(|(k, (_, r))| (k, r)).collect(),
        ))
    }

    /// Reads a chunk: its subjects, their loans, open applications and the
    /// reports of their own recent inquiries.
    pub(super) async fn read_chunk(
        self,
        job: &Job,
        after: &str,
        chunk: i64,
        opts: &PrecreditOptions,
    ) -> Result<(Read, Timings), ServiceError> {
        let mut t = Timings::default();
        let phase = Instant::now();
        let subjects = self.subjects(job, after, chunk).await?;
        t.subjects += phase.elapsed();
        let phase = Instant::now();
        let ids: Vec<&str> = subjects
            .iter()
            .filter_map(|s| s.person.as_ref().map(|p| p.id.as_str()))
            .collect();
        let since = job
            .use_bureau
            .then(|| self.now() - opts.report_max_age_days * 86_400_000);
        let (loans, open, cached) = self.chunk_facts(&ids, since).await?;
        let authorised = if job.use_bureau {
            let mut conn = self.db.pool.acquire().await?;
            authorised_among(&mut conn, &ids, self.today()).await?
        } else {
            HashSet::new()
        };
        t.facts += phase.elapsed();
        Ok((
            Read {
                subjects,
                loans,
                open,
                cached,
                authorised,
            },
            t,
        ))
    }
}
