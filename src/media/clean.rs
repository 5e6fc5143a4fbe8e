//! Recognizing images by their bytes and removing their metadata without re-encoding them.
//!
//! A photo taken at home carries home's GPS position in its EXIF; XMP, comments and text chunks can
//! carry more. Each container is rewritten keeping only an allow-list of parts: the pixels, colour
//! information, and (for JPEG) a fresh EXIF holding nothing but the orientation, so photos stay upright.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
    WebP,
}

impl ImageKind {
    /// What the bytes are, whatever the file is called or claims to be.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageKind::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(ImageKind::WebP)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::WebP => "image/webp",
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

/// The same image without metadata.
pub fn strip_metadata(kind: ImageKind, bytes: &[u8]) -> Result<Vec<u8>, Malformed> {
    match kind {
        ImageKind::Jpeg => strip_jpeg(bytes),
        ImageKind::Png => strip_png(bytes),
        ImageKind::WebP => strip_webp(bytes),
    }
}

fn u16_be(bytes: &[u8], at: usize) -> Result<usize, Malformed> {
    bytes.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]) as usize).ok_or(Malformed("truncated"))
}

fn strip_jpeg(bytes: &[u8]) -> Result<Vec<u8>, Malformed> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut orientation = None;
    let mut at = 2;
    loop {
        if bytes.get(at) != Some(&0xFF) {
            return Err(Malformed("expected a JPEG marker"));
        }
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let marker = *bytes.get(at).ok_or(Malformed("truncated"))?;
        at += 1;
        match marker {
            0xD9 => {
                // End of image; anything after it (appended images, trailers) is dropped.
                out.extend_from_slice(&[0xFF, 0xD9]);
                break;
            }
            0x01 | 0xD0..=0xD7 => out.extend_from_slice(&[0xFF, marker]),
            0xD8 => return Err(Malformed("nested start of image")),
            _ => {
                let length = u16_be(bytes, at)?;
                let segment = bytes.get(at..at + length).ok_or(Malformed("truncated segment"))?;
                let payload = &segment[2..];
                let keep = match marker {
                    0xE0 | 0xEE => true,                           // JFIF, Adobe colour transform
                    0xE2 => payload.starts_with(b"ICC_PROFILE\0"), // colour profile
                    0xE1 => {
                        if payload.starts_with(b"Exif\0\0") {
                            orientation = orientation.or_else(|| exif_orientation(&payload[6..]));
                        }
                        false
                    }
                    0xE3..=0xEF | 0xFE => false, // other application data, comments
                    _ => true,                   // tables, frame and scan headers
                };
                if keep {
                    out.extend_from_slice(&[0xFF, marker]);
                    out.extend_from_slice(segment);
                }
                at += length;
                if marker == 0xDA {
                    // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or a restart.
                    let start = at;
                    while at + 1 < bytes.len() && !(bytes[at] == 0xFF && !matches!(bytes[at + 1], 0x00 | 0xD0..=0xD7)) {
                        at += 1;
                    }
                    if at + 1 >= bytes.len() {
                        return Err(Malformed("scan without end"));
                    }
                    out.extend_from_slice(&bytes[start..at]);
                }
            }
        }
    }
    if let Some(orientation) = orientation.filter(|o| (2..=8).contains(o)) {
        let exif = orientation_only_exif(orientation);
        let after_jfif = if out.get(2..4) == Some(&[0xFF, 0xE0]) { 4 + u16_be(&out, 4)? } else { 2 };
        out.splice(after_jfif..after_jfif, exif);
    }
    Ok(out)
}

/// Orientation (tag 0x0112) from a TIFF-structured EXIF block, if present.
fn exif_orientation(tiff: &[u8]) -> Option<u16> {
    let big_endian = match tiff.get(..4)? {
        b"MM\0*" => true,
        b"II*\0" => false,
        _ => return None,
    };
    let u16_at = |at: usize| {
        tiff.get(at..at + 2).map(|b| {
            if big_endian {
                u16::from_be_bytes([b[0], b[1]])
            } else {
                u16::from_le_bytes([b[0], b[1]])
            }
        })
    };
    let u32_at = |at: usize| {
        tiff.get(at..at + 4).map(|b| {
            let b = [b[0], b[1], b[2], b[3]];
            if big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        })
    };
    let ifd = u32_at(4)? as usize;
    let entries = u16_at(ifd)? as usize;
    (0..entries)
        .map(|i| ifd + 2 + i * 12)
        .find(|&entry| u16_at(entry) == Some(0x0112))
        .and_then(|entry| u16_at(entry + 8))
}

