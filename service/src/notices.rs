//! 进度通知: what the customer is told as their applications move.
//!
//! Every status change and every payout leaves a notice in the same
//! transaction as the change (`applications::status::notify`). The
//! customer reads them on the 消息 page; a sender texts each one after the
//! change commits ([`Notices::send_pending_notices`], every few seconds
//! from the server). The sender claims a row (pending → sending) before it
//! sends, so two senders never text one notice twice; a gateway that
//! cannot be reached is tried again, three times in all, a minute apart
//! and more; a row a stopped sender left claimed is marked unknown and
//! never sent again. A refusal's text names no reason: the category is on
//! the page, behind the customer's sign-in, never the approver's comment.

use_cases!(
    /// The use cases of this module, reached as `services.notices()`.
    Notices,
    notices
);

use domain::identity::Phone;
use domain::notice::{DeclineCategory, NoticeKind, NoticeSmsStatus};
use domain::view::{CustomerDecision, CustomerNotice};
use sqlx::any::AnyRow;

use crate::auth::CustomerActor;
use crate::db::Db;
use crate::error::ServiceError;
use crate::pfi::Field;
use crate::sms::SmsError;
use crate::sql;

/// Notices shown on the page, newest first.
const PAGE: i64 = 50;
/// Attempts at a text message before it is given up as failed.
pub const MAX_SMS_ATTEMPTS: i64 = 3;
/// A row claimed this long ago by a sender that never finished is unknown.
const STALE_SENDING_MS: i64 = 10 * 60_000;

/// The column `decline_category`: the category the last person who
/// refused the application (whose id is column `column` of the query's
/// `table`) gave, if any.
pub(crate) fn decline_of(table: &str, column: &str) -> String {
    format!(
        "(SELECT t.decline_category FROM flow_tasks t \
          WHERE t.application_id = {table}.{column} AND t.opinion = 'reject' \
            AND t.decline_category IS NOT NULL \
          ORDER BY t.completed_at DESC, t.id DESC LIMIT 1) AS decline_category"
    )
}

/// The rate granted: the loan's once booked, else the approval's.
const RATE_OF: &str = "COALESCE(l.annual_rate_bp, ap.annual_rate_bp) AS annual_rate_bp";

const NOTICE_JOINS: &str = "FROM customer_notices n \
     JOIN applications a ON a.id = n.application_id \
     JOIN products p ON p.id = a.product_id \
     LEFT JOIN approvals ap ON ap.application_id = a.id AND ap.decision = 'approve' \
     LEFT JOIN loans l ON l.application_id = a.id";

fn notice_columns() -> String {
    format!(
        "n.id, n.application_id, n.kind, n.visit_at, n.created_at, n.read_at, p.name_zh, \
         p.name_en, a.amount_fen, a.term_months, {RATE_OF}, {}",
        decline_of("a", "id")
    )
}

fn notice_of(r: &AnyRow) -> Result<CustomerNotice, ServiceError> {
    let kind = sql::coded(r, "kind", NoticeKind::parse)?;
    let rate = match kind {
        NoticeKind::Approved | NoticeKind::PaidOut => sql::opt_int(r, "annual_rate_bp")?
            .map(|_| sql::rate(r, "annual_rate_bp"))
            .transpose()?,
        _ => None,
    };
    let decline = match kind {
        NoticeKind::Rejected => sql::opt_text(r, "decline_category")?
            .map(|raw| {
                DeclineCategory::parse(&raw)
                    .ok_or_else(|| ServiceError::internal("decline_category", raw))
            })
            .transpose()?,
        _ => None,
    };
    Ok(CustomerNotice {
        id: sql::text(r, "id")?,
        application_id: sql::text(r, "application_id")?.into(),
        kind,
        product_name_zh: sql::text(r, "name_zh")?,
        product_name_en: sql::text(r, "name_en")?,
        amount: sql::fen(r, "amount_fen")?,
        term_months: sql::uint(r, "term_months")?,
        rate,
        decline,
        visit_at: sql::opt_int(r, "visit_at")?,
        at: sql::int(r, "created_at")?,
        read: sql::opt_int(r, "read_at")?.is_some(),
    })
}

