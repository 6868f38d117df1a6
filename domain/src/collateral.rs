//! Collateral (押品): what secures a mortgage or pledge loan, its value and
//! the loan-to-value ratio (抵质押率) against the bank's cap, and the
//! custody of its title papers in the vault (权证出入库).
//!
//! A banker's summary: a house, a land contract-management right or a
//! vehicle is mortgaged (抵押), a deposit slip or receivables are pledged
//! (质押). Each is recorded with its owner, its certificate (权证) number,
//! the registration number the registry gives once the mortgage is
//! registered (抵押登记), and a valuation with its date. The loan may be at
//! most the cap's share of the collateral's total value; a valuation older
//! than a year is stale and must be redone. The title papers go into the
//! vault before the money goes out and come back out when the loan is paid
//! off, each move asked by one person and confirmed by another (双人复核).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::date::Date;
use crate::error_code::ErrorCode;
use crate::money::Fen;
use crate::product::GuaranteeType;

/// What the collateral is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollateralKind {
    /// 房产 (不动产权证).
    House,
    /// 土地经营权 (农村土地承包经营权证).
    LandRight,
    /// 机动车 (机动车登记证书).
    Vehicle,
    /// 机器设备.
    Equipment,
    /// 存单 (pledge).
    DepositSlip,
    /// 应收账款 (pledge).
    Receivable,
}

impl CollateralKind {
    pub const ALL: [Self; 6] = [
        Self::House,
        Self::LandRight,
        Self::Vehicle,
        Self::Equipment,
        Self::DepositSlip,
        Self::Receivable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::House => "house",
            Self::LandRight => "land_right",
            Self::Vehicle => "vehicle",
            Self::Equipment => "equipment",
            Self::DepositSlip => "deposit_slip",
            Self::Receivable => "receivable",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Mortgaged (抵押) or pledged (质押).
    pub fn guarantee(self) -> GuaranteeType {
        match self {
            Self::DepositSlip | Self::Receivable => GuaranteeType::Pledge,
            _ => GuaranteeType::Mortgage,
        }
    }

    /// Its name in a contract.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::House => "房产",
            Self::LandRight => "土地经营权",
            Self::Vehicle => "机动车",
            Self::Equipment => "机器设备",
            Self::DepositSlip => "存单",
            Self::Receivable => "应收账款",
        }
    }

    /// The bank's usual cap on the loan-to-value ratio (抵质押率), in basis
    /// points of the valuation: 70 % for a house, 50 % for a land right,
    /// a vehicle or equipment, 90 % for a deposit slip, 60 % for
    /// receivables.
    pub fn ltv_cap_bp(self) -> u32 {
        match self {
            Self::House => 7_000,
            Self::LandRight | Self::Vehicle | Self::Equipment => 5_000,
            Self::DepositSlip => 9_000,
            Self::Receivable => 6_000,
        }
    }
}

/// Where the title papers are (权证保管).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Custody {
    /// Recorded; the papers are not in the vault yet.
    Registered,
    /// 入库 asked, waiting for a second person.
    InPending,
    /// 在库: in the vault.
    InVault,
    /// 出库 asked, waiting for a second person.
    OutPending,
    /// 已出库: handed back (the loan paid off).
    Released,
}

impl Custody {
    pub const ALL: [Self; 5] = [
        Self::Registered,
        Self::InPending,
        Self::InVault,
        Self::OutPending,
        Self::Released,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::InPending => "in_pending",
            Self::InVault => "in_vault",
            Self::OutPending => "out_pending",
            Self::Released => "released",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A move of the papers, asked by one person and confirmed by another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustodyMove {
    /// 入库.
    In,
    /// 出库.
    Out,
}

impl CustodyMove {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::In => "in",
            Self::Out => "out",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "in" => Some(Self::In),
            "out" => Some(Self::Out),
            _ => None,
        }
    }
}

