//! What every signing form shares: the SMS code field with its send button
//! and resend countdown ([`CodeField`]), the pad a signature is drawn on
//! ([`SignaturePad`], [`signature_png`]), and on the server the check of
//! the drawn signature before anything reads it ([`signature_bytes`]).
//! The customer signs their loan contract with these on their phone; a
//! guarantor signs and consents with them on the officer's device.

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::error::ErrorCode;
use crate::i18n::{fill, t};
use domain::view::SentCode;
use leptos::prelude::*;
use std::time::Duration;

/// The largest drawn signature the server reads: a PNG of a phone-sized
/// canvas with a name on it is a few tens of KB.
pub const SIGNATURE_MAX_BYTES: usize = 200 * 1024;

/// The first bytes of every PNG file.
#[cfg(feature = "ssr")]
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The drawn signature's bytes from its base64 text: the size is checked
/// on the text before it is decoded, and again on the bytes; it must be a
/// PNG.
#[cfg(feature = "ssr")]
pub fn signature_bytes(png_base64: &str) -> Result<Vec<u8>, AppError> {
    use base64::Engine;
    let too_large = || {
        AppError::invalid(ErrorCode::ContractSignatureTooLarge)
            .with("max_kb", (SIGNATURE_MAX_BYTES / 1024).to_string())
    };
    if png_base64.is_empty() {
        return Err(AppError::invalid(ErrorCode::ContractSignatureMissing));
    }
    if png_base64.len() > SIGNATURE_MAX_BYTES.div_ceil(3) * 4 {
        return Err(too_large());
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(png_base64.as_bytes())
        .map_err(|_| AppError::invalid(ErrorCode::ContractSignatureNotPng))?;
    if bytes.len() > SIGNATURE_MAX_BYTES {
        return Err(too_large());
    }
    if !bytes.starts_with(PNG_MAGIC) {
        return Err(AppError::invalid(ErrorCode::ContractSignatureNotPng));
    }
    Ok(bytes)
}

/// The pad's drawing as PNG base64 ("" when there is no canvas).
pub fn signature_png(canvas: NodeRef<leptos::html::Canvas>) -> String {
    canvas
        .get_untracked()
        .and_then(|c| c.to_data_url().ok())
        .and_then(|url| {
            url.strip_prefix("data:image/png;base64,")
                .map(str::to_string)
        })
        .unwrap_or_default()
}

/// An SMS code field: the input (`input_id`), a button that dispatches
/// `send` and then counts down to when a new code may be asked for, and
/// where the code went. A refusal (too soon, too many) lands in `error`,
/// its wait in the countdown.
#[component]
pub fn CodeField(
    input_id: &'static str,
    code: RwSignal<String>,
    send: Action<(), Result<SentCode, AppError>>,
    error: RwSignal<Option<AppError>>,
    #[prop(default = "send-sign-code")] send_testid: &'static str,
) -> impl IntoView {
    let t = t();
    let countdown = RwSignal::new(0i64);
    let sent_to = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(result) = send.value().get() {
            match result {
                Ok(sent) => {
                    error.set(None);
                    sent_to.set(Some(sent.phone_masked));
                    countdown.set(sent.resend_after_secs);
                }
                Err(e) => {
                    if let Some((_, s)) = e.params.iter().find(|(k, _)| k == "seconds") {
                        countdown.set(s.parse().unwrap_or(0));
                    }
                    error.set(Some(e));
                }
            }
        }
    });
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || countdown.update(|n| *n = (*n - 1).max(0)),
            Duration::from_secs(1),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    let send_label = move || {
        let n = countdown.get();
        if send.pending().get() {
            t.processing.to_string()
        } else if n > 0 {
            fill(t.resend_in, &[("n", n.to_string())])
        } else {
            t.send_code.to_string()
        }
    };
    view! {
        <div class="field">
            <label for=input_id>{t.code_label}</label>
            <div class="row ct-code-row">
                <input id=input_id name="code" class="input" type="text" inputmode="numeric"
                    autocomplete="one-time-code" maxlength="6" pattern="[0-9]{6}" placeholder=t.code_placeholder
                    bind:value=code />
                <button type="button" class="btn btn-secondary" data-testid=send_testid
                    on:click=move |_| { error.set(None); send.dispatch(()); }
                    disabled=move || { countdown.get() > 0 || send.pending().get() }>
                    {send_label}
                </button>
            </div>
            {move || sent_to.get().map(|p| view! {
                <p class="field-hint" data-testid="code-sent">{fill(t.code_sent, &[("phone", p)])}</p>
            })}
        </div>
    }
}

