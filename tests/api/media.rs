//! Photos: judged by their bytes, stripped of metadata, limited in size and pixels, visible like their report.

use std::io::Cursor;

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::common::{assert_problem, jpeg, report_at, Backend, Media, Report, TestApp, DA_LAT};
use crate::on_both_databases;

on_both_databases!(
    exif_gps_is_gone_from_the_photo_and_its_thumbnail,
    images_are_judged_by_their_bytes,
    jpeg_segments_that_could_carry_text_are_dropped,
    oversized_uploads_and_pixel_bombs_are_refused,
    photos_attach_to_reports_once_and_only_the_owners,
    photos_are_visible_like_their_report,
    photos_can_be_added_while_the_report_is_submitted,
    unattached_photos_are_deleted_after_a_day,
    images_that_would_decode_to_too_many_bytes_are_refused,
);

// Decoding the whole of this photo would take 10 MB, over the limit; decoded at 1/8 it takes 160 kB.
on_both_databases!(with [("CDS_MEDIA_MAX_DECODED_MB", "8")] => big_jpegs_are_thumbnailed_from_a_reduced_decode);

/// A distinctive value in the GPS latitude, to look for in the stored bytes.
const GPS_MARK: [u8; 4] = [0x0B, 0xAD, 0xCA, 0xFE];
/// The EXIF entry that points to the GPS directory (big-endian tag 0x8825, type LONG).
const GPS_POINTER: [u8; 4] = [0x88, 0x25, 0x00, 0x04];

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(width, height, image::Rgb([10, 200, 30]));
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(image).write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    bytes
}

fn webp(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbaImage::from_pixel(width, height, image::Rgba([10, 200, 30, 255]));
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgba8(image).write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::WebP).unwrap();
    bytes
}

/// A JPEG as a phone makes it: EXIF with orientation 6 (turn right) and the GPS position of home.
fn phone_jpeg() -> Vec<u8> {
    with_phone_exif(jpeg(64, 32))
}

fn with_phone_exif(mut bytes: Vec<u8>) -> Vec<u8> {
    let mut tiff = b"MM\0*\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&[0, 2]); // IFD0: two entries
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]); // Orientation = 6
    tiff.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38]); // GPS IFD at 38
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff.extend_from_slice(&[0, 2]); // GPS IFD: two entries
    tiff.extend_from_slice(&[0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]); // GPSLatitudeRef = N
    tiff.extend_from_slice(&[0, 2, 0, 5, 0, 0, 0, 3, 0, 0, 0, 68]); // GPSLatitude at 68
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    for (numerator, denominator) in [(u32::from_be_bytes(GPS_MARK), 1u32), (56, 1), (25, 1)] {
        tiff.extend_from_slice(&numerator.to_be_bytes());
        tiff.extend_from_slice(&denominator.to_be_bytes());
    }
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    bytes.splice(2..2, app1);
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Files a report with the photos `media_ids`; the filing may be refused.
async fn file_with(app: &TestApp, token: &str, media_ids: Value, is_public: bool) -> reqwest::Response {
    let body = report_at(DA_LAT, json!({"media_ids": media_ids, "is_public": is_public}));
    app.post_report(token, &uuid::Uuid::now_v7().to_string(), &body).await
}

async fn exif_gps_is_gone_from_the_photo_and_its_thumbnail(app: TestApp) {
    let token = app.citizen("0912345678").await.token;
    let original = phone_jpeg();
    assert!(contains(&original, &GPS_MARK) && contains(&original, &GPS_POINTER), "the test photo carries GPS");
    let media = app.upload(&token, original.clone()).await;
    assert_eq!((media.content_type.as_str(), media.width, media.height), ("image/jpeg", 64, 32));

    let stored = app.fetch(Some(&token), &media.url).await;
    assert_eq!(stored.headers()["content-type"], "image/jpeg");
    let stored = stored.bytes().await.unwrap();
    assert!(!contains(&stored, &GPS_MARK) && !contains(&stored, &GPS_POINTER), "GPS left in the stored photo");
    assert_eq!(media.bytes, stored.len() as u64);
    // Lossless: the compressed picture itself is untouched.
    let scan = |bytes: &[u8]| bytes[bytes.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap()..].to_vec();
    assert_eq!(scan(&stored), scan(&original));

    let thumbnail = app.fetch(Some(&token), &media.thumbnail_url).await.bytes().await.unwrap();
    assert!(!contains(&thumbnail, &GPS_MARK) && !contains(&thumbnail, &GPS_POINTER), "GPS left in the thumbnail");
    let thumb = image::load_from_memory(&thumbnail).unwrap();
    assert!(thumb.height() > thumb.width(), "orientation 6 was applied: {}x{}", thumb.width(), thumb.height());
}

