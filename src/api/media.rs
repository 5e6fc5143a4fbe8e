//! `POST /api/v1/media` (upload one photo) and `GET /media/{id}`, `GET /media/{id}/thumbnail`.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use utoipa::ToSchema;

use crate::api::extractors::{CurrentUser, MaybeUser};
use crate::api::state::AppState;
use crate::db::DbConnection;
use crate::error::{AppError, FieldIssue};
use crate::http::Path;
use crate::media::{insert, Media, MediaRow};
use crate::reports::queries::find_any;
use crate::values::{MediaId, UserId};
use crate::workflow::{find_in, jurisdiction};

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/media").route(web::post().to(upload)));
}

pub fn configure_files(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/media/{id}").route(web::get().to(original)))
        .service(web::resource("/media/{id}/thumbnail").route(web::get().to(thumbnail)));
}

/// The multipart form of an upload (for the contract).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// One JPEG, PNG or WebP photo, at most 10 MB by default.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Multipart framing around a file is small; a body this much over the limit cannot be within it.
const MULTIPART_OVERHEAD: usize = 16 * 1024;

/// Reads the `file` part, refusing as soon as it passes `limit` bytes (it is never held whole beyond that).
async fn read_file(mut form: Multipart, limit: usize) -> Result<Vec<u8>, AppError> {
    let mut file = None;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|err| match err {
            actix_multipart::MultipartError::ContentTypeMissing
            | actix_multipart::MultipartError::ContentTypeIncompatible => {
                AppError::MalformedMultipart("not multipart/form-data".into())
            }
            other => AppError::MalformedMultipart(other.to_string()),
        })?;
        let is_file = field.name() == Some("file");
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|err| AppError::MalformedMultipart(err.to_string()))?;
            if is_file {
                if bytes.len() + chunk.len() > limit {
                    return Err(AppError::PayloadTooLarge { limit });
                }
                bytes.extend_from_slice(&chunk);
            }
        }
        if is_file {
            if file.is_some() {
                return Err(AppError::invalid("file", FieldIssue::TooMany { max: 1 }));
            }
            file = Some(bytes);
        }
    }
    file.ok_or_else(|| AppError::invalid("file", FieldIssue::Required))
}

/// Upload one photo, before filing the report that uses it.
///
/// The type is judged by the bytes, not the file name or declared type. EXIF, XMP and other metadata
/// (GPS!) are removed without re-encoding; a 320 px thumbnail is made. Photos not attached to a report
/// within 24 hours are deleted.
#[utoipa::path(post, path = "/api/v1/media", tag = "media", operation_id = "uploadMedia", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = Media),
        (status = 400, description = "`malformed_multipart`"),
        (status = 413, description = "`payload_too_large`: over `CDS_MEDIA_MAX_BYTES`"),
        (status = 415, description = "`unsupported_media_type`: the bytes are not a JPEG, PNG or WebP image"),
        (status = 422, description = "`validation_failed`: no `file`, `unreadable_image`, `image_too_large` (too many pixels, `CDS_MEDIA_MAX_PIXELS`) or `too_many_decoded_bytes` (decoding would take more than `CDS_MEDIA_MAX_DECODED_MB`)"),
    ))]
pub async fn upload(
    req: HttpRequest,
    current: CurrentUser,
    state: web::Data<AppState>,
    form: Multipart,
) -> Result<HttpResponse, AppError> {
    let limit = state.settings.media_max_bytes;
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit + MULTIPART_OVERHEAD) {
        return Err(AppError::PayloadTooLarge { limit });
    }
    let bytes = read_file(form, limit).await?;
    let processed = state.images.process(bytes).await?;
    let id = MediaId::new();
    let row = MediaRow {
        id: id.clone(),
        owner_id: current.user.id.clone(),
        report_id: None,
        content_type: processed.kind.content_type().to_string(),
        width: processed.width as i32,
        height: processed.height as i32,
        bytes: processed.original.len() as i64,
        created_at: chrono::Utc::now().naive_utc(),
        event_id: None,
    };
    state.media.put(&id, false, processed.original).await?;
    state.media.put(&id, true, processed.thumbnail).await?;
    let stored = row.clone();
    state.db.run(move |conn| insert(conn, &stored)).await?;
    Ok(HttpResponse::Created().json(Media::of(&row, &state.settings.public_url)))
}

