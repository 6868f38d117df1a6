//! Credit lines (授信额度) and their use (用信): a granted limit, what is drawn
//! against it, and the pure transitions between states. Each operation takes the
//! line by reference and returns the new line or a typed error; a refused operation
//! changes nothing.
//!
//! Two amounts are kept apart: `used` is what counts against the limit, `outstanding`
//! is what the customer owes on the line. On a revolving line (循环额度) a
//! repayment lowers both, so the amount becomes available again; on a one-off line
//! it lowers only `outstanding`. Invariants, checked by a property test over random
//! operation sequences: `0 ≤ outstanding ≤ used ≤ limit`, so the available amount is
//! never negative.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::date::Date;
use crate::error_code::ErrorCode;
use crate::money::Fen;

/// State of a credit line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    /// 正常: can be drawn.
    Active,
    /// 冻结: no drawdown until unfrozen (e.g. an early warning).
    Frozen,
    /// 注销: closed for good.
    Cancelled,
    /// 到期: past its expiry date.
    Expired,
}

impl LineStatus {
    pub const ALL: [Self; 4] = [Self::Active, Self::Frozen, Self::Cancelled, Self::Expired];

    pub fn parse(s: &str) -> Option<LineStatus> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Frozen => "frozen",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }
}

/// Whether repaid amounts can be drawn again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// 循环额度: a repayment restores availability.
    Revolving,
    /// 一次性额度: drawn amounts stay used.
    OneOff,
}

impl LineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revolving => "revolving",
            Self::OneOff => "one_off",
        }
    }

    pub fn parse(s: &str) -> Option<LineKind> {
        [Self::Revolving, Self::OneOff]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A granted credit line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditLine {
    pub kind: LineKind,
    pub limit: Fen,
    /// Amount counted against the limit.
    pub used: Fen,
    /// Amount owed on the line.
    pub outstanding: Fen,
    pub status: LineStatus,
    /// The account officer who manages the line (管户).
    pub officer_id: String,
    /// Last day on which it can be drawn.
    pub expires_on: Date,
}

/// Why an operation on a credit line was refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum CreditLineError {
    #[error("the amount must be positive")]
    AmountNotPositive,
    #[error("the limit must be positive")]
    LimitNotPositive,
    #[error("an account officer is required")]
    OfficerMissing,
    #[error("the expiry date must be after the grant date")]
    ExpiryNotAfterGrant,
    #[error("the line is frozen")]
    Frozen,
    #[error("the line is cancelled")]
    Cancelled,
    #[error("the line has expired")]
    Expired,
    #[error("the line is not frozen")]
    NotFrozen,
    #[error("only {available} is available")]
    InsufficientAvailable { available: Fen },
    #[error("the repayment exceeds the {outstanding} outstanding")]
    RepaymentExceedsOutstanding { outstanding: Fen },
    #[error("the limit cannot be below the {used} used")]
    LimitBelowUsed { used: Fen },
    #[error("the line is already managed by this officer")]
    SameOfficer,
    #[error("{outstanding} is still outstanding")]
    OutstandingBalance { outstanding: Fen },
    #[error("the line does not expire before {expires_on}")]
    NotYetExpired { expires_on: Date },
}

impl CreditLineError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::AmountNotPositive => ErrorCode::CreditLineAmountNotPositive,
            Self::LimitNotPositive => ErrorCode::CreditLineLimitNotPositive,
            Self::OfficerMissing => ErrorCode::CreditLineOfficerMissing,
            Self::ExpiryNotAfterGrant => ErrorCode::CreditLineExpiryNotAfterGrant,
            Self::Frozen => ErrorCode::CreditLineFrozen,
            Self::Cancelled => ErrorCode::CreditLineCancelled,
            Self::Expired => ErrorCode::CreditLineExpired,
            Self::NotFrozen => ErrorCode::CreditLineNotFrozen,
            Self::InsufficientAvailable { .. } => ErrorCode::CreditLineInsufficientAvailable,
            Self::RepaymentExceedsOutstanding { .. } => {
                ErrorCode::CreditLineRepaymentExceedsOutstanding
            }
            Self::LimitBelowUsed { .. } => ErrorCode::CreditLineLimitBelowUsed,
            Self::SameOfficer => ErrorCode::CreditLineSameOfficer,
            Self::OutstandingBalance { .. } => ErrorCode::CreditLineOutstandingBalance,
            Self::NotYetExpired { .. } => ErrorCode::CreditLineNotYetExpired,
        }
    }
}

