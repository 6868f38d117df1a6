//! 预约上门: the officer offers hours for on-site visits; the customer
//! whose application waits for its visit books one of their officer's
//! free hours; the officer confirms it or proposes another of his; the
//! customer accepts, picks another, or cancels (`domain::visit`).
//!
//! A slot is taken by a guarded update of its free row (`visit_id IS
//! NULL`) in the booking's transaction, so of two customers who pick the
//! same hour at once one gets it and the other is told it was taken; an
//! application has one live visit (a unique index), so a double tap on
//! two hours books one. Each answer of the officer's leaves the customer a
//! notice and a text message (`applications::status::notify`); the
//! customer's bookings are on the officer's workbench. Every change is in
//! the audit log.

use_cases!(
    /// The use cases of this module, reached as `services.visits()`.
    Visits,
    visits
);

use domain::application::ApplicationStatus;
use domain::date::Date;
use domain::error_code::ErrorCode;
use domain::notice::NoticeKind;
use domain::org::Role;
use domain::view::{
    CustomerVisitPanel, FreeSlot, OfficerSlot, OfficerVisits, StaffVisitView, VisitView,
};
use domain::visit::{
    check_bookable, check_new_slot, slot_start, transition, VisitAction, VisitStatus,
    CUSTOMER_DAYS_AHEAD, MIN_LEAD_MS,
};
use serde_json::json;
use sqlx::{Any, Transaction};

use crate::applications::status::notify;
use crate::audit::{self, NewAuditEntry};
use crate::auth::{CustomerActor, StaffActor};
use crate::db::new_id;
use crate::error::ServiceError;
use crate::sql;

const DAY_MS: i64 = 86_400_000;

/// The application as a visit needs it.
struct AppForVisit {
    bank_id: String,
    branch_id: String,
    customer_id: String,
    officer_id: String,
    status: ApplicationStatus,
}

/// A visit's row.
struct VisitRow {
    id: String,
    application_id: String,
    officer_id: String,
    branch_id: String,
    slot_id: String,
    starts_at: i64,
    status: VisitStatus,
    version: i64,
}

const VISIT_COLUMNS: &str = "v.id, v.application_id, v.officer_id, v.branch_id, v.slot_id, \
     v.starts_at, v.status, v.version";

fn visit_row(r: &sqlx::any::AnyRow) -> Result<VisitRow, ServiceError> {
    Ok(VisitRow {
        id: sql::text(r, "id")?,
        application_id: sql::text(r, "application_id")?,
        officer_id: sql::text(r, "officer_id")?,
        branch_id: sql::text(r, "branch_id")?,
        slot_id: sql::text(r, "slot_id")?,
        starts_at: sql::int(r, "starts_at")?,
        status: sql::coded(r, "status", VisitStatus::parse)?,
        version: sql::int(r, "version")?,
    })
}

async fn app_for_visit(
    conn: &mut sqlx::AnyConnection,
    application_id: &str,
) -> Result<AppForVisit, ServiceError> {
    let r = sqlx::query(
        "SELECT bank_id, branch_id, customer_id, officer_id, status FROM applications \
         WHERE id = $1",
    )
    .bind(application_id)
    .fetch_optional(conn)
    .await?
    .ok_or(ServiceError::NotFound)?;
    Ok(AppForVisit {
        bank_id: sql::text(&r, "bank_id")?,
        branch_id: sql::text(&r, "branch_id")?,
        customer_id: sql::text(&r, "customer_id")?,
        officer_id: sql::text(&r, "officer_id")?,
        status: sql::status(&r, "status")?,
    })
}

