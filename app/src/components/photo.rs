//! A photo chosen or taken on the phone, made light for a village's
//! network before it is sent: scaled to at most [`PHOTO_SIDE`] pixels on
//! its longer side and encoded as a JPEG (lower quality until it fits), as
//! base64 for a server function. Drawing it on a canvas also drops its
//! metadata (EXIF: where it was taken); the server strips it again and
//! checks the bytes, for a post made without JavaScript.

use crate::error::AppError;

/// The longest side of a photo as sent: a camera's picture is scaled down
/// in the browser and sent as a JPEG, so a village's mobile network carries
/// a few hundred kilobytes, not ten megabytes.
#[cfg(not(feature = "ssr"))]
const PHOTO_SIDE: f64 = 1600.0;

/// The chosen picture, scaled to at most [`PHOTO_SIDE`] and encoded as a
/// JPEG of at most `max_bytes`, as base64; `invalid` for anything the
/// browser cannot draw as an image or cannot make small enough.
#[cfg(not(feature = "ssr"))]
pub async fn scaled_jpeg_base64(
    input: &web_sys::HtmlInputElement,
    max_bytes: usize,
    invalid: fn() -> AppError,
) -> Result<String, AppError> {
    use wasm_bindgen::JsCast;
    let photo_invalid = invalid;
    let file = input
        .files()
        .and_then(|f| f.get(0))
        .ok_or_else(photo_invalid)?;
    // A camera's picture may be large; anything far beyond one is not.
    if file.size() > 40.0 * 1024.0 * 1024.0 {
        return Err(photo_invalid());
    }
    let url = web_sys::Url::create_object_url_with_blob(&file).map_err(|_| photo_invalid())?;
    let img = web_sys::HtmlImageElement::new().map_err(|_| photo_invalid())?;
    let loaded = js_sys::Promise::new(&mut |resolve, reject| {
        img.set_onload(Some(&resolve));
        img.set_onerror(Some(&reject));
    });
    img.set_src(&url);
    let drawn = wasm_bindgen_futures::JsFuture::from(loaded).await;
    let _ = web_sys::Url::revoke_object_url(&url);
    drawn.map_err(|_| photo_invalid())?;
    let (w, h) = (
        f64::from(img.natural_width()),
        f64::from(img.natural_height()),
    );
    if w < 1.0 || h < 1.0 {
        return Err(photo_invalid());
    }
    let scale = (PHOTO_SIDE / w.max(h)).min(1.0);
    let (cw, ch) = ((w * scale).round(), (h * scale).round());
    let canvas: web_sys::HtmlCanvasElement = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("canvas").ok())
        .and_then(|e| e.dyn_into().ok())
        .ok_or_else(photo_invalid)?;
    canvas.set_width(cw as u32);
    canvas.set_height(ch as u32);
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .ok_or_else(photo_invalid)?;
    ctx.draw_image_with_html_image_element_and_dw_and_dh(&img, 0.0, 0.0, cw, ch)
        .map_err(|_| photo_invalid())?;
    let max = max_bytes.div_ceil(3) * 4;
    for quality in [0.82, 0.7, 0.55] {
        let url = canvas
            .to_data_url_with_type_and_encoder_options(
                "image/jpeg",
                &wasm_bindgen::JsValue::from_f64(quality),
            )
            .map_err(|_| photo_invalid())?;
        if let Some((_, b64)) = url.split_once(',') {
            if b64.len() <= max {
                return Ok(b64.to_string());
            }
        }
    }
    Err(photo_invalid())
}

#[cfg(feature = "ssr")]
pub async fn scaled_jpeg_base64(
    _: &web_sys::HtmlInputElement,
    _: usize,
    invalid: fn() -> AppError,
) -> Result<String, AppError> {
    Err(invalid())
}
