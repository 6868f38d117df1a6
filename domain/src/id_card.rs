//! 实名认证: reading a resident ID card (居民身份证) from the text an OCR
//! provider found on its photos, and the checks the confirmed fields must
//! pass before a new customer is made from them.
//!
//! The OCR provider returns plain text; [`read_front`] and [`read_back`] find
//! the fields in it the way a person would: the labels printed on the card
//! (姓名, 住址, 公民身份号码, 有效期限), with the spaces OCR puts between
//! Chinese characters removed and the letters it confuses with digits in the
//! ID number tried as those digits. A field not found is `None`: the
//! customer types it. [`IdCardReading::check`] is the one check of what the
//! customer confirms: the ID number's check digit, the card not expired,
//! the person of age.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::date::Date;
use crate::error_code::ErrorCode;
use crate::identity::IdNumber;

/// The youngest age at which a person may borrow (完全民事行为能力).
pub const MIN_AGE: u32 = 18;
/// The longest name accepted (ethnic minority names run long, with "·").
pub const MAX_NAME_CHARS: usize = 30;
/// The longest address accepted.
pub const MAX_ADDRESS_CHARS: usize = 120;

/// Which side of the card a photo shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardSide {
    /// 人像面: name, sex, birth, address, ID number.
    Front,
    /// 国徽面: issuing authority and validity.
    Back,
}

impl CardSide {
    pub fn as_str(self) -> &'static str {
        match self {
            CardSide::Front => "front",
            CardSide::Back => "back",
        }
    }
}

/// Why an ID card photo or its confirmed fields were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum IdCardError {
    #[error("nothing on the photo could be read")]
    Unreadable,
    #[error("the photo shows the other side of the card")]
    WrongSide,
    #[error("the name is empty, too long or not a name")]
    NameInvalid,
    #[error("the address is empty or too long")]
    AddressInvalid,
    #[error("the validity dates are missing or out of order")]
    ValidityInvalid,
    #[error("the ID card has expired")]
    Expired,
    #[error("the applicant is under age")]
    UnderAge,
}

impl IdCardError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unreadable => ErrorCode::IdPhotoUnreadable,
            Self::WrongSide => ErrorCode::IdPhotoWrongSide,
            Self::NameInvalid => ErrorCode::IdNameInvalid,
            Self::AddressInvalid => ErrorCode::IdAddressInvalid,
            Self::ValidityInvalid => ErrorCode::IdValidityInvalid,
            Self::Expired => ErrorCode::IdCardExpired,
            Self::UnderAge => ErrorCode::ApplicantUnderAge,
        }
    }
}

/// What was read from the card's front (人像面); `None` where nothing was found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrontReading {
    pub name: Option<String>,
    pub id_number: Option<String>,
    pub address: Option<String>,
}

/// What was read from the card's back (国徽面).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackReading {
    pub valid_from: Option<Date>,
    /// `Some(None)`: 长期 (no expiry).
    pub valid_to: Option<Option<Date>>,
}

/// The fields the customer confirmed (or corrected) from the readings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdCardReading {
    pub name: String,
    pub id_number: String,
    pub address: String,
    pub valid_from: Date,
    /// None: 长期 (a card for life, issued from age 46).
    pub valid_to: Option<Date>,
}

/// A confirmed reading that passed [`IdCardReading::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedIdCard {
    pub name: String,
    pub id_number: IdNumber,
    pub address: String,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
}

