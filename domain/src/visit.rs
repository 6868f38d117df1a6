//! 预约上门: the officer's free hours for on-site visits, and a visit's
//! course between the customer who books it and the officer who confirms
//! it or proposes another time.
//!
//! A slot is one hour that starts on the hour, 08:00 to 18:00 China time,
//! from the next hour up to [`MAX_DAYS_AHEAD`] days ahead. A customer books
//! one of their officer's free slots (requested); the officer confirms it
//! (confirmed) or proposes another of his (proposed), which the customer
//! accepts (confirmed) or answers with a slot of their own (requested
//! again, as when they change a confirmed time); either may cancel.

use crate::date::{Date, CHINA_UTC_OFFSET_MINUTES};
use crate::error_code::ErrorCode;

/// A slot's length.
pub const SLOT_MS: i64 = 60 * 60_000;
/// The first slot of a day starts at this hour (China time)…
pub const FIRST_HOUR: u8 = 8;
/// …and the last at this one.
pub const LAST_HOUR: u8 = 18;
/// How far ahead an officer offers slots.
pub const MAX_DAYS_AHEAD: i64 = 30;
/// How far ahead the customer is shown slots.
pub const CUSTOMER_DAYS_AHEAD: i64 = 14;
/// A slot starting sooner than this cannot be booked or proposed: the
/// officer needs time to get there.
pub const MIN_LEAD_MS: i64 = 2 * 60 * 60_000;

const OFFSET_MS: i64 = CHINA_UTC_OFFSET_MINUTES as i64 * 60_000;

crate::coded_enum! {
    /// Where a visit stands.
    pub enum VisitStatus {
        /// The customer booked a slot; the officer has not answered.
        Requested => "requested",
        /// The officer proposed another slot; the customer has not answered.
        Proposed => "proposed",
        /// Both agree on the time.
        Confirmed => "confirmed",
        Cancelled => "cancelled",
    }
}

impl VisitStatus {
    /// Still holds its slot.
    pub fn is_live(self) -> bool {
        !matches!(self, Self::Cancelled)
    }
}

/// What someone does to a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitAction {
    /// The customer books another slot, also to change a confirmed time
    /// (a first booking has no visit yet).
    CustomerRebooks,
    /// The customer accepts the officer's proposal.
    CustomerAccepts,
    OfficerConfirms,
    OfficerProposes,
    Cancel,
}

/// Where `action` takes a visit in `from`; `visit_changed` when it does
/// not apply (someone acted first, or it was cancelled).
pub fn transition(from: VisitStatus, action: VisitAction) -> Result<VisitStatus, ErrorCode> {
    use VisitAction as A;
    use VisitStatus as S;
    match (from, action) {
        (S::Requested | S::Proposed | S::Confirmed, A::CustomerRebooks) => Ok(S::Requested),
        (S::Proposed, A::CustomerAccepts) => Ok(S::Confirmed),
        (S::Requested, A::OfficerConfirms) => Ok(S::Confirmed),
        (S::Requested | S::Confirmed | S::Proposed, A::OfficerProposes) => Ok(S::Proposed),
        (S::Requested | S::Proposed | S::Confirmed, A::Cancel) => Ok(S::Cancelled),
        _ => Err(ErrorCode::VisitChanged),
    }
}

/// The start of the slot at `hour` on `date` (China time), in epoch ms.
pub fn slot_start(date: Date, hour: u8) -> Result<i64, ErrorCode> {
    if !(FIRST_HOUR..=LAST_HOUR).contains(&hour) {
        return Err(ErrorCode::VisitSlotInvalid);
    }
    Ok(date.days_since_epoch() * 86_400_000 + i64::from(hour) * SLOT_MS - OFFSET_MS)
}

/// The China date and hour a slot starts at.
pub fn slot_date_hour(start_ms: i64) -> (Date, u8) {
    let local = start_ms + OFFSET_MS;
    let date = Date::from_epoch_millis(start_ms, CHINA_UTC_OFFSET_MINUTES);
    let hour = u8::try_from(local.rem_euclid(86_400_000) / SLOT_MS).unwrap_or(0);
    (date, hour)
}

/// An officer may offer a slot that starts on the hour within the day's
/// hours, later than now and at most [`MAX_DAYS_AHEAD`] days ahead.
pub fn check_new_slot(start_ms: i64, now_ms: i64) -> Result<(), ErrorCode> {
    let (date, hour) = slot_date_hour(start_ms);
    if slot_start(date, hour) != Ok(start_ms) {
        return Err(ErrorCode::VisitSlotInvalid);
    }
    if start_ms <= now_ms || start_ms > now_ms + MAX_DAYS_AHEAD * 86_400_000 {
        return Err(ErrorCode::VisitSlotInvalid);
    }
    Ok(())
}