fn positive(amount: Fen) -> Result<Fen, CreditLineError> {
    if amount.get() > 0 {
        Ok(amount)
    } else {
        Err(CreditLineError::AmountNotPositive)
    }
}

fn officer(id: &str) -> Result<String, CreditLineError> {
    let id = id.trim();
    if id.is_empty() {
        Err(CreditLineError::OfficerMissing)
    } else {
        Ok(id.to_owned())
    }
}

impl CreditLine {
    /// 授信: a new active line with nothing used.
    pub fn grant(
        kind: LineKind,
        limit: Fen,
        officer_id: &str,
        granted_on: Date,
        expires_on: Date,
    ) -> Result<CreditLine, CreditLineError> {
        if limit.get() <= 0 {
            return Err(CreditLineError::LimitNotPositive);
        }
        if expires_on <= granted_on {
            return Err(CreditLineError::ExpiryNotAfterGrant);
        }
        Ok(CreditLine {
            kind,
            limit,
            used: Fen::ZERO,
            outstanding: Fen::ZERO,
            status: LineStatus::Active,
            officer_id: officer(officer_id)?,
            expires_on,
        })
    }

    /// `limit − used`; never negative while the invariants hold.
    pub fn available(&self) -> Fen {
        self.limit - self.used
    }

    /// The error for an operation that needs a line that is not closed.
    fn closed_error(&self) -> Option<CreditLineError> {
        match self.status {
            LineStatus::Cancelled => Some(CreditLineError::Cancelled),
            LineStatus::Expired => Some(CreditLineError::Expired),
            LineStatus::Active | LineStatus::Frozen => None,
        }
    }

    /// 用信: draws `amount` on `on`. Refused unless the line is active, `on` is not
    /// after the expiry date and the amount is available.
    pub fn drawdown(&self, amount: Fen, on: Date) -> Result<CreditLine, CreditLineError> {
        positive(amount)?;
        if let Some(e) = self.closed_error() {
            return Err(e);
        }
        if self.status == LineStatus::Frozen {
            return Err(CreditLineError::Frozen);
        }
        if on > self.expires_on {
            return Err(CreditLineError::Expired);
        }
        if amount > self.available() {
            return Err(CreditLineError::InsufficientAvailable {
                available: self.available(),
            });
        }
        Ok(CreditLine {
            used: self.used + amount,
            outstanding: self.outstanding + amount,
            ..self.clone()
        })
    }

    /// Repays `amount` of what is outstanding, in any state (a frozen or expired line
    /// is still repaid). Restores availability on revolving lines only.
    pub fn repay(&self, amount: Fen) -> Result<CreditLine, CreditLineError> {
        positive(amount)?;
        if amount > self.outstanding {
            return Err(CreditLineError::RepaymentExceedsOutstanding {
                outstanding: self.outstanding,
            });
        }
        let used = match self.kind {
            LineKind::Revolving => self.used - amount,
            LineKind::OneOff => self.used,
        };
        Ok(CreditLine {
            used,
            outstanding: self.outstanding - amount,
            ..self.clone()
        })
    }

