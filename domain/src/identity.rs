//! Personal identifiers and their masking (脱敏): the 18-character resident ID
//! number ([`IdNumber`]), mainland mobile numbers ([`Phone`]), [`Gender`], and the
//! masking functions used wherever personal financial information is displayed.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::date::Date;
use crate::error_code::ErrorCode;

/// ISO 7064 MOD 11-2 weights of the first 17 digits.
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each value of (weighted sum mod 11).
const ID_CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// Why an ID or phone number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum IdentityError {
    #[error("an ID number has 18 characters")]
    IdLength,
    #[error("an ID number is 17 digits followed by a digit or X")]
    IdChars,
    #[error("the birth date in the ID number is not a valid date")]
    IdBirthDate,
    #[error("the ID number's check character does not match")]
    IdChecksum,
    #[error("not a mainland mobile number")]
    PhoneInvalid,
    #[error("a bank account number is 10 to 30 digits")]
    AccountInvalid,
    #[error("a UnionPay card number fails its check digit")]
    CardCheck,
}

impl IdentityError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::IdLength => ErrorCode::IdLength,
            Self::IdChars => ErrorCode::IdChars,
            Self::IdBirthDate => ErrorCode::IdBirthDate,
            Self::IdChecksum => ErrorCode::IdChecksum,
            Self::PhoneInvalid => ErrorCode::PhoneInvalid,
            Self::AccountInvalid => ErrorCode::AccountNumberInvalid,
            Self::CardCheck => ErrorCode::CardNumberCheckFailed,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Male => "male",
            Self::Female => "female",
        }
    }

    pub fn parse(s: &str) -> Option<Gender> {
        match s {
            "male" => Some(Self::Male),
            "female" => Some(Self::Female),
            _ => None,
        }
    }
}

/// 18-character resident ID number: region(6) birth date(8) sequence(3) check(1),
/// ISO 7064 MOD 11-2 checksum (check char 0-9 or X; lower-case x accepted and upper-cased).
///
/// Always valid once built; deserialising validates like [`IdNumber::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdNumber(String);

/// The check character for the first 17 digits (which must be ASCII digits).
fn id_check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    ID_CHECK_CHARS[(sum % 11) as usize]
}

/// Two or four ASCII digits as a number; callers have checked they are digits.
fn digits_value(b: &[u8]) -> u32 {
    b.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
}

impl IdNumber {
    /// Checks length, characters, birth date and checksum, in that order.
    /// Surrounding whitespace is ignored; a lower-case x is upper-cased.
    pub fn parse(s: &str) -> Result<IdNumber, IdentityError> {
        let s = s.trim();
        if s.chars().count() != 18 {
            return Err(IdentityError::IdLength);
        }
        let upper = s.to_ascii_uppercase();
        let b = upper.as_bytes();
        // 18 chars but not 18 bytes means a non-ASCII character.
        if b.len() != 18
            || !b[..17].iter().all(u8::is_ascii_digit)
            || !(b[17].is_ascii_digit() || b[17] == b'X')
        {
            return Err(IdentityError::IdChars);
        }
        let year =
            i32::try_from(digits_value(&b[6..10])).map_err(|_| IdentityError::IdBirthDate)?;
        let month =
            u8::try_from(digits_value(&b[10..12])).map_err(|_| IdentityError::IdBirthDate)?;
        let day = u8::try_from(digits_value(&b[12..14])).map_err(|_| IdentityError::IdBirthDate)?;
        Date::new(year, month, day).map_err(|_| IdentityError::IdBirthDate)?;
        if id_check_char(&b[..17]) != b[17] {
            return Err(IdentityError::IdChecksum);
        }
        Ok(IdNumber(upper))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Characters 7 to 14, validated when the number was built.
    pub fn birth_date(&self) -> Date {
        let b = self.0.as_bytes();
        let year = digits_value(&b[6..10]) as i32; // four digits
        let month = digits_value(&b[10..12]) as u8; // two digits
        let day = digits_value(&b[12..14]) as u8;
        // Validated on construction; MIN is never reached.
        Date::new(year, month, day).unwrap_or(Date::MIN)
    }

    /// The 17th character: odd is male, even is female.
    pub fn gender(&self) -> Gender {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        }
    }

    /// "1101**********1234": first 4, 10 stars, last 4.
    pub fn masked(&self) -> String {
        mask_id_number(&self.0)
    }