/// A free slot may be booked or proposed while it starts at least
/// [`MIN_LEAD_MS`] from now.
pub fn check_bookable(start_ms: i64, now_ms: i64) -> Result<(), ErrorCode> {
    if start_ms - now_ms < MIN_LEAD_MS {
        return Err(ErrorCode::VisitSlotTooSoon);
    }
    Ok(())
}

/// Items grouped by the China day their hour starts on, in order (items
/// come sorted by time).
pub fn by_day<T>(items: Vec<T>, starts_at: impl Fn(&T) -> i64) -> Vec<(Date, Vec<T>)> {
    let mut days: Vec<(Date, Vec<T>)> = Vec::new();
    for item in items {
        let (date, _) = slot_date_hour(starts_at(&item));
        match days.last_mut() {
            Some((d, list)) if *d == date => list.push(item),
            _ => days.push((date, vec![item])),
        }
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).expect("date")
    }

    #[test]
    fn a_slot_is_an_hour_on_the_hour_in_china_time() {
        let start = slot_start(d("2026-12-09"), 9).expect("slot");
        // 09:00 in China is 01:00 UTC.
        assert_eq!(start % 86_400_000, 3_600_000);
        assert_eq!(slot_date_hour(start), (d("2026-12-09"), 9));
        assert_eq!(
            slot_start(d("2026-12-09"), 7),
            Err(ErrorCode::VisitSlotInvalid)
        );
        assert_eq!(
            slot_start(d("2026-12-09"), 19),
            Err(ErrorCode::VisitSlotInvalid)
        );
        // 08:00 China is the day before in UTC: still that China date.
        let early = slot_start(d("2026-12-09"), 8).expect("slot");
        assert_eq!(slot_date_hour(early), (d("2026-12-09"), 8));
    }

    #[test]
    fn hours_group_by_their_china_day() {
        let at = |d: &str, h| slot_start(self::tests::d(d), h).expect("slot");
        let hours = vec![
            at("2026-12-08", 8),
            at("2026-12-08", 18),
            at("2026-12-09", 8),
        ];
        let days = by_day(hours, |h| *h);
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].0, d("2026-12-08"));
        assert_eq!(days[0].1.len(), 2);
    }

    #[test]
    fn new_slots_are_ahead_within_the_month_and_on_the_hour() {
        let now = slot_start(d("2026-12-07"), 10).expect("now");
        let tomorrow = slot_start(d("2026-12-08"), 9).expect("slot");
        assert_eq!(check_new_slot(tomorrow, now), Ok(()));
        assert_eq!(check_new_slot(now, now), Err(ErrorCode::VisitSlotInvalid));
        assert_eq!(
            check_new_slot(tomorrow + 60_000, now),
            Err(ErrorCode::VisitSlotInvalid)
        );
        let far = slot_start(d("2027-01-07"), 9).expect("slot");
        assert_eq!(check_new_slot(far, now), Err(ErrorCode::VisitSlotInvalid));
    }

    #[test]
    fn a_slot_within_two_hours_is_too_soon() {
        let now = slot_start(d("2026-12-07"), 10).expect("now");
        assert_eq!(
            check_bookable(now + SLOT_MS, now),
            Err(ErrorCode::VisitSlotTooSoon)
        );
        assert_eq!(check_bookable(now + 2 * SLOT_MS, now), Ok(()));
    }

    #[test]
    fn the_course_of_a_visit() {
        use VisitAction as A;
        use VisitStatus as S;
        assert_eq!(
            transition(S::Requested, A::OfficerConfirms),
            Ok(S::Confirmed)
        );
        assert_eq!(
            transition(S::Requested, A::OfficerProposes),
            Ok(S::Proposed)
        );
        assert_eq!(
            transition(S::Proposed, A::CustomerAccepts),
            Ok(S::Confirmed)
        );
        assert_eq!(
            transition(S::Proposed, A::CustomerRebooks),
            Ok(S::Requested)
        );
        assert_eq!(
            transition(S::Confirmed, A::OfficerProposes),
            Ok(S::Proposed)
        );
        assert_eq!(transition(S::Confirmed, A::Cancel), Ok(S::Cancelled));
        // The customer may change a confirmed time: asked again.
        assert_eq!(
            transition(S::Confirmed, A::CustomerRebooks),
            Ok(S::Requested)
        );
        // The officer cannot confirm his own proposal, nor anyone act on a
        // cancelled visit; the customer cannot accept what nobody proposed.
        for (from, action) in [
            (S::Proposed, A::OfficerConfirms),
            (S::Requested, A::CustomerAccepts),
            (S::Cancelled, A::Cancel),
            (S::Cancelled, A::OfficerConfirms),
        ] {
            assert_eq!(transition(from, action), Err(ErrorCode::VisitChanged));
        }
    }
}
