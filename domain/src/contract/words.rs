//! An amount in capital Chinese numerals (人民币大写), as written on bank
//! contracts, cheques and vouchers so that a figure cannot be altered.
//!
//! # Convention
//!
//! The People's Bank of China's 《支付结算办法》 (银发〔1997〕393号), annex
//! 《正确填写票据和结算凭证的基本规定》, and the Ministry of Finance's
//! 《会计基础工作规范》 (财会字〔1996〕19号) art. 52:
//!
//! - Digits 零壹贰叁肆伍陆柒捌玖, units 拾佰仟万亿, then 元角分, and 人民币 in front.
//! - An amount ending at 元 or at 角 ends with 整 (the 财政部 rule; the PBoC
//!   annex says 整 "may" be left off after 角, so writing it is allowed by both
//!   and leaves no room to append a 分); an amount with 分 has no 整.
//! - One 零 for any run of zeros between non-zero digits: ¥1,409.50 →
//!   壹仟肆佰零玖元伍角整, ¥6,007.14 → 陆仟零柒元壹角肆分.
//! - A zero 万 or 元 digit followed by a non-zero 千 or 角 digit: the annex
//!   allows one 零 or none; we write the first form its examples give,
//!   ¥1,680.32 → 壹仟陆佰捌拾元零叁角贰分 and ¥107,000.53 →
//!   壹拾万柒仟元零伍角叁分. So a 零 is written after 元 when the yuan end in
//!   zero and there are jiao, and no 零 is written before a 千 digit that starts
//!   a 万 group (which is also how the numbers are read aloud).
//! - A zero 角 with a non-zero 分 always takes 零 after 元: ¥16,409.02 →
//!   壹万陆仟肆佰零玖元零贰分.
//! - 拾 always has its digit in front, also at the start: ¥10 → 壹拾元整,
//!   ¥100,000 → 壹拾万元整 (the annex's ¥107,000.53 example).
//! - Under one yuan no 零元 is written: ¥0.35 → 叁角伍分; zero itself is
//!   零元整.
//! - Above 亿 the 亿 group may itself hold 万: ¥1,234,567,890,123.45 →
//!   壹万贰仟叁佰肆拾伍亿陆仟柒佰捌拾玖万零壹佰贰拾叁元肆角伍分 (beyond any
//!   loan: [`crate::schedule::MAX_PRINCIPAL`] is 壹万亿元).

use crate::money::Fen;

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];

/// `fen` in capital numerals with the 人民币 prefix: 50,000.00 →
/// "人民币伍万元整", 12,345.67 → "人民币壹万贰仟叁佰肆拾伍元陆角柒分",
/// 100,000.05 → "人民币壹拾万元零伍分", 0 → "人民币零元整". `None` for a
/// negative amount: a contract never states a negative sum, and 负 has no
/// agreed place in the capital form.
///
/// See the module documentation for the rules and where they come from.
pub fn amount_in_words(amount: Fen) -> Option<String> {
    let fen = u64::try_from(amount.get()).ok()?;
    let (yuan, jiao, fen) = (fen / 100, (fen / 10 % 10) as usize, (fen % 10) as usize);
    let mut s = String::from("人民币");
    if yuan > 0 {
        s.push_str(&integer_words(yuan));
        s.push('元');
        if jiao != 0 && yuan % 10 == 0 {
            s.push('零');
        }
    }
    match (jiao, fen) {
        (0, 0) if yuan == 0 => s.push_str("零元整"),
        (0, 0) => s.push('整'),
        (0, f) => {
            if yuan > 0 {
                s.push('零');
            }
            s.push(DIGITS[f]);
            s.push('分');
        }
        (j, 0) => {
            s.push(DIGITS[j]);
            s.push_str("角整");
        }
        (j, f) => {
            s.push(DIGITS[j]);
            s.push('角');
            s.push(DIGITS[f]);
            s.push('分');
        }
    }
    Some(s)
}

/// A positive whole number in capital numerals, without 元. Groups of eight
/// digits are joined by 亿 and groups of four by 万; a lower group that does
/// not fill its top digit is introduced by one 零, and each group starts with
/// a non-zero digit, so two 零 never meet.
fn integer_words(n: u64) -> String {
    const YI: u64 = 100_000_000;
    const WAN: u64 = 10_000;
    let join = |high: String, unit: char, low: u64, full: u64| {
        let mut s = high;
        s.push(unit);
        if low > 0 {
            if low < full / 10 {
                s.push('零');
            }
            s.push_str(&integer_words(low));
        }
        s
    };
    if n >= YI {
        join(integer_words(n / YI), '亿', n % YI, YI)
    } else if n >= WAN {
        join(group_words(n / WAN), '万', n % WAN, WAN)
    } else {
        group_words(n)
    }
}

