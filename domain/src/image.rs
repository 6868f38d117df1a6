//! Uploaded images by their bytes: the type ([`sniff`]), the size in pixels
//! ([`dimensions`]) and the copy without metadata ([`strip_metadata`]).
//!
//! A phone's photo carries EXIF: where it was taken (GPS), the phone, the
//! time. A customer's ID card or selfie must not carry the customer's home
//! position into the bank's files, so every uploaded image is kept without
//! its metadata segments: JPEG APP1-APP15 and comments, PNG text and EXIF
//! chunks, WebP EXIF and XMP chunks. The pixels are untouched.

/// The image types accepted, by their magic bytes.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() < 12 {
        None
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(PNG_MAGIC) {
        Some("image/png")
    } else if bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

const PNG_MAGIC: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

fn be16(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]) as usize)
}

fn be32(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

fn le32(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

/// Width and height in pixels, from the JPEG frame header, the PNG header
/// or the WebP (VP8, VP8L, VP8X) header; None when the bytes do not say.
pub fn dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    match sniff(bytes)? {
        "image/jpeg" => {
            let mut at = 2;
            while at + 4 <= bytes.len() {
                if bytes[at] != 0xFF {
                    return None;
                }
                let marker = bytes[at + 1];
                if marker == 0xFF {
                    at += 1;
                    continue;
                }
                let len = be16(bytes, at + 2)?;
                // SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC).
                if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
                    let h = be16(bytes, at + 5)?;
                    let w = be16(bytes, at + 7)?;
                    return Some((w as u32, h as u32));
                }
                at += 2 + len;
            }
            None
        }
        "image/png" => Some((be32(bytes, 16)? as u32, be32(bytes, 20)? as u32)),
        _ => {
            let chunk = bytes.get(12..16)?;
            match chunk {
                b"VP8 " => {
                    let w = u16::from_le_bytes([*bytes.get(26)?, *bytes.get(27)?]) & 0x3FFF;
                    let h = u16::from_le_bytes([*bytes.get(28)?, *bytes.get(29)?]) & 0x3FFF;
                    Some((u32::from(w), u32::from(h)))
                }
                b"VP8L" => {
                    let b = bytes.get(21..25)?;
                    let v = u32::from_le_bytes(b.try_into().ok()?);
                    Some(((v & 0x3FFF) + 1, ((v >> 14) & 0x3FFF) + 1))
                }
                b"VP8X" => {
                    let w =
                        u32::from_le_bytes([*bytes.get(24)?, *bytes.get(25)?, *bytes.get(26)?, 0]);
                    let h =
                        u32::from_le_bytes([*bytes.get(27)?, *bytes.get(28)?, *bytes.get(29)?, 0]);
                    Some((w + 1, h + 1))
                }
                _ => None,
            }
        }
    }
}

/// The image without its metadata; None when its structure is broken
/// (a truncated segment or chunk), which is then refused as not an image.
pub fn strip_metadata(bytes: &[u8]) -> Option<Vec<u8>> {
    match sniff(bytes)? {
        "image/jpeg" => strip_jpeg(bytes),
        "image/png" => strip_png(bytes),
        _ => strip_webp(bytes),
    }
}

fn strip_jpeg(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..2]);
    let mut at = 2;
    loop {
        if at + 4 > b.len() || b[at] != 0xFF {
            return None;
        }
        let marker = b[at + 1];
        if marker == 0xFF {
            at += 1;
            continue;
        }
        let len = be16(b, at + 2)?;
        let end = at + 2 + len;
        if len < 2 || end > b.len() {
            return None;
        }
        if marker == 0xDA {
            // Start of scan: the entropy-coded data and the rest, as is.
            out.extend_from_slice(&b[at..]);
            return Some(out);
        }
        // APP1-APP15 (EXIF, XMP, ICC, maker notes) and COM go; APP0 (JFIF) stays.
        let metadata = (0xE1..=0xEF).contains(&marker) || marker == 0xFE;
        if !metadata {
            out.extend_from_slice(&b[at..end]);
        }
        at = end;
    }
}

