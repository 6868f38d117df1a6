//! Personal information's keys at start-up and `puhui rotate-key`: what is
//! stored must be sealed under keys this server holds, plain text left from
//! before sealing is sealed, and a rotation re-seals everything under the
//! current key.

use anyhow::bail;
use service::reseal::Reseal;
use service::Services;

/// Before serving: refuse to start if anything stored is sealed under a key
/// this server does not hold (every page showing it would fail), then seal
/// whatever plain text an older version left.
pub async fn check_pfi_keys(services: &Services) -> anyhow::Result<()> {
    let keys = &services.config.pfi;
    let missing: Vec<String> = services
        .sealing_keys_in_use()
        .await?
        .into_iter()
        .filter(|(kid, _)| !keys.holds(kid))
        .map(|(kid, n)| format!("{kid} ({n} values)"))
        .collect();
    if !missing.is_empty() {
        bail!(
            "personal information in the database is sealed under keys this server does not \
             hold: {}. Start with the PUHUI_PFI_KEY that sealed it, or list it in \
             PUHUI_PFI_RETIRED_KEYS",
            missing.join(", ")
        );
    }
    let sealed = services.reseal(Reseal::PlainOnly).await?;
    if sealed.total() > 0 {
        tracing::info!(
            ?sealed,
            "personal information left in plain text is now sealed"
        );
    }
    tracing::info!(
        key = keys.current_id(),
        "personal information is sealed with this key id"
    );
    Ok(())
}

/// `puhui rotate-key`: everything re-sealed under the current key; prints
/// what was done and which keys still seal something.
pub async fn rotate_key(services: &Services, json: bool) -> anyhow::Result<()> {
    let keys = &services.config.pfi;
    let done = services.reseal(Reseal::NotCurrent).await?;
    let in_use = services.sealing_keys_in_use().await?;
    let unreadable: Vec<&String> = in_use
        .iter()
        .map(|(kid, _)| kid)
        .filter(|kid| !keys.holds(kid))
        .collect();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "current_key": keys.current_id(),
                "resealed": done,
                "keys_in_use": in_use,
            })
        );
    } else {
        println!(
            "re-sealed under key {}: {} customers, {} credit reports, {} SMS copies, \
             {} staff second-factor secrets, {} contract texts and signers",
            keys.current_id(),
            done.customers,
            done.credit_reports,
            done.sms_outbox,
            done.staff_secrets,
            done.contracts
        );
        for (kid, n) in &in_use {
            println!("key {kid}: {n} values");
        }
        if in_use.iter().all(|(kid, _)| kid == keys.current_id()) {
            println!("only the current key is in use: retired keys can be removed");
        }
    }
    if !unreadable.is_empty() {
        bail!("values sealed under keys not held were left as they are: {unreadable:?}");
    }
    Ok(())
}
