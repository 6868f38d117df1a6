//! `puhui verify-contract FILE` of the real binary: exit 0 and "valid" for
//! a file sealed with this bank's key (derived from `PUHUI_AUDIT_KEY`),
//! exit 1 for the same file with one character changed, or sealed by
//! another bank.

use std::path::Path;
use std::process::Command;

use domain::contract::{canonical_bytes, ContractKind, SignedContent, Signer, SignerRole};
use service::contracts::verify::export_bytes;
use service::contracts::{sha256, SealKey};

const BIN: &str = env!("CARGO_BIN_EXE_puhui");
const AUDIT_KEY: &str = "fedcba9876543210fedcba9876543210-audit-test";
const PRODUCTION: [(&str, &str); 5] = [
    ("PUHUI_OTP_SECRET", "0123456789abcdef0123456789abcdef-test"),
    ("PUHUI_AUDIT_KEY", AUDIT_KEY),
    ("PUHUI_PFI_KEY", "00112233445566778899aabbccddeeff-pfi-test"),
    (
        "PUHUI_PFI_INDEX_KEY",
        "00112233445566778899aabbccddeeff-index-test",
    ),
    ("PUHUI_DEV_PROVIDERS", "sms,bureau,payments,esign,face"),
];

fn verify(dir: &Path, file: &Path) -> (bool, String) {
    let out = Command::new(BIN)
        .args(["verify-contract", file.to_str().expect("path")])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/puhui.db?mode=rwc", dir.display()),
        )
        .env("RUST_LOG", "warn")
        .envs(PRODUCTION)
        .output()
        .expect("verify-contract");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn sealed_file(secret: &str) -> Vec<u8> {
    let content = SignedContent {
        contract_no: "HT20261124000001".into(),
        kind: ContractKind::Loan,
        template_version: 0,
        text: "个人借款合同\n借款人：王建国\n借款金额：人民币50,000.00元".into(),
        signers: vec![
            Signer {
                role: SignerRole::Borrower,
                name: "王建国".into(),
                id_number_masked: "1101**********1234".into(),
                signed_at_ms: 1_795_000_000_000,
            },
            Signer {
                role: SignerRole::Bank,
                name: "临川农商银行".into(),
                id_number_masked: String::new(),
                signed_at_ms: 1_795_000_000_000,
            },
        ],
    };
    let key = SealKey::from_secret(secret);
    let seal = key.seal(&sha256(&canonical_bytes(&content)));
    export_bytes(&content, &key.public_hex(), &seal)
}

#[test]
fn verify_contract_says_whether_a_file_is_the_one_sealed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("contract.txt");

    std::fs::write(&file, sealed_file(AUDIT_KEY)).expect("write");
    let (ok, out) = verify(dir.path(), &file);
    assert!(ok, "{out}");
    assert!(out.contains("\"valid\": true"), "{out}");
    assert!(out.contains("HT20261124000001"), "{out}");

    let forged = String::from_utf8(sealed_file(AUDIT_KEY))
        .expect("utf-8")
        .replacen("50,000.00", "80,000.00", 1);
    std::fs::write(&file, forged).expect("write");
    let (ok, out) = verify(dir.path(), &file);
    assert!(!ok, "{out}");
    assert!(out.contains("\"valid\": false"), "{out}");

    std::fs::write(&file, sealed_file("another bank's secret")).expect("write");
    let (ok, out) = verify(dir.path(), &file);
    assert!(!ok, "{out}");
}