    /// 冻结: only an active line.
    pub fn freeze(&self) -> Result<CreditLine, CreditLineError> {
        if let Some(e) = self.closed_error() {
            return Err(e);
        }
        if self.status == LineStatus::Frozen {
            return Err(CreditLineError::Frozen);
        }
        Ok(CreditLine {
            status: LineStatus::Frozen,
            ..self.clone()
        })
    }

    /// 解冻: only a frozen line.
    pub fn unfreeze(&self) -> Result<CreditLine, CreditLineError> {
        if let Some(e) = self.closed_error() {
            return Err(e);
        }
        if self.status != LineStatus::Frozen {
            return Err(CreditLineError::NotFrozen);
        }
        Ok(CreditLine {
            status: LineStatus::Active,
            ..self.clone()
        })
    }

    /// 额度调整: a new positive limit, never below what is used. Allowed on active
    /// and frozen lines (lowering a frozen line's limit is a common risk measure).
    pub fn adjust_limit(&self, new_limit: Fen) -> Result<CreditLine, CreditLineError> {
        if new_limit.get() <= 0 {
            return Err(CreditLineError::LimitNotPositive);
        }
        if let Some(e) = self.closed_error() {
            return Err(e);
        }
        if new_limit < self.used {
            return Err(CreditLineError::LimitBelowUsed { used: self.used });
        }
        Ok(CreditLine {
            limit: new_limit,
            ..self.clone()
        })
    }

    /// 移交: hands the line to another officer. Allowed unless cancelled: an expired
    /// line may still have loans to look after.
    pub fn transfer(&self, to_officer: &str) -> Result<CreditLine, CreditLineError> {
        if self.status == LineStatus::Cancelled {
            return Err(CreditLineError::Cancelled);
        }
        let to = officer(to_officer)?;
        if to == self.officer_id {
            return Err(CreditLineError::SameOfficer);
        }
        Ok(CreditLine {
            officer_id: to,
            ..self.clone()
        })
    }

    /// 注销: only when nothing is owed (on a revolving line that is `used == 0`; a
    /// fully repaid one-off line keeps its `used` but can be cancelled).
    pub fn cancel(&self) -> Result<CreditLine, CreditLineError> {
        if self.status == LineStatus::Cancelled {
            return Err(CreditLineError::Cancelled);
        }
        if self.outstanding != Fen::ZERO {
            return Err(CreditLineError::OutstandingBalance {
                outstanding: self.outstanding,
            });
        }
        Ok(CreditLine {
            status: LineStatus::Cancelled,
            ..self.clone()
        })
    }

    /// 到期: on a business date after the expiry date, an active or frozen line
    /// becomes expired (what is owed stays owed).
    pub fn expire(&self, on: Date) -> Result<CreditLine, CreditLineError> {
        if let Some(e) = self.closed_error() {
            return Err(e);
        }
        if on <= self.expires_on {
            return Err(CreditLineError::NotYetExpired {
                expires_on: self.expires_on,
            });
        }
        Ok(CreditLine {
            status: LineStatus::Expired,
            ..self.clone()
        })
    }

    /// 续期 (续授信): on a business date after the expiry date, an active line
    /// runs on for another term of [`renewal_months`] with `new_limit`. A
    /// frozen line is not renewed (it expires), nor one whose new limit is
    /// below what is drawn on it.
    pub fn renew(
        &self,
        new_limit: Fen,
        granted_on: Date,
        on: Date,
    ) -> Result<(CreditLine, Date), CreditLineError> {
        if let Some(e) = self.closed_error() {
            return Err(e);
        }
        if self.status == LineStatus::Frozen {
            return Err(CreditLineError::Frozen);
        }
        if on <= self.expires_on {
            return Err(CreditLineError::NotYetExpired {
                expires_on: self.expires_on,
            });
        }
        let line = self.adjust_limit(new_limit)?;
        let expires_on = self
            .expires_on
            .add_months(renewal_months(granted_on, self.expires_on));
        Ok((CreditLine { expires_on, ..line }, self.expires_on))
    }
}