/// The text message of a notice, in Chinese, signed like the sign-in
/// codes. A refusal's names no reason (a phone's messages are seen by
/// others): the category is on the page.
pub fn sms_body(n: &CustomerNotice) -> String {
    let product = &n.product_name_zh;
    let amount = n.amount.to_grouped_string();
    match n.kind {
        NoticeKind::Submitted => format!(
            "【普惠金融】已收到您的{product}申请，金额{amount}元。客户经理会尽快与您联系，进度可在“我的-消息”查看。"
        ),
        NoticeKind::Investigated => {
            format!("【普惠金融】您的{product}申请已完成调查，正在审批，结果会短信通知您。")
        }
        NoticeKind::Approved => {
            let rate = n
                .rate
                .map(|r| format!("，年利率{}%", r.to_percent_string()))
                .unwrap_or_default();
            format!(
                "【普惠金融】您的{product}申请已获批准：{amount}元，{}个月{rate}。请登录查看并签署借款合同。",
                n.term_months
            )
        }
        NoticeKind::Rejected => format!(
            "【普惠金融】很抱歉，您的{product}申请未获批准。原因类别和建议请登录查看，也可联系您的客户经理。"
        ),
        NoticeKind::Withdrawn => format!("【普惠金融】您的{product}申请已撤回。"),
        NoticeKind::PaidOut => format!(
            "【普惠金融】您的{product}贷款{amount}元已发放到您绑定的银行卡，请按还款计划按时还款。"
        ),
        NoticeKind::VisitConfirmed => format!(
            "【普惠金融】您的客户经理已确认于{}上门调查（{product}），请届时在家等候。",
            visit_time(n.visit_at)
        ),
        NoticeKind::VisitProposed => format!(
            "【普惠金融】您的客户经理建议改为{}上门调查（{product}），请登录确认或另选时间。",
            visit_time(n.visit_at)
        ),
    }
}

/// "12月9日 09:00", China time.
fn visit_time(at: Option<i64>) -> String {
    at.map(|ms| {
        let (date, hour) = domain::visit::slot_date_hour(ms);
        format!("{}月{}日 {hour:02}:00", date.month(), date.day())
    })
    .unwrap_or_default()
}

/// What one round of the sender did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoticeSending {
    pub sent: u32,
    /// Refused, out of attempts, or a customer with no phone.
    pub failed: u32,
    /// The gateway could not be reached: tried again later.
    pub retried: u32,
    /// Left claimed by a sender that stopped: never sent again.
    pub unknown: u32,
}

