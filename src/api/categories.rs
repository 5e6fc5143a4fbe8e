//! `/api/v1/categories`

use actix_web::{web, HttpRequest, HttpResponse};

use crate::api::state::AppState;
use crate::categories::{list_active, Category};
use crate::error::AppError;
use crate::http::{cacheable_json, Page};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/categories").route(web::get().to(list)));
}

/// The active report categories, in display order (one page: the list is short).
#[utoipa::path(get, path = "/api/v1/categories", tag = "categories", operation_id = "listCategories",
    responses(
        (status = 200, description = "All active categories", body = Page<Category>, headers(("ETag" = String))),
        (status = 304, description = "The app's cached copy (If-None-Match) is current"),
    ))]
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let rows = state.db.run(list_active).await?;
    let items = rows.into_iter().map(Category::try_from).collect::<Result<Vec<_>, _>>()?;
    cacheable_json(&req, &Page { items, next_cursor: None })
}
