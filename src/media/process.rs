//! From uploaded bytes to what we keep (the cleaned original and a thumbnail), within a memory bound:
//! each photo may take at most `max_decoded_bytes` to decode, and only `CDS_IMAGE_CONCURRENCY` are decoded
//! at once, so image work never holds more than their product.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageBuffer, ImageDecoder, ImageError, ImageReader, Limits};
use jpeg_decoder::{CodingProcess, PixelFormat};

use super::clean::{strip_metadata, ImageKind};
use crate::blocking::BoundedBlocking;
use crate::error::{AppError, FieldIssue};

pub const THUMBNAIL_PX: u32 = 320;

/// An upload made into what we keep: the cleaned original and its thumbnail.
pub struct Processed {
    pub kind: ImageKind,
    pub original: Vec<u8>,
    pub thumbnail: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// How much one photo may cost.
#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    /// The most pixels (a decompression bomb has many).
    pub max_pixels: u64,
    /// The most bytes decoding may hold: the pixels times their bytes each, and for progressive JPEGs the
    /// coefficients the decoder keeps.
    pub max_decoded_bytes: u64,
}

/// Runs [`process`] on the blocking pool, a bounded number at a time (as password hashing does).
#[derive(Clone)]
pub struct ImageWork {
    pool: BoundedBlocking,
    limits: ImageLimits,
}

impl ImageWork {
    pub fn new(concurrency: usize, limits: ImageLimits) -> Self {
        ImageWork { pool: BoundedBlocking::new(concurrency), limits }
    }

    pub async fn process(&self, bytes: Vec<u8>) -> Result<Processed, AppError> {
        let limits = self.limits;
        self.pool
            .run(move || {
                let processed = process(&bytes, limits);
                drop(bytes);
                crate::allocator::return_freed_memory();
                processed
            })
            .await
    }
}

fn unreadable() -> AppError {
    AppError::invalid("file", FieldIssue::UnreadableImage)
}

fn too_many_decoded_bytes(max: u64) -> AppError {
    AppError::invalid("file", FieldIssue::TooManyDecodedBytes { max })
}

/// Checks the bytes are a JPEG, PNG or WebP within `limits`, strips metadata, makes a thumbnail.
/// CPU-heavy: run it through [`ImageWork`].
pub fn process(bytes: &[u8], limits: ImageLimits) -> Result<Processed, AppError> {
    let kind = ImageKind::sniff(bytes).ok_or(AppError::UnsupportedImage)?;
    // The header alone tells the size: a decompression bomb is refused before any pixel is decoded.
    let (width, height) = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| unreadable())?
        .into_dimensions()
        .map_err(|_| unreadable())?;
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(AppError::invalid("file", FieldIssue::TooManyPixels { max: limits.max_pixels }));
    }
    let original = strip_metadata(kind, bytes).map_err(|_| unreadable())?;
    let (picture, orientation) = match kind {
        ImageKind::Jpeg => decode_jpeg_scaled(&original, limits.max_decoded_bytes)?,
        ImageKind::Png | ImageKind::WebP => decode_whole(&original, limits.max_decoded_bytes)?,
    };
    let mut small = picture.thumbnail(THUMBNAIL_PX, THUMBNAIL_PX);
    drop(picture);
    // Turned once small: the same result as turning the whole picture, without a second full-size copy.
    small.apply_orientation(orientation);
    let mut thumbnail = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut thumbnail, 80);
    small.to_rgb8().write_with_encoder(encoder).map_err(|err| AppError::Internal(format!("thumbnail: {err}")))?;
    Ok(Processed { kind, original, thumbnail, width, height })
}

/// PNG and WebP: the whole picture, refused from its header when its pixels would pass `max` bytes.
fn decode_whole(bytes: &[u8], max: u64) -> Result<(DynamicImage, Orientation), AppError> {
    let refused = |err: ImageError| match err {
        ImageError::Limits(_) => too_many_decoded_bytes(max),
        _ => unreadable(),
    };
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|_| unreadable())?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(max);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(refused)?;
    if decoder.total_bytes() > max {
        return Err(too_many_decoded_bytes(max));
    }
    let orientation = decoder.orientation().map_err(|_| unreadable())?;
    Ok((DynamicImage::from_decoder(decoder).map_err(refused)?, orientation))
}

