//! The demo bank: a provincial union with two rural commercial banks, their
//! branches and grids, villages and households, customers, products,
//! applications in every state and the loans booked from them.
//!
//! Everything comes from one ChaCha generator seeded with
//! [`DemoConfig::seed`], ids included (UUIDv7 built from the generator's
//! bytes), so one seed always gives the same bank. Rows go in as batched
//! multi-row inserts inside transactions, which loads a million customers
//! in minutes on either database.

mod names;
mod risk;

use std::collections::HashSet;

use domain::application::{ApplicationStatus, Decision};
use domain::date::{Date, CHINA_UTC_OFFSET_MINUTES};
use domain::identity::IdNumber;
use domain::money::Fen;
use domain::rate::AnnualRate;
use domain::schedule::{build_schedule, RepaymentMethod};
use domain::servicing::credit_line::{CreditLine, LineKind};
use domain::servicing::eod::{
    catch_up, Classification, EodRules, LoanState, LoanStatus, ScheduledInstalment,
};
use domain::servicing::ledger::{AllocationOrder, IdempotencyKey, Posting};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{AnyConnection, Connection};

use crate::audit::{self, NewAuditEntry};
use crate::auth::hash_password;
use crate::customers::{self, NewCustomer};
use crate::db::{Db, SystemClock};
use crate::error::ServiceError;
use crate::pfi::PfiKeys;
use crate::risk::authorisations::{self, Authorisation};
use crate::applications::rows::{
    NewApplicationRow, NewApproval, NewConsent, NewInvestigation, APPLICATION_COLUMNS,
    APPROVAL_COLUMNS, CONSENT_COLUMNS, INVESTIGATION_COLUMNS,
};
use crate::products::rows::{self as product_rows, NewProduct};
use crate::servicing::lines::{LineOwner, NewLine, CREDIT_LINE_COLUMNS};
use crate::servicing::{
    account_row, next_due_after, posting_rows, schedule_row_paid, NewLoan, ACCOUNT_COLUMNS,
    LINE_COLUMNS, LOAN_COLUMNS, PAID_SCHEDULE_COLUMNS, POSTING_COLUMNS,
};
use crate::staff::{
    role_row, NewOrganisation, NewStaffUser, ORGANISATION_COLUMNS, ROLE_COLUMNS, STAFF_COLUMNS,
};
use crate::sql::{self, Val};
use crate::Clock;
use names::*;

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

/// Where a staff account sits: the union, a bank, or a bank's branch.
#[derive(Debug, Clone, Copy)]
enum Place {
    Union,
    Bank(usize),
    Branch(usize, usize),
}

struct StaffSpec {
    username: &'static str,
    display_name: &'static str,
    place: Place,
    role: &'static str,
    label_zh: &'static str,
}

const STAFF: [StaffSpec; 21] = [
    StaffSpec {
        username: "admin",
        display_name: "周建华",
        place: Place::Union,
        role: "admin",
        label_zh: "系统管理员（省联社）",
    },
    StaffSpec {
        username: "head1",
        display_name: "陈国栋",
        place: Place::Branch(0, 0),
        role: "branch_head",
        label_zh: "支行行长",
    },
    StaffSpec {
        username: "officer1",
        display_name: "刘洋",
        place: Place::Branch(0, 0),
        role: "officer",
        label_zh: "客户经理",
    },
    StaffSpec {
        username: "officer2",
        display_name: "张丽",
        place: Place::Branch(0, 0),
        role: "officer",
        label_zh: "客户经理",
    },
    StaffSpec {
        username: "investigator1",
        display_name: "孙志强",
        place: Place::Branch(0, 0),
        role: "investigator",
        label_zh: "调查岗",
    },
    StaffSpec {
        username: "reviewer1",
        display_name: "吴敏",
        place: Place::Branch(0, 0),
        role: "reviewer",
        label_zh: "审查岗",
    },
    StaffSpec {
        username: "approver1",
        display_name: "赵立新",
        place: Place::Branch(0, 0),
        role: "approver",
        label_zh: "审批岗",
    },
    StaffSpec {
        username: "approver2",
        display_name: "钱海燕",
        place: Place::Branch(0, 0),
        role: "approver",
        label_zh: "审批岗",
    },
    StaffSpec {
        username: "disburser1",
        display_name: "郑晓红",
        place: Place::Branch(0, 0),
        role: "disburser",
        label_zh: "放款岗",
    },
    StaffSpec {
        username: "postloan1",
        display_name: "何伟",
        place: Place::Branch(0, 0),
        role: "post_loan",
        label_zh: "贷后岗",
    },
    StaffSpec {
        username: "risk1",
        display_name: "马骏",
        place: Place::Bank(0),
        role: "risk_manager",
        label_zh: "风险经理",
    },
    StaffSpec {
        username: "product1",
        display_name: "林静",
        place: Place::Bank(0),
        role: "product_manager",
        label_zh: "产品经理",
    },
    StaffSpec {
        username: "marketing1",
        display_name: "高峰",
        place: Place::Bank(0),
        role: "marketing_manager",
        label_zh: "营销经理",
    },
    StaffSpec {
        username: "officer3",
        display_name: "杨帆",
        place: Place::Branch(0, 1),
        role: "officer",
        label_zh: "客户经理（二支行）",
    },
    StaffSpec {
        username: "approver3",
        display_name: "徐春梅",
        place: Place::Branch(0, 1),
        role: "approver",
        label_zh: "审批岗（二支行）",
    },
    StaffSpec {
        username: "head2",
        display_name: "王志刚",
        place: Place::Branch(1, 0),
        role: "branch_head",
        label_zh: "支行行长（长白）",
    },
    StaffSpec {
        username: "officer4",
        display_name: "韩雪",
        place: Place::Branch(1, 0),
        role: "officer",
        label_zh: "客户经理（长白）",
    },
    StaffSpec {
        username: "approver4",
        display_name: "冯涛",
        place: Place::Branch(1, 0),
        role: "approver",
        label_zh: "审批岗（长白）",
    },
    StaffSpec {
        username: "officer5",
        display_name: "曹磊",
        place: Place::Branch(1, 1),
        role: "officer",
        label_zh: "客户经理（长白二支行）",
    },
    StaffSpec {
        username: "approver5",
        display_name: "彭丽娟",
        place: Place::Branch(1, 1),
        role: "approver",
        label_zh: "审批岗（长白二支行）",
    },
    StaffSpec {
        username: "risk2",
        display_name: "邓超",
        place: Place::Bank(1),
        role: "risk_manager",
        label_zh: "风险经理（长白）",
    },
];