fn strip_png(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(PNG_MAGIC);
    let mut at = PNG_MAGIC.len();
    while at < b.len() {
        let len = be32(b, at)?;
        let kind = b.get(at + 4..at + 8)?;
        let end = at.checked_add(12)?.checked_add(len)?;
        if end > b.len() {
            return None;
        }
        if !matches!(kind, b"eXIf" | b"tEXt" | b"iTXt" | b"zTXt" | b"tIME") {
            out.extend_from_slice(&b[at..end]);
        }
        at = end;
        if kind == b"IEND" {
            return Some(out);
        }
    }
    None
}

fn strip_webp(b: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::with_capacity(b.len());
    let mut at = 12;
    while at + 8 <= b.len() {
        let kind = &b[at..at + 4];
        let len = le32(b, at + 4)?;
        let end = at.checked_add(8)?.checked_add(len)?.checked_add(len & 1)?;
        if end > b.len() {
            // The last chunk's pad byte may be missing.
            if at + 8 + len != b.len() {
                return None;
            }
        }
        let end = end.min(b.len());
        if kind == b"VP8X" && len >= 1 {
            // Clear the "has EXIF" (bit 3) and "has XMP" (bit 2) flags.
            let mut chunk = b[at..end].to_vec();
            chunk[8] &= !0b0000_1100;
            body.extend_from_slice(&chunk);
        } else if !matches!(kind, b"EXIF" | b"XMP ") {
            body.extend_from_slice(&b[at..end]);
        }
        at = end;
    }
    let mut out = Vec::with_capacity(body.len() + 12);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&u32::try_from(body.len() + 4).ok()?.to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend_from_slice(&body);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JPEG's skeleton: SOI, APP0, an EXIF APP1 with "GPS", SOF0 of
    /// 640x480, SOS and some scan bytes, EOI.
    fn jpeg_with_exif() -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8];
        b.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x07, b'J', b'F', b'I', b'F', 0]);
        b.extend_from_slice(&[
            0xFF, 0xE1, 0x00, 0x0A, b'E', b'x', b'i', b'f', 0, 0, b'G', b'P',
        ]);
        b.extend_from_slice(&[
            0xFF, 0xC0, 0x00, 0x0B, 8, 0x01, 0xE0, 0x02, 0x80, 1, 1, 0x11, 0,
        ]);
        b.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x04, 1, 2, 0x55, 0xAA, 0xFF, 0xD9]);
        b
    }

    #[test]
    fn a_jpeg_loses_its_exif_and_keeps_its_frame() {
        let b = jpeg_with_exif();
        assert_eq!(sniff(&b), Some("image/jpeg"));
        assert_eq!(dimensions(&b), Some((640, 480)));
        let s = strip_metadata(&b).unwrap();
        assert!(!s.windows(4).any(|w| w == b"Exif"));
        assert_eq!(dimensions(&s), Some((640, 480)));
        assert!(s.ends_with(&[0x55, 0xAA, 0xFF, 0xD9]));
        assert_eq!(s.len(), b.len() - 12);
    }

    #[test]
    fn a_png_loses_its_text_chunks() {
        fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
            let mut c = (data.len() as u32).to_be_bytes().to_vec();
            c.extend_from_slice(kind);
            c.extend_from_slice(data);
            c.extend_from_slice(&[0, 0, 0, 0]);
            c
        }
        let mut b = PNG_MAGIC.to_vec();
        let mut ihdr = 300u32.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&400u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        b.extend(chunk(b"IHDR", &ihdr));
        b.extend(chunk(b"eXIf", b"GPS here"));
        b.extend(chunk(b"IDAT", &[1, 2, 3]));
        b.extend(chunk(b"IEND", &[]));
        assert_eq!(dimensions(&b), Some((300, 400)));
        let s = strip_metadata(&b).unwrap();
        assert!(!s.windows(3).any(|w| w == b"GPS"));
        assert_eq!(s.len(), b.len() - 20);
        assert_eq!(strip_metadata(&b[..b.len() - 5]), None, "truncated");
    }

    #[test]
    fn text_and_truncated_files_are_not_images() {
        assert_eq!(sniff(b"<html><body>hello</body></html>"), None);
        assert_eq!(strip_metadata(&jpeg_with_exif()[..20]), None);
    }
}