impl IdCardReading {
    /// The checks before a customer is made: a name, an address, an ID
    /// number whose check digit holds, a validity that has begun and not
    /// ended on `today`, and an age of at least [`MIN_AGE`].
    pub fn check(&self, today: Date) -> Result<CheckedIdCard, ErrorCode> {
        let name = squeeze(&self.name);
        let name_len = name.chars().count();
        if !(2..=MAX_NAME_CHARS).contains(&name_len)
            || !name.chars().all(|c| is_cjk(c) || c == '·' || c == '•')
        {
            return Err(IdCardError::NameInvalid.code());
        }
        let id_number = IdNumber::parse(&squeeze(&self.id_number)).map_err(|e| e.code())?;
        let address = self.address.trim().to_string();
        if address.is_empty() || address.chars().count() > MAX_ADDRESS_CHARS {
            return Err(IdCardError::AddressInvalid.code());
        }
        if self.valid_from > today || self.valid_to.is_some_and(|to| to <= self.valid_from) {
            return Err(IdCardError::ValidityInvalid.code());
        }
        if self.valid_to.is_some_and(|to| to < today) {
            return Err(IdCardError::Expired.code());
        }
        if id_number.age_on(today) < MIN_AGE {
            return Err(IdCardError::UnderAge.code());
        }
        Ok(CheckedIdCard {
            name,
            id_number,
            address,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
        })
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{20000}'..='\u{2A6DF}')
}

/// The text with every kind of space removed (OCR spaces Chinese out).
fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Full-width digits and letters as ASCII, and "：" as ":".
fn half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// The text's lines, half-width, squeezed, the empty ones dropped.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| squeeze(&half_width(l)))
        .filter(|l| !l.is_empty())
        .collect()
}

/// A character OCR confuses with a digit, as that digit.
fn as_digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        'O' | 'o' | 'D' | 'Q' => Some('0'),
        'I' | 'l' | '|' | 'i' | '!' => Some('1'),
        'Z' | 'z' => Some('2'),
        'S' | 's' => Some('5'),
        'G' | 'b' => Some('6'),
        'B' => Some('8'),
        'g' | 'q' => Some('9'),
        _ => None,
    }
}

/// The first 18-character run in `text` that is a valid ID number once the
/// letters OCR confuses with digits are read as digits (X or x last).
fn find_id_number(text: &str) -> Option<String> {
    let chars: Vec<char> = squeeze(&half_width(text)).chars().collect();
    if chars.len() < 18 {
        return None;
    }
    let mut fallback = None;
    for start in 0..=chars.len() - 18 {
        let window = &chars[start..start + 18];
        let mut candidate = String::with_capacity(18);
        for (i, &c) in window.iter().enumerate() {
            let d = if i == 17 && matches!(c, 'X' | 'x' | '×') {
                Some('X')
            } else {
                as_digit(c)
            };
            match d {
                Some(d) => candidate.push(d),
                None => break,
            }
        }
        if candidate.len() != 18 {
            continue;
        }
        // Only runs that start on a real digit: not a label's last letter.
        if !window[0].is_ascii_digit() {
            continue;
        }
        if IdNumber::parse(&candidate).is_ok() {
            return Some(candidate);
        }
        if fallback.is_none() && window.iter().filter(|c| c.is_ascii_digit()).count() >= 17 {
            fallback = Some(candidate);
        }
    }
    // Eighteen digits whose check fails are still shown, for the customer
    // to correct: the check then refuses them in words.
    fallback
}

/// The text after `label` on its line, or on the next line when the label
/// stands alone. The label may have lost one of its characters to OCR.
fn after_label(lines: &[String], labels: &[&str]) -> Option<(usize, String)> {
    for (i, line) in lines.iter().enumerate() {
        for label in labels {
            if let Some(pos) = line.find(label) {
                // OCR reads the gap after a label as stray marks: ":", "”".
                let rest = line[pos + label.len()..]
                    .trim_start_matches(|c: char| !c.is_alphanumeric())
                    .to_string();
                if !rest.is_empty() {
                    return Some((i, rest));
                }
                return lines.get(i + 1).map(|next| (i + 1, next.clone()));
            }
        }
    }
    None
}