/// Why collateral or a custody move is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum CollateralError {
    #[error("the owner's name is required")]
    OwnerMissing,
    #[error("the certificate number is required (at most 64 characters)")]
    CertificateInvalid,
    #[error("the registration number is at most 64 characters")]
    RegistrationInvalid,
    #[error("the valuation must be positive")]
    ValuationNotPositive,
    #[error("the valuation date is in the future")]
    ValuationInFuture,
    #[error("the valuation is more than a year old")]
    ValuationStale,
    #[error("the loan is {ltv_bp} bp of the collateral's value, above the cap of {cap_bp} bp")]
    LtvAboveCap { ltv_bp: u32, cap_bp: u32 },
    #[error("no collateral is recorded")]
    NoCollateral,
    #[error("the mortgage is not registered yet")]
    NotRegistered,
    #[error("the title papers are not in the vault")]
    NotInVault,
    #[error("that move is not possible from where the papers are")]
    CustodyMoveInvalid,
    #[error("the move must be confirmed by someone else")]
    SameCustodian,
    #[error("the loan is not paid off")]
    LoanNotSettled,
    #[error("a photo is a JPEG, PNG or WebP image of at most {max_kib} KiB")]
    PhotoInvalid { max_kib: usize },
    #[error("a piece of collateral has at most {max} photos")]
    TooManyPhotos { max: usize },
}

impl CollateralError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::OwnerMissing => ErrorCode::CollateralOwnerMissing,
            Self::CertificateInvalid => ErrorCode::CollateralCertificateInvalid,
            Self::RegistrationInvalid => ErrorCode::CollateralRegistrationInvalid,
            Self::ValuationNotPositive => ErrorCode::CollateralValuationNotPositive,
            Self::ValuationInFuture => ErrorCode::CollateralValuationInFuture,
            Self::ValuationStale => ErrorCode::CollateralValuationStale,
            Self::LtvAboveCap { .. } => ErrorCode::CollateralLtvAboveCap,
            Self::NoCollateral => ErrorCode::CollateralMissing,
            Self::NotRegistered => ErrorCode::CollateralNotRegistered,
            Self::NotInVault => ErrorCode::CollateralNotInVault,
            Self::CustodyMoveInvalid => ErrorCode::CollateralCustodyMoveInvalid,
            Self::SameCustodian => ErrorCode::CollateralSameCustodian,
            Self::LoanNotSettled => ErrorCode::LoanNotSettled,
            Self::PhotoInvalid { .. } => ErrorCode::CollateralPhotoInvalid,
            Self::TooManyPhotos { .. } => ErrorCode::CollateralTooManyPhotos,
        }
    }
}

/// The largest photo of a piece of collateral, as stored: as base64 it fits
/// the server's 2 MB request limit (the browser scales a camera's picture
/// down to a few hundred kilobytes first).
pub const MAX_PHOTO_BYTES: usize = 1024 * 1024;
/// Photos of one piece of collateral (the house, its papers, the site).
pub const MAX_PHOTOS: usize = 8;

/// The image type of a photo, from its first bytes, never from what the
/// upload says it is: a photo is a JPEG, PNG or WebP image of at most
/// [`MAX_PHOTO_BYTES`]; its content type.
pub fn photo_type(bytes: &[u8]) -> Result<&'static str, CollateralError> {
    let invalid = CollateralError::PhotoInvalid {
        max_kib: MAX_PHOTO_BYTES / 1024,
    };
    if bytes.len() > MAX_PHOTO_BYTES || bytes.len() < 12 {
        return Err(invalid);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Ok("image/png")
    } else if bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Ok("image/webp")
    } else {
        Err(invalid)
    }
}

/// Whether one more photo may be added to a piece that has `count`.
pub fn may_add_photo(count: usize) -> Result<(), CollateralError> {
    if count >= MAX_PHOTOS {
        return Err(CollateralError::TooManyPhotos { max: MAX_PHOTOS });
    }
    Ok(())
}

/// A valuation is good for a year (re-valued yearly).
pub const VALUATION_VALID_DAYS: i64 = 365;

