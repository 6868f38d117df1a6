//! Arbitrary text into every parser of what people type: yuan amounts,
//! percentage rates, dates, ID numbers and phone numbers. None may panic;
//! whatever one accepts must be in range and survive a round trip through
//! its own formatting, and a masked number must not show it whole.

#![no_main]

use domain::date::Date;
use domain::identity::{IdNumber, Phone};
use domain::money::Fen;
use domain::rate::AnnualRate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(f) = Fen::parse_yuan(s) {
        assert!(f.get() >= 0, "{s:?} -> {f:?}");
        assert_eq!(Fen::parse_yuan(&f.to_yuan_string()), Ok(f), "{s:?}");
        assert_eq!(Fen::parse_yuan(&f.to_grouped_string()), Ok(f), "{s:?}");
    }
    if let Ok(r) = AnnualRate::parse_percent(s) {
        assert!((AnnualRate::MIN_BP..=AnnualRate::MAX_BP).contains(&r.bp()), "{s:?}");
        assert_eq!(AnnualRate::parse_percent(&r.to_percent_string()), Ok(r), "{s:?}");
    }
    if let Ok(d) = Date::parse(s) {
        assert_eq!(d.to_string(), s);
        if let Some(next) = d.checked_add_days(1) {
            assert_eq!(next.checked_add_days(-1), Some(d), "{s:?}");
            assert!(next > d, "{s:?}");
        }
    }
    if let Ok(id) = IdNumber::parse(s) {
        assert_eq!(id.as_str().len(), 18, "{s:?}");
        assert_eq!(IdNumber::parse(id.as_str()).as_ref(), Ok(&id), "{s:?}");
        assert!(Date::parse(&id.birth_date().to_string()).is_ok(), "{s:?}");
        assert!(!id.masked().contains(&id.as_str()[6..14]), "{s:?} masked shows the birth date");
    }
    if let Ok(p) = Phone::parse(s) {
        assert_eq!(p.as_str().len(), 11, "{s:?}");
        assert!(p.as_str().bytes().all(|b| b.is_ascii_digit()), "{s:?}");
        assert_eq!(Phone::parse(p.as_str()).as_ref(), Ok(&p), "{s:?}");
        assert!(!p.masked().contains(p.as_str()), "{s:?}");
    }
});
