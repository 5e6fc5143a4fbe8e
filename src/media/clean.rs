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
    let mut jfif = None;
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
                let payload = segment.get(2..).ok_or(Malformed("segment shorter than its length"))?;
                // Application segments can hold anything, text and HTML included, so none is copied as it
                // is but the colour profile: JFIF and Adobe are rebuilt from the few fields decoding needs,
                // EXIF from its orientation.
                let keep = match marker {
                    0xE0 if payload.starts_with(b"JFIF\0") => {
                        jfif = jfif.or_else(|| Some(minimal_jfif(payload)));
                        false
                    }
                    0xE1 if payload.starts_with(b"Exif\0\0") => {
                        orientation = orientation.or_else(|| exif_orientation(&payload[6..]));
                        false
                    }
                    0xE2 => payload.starts_with(b"ICC_PROFILE\0"),
                    0xEE => {
                        out.extend(minimal_adobe(payload));
                        false
                    }
                    // Frames (SOFn but JPG), tables, scans, restart interval, DNL, hierarchical: the picture.
                    0xC0..=0xC7 | 0xC9..=0xCF | 0xDA..=0xDF => true,
                    // Other application data, comments, JPGn and reserved markers: nothing a decoder needs.
                    _ => false,
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
    // JFIF must come first; EXIF follows it.
    let mut header = jfif.unwrap_or_default();
    if let Some(orientation) = orientation.filter(|o| (2..=8).contains(o)) {
        header.extend(orientation_only_exif(orientation));
    }
    out.splice(2..2, header);
    Ok(out)
}

/// A 16-byte JFIF APP0 (version 1.01, no thumbnail) keeping only the original's pixel density.
fn minimal_jfif(payload: &[u8]) -> Vec<u8> {
    // After "JFIF\0" and the version: units (1 byte), then horizontal and vertical density (2 bytes each).
    let density = payload.get(7..12).filter(|d| d[1..3] != [0, 0] && d[3..5] != [0, 0] && d[0] <= 2);
    let mut segment = vec![0xFF, 0xE0, 0x00, 0x10];
    segment.extend_from_slice(b"JFIF\0\x01\x01");
    segment.extend_from_slice(density.unwrap_or(&[0, 0, 1, 0, 1]));
    segment.extend_from_slice(&[0, 0]);
    segment
}

/// The Adobe APP14 rebuilt as its 12-byte minimum, keeping only the colour transform flag. Decoders need
/// it: it tells RGB from YCbCr and CMYK from YCCK, and its presence is how Photoshop's inverted CMYK is
/// recognized. Anything that is not a well-formed Adobe segment is dropped.
fn minimal_adobe(payload: &[u8]) -> Vec<u8> {
    match payload.get(11) {
        Some(&transform) if payload.starts_with(b"Adobe") && transform <= 2 => {
            let mut segment = vec![0xFF, 0xEE, 0x00, 0x0E];
            segment.extend_from_slice(b"Adobe\x00\x64\0\0\0\0");
            segment.push(transform);
            segment
        }
        _ => Vec::new(),
    }
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

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut segment = vec![0xFF, marker];
        segment.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        segment.extend_from_slice(payload);
        segment
    }

    fn small_jpeg() -> Vec<u8> {
        let image = image::RgbImage::from_pixel(16, 8, image::Rgb([200, 30, 10]));
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut bytes).encode_image(&image).unwrap();
        bytes
    }

    /// The bytes between SOI and the first segment that is not application data.
    fn app_segments(jpeg: &[u8]) -> Vec<Vec<u8>> {
        let mut segments = Vec::new();
        let mut at = 2;
        while (0xE0..=0xEF).contains(&jpeg[at + 1]) {
            let length = u16_be(jpeg, at + 2).unwrap();
            segments.push(jpeg[at..at + 2 + length].to_vec());
            at += 2 + length;
        }
        segments
    }

    #[test]
    fn jpeg_keeps_a_rebuilt_jfif_with_its_density_and_nothing_else_it_carried() {
        let mut jfif = b"JFIF\0\x01\x02\x01\x01\x2C\x01\x2C\x01\x01".to_vec(); // 300 dpi, a 1×1 thumbnail
        jfif.extend_from_slice(&[0xAB, 0xAB, 0xAB]);
        jfif.extend_from_slice(b"<script>alert(1)</script>");
        let mut jpeg = small_jpeg();
        let original_app0 = app_segments(&jpeg)[0].clone();
        let mut extra = segment(0xE0, &jfif);
        extra.extend(segment(0xE0, b"JFXX\0\x10thumbnail in JFXX"));
        extra.extend(segment(0xE8, b"APP8 text"));
        extra.extend(segment(0xF0, b"JPG0 text"));
        extra.extend(segment(0xFE, b"a comment"));
        extra.extend(segment(0x02, b"reserved text"));
        let at = 2 + original_app0.len();
        jpeg.splice(2..at, extra);

        let clean = strip_jpeg(&jpeg).unwrap();
        let text = String::from_utf8_lossy(&clean);
        for needle in ["script", "JFXX", "APP8", "JPG0", "comment", "reserved"] {
            assert!(!text.contains(needle), "{needle} survived");
        }
        let app = app_segments(&clean);
        assert_eq!(app.len(), 1);
        assert_eq!(app[0], b"\xFF\xE0\0\x10JFIF\0\x01\x01\x01\x01\x2C\x01\x2C\0\0");
        assert_eq!(image::load_from_memory(&clean).unwrap().width(), 16);
    }

    #[test]
    fn jfif_without_a_usable_density_gets_a_square_aspect() {
        assert_eq!(minimal_jfif(b"JFIF\0\x01\x02\x01\0\0\0\0\0\0"), segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
        assert_eq!(minimal_jfif(b"JFIF\0"), segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
    }

    #[test]
    fn adobe_keeps_only_its_transform_and_icc_and_orientation_survive() {
        let mut adobe = b"Adobe\x00\x65\x80\x00\x00\x00\x02".to_vec();
        adobe.extend_from_slice(b"Photoshop notes");
        let mut icc = b"ICC_PROFILE\0\x01\x01".to_vec();
        icc.extend_from_slice(&[7; 32]);
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend_from_slice(&orientation_only_exif(8)[10..]);
        exif.extend_from_slice(b"camera owner");
        let mut jpeg = small_jpeg();
        let extra = [segment(0xE1, &exif), segment(0xE2, &icc), segment(0xEE, &adobe)].concat();
        jpeg.splice(2..2, extra);

        let clean = strip_jpeg(&jpeg).unwrap();
        let text = String::from_utf8_lossy(&clean);
        assert!(!text.contains("Photoshop") && !text.contains("camera owner"));
        let app = app_segments(&clean);
        assert_eq!(app[0][..4], [0xFF, 0xE0, 0x00, 0x10], "JFIF first");
        assert_eq!(app[1], orientation_only_exif(8));
        assert_eq!(app[2], segment(0xE2, &icc));
        assert_eq!(app[3], segment(0xEE, b"Adobe\x00\x64\0\0\0\0\x02"));
        assert_eq!(minimal_adobe(b"Adobe\x00\x64"), Vec::<u8>::new(), "a truncated Adobe segment is dropped");
    }

    #[test]
    fn a_segment_shorter_than_its_length_field_is_malformed() {
        let mut jpeg = small_jpeg();
        jpeg.splice(2..2, [0xFF, 0xE5, 0x00, 0x01]);
        assert!(strip_jpeg(&jpeg).is_err());
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