    /// Builds a valid number (computes the check character) — used by the demo generator.
    /// `region` must be 6 digits ([`IdentityError::IdLength`] / [`IdentityError::IdChars`]);
    /// `sequence` must fit in 3 digits, 0..=999 ([`IdentityError::IdLength`]).
    pub fn from_parts(region: &str, birth: Date, sequence: u16) -> Result<IdNumber, IdentityError> {
        if region.chars().count() != 6 || sequence > 999 {
            return Err(IdentityError::IdLength);
        }
        if !region.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdentityError::IdChars);
        }
        let first17 = format!(
            "{region}{:04}{:02}{:02}{sequence:03}",
            birth.year(),
            birth.month(),
            birth.day()
        );
        let check = char::from(id_check_char(first17.as_bytes()));
        Ok(IdNumber(format!("{first17}{check}")))
    }

    /// Age in whole years on `on`: the birthday counts from its own date, so someone
    /// born on 29 February turns a year older on 1 March in common years. 0 if `on`
    /// is before the birth date.
    pub fn age_on(&self, on: Date) -> u32 {
        let birth = self.birth_date();
        let years = on.year() - birth.year();
        let had_birthday = (on.month(), on.day()) >= (birth.month(), birth.day());
        let age = if had_birthday { years } else { years - 1 };
        u32::try_from(age).unwrap_or(0)
    }
}

impl TryFrom<String> for IdNumber {
    type Error = IdentityError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        IdNumber::parse(&s)
    }
}

impl From<IdNumber> for String {
    fn from(id: IdNumber) -> String {
        id.0
    }
}