crate::coded_enum! {
    /// What the end-of-day batch decided for a line at its expiry (续授信).
    pub enum RenewalOutcome {
        /// 续期: runs on for another term, with the limit the rule set gave.
        Renewed => "renewed",
        /// 转人工: the rule set asks an officer; the line expires.
        Referred => "referred",
        /// 不予续期: the line expires.
        Declined => "declined",
    }
}

/// The term of a renewed line: as long as the term it ends, in whole months
/// (1 to 60), so a one-year line renews for a year.
pub fn renewal_months(granted_on: Date, expires_on: Date) -> u32 {
    let months = (expires_on.year() - granted_on.year()) * 12 + i32::from(expires_on.month())
        - i32::from(granted_on.month())
        - i32::from(expires_on.day() < granted_on.day());
    u32::try_from(months.clamp(1, 60)).unwrap_or(1)
}

/// The limit a renewal gives: the rule set's factor (per cent of the
/// current limit; the current limit when it gives none), within the rule
/// set's cap and the product's maximum, rounded down to whole thousands of
/// yuan and never below what is drawn. `None` when that leaves nothing.
pub fn renewal_limit(
    current: Fen,
    used: Fen,
    factor_pct: Option<u32>,
    cap: Option<Fen>,
    product_max: Fen,
) -> Option<Fen> {
    let factor = i128::from(factor_pct.unwrap_or(100));
    let scaled = i64::try_from(i128::from(current.get()) * factor / 100).unwrap_or(i64::MAX);
    let mut limit = scaled.min(product_max.get());
    if let Some(c) = cap {
        limit = limit.min(c.get());
    }
    let thousand_yuan = 100_000;
    limit = limit / thousand_yuan * thousand_yuan;
    let limit = Fen(limit).max(used);
    (limit > Fen::ZERO).then_some(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renewal_runs_on_for_the_same_term_with_the_new_limit() {
        let granted = Date::new(2025, 12, 7).unwrap();
        let expires = Date::new(2026, 12, 6).unwrap();
        let line = CreditLine::grant(
            LineKind::Revolving,
            Fen::from_yuan(100_000),
            "o1",
            granted,
            expires,
        )
        .unwrap()
        .drawdown(Fen::from_yuan(30_000), granted)
        .unwrap();
        assert_eq!(renewal_months(granted, expires), 11);
        assert_eq!(renewal_months(granted, Date::new(2026, 12, 7).unwrap()), 12);
        let on = Date::new(2026, 12, 7).unwrap();
        let (renewed, from) = line.renew(Fen::from_yuan(120_000), granted, on).unwrap();
        assert_eq!(from, expires);
        assert_eq!(renewed.limit, Fen::from_yuan(120_000));
        assert_eq!(renewed.used, Fen::from_yuan(30_000));
        assert_eq!(renewed.expires_on, Date::new(2027, 11, 6).unwrap());
        // Not before the expiry, not when frozen, not below what is used.
        assert!(matches!(
            line.renew(Fen::from_yuan(120_000), granted, expires),
            Err(CreditLineError::NotYetExpired { .. })
        ));
        let frozen = line.freeze().unwrap();
        assert_eq!(
            frozen.renew(Fen::from_yuan(1), granted, on),
            Err(CreditLineError::Frozen)
        );
        assert!(matches!(
            line.renew(Fen::from_yuan(20_000), granted, on),
            Err(CreditLineError::LimitBelowUsed { .. })
        ));
    }

    #[test]
    fn the_renewal_limit_is_the_factor_within_the_caps_in_thousands() {
        let max = Fen::from_yuan(300_000);
        let cur = Fen::from_yuan(100_000);
        assert_eq!(
            renewal_limit(cur, Fen::ZERO, Some(120), None, max),
            Some(Fen::from_yuan(120_000))
        );
        assert_eq!(renewal_limit(cur, Fen::ZERO, None, None, max), Some(cur));
        assert_eq!(
            renewal_limit(Fen::from_yuan(280_000), Fen::ZERO, Some(120), None, max),
            Some(max)
        );
        assert_eq!(
            renewal_limit(
                cur,
                Fen::ZERO,
                Some(120),
                Some(Fen::from_yuan(110_500)),
                max
            ),
            Some(Fen::from_yuan(110_000))
        );
        assert_eq!(
            renewal_limit(Fen::from_yuan(55_555), Fen::ZERO, Some(80), None, max),
            Some(Fen::from_yuan(44_000))
        );
        assert_eq!(
            renewal_limit(cur, Fen::from_yuan(90_000), Some(80), None, max),
            Some(Fen::from_yuan(90_000))
        );
        assert_eq!(renewal_limit(cur, Fen::ZERO, Some(0), None, max), None);
    }
    use proptest::prelude::*;
    use rstest::rstest;

    fn date(s: &str) -> Date {
        Date::parse(s).unwrap_or(Date::EPOCH)
    }

    fn line(kind: LineKind) -> CreditLine {
        CreditLine::grant(
            kind,
            Fen::from_yuan(100_000),
            "officer-1",
            date("2025-01-01"),
            date("2026-01-01"),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn ok(r: Result<CreditLine, CreditLineError>) -> CreditLine {
        r.unwrap_or_else(|e| panic!("{e}"))
    }

    const ON: &str = "2025-06-01";

    #[rstest]
    #[case(Fen(0), "o", "2026-01-01", CreditLineError::LimitNotPositive)]
    #[case(Fen(-1), "o", "2026-01-01", CreditLineError::LimitNotPositive)]
    #[case(Fen(100), "  ", "2026-01-01", CreditLineError::OfficerMissing)]
    #[case(Fen(100), "o", "2025-01-01", CreditLineError::ExpiryNotAfterGrant)]
    fn grant_refuses(
        #[case] limit: Fen,
        #[case] officer: &str,
        #[case] expires: &str,
        #[case] err: CreditLineError,
    ) {
        let r = CreditLine::grant(
            LineKind::Revolving,
            limit,
            officer,
            date("2025-01-01"),
            date(expires),
        );
        assert_eq!(r, Err(err));
    }

    #[test]
    fn revolving_repayment_restores_availability() {
        let l = ok(line(LineKind::Revolving).drawdown(Fen::from_yuan(60_000), date(ON)));
        assert_eq!(l.available(), Fen::from_yuan(40_000));
        let l = ok(l.repay(Fen::from_yuan(10_000)));
        assert_eq!(
            (l.used, l.outstanding),
            (Fen::from_yuan(50_000), Fen::from_yuan(50_000))
        );
        assert_eq!(l.available(), Fen::from_yuan(50_000));
    }

    #[test]
    fn one_off_repayment_does_not() {
        let l = ok(line(LineKind::OneOff).drawdown(Fen::from_yuan(60_000), date(ON)));
        let l = ok(l.repay(Fen::from_yuan(60_000)));
        assert_eq!((l.used, l.outstanding), (Fen::from_yuan(60_000), Fen::ZERO));
        assert_eq!(l.available(), Fen::from_yuan(40_000));
        // Nothing is owed, so it can be cancelled although `used` stays.
        assert_eq!(ok(l.cancel()).status, LineStatus::Cancelled);
    }

    #[rstest]
    #[case::frozen(LineStatus::Frozen, 1, ON, CreditLineError::Frozen)]
    #[case::cancelled(LineStatus::Cancelled, 1, ON, CreditLineError::Cancelled)]
    #[case::expired(LineStatus::Expired, 1, ON, CreditLineError::Expired)]
    #[case::past_expiry(LineStatus::Active, 1, "2026-01-02", CreditLineError::Expired)]
    #[case::zero(LineStatus::Active, 0, ON, CreditLineError::AmountNotPositive)]
    #[case::too_much(
        LineStatus::Active,
        10_000_001,
        ON,
        CreditLineError::InsufficientAvailable { available: Fen(10_000_000) }
    )]
    fn drawdown_refuses(
        #[case] status: LineStatus,
        #[case] amount: i64,
        #[case] on: &str,
        #[case] err: CreditLineError,
    ) {
        let l = CreditLine {
            status,
            ..line(LineKind::Revolving)
        };
        assert_eq!(l.drawdown(Fen(amount), date(on)), Err(err));
    }

    #[test]
    fn drawdown_on_the_expiry_date_is_allowed() {
        let l = ok(line(LineKind::Revolving).drawdown(Fen(1), date("2026-01-01")));
        assert_eq!(l.used, Fen(1));
    }

    #[test]
    fn freeze_unfreeze_cycle() {
        let l = line(LineKind::Revolving);
        let f = ok(l.freeze());
        assert_eq!(f.status, LineStatus::Frozen);
        assert_eq!(f.freeze(), Err(CreditLineError::Frozen));
        assert_eq!(l.unfreeze(), Err(CreditLineError::NotFrozen));
        assert_eq!(ok(f.unfreeze()), l);
        // A frozen line is still repaid and its limit can be lowered.
        let drawn = ok(ok(l.drawdown(Fen(500), date(ON))).freeze());
        assert_eq!(ok(drawn.repay(Fen(200))).outstanding, Fen(300));
        assert_eq!(ok(drawn.adjust_limit(Fen(500))).limit, Fen(500));
    }

    #[test]
    fn limit_cannot_go_below_used() {
        let l = ok(line(LineKind::Revolving).drawdown(Fen(500), date(ON)));
        assert_eq!(
            l.adjust_limit(Fen(499)),
            Err(CreditLineError::LimitBelowUsed { used: Fen(500) })
        );
        assert_eq!(
            l.adjust_limit(Fen(0)),
            Err(CreditLineError::LimitNotPositive)
        );
        assert_eq!(ok(l.adjust_limit(Fen(500))).available(), Fen::ZERO);
    }

    #[test]
    fn transfer_and_cancel() {
        let l = line(LineKind::Revolving);
        assert_eq!(ok(l.transfer(" officer-2 ")).officer_id, "officer-2");
        assert_eq!(l.transfer("officer-1"), Err(CreditLineError::SameOfficer));
        assert_eq!(l.transfer(""), Err(CreditLineError::OfficerMissing));
        let drawn = ok(l.drawdown(Fen(1), date(ON)));
        assert_eq!(
            drawn.cancel(),
            Err(CreditLineError::OutstandingBalance {
                outstanding: Fen(1)
            })
        );
        let c = ok(l.cancel());
        assert_eq!(c.cancel(), Err(CreditLineError::Cancelled));
        assert_eq!(c.transfer("officer-2"), Err(CreditLineError::Cancelled));
        assert_eq!(c.freeze(), Err(CreditLineError::Cancelled));
    }

    #[test]
    fn expiry() {
        let l = line(LineKind::Revolving);
        assert_eq!(
            l.expire(date("2026-01-01")),
            Err(CreditLineError::NotYetExpired {
                expires_on: date("2026-01-01")
            })
        );
        let e = ok(ok(l.freeze()).expire(date("2026-01-02")));
        assert_eq!(e.status, LineStatus::Expired);
        assert_eq!(e.expire(date("2026-02-01")), Err(CreditLineError::Expired));
        assert_eq!(e.adjust_limit(Fen(1)), Err(CreditLineError::Expired));
        // Its officer can still change.
        assert_eq!(ok(e.transfer("officer-2")).officer_id, "officer-2");
    }

    #[test]
    fn error_codes_are_distinct_snake_case() {
        let all = [
            CreditLineError::AmountNotPositive,
            CreditLineError::LimitNotPositive,
            CreditLineError::OfficerMissing,
            CreditLineError::ExpiryNotAfterGrant,
            CreditLineError::Frozen,
            CreditLineError::Cancelled,
            CreditLineError::Expired,
            CreditLineError::NotFrozen,
            CreditLineError::InsufficientAvailable { available: Fen(0) },
            CreditLineError::RepaymentExceedsOutstanding {
                outstanding: Fen(0),
            },
            CreditLineError::LimitBelowUsed { used: Fen(0) },
            CreditLineError::SameOfficer,
            CreditLineError::OutstandingBalance {
                outstanding: Fen(0),
            },
            CreditLineError::NotYetExpired {
                expires_on: Date::EPOCH,
            },
        ];
        let codes: std::collections::HashSet<ErrorCode> = all.iter().map(|e| e.code()).collect();
        assert_eq!(codes.len(), all.len());
        assert!(codes.iter().all(|c| c.as_str().starts_with("credit_line_")
            && c.as_str()
                .bytes()
                .all(|b| b == b'_' || b.is_ascii_lowercase())));
        assert_eq!(CreditLineError::Frozen.code(), ErrorCode::CreditLineFrozen);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Drawdown(i64, i64),
        Repay(i64),
        Freeze,
        Unfreeze,
        AdjustLimit(i64),
        Transfer(u8),
        Cancel,
        Expire(i64),
    }

    fn any_op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (-10i64..=12_000_000, 0i64..=500).prop_map(|(a, d)| Op::Drawdown(a, d)),
            3 => (-10i64..=12_000_000).prop_map(Op::Repay),
            1 => Just(Op::Freeze),
            1 => Just(Op::Unfreeze),
            2 => (-10i64..=12_000_000).prop_map(Op::AdjustLimit),
            1 => (0u8..3).prop_map(Op::Transfer),
            1 => Just(Op::Cancel),
            1 => (0i64..=500).prop_map(Op::Expire),
        ]
    }

    fn apply(l: &CreditLine, op: &Op) -> Result<CreditLine, CreditLineError> {
        let day = |d: i64| date("2025-01-01").add_days(d);
        match *op {
            Op::Drawdown(a, d) => l.drawdown(Fen(a), day(d)),
            Op::Repay(a) => l.repay(Fen(a)),
            Op::Freeze => l.freeze(),
            Op::Unfreeze => l.unfreeze(),
            Op::AdjustLimit(a) => l.adjust_limit(Fen(a)),
            Op::Transfer(o) => l.transfer(&format!("officer-{o}")),
            Op::Cancel => l.cancel(),
            Op::Expire(d) => l.expire(day(d)),
        }
    }

    proptest! {
        /// Any sequence of operations keeps 0 ≤ outstanding ≤ used ≤ limit (so the
        /// available amount is never negative), a cancelled line never reopens, and a
        /// revolving line's used equals its outstanding.
        #[test]
        fn invariants_hold_under_any_sequence(
            revolving in any::<bool>(),
            ops in proptest::collection::vec(any_op(), 0..60),
        ) {
            let kind = if revolving { LineKind::Revolving } else { LineKind::OneOff };
            let mut l = line(kind);
            for op in &ops {
                let before = l.clone();
                match apply(&l, op) {
                    Ok(next) => l = next,
                    Err(e) => prop_assert!(!e.code().as_str().is_empty()),
                }
                prop_assert!(l.available() >= Fen::ZERO, "{:?} after {:?}", l, op);
                prop_assert!(Fen::ZERO <= l.outstanding && l.outstanding <= l.used && l.used <= l.limit);
                prop_assert!(l.limit > Fen::ZERO);
                if revolving {
                    prop_assert_eq!(l.used, l.outstanding);
                }
                if before.status == LineStatus::Cancelled {
                    prop_assert_eq!(&l, &before);
                }
            }
        }
    }
}