fn jpeg_segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut segment = vec![0xFF, marker];
    segment.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    segment.extend_from_slice(payload);
    segment
}

/// The phone's JPEG with text hidden where decoders look away: after the JFIF fields of APP0, in a JPG0
/// (0xF0) segment and in a comment; and a colour profile, which must stay.
fn jpeg_with_hidden_text() -> Vec<u8> {
    let mut jfif = b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00".to_vec();
    jfif.extend_from_slice(b"HIDDEN-IN-APP0 <script>alert(document.cookie)</script>");
    let mut icc = b"ICC_PROFILE\0\x01\x01".to_vec();
    icc.extend_from_slice(b"colour profile bytes");
    let segments = [
        jpeg_segment(0xE0, &jfif),
        jpeg_segment(0xE2, &icc),
        jpeg_segment(0xF0, b"HIDDEN-IN-JPG0"),
        jpeg_segment(0xFE, b"HIDDEN-IN-COMMENT"),
    ]
    .concat();
    let mut bytes = phone_jpeg();
    bytes.splice(2..2, segments);
    bytes
}

async fn jpeg_segments_that_could_carry_text_are_dropped(app: TestApp) {
    let token = app.citizen("0912345678").await.token;
    let original = jpeg_with_hidden_text();
    let media = app.upload(&token, original).await;
    let stored = app.fetch(Some(&token), &media.url).await.bytes().await.unwrap();
    for text in ["HIDDEN-IN-APP0", "<script>", "HIDDEN-IN-JPG0", "HIDDEN-IN-COMMENT"] {
        assert!(!contains(&stored, text.as_bytes()), "{text} was served back");
    }
    assert!(contains(&stored, b"ICC_PROFILE\0\x01\x01colour profile bytes"), "the colour profile is kept");
    let decoded = image::load_from_memory(&stored).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (64, 32));
    let thumbnail = app.fetch(Some(&token), &media.thumbnail_url).await.bytes().await.unwrap();
    let thumb = image::load_from_memory(&thumbnail).unwrap();
    assert!(thumb.height() > thumb.width(), "orientation 6 was applied: {}x{}", thumb.width(), thumb.height());
}

async fn images_are_judged_by_their_bytes(app: TestApp) {
    let token = app.citizen("0912345678").await.token;
    let response = app.upload_as(&token, png(20, 10), "photo.jpg", "image/jpeg").await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.json::<Media>().await.unwrap().content_type, "image/png");

    let response = app.upload_as(&token, webp(20, 10), "x.bin", "application/octet-stream").await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.json::<Media>().await.unwrap().content_type, "image/webp");

    let text = b"Not a photo at all, just words in a file".to_vec();
    assert_problem(app.upload_as(&token, text, "photo.jpg", "image/jpeg").await, 415, "unsupported_media_type").await;
    let truncated = jpeg(64, 32)[..200].to_vec();
    let problem =
        assert_problem(app.upload_as(&token, truncated, "photo.jpg", "image/jpeg").await, 422, "validation_failed")
            .await;
    assert_eq!(problem["errors"][0]["code"], "unreadable_image");

    let wrong_field = Form::new().part("photo", Part::bytes(jpeg(8, 8)).file_name("a.jpg"));
    let response =
        app.client.post(app.url("/api/v1/media")).bearer_auth(&token).multipart(wrong_field).send().await.unwrap();
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(
        (problem["errors"][0]["field"].as_str(), problem["errors"][0]["code"].as_str()),
        (Some("file"), Some("required"))
    );
    let not_multipart = app.post_json_as(&token, "/api/v1/media", &json!({"file": "x"})).await;
    assert_problem(not_multipart, 400, "malformed_multipart").await;
    let anonymous = app
        .client
        .post(app.url("/api/v1/media"))
        .multipart(Form::new().part("file", Part::bytes(jpeg(8, 8))))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, "unauthenticated").await;
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A PNG of one IDAT chunk; `format` is its bit depth and colour type.
fn png_of(width: u32, height: u32, format: [u8; 2], idat: &[u8]) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        bytes.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let body = [kind, data].concat();
        bytes.extend_from_slice(&body);
        bytes.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut header = width.to_be_bytes().to_vec();
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[format[0], format[1], 0, 0, 0]);
    chunk(b"IHDR", &header);
    chunk(b"IDAT", idat);
    chunk(b"IEND", &[]);
    bytes
}