/// Keeps the first `head` and last `tail` characters and stars the rest; strings
/// too short to keep anything hidden are all stars.
fn mask_middle(raw: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = raw.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// Masks any string like an ID number: first 4 + stars + last 4; strings of 8
/// characters or fewer are all stars.
pub fn mask_id_number(raw: &str) -> String {
    mask_middle(raw, 4, 4)
}

/// A bank account or card number (银行账号): 10 to 30 digits, spaces and
/// dashes as typed dropped. Card numbers are 16 to 19 digits; rural banks'
/// passbook accounts run longer, so only the digits are checked here and
/// the payout provider checks that the account exists and is the holder's.
/// A UnionPay card number (16 to 19 digits from "62") carries a Luhn check
/// digit: a mistyped one is refused here, before any provider is asked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BankAccountNo(String);

impl BankAccountNo {
    pub fn parse(raw: &str) -> Result<BankAccountNo, IdentityError> {
        let digits: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
            .collect();
        if (10..=30).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            if is_union_pay_card(&digits) && !luhn_ok(&digits) {
                return Err(IdentityError::CardCheck);
            }
            Ok(BankAccountNo(digits))
        } else {
            Err(IdentityError::AccountInvalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// "6217********1234": the first and last four digits.
    pub fn masked(&self) -> String {
        mask_middle(&self.0, 4, 4)
    }
}

/// A UnionPay card's number: 16 to 19 digits from "62".
fn is_union_pay_card(digits: &str) -> bool {
    (16..=19).contains(&digits.len()) && digits.starts_with("62")
}

/// The Luhn (mod 10) check over ASCII digits.
pub fn luhn_ok(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 {
                    d2 - 9
                } else {
                    d2
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Mainland mobile number: 11 digits starting with 1 and a second digit 3-9.
///
/// Always valid once built; deserialising validates like [`Phone::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Accepts the number as people write it: spaces and hyphens are ignored, and a
    /// leading "+86" country code is dropped. Stores the bare 11 digits.
    pub fn parse(s: &str) -> Result<Phone, IdentityError> {
        let compact: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        let digits = compact.strip_prefix("+86").unwrap_or(&compact);
        let b = digits.as_bytes();
        let valid = b.len() == 11
            && b.iter().all(u8::is_ascii_digit)
            && b[0] == b'1'
            && (b'3'..=b'9').contains(&b[1]);
        if valid {
            Ok(Phone(digits.to_owned()))
        } else {
            Err(IdentityError::PhoneInvalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// "138****5678".
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

impl TryFrom<String> for Phone {
    type Error = IdentityError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Phone::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

/// Masks any string like a phone number: first 3 + stars + last 4; strings of 7
/// characters or fewer are all stars.
pub fn mask_phone(raw: &str) -> String {
    mask_middle(raw, 3, 4)
}

/// First character, then one star for each further character: "张三" -> "张*",
/// "欧阳娜娜" -> "欧***". Surrounding whitespace is dropped.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => {
            let mut out = String::from(first);
            out.push_str(&"*".repeat(chars.count()));
            out
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bank_account_numbers_are_digits_and_masked_to_their_ends() {
        let a = BankAccountNo::parse("6217 0002-3456 7890 123").unwrap();
        assert_eq!(a.as_str(), "6217000234567890123");
        assert_eq!(a.masked(), "6217***********0123");
        assert_eq!(
            BankAccountNo::parse("6217 0012 3456 7890 123"),
            Err(IdentityError::CardCheck),
            "a UnionPay card number whose Luhn digit fails"
        );
        // A passbook account (not from 62) has no check digit.
        assert!(BankAccountNo::parse("1234567890123456789").is_ok());
        for bad in ["", "123456789", "6217a01234567890", &"1".repeat(31)] {
            assert_eq!(
                BankAccountNo::parse(bad),
                Err(IdentityError::AccountInvalid)
            );
        }
        assert_eq!(
            IdentityError::AccountInvalid.code(),
            ErrorCode::AccountNumberInvalid
        );
    }
    use proptest::prelude::*;
    use rstest::rstest;

    fn date(y: i32, m: u8, d: u8) -> Date {
        match Date::new(y, m, d) {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        }
    }

    fn id(s: &str) -> IdNumber {
        match IdNumber::parse(s) {
            Ok(id) => id,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[rstest]
    #[case("11010519491231002X")]
    #[case("11010519491231002x")]
    #[case(" 11010519491231002X ")]
    #[case("110101199003074514")]
    #[case("440308199901010012")]
    fn accepts_valid_id_numbers(#[case] s: &str) {
        assert_eq!(
            IdNumber::parse(s).map(|i| i.as_str().to_owned()),
            Ok(s.trim().to_uppercase())
        );
    }

    #[rstest]
    #[case("", IdentityError::IdLength)]
    #[case("11010519491231002", IdentityError::IdLength)]
    #[case("11010519491231002X1", IdentityError::IdLength)]
    #[case("1101051949123100XX", IdentityError::IdChars)]
    #[case("11010519491231002Y", IdentityError::IdChars)]
    #[case("１1010519491231002X", IdentityError::IdChars)]
    #[case("A1010519491231002X", IdentityError::IdChars)]
    #[case("110105194902300021", IdentityError::IdBirthDate)]
    #[case("110105194913010021", IdentityError::IdBirthDate)]
    #[case("110105000001010021", IdentityError::IdBirthDate)]
    #[case("110105194912310021", IdentityError::IdChecksum)]
    #[case("110105194912310029", IdentityError::IdChecksum)]
    #[case("11010519491231003X", IdentityError::IdChecksum)]
    #[case("21010519491231002X", IdentityError::IdChecksum)]
    fn refuses_bad_id_numbers(#[case] s: &str, #[case] err: IdentityError) {
        assert_eq!(IdNumber::parse(s), Err(err));
    }

    #[test]
    fn reads_the_fields_of_an_id_number() {
        let n = id("11010519491231002X");
        assert_eq!(n.birth_date(), date(1949, 12, 31));
        assert_eq!(n.gender(), Gender::Female); // 17th digit 2
        assert_eq!(n.masked(), "1101**********002X");
        assert_eq!(id("110101199003074514").gender(), Gender::Male); // 17th digit 1
    }

    #[rstest]
    #[case(date(2025, 12, 30), 75)]
    #[case(date(2025, 12, 31), 76)]
    #[case(date(1949, 12, 31), 0)]
    #[case(date(1949, 1, 1), 0)]
    fn age_on(#[case] on: Date, #[case] age: u32) {
        assert_eq!(id("11010519491231002X").age_on(on), age);
    }

    #[test]
    fn leap_day_birthday() {
        let n = IdNumber::from_parts("110105", date(2000, 2, 29), 12);
        let n = match n {
            Ok(n) => n,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(n.age_on(date(2001, 2, 28)), 0);
        assert_eq!(n.age_on(date(2001, 3, 1)), 1);
        assert_eq!(n.age_on(date(2004, 2, 29)), 4);
    }

    #[test]
    fn from_parts_builds_the_known_number() {
        assert_eq!(
            IdNumber::from_parts("110105", date(1949, 12, 31), 2),
            Ok(id("11010519491231002X"))
        );
    }

    #[rstest]
    #[case("11010", 1, IdentityError::IdLength)]
    #[case("1101050", 1, IdentityError::IdLength)]
    #[case("110105", 1000, IdentityError::IdLength)]
    #[case("11O105", 1, IdentityError::IdChars)]
    #[case("１１0105", 1, IdentityError::IdChars)]
    fn from_parts_refuses(#[case] region: &str, #[case] seq: u16, #[case] err: IdentityError) {
        assert_eq!(
            IdNumber::from_parts(region, date(1990, 1, 1), seq),
            Err(err)
        );
    }

    #[test]
    fn id_serde_validates() {
        let json = serde_json::to_string(&id("11010519491231002x")).ok();
        assert_eq!(json.as_deref(), Some("\"11010519491231002X\""));
        assert_eq!(
            serde_json::from_str::<IdNumber>("\"11010519491231002x\"").ok(),
            Some(id("11010519491231002X"))
        );
        assert!(serde_json::from_str::<IdNumber>("\"110105194912310021\"").is_err());
    }

    #[rstest]
    #[case("13800138000", Ok("13800138000"))]
    #[case("+86 138-0013-8000", Ok("13800138000"))]
    #[case(" 199 1234 5678 ", Ok("19912345678"))]
    #[case("12800138000", Err(IdentityError::PhoneInvalid))]
    #[case("23800138000", Err(IdentityError::PhoneInvalid))]
    #[case("1380013800", Err(IdentityError::PhoneInvalid))]
    #[case("138001380001", Err(IdentityError::PhoneInvalid))]
    #[case("1380013800a", Err(IdentityError::PhoneInvalid))]
    #[case("8613800138000", Err(IdentityError::PhoneInvalid))]
    #[case("", Err(IdentityError::PhoneInvalid))]
    fn phone_parse(#[case] s: &str, #[case] e: Result<&str, IdentityError>) {
        assert_eq!(
            Phone::parse(s).as_ref().map(Phone::as_str).map_err(|e| *e),
            e
        );
    }

    #[test]
    fn phone_masks_and_serialises() {
        let p = Phone::parse("13812345678");
        assert_eq!(p.as_ref().map(Phone::masked).as_deref(), Ok("138****5678"));
        assert!(serde_json::from_str::<Phone>("\"12345\"").is_err());
        assert_eq!(
            serde_json::from_str::<Phone>("\"13812345678\"").ok(),
            p.ok()
        );
    }

    #[rstest]
    #[case("11010519491231002X", "1101**********002X")]
    #[case("123456789", "1234*6789")]
    #[case("12345678", "********")]
    #[case("", "")]
    #[case("证件号码一二三四五六七", "证件号码***四五六七")]
    fn masks_id_numbers(#[case] raw: &str, #[case] masked: &str) {
        assert_eq!(mask_id_number(raw), masked);
    }

    #[rstest]
    #[case("13812345678", "138****5678")]
    #[case("12345678", "123*5678")]
    #[case("1234567", "*******")]
    #[case("", "")]
    fn masks_phones(#[case] raw: &str, #[case] masked: &str) {
        assert_eq!(mask_phone(raw), masked);
    }

    #[rstest]
    #[case("张三", "张*")]
    #[case("欧阳娜娜", "欧***")]
    #[case("李", "李")]
    #[case(" 王小明 ", "王**")]
    #[case("", "")]
    fn masks_names(#[case] name: &str, #[case] masked: &str) {
        assert_eq!(mask_name(name), masked);
    }

    #[test]
    fn gender_names() {
        for g in [Gender::Male, Gender::Female] {
            assert_eq!(Gender::parse(g.as_str()), Some(g));
        }
        assert_eq!(Gender::parse("Male"), None);
    }

    #[test]
    fn error_codes() {
        assert_eq!(IdentityError::IdLength.code(), ErrorCode::IdLength);
        assert_eq!(IdentityError::IdChars.code(), ErrorCode::IdChars);
        assert_eq!(IdentityError::IdBirthDate.code(), ErrorCode::IdBirthDate);
        assert_eq!(IdentityError::IdChecksum.code(), ErrorCode::IdChecksum);
        assert_eq!(IdentityError::PhoneInvalid.code(), ErrorCode::PhoneInvalid);
    }

    proptest! {
        /// Any number built from parts parses back, and changing any one of its
        /// first 17 digits breaks the checksum (MOD 11-2 catches every single-digit error).
        #[test]
        fn built_numbers_parse_and_detect_single_digit_errors(
            region in 110_000u32..=659_999,
            days in Date::new(1900, 1, 1).map(Date::days_since_epoch).unwrap_or(0)
                ..=Date::new(2025, 12, 31).map(Date::days_since_epoch).unwrap_or(0),
            seq in 0u16..=999,
            pos in 0usize..17,
            bump in 1u8..=9,
        ) {
            let birth = Date::from_days_since_epoch(days);
            let n = IdNumber::from_parts(&region.to_string(), birth, seq)?;
            prop_assert_eq!(IdNumber::parse(n.as_str()), Ok(n.clone()));
            prop_assert_eq!(n.birth_date(), birth);
            prop_assert_eq!(n.gender() == Gender::Male, seq % 2 == 1);
            let mut bytes = n.as_str().as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + bump) % 10;
            let corrupted = String::from_utf8(bytes)?;
            let result = IdNumber::parse(&corrupted);
            prop_assert!(
                matches!(result, Err(IdentityError::IdChecksum | IdentityError::IdBirthDate)),
                "{} -> {:?}", corrupted, result
            );
        }
    }
}
