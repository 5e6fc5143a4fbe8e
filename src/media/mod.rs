//! Photos: uploaded before the report that uses them, judged by their bytes, stripped of metadata,
//! thumbnailed, kept in an object store, and shown only to those who may see their report.

pub mod clean;
pub mod process;

use std::sync::Arc;

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use object_store::{path::Path as ObjectPath, ObjectStore, PutPayload};
use serde::Serialize;
use utoipa::ToSchema;

pub use self::process::{ImageLimits, ImageWork, Processed, THUMBNAIL_PX};
use crate::db::schema::media;
use crate::db::{self, Db, DbConnection};
use crate::error::{AppError, FieldIssue};
use crate::values::{EventId, MediaId, ReportId, UserId};

/// Photos not attached to a report within this time are deleted.
pub const UNATTACHED_HOURS: i64 = 24;

/// Where photo bytes live: a folder under the data dir, or an S3 bucket (both through object_store).
#[derive(Clone)]
pub struct MediaStorage {
    store: Arc<dyn ObjectStore>,
}

impl MediaStorage {
    pub fn new(settings: &crate::config::Settings) -> Result<Self, String> {
        match &settings.media_store {
            crate::config::MediaStore::Files => Self::local(&settings.data_dir.join("media")),
            crate::config::MediaStore::S3 {
                bucket,
                prefix,
                region,
                endpoint,
                access_key_id,
                secret_access_key,
                allow_http,
            } => {
                let mut builder = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_allow_http(*allow_http);
                if let Some(endpoint) = endpoint {
                    // S3-compatible stores are addressed by path, not by a virtual host per bucket.
                    builder = builder.with_endpoint(endpoint).with_virtual_hosted_style_request(false);
                }
                if let (Some(key), Some(secret)) = (access_key_id, secret_access_key) {
                    builder = builder.with_access_key_id(key).with_secret_access_key(secret.expose());
                }
                let s3 = builder.build().map_err(|err| format!("CDS_MEDIA_STORE: {err}"))?;
                let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                    Arc::new(s3)
                } else {
                    Arc::new(object_store::prefix::PrefixStore::new(s3, prefix.as_str()))
                };
                Ok(MediaStorage { store })
            }
        }
    }

    pub fn local(dir: &std::path::Path) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|err| format!("CDS_DATA_DIR: cannot create {}: {err}", dir.display()))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(|err| format!("CDS_DATA_DIR: {}: {err}", dir.display()))?;
        Ok(MediaStorage { store: Arc::new(store) })
    }

    fn key(id: &MediaId, thumbnail: bool) -> ObjectPath {
        ObjectPath::from(if thumbnail { format!("{id}.thumb.jpg") } else { id.to_string() })
    }

    pub async fn put(&self, id: &MediaId, thumbnail: bool, bytes: Vec<u8>) -> Result<(), AppError> {
        self.store
            .put(&Self::key(id, thumbnail), PutPayload::from(bytes))
            .await
            .map(drop)
            .map_err(|err| AppError::Internal(format!("media store: {err}")))
    }

    pub async fn get(&self, id: &MediaId, thumbnail: bool) -> Result<Vec<u8>, AppError> {
        let object = self.store.get(&Self::key(id, thumbnail)).await.map_err(|err| match err {
            object_store::Error::NotFound { .. } => AppError::MediaNotFound,
            other => AppError::Internal(format!("media store: {other}")),
        })?;
        Ok(object.bytes().await.map_err(|err| AppError::Internal(format!("media store: {err}")))?.to_vec())
    }

    pub async fn delete(&self, id: &MediaId) -> Result<(), AppError> {
        for thumbnail in [false, true] {
            match self.store.delete(&Self::key(id, thumbnail)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(err) => return Err(AppError::Internal(format!("media store: {err}"))),
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = media)]
// Prepared once per connection (see `ReportRow`).
#[diesel(treat_none_as_default_value = false)]
pub struct MediaRow {
    pub id: MediaId,
    pub owner_id: UserId,
    pub report_id: Option<ReportId>,
    pub content_type: String,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    pub created_at: NaiveDateTime,
    /// The event whose result the photo shows (`resolve`); `None` for the reporter's own photos.
    pub event_id: Option<EventId>,
}

/// A stored photo as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Media {
    #[schema(value_type = String, format = Uuid)]
    pub id: MediaId,
    pub url: String,
    pub thumbnail_url: String,
    pub content_type: String,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
}