/// A canvas to sign on with a finger, a stylus or a mouse (pointer events;
/// `touch-action: none` keeps the page from scrolling under the finger),
/// and a button that clears it. `drawn` is true once there is a stroke.
#[component]
pub fn SignaturePad(canvas: NodeRef<leptos::html::Canvas>, drawn: RwSignal<bool>) -> impl IntoView {
    use wasm_bindgen::JsCast;
    let t = t();
    // The last point of the stroke being drawn, in canvas pixels.
    let last = StoredValue::new(None::<(f64, f64)>);
    let context = move || -> Option<web_sys::CanvasRenderingContext2d> {
        canvas
            .get_untracked()?
            .get_context("2d")
            .ok()??
            .dyn_into()
            .ok()
    };
    // The bitmap follows the element's size (at most twice the CSS pixels,
    // which keeps the PNG small); resizing clears it, so only when blank.
    let fit = move || {
        let Some(c) = canvas.get_untracked() else {
            return;
        };
        let ratio = web_sys::window()
            .map(|w| w.device_pixel_ratio())
            .unwrap_or(1.0)
            .clamp(1.0, 2.0);
        let (w, h) = (
            (f64::from(c.client_width()) * ratio) as u32,
            (f64::from(c.client_height()) * ratio) as u32,
        );
        if w > 0 && (c.width() != w || c.height() != h) {
            c.set_width(w);
            c.set_height(h);
        }
    };
    Effect::new(move |_| fit());
    let point = move |ev: &web_sys::PointerEvent| -> Option<(f64, f64)> {
        let c = canvas.get_untracked()?;
        let r = c.get_bounding_client_rect();
        if r.width() <= 0.0 || r.height() <= 0.0 {
            return None;
        }
        Some((
            (f64::from(ev.client_x()) - r.left()) * f64::from(c.width()) / r.width(),
            (f64::from(ev.client_y()) - r.top()) * f64::from(c.height()) / r.height(),
        ))
    };
    let line = move |from: (f64, f64), to: (f64, f64)| {
        let (Some(ctx), Some(c)) = (context(), canvas.get_untracked()) else {
            return;
        };
        let r = c.get_bounding_client_rect();
        let scale = if r.width() > 0.0 {
            f64::from(c.width()) / r.width()
        } else {
            1.0
        };
        ctx.set_line_width(3.0 * scale);
        ctx.set_line_cap("round");
        ctx.set_line_join("round");
        ctx.begin_path();
        ctx.move_to(from.0, from.1);
        ctx.line_to(to.0, to.1);
        ctx.stroke();
    };
    let down = move |ev: web_sys::PointerEvent| {
        ev.prevent_default();
        if !drawn.get_untracked() {
            fit();
        }
        if let Some(c) = canvas.get_untracked() {
            let _ = c.set_pointer_capture(ev.pointer_id());
        }
        if let Some(p) = point(&ev) {
            line(p, p);
            last.set_value(Some(p));
            drawn.set(true);
        }
    };
    let moved = move |ev: web_sys::PointerEvent| {
        let Some(from) = last.get_value() else {
            return;
        };
        ev.prevent_default();
        if let Some(to) = point(&ev) {
            line(from, to);
            last.set_value(Some(to));
        }
    };
    let up = move |_: web_sys::PointerEvent| last.set_value(None);
    let clear = move |_| {
        if let (Some(ctx), Some(c)) = (context(), canvas.get_untracked()) {
            ctx.clear_rect(0.0, 0.0, f64::from(c.width()), f64::from(c.height()));
        }
        last.set_value(None);
        drawn.set(false);
    };
    view! {
        <div class="ct-pad-wrap">
            <canvas class="ct-pad" node_ref=canvas data-testid="signature-pad"
                aria-label=t.ct_signature_hint
                on:pointerdown=down on:pointermove=moved on:pointerup=up
                on:pointercancel=up on:pointerleave=up></canvas>
            <div class="row ct-pad-bar">
                <span class="field-hint">{t.ct_signature_hint}</span>
                <button type="button" class="btn btn-secondary btn-sm" data-testid="clear-signature"
                    on:click=clear>{t.ct_clear}</button>
            </div>
        </div>
    }
}