/// An APP1 segment whose EXIF says only how to turn the picture.
fn orientation_only_exif(orientation: u16) -> Vec<u8> {
    let mut payload = b"Exif\0\0MM\0*\0\0\0\x08".to_vec();
    payload.extend_from_slice(&[0x00, 0x01, 0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01]);
    payload.extend_from_slice(&orientation.to_be_bytes());
    payload.extend_from_slice(&[0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    segment.extend_from_slice(&payload);
    segment
}

fn strip_png(bytes: &[u8]) -> Result<Vec<u8>, Malformed> {
    // Pixels, palette, transparency and colour; not text, time stamps or eXIf.
    const KEEP: &[&[u8; 4]] = &[
        b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"pHYs", b"bKGD",
        b"acTL", b"fcTL", b"fdAT",
    ];
    let mut out = bytes[..8].to_vec();
    let mut at = 8;
    loop {
        let header = bytes.get(at..at + 8).ok_or(Malformed("truncated chunk"))?;
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind: [u8; 4] = [header[4], header[5], header[6], header[7]];
        let end = at.checked_add(12 + length).ok_or(Malformed("chunk too long"))?;
        let chunk = bytes.get(at..end).ok_or(Malformed("truncated chunk"))?;
        if KEEP.contains(&&kind) {
            out.extend_from_slice(chunk);
        }
        at = end;
        if &kind == b"IEND" {
            return Ok(out);
        }
    }
}

fn strip_webp(bytes: &[u8]) -> Result<Vec<u8>, Malformed> {
    const KEEP: &[&[u8; 4]] = &[b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"];
    const EXIF_AND_XMP_FLAGS: u8 = 0x08 | 0x04;
    let declared = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    let end = (8 + declared).min(bytes.len());
    let mut body = b"WEBP".to_vec();
    let mut at = 12;
    while at + 8 <= end {
        let kind: [u8; 4] = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
        let size = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]) as usize;
        let padded = size + (size & 1);
        let chunk_end = at.checked_add(8 + padded).ok_or(Malformed("chunk too long"))?.min(end);
        let chunk = bytes.get(at..chunk_end).ok_or(Malformed("truncated chunk"))?;
        if KEEP.contains(&&kind) {
            let start = body.len();
            body.extend_from_slice(chunk);
            if &kind == b"VP8X" && chunk.len() > 8 {
                body[start + 8] &= !EXIF_AND_XMP_FLAGS;
            }
        }
        at = chunk_end;
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_told_by_their_bytes() {
        assert_eq!(ImageKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(ImageKind::Jpeg));
        assert_eq!(ImageKind::sniff(b"\x89PNG\r\n\x1a\n...."), Some(ImageKind::Png));
        assert_eq!(ImageKind::sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(ImageKind::WebP));
        assert_eq!(ImageKind::sniff(b"Hello, this is text"), None);
        assert_eq!(ImageKind::sniff(b"GIF89a"), None);
    }

    #[test]
    fn orientation_survives_as_the_only_exif() {
        let segment = orientation_only_exif(6);
        assert_eq!(exif_orientation(&segment[10..]), Some(6));
    }

    #[test]
    fn png_text_chunks_are_dropped() {
        let chunk = |kind: &[u8; 4], data: &[u8]| {
            let mut c = (data.len() as u32).to_be_bytes().to_vec();
            c.extend_from_slice(kind);
            c.extend_from_slice(data);
            c.extend_from_slice(&[0, 0, 0, 0]);
            c
        };
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(chunk(b"IHDR", &[0; 13]));
        png.extend(chunk(b"tEXt", b"Comment\0at home"));
        png.extend(chunk(b"eXIf", b"MM\0*GPS"));
        png.extend(chunk(b"IDAT", &[1, 2, 3]));
        png.extend(chunk(b"IEND", &[]));
        png.extend_from_slice(b"trailing secrets");
        let clean = strip_png(&png).unwrap();
        let text = String::from_utf8_lossy(&clean);
        assert!(!text.contains("at home") && !text.contains("GPS") && !text.contains("secrets"));
        assert!(text.contains("IHDR") && text.contains("IDAT") && text.contains("IEND"));
    }
}