/// JPEG: decoded straight to the smallest DCT scale (1/8, 1/4, 1/2 or whole) still as large as the
/// thumbnail, so a 48-megapixel photo costs the memory of a 0.75-megapixel one.
fn decode_jpeg_scaled(bytes: &[u8], max: u64) -> Result<(DynamicImage, Orientation), AppError> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(|_| unreadable())?;
    // The full size: once scaled, `info` tells the scaled one.
    let info = decoder.info().ok_or_else(unreadable)?;
    let side = THUMBNAIL_PX as u16;
    let (width, height) = decoder.scale(side, side).map_err(|_| unreadable())?;
    let (width, height) = (u32::from(width), u32::from(height));
    let pixel_bytes = info.pixel_format.pixel_bytes() as u64;
    let output = u64::from(width) * u64::from(height) * pixel_bytes;
    // Progressive (and lossless) decoding keeps every coefficient until the last scan: 2 bytes for each
    // sample of each component at full size, counted as if none were subsampled (the most it can be).
    let components = match info.pixel_format {
        PixelFormat::L8 | PixelFormat::L16 => 1,
        PixelFormat::RGB24 => 3,
        PixelFormat::CMYK32 => 4,
    };
    let padded = |side: u16| u64::from(side).div_ceil(8) * 8;
    let coefficients = match info.coding_process {
        CodingProcess::DctSequential => 0,
        CodingProcess::DctProgressive | CodingProcess::Lossless => {
            2 * components * padded(info.width) * padded(info.height)
        }
    };
    if output + coefficients > max {
        return Err(too_many_decoded_bytes(max));
    }
    decoder.set_max_decoding_buffer_size(usize::try_from(max).unwrap_or(usize::MAX));
    let pixels = decoder.decode().map_err(|_| unreadable())?;
    let orientation = decoder.exif_data().and_then(Orientation::from_exif_chunk).unwrap_or(Orientation::NoTransforms);
    let picture = match info.pixel_format {
        PixelFormat::L8 => ImageBuffer::from_raw(width, height, pixels).map(DynamicImage::ImageLuma8),
        PixelFormat::L16 => {
            let samples = pixels.chunks_exact(2).map(|b| u16::from_ne_bytes([b[0], b[1]])).collect();
            ImageBuffer::from_raw(width, height, samples).map(DynamicImage::ImageLuma16)
        }
        PixelFormat::RGB24 => ImageBuffer::from_raw(width, height, pixels).map(DynamicImage::ImageRgb8),
        PixelFormat::CMYK32 => ImageBuffer::from_raw(width, height, cmyk_to_rgb(&pixels)).map(DynamicImage::ImageRgb8),
    };
    Ok((picture.ok_or_else(unreadable)?, orientation))
}

/// The decoder gives CMYK as Adobe writes it (inverted: 255 is no ink).
fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    cmyk.chunks_exact(4)
        .flat_map(|p| {
            let k = u16::from(p[3]);
            [0, 1, 2].map(|i| (u16::from(p[i]) * k / 255) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32, progressive: bool) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, 128]));
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut bytes).encode_image(&image).unwrap();
        if progressive {
            // No encoder at hand writes progressive JPEGs; a progressive frame header is enough to be counted.
            let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
            bytes[sof + 1] = 0xC2;
        }
        bytes
    }

    const ROOMY: ImageLimits = ImageLimits { max_pixels: 50_000_000, max_decoded_bytes: 100 << 20 };

    #[test]
    fn jpeg_is_decoded_at_the_smallest_scale_that_still_fills_the_thumbnail() {
        let (picture, _) = decode_jpeg_scaled(&jpeg(2600, 1000, false), 1 << 20).unwrap();
        assert_eq!((picture.width(), picture.height()), (325, 125));
        let (picture, _) = decode_jpeg_scaled(&jpeg(300, 100, false), 1 << 20).unwrap();
        assert_eq!((picture.width(), picture.height()), (300, 100), "small photos are decoded whole");
    }

    #[test]
    fn progressive_jpeg_counts_the_coefficients_it_keeps() {
        let refused = decode_jpeg_scaled(&jpeg(1024, 512, true), 3 << 20).unwrap_err();
        assert_eq!(refused.code(), "validation_failed");
        assert!(format!("{refused:?}").contains("TooManyDecodedBytes"), "{refused:?}");
    }

    #[test]
    fn cmyk_as_adobe_writes_it_becomes_rgb() {
        assert_eq!(
            cmyk_to_rgb(&[255, 255, 255, 255, 0, 255, 255, 255, 255, 255, 255, 0]),
            [255, 255, 255, 0, 255, 255, 0, 0, 0]
        );
    }

    #[test]
    fn thumbnails_fit_320_pixels() {
        let processed = process(&jpeg(1000, 500, false), ROOMY).unwrap();
        let thumbnail = image::load_from_memory(&processed.thumbnail).unwrap();
        assert_eq!((processed.width, processed.height, thumbnail.width(), thumbnail.height()), (1000, 500, 320, 160));
    }
}