/// Finds the fields of a card's front in the OCR text. Wrong side: the text
/// reads like a back and not a front. Unreadable: none of the fields.
pub fn read_front(text: &str) -> Result<FrontReading, IdCardError> {
    let ls = lines(text);
    let id_number = find_id_number(text);
    let name = after_label(&ls, &["姓名", "姓", "名"])
        .map(|(_, rest)| {
            rest.chars()
                .filter(|&c| is_cjk(c) || c == '·')
                .collect::<String>()
        })
        .map(|n| n.chars().take(MAX_NAME_CHARS).collect::<String>())
        .filter(|n| n.chars().count() >= 2);
    let address = after_label(&ls, &["住址", "住", "址"]).map(|(i, first)| {
        let mut address = first;
        for line in &ls[i + 1..] {
            if line.contains("公民") || line.contains("身份") || line.contains("号码") {
                break;
            }
            if line.chars().filter(|c| c.is_ascii_digit()).count() >= 12 {
                break;
            }
            address.push_str(line);
        }
        address.chars().take(MAX_ADDRESS_CHARS).collect::<String>()
    });
    let reading = FrontReading {
        name,
        id_number,
        address,
    };
    if reading == FrontReading::default() {
        if looks_like_back(&ls) {
            return Err(IdCardError::WrongSide);
        }
        return Err(IdCardError::Unreadable);
    }
    Ok(reading)
}

fn looks_like_back(lines: &[String]) -> bool {
    lines.iter().any(|l| {
        l.contains("签发")
            || l.contains("有效期")
            || l.contains("居民身份证")
            || l.contains("共和国")
    })
}

fn looks_like_front(lines: &[String]) -> bool {
    lines.iter().any(|l| {
        l.contains("姓名") || l.contains("公民身份") || l.contains("住址") || l.contains("民族")
    })
}

/// A date written `2019.03.01`, `2019-03-01`, `20190301` or `2019年03月01日`
/// at the start of `s` (after any non-digits), and what follows it.
fn take_date(s: &[char]) -> Option<(Date, usize)> {
    let mut digits = String::new();
    let mut i = 0;
    // Skip to the first digit.
    while i < s.len() && as_digit(s[i]).is_none() {
        i += 1;
    }
    while i < s.len() && digits.len() < 8 {
        let c = s[i];
        if let Some(d) = as_digit(c) {
            digits.push(d);
        } else if !matches!(c, '.' | '-' | '年' | '月' | '/' | ',' | '·') {
            break;
        }
        i += 1;
    }
    if s.get(i) == Some(&'日') {
        i += 1;
    }
    if digits.len() != 8 {
        return None;
    }
    let year: i32 = digits[0..4].parse().ok()?;
    let month: u8 = digits[4..6].parse().ok()?;
    let day: u8 = digits[6..8].parse().ok()?;
    Date::new(year, month, day).ok().map(|d| (d, i))
}