impl StaffSpec {
    /// The account's row, in `org_id`, with the demo password.
    fn row(&self, id: &str, org_id: &str, password_hash: &str, created_at: i64) -> Vec<Val> {
        NewStaffUser {
            id,
            org_id,
            username: self.username,
            display_name: self.display_name,
            password_hash,
            must_change_password: false,
            created_at,
        }
        .row()
    }
}

/// The demo staff accounts and what each is, for the start-up banner and
/// the login page. All use [`DEMO_PASSWORD`].
pub fn demo_logins() -> Vec<(&'static str, &'static str)> {
    STAFF
        .iter()
        .chain(&risk::CHECKERS)
        .map(|s| (s.username, s.label_zh))
        .collect()
}

struct BankSpec {
    code: &'static str,
    name: &'static str,
    short: &'static str,
    branches: [&'static str; 2],
    regions: [&'static str; 4],
    products: [ProductSpec; 3],
}

struct ProductSpec {
    code: &'static str,
    name_zh: &'static str,
    name_en: &'static str,
    summary_zh: &'static str,
    summary_en: &'static str,
    min_yuan: i64,
    max_yuan: i64,
    min_term: u32,
    max_term: u32,
    rate_bp: u32,
    method: RepaymentMethod,
    guarantee: &'static str,
    purposes: [&'static str; 4],
}

const HNED_ZH: &str = "纯信用、免抵押，手机上申请，客户经理上门调查，最快三天放款。";
const HNED_EN: &str =
    "Unsecured credit for farm households: apply on your phone, decided within days.";
const FSD_ZH: &str = "春耕秋收的季节性资金，一人担保即可，收获后归还本金。";
const FSD_EN: &str = "Seasonal funds for sowing and harvest, with one guarantor.";
const AJD_ZH: &str = "农村住房新建、翻建和装修，以房产抵押，期限最长十年。";
const AJD_EN: &str =
    "Build, rebuild or renovate a rural home, secured on the house, up to ten years.";
const HNED_PURPOSES: [&str; 4] = ["购买化肥种子", "购买饲料", "小卖部进货", "购置农机具"];
const FSD_PURPOSES: [&str; 4] = ["春耕生产资金", "秋收粮食收购", "扩大养殖规模", "租赁土地"];
const AJD_PURPOSES: [&str; 4] = ["新建住房", "房屋翻建", "住房装修", "购买农村住房"];

const BANKS: [BankSpec; 2] = [
    BankSpec {
        code: "BJ01",
        name: "松江农村商业银行",
        short: "松江农商行",
        branches: ["城关支行", "河口支行"],
        regions: ["220102", "220122", "220182", "220183"],
        products: [
            ProductSpec {
                code: "HNED",
                name_zh: "惠农e贷",
                name_en: "Huinong e-Loan",
                summary_zh: HNED_ZH,
                summary_en: HNED_EN,
                min_yuan: 10_000,
                max_yuan: 300_000,
                min_term: 6,
                max_term: 36,
                rate_bp: 560,
                method: RepaymentMethod::EqualInstalment,
                guarantee: "credit",
                purposes: HNED_PURPOSES,
            },
            ProductSpec {
                code: "FSD",
                name_zh: "丰收贷",
                name_en: "Harvest Loan",
                summary_zh: FSD_ZH,
                summary_en: FSD_EN,
                min_yuan: 20_000,
                max_yuan: 500_000,
                min_term: 6,
                max_term: 24,
                rate_bp: 490,
                method: RepaymentMethod::InterestOnly,
                guarantee: "guarantor",
                purposes: FSD_PURPOSES,
            },
            ProductSpec {
                code: "AJD",
                name_zh: "安居贷",
                name_en: "Anju Home Loan",
                summary_zh: AJD_ZH,
                summary_en: AJD_EN,
                min_yuan: 100_000,
                max_yuan: 1_000_000,
                min_term: 12,
                max_term: 120,
                rate_bp: 385,
                method: RepaymentMethod::EqualInstalment,
                guarantee: "mortgage",
                purposes: AJD_PURPOSES,
            },
        ],
    },
    BankSpec {
        code: "BJ02",
        name: "长白农村商业银行",
        short: "长白农商行",
        branches: ["东岗支行", "西林支行"],
        regions: ["220281", "220282", "220283", "220284"],
        products: [
            ProductSpec {
                code: "HNED",
                name_zh: "惠农e贷",
                name_en: "Huinong e-Loan",
                summary_zh: HNED_ZH,
                summary_en: HNED_EN,
                min_yuan: 10_000,
                max_yuan: 200_000,
                min_term: 6,
                max_term: 36,
                rate_bp: 720,
                method: RepaymentMethod::EqualInstalment,
                guarantee: "credit",
                purposes: HNED_PURPOSES,
            },
            ProductSpec {
                code: "FSD",
                name_zh: "丰收贷",
                name_en: "Harvest Loan",
                summary_zh: FSD_ZH,
                summary_en: FSD_EN,
                min_yuan: 20_000,
                max_yuan: 500_000,
                min_term: 12,
                max_term: 36,
                rate_bp: 540,
                method: RepaymentMethod::EqualPrincipal,
                guarantee: "guarantor",
                purposes: FSD_PURPOSES,
            },
            ProductSpec {
                code: "AJD",
                name_zh: "安居贷",
                name_en: "Anju Home Loan",
                summary_zh: AJD_ZH,
                summary_en: AJD_EN,
                min_yuan: 100_000,
                max_yuan: 800_000,
                min_term: 12,
                max_term: 120,
                rate_bp: 420,
                method: RepaymentMethod::EqualInstalment,
                guarantee: "mortgage",
                purposes: AJD_PURPOSES,
            },
        ],
    },
];

const UNION_NAME: &str = "北江省农村信用社联合社";
const GRID_NAMES: [&str; 2] = ["第一网格", "第二网格"];
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
        return Err(ServiceError::invalid("database_not_empty"));
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

struct Org {
    id: String,
    path: String,
}

struct BranchStaff {
    officers: Vec<String>,
    approvers: Vec<String>,
    investigators: Vec<String>,
}

struct ProductRow {
    id: String,
    spec: &'static ProductSpec,
}

struct Village {
    id: String,
    township: &'static str,
    name: String,
}

/// One person to be inserted as a customer.
struct Person {
    name: String,
    male: bool,
    age: u32,
    relation: &'static str,
    phone: Option<&'static str>,
    occupation: String,
}

/// A table's name, its columns and the rows waiting for it.
type Table<'a> = (&'a str, &'a [&'a str], &'a [Vec<Val>]);

/// Rows waiting to be inserted, per table, in foreign-key order.
#[derive(Default)]
struct Buffers {
    organisations: Vec<Vec<Val>>,
    staff_users: Vec<Vec<Val>>,
    staff_roles: Vec<Vec<Val>>,
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

/// Up to this many customers the demo writes each loan's full ledger history
/// (disbursement and every night's accrual); above it, one opening-balance
/// posting per loan, as a bank migrating from its previous core system would.
const FULL_HISTORY_UP_TO: usize = 10_000;

/// Villages and households: only the demo bank makes them (a whitelist
/// import finds the bank's villages, it does not add any).
const VILLAGE_COLS: [&str; 4] = ["id", "grid_id", "township", "name"];
const HOUSEHOLD_COLS: [&str; 9] = [
    "id",
    "village_id",
    "head_name",
    "address",
    "members",
    "annual_income_fen",
    "land_area_mu_x10",
    "main_business",
    "created_at",
];

/// The day the demo people's ages are counted to. Fixed, not `today`: a
/// birth date (and so the ID number that carries it, and the development
/// bureau's report, which hashes the ID number) must not move with the day
/// the bank is loaded, or the same phone number is a different applicant
/// with a different credit history every day.
fn birth_anchor() -> Date {
    Date::new(2026, 11, 24).expect("a valid date")
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

    fn surname(&mut self) -> &'static str {
        // Weight by rank: the first surnames are far more common.
        let total: usize = (1..=SURNAMES.len()).sum();
        let mut x = self.rng.random_range(0..total);
        for (i, s) in SURNAMES.iter().enumerate() {
            let w = SURNAMES.len() - i;
            if x < w {
                return s;
            }
            x -= w;
        }
        SURNAMES[0]
    }

    fn given(&mut self, male: bool) -> &'static str {
        if male {
            self.pick(&MALE_GIVEN)
        } else {
            self.pick(&FEMALE_GIVEN)
        }
    }

    /// The next unused 13x mobile number: a bijection of a counter, so no
    /// two customers share one and the two fixed demo numbers are skipped.
    fn phone(&mut self) -> String {
        loop {
            let i = self.phone_index;
            self.phone_index += 1;
            let prefix = 130 + i % 10;
            let n = ((i / 10) * 48_271 + self.phone_offset) % 100_000_000;
            let phone = format!("{prefix}{n:08}");
            if phone != DEMO_CUSTOMER_PHONE && phone != DEMO_BORROWER_PHONE {
                return phone;
            }
        }
    }

    fn id_number(
        &mut self,
        bank: usize,
        birth: Date,
        male: bool,
    ) -> Result<IdNumber, ServiceError> {
        for _ in 0..1000 {
            let region = self.pick(&BANKS[bank].regions);
            let seq = self.rng.random_range(0..500u16) * 2 + u16::from(male);
            let id = IdNumber::from_parts(region, birth, seq)?;
            if self.issued_ids.insert(id.as_str().to_string()) {
                return Ok(id);
            }
        }
        Err(ServiceError::Internal(
            "demo: no free id number".to_string(),
        ))
    }

    fn org(&mut self, parent: Option<&Org>, kind: &str, code: String, name: String) -> Org {
        let id = self.id();
        let path = match parent {
            Some(p) => format!("{}{id}/", p.path),
            None => format!("/{id}/"),
        };
        let row = NewOrganisation {
            id: &id,
            parent_id: parent.map(|p| p.id.as_str()),
            kind,
            code: &code,
            name: &name,
            path: &path,
            created_at: self.at(400, 9),
        }
        .row();
        self.buf.organisations.push(row);
        self.summary.organisations += 1;
        Org { id, path }
    }

    /// The organisation tree, the staff and the products.
    fn structure(&mut self, password_hash: &str) {
        let union = self.org(None, "union", "BJ".to_string(), UNION_NAME.to_string());
        for spec in &BANKS {
            let bank = self.org(
                Some(&union),
                "bank",
                spec.code.to_string(),
                spec.name.to_string(),
            );
            let mut branches = Vec::new();
            let mut grids = Vec::new();
            for (br, br_name) in spec.branches.iter().enumerate() {
                let branch = self.org(
                    Some(&bank),
                    "branch",
                    format!("{}-{:02}", spec.code, br + 1),
                    format!("{}{br_name}", spec.short),
                );
                let mut branch_grids = Vec::new();
                for (gi, grid_name) in GRID_NAMES.iter().enumerate() {
                    branch_grids.push(self.org(
                        Some(&branch),
                        "grid",
                        format!("{}-{:02}-{:02}", spec.code, br + 1, gi + 1),
                        format!("{br_name}{grid_name}"),
                    ));
                }
                branches.push(branch);
                grids.push(branch_grids);
            }
            self.banks.push(bank);
            self.branches.push(branches);
            self.grids.push(grids);
        }
        self.union_id = union.id.clone();

        self.branch_staff = (0..BANKS.len())
            .map(|_| {
                (0..2)
                    .map(|_| BranchStaff {
                        officers: Vec::new(),
                        approvers: Vec::new(),
                        investigators: Vec::new(),
                    })
                    .collect()
            })
            .collect();
        let created = self.at(365, 9);
        for spec in &STAFF {
            let id = self.id();
            let org_id = match spec.place {
                Place::Union => union.id.clone(),
                Place::Bank(b) => self.banks[b].id.clone(),
                Place::Branch(b, br) => {
                    let team = &mut self.branch_staff[b][br];
                    match spec.role {
                        "officer" => team.officers.push(id.clone()),
                        "approver" => team.approvers.push(id.clone()),
                        "investigator" => team.investigators.push(id.clone()),
                        _ => {}
                    }
                    self.branches[b][br].id.clone()
                }
            };
            let row = spec.row(&id, &org_id, password_hash, created);
            self.buf.staff_users.push(row);
            self.buf.staff_roles.push(role_row(&id, spec.role));
            self.staff_ids.push(id);
            self.summary.staff += 1;
        }

        for (b, spec) in BANKS.iter().enumerate() {
            let mut rows = Vec::new();
            for (i, p) in spec.products.iter().enumerate() {
                let id = self.id();
                let bank_id = self.banks[b].id.clone();
                let row = NewProduct {
                    id: &id,
                    bank_id: &bank_id,
                    code: p.code,
                    name_zh: p.name_zh,
                    name_en: p.name_en,
                    summary_zh: p.summary_zh,
                    summary_en: p.summary_en,
                    min_amount: Fen::from_yuan(p.min_yuan),
                    max_amount: Fen::from_yuan(p.max_yuan),
                    min_term_months: p.min_term,
                    max_term_months: p.max_term,
                    annual_rate_bp: p.rate_bp,
                    method: p.method,
                    guarantee: p.guarantee,
                    active: true,
                    sort_order: i64::try_from(i).unwrap_or(0) * 10,
                    created_at: created,
                    parent_id: None,
                }
                .row();
                self.buf.products.push(row);
                rows.push(ProductRow { id, spec: p });
                self.summary.products += 1;
            }
            self.products.push(rows);
        }
    }

    fn staff_id(&self, username: &str) -> String {
        let i = STAFF
            .iter()
            .position(|s| s.username == username)
            .unwrap_or(0);
        self.staff_ids[i].clone()
    }

    /// Villages, households, customers, applications and loans, grid by grid.
    async fn populate(&mut self, db: &mut AnyConnection) -> Result<(), ServiceError> {
        let grids_total = BANKS.len() * 2 * 2;
        let per_grid = self.customers_wanted / grids_total;
        let extra = self.customers_wanted % grids_total;
        let mut grid_index = 0;
        for b in 0..BANKS.len() {
            for br in 0..2 {
                for gi in 0..2 {
                    let wanted = per_grid + usize::from(grid_index < extra);
                    self.populate_grid(db, b, br, gi, wanted, grid_index == 0)
                        .await?;
                    grid_index += 1;
                }
            }
        }
        Ok(())
    }

    async fn populate_grid(
        &mut self,
        db: &mut AnyConnection,
        b: usize,
        br: usize,
        gi: usize,
        wanted: usize,
        first: bool,
    ) -> Result<(), ServiceError> {
        let grid_id = self.grids[b][br][gi].id.clone();
        let village_count = wanted.div_ceil(120).max(2);
        let t1 = self.pick(&TOWNSHIPS);
        let t2 = self.pick(&TOWNSHIPS);
        let mut villages = Vec::with_capacity(village_count);
        for v in 0..village_count {
            let id = self.id();
            let township = if v % 2 == 0 { t1 } else { t2 };
            let name = format!(
                "{}{}",
                self.pick(&VILLAGE_PREFIXES),
                self.pick(&VILLAGE_SUFFIXES)
            );
            self.buf.villages.push(vec![
                Val::from(id.as_str()),
                Val::from(grid_id.as_str()),
                Val::from(township),
                Val::from(name.as_str()),
            ]);
            villages.push(Village { id, township, name });
            self.summary.villages += 1;
        }

        let mut made = 0;
        let mut household_no = 0usize;
        if first && wanted > 0 {
            made += self.demo_family(b, br, &villages[0], wanted)?;
            household_no += 1;
        }
        while made < wanted {
            let size = match self.rng.random_range(0..10) {
                0..=2 => 1,
                3..=7 => 2,
                _ => 3,
            }
            .min(wanted - made);
            let village = &villages[household_no % villages.len()];
            let people = self.family(size);
            self.household(b, br, village, household_no, people, None)?;
            made += size;
            household_no += 1;
            if self.buf.customers.len() >= CHUNK_CUSTOMERS {
                self.flush(db).await?;
            }
        }
        Ok(())
    }

    /// A household's customers: a head, often a spouse, sometimes a grown child.
    fn family(&mut self, size: usize) -> Vec<Person> {
        let head_male = self.rng.random_bool(0.85);
        let surname = self.surname();
        let head_age = self.rng.random_range(28..=66);
        let (business, occupation) = self.pick(&BUSINESSES);
        let _ = business;
        let mut people = vec![Person {
            name: format!("{surname}{}", self.given(head_male)),
            male: head_male,
            age: head_age,
            relation: "head",
            phone: None,
            occupation: occupation.to_string(),
        }];
        if size >= 2 {
            let spouse_surname = self.surname();
            let age = head_age
                .saturating_add_signed(self.rng.random_range(-4..=4))
                .max(22);
            let occupation = if self.rng.random_bool(0.6) {
                occupation
            } else {
                self.pick(&OTHER_OCCUPATIONS)
            };
            people.push(Person {
                name: format!("{spouse_surname}{}", self.given(!head_male)),
                male: !head_male,
                age,
                relation: "spouse",
                phone: None,
                occupation: occupation.to_string(),
            });
        }
        if size >= 3 {
            let male = self.rng.random_bool(0.5);
            let child_surname = if head_male { surname } else { self.surname() };
            let age = self
                .rng
                .random_range(18..=head_age.saturating_sub(20).max(18));
            let occupation = self.pick(&OTHER_OCCUPATIONS);
            people.push(Person {
                name: format!("{child_surname}{}", self.given(male)),
                male,
                age,
                relation: "child",
                phone: None,
                occupation: occupation.to_string(),
            });
        }
        people
    }

    /// The fixed demo household: 王建国 (with an approved loan), 李秀英
    /// (no application, so a test can apply as her) and their son.
    fn demo_family(
        &mut self,
        b: usize,
        br: usize,
        village: &Village,
        wanted: usize,
    ) -> Result<usize, ServiceError> {
        let people = vec![
            Person {
                name: "王建国".to_string(),
                male: true,
                age: 52,
                relation: "head",
                phone: Some(DEMO_BORROWER_PHONE),
                occupation: "种植户".to_string(),
            },
            Person {
                name: "李秀英".to_string(),
                male: false,
                age: 49,
                relation: "spouse",
                phone: Some(DEMO_CUSTOMER_PHONE),
                occupation: "务农".to_string(),
            },
            Person {
                name: "王磊".to_string(),
                male: true,
                age: 26,
                relation: "child",
                phone: None,
                occupation: "务工人员".to_string(),
            },
        ];
        let people: Vec<Person> = people.into_iter().take(wanted).collect();
        let n = people.len();
        self.household(b, br, village, 0, people, Some(("玉米种植", 4)))?;
        Ok(n)
    }

    /// Inserts a household with its customers and their applications.
    fn household(
        &mut self,
        b: usize,
        br: usize,
        village: &Village,
        number: usize,
        people: Vec<Person>,
        fixed: Option<(&'static str, u32)>,
    ) -> Result<(), ServiceError> {
        let hid = self.id();
        let (business, members) = match fixed {
            Some((business, members)) => (business, members),
            None => {
                let (business, _) = self.pick(&BUSINESSES);
                let members =
                    u32::try_from(people.len()).unwrap_or(1) + self.rng.random_range(0..=3);
                (business, members)
            }
        };
        let income_yuan = if fixed.is_some() {
            126_000
        } else {
            self.rng.random_range(30..=300) * 1000
        };
        let land: u32 = if fixed.is_some() {
            185
        } else {
            self.rng.random_range(0..=300)
        };
        let address = format!(
            "{}{}{}组{}号",
            village.township,
            village.name,
            number % 9 + 1,
            number / 9 + 1
        );
        let created_ago = self.rng.random_range(400..1500);
        let created = self.at(created_ago, 9);
        self.buf.households.push(vec![
            Val::from(hid.as_str()),
            Val::from(village.id.as_str()),
            Val::from(people[0].name.as_str()),
            Val::from(address),
            Val::from(members),
            Val::Int(income_yuan * 100),
            Val::from(land),
            Val::from(business),
            Val::from(created),
        ]);
        self.summary.households += 1;

        let bank_id = self.banks[b].id.clone();
        let branch_id = self.branches[b][br].id.clone();
        for p in people {
            let cid = self.id();
            let extra_days: i64 = self.rng.random_range(1..365);
            let birth = birth_anchor()
                .add_days(-(i64::from(p.age) * 365 + i64::from(p.age / 4) + extra_days));
            let id_number = self.id_number(b, birth, p.male)?;
            // The fixed demo customers get a number the development bureau
            // reports clean, so their applications go through on any day.
            let id_number = match p.phone {
                Some(_) => match risk::clean_id_number(self, &id_number) {
                    Some(clean) => {
                        self.issued_ids.insert(clean.as_str().to_string());
                        clean
                    }
                    None => id_number,
                },
                None => id_number,
            };
            let phone = match p.phone {
                Some(ph) => ph.to_string(),
                None => self.phone(),
            };
            let officers = &self.branch_staff[b][br].officers;
            let officer = if p.phone.is_some() {
                self.staff_id("officer1")
            } else {
                officers[self.rng.random_range(0..officers.len())].clone()
            };
            let row = NewCustomer {
                id: &cid,
                bank_id: &bank_id,
                branch_id: &branch_id,
                household_id: Some(&hid),
                relation_to_head: p.relation,
                name: &p.name,
                id_number: &id_number,
                phone: Some(&phone),
                occupation: &p.occupation,
                officer_id: Some(&officer),
                created_at: created + DAY_MS,
            }
            .row(&self.keys);
            self.buf.customers.push(row);
            // Every villager signed the 征信查询授权 at the village's credit
            // campaign a month ago: pre-credit may ask the bureau about them.
            let evidence = format!("整村授信授权书 {}", &cid[cid.len() - 8..]);
            let authorisation = Authorisation {
                customer_id: &cid,
                bank_id: &bank_id,
                evidence: &evidence,
                granted_on: self.today.add_days(-30),
                recorded_by: &officer,
                recorded_at: created + DAY_MS,
                source: "demo",
            }
            .row();
            self.buf.bureau_authorisations.push(authorisation);
            self.summary.customers += 1;

            let app = match p.phone {
                Some(DEMO_BORROWER_PHONE) => Some(FixedApp::Borrower),
                Some(_) => None,
                None if self.applications_made < ApplicationStatus::ALL.len() => Some(
                    FixedApp::Status(ApplicationStatus::ALL[self.applications_made]),
                ),
                None if self.portfolio => Some(FixedApp::Status(ApplicationStatus::Approved)),
                None if self.rng.random_bool(0.35) => Some(FixedApp::Random),
                None => None,
            };
            if let Some(kind) = app {
                let ctx = Applicant {
                    bank: b,
                    branch: br,
                    customer_id: cid,
                    officer_id: officer,
                    business,
                    members,
                    income_yuan,
                };
                self.application(&ctx, kind)?;
                if matches!(kind, FixedApp::Borrower) {
                    self.application(&ctx, FixedApp::OverdueBorrower)?;
                }
            }
        }
        Ok(())
    }

    fn random_status(&mut self) -> ApplicationStatus {
        match self.rng.random_range(0..100) {
            0..=24 => ApplicationStatus::Submitted,
            25..=39 => ApplicationStatus::Investigated,
            40..=74 => ApplicationStatus::Approved,
            75..=89 => ApplicationStatus::Rejected,
            _ => ApplicationStatus::Withdrawn,
        }
    }

    /// An application of `ctx`'s customer in the state `kind` asks for, with
    /// what that state implies: consent, investigation, decision, loan.
    fn application(&mut self, ctx: &Applicant, kind: FixedApp) -> Result<(), ServiceError> {
        let (status, product_index) = match kind {
            FixedApp::Borrower | FixedApp::OverdueBorrower => (ApplicationStatus::Approved, 0),
            FixedApp::Status(s) => (s, self.rng.random_range(0..3)),
            FixedApp::Random => {
                let s = self.random_status();
                let p = match self.rng.random_range(0..10) {
                    0..=5 => 0,
                    6..=8 => 1,
                    _ => 2,
                };
                (s, p)
            }
        };
        let product_id = self.products[ctx.bank][product_index].id.clone();
        let spec = self.products[ctx.bank][product_index].spec;
        let (amount, term) = match kind {
            FixedApp::Borrower => (Fen::from_yuan(50_000), 12),
            FixedApp::OverdueBorrower => (Fen::from_yuan(6_000), 6),
            _ => self.amount_and_term(spec),
        };
        // The overdue loan's value date: its second due date five days ago.
        let overdue_start = (50..80)
            .map(|k| self.today.add_days(-k))
            .find(|d| d.add_months(2) == self.today.add_days(-5))
            .unwrap_or(self.today.add_days(-66));
        let purpose = self.pick(&spec.purposes);

        // Days before today: later states need room for the steps before them.
        let submitted_ago: i64 = match (kind, status) {
            (FixedApp::Borrower, _) => 12,
            (FixedApp::OverdueBorrower, _) => overdue_start.days_until(self.today) + 6,
            (_, ApplicationStatus::Submitted) => self.rng.random_range(0..30),
            (_, ApplicationStatus::Investigated) | (_, ApplicationStatus::Withdrawn) => {
                self.rng.random_range(1..30)
            }
            _ => self.rng.random_range(2..30),
        };
        let investigated_ago = submitted_ago - self.rng.random_range(1..=submitted_ago.clamp(1, 3));
        let investigated_ago = investigated_ago.max(1);
        let decided_ago =
            (investigated_ago - self.rng.random_range(0..=(investigated_ago - 1).min(2))).max(1);

        let aid = self.id();
        let submitted_at = self.work_time(submitted_ago);
        let investigated_at = self.work_time(investigated_ago).max(submitted_at + HOUR_MS);
        let decided_at = self.work_time(decided_ago).max(investigated_at + HOUR_MS);
        let submitted_on = self.today.add_days(-submitted_ago);

        let team = &self.branch_staff[ctx.bank][ctx.branch];
        let investigator = if !team.investigators.is_empty() && self.rng.random_bool(0.3) {
            team.investigators[0].clone()
        } else {
            ctx.officer_id.clone()
        };
        let approver = if matches!(kind, FixedApp::Borrower | FixedApp::OverdueBorrower) {
            self.staff_id("approver1")
        } else {
            let approvers = &self.branch_staff[ctx.bank][ctx.branch].approvers;
            approvers[self.rng.random_range(0..approvers.len())].clone()
        };

        let investigated = matches!(
            status,
            ApplicationStatus::Investigated
                | ApplicationStatus::Approved
                | ApplicationStatus::Rejected
        );
        let decided = matches!(
            status,
            ApplicationStatus::Approved | ApplicationStatus::Rejected
        );
        let (version, updated_at, decided_col) = match status {
            ApplicationStatus::Submitted => (1, submitted_at, None),
            ApplicationStatus::Investigated => (2, investigated_at, None),
            ApplicationStatus::Withdrawn => (2, submitted_at + 2 * HOUR_MS, None),
            _ => (3, decided_at, Some(decided_at)),
        };
        let bank_id = self.banks[ctx.bank].id.clone();
        let branch_id = self.branches[ctx.bank][ctx.branch].id.clone();
        let row = NewApplicationRow {
            id: &aid,
            bank_id: &bank_id,
            branch_id: &branch_id,
            customer_id: &ctx.customer_id,
            product_id: &product_id,
            amount,
            term_months: term,
            purpose,
            status,
            officer_id: &ctx.officer_id,
            idempotency_key: &format!("demo-{aid}"),
            submitted_at,
            submitted_on,
            decided_at: decided_col,
            version,
            updated_at,
            product_version_id: None,
        }
        .row();
        self.buf.applications.push(row);
        let consent = NewConsent {
            id: &self.id(),
            customer_id: &ctx.customer_id,
            application_id: &aid,
            consent_version: crate::applications::CONSENT_VERSION,
            granted_at: submitted_at,
        }
        .row();
        self.buf.bureau_consents.push(consent);
        self.summary.applications += 1;
        self.applications_made += 1;

        if investigated {
            let recommend_reject =
                status == ApplicationStatus::Rejected && self.rng.random_bool(0.7);
            let template = if recommend_reject {
                self.pick(&FINDINGS_BAD)
            } else {
                self.pick(&FINDINGS_GOOD)
            };
            let findings = template
                .replace("{business}", ctx.business)
                .replace("{members}", &ctx.members.to_string());
            let income = ctx.income_yuan * 100;
            let assets = self.rng.random_range(50..=800) * 100_000;
            let debts = if recommend_reject {
                assets / 2
            } else {
                self.rng.random_range(0..=assets / 3)
            };
            let (recommendation, recommended) = if recommend_reject {
                (Decision::Reject, Fen::ZERO)
            } else {
                (Decision::Approve, amount)
            };
            let row = NewInvestigation {
                id: &self.id(),
                application_id: &aid,
                task_id: None,
                investigator_id: &investigator,
                visited_on: self.today.add_days(-investigated_ago),
                household_income: Fen(income),
                household_assets: Fen(assets),
                household_debts: Fen(debts),
                findings: &findings,
                recommendation,
                recommended_amount: recommended,
                created_at: investigated_at,
            }
            .row();
            self.buf.investigations.push(row);
        }
        if decided {
            let decision = if status == ApplicationStatus::Approved {
                Decision::Approve
            } else {
                Decision::Reject
            };
            let comment = match decision {
                Decision::Approve => self.pick(&APPROVE_COMMENTS),
                Decision::Reject => self.pick(&REJECT_COMMENTS),
            };
            let row = NewApproval {
                id: &self.id(),
                application_id: &aid,
                approver_id: &approver,
                decision,
                comment,
                created_at: decided_at,
            }
            .row();
            self.buf.approvals.push(row);
        }
        if status == ApplicationStatus::Approved {
            let start = if matches!(kind, FixedApp::OverdueBorrower) {
                overdue_start
            } else if self.portfolio {
                // Anywhere in its term, so some fall due on any given day.
                let span = i64::from(term) * 30;
                self.today.add_days(-self.rng.random_range(1..=span))
            } else {
                self.today.add_days(-decided_ago)
            };
            let rate = AnnualRate::from_bp(spec.rate_bp)?;
            let schedule = build_schedule(spec.method, amount, rate, term, start)?;
            let maturity = schedule.last().map_or(start, |i| i.due_date);
            let loan = NewLoan {
                id: self.id(),
                application_id: &aid,
                credit_line_id: None,
                bank_id: &bank_id,
                branch_id: &branch_id,
                customer_id: &ctx.customer_id,
                product_id: &product_id,
                principal: amount,
                rate,
                term_months: term,
                method: spec.method,
                value_date: start,
                maturity,
                schedule,
                order: AllocationOrder::default(),
            };
            self.buf.loans.push(loan.row(decided_at));
            let (lid, schedule) = (&loan.id, &loan.schedule);
            if self.portfolio || matches!(kind, FixedApp::OverdueBorrower) {
                let overdue = matches!(kind, FixedApp::OverdueBorrower).then_some(true);
                self.migrated(lid, ctx.bank, rate, schedule, start, decided_at, overdue)?;
            } else {
                for i in schedule {
                    let unpaid = ScheduledInstalment {
                        instalment: *i,
                        paid_principal: Fen::ZERO,
                        paid_interest: Fen::ZERO,
                    };
                    self.buf.loan_schedule.push(schedule_row_paid(lid, &unpaid));
                }
                self.account(lid, ctx.bank, rate, amount, schedule, start, decided_at)?;
            }
            self.summary.loans += 1;
            if matches!(kind, FixedApp::Borrower) {
                // 王建国 also holds a revolving line (授信) he can draw on.
                let line = CreditLine::grant(
                    LineKind::Revolving,
                    Fen::from_yuan(100_000),
                    &ctx.officer_id,
                    start,
                    start.add_months(24),
                )
                .map_err(|e| ServiceError::internal("demo line", e.code()))?;
                let owner = LineOwner {
                    id: &self.id(),
                    bank_id: &bank_id,
                    branch_id: &branch_id,
                    customer_id: &ctx.customer_id,
                    product_id: &product_id,
                };
                let row = NewLine {
                    owner: &owner,
                    line: &line,
                    granted_on: start,
                    created_at: decided_at,
                }
                .row();
                self.buf.credit_lines.push(row);
            }
        }
        Ok(())
    }

    /// The loan's account and ledger as of yesterday's end-of-day batch: the
    /// domain's own batch run over the days since the value date.
    #[allow(clippy::too_many_arguments)]
    fn account(
        &mut self,
        lid: &str,
        bank: usize,
        rate: AnnualRate,
        amount: Fen,
        schedule: &[domain::schedule::Instalment],
        start: Date,
        at: i64,
    ) -> Result<(), ServiceError> {
        let fail =
            |e: domain::servicing::eod::EodError| ServiceError::internal("demo loan", e.code());
        let (opened, disbursement) =
            LoanState::disburse(lid, rate, amount, schedule, start).map_err(fail)?;
        let cut_over = self.today.add_days(-1);
        let (state, mut history) =
            catch_up(&opened, cut_over, &EodRules::default()).map_err(fail)?;
        history.insert(0, disbursement);
        let bank_id = self.banks[bank].id.clone();
        let postings = if self.customers_wanted <= FULL_HISTORY_UP_TO {
            history
        } else {
            let key = IdempotencyKey::parse(&format!("{lid}:opening"))
                .map_err(|e| ServiceError::internal("demo key", e.code()))?;
            vec![Posting::opening_balance(key, cut_over, &history)
                .map_err(|e| ServiceError::internal("demo opening", e.code()))?]
        };
        for p in &postings {
            posting_rows(
                lid,
                &bank_id,
                p,
                at,
                &mut self.buf.postings,
                &mut self.buf.posting_lines,
            )?;
        }
        self.buf.loan_accounts.push(account_row(
            &bank_id,
            &state,
            next_due_after(schedule, state.last_processed),
            AllocationOrder::default(),
            at,
        ));
        Ok(())
    }

    /// A loan of the portfolio taken over with its balances as of yesterday:
    /// instalments due before today paid, except the last one for 3 % of loans;
    /// interest accrued since the last due date and penalty on the unpaid
    /// principal worked out in closed form, as the batch would have (exactly,
    /// with one overdue instalment), and one opening-balance posting.
    #[allow(clippy::too_many_arguments)]
    fn migrated(
        &mut self,
        lid: &str,
        bank: usize,
        rate: AnnualRate,
        schedule: &[domain::schedule::Instalment],
        start: Date,
        at: i64,
        overdue: Option<bool>,
    ) -> Result<(), ServiceError> {
        use domain::servicing::eod::ScheduledInstalment;
        use domain::servicing::ledger::Posting as P;
        let cut_over = self.today.add_days(-1);
        let past = schedule.iter().filter(|i| i.due_date <= cut_over).count();
        let overdue = past > 0 && overdue.unwrap_or_else(|| self.rng.random_range(0..100) < 3);
        let rules = EodRules::default();
        let bp = u128::from(rate.bp());
        let mut lines = Vec::with_capacity(schedule.len());
        let (mut not_due, mut unpaid_p, mut unpaid_i) = (Fen::ZERO, Fen::ZERO, Fen::ZERO);
        let mut oldest_unpaid = None;
        for (k, i) in schedule.iter().enumerate() {
            let paid = k < past && !(overdue && k + 1 == past);
            if k >= past {
                not_due += i.principal;
            } else if !paid {
                unpaid_p += i.principal;
                unpaid_i += i.interest;
                oldest_unpaid = Some(i.due_date);
            }
            lines.push(ScheduledInstalment {
                instalment: *i,
                paid_principal: if paid { i.principal } else { Fen::ZERO },
                paid_interest: if paid { i.interest } else { Fen::ZERO },
            });
        }
        // Nights accrued since the last due date (or the value date).
        let nights = |from: Date| u128::try_from(from.days_until(cut_over) + 1).unwrap_or(0);
        let accrual_from = if past > 0 {
            schedule[past - 1].due_date
        } else {
            start
        };
        let num = u128::from(not_due.get().unsigned_abs()) * bp * nights(accrual_from);
        let accrued = Fen(i64::try_from(num / 3_600_000).unwrap_or(0));
        let interest_carry = u64::try_from(num % 3_600_000).unwrap_or(0);
        let (penalty, penalty_carry, dpd) = match oldest_unpaid {
            Some(d) => {
                let n = u128::try_from(d.days_until(cut_over)).unwrap_or(0);
                let f = bp * u128::from(rules.penalty_multiplier_permille);
                let num = u128::from(unpaid_p.get().unsigned_abs()) * f * n;
                (
                    Fen(i64::try_from(num / 3_600_000_000).unwrap_or(0)),
                    u64::try_from(num % 3_600_000_000).unwrap_or(0),
                    u32::try_from(d.days_until(cut_over)).unwrap_or(0),
                )
            }
            None => (Fen::ZERO, 0, 0),
        };
        let classification = rules.thresholds.classify(dpd);
        let state = LoanState {
            loan_id: lid.to_string(),
            rate,
            principal_outstanding: not_due + unpaid_p,
            interest_receivable: accrued + unpaid_i,
            penalty_receivable: penalty,
            schedule: lines.clone(),
            last_processed: cut_over,
            dpd,
            classification,
            min_classification: Classification::Pass,
            status: if dpd > 0 {
                LoanStatus::Overdue
            } else {
                LoanStatus::Normal
            },
            period_accrued: accrued,
            interest_carry,
            penalty_carry,
            revolving_maturity: None,
        };
        for l in &lines {
            self.buf.loan_schedule.push(schedule_row_paid(lid, l));
        }
        let key = |kind: &str| {
            IdempotencyKey::parse(&format!("{lid}:opening:{kind}"))
                .map_err(|e| ServiceError::internal("demo key", e.code()))
        };
        let fail = |e: domain::servicing::ledger::LedgerError| {
            ServiceError::internal("demo opening", e.code())
        };
        let mut history =
            vec![P::disbursement(key("p")?, cut_over, state.principal_outstanding).map_err(fail)?];
        if state.interest_receivable > Fen::ZERO {
            history.push(
                P::interest_accrual(key("i")?, cut_over, state.interest_receivable)
                    .map_err(fail)?,
            );
        }
        if penalty > Fen::ZERO {
            history.push(P::penalty_accrual(key("f")?, cut_over, penalty).map_err(fail)?);
        }
        let opening = P::opening_balance(key("all")?, cut_over, &history).map_err(fail)?;
        let bank_id = self.banks[bank].id.clone();
        posting_rows(
            lid,
            &bank_id,
            &opening,
            at,
            &mut self.buf.postings,
            &mut self.buf.posting_lines,
        )?;
        self.buf.loan_accounts.push(account_row(
            &bank_id,
            &state,
            next_due_after(schedule, cut_over),
            AllocationOrder::default(),
            at,
        ));
        Ok(())
    }

    /// An amount in whole thousands of yuan (small ones more likely) and a
    /// usual term within the product's range (at most five years here).
    fn amount_and_term(&mut self, spec: &ProductSpec) -> (Fen, u32) {
        let u: f64 = self.rng.random();
        let span = (spec.max_yuan - spec.min_yuan) as f64;
        // Statistics, not money: the float only shapes the distribution.
        let raw = spec.min_yuan + (span * u * u) as i64;
        let thousands = ((raw + 500) / 1000 * 1000).clamp(spec.min_yuan, spec.max_yuan);
        let terms: Vec<u32> = [6, 12, 18, 24, 36, 48, 60]
            .into_iter()
            .filter(|t| (spec.min_term..=spec.max_term).contains(t))
            .collect();
        let term = if terms.is_empty() {
            spec.min_term
        } else {
            self.pick(&terms)
        };
        (Fen::from_yuan(thousands), term)
    }

    /// Writes every waiting row in one transaction, parents before children.
    async fn flush(&mut self, db: &mut AnyConnection) -> Result<(), ServiceError> {
        let buf = std::mem::take(&mut self.buf);
        let mut tx = db.begin().await?;
        let tables: [Table<'_>; 18] = [
            ("organisations", &ORGANISATION_COLUMNS, &buf.organisations),
            ("staff_users", &STAFF_COLUMNS, &buf.staff_users),
            ("staff_roles", &ROLE_COLUMNS, &buf.staff_roles),
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
            ("investigations", &INVESTIGATION_COLUMNS, &buf.investigations),
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

#[derive(Debug, Clone, Copy)]
enum FixedApp {
    /// 王建国's approved loan.
    Borrower,
    /// 王建国's older loan: 6,000 yuan over 6 months, the second instalment
    /// five days overdue (the demo's repayment and overdue case).
    OverdueBorrower,
    /// One of the first applications, which cover every status.
    Status(ApplicationStatus),
    Random,
}

struct Applicant {
    bank: usize,
    branch: usize,
    customer_id: String,
    officer_id: String,
    business: &'static str,
    members: u32,
    income_yuan: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

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