/// Collateral as recorded by the officer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollateralInput {
    pub kind: CollateralKind,
    pub owner_name: String,
    /// 权证号: the certificate of title (不动产权证号, 登记证书号, 存单号…).
    pub certificate_no: String,
    /// 抵押登记号 (他项权证号), once the registry has registered the
    /// mortgage; pledges of a deposit slip need none.
    pub registration_no: Option<String>,
    pub valuation: Fen,
    pub valued_on: Date,
    /// Who valued it (评估机构, or 行内评估).
    pub valuer: String,
    pub description: String,
}

fn text_ok(s: &str, max: usize) -> bool {
    let n = s.trim().chars().count();
    n > 0 && n <= max && !s.chars().any(char::is_control)
}

impl CollateralInput {
    /// Checks the record on `today`, and trims it.
    pub fn validate(mut self, today: Date) -> Result<CollateralInput, CollateralError> {
        if !text_ok(&self.owner_name, 40) {
            return Err(CollateralError::OwnerMissing);
        }
        if !text_ok(&self.certificate_no, 64) {
            return Err(CollateralError::CertificateInvalid);
        }
        self.registration_no = match self.registration_no.take().map(|r| r.trim().to_string()) {
            Some(r) if r.is_empty() => None,
            Some(r) if !text_ok(&r, 64) => return Err(CollateralError::RegistrationInvalid),
            other => other,
        };
        if self.valuation.get() <= 0 {
            return Err(CollateralError::ValuationNotPositive);
        }
        if self.valued_on > today {
            return Err(CollateralError::ValuationInFuture);
        }
        if self.valued_on.days_until(today) > VALUATION_VALID_DAYS {
            return Err(CollateralError::ValuationStale);
        }
        self.owner_name = self.owner_name.trim().to_string();
        self.certificate_no = self.certificate_no.trim().to_string();
        self.valuer = self.valuer.trim().chars().take(60).collect();
        self.description = self.description.trim().chars().take(500).collect();
        Ok(self)
    }
}

/// One piece of collateral as the payout check sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pledged {
    pub kind: CollateralKind,
    pub valuation: Fen,
    pub valued_on: Date,
    pub registered: bool,
    pub custody: Custody,
}

/// One piece of collateral as a contract names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Described<'a> {
    pub kind: CollateralKind,
    pub owner_name: &'a str,
    pub certificate_no: &'a str,
    pub registration_no: Option<&'a str>,
    pub valuation: Fen,
    pub valued_on: Date,
    pub valuer: &'a str,
}

/// What the contracts say is mortgaged or pledged (the `collateral_summary`
/// placeholder): each piece with its certificate, owner, registration and
/// valuation, numbered, separated by "；".
pub fn contract_summary(items: &[Described<'_>]) -> String {
    items
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let registration = d
                .registration_no
                .map(|r| format!("，抵押登记证明号{r}"))
                .unwrap_or_default();
            format!(
                "（{}）{}，权证号{}，所有权人{}{}，评估价值人民币{}元（{}于{}评估）",
                i + 1,
                d.kind.label_zh(),
                d.certificate_no,
                d.owner_name,
                registration,
                d.valuation,
                d.valuer,
                crate::contract::date_zh(d.valued_on),
            )
        })
        .collect::<Vec<_>>()
        .join("；")
}

/// The loan-to-value ratio in basis points, rounded up: `amount / value`.
pub fn ltv_bp(amount: Fen, value: Fen) -> u32 {
    if value.get() <= 0 {
        return u32::MAX;
    }
    let (a, v) = (i128::from(amount.get().max(0)), i128::from(value.get()));
    u32::try_from((a * 10_000 + v - 1) / v).unwrap_or(u32::MAX)
}

/// The cap of a set of collateral: each piece's value counts at its own
/// cap, so the loan may be at most the sum of `value × cap`; this is that
/// sum's share of the total value, in basis points.
pub fn blended_cap_bp(items: &[Pledged]) -> u32 {
    let total: i128 = items.iter().map(|p| i128::from(p.valuation.get())).sum();
    if total <= 0 {
        return 0;
    }
    let allowed: i128 = items
        .iter()
        .map(|p| i128::from(p.valuation.get()) * i128::from(p.kind.ltv_cap_bp()))
        .sum();
    u32::try_from(allowed / total).unwrap_or(0)
}

