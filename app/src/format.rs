//! Display formatting shared by pages: instants in China time, money, rates.

use domain::date::{Date, CHINA_UTC_OFFSET_MINUTES};
use domain::money::Fen;

/// "2026-11-24 15:30" in China time.
pub fn datetime(ms: i64) -> String {
    let offset_ms = i64::from(CHINA_UTC_OFFSET_MINUTES) * 60_000;
    let local = ms + offset_ms;
    let date = Date::from_epoch_millis(ms, CHINA_UTC_OFFSET_MINUTES);
    let minutes_of_day = local.rem_euclid(86_400_000) / 60_000;
    format!(
        "{date} {:02}:{:02}",
        minutes_of_day / 60,
        minutes_of_day % 60
    )
}

/// "300,000.00"
pub fn money(fen: Fen) -> String {
    fen.to_grouped_string()
}

/// "4.90%"
pub fn rate(rate: domain::rate::AnnualRate) -> String {
    format!("{}%", rate.to_percent_string())
}

/// A large amount shown compactly on a product card: "30万" in Chinese,
/// "300,000" in English (whole yuan, grouped).
pub fn compact(fen: Fen, locale: crate::i18n::Locale) -> String {
    let yuan = fen.get() / 100;
    match locale {
        crate::i18n::Locale::Zh if yuan >= 10_000 && yuan % 1_000 == 0 => {
            let tenths = yuan / 1_000;
            if tenths % 10 == 0 {
                format!("{}万", tenths / 10)
            } else {
                format!("{}.{}万", tenths / 10, tenths % 10)
            }
        }
        _ => Fen::from_yuan(yuan)
            .to_grouped_string()
            .trim_end_matches(".00")
            .to_string(),
    }
}

/// An annual rate in basis points as a percentage with two decimals: 560 → "5.60%".
pub fn rate_bp(bp: u32) -> String {
    format!("{}.{:02}%", bp / 100, bp % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;

    #[test]
    fn compact_amounts_read_like_a_bank_card() {
        assert_eq!(compact(Fen::from_yuan(300_000), Locale::Zh), "30万");
        assert_eq!(compact(Fen::from_yuan(55_000), Locale::Zh), "5.5万");
        assert_eq!(compact(Fen::from_yuan(8_000), Locale::Zh), "8,000");
        assert_eq!(compact(Fen::from_yuan(300_000), Locale::En), "300,000");
    }
}
