//! 合同验真 (`/verify`, public): anyone holding a contract file the bank
//! exported uploads it and reads 有效 or 无效 in big words, with the
//! contract number, when it was signed and by whom (ID numbers masked), or
//! why not. The file is read in the browser and its bytes posted; the
//! server caps them before it parses anything. The service's reasons are
//! English for the log and the command line: they become a
//! [`VerifyReason`] on the server, and only its words reach the page.

use crate::components::customer_frame::{CustomerFrame, Tab};
use crate::components::FormError;
use crate::error::{AppError, ErrorCode};
use crate::format::datetime;
use crate::i18n::{t, Texts};
use domain::contract::Signer;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The largest file checked: a contract file is a few tens of KB, and the
/// request carries it as base64 under the server's body limit.
pub const CONTRACT_FILE_MAX_BYTES: usize = 1024 * 1024;

/// Why a file is not a contract the bank sealed, as the page words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VerifyReason {
    NoSeal,
    SealDamaged,
    ContentDamaged,
    Changed,
    OtherKey,
    SealInvalid,
    NotOnRecord,
    Unknown,
}

impl VerifyReason {
    /// The reason the service gave (`service::contracts::verify`), by its
    /// fixed English wording.
    pub fn of(reason: &str) -> VerifyReason {
        if reason.starts_with("no seal") {
            VerifyReason::NoSeal
        } else if reason.starts_with("the seal is damaged") {
            VerifyReason::SealDamaged
        } else if reason.starts_with("the contract is damaged") {
            VerifyReason::ContentDamaged
        } else if reason.starts_with("the contract was changed") {
            VerifyReason::Changed
        } else if reason.starts_with("not sealed with this bank") {
            VerifyReason::OtherKey
        } else if reason.starts_with("the seal does not hold") {
            VerifyReason::SealInvalid
        } else if reason.starts_with("not the contract on record") {
            VerifyReason::NotOnRecord
        } else {
            VerifyReason::Unknown
        }
    }

    pub fn words(self, t: &'static Texts) -> &'static str {
        match self {
            VerifyReason::NoSeal => t.vf_reason_no_seal,
            VerifyReason::SealDamaged => t.vf_reason_seal_damaged,
            VerifyReason::ContentDamaged => t.vf_reason_content_damaged,
            VerifyReason::Changed => t.vf_reason_changed,
            VerifyReason::OtherKey => t.vf_reason_other_key,
            VerifyReason::SealInvalid => t.vf_reason_seal_invalid,
            VerifyReason::NotOnRecord => t.vf_reason_not_on_record,
            VerifyReason::Unknown => t.vf_reason_unknown,
        }
    }
}

/// What the check found, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyAnswer {
    pub valid: bool,
    pub contract_no: Option<String>,
    pub signed_at: Option<i64>,
    pub signers: Vec<Signer>,
    pub reason: Option<VerifyReason>,
}