/// A PNG that claims 50,000 × 50,000 pixels: a few dozen bytes that would need 7.5 GB to decode.
fn png_bomb() -> Vec<u8> {
    png_of(50_000, 50_000, [8, 2], &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
}

/// A valid, black, 16-bit RGBA PNG: a small file whatever its size, as all its bytes are zeros. Its deflate
/// stream is written here (one literal, then copies of 258 bytes from 1 back), as no encoder makes one
/// this fast in a debug build.
fn black_rgba16_png(width: u32, height: u32) -> Vec<u8> {
    let raw_len = u64::from(height) * (1 + 8 * u64::from(width));
    struct Bits {
        bytes: Vec<u8>,
        pending: u64,
        count: u32,
    }
    impl Bits {
        fn put(&mut self, value: u64, len: u32) {
            self.pending |= value << self.count;
            self.count += len;
            while self.count >= 8 {
                self.bytes.push(self.pending as u8);
                self.pending >>= 8;
                self.count -= 8;
            }
        }
    }
    let mut stream = Bits { bytes: vec![0x78, 0x01], pending: 0, count: 0 };
    // Fixed Huffman codes, written most significant bit first: literal 0 is 00110000, length 258 is
    // 11000101 then distance 1 is 00000, end of block is 0000000.
    const LITERAL_0: u64 = 0b0000_1100;
    const COPY_258_FROM_1: u64 = 0b1010_0011;
    stream.put(0b011, 3); // the last block, fixed codes
    stream.put(LITERAL_0, 8);
    for _ in 0..(raw_len - 1) / 258 {
        stream.put(COPY_258_FROM_1, 13);
    }
    for _ in 0..(raw_len - 1) % 258 {
        stream.put(LITERAL_0, 8);
    }
    stream.put(0, 7); // end of block
    let padding = (8 - stream.count) % 8;
    stream.put(0, padding);
    let mut stream = stream.bytes;
    let adler = ((raw_len % 65521) << 16 | 1) as u32;
    stream.extend_from_slice(&adler.to_be_bytes());
    png_of(width, height, [16, 6], &stream)
}

async fn images_that_would_decode_to_too_many_bytes_are_refused(app: TestApp) {
    let token = app.citizen("0912345678").await.token;
    let small = black_rgba16_png(40, 30);
    let decoded = image::load_from_memory(&small).unwrap();
    assert_eq!((decoded.width(), decoded.height(), decoded.color()), (40, 30, image::ColorType::Rgba16));
    assert_eq!(app.upload_as(&token, small, "a.png", "image/png").await.status(), 201);

    // 25 megapixels, under the 50 allowed, but 8 bytes each: 200 MB to decode from a file of 1.3 MB.
    let heavy = black_rgba16_png(5000, 5000);
    assert!(heavy.len() < 2 * 1024 * 1024, "{} bytes", heavy.len());
    let problem =
        assert_problem(app.upload_as(&token, heavy, "heavy.png", "image/png").await, 422, "validation_failed").await;
    assert_eq!(
        (problem["errors"][0]["field"].as_str(), problem["errors"][0]["code"].as_str()),
        (Some("file"), Some("too_many_decoded_bytes"))
    );
    assert!(problem["errors"][0]["message"].as_str().unwrap().contains("100 MiB"), "{problem}");
}

async fn big_jpegs_are_thumbnailed_from_a_reduced_decode(app: TestApp) {
    let token = app.citizen("0912345678").await.token;
    let media = app.upload(&token, with_phone_exif(jpeg(2600, 1300))).await;
    assert_eq!((media.width, media.height), (2600, 1300));
    let thumbnail = app.fetch(Some(&token), &media.thumbnail_url).await.bytes().await.unwrap();
    let thumb = image::load_from_memory(&thumbnail).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (160, 320), "320 px on the long side, turned by orientation 6");
}