/// 1..=9999 in capital numerals: each non-zero digit with its unit, one 零 for
/// a run of zeros between two non-zero digits, nothing for trailing zeros.
fn group_words(n: u64) -> String {
    const UNITS: [&str; 4] = ["仟", "佰", "拾", ""];
    let digits = [n / 1000 % 10, n / 100 % 10, n / 10 % 10, n % 10];
    let mut s = String::new();
    let mut pending_zero = false;
    for (d, unit) in digits.into_iter().zip(UNITS) {
        if d == 0 {
            pending_zero = !s.is_empty();
            continue;
        }
        if pending_zero {
            s.push('零');
            pending_zero = false;
        }
        s.push(DIGITS[d as usize]);
        s.push_str(unit);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    /// Reads capital numerals back into fen: an independent check that the
    /// words say the amount (and so that different amounts differ).
    fn words_to_fen(words: &str) -> Option<i64> {
        let rest = words.strip_prefix("人民币")?;
        let rest = rest.strip_suffix('整').unwrap_or(rest);
        let (yuan_part, small) = match rest.split_once('元') {
            Some((y, s)) => (y, s),
            None => ("", rest),
        };
        let digit = |c: char| DIGITS.iter().position(|&d| d == c).map(|d| d as i64);
        let (mut total, mut wan, mut group, mut last) = (0i64, 0i64, 0i64, 0i64);
        for c in yuan_part.chars() {
            match c {
                '拾' => group += last * 10,
                '佰' => group += last * 100,
                '仟' => group += last * 1000,
                '万' => wan = (group + last) * 10_000,
                '亿' => total = (total + wan + group + last) * 100_000_000,
                _ => {
                    last = digit(c)?;
                    continue;
                }
            }
            if c == '万' || c == '亿' {
                group = 0;
                if c == '亿' {
                    wan = 0;
                }
            }
            last = 0;
        }
        let yuan = total + wan + group + last;
        let mut fen = yuan * 100;
        let mut last = 0;
        for c in small.chars() {
            match c {
                '角' => fen += last * 10,
                '分' => fen += last,
                _ => {
                    last = digit(c)?;
                    continue;
                }
            }
            last = 0;
        }
        Some(fen)
    }

    #[rstest]
    // The examples of the PBoC annex (with 整 after 角, see the module doc).
    #[case(140_950, "人民币壹仟肆佰零玖元伍角整")]
    #[case(600_714, "人民币陆仟零柒元壹角肆分")]
    #[case(168_032, "人民币壹仟陆佰捌拾元零叁角贰分")]
    #[case(10_700_053, "人民币壹拾万柒仟元零伍角叁分")]
    #[case(1_640_902, "人民币壹万陆仟肆佰零玖元零贰分")]
    #[case(32_504, "人民币叁佰贰拾伍元零肆分")]
    // The brief's examples.
    #[case(5_000_000, "人民币伍万元整")]
    #[case(1_234_567, "人民币壹万贰仟叁佰肆拾伍元陆角柒分")]
    #[case(10_000_005, "人民币壹拾万元零伍分")]
    #[case(0, "人民币零元整")]
    // Under one yuan.
    #[case(1, "人民币壹分")]
    #[case(5, "人民币伍分")]
    #[case(10, "人民币壹角整")]
    #[case(35, "人民币叁角伍分")]
    #[case(99, "人民币玖角玖分")]
    // 拾 with its 壹, and zeros inside a group.
    #[case(100, "人民币壹元整")]
    #[case(1_000, "人民币壹拾元整")]
    #[case(1_100, "人民币壹拾壹元整")]
    #[case(1_010, "人民币壹拾元零壹角整")]
    #[case(11_000, "人民币壹佰壹拾元整")]
    #[case(101_000, "人民币壹仟零壹拾元整")]
    #[case(100_100, "人民币壹仟零壹元整")]
    #[case(100_000, "人民币壹仟元整")]
    #[case(100_001, "人民币壹仟元零壹分")]
    #[case(100_011, "人民币壹仟元零壹角壹分")]
    #[case(100_110, "人民币壹仟零壹元壹角整")]
    // Across 万.
    #[case(1_000_000, "人民币壹万元整")]
    #[case(1_000_100, "人民币壹万零壹元整")]
    #[case(1_010_000, "人民币壹万零壹佰元整")]
    #[case(1_100_000, "人民币壹万壹仟元整")]
    #[case(10_001_000, "人民币壹拾万零壹拾元整")]
    #[case(10_070_000, "人民币壹拾万零柒佰元整")]
    #[case(30_000_000, "人民币叁拾万元整")]
    #[case(99_999_999, "人民币玖拾玖万玖仟玖佰玖拾玖元玖角玖分")]
    #[case(100_000_000, "人民币壹佰万元整")]
    #[case(9_999_999_900, "人民币玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元整")]
    // Across 亿.
    #[case(10_000_000_000, "人民币壹亿元整")]
    #[case(10_000_000_100, "人民币壹亿零壹元整")]
    #[case(10_001_000_000, "人民币壹亿零壹万元整")]
    #[case(10_100_000_000, "人民币壹亿零壹佰万元整")]
    #[case(11_000_000_000, "人民币壹亿壹仟万元整")]
    #[case(100_000_000_000, "人民币壹拾亿元整")]
    #[case(100_000_000_000_000, "人民币壹万亿元整")]
    #[case(100_010_000_000_000, "人民币壹万零壹亿元整")]
    #[case(
        123_456_789_012_345,
        "人民币壹万贰仟叁佰肆拾伍亿陆仟柒佰捌拾玖万零壹佰贰拾叁元肆角伍分"
    )]
    // Past 亿亿 the old form 玖亿…亿 follows; no loan comes near.
    #[case(
        i64::MAX,
        "人民币玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌元零柒分"
    )]
    fn writes_capital_numerals(#[case] fen: i64, #[case] words: &str) {
        assert_eq!(amount_in_words(Fen(fen)).as_deref(), Some(words));
        assert_eq!(words_to_fen(words), Some(fen), "the reader agrees");
    }

    #[rstest]
    #[case(-1)]
    #[case(-5_000_000)]
    #[case(i64::MIN)]
    fn refuses_negative_amounts(#[case] fen: i64) {
        assert_eq!(amount_in_words(Fen(fen)), None);
    }

    fn well_formed(words: &str) -> Result<(), TestCaseError> {
        prop_assert!(words.starts_with("人民币"));
        prop_assert!(words.chars().count() > 3);
        prop_assert!(!words.contains("零零"), "{}", words);
        prop_assert!(
            !words.contains("零元") || words == "人民币零元整",
            "{}",
            words
        );
        prop_assert!(
            !words.contains("零万") && !words.contains("零亿"),
            "{}",
            words
        );
        prop_assert_eq!(words.ends_with('整'), !words.contains('分'), "{}", words);
        Ok(())
    }

    proptest! {
        #[test]
        fn words_are_well_formed_and_read_back(fen in 0i64..=1_000_000_000_000) {
            let words = amount_in_words(Fen(fen)).unwrap_or_default();
            well_formed(&words)?;
            prop_assert_eq!(words_to_fen(&words), Some(fen), "{}", words);
        }

        #[test]
        fn different_amounts_have_different_words(
            a in 0i64..=1_000_000_000_000,
            b in 0i64..=1_000_000_000_000,
        ) {
            prop_assume!(a != b);
            prop_assert_ne!(amount_in_words(Fen(a)), amount_in_words(Fen(b)));
        }

        #[test]
        fn large_amounts_read_back(fen in 0i64..=i64::MAX) {
            let words = amount_in_words(Fen(fen)).unwrap_or_default();
            well_formed(&words)?;
            prop_assert_eq!(words_to_fen(&words), Some(fen), "{}", words);
        }

        /// Amounts made mostly of zeros, where the 零 rules matter.
        #[test]
        fn sparse_amounts_read_back(digits in proptest::collection::vec(
            prop_oneof![4 => Just(0i64), 1 => 1i64..=9], 1..=17)) {
            let fen = digits.iter().fold(0i64, |acc, d| acc * 10 + d);
            let words = amount_in_words(Fen(fen)).unwrap_or_default();
            well_formed(&words)?;
            prop_assert_eq!(words_to_fen(&words), Some(fen), "{}", words);
        }
    }
}