/// Checks a contract file (base64 of its bytes). No sign-in: whoever holds
/// the file may check it; the answer says only what the file itself says.
#[server(prefix = "/api/fn", endpoint = "verify_contract", input = server_fn::codec::Json)]
pub async fn verify_contract(content_base64: String) -> Result<VerifyAnswer, AppError> {
    use base64::Engine;
    let too_large = || {
        AppError::invalid(ErrorCode::ContractFileTooLarge).with(
            "max_mb",
            (CONTRACT_FILE_MAX_BYTES / (1024 * 1024)).to_string(),
        )
    };
    if content_base64.is_empty() {
        return Err(AppError::invalid(ErrorCode::ContractFileMissing));
    }
    if content_base64.len() > CONTRACT_FILE_MAX_BYTES.div_ceil(3) * 4 {
        return Err(too_large());
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(content_base64.as_bytes())
        .map_err(|_| AppError::invalid(ErrorCode::ContractContentInvalid))?;
    if bytes.len() > CONTRACT_FILE_MAX_BYTES {
        return Err(too_large());
    }
    let services = crate::session::services()?;
    let v = services.contracts().verify_contract_file(&bytes).await?;
    Ok(VerifyAnswer {
        valid: v.valid,
        contract_no: v.contract_no,
        signed_at: v.signed_at,
        signers: v.signers,
        reason: v.reason.as_deref().map(VerifyReason::of),
    })
}

/// The chosen file's bytes, read in the browser, refused over the cap.
#[cfg(not(feature = "ssr"))]
async fn read_file(input: &web_sys::HtmlInputElement) -> Result<Vec<u8>, AppError> {
    let file = input
        .files()
        .and_then(|f| f.get(0))
        .ok_or_else(|| AppError::new(ErrorCode::ContractFileMissing))?;
    if file.size() > CONTRACT_FILE_MAX_BYTES as f64 {
        return Err(AppError::new(ErrorCode::ContractFileTooLarge).with(
            "max_mb",
            (CONTRACT_FILE_MAX_BYTES / (1024 * 1024)).to_string(),
        ));
    }
    let buf = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| AppError::new(ErrorCode::ContractFileMissing))?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

#[cfg(feature = "ssr")]
async fn read_file(_: &web_sys::HtmlInputElement) -> Result<Vec<u8>, AppError> {
    Err(AppError::new(ErrorCode::ContractFileMissing))
}

#[component]
pub fn VerifyPage() -> impl IntoView {
    let t = t();
    let input = NodeRef::<leptos::html::Input>::new();
    let chosen = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let answer = RwSignal::new(None::<VerifyAnswer>);
    let check = Action::new_local(move |_: &()| {
        let el = input.get_untracked();
        async move {
            use base64::Engine;
            let el = el.ok_or_else(|| AppError::new(ErrorCode::ContractFileMissing))?;
            let bytes = read_file(&el).await?;
            let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
            verify_contract(b64).await
        }
    });
    Effect::new(move |_| match check.value().get() {
        Some(Ok(a)) => {
            error.set(None);
            answer.set(Some(a));
        }
        Some(Err(e)) => {
            answer.set(None);
            error.set(Some(e));
        }
        None => {}
    });
    view! {
        <CustomerFrame title=t.vf_title tab=Tab::None>
            <section class="card stack" data-testid="verify-page">
                <h1 class="page-title">{t.vf_title}</h1>
                <p class="muted">{t.vf_sub}</p>
                <label class="btn btn-secondary btn-block">
                    {t.vf_choose}
                    <input type="file" class="sr-only" node_ref=input data-testid="verify-file"
                        on:change=move |ev| {
                            answer.set(None);
                            chosen.set(event_target_value(&ev).rsplit(['/', '\\']).next().unwrap_or_default().to_string());
                        } />
                </label>
                {move || (!chosen.get().is_empty()).then(|| view! {
                    <p class="muted ct-chosen" data-testid="verify-chosen">{chosen.get()}</p>
                })}
                <button type="button" class="btn btn-primary btn-block" data-testid="verify-check"
                    disabled=move || check.pending().get()
                    on:click=move |_| { error.set(None); check.dispatch(()); }>
                    {move || if check.pending().get() { t.vf_checking } else { t.vf_check }}
                </button>
                <FormError error=error />
            </section>
            {move || answer.get().map(|a| view! { <Answer a=a /> })}
        </CustomerFrame>
    }
}

#[component]
fn Answer(a: VerifyAnswer) -> impl IntoView {
    let t = t();
    let (class, word) = if a.valid {
        ("vf-verdict vf-valid", t.vf_valid)
    } else {
        ("vf-verdict vf-invalid", t.vf_invalid)
    };
    view! {
        <section class="card stack" data-testid="verify-answer" data-valid=a.valid.to_string()>
            <div class=class role="status">{word}</div>
            {if a.valid {
                view! {
                    <p>{t.vf_valid_detail}</p>
                    <dl class="kv">
                        <dt>{t.ct_no}</dt>
                        <dd data-testid="verify-no">{a.contract_no.clone().unwrap_or_default()}</dd>
                        <dt>{t.ct_signed_at}</dt>
                        <dd>{a.signed_at.map(datetime).unwrap_or_default()}</dd>
                    </dl>
                    <h2 class="section-title">{t.ct_signers}</h2>
                    <ul class="ct-signers">
                        {a.signers.iter().map(|s| view! {
                            <li>
                                <div><strong>{t.signer_role(s.role)}</strong>" "{s.name.clone()}</div>
                                <div class="muted">
                                    {(!s.id_number_masked.is_empty()).then(|| view! { <span class="ct-id">{s.id_number_masked.clone()}</span>" · " })}
                                    {datetime(s.signed_at_ms)}
                                </div>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            } else {
                view! {
                    <dl class="kv">
                        <dt>{t.vf_reason}</dt>
                        <dd data-testid="verify-reason">{a.reason.unwrap_or(VerifyReason::Unknown).words(t)}</dd>
                    </dl>
                }.into_any()
            }}
        </section>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use service::contracts::verify::verify_file;

    /// Every reason the service gives has words of its own, so no English
    /// reaches the page and no reason falls to "unknown" unnoticed.
    #[test]
    fn every_reason_of_the_service_has_its_words() {
        let key = "00".repeat(32);
        let sealed = |tail: &str| {
            let mut b = b"PUHUI-CONTRACT-1\n".to_vec();
            b.extend_from_slice(tail.as_bytes());
            b
        };
        let cases: Vec<(Vec<u8>, VerifyReason)> = vec![
            (b"hello".to_vec(), VerifyReason::NoSeal),
            (
                sealed("PUHUI-SEAL-1\nsha256 zz\n"),
                VerifyReason::SealDamaged,
            ),
            (
                sealed(&format!(
                    "PUHUI-SEAL-1\nsha256 {}\npublic_key {}\nseal {}\n",
                    "a".repeat(64),
                    "b".repeat(64),
                    "c".repeat(128)
                )),
                VerifyReason::ContentDamaged,
            ),
        ];
        for (bytes, want) in cases {
            let v = verify_file(&bytes, &key);
            assert!(!v.valid);
            let reason = v.reason.expect("a reason");
            assert_eq!(VerifyReason::of(&reason), want, "{reason}");
        }
        for (english, want) in [
            (
                "the contract was changed after it was sealed",
                VerifyReason::Changed,
            ),
            (
                "not sealed with this bank's contract key",
                VerifyReason::OtherKey,
            ),
            ("the seal does not hold", VerifyReason::SealInvalid),
            (
                "not the contract on record under this number",
                VerifyReason::NotOnRecord,
            ),
        ] {
            assert_eq!(VerifyReason::of(english), want);
        }
        assert_eq!(VerifyReason::of("anything else"), VerifyReason::Unknown);
    }

    /// The service's source still words its reasons as this page reads them.
    #[test]
    fn the_services_reasons_are_the_ones_read_here() {
        let source = include_str!("../../../service/src/contracts/verify.rs");
        for phrase in [
            "no seal: ",
            "\"the seal is damaged\"",
            "the contract is damaged: ",
            "\"the contract was changed after it was sealed\"",
            "\"not sealed with this bank's contract key\"",
            "\"the seal does not hold\"",
            "\"not the contract on record under this number\"",
        ] {
            assert!(source.contains(phrase), "{phrase}");
        }
        let reasons = source.matches("invalid(").count();
        assert_eq!(reasons, 10, "a new reason needs its words here");
    }
}