async fn oversized_uploads_and_pixel_bombs_are_refused(app: TestApp) {
    let token = app.citizen("0912345678").await.token;
    let eleven_mb = vec![0xFFu8; 11 * 1024 * 1024];
    let problem =
        assert_problem(app.upload_as(&token, eleven_mb, "big.jpg", "image/jpeg").await, 413, "payload_too_large").await;
    assert!(problem["detail"].as_str().unwrap().contains("10485760"));
    let problem =
        assert_problem(app.upload_as(&token, png_bomb(), "bomb.png", "image/png").await, 422, "validation_failed")
            .await;
    assert_eq!(
        (problem["errors"][0]["field"].as_str(), problem["errors"][0]["code"].as_str()),
        (Some("file"), Some("image_too_large"))
    );
}

/// A file just over the limit inside a body whose declared length passes the first check: refused while
/// streaming, as soon as the count passes the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_is_cut_off_as_it_passes_the_limit() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("CDS_MEDIA_MAX_BYTES", "100000")]).await.unwrap();
    let token = app.citizen("0912345678").await.token;
    let mut just_over = jpeg(64, 64);
    just_over.resize(100_001, 0);
    assert_problem(app.upload_as(&token, just_over, "p.jpg", "image/jpeg").await, 413, "payload_too_large").await;
    assert_eq!(app.upload_as(&token, jpeg(64, 64), "p.jpg", "image/jpeg").await.status(), 201);
}

async fn photos_attach_to_reports_once_and_only_the_owners(app: TestApp) {
    let reporter = app.citizen("0912345678").await.token;
    let other = app.citizen("0987654321").await.token;
    let mine = app.upload(&reporter, jpeg(16, 16)).await;
    let theirs = app.upload(&other, jpeg(16, 16)).await;

    let response = file_with(&app, &reporter, json!([mine.id, theirs.id]), true).await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    let fields: Vec<_> = problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["media_ids[1]"], "someone else's photo is refused");

    let response = file_with(&app, &reporter, json!([mine.id]), true).await;
    assert_eq!(response.status(), 201);
    let report: Report = response.json().await.unwrap();
    assert_eq!(report.media[0].id, mine.id);
    assert_eq!(report.media[0].thumbnail_url, mine.thumbnail_url);

    let again = file_with(&app, &reporter, json!([mine.id]), true).await;
    let problem = assert_problem(again, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "unknown_media", "a used photo cannot be used again");
}

async fn photos_are_visible_like_their_report(app: TestApp) {
    let reporter = app.citizen("0912345678").await.token;
    let neighbour = app.citizen("0987654321").await.token;
    let unattached = app.upload(&reporter, jpeg(16, 16)).await;
    assert_eq!(app.fetch(Some(&reporter), &unattached.url).await.status(), 200);
    assert_problem(app.fetch(Some(&neighbour), &unattached.url).await, 404, "media_not_found").await;
    assert_problem(app.fetch(None, &unattached.thumbnail_url).await, 404, "media_not_found").await;

    let public_photo = app.upload(&reporter, jpeg(16, 16)).await;
    file_with(&app, &reporter, json!([public_photo.id]), true).await;
    let response = app.fetch(None, &public_photo.url).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["cache-control"].to_str().unwrap().starts_with("public"));
    let etag = response.headers()["etag"].clone();
    let cached = app
        .client
        .get(public_photo.url.replace("http://congdanso.test", &app.address))
        .header("If-None-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);

    let private_photo = app.upload(&reporter, jpeg(16, 16)).await;
    file_with(&app, &reporter, json!([private_photo.id]), false).await;
    assert_problem(app.fetch(None, &private_photo.url).await, 404, "media_not_found").await;
    assert_problem(app.fetch(Some(&neighbour), &private_photo.thumbnail_url).await, 404, "media_not_found").await;
    let own = app.fetch(Some(&reporter), &private_photo.url).await;
    assert_eq!(own.status(), 200);
    assert!(own.headers()["cache-control"].to_str().unwrap().starts_with("private"));
    assert_problem(app.get("/media/0190aaaa-0000-7000-8000-000000000000").await, 404, "media_not_found").await;
}