/// The cap a loan is held to: the blended cap of its collateral, and no
/// more than its product's own cap when the product sets one.
pub fn cap_bp(items: &[Pledged], product_cap_bp: Option<u32>) -> u32 {
    let blended = blended_cap_bp(items);
    product_cap_bp.map_or(blended, |c| blended.min(c))
}

/// May a loan of `amount` be paid out against `items` on `today`? Each
/// piece must be valued within the year, registered (a mortgage) and in
/// the vault; the loan at most the cap of their value ([`cap_bp`]: the
/// blended cap, and the product's when lower).
pub fn ready_for_payout(
    amount: Fen,
    items: &[Pledged],
    today: Date,
    product_cap_bp: Option<u32>,
) -> Result<(), CollateralError> {
    if items.is_empty() {
        return Err(CollateralError::NoCollateral);
    }
    for p in items {
        if p.valued_on.days_until(today) > VALUATION_VALID_DAYS {
            return Err(CollateralError::ValuationStale);
        }
        if !p.registered && p.kind.guarantee() == GuaranteeType::Mortgage {
            return Err(CollateralError::NotRegistered);
        }
        if p.custody != Custody::InVault {
            return Err(CollateralError::NotInVault);
        }
    }
    let value: Fen = items.iter().map(|p| p.valuation).sum();
    let (ltv, cap) = (ltv_bp(amount, value), cap_bp(items, product_cap_bp));
    if ltv > cap {
        return Err(CollateralError::LtvAboveCap {
            ltv_bp: ltv,
            cap_bp: cap,
        });
    }
    Ok(())
}

/// Where a custody move leads: asking moves the papers to pending, a
/// second person's confirmation completes it, and a refusal puts them back.
/// `Out` is only asked once the loan is paid off (`settled`).
pub fn ask_move(from: Custody, m: CustodyMove, settled: bool) -> Result<Custody, CollateralError> {
    match (from, m) {
        (Custody::Registered, CustodyMove::In) => Ok(Custody::InPending),
        (Custody::InVault, CustodyMove::Out) if settled => Ok(Custody::OutPending),
        (Custody::InVault, CustodyMove::Out) => Err(CollateralError::LoanNotSettled),
        _ => Err(CollateralError::CustodyMoveInvalid),
    }
}