/// Finds the validity on a card's back: `有效期限 2016.05.01-2036.05.01` or
/// `…-长期`. Wrong side: the text reads like a front.
pub fn read_back(text: &str) -> Result<BackReading, IdCardError> {
    let ls = lines(text);
    let joined: Vec<char> = match ls
        .iter()
        .position(|l| l.contains("有效") || l.contains("期限"))
    {
        Some(i) => ls[i..].concat().chars().collect(),
        None => ls.concat().chars().collect(),
    };
    let mut reading = BackReading::default();
    if let Some((from, used)) = take_date(&joined) {
        reading.valid_from = Some(from);
        let rest = &joined[used..];
        let rest_text: String = rest.iter().collect();
        let first_digit = rest.iter().position(|&c| c.is_ascii_digit());
        let forever = rest_text
            .find("长期")
            .map(|b| rest_text[..b].chars().count());
        reading.valid_to = match (forever, first_digit) {
            (Some(f), Some(d)) if f < d => Some(None),
            (Some(_), None) => Some(None),
            _ => take_date(rest).map(|(to, _)| Some(to)),
        };
    }
    if reading == BackReading::default() {
        if looks_like_front(&ls) || find_id_number(text).is_some() {
            return Err(IdCardError::WrongSide);
        }
        return Err(IdCardError::Unreadable);
    }
    Ok(reading)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    const FRONT: &str = "姓 名 张 秀 兰\n性 别 女 民 族 汉\n出 生 1985 年 3 月 12 日\n\
        住 址 浙江省丽水市莲都区\n碧湖镇大港头村 18 号\n公民身份号码 331102198503120023\n";

    #[test]
    fn reads_a_front_as_ocr_spaces_it() {
        let r = read_front(FRONT).unwrap();
        assert_eq!(r.name.as_deref(), Some("张秀兰"));
        assert_eq!(
            r.address.as_deref(),
            Some("浙江省丽水市莲都区碧湖镇大港头村18号")
        );
        let id = r.id_number.unwrap();
        assert!(IdNumber::parse(&id).is_ok(), "{id}");
    }

    #[test]
    fn letters_read_as_digits_in_the_id_number() {
        let valid = IdNumber::from_parts("331102", d("1985-03-12"), 2).unwrap();
        let garbled = valid.as_str().replacen('0', "O", 1).replacen('1', "l", 1);
        let text = format!("公民身份号码 {garbled}");
        assert_eq!(
            read_front(&text).unwrap().id_number.as_deref(),
            Some(valid.as_str())
        );
    }

    #[test]
    fn a_back_is_the_wrong_side_for_a_front_and_noise_is_unreadable() {
        let back = "中华人民共和国\n居民身份证\n签发机关 丽水市公安局莲都分局\n有效期限 2016.05.01-2036.05.01";
        assert_eq!(read_front(back), Err(IdCardError::WrongSide));
        assert_eq!(read_front("~~ ,, ::"), Err(IdCardError::Unreadable));
        assert_eq!(read_back(FRONT), Err(IdCardError::WrongSide));
        assert_eq!(read_back("ﾟ ~"), Err(IdCardError::Unreadable));
    }

    #[test]
    fn reads_a_back_with_an_end_or_for_life() {
        let r = read_back("签发机关 丽水市公安局\n有效期限 2016.05.01-2036.05.01").unwrap();
        assert_eq!(r.valid_from, Some(d("2016-05-01")));
        assert_eq!(r.valid_to, Some(Some(d("2036-05-01"))));
        let r = read_back("有 效 期 限 2012.11.20 - 长 期").unwrap();
        assert_eq!(r.valid_from, Some(d("2012-11-20")));
        assert_eq!(r.valid_to, Some(None));
    }

    fn reading() -> IdCardReading {
        IdCardReading {
            name: "张秀兰".into(),
            id_number: IdNumber::from_parts("331102", d("1985-03-12"), 2)
                .unwrap()
                .as_str()
                .into(),
            address: "浙江省丽水市莲都区碧湖镇大港头村18号".into(),
            valid_from: d("2016-05-01"),
            valid_to: Some(d("2036-05-01")),
        }
    }

    #[test]
    fn the_check_refuses_each_bad_field_with_its_code() {
        let today = d("2026-12-07");
        assert!(reading().check(today).is_ok());
        let mut r = reading();
        r.id_number.replace_range(17.., "0");
        if IdNumber::parse(&r.id_number).is_ok() {
            r.id_number.replace_range(17.., "1");
        }
        assert_eq!(r.check(today).unwrap_err(), ErrorCode::IdChecksum);
        let mut r = reading();
        r.valid_from = d("2006-05-01");
        r.valid_to = Some(d("2026-05-01"));
        assert_eq!(r.check(today).unwrap_err(), ErrorCode::IdCardExpired);
        let mut r = reading();
        r.id_number = IdNumber::from_parts("331102", d("2010-01-01"), 3)
            .unwrap()
            .as_str()
            .into();
        assert_eq!(r.check(today).unwrap_err(), ErrorCode::ApplicantUnderAge);
        let mut r = reading();
        r.name = "Zhang3".into();
        assert_eq!(r.check(today).unwrap_err(), ErrorCode::IdNameInvalid);
        let mut r = reading();
        r.valid_to = None;
        assert!(r.check(today).is_ok(), "长期 never expires");
        r.valid_from = d("2027-01-01");
        assert_eq!(r.check(today).unwrap_err(), ErrorCode::IdValidityInvalid);
    }
}