impl Notices<'_> {
    /// The customer's notices, newest first (the latest fifty).
    pub async fn my_notices(self, c: &CustomerActor) -> Result<Vec<CustomerNotice>, ServiceError> {
        let sql = format!(
            "SELECT {} {NOTICE_JOINS} WHERE n.customer_id = $1 \
             ORDER BY n.created_at DESC, n.id DESC LIMIT {PAGE}",
            notice_columns()
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&c.customer_id)
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter().map(notice_of).collect()
    }

    /// How many of the customer's notices are unread.
    pub async fn unread_notices(self, c: &CustomerActor) -> Result<u32, ServiceError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM customer_notices WHERE customer_id = $1 AND read_at IS NULL",
        )
        .bind(&c.customer_id)
        .fetch_one(&self.db.pool)
        .await?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Marks every notice the customer has read (they opened the page).
    pub async fn mark_notices_read(self, c: &CustomerActor) -> Result<(), ServiceError> {
        sqlx::query(
            "UPDATE customer_notices SET read_at = $2, version = version + 1 \
             WHERE customer_id = $1 AND read_at IS NULL",
        )
        .bind(&c.customer_id)
        .bind(self.now())
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// Texts up to `batch` waiting notices, each once (see the module).
    pub async fn send_pending_notices(self, batch: u32) -> Result<NoticeSending, ServiceError> {
        let now = self.now();
        let mut done = NoticeSending::default();
        let stale = sqlx::query(
            "UPDATE customer_notices SET sms_status = 'unknown', version = version + 1 \
             WHERE sms_status = 'sending' AND sms_at < $1",
        )
        .bind(now - STALE_SENDING_MS)
        .execute(&self.db.pool)
        .await?;
        done.unknown = u32::try_from(stale.rows_affected()).unwrap_or(u32::MAX);
        let due: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM customer_notices WHERE sms_status = 'pending' AND sms_at <= $1 \
             ORDER BY sms_at, id LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(batch))
        .fetch_all(&self.db.pool)
        .await?;
        for id in due {
            let claimed = sqlx::query(
                "UPDATE customer_notices SET sms_status = 'sending', sms_at = $2, \
                   sms_attempts = sms_attempts + 1, version = version + 1 \
                 WHERE id = $1 AND sms_status = 'pending'",
            )
            .bind(&id)
            .bind(now)
            .execute(&self.db.pool)
            .await?;
            if claimed.rows_affected() != 1 {
                continue; // another sender has it
            }
            match self.send_one(&id).await? {
                NoticeSmsStatus::Sent => done.sent += 1,
                NoticeSmsStatus::Pending => done.retried += 1,
                _ => done.failed += 1,
            }
        }
        Ok(done)
    }

    /// Sends one claimed notice and records how it went.
    async fn send_one(self, id: &str) -> Result<NoticeSmsStatus, ServiceError> {
        let sql = format!(
            "SELECT {}, n.sms_attempts, c.phone_sealed {NOTICE_JOINS} \
             JOIN customers c ON c.id = n.customer_id WHERE n.id = $1",
            notice_columns()
        );
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(&self.db.pool)
            .await?;
        let notice = notice_of(&r)?;
        let attempts = sql::int(&r, "sms_attempts")?;
        let phone = sql::opt_text(&r, "phone_sealed")?
            .filter(|s| !s.is_empty())
            .map(|sealed| self.config.pfi.open(Field::Phone, &sealed))
            .transpose()?
            .and_then(|raw| Phone::parse(&raw).ok());
        let (status, retry_at) = match phone {
            None => (NoticeSmsStatus::Failed, None),
            Some(phone) => match self.sms.send(&phone, &sms_body(&notice)).await {
                Ok(()) => (NoticeSmsStatus::Sent, None),
                Err(SmsError::Unavailable(_)) if attempts < MAX_SMS_ATTEMPTS => (
                    NoticeSmsStatus::Pending,
                    Some(self.now() + attempts * 60_000),
                ),
                Err(e) => {
                    tracing::warn!(notice = id, %e, "a notice's text message failed");
                    (NoticeSmsStatus::Failed, None)
                }
            },
        };
        sqlx::query(
            "UPDATE customer_notices SET sms_status = $2, sms_at = COALESCE($3, sms_at), \
               version = version + 1 \
             WHERE id = $1 AND sms_status = 'sending'",
        )
        .bind(id)
        .bind(status.as_str())
        .bind(retry_at)
        .execute(&self.db.pool)
        .await?;
        Ok(status)
    }
}

/// The decision on an application as its customer is told it: what was
/// granted, or the category of reason a person refused it with.
pub(crate) async fn customer_decision(
    db: &Db,
    application_id: &str,
) -> Result<Option<CustomerDecision>, ServiceError> {
    let sql = format!(
        "SELECT a.status, a.amount_fen, a.term_months, {RATE_OF}, \
           COALESCE(l.repayment_method, ap.repayment_method, a.repayment_method, \
             p.repayment_method) AS repayment_method, {} \
         FROM applications a \
         JOIN products p ON p.id = a.product_id \
         LEFT JOIN approvals ap ON ap.application_id = a.id AND ap.decision = 'approve' \
         LEFT JOIN loans l ON l.application_id = a.id \
         WHERE a.id = $1",
        decline_of("a", "id")
    );
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(application_id)
        .fetch_one(&db.pool)
        .await?;
    use domain::application::ApplicationStatus as S;
    Ok(match sql::status(&r, "status")? {
        S::Approved if sql::opt_int(&r, "annual_rate_bp")?.is_some() => {
            Some(CustomerDecision::Approved {
                amount: sql::fen(&r, "amount_fen")?,
                term_months: sql::uint(&r, "term_months")?,
                rate: sql::rate(&r, "annual_rate_bp")?,
                method: sql::method(&r, "repayment_method")?,
            })
        }
        S::Rejected => Some(CustomerDecision::Declined {
            category: sql::opt_text(&r, "decline_category")?
                .and_then(|raw| DeclineCategory::parse(&raw)),
        }),
        _ => None,
    })
}