async fn photos_can_be_added_while_the_report_is_submitted(app: TestApp) {
    let reporter = app.citizen("0912345678").await.token;
    let report: Report = file_with(&app, &reporter, json!([]), true).await.json().await.unwrap();
    let path = format!("/api/v1/reports/{}/media", report.id);
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(app.upload(&reporter, jpeg(8, 8)).await.id);
    }
    let added: Report = app.post_json_as(&reporter, &path, &json!({"media_ids": ids[..4]})).await.json().await.unwrap();
    assert_eq!(added.media.len(), 4);
    assert_eq!(added.timeline[1].kind, "photos_added");
    let problem = assert_problem(
        app.post_json_as(&reporter, &path, &json!({"media_ids": ids[4..]})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["code"], "too_many");

    let neighbour = app.citizen("0987654321").await.token;
    let theirs = app.upload(&neighbour, jpeg(8, 8)).await;
    assert_problem(
        app.post_json_as(&neighbour, &path, &json!({"media_ids": [theirs.id]})).await,
        404,
        "report_not_found",
    )
    .await;

    app.post_json_as(&reporter, &format!("/api/v1/reports/{}/withdraw", report.id), &json!({})).await;
    assert_problem(
        app.post_json_as(&reporter, &path, &json!({"media_ids": [ids[4]]})).await,
        409,
        "invalid_transition",
    )
    .await;
}

async fn unattached_photos_are_deleted_after_a_day(app: TestApp) {
    let token = app.citizen("0912345678").await.token;
    let stale = app.upload(&token, jpeg(8, 8)).await;
    let fresh = app.upload(&token, jpeg(8, 8)).await;
    let used = app.upload(&token, jpeg(8, 8)).await;
    file_with(&app, &token, json!([used.id]), true).await;
    let db = app.database();
    db.run(|conn| {
        use congdanso::db::schema::media;
        use diesel::prelude::*;
        let two_days_ago = chrono::Utc::now().naive_utc() - chrono::Duration::hours(48);
        // Everything but `fresh` is two days old; only the unattached one of those may go.
        diesel::update(media::table).set(media::created_at.eq(two_days_ago)).execute(conn)?;
        Ok(())
    })
    .await
    .unwrap();
    db.run({
        let fresh_id = fresh.id.clone();
        move |conn| {
            use congdanso::db::schema::media;
            use diesel::prelude::*;
            diesel::update(media::table.find(fresh_id))
                .set(media::created_at.eq(chrono::Utc::now().naive_utc()))
                .execute(conn)?;
            Ok(())
        }
    })
    .await
    .unwrap();
    let storage = congdanso::media::MediaStorage::local(&app.data_dir.join("media")).unwrap();
    assert_eq!(congdanso::media::delete_unattached(&db, &storage).await.unwrap(), 1);
    assert_problem(app.fetch(Some(&token), &stale.url).await, 404, "media_not_found").await;
    assert!(!app.data_dir.join("media").join(&stale.id).exists(), "the file is gone too");
    assert_eq!(app.fetch(Some(&token), &fresh.url).await.status(), 200);
    assert_eq!(app.fetch(None, &used.url).await.status(), 200);
}

/// Photos in an S3 bucket (moto's S3 server in CI), through the same code path as on disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_are_kept_in_an_s3_bucket() {
    let Some(endpoint) = crate::common::s3_endpoint() else { return };
    let bucket = format!("congdanso-{}", uuid::Uuid::now_v7().simple());
    let created = reqwest::Client::new().put(format!("{endpoint}/{bucket}")).send().await.unwrap();
    assert!(created.status().is_success(), "create bucket: {}", created.status());
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("CDS_MEDIA_STORE", &format!("s3://{bucket}/photos")),
            ("AWS_ENDPOINT", &endpoint),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
        ],
    )
    .await
    .unwrap();
    let token = app.citizen("0912345678").await.token;
    let media = app.upload(&token, phone_jpeg()).await;
    let id = media.id.as_str();

    let served = app.fetch(Some(&token), &media.url).await.bytes().await.unwrap();
    assert!(!contains(&served, &GPS_MARK));
    // Read the bucket directly, as another S3 client would.
    use object_store::ObjectStore;
    let s3 = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(&bucket)
        .with_region("us-east-1")
        .with_endpoint(&endpoint)
        .with_allow_http(true)
        .with_virtual_hosted_style_request(false)
        .with_access_key_id("test")
        .with_secret_access_key("test")
        .build()
        .unwrap();
    let in_bucket =
        s3.get(&object_store::path::Path::from(format!("photos/{id}"))).await.unwrap().bytes().await.unwrap();
    assert_eq!(in_bucket, served, "the bucket holds the cleaned photo");
    assert!(s3.head(&object_store::path::Path::from(format!("photos/{id}.thumb.jpg"))).await.is_ok());
    assert!(!app.data_dir.join("media").join(id).exists(), "nothing on local disk");
}