async fn serve(
    req: HttpRequest,
    viewer: MaybeUser,
    state: web::Data<AppState>,
    id: MediaId,
    thumbnail: bool,
) -> Result<HttpResponse, AppError> {
    let viewer = viewer.id();
    let lookup = id.clone();
    let (row, public) = state.db.run(move |conn| find_visible(conn, &lookup, viewer.as_ref())).await?;
    // The bytes behind an id never change, so the id is the entity tag.
    let etag = format!("\"{}{}\"", row.id, if thumbnail { "-t" } else { "" });
    let cache = if public { "public, max-age=31536000, immutable" } else { "private, max-age=3600" };
    let cached = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if cached {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, cache))
            .finish());
    }
    let bytes = state.media.get(&id, thumbnail).await?;
    let content_type = if thumbnail { "image/jpeg" } else { row.content_type.as_str() };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}

/// A photo, without metadata. Visible to everyone once its report is public; otherwise to its owner,
/// the reporter and the officials who handle the report.
#[utoipa::path(get, path = "/media/{id}", tag = "media", operation_id = "getMedia", security((), ("bearer" = [])),
    params(("id" = String, Path, description = "Photo id")),
    responses(
        (status = 200, description = "The photo", content_type = "image/*", headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "The cached copy is current"),
        (status = 404, description = "`media_not_found`, also for photos the caller may not see"),
    ))]
pub async fn original(
    req: HttpRequest,
    viewer: MaybeUser,
    state: web::Data<AppState>,
    id: Path<MediaId>,
) -> Result<HttpResponse, AppError> {
    serve(req, viewer, state, id.into_inner(), false).await
}

/// The 320 px JPEG thumbnail of a photo; visible like the photo.
#[utoipa::path(get, path = "/media/{id}/thumbnail", tag = "media", operation_id = "getMediaThumbnail", security((), ("bearer" = [])),
    params(("id" = String, Path, description = "Photo id")),
    responses(
        (status = 200, description = "The thumbnail", content_type = "image/jpeg", headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "The cached copy is current"),
        (status = 404, description = "`media_not_found`"),
    ))]
pub async fn thumbnail(
    req: HttpRequest,
    viewer: MaybeUser,
    state: web::Data<AppState>,
    id: Path<MediaId>,
) -> Result<HttpResponse, AppError> {
    serve(req, viewer, state, id.into_inner(), true).await
}

/// The photo if `viewer` may see it: its owner always; others once it belongs to a report they may
/// see, as a citizen or as an official whose jurisdiction holds it.
pub fn find_visible(
    conn: &mut DbConnection,
    id: &MediaId,
    viewer: Option<&UserId>,
) -> Result<(MediaRow, bool), AppError> {
    let row = crate::media::find(conn, id)?;
    let Some(report_id) = row.report_id.clone() else {
        return if viewer == Some(&row.owner_id) { Ok((row, false)) } else { Err(AppError::MediaNotFound) };
    };
    let report = find_any(conn, &report_id)?;
    let public = report.visible_to(None);
    let visible = public
        || viewer == Some(&row.owner_id)
        || report.visible_to(viewer)
        || match viewer {
            Some(official) => {
                let jurisdiction = jurisdiction(conn, official)?;
                match find_in(conn, &jurisdiction, official, &report_id) {
                    Ok(_) => true,
                    Err(AppError::ReportNotFound) => false,
                    Err(other) => return Err(other),
                }
            }
            None => false,
        };
    if visible {
        Ok((row, public))
    } else {
        Err(AppError::MediaNotFound)
    }
}