impl Media {
    pub fn of(row: &MediaRow, public_url: &str) -> Self {
        Media {
            id: row.id.clone(),
            url: format!("{public_url}/media/{}", row.id),
            thumbnail_url: format!("{public_url}/media/{}/thumbnail", row.id),
            content_type: row.content_type.clone(),
            width: row.width,
            height: row.height,
            bytes: row.bytes,
        }
    }
}

pub fn find(conn: &mut DbConnection, id: &MediaId) -> Result<MediaRow, AppError> {
    media::table.find(id).select(MediaRow::as_select()).first(conn).optional()?.ok_or(AppError::MediaNotFound)
}

pub fn insert(conn: &mut DbConnection, row: &MediaRow) -> Result<(), AppError> {
    diesel::insert_into(media::table).values(row).execute(conn)?;
    Ok(())
}

/// Attaches the owner's unused photos to a report (and to the event they show the result of, if any);
/// each one that is not (unknown, someone else's, already used) is reported by its position in `ids`
/// under `field`.
pub fn attach(
    conn: &mut DbConnection,
    ids: &[MediaId],
    owner_id: &UserId,
    report_id: &ReportId,
    event_id: Option<&EventId>,
    field: &str,
) -> Result<(), AppError> {
    let mut errors = crate::error::FieldErrors::default();
    for (index, id) in ids.iter().enumerate() {
        let claimed = diesel::update(
            media::table.find(id).filter(media::owner_id.eq(owner_id)).filter(media::report_id.is_null()),
        )
        .set((media::report_id.eq(report_id), media::event_id.eq(event_id)))
        .execute(conn)?;
        if claimed == 0 {
            errors.add(&format!("{field}[{index}]"), FieldIssue::UnknownMedia);
        }
    }
    errors.finish()
}

pub fn of_reports(conn: &mut DbConnection, report_ids: &[&ReportId]) -> Result<Vec<MediaRow>, AppError> {
    if report_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(media::table
        .select(MediaRow::as_select())
        .filter(media::report_id.eq_any(report_ids))
        .order(media::id.asc())
        .load(conn)?)
}

pub fn count_of_report(conn: &mut DbConnection, report_id: &ReportId) -> Result<i64, AppError> {
    Ok(media::table.filter(media::report_id.eq(report_id)).count().get_result(conn)?)
}

/// Deletes photos never attached to a report within [`UNATTACHED_HOURS`]; returns how many.
pub async fn delete_unattached(db: &Db, storage: &MediaStorage) -> Result<usize, AppError> {
    let cutoff = Utc::now().naive_utc() - Duration::hours(UNATTACHED_HOURS);
    let expired: Vec<MediaId> = db
        .run(move |conn| {
            Ok(media::table
                .filter(media::report_id.is_null())
                .filter(media::created_at.lt(cutoff))
                .select(media::id)
                .limit(500)
                .load(conn)?)
        })
        .await?;
    for id in &expired {
        // The row goes only if it is still unattached: a report may have claimed it meanwhile.
        let row_id = id.clone();
        let gone = db
            .run(move |conn| {
                db::transaction(conn, |conn| {
                    Ok(diesel::delete(media::table.find(&row_id).filter(media::report_id.is_null())).execute(conn)?)
                })
            })
            .await?;
        if gone == 1 {
            storage.delete(id).await?;
        }
    }
    Ok(expired.len())
}

/// Runs [`delete_unattached`] now and every hour.
pub fn spawn_cleanup(db: Db, storage: MediaStorage) {
    tokio::spawn(async move {
        loop {
            if let Err(err) = delete_unattached(&db, &storage).await {
                tracing::warn!(error = %err, "media clean-up failed; will retry");
            }
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
    });
}