/// The confirmation (or refusal) of the pending move by someone other than
/// who asked for it.
pub fn confirm_move(
    from: Custody,
    asked_by: &str,
    by: &str,
    approve: bool,
) -> Result<Custody, CollateralError> {
    if asked_by == by {
        return Err(CollateralError::SameCustodian);
    }
    match (from, approve) {
        (Custody::InPending, true) => Ok(Custody::InVault),
        (Custody::InPending, false) => Ok(Custody::Registered),
        (Custody::OutPending, true) => Ok(Custody::Released),
        (Custody::OutPending, false) => Ok(Custody::InVault),
        _ => Err(CollateralError::CustodyMoveInvalid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_photo_is_an_image_by_its_bytes_within_the_size() {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
        jpeg.resize(5_000, 0);
        assert_eq!(photo_type(&jpeg), Ok("image/jpeg"));
        let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        png.resize(100, 0);
        assert_eq!(photo_type(&png), Ok("image/png"));
        let mut webp = b"RIFF\0\0\0\0WEBPVP8 ".to_vec();
        webp.resize(100, 0);
        assert_eq!(photo_type(&webp), Ok("image/webp"));
        let invalid = Err(CollateralError::PhotoInvalid { max_kib: 1024 });
        assert_eq!(photo_type(b"<svg onload=alert(1)></svg>"), invalid);
        assert_eq!(photo_type(b"%PDF-1.7 not an image"), invalid);
        assert_eq!(photo_type(&[0xFF, 0xD8, 0xFF]), invalid);
        jpeg.resize(MAX_PHOTO_BYTES + 1, 0);
        assert_eq!(photo_type(&jpeg), invalid);
        assert!(may_add_photo(MAX_PHOTOS - 1).is_ok());
        assert_eq!(
            may_add_photo(MAX_PHOTOS),
            Err(CollateralError::TooManyPhotos { max: MAX_PHOTOS })
        );
    }

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap_or(Date::EPOCH)
    }

    fn house() -> CollateralInput {
        CollateralInput {
            kind: CollateralKind::House,
            owner_name: " 王建国 ".into(),
            certificate_no: "赣(2025)县不动产权第0001234号".into(),
            registration_no: Some(" ".into()),
            valuation: Fen::from_yuan(500_000),
            valued_on: d("2026-10-01"),
            valuer: "县诚信资产评估".into(),
            description: "两层砖混住宅".into(),
        }
    }

    #[test]
    fn the_contract_names_each_piece_with_its_papers_and_value() {
        let one = Described {
            kind: CollateralKind::House,
            owner_name: "王建国",
            certificate_no: "赣(2025)县不动产权第0001234号",
            registration_no: Some("赣(2026)县不动产证明第0009876号"),
            valuation: Fen::from_yuan(500_000),
            valued_on: d("2026-10-01"),
            valuer: "县诚信资产评估",
        };
        let two = Described {
            kind: CollateralKind::DepositSlip,
            registration_no: None,
            certificate_no: "NO.0001",
            valuation: Fen::from_yuan(20_000),
            ..one
        };
        assert_eq!(
            contract_summary(&[one, two]),
            "（1）房产，权证号赣(2025)县不动产权第0001234号，所有权人王建国，\
             抵押登记证明号赣(2026)县不动产证明第0009876号，评估价值人民币500,000.00元\
             （县诚信资产评估于2026年10月01日评估）；（2）存单，权证号NO.0001，所有权人王建国，\
             评估价值人民币20,000.00元（县诚信资产评估于2026年10月01日评估）"
        );
        assert_eq!(contract_summary(&[]), "");
    }

    fn pledged(kind: CollateralKind, yuan: i64) -> Pledged {
        Pledged {
            kind,
            valuation: Fen::from_yuan(yuan),
            valued_on: d("2026-10-01"),
            registered: true,
            custody: Custody::InVault,
        }
    }

    #[test]
    fn a_record_is_checked_and_trimmed() {
        let today = d("2026-12-07");
        let ok = house().validate(today).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ok.owner_name, "王建国");
        assert_eq!(ok.registration_no, None);
        let bad = |f: fn(&mut CollateralInput)| {
            let mut c = house();
            f(&mut c);
            c.validate(today).err()
        };
        assert_eq!(
            bad(|c| c.owner_name = "  ".into()),
            Some(CollateralError::OwnerMissing)
        );
        assert_eq!(
            bad(|c| c.certificate_no = "x".repeat(65)),
            Some(CollateralError::CertificateInvalid)
        );
        assert_eq!(
            bad(|c| c.valuation = Fen::ZERO),
            Some(CollateralError::ValuationNotPositive)
        );
        assert_eq!(
            bad(|c| c.valued_on = d("2026-12-08")),
            Some(CollateralError::ValuationInFuture)
        );
        assert_eq!(
            bad(|c| c.valued_on = d("2025-12-06")),
            Some(CollateralError::ValuationStale)
        );
        assert_eq!(
            bad(|c| c.registration_no = Some("a\u{7}".into())),
            Some(CollateralError::RegistrationInvalid)
        );
        assert!(
            bad(|c| c.valued_on = d("2025-12-07")).is_none(),
            "a year to the day"
        );
    }

    #[test]
    fn the_loan_is_at_most_the_cap_of_the_value() {
        let today = d("2026-12-07");
        let items = [pledged(CollateralKind::House, 500_000)];
        assert_eq!(
            ltv_bp(Fen::from_yuan(350_000), Fen::from_yuan(500_000)),
            7_000
        );
        assert!(ready_for_payout(Fen::from_yuan(350_000), &items, today, None).is_ok());
        assert_eq!(
            ready_for_payout(Fen::from_yuan(350_001), &items, today, None),
            Err(CollateralError::LtvAboveCap {
                ltv_bp: 7_001,
                cap_bp: 7_000
            })
        );
        // A house and a deposit slip: each counts at its own cap.
        let two = [
            pledged(CollateralKind::House, 100_000),
            pledged(CollateralKind::DepositSlip, 100_000),
        ];
        assert_eq!(blended_cap_bp(&two), 8_000);
        assert!(ready_for_payout(Fen::from_yuan(160_000), &two, today, None).is_ok());
        assert!(ready_for_payout(Fen::from_yuan(160_001), &two, today, None).is_err());
        // A product's own cap, when lower, holds the loan to it.
        assert_eq!(cap_bp(&two, Some(6_000)), 6_000);
        assert_eq!(cap_bp(&two, Some(9_000)), 8_000);
        assert!(ready_for_payout(Fen::from_yuan(120_000), &two, today, Some(6_000)).is_ok());
        assert_eq!(
            ready_for_payout(Fen::from_yuan(120_001), &two, today, Some(6_000)),
            Err(CollateralError::LtvAboveCap {
                ltv_bp: 6_001,
                cap_bp: 6_000
            })
        );
    }

    #[test]
    fn payout_needs_registration_the_vault_and_a_fresh_valuation() {
        let today = d("2026-12-07");
        let amount = Fen::from_yuan(10_000);
        assert_eq!(
            ready_for_payout(amount, &[], today, None),
            Err(CollateralError::NoCollateral)
        );
        let mut p = pledged(CollateralKind::House, 500_000);
        p.registered = false;
        assert_eq!(
            ready_for_payout(amount, &[p], today, None),
            Err(CollateralError::NotRegistered)
        );
        // A deposit slip is pledged, not registered at a registry.
        let mut slip = pledged(CollateralKind::DepositSlip, 50_000);
        slip.registered = false;
        assert!(ready_for_payout(amount, &[slip], today, None).is_ok());
        let mut p = pledged(CollateralKind::House, 500_000);
        p.custody = Custody::InPending;
        assert_eq!(
            ready_for_payout(amount, &[p], today, None),
            Err(CollateralError::NotInVault)
        );
        assert_eq!(
            ready_for_payout(
                amount,
                &[pledged(CollateralKind::House, 500_000)],
                d("2027-10-02"),
                None
            ),
            Err(CollateralError::ValuationStale)
        );
    }

    #[test]
    fn custody_moves_take_two_people() {
        let asked = ask_move(Custody::Registered, CustodyMove::In, false);
        assert_eq!(asked, Ok(Custody::InPending));
        assert_eq!(
            confirm_move(Custody::InPending, "a", "a", true),
            Err(CollateralError::SameCustodian)
        );
        assert_eq!(
            confirm_move(Custody::InPending, "a", "b", true),
            Ok(Custody::InVault)
        );
        assert_eq!(
            confirm_move(Custody::InPending, "a", "b", false),
            Ok(Custody::Registered)
        );
        assert_eq!(
            ask_move(Custody::InVault, CustodyMove::Out, false),
            Err(CollateralError::LoanNotSettled)
        );
        assert_eq!(
            ask_move(Custody::InVault, CustodyMove::Out, true),
            Ok(Custody::OutPending)
        );
        assert_eq!(
            confirm_move(Custody::OutPending, "a", "b", true),
            Ok(Custody::Released)
        );
        assert_eq!(
            confirm_move(Custody::OutPending, "a", "b", false),
            Ok(Custody::InVault)
        );
        assert_eq!(
            ask_move(Custody::Released, CustodyMove::In, true),
            Err(CollateralError::CustodyMoveInvalid)
        );
        assert_eq!(
            confirm_move(Custody::InVault, "a", "b", true),
            Err(CollateralError::CustodyMoveInvalid)
        );
        for c in Custody::ALL {
            assert_eq!(Custody::parse(c.as_str()), Some(c));
        }
        for k in CollateralKind::ALL {
            assert_eq!(CollateralKind::parse(k.as_str()), Some(k));
        }
    }
}