/// The live visit of an application.
async fn live_visit(
    conn: &mut sqlx::AnyConnection,
    application_id: &str,
) -> Result<Option<VisitRow>, ServiceError> {
    let sql = format!(
        "SELECT {VISIT_COLUMNS} FROM visits v \
         WHERE v.application_id = $1 AND v.status <> 'cancelled'"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(application_id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(visit_row)
        .transpose()
}

async fn visit_by_id(conn: &mut sqlx::AnyConnection, id: &str) -> Result<VisitRow, ServiceError> {
    let sql = format!("SELECT {VISIT_COLUMNS} FROM visits v WHERE v.id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    visit_row(&r)
}

/// Takes the officer's free slot for `visit_id`; the slot's start. A slot
/// of someone else's, or none, is `NotFound`; one starting too soon,
/// `visit_slot_too_soon`; one another visit holds, `visit_slot_taken`.
async fn take_slot(
    tx: &mut Transaction<'_, Any>,
    slot_id: &str,
    officer_id: &str,
    visit_id: &str,
    now: i64,
) -> Result<i64, ServiceError> {
    let r = sqlx::query("SELECT starts_at FROM visit_slots WHERE id = $1 AND officer_id = $2")
        .bind(slot_id)
        .bind(officer_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let starts_at = sql::int(&r, "starts_at")?;
    check_bookable(starts_at, now).map_err(ServiceError::invalid)?;
    let taken = sqlx::query(
        "UPDATE visit_slots SET visit_id = $2, version = version + 1 \
         WHERE id = $1 AND visit_id IS NULL",
    )
    .bind(slot_id)
    .bind(visit_id)
    .execute(&mut **tx)
    .await?;
    if taken.rows_affected() != 1 {
        return Err(ServiceError::invalid(ErrorCode::VisitSlotTaken));
    }
    Ok(starts_at)
}

async fn release_slot(
    tx: &mut Transaction<'_, Any>,
    slot_id: &str,
    visit_id: &str,
) -> Result<(), ServiceError> {
    sqlx::query(
        "UPDATE visit_slots SET visit_id = NULL, version = version + 1 \
         WHERE id = $1 AND visit_id = $2",
    )
    .bind(slot_id)
    .bind(visit_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Moves a visit to `to` (and `slot` when it changes hour) if nobody
/// moved it since it was read; `visit_changed` otherwise.
async fn move_visit(
    tx: &mut Transaction<'_, Any>,
    v: &VisitRow,
    to: VisitStatus,
    slot: Option<(&str, i64)>,
    now: i64,
) -> Result<(), ServiceError> {
    let (slot_id, starts_at) = slot.unwrap_or((&v.slot_id, v.starts_at));
    let moved = sqlx::query(
        "UPDATE visits SET status = $3, slot_id = $4, starts_at = $5, updated_at = $6, \
           version = version + 1 \
         WHERE id = $1 AND version = $2",
    )
    .bind(&v.id)
    .bind(v.version)
    .bind(to.as_str())
    .bind(slot_id)
    .bind(starts_at)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if moved.rows_affected() != 1 {
        return Err(ServiceError::invalid(ErrorCode::VisitChanged));
    }
    Ok(())
}

fn view_of(v: &VisitRow, officer_name: String) -> VisitView {
    VisitView {
        id: v.id.clone(),
        application_id: v.application_id.clone().into(),
        starts_at: v.starts_at,
        status: v.status,
        version: v.version,
        officer_name,
    }
}

impl Visits<'_> {
    // ---- the officer

    /// The officer's visits to answer or still to come, and their hours
    /// from today on.
    pub async fn my_visit_schedule(self, s: &StaffActor) -> Result<OfficerVisits, ServiceError> {
        if !s.has(Role::Officer) {
            return Err(ServiceError::Forbidden);
        }
        let since = self.now() - DAY_MS;
        let rows = sqlx::query(
            "SELECT v.id, v.application_id, v.starts_at, v.status, v.version, \
                    c.name AS customer_name, p.name_zh, p.name_en \
             FROM visits v \
             JOIN applications a ON a.id = v.application_id \
             JOIN customers c ON c.id = v.customer_id \
             JOIN products p ON p.id = a.product_id \
             WHERE v.officer_id = $1 AND v.status <> 'cancelled' AND v.starts_at >= $2 \
             ORDER BY CASE v.status WHEN 'requested' THEN 0 ELSE 1 END, v.starts_at, v.id",
        )
        .bind(&s.user_id)
        .bind(since)
        .fetch_all(&self.db.pool)
        .await?;
        let visits = rows
            .iter()
            .map(|r| {
                Ok(StaffVisitView {
                    id: sql::text(r, "id")?,
                    application_id: sql::text(r, "application_id")?.into(),
                    customer_name: sql::text(r, "customer_name")?,
                    product_name_zh: sql::text(r, "name_zh")?,
                    product_name_en: sql::text(r, "name_en")?,
                    starts_at: sql::int(r, "starts_at")?,
                    status: sql::coded(r, "status", VisitStatus::parse)?,
                    version: sql::int(r, "version")?,
                })
            })
            .collect::<Result<Vec<_>, ServiceError>>()?;
        let rows = sqlx::query(
            "SELECT s.id, s.starts_at, c.name AS booked_by FROM visit_slots s \
             LEFT JOIN visits v ON v.id = s.visit_id \
             LEFT JOIN customers c ON c.id = v.customer_id \
             WHERE s.officer_id = $1 AND s.starts_at >= $2 \
             ORDER BY s.starts_at",
        )
        .bind(&s.user_id)
        .bind(self.now())
        .fetch_all(&self.db.pool)
        .await?;
        let slots = rows
            .iter()
            .map(|r| {
                Ok(OfficerSlot {
                    id: sql::text(r, "id")?,
                    starts_at: sql::int(r, "starts_at")?,
                    booked_by: sql::opt_text(r, "booked_by")?,
                })
            })
            .collect::<Result<Vec<_>, ServiceError>>()?;
        Ok(OfficerVisits { visits, slots })
    }

    /// Offers the officer's hours on `date` (China time); hours already
    /// offered are kept as they are. The number added.
    pub async fn add_visit_slots(
        self,
        s: &StaffActor,
        date: Date,
        hours: &[u8],
    ) -> Result<u32, ServiceError> {
        if !s.has(Role::Officer) {
            return Err(ServiceError::Forbidden);
        }
        let bank_id = s.bank_id.clone().ok_or(ServiceError::Forbidden)?;
        let now = self.now();
        let mut starts = Vec::new();
        for &h in hours.iter().take(24) {
            let start = slot_start(date, h).map_err(ServiceError::invalid)?;
            check_new_slot(start, now).map_err(ServiceError::invalid)?;
            if !starts.contains(&start) {
                starts.push(start);
            }
        }
        if starts.is_empty() {
            return Err(ServiceError::invalid(ErrorCode::VisitSlotInvalid));
        }
        let mut tx = self.db.begin_write().await?;
        let mut added = 0u32;
        for start in &starts {
            let done = sqlx::query(
                "INSERT INTO visit_slots (id, bank_id, officer_id, starts_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (officer_id, starts_at) DO NOTHING",
            )
            .bind(new_id())
            .bind(&bank_id)
            .bind(&s.user_id)
            .bind(start)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            added += u32::try_from(done.rows_affected()).unwrap_or(0);
        }
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "visit_slots.added", "staff_user", &s.user_id).after(
                json!({
                    "date": date.to_string(),
                    "hours": hours,
                    "added": added,
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Withdraws one of the officer's free hours; a booked one stays
    /// (`visit_slot_taken`: answer the visit instead).
    pub async fn withdraw_visit_slot(
        self,
        s: &StaffActor,
        slot_id: &str,
    ) -> Result<(), ServiceError> {
        if !s.has(Role::Officer) {
            return Err(ServiceError::Forbidden);
        }
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let gone = sqlx::query(
            "DELETE FROM visit_slots WHERE id = $1 AND officer_id = $2 AND visit_id IS NULL",
        )
        .bind(slot_id)
        .bind(&s.user_id)
        .execute(&mut *tx)
        .await?;
        if gone.rows_affected() != 1 {
            let mine: Option<i64> = sqlx::query_scalar(
                "SELECT starts_at FROM visit_slots WHERE id = $1 AND officer_id = $2",
            )
            .bind(slot_id)
            .bind(&s.user_id)
            .fetch_optional(&mut *tx)
            .await?;
            return Err(match mine {
                Some(_) => ServiceError::invalid(ErrorCode::VisitSlotTaken),
                None => ServiceError::NotFound,
            });
        }
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "visit_slot.withdrawn", "visit_slot", slot_id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Confirms the time the customer booked; the customer is told.
    pub async fn confirm_visit(
        self,
        s: &StaffActor,
        visit_id: &str,
        version: i64,
    ) -> Result<(), ServiceError> {
        self.officer_answers(s, visit_id, version, None).await
    }

    /// Proposes another of the officer's free hours; the customer is told
    /// and accepts or picks another.
    pub async fn propose_visit(
        self,
        s: &StaffActor,
        visit_id: &str,
        version: i64,
        slot_id: &str,
    ) -> Result<(), ServiceError> {
        self.officer_answers(s, visit_id, version, Some(slot_id))
            .await
    }

    /// The officer's answer to their visit as they last read it
    /// (`version`): the time confirmed, or `slot` proposed instead.
    async fn officer_answers(
        self,
        s: &StaffActor,
        visit_id: &str,
        version: i64,
        slot: Option<&str>,
    ) -> Result<(), ServiceError> {
        if !s.has(Role::Officer) {
            return Err(ServiceError::Forbidden);
        }
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let v = visit_by_id(&mut tx, visit_id).await?;
        if v.officer_id != s.user_id {
            return Err(ServiceError::Forbidden);
        }
        if v.version != version {
            return Err(ServiceError::invalid(ErrorCode::VisitChanged));
        }
        let action = match slot {
            None => VisitAction::OfficerConfirms,
            Some(_) => VisitAction::OfficerProposes,
        };
        let to = transition(v.status, action).map_err(ServiceError::invalid)?;
        let (starts_at, kind, what) = match slot {
            None => {
                move_visit(&mut tx, &v, to, None, now).await?;
                (v.starts_at, NoticeKind::VisitConfirmed, "visit.confirmed")
            }
            Some(slot_id) => {
                if slot_id == v.slot_id {
                    return Err(ServiceError::invalid(ErrorCode::VisitSlotTaken));
                }
                let starts_at = take_slot(&mut tx, slot_id, &s.user_id, &v.id, now).await?;
                release_slot(&mut tx, &v.slot_id, &v.id).await?;
                move_visit(&mut tx, &v, to, Some((slot_id, starts_at)), now).await?;
                (starts_at, NoticeKind::VisitProposed, "visit.proposed")
            }
        };
        notify(&mut tx, &v.application_id, kind, Some(starts_at), now).await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, what, "application", &v.application_id)
                .org(v.branch_id.clone())
                .before(json!({ "starts_at": v.starts_at }))
                .after(json!({ "visit": v.id, "starts_at": starts_at })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- the customer

    /// The visit card of the customer's application: the visit booked,
    /// and the officer's free hours in the next two weeks.
    pub async fn visit_panel(
        self,
        c: &CustomerActor,
        application_id: &str,
    ) -> Result<CustomerVisitPanel, ServiceError> {
        let mut conn = self.db.pool.acquire().await?;
        let app = app_for_visit(&mut conn, application_id).await?;
        if app.customer_id != c.customer_id {
            return Err(ServiceError::NotFound);
        }
        let visit = match live_visit(&mut conn, application_id).await? {
            Some(v) => {
                let name: String =
                    sqlx::query_scalar("SELECT display_name FROM staff_users WHERE id = $1")
                        .bind(&v.officer_id)
                        .fetch_one(&mut *conn)
                        .await?;
                Some(view_of(&v, name))
            }
            None => None,
        };
        let open = app.status == ApplicationStatus::Submitted;
        let slots = if open {
            let now = self.now();
            let rows = sqlx::query(
                "SELECT id, starts_at FROM visit_slots \
                 WHERE officer_id = $1 AND visit_id IS NULL AND starts_at >= $2 \
                   AND starts_at < $3 ORDER BY starts_at",
            )
            .bind(&app.officer_id)
            .bind(now + MIN_LEAD_MS)
            .bind(now + CUSTOMER_DAYS_AHEAD * DAY_MS)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(FreeSlot {
                        id: sql::text(r, "id")?,
                        starts_at: sql::int(r, "starts_at")?,
                    })
                })
                .collect::<Result<Vec<_>, ServiceError>>()?
        } else {
            Vec::new()
        };
        Ok(CustomerVisitPanel { visit, slots, open })
    }

    /// Books one of the officer's free hours for the application (or moves
    /// the booking to it); the officer answers on their workbench.
    pub async fn book_visit(
        self,
        c: &CustomerActor,
        application_id: &str,
        slot_id: &str,
    ) -> Result<(), ServiceError> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let app = app_for_visit(&mut tx, application_id).await?;
        if app.customer_id != c.customer_id {
            return Err(ServiceError::NotFound);
        }
        if app.status != ApplicationStatus::Submitted {
            return Err(ServiceError::invalid(ErrorCode::VisitNotOpen));
        }
        let before = live_visit(&mut tx, application_id).await?;
        let visit_id = before.as_ref().map_or_else(new_id, |v| v.id.clone());
        if let Some(v) = &before {
            if v.slot_id == slot_id {
                return Ok(()); // a second tap on the hour already booked
            }
            transition(v.status, VisitAction::CustomerRebooks).map_err(ServiceError::invalid)?;
        }
        let starts_at = take_slot(&mut tx, slot_id, &app.officer_id, &visit_id, now).await?;
        match &before {
            Some(v) => {
                release_slot(&mut tx, &v.slot_id, &v.id).await?;
                move_visit(
                    &mut tx,
                    v,
                    VisitStatus::Requested,
                    Some((slot_id, starts_at)),
                    now,
                )
                .await?;
            }
            None => {
                let inserted = sqlx::query(
                    "INSERT INTO visits (id, bank_id, branch_id, application_id, customer_id, \
                       officer_id, slot_id, starts_at, status, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'requested', $9, $9)",
                )
                .bind(&visit_id)
                .bind(&app.bank_id)
                .bind(&app.branch_id)
                .bind(application_id)
                .bind(&c.customer_id)
                .bind(&app.officer_id)
                .bind(slot_id)
                .bind(starts_at)
                .bind(now)
                .execute(&mut *tx)
                .await;
                // A second tap on another hour at the same moment: the
                // application's one live visit is the first one's.
                match inserted {
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                        return Err(ServiceError::invalid(ErrorCode::VisitChanged));
                    }
                    other => {
                        other?;
                    }
                }
            }
        }
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::customer(c, now, "visit.requested", "application", application_id)
                .org(app.branch_id.clone())
                .before(json!({ "starts_at": before.as_ref().map(|v| v.starts_at) }))
                .after(json!({ "visit": visit_id, "starts_at": starts_at })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The customer accepts the time the officer proposed.
    pub async fn accept_visit(
        self,
        c: &CustomerActor,
        application_id: &str,
        version: i64,
    ) -> Result<(), ServiceError> {
        self.customer_answers(c, application_id, version, VisitAction::CustomerAccepts)
            .await
    }

    /// The customer cancels the visit; the hour is free again.
    pub async fn cancel_visit(
        self,
        c: &CustomerActor,
        application_id: &str,
        version: i64,
    ) -> Result<(), ServiceError> {
        self.customer_answers(c, application_id, version, VisitAction::Cancel)
            .await
    }

    async fn customer_answers(
        self,
        c: &CustomerActor,
        application_id: &str,
        version: i64,
        action: VisitAction,
    ) -> Result<(), ServiceError> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let app = app_for_visit(&mut tx, application_id).await?;
        if app.customer_id != c.customer_id {
            return Err(ServiceError::NotFound);
        }
        let v = live_visit(&mut tx, application_id)
            .await?
            .ok_or(ServiceError::invalid(ErrorCode::VisitChanged))?;
        if v.version != version {
            return Err(ServiceError::invalid(ErrorCode::VisitChanged));
        }
        let to = transition(v.status, action).map_err(ServiceError::invalid)?;
        if to == VisitStatus::Cancelled {
            release_slot(&mut tx, &v.slot_id, &v.id).await?;
        }
        move_visit(&mut tx, &v, to, None, now).await?;
        let what = match to {
            VisitStatus::Cancelled => "visit.cancelled",
            _ => "visit.accepted",
        };
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::customer(c, now, what, "application", application_id)
                .org(app.branch_id.clone())
                .after(json!({ "visit": v.id, "starts_at": v.starts_at })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
